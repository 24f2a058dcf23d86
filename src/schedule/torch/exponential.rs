//! `ExponentialLR`: the lr is multiplied by `gamma` every step.

use super::chainable::{Chainable, Recurrence, multiply_repeatedly};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `ExponentialLR(optimizer, gamma)`.
///
/// torch's recursion: `lr_0 = base_lr`, `lr_k = lr_(k-1) * gamma`: repeated multiplication,
/// which differs from `base_lr * gamma ** k` in the last bits at most steps.
#[derive(Debug)]
struct ExponentialLr {
    gamma: f64,
}

impl Recurrence for ExponentialLr {
    #[inline]
    fn next(&self, lr: f64, _: u64) -> f64 {
        lr * self.gamma
    }

    fn advance(&self, lr: f64, from: u64, to: u64) -> f64 {
        multiply_repeatedly(lr, self.gamma, to.saturating_sub(from))
    }
}

fn build_exponential_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let gamma = params.float("gamma")?;
    // Both starts agree: the closed form is `base_lr * gamma ** 0` = `base_lr * 1.0`.
    let recurrence = ExponentialLr { gamma };
    Chainable::boxed("ExponentialLR", ctx, recurrence, ctx.base_lr, None)
}

pub(super) const EXPONENTIAL_LR: Entry = Entry {
    name: "ExponentialLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)",
    summary: "multiplies the lr by gamma every step",
    formula: "lr_0 = base_lr; lr_k = lr_(k-1) * gamma (torch's recursion, replayed); closed \
              form base_lr * gamma^k",
    horizon: "no horizon: keeps decaying",
    params: &[ParamSpec {
        name: "gamma",
        kind: ParamKind::Float,
        default: ParamDefault::Required,
        doc: "multiplicative factor of the decay per step",
    }],
    takes_warmup: true,
    build: build_exponential_lr,
};
