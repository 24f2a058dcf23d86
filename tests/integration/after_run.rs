//! After a run, end to end: `check --against` a real trainer_state.json (passing, and
//! failing at the right step when a value or the warmup is changed), and `lrsched diff` of
//! configs and their `lrsched json` round trips, with first and largest differences checked
//! against the CSVs of both schedules.

use lrsched::format::py_repr;
use serde_json::Value;

use super::cli::{lrsched, rejects};
use super::scratch::{TempFile, tempdir};
use tempfile::TempDir;

const ARGS: &str = "tests/golden/trainer-state/training_args.json";
const STATE: &str = "tests/golden/trainer-state/trainer_state.json";
const PERTURBED: &str = "tests/fixtures/trainer-state/perturbed_trainer_state.json";

const RUN_LINES: &str = "schedule   cosine, warmup 19, steps 189, base_lr 0.001
run        1000 samples / (8 x 1) = 125 batches/epoch; / accum 2 = 63 updates/epoch; x 3 \
                         epochs = 189 updates; warmup ratio 0.1 -> 19 steps (runtime hf)
";

/// `lrsched ARGS`: exit status, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = lrsched().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn against(log: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "check",
        "--config",
        ARGS,
        "--samples",
        "1000",
        "--against",
        log,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The golden trainer state with the learning_rate logged at `step` scaled by `factor`.
fn perturbed(step: u64, factor: f64) -> TempFile {
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(STATE).unwrap()).unwrap();
    for entry in state["log_history"].as_array_mut().unwrap() {
        if entry["step"].as_u64() == Some(step) && entry.get("learning_rate").is_some() {
            let lr = entry["learning_rate"].as_f64().unwrap();
            entry["learning_rate"] = serde_json::json!(lr * factor);
        }
    }
    TempFile::new(
        "trainer_state.json",
        serde_json::to_string_pretty(&state).unwrap(),
    )
}

#[test]
fn a_real_trainer_state_matches_its_training_arguments() {
    let (code, stdout, stderr) = against(STATE, &[]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert_eq!(
        stdout,
        format!(
            "{RUN_LINES}
log: {STATE} (log step s = the lr of update s-1), relative tolerance 1e-06
rows compared: 37; 4 schedule steps after the last logged one
largest error: 0.00e0 relative (0.00e0 absolute) at step 5 (line 15): logged \
             0.00021052631578947367, schedule 0.00021052631578947367
match: every logged lr is the schedule's
"
        )
    );
}

#[test]
fn the_committed_perturbed_copy_fails_naming_step_90() {
    let (code, stdout, stderr) = against(PERTURBED, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stdout,
        format!(
            "{RUN_LINES}
log: {PERTURBED} (log step s = the lr of update s-1), relative tolerance 1e-06
rows compared: 37; 4 schedule steps after the last logged one
largest error: 9.99e-4 relative (6.37e-7 absolute) at step 90 (line 134): logged \
             0.0006374683265310775, schedule 0.0006368314950360416
first difference: step 90 (line 134): logged 0.0006374683265310775, schedule \
             0.0006368314950360416 (step 89), relative error 9.99e-4
mismatch: 1 of 37 rows differ
"
        )
    );
    assert_eq!(
        stderr,
        "error: the log differs from the schedule: 1 of 37 rows, the first at step 90 (logged \
         0.0006374683265310775, schedule 0.0006368314950360416)\n"
    );
    // Logs are often float32: a tolerance above the change lets it pass.
    assert_eq!(against(PERTURBED, &["--tolerance", "1e-2"]).0, Some(0));
}

#[test]
fn any_perturbed_value_is_named_by_its_step() {
    for (step, factor) in [(5, 1.01), (20, 0.999), (100, 1.0 + 1e-5), (185, 2.0)] {
        let log = perturbed(step, factor);
        let (code, stdout, stderr) = against(log.str(), &["--format", "json"]);
        assert_eq!(code, Some(1), "step {step}");
        let json: Value = serde_json::from_str(&stdout).unwrap();
        let first = &json["comparison"]["first_mismatch"];
        assert_eq!(first["step"], step, "{stdout}");
        assert_eq!(first["schedule_step"], step - 1);
        assert_eq!(json["comparison"]["mismatches"], 1);
        assert_eq!(json["passed"], false);
        assert!(
            stderr.contains(&format!("the first at step {step} (logged ")),
            "{stderr}"
        );
    }
}

#[test]
fn a_changed_warmup_fails_from_the_first_logged_step() {
    for flags in [
        &["--warmup", "10"][..],
        &["--warmup", "20"],
        &["--warmup-ratio", "0.2"],
    ] {
        let (code, stdout, stderr) = against(STATE, flags);
        assert_eq!(code, Some(1), "{flags:?}");
        assert!(
            stdout.contains("first difference: step 5 (line 15): logged 0.00021052631578947367"),
            "{flags:?}: {stdout}"
        );
        assert!(
            stderr.starts_with("error: the log differs from the schedule: "),
            "{stderr}"
        );
    }
    // The same change made in the TrainingArguments file.
    let text = std::fs::read_to_string(ARGS)
        .unwrap()
        .replace("\"warmup_steps\": 0.1", "\"warmup_steps\": 0.05");
    let args = TempFile::new("training_args.json", text);
    let (code, stdout, _) = run(&[
        "check",
        "--config",
        args.str(),
        "--samples",
        "1000",
        "--against",
        STATE,
    ]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("warmup ratio 0.05 -> 10 steps"), "{stdout}");
    assert!(
        stdout.contains("mismatch: 37 of 37 rows differ"),
        "{stdout}"
    );
    assert!(
        stdout.contains("likely cause: warmup too long by a factor of 2"),
        "{stdout}"
    );
}

#[test]
fn a_run_of_another_size_gets_a_note() {
    let (code, stdout, _) = against(STATE, &["--devices", "2"]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains(
        "rows compared: 19; 18 only in the log (from step 100); 1 schedule step after the last \
         logged one\n"
    ));
    assert!(stdout.ends_with(
        "note: the log's run planned 189 updates (max_steps), this one makes 96; check \
         --samples, --batch-size, --devices, --grad-accum and --epochs\n"
    ));
}

#[test]
fn json_report_parses_back() {
    let (code, stdout, _) = against(STATE, &["--format", "json"]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["log"]["format"], "trainer_state");
    assert_eq!(json["log"]["rows"], 37);
    assert_eq!(json["log"]["max_steps"], 189);
    assert_eq!(json["schedule"]["schedule"], "cosine");
    assert_eq!(json["schedule"]["run"]["total_updates"]["value"], 189);
    assert_eq!(json["comparison"]["rows_compared"], 37);
    assert_eq!(json["comparison"]["steps_only_in_schedule"], 4);
    assert_eq!(json["comparison"]["matches"], true);
    assert_eq!(json["note"], Value::Null);
}

#[test]
fn csv_and_json_lines_logs_of_the_run() {
    let flags = ["--config", ARGS, "--samples", "1000"];
    // One row per update, as lrsched csv writes it.
    let csv = lrsched().arg("csv").args(flags).output().unwrap();
    let log = TempFile::new("lr.csv", &csv.stdout);
    let (code, stdout, _) = against(log.str(), &[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("log step s = schedule step s"), "{stdout}");
    assert!(stdout.contains("rows compared: 189\n"), "{stdout}");
    // What the Trainer logs, as W&B exports it: --logged reads step s as update s-1.
    let logged = lrsched()
        .arg("csv")
        .args(flags)
        .arg("--logged")
        .output()
        .unwrap();
    let text = String::from_utf8(logged.stdout).unwrap().replace(
        "step,multiplier,lr",
        "train/global_step,x,train/learning_rate",
    );
    let log = TempFile::new("wandb.csv", text);
    assert_eq!(against(log.str(), &["--logged"]).0, Some(0));
    let (code, stdout, _) = against(log.str(), &[]);
    assert_eq!(code, Some(1), "without --logged the steps are one off");
    assert!(stdout.contains("likely cause: off by one step"), "{stdout}");
    // JSON Lines with columns named by --log-columns.
    let lines = lrsched()
        .arg("json")
        .args(flags)
        .arg("--lines")
        .output()
        .unwrap();
    let text = String::from_utf8(lines.stdout)
        .unwrap()
        .replace("\"step\"", "\"it\"")
        .replace("\"lr\"", "\"rate\"");
    let log = TempFile::new("lr.jsonl", text);
    assert_eq!(against(log.str(), &["--log-columns", "it,rate"]).0, Some(0));
    let (code, _, stderr) = against(log.str(), &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("lr.jsonl: no line has both a step column"),
        "{stderr}"
    );
}

#[test]
fn bad_logs_and_misuse_exit_2() {
    let log = TempFile::new("bad.csv", "step,lr\n0,0.1\n1,zero\n");
    let (code, stdout, stderr) = against(log.str(), &[]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!("error: {}:3: lr is 'zero'; expected a number\n", log.str())
    );
    let (code, _, stderr) = against(STATE, &["--tolerance", "-1"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            Some(2),
            "error: --tolerance -1.0 must be a relative error, 0 or more\n"
        )
    );
    let empty = TempFile::new("empty.csv", "");
    let (code, _, stderr) = against(empty.str(), &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("the log is empty"), "{stderr}");
    rejects(
        &[
            "check",
            "--samples",
            "1000",
            "--against",
            STATE,
            ARGS,
            "examples/configs/training_args.yaml",
        ],
        "--against compares one schedule with one log, but 2 configs are given; check each \
         config against its own run's log in turn",
    );
    rejects(
        &["check", "--config", ARGS, "--against", STATE],
        &format!(
            "config {ARGS}: there is no \"max_steps\", so transformers takes the number of \
             steps from num_train_epochs and the dataset size, which lrsched cannot know; give \
             --steps N"
        ),
    );
    let (code, _, stderr) = run(&[
        "check",
        "--steps",
        "189",
        "--against",
        STATE,
        "--assert",
        "peak_lr < 1",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn check_with_samples_summarises_the_run_s_updates() {
    let run_check = run(&["check", "--config", ARGS, "--samples", "1000"]);
    let plain = run(&[
        "check",
        "--schedule",
        "cosine",
        "--steps",
        "189",
        "--warmup",
        "19",
        "--base-lr",
        "0.001",
    ]);
    // The same report, with the run's derivation and runtime after the schedule line.
    let derivation = "run        1000 samples / (8 x 1) = 125 batches/epoch; / accum 2 = 63 \
                      updates/epoch; x 3 epochs = 189 updates; warmup ratio 0.1 -> 19 steps\n\
                      runtime    hf, stepped once per update\n";
    let (head, tail) = plain.1.split_once('\n').unwrap();
    assert_eq!(run_check.1, format!("{head}\n{derivation}{tail}"));
    assert_eq!((run_check.0, &run_check.2), (plain.0, &plain.2));
    assert_eq!(run_check.0, Some(0));
    // accelerate steps the scheduler once per process: 2 devices make 96 updates, whose
    // 10-step warmup ends at update 5.
    let (_, stdout, _) = run(&[
        "check",
        "--config",
        ARGS,
        "--samples",
        "1000",
        "--devices",
        "2",
        "--runtime",
        "accelerate",
    ]);
    assert!(stdout.contains("\npeak_step  5\n"), "{stdout}");
}

/// A CSV of `lrsched csv ARGS`, as (step, lr) pairs.
fn lrs(args: &[&str]) -> Vec<(u64, f64)> {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].parse().unwrap(), fields[2].parse().unwrap())
        })
        .collect()
}

fn diff_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(&all);
    assert_eq!(stderr, "", "{args:?}");
    (code, serde_json::from_str(&stdout).unwrap())
}

#[test]
fn a_config_and_its_lrsched_json_round_trip_are_identical() {
    let cases: [(&str, &[&str]); 11] = [
        ("examples/configs/lr.json", &[]),
        ("examples/configs/lr.toml", &["--steps", "777"]),
        ("examples/configs/training_args.json", &[]),
        ("examples/configs/training_args.yaml", &["--samples", "40"]),
        (
            "examples/configs/ds_config.json",
            &["--samples", "64", "--epochs", "1"],
        ),
        ("examples/configs/lightning.yaml", &["--samples", "100"]),
        (ARGS, &["--samples", "1000", "--devices", "3"]),
        (
            ARGS,
            &[
                "--samples",
                "1000",
                "--runtime",
                "accelerate",
                "--devices",
                "2",
            ],
        ),
        // Runtime options and LLaMA-Factory's data arguments are read back too.
        (
            ARGS,
            &[
                "--samples",
                "1000",
                "--runtime",
                "accelerate",
                "--devices",
                "4",
                "--split-batches",
            ],
        ),
        (
            "examples/configs/lightning.yaml",
            &["--samples", "100", "--interval", "step", "--frequency", "3"],
        ),
        (
            "tests/fixtures/llama_factory/llama3_lora_sft.yaml",
            &["--samples", "91,1000"],
        ),
    ];
    for (config, flags) in cases {
        let out = lrsched()
            .args(["json", "--config", config])
            .args(flags)
            .output()
            .unwrap();
        assert!(out.status.success(), "{config}");
        let whole = TempFile::new("saved.json", &out.stdout);
        let document: Value = serde_json::from_slice(&out.stdout).unwrap();
        let member = TempFile::new("schedule.json", document["schedule"].to_string());
        for saved in [&whole, &member] {
            let mut args = vec![config, saved.str()];
            args.extend_from_slice(flags);
            let (code, json) = diff_json(&args);
            assert_eq!(code, Some(0), "{config} {flags:?}: {json}");
            assert_eq!(json["equal"], true);
            assert_eq!(json["steps_differing"], 0);
            assert_eq!(json["first_difference"], Value::Null);
            assert_eq!(json["largest_abs"], Value::Null);
            assert_eq!(json["sum_ratio"], 1.0);
            let points = document["points"].as_array().unwrap().len();
            assert_eq!(json["steps_compared"], points, "{config}");
        }
    }
}

/// A saved run's runtime, options included, is the one used without --runtime; option
/// flags apply on top of it, and are refused where it has no such option.
#[test]
fn a_saved_runtime_is_used_and_option_flags_apply_on_top() {
    let save = |args: &[&str]| {
        let out = lrsched().arg("json").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        TempFile::new("saved.json", out.stdout)
    };
    let lightning = "examples/configs/lightning.yaml";
    let saved = save(&[
        "--config",
        lightning,
        "--samples",
        "100",
        "--interval",
        "step",
        "--frequency",
        "3",
    ]);
    let replayed = lrs(&["--config", saved.str(), "--samples", "100"]);
    let stepped = [
        "--config",
        lightning,
        "--samples",
        "100",
        "--interval",
        "step",
    ];
    let mut every_third = stepped.to_vec();
    every_third.extend(["--frequency", "3"]);
    assert_eq!(replayed, lrs(&every_third));
    assert_ne!(replayed, lrs(&stepped));
    assert_eq!(
        lrs(&[
            "--config",
            saved.str(),
            "--samples",
            "100",
            "--frequency",
            "1"
        ]),
        lrs(&stepped)
    );
    let accelerate = [
        "--config",
        ARGS,
        "--samples",
        "1000",
        "--runtime",
        "accelerate",
        "--devices",
        "4",
    ];
    let mut per_call = accelerate.to_vec();
    per_call.extend(["--step-scheduler-with-optimizer", "false"]);
    let saved = save(&per_call);
    let replayed = lrs(&["--config", saved.str(), "--samples", "1000"]);
    assert_eq!(replayed, lrs(&per_call));
    assert_ne!(replayed, lrs(&accelerate));
    let hf = save(&["--config", ARGS, "--samples", "1000"]);
    rejects(
        &[
            "csv",
            "--config",
            hf.str(),
            "--samples",
            "1000",
            "--split-batches",
        ],
        "--split-batches applies to --runtime accelerate, not hf",
    );
}

/// The first differing step and the largest differences of two CSVs, computed here.
fn expected_differences(old: &[(u64, f64)], new: &[(u64, f64)]) -> (u64, (u64, f64), (u64, f64)) {
    let (mut first, mut abs, mut rel) = (None, (0, 0.0), (0, 0.0));
    for (&(step, a), &(_, b)) in old.iter().zip(new) {
        if a == b {
            continue;
        }
        first.get_or_insert(step);
        let d = (a - b).abs();
        if d > abs.1 {
            abs = (step, d);
        }
        let r = d / a.abs().max(b.abs());
        if r > rel.1 {
            rel = (step, r);
        }
    }
    (first.unwrap(), abs, rel)
}

#[test]
fn two_configs_report_the_right_first_step_and_largest_difference() {
    let dir = super::scratch::tempdir();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cosine = write(
        "cosine.json",
        r#"{"schedule": "cosine", "steps": 3000, "base_lr": 0.001, "warmup": 300}"#,
    );
    let shorter_warmup = write(
        "warmup.json",
        r#"{"schedule": "cosine", "steps": 3000, "base_lr": 0.001, "warmup": 200}"#,
    );
    let wsd = write(
        "wsd.yaml",
        "schedule: warmup_stable_decay\nsteps: 3000\nbase_lr: 0.001\nwarmup: 300\nparams:\n  num_decay_steps: 600\n",
    );
    let torch = write(
        "torch.toml",
        "schedule = \"CosineAnnealingLR\"\nsteps = 3000\nbase_lr = 0.001\nwarmup = 300\n[params]\nT_max = 2700\n",
    );
    let pairs = [
        (cosine.as_str(), shorter_warmup.as_str()),
        (cosine.as_str(), wsd.as_str()),
        (cosine.as_str(), torch.as_str()),
        (
            "examples/configs/training_args.json",
            "examples/configs/training_args_new.json",
        ),
    ];
    for (old, new) in pairs {
        let (a, b) = (lrs(&["--config", old]), lrs(&["--config", new]));
        let (first, abs, rel) = expected_differences(&a, &b);
        let (code, json) = diff_json(&[old, new]);
        assert_eq!(code, Some(1), "{old} {new}");
        assert_eq!(json["equal"], false);
        assert_eq!(json["first_difference"]["step"], first, "{old} {new}");
        let at = |s: u64| (a[s as usize].1, b[s as usize].1);
        assert_eq!(
            (
                json["first_difference"]["old"].as_f64().unwrap(),
                json["first_difference"]["new"].as_f64().unwrap()
            ),
            at(first)
        );
        assert_eq!(json["largest_abs"]["step"], abs.0, "{old} {new}");
        assert_eq!(json["largest_abs"]["abs"].as_f64().unwrap(), abs.1);
        assert_eq!(json["largest_rel"]["step"], rel.0, "{old} {new}");
        assert_eq!(json["largest_rel"]["rel"].as_f64().unwrap(), rel.1);
        let differing = a.iter().zip(&b).filter(|(x, y)| x.1 != y.1).count();
        assert_eq!(json["steps_differing"], differing);
        // Peak, final lr and the budget of each are those check reports.
        for (side, config) in [("old", old), ("new", new)] {
            let (_, report, _) = run(&["check", "--config", config, "--format", "json"]);
            let report: Value = serde_json::from_str(&report).unwrap();
            let summary = &report["summary"];
            for (mine, theirs) in [
                ("peak_lr", "peak_lr"),
                ("peak_step", "peak_step"),
                ("final_lr", "final_lr"),
                ("sum_lr", "sum_lr"),
            ] {
                assert_eq!(json[side][mine], summary[theirs], "{config} {mine}");
            }
        }
        let ratio =
            json["new"]["sum_lr"].as_f64().unwrap() / json["old"]["sum_lr"].as_f64().unwrap();
        assert_eq!(json["sum_ratio"].as_f64().unwrap(), ratio);
    }
}

#[test]
fn diff_text_exit_status_and_tolerance() {
    let dir = super::scratch::tempdir();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    std::fs::write(
        &old,
        r#"{"expr": "1 - step / 10", "steps": 10, "base_lr": 1.0}"#,
    )
    .unwrap();
    std::fs::write(
        &new,
        r#"{"expr": "1 - step / 10 + 1e-9 * (step == 7)", "steps": 10, "base_lr": 1.0}"#,
    )
    .unwrap();
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    // The values, sums and differences are Python's: 1 - s/10 + 1e-9*(s == 7), math.fsum.
    let (code, stdout, stderr) = run(&["diff", old, new]);
    assert_eq!((code, stderr.as_str()), (Some(1), ""));
    assert_eq!(
        stdout,
        format!(
            "old  {old}: --expr \"1 - step / 10\", warmup 0, steps 10, base_lr 1.0
new  {new}: --expr \"1 - step / 10 + 1e-9 * (step == 7)\", warmup 0, steps 10, base_lr 1.0

           old                  new
steps      0 to 9               0 to 9
peak_lr    1.0 at step 0        1.0 at step 0
final_lr   0.09999999999999998  0.09999999999999998
sum_lr     5.5                  5.500000001
sum ratio  1.0000000001818181 (new / old)

first difference  step 7: old 0.30000000000000004, new 0.30000000100000007
largest absolute  1.0000000272292198e-09 at step 7: old 0.30000000000000004, new 0.30000000100000007
largest relative  3.3333334129862872e-09 at step 7: old 0.30000000000000004, new 0.30000000100000007

different: 1 of 10 steps differ
"
        )
    );
    let (code, stdout, _) = run(&["diff", old, new, "--tolerance", "1e-8"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.ends_with("\nequal within relative 1e-08: 10 steps compared\n"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["diff", old, new, "--tolerance", "1e-9"]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.ends_with("\ndifferent: 1 of 10 steps differ beyond relative 1e-09\n"),
        "{stdout}"
    );
    // Shared flags apply to both: at 7 steps they are the same.
    let (code, stdout, _) = run(&["diff", old, new, "--steps", "7"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.ends_with("\nidentical: 7 steps compared\n"),
        "{stdout}"
    );
}

#[test]
fn diff_from_gives_the_jump_of_a_resumed_run() {
    let old = "examples/configs/training_args.json";
    let new = "examples/configs/training_args_new.json";
    let (a, b) = (lrs(&["--config", old]), lrs(&["--config", new]));
    let (code, json) = diff_json(&[old, new, "--from", "3000"]);
    assert_eq!(code, Some(1));
    let jump = &json["jump"];
    assert_eq!(jump["step"], 3000);
    assert_eq!(jump["old_before"].as_f64().unwrap(), a[2999].1);
    assert_eq!(jump["new_at"].as_f64().unwrap(), b[3000].1);
    assert_eq!(jump["old_at"].as_f64().unwrap(), a[3000].1);
    assert_eq!(json["steps_compared"], 2000);
    assert_eq!(json["first_difference"]["step"], 3000);
    assert_eq!(json["old"]["peak_step"], 3000);
    let (_, stdout, _) = run(&["diff", old, new, "--from", "3000"]);
    assert!(stdout.contains(&format!(
        "\nresumed at step 3000: old's lr at step 2999 is {}, new's at step 3000 is {} (old's at \
         step 3000 is {})\n",
        py_repr(a[2999].1),
        py_repr(b[3000].1),
        py_repr(a[3000].1)
    )));
    rejects(
        &["diff", old, new, "--from", "5000"],
        "--from 5000 is past the last step of OLD (examples/configs/training_args.json), 4999 \
         (it has 5000 steps)",
    );
}

#[test]
fn different_lengths_and_a_raising_lambda_differ_without_cutting_the_other() {
    let dir = super::scratch::tempdir();
    let raising = dir.path().join("raising.json");
    let fine = dir.path().join("fine.json");
    std::fs::write(
        &raising,
        r#"{"expr": "lambda s: 1 / (50 - s)", "steps": 100}"#,
    )
    .unwrap();
    std::fs::write(
        &fine,
        r#"{"expr": "lambda s: 1 / (50 - s) if s != 50 else 0", "steps": 120}"#,
    )
    .unwrap();
    let (raising, fine) = (raising.to_str().unwrap(), fine.to_str().unwrap());
    let (code, json) = diff_json(&[raising, fine]);
    assert_eq!(code, Some(1));
    assert_eq!(json["steps_compared"], 50);
    assert_eq!(json["steps_differing"], 0);
    assert_eq!(json["old"]["raises"]["step"], 50);
    assert!(
        json["old"]["raises"]["message"]
            .as_str()
            .unwrap()
            .contains("ZeroDivisionError"),
        "{json}"
    );
    assert_eq!(json["old"]["final_step"], 49);
    assert_eq!(json["new"]["final_step"], 119);
    assert_eq!(json["new"]["raises"], Value::Null);
    let tail = lrs(&["--config", fine]);
    assert_eq!(json["new"]["final_lr"].as_f64().unwrap(), tail[119].1);
    let (_, stdout, _) = run(&["diff", raising, fine]);
    assert!(stdout.contains(
        "lengths differ    old has 100 steps, new 120; compared the 50 steps both have\n"
    ));
    assert!(
        stdout.ends_with("\ndifferent: the lengths differ; old raises at step 50, new does not\n")
    );
}

/// A directory holding old.json and new.json, two warmup-stable-decay schedules of 40
/// steps that part at step 21 (a decay of 20 steps starts at step 20, one of 10 at step 30).
fn decays() -> TempDir {
    let dir = tempdir();
    for (name, decay) in [("old.json", 10), ("new.json", 20)] {
        let config = format!(
            r#"{{"schedule": "warmup_stable_decay", "steps": 40, "warmup": 4, "params": {{"num_decay_steps": {decay}}}}}"#
        );
        std::fs::write(dir.path().join(name), config).unwrap();
    }
    dir
}

/// `diff --plot OLD NEW` run in `dir`, in an environment that decides nothing about colour
/// or size: exit status and the chart after the report.
fn diff_plot(dir: &TempDir, old: &str, new: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = lrsched();
    cmd.current_dir(dir.path());
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES"] {
        cmd.env_remove(name);
    }
    let out = cmd
        .env("TERM", "xterm")
        .args(["diff", old, new, "--plot"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (_, chart) = stdout
        .split_once("compared\n\n")
        .or_else(|| stdout.split_once("differ\n\n"))
        .unwrap_or_else(|| panic!("{stdout}"));
    (out.status.code(), chart.to_string())
}

#[test]
fn diff_plot_overlays_both_and_marks_the_difference() {
    let dir = decays();
    let (code, chart) = diff_plot(
        &dir,
        "old.json",
        "new.json",
        &["--width", "40", "--height", "4", "--color", "never"],
    );
    assert_eq!(code, Some(1));
    // Steps 21 to 39 differ: the cells of steps 21 (dot 37 of 70) to 39, the last.
    assert_eq!(
        chart,
        "lr:  1 old: old.json  2 new: new.json
     \u{25bc} steps that differ
                       \u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}
0.1 ┤⠀⠀⠀1⠉⠉⠉⠉⠉2⠉⠉⠉⠉⠉1⠉⠉⠉⠉⠛2⢍⡉⠉⠉⠉1⠒⡄⠀⠀⠀⠀⠀
    │⠀⠀⡸⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠑⠢⡀⠀⠀⠈⢢⠀⠀⠀⠀
    │⠀⡰⠁⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠒⠤⡀⠀⠑⢄⠀⠀
0.0 ┤⡰⠁⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠑⠢⠬2⣀
    └┬────────────────┬────────────────┬
     0               20               39
                    step
"
    );
    // With colour the marks stay uncoloured: they are told apart by their shape.
    let (_, coloured) = diff_plot(
        &dir,
        "old.json",
        "new.json",
        &["--width", "40", "--height", "4", "--color", "always"],
    );
    let lines: Vec<&str> = coloured.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "lr:  \x1b[34m━━\x1b[0m old: old.json  \x1b[31m━━\x1b[0m new: new.json",
            "     \u{25bc} steps that differ",
            chart.lines().nth(2).unwrap(),
        ]
    );
    // The row and the legend fit the width, and a narrow chart keeps every marked cell.
    let (_, narrow) = diff_plot(
        &dir,
        "old.json",
        "new.json",
        &["--width", "20", "--height", "3", "--color", "never"],
    );
    assert!(narrow.lines().all(|l| l.chars().count() <= 20), "{narrow}");
    let row = |chart: &str| {
        chart
            .lines()
            .find(|l| l.trim_start().starts_with("\u{25bc}\u{25bc}"))
            .map(|l| l.to_string())
    };
    assert_eq!(
        row(&narrow).as_deref(),
        Some("             \u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}\u{25bc}"),
        "{narrow}"
    );
    // --log-y as plot draws it: step 0 (lr 0) of each left out and counted.
    let (_, log) = diff_plot(
        &dir,
        "old.json",
        "new.json",
        &[
            "--width", "40", "--height", "4", "--color", "never", "--log-y",
        ],
    );
    assert!(
        log.starts_with("lr (log scale):  1 old: old.json\n"),
        "{log}"
    );
    assert!(log.contains("\n0.000616 ┤"), "{log}");
    assert!(
        log.ends_with("\nnot drawn: 2 steps with an lr of 0 or\nbelow (a log scale has no 0)\n"),
        "{log}"
    );
    // A chart that cannot be drawn is bad input: the report is not written either.
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    rejects(
        &["diff", old, new, "--plot", "--width", "9"],
        "a plot 9 columns wide has no room for its curves beside the lr labels (0.1, 0.0); \
         it needs at least 13 columns (--width, or a wider terminal)",
    );
    // Identical schedules: no row of marks, and no legend entry for it.
    let (code, same) = diff_plot(
        &dir,
        "old.json",
        "old.json",
        &["--width", "40", "--height", "4", "--color", "never"],
    );
    assert_eq!(code, Some(0));
    assert!(!same.contains('\u{25bc}'), "{same}");
    assert!(same.starts_with("lr:  1 old: "), "{same}");
    let (code, _, stderr) = run(&["diff", ARGS, ARGS, "--width", "60"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the following required arguments were not provided:\n  --plot"),
        "{stderr}"
    );
}

#[test]
fn diff_bad_input_exits_2() {
    rejects(
        &["diff", "examples/configs/lr.json", "nope.json"],
        "cannot read config nope.json: No such file or directory (os error 2)",
    );
    rejects(
        &[
            "diff",
            "examples/configs/lr.json",
            "examples/configs/lr.toml",
            "--config",
            "examples/configs/lr.json",
        ],
        "diff compares the schedules of OLD and NEW; --config, --expr and --expr-file would \
         replace both (give the flags that apply to both, like --steps or --samples)",
    );
    rejects(
        &[
            "diff",
            "examples/configs/lr.json",
            "examples/configs/lr.toml",
            "--tolerance",
            "-1",
        ],
        "--tolerance -1.0 must be a relative difference, 0 or more",
    );
    rejects(
        &["diff", ARGS, ARGS],
        &format!(
            "config {ARGS}: there is no \"max_steps\", so transformers takes the number of \
             steps from num_train_epochs and the dataset size, which lrsched cannot know; give \
             --steps N"
        ),
    );
}

#[test]
fn help_and_man_page_name_diff_and_the_exit_statuses() {
    let (code, help, _) = run(&["diff", "--help"]);
    assert_eq!(code, Some(0));
    assert!(help.contains(
        "\nExit status:\n  0  every step is equal within --tolerance (default: the same \
         doubles)\n  1  the schedules differ"
    ));
    assert!(
        help.contains("\n  lrsched diff examples/configs/lr.json new.json  # exit 1: differ\n")
    );
    let (_, help, _) = run(&["check", "--help"]);
    assert!(help.contains("--against <LOG>"));
    assert!(help.contains("\n  lrsched check --schedule cosine --warmup 10 --against lr.csv\n"));
    assert!(
        help.contains("; with --against, a logged lr\n     differs beyond --tolerance\n"),
        "{help}"
    );
    let (_, top, _) = run(&["--help"]);
    assert!(top.contains("  diff "), "{top}");
    assert!(top.contains("\n  lrsched diff examples/configs/lr.json examples/configs/lr.toml\n"));
    let (code, page, _) = run(&["man", "diff"]);
    assert_eq!(code, Some(0));
    assert!(page.contains(".TH lrsched-diff 1"), "{page}");
    let (_, page, _) = run(&["man"]);
    assert!(page.contains("lrsched\\-diff(1)"), "{page}");
}

/// The README's saved schedule is what `lrsched json` writes today.
#[test]
fn the_saved_example_config_is_current() {
    let out = lrsched()
        .args([
            "json",
            "--config",
            "examples/configs/training_args.yaml",
            "--samples",
            "40",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string("examples/configs/training_args_saved.json").unwrap(),
        "regenerate examples/configs/training_args_saved.json with the command above"
    );
}

/// TrainingArguments and their DeepSpeed config, given as two --config, are one run for
/// `check --against` as everywhere else; two configs that do not pair are refused.
#[test]
fn against_takes_training_arguments_and_their_deepspeed_config() {
    let pair = [
        "--config",
        "examples/configs/training_args.yaml",
        "--config",
        "examples/configs/ds_config_auto.json",
        "--samples",
        "40",
    ];
    let out = lrsched().arg("csv").args(pair).output().unwrap();
    assert!(out.status.success());
    let log = TempFile::new("run.csv", &out.stdout);
    let (code, stdout, stderr) = run(&[&["check"], &pair[..], &["--against", log.str()]].concat());
    assert_eq!((code, stderr.as_str()), (Some(0), ""), "{stdout}");
    assert!(stdout.contains("\nrows compared: 6\n"), "{stdout}");
    assert!(
        stdout.contains("\nmatch: every logged lr is the schedule's\n"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&[
        "check",
        "--config",
        "examples/configs/lr.json",
        "--config",
        "examples/configs/lr.toml",
        "--against",
        log.str(),
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("check shows one schedule"), "{stderr}");
}
