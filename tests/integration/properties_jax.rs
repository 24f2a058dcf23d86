//! Property tests of the optax and Keras built-ins: the shared properties 1 to 5 of
//! [`super`] (finite, >= 0, streams agree, `--every`, JSON round trip), and two of their
//! own, for parameters drawn within each library's validation:
//!
//! 7. every lr lies between the lowest and highest level its parameters define (the
//!    initial, peak and end values, the alpha floor, the piecewise values), within float32
//!    rounding;
//! 8. where the library's curve is continuous, no step changes the lr by more than the
//!    curve's steepest slope allows over one step.
//!
//! Each strategy says where it draws narrower than the library accepts, and why.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::{
    Case, MAX_STEPS, Param, Warmup, boolean, builtin, check_builtin, choice, float, float_or_whole,
    int, optional, probe, required, unit,
};
use lrsched::schedule::Point;

/// A learning-rate level: an lr in `[0, 1]`.
fn level() -> BoxedStrategy<String> {
    float(unit())
}

/// A horizon of `--steps` scale, whole or fractional.
fn horizon(low: f64, high: i64) -> BoxedStrategy<String> {
    float_or_whole(low..high as f64, 1..=high)
}

/// A `{step: scale}` dict of up to 4 entries, scales in `[0, 3]` (optax rejects negative
/// ones), keys in any order.
fn boundaries_and_scales() -> BoxedStrategy<String> {
    prop::collection::vec((0..=300i64, prop_oneof![Just(0.0), 0.0..3.0f64]), 0..=4)
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, s)| format!("{k}:{s:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .boxed()
}

/// The `exponential_decay` keywords. A rate above 1 comes with an `end_value` cap, and
/// stays below `1.04` per whole `transition_steps`: faster growth overflows float32 within
/// a run, and `0 * inf` is NaN for `init_value=0` (in optax too).
fn exponential_params() -> BoxedStrategy<Param> {
    let decaying = (
        prop_oneof![Just(0.0), 0.0..1.0f64],
        prop::option::of(0.0..0.5f64),
        float_or_whole(-2.0..100.0f64, -2..=100i64),
    );
    let growing = (1.0..1.04f64, (0.0..1.0f64).prop_map(Some), int(1..=100i64));
    (
        prop_oneof![decaying, growing],
        prop::option::of(int(-5..=100i64)),
        prop::option::of(boolean()),
    )
        .prop_map(|((rate, end, steps), begin, staircase)| {
            let mut set = vec![
                ("transition_steps", steps),
                ("decay_rate", format!("{rate:?}")),
            ];
            if let Some(end) = end {
                set.push(("end_value", format!("{end:?}")));
            }
            if let Some(begin) = begin {
                set.push(("transition_begin", begin));
            }
            if let Some(staircase) = staircase {
                set.push(("staircase", staircase));
            }
            set
        })
        .boxed()
}

pub(super) fn constant_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin("optax:constant_schedule", Warmup::None, max, |_, _, _| {
        vec![required("value", float_or_whole(0.0..1.0f64, 0..=3i64))]
    })
}

pub(super) fn linear_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin("optax:linear_schedule", Warmup::None, max, |_, _, _| {
        vec![
            required("init_value", level()),
            required("end_value", level()),
            required(
                "transition_steps",
                float_or_whole(-5.0..500.0f64, -5..=500i64),
            ),
            optional("transition_begin", int(-5..=100i64)),
        ]
    })
}

/// `power` in `[0, 4]`: a negative one is infinite at the end of the transition.
pub(super) fn polynomial_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin("optax:polynomial_schedule", Warmup::None, max, |_, _, _| {
        vec![
            required("init_value", level()),
            required("end_value", level()),
            required("power", float_or_whole(0.0..4.0f64, 0..=4i64)),
            required(
                "transition_steps",
                float_or_whole(-5.0..500.0f64, -5..=500i64),
            ),
            optional("transition_begin", int(-5..=100i64)),
        ]
    })
}

/// `exponent` in `[0.5, 3]`; optax takes any, and a negative one is infinite at the end.
pub(super) fn cosine_decay_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:cosine_decay_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("init_value", level()),
                required("decay_steps", horizon(0.5, 500)),
                optional("alpha", float(unit())),
                optional("exponent", float_or_whole(0.5..3.0f64, 1..=3i64)),
            ]
        },
    )
}

pub(super) fn exponential_decay(max: u64) -> BoxedStrategy<Case> {
    builtin("optax:exponential_decay", Warmup::None, max, |_, _, _| {
        vec![required("init_value", level()), exponential_params()]
    })
}

pub(super) fn piecewise_constant_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:piecewise_constant_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("init_value", level()),
                optional("boundaries_and_scales", boundaries_and_scales()),
            ]
        },
    )
}

pub(super) fn piecewise_interpolate_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:piecewise_interpolate_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("interpolate_type", choice(&["linear", "cosine"])),
                required("init_value", level()),
                optional("boundaries_and_scales", boundaries_and_scales()),
            ]
        },
    )
}

pub(super) fn warmup_constant_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:warmup_constant_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("init_value", level()),
                required("peak_value", level()),
                required("warmup_steps", int(-2..=300i64)),
            ]
        },
    )
}

/// `decay_steps` above `warmup_steps`, as optax requires.
pub(super) fn warmup_cosine_decay_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:warmup_cosine_decay_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            let steps = (0..=200i64, 1..=500i64)
                .prop_map(|(w, d)| {
                    vec![
                        ("warmup_steps", w.to_string()),
                        ("decay_steps", (w + d).to_string()),
                    ]
                })
                .boxed();
            vec![
                required("init_value", level()),
                required("peak_value", level()),
                steps,
                optional("end_value", level()),
                optional("exponent", float_or_whole(0.5..3.0f64, 1..=3i64)),
            ]
        },
    )
}

pub(super) fn warmup_exponential_decay_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:warmup_exponential_decay_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("init_value", level()),
                required("peak_value", level()),
                required("warmup_steps", int(0..=200i64)),
                exponential_params(),
            ]
        },
    )
}

/// `div_factor` and `final_div_factor` of at least 1: below 1 the "start" and "end" lie
/// above the peak, which optax allows but no one-cycle policy means.
pub(super) fn cosine_onecycle_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:cosine_onecycle_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("transition_steps", horizon(1.0, 500)),
                required("peak_value", level()),
                optional("pct_start", float(unit())),
                optional("div_factor", float(1.0..100.0f64)),
                optional("final_div_factor", float(1.0..1e5f64)),
            ]
        },
    )
}

pub(super) fn linear_onecycle_schedule(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "optax:linear_onecycle_schedule",
        Warmup::None,
        max,
        |_, _, _| {
            vec![
                required("transition_steps", horizon(1.0, 500)),
                required("peak_value", level()),
                optional("pct_start", float(unit())),
                optional("pct_final", float(unit())),
                optional("div_factor", float(1.0..100.0f64)),
                optional("final_div_factor", float(1.0..1e5f64)),
            ]
        },
    )
}

pub(super) fn cosine_decay(max: u64) -> BoxedStrategy<Case> {
    builtin("keras:CosineDecay", Warmup::None, max, |_, _, _| {
        vec![
            required("initial_learning_rate", level()),
            required("decay_steps", horizon(0.5, 1000)),
            optional("alpha", float(unit())),
            optional("warmup_target", level()),
            optional("warmup_steps", float_or_whole(0.0..300.0f64, 0..=300i64)),
        ]
    })
}

/// `t_mul >= 1`: below 1 the periods shrink to nothing and Keras' `log` of a negative
/// number gives NaN after a finite number of steps.
pub(super) fn cosine_decay_restarts(max: u64) -> BoxedStrategy<Case> {
    builtin("keras:CosineDecayRestarts", Warmup::None, max, |_, _, _| {
        vec![
            required("initial_learning_rate", level()),
            required("first_decay_steps", horizon(0.5, 200)),
            optional("t_mul", float(prop_oneof![Just(1.0), 1.0..3.0f64])),
            optional("m_mul", float(unit())),
            optional("alpha", float(unit())),
        ]
    })
}

/// `decay_rate` in `[0, 1]`: above 1 the lr grows without bound, as Keras lets it.
pub(super) fn exponential_decay_keras(max: u64) -> BoxedStrategy<Case> {
    builtin("keras:ExponentialDecay", Warmup::None, max, |_, _, _| {
        vec![
            required("initial_learning_rate", level()),
            required("decay_steps", horizon(0.5, 100)),
            required("decay_rate", float(unit())),
            optional("staircase", boolean()),
        ]
    })
}

pub(super) fn inverse_time_decay(max: u64) -> BoxedStrategy<Case> {
    builtin("keras:InverseTimeDecay", Warmup::None, max, |_, _, _| {
        vec![
            required("initial_learning_rate", level()),
            required("decay_steps", horizon(0.5, 100)),
            required("decay_rate", float(0.0..3.0f64)),
            optional("staircase", boolean()),
        ]
    })
}

/// Increasing boundaries, as Keras documents them (unsorted ones add values up).
pub(super) fn piecewise_constant_decay(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "keras:PiecewiseConstantDecay",
        Warmup::None,
        max,
        |_, _, _| {
            let lists = prop::collection::btree_set(0..=500i64, 1..=4)
                .prop_flat_map(|bounds| {
                    let n = bounds.len() + 1;
                    (Just(bounds), prop::collection::vec(0.0..1.0f64, n..=n))
                })
                .prop_map(|(bounds, values)| {
                    let b: Vec<String> = bounds.iter().map(i64::to_string).collect();
                    let v: Vec<String> = values.iter().map(|x| format!("{x:?}")).collect();
                    vec![("boundaries", b.join(",")), ("values", v.join(","))]
                })
                .boxed();
            vec![lists]
        },
    )
}

/// A whole `decay_steps` with `cycle`: with a fractional one, float32's `ceil(k / D)` can
/// fall a period short, and Keras' `(1 - p) ** power` of a negative number is NaN.
pub(super) fn polynomial_decay(max: u64) -> BoxedStrategy<Case> {
    builtin("keras:PolynomialDecay", Warmup::None, max, |_, _, _| {
        let horizon_and_cycle = prop_oneof![
            required("decay_steps", horizon(0.5, 500)),
            (1..=500i64, boolean())
                .prop_map(|(d, cycle)| vec![("decay_steps", d.to_string()), ("cycle", cycle)]),
        ]
        .boxed();
        vec![
            required("initial_learning_rate", level()),
            horizon_and_cycle,
            optional("end_learning_rate", level()),
            optional("power", float(0.1..4.0f64)),
        ]
    })
}

// ---------------------------------------------------------------------------------------
// Properties 7 and 8

/// A number parameter of the case, or `default`.
fn number(case: &Case, name: &str, default: f64) -> f64 {
    case.float(name, default)
}

/// `(low, high)` that every lr of the case lies in, by property 7.
fn levels(case: &Case) -> (f64, f64) {
    let n = |name: &str, default: f64| number(case, name, default);
    let span = |xs: &[f64]| {
        xs.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    let schedule = case.name().split_once(':').map_or(case.name(), |(_, s)| s);
    match schedule {
        "constant_schedule" => span(&[n("value", 0.0)]),
        "linear_schedule" | "polynomial_schedule" => {
            span(&[n("init_value", 0.0), n("end_value", 0.0)])
        }
        "cosine_decay_schedule" => {
            let i = n("init_value", 0.0);
            span(&[i, i * n("alpha", 0.0)])
        }
        "exponential_decay" => span(&[0.0, n("init_value", 0.0), n("end_value", 0.0)]),
        "piecewise_constant_schedule" | "piecewise_interpolate_schedule" => {
            let mut knots: Vec<(i64, f64)> = case
                .param("boundaries_and_scales")
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.split(',')
                        .map(|kv| {
                            let (k, v) = kv.split_once(':').unwrap();
                            (k.parse().unwrap(), v.parse().unwrap())
                        })
                        .collect()
                })
                .unwrap_or_default();
            // A repeated key takes the later scale, as in a Python dict.
            knots.reverse();
            knots.sort_by_key(|k| k.0);
            knots.dedup_by_key(|k| k.0);
            let mut v = n("init_value", 0.0);
            let mut levels = vec![v];
            for (_, s) in knots {
                v *= s;
                levels.push(v);
            }
            span(&levels)
        }
        "warmup_constant_schedule" => span(&[n("init_value", 0.0), n("peak_value", 0.0)]),
        "warmup_cosine_decay_schedule" => span(&[
            n("init_value", 0.0),
            n("peak_value", 0.0),
            if n("peak_value", 0.0) == 0.0 {
                0.0
            } else {
                n("end_value", 0.0)
            },
        ]),
        "warmup_exponential_decay_schedule" => span(&[
            0.0,
            n("init_value", 0.0),
            n("peak_value", 0.0),
            n("end_value", 0.0),
        ]),
        "cosine_onecycle_schedule" | "linear_onecycle_schedule" => {
            span(&[0.0, n("peak_value", 0.0)])
        }
        "CosineDecay" => span(&[
            0.0,
            n("initial_learning_rate", 0.0),
            n("warmup_target", 0.0),
        ]),
        "CosineDecayRestarts" | "ExponentialDecay" | "InverseTimeDecay" => {
            span(&[0.0, n("initial_learning_rate", 0.0)])
        }
        "PiecewiseConstantDecay" => {
            let values: Vec<f64> = case
                .param("values")
                .unwrap()
                .split(',')
                .map(|v| v.parse().unwrap())
                .collect();
            span(&values)
        }
        "PolynomialDecay" => span(&[
            n("initial_learning_rate", 0.0),
            n("end_learning_rate", 1e-4),
        ]),
        other => panic!("no levels for {other}"),
    }
}

/// Property 7: `low <= lr <= high`, within float32 rounding of the levels.
fn within_levels(case: &Case, points: &[Point]) -> Result<(), TestCaseError> {
    let (low, high) = levels(case);
    let slack = 1e-6 * low.abs().max(high.abs()) + f64::from(f32::MIN_POSITIVE);
    for p in points {
        prop_assert!(
            p.lr >= low - slack && p.lr <= high + slack,
            "{} step {}: lr {:?} outside [{low:?}, {high:?}]\n  {}",
            case.name(),
            p.step,
            p.lr,
            case.args().join(" ")
        );
    }
    Ok(())
}

/// The largest change of the lr from one step to the next on a continuous curve, by its
/// steepest slope: `(high - low) * slope / length` for a transition over `length` steps.
/// `None` where the library's curve jumps (staircases, piecewise, cycles, restarts, a
/// transition shorter than a step) or has an unbounded slope (a power below 1).
fn max_change(case: &Case) -> Option<f64> {
    let n = |name: &str, default: f64| number(case, name, default);
    let (low, high) = levels(case);
    let range = high - low;
    let pi_2 = std::f64::consts::FRAC_PI_2;
    let schedule = case.name().split_once(':').map_or(case.name(), |(_, s)| s);
    let (slope, length) = match schedule {
        "linear_schedule" => (1.0, n("transition_steps", 0.0)),
        "polynomial_schedule" if n("power", 1.0) >= 1.0 => {
            (n("power", 1.0), n("transition_steps", 0.0))
        }
        "cosine_decay_schedule" if n("exponent", 1.0) >= 1.0 => {
            (pi_2 * n("exponent", 1.0), n("decay_steps", 0.0))
        }
        "warmup_constant_schedule" => (1.0, n("warmup_steps", 0.0)),
        "warmup_cosine_decay_schedule" if n("exponent", 1.0) >= 1.0 => {
            let w = n("warmup_steps", 0.0);
            let d = n("decay_steps", 0.0) - w;
            // No warmup (W <= 0) starts on the cosine; W >= 1 ends the warmup at the peak.
            if w >= 1.0 {
                (pi_2 * n("exponent", 1.0), w.min(d))
            } else {
                (pi_2 * n("exponent", 1.0), d)
            }
        }
        "CosineDecay" => {
            let w = n("warmup_steps", 0.0);
            let d = n("decay_steps", 0.0);
            match case.param("warmup_target") {
                None => (pi_2, d),
                Some(_) if w >= 1.0 => (pi_2, w.min(d)),
                Some(_) if w == 0.0 => (pi_2, d),
                Some(_) => return None,
            }
        }
        "PolynomialDecay"
            if case
                .param("cycle")
                .is_none_or(|c| c.eq_ignore_ascii_case("false") || c == "0") =>
        {
            let power = n("power", 1.0);
            if power < 1.0 {
                return None;
            }
            (power, n("decay_steps", 0.0))
        }
        _ => return None,
    };
    (length >= 1.0).then(|| range * slope / length)
}

/// Property 8: no step changes the lr by more than [`max_change`] (plus float32 rounding).
fn continuous(case: &Case, points: &[Point]) -> Result<(), TestCaseError> {
    let Some(limit) = max_change(case) else {
        return Ok(());
    };
    let (low, high) = levels(case);
    let slack = 4e-7 * low.abs().max(high.abs()) + f64::from(f32::MIN_POSITIVE);
    for pair in points.windows(2) {
        let change = (pair[1].lr - pair[0].lr).abs();
        prop_assert!(
            change <= limit * (1.0 + 1e-6) + slack,
            "{} steps {} to {}: the lr jumps by {change:?} (from {:?} to {:?}), more than \
             {limit:?}\n  {}",
            case.name(),
            pair[0].step,
            pair[1].step,
            pair[0].lr,
            pair[1].lr,
            case.args().join(" ")
        );
    }
    Ok(())
}

/// Properties 1 to 5, 7 and 8 of one case.
fn check(case: &Case, probe: &super::Probe) -> Result<(), TestCaseError> {
    check_builtin(case, probe)?;
    let description = case.resolve()?;
    let schedule = description.schedule();
    let points: Vec<Point> = schedule.points(0).take(case.steps as usize).collect();
    within_levels(case, &points)?;
    continuous(case, &points)
}

macro_rules! jax_properties {
    ($($test:ident => $strategy:ident,)*) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
            $(
                #[test]
                fn $test(case in $strategy(MAX_STEPS), probe in probe()) {
                    check(&case, &probe)?;
                }
            )*
        }
    };
}

jax_properties! {
    constant_schedule_properties => constant_schedule,
    linear_schedule_properties => linear_schedule,
    polynomial_schedule_properties => polynomial_schedule,
    cosine_decay_schedule_properties => cosine_decay_schedule,
    exponential_decay_properties => exponential_decay,
    piecewise_constant_schedule_properties => piecewise_constant_schedule,
    piecewise_interpolate_schedule_properties => piecewise_interpolate_schedule,
    warmup_constant_schedule_properties => warmup_constant_schedule,
    warmup_cosine_decay_schedule_properties => warmup_cosine_decay_schedule,
    warmup_exponential_decay_schedule_properties => warmup_exponential_decay_schedule,
    cosine_onecycle_schedule_properties => cosine_onecycle_schedule,
    linear_onecycle_schedule_properties => linear_onecycle_schedule,
    keras_cosine_decay_properties => cosine_decay,
    keras_cosine_decay_restarts_properties => cosine_decay_restarts,
    keras_exponential_decay_properties => exponential_decay_keras,
    keras_inverse_time_decay_properties => inverse_time_decay,
    keras_piecewise_constant_decay_properties => piecewise_constant_decay,
    keras_polynomial_decay_properties => polynomial_decay,
}
