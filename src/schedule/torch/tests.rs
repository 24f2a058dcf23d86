//! Tests of the torch schedulers through the registry, as the command line builds them.

use std::sync::Arc;

use crate::description::Partial;
use crate::error::Result;
use crate::schedule::params::Raw;
use crate::schedule::{Point, Schedule};

/// `(schedule, --steps, --warmup, --base-lr, --set ...)`.
fn partial(name: &str, steps: u64, warmup: u64, base_lr: f64, set: &[&str]) -> Partial {
    Partial {
        schedule: Some(name.into()),
        steps: Some(steps),
        warmup: Some(warmup),
        base_lr: Some(base_lr),
        params: set
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
            .collect(),
        ..Partial::default()
    }
}

fn build(name: &str, steps: u64, warmup: u64, set: &[&str]) -> Result<Arc<dyn Schedule>> {
    Ok(partial(name, steps, warmup, 0.1, set)
        .resolve()?
        .into_schedule())
}

fn lrs(name: &str, steps: u64, warmup: u64, set: &[&str]) -> Result<Vec<f64>> {
    Ok(build(name, steps, warmup, set)?
        .points(0)
        .take(steps as usize)
        .map(|p| p.lr)
        .collect())
}

fn error(name: &str, steps: u64, warmup: u64, set: &[&str]) -> String {
    match build(name, steps, warmup, set) {
        Ok(s) => format!("unexpectedly built {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn bits(points: &[Point]) -> Vec<(u64, u64, u64)> {
    points
        .iter()
        .map(|p| (p.step, p.lr.to_bits(), p.multiplier.to_bits()))
        .collect()
}

/// One valid configuration of every entry, alone and behind a warmup.
const CASES: &[(&str, &[&str])] = &[
    ("StepLR", &["step_size=3", "gamma=0.7"]),
    ("MultiStepLR", &["milestones=9,0,4,4", "gamma=0.3"]),
    ("ConstantLR", &["factor=0.3", "total_iters=6"]),
    (
        "LinearLR",
        &["start_factor=0.1", "end_factor=0.9", "total_iters=17"],
    ),
    ("ExponentialLR", &["gamma=0.93"]),
    ("PolynomialLR", &["total_iters=19", "power=1.7"]),
    ("CosineAnnealingLR", &["T_max=7.5", "eta_min=0.003"]),
    (
        "CyclicLR",
        &[
            "base_lr=0.01",
            "max_lr=0.1",
            "step_size_up=4",
            "mode=triangular2",
        ],
    ),
    ("OneCycleLR", &["max_lr=0.3", "three_phase=true"]),
    (
        "CosineAnnealingWarmRestarts",
        &["T_0=3", "T_mult=2", "eta_min=0.001"],
    ),
];

#[test]
fn streaming_and_random_access_agree_bit_for_bit() -> Result<()> {
    for &(name, set) in CASES {
        for warmup in [0, 4] {
            let schedule = build(name, 40, warmup, set)?;
            let streamed: Vec<Point> = schedule.points(0).take(50).collect();
            let random: Vec<Point> = (0..50).map(|k| schedule.at(k)).collect();
            assert_eq!(bits(&streamed), bits(&random), "{name} warmup {warmup}");
            for from in [1, 13, 44] {
                let resumed: Vec<Point> = schedule.points(from).take(5).collect();
                let want: Vec<Point> = streamed
                    .iter()
                    .skip(from as usize)
                    .take(5)
                    .copied()
                    .collect();
                assert_eq!(bits(&resumed), bits(&want), "{name} from {from}");
            }
        }
    }
    Ok(())
}

#[test]
fn skipping_with_nth_gives_the_consecutive_points() -> Result<()> {
    for &(name, set) in CASES {
        for warmup in [0, 4] {
            let schedule = build(name, 40, warmup, set)?;
            let all: Vec<Point> = schedule.points(0).take(40).collect();
            let mut skipping = schedule.points(0);
            let mut got = Vec::new();
            for n in [0usize, 2, 5, 0, 9] {
                got.extend(skipping.nth(n));
            }
            let want: Vec<Point> = [0usize, 3, 9, 10, 20].iter().map(|&k| all[k]).collect();
            assert_eq!(bits(&got), bits(&want), "{name} warmup {warmup}");
        }
    }
    Ok(())
}

#[test]
fn chainable_values_are_torch_recursions() -> Result<()> {
    // StepLR multiplies repeatedly: 0.1 * 0.1 * 0.1 * 0.1 is not 0.1 * 0.1 ** 3.
    let step = lrs("StepLR", 10, 0, &["step_size=3"])?;
    assert_eq!(step[9], 0.1 * 0.1 * 0.1 * 0.1);
    assert_eq!(step[8], step[6]);
    // A Counter of milestones: 0 applies at step 0, repeats apply gamma ** count.
    let multi = lrs("MultiStepLR", 6, 0, &["milestones=4,0,4", "gamma=0.5"])?;
    assert_eq!(multi, [0.05, 0.05, 0.05, 0.05, 0.05 * 0.25, 0.05 * 0.25]);
    // total_iters=0 keeps the factor for ever; at total_iters the lr is divided back.
    assert_eq!(
        lrs("ConstantLR", 3, 0, &["factor=0.5", "total_iters=0"])?,
        [0.05; 3]
    );
    let restored = lrs("ConstantLR", 3, 0, &["factor=0.3", "total_iters=1"])?;
    assert_eq!(
        restored,
        [0.1 * 0.3, 0.1 * 0.3 * (1.0 / 0.3), 0.1 * 0.3 * (1.0 / 0.3)]
    );
    // CosineAnnealingLR is periodic, not clamped; the recursion (values from torch) drifts.
    let cosine = lrs("CosineAnnealingLR", 21, 0, &["T_max=10"])?;
    assert_eq!(
        (cosine[10], cosine[15], cosine[20]),
        (0.0, 0.050000000000000225, 0.10000000000000044)
    );
    Ok(())
}

#[test]
fn behind_a_warmup_the_milestone_uses_the_closed_form() -> Result<()> {
    // SequentialLR starts ConstantLR with `base_lr * (factor + (0 >= 0) * (1 - factor))`,
    // not with the fresh scheduler's `base_lr * factor`.
    let alone = lrs("ConstantLR", 2, 0, &["factor=0.5", "total_iters=0"])?;
    let warm = lrs("ConstantLR", 4, 2, &["factor=0.5", "total_iters=0"])?;
    assert_eq!((alone[0], warm[2], warm[3]), (0.05, 0.1, 0.1));
    // The cosine's closed form at step 0 is an ulp off base_lr for some eta_min.
    let base = 0.001;
    let first = |warmup| -> Result<f64> {
        let schedule = partial(
            "CosineAnnealingLR",
            3,
            warmup,
            base,
            &["T_max=5", "eta_min=0.03"],
        )
        .resolve()?
        .into_schedule();
        Ok(schedule.at(warmup).lr)
    };
    assert_eq!(first(0)?, base);
    assert_eq!(first(1)?, 0.03 + (base - 0.03) * 2.0 / 2.0);
    assert_ne!(first(1)?, base);
    // Negative milestones count in the closed form only.
    assert_eq!(
        lrs("MultiStepLR", 1, 0, &["milestones=-1", "gamma=0.5"])?,
        [0.1]
    );
    assert_eq!(
        lrs("MultiStepLR", 2, 1, &["milestones=-1", "gamma=0.5"])?[1],
        0.05
    );
    Ok(())
}

#[test]
fn absolute_schedulers_ignore_base_lr() -> Result<()> {
    let one_cycle = lrs("OneCycleLR", 100, 0, &["max_lr=0.1"])?;
    assert_eq!(one_cycle[0], 0.0040000000000000036);
    assert_eq!(one_cycle[99], 0.1 / 25.0 / 1e4);
    assert_eq!(
        lrs("OneCycleLR", 1, 0, &["max_lr=0.1"])?,
        [0.1 / 25.0 / 1e4]
    );
    let cyclic = partial(
        "CyclicLR",
        3,
        0,
        7.0,
        &["base_lr=0.01", "max_lr=0.1", "step_size_up=2"],
    )
    .resolve()?
    .into_schedule();
    let points: Vec<Point> = cyclic.points(0).take(3).collect();
    assert_eq!(points[0].lr, 0.01);
    assert_eq!(points[2].lr, 0.1);
    assert_eq!(points[2].multiplier, 0.1 / 7.0);
    Ok(())
}

#[test]
fn one_cycle_total_steps_and_horizon() -> Result<()> {
    // total_steps defaults to --steps minus --warmup; epochs * steps_per_epoch also works.
    assert_eq!(
        build("OneCycleLR", 30, 10, &["max_lr=1"])?.last_defined_step(),
        Some(30)
    );
    let by_epochs = build(
        "OneCycleLR",
        7,
        0,
        &["max_lr=1", "epochs=2", "steps_per_epoch=3"],
    )?;
    assert_eq!(by_epochs.last_defined_step(), Some(6));
    // Step total_steps is still defined (it extrapolates), step total_steps + 1 is not.
    assert!(build("OneCycleLR", 11, 0, &["max_lr=1", "total_steps=10"]).is_ok());
    assert_eq!(
        error("OneCycleLR", 12, 0, &["max_lr=1", "total_steps=10"]),
        "OneCycleLR: torch raises ValueError (\"Tried to step 11 times. The specified number of \
         total steps is 10\") at step 11, within --steps 12; its steps are 0..=10; use --set \
         total_steps=12 (the default is --steps minus --warmup) or at most --steps 11"
    );
    assert_eq!(
        error("OneCycleLR", 20, 5, &["max_lr=1", "total_steps=10"]),
        "OneCycleLR: torch raises ValueError (\"Tried to step 11 times. The specified number of \
         total steps is 10\") at step 16 (its own step 11 after --warmup 5), within --steps 20; \
         its steps are 0..=10; use --set total_steps=15 (the default is --steps minus --warmup) \
         or at most --steps 16"
    );
    // pct_start=1.0 leaves the last phase zero steps long: step total_steps divides by 0.
    assert!(build("OneCycleLR", 10, 0, &["max_lr=1", "pct_start=1.0"]).is_ok());
    assert_eq!(
        error(
            "OneCycleLR",
            11,
            0,
            &["max_lr=1", "pct_start=1.0", "total_steps=10"]
        ),
        "OneCycleLR: torch raises ZeroDivisionError (phase 2 of the cycle has zero length with \
         pct_start=1.0 and total_steps=10) at step 10, within --steps 11; change pct_start or \
         total_steps"
    );
    Ok(())
}

#[test]
fn validation_errors_name_the_scheduler_and_give_torch_reason() {
    let cases: &[(&str, u64, &[&str], &str)] = &[
        (
            "ConstantLR",
            0,
            &["factor=1.5"],
            "ConstantLR factor=1.5: Constant multiplicative factor expected to be between 0 and 1.",
        ),
        (
            "LinearLR",
            0,
            &["start_factor=0"],
            "LinearLR start_factor=0.0: Starting multiplicative factor expected to be greater \
             than 0 and less or equal to 1.",
        ),
        (
            "LinearLR",
            0,
            &["end_factor=-0.5"],
            "LinearLR end_factor=-0.5: Ending multiplicative factor expected to be between 0 and 1.",
        ),
        (
            "CosineAnnealingWarmRestarts",
            0,
            &["T_0=0"],
            "CosineAnnealingWarmRestarts T_0=0: Expected positive integer T_0, but got 0",
        ),
        (
            "CosineAnnealingWarmRestarts",
            0,
            &["T_0=5", "T_mult=0"],
            "CosineAnnealingWarmRestarts T_mult=0: Expected integer T_mult >= 1, but got 0",
        ),
        (
            "CosineAnnealingWarmRestarts",
            0,
            &["T_0=2.5"],
            "CosineAnnealingWarmRestarts parameter T_0=2.5 is not an integer",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "total_steps=0"],
            "OneCycleLR total_steps=0: Expected positive integer total_steps, but got 0",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "pct_start=1.5"],
            "OneCycleLR pct_start=1.5: Expected float between 0 and 1 pct_start, but got 1.5",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "anneal_strategy=cosine"],
            "OneCycleLR parameter anneal_strategy=cosine is not one of cos, linear; did you mean 'cos'?",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "epochs=3"],
            "OneCycleLR got epochs without steps_per_epoch: You must define either total_steps \
             OR (epochs AND steps_per_epoch); set both (total_steps = epochs * steps_per_epoch) \
             or neither (total_steps = --steps minus --warmup)",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "epochs=0", "steps_per_epoch=3"],
            "OneCycleLR epochs=0: Expected positive integer epochs, but got 0",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "div_factor=0"],
            "OneCycleLR div_factor=0.0: torch raises ZeroDivisionError in the constructor \
             (float division by zero)",
        ),
        (
            "OneCycleLR",
            0,
            &["max_lr=1", "total_steps=10", "pct_start=0.1"],
            "OneCycleLR: torch raises ZeroDivisionError (phase 1 of the cycle has zero length \
             with pct_start=0.1 and total_steps=10) in the constructor; change pct_start or \
             total_steps",
        ),
        (
            "OneCycleLR",
            10,
            &["max_lr=1"],
            "OneCycleLR total_steps defaults to --steps minus --warmup, which is 0 here \
             (--steps 10 --warmup 10): Expected positive integer total_steps, but got 0; use \
             fewer --warmup steps or --set total_steps=N",
        ),
        (
            "CyclicLR",
            0,
            &["base_lr=0.1", "max_lr=1", "step_size_up=0"],
            "CyclicLR step_size_up=0.0: torch raises ZeroDivisionError in the constructor: \
             step_size_up + step_size_down = 0 (step_size_down=0.0)",
        ),
        (
            "CyclicLR",
            0,
            &[
                "base_lr=0.1",
                "max_lr=1",
                "step_size_up=0",
                "step_size_down=3",
            ],
            "CyclicLR step_size_up=0.0: torch raises ZeroDivisionError at step 0 (x / \
             (step_size_up / total)); use a step_size_up above 0",
        ),
        (
            "CyclicLR",
            0,
            &["base_lr=0.1", "max_lr=1", "mode=sawtooth"],
            "CyclicLR parameter mode=sawtooth is not one of triangular, triangular2, exp_range",
        ),
        (
            "CyclicLR",
            0,
            &["max_lr=1"],
            "CyclicLR needs base_lr (add --set base_lr=...): lower lr bound of the cycle \
             (absolute; replaces --base-lr)",
        ),
    ];
    for &(name, warmup, set, want) in cases {
        assert_eq!(error(name, 10, warmup, set), want, "{name} {set:?}");
    }
}

#[test]
fn torch_run_time_errors_fail_only_when_reached() {
    // Each raises at one step; evaluating up to just before it is fine.
    let cases: &[(&str, u64, &[&str], &str)] = &[
        (
            "StepLR",
            0,
            &["step_size=0"],
            "StepLR: torch raises ZeroDivisionError (integer modulo by zero, step_size=0) at \
             step 1, within --steps 2; use a step_size other than 0",
        ),
        (
            "ConstantLR",
            0,
            &["factor=0", "total_iters=1"],
            "ConstantLR: torch raises ZeroDivisionError (the lr is multiplied by 1.0 / factor at \
             total_iters, and factor=0.0) at step 1, within --steps 2; use a factor above 0",
        ),
        (
            "PolynomialLR",
            0,
            &["total_iters=1", "power=-1"],
            "PolynomialLR: torch raises ZeroDivisionError (0.0 cannot be raised to power=-1.0 at \
             total_iters) at step 1, within --steps 2; use a power >= 0",
        ),
        (
            "CosineAnnealingLR",
            0,
            &["T_max=0"],
            "CosineAnnealingLR: torch raises ZeroDivisionError (T_max=0) at step 1, within \
             --steps 2; use a T_max other than 0",
        ),
        (
            "LinearLR",
            1,
            &["total_iters=0"],
            "LinearLR: torch raises ZeroDivisionError (its closed form, which SequentialLR uses \
             at the milestone, divides by total_iters=0) at step 1 (its own step 0 after \
             --warmup 1), within --steps 2; use a total_iters other than 0 behind a warmup",
        ),
    ];
    for &(name, warmup, set, want) in cases {
        assert!(
            build(name, 1, warmup, set).is_ok(),
            "{name} {set:?} fails before it is reached"
        );
        assert_eq!(error(name, 2, warmup, set), want, "{name} {set:?}");
    }
    let last = build("ConstantLR", 1, 0, &["factor=0", "total_iters=3"])
        .map(|s| s.last_defined_step())
        .unwrap_or_default();
    assert_eq!(last, Some(2));
}

#[test]
fn cyclic_overflow_is_found_where_python_raises() -> Result<()> {
    // 1.7 ** k overflows a double from k = 1338 on: Python raises OverflowError there.
    let set = ["base_lr=0.1", "max_lr=1", "mode=exp_range", "gamma=1.7"];
    let schedule = build("CyclicLR", 10, 0, &set)?;
    assert_eq!(schedule.last_defined_step(), Some(1337));
    assert!(1.7f64.powf(1337.0).is_finite() && 1.7f64.powf(1338.0).is_infinite());
    assert!(build("CyclicLR", 1338, 0, &set).is_ok());
    assert!(build("CyclicLR", 1339, 0, &set).is_err());
    Ok(())
}

#[test]
fn warm_restarts_periods_grow_by_t_mult() -> Result<()> {
    let v = lrs("CosineAnnealingWarmRestarts", 12, 0, &["T_0=2", "T_mult=2"])?;
    // Periods: steps 0-1, 2-5, 6-13.
    assert_eq!((v[0], v[2], v[6]), (0.1, 0.1, 0.1));
    assert_eq!(
        v[1],
        0.1 * (1.0 + (std::f64::consts::PI * 1.0 / 2.0).cos()) / 2.0
    );
    assert_eq!(
        v[4],
        0.1 * (1.0 + (std::f64::consts::PI * 2.0 / 4.0).cos()) / 2.0
    );
    // Huge T_mult: the second period does not overflow.
    let huge = build(
        "CosineAnnealingWarmRestarts",
        3,
        0,
        &["T_0=1", "T_mult=9223372036854775807"],
    )?;
    assert!(huge.at(u64::MAX).lr.is_finite());
    Ok(())
}
