//! Hugging Face `transformers` schedules (`get_scheduler(name, ...)`), each a `LambdaLR`
//! multiplier computed in the operation order of `transformers/optimization.py`.

use super::params::Params;
use super::registry::{Entry, Library};
use super::{Context, Point, Schedule, warmup_multiplier};
use crate::error::Result;

/// The transformers entries of the registry.
pub static ENTRIES: &[Entry] = &[
    Entry {
        name: "constant",
        library: Library::Transformers,
        upstream: "get_constant_schedule",
        summary: "constant learning rate, no warmup",
        formula: "m(s) = 1",
        horizon: "stays 1",
        params: &[],
        takes_warmup: false,
        build: build_constant,
    },
    Entry {
        name: "constant_with_warmup",
        library: Library::Transformers,
        upstream: "get_constant_schedule_with_warmup",
        summary: "linear warmup, then constant (the LambdaLR warmup example)",
        formula: "m(s) = s / max(1, W) for s < W, else 1",
        horizon: "stays 1",
        params: &[],
        takes_warmup: true,
        build: build_constant,
    },
];

/// `get_constant_schedule_with_warmup`: `float(s) / float(max(1.0, W))` below `W`, then 1.
/// With `W = 0` this is `get_constant_schedule`.
#[derive(Debug)]
struct Constant {
    ctx: Context,
}

fn build_constant(ctx: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(Constant { ctx: *ctx }))
}

impl Schedule for Constant {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let m = if step < self.ctx.warmup {
            warmup_multiplier(step, self.ctx.warmup)
        } else {
            1.0
        };
        Point::from_multiplier(step, m, self.ctx.base_lr)
    }
}
