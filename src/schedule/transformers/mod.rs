//! Hugging Face `transformers` schedules (`get_scheduler(name, ...)`), each a `LambdaLR`
//! multiplier computed in the operation order of `transformers/optimization.py`.
//!
//! Every schedule here reproduces transformers 5.24 as `get_scheduler` builds it:
//! `--warmup` is `num_warmup_steps` (W), `--steps` is `num_training_steps` (N), `--set`
//! gives `scheduler_specific_kwargs`, and `s` is the step. The multiplier `m(s)` is
//! computed in f64 in the order Python evaluates the lambda, because the golden values
//! are the library's own doubles; the lr is then `base_lr * m(s)`, the order `LambdaLR`
//! multiplies in. Quirks of the library (a cosine that rises again past the horizon, a
//! warmup that starts at `1/W`, ...) are copied on purpose and named on each type.
//!
//! Most lambdas open with the same linear warmup, `s / max(1, W)` below `W`; those types
//! implement [`AfterWarmup`](super::combine::AfterWarmup) and are built behind
//! [`LinearWarmup`](super::combine::LinearWarmup). Each file holds a schedule (or a family
//! sharing one lambda) with its registry entry.

mod constant;
mod cosine;
mod cosine_warmup_with_min_lr;
mod cosine_with_restarts;
mod inverse_sqrt;
mod linear;
mod polynomial;
#[cfg(test)]
mod tests;
mod warmup_stable_decay;

use super::Context;
use super::params::{ParamDefault, ParamKind, ParamSpec, Params};
use super::registry::Entry;
use crate::error::{Error, Result};
use crate::format::py_repr;

/// The transformers entries of the registry, in `SchedulerType` order.
pub static ENTRIES: &[Entry] = &[
    linear::LINEAR,
    cosine::COSINE,
    cosine_with_restarts::COSINE_WITH_RESTARTS,
    polynomial::POLYNOMIAL,
    constant::CONSTANT,
    constant::CONSTANT_WITH_WARMUP,
    inverse_sqrt::INVERSE_SQRT,
    cosine::COSINE_WITH_MIN_LR,
    cosine_warmup_with_min_lr::COSINE_WARMUP_WITH_MIN_LR,
    warmup_stable_decay::WARMUP_STABLE_DECAY,
];

/// `num_cycles` of the cosines, a half-wave by default.
const NUM_CYCLES_HALF: ParamSpec = ParamSpec {
    name: "num_cycles",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.5),
    doc: "number of cosine waves over the decay (0.5: one half-wave from 1 down to the floor)",
};

/// The floor of the min_lr cosines as an absolute lr (see [`min_lr_rate`]).
const MIN_LR: ParamSpec = ParamSpec {
    name: "min_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "the floor as an absolute lr (becomes min_lr_rate = min_lr / --base-lr); \
          give this or min_lr_rate",
};

/// The floor of the min_lr cosines as a ratio (see [`min_lr_rate`]).
const MIN_LR_RATE: ParamSpec = ParamSpec {
    name: "min_lr_rate",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "the floor as a ratio of --base-lr; give this or min_lr",
};

/// Python's `max(0.0, x)` (and `max(0, x)`): `x` only when it is greater than 0, so a NaN
/// gives 0 as in Python, where `f64::max` would leave the choice to the platform.
#[inline]
fn py_max0(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

/// Python's `float(a - b)` for ints: the exact difference, rounded once.
#[inline]
fn int_diff(a: u64, b: u64) -> f64 {
    (i128::from(a) - i128::from(b)) as f64
}

/// `float(max(1, N - W))`, the length of the decay that every transformers cosine divides by.
#[inline]
fn decay_span(ctx: &Context) -> f64 {
    (i128::from(ctx.steps) - i128::from(ctx.warmup)).max(1) as f64
}

/// The floor of the two min_lr cosines: exactly one of `min_lr` (divided by the optimizer's
/// lr, as transformers does once when building) and `min_lr_rate`.
fn min_lr_rate(schedule: &str, ctx: &Context, params: &Params) -> Result<f64> {
    match (
        params.opt_float("min_lr")?,
        params.opt_float("min_lr_rate")?,
    ) {
        (Some(_), Some(_)) => Err(Error::input(format!(
            "{schedule} takes min_lr or min_lr_rate, not both; transformers: \
             Only one of min_lr or min_lr_rate should be set"
        ))),
        (None, None) => Err(Error::input(format!(
            "{schedule} needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
             --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
             through the `lr_scheduler_kwargs`"
        ))),
        (None, Some(rate)) => Ok(rate),
        (Some(min_lr), None) if ctx.base_lr == 0.0 => Err(Error::input(format!(
            "{schedule} parameter min_lr={} needs --base-lr above 0: transformers computes \
             min_lr / lr, which raises ZeroDivisionError for lr 0; use min_lr_rate instead",
            py_repr(min_lr)
        ))),
        (Some(min_lr), None) => Ok(min_lr / ctx.base_lr),
    }
}
