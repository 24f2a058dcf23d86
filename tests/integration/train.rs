//! `lrsched train`: the golden training runs of torch (`tests/golden/train-*-seed0.json`)
//! through the library, and the command end to end.

use assert_cmd::Command;
use lrsched::description::Partial;
use lrsched::train::{Dataset, Linear, Optimizer, Row, Training};
use serde_json::Value;

use crate::scratch::TempFile;

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
    .into_schedule();
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

fn lrsched() -> Command {
    Command::cargo_bin("lrsched").unwrap()
}

/// stdout of a successful `lrsched train ARGS`.
fn train(args: &[&str]) -> String {
    let out = lrsched().arg("train").args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
    String::from_utf8(out.stdout).unwrap()
}

/// A file under the temporary directory with `text` in it, named for the test.
fn temp_file(name: &str, text: &str) -> TempFile {
    TempFile::new(name, text)
}

/// `lrsched train ARGS` fails with exit status 2, nothing on stdout and exactly `message`.
fn rejects(args: &[&str], message: &str) {
    super::cli::rejects(&[&["train"], args].concat(), message);
}

#[test]
fn next_lr_table_is_the_pytorch_demo_output_byte_for_byte() {
    for g in golden() {
        let optimizer = g.json["optimizer"].as_str().unwrap();
        let want = g.json["stdout"].as_str().unwrap();
        let embedded = train(&["--torch-seed0", "--next-lr", "--optimizer", optimizer]);
        assert_eq!(embedded, want, "{}: --torch-seed0", g.name);
        let files = train(&[
            "--data",
            "tests/golden/train-seed0-data.csv",
            "--init",
            "tests/golden/train-seed0-init.json",
            "--next-lr",
            "--optimizer",
            optimizer,
        ]);
        assert_eq!(files, want, "{}: --data/--init", g.name);
    }
}

#[test]
fn table_shows_the_lr_each_update_used_and_the_final_weights() {
    let out = train(&["--torch-seed0"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    assert_eq!(lines[0], "Step | Learning Rate | Loss");
    assert_eq!(lines[1], "   0 | 0.0000 | 1.1033");
    assert_eq!(lines[2], "   1 | 0.0200 | 1.1033");
    assert_eq!(lines[10], "   9 | 0.1000 | 0.3881");
    assert!(
        lines[11].starts_with("Final weight: [-0.2826, 0.1078, "),
        "{}",
        lines[11]
    );
    assert!(lines[11].ends_with("] bias: -0.1136"), "{}", lines[11]);
}

#[test]
fn no_flags_is_the_demo_run_on_seeded_data() {
    let out = train(&[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    let lr: Vec<&str> = lines[1..11]
        .iter()
        .map(|l| l.split(" | ").nth(1).unwrap())
        .collect();
    assert_eq!(
        lr,
        [
            "0.0000", "0.0200", "0.0400", "0.0600", "0.0800", "0.1000", "0.1000", "0.1000",
            "0.1000", "0.1000"
        ]
    );
    // The same as spelling the defaults out.
    assert_eq!(
        train(&[
            "--seed",
            "0",
            "--samples",
            "10",
            "--features",
            "10",
            "--steps",
            "10",
            "--warmup",
            "5",
            "--base-lr",
            "0.1",
            "--optimizer",
            "sgd",
            "--schedule",
            "constant_with_warmup"
        ]),
        out
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let a = train(&["--seed", "7", "--format", "csv"]);
    assert_eq!(train(&["--seed", "7", "--format", "csv"]), a);
    assert_ne!(train(&["--seed", "8", "--format", "csv"]), a);
    // The weights depend on the seed and the features only, so more samples keep them.
    let short = train(&[
        "--seed",
        "7",
        "--samples",
        "3",
        "--steps",
        "1",
        "--format",
        "json",
    ]);
    let long = train(&[
        "--seed",
        "7",
        "--samples",
        "30",
        "--steps",
        "1",
        "--format",
        "json",
    ]);
    let weights = |text: &str| -> Value {
        let j: Value = serde_json::from_str(text).unwrap();
        j["weight"].clone()
    };
    // lr 0 at step 0: the weights after one step are the initial ones.
    assert_eq!(weights(&short), weights(&long));
}

#[test]
fn csv_has_full_precision_losses() {
    let out = train(&["--torch-seed0", "--format", "csv"]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("step,lr,loss"));
    let g = &golden()[0];
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 10);
    for (line, want) in rows.iter().zip(g.json["rows"].as_array().unwrap()) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert_eq!(
            fields[0].parse::<u64>().unwrap(),
            want["step"].as_u64().unwrap()
        );
        assert_eq!(
            fields[1].parse::<f64>().unwrap(),
            want["lr_used"].as_f64().unwrap()
        );
        let loss: f64 = fields[2].parse().unwrap();
        let torch = want["loss"].as_f64().unwrap();
        assert!(
            (loss - torch).abs() <= RTOL * torch,
            "{line}: torch {torch}"
        );
        // Full precision: the text is the f32 value exactly.
        assert_eq!(f64::from(loss as f32), loss, "{line}");
    }
    let next = train(&["--torch-seed0", "--format", "csv", "--next-lr"]);
    assert!(
        next.lines()
            .nth(1)
            .unwrap()
            .starts_with("0,0.020000000000000004,"),
        "{next}"
    );
}

#[test]
fn json_has_the_rows_the_run_and_the_final_parameters() {
    let out = train(&["--optimizer", "adam", "--torch-seed0", "--format", "json"]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["optimizer"], "adam");
    assert_eq!(j["schedule"]["schedule"], "constant_with_warmup");
    assert_eq!(j["schedule"]["steps"], 10);
    assert_eq!(j["schedule"]["warmup"], 5);
    assert_eq!(j["data"]["torch_seed0"], true);
    assert_eq!(j["data"]["samples"], 10);
    assert_eq!(j["data"]["features"], 10);
    assert_eq!(j["lr"], "used");
    let rows = j["rows"].as_array().unwrap();
    let want = golden()[1].json["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 10);
    for (row, want) in rows.iter().zip(&want) {
        assert_eq!(row["step"], want["step"]);
        assert_eq!(row["lr"], want["lr_used"]);
        let torch = want["loss"].as_f64().unwrap();
        assert!((row["loss"].as_f64().unwrap() - torch).abs() <= RTOL * torch);
    }
    assert_eq!(j["weight"].as_array().unwrap().len(), 10);
    assert!(j["bias"].is_f64());
    assert!(j.get("diverged").is_none());
}

#[test]
fn data_and_init_files_set_the_model_size() {
    let data = temp_file(
        "three.csv",
        "x1,x2,x3,y\n1,0,0,1\n0,1,0,2\n0,0,1,3\n1,1,1,6\n",
    );
    let init = temp_file("three.json", r#"{"weight": [[0, 0, 0]], "bias": [0]}"#);
    let out = train(&[
        "--data",
        data.str(),
        "--init",
        init.str(),
        "--steps",
        "200",
        "--warmup",
        "0",
        "--format",
        "json",
    ]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["data"]["features"], 3);
    assert_eq!(j["data"]["samples"], 4);
    // y = x1 + 2 x2 + 3 x3 is learnt.
    let w: Vec<f64> = j["weight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (got, want) in w.iter().zip([1.0, 2.0, 3.0]) {
        assert!((got - want).abs() < 0.05, "{w:?}");
    }
    // Without --init, the weights come from the seed, sized for the data.
    let out = train(&["--data", data.str(), "--seed", "3", "--format", "json"]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["weight"].as_array().unwrap().len(), 3);
    assert_eq!(j["init"]["seed"], 3);
}

#[test]
fn bad_data_is_rejected_with_file_line_and_reason() {
    let ragged = temp_file("ragged.csv", "x1,x2,y\n1,2,3\n4,5\n");
    rejects(
        &["--data", ragged.str()],
        &format!("{ragged}:3: 2 values, but the header has 3; every row needs the same columns"),
    );
    let word = temp_file("word.csv", "x1,y\n1,2\n3,four\n");
    rejects(
        &["--data", word.str()],
        &format!("{word}:3: column 2 (y): 'four' is not a number"),
    );
    let one = temp_file("one.csv", "y\n1\n2\n");
    rejects(
        &["--data", one.str()],
        &format!(
            "{one}:1: 1 column; the data needs at least two, x1,...,xn,y: the features, then the target"
        ),
    );
    let empty = temp_file("empty.csv", "x1,x2,y\n\n");
    rejects(
        &["--data", empty.str()],
        &format!("{empty}: a header but no rows; add one row of 3 numbers per sample"),
    );
    let short = temp_file(
        "short.json",
        "{\n  \"weight\": [0.1, 0.2],\n  \"bias\": 0\n}\n",
    );
    rejects(
        &["--init", short.str()],
        &format!(
            "{short}:2:3: \"weight\" has 2 values, but the data has 10 features (Linear(10, 1) needs 10)"
        ),
    );
    rejects(
        &["--data", "no/such/file.csv"],
        "cannot read data file no/such/file.csv: No such file or directory (os error 2)",
    );
    rejects(
        &["--data", ragged.str(), "--init", short.str(), "--seed", "1"],
        "--seed makes the data or the initial weights, but --data and --init give both",
    );
}

#[test]
fn a_diverging_run_stops_at_its_step_with_status_1() {
    let out = lrsched()
        .args(["train", "--base-lr", "1e30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: training diverged at step 2 (lr 4.0000000000000004e+29): the loss is inf\n"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    // The header and the rows before the divergence, no final weights.
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[2].starts_with("   1 | "), "{stdout}");

    // JSON stays a valid document that says where it stopped.
    let out = lrsched()
        .args(["train", "--base-lr", "1e30", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["rows"].as_array().unwrap().len(), 2);
    assert_eq!(j["diverged"]["step"], 2);
    assert_eq!(j["diverged"]["what"], "loss");
    assert!(j.get("weight").is_none());
}

#[test]
fn schedules_without_warmup_get_none_by_default() {
    let out = train(&["--schedule", "constant", "--format", "csv"]);
    assert!(out.lines().nth(1).unwrap().starts_with("0,0.1,"), "{out}");
    assert_eq!(out.lines().count(), 11);
}

/// `--digits D`: the demo's `.4f` shows small learning rates as `0.0000`; significant
/// digits keep them, in a column as wide as its values.
#[test]
fn digits_round_to_significant_digits() {
    let args = [
        "--torch-seed0",
        "--optimizer",
        "adam",
        "--schedule",
        "cosine",
        "--base-lr",
        "3e-4",
        "--warmup",
        "2",
        "--steps",
        "6",
    ];
    assert_eq!(
        train(&[&args[..], &["--digits", "4"]].concat()),
        "Step | Learning Rate | Loss
   0 | 0.0           | 1.103
   1 | 0.00015       | 1.103
   2 | 0.0003        | 1.102
   3 | 0.0002561     | 1.101
   4 | 0.00015       | 1.099
   5 | 4.393e-05     | 1.099
Final weight: [-0.003267, 0.1705, -0.2594, -0.2318, -0.1227, 0.0839, -0.007165, 0.2498, -0.02896, 0.08278] bias: -0.09647
"
    );
    // Each rounded number is the CSV's full one rounded, in every column.
    let csv = train(&[&args[..], &["--format", "csv"]].concat());
    for digits in ["1", "6", "17"] {
        let table = train(&[&args[..], &["--digits", digits]].concat());
        let d: usize = digits.parse().unwrap();
        for (row, full) in table.lines().skip(1).zip(csv.lines().skip(1)) {
            let want: Vec<String> = full
                .split(',')
                .skip(1)
                .map(|v| lrsched::format::significant(v.parse().unwrap(), d))
                .collect();
            let got: Vec<&str> = row.split('|').skip(1).map(str::trim).collect();
            assert_eq!(got, want, "--digits {digits}: {row} | {full}");
        }
    }
    // Without --digits the table stays the demo's.
    assert!(train(&args).contains("\n   5 | 0.0000 | 1.0986\n"));
    rejects(
        &[&args[..], &["--digits", "4", "--format", "csv"]].concat(),
        "--digits 4 rounds the table; --format csv and json write every number in full, as \
         Python's repr",
    );
}
