//! The command line of run accounting: `lrsched list --runtimes`.

use crate::cli::lrsched;
use lrsched::run::runtime::RULES;

#[test]
fn list_runtimes_gives_each_rule_and_its_source() {
    let out = lrsched().args(["list", "--runtimes"]).output().unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(
        "torch       scheduler.step() once after each optimizer.step(): update u uses\n            \
         step u\n            source: torch/optim/lr_scheduler.py (LRScheduler.step)\n\nhf          \
         Trainer:"
    ));
    let paragraphs: Vec<&str> = text.trim_end().split("\n\n").collect();
    assert_eq!(paragraphs.len(), RULES.len());
    for (paragraph, rule) in paragraphs.iter().zip(RULES) {
        assert!(paragraph.starts_with(rule.name), "{paragraph}");
        let joined = paragraph
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains(
                rule.rule
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str()
            )
        );
        assert!(
            joined.ends_with(&format!("source: {}", rule.source)),
            "{joined}"
        );
        assert!(
            paragraph.lines().all(|l| l.chars().count() <= 92),
            "{paragraph}"
        );
    }
    lrsched()
        .args(["list", "--runtimes", "cosine"])
        .assert()
        .code(2);
}

/// The command line of a golden Trainer run: its settings as run flags.
fn flags(case: &serde_json::Value) -> Vec<String> {
    let s = &case["settings"];
    let mut args: Vec<String> = vec![
        "--schedule".into(),
        s["lr_scheduler_type"].as_str().unwrap().into(),
        "--base-lr".into(),
        s["learning_rate"].to_string(),
        "--samples".into(),
        s["samples"].to_string(),
        "--batch-size".into(),
        s["per_device_train_batch_size"].to_string(),
        "--devices".into(),
        s["world_size"].to_string(),
        "--grad-accum".into(),
        s["gradient_accumulation_steps"].to_string(),
        "--epochs".into(),
        s["num_train_epochs"].to_string(),
        "--max-steps".into(),
        s["max_steps"].to_string(),
    ];
    if s["dataloader_drop_last"].as_bool().unwrap() {
        args.push("--drop-last".into());
    }
    let w = s["warmup_steps"].as_f64().unwrap();
    if w >= 1.0 {
        assert_eq!(w.fract(), 0.0, "--warmup takes whole steps");
        args.extend(["--warmup".into(), (w as u64).to_string()]);
    } else if w > 0.0 {
        args.extend(["--warmup-ratio".into(), s["warmup_steps"].to_string()]);
    }
    for (k, v) in s["lr_scheduler_kwargs"].as_object().unwrap() {
        args.extend(["--set".into(), format!("{k}={v}")]);
    }
    args
}

fn golden_cases() -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for text in [
        include_str!("../golden/hf-trainer-runs.json"),
        include_str!("../golden/hf-trainer-runs-multiproc.json"),
    ] {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        all.extend(json["cases"].as_array().unwrap().iter().cloned());
        if let Some(errors) = json["error_cases"].as_array() {
            all.extend(errors.iter().cloned());
        }
    }
    all
}

fn csv_lrs(stdout: &[u8]) -> Vec<(u64, f64)> {
    let text = std::str::from_utf8(stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("step,multiplier,lr"));
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols[0].parse().unwrap(), cols[2].parse().unwrap())
        })
        .collect()
}

fn close(got: &[(u64, f64)], want: &[(u64, f64)]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.0 == w.0 && (g.1 - w.1).abs() <= 1e-12 * w.1.abs())
}

#[test]
fn csv_with_samples_gives_every_trainer_update_and_log() {
    let mut failures = Vec::new();
    for case in golden_cases() {
        let id = case["id"].as_str().unwrap();
        let args = flags(&case);
        let out = lrsched().arg("csv").args(&args).output().unwrap();
        if let Some(error) = case["error"].as_str() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let message = error.trim_start_matches("ValueError: ");
            if out.status.code() != Some(2) || !out.stdout.is_empty() || !stderr.contains(message) {
                failures.push(format!(
                    "{id}: expected a refusal with {message:?}, got {stderr:?}"
                ));
            }
            continue;
        }
        if !out.status.success() {
            failures.push(format!("{id}: {}", String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        let want: Vec<(u64, f64)> = case["lr_used"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(k, v)| (k as u64, v.as_f64().unwrap()))
            .collect();
        let got = csv_lrs(&out.stdout);
        if !close(&got, &want) {
            failures.push(format!("{id}: rows {got:?}, lr_used {want:?}"));
        }
        let logged = lrsched()
            .arg("csv")
            .args(&args)
            .args(["--logged", "--logging-steps"])
            .arg(case["settings"]["logging_steps"].to_string())
            .output()
            .unwrap();
        let want: Vec<(u64, f64)> = case["logged_lr"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let got = csv_lrs(&logged.stdout);
        if !close(&got, &want) {
            failures.push(format!("{id} --logged: rows {got:?}, logged_lr {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn table_with_samples_writes_one_row_per_update() {
    lrsched()
        .args([
            "table",
            "--schedule",
            "linear",
            "--samples",
            "100",
            "--batch-size",
            "8",
            "--grad-accum",
            "2",
            "--epochs",
            "1",
            "--warmup",
            "2",
        ])
        .assert()
        .success()
        .stdout(
            "Step | Multiplier | Learning Rate\n   \
             0 | 0.0        | 0.0\n   \
             1 | 0.5        | 0.05\n   \
             2 | 1.0        | 0.1\n   \
             3 | 0.8        | 0.08000000000000002\n   \
             4 | 0.6        | 0.06\n   \
             5 | 0.4        | 0.04000000000000001\n   \
             6 | 0.2        | 0.020000000000000004\n",
        );
}

#[test]
fn json_with_samples_carries_the_derivation_and_runtime() {
    let out = lrsched()
        .args([
            "json",
            "--schedule",
            "linear",
            "--samples",
            "20",
            "--batch-size",
            "4",
            "--epochs",
            "1",
            "--devices",
            "2",
            "--runtime",
            "accelerate",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &json["schedule"]["run"];
    assert_eq!(run["total_updates"]["how"], "x 1 epoch = 3 updates");
    assert_eq!(
        run["batches_per_epoch"]["how"],
        "20 samples / (4 x 2) = 3 batches/epoch"
    );
    assert_eq!(json["schedule"]["runtime"]["name"], "accelerate");
    assert_eq!(json["schedule"]["runtime"]["processes"], 2);
    assert_eq!(json["schedule"]["steps"], 3);
    // Each update steps the scheduler twice: steps 0, 2, 4 of a 3-step linear decay.
    let lrs: Vec<f64> = json["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["lr"].as_f64().unwrap())
        .collect();
    assert_eq!(lrs, [0.1, 0.03333333333333333, 0.0]);
}

#[test]
fn run_flags_are_refused_with_reasons() {
    use crate::cli::rejects;
    rejects(
        &[
            "table",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "1",
            "--steps",
            "5",
        ],
        "--steps 5 and --samples both size the schedule; with --samples the horizon \
         is the run's max_steps (give --max-steps for a fixed number of updates)",
    );
    rejects(
        &["csv", "--samples", "10", "--epochs", "1"],
        "the run needs the per-device batch size: give --batch-size \
         (per_device_train_batch_size)",
    );
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "0",
            "--epochs",
            "1",
        ],
        "--batch-size (per_device_train_batch_size) is 0; it must be at least 1",
    );
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "-1",
        ],
        "--epochs (num_train_epochs) is -1; it must be a number of epochs, 0 or more",
    );
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "1",
            "--logged",
            "--runtime",
            "torch",
        ],
        "--logged gives the Trainer's logged learning_rate, which needs --runtime hf, \
         not torch",
    );
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "0",
        ],
        "the run gives the schedule a horizon of 0 steps (num_training_steps), which lrsched \
         cannot evaluate: 10 samples / (2 x 1) = 5 batches/epoch; \
         / accum 1 = 5 updates/epoch; x 0 epochs = 0 updates; no warmup",
    );
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "1",
            "--logged",
            "--every",
            "2",
        ],
        "--from and --every choose updates; --logged writes the logging steps, which \
         --logging-steps chooses",
    );
    // Without --samples the run flags mean nothing.
    lrsched()
        .args(["csv", "--batch-size", "2"])
        .assert()
        .code(2)
        .stdout("");
}

#[test]
fn constant_ignores_the_trainers_warmup() {
    let out = lrsched()
        .args([
            "csv",
            "--schedule",
            "constant",
            "--samples",
            "16",
            "--batch-size",
            "8",
            "--epochs",
            "1",
            "--warmup",
            "5",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(csv_lrs(&out.stdout), [(0, 0.1), (1, 0.1)]);
}
