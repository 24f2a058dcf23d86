//! Tests of the transformers schedules through the registry, as the command line builds
//! them: golden values bit for bit, the quirks copied on purpose, and transformers' errors.

use std::f64::consts::PI;

use super::cosine_with_restarts::py_mod;
use super::warmup_stable_decay::Shape;
use super::{ENTRIES, py_max0};
use crate::error::Result;
use crate::schedule::params::{Params, Raw};
use crate::schedule::registry;
use crate::schedule::{Context, Schedule};

/// Builds `name` as the command line would: `--warmup`, `--steps`, `--base-lr`, `--set`.
fn build(
    name: &str,
    warmup: u64,
    steps: u64,
    base_lr: f64,
    set: &[(&str, &str)],
) -> Result<Box<dyn Schedule>> {
    let entry = registry::find(name)?;
    let given: Vec<(String, Raw)> = set
        .iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
        .collect();
    let params = Params::resolve(entry.name, entry.params, &given)?;
    let ctx = Context {
        steps,
        base_lr,
        warmup,
    };
    entry.instantiate(&ctx, &params)
}

fn error(name: &str, warmup: u64, steps: u64, base_lr: f64, set: &[(&str, &str)]) -> String {
    match build(name, warmup, steps, base_lr, set) {
        Ok(s) => format!("unexpectedly accepted {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn multipliers(schedule: &dyn Schedule, steps: impl IntoIterator<Item = u64>) -> Vec<f64> {
    steps
        .into_iter()
        .map(|s| schedule.at(s).multiplier)
        .collect()
}

#[test]
fn entries_are_in_scheduler_type_order() {
    let names: Vec<&str> = ENTRIES.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "linear",
            "cosine",
            "cosine_with_restarts",
            "polynomial",
            "constant",
            "constant_with_warmup",
            "inverse_sqrt",
            "cosine_with_min_lr",
            "cosine_warmup_with_min_lr",
            "warmup_stable_decay",
        ]
    );
}

#[test]
fn polynomial_errors_give_transformers_reason() {
    assert_eq!(
        error("polynomial", 0, 10, 0.1, &[("lr_end", "0.2")]),
        "polynomial: lr_end (0.2) must be smaller than initial lr (0.1); \
         lower lr_end (--set lr_end=...) or raise --base-lr"
    );
    assert_eq!(
        error("polynomial", 0, 10, 0.1, &[("lr_end", "0.1")]),
        "polynomial: lr_end (0.1) must be smaller than initial lr (0.1); \
         lower lr_end (--set lr_end=...) or raise --base-lr"
    );
    assert_eq!(
        error("polynomial", 0, 10, 0.0, &[]),
        "polynomial: lr_end (1e-07) must be smaller than initial lr (0.0); \
         lower lr_end (--set lr_end=...) or raise --base-lr"
    );
    assert_eq!(
        error("polynomial", 0, 10, 0.0, &[("lr_end", "-0.5")]),
        "polynomial with lr_end=-0.5 needs --base-lr above 0: transformers divides by the \
         initial lr from step W on (ZeroDivisionError)"
    );
}

#[test]
fn min_lr_errors_give_transformers_reason() {
    assert_eq!(
        error(
            "cosine_with_min_lr",
            0,
            10,
            0.1,
            &[("min_lr", "0.01"), ("min_lr_rate", "0.1")]
        ),
        "cosine_with_min_lr takes min_lr or min_lr_rate, not both; transformers: \
         Only one of min_lr or min_lr_rate should be set"
    );
    assert_eq!(
        error("cosine_with_min_lr", 0, 10, 0.1, &[]),
        "cosine_with_min_lr needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
         --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
         through the `lr_scheduler_kwargs`"
    );
    assert_eq!(
        error(
            "cosine_warmup_with_min_lr",
            2,
            10,
            0.1,
            &[("warmup_lr_rate", "0.1")]
        ),
        "cosine_warmup_with_min_lr needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
         --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
         through the `lr_scheduler_kwargs`"
    );
    assert_eq!(
        error(
            "cosine_warmup_with_min_lr",
            2,
            10,
            0.0,
            &[("min_lr", "1e-5")]
        ),
        "cosine_warmup_with_min_lr parameter min_lr=1e-05 needs --base-lr above 0: \
         transformers computes min_lr / lr, which raises ZeroDivisionError for lr 0; \
         use min_lr_rate instead"
    );
}

#[test]
fn inverse_sqrt_refuses_a_timescale_it_cannot_divide_by() {
    for (given, shown) in [("0", "0.0"), ("-20", "-20.0"), ("nan", "nan")] {
        assert_eq!(
            error("inverse_sqrt", 4, 10, 0.1, &[("timescale", given)]),
            format!(
                "inverse_sqrt parameter timescale={shown} must be a positive number: \
                 transformers computes 1 / sqrt((step - W + timescale) / timescale), which \
                 raises ZeroDivisionError or a math domain error (or gives NaN) for it"
            )
        );
    }
}

#[test]
fn warmup_stable_decay_errors_name_the_parameter() {
    assert_eq!(
        error("warmup_stable_decay", 5, 50, 0.1, &[]),
        "warmup_stable_decay needs num_decay_steps (add --set num_decay_steps=...): \
         length D of the decay phase, which ends at step N unless num_stable_steps is given"
    );
    assert_eq!(
        error(
            "warmup_stable_decay",
            5,
            50,
            0.1,
            &[("num_decay_steps", "-3")]
        ),
        "warmup_stable_decay parameter num_decay_steps=-3 must be 0 or more: a phase of \
         negative length has no meaning (transformers does not check it and silently \
         shifts the phases)"
    );
    assert_eq!(
        error(
            "warmup_stable_decay",
            5,
            50,
            0.1,
            &[("num_decay_steps", "10"), ("num_stable_steps", "-1")]
        ),
        "warmup_stable_decay parameter num_stable_steps=-1 must be 0 or more: a phase of \
         negative length has no meaning (transformers does not check it and silently \
         shifts the phases)"
    );
    assert_eq!(
        error(
            "warmup_stable_decay",
            5,
            50,
            0.1,
            &[("num_decay_steps", "10"), ("decay_type", "exponential")]
        ),
        "warmup_stable_decay parameter decay_type=exponential is not one of linear, cosine, 1-sqrt"
    );
}

#[test]
fn shapes_refuse_unknown_names_without_panicking() {
    assert_eq!(
        Shape::parse("warmup_stable_decay", "warmup_type", "step")
            .map(|s| format!("{s:?}"))
            .unwrap_or_else(|e| e.to_string()),
        "warmup_stable_decay parameter warmup_type=step is not one of linear, cosine, 1-sqrt"
    );
}

/// A schedule as `build` takes it (name, warmup, steps, base lr, `--set`), with
/// `(step, lr)` pairs copied from the golden file.
type GoldenCase = (
    &'static str,
    u64,
    u64,
    f64,
    &'static [(&'static str, &'static str)],
    &'static [(u64, f64)],
);

/// Golden values (`tests/golden/schedules.json`, transformers 5.24), bit for bit.
#[test]
fn matches_golden_values_bit_for_bit() -> Result<()> {
    let cases: [GoldenCase; 8] = [
        (
            "linear",
            10,
            100,
            0.1,
            &[],
            &[(45, 0.061111111111111116), (99, 0.0011111111111111111)],
        ),
        (
            "cosine",
            10,
            100,
            0.1,
            &[],
            &[
                (13, 0.09972609476841367),
                (55, 0.05),
                (99, 3.0458649045211895e-05),
            ],
        ),
        (
            // The same cosine value one ulp apart: `% 1.0` rounds the phase differently.
            "cosine_with_restarts",
            10,
            100,
            0.1,
            &[("num_cycles", "3")],
            &[
                (11, 0.09972609476841367),
                (40, 0.1),
                (41, 0.09972609476841368),
            ],
        ),
        (
            "polynomial",
            5,
            100,
            0.01,
            &[("lr_end", "0.0001"), ("power", "2.0")],
            &[(9, 0.009183867036011081), (99, 0.00010109695290858727)],
        ),
        (
            "inverse_sqrt",
            4,
            60,
            0.001,
            &[("timescale", "20")],
            &[(5, 0.0009759000729485331), (59, 0.0005163977794943222)],
        ),
        (
            "cosine_with_min_lr",
            5,
            80,
            0.001,
            &[("min_lr", "1e-05")],
            &[(8, 0.0009960967771506667), (79, 1.0434199101065101e-05)],
        ),
        (
            "cosine_warmup_with_min_lr",
            8,
            50,
            0.01,
            &[("min_lr", "0.001"), ("warmup_lr_rate", "0.25")],
            &[(0, 0.0025), (1, 0.0035714285714285718), (49, 0.001)],
        ),
        (
            "warmup_stable_decay",
            5,
            60,
            0.1,
            &[
                ("num_decay_steps", "30"),
                ("warmup_type", "cosine"),
                ("decay_type", "linear"),
                ("min_lr_ratio", "0.1"),
            ],
            &[
                (0, 0.010000000000000002),
                (1, 0.018594235253127367),
                (32, 0.09400000000000001),
                (59, 0.013000000000000001),
            ],
        ),
    ];
    for (name, warmup, steps, base_lr, set, want) in cases {
        let schedule = build(name, warmup, steps, base_lr, set)?;
        for &(step, lr) in want {
            let got = schedule.at(step).lr;
            assert_eq!(
                got.to_bits(),
                lr.to_bits(),
                "{name} step {step}: got {got:?}, want {lr:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn linear_and_restarts_reach_zero_at_the_horizon_and_stay() -> Result<()> {
    let linear = build("linear", 10, 100, 0.1, &[])?;
    assert_eq!(
        multipliers(&*linear, [99, 100, 101, 1000]),
        [1.0 / 90.0, 0.0, 0.0, 0.0]
    );
    let restarts = build("cosine_with_restarts", 10, 100, 0.1, &[("num_cycles", "3")])?;
    assert!(restarts.at(99).multiplier > 0.0);
    assert_eq!(multipliers(&*restarts, [100, 101, 5000]), [0.0, 0.0, 0.0]);
    Ok(())
}

#[test]
fn cosines_rise_again_past_the_horizon() -> Result<()> {
    let cosine = build("cosine", 10, 100, 0.1, &[])?;
    // progress 1 at N, 2 at 2N - W: the floor, then back to the top.
    assert_eq!(cosine.at(100).multiplier, 0.0);
    assert!(cosine.at(101).multiplier > 0.0);
    assert_eq!(cosine.at(190).multiplier, 1.0);

    let min_lr = build(
        "cosine_with_min_lr",
        10,
        100,
        0.1,
        &[("min_lr_rate", "0.1")],
    )?;
    assert_eq!(min_lr.at(100).multiplier, 0.1);
    assert_eq!(min_lr.at(190).multiplier, 1.0);

    // One step ahead: the floor comes at N - 1 and the top again at 2N - W - 1.
    let ahead = build(
        "cosine_warmup_with_min_lr",
        10,
        100,
        0.1,
        &[("min_lr_rate", "0.1")],
    )?;
    assert_eq!(ahead.at(99).multiplier, 0.1);
    assert!(ahead.at(100).multiplier > 0.1);
    assert_eq!(ahead.at(189).multiplier, 1.0);
    Ok(())
}

#[test]
fn cosine_warmup_with_min_lr_starts_one_step_ahead() -> Result<()> {
    let s = build(
        "cosine_warmup_with_min_lr",
        4,
        10,
        1.0,
        &[("min_lr_rate", "0")],
    )?;
    assert_eq!(multipliers(&*s, 0..4), [0.25, 0.5, 0.75, 1.0]);
    assert!(s.at(4).multiplier < 1.0);
    let rate = build(
        "cosine_warmup_with_min_lr",
        5,
        10,
        1.0,
        &[("min_lr_rate", "0"), ("warmup_lr_rate", "0.2")],
    )?;
    assert_eq!(
        multipliers(&*rate, 0..5),
        [0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    Ok(())
}

#[test]
fn polynomial_holds_lr_end_and_survives_warmup_equal_to_steps() -> Result<()> {
    let p = build("polynomial", 2, 10, 0.5, &[("lr_end", "0.25")])?;
    assert_eq!(multipliers(&*p, [10, 11, 500]), [0.5, 0.5, 0.5]);
    assert_eq!(p.last_defined_step(), None);

    // transformers divides (N - W) / 0 at step N = W, one past the last step evaluated.
    let w_eq_n = build("polynomial", 10, 10, 0.5, &[("lr_end", "0.25")])?;
    let m = multipliers(&*w_eq_n, 0..=12);
    assert!(m.iter().all(|x| x.is_finite()), "{m:?}");
    assert_eq!(m[9], 0.9);
    assert_eq!(&m[10..], [0.5, 0.5, 0.5]);
    assert_eq!(w_eq_n.last_defined_step(), Some(9));

    // 0.0 ** power with a negative power fails there too.
    let negative = build(
        "polynomial",
        0,
        10,
        0.5,
        &[("lr_end", "0.25"), ("power", "-1")],
    )?;
    assert!(
        multipliers(&*negative, 0..=11)
            .iter()
            .all(|x| x.is_finite())
    );
    assert_eq!(negative.last_defined_step(), Some(9));
    Ok(())
}

#[test]
fn inverse_sqrt_timescale_defaults_to_warmup_or_ten_thousand() -> Result<()> {
    let no_warmup = build("inverse_sqrt", 0, 10, 1.0, &[])?;
    assert_eq!(no_warmup.at(0).multiplier, 1.0);
    assert_eq!(no_warmup.at(10_000).multiplier, 1.0 / 2.0_f64.sqrt());
    let warmup = build("inverse_sqrt", 10, 100, 1.0, &[])?;
    assert_eq!(warmup.at(10).multiplier, 1.0);
    assert_eq!(warmup.at(40).multiplier, 0.5);
    // No horizon: it keeps decaying.
    assert!(warmup.at(1_000_000).multiplier < warmup.at(100).multiplier);
    Ok(())
}

#[test]
fn warmup_stable_decay_phases() -> Result<()> {
    let r = "0.25";
    let wsd = build(
        "warmup_stable_decay",
        4,
        20,
        1.0,
        &[("num_decay_steps", "8"), ("min_lr_ratio", r)],
    )?;
    // Warms up from min_lr_ratio, not 0; stable from W to N - D; min_lr_ratio from N on.
    assert_eq!(wsd.at(0).multiplier, 0.25);
    assert_eq!(multipliers(&*wsd, 4..12), [1.0; 8]);
    assert!(wsd.at(19).multiplier > 0.25);
    assert_eq!(multipliers(&*wsd, [20, 21, 900]), [0.25, 0.25, 0.25]);

    // num_stable_steps wins over --steps: the floor comes at W + S + D.
    let stable = build(
        "warmup_stable_decay",
        4,
        20,
        1.0,
        &[("num_decay_steps", "8"), ("num_stable_steps", "2")],
    )?;
    assert_eq!(multipliers(&*stable, [5, 6]), [1.0, 1.0]);
    assert!(stable.at(7).multiplier < 1.0);
    assert_eq!(stable.at(14).multiplier, 0.0);

    // W + D > N: the derived stable length is negative and the decay starts part-way.
    let short = build(
        "warmup_stable_decay",
        10,
        50,
        1.0,
        &[("num_decay_steps", "100")],
    )?;
    let p: f64 = 60.0 / 100.0;
    assert_eq!(
        short.at(10).multiplier,
        0.5 * (1.0 + (PI * 0.5 * 2.0 * p).cos())
    );
    assert_eq!(short.at(50).multiplier, 0.0);
    Ok(())
}

#[test]
fn python_max_and_modulo() {
    assert_eq!(py_max0(f64::NAN), 0.0);
    assert_eq!(py_max0(-0.0).to_bits(), 0.0_f64.to_bits());
    assert_eq!(py_max0(0.5), 0.5);
    assert_eq!(py_mod(-0.25, 1.0), 0.75);
    assert_eq!(py_mod(-1.0, 1.0).to_bits(), 0.0_f64.to_bits());
    assert_eq!(py_mod(2.5, 1.0), 0.5);
}
