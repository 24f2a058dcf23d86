//! Every case of `tests/golden/schedules.json` (values produced by torch 2.15 and
//! transformers 5.24), evaluated through the library, within the tolerance of
//! `tests/golden/README.md`.

use std::collections::BTreeSet;

use lrsched::description::Partial;
use lrsched::schedule::params::Raw;
use lrsched::schedule::registry::{self, Library};
use serde_json::Value;

/// torch's chainable schedulers, computed recursively from the previous lr.
const CHAINABLE: [&str; 7] = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
];

pub struct Case {
    pub id: String,
    pub args: Vec<String>,
    pub lr: Vec<f64>,
}

pub fn cases() -> Vec<Case> {
    let text = include_str!("../golden/schedules.json");
    let json: Value = serde_json::from_str(text).expect("schedules.json parses");
    json["cases"]
        .as_array()
        .expect("cases is an array")
        .iter()
        .map(|c| Case {
            id: c["id"].as_str().expect("id").to_string(),
            args: c["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a.as_str().expect("arg").to_string())
                .collect(),
            lr: c["lr"]
                .as_array()
                .expect("lr")
                .iter()
                .map(|v| v.as_f64().expect("lr value"))
                .collect(),
        })
        .collect()
}

/// The schedule flags of a golden case, as the command line would read them.
pub fn partial(args: &[String]) -> Partial {
    let mut p = Partial::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().expect("every golden flag has a value").clone();
        match flag.as_str() {
            "--schedule" => p.schedule = Some(value),
            "--expr" => p.expr = Some(value),
            "--steps" => p.steps = Some(value.parse().expect("steps")),
            "--warmup" => p.warmup = Some(value.parse().expect("warmup")),
            "--base-lr" => p.base_lr = Some(value.parse().expect("base lr")),
            "--set" => {
                let (k, v) = value.split_once('=').expect("KEY=VALUE");
                p.params.push((k.to_string(), Raw::Text(v.to_string())));
            }
            other => panic!("unexpected golden flag {other}"),
        }
    }
    p
}

/// `(rtol, atol)` for a case, from the golden README.
fn tolerance(args: &[String]) -> (f64, f64) {
    let schedule = args
        .iter()
        .position(|a| a == "--schedule")
        .map(|i| args[i + 1].as_str());
    match schedule {
        Some(name) if CHAINABLE.contains(&name) => (1e-11, 1e-12),
        _ => (1e-12, 1e-14),
    }
}

/// Checks every case whose id starts with one of `prefixes` against the tolerance; returns
/// how many cases were checked and the steps whose value is not the reference's to the bit.
fn check(prefixes: &[&str]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut inexact = Vec::new();
    let mut checked = 0;
    for case in cases()
        .iter()
        .filter(|c| prefixes.iter().any(|p| c.id.starts_with(p)))
    {
        checked += 1;
        let description = match partial(&case.args).resolve() {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: {e}", case.id));
                continue;
            }
        };
        let schedule = description.schedule();
        let (rtol, atol) = tolerance(&case.args);
        let peak = case.lr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let got: Vec<f64> = schedule
            .points(0)
            .take(case.lr.len())
            .map(|p| p.lr)
            .collect();
        assert_eq!(got.len(), case.lr.len(), "{}: too few points", case.id);
        for (step, (&g, &w)) in got.iter().zip(&case.lr).enumerate() {
            if (g - w).abs() > rtol * w.abs() + atol * peak || g.is_nan() {
                failures.push(format!("{} step {step}: got {g:?}, want {w:?}", case.id));
                break;
            }
            if g.to_bits() != w.to_bits() {
                inexact.push(format!("{} step {step}: got {g:?}, want {w:?}", case.id));
            }
        }
        // Random access agrees with the stream (recursive schedules replay).
        for step in [0, case.lr.len() / 2, case.lr.len() - 1] {
            let at = schedule.at(step as u64).lr;
            if at.to_bits() != got[step].to_bits() {
                failures.push(format!(
                    "{} step {step}: at() gave {at:?}, points() {:?}",
                    case.id, got[step]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (checked, inexact)
}

/// Beyond the tolerance: lrsched reproduces every reference double exactly (same operation
/// order, torch's recursion replayed). A change that keeps within tolerance but loses
/// bit-exactness shows up here first.
fn assert_bit_exact(family: &str, inexact: &[String]) {
    assert!(
        inexact.is_empty(),
        "{} {family} values within tolerance but not bit-exact, first: {:?}",
        inexact.len(),
        inexact.iter().take(5).collect::<Vec<_>>()
    );
}

/// The case families of `schedules.json`, by id prefix.
const FAMILIES: [&[&str]; 3] = [&["expr-", "default-"], &["hf-"], &["pt-"]];

/// Every built-in of `library` has golden cases, and the cases with `prefix` are of no
/// other schedule: a new built-in without reference values fails here.
fn assert_covers(prefix: &str, library: Library) {
    let tested: BTreeSet<String> = cases()
        .iter()
        .filter(|c| c.id.starts_with(prefix))
        .filter_map(|c| {
            let at = c.args.iter().position(|a| a == "--schedule")?;
            Some(c.args[at + 1].clone())
        })
        .collect();
    let registered: BTreeSet<String> = registry::entries()
        .filter(|e| e.library == library)
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(tested, registered, "{library} built-ins with golden cases");
}

#[test]
fn expressions_and_default_warmup_match_lambda_lr() {
    let (checked, inexact) = check(FAMILIES[0]);
    assert!(checked > 0);
    assert_bit_exact("expression", &inexact);
}

#[test]
fn transformers_schedules_match() {
    let (checked, inexact) = check(FAMILIES[1]);
    assert!(checked > 0);
    assert_covers("hf-", Library::Transformers);
    assert_bit_exact("transformers", &inexact);
}

#[test]
fn torch_schedulers_match() {
    let (checked, inexact) = check(FAMILIES[2]);
    assert!(checked > 0);
    assert_covers("pt-", Library::Torch);
    assert_bit_exact("torch", &inexact);
}

/// Every case belongs to exactly one family, so the tests above check them all.
#[test]
fn every_case_is_covered() {
    for case in cases() {
        let families = FAMILIES
            .iter()
            .filter(|prefixes| prefixes.iter().any(|p| case.id.starts_with(p)))
            .count();
        assert_eq!(families, 1, "{} belongs to {families} families", case.id);
    }
}
