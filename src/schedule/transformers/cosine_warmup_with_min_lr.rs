//! `cosine_warmup_with_min_lr`: a warmup from `1/W` (or `warmup_lr_rate`), then a cosine
//! decay to a floor, all one step ahead of `cosine_with_min_lr`.

use std::f64::consts::PI;

use super::{MIN_LR, MIN_LR_RATE, NUM_CYCLES_HALF, min_lr_rate, py_max0};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// `get_cosine_with_min_lr_schedule_with_warmup_lr_rate`, with every quantity cast to float
/// first: below `W`, `(s + 1.) / max(1., W)`, or with `warmup_lr_rate`
/// `wr + (1.0 - wr) * s / max(1, W - 1)`; then
/// `progress = (s - W + 1.) / max(1., N - W)`,
/// `factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))` and
/// `max(0, factor * (1 - min_lr_rate) + min_lr_rate)`.
///
/// Copied on purpose, all one step ahead of `cosine_with_min_lr`: the warmup starts at
/// `1 / W` (not 0) and reaches 1 at `W - 1`; the cosine starts below 1 at `W` and reaches the
/// floor exactly at step `N - 1`; past it the cosine rises again. Its warmup is not the
/// shared linear one, so it is a schedule of its own.
#[derive(Debug)]
struct CosineWarmupWithMinLr {
    ctx: Context,
    num_cycles: f64,
    min_lr_rate: f64,
    warmup_lr_rate: Option<f64>,
}

fn build_cosine_warmup_with_min_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(CosineWarmupWithMinLr {
        ctx: *ctx,
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: min_lr_rate("cosine_warmup_with_min_lr", ctx, params)?,
        warmup_lr_rate: params.opt_float("warmup_lr_rate")?,
    }))
}

impl Schedule for CosineWarmupWithMinLr {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let s = step as f64;
        let w = self.ctx.warmup as f64;
        let n = self.ctx.steps as f64;
        let r = self.min_lr_rate;
        let m = if s < w {
            match self.warmup_lr_rate {
                None => (s + 1.0) / w.max(1.0),
                Some(wr) => wr + (1.0 - wr) * s / (w - 1.0).max(1.0),
            }
        } else {
            let progress = (s - w + 1.0) / (n - w).max(1.0);
            let factor = 0.5 * (1.0 + (PI * self.num_cycles * 2.0 * progress).cos());
            py_max0(factor * (1.0 - r) + r)
        };
        Point::from_multiplier(step, m, self.ctx.base_lr)
    }

    /// The floor is reached at `N - 1`; past it the cosine climbs back up.
    fn horizon(&self) -> Option<u64> {
        Some(self.ctx.steps.saturating_sub(1))
    }
}

pub(super) const COSINE_WARMUP_WITH_MIN_LR: Entry = Entry {
    name: "cosine_warmup_with_min_lr",
    library: Library::Transformers,
    upstream: "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    summary: "warmup from 1/W (or warmup_lr_rate), then cosine decay reaching the floor \
              at step N - 1",
    formula: "m(s) = (s + 1) / max(1, W) for s < W, or with warmup_lr_rate \
              wr + (1 - wr) * s / max(1, W - 1); else max(0, f * (1 - r) + r), \
              f = 0.5 * (1 + cos(pi * num_cycles * 2 * p)), p = (s - W + 1) / max(1, N - W), \
              r = min_lr_rate or min_lr / --base-lr",
    horizon: "the floor r exactly at step N - 1; past it the cosine rises again",
    params: &[
        NUM_CYCLES_HALF,
        MIN_LR,
        MIN_LR_RATE,
        ParamSpec {
            name: "warmup_lr_rate",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "the multiplier at step 0, rising linearly to 1 at step W - 1; \
                  None means warm up as (s + 1) / W",
        },
    ],
    takes_warmup: true,
    build: build_cosine_warmup_with_min_lr,
};
