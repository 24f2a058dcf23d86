//! `cosine` and `cosine_with_min_lr`: linear warmup, then a cosine decay to 0 or to a floor,
//! one lambda for both.

use std::f64::consts::PI;

use super::{MIN_LR, MIN_LR_RATE, NUM_CYCLES_HALF, decay_span, int_diff, min_lr_rate, py_max0};
use crate::error::Result;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::Params;
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `get_cosine_schedule_with_warmup` (`min_lr_rate = 0`) and
/// `get_cosine_with_min_lr_schedule_with_warmup`: `s / max(1, W)` below `W`, then with
/// `progress = float(s - W) / float(max(1, N - W))`,
/// `factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))` and
/// `max(0, factor * (1 - min_lr_rate) + min_lr_rate)`.
///
/// transformers defines `_get_cosine_schedule_with_warmup_lr_lambda` twice and the second,
/// min_lr definition is the one both schedules run; with `min_lr_rate = 0` it gives the
/// same doubles as the first (`x * 1.0 + 0.0 == x`), so one type serves both.
///
/// Copied on purpose: the cosine is not clamped, so past step `N` the multiplier rises
/// again (back to 1 at `s = W + (N - W) / num_cycles`).
#[derive(Debug)]
struct Cosine {
    num_cycles: f64,
    min_lr_rate: f64,
}

impl AfterWarmup for Cosine {
    #[inline]
    fn multiplier(&self, step: u64, ctx: &Context) -> f64 {
        let progress = int_diff(step, ctx.warmup) / decay_span(ctx);
        let factor = 0.5 * (1.0 + (PI * self.num_cycles * 2.0 * progress).cos());
        py_max0(factor * (1.0 - self.min_lr_rate) + self.min_lr_rate)
    }

    /// `num_training_steps`: a run that steps the scheduler past it (accelerate's
    /// per-process stepping) climbs the cosine back up.
    fn horizon(&self, ctx: &Context) -> Option<u64> {
        Some(ctx.steps)
    }
}

fn build_cosine(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let cosine = Cosine {
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: 0.0,
    };
    Ok(LinearWarmup::boxed(ctx, cosine))
}

fn build_cosine_with_min_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let cosine = Cosine {
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: min_lr_rate("cosine_with_min_lr", ctx, params)?,
    };
    Ok(LinearWarmup::boxed(ctx, cosine))
}

pub(super) const COSINE: Entry = Entry {
    name: "cosine",
    library: Library::Transformers,
    upstream: "get_cosine_schedule_with_warmup",
    summary: "linear warmup, then cosine decay to 0 over N - W steps",
    formula: "m(s) = s / max(1, W) for s < W, else \
              max(0, 0.5 * (1 + cos(pi * num_cycles * 2 * p))), p = (s - W) / max(1, N - W)",
    horizon: "not clamped: past step N the cosine rises again (period (N - W) / num_cycles)",
    params: &[NUM_CYCLES_HALF],
    takes_warmup: true,
    build: build_cosine,
};

pub(super) const COSINE_WITH_MIN_LR: Entry = Entry {
    name: "cosine_with_min_lr",
    library: Library::Transformers,
    upstream: "get_cosine_with_min_lr_schedule_with_warmup",
    summary: "linear warmup, then cosine decay to a floor min_lr_rate",
    formula: "m(s) = s / max(1, W) for s < W, else max(0, f * (1 - r) + r), \
              f = 0.5 * (1 + cos(pi * num_cycles * 2 * p)), p = (s - W) / max(1, N - W), \
              r = min_lr_rate or min_lr / --base-lr",
    horizon: "not clamped: past step N the cosine rises again, like cosine",
    params: &[NUM_CYCLES_HALF, MIN_LR, MIN_LR_RATE],
    takes_warmup: true,
    build: build_cosine_with_min_lr,
};
