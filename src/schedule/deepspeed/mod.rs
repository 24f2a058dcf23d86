//! DeepSpeed's `deepspeed.runtime.lr_schedules` (deepspeed 0.19.8): `WarmupLR`,
//! `WarmupDecayLR`, `WarmupCosineLR`, `OneCycle` and `LRRangeTest`, with DeepSpeed's own
//! arithmetic, its validation messages, and its stepping (`lr[k]` is the optimizer's lr
//! before the k-th `scheduler.step()`).

mod cycle;
mod warmup;

use std::fmt;

use super::Context;
use super::params::{Params, Value};
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
