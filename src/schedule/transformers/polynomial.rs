//! `polynomial`: linear warmup, then a polynomial decay from the optimizer's lr to `lr_end`.

use super::int_diff;
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `get_polynomial_decay_schedule_with_warmup`: `s / max(1, W)` below `W`; `lr_end / lr_init`
/// past `N`; in between `pct_remaining = 1 - (s - W) / (N - W)` and
/// `(lr_range * pct_remaining ** power + lr_end) / lr_init`, `lr_range = lr_init - lr_end`,
/// where `lr_init` is the optimizer's lr (`--base-lr`). `**` is C's `pow`, hence `powf`.
///
/// transformers rejects `lr_end >= lr_init` when building, and so does this. With `W = N`
/// (or a negative `power`) transformers raises `ZeroDivisionError` at step `N` only, one
/// past the last step evaluated, so those are accepted: step `N` gives `lr_end / lr_init`,
/// the value of every later step, and [`Schedule::last_defined_step`] says `N - 1`.
#[derive(Debug)]
struct Polynomial {
    lr_end: f64,
    power: f64,
}

impl Polynomial {
    /// True when transformers raises `ZeroDivisionError` at step `N`: `(N - W) / 0` when
    /// `W = N`, or `0.0 ** power` with a negative `power`.
    fn fails_at_horizon(&self, ctx: &Context) -> bool {
        ctx.warmup <= ctx.steps && (ctx.warmup == ctx.steps || self.power < 0.0)
    }
}

impl AfterWarmup for Polynomial {
    #[inline]
    fn multiplier(&self, step: u64, ctx: &Context) -> f64 {
        let lr_init = ctx.base_lr;
        if step > ctx.steps || (step == ctx.steps && self.fails_at_horizon(ctx)) {
            self.lr_end / lr_init
        } else {
            let lr_range = lr_init - self.lr_end;
            let pct_remaining = 1.0 - int_diff(step, ctx.warmup) / int_diff(ctx.steps, ctx.warmup);
            let decay = lr_range * pct_remaining.powf(self.power) + self.lr_end;
            decay / lr_init
        }
    }

    fn last_defined_step(&self, ctx: &Context) -> Option<u64> {
        // N >= 1 is guaranteed by the description, but stay total.
        self.fails_at_horizon(ctx)
            .then(|| ctx.steps.checked_sub(1))
            .flatten()
    }
}

fn build_polynomial(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let lr_end = params.float("lr_end")?;
    let power = params.float("power")?;
    let lr_init = ctx.base_lr;
    // transformers tests `not (lr_init > lr_end)`, which refuses a NaN lr_end as well.
    let smaller = lr_init > lr_end;
    if !smaller {
        return Err(Error::input(format!(
            "polynomial: lr_end ({}) must be smaller than initial lr ({}); \
             lower lr_end (--set lr_end=...) or raise --base-lr",
            py_repr(lr_end),
            py_repr(lr_init)
        )));
    }
    if lr_init == 0.0 {
        return Err(Error::input(format!(
            "polynomial with lr_end={} needs --base-lr above 0: transformers divides by the \
             initial lr from step W on (ZeroDivisionError)",
            py_repr(lr_end)
        )));
    }
    Ok(LinearWarmup::boxed(ctx, Polynomial { lr_end, power }))
}

pub(super) const POLYNOMIAL: Entry = Entry {
    name: "polynomial",
    library: Library::Transformers,
    upstream: "get_polynomial_decay_schedule_with_warmup",
    summary: "linear warmup, then polynomial decay from --base-lr to lr_end at step N",
    formula: "m(s) = s / max(1, W) for s < W; lr_end / lr for s > N; else \
              ((lr - lr_end) * (1 - (s - W) / (N - W)) ** power + lr_end) / lr, lr = --base-lr",
    horizon: "lr_end / lr from step N on (at step N itself transformers fails when W = N \
              or power < 0; lrsched gives lr_end / lr there)",
    params: &[
        ParamSpec {
            name: "lr_end",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1e-7),
            doc: "the absolute lr reached at step N; must be below --base-lr",
        },
        ParamSpec {
            name: "power",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0),
            doc: "exponent of the decay (1: linear)",
        },
    ],
    takes_warmup: true,
    build: build_polynomial,
};
