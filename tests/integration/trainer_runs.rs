//! Every case of `tests/golden/hf-trainer-runs.json` and `hf-trainer-runs-multiproc.json`
//! (real `Trainer.train()` runs of transformers 5.24): the run's settings through
//! `lrsched::run` give the Trainer's counts, the lr of every update (rtol 1e-12) and the
//! logged values, and the runs the Trainer refuses are refused.

use lrsched::run::runtime::Runtime;
use lrsched::run::{Derivation, Framework, Run};
use lrsched::schedule::params::{Params, Raw};
use lrsched::schedule::registry;
use serde_json::Value;

fn cases(text: &str) -> Vec<Value> {
    let json: Value = serde_json::from_str(text).expect("golden file parses");
    let mut all = json["cases"].as_array().expect("cases").clone();
    if let Some(errors) = json["error_cases"].as_array() {
        all.extend(errors.iter().cloned());
    }
    all
}

fn all_cases() -> Vec<Value> {
    let mut all = cases(include_str!("../golden/hf-trainer-runs.json"));
    all.extend(cases(include_str!(
        "../golden/hf-trainer-runs-multiproc.json"
    )));
    all
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

/// The run a case's `settings` describe.
fn run_of(case: &Value) -> Run {
    let s = &case["settings"];
    Run {
        framework: Framework::Transformers,
        samples: Some(u(&s["samples"])),
        batch_size: Some(u(&s["per_device_train_batch_size"])),
        devices: Some(u(&s["world_size"])),
        grad_accum: Some(u(&s["gradient_accumulation_steps"])),
        epochs: Some(s["num_train_epochs"].as_f64().expect("epochs")),
        max_steps: Some(s["max_steps"].as_i64().expect("max_steps")),
        drop_last: Some(s["dataloader_drop_last"].as_bool().expect("drop_last")),
        warmup_steps: Some(s["warmup_steps"].as_f64().expect("warmup_steps")),
        ..Run::default()
    }
}

fn error_of(case: &Value) -> Option<&str> {
    case["error"].as_str()
}

/// Compares one case; returns its failures.
fn check_case(case: &Value) -> Vec<String> {
    let id = case["id"].as_str().expect("id");
    let mut failures = Vec::new();
    let run = run_of(case);
    let derived = run.derive();
    if let Some(error) = error_of(case) {
        match derived {
            Ok(d) => failures.push(format!(
                "{id}: the Trainer raised {error:?}, lrsched derived {}",
                d.summary()
            )),
            Err(e) => {
                let message = e.to_string();
                if !message.contains("args.max_steps must be set to a positive value") {
                    failures.push(format!("{id}: refused, but with {message:?}"));
                }
            }
        }
        return failures;
    }
    let d: Derivation = match derived {
        Ok(d) => d,
        Err(e) => return vec![format!("{id}: {e}")],
    };
    let expect = |what: &str, got: u64, want: &Value| {
        let want = u(want);
        (got != want).then(|| format!("{id}: {what} is {got}, the Trainer's {want}"))
    };
    failures.extend(
        [
            expect(
                "total_updates",
                d.total_updates.value,
                &case["total_updates"],
            ),
            expect("max_steps", d.max_steps.value, &case["max_steps"]),
            expect(
                "num_warmup_steps",
                d.num_warmup_steps.value,
                &case["num_warmup_steps"],
            ),
            expect(
                "num_training_steps",
                d.num_training_steps.value,
                &case["num_training_steps"],
            ),
            expect(
                "len_dataloader",
                d.batches_per_epoch.as_ref().expect("a length").value,
                &case["trainer_computed"]["len_dataloader"],
            ),
            expect(
                "num_update_steps_per_epoch",
                d.updates_per_epoch.as_ref().expect("updates/epoch").value,
                &case["trainer_computed"]["num_update_steps_per_epoch"],
            ),
        ]
        .into_iter()
        .flatten(),
    );

    // The micro-batches and samples of every update (per process).
    let micro: Vec<u64> = case["micro_batches_per_update"]
        .as_array()
        .expect("micro_batches_per_update")
        .iter()
        .map(u)
        .collect();
    let samples: Vec<u64> = case["samples_per_update"]
        .as_array()
        .expect("samples_per_update")
        .iter()
        .map(u)
        .collect();
    for (k, (&m, &s)) in micro.iter().zip(&samples).enumerate() {
        let plan = d.update_plan(k as u64);
        if plan.micro_batches != m || plan.samples != s {
            failures.push(format!(
                "{id} update {k}: {} micro-batches of {} samples, the Trainer's {m} of {s}",
                plan.micro_batches, plan.samples
            ));
            break;
        }
    }

    // state.epoch at the end: epoch + (step + 1) / steps_in_epoch (trainer.py:1956), which
    // checks where the last update's last micro-batch falls.
    if let (Some(want), Some(last)) = (
        case["final_epoch"].as_f64(),
        d.total_updates.value.checked_sub(1),
    ) {
        let plan = d.update_plan(last);
        let batches = d.batches_per_epoch.as_ref().expect("a length").value;
        let got = plan.epoch as f64 + plan.last_batch as f64 / batches as f64;
        if got.to_bits() != want.to_bits() {
            failures.push(format!("{id}: final epoch {got:?}, the Trainer's {want:?}"));
        }
    }

    // The lr of every update, through the registry as `--schedule` builds it.
    let s = &case["settings"];
    let name = s["lr_scheduler_type"].as_str().expect("type");
    let entry = registry::find(name).expect("a registered schedule");
    let kwargs: Vec<(String, Raw)> = s["lr_scheduler_kwargs"]
        .as_object()
        .expect("kwargs")
        .iter()
        .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
        .collect();
    let params = Params::resolve(name, entry.params, &kwargs).expect("kwargs resolve");
    let ctx = d.context(s["learning_rate"].as_f64().expect("lr"), entry);
    let schedule = entry.instantiate(&ctx, &params).expect("builds");
    let runtime = Runtime::named("hf", 1).expect("hf");
    let map = runtime.map(&d, None).expect("map");
    let got: Vec<f64> = map
        .lrs(schedule.as_ref(), d.total_updates.value)
        .map(|x| x.point.lr)
        .collect();
    let want: Vec<f64> = case["lr_used"]
        .as_array()
        .expect("lr_used")
        .iter()
        .map(|v| v.as_f64().expect("lr"))
        .collect();
    if got.len() != want.len() {
        failures.push(format!(
            "{id}: {} lrs, the Trainer used {}",
            got.len(),
            want.len()
        ));
    }
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        if (g - w).abs() > 1e-12 * w.abs() {
            failures.push(format!("{id} update {k}: lr {g:?}, the Trainer's {w:?}"));
            break;
        }
    }

    // The logged values: lr of update s-1 at each logging step s.
    if let Some(logged) = case["logged_lr"].as_array() {
        let logging_steps = s["logging_steps"].as_f64().expect("logging_steps");
        let steps: Vec<u64> = map
            .logged_steps(logging_steps, false)
            .expect("logging steps")
            .collect();
        let want: Vec<(u64, f64)> = logged
            .iter()
            .map(|p| (u(&p[0]), p[1].as_f64().expect("lr")))
            .collect();
        let got: Vec<(u64, f64)> = steps
            .iter()
            .map(|&step| (step, got[(step - 1) as usize]))
            .collect();
        if got.len() != want.len()
            || got
                .iter()
                .zip(&want)
                .any(|(g, w)| g.0 != w.0 || (g.1 - w.1).abs() > 1e-12 * w.1.abs())
        {
            failures.push(format!("{id}: logged {got:?}, the Trainer's {want:?}"));
        }
    }
    failures
}

#[test]
fn every_trainer_run_is_reproduced() {
    let cases = all_cases();
    assert_eq!(cases.len(), 34 + 22, "cases in the two golden files");
    let failures: Vec<String> = cases.iter().flat_map(check_case).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn refused_runs_are_the_trainers() {
    let cases = all_cases();
    let refused: Vec<&str> = cases
        .iter()
        .filter(|c| error_of(c).is_some())
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        refused,
        [
            "error-n7-b8-drop-epochs",
            "linear-n12-b8-g1-e2-drop-p2",
            "linear-n7-b3-g1-e2-drop-p3",
            "linear-n12-b8-g1-e2-drop-p3"
        ]
    );
}
