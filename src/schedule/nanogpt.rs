//! nanoGPT's `get_lr(it)` (karpathy/nanoGPT `train.py`, since PR #578): a linear warmup and
//! a cosine decay to `min_lr`, set by the training loop itself every iteration.

use std::f64::consts::PI;

use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::registry::{Entry, Library};
use super::{Context, Point, Schedule};
use crate::error::{Error, Result};
use crate::format::py_repr;

/// The nanoGPT entry of the registry.
pub static ENTRIES: &[Entry] = &[GET_LR];

/// nanoGPT's `get_lr(it)` with its globals as parameters:
///
/// ```python
/// if it < warmup_iters:
///     return learning_rate * (it + 1) / (warmup_iters + 1)
/// if it > lr_decay_iters:
///     return min_lr
/// decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
/// coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
/// return min_lr + coeff * (learning_rate - min_lr)
/// ```
///
/// The warmup never reaches `learning_rate` (the `(it + 1) / (warmup_iters + 1)` form of PR
/// #578); the cosine starts at `learning_rate` at `it = warmup_iters`. With `warmup_iters ==
/// lr_decay_iters` Python divides zero by zero at `it = warmup_iters`. Absolute: the loop
/// overwrites the optimizer's lr, so `--base-lr` only enters the multiplier column.
#[derive(Debug)]
struct GetLr {
    learning_rate: f64,
    min_lr: f64,
    warmup_iters: f64,
    lr_decay_iters: f64,
    optimizer_lr: f64,
    /// `learning_rate` was given (else it is the optimizer's lr).
    absolute: bool,
    /// What Python raises at [`GetLr::failure`], if anything.
    raises: Option<String>,
}

impl GetLr {
    /// `get_lr(it)`; `None` where Python raises `ZeroDivisionError`.
    #[inline]
    fn get_lr(&self, it: f64) -> Option<f64> {
        if it < self.warmup_iters {
            return Some(self.learning_rate * (it + 1.0) / (self.warmup_iters + 1.0));
        }
        if it > self.lr_decay_iters {
            return Some(self.min_lr);
        }
        let span = self.lr_decay_iters - self.warmup_iters;
        if span == 0.0 {
            return None;
        }
        let decay_ratio = (it - self.warmup_iters) / span;
        let coeff = 0.5 * (1.0 + (PI * decay_ratio).cos());
        Some(self.min_lr + coeff * (self.learning_rate - self.min_lr))
    }

    /// The one iteration where `get_lr` divides by zero, if any: `warmup_iters` when it
    /// equals `lr_decay_iters` and is a whole iteration (0 included).
    fn failure(&self) -> Option<u64> {
        let w = self.warmup_iters;
        (w == self.lr_decay_iters && w >= 0.0 && w.fract() == 0.0 && w < u64::MAX as f64)
            .then_some(w as u64)
    }
}

impl Schedule for GetLr {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let lr = self.get_lr(step as f64).unwrap_or(f64::NAN);
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        self.absolute
    }

    fn last_defined_step(&self) -> Option<u64> {
        self.failure().map(|step| step.saturating_sub(1))
    }

    fn error_at(&self, step: u64) -> Option<Error> {
        let failure = self.failure()?;
        (step >= failure)
            .then(|| self.raises.clone())
            .flatten()
            .map(Error::input)
    }
}

fn build_get_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let flag = (ctx.warmup > 0).then(|| Value::Int(i64::try_from(ctx.warmup).unwrap_or(i64::MAX)));
    // Python's message tells an int division from a float one.
    let (warmup_iters, int_warmup) =
        match params.or_flag("nanogpt:get_lr", "warmup_iters", ("--warmup", flag))? {
            Some(Value::Float(x)) => (x, false),
            Some(Value::Int(i)) => (i as f64, true),
            _ => (0.0, true),
        };
    let int_decay = !matches!(params.value("lr_decay_iters"), Some(Value::Float(_)));
    let mut schedule = GetLr {
        learning_rate: params.opt_float("learning_rate")?.unwrap_or(ctx.base_lr),
        absolute: params.opt_float("learning_rate")?.is_some(),
        min_lr: params.float("min_lr")?,
        warmup_iters,
        lr_decay_iters: params
            .opt_float("lr_decay_iters")?
            .unwrap_or(ctx.steps as f64),
        optimizer_lr: ctx.base_lr,
        raises: None,
    };
    if let Some(step) = schedule.failure() {
        let message = |within: &str| {
            format!(
                "nanogpt:get_lr warmup_iters={w} with lr_decay_iters={d}: Python raises \
                 ZeroDivisionError: {division} by zero at step {step} (decay_ratio = (it - \
                 warmup_iters) / (lr_decay_iters - warmup_iters)){within}; make \
                 lr_decay_iters larger than warmup_iters",
                w = shown(schedule.warmup_iters, int_warmup),
                d = shown(schedule.lr_decay_iters, int_decay),
                division = if int_warmup && int_decay {
                    "division"
                } else {
                    "float division"
                },
            )
        };
        if step < ctx.steps {
            return Err(Error::input(message(&format!(
                ", within --steps {}",
                ctx.steps
            ))));
        }
        schedule.raises = Some(message(""));
    }
    Ok(Box::new(schedule))
}

/// A number as Python shows it: `5` for an int, `5.0` for a float.
fn shown(x: f64, int: bool) -> String {
    if int { format!("{x}") } else { py_repr(x) }
}

pub(super) const GET_LR: Entry = Entry {
    name: "get_lr",
    library: Library::NanoGpt,
    upstream: "nanoGPT train.py get_lr(it) with its globals learning_rate, warmup_iters, \
               lr_decay_iters, min_lr (karpathy/nanoGPT, since PR #578)",
    summary: "nanoGPT's warmup to learning_rate and cosine to min_lr (absolute)",
    formula: "it < warmup_iters: learning_rate * (it + 1) / (warmup_iters + 1); it > \
              lr_decay_iters: min_lr; else min_lr + 0.5 * (1 + cos(pi * (it - warmup_iters) / \
              (lr_decay_iters - warmup_iters))) * (learning_rate - min_lr)",
    horizon: "min_lr from it = lr_decay_iters on; lr_decay_iters is --steps when not set \
              (nanoGPT's own default sets it to max_iters)",
    params: &[
        ParamSpec {
            name: "learning_rate",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "peak lr (None: --base-lr, as nanoGPT also gives it to the optimizer)",
        },
        ParamSpec {
            name: "min_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Float(6e-5),
            doc: "lr at the end of the cosine and after it (nanoGPT's default 6e-5)",
        },
        ParamSpec {
            name: "warmup_iters",
            kind: ParamKind::Number,
            default: ParamDefault::Absent,
            doc: "warmup iterations (None: --warmup, else 0); equal to lr_decay_iters, Python \
                  raises ZeroDivisionError at it = warmup_iters",
        },
        ParamSpec {
            name: "lr_decay_iters",
            kind: ParamKind::Number,
            default: ParamDefault::Absent,
            doc: "iteration where the cosine reaches min_lr (None: --steps)",
        },
    ],
    takes_warmup: true,
    build: build_get_lr,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_division_only_at_a_whole_warmup_equal_to_the_decay() {
        let at = |w: f64, d: f64| GetLr {
            learning_rate: 1.0,
            min_lr: 0.1,
            warmup_iters: w,
            lr_decay_iters: d,
            optimizer_lr: 1.0,
            absolute: true,
            raises: None,
        };
        assert_eq!(at(5.0, 5.0).failure(), Some(5));
        assert_eq!(at(0.0, 0.0).failure(), Some(0));
        assert_eq!(
            at(2.5, 2.5).failure(),
            None,
            "no whole it reaches the division"
        );
        assert_eq!(at(5.0, 6.0).failure(), None);
        // warmup_iters > lr_decay_iters: the warmup, then min_lr.
        let s = at(4.0, 2.0);
        assert_eq!(s.get_lr(3.0), Some(0.8));
        assert_eq!(s.get_lr(4.0), Some(0.1));
    }
}
