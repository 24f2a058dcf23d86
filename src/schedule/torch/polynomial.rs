//! `PolynomialLR`: the lr decays polynomially to 0 over `total_iters` steps, by torch's
//! ratio recursion.

use super::chainable::{Chainable, Recurrence, float, last_change};
use super::{Raise, Start};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `PolynomialLR(optimizer, total_iters=5, power=1.0)`.
///
/// torch's ratio recursion: `lr_0 = base_lr`; for `1 <= k <= total_iters`,
/// `lr_k = lr_(k-1) * ((1.0 - k / total_iters) / (1.0 - (k - 1) / total_iters)) ** power`;
/// after that the lr stays (at 0 for `power > 0`). It approximates `base_lr * (1 - min(k, total_iters) /
/// total_iters) ** power`. A negative `power` makes torch raise `ZeroDivisionError` at
/// `total_iters` (`0.0 ** power`).
#[derive(Debug)]
struct PolynomialLr {
    total_iters: i64,
    power: f64,
}

impl Recurrence for PolynomialLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        if step > last_change(self.total_iters) {
            return lr;
        }
        let total = float(self.total_iters);
        let decay_factor =
            ((1.0 - step as f64 / total) / (1.0 - (step - 1) as f64 / total)).powf(self.power);
        lr * decay_factor
    }

    fn settles_after(&self) -> Option<u64> {
        Some(last_change(self.total_iters))
    }
}

fn build_polynomial_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let total_iters = params.int("total_iters")?;
    let power = params.float("power")?;
    let start = Start::of(ctx);
    let failure = match start {
        // `base_lr * (1.0 - min(total_iters, 0) / total_iters) ** power`.
        Start::ClosedForm if total_iters == 0 => Some(Raise {
            step: 0,
            what: "ZeroDivisionError (its closed form, which SequentialLR uses at the \
                   milestone, divides by total_iters=0)"
                .into(),
            fix: "use a total_iters other than 0 behind a warmup".into(),
        }),
        Start::ClosedForm if total_iters < 0 && power < 0.0 => Some(Raise {
            step: 0,
            what: format!(
                "ZeroDivisionError (its closed form, which SequentialLR uses at the \
                 milestone, raises 0.0 to power={})",
                py_repr(power)
            ),
            fix: "use a power >= 0".into(),
        }),
        _ if total_iters >= 1 && power < 0.0 => Some(Raise {
            step: total_iters.unsigned_abs(),
            what: format!(
                "ZeroDivisionError (0.0 cannot be raised to power={} at total_iters)",
                py_repr(power)
            ),
            fix: "use a power >= 0".into(),
        }),
        _ => None,
    };
    let first = match start {
        Start::Fresh => ctx.base_lr,
        Start::ClosedForm => {
            ctx.base_lr * (1.0 - float(total_iters.min(0)) / float(total_iters)).powf(power)
        }
    };
    let recurrence = PolynomialLr { total_iters, power };
    Chainable::boxed("PolynomialLR", ctx, recurrence, first, failure)
}

pub(super) const POLYNOMIAL_LR: Entry = Entry {
    name: "PolynomialLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=5, power=1.0)",
    summary: "decays the lr polynomially to 0 over total_iters steps",
    formula: "lr_0 = base_lr; for 1 <= k <= total_iters, lr_k = lr_(k-1) * ((1 - k / \
              total_iters) / (1 - (k - 1) / total_iters))^power, then lr_(k-1) (torch's \
              recursion, replayed); closed form base_lr * (1 - min(k, total_iters) / \
              total_iters)^power",
    horizon: "0 from total_iters on (power > 0); total_iters <= 0 keeps base_lr",
    params: &[
        ParamSpec {
            name: "total_iters",
            kind: ParamKind::Int,
            default: ParamDefault::Int(5),
            doc: "steps over which the lr decays to 0",
        },
        ParamSpec {
            name: "power",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0),
            doc: "power of the polynomial",
        },
    ],
    takes_warmup: true,
    build: build_polynomial_lr,
};
