//! Tests of `identify`: logs of built-ins with random parameters are named exactly, the
//! golden trainer state too, and a random curve is not claimed.

use std::path::Path;

use rand_pcg::Pcg64;
use rand_pcg::rand_core::Rng;

use super::*;
use crate::logs::read_all;

/// The log `lrsched csv` writes for these arguments: one row per step.
fn log_of(
    schedule: &str,
    steps: u64,
    base_lr: f64,
    warmup: u64,
    params: &[(&str, String)],
) -> Vec<Row> {
    let description = Partial {
        schedule: Some(schedule.into()),
        steps: Some(steps),
        base_lr: Some(base_lr),
        warmup: Some(warmup),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_string(), Raw::Text(v.clone())))
            .collect(),
        ..Partial::default()
    }
    .resolve()
    .unwrap_or_else(|e| panic!("{schedule} {params:?}: {e}"));
    description
        .schedule()
        .points(0)
        .take(steps as usize)
        .map(|p| Row {
            step: p.step,
            lr: p.lr,
            line: p.step + 2,
        })
        .collect()
}

fn best(rows: &[Row], info: &LogInfo) -> Vec<Candidate> {
    identify(rows, info, DEFAULT_TOLERANCE, 3)
}

fn csv_info() -> LogInfo {
    LogInfo {
        format: Some(Format::Csv),
        ..LogInfo::default()
    }
}

fn below(rng: &mut Pcg64, n: u64) -> u64 {
    rng.next_u64() % n
}

/// A random lr written with a few digits, as people write them.
fn lr(rng: &mut Pcg64) -> f64 {
    let mantissa = 1 + below(rng, 9);
    let exponent = below(rng, 5) as i32 + 2;
    format!("{mantissa}e-{exponent}").parse().unwrap()
}

#[test]
fn built_ins_with_random_parameters_are_named_exactly() {
    let mut rng = Pcg64::new(0xcafe_f00d_d15e_a5e5, 0xa02b_dbf7_bb3c_0a7a);
    let mut failures = Vec::new();
    for case in 0..240 {
        let steps = 20 + below(&mut rng, 400);
        let warmup = below(&mut rng, steps / 4);
        let base = lr(&mut rng);
        let (schedule, warmup, params): (&str, u64, Vec<(&str, String)>) = match case % 20 {
            0 => ("linear", warmup, vec![]),
            1 => ("cosine", warmup, vec![]),
            2 => (
                "cosine",
                warmup,
                vec![("num_cycles", format!("0.{}", 1 + below(&mut rng, 9)))],
            ),
            3 => (
                "cosine_with_restarts",
                warmup,
                vec![("num_cycles", (2 + below(&mut rng, 3)).to_string())],
            ),
            4 => (
                "polynomial",
                warmup,
                vec![
                    (
                        "lr_end",
                        [
                            String::from("1e-07"),
                            py_repr(nice(base * below(&mut rng, 5) as f64 / 20.0)),
                        ][below(&mut rng, 2) as usize]
                            .clone(),
                    ),
                    ("power", format!("{}", 1 + below(&mut rng, 3))),
                ],
            ),
            5 => ("constant_with_warmup", warmup.max(1), vec![]),
            6 => (
                "cosine_with_min_lr",
                warmup,
                vec![("min_lr_rate", format!("0.{}", 1 + below(&mut rng, 9)))],
            ),
            7 => (
                "StepLR",
                0,
                vec![
                    ("step_size", (5 + below(&mut rng, steps / 3)).to_string()),
                    ("gamma", format!("0.{}", 1 + below(&mut rng, 9))),
                ],
            ),
            8 => ("MultiStepLR", 0, {
                let a = 5 + below(&mut rng, steps / 3);
                let b = a + 5 + below(&mut rng, steps / 3);
                vec![
                    ("milestones", format!("{a},{b}")),
                    ("gamma", format!("0.{}", 1 + below(&mut rng, 9))),
                ]
            }),
            9 => (
                "ExponentialLR",
                0,
                vec![("gamma", format!("0.9{}", below(&mut rng, 10)))],
            ),
            10 => (
                "CosineAnnealingLR",
                0,
                vec![
                    ("T_max", (steps / 2 + below(&mut rng, steps)).to_string()),
                    ("eta_min", "0.0".into()),
                ],
            ),
            12 => (
                "inverse_sqrt",
                warmup.max(1),
                vec![("timescale", (10 + below(&mut rng, 500)).to_string())],
            ),
            13 => (
                "warmup_stable_decay",
                warmup,
                vec![
                    (
                        "num_decay_steps",
                        (1 + below(&mut rng, steps / 2)).to_string(),
                    ),
                    (
                        "decay_type",
                        ["linear", "cosine", "1-sqrt"][below(&mut rng, 3) as usize].into(),
                    ),
                ],
            ),
            14 => (
                "LinearLR",
                0,
                vec![
                    ("start_factor", format!("0.{}", 1 + below(&mut rng, 9))),
                    ("total_iters", (1 + below(&mut rng, steps / 2)).to_string()),
                ],
            ),
            15 => (
                "PolynomialLR",
                0,
                vec![
                    ("total_iters", (5 + below(&mut rng, steps)).to_string()),
                    ("power", format!("{}", 1 + below(&mut rng, 3))),
                ],
            ),
            16 => (
                "CosineAnnealingWarmRestarts",
                0,
                vec![
                    ("T_0", (3 + below(&mut rng, steps / 4)).to_string()),
                    ("T_mult", (1 + below(&mut rng, 2)).to_string()),
                ],
            ),
            17 => (
                "deepspeed:WarmupLR",
                warmup.max(2),
                vec![
                    ("warmup_min_lr", "0.0".into()),
                    ("warmup_max_lr", py_repr(base)),
                    (
                        "warmup_type",
                        if below(&mut rng, 2) == 0 {
                            "log"
                        } else {
                            "linear"
                        }
                        .into(),
                    ),
                ],
            ),
            18 => (
                "deepspeed:WarmupDecayLR",
                warmup.max(2),
                vec![
                    (
                        "warmup_min_lr",
                        py_repr(nice(base * below(&mut rng, 5) as f64 / 10.0)),
                    ),
                    ("warmup_max_lr", py_repr(base)),
                    (
                        "warmup_type",
                        if below(&mut rng, 2) == 0 {
                            "log"
                        } else {
                            "linear"
                        }
                        .into(),
                    ),
                ],
            ),
            _ => (
                "OneCycleLR",
                0,
                vec![
                    ("max_lr", py_repr(base)),
                    ("total_steps", steps.to_string()),
                    ("pct_start", format!("0.{}", 1 + below(&mut rng, 5))),
                    (
                        "anneal_strategy",
                        if below(&mut rng, 2) == 0 {
                            "cos"
                        } else {
                            "linear"
                        }
                        .into(),
                    ),
                ],
            ),
        };
        let rows = log_of(schedule, steps, base, warmup, &params);
        let found = best(&rows, &csv_info());
        let named = found.first();
        if !named.is_some_and(|c| c.exact) {
            failures.push(format!(
                "case {case}: {schedule} steps {steps} base {base} warmup {warmup} {params:?}: got {:?}",
                named.map(|c| (&c.args, c.max_rel_error))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} not identified:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_trainer_state_is_named() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/trainer-state/trainer_state.json");
    let (rows, info) = read_all(&path, None).unwrap();
    let found = best(&rows, &info);
    let top = &found[0];
    assert!(top.exact, "{found:?}");
    assert_eq!(top.schedule, "cosine");
    assert_eq!(
        top.args,
        [
            "--schedule",
            "cosine",
            "--base-lr",
            "0.001",
            "--steps",
            "189",
            "--warmup",
            "19"
        ]
    );
    assert_eq!(
        top.python,
        "transformers.get_cosine_schedule_with_warmup(torch.optim.SGD(params, lr=0.001), \
         num_warmup_steps=19, num_training_steps=189)"
    );
}

#[test]
fn a_random_curve_is_not_claimed() {
    let mut rng = Pcg64::new(7, 11);
    let rows: Vec<Row> = (0..200)
        .map(|s| Row {
            step: s,
            lr: 1e-3 * (1 + below(&mut rng, 1000)) as f64 / 1000.0,
            line: s + 2,
        })
        .collect();
    let found = best(&rows, &csv_info());
    assert!(found.iter().all(|c| !c.exact), "{found:?}");
    assert!(to_text(&found).starts_with("no built-in explains this log within the tolerance"));
}

#[test]
fn trainer_states_logged_every_k_steps_are_named_exactly() {
    let mut rng = Pcg64::new(0x5eed, 0x1066);
    let mut failures = Vec::new();
    for case in 0..40 {
        let steps = 50 + below(&mut rng, 400);
        let warmup = 1 + below(&mut rng, steps / 5);
        let every = 1 + below(&mut rng, 10);
        let base = lr(&mut rng);
        let (schedule, params): (&str, Vec<(&str, String)>) = match case % 4 {
            0 => ("linear", vec![]),
            1 => ("cosine", vec![]),
            2 => ("constant_with_warmup", vec![]),
            _ => ("cosine_with_min_lr", vec![("min_lr_rate", "0.1".into())]),
        };
        let all = log_of(schedule, steps, base, warmup, &params);
        // The Trainer logs at global_step s (1-based) the lr of update s-1.
        let rows: Vec<Row> = (1..=steps)
            .filter(|s| s % every == 0)
            .map(|s| Row {
                step: s,
                lr: all[s as usize - 1].lr,
                line: s,
            })
            .collect();
        let info = LogInfo {
            format: Some(Format::TrainerState),
            max_steps: Some(steps),
            ..LogInfo::default()
        };
        let found = best(&rows, &info);
        let top = found.first();
        // A warmup shorter than the logging interval leaves no row on the ramp; any exact
        // candidate is then as right as another.
        let observable = warmup >= every;
        if !top.is_some_and(|c| c.exact && (c.schedule == schedule || !observable)) {
            failures.push(format!(
                "case {case}: {schedule} steps {steps} base {base} warmup {warmup} every {every}: got {:?}",
                top.map(|c| (&c.args, c.max_rel_error))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} not identified:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
