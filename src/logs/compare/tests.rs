//! Tests of `compare`: the golden trainer state against its TrainingArguments and run
//! accounting, and perturbed copies of it naming the right step and cause.

use std::path::{Path, PathBuf};

use super::*;
use crate::Description;
use crate::description::Partial;
use crate::logs::read::tests::{TempFile, temp};
use crate::run::runtime::Runtime;
use crate::run::{Framework, Run};
use crate::schedule::registry;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trainer-state");

fn golden_log() -> PathBuf {
    Path::new(DIR).join("trainer_state.json")
}

/// The golden run's schedule with its TrainingArguments and 1000 samples, the warmup
/// steps optionally replaced, sized by the run accounting; and its number of updates.
fn golden_schedule(warmup_steps: Option<f64>) -> (Description, Run) {
    let args_path = Path::new(DIR).join("training_args.json");
    let args: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&args_path).unwrap()).unwrap();
    let run = Run {
        framework: Framework::Transformers,
        samples: Some(1000),
        batch_size: args["per_device_train_batch_size"].as_u64(),
        grad_accum: args["gradient_accumulation_steps"].as_u64(),
        epochs: args["num_train_epochs"].as_f64(),
        warmup_steps: warmup_steps.or(args["warmup_steps"].as_f64()),
        ..Run::default()
    };
    let derivation = run.derive().unwrap();
    assert_eq!(derivation.total_updates.value, 189);
    let mut partial = Partial::from_config_file(&args_path).unwrap();
    let entry = registry::find(partial.schedule.as_deref().unwrap()).unwrap();
    partial.steps = Some(derivation.num_training_steps.value);
    partial.warmup = Some(derivation.context(partial.base_lr.unwrap(), entry).warmup);
    (partial.resolve().unwrap(), run)
}

fn against(log: &Path, warmup_steps: Option<f64>) -> Report {
    let (description, run) = golden_schedule(warmup_steps);
    let derivation = run.derive().unwrap();
    let runtime = Runtime::Hf;
    let map = runtime.map(&derivation, None).unwrap();
    let steps = StepMap::trainer(|u| map.scheduler_step(u));
    let (report, info) = compare(
        log,
        None,
        description.schedule(),
        description.ctx().steps,
        &steps,
        TOLERANCE,
    )
    .unwrap();
    assert_eq!(info.rows, 37);
    report
}

#[test]
fn golden_trainer_state_matches_its_run() {
    let report = against(&golden_log(), None);
    assert!(report.matches, "{}", report.to_text());
    assert_eq!(report.rows_compared, 37);
    assert_eq!(report.rows_only_in_log, 0);
    assert_eq!(report.mismatches, 0);
    // Logged at 185, the lr of update 184; updates 185..188 follow.
    assert_eq!(report.steps_only_in_schedule, 4);
    assert!(report.max_error.unwrap().rel_error <= 1e-15);
    assert_eq!(report.cause, None);
    assert_eq!(
        report.to_text().lines().last().unwrap(),
        "match: every logged lr is the schedule's"
    );
}

/// The golden log with the `learning_rate` of step `step` replaced by `lr`.
fn perturbed(name: &str, edit: impl Fn(u64, f64) -> f64) -> TempFile {
    let text = std::fs::read_to_string(golden_log()).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    for entry in state["log_history"].as_array_mut().unwrap() {
        if let (Some(step), Some(lr)) = (entry["step"].as_u64(), entry["learning_rate"].as_f64()) {
            entry["learning_rate"] = serde_json::json!(edit(step, lr));
        }
    }
    temp(name, &serde_json::to_string_pretty(&state).unwrap())
}

#[test]
fn one_changed_value_is_named() {
    let log = perturbed(
        "one-value.json",
        |step, lr| if step == 90 { lr * 1.001 } else { lr },
    );
    let report = against(&log, None);
    assert!(!report.matches);
    assert_eq!(report.mismatches, 1);
    let first = report.first_mismatch.unwrap();
    assert_eq!((first.step, first.schedule_step), (90, 89));
    assert!((first.rel_error - 0.001 / 1.001).abs() < 1e-9);
    assert_eq!(report.max_error.unwrap().step, 90);
    // The line names the perturbed entry's learning_rate.
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().nth(first.line as usize - 1).unwrap();
    assert!(line.contains("learning_rate"), "{line}");
    assert_eq!(report.cause, None);
    let rendered = report.to_text();
    assert!(
        rendered.contains(&format!(
            "first difference: step 90 (line {}): logged ",
            first.line
        )),
        "{rendered}"
    );
    assert!(
        rendered.contains("mismatch: 1 of 37 rows differ"),
        "{rendered}"
    );
}

#[test]
fn float32_rounding_is_within_tolerance() {
    let log = perturbed("float32.json", |_, lr| f64::from(lr as f32));
    let report = against(&log, None);
    assert!(report.matches, "{}", report.to_text());
    assert!(report.max_error.unwrap().rel_error > 0.0);
}

#[test]
fn changed_warmup_is_a_mismatch() {
    // The log of the same run with warmup 10 instead of ceil(0.1 * 189) = 19: the schedule
    // with 19 warms up about twice as long.
    let (short, run) = golden_schedule(Some(10.0));
    let derivation = run.derive().unwrap();
    let log = perturbed("warmup.json", |step, _| short.schedule().at(step - 1).lr);
    let report = against(&log, None);
    assert!(!report.matches);
    let first = report.first_mismatch.unwrap();
    assert_eq!(first.step, 5);
    assert_eq!(derivation.num_warmup_steps.value, 10);
    let cause = report.cause.unwrap();
    assert!(cause.starts_with("warmup too short by a factor of 2: the log warms up over about 10 steps, the schedule over 19"), "{cause}");
}

#[test]
fn off_by_one_is_named() {
    let (description, _) = golden_schedule(None);
    let log = perturbed("shifted.json", |step, _| description.schedule().at(step).lr);
    let report = against(&log, None);
    assert!(!report.matches);
    let cause = report.cause.unwrap();
    assert!(
        cause.starts_with("off by one step: the log is one step ahead of the schedule"),
        "{cause}"
    );
}

#[test]
fn constant_after_restart_is_named() {
    let log = perturbed(
        "restart.json",
        |step, lr| if step >= 100 { 0.0005 } else { lr },
    );
    let report = against(&log, None);
    let cause = report.cause.unwrap();
    assert!(
        cause.starts_with("constant after step 100: the log holds 0.0005"),
        "{cause}"
    );
}

#[test]
fn horizon_in_epochs_is_named() {
    // A linear decay whose horizon is a third of the run's.
    let schedule = |steps| {
        Partial {
            schedule: Some("linear".into()),
            steps: Some(steps),
            base_lr: Some(0.1),
            warmup: Some(0),
            ..Partial::default()
        }
        .resolve()
        .unwrap()
    };
    let (log, full) = (schedule(100), schedule(300));
    let rows = (0..300).map(|s| Row {
        step: s,
        lr: log.schedule().at(s.min(99)).lr.max(0.0),
        line: s + 2,
    });
    let report = compare_rows(
        "log",
        rows,
        full.schedule(),
        300,
        &StepMap::same(),
        TOLERANCE,
    );
    assert_eq!(report.first_mismatch.unwrap().step, 1);
    let cause = report.cause.unwrap();
    assert!(
        cause.starts_with("horizon too short by a factor of 3"),
        "{cause}"
    );
}

#[test]
fn rows_past_the_schedule_are_only_in_the_log() {
    let description = Partial {
        steps: Some(3),
        ..Partial::default()
    }
    .resolve()
    .unwrap();
    let rows = (0..5).map(|s| Row {
        step: s,
        lr: 0.1,
        line: s + 2,
    });
    let report = compare_rows(
        "log",
        rows,
        description.schedule(),
        3,
        &StepMap::same(),
        TOLERANCE,
    );
    assert_eq!((report.rows_compared, report.rows_only_in_log), (3, 2));
    assert_eq!(report.first_only_in_log, Some(3));
    assert!(!report.matches);
    assert_eq!(
        report.to_text(),
        "log: log (log step s = schedule step s), relative tolerance 1e-06\n\
         rows compared: 3; 2 only in the log (from step 3)\n\
         largest error: 0.00e0 relative (0.00e0 absolute) at step 0 (line 2): logged 0.1, \
         schedule 0.1\n\
         mismatch: the log has rows the schedule does not reach\n"
    );
}

#[test]
fn report_serialises_with_every_finding() {
    let log = perturbed(
        "json.json",
        |step, lr| if step == 5 { lr * 2.0 } else { lr },
    );
    let report = against(&log, None);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rows_compared"], 37);
    assert_eq!(json["mismatches"], 1);
    assert_eq!(json["first_mismatch"]["step"], 5);
    assert_eq!(json["first_mismatch"]["schedule_step"], 4);
    assert_eq!(json["matches"], false);
    assert_eq!(json["step_map"], "log step s = the lr of update s-1");
    let map = StepMap::for_format(crate::logs::Format::TrainerState, |u| u);
    assert_eq!((map.apply(0), map.apply(5)), (None, Some(4)));
    assert_eq!(
        StepMap::for_format(crate::logs::Format::Csv, |u| u).apply(5),
        Some(5)
    );
}
