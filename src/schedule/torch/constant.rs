//! `ConstantLR`: the lr is scaled by `factor` until `total_iters`, then restored by torch's
//! division.

use super::chainable::{Chainable, Recurrence};
use super::{Raise, Start, rejected};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `ConstantLR(optimizer, factor=1/3, total_iters=5)`.
///
/// torch's recursion: `lr_0 = base_lr * factor`; at `k == total_iters` (`k >= 1`),
/// `lr_k = lr_(k-1) * (1.0 / factor)`, which may land an ulp away from `base_lr`; other steps
/// keep the lr. So `total_iters <= 0` keeps `factor` for ever (torch's own closed form, used
/// behind a warmup, says `base_lr * (factor + (1 - factor))` instead), and `factor=0` makes
/// torch raise `ZeroDivisionError` at `total_iters`.
#[derive(Debug)]
struct ConstantLr {
    factor: f64,
    total_iters: i64,
}

impl ConstantLr {
    fn restores_at(&self, step: u64) -> bool {
        u64::try_from(self.total_iters).is_ok_and(|t| t == step)
    }
}

impl Recurrence for ConstantLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        if self.restores_at(step) {
            lr * (1.0 / self.factor)
        } else {
            lr
        }
    }

    /// The one restore, if `total_iters` is in `from + 1 ..= to`.
    fn advance(&self, lr: f64, from: u64, to: u64) -> f64 {
        match u64::try_from(self.total_iters) {
            Ok(t) if t >= 1 && from < t && t <= to => self.next(lr, t),
            _ => lr,
        }
    }
}

fn build_constant_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let factor = params.float("factor")?;
    let total_iters = params.int("total_iters")?;
    // torch's own comparisons, which let NaN through (to NaN lrs).
    #[allow(clippy::manual_range_contains)]
    if factor > 1.0 || factor < 0.0 {
        return Err(rejected(
            "ConstantLR",
            "factor",
            py_repr(factor),
            "Constant multiplicative factor expected to be between 0 and 1.",
        ));
    }
    let first = match Start::of(ctx) {
        Start::Fresh => ctx.base_lr * factor,
        // `base_lr * (factor + (last_epoch >= total_iters) * (1 - factor))` at last_epoch 0.
        Start::ClosedForm => {
            let reached = if 0 >= total_iters { 1.0 } else { 0.0 };
            ctx.base_lr * (factor + reached * (1.0 - factor))
        }
    };
    let failure = (factor == 0.0 && total_iters >= 1).then(|| Raise {
        step: total_iters.unsigned_abs(),
        what: "ZeroDivisionError (the lr is multiplied by 1.0 / factor at total_iters, and \
               factor=0.0)"
            .into(),
        fix: "use a factor above 0".into(),
    });
    let recurrence = ConstantLr {
        factor,
        total_iters,
    };
    Chainable::boxed("ConstantLR", ctx, recurrence, first, failure)
}

pub(super) const CONSTANT_LR: Entry = Entry {
    name: "ConstantLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1/3, total_iters=5)",
    summary: "multiplies the lr by factor until total_iters, then restores it",
    formula: "lr_0 = base_lr * factor; lr_k = lr_(k-1) * (1.0 / factor) if k == total_iters \
              else lr_(k-1) (torch's recursion, replayed); closed form base_lr * factor for \
              k < total_iters, base_lr after",
    horizon: "constant base_lr (up to an ulp) from total_iters on; total_iters <= 0 keeps \
              factor for ever",
    params: &[
        ParamSpec {
            name: "factor",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0 / 3.0),
            doc: "multiplier of the lr until total_iters, in [0, 1]",
        },
        ParamSpec {
            name: "total_iters",
            kind: ParamKind::Int,
            default: ParamDefault::Int(5),
            doc: "step at which the lr is restored",
        },
    ],
    takes_warmup: true,
    build: build_constant_lr,
};
