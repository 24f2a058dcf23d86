//! Property tests of every built-in schedule and of `--expr`, with random parameters that
//! the home library accepts, given as `--set` text so that the parsing is exercised too:
//!
//! 1. every evaluated lr is finite (and >= 0, except where noted at [`lowest_lr`]);
//! 2. a warmup ramps monotonically and by its documented formula, bit for bit;
//! 3. streaming (`points`, `nth`) and random access (`at`) give the same bits;
//! 4. `--every K` writes exactly every K-th row of the full run, and the last;
//! 5. the JSON description reads back through `--config` as the same schedule;
//! 6. `--expr` with `--warmup` is the warmup, then the compiled expression at the global step.
//!
//! One strategy per built-in draws its parameters within its library's validation; where a
//! range is narrower than what the library accepts, the strategy says why.

use lrsched::description::{Description, Partial, ScheduleKind};
use lrsched::engine::{Engine, Grain, Steps};
use lrsched::expr::python;
use lrsched::schedule::params::{Raw, Value as ParamValue, split_assignment};
use lrsched::schedule::registry::{self, Library};
use lrsched::schedule::{Point, Schedule};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use crate::cli::lrsched;
use crate::scratch::tempdir;

/// Longest run drawn for the library properties: enough for many cycles and milestones,
/// short enough for a debug build.
const MAX_STEPS: u64 = 2000;
/// Longest run drawn for the command-line properties, which spawn the binary.
const CLI_MAX_STEPS: u64 = 300;

/// What a case evaluates.
#[derive(Clone, Debug)]
enum Source {
    Builtin(&'static str),
    Expr(String),
}

/// One schedule as the command line gives it.
#[derive(Clone, Debug)]
struct Case {
    source: Source,
    steps: u64,
    warmup: u64,
    base_lr: f64,
    /// `--set KEY=VALUE`, in order.
    set: Vec<(&'static str, String)>,
}

impl Case {
    fn name(&self) -> &str {
        match &self.source {
            Source::Builtin(name) => name,
            Source::Expr(source) => source,
        }
    }

    fn partial(&self) -> Partial {
        let (schedule, expr) = match &self.source {
            Source::Builtin(name) => (Some(name.to_string()), None),
            Source::Expr(source) => (None, Some(source.clone())),
        };
        Partial {
            schedule,
            expr,
            steps: Some(self.steps),
            warmup: Some(self.warmup),
            base_lr: Some(self.base_lr),
            params: self
                .set
                .iter()
                .map(|(k, v)| (k.to_string(), Raw::Text(v.clone())))
                .collect(),
            ..Partial::default()
        }
    }

    /// The same description as command-line flags.
    fn args(&self) -> Vec<String> {
        let mut args = match &self.source {
            Source::Builtin(name) => vec!["--schedule".to_string(), name.to_string()],
            Source::Expr(source) => vec!["--expr".to_string(), source.clone()],
        };
        args.extend([
            "--steps".to_string(),
            self.steps.to_string(),
            "--warmup".to_string(),
            self.warmup.to_string(),
            "--base-lr".to_string(),
            format!("{:?}", self.base_lr),
        ]);
        for (k, v) in &self.set {
            args.extend(["--set".to_string(), format!("{k}={v}")]);
        }
        args
    }

    /// The text last given for `name`.
    fn param(&self, name: &str) -> Option<&str> {
        self.set
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A float parameter as the case gave it, or `default`.
    fn float(&self, name: &str, default: f64) -> f64 {
        self.param(name).map_or(default, |v| {
            v.parse().expect("strategies write floats Rust reads")
        })
    }

    fn resolve(&self) -> Result<Description, TestCaseError> {
        self.partial().resolve().map_err(|e| {
            TestCaseError::fail(format!(
                "{}: valid parameters rejected: {e}\n  {}",
                self.name(),
                self.args().join(" ")
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Strategies

/// Parameters as `--set` text: one, none (left at its default), or a few drawn together.
type Param = Vec<(&'static str, String)>;

/// How `--warmup` is drawn for a schedule.
#[derive(Clone, Copy)]
enum Warmup {
    /// The schedule takes none (transformers' `constant`).
    None,
    /// `0 ..= steps`: transformers accepts a warmup as long as the run.
    UpToSteps,
    /// `0 .. steps`: torch's `SequentialLR` leaves the scheduler at least one step (and
    /// `OneCycleLR`'s default `total_steps`, `--steps` minus `--warmup`, must be positive).
    BelowSteps,
}

/// `(--steps, --warmup, --base-lr)`: short runs often, where the edge cases are.
fn run(warmup: Warmup, max_steps: u64) -> impl Strategy<Value = (u64, u64, f64)> {
    let steps = prop_oneof![1..=20u64, 1..=max_steps];
    let base_lr = prop_oneof![
        Just(0.1),
        Just(1.0),
        (-6.0..=1.0f64).prop_map(|e| 10f64.powf(e)),
    ];
    (steps, base_lr).prop_flat_map(move |(steps, base_lr)| {
        let warmup = match warmup {
            Warmup::None => Just(0).boxed(),
            Warmup::UpToSteps => prop_oneof![Just(0), 0..=steps].boxed(),
            Warmup::BelowSteps => prop_oneof![Just(0), 0..steps].boxed(),
        };
        (Just(steps), warmup, Just(base_lr))
    })
}

/// A float as Rust's `{:?}` or `{:e}` writes it; both read back to the same double.
fn text(x: f64, scientific: bool) -> String {
    if scientific {
        format!("{x:e}")
    } else {
        format!("{x:?}")
    }
}

fn float(values: impl Strategy<Value = f64> + 'static) -> BoxedStrategy<String> {
    (values, any::<bool>())
        .prop_map(|(x, sci)| text(x, sci))
        .boxed()
}

/// A float parameter given as a float or as a whole number.
fn float_or_whole(
    values: impl Strategy<Value = f64> + 'static,
    whole: impl Strategy<Value = i64> + 'static,
) -> BoxedStrategy<String> {
    prop_oneof![float(values), whole.prop_map(|i| i.to_string())].boxed()
}

fn int(values: impl Strategy<Value = i64> + 'static) -> BoxedStrategy<String> {
    values.prop_map(|i| i.to_string()).boxed()
}

/// `[0, 1]` with both ends drawn often.
fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..1.0f64]
}

fn choice(options: &'static [&'static str]) -> BoxedStrategy<String> {
    // Quoted the way a Python user might write it; `--set` strips the quotes.
    (prop::sample::select(options), any::<bool>())
        .prop_map(|(o, quoted)| if quoted { format!("'{o}'") } else { o.into() })
        .boxed()
}

fn boolean() -> BoxedStrategy<String> {
    prop::sample::select(&["true", "false", "True", "False", "1", "0"][..])
        .prop_map(String::from)
        .boxed()
}

fn required(name: &'static str, value: BoxedStrategy<String>) -> BoxedStrategy<Param> {
    value.prop_map(move |v| vec![(name, v)]).boxed()
}

fn optional(name: &'static str, value: BoxedStrategy<String>) -> BoxedStrategy<Param> {
    prop::option::of(value)
        .prop_map(move |v| v.map(|v| (name, v)).into_iter().collect())
        .boxed()
}

/// A case of the built-in `name`, its parameters drawn by `params` from the run.
fn builtin<F>(name: &'static str, warmup: Warmup, max_steps: u64, params: F) -> BoxedStrategy<Case>
where
    F: Fn(u64, u64, f64) -> Vec<BoxedStrategy<Param>> + 'static,
{
    run(warmup, max_steps)
        .prop_flat_map(move |(steps, warmup, base_lr)| {
            (
                Just((steps, warmup, base_lr)),
                params(steps, warmup, base_lr),
            )
        })
        .prop_map(move |((steps, warmup, base_lr), set)| Case {
            source: Source::Builtin(name),
            steps,
            warmup,
            base_lr,
            set: set.into_iter().flatten().collect(),
        })
        .boxed()
}

/// `num_cycles` of the transformers cosines: 0 to 4 waves, whole or not; the
/// `max(0, ...)` keeps the multiplier in range whatever it is.
fn num_cycles() -> BoxedStrategy<Param> {
    optional("num_cycles", float_or_whole(0.0..4.0f64, 0..=4i64))
}

/// Exactly one of `min_lr` (an lr up to `--base-lr`) and `min_lr_rate` (in [0, 1]), as
/// transformers requires.
fn min_lr(base_lr: f64) -> BoxedStrategy<Param> {
    prop_oneof![
        required("min_lr", float(unit().prop_map(move |f| f * base_lr))),
        required("min_lr_rate", float(unit())),
    ]
    .boxed()
}

/// A `total_iters` of `LinearLR`/`PolynomialLR`: usually within the run, sometimes past it
/// or negative (torch accepts it and never changes the lr); 0 only without a warmup, since
/// behind one torch's closed form divides by it.
fn total_iters(steps: u64, warmup: u64) -> BoxedStrategy<String> {
    let steps = steps as i64;
    let positive = prop_oneof![1..=steps + 5, -3..=-1i64];
    if warmup == 0 {
        int(prop_oneof![positive, Just(0)])
    } else {
        int(positive)
    }
}

/// An absolute lr bound up to `--base-lr` (eta_min of the torch cosines).
fn eta_min(base_lr: f64) -> BoxedStrategy<Param> {
    optional("eta_min", float(unit().prop_map(move |f| f * base_lr)))
}

fn linear(max: u64) -> BoxedStrategy<Case> {
    builtin("linear", Warmup::UpToSteps, max, |_, _, _| vec![])
}

fn cosine(max: u64) -> BoxedStrategy<Case> {
    builtin("cosine", Warmup::UpToSteps, max, |_, _, _| {
        vec![num_cycles()]
    })
}

fn cosine_with_restarts(max: u64) -> BoxedStrategy<Case> {
    builtin("cosine_with_restarts", Warmup::UpToSteps, max, |_, _, _| {
        vec![optional(
            "num_cycles",
            float_or_whole(0.0..8.0f64, 0..=8i64),
        )]
    })
}

/// `lr_end` in `[0, --base-lr)` (transformers rejects `lr_end >= lr`; a negative one would
/// drive the lr below 0 by design), `power` in `[0, 4]` (a negative one makes transformers
/// divide by zero at step N, past the run but not a sane schedule).
fn polynomial(max: u64) -> BoxedStrategy<Case> {
    builtin("polynomial", Warmup::UpToSteps, max, |_, _, base_lr| {
        vec![
            optional(
                "lr_end",
                float((0.0..0.999f64).prop_map(move |f| f * base_lr)),
            ),
            optional("power", float_or_whole(0.0..=4.0f64, 0..=3i64)),
        ]
    })
}

fn constant(max: u64) -> BoxedStrategy<Case> {
    builtin("constant", Warmup::None, max, |_, _, _| vec![])
}

fn constant_with_warmup(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "constant_with_warmup",
        Warmup::UpToSteps,
        max,
        |_, _, _| vec![],
    )
}

/// `timescale` positive, from 0.01 to 10^5 (transformers divides by it).
fn inverse_sqrt(max: u64) -> BoxedStrategy<Case> {
    builtin("inverse_sqrt", Warmup::UpToSteps, max, |_, _, _| {
        vec![optional(
            "timescale",
            float_or_whole((-2.0..=5.0f64).prop_map(|e| 10f64.powf(e)), 1..=20_000i64),
        )]
    })
}

fn cosine_with_min_lr(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "cosine_with_min_lr",
        Warmup::UpToSteps,
        max,
        |_, _, base_lr| vec![num_cycles(), min_lr(base_lr)],
    )
}

/// `warmup_lr_rate` in `[0, 1]`: the multiplier at step 0.
fn cosine_warmup_with_min_lr(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "cosine_warmup_with_min_lr",
        Warmup::UpToSteps,
        max,
        |_, _, base_lr| {
            vec![
                num_cycles(),
                min_lr(base_lr),
                optional("warmup_lr_rate", float(unit())),
            ]
        },
    )
}

/// Phase lengths from 0 to `--steps` (so `W + D > N` comes up too, which transformers
/// handles by starting the decay part-way), `min_lr_ratio` in `[0, 1]`.
fn warmup_stable_decay(max: u64) -> BoxedStrategy<Case> {
    const SHAPES: &[&str] = &["linear", "cosine", "1-sqrt"];
    builtin(
        "warmup_stable_decay",
        Warmup::UpToSteps,
        max,
        |steps, _, _| {
            let steps = steps as i64;
            vec![
                required("num_decay_steps", int(0..=steps)),
                optional("num_stable_steps", int(0..=steps)),
                optional("warmup_type", choice(SHAPES)),
                optional("decay_type", choice(SHAPES)),
                optional("min_lr_ratio", float_or_whole(unit(), 0..=1i64)),
                optional("num_cycles", float_or_whole(0.0..4.0f64, 0..=4i64)),
            ]
        },
    )
}

/// `gamma` in `[0, 1]` for the decaying torch schedulers: above 1 the lr grows without bound
/// and overflows to inf, in torch as here.
fn gamma() -> BoxedStrategy<String> {
    float(unit())
}

fn step_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("StepLR", Warmup::BelowSteps, max, |steps, _, _| {
        let steps = steps as i64;
        vec![
            required("step_size", int(prop_oneof![1..=5i64, 1..=steps + 5])),
            optional("gamma", gamma()),
        ]
    })
}

/// Milestones anywhere in the run, unsorted, repeated, or negative (which torch never
/// applies, except its closed form behind a warmup): all valid in torch.
fn multi_step_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("MultiStepLR", Warmup::BelowSteps, max, |steps, _, _| {
        let milestones = (
            prop::collection::vec(-3..=steps as i64 + 3, 0..6),
            any::<bool>(),
        )
            .prop_map(|(ms, bracketed)| {
                let list: Vec<String> = ms.iter().map(i64::to_string).collect();
                if bracketed {
                    format!("[{}]", list.join(", "))
                } else {
                    list.join(",")
                }
            })
            .boxed();
        vec![
            required("milestones", milestones),
            optional("gamma", gamma()),
        ]
    })
}

/// `factor` in `(0, 1]`: torch accepts 0 too, but then raises `ZeroDivisionError` at
/// `total_iters`, so lrsched refuses a run that gets there.
fn constant_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("ConstantLR", Warmup::BelowSteps, max, |steps, _, _| {
        vec![
            optional("factor", float(prop_oneof![Just(1.0), 1e-3..=1.0f64])),
            optional("total_iters", int(-2..=steps as i64 + 5)),
        ]
    })
}

/// `start_factor` in `(0, 1]`, `end_factor` in `[0, 1]`, as torch validates them.
fn linear_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("LinearLR", Warmup::BelowSteps, max, |steps, warmup, _| {
        vec![
            optional("start_factor", float(prop_oneof![Just(1.0), 1e-3..=1.0f64])),
            optional("end_factor", float(unit())),
            optional("total_iters", total_iters(steps, warmup)),
        ]
    })
}

fn exponential_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("ExponentialLR", Warmup::BelowSteps, max, |_, _, _| {
        vec![required("gamma", gamma())]
    })
}

/// `power` in `[0, 4]`: a negative one makes torch raise at `total_iters`.
fn polynomial_lr(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "PolynomialLR",
        Warmup::BelowSteps,
        max,
        |steps, warmup, _| {
            vec![
                optional("total_iters", total_iters(steps, warmup)),
                optional("power", float_or_whole(0.0..=4.0f64, 0..=3i64)),
            ]
        },
    )
}

/// `T_max` positive: whole, any float, or `n / d` for `d` a power of two. A fraction with
/// an odd `d` (`T_max=steps/3`) can put an odd multiple of `T_max` on a whole step, where
/// torch divides by zero; [`cosine_annealing_lr_fails_where_torch_divides_by_zero`] draws
/// those.
fn cosine_annealing_lr(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "CosineAnnealingLR",
        Warmup::BelowSteps,
        max,
        |steps, _, base_lr| {
            let top = 2 * steps as i64 + 2;
            let t_max = prop_oneof![
                int(1..=top),
                float(0.5..top as f64),
                float(fraction(top, &[2.0, 4.0, 8.0])),
            ]
            .boxed();
            vec![required("T_max", t_max), eta_min(base_lr)]
        },
    )
}

/// `n / d` for `n` in `1 ..= top` and `d` one of `denominators`, rounded as Python divides.
fn fraction(top: i64, denominators: &'static [f64]) -> impl Strategy<Value = f64> {
    (1..=top, prop::sample::select(denominators)).prop_map(|(n, d)| n as f64 / d)
}

/// Bounds in `[0, 10]` either way round; step sizes from 1 (so triangular2's `2 ** cycle`
/// stays finite over 2000 steps, as torch needs); `gamma` in `[0.9, 1]`, where exp_range's
/// `gamma ** step` still shows over the run (above 1 it overflows and torch raises).
fn cyclic_lr(max: u64) -> BoxedStrategy<Case> {
    builtin("CyclicLR", Warmup::BelowSteps, max, |steps, _, _| {
        let lr = || {
            float(prop_oneof![
                Just(0.0),
                (-6.0..=1.0f64).prop_map(|e| 10f64.powf(e))
            ])
        };
        let size = move || float_or_whole(1.0..=steps as f64 + 1.0, 1..=steps as i64 + 1);
        vec![
            required("base_lr", lr()),
            required("max_lr", lr()),
            optional("step_size_up", size()),
            optional("step_size_down", size()),
            optional("mode", choice(&["triangular", "triangular2", "exp_range"])),
            optional("gamma", float(prop_oneof![Just(1.0), 0.9..=1.0f64])),
            optional("scale_mode", choice(&["cycle", "iterations"])),
            optional("cycle_momentum", boolean()),
            optional("base_momentum", float(unit())),
            optional("max_momentum", float(unit())),
        ]
    })
}

/// `total_steps` that covers the run (torch raises past it): the default, a number from
/// `steps - warmup - 1` up, or `epochs * steps_per_epoch` as large. `pct_start` in `[0, 1]`
/// but never giving a phase of zero length, where torch divides by zero.
fn one_cycle_lr(max: u64) -> BoxedStrategy<Case> {
    let case = builtin("OneCycleLR", Warmup::BelowSteps, max, |steps, warmup, _| {
        let needed = (steps - warmup).saturating_sub(1).max(1) as i64;
        let total = prop_oneof![
            Just(vec![]),
            // Exactly the run's last step is the step torch extrapolates to.
            prop_oneof![Just(needed), needed..=needed + 50]
                .prop_map(|t| vec![("total_steps", t.to_string())]),
            (1..=50i64, 0..=3i64).prop_map(move |(per_epoch, extra)| {
                let epochs = (needed + per_epoch - 1) / per_epoch + extra;
                vec![
                    ("epochs", epochs.to_string()),
                    ("steps_per_epoch", per_epoch.to_string()),
                ]
            }),
        ]
        .boxed();
        vec![
            total,
            required("max_lr", float((-6.0..=1.0f64).prop_map(|e| 10f64.powf(e)))),
            optional("pct_start", float(unit())),
            optional("anneal_strategy", choice(&["cos", "linear"])),
            optional("three_phase", boolean()),
            optional("div_factor", float(1.0..=100.0f64)),
            optional("final_div_factor", float(1.0..=1e5f64)),
            optional("cycle_momentum", boolean()),
            optional("base_momentum", float(unit())),
            optional("max_momentum", float(unit())),
        ]
    });
    case.prop_filter("a phase of zero length", |case| {
        !one_cycle_zero_length_phase(case)
    })
    .boxed()
}

/// Whether `OneCycleLR`'s phases, as torch computes their ends, include one of zero length.
fn one_cycle_zero_length_phase(case: &Case) -> bool {
    let int = |name| case.param(name).map(|v| v.parse::<u64>().expect("an int"));
    let total = int("total_steps")
        .or_else(|| Some(int("epochs")? * int("steps_per_epoch")?))
        .unwrap_or(case.steps - case.warmup) as f64;
    let pct = case.float("pct_start", 0.3);
    let three_phase = matches!(case.param("three_phase"), Some("true" | "True" | "1"));
    let ends = if three_phase {
        vec![pct * total - 1.0, 2.0 * pct * total - 2.0, total - 1.0]
    } else {
        vec![pct * total - 1.0, total - 1.0]
    };
    let mut start = 0.0;
    ends.iter().any(|&end| {
        let zero = end - start == 0.0;
        start = end;
        zero
    })
}

/// `T_0` from 1 to a little past the run, `T_mult` from 1 to 4, as torch validates them.
fn cosine_annealing_warm_restarts(max: u64) -> BoxedStrategy<Case> {
    builtin(
        "CosineAnnealingWarmRestarts",
        Warmup::BelowSteps,
        max,
        |steps, _, base_lr| {
            vec![
                required("T_0", int(prop_oneof![1..=10i64, 1..=steps as i64 + 5])),
                optional("T_mult", int(1..=4i64)),
                eta_min(base_lr),
            ]
        },
    )
}

/// A built-in's strategy, given the longest run to draw.
type MakeCases = fn(u64) -> BoxedStrategy<Case>;

/// Every built-in's strategy, by name.
fn strategies() -> Vec<(&'static str, MakeCases)> {
    vec![
        ("linear", linear),
        ("cosine", cosine),
        ("cosine_with_restarts", cosine_with_restarts),
        ("polynomial", polynomial),
        ("constant", constant),
        ("constant_with_warmup", constant_with_warmup),
        ("inverse_sqrt", inverse_sqrt),
        ("cosine_with_min_lr", cosine_with_min_lr),
        ("cosine_warmup_with_min_lr", cosine_warmup_with_min_lr),
        ("warmup_stable_decay", warmup_stable_decay),
        ("StepLR", step_lr),
        ("MultiStepLR", multi_step_lr),
        ("ConstantLR", constant_lr),
        ("LinearLR", linear_lr),
        ("ExponentialLR", exponential_lr),
        ("PolynomialLR", polynomial_lr),
        ("CosineAnnealingLR", cosine_annealing_lr),
        ("CyclicLR", cyclic_lr),
        ("OneCycleLR", one_cycle_lr),
        (
            "CosineAnnealingWarmRestarts",
            cosine_annealing_warm_restarts,
        ),
        ("optax:constant_schedule", jax::constant_schedule),
        ("optax:linear_schedule", jax::linear_schedule),
        ("optax:polynomial_schedule", jax::polynomial_schedule),
        ("optax:cosine_decay_schedule", jax::cosine_decay_schedule),
        ("optax:exponential_decay", jax::exponential_decay),
        (
            "optax:piecewise_constant_schedule",
            jax::piecewise_constant_schedule,
        ),
        (
            "optax:piecewise_interpolate_schedule",
            jax::piecewise_interpolate_schedule,
        ),
        (
            "optax:warmup_constant_schedule",
            jax::warmup_constant_schedule,
        ),
        (
            "optax:warmup_cosine_decay_schedule",
            jax::warmup_cosine_decay_schedule,
        ),
        (
            "optax:warmup_exponential_decay_schedule",
            jax::warmup_exponential_decay_schedule,
        ),
        (
            "optax:cosine_onecycle_schedule",
            jax::cosine_onecycle_schedule,
        ),
        (
            "optax:linear_onecycle_schedule",
            jax::linear_onecycle_schedule,
        ),
        ("keras:CosineDecay", jax::cosine_decay),
        ("keras:CosineDecayRestarts", jax::cosine_decay_restarts),
        ("keras:ExponentialDecay", jax::exponential_decay_keras),
        ("keras:InverseTimeDecay", jax::inverse_time_decay),
        (
            "keras:PiecewiseConstantDecay",
            jax::piecewise_constant_decay,
        ),
        ("keras:PolynomialDecay", jax::polynomial_decay),
    ]
}

#[test]
fn every_built_in_has_a_strategy() {
    // Named as lrsched writes them, in registry order. The other libraries' built-ins have
    // their own properties (library_properties.rs).
    let covered: Vec<String> = strategies()
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let registered: Vec<String> = registry::entries()
        .filter(|e| {
            matches!(
                e.library,
                Library::Transformers | Library::Torch | Library::Optax | Library::Keras
            )
        })
        .map(|e| e.to_string())
        .collect();
    assert_eq!(covered, registered);
}

/// Any built-in, for the command-line properties.
fn any_builtin(max: u64) -> BoxedStrategy<Case> {
    Union::new(strategies().into_iter().map(|(_, s)| s(max))).boxed()
}

/// Expression text from the `--expr` grammar: the variables, constants and numbers, the
/// arithmetic operators (with and without parentheses), unary minus and functions. The
/// parser's own property tests cover precedence; these exercise the schedule around it.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(
            &[
                "step", "steps", "warmup", "base_lr", "pi", "e", "0", "1", "0.5", "2", "1e-3",
                "10",
            ][..]
        )
        .prop_map(String::from),
        (0.0..100.0f64).prop_map(|x| format!("{x:?}")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(&["+", "-", "*", "/", "%", "^"][..]),
                inner.clone(),
                any::<bool>()
            )
                .prop_map(|(a, op, b, parens)| if parens {
                    format!("({a}) {op} ({b})")
                } else {
                    format!("{a} {op} {b}")
                }),
            inner.clone().prop_map(|a| format!("-({a})")),
            (
                prop::sample::select(&["cos", "exp", "ln", "sqrt", "abs", "floor"][..]),
                inner.clone()
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
            (
                prop::sample::select(&["min", "max"][..]),
                inner.clone(),
                inner
            )
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        ]
    })
}

fn expr_case(max: u64) -> impl Strategy<Value = Case> {
    (run(Warmup::UpToSteps, max), expression()).prop_map(|((steps, warmup, base_lr), source)| {
        Case {
            source: Source::Expr(source),
            steps,
            warmup,
            base_lr,
            set: vec![],
        }
    })
}

/// Where to probe a run: steps for random access and skipping, and an `--every`.
#[derive(Clone, Debug)]
struct Probe {
    picks: Vec<Index>,
    skips: Vec<usize>,
    every: u64,
}

fn probe() -> impl Strategy<Value = Probe> {
    (
        prop::collection::vec(any::<Index>(), 4),
        prop::collection::vec(prop_oneof![0..4usize, 0..300usize], 1..8),
        prop_oneof![1..=8u64, 1..=3000u64],
    )
        .prop_map(|(picks, skips, every)| Probe {
            picks,
            skips,
            every,
        })
}

// ---------------------------------------------------------------------------------------
// Properties

/// Same bits, or both NaN (an expression may give NaN; built-ins may not, see property 1).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_point(a: &Point, b: &Point) -> bool {
    a.step == b.step && same(a.lr, b.lr) && same(a.multiplier, b.multiplier)
}

/// The lowest lr a valid schedule may give at `step`: 0, except where its home library
/// goes below 0 too, which lrsched reproduces:
/// - `LinearLR` with `end_factor=0`: torch's ratio recursion lands on `0 * (1 + tiny)`, a
///   few ulps of `--base-lr` either side of 0 (e.g. -2.6e-21 for base lr 7e-5);
/// - `OneCycleLR` past its last phase (its step `total_steps`, which torch still allows):
///   torch extrapolates the phase, and with `anneal_strategy='linear'` that goes below the
///   final lr by `(max_lr - min_lr) / (length of the phase)`, far below 0.
fn lowest_lr(case: &Case, schedule: &dyn Schedule, step: u64) -> f64 {
    match case.source {
        Source::Builtin("LinearLR") => -4.0 * f64::EPSILON * case.base_lr,
        Source::Builtin("OneCycleLR") if schedule.horizon().is_some_and(|last| step > last) => {
            f64::NEG_INFINITY
        }
        _ => 0.0,
    }
}

/// Property 1: every point is finite, and `>= 0` except as [`lowest_lr`] allows.
fn finite(case: &Case, schedule: &dyn Schedule, points: &[Point]) -> Result<(), TestCaseError> {
    for p in points {
        prop_assert!(
            p.lr.is_finite() && p.multiplier.is_finite(),
            "{} step {}: lr {:?}, multiplier {:?}",
            case.name(),
            p.step,
            p.lr,
            p.multiplier
        );
        prop_assert!(
            p.lr >= lowest_lr(case, schedule, p.step),
            "{} step {}: negative lr {:?}",
            case.name(),
            p.step,
            p.lr
        );
    }
    Ok(())
}

/// The multiplier a warmup gives at step `k < W`, by the schedule's documented formula.
fn warmup_multiplier(case: &Case, k: u64) -> f64 {
    let (s, w) = (k as f64, case.warmup as f64);
    match case.source {
        // `(s + 1) / max(1, W)`, or `wr + (1 - wr) * s / max(1, W - 1)`.
        Source::Builtin("cosine_warmup_with_min_lr") => match case.param("warmup_lr_rate") {
            None => (s + 1.0) / w.max(1.0),
            Some(_) => {
                let wr = case.float("warmup_lr_rate", 0.0);
                wr + (1.0 - wr) * s / (w - 1.0).max(1.0)
            }
        },
        // `max(0, g(s / W) * (1 - r) + r)` for the warmup shape g, `r = min_lr_ratio`.
        Source::Builtin("warmup_stable_decay") => {
            let p = s / w.max(1.0);
            let r = case.float("min_lr_ratio", 0.0);
            let shape = case
                .param("warmup_type")
                .map_or("linear", |t| t.trim_matches('\''));
            let factor = match shape {
                "cosine" => 0.5 * (1.0 - (std::f64::consts::PI * p).cos()),
                "1-sqrt" => 1.0 - (1.0 - p).sqrt(),
                _ => p,
            };
            let m = factor * (1.0 - r) + r;
            if m > 0.0 { m } else { 0.0 }
        }
        // `LambdaLR`'s `s / max(1, W)`: transformers, torch's SequentialLR, expressions.
        _ => s / w.max(1.0),
    }
}

/// Property 2 (and 6's first half): during the warmup the lr is non-decreasing and equals
/// `base_lr * m(k)` for the documented `m`, bit for bit.
fn warms_up(case: &Case, points: &[Point]) -> Result<(), TestCaseError> {
    let warm = &points[..(case.warmup.min(case.steps)) as usize];
    for (k, p) in warm.iter().enumerate() {
        let m = warmup_multiplier(case, k as u64);
        prop_assert!(
            same(p.multiplier, m) && same(p.lr, case.base_lr * m),
            "{} warmup step {k}: got multiplier {:?} lr {:?}, want {:?} and {:?}",
            case.name(),
            p.multiplier,
            p.lr,
            m,
            case.base_lr * m
        );
    }
    for pair in warm.windows(2) {
        prop_assert!(
            pair[1].lr >= pair[0].lr,
            "{} warmup falls from step {} to {}: {:?} then {:?}",
            case.name(),
            pair[0].step,
            pair[1].step,
            pair[0].lr,
            pair[1].lr
        );
    }
    Ok(())
}

/// Property 3: `at(k)`, `points(from)` and `nth` skipping all give the bits of `points(0)`.
fn streams_agree(
    case: &Case,
    schedule: &dyn Schedule,
    points: &[Point],
    probe: &Probe,
) -> Result<(), TestCaseError> {
    let n = points.len();
    for pick in &probe.picks {
        let k = pick.index(n);
        let at = schedule.at(k as u64);
        prop_assert!(
            same_point(&at, &points[k]),
            "{} step {k}: at() gave {:?}, points(0) {:?}",
            case.name(),
            at,
            points[k]
        );
        let from: Vec<Point> = schedule.points(k as u64).take((n - k).min(64)).collect();
        for (got, want) in from.iter().zip(&points[k..]) {
            prop_assert!(
                same_point(got, want),
                "{} step {}: points({k}) gave {:?}, points(0) {:?}",
                case.name(),
                want.step,
                got,
                want
            );
        }
    }
    // Skipping with nth, from the start and from a random step.
    let start = probe.picks[0].index(n);
    for first in [0, start] {
        let mut stream = schedule.points(first as u64);
        let mut position = first;
        for &skip in &probe.skips {
            let target = position + skip;
            if target >= n {
                break;
            }
            let got = stream.nth(skip);
            prop_assert!(
                got.is_some_and(|p| same_point(&p, &points[target])),
                "{} step {target}: points({first}).nth({skip}) at {position} gave {:?}, \
                 points(0) {:?}",
                case.name(),
                got,
                points[target]
            );
            position = target + 1;
        }
    }
    Ok(())
}

/// The rows `Steps { from, to: steps, every }` must write: `from`, `from + every`, ...,
/// and the last step.
fn every_rows(points: &[Point], from: usize, every: u64) -> Vec<Point> {
    let last = points.len() - 1;
    points
        .iter()
        .enumerate()
        .filter(|&(i, _)| i >= from && (((i - from) as u64).is_multiple_of(every) || i == last))
        .map(|(_, p)| *p)
        .collect()
}

/// Property 4, in the library: the engine with `every` gives exactly those rows.
fn every_kth(
    case: &Case,
    schedule: &dyn Schedule,
    points: &[Point],
    probe: &Probe,
) -> Result<(), TestCaseError> {
    // Where Python raises (an overflowing `exp`), the engine stops there: another property.
    if points
        .iter()
        .any(|p| p.lr.is_nan() && schedule.error_at(p.step).is_some())
    {
        return Ok(());
    }
    for from in [0, probe.picks[1].index(points.len())] {
        let steps = Steps {
            from: from as u64,
            to: case.steps,
            every: probe.every,
        };
        let mut written = Vec::new();
        let points_of = |chunk: &lrsched::engine::Chunk<'_>| chunk.points(0).collect::<Vec<_>>();
        let result = Engine::single().run(&[schedule], steps, Grain::Text, points_of, |part| {
            written.extend(part);
            Ok::<(), ()>(())
        });
        prop_assert!(matches!(result, Ok(None)));
        let want = every_rows(points, from, probe.every);
        prop_assert_eq!(
            written.len(),
            want.len(),
            "{} {:?}: wrote steps {:?}",
            case.name(),
            steps,
            written.iter().map(|p| p.step).collect::<Vec<_>>()
        );
        for (got, want) in written.iter().zip(&want) {
            prop_assert!(
                same_point(got, want),
                "{} {:?} step {}: wrote {:?}, full run has {:?}",
                case.name(),
                steps,
                want.step,
                got,
                want
            );
        }
    }
    Ok(())
}

/// Property 5, in the library: `to_json()` read back by `--config` resolves to the same
/// schedule (same name, parameter values, steps, lr and warmup), writes the same JSON, and
/// evaluates to the same bits. Which parameters were "given" is not compared: a written
/// description gives them all.
fn round_trips(
    case: &Case,
    description: &Description,
    points: &[Point],
) -> Result<(), TestCaseError> {
    let json = description.to_json();
    let text = json.to_string();
    let back = Partial::from_config_text(&text).and_then(|p| p.resolve());
    prop_assert!(
        back.is_ok(),
        "{}: {text} does not read back: {:?}",
        case.name(),
        back.err()
    );
    let back = back.expect("checked above");
    prop_assert_eq!(back.ctx(), description.ctx(), "{}: {}", case.name(), text);
    prop_assert_eq!(label(description), label(&back), "{}", text);
    prop_assert_eq!(
        param_values(description),
        param_values(&back),
        "{}: parameters of {}",
        case.name(),
        text
    );
    prop_assert_eq!(
        back.to_json(),
        json,
        "{}: JSON changes on reading",
        case.name()
    );
    let schedule = back.schedule();
    for (got, want) in schedule.points(0).zip(points) {
        prop_assert!(
            same_point(&got, want),
            "{} step {}: read back gives {:?}, original {:?}",
            case.name(),
            want.step,
            got,
            want
        );
    }
    Ok(())
}

/// The schedule's name, or the expression.
fn label(description: &Description) -> String {
    match description.kind() {
        ScheduleKind::Builtin { entry, .. } => entry.name.to_string(),
        ScheduleKind::Expr(source) => format!("--expr {source}"),
    }
}

/// A built-in's resolved parameter values, by name (none for an expression).
fn param_values(description: &Description) -> Vec<(&'static str, Option<ParamValue>)> {
    match description.kind() {
        ScheduleKind::Builtin { params, .. } => {
            params.iter().map(|(n, v)| (n, v.cloned())).collect()
        }
        ScheduleKind::Expr(_) => vec![],
    }
}

/// Properties 1 to 5 of one built-in case.
fn check_builtin(case: &Case, probe: &Probe) -> Result<(), TestCaseError> {
    let description = case.resolve()?;
    let schedule = description.schedule();
    let points: Vec<Point> = schedule.points(0).take(case.steps as usize).collect();
    prop_assert_eq!(points.len() as u64, case.steps, "{}", case.name());
    finite(case, schedule, &points)?;
    warms_up(case, &points)?;
    streams_agree(case, schedule, &points, probe)?;
    every_kth(case, schedule, &points, probe)?;
    round_trips(case, &description, &points)
}

/// One property test per built-in, so that a failure names the schedule.
macro_rules! builtin_properties {
    ($($test:ident => $strategy:ident,)*) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
            $(
                #[test]
                fn $test(case in $strategy(MAX_STEPS), probe in probe()) {
                    check_builtin(&case, &probe)?;
                }
            )*
        }
    };
}

builtin_properties! {
    linear_properties => linear,
    cosine_properties => cosine,
    cosine_with_restarts_properties => cosine_with_restarts,
    polynomial_properties => polynomial,
    constant_properties => constant,
    constant_with_warmup_properties => constant_with_warmup,
    inverse_sqrt_properties => inverse_sqrt,
    cosine_with_min_lr_properties => cosine_with_min_lr,
    cosine_warmup_with_min_lr_properties => cosine_warmup_with_min_lr,
    warmup_stable_decay_properties => warmup_stable_decay,
    step_lr_properties => step_lr,
    multi_step_lr_properties => multi_step_lr,
    constant_lr_properties => constant_lr,
    linear_lr_properties => linear_lr,
    exponential_lr_properties => exponential_lr,
    polynomial_lr_properties => polynomial_lr,
    cosine_annealing_lr_properties => cosine_annealing_lr,
    cyclic_lr_properties => cyclic_lr,
    one_cycle_lr_properties => one_cycle_lr,
    cosine_annealing_warm_restarts_properties => cosine_annealing_warm_restarts,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Property 6 (and 2 to 5 for expressions): the warmup, then the compiled expression
    /// evaluated at the global step, `lr = base_lr * multiplier`.
    #[test]
    fn expressions_follow_the_warmup_then_the_expression(
        case in expr_case(MAX_STEPS),
        probe in probe(),
    ) {
        let Source::Expr(source) = &case.source else { unreachable!() };
        let globals = python::Globals {
            vars: Vec::new(),
            builtin: vec![
                ("steps", python::Value::Int(case.steps as i64)),
                ("warmup", python::Value::Int(case.warmup as i64)),
                ("base_lr", python::Value::Float(case.base_lr)),
            ],
        };
        let function = python::compile(source, &globals);
        prop_assert!(function.is_ok(), "{}: {:?}", source, function.err());
        let function = function.expect("checked above");
        let description = case.resolve()?;
        let schedule = description.schedule();
        let points: Vec<Point> = schedule.points(0).take(case.steps as usize).collect();
        warms_up(&case, &points)?;
        for p in &points[(case.warmup.min(case.steps)) as usize..] {
            // NaN where Python raises, and then the schedule says why.
            let m = function.multiplier(p.step).unwrap_or(f64::NAN);
            prop_assert!(
                same(p.multiplier, m) && same(p.lr, case.base_lr * m),
                "{} step {}: got multiplier {:?} lr {:?}, the expression gives {:?}",
                source, p.step, p.multiplier, p.lr, m
            );
            prop_assert_eq!(
                schedule.error_at(p.step).is_some(),
                function.multiplier(p.step).is_err(),
                "{} step {}", source, p.step
            );
        }
        streams_agree(&case, schedule, &points, &probe)?;
        every_kth(&case, schedule, &points, &probe)?;
        round_trips(&case, &description, &points)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `CosineAnnealingLR` with a fractional `T_max` either runs finite, or is refused at
    /// the first step where torch's ratio divides by zero: the run just short of that step
    /// is accepted and finite, and at that step `1 + cos(pi * (k - 1) / T_max)` is 0.
    #[test]
    fn cosine_annealing_lr_fails_where_torch_divides_by_zero(
        (steps, warmup, base_lr) in run(Warmup::BelowSteps, MAX_STEPS),
        t_max in fraction(2 * MAX_STEPS as i64, &[3.0, 7.0, 9.0, 11.0]),
    ) {
        let case = |steps| Case {
            source: Source::Builtin("CosineAnnealingLR"),
            steps,
            warmup,
            base_lr,
            set: vec![("T_max", format!("{t_max:?}"))],
        };
        let whole = case(steps);
        let failed_at = match whole.partial().resolve() {
            Ok(_) => None,
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.contains("ZeroDivisionError"), "{}", message);
                let step = message
                    .split("at step ")
                    .nth(1)
                    .and_then(|rest| rest.split([' ', ',']).next())
                    .and_then(|n| n.parse::<u64>().ok());
                prop_assert!(step.is_some(), "no step in: {}", message);
                step
            }
        };
        let last = failed_at.unwrap_or(steps);
        let short = case(last).resolve()?;
        let schedule = short.schedule();
        for p in schedule.points(0).take(last as usize) {
            prop_assert!(p.lr.is_finite(), "T_max={:?} step {}: lr {:?}", t_max, p.step, p.lr);
        }
        if let Some(step) = failed_at {
            let previous = (step - warmup - 1) as f64;
            let denominator = 1.0 + (std::f64::consts::PI * previous / t_max).cos();
            prop_assert_eq!(denominator, 0.0, "T_max={:?} refused at step {}", t_max, step);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The same through the binary, on a few cases each

fn stdout(args: &[String]) -> Result<String, TestCaseError> {
    let out = lrsched()
        .args(args)
        .output()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    // An expression that raises where Python raises stops the run: not a case for these
    // properties (tests/integration/python.rs covers it).
    if out.status.code() == Some(2)
        && String::from_utf8_lossy(&out.stderr).contains(", the function raises ")
    {
        return Err(TestCaseError::reject(
            "the expression raises, as Python would",
        ));
    }
    prop_assert!(
        out.status.success(),
        "lrsched {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cli_cases() -> impl Strategy<Value = Case> {
    prop_oneof![3 => any_builtin(CLI_MAX_STEPS), 1 => expr_case(CLI_MAX_STEPS)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Property 4 end to end: `csv --every K` is the header, every K-th row of `csv`, and
    /// its last row.
    #[test]
    fn csv_every_is_every_kth_line(case in cli_cases(), every in prop_oneof![2..=9u64, 2..=400u64]) {
        let args = case.args();
        let full = stdout(&[vec!["csv".to_string()], args.clone()].concat())?;
        let some = stdout(&[
            vec!["csv".to_string(), "--every".to_string(), every.to_string()],
            args.clone(),
        ].concat())?;
        let lines: Vec<&str> = full.lines().collect();
        let last = lines.len() - 1;
        let want: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|&(i, _)| i == 0 || ((i - 1) as u64).is_multiple_of(every) || i == last)
            .map(|(_, l)| *l)
            .collect();
        prop_assert_eq!(some.lines().collect::<Vec<_>>(), want, "lrsched csv --every {} {}", every, args.join(" "));
    }

    /// Property 5 end to end: the `schedule` object of `lrsched json`, written to a file and
    /// given back with `--config`, gives the same output byte for byte.
    #[test]
    fn json_schedule_is_a_config_for_the_same_output(case in cli_cases()) {
        let args = case.args();
        let first = stdout(&[vec!["json".to_string()], args.clone()].concat())?;
        let doc: Value = serde_json::from_str(&first)
            .map_err(|e| TestCaseError::fail(format!("{e}: {first}")))?;
        let dir = tempdir();
        let config = dir.path().join("schedule.json");
        std::fs::write(&config, doc["schedule"].to_string())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = stdout(&[
            "json".to_string(),
            "--config".to_string(),
            config.display().to_string(),
        ])?;
        prop_assert!(
            again == first,
            "lrsched json {} differs through --config:\n{}\n{}",
            args.join(" "),
            first.lines().next().unwrap_or(""),
            again.lines().next().unwrap_or("")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Regressions: inputs the properties found

/// `T_max=100/3` puts `3 * T_max` on step 100, where `(100 - T_max) % (2 * T_max)` is
/// 66.66666666666666, not 0, and `1 + cos(pi * 100 / T_max)` is exactly 0.0: torch raises
/// `ZeroDivisionError` at step 101. lrsched used to carry on with NaN from there.
#[test]
fn cosine_annealing_lr_with_t_max_a_third_fails_at_torch_step() {
    let args = |steps: &'static str| {
        [
            "csv",
            "--schedule",
            "CosineAnnealingLR",
            "--set",
            "T_max=33.333333333333336",
            "--steps",
            steps,
        ]
    };
    crate::cli::rejects(
        &args("200"),
        "CosineAnnealingLR: torch raises ZeroDivisionError (1 + cos(pi * 100 / T_max) is 0.0 \
         with T_max=33.333333333333336) at step 101, within --steps 200; round T_max (a whole \
         T_max never divides by zero)",
    );
    let out = lrsched().args(args("101")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().last(), Some("100,0.0,0.0"));
}

/// transformers declares `num_cycles: int = 1` and `min_lr_ratio: float = 0`; these defaults
/// resolved to ints, written by `lrsched json` as `1` and `0`, which `--config` read back as
/// the floats `1.0` and `0.0`: the description changed on its way through a file.
#[test]
fn whole_defaults_of_float_parameters_read_back_unchanged() {
    for (schedule, set, params) in [
        ("cosine_with_restarts", None, r#"{"num_cycles":1.0}"#),
        (
            "warmup_stable_decay",
            Some("num_decay_steps=0"),
            r#"{"num_decay_steps":0,"num_stable_steps":null,"warmup_type":"linear","decay_type":"cosine","min_lr_ratio":0.0,"num_cycles":0.5}"#,
        ),
    ] {
        let partial = Partial {
            schedule: Some(schedule.to_string()),
            steps: Some(1),
            params: set
                .map(|kv| split_assignment(kv).unwrap())
                .into_iter()
                .collect(),
            ..Partial::default()
        };
        let text = partial.resolve().unwrap().to_json().to_string();
        assert_eq!(
            text,
            format!(
                r#"{{"schedule":"{schedule}","steps":1,"base_lr":0.1,"warmup":0,"params":{params}}}"#
            )
        );
        let back = Partial::from_config_text(&text).and_then(|p| p.resolve());
        assert_eq!(back.unwrap().to_json().to_string(), text);
    }
}

/// The optax and Keras built-ins' strategies and their own properties.
#[path = "properties_jax.rs"]
mod jax;
