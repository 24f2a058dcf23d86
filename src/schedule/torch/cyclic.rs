//! `CyclicLR`: torch's closed form per step, with the lr bounds it sets itself.

use super::{CYCLE_MOMENTUM, Raise, base_momentum, max_momentum, rejected};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// The built-in scaling policies of `CyclicLR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `scale_fn(cycle) = 1.0`.
    Triangular,
    /// `scale_fn(cycle) = 1 / (2.0 ** (cycle - 1))`.
    Triangular2,
    /// `scale_fn(k) = gamma ** k`, on the step rather than the cycle.
    ExpRange,
}

/// `CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
/// mode='triangular', gamma=1.0, scale_mode='cycle', cycle_momentum=True, base_momentum=0.8,
/// max_momentum=0.9)`, without a custom `scale_fn`.
///
/// With `total = step_size_up + step_size_down` and `ratio = step_size_up / total`, at step
/// `k`: `cycle = floor(1 + k / total)`, `x = 1.0 + k / total - cycle`, `s = x / ratio` if
/// `x <= ratio` else `(x - 1) / (ratio - 1)`, and `lr = base_lr + (max_lr - base_lr) * s *
/// scale_fn`. The lr is absolute: torch overwrites the optimizer's lr with `base_lr`, so
/// `--base-lr` only enters the multiplier column. With the built-in modes torch ignores
/// `scale_mode` (it sets 'cycle' for the triangular modes, 'iterations' for exp_range).
/// With `cycle_momentum` it also sets the optimizer's momentum (SGD's `momentum`, Adam's
/// `betas[0]`) each step, which `lrsched train` uses; it never changes the lr.
#[derive(Debug)]
struct CyclicLr {
    base_lr: f64,
    max_lr: f64,
    total_size: f64,
    step_ratio: f64,
    mode: Mode,
    gamma: f64,
    /// The optimizer's lr, for the multiplier column.
    optimizer_lr: f64,
    /// `(base_momentum, max_momentum)` when `cycle_momentum` is true.
    momentum: Option<(f64, f64)>,
    failure: Option<Raise>,
}

impl CyclicLr {
    fn cycle(&self, step: u64) -> f64 {
        (1.0 + step as f64 / self.total_size).floor()
    }

    /// `2.0 ** (cycle - 1)` for triangular2, `gamma ** step` for exp_range.
    fn power(&self, step: u64) -> Option<f64> {
        match self.mode {
            Mode::Triangular => None,
            Mode::Triangular2 => Some(2f64.powf(self.cycle(step) - 1.0)),
            Mode::ExpRange => Some(self.gamma.powf(step as f64)),
        }
    }

    /// Whether Python raises at `step`: a power overflows (`OverflowError`) or, for
    /// triangular2, underflows to 0 and is divided by (`ZeroDivisionError`).
    fn raises_at(&self, step: u64) -> bool {
        match (self.mode, self.power(step)) {
            (Mode::Triangular2, Some(p)) => p.is_infinite() || p == 0.0,
            (Mode::ExpRange, Some(p)) => p.is_infinite() && self.gamma.is_finite(),
            _ => false,
        }
    }

    /// The first step at which Python raises, found by bisection: the power grows (or
    /// shrinks) monotonically with the step.
    fn first_raising_step(&self) -> Option<u64> {
        if !self.raises_at(u64::MAX) {
            return None;
        }
        let (mut ok, mut bad) = (0u64, u64::MAX);
        if self.raises_at(0) {
            return Some(0);
        }
        while bad - ok > 1 {
            let mid = ok + (bad - ok) / 2;
            if self.raises_at(mid) {
                bad = mid;
            } else {
                ok = mid;
            }
        }
        Some(bad)
    }
}

impl CyclicLr {
    /// `scale_factor` (the position in the cycle, 0 to 1 and back) and `scale_fn` at `step`.
    #[inline]
    fn position(&self, step: u64) -> (f64, f64) {
        let cycle = self.cycle(step);
        let x = 1.0 + step as f64 / self.total_size - cycle;
        let scale_factor = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let scale = match (self.mode, self.power(step)) {
            (Mode::Triangular2, Some(p)) => 1.0 / p,
            (Mode::ExpRange, Some(p)) => p,
            _ => 1.0,
        };
        (scale_factor, scale)
    }
}

impl Schedule for CyclicLr {
    fn at(&self, step: u64) -> Point {
        let (scale_factor, scale) = self.position(step);
        let base_height = (self.max_lr - self.base_lr) * scale_factor;
        let lr = self.base_lr + base_height * scale;
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        true
    }

    fn last_defined_step(&self) -> Option<u64> {
        Raise::last_defined_step(self.failure.as_ref())
    }

    /// `max_momentum - (max_momentum - base_momentum) * scale_factor * scale_fn`: the
    /// momentum moves against the lr.
    fn momentum(&self, step: u64) -> Option<f64> {
        let (base_momentum, max_momentum) = self.momentum?;
        let (scale_factor, scale) = self.position(step);
        let base_height = (max_momentum - base_momentum) * scale_factor;
        Some(max_momentum - base_height * scale)
    }
}

fn build_cyclic_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const CLASS: &str = "CyclicLR";
    let base_lr = params.float("base_lr")?;
    let max_lr = params.float("max_lr")?;
    let step_size_up = params.float("step_size_up")?;
    let step_size_down = params.opt_float("step_size_down")?.unwrap_or(step_size_up);
    let mode = match params.choice("mode")? {
        "triangular2" => Mode::Triangular2,
        "exp_range" => Mode::ExpRange,
        _ => Mode::Triangular,
    };
    let gamma = params.float("gamma")?;
    // Accepted as torch accepts it; it does not change the lr (see the doc comment).
    params.choice("scale_mode")?;
    let momentum = if params.bool("cycle_momentum")? {
        Some((
            params.float("base_momentum")?,
            params.float("max_momentum")?,
        ))
    } else {
        None
    };

    for (name, size) in [
        ("step_size_up", step_size_up),
        ("step_size_down", step_size_down),
    ] {
        if size.is_nan() {
            return Err(rejected(
                CLASS,
                name,
                py_repr(size),
                "torch raises ValueError (cannot convert float NaN to integer) at step 0",
            ));
        }
    }
    let total_size = step_size_up + step_size_down;
    if total_size == 0.0 {
        return Err(rejected(
            CLASS,
            "step_size_up",
            py_repr(step_size_up),
            &format!(
                "torch raises ZeroDivisionError in the constructor: step_size_up + \
                 step_size_down = 0 (step_size_down={})",
                py_repr(step_size_down)
            ),
        ));
    }
    let step_ratio = step_size_up / total_size;
    if step_ratio == 0.0 {
        return Err(rejected(
            CLASS,
            "step_size_up",
            py_repr(step_size_up),
            "torch raises ZeroDivisionError at step 0 (x / (step_size_up / total)); use a \
             step_size_up above 0",
        ));
    }
    let mut schedule = CyclicLr {
        base_lr,
        max_lr,
        total_size,
        step_ratio,
        mode,
        gamma,
        optimizer_lr: ctx.base_lr,
        momentum,
        failure: None,
    };
    schedule.failure = schedule.first_raising_step().map(|step| Raise {
        step,
        what: match mode {
            Mode::ExpRange => format!(
                "OverflowError (gamma ** step overflows, gamma={})",
                py_repr(gamma)
            ),
            _ => "OverflowError or ZeroDivisionError (triangular2's 2.0 ** (cycle - 1) leaves \
                  the range of a double after 1024 cycles)"
                .into(),
        },
        fix: "evaluate fewer --steps".into(),
    });
    Raise::check(schedule.failure.as_ref(), CLASS, ctx)?;
    Ok(Box::new(schedule))
}

pub(super) const CYCLIC_LR: Entry = Entry {
    name: "CyclicLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr, max_lr, \
               step_size_up=2000, step_size_down=None, mode='triangular', gamma=1.0, \
               scale_mode='cycle', cycle_momentum=True, base_momentum=0.8, max_momentum=0.9)",
    summary: "cycles the lr between base_lr and max_lr (absolute; ignores --base-lr)",
    formula: "total = step_size_up + step_size_down, r = step_size_up / total; cycle = \
              floor(1 + k / total), x = 1 + k / total - cycle; s = x / r if x <= r else (x - \
              1) / (r - 1); lr = base_lr + (max_lr - base_lr) * s * f, f = 1 (triangular), 1 / \
              2^(cycle - 1) (triangular2), gamma^k (exp_range)",
    horizon: "no horizon: periodic (triangular2 and exp_range shrink the amplitude)",
    params: &[
        ParamSpec {
            name: "base_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "lower lr bound of the cycle (absolute; replaces --base-lr)",
        },
        ParamSpec {
            name: "max_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "upper lr bound of the cycle (absolute)",
        },
        ParamSpec {
            name: "step_size_up",
            kind: ParamKind::Float,
            default: ParamDefault::Float(2000.0),
            doc: "steps in the increasing half of a cycle",
        },
        ParamSpec {
            name: "step_size_down",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "steps in the decreasing half of a cycle (None: step_size_up)",
        },
        ParamSpec {
            name: "mode",
            kind: ParamKind::Choice(&["triangular", "triangular2", "exp_range"]),
            default: ParamDefault::Str("triangular"),
            doc: "amplitude policy: constant, halved every cycle, or gamma^step",
        },
        ParamSpec {
            name: "gamma",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0),
            doc: "base of exp_range's gamma^step",
        },
        ParamSpec {
            name: "scale_mode",
            kind: ParamKind::Choice(&["cycle", "iterations"]),
            default: ParamDefault::Str("cycle"),
            doc: "accepted for compatibility; torch overrides it for the built-in modes",
        },
        CYCLE_MOMENTUM,
        base_momentum(0.8),
        max_momentum(0.9),
    ],
    takes_warmup: true,
    build: build_cyclic_lr,
};
