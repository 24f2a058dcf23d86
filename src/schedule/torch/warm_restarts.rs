//! `CosineAnnealingWarmRestarts`: torch's cosine over the integer position in the current
//! period, which torch recomputes each step (so there is no drift to replay).

use std::f64::consts::PI;

use super::{ETA_MIN, rejected};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0.0)`.
///
/// Periods last `T_i = T_0 * T_mult^i` steps; at step `k`, `T_cur` is `k` minus the lengths
/// of the periods before it, and `lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur
/// / T_i)) / 2`. torch counts `T_cur` and `T_i` as Python ints, so computing them from `k`
/// gives torch's values bit for bit. Behind a warmup, `SequentialLR` starts it with
/// `get_lr()` at `T_cur = 0` (the class has no `_get_closed_form_lr`): `base_lr`, as alone.
#[derive(Debug)]
struct WarmRestarts {
    t_0: u64,
    t_mult: u64,
    eta_min: f64,
    base_lr: f64,
}

impl WarmRestarts {
    /// `(T_cur, T_i)` at `step`. Periods can outgrow `u64` (`T_0 * T_mult^i` with a huge
    /// `T_mult`) but never `u128`: a period only grows while the step is past its end.
    fn position(&self, step: u64) -> (u128, u128) {
        if self.t_mult == 1 {
            return (u128::from(step % self.t_0), u128::from(self.t_0));
        }
        let (mut t_cur, mut t_i) = (u128::from(step), u128::from(self.t_0));
        while t_cur >= t_i {
            t_cur -= t_i;
            t_i = t_i.saturating_mul(u128::from(self.t_mult));
        }
        (t_cur, t_i)
    }
}

impl Schedule for WarmRestarts {
    fn at(&self, step: u64) -> Point {
        let (t_cur, t_i) = self.position(step);
        let eta_min = self.eta_min;
        let lr = eta_min
            + (self.base_lr - eta_min) * (1.0 + (PI * t_cur as f64 / t_i as f64).cos()) / 2.0;
        Point::from_lr(step, lr, self.base_lr)
    }
}

fn build_warm_restarts(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const CLASS: &str = "CosineAnnealingWarmRestarts";
    let t_0 = params.int("T_0")?;
    let t_mult = params.int("T_mult")?;
    let eta_min = params.float("eta_min")?;
    let t_0 = u64::try_from(t_0).ok().filter(|&t| t > 0).ok_or_else(|| {
        rejected(
            CLASS,
            "T_0",
            t_0,
            &format!("Expected positive integer T_0, but got {t_0}"),
        )
    })?;
    let t_mult = u64::try_from(t_mult)
        .ok()
        .filter(|&m| m >= 1)
        .ok_or_else(|| {
            rejected(
                CLASS,
                "T_mult",
                t_mult,
                &format!("Expected integer T_mult >= 1, but got {t_mult}"),
            )
        })?;
    Ok(Box::new(WarmRestarts {
        t_0,
        t_mult,
        eta_min,
        base_lr: ctx.base_lr,
    }))
}

pub(super) const COSINE_ANNEALING_WARM_RESTARTS: Entry = Entry {
    name: "CosineAnnealingWarmRestarts",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0, \
               T_mult=1, eta_min=0.0)",
    summary: "cosine annealing that restarts at base_lr after periods of T_0 * T_mult^i steps",
    formula: "T_i = T_0 * T_mult^i, T_cur = k - (T_0 + ... + T_(i-1)) for the period i \
              holding k; lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2",
    horizon: "no horizon: restarts at base_lr at the end of every period",
    params: &[
        ParamSpec {
            name: "T_0",
            kind: ParamKind::Int,
            default: ParamDefault::Required,
            doc: "steps in the first period, a positive integer",
        },
        ParamSpec {
            name: "T_mult",
            kind: ParamKind::Int,
            default: ParamDefault::Int(1),
            doc: "factor by which each period is longer than the previous, an integer >= 1",
        },
        ETA_MIN,
    ],
    takes_warmup: true,
    build: build_warm_restarts,
};
