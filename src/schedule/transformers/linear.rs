//! `linear`: linear warmup, then a linear decay that reaches 0 at the horizon.

use super::{decay_span, int_diff, py_max0};
use crate::error::Result;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::Params;
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `get_linear_schedule_with_warmup`: `s / max(1, W)` below `W`, then
/// `max(0.0, float(N - s) / float(max(1, N - W)))`.
///
/// Copied on purpose: the multiplier reaches 0 at step `N`, one past the last of `N` steps,
/// so the last evaluated step still has `1 / (N - W)`; past `N` it stays 0.
#[derive(Debug)]
struct Linear;

impl AfterWarmup for Linear {
    #[inline]
    fn multiplier(&self, step: u64, ctx: &Context) -> f64 {
        py_max0(int_diff(ctx.steps, step) / decay_span(ctx))
    }
}

fn build_linear(ctx: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
    Ok(LinearWarmup::boxed(ctx, Linear))
}

pub(super) const LINEAR: Entry = Entry {
    name: "linear",
    library: Library::Transformers,
    upstream: "get_linear_schedule_with_warmup",
    summary: "linear warmup, then linear decay to 0 at step N",
    formula: "m(s) = s / max(1, W) for s < W, else max(0, (N - s) / max(1, N - W))",
    horizon: "reaches 0 at step N (one past the last step evaluated) and stays 0",
    params: &[],
    takes_warmup: true,
    build: build_linear,
};
