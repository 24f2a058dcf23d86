//! `StepLR`: the lr decays by `gamma` every `step_size` steps, by torch's repeated
//! multiplication.

use super::chainable::{Chainable, Recurrence, multiply_repeatedly};
use super::{DECAY_GAMMA, Raise, Start};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `StepLR(optimizer, step_size, gamma=0.1)`.
///
/// torch's recursion: `lr_0 = base_lr`; at step `k >= 1`, `lr_k = lr_(k-1) * gamma` when
/// `k % step_size == 0`, else `lr_(k-1)`. It approximates `base_lr * gamma^floor(k /
/// step_size)` by repeated multiplication (not `pow`), and so do we. `step_size=0` makes
/// torch raise `ZeroDivisionError` at step 1 (at the milestone behind a warmup, where its
/// closed form divides `0 // step_size`).
#[derive(Debug)]
struct StepLr {
    /// `|step_size|`: Python's `%` gives 0 for the same steps with either sign.
    period: u64,
    gamma: f64,
}

impl Recurrence for StepLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        match step.checked_rem(self.period) {
            Some(0) => lr * self.gamma,
            Some(_) => lr,
            None => f64::NAN,
        }
    }

    /// One decay for each multiple of the period in `from + 1 ..= to`.
    fn advance(&self, lr: f64, from: u64, to: u64) -> f64 {
        match (to.checked_div(self.period), from.checked_div(self.period)) {
            (Some(to), Some(from)) => multiply_repeatedly(lr, self.gamma, to.saturating_sub(from)),
            _ if to <= from => lr,
            _ => f64::NAN,
        }
    }
}

fn build_step_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let step_size = params.int("step_size")?;
    let gamma = params.float("gamma")?;
    let start = Start::of(ctx);
    let failure = (step_size == 0).then(|| Raise {
        step: match start {
            Start::Fresh => 1,
            Start::ClosedForm => 0,
        },
        what: "ZeroDivisionError (integer modulo by zero, step_size=0)".into(),
        fix: "use a step_size other than 0".into(),
    });
    // The closed form at step 0 is `base_lr * gamma ** (0 // step_size)` = `base_lr * 1.0`.
    let first = ctx.base_lr;
    let recurrence = StepLr {
        period: step_size.unsigned_abs(),
        gamma,
    };
    Chainable::boxed("StepLR", ctx, recurrence, first, failure)
}

pub(super) const STEP_LR: Entry = Entry {
    name: "StepLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)",
    summary: "decays the lr by gamma every step_size steps",
    formula: "lr_0 = base_lr; lr_k = lr_(k-1) * gamma if k % step_size == 0 else lr_(k-1) \
              (torch's recursion, replayed); closed form base_lr * gamma^floor(k / step_size)",
    horizon: "no horizon: keeps decaying by gamma every step_size steps",
    params: &[
        ParamSpec {
            name: "step_size",
            kind: ParamKind::Int,
            default: ParamDefault::Required,
            doc: "period of the decay, in steps",
        },
        DECAY_GAMMA,
    ],
    takes_warmup: true,
    build: build_step_lr,
};
