//! torch's chainable schedulers (`StepLR`, `MultiStepLR`, `ConstantLR`, `LinearLR`,
//! `ExponentialLR`, `PolynomialLR`, `CosineAnnealingLR`): torch computes each lr from the
//! previous one in `get_lr()`, so these replay that recursion in torch's operation order.
//! The results drift from the textbook closed forms by a few ulps, exactly as torch's do.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::fmt;

use super::{Failure, Start, rejected};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// One chainable scheduler's `get_lr()` past step 0.
trait Recurrence: Send + Sync + fmt::Debug {
    /// torch's `get_lr()` at `last_epoch = step >= 1`, given the lr of `step - 1`.
    fn next(&self, lr: f64, step: u64) -> f64;

    /// The lr at `step`, from the lr `first` of step 0, bit for bit what `step` calls of
    /// [`Recurrence::next`] give. Overridden to skip runs of steps where `get_lr()` returns
    /// the lr unchanged.
    fn replay(&self, first: f64, step: u64) -> f64 {
        (1..=step).fold(first, |lr, e| self.next(lr, e))
    }

    /// See [`Schedule::horizon`].
    fn horizon(&self) -> Option<u64> {
        None
    }
}

/// A chainable scheduler: its lr at step 0 and its recursion.
#[derive(Debug)]
struct Chainable<R> {
    recurrence: R,
    /// The lr of step 0 (see [`Start`]).
    first: f64,
    /// The optimizer's lr, for the multiplier column.
    base_lr: f64,
    /// Where torch raises, if it does.
    failure: Option<Failure>,
}

impl<R: Recurrence + 'static> Chainable<R> {
    fn boxed(
        class: &str,
        ctx: &Context,
        recurrence: R,
        first: f64,
        failure: Option<Failure>,
    ) -> Result<Box<dyn Schedule>> {
        Failure::check(failure.as_ref(), class, ctx)?;
        Ok(Box::new(Chainable {
            recurrence,
            first,
            base_lr: ctx.base_lr,
            failure,
        }))
    }
}

impl<R: Recurrence> Schedule for Chainable<R> {
    /// Replays the recursion from step 0: O(step), or less where the lr stays put.
    fn at(&self, step: u64) -> Point {
        Point::from_lr(step, self.recurrence.replay(self.first, step), self.base_lr)
    }

    /// Replays up to `from`, then one `get_lr()` per step.
    fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        Box::new(Stream {
            schedule: self,
            step: Some(from),
            lr: self.recurrence.replay(self.first, from),
        })
    }

    fn seekable(&self) -> bool {
        false
    }

    fn last_defined_step(&self) -> Option<u64> {
        Failure::last_defined_step(self.failure.as_ref())
    }

    fn horizon(&self) -> Option<u64> {
        self.recurrence.horizon()
    }
}

/// The recursion, one step per item.
struct Stream<'a, R> {
    schedule: &'a Chainable<R>,
    /// The step of `lr`; `None` once past `u64::MAX`.
    step: Option<u64>,
    lr: f64,
}

impl<R: Recurrence> Iterator for Stream<'_, R> {
    type Item = Point;

    #[inline]
    fn next(&mut self) -> Option<Point> {
        let step = self.step?;
        let point = Point::from_lr(step, self.lr, self.schedule.base_lr);
        self.step = step.checked_add(1);
        if let Some(next) = self.step {
            self.lr = self.schedule.recurrence.next(self.lr, next);
        }
        Some(point)
    }
}

/// Multiplies `lr` by `gamma` `times` times, as `times` steps of `lr = lr * gamma` do,
/// stopping early once the lr no longer changes (it then never will).
fn multiply_repeatedly(mut lr: f64, gamma: f64, times: u64) -> f64 {
    for _ in 0..times {
        let next = lr * gamma;
        if next.to_bits() == lr.to_bits() {
            break;
        }
        lr = next;
    }
    lr
}

/// `float(i)`: Python converts an int to the nearest double, as `as` does.
#[inline]
fn float(i: i64) -> f64 {
    i as f64
}

// ---------------------------------------------------------------------------------------
// StepLR

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

    fn replay(&self, first: f64, step: u64) -> f64 {
        match step.checked_div(self.period) {
            Some(decays) => multiply_repeatedly(first, self.gamma, decays),
            None if step == 0 => first,
            None => f64::NAN,
        }
    }
}

fn build_step_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let step_size = params.int("step_size")?;
    let gamma = params.float("gamma")?;
    let start = Start::of(ctx);
    let failure = (step_size == 0).then(|| Failure {
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
        ParamSpec {
            name: "gamma",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.1),
            doc: "multiplicative factor of the decay",
        },
    ],
    takes_warmup: true,
    build: build_step_lr,
};

// ---------------------------------------------------------------------------------------
// MultiStepLR

/// `MultiStepLR(optimizer, milestones, gamma=0.1)`.
///
/// torch keeps the milestones as a `Counter`: at step `k` (including step 0) that appears
/// `c` times among them, `lr_k = lr_(k-1) * gamma ** c`; other steps keep the lr. So repeated
/// milestones decay once per repeat, unsorted ones work, negative ones never apply (except
/// in the closed form used behind a warmup, which counts every milestone `<= 0`).
#[derive(Debug)]
struct MultiStepLr {
    gamma: f64,
    /// The milestones `>= 1` with their multiplicity, in order.
    counts: Vec<(u64, u32)>,
}

impl MultiStepLr {
    #[inline]
    fn decay(&self, lr: f64, count: u32) -> f64 {
        lr * self.gamma.powf(f64::from(count))
    }
}

impl Recurrence for MultiStepLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        match self.counts.binary_search_by_key(&step, |&(m, _)| m) {
            Ok(i) => self.decay(lr, self.counts[i].1),
            Err(_) => lr,
        }
    }

    fn replay(&self, first: f64, step: u64) -> f64 {
        self.counts
            .iter()
            .take_while(|&&(m, _)| m <= step)
            .fold(first, |lr, &(_, count)| self.decay(lr, count))
    }
}

fn build_multi_step_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let milestones = params.int_list("milestones")?;
    let gamma = params.float("gamma")?;
    let mut counter: BTreeMap<i64, u32> = BTreeMap::new();
    for &m in milestones {
        *counter.entry(m).or_default() += 1;
    }
    let counts: Vec<(u64, u32)> = counter
        .iter()
        .filter_map(|(&m, &c)| u64::try_from(m).ok().filter(|&m| m >= 1).map(|m| (m, c)))
        .collect();
    let recurrence = MultiStepLr { gamma, counts };
    let first = match Start::of(ctx) {
        // `get_lr()` at step 0 decays only if 0 is a milestone.
        Start::Fresh => match counter.get(&0) {
            Some(&c) => recurrence.decay(ctx.base_lr, c),
            None => ctx.base_lr,
        },
        // `base_lr * gamma ** bisect_right(sorted(milestones), 0)`.
        Start::ClosedForm => {
            let at_or_below_zero: u32 = counter.range(..=0).map(|(_, &c)| c).sum();
            recurrence.decay(ctx.base_lr, at_or_below_zero)
        }
    };
    Chainable::boxed("MultiStepLR", ctx, recurrence, first, None)
}

pub(super) const MULTI_STEP_LR: Entry = Entry {
    name: "MultiStepLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)",
    summary: "decays the lr by gamma at each milestone step",
    formula: "lr_0 = base_lr * gamma^c(0); lr_k = lr_(k-1) * gamma^c(k), c(k) = how often k \
              appears in milestones (torch's Counter recursion, replayed); closed form \
              base_lr * gamma^(number of milestones <= k)",
    horizon: "no horizon: constant after the last milestone",
    params: &[
        ParamSpec {
            name: "milestones",
            kind: ParamKind::IntList,
            default: ParamDefault::Required,
            doc: "steps at which the lr decays (repeats decay once per repeat; order free)",
        },
        ParamSpec {
            name: "gamma",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.1),
            doc: "multiplicative factor of the decay",
        },
    ],
    takes_warmup: true,
    build: build_multi_step_lr,
};

// ---------------------------------------------------------------------------------------
// ConstantLR

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

    fn replay(&self, first: f64, step: u64) -> f64 {
        match u64::try_from(self.total_iters) {
            Ok(t) if t >= 1 && step >= t => self.next(first, t),
            _ => first,
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
    let failure = (factor == 0.0 && total_iters >= 1).then(|| Failure {
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

// ---------------------------------------------------------------------------------------
// LinearLR

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

impl LinearLr {
    /// The last step that changes the lr.
    fn last_change(&self) -> u64 {
        u64::try_from(self.total_iters).unwrap_or(0)
    }
}

impl Recurrence for LinearLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        if step > self.last_change() {
            return lr;
        }
        let (start, end) = (self.start_factor, self.end_factor);
        lr * (1.0
            + (end - start) / (float(self.total_iters) * start + (step - 1) as f64 * (end - start)))
    }

    fn replay(&self, first: f64, step: u64) -> f64 {
        (1..=step.min(self.last_change())).fold(first, |lr, e| self.next(lr, e))
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
    let failure = (start == Start::ClosedForm && total_iters == 0).then(|| Failure {
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

// ---------------------------------------------------------------------------------------
// ExponentialLR

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

    fn replay(&self, first: f64, step: u64) -> f64 {
        multiply_repeatedly(first, self.gamma, step)
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

// ---------------------------------------------------------------------------------------
// PolynomialLR

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

impl PolynomialLr {
    fn last_change(&self) -> u64 {
        u64::try_from(self.total_iters).unwrap_or(0)
    }
}

impl Recurrence for PolynomialLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        if step > self.last_change() {
            return lr;
        }
        let total = float(self.total_iters);
        let decay_factor =
            ((1.0 - step as f64 / total) / (1.0 - (step - 1) as f64 / total)).powf(self.power);
        lr * decay_factor
    }

    fn replay(&self, first: f64, step: u64) -> f64 {
        (1..=step.min(self.last_change())).fold(first, |lr, e| self.next(lr, e))
    }
}

fn build_polynomial_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let total_iters = params.int("total_iters")?;
    let power = params.float("power")?;
    let start = Start::of(ctx);
    let failure = match start {
        // `base_lr * (1.0 - min(total_iters, 0) / total_iters) ** power`.
        Start::ClosedForm if total_iters == 0 => Some(Failure {
            step: 0,
            what: "ZeroDivisionError (its closed form, which SequentialLR uses at the \
                   milestone, divides by total_iters=0)"
                .into(),
            fix: "use a total_iters other than 0 behind a warmup".into(),
        }),
        Start::ClosedForm if total_iters < 0 && power < 0.0 => Some(Failure {
            step: 0,
            what: format!(
                "ZeroDivisionError (its closed form, which SequentialLR uses at the \
                 milestone, raises 0.0 to power={})",
                py_repr(power)
            ),
            fix: "use a power >= 0".into(),
        }),
        _ if total_iters >= 1 && power < 0.0 => Some(Failure {
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

// ---------------------------------------------------------------------------------------
// CosineAnnealingLR

/// `CosineAnnealingLR(optimizer, T_max, eta_min=0.0)`.
///
/// torch's recursion: `lr_0 = base_lr`; at step `k >= 1`, when `(k - 1 - T_max) % (2 *
/// T_max) == 0` (the step after a minimum, where the ratio below would be 0/0),
/// `lr_k = lr_(k-1) + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2`, otherwise
/// `lr_k = (1 + cos(pi * k / T_max)) / (1 + cos(pi * (k - 1) / T_max)) * (lr_(k-1) -
/// eta_min) + eta_min`. It approximates `eta_min + (base_lr - eta_min) * (1 + cos(pi * k /
/// T_max)) / 2`, is not clamped (the lr rises again after `T_max`, period `2 * T_max`), and
/// takes a non-integer `T_max`. `T_max=0` makes torch raise `ZeroDivisionError` at step 1,
/// and so does a fractional `T_max` at the step after one of its odd multiples lands on a
/// whole step (`T_max=100/3`: step 101), where the ratio's denominator is exactly 0.
#[derive(Debug)]
struct CosineAnnealingLr {
    t_max: f64,
    eta_min: f64,
    base_lr: f64,
}

impl Recurrence for CosineAnnealingLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        let (t_max, eta_min) = (self.t_max, self.eta_min);
        let previous = (step - 1) as f64;
        // Python's `%` is zero exactly when C's `fmod` is, whatever the signs.
        if (previous - t_max) % (2.0 * t_max) == 0.0 {
            lr + (self.base_lr - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
        } else {
            (1.0 + (PI * step as f64 / t_max).cos()) / (1.0 + (PI * previous / t_max).cos())
                * (lr - eta_min)
                + eta_min
        }
    }

    /// `T_max`, where the cosine reaches `eta_min` before rising again.
    fn horizon(&self) -> Option<u64> {
        (self.t_max > 0.0).then(|| self.t_max.ceil() as u64)
    }
}

impl CosineAnnealingLr {
    /// The first step `k` in `1 .. evaluated` where [`Recurrence::next`] divides by zero:
    /// `1 + cos(pi * (k - 1) / T_max)` is exactly 0, yet `(k - 1 - T_max) % (2 * T_max)` is
    /// not, so the special case after a minimum misses it. That happens when an odd multiple
    /// of a fractional `T_max` rounds onto a whole step (`T_max=100/3` at step 101), and
    /// torch raises `ZeroDivisionError` there.
    fn first_zero_division(&self, evaluated: u64) -> Option<u64> {
        let t_max = self.t_max;
        // A whole T_max puts its odd multiples on whole steps, where `%` is exactly 0, and
        // keeps every other step at least pi / T_max from them, far more than the cosine
        // needs to round to -1 (below 1e8); skipping the scan keeps the common case free.
        if t_max == 0.0 || !t_max.is_finite() || (t_max.fract() == 0.0 && t_max.abs() < 1e8) {
            return None;
        }
        let divides_by_zero = |previous: u64| {
            let previous = previous as f64;
            (previous - t_max) % (2.0 * t_max) != 0.0 && 1.0 + (PI * previous / t_max).cos() == 0.0
        };
        // `1 + cos(x)` rounds to 0 only within about 1.5e-8 of an odd multiple of pi, so
        // `previous / T_max` must be within 5e-9 of an odd integer m: only the whole steps
        // near `m * |T_max|` are candidates, a handful per half-period instead of a cosine
        // for every step.
        let period = t_max.abs();
        if period < 4.0 {
            // Odd multiples closer than the windows around them: every step is a
            // candidate, and a plain scan is the cheaper walk.
            return (1..evaluated).find(|&step| divides_by_zero(step - 1));
        }
        let window = (5e-9 * period).ceil() + 1.0;
        if evaluated < 2 {
            return None;
        }
        // Steps `1 .. evaluated` look back at `previous = step - 1`.
        let last = (evaluated - 2) as f64;
        let mut checked_up_to = None::<u64>;
        let mut m = 1.0f64;
        while m * period - window <= last {
            let centre = m * period;
            let low = (centre - window).max(0.0).ceil() as u64;
            let high = (centre + window).min(last).floor() as u64;
            let low = checked_up_to.map_or(low, |c| low.max(c + 1));
            if let Some(previous) = (low..=high).find(|&p| divides_by_zero(p)) {
                return Some(previous + 1);
            }
            if high >= low {
                checked_up_to = Some(high);
            }
            m += 2.0;
        }
        None
    }
}

fn build_cosine_annealing_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let t_max = params.float("T_max")?;
    let eta_min = params.float("eta_min")?;
    let start = Start::of(ctx);
    let failure = (t_max == 0.0).then(|| Failure {
        step: match start {
            Start::Fresh => 1,
            Start::ClosedForm => 0,
        },
        what: "ZeroDivisionError (T_max=0)".into(),
        fix: "use a T_max other than 0".into(),
    });
    let first = match start {
        Start::Fresh => ctx.base_lr,
        // `eta_min + (base_lr - eta_min) * (1 + cos(pi * 0 / T_max)) / 2`: with eta_min != 0
        // this can be an ulp away from base_lr, and the recursion carries it on.
        Start::ClosedForm => {
            eta_min + (ctx.base_lr - eta_min) * (1.0 + (PI * 0.0 / t_max).cos()) / 2.0
        }
    };
    let recurrence = CosineAnnealingLr {
        t_max,
        eta_min,
        base_lr: ctx.base_lr,
    };
    // Only the evaluated steps are scanned, as torch fails only if the run gets there; one
    // cosine a step, for a fractional T_max only, costs less than evaluating them.
    let failure = failure.or_else(|| {
        let evaluated = ctx.steps.saturating_sub(ctx.warmup);
        recurrence
            .first_zero_division(evaluated)
            .map(|step| Failure {
                step,
                what: format!(
                    "ZeroDivisionError (1 + cos(pi * {} / T_max) is 0.0 with T_max={})",
                    step - 1,
                    py_repr(t_max)
                ),
                fix: "round T_max (a whole T_max never divides by zero)".into(),
            })
    });
    Chainable::boxed("CosineAnnealingLR", ctx, recurrence, first, failure)
}

pub(super) const COSINE_ANNEALING_LR: Entry = Entry {
    name: "CosineAnnealingLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0.0)",
    summary: "cosine annealing from base_lr to eta_min over T_max steps",
    formula: "lr_0 = base_lr; lr_k = lr_(k-1) + (base_lr - eta_min) * (1 - cos(pi / T_max)) \
              / 2 if (k - 1 - T_max) % (2 * T_max) == 0, else (1 + cos(pi * k / T_max)) / (1 \
              + cos(pi * (k - 1) / T_max)) * (lr_(k-1) - eta_min) + eta_min (torch's \
              recursion, replayed); closed form eta_min + (base_lr - eta_min) * (1 + cos(pi * \
              k / T_max)) / 2",
    horizon: "not clamped: past T_max the lr rises again along the cosine, back to base_lr \
              at 2 * T_max (period 2 * T_max)",
    params: &[
        ParamSpec {
            name: "T_max",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "steps from base_lr down to eta_min (half the period; non-integers work)",
        },
        ParamSpec {
            name: "eta_min",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "minimum learning rate (absolute, not a multiplier)",
        },
    ],
    takes_warmup: true,
    build: build_cosine_annealing_lr,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The search near odd multiples of T_max finds what a scan of every step finds.
    #[test]
    fn zero_division_search_matches_a_full_scan() {
        let scan = |r: &CosineAnnealingLr, evaluated: u64| {
            (1..evaluated).find(|&step| {
                let previous = (step - 1) as f64;
                (previous - r.t_max) % (2.0 * r.t_max) != 0.0
                    && 1.0 + (PI * previous / r.t_max).cos() == 0.0
            })
        };
        let mut found = 0;
        for n in 1..400u32 {
            for d in [2.0, 3.0, 7.0, 9.0, 10.0] {
                for t_max in [f64::from(n) / d, -f64::from(n) / d] {
                    let r = CosineAnnealingLr {
                        t_max,
                        eta_min: 0.0,
                        base_lr: 1.0,
                    };
                    for evaluated in [1, 2, 50, 3000] {
                        let want = if t_max.fract() == 0.0 {
                            None
                        } else {
                            scan(&r, evaluated)
                        };
                        assert_eq!(
                            r.first_zero_division(evaluated),
                            want,
                            "T_max={t_max}, {evaluated} steps"
                        );
                        found += usize::from(want.is_some());
                    }
                }
            }
        }
        assert!(
            found > 0,
            "the cases include steps where torch divides by zero"
        );
    }
    /// A tiny T_max (found by fuzzing: `T_max=0.0001`, 49800 steps, which used to walk
    /// 2.5e8 half-periods) is searched by a plain scan of the steps.
    #[test]
    fn tiny_t_max_is_a_plain_scan() {
        let r = CosineAnnealingLr {
            t_max: 0.0001,
            eta_min: 0.0,
            base_lr: 1.0,
        };
        let scan = (1..49_800u64).find(|&step| {
            let previous = (step - 1) as f64;
            (previous - r.t_max) % (2.0 * r.t_max) != 0.0
                && 1.0 + (PI * previous / r.t_max).cos() == 0.0
        });
        assert_eq!(r.first_zero_division(49_800), scan);
    }
}
