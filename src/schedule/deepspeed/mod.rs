//! DeepSpeed's `deepspeed.runtime.lr_schedules` (deepspeed 0.19.8): `WarmupLR`,
//! `WarmupDecayLR`, `WarmupCosineLR`, `OneCycle` and `LRRangeTest`, with DeepSpeed's own
//! arithmetic, its validation messages, and its stepping (`lr[k]` is the optimizer's lr
//! before the k-th `scheduler.step()`).

mod cycle;
mod warmup;

use std::fmt;

use super::Context;
use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::registry::Entry;
use crate::error::{Error, Result};
use crate::format::py_repr;

/// The DeepSpeed entries of the registry, in the order of `lr_schedules.VALID_LR_SCHEDULES`.
pub static ENTRIES: &[Entry] = &[
    cycle::LR_RANGE_TEST,
    cycle::ONE_CYCLE,
    warmup::WARMUP_LR,
    warmup::WARMUP_DECAY_LR,
    warmup::WARMUP_COSINE_LR,
];

/// What the optimizer's lr is after `step` calls of `scheduler.step()`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Iteration {
    /// Step 0 of a fresh scheduler (`last_batch_iteration=-1`): what the constructor set.
    Constructor,
    /// Step 0 of a resumed scheduler: the constructor leaves the optimizer's lr alone.
    Optimizer,
    /// `get_lr()` with `self.last_batch_iteration` at this value.
    At(f64),
}

/// `last_batch_iteration`, the batch a scheduler resumes after (-1: from the start).
#[derive(Clone, Copy, Debug)]
struct Start {
    last_batch_iteration: i64,
}

impl Start {
    fn of(params: &Params) -> Result<Self> {
        Ok(Start {
            last_batch_iteration: params.int("last_batch_iteration")?,
        })
    }

    /// A fresh scheduler sets every lr itself; a resumed one keeps the optimizer's for
    /// step 0.
    fn sets_every_lr(self) -> bool {
        self.last_batch_iteration == -1
    }

    #[inline]
    fn iteration(self, step: u64) -> Iteration {
        match (step, self.last_batch_iteration) {
            (0, -1) => Iteration::Constructor,
            (0, _) => Iteration::Optimizer,
            (k, last) => Iteration::At(last as f64 + k as f64),
        }
    }
}

/// `last_batch_iteration`, which every DeepSpeed scheduler takes.
const LAST_BATCH_ITERATION: ParamSpec = ParamSpec {
    name: "last_batch_iteration",
    kind: ParamKind::Int,
    default: ParamDefault::Int(-1),
    doc: "batches already done when resuming (-1: from the start); otherwise step 0 keeps \
          --base-lr and step k is the schedule at batch last_batch_iteration + k",
};

/// A value DeepSpeed's constructor rejects, with DeepSpeed's own message.
fn rejected(class: &str, name: &str, value: impl fmt::Display, message: &str) -> Error {
    Error::input(format!(
        "deepspeed:{class} {name}={value}: DeepSpeed raises ValueError: {message}"
    ))
}

/// A parameter that DeepSpeed requires to be a positive Python `int`
/// (`not isinstance(v, int) or v <= 0` raises), as its integer value.
fn positive_int(class: &str, name: &str, value: Option<&Value>) -> Result<i64> {
    let shown = match value {
        Some(Value::Int(i)) if *i > 0 => return Ok(*i),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Float(x)) => py_repr(*x),
        Some(other) => other.to_string(),
        None => "None".to_string(),
    };
    Err(rejected(
        class,
        name,
        &shown,
        &format!("{name} must be a positive integer, got {shown}"),
    ))
}

/// `warmup_num_steps`, from `--set` or `--warmup`, validated as DeepSpeed does; DeepSpeed's
/// default (1000) when neither gives it.
fn warmup_num_steps(class: &str, ctx: &Context, params: &Params) -> Result<i64> {
    let flag = (ctx.warmup > 0).then(|| Value::Int(i64::try_from(ctx.warmup).unwrap_or(i64::MAX)));
    let value = params.or_flag(
        &format!("deepspeed:{class}"),
        "warmup_num_steps",
        ("--warmup", flag),
    )?;
    positive_int(
        class,
        "warmup_num_steps",
        Some(&value.unwrap_or(Value::Int(1000))),
    )
}

/// `total_num_steps`, `--steps` when not set.
fn total_num_steps(ctx: &Context, params: &Params) -> Result<f64> {
    Ok(params
        .opt_float("total_num_steps")?
        .unwrap_or(ctx.steps as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: Value) -> String {
        match positive_int("WarmupLR", "warmup_num_steps", Some(&value)) {
            Ok(i) => format!("accepted {i}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn isinstance_int_is_checked_like_deepspeed() {
        assert_eq!(message(Value::Int(3)), "accepted 3");
        assert_eq!(
            message(Value::Float(3.0)),
            "deepspeed:WarmupLR warmup_num_steps=3.0: DeepSpeed raises ValueError: \
             warmup_num_steps must be a positive integer, got 3.0"
        );
        assert!(message(Value::Int(-5)).ends_with("got -5"));
        assert!(message(Value::Int(0)).ends_with("got 0"));
    }
}
