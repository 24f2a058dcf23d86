//! Every case of `tests/golden/hf-trainer-runs.json` (world size 1) and
//! `hf-trainer-runs-multiproc.json` (2 and 3 processes, with `--devices`) through the
//! command line as a user runs it: the case's `training_arguments_json` written to a file (as JSON, and
//! the same as YAML), `lrsched csv --config FILE --samples N` gives `lr_used` (rtol 1e-12)
//! and with `--logged` the logged values, and the run the Trainer refuses is refused.

use serde_json::Value;

use crate::cli::lrsched;
use crate::scratch::{TempFile, tempdir};

fn golden() -> Value {
    serde_json::from_str(include_str!("../golden/hf-trainer-runs.json")).unwrap()
}

/// The case's TrainingArguments written as `name` (`.json` or `.yaml`).
fn write_args(case: &Value, name: &str) -> TempFile {
    let args = &case["training_arguments_json"];
    let text = if name.ends_with(".yaml") {
        serde_norway::to_string(args).unwrap()
    } else {
        serde_json::to_string_pretty(args).unwrap()
    };
    TempFile::new(name, text)
}

/// `(step, lr)` of each row of `lrsched csv ARGS`.
fn csv_rows(args: &[&str]) -> Result<Vec<(u64, f64)>, String> {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    if out.status.code() != Some(0) {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8(out.stdout).unwrap();
    Ok(text
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].parse().unwrap(), fields[2].parse().unwrap())
        })
        .collect())
}

fn close(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= 1e-12 * want.abs().max(got.abs())
}

/// The failures of one case read from `file`, run on the case's world size.
fn check(case: &Value, file: &std::path::Path) -> Vec<String> {
    let id = format!("{} ({})", case["id"].as_str().unwrap(), file.display());
    let samples = case["settings"]["samples"].as_u64().unwrap().to_string();
    let devices = case["settings"]["world_size"].as_u64().unwrap().to_string();
    let file = file.to_str().unwrap();
    let mut failures = Vec::new();
    let want: Vec<f64> = case["lr_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    match csv_rows(&[
        "--config",
        file,
        "--samples",
        &samples,
        "--devices",
        &devices,
    ]) {
        Err(e) => failures.push(format!("{id}: {e}")),
        Ok(rows) => {
            if rows.len() != want.len() {
                failures.push(format!(
                    "{id}: {} updates, the Trainer made {}",
                    rows.len(),
                    want.len()
                ));
            }
            for (k, (&(step, got), &want)) in rows.iter().zip(&want).enumerate() {
                if step != k as u64 || !close(got, want) {
                    failures.push(format!(
                        "{id}: update {k}: row {step} lr {got}, want {want}"
                    ));
                }
            }
        }
    }
    let logged: Vec<(u64, f64)> = case["logged_lr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    match csv_rows(&[
        "--config",
        file,
        "--samples",
        &samples,
        "--devices",
        &devices,
        "--logged",
    ]) {
        Err(e) => failures.push(format!("{id} --logged: {e}")),
        Ok(rows) => {
            let same = rows.len() == logged.len()
                && rows
                    .iter()
                    .zip(&logged)
                    .all(|(g, w)| g.0 == w.0 && close(g.1, w.1));
            if !same {
                failures.push(format!(
                    "{id} --logged: {rows:?}, the Trainer logged {logged:?}"
                ));
            }
        }
    }
    failures
}

#[test]
fn training_arguments_files_with_samples_give_the_trainers_updates() {
    let golden = golden();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 33);
    let mut failures = Vec::new();
    for case in cases {
        assert_eq!(case["settings"]["world_size"], 1);
        for name in ["args.json", "args.yaml"] {
            failures.extend(check(case, &write_args(case, name)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn multi_process_runs_with_devices_give_the_trainers_updates() {
    let golden: Value =
        serde_json::from_str(include_str!("../golden/hf-trainer-runs-multiproc.json")).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in golden["cases"].as_array().unwrap() {
        if !case["error"].is_null() {
            let samples = case["settings"]["samples"].to_string();
            let devices = case["settings"]["world_size"].to_string();
            let file = write_args(case, "args.yaml");
            let out = lrsched()
                .args(["csv", "--config", file.to_str().unwrap()])
                .args(["--samples", &samples, "--devices", &devices])
                .output()
                .unwrap();
            if out.status.code() != Some(2) {
                failures.push(format!("{}: accepted, the Trainer raised", case["id"]));
            }
            continue;
        }
        checked += 1;
        for name in ["args.json", "args.yaml"] {
            failures.extend(check(case, &write_args(case, name)));
        }
    }
    assert!(checked >= 10, "{checked} runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_empty_dataloader_without_max_steps_is_refused_as_the_trainer_refuses_it() {
    let golden = golden();
    for case in golden["error_cases"].as_array().unwrap() {
        let Some(args) = case.get("training_arguments_json") else {
            continue;
        };
        assert!(args.is_object());
        let samples = case["settings"]["samples"].as_u64().unwrap().to_string();
        for name in ["args.json", "args.yaml"] {
            let file = write_args(case, name);
            let out = lrsched()
                .args(["csv", "--config", file.to_str().unwrap(), "--samples"])
                .arg(&samples)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{}", case["id"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("args.max_steps must be set to a positive value"),
                "{}: {stderr}",
                case["id"]
            );
        }
    }
}

#[test]
fn constant_ignores_a_configs_warmup_as_the_trainer_does() {
    let dir = tempdir();
    let file = dir.path().join("args.yaml");
    std::fs::write(
        &file,
        "lr_scheduler_type: constant\nwarmup_steps: 5\nlearning_rate: 0.1\n\
         per_device_train_batch_size: 8\nnum_train_epochs: 1\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let rows = csv_rows(&["--config", file, "--samples", "100"]).unwrap();
    assert_eq!(rows.len(), 13);
    assert!(rows.iter().all(|&(_, lr)| lr == 0.1));
    let out = lrsched()
        .args(["json", "--config", file, "--samples", "100"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["schedule"]["run"]["notes"],
        serde_json::json!([
            "constant takes no warmup: the Trainer passes num_warmup_steps=5 and \
             get_scheduler ignores it"
        ])
    );
    // Without --samples the command line asking for a warmup of constant is refused.
    let out = lrsched()
        .args(["csv", "--schedule", "constant", "--warmup", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes no warmup"));
}

#[test]
fn run_flags_win_over_the_config() {
    let dir = tempdir();
    let file = dir.path().join("args.json");
    std::fs::write(
        &file,
        r#"{"per_device_train_batch_size": 8, "num_train_epochs": 1, "warmup_steps": 2,
            "learning_rate": 0.1, "lr_scheduler_type": "linear"}"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    // 100 samples / 8 = 13 updates; with --batch-size 10, 10 updates; --warmup 0 drops it.
    let rows = csv_rows(&["--config", file, "--samples", "100"]).unwrap();
    assert_eq!((rows.len(), rows[0].1, rows[1].1), (13, 0.0, 0.05));
    let rows = csv_rows(&["--config", file, "--samples", "100", "--batch-size", "10"]).unwrap();
    assert_eq!(rows.len(), 10);
    let rows = csv_rows(&["--config", file, "--samples", "100", "--warmup", "0"]).unwrap();
    assert_eq!(rows[0].1, 0.1);
    assert!(close(rows[1].1, 0.1 * 12.0 / 13.0), "{rows:?}");
}
