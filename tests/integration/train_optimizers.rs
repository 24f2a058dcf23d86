//! `lrsched train` with momentum, nesterov, weight decay, betas, AdamW, and the momentum that
//! `CyclicLR` and `OneCycleLR` cycle, against real torch runs
//! (`tests/golden/train-optimizers.json`, made by `tests/golden/scripts/train_optimizers.py`).

use assert_cmd::Command;
use lrsched::description::Partial;
use lrsched::schedule::params::Raw;
use serde_json::Value;

/// The golden losses are float32 values; the README's tolerance for an f32 implementation.
const LOSS_RTOL: f64 = 1e-6;

fn golden() -> Value {
    serde_json::from_str(include_str!("../golden/train-optimizers.json")).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn train(args: &[String]) -> std::process::Output {
    Command::cargo_bin("lrsched")
        .unwrap()
        .arg("train")
        .args(args)
        .output()
        .unwrap()
}

/// The schedule part of a case's arguments, skipping the optimizer's and the data's flags.
fn schedule_partial(args: &[String]) -> Partial {
    let mut p = Partial::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap().clone();
        match flag.as_str() {
            "--schedule" => p.schedule = Some(value()),
            "--steps" => p.steps = Some(value().parse().unwrap()),
            "--warmup" => p.warmup = Some(value().parse().unwrap()),
            "--base-lr" => p.base_lr = Some(value().parse().unwrap()),
            "--set" => {
                let v = value();
                let (k, v) = v.split_once('=').unwrap();
                p.params.push((k.to_string(), Raw::Text(v.to_string())));
            }
            "--optimizer" | "--momentum" | "--weight-decay" | "--betas" => {
                value();
            }
            _ => {}
        }
    }
    p
}

fn close(got: f64, want: f64, rtol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs()
}

#[test]
fn losses_lrs_and_weights_match_torch() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let args = strings(&case["args"]);
        let out = train(&[args.clone(), vec!["--format".into(), "json".into()]].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = got["rows"].as_array().unwrap();
        let want = case["rows"].as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{id}: rows");
        for (g, w) in rows.iter().zip(want) {
            let step = w["step"].as_u64().unwrap();
            let (gl, wl) = (g["lr"].as_f64().unwrap(), w["lr"].as_f64().unwrap());
            assert!(
                close(gl, wl, 1e-12),
                "{id} step {step}: lr {gl} vs torch {wl}"
            );
            let (gl, wl) = (g["loss"].as_f64().unwrap(), w["loss"].as_f64().unwrap());
            assert!(
                close(gl, wl, LOSS_RTOL),
                "{id} step {step}: loss {gl} vs torch {wl}"
            );
        }
        let weights = got["weight"].as_array().unwrap().iter();
        for (g, w) in weights.zip(case["weight"].as_array().unwrap()) {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1e-2),
                "{id}: weight {g} vs torch {w}"
            );
        }
    }
}

#[test]
fn cycled_momentum_is_torchs() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let args = strings(&case["args"]);
        let schedule = schedule_partial(&args)
            .resolve()
            .map(lrsched::Description::into_schedule)
            .unwrap();
        let cycles = args.iter().any(|a| a == "CyclicLR" || a == "OneCycleLR")
            && !args.iter().any(|a| a == "cycle_momentum=false");
        for w in case["rows"].as_array().unwrap() {
            let step = w["step"].as_u64().unwrap();
            let want = w["momentum"].as_f64().unwrap();
            match schedule.momentum(step) {
                Some(got) => {
                    assert!(
                        cycles,
                        "{id}: momentum set by a schedule that does not cycle it"
                    );
                    assert!(
                        close(got, want, 1e-15),
                        "{id} step {step}: momentum {got} vs torch {want}"
                    );
                }
                None => assert!(!cycles, "{id} step {step}: no momentum, torch has {want}"),
            }
        }
    }
}

#[test]
fn what_torch_refuses_is_refused_with_its_message() {
    let golden = golden();
    for case in golden["errors"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let out = train(&strings(&case["args"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{id}: {stderr}");
        assert!(out.stdout.is_empty(), "{id}");
        // torch's message, as `ValueError: Invalid ...`.
        let message = case["error"].as_str().unwrap();
        let reason = message.trim_start_matches("ValueError: ");
        let reason = reason.split(" (").next().unwrap();
        let reason = reason.replace("-1.0", "-1");
        assert!(
            stderr.contains(&reason) || stderr.contains(message),
            "{id}: {stderr} lacks torch's {message}"
        );
    }
}

#[test]
fn optimizer_flags_belong_to_their_optimizer() {
    for (args, message) in [
        (
            vec!["--optimizer", "adam", "--momentum", "0.9"],
            "--momentum is an argument of optim.SGD; optim.Adam takes --betas BETA1,BETA2 (betas[0] is its momentum)",
        ),
        (
            vec!["--optimizer", "sgd", "--betas", "0.9,0.99"],
            "--betas is an argument of Adam and AdamW; optim.SGD takes --momentum",
        ),
    ] {
        super::cli::rejects(&[&["train"], args.as_slice()].concat(), message);
    }
    let out = train(&[
        "--betas".into(),
        "0.9".into(),
        "--optimizer".into(),
        "adam".into(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected two numbers, BETA1,BETA2"));
}
