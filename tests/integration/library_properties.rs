//! Property tests of the DeepSpeed, timm, Megatron and nanoGPT built-ins, with random
//! parameters that the library accepts, given as `--set` text:
//!
//! 1. the schedule builds, and every lr is finite and between the library's limits;
//! 2. streaming (`points`, from any step) and random access (`at`) give the same bits;
//! 3. where the library is continuous, no step moves the lr by more than its steepest slope;
//! 4. the JSON description reads back through `--config` to the same bits;
//! 5. any `--set` value at all (negative, huge, NaN, fractional) is either refused with an
//!    input error or evaluates without panicking.

use lrsched::description::Partial;
use lrsched::schedule::params::Raw;
use lrsched::schedule::registry::{self, Library};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// One schedule as the command line gives it.
#[derive(Clone, Debug)]
struct Case {
    name: &'static str,
    steps: u64,
    base_lr: f64,
    set: Vec<(&'static str, String)>,
}

impl Case {
    fn partial(&self) -> Partial {
        Partial {
            schedule: Some(self.name.to_string()),
            steps: Some(self.steps),
            base_lr: Some(self.base_lr),
            params: self
                .set
                .iter()
                .map(|(k, v)| (k.to_string(), Raw::Text(v.clone())))
                .collect(),
            ..Partial::default()
        }
    }

    fn float(&self, name: &str, default: f64) -> f64 {
        self.set
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map_or(default, |(_, v)| {
                v.parse().expect("strategies write numbers")
            })
    }
}

/// What a case must satisfy: `lo <= lr <= hi` at every step, and, for a continuous
/// schedule, `|lr[k + 1] - lr[k]| <= slope`.
#[derive(Clone, Copy, Debug)]
struct Limits {
    lo: f64,
    hi: f64,
    slope: Option<f64>,
}

fn lr_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.1),
        Just(1.0),
        (-6.0..=0.5f64).prop_map(|e| 10f64.powf(e))
    ]
}

fn steps() -> impl Strategy<Value = u64> {
    prop_oneof![1..=20u64, 1..=1500u64]
}

/// A count given as an int or, where the library computes with floats, a fraction.
fn count(lo: u64, hi: u64, fractional: bool) -> BoxedStrategy<String> {
    if fractional {
        prop_oneof![
            (lo..=hi).prop_map(|i| i.to_string()),
            (lo..=hi, 1..4u64).prop_map(|(i, q)| format!("{:?}", i as f64 + q as f64 / 4.0)),
        ]
        .boxed()
    } else {
        (lo..=hi).prop_map(|i| i.to_string()).boxed()
    }
}

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..1.0f64]
}

fn ds_warmup(name: &'static str) -> BoxedStrategy<(Case, Limits)> {
    (
        steps(),
        lr_value(),
        count(1, 300, false),
        prop::sample::select(&["log", "linear"][..]),
        unit(),
        unit(),
        count(1, 1500, true),
        prop::option::of(lr_value()),
    )
        .prop_map(move |(steps, base_lr, w, kind, a, b, total, max)| {
            let mut set = vec![
                ("warmup_num_steps", w.clone()),
                ("warmup_type", kind.to_string()),
            ];
            let w: f64 = w.parse::<f64>().expect("int").max(2.0);
            let linear = kind == "linear";
            let limits = if name == "WarmupCosineLR" {
                set.extend([
                    ("total_num_steps", total.clone()),
                    ("warmup_min_ratio", format!("{a:?}")),
                    ("cos_min_ratio", format!("{b:?}")),
                ]);
                let t: f64 = total.parse().expect("total");
                let slope = (1.0 / w).max(std::f64::consts::FRAC_PI_2 / (t - w).max(1.0));
                Limits {
                    lo: 0.0,
                    hi: base_lr,
                    // Continuous when the warmup is linear from warmup_min_ratio 0 (lr[0]
                    // is 0 whatever the ratio) and the cosine has at least one step.
                    slope: (linear && a == 0.0 && t >= w + 1.0).then_some(slope * base_lr),
                }
            } else {
                if let Some(max) = max {
                    set.push(("warmup_max_lr", format!("{max:?}")));
                }
                // Without warmup_max_lr: the optimizer's lr (WarmupLR) or 0.001.
                let max = max.unwrap_or(if name == "WarmupLR" { base_lr } else { 0.001 });
                let min = a * max;
                set.push(("warmup_min_lr", format!("{min:?}")));
                if name == "WarmupDecayLR" {
                    set.push(("total_num_steps", total.clone()));
                }
                let t: f64 = total.parse().expect("total");
                let slope = if name == "WarmupDecayLR" {
                    (1.0 / w).max(1.0 / (t - w).max(1.0))
                } else {
                    1.0 / w
                };
                // WarmupDecayLR with total_num_steps < warmup_num_steps + 1 drops right
                // after the warmup.
                let continuous = linear && (name == "WarmupLR" || t >= w + 1.0);
                Limits {
                    lo: min,
                    hi: max,
                    slope: continuous.then_some(slope * (max - min)),
                }
            };
            (
                Case {
                    name: match name {
                        "WarmupLR" => "deepspeed:WarmupLR",
                        "WarmupDecayLR" => "deepspeed:WarmupDecayLR",
                        _ => "deepspeed:WarmupCosineLR",
                    },
                    steps,
                    base_lr,
                    set,
                },
                limits,
            )
        })
        .boxed()
}

fn one_cycle() -> BoxedStrategy<(Case, Limits)> {
    (
        (steps(), lr_value(), unit()),
        (count(1, 200, true), prop::option::of(count(0, 200, true))),
        (0..5u64, prop::option::of(0..5u64)),
        (
            prop_oneof![Just(0.0), 0.0..2.0f64],
            prop_oneof![Just("0".to_string()), count(1, 50, true)],
        ),
    )
        .prop_map(
            |((steps, base_lr, a), (first, second), (stairs1, stairs2), (rate, decay_step))| {
                let max = base_lr;
                let min = a * max;
                let mut set = vec![
                    ("cycle_min_lr", format!("{min:?}")),
                    ("cycle_max_lr", format!("{max:?}")),
                    ("cycle_first_step_size", first),
                    ("cycle_first_stair_count", stairs1.to_string()),
                    ("decay_lr_rate", format!("{rate:?}")),
                    ("decay_step_size", decay_step),
                ];
                if let Some(second) = second {
                    set.push(("cycle_second_step_size", second));
                }
                if let Some(stairs2) = stairs2 {
                    set.push(("cycle_second_stair_count", stairs2.to_string()));
                }
                let case = Case {
                    name: "deepspeed:OneCycle",
                    steps,
                    base_lr,
                    set,
                };
                (
                    case,
                    Limits {
                        lo: 0.0,
                        hi: max,
                        slope: None,
                    },
                )
            },
        )
        .boxed()
}

fn lr_range_test() -> BoxedStrategy<(Case, Limits)> {
    (steps(), lr_value(), 1..500u64, 0.0..5.0f64, any::<bool>())
        .prop_map(|(steps, min, size, rate, staircase)| {
            let hi = min * (1.0 + rate * steps as f64 / size as f64);
            (
                Case {
                    name: "deepspeed:LRRangeTest",
                    steps,
                    base_lr: 0.1,
                    set: vec![
                        ("lr_range_test_min_lr", format!("{min:?}")),
                        ("lr_range_test_step_size", size.to_string()),
                        ("lr_range_test_step_rate", format!("{rate:?}")),
                        ("lr_range_test_staircase", staircase.to_string()),
                    ],
                },
                Limits {
                    lo: min,
                    hi,
                    slope: (!staircase).then_some(min * rate / size as f64),
                },
            )
        })
        .boxed()
}

fn timm_cycle(name: &'static str) -> BoxedStrategy<(Case, Limits)> {
    (
        (steps(), lr_value(), count(1, 800, true), unit()),
        (
            prop_oneof![Just(1.0), 1.0..3.0f64],
            prop_oneof![Just(1.0), 0.1..1.0f64],
            0..5u64,
        ),
        (prop::option::of(count(0, 100, true)), unit(), any::<bool>()),
        (prop_oneof![Just(1.0), 0.25..3.0f64], 0.25..3.0f64),
    )
        .prop_map(
            move |(
                (steps, base_lr, t_initial, a),
                (cycle_mul, cycle_decay, cycle_limit),
                (warmup_t, b, prefix),
                (k_decay, power),
            )| {
                let lr_min = a * base_lr;
                let init = b * base_lr;
                let mut set = vec![
                    ("t_initial", t_initial),
                    ("lr_min", format!("{lr_min:?}")),
                    ("cycle_mul", format!("{cycle_mul:?}")),
                    ("cycle_decay", format!("{cycle_decay:?}")),
                    ("cycle_limit", cycle_limit.to_string()),
                    ("warmup_lr_init", format!("{init:?}")),
                    ("warmup_prefix", prefix.to_string()),
                ];
                if let Some(w) = warmup_t {
                    set.push(("warmup_t", w));
                }
                match name {
                    "timm:cosine" => set.push(("k_decay", format!("{k_decay:?}"))),
                    "timm:poly" => set.extend([
                        ("k_decay", format!("{k_decay:?}")),
                        ("power", format!("{power:?}")),
                    ]),
                    _ => {}
                }
                let case = Case {
                    name,
                    steps,
                    base_lr,
                    set,
                };
                let t = case.float("t_initial", 1.0);
                let w = case.float("warmup_t", 0.0);
                // Continuous: one cosine after a warmup that ends at base_lr.
                let slope = (name == "timm:cosine"
                    && cycle_limit == 1
                    && k_decay == 1.0
                    && (w == 0.0 || (prefix && w.fract() == 0.0)))
                    .then(|| {
                        let warm = if w > 0.0 {
                            (base_lr - init).abs() / w
                        } else {
                            0.0
                        };
                        warm.max((base_lr - lr_min) * std::f64::consts::FRAC_PI_2 / t)
                    });
                (
                    case,
                    // Each cycle runs between lr_min and its start, base_lr *
                    // cycle_decay^i, which may fall below lr_min.
                    Limits {
                        lo: lr_min
                            .min(init)
                            .min(base_lr * cycle_decay.powi(cycle_limit as i32)),
                        hi: base_lr.max(init).max(lr_min),
                        slope,
                    },
                )
            },
        )
        .boxed()
}

fn timm_step(name: &'static str) -> BoxedStrategy<(Case, Limits)> {
    (
        (steps(), lr_value(), count(1, 400, true)),
        (prop::collection::vec(1..600i64, 1..5), 0.05..=1.0f64),
        (prop::option::of(count(0, 100, true)), unit(), any::<bool>()),
    )
        .prop_map(
            move |((steps, base_lr, decay_t), (mut milestones, rate), (warmup_t, b, prefix))| {
                milestones.sort_unstable();
                let decay_t = if name == "timm:step" {
                    decay_t
                } else {
                    milestones
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let init = b * base_lr;
                let mut set = vec![
                    ("decay_t", decay_t),
                    ("decay_rate", format!("{rate:?}")),
                    ("warmup_lr_init", format!("{init:?}")),
                    ("warmup_prefix", prefix.to_string()),
                ];
                if let Some(w) = warmup_t {
                    set.push(("warmup_t", w));
                }
                (
                    Case {
                        name,
                        steps,
                        base_lr,
                        set,
                    },
                    Limits {
                        lo: 0.0,
                        hi: base_lr.max(init),
                        slope: None,
                    },
                )
            },
        )
        .boxed()
}

fn megatron(name: &'static str) -> BoxedStrategy<(Case, Limits)> {
    (
        (steps(), lr_value(), unit(), unit()),
        (1..1500u64, unit(), any::<bool>()),
        (
            unit(),
            prop::sample::select(&["linear", "cosine", "exponential", "minus_sqrt"][..]),
        ),
    )
        .prop_map(
            move |((steps, max_lr, a, b), (d, c, fractional), (e, anneal))| {
                let init = a * max_lr;
                let min = b * max_lr;
                let mut w = (c * (d - 1) as f64).floor();
                if fractional && w + 0.5 < d as f64 {
                    w += 0.5;
                }
                let wsd = (e * d as f64).round();
                let mut set = vec![
                    ("init_lr", format!("{init:?}")),
                    ("max_lr", format!("{max_lr:?}")),
                    ("min_lr", format!("{min:?}")),
                    ("lr_warmup_steps", format!("{w:?}")),
                    ("lr_decay_steps", d.to_string()),
                ];
                if name == "megatron:WSD" {
                    set.extend([
                        ("wsd_decay_steps", format!("{wsd:?}")),
                        ("lr_wsd_decay_style", anneal.to_string()),
                    ]);
                }
                let warm = if w > 0.0 { (max_lr - init) / w } else { 0.0 };
                let decay = (max_lr - min) * std::f64::consts::FRAC_PI_2 / (d as f64 - w);
                // Continuous: linear and cosine reach min_lr at lr_decay_steps; the warmup of
                // a whole number of steps ends at max_lr, where the decay starts.
                let slope = (matches!(name, "megatron:linear" | "megatron:cosine")
                    && w.fract() == 0.0)
                    .then_some(warm.max(decay));
                (
                    Case {
                        name,
                        steps,
                        base_lr: 0.1,
                        set,
                    },
                    Limits {
                        lo: init.min(min),
                        hi: max_lr,
                        slope,
                    },
                )
            },
        )
        .boxed()
}

fn nanogpt() -> BoxedStrategy<(Case, Limits)> {
    (steps(), lr_value(), unit(), 0..300u64, 1..1500u64)
        .prop_map(|(steps, lr, a, w, extra)| {
            let min = a * lr;
            let d = w + extra;
            let slope = (lr / (w as f64 + 1.0))
                .max((lr - min) * std::f64::consts::FRAC_PI_2 / extra as f64);
            (
                Case {
                    name: "nanogpt:get_lr",
                    steps,
                    base_lr: 0.1,
                    set: vec![
                        ("learning_rate", format!("{lr:?}")),
                        ("min_lr", format!("{min:?}")),
                        ("warmup_iters", w.to_string()),
                        ("lr_decay_iters", d.to_string()),
                    ],
                },
                Limits {
                    lo: min.min(lr / (w as f64 + 1.0)),
                    hi: lr,
                    slope: Some(slope),
                },
            )
        })
        .boxed()
}

/// Properties 1 to 4 for one case.
fn check(case: &Case, limits: Limits, from: u64) -> Result<(), TestCaseError> {
    let description = case
        .partial()
        .resolve()
        .map_err(|e| TestCaseError::fail(format!("{case:?}: rejected: {e}")))?;
    let schedule = description.schedule();
    let points: Vec<_> = schedule.points(0).take(case.steps as usize).collect();
    prop_assert_eq!(points.len() as u64, case.steps);
    let eps = 1e-12 * limits.hi.abs().max(limits.lo.abs());
    for p in &points {
        prop_assert!(
            p.lr.is_finite() && p.lr >= limits.lo - eps && p.lr <= limits.hi + eps,
            "{:?} step {}: lr {:?} outside [{:?}, {:?}]",
            case,
            p.step,
            p.lr,
            limits.lo,
            limits.hi
        );
    }
    if let Some(slope) = limits.slope {
        for pair in points.windows(2) {
            let jump = (pair[1].lr - pair[0].lr).abs();
            prop_assert!(
                jump <= slope * (1.0 + 1e-9) + eps,
                "{:?} step {}: lr moves by {:?}, more than the steepest slope {:?}",
                case,
                pair[1].step,
                jump,
                slope
            );
        }
    }
    let from = from % case.steps;
    for (got, want) in schedule.points(from).zip(&points[from as usize..]).take(50) {
        let at = schedule.at(want.step);
        prop_assert!(
            got.lr.to_bits() == want.lr.to_bits() && at.lr.to_bits() == want.lr.to_bits(),
            "{:?} step {}: points(0) {:?}, points({}) {:?}, at {:?}",
            case,
            want.step,
            want.lr,
            from,
            got.lr,
            at.lr
        );
    }
    let json = description.to_json().to_string();
    let back = Partial::from_config_text(&json)
        .and_then(|p| p.resolve())
        .map(|d| d.into_schedule())
        .map_err(|e| TestCaseError::fail(format!("{json} does not read back: {e}")))?;
    for (got, want) in back.points(0).zip(&points) {
        prop_assert_eq!(
            got.lr.to_bits(),
            want.lr.to_bits(),
            "{} step {}",
            json,
            want.step
        );
    }
    Ok(())
}

/// Property 5: any text for any parameter of `name` is refused or evaluated, never a panic.
fn survives(
    name: &'static str,
    set: Vec<(usize, String)>,
    steps: u64,
) -> Result<(), TestCaseError> {
    let entry = registry::find(name).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let params = set
        .into_iter()
        .map(|(i, v)| {
            let spec = &entry.params[i % entry.params.len()];
            (spec.name.to_string(), Raw::Text(v))
        })
        .collect();
    let partial = Partial {
        schedule: Some(name.to_string()),
        steps: Some(steps),
        params,
        ..Partial::default()
    };
    if let Ok(schedule) = partial.resolve().map(|d| d.into_schedule()) {
        let last = schedule.points(0).take(steps as usize).last();
        prop_assert!(last.is_some());
        let _ = schedule.at(steps.saturating_mul(7));
    }
    Ok(())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..5000).prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        (-10.0..10.0f64).prop_map(|x| format!("{x:?}")),
        prop::sample::select(
            &[
                "0", "0.0", "-0.0", "nan", "inf", "-inf", "1e308", "true", "false", "None",
                "linear", "log", "cosine", "1,2,3", "3,1", "x"
            ][..]
        )
        .prop_map(String::from),
    ]
}

/// Every new built-in, with the strategy that draws its valid cases.
type Strategies = Vec<(&'static str, fn() -> BoxedStrategy<(Case, Limits)>)>;

fn strategies() -> Strategies {
    vec![
        ("deepspeed:LRRangeTest", lr_range_test),
        ("deepspeed:OneCycle", one_cycle),
        ("deepspeed:WarmupLR", || ds_warmup("WarmupLR")),
        ("deepspeed:WarmupDecayLR", || ds_warmup("WarmupDecayLR")),
        ("deepspeed:WarmupCosineLR", || ds_warmup("WarmupCosineLR")),
        ("timm:cosine", || timm_cycle("timm:cosine")),
        ("timm:tanh", || timm_cycle("timm:tanh")),
        ("timm:step", || timm_step("timm:step")),
        ("timm:multistep", || timm_step("timm:multistep")),
        ("timm:poly", || timm_cycle("timm:poly")),
        ("megatron:constant", || megatron("megatron:constant")),
        ("megatron:linear", || megatron("megatron:linear")),
        ("megatron:cosine", || megatron("megatron:cosine")),
        ("megatron:inverse-square-root", || {
            megatron("megatron:inverse-square-root")
        }),
        ("megatron:WSD", || megatron("megatron:WSD")),
        ("nanogpt:get_lr", nanogpt),
    ]
}

#[test]
fn every_new_built_in_has_a_strategy() {
    let covered: Vec<&str> = strategies().iter().map(|(name, _)| *name).collect();
    let registered: Vec<String> = registry::entries()
        .filter(|e| {
            matches!(
                e.library,
                Library::DeepSpeed | Library::Timm | Library::Megatron | Library::NanoGpt
            )
        })
        .map(|e| e.to_string())
        .collect();
    assert_eq!(covered, registered);
}

macro_rules! library_properties {
    ($($test:ident: $name:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
            $(
                #[test]
                fn $test(
                    (case, limits) in strategies()
                        .into_iter()
                        .find(|(n, _)| *n == $name)
                        .map(|(_, s)| s())
                        .expect("a strategy"),
                    from in any::<u64>(),
                    wild in prop::collection::vec((any::<usize>(), any_text()), 0..4),
                    wild_steps in 1..300u64,
                ) {
                    check(&case, limits, from)?;
                    survives($name, wild, wild_steps)?;
                }
            )*
        }
    };
}

library_properties! {
    deepspeed_lr_range_test: "deepspeed:LRRangeTest";
    deepspeed_one_cycle: "deepspeed:OneCycle";
    deepspeed_warmup_lr: "deepspeed:WarmupLR";
    deepspeed_warmup_decay_lr: "deepspeed:WarmupDecayLR";
    deepspeed_warmup_cosine_lr: "deepspeed:WarmupCosineLR";
    timm_cosine: "timm:cosine";
    timm_tanh: "timm:tanh";
    timm_step_lr: "timm:step";
    timm_multistep_lr: "timm:multistep";
    timm_poly: "timm:poly";
    megatron_constant: "megatron:constant";
    megatron_linear: "megatron:linear";
    megatron_cosine: "megatron:cosine";
    megatron_inverse_square_root: "megatron:inverse-square-root";
    megatron_wsd: "megatron:WSD";
    nanogpt_get_lr: "nanogpt:get_lr";
}
