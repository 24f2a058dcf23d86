//! PyTorch `torch.optim.lr_scheduler` schedulers (torch 2.15), each with torch's own
//! arithmetic: the chainable ones replay torch's recursion, the others are its closed
//! forms, and torch's validation and run-time errors become input errors.
//!
//! A builder here builds the bare scheduler; the registry puts torch's `SequentialLR`
//! warmup in front of it when `--warmup` is given (see [`super::combine`]).

mod chainable;
mod constant;
mod cosine_annealing;
mod cyclic;
mod exponential;
mod linear;
mod multi_step;
mod one_cycle;
mod polynomial;
mod step;
#[cfg(test)]
mod tests;
mod warm_restarts;

use std::fmt;

use super::Context;
use super::params::{ParamDefault, ParamKind, ParamSpec};
use super::registry::Entry;
use crate::error::Error;

/// The torch entries of the registry, in the order of the command-line contract.
pub static ENTRIES: &[Entry] = &[
    step::STEP_LR,
    multi_step::MULTI_STEP_LR,
    constant::CONSTANT_LR,
    linear::LINEAR_LR,
    exponential::EXPONENTIAL_LR,
    polynomial::POLYNOMIAL_LR,
    cosine_annealing::COSINE_ANNEALING_LR,
    cyclic::CYCLIC_LR,
    one_cycle::ONE_CYCLE_LR,
    warm_restarts::COSINE_ANNEALING_WARM_RESTARTS,
];

/// How the scheduler's step 0 is computed.
///
/// Alone, torch's constructor computes step 0 with `get_lr()`. Behind `--warmup W`,
/// `SequentialLR` reaches the milestone and calls `_update_lr(0)` (formerly `step(0)`), which
/// uses the class's `_get_closed_form_lr()` at `last_epoch = 0` when it has one. The two differ
/// for a few parameter values (an ulp for `CosineAnnealingLR` with `eta_min`, more for
/// `ConstantLR`/`LinearLR`/`PolynomialLR` with `total_iters <= 0` and `MultiStepLR` with
/// negative milestones), and the recursion carries the difference on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// A freshly constructed scheduler: `get_lr()` at `last_epoch = 0`.
    Fresh,
    /// `SequentialLR`'s milestone: `_get_closed_form_lr()` at `last_epoch = 0`.
    ClosedForm,
}

impl Start {
    fn of(ctx: &Context) -> Self {
        // The registry wraps torch schedulers in `SequentialLR` exactly when there is a warmup.
        if ctx.warmup > 0 {
            Start::ClosedForm
        } else {
            Start::Fresh
        }
    }
}

/// A step at which torch raises while stepping the scheduler (a division by zero, a step
/// past `OneCycleLR`'s `total_steps`): the scheduler is defined only before it.
#[derive(Clone, Debug, PartialEq)]
struct Raise {
    /// The scheduler's own step (`last_epoch`) at which torch raises.
    step: u64,
    /// What torch raises and why, e.g. `ZeroDivisionError (T_max=0.0)`.
    what: String,
    /// How to avoid it.
    fix: String,
}

impl Raise {
    /// The last step before the failure. A failure at step 0 (only ever at `SequentialLR`'s
    /// milestone; failures in the constructor are rejected outright) leaves no step defined,
    /// which `Option<u64>` cannot say: it reports step 0, one too many.
    fn last_defined_step(failure: Option<&Raise>) -> Option<u64> {
        failure.map(|f| f.step.saturating_sub(1))
    }

    /// An error when the steps that `ctx` evaluates reach the failure: the scheduler runs at
    /// its own steps `0 .. steps - warmup`, so like torch we only fail if it gets there.
    fn check(failure: Option<&Raise>, class: &str, ctx: &Context) -> Result<(), Error> {
        let Some(f) = failure else { return Ok(()) };
        let evaluated = ctx.steps.saturating_sub(ctx.warmup);
        if f.step < evaluated {
            let global = f.step.saturating_add(ctx.warmup);
            let at = if ctx.warmup > 0 {
                format!(
                    "at step {global} (its own step {} after --warmup {})",
                    f.step, ctx.warmup
                )
            } else {
                format!("at step {global}")
            };
            return Err(Error::input(format!(
                "{class}: torch raises {} {at}, within --steps {}; {}",
                f.what, ctx.steps, f.fix
            )));
        }
        Ok(())
    }
}

/// A parameter value that torch's constructor rejects, with torch's own message.
fn rejected(class: &str, name: &str, value: impl fmt::Display, reason: &str) -> Error {
    Error::input(format!("{class} {name}={value}: {reason}"))
}

/// `gamma=0.1` of `StepLR` and `MultiStepLR`.
const DECAY_GAMMA: ParamSpec = ParamSpec {
    name: "gamma",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.1),
    doc: "multiplicative factor of the decay",
};

/// `eta_min=0.0` of `CosineAnnealingLR` and `CosineAnnealingWarmRestarts`.
const ETA_MIN: ParamSpec = ParamSpec {
    name: "eta_min",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "minimum learning rate (absolute, not a multiplier)",
};

/// `cycle_momentum=True` of `CyclicLR` and `OneCycleLR`.
const CYCLE_MOMENTUM: ParamSpec = ParamSpec {
    name: "cycle_momentum",
    kind: ParamKind::Bool,
    default: ParamDefault::Bool(true),
    doc: "cycles the optimizer's momentum (SGD momentum, Adam betas[0]) against the lr, as lrsched train does; never changes the lr",
};

/// `base_momentum` of `CyclicLR` (0.8) and `OneCycleLR` (0.85).
const fn base_momentum(default: f64) -> ParamSpec {
    ParamSpec {
        name: "base_momentum",
        kind: ParamKind::Float,
        default: ParamDefault::Float(default),
        doc: "lower momentum bound; does not change the lr",
    }
}

/// `max_momentum` of `CyclicLR` (0.9) and `OneCycleLR` (0.95).
const fn max_momentum(default: f64) -> ParamSpec {
    ParamSpec {
        name: "max_momentum",
        kind: ParamKind::Float,
        default: ParamDefault::Float(default),
        doc: "upper momentum bound; does not change the lr",
    }
}
