//! The warnings of `check` that read the description and the run rather than the lr of
//! each step: a warmup at least as long as the run, a horizon that does not fit the run's
//! scheduler steps, DeepSpeed's `warmup_max_lr` beside the optimizer's lr, accelerate's
//! per-process stepping; and the steps at lr 0 that the pass counted.
//!
//! Each names the value it is about as the user gave it (the flag, or the config key as the
//! file spells it with its `FILE:LINE:COL`), from the description's
//! [`Origins`](crate::config::Origins).

use super::summary::{Summary, Zeros};
use super::warnings::Warning;
use crate::Description;
use crate::config::Source;
use crate::description::ScheduleKind;
use crate::run::Derivation;
use crate::run::runtime::{Interval, Runtime, RuntimeMap};
use crate::schedule::params::Params;
use crate::schedule::registry::{Entry, Library};

/// What the lints look at: the description and, with `--samples`, the run.
pub(super) struct Scope<'a> {
    pub(super) description: &'a Description,
    pub(super) run: Option<RunScope<'a>>,
}

/// A run: its derivation, the runtime's map from updates to scheduler steps, the updates
/// and the scheduler steps they go through (`0 ..= last`).
pub(super) struct RunScope<'a> {
    pub(super) derivation: &'a Derivation,
    pub(super) map: &'a RuntimeMap<'a>,
    pub(super) updates: u64,
    pub(super) scheduler_steps: u64,
}

impl Scope<'_> {
    /// The number of scheduler steps the lints compare horizons and warmups with.
    fn length(&self) -> u64 {
        match &self.run {
            Some(run) => run.scheduler_steps,
            None => self.description.ctx().steps,
        }
    }

    /// `the run (96 updates)`, `the run (3 scheduler steps over 21 updates: stepped once
    /// per epoch (interval 'epoch'))`, or without a run `the run (100 steps)`.
    fn length_text(&self) -> String {
        match &self.run {
            Some(run) if run.map.runtime().is_identity() => {
                format!("the run ({} updates)", run.updates)
            }
            Some(run) => format!(
                "the run ({} scheduler steps over {} updates: stepped {})",
                run.scheduler_steps,
                run.updates,
                run.map.runtime().stepping()
            ),
            None => format!("the run ({} steps)", self.description.ctx().steps),
        }
    }

    /// What to do when the steps were not given and took the default.
    fn steps_hint(&self) -> Option<String> {
        let d = self.description;
        (self.run.is_none() && d.origins().steps.is_none()).then(|| {
            format!(
                "--steps defaults to {}: give the run's length with --steps, or with --samples \
                 for a training config",
                d.ctx().steps
            )
        })
    }
}

/// A number of steps as messages show it: `3`, `2.5`.
fn count_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        crate::format::py_repr(x)
    }
}

/// `1 step`, `3 steps`, `2.5 steps`.
fn steps_text(x: f64) -> String {
    if x == 1.0 {
        "1 step".into()
    } else {
        format!("{} steps", count_text(x))
    }
}

/// The built-in and its parameters, or `None` for an expression.
fn builtin(d: &Description) -> Option<(&'static Entry, &Params)> {
    match d.kind() {
        ScheduleKind::Builtin { entry, params } => Some((*entry, params)),
        ScheduleKind::Expr(_) => None,
    }
}

/// A warmup: its length in scheduler steps and how it was given.
struct Warmup {
    steps: f64,
    source: Option<Source>,
    default: Option<&'static str>,
}

/// The parameters that hold a library's own warmup length: DeepSpeed's
/// `warmup_num_steps`, timm's `warmup_t`, Megatron's `lr_warmup_steps`, nanoGPT's
/// `warmup_iters`, optax's and keras' `warmup_steps`.
const WARMUP_PARAMS: [&str; 5] = [
    "warmup_num_steps",
    "warmup_t",
    "lr_warmup_steps",
    "warmup_iters",
    "warmup_steps",
];

/// The schedule's warmup, if it has one: the library's own warmup parameter when the
/// schedule has one, else `--warmup` (transformers' `num_warmup_steps`, torch's
/// `SequentialLR` warmup, an expression's).
fn warmup_of(d: &Description) -> Option<Warmup> {
    let ctx_warmup = || {
        (d.ctx().warmup > 0).then(|| Warmup {
            steps: d.ctx().warmup as f64,
            source: Some(
                d.origins()
                    .warmup
                    .clone()
                    .unwrap_or_else(|| Source::flag("--warmup")),
            ),
            default: None,
        })
    };
    let Some((entry, params)) = builtin(d) else {
        return ctx_warmup();
    };
    let Some(name) = WARMUP_PARAMS
        .into_iter()
        .find(|name| entry.params.iter().any(|p| p.name == *name))
    else {
        return ctx_warmup();
    };
    let value = params.value(name).and_then(|v| v.as_f64());
    match value {
        Some(steps) if params.was_given(name) => Some(Warmup {
            steps,
            source: d.param_source(name),
            default: None,
        }),
        _ if d.ctx().warmup > 0 => ctx_warmup(),
        Some(steps) if steps > 0.0 => Some(Warmup {
            steps,
            source: None,
            default: Some("the default"),
        }),
        // DeepSpeed's classes default to 1000 where lrsched's parameter says None.
        None if entry.library == Library::DeepSpeed => Some(Warmup {
            steps: 1000.0,
            source: None,
            default: Some("DeepSpeed's default warmup_num_steps"),
        }),
        _ => None,
    }
}

/// `warmup_num_steps 500 (scheduler.params.warmup_num_steps at ds.json:38:7)`: a warmup
/// the schedule has of its own, given by its parameter rather than `--warmup`, for the
/// run's derivation.
pub(super) fn own_warmup(d: &Description) -> Option<String> {
    let (entry, _) = builtin(d)?;
    let name = WARMUP_PARAMS
        .into_iter()
        .find(|name| entry.params.iter().any(|p| p.name == *name))?;
    let warmup = warmup_of(d).filter(|_| d.ctx().warmup == 0)?;
    let named = match (&warmup.source, warmup.default) {
        (Some(source), _) => format!(" ({source})"),
        (None, Some(default)) => format!(" ({default})"),
        (None, None) => String::new(),
    };
    Some(format!("{name} {}{named}", count_text(warmup.steps)))
}

/// The schedule's horizon: the step where its decay is meant to end.
struct Horizon {
    /// The parameter, as the library names it (`T_max`, or `num_training_steps` for the
    /// horizon `--steps` gives).
    name: &'static str,
    value: f64,
    source: Option<Source>,
    /// False when the horizon is the description's steps (the run's own
    /// `num_training_steps`), true when a parameter or its default sets it.
    explicit: bool,
}

/// The parameter that sets each built-in's horizon, and whether a missing value means
/// `--steps` (true) rather than the parameter's own default.
fn horizon_param(entry: &Entry) -> Option<(&'static str, bool)> {
    Some(match (entry.library, entry.name) {
        (Library::Transformers, "constant" | "constant_with_warmup" | "inverse_sqrt") => {
            return None;
        }
        (Library::Transformers, _) => ("num_training_steps", true),
        (Library::Torch, "CosineAnnealingLR") => ("T_max", false),
        (Library::Torch, "OneCycleLR") => ("total_steps", true),
        (Library::Torch, "PolynomialLR") => ("total_iters", false),
        (Library::DeepSpeed, "WarmupDecayLR" | "WarmupCosineLR") => ("total_num_steps", true),
        (Library::Timm, "cosine" | "tanh" | "poly") => ("t_initial", true),
        (Library::Megatron, "linear" | "cosine" | "WSD") => ("lr_decay_steps", true),
        (Library::NanoGpt, _) => ("lr_decay_iters", true),
        (
            Library::Optax,
            "linear_schedule"
            | "polynomial_schedule"
            | "cosine_onecycle_schedule"
            | "linear_onecycle_schedule",
        ) => ("transition_steps", false),
        (Library::Optax, "cosine_decay_schedule" | "warmup_cosine_decay_schedule") => {
            ("decay_steps", false)
        }
        (Library::Keras, "CosineDecay" | "PolynomialDecay") => ("decay_steps", false),
        _ => return None,
    })
}

fn horizon_of(d: &Description) -> Option<Horizon> {
    let (entry, params) = builtin(d)?;
    let (name, defaults_to_steps) = horizon_param(entry)?;
    let steps = || Horizon {
        name: "num_training_steps",
        value: d.ctx().steps as f64,
        source: None,
        explicit: false,
    };
    if name == "num_training_steps" {
        return Some(steps());
    }
    let value = params.value(name).and_then(|v| v.as_f64());
    if let Some(value) = value.filter(|_| params.was_given(name)) {
        return Some(Horizon {
            name,
            value,
            source: d.param_source(name),
            explicit: true,
        });
    }
    // OneCycleLR's other way of giving its length.
    if entry.name == "OneCycleLR"
        && let (Some(epochs), Some(per_epoch)) = (
            params.value("epochs").and_then(|v| v.as_f64()),
            params.value("steps_per_epoch").and_then(|v| v.as_f64()),
        )
    {
        return Some(Horizon {
            name: "epochs x steps_per_epoch",
            value: epochs * per_epoch,
            source: d.param_source("epochs"),
            explicit: true,
        });
    }
    match value {
        _ if defaults_to_steps => Some(steps()),
        Some(value) => Some(Horizon {
            name,
            value,
            source: None,
            explicit: true,
        }),
        None => None,
    }
}

/// Whether a horizon `h` fits `length` scheduler steps: it ends at the last step or one
/// past it, or earlier by the warmup for schedules whose horizon counts from the warmup's
/// end (torch's behind `--warmup`, keras' `CosineDecay`).
fn fits(h: f64, length: u64, warmup: f64) -> bool {
    let length = length as f64;
    h >= length - warmup - 1.0 && h <= length + 1.0
}

/// Every lint of this module that fires, in the order of [`super::Kind::ALL`].
pub(super) fn lints(scope: &Scope<'_>, summary: &Summary) -> Vec<Warning> {
    let mut warnings = Vec::new();
    warnings.extend(warmup_too_long(scope));
    warnings.extend(warmup_ignored(scope.description));
    warnings.extend(horizon_mismatch(scope));
    warnings.extend(warmup_max_lr(scope.description));
    warnings.extend(accelerate_stepping(scope, summary));
    warnings
}

fn warmup_too_long(scope: &Scope<'_>) -> Option<Warning> {
    let warmup = warmup_of(scope.description)?;
    let length = scope.length();
    (warmup.steps >= length as f64).then(|| Warning::WarmupTooLong {
        warmup: warmup.steps.ceil() as u64,
        source: warmup.source,
        default: warmup.default,
        run: scope.length_text(),
        hint: scope.steps_hint(),
    })
}

fn horizon_mismatch(scope: &Scope<'_>) -> Option<Warning> {
    let run = scope.run.as_ref()?;
    let horizon = horizon_of(scope.description).filter(|h| h.explicit)?;
    let warmup = warmup_of(scope.description).map_or(0.0, |w| w.steps);
    let length = run.scheduler_steps;
    let runtime = run.map.runtime();
    if fits(horizon.value, length, warmup) {
        return None;
    }
    // A horizon in updates under accelerate's per-process stepping is its own lint.
    if matches!(runtime, Runtime::Accelerate { .. }) && fits(horizon.value, run.updates, warmup) {
        return None;
    }
    let h = horizon.value;
    let d = run.derivation;
    let inputs = &d.inputs;
    let same = |x: u64| (h - x as f64).abs() < 0.5;
    let accum = inputs.grad_accum.unwrap_or(1);
    let devices = inputs.devices.unwrap_or(1);
    let per_epoch = d.updates_per_epoch.as_ref().map(|q| q.value);
    let micro_batches = match (&d.batches_per_epoch, inputs.epochs) {
        (Some(b), Some(e)) if e.fract() == 0.0 => Some(b.value.saturating_mul(e as u64)),
        _ => None,
    };
    let by_epoch = matches!(
        runtime,
        Runtime::Lightning {
            interval: Interval::Epoch,
            ..
        }
    );
    let why = if by_epoch && fits(h, run.updates, warmup) {
        format!(
            "it counts the run's {} updates, but Lightning steps the scheduler once per \
             epoch (interval 'epoch', what LightningCLI's configure_optimizers gives)",
            run.updates
        )
    } else if let Some(e) = inputs.epochs.filter(|&e| e > 0.0 && (h - e).abs() < 1e-9) {
        format!("it counts the run's {} epochs", count_text(e))
    } else if accum > 1
        && (same(run.updates.saturating_mul(accum)) || micro_batches.is_some_and(same))
    {
        format!(
            "it counts micro-batches ({}), without the gradient accumulation of {accum}",
            count_text(h)
        )
    } else if devices > 1 && same(run.updates.saturating_mul(devices)) {
        format!(
            "it counts the batches of all {devices} devices ({}), not the updates",
            count_text(h)
        )
    } else if per_epoch.is_some_and(|u| u > 1 && same(u)) {
        format!("it counts one epoch's updates ({})", count_text(h))
    } else if h < length as f64 {
        format!(
            "the schedule's decay is over at step {}, and the last {} scheduler steps run \
             past it",
            count_text(h),
            count_text(length as f64 - h)
        )
    } else {
        format!(
            "the run stops after {length} of its {} scheduler steps, before the decay is over",
            count_text(h)
        )
    };
    Some(Warning::HorizonMismatch {
        horizon: format!("{}={}", horizon.name, count_text(h)),
        source: horizon.source,
        run: format!("{length} scheduler steps, stepped {}", runtime.stepping()),
        why,
    })
}

fn warmup_ignored(d: &Description) -> Option<Warning> {
    let (warmup, source) = d.ignored_warmup()?;
    let (entry, _) = builtin(d)?;
    Some(Warning::WarmupIgnored {
        schedule: entry.name,
        warmup,
        source: source.cloned(),
    })
}

fn warmup_max_lr(d: &Description) -> Option<Warning> {
    let (entry, params) = builtin(d)?;
    if entry.library != Library::DeepSpeed || !matches!(entry.name, "WarmupLR" | "WarmupDecayLR") {
        return None;
    }
    // Only an lr the user gave: lrsched's default 0.1 is no optimizer's.
    let lr_source = d.origins().base_lr.clone()?;
    let lr = d.ctx().base_lr;
    let given = params.was_given("warmup_max_lr");
    // WarmupLR without warmup_max_lr warms up to the optimizer's lr; WarmupDecayLR to 0.001.
    let warmup_max_lr = params.value("warmup_max_lr").and_then(|v| v.as_f64())?;
    (warmup_max_lr != lr).then(|| Warning::WarmupMaxLr {
        class: entry.name,
        warmup_max_lr,
        source: if given {
            d.param_source("warmup_max_lr")
        } else {
            None
        },
        lr,
        lr_source: Some(lr_source),
    })
}

fn accelerate_stepping(scope: &Scope<'_>, summary: &Summary) -> Option<Warning> {
    let run = scope.run.as_ref()?;
    let Runtime::Accelerate {
        processes,
        split_batches: false,
        step_with_optimizer: true,
    } = *run.map.runtime()
    else {
        return None;
    };
    if processes < 2 || summary.peak_lr == summary.min_lr {
        return None;
    }
    let warmup = warmup_of(scope.description);
    let horizon = horizon_of(scope.description);
    let w = warmup.as_ref().map_or(0.0, |w| w.steps);
    // A schedule sized in scheduler steps (num_training_steps x P) is what it should be.
    if horizon
        .as_ref()
        .is_some_and(|h| fits(h.value, run.scheduler_steps, w))
    {
        return None;
    }
    let mut effects = Vec::new();
    if let Some(h) = &horizon {
        let step = h.value.ceil() as u64;
        if let Some(u) = run.map.first_update_at(step, run.updates) {
            effects.push(format!(
                "the horizon {}={} is reached at update {u}",
                h.name,
                count_text(h.value)
            ));
        }
    }
    if let Some(warmup) = &warmup
        && let Some(u) = run
            .map
            .first_update_at(warmup.steps.ceil() as u64, run.updates)
    {
        effects.push(format!(
            "the warmup of {} is over at update {u}",
            steps_text(warmup.steps)
        ));
    }
    Some(Warning::AccelerateStepping {
        processes,
        updates: run.updates,
        scheduler_steps: run.scheduler_steps,
        effects,
    })
}

/// The steps at lr 0, unless only step 0 is (which [`Warning::ZeroFirstLr`] says).
pub(super) fn zero_lr(scope: &Scope<'_>, zeros: Zeros, of: u64) -> Option<Warning> {
    if zeros.count == 0 || zeros.only_first() {
        return None;
    }
    let why = zero_why(scope.description, &zeros.runs);
    Some(Warning::ZeroLr {
        count: zeros.count,
        of,
        runs: zeros.runs,
        more: zeros.more,
        unit: if scope.run.is_some() {
            "update"
        } else {
            "step"
        },
        why,
    })
}

/// Why steps 0 and 1 are both at lr 0, where the schedule does it on purpose: DeepSpeed's
/// `Warmup*` classes compute step `k` from `k - 1`.
pub(super) fn zero_why(d: &Description, runs: &[(u64, u64)]) -> Option<&'static str> {
    let deepspeed_warmup = builtin(d).is_some_and(|(entry, params)| {
        entry.library == Library::DeepSpeed
            && entry.name.starts_with("Warmup")
            && params
                .value("last_batch_iteration")
                .and_then(|v| v.as_f64())
                == Some(-1.0)
    });
    (deepspeed_warmup && runs.first() == Some(&(0, 1)))
        .then_some("DeepSpeed's warmup runs one step behind: the first two both get warmup_min_lr")
}
