//! `constant` and `constant_with_warmup`: a constant multiplier, with or without the
//! linear warmup.

use crate::error::Result;
use crate::schedule::combine::{AfterWarmup, LinearWarmup};
use crate::schedule::params::Params;
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `get_constant_schedule_with_warmup`: `float(s) / float(max(1.0, W))` below `W`, then 1.
/// With `W = 0` this is `get_constant_schedule`.
#[derive(Debug)]
struct Constant;

impl AfterWarmup for Constant {
    #[inline]
    fn multiplier(&self, _: u64, _: &Context) -> f64 {
        1.0
    }
}

fn build_constant(ctx: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
    Ok(LinearWarmup::boxed(ctx, Constant))
}

pub(super) const CONSTANT: Entry = Entry {
    name: "constant",
    library: Library::Transformers,
    upstream: "get_constant_schedule",
    summary: "constant learning rate, no warmup",
    formula: "m(s) = 1",
    horizon: "stays 1",
    params: &[],
    takes_warmup: false,
    build: build_constant,
};

pub(super) const CONSTANT_WITH_WARMUP: Entry = Entry {
    name: "constant_with_warmup",
    library: Library::Transformers,
    upstream: "get_constant_schedule_with_warmup",
    summary: "linear warmup, then constant (the LambdaLR warmup example)",
    formula: "m(s) = s / max(1, W) for s < W, else 1",
    horizon: "stays 1",
    params: &[],
    takes_warmup: true,
    build: build_constant,
};
