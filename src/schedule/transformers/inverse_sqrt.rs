//! `inverse_sqrt`: linear warmup, then a decay as one over the square root of the step.

use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `get_inverse_sqrt_schedule`: `s / max(1, W)` below `W`, then
/// `1.0 / math.sqrt((s + shift) / timescale)` with `shift = timescale - W`.
///
/// Copied on purpose: `timescale=None` means `num_warmup_steps or 10_000`, so it is `W`, or
/// 10000 when there is no warmup. transformers declares `timescale` an int; a float works
/// there too and the arithmetic is the same for whole numbers, so it is accepted.
/// transformers 5.24 passes `scheduler_specific_kwargs` to it (earlier versions dropped
/// `timescale` in `get_scheduler`). No horizon: the decay goes on past `N`.
#[derive(Debug)]
struct InverseSqrt {
    timescale: f64,
}

impl AfterWarmup for InverseSqrt {
    #[inline]
    fn multiplier(&self, step: u64, ctx: &Context) -> f64 {
        let shift = self.timescale - ctx.warmup as f64;
        1.0 / ((step as f64 + shift) / self.timescale).sqrt()
    }
}

fn build_inverse_sqrt(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let timescale = match params.opt_float("timescale")? {
        None if ctx.warmup == 0 => 10_000.0,
        None => ctx.warmup as f64,
        Some(t) if t.is_finite() && t > 0.0 => t,
        Some(t) => {
            return Err(Error::input(format!(
                "inverse_sqrt parameter timescale={} must be a positive number: transformers \
                 computes 1 / sqrt((step - W + timescale) / timescale), which raises \
                 ZeroDivisionError or a math domain error (or gives NaN) for it",
                py_repr(t)
            )));
        }
    };
    Ok(LinearWarmup::boxed(ctx, InverseSqrt { timescale }))
}

pub(super) const INVERSE_SQRT: Entry = Entry {
    name: "inverse_sqrt",
    library: Library::Transformers,
    upstream: "get_inverse_sqrt_schedule",
    summary: "linear warmup, then decay as 1 / sqrt(step)",
    formula: "m(s) = s / max(1, W) for s < W, else \
              1 / sqrt((s + timescale - W) / timescale), timescale = W (10000 if W = 0) by default",
    horizon: "no horizon: keeps decaying past step N",
    params: &[ParamSpec {
        name: "timescale",
        kind: ParamKind::Float,
        default: ParamDefault::Absent,
        doc: "steps over which the lr falls by 1/sqrt(2) after the warmup; \
              None means --warmup, or 10000 when --warmup is 0",
    }],
    takes_warmup: true,
    build: build_inverse_sqrt,
};
