//! Every case of `tests/golden/libraries-jax.json` (optax 0.2.8 on jax 0.10.2, Keras 3.15.1
//! on numpy 2.4.6), evaluated through the library within the tolerance of
//! `tests/golden/README-jax.md`: the float32 `lr` by default, optax's `lr_x64` with
//! `--precision f64`; and every error case refused with exit status 2.

use lrsched::schedule::params::Raw;
use serde_json::Value;

use super::golden::partial;

struct Case {
    id: String,
    library: String,
    args: Vec<String>,
    lr: Vec<f64>,
    lr_x64: Option<Vec<f64>>,
}

fn golden() -> Value {
    serde_json::from_str(include_str!("../golden/libraries-jax.json")).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn cases() -> Vec<Case> {
    cases_of(&golden())
}

/// Extra cases from the real libraries, made by `scripts/jax_oracle.py`: fractional
/// horizons and boundaries, `transition_begin`, caps, key collisions, rejected values.
fn oracle() -> Value {
    serde_json::from_str(include_str!("../oracle/jax-extra.json")).unwrap()
}

fn cases_of(file: &Value) -> Vec<Case> {
    file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            id: c["id"].as_str().unwrap().to_string(),
            library: c["library"].as_str().unwrap().to_string(),
            args: strings(&c["args"]),
            lr: floats(&c["lr"]),
            lr_x64: c.get("lr_x64").map(floats),
        })
        .collect()
}

/// What a comparison found: failures beyond the tolerance, and values within it that are
/// not the reference's bits.
#[derive(Default)]
struct Outcome {
    checked: usize,
    values: usize,
    failures: Vec<String>,
    inexact: Vec<String>,
}

impl Outcome {
    fn assert_within_tolerance(&self) {
        assert!(
            self.failures.is_empty(),
            "{} golden failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Checks `library`'s cases against `lr` (float32) or `lr_x64` (`--precision f64`).
fn check(library: &str, x64: bool) -> Outcome {
    check_cases(&cases(), library, x64)
}

fn check_cases(cases: &[Case], library: &str, x64: bool) -> Outcome {
    let (rtol, atol) = if x64 { (1e-12, 1e-14) } else { (1e-6, 1e-6) };
    let mut outcome = Outcome::default();
    for case in cases.iter().filter(|c| c.library == library) {
        let want = if x64 {
            case.lr_x64.as_ref().expect("optax cases have lr_x64")
        } else {
            &case.lr
        };
        outcome.checked += 1;
        let mut p = partial(&case.args);
        if x64 {
            p.params.push(("precision".into(), Raw::Text("f64".into())));
        }
        let schedule = match p.resolve().map(|d| d.into_schedule()) {
            Ok(s) => s,
            Err(e) => {
                outcome.failures.push(format!("{}: {e}", case.id));
                continue;
            }
        };
        let peak = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let got: Vec<f64> = schedule.points(0).take(want.len()).map(|p| p.lr).collect();
        assert_eq!(got.len(), want.len(), "{}", case.id);
        for (step, (&g, &w)) in got.iter().zip(want).enumerate() {
            outcome.values += 1;
            if g.is_nan() || (g - w).abs() > rtol * w.abs() + atol * peak {
                outcome
                    .failures
                    .push(format!("{} step {step}: got {g:?}, want {w:?}", case.id));
                break;
            }
            if g.to_bits() != w.to_bits() {
                outcome
                    .inexact
                    .push(format!("{} step {step}: got {g:?}, want {w:?}", case.id));
            }
        }
    }
    outcome
}

/// optax runs `cos` and `pow` through the C library (XLA's CPU backend), as Rust does,
/// and lrsched keeps optax's operation order: every value is optax's to the bit. A change
/// that stays within tolerance but loses that shows up here.
fn assert_bit_exact(what: &str, outcome: &Outcome) {
    assert!(
        outcome.inexact.is_empty(),
        "{} of {} {what} values within tolerance but not bit-exact, first: {:?}",
        outcome.inexact.len(),
        outcome.values,
        outcome.inexact.iter().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn optax_float32_matches_bit_for_bit() {
    let outcome = check("optax", false);
    assert_eq!(outcome.checked, 51);
    outcome.assert_within_tolerance();
    assert_bit_exact("optax float32", &outcome);
}

#[test]
fn optax_x64_matches_bit_for_bit_with_precision_f64() {
    let outcome = check("optax", true);
    assert_eq!(outcome.checked, 51);
    outcome.assert_within_tolerance();
    assert_bit_exact("optax float64", &outcome);
}

/// Keras' numpy backend computes float32 `cos`, `power` and `log` with numpy's own SIMD
/// loops, which round differently from the C library in the last bit now and then (numpy
/// 2.4.6 on AVX-512: 15% of `cos`, 20% of `power` results of random float32 arguments).
/// The values stay within tolerance; in the golden data 92% are Keras' bits, and fewer
/// than 90% would mean the operation order had drifted.
#[test]
fn keras_float32_matches() {
    let outcome = check("keras", false);
    assert_eq!(outcome.checked, 26);
    outcome.assert_within_tolerance();
    let exact = outcome.values - outcome.inexact.len();
    assert!(
        exact * 10 >= outcome.values * 9,
        "only {exact} of {} Keras values bit-exact, first others: {:?}",
        outcome.values,
        outcome.inexact.iter().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn oracle_cases_match() {
    let cases = cases_of(&oracle());
    assert_eq!(cases.len(), 147);
    for x64 in [false, true] {
        let outcome = check_cases(&cases, "optax", x64);
        assert!(outcome.checked > 80, "{}", outcome.checked);
        outcome.assert_within_tolerance();
        assert_bit_exact(
            if x64 {
                "oracle optax float64"
            } else {
                "oracle optax float32"
            },
            &outcome,
        );
    }
    let keras = check_cases(&cases, "keras", false);
    assert!(keras.checked > 30, "{}", keras.checked);
    keras.assert_within_tolerance();
}

#[test]
fn every_error_case_is_refused_with_exit_2() {
    let mut errors = golden()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 9);
    errors.extend(oracle()["errors"].as_array().unwrap().iter().cloned());
    assert_eq!(errors.len(), 9 + 12);
    for error in &errors {
        let id = error["id"].as_str().unwrap();
        let args = strings(&error["args"]);
        let out = super::cli::lrsched()
            .arg("csv")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{id}: {stderr}");
        assert!(out.stdout.is_empty(), "{id} wrote to stdout");
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() == 1,
            "{id}: one line of error expected, got {stderr}"
        );
    }
}

/// `lrsched list` names every schedule of the golden data under its library, and `list
/// LIB:NAME` details each.
#[test]
fn list_shows_every_optax_and_keras_schedule() {
    let out = super::cli::lrsched().arg("list").output().unwrap();
    assert!(out.status.success());
    let catalogue = String::from_utf8(out.stdout).unwrap();
    let mut names: Vec<String> = cases()
        .iter()
        .map(|c| c.args[c.args.iter().position(|a| a == "--schedule").unwrap() + 1].clone())
        .collect();
    names.dedup();
    assert_eq!(names.len(), 18, "{names:?}");
    for qualified in &names {
        let (library, _) = qualified.split_once(':').unwrap();
        let heading = catalogue
            .find(&format!("\n{library} ("))
            .unwrap_or_else(|| panic!("no {library} heading"));
        let listed = catalogue
            .find(&format!("\n  {qualified} "))
            .unwrap_or_else(|| panic!("{qualified} not listed"));
        assert!(listed > heading, "{qualified} listed before its library");
        let detail = super::cli::lrsched()
            .args(["list", qualified])
            .output()
            .unwrap();
        assert!(detail.status.success(), "list {qualified}");
        let text = String::from_utf8(detail.stdout).unwrap();
        assert!(
            text.starts_with(&format!("{qualified}\n")),
            "{qualified}: {text}"
        );
    }
}

/// `--precision` is `--set precision=`, and means nothing (an error) where the schedule
/// computes in float64 already.
#[test]
fn precision_flag() {
    let run = |extra: &[&str]| {
        let out = super::cli::lrsched()
            .args([
                "csv",
                "--schedule",
                "keras:ExponentialDecay",
                "--set",
                "initial_learning_rate=0.1",
                "--set",
                "decay_steps=3",
                "--set",
                "decay_rate=0.5",
                "--steps",
                "2",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{extra:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // Keras: I * r ** (k / D), in float32 by default, float64 with --precision f64.
    let lr_at_1 = |text: &str| -> f64 {
        let row = text.lines().nth(2).unwrap();
        row.rsplit(',').next().unwrap().parse().unwrap()
    };
    let float32 = f64::from(0.1f32 * 0.5f32.powf(1.0f32 / 3.0f32));
    let float64 = 0.1 * 0.5f64.powf(1.0 / 3.0);
    assert_ne!(float32, float64);
    assert_eq!(lr_at_1(&run(&[])), float32);
    assert_eq!(lr_at_1(&run(&["--precision", "f32"])), float32);
    assert_eq!(lr_at_1(&run(&["--precision", "f64"])), float64);
    assert_eq!(lr_at_1(&run(&["--set", "precision=f64"])), float64);
    super::cli::rejects(
        &["csv", "--expr", "1", "--precision", "f64"],
        "--precision applies to the optax and keras schedules; an --expr computes in float64, \
         as Python does",
    );
    super::cli::rejects(
        &["csv", "--schedule", "cosine", "--precision", "f32"],
        "--precision applies to the optax and keras schedules, which compute in float32; \
         cosine computes in float64, as its library does",
    );
}
