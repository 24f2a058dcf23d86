//! `lrsched train`: the golden training runs of torch (`tests/golden/train-*-seed0.json`)
//! through the library, and the command end to end.

use lrsched::spec::Partial;
use lrsched::train::{Dataset, Linear, Optimizer, Row, Training};
use serde_json::Value;

/// The golden losses are float32 values; the README's tolerance for an f32 implementation.
const RTOL: f64 = 1e-6;

struct Golden {
    name: &'static str,
    json: Value,
}

fn golden() -> [Golden; 2] {
    [
        Golden {
            name: "train-sgd-seed0.json",
            json: serde_json::from_str(include_str!("../golden/train-sgd-seed0.json")).unwrap(),
        },
        Golden {
            name: "train-adam-seed0.json",
            json: serde_json::from_str(include_str!("../golden/train-adam-seed0.json")).unwrap(),
        },
    ]
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Trains on a golden file's own inputs, targets and initial weights.
fn run(g: &Golden) -> Vec<Row> {
    let j = &g.json;
    let inputs: Vec<f32> = j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    let targets = floats(&j["targets"]);
    let data = Dataset::new(10, inputs, targets).unwrap();
    let model = Linear {
        weight: floats(&j["weight"]),
        bias: j["bias"].as_f64().unwrap() as f32,
    };
    let optimizer = match j["optimizer"].as_str().unwrap() {
        "sgd" => Optimizer::Sgd,
        "adam" => Optimizer::Adam,
        other => panic!("{}: optimizer {other}", g.name),
    };
    let steps = j["steps"].as_u64().unwrap();
    let schedule = Partial {
        steps: Some(steps),
        warmup: Some(j["warmup"].as_u64().unwrap()),
        base_lr: Some(j["base_lr"].as_f64().unwrap()),
        ..Partial::default()
    }
    .resolve()
    .unwrap()
    .build()
    .unwrap();
    Training::new(&data, model, optimizer, schedule.as_ref(), steps)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn losses_match_torch_to_1e6_relative() {
    for g in golden() {
        let rows = run(&g);
        let want = g.json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{}", g.name);
        let mut worst = 0.0f64;
        for (got, want) in rows.iter().zip(want) {
            let step = got.step;
            let loss = want["loss"].as_f64().unwrap();
            let error = (f64::from(got.loss) - loss).abs() / loss.abs();
            worst = worst.max(error);
            assert!(
                error <= RTOL,
                "{} step {step}: loss {:?}, torch {loss:?} ({error:.2e} relative)",
                g.name,
                f64::from(got.loss)
            );
            assert_eq!(
                got.lr,
                want["lr_used"].as_f64().unwrap(),
                "{} step {step}: lr",
                g.name
            );
            assert_eq!(
                got.next_lr,
                want["lr_printed"].as_f64(),
                "{} step {step}: next lr",
                g.name
            );
        }
        eprintln!("{}: worst relative loss error {worst:.2e}", g.name);
    }
}
