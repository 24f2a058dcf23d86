//! `cosine_with_restarts`: linear warmup, then `num_cycles` cosine decays, each starting
//! again at 1.

use std::f64::consts::PI;

use super::{decay_span, int_diff, py_max0};
use crate::error::Result;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// Python's `x % y` for floats, whose result takes the sign of `y` (Rust's `%` is C's
/// `fmod`, whose result takes the sign of `x`); `cosine_with_restarts` needs it only when
/// `num_cycles` is negative.
#[inline]
pub(super) fn py_mod(x: f64, y: f64) -> f64 {
    let m = x % y;
    if m == 0.0 {
        0.0_f64.copysign(y)
    } else if (y < 0.0) != (m < 0.0) {
        m + y
    } else {
        m
    }
}

/// `get_cosine_with_hard_restarts_schedule_with_warmup`: `s / max(1, W)` below `W`, then with
/// `progress = float(s - W) / float(max(1, N - W))`, 0 once `progress >= 1.0`, else
/// `max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))`.
///
/// transformers declares `num_cycles` an int; a float works there too, so it is accepted.
/// `% 1.0` is Python's modulo (the sign of the divisor), which matters only for a negative
/// `num_cycles`.
#[derive(Debug)]
struct CosineWithRestarts {
    num_cycles: f64,
}

impl AfterWarmup for CosineWithRestarts {
    #[inline]
    fn multiplier(&self, step: u64, ctx: &Context) -> f64 {
        let progress = int_diff(step, ctx.warmup) / decay_span(ctx);
        if progress >= 1.0 {
            0.0
        } else {
            let phase = py_mod(self.num_cycles * progress, 1.0);
            py_max0(0.5 * (1.0 + (PI * phase).cos()))
        }
    }
}

fn build_cosine_with_restarts(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let restarts = CosineWithRestarts {
        num_cycles: params.float("num_cycles")?,
    };
    Ok(LinearWarmup::boxed(ctx, restarts))
}

pub(super) const COSINE_WITH_RESTARTS: Entry = Entry {
    name: "cosine_with_restarts",
    library: Library::Transformers,
    upstream: "get_cosine_with_hard_restarts_schedule_with_warmup",
    summary: "linear warmup, then num_cycles cosine decays, each restarting at 1",
    formula: "m(s) = s / max(1, W) for s < W; else p = (s - W) / max(1, N - W), \
              0 if p >= 1, else max(0, 0.5 * (1 + cos(pi * ((num_cycles * p) % 1))))",
    horizon: "0 from step N on",
    params: &[ParamSpec {
        name: "num_cycles",
        kind: ParamKind::Float,
        default: ParamDefault::Int(1),
        doc: "number of cosine decays, each starting again at 1 (1: no restart)",
    }],
    takes_warmup: true,
    build: build_cosine_with_restarts,
};
