//! `LinearLR`: the lr's factor moves linearly from `start_factor` to `end_factor`, by
//! torch's ratio recursion.

use super::chainable::{Chainable, Recurrence, float, last_change};
use super::{Raise, Start, rejected};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)`.
///
/// torch's ratio recursion: `lr_0 = base_lr * start_factor`; for `1 <= k <= total_iters`,
/// `lr_k = lr_(k-1) * (1.0 + (end - start) / (total_iters * start + (k - 1) * (end -
/// start)))`; after that the lr stays. It approximates `base_lr * (start + (end - start) *
/// min(k, total_iters) / total_iters)`, drifting by a few ulps (more over long ramps).
#[derive(Debug)]
struct LinearLr {
    start_factor: f64,
    end_factor: f64,
    total_iters: i64,
}

impl Recurrence for LinearLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        if step > last_change(self.total_iters) {
            return lr;
        }
        let (start, end) = (self.start_factor, self.end_factor);
        lr * (1.0
            + (end - start) / (float(self.total_iters) * start + (step - 1) as f64 * (end - start)))
    }

    fn settles_after(&self) -> Option<u64> {
        Some(last_change(self.total_iters))
    }
}

fn build_linear_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let start_factor = params.float("start_factor")?;
    let end_factor = params.float("end_factor")?;
    let total_iters = params.int("total_iters")?;
    if start_factor > 1.0 || start_factor <= 0.0 {
        return Err(rejected(
            "LinearLR",
            "start_factor",
            py_repr(start_factor),
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
        ));
    }
    // torch's own comparisons, which let NaN through (to NaN lrs).
    #[allow(clippy::manual_range_contains)]
    if end_factor > 1.0 || end_factor < 0.0 {
        return Err(rejected(
            "LinearLR",
            "end_factor",
            py_repr(end_factor),
            "Ending multiplicative factor expected to be between 0 and 1.",
        ));
    }
    let start = Start::of(ctx);
    let first = match start {
        Start::Fresh => ctx.base_lr * start_factor,
        // `base_lr * (start + (end - start) * min(total_iters, 0) / total_iters)`.
        Start::ClosedForm => {
            ctx.base_lr
                * (start_factor
                    + (end_factor - start_factor) * float(total_iters.min(0)) / float(total_iters))
        }
    };
    let failure = (start == Start::ClosedForm && total_iters == 0).then(|| Raise {
        step: 0,
        what: "ZeroDivisionError (its closed form, which SequentialLR uses at the milestone, \
               divides by total_iters=0)"
            .into(),
        fix: "use a total_iters other than 0 behind a warmup".into(),
    });
    let recurrence = LinearLr {
        start_factor,
        end_factor,
        total_iters,
    };
    Chainable::boxed("LinearLR", ctx, recurrence, first, failure)
}

pub(super) const LINEAR_LR: Entry = Entry {
    name: "LinearLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1/3, end_factor=1.0, \
               total_iters=5)",
    summary: "changes the lr's factor linearly from start_factor to end_factor",
    formula: "lr_0 = base_lr * start_factor; for 1 <= k <= total_iters, lr_k = lr_(k-1) * (1 + \
              (end_factor - start_factor) / (total_iters * start_factor + (k - 1) * \
              (end_factor - start_factor))), then lr_(k-1) (torch's recursion, replayed); \
              closed form base_lr * (start_factor + (end_factor - start_factor) * \
              min(k, total_iters) / total_iters)",
    horizon: "constant base_lr * end_factor (up to rounding) from total_iters on; \
              total_iters <= 0 keeps start_factor",
    params: &[
        ParamSpec {
            name: "start_factor",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0 / 3.0),
            doc: "multiplier of the lr at step 0, in (0, 1]",
        },
        ParamSpec {
            name: "end_factor",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0),
            doc: "multiplier of the lr from total_iters on, in [0, 1]",
        },
        ParamSpec {
            name: "total_iters",
            kind: ParamKind::Int,
            default: ParamDefault::Int(5),
            doc: "steps over which the factor changes",
        },
    ],
    takes_warmup: true,
    build: build_linear_lr,
};
