//! What torch's chainable schedulers share (`StepLR`, `MultiStepLR`, `ConstantLR`,
//! `LinearLR`, `ExponentialLR`, `PolynomialLR`, `CosineAnnealingLR`, one file each): torch
//! computes each lr from the previous one in `get_lr()`, so a [`Recurrence`] replays that
//! recursion in torch's operation order, and [`Chainable`] streams it. The results drift
//! from the textbook closed forms by a few ulps, exactly as torch's do.

use std::fmt;

use super::Raise;
use crate::error::Result;
use crate::schedule::{Context, Point, Schedule};

/// One chainable scheduler's `get_lr()` past step 0.
pub(super) trait Recurrence: Send + Sync + fmt::Debug {
    /// torch's `get_lr()` at `last_epoch = step >= 1`, given the lr of `step - 1`.
    fn next(&self, lr: f64, step: u64) -> f64;

    /// The last step whose `get_lr()` can change the lr, for a scheduler that returns it
    /// unchanged after (see [`last_change`]); replaying stops there.
    fn settles_after(&self) -> Option<u64> {
        None
    }

    /// The lr at step `to`, from the lr `lr` of step `from <= to`, bit for bit what the
    /// calls of [`Recurrence::next`] for steps `from + 1 ..= to` give. Overridden to skip
    /// runs of steps where `get_lr()` returns the lr unchanged.
    fn advance(&self, lr: f64, from: u64, to: u64) -> f64 {
        let last = self.settles_after().map_or(to, |settled| to.min(settled));
        (from.saturating_add(1)..=last).fold(lr, |lr, e| self.next(lr, e))
    }

    /// See [`Schedule::horizon`].
    fn horizon(&self) -> Option<u64> {
        None
    }
}

/// A chainable scheduler: its lr at step 0 and its recursion.
#[derive(Debug)]
pub(super) struct Chainable<R> {
    recurrence: R,
    /// The lr of step 0 (see [`Start`](super::Start)).
    first: f64,
    /// The optimizer's lr, for the multiplier column.
    base_lr: f64,
    /// Where torch raises, if it does.
    failure: Option<Raise>,
}

impl<R: Recurrence + 'static> Chainable<R> {
    /// The scheduler `class` starting at `first`, refused if `ctx` evaluates the step where
    /// torch raises.
    pub(super) fn boxed(
        class: &str,
        ctx: &Context,
        recurrence: R,
        first: f64,
        failure: Option<Raise>,
    ) -> Result<Box<dyn Schedule>> {
        Raise::check(failure.as_ref(), class, ctx)?;
        Ok(Box::new(Chainable {
            recurrence,
            first,
            base_lr: ctx.base_lr,
            failure,
        }))
    }
}

/// Steps replayed between two calls of the replay's observer: a few milliseconds' work.
const REPLAY_BLOCK: u64 = 1 << 22;

impl<R: Recurrence> Chainable<R> {
    /// The lr at `step`, replayed from step 0 a block of steps at a time, telling
    /// `replayed` the steps replayed so far after each block. The blocks change nothing:
    /// each continues the recursion where the last stopped.
    fn replay(&self, step: u64, replayed: &mut dyn FnMut(u64)) -> f64 {
        let mut lr = self.first;
        let mut at = 0;
        while at < step {
            let next = at.saturating_add(REPLAY_BLOCK).min(step);
            lr = self.recurrence.advance(lr, at, next);
            at = next;
            replayed(at);
        }
        lr
    }
}

impl<R: Recurrence> Schedule for Chainable<R> {
    /// Replays the recursion from step 0: O(step), or less where the lr stays put.
    fn at(&self, step: u64) -> Point {
        Point::from_lr(
            step,
            self.recurrence.advance(self.first, 0, step),
            self.base_lr,
        )
    }

    /// Replays up to `from`, then one `get_lr()` per step.
    fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        self.points_replaying(from, &mut |_| {})
    }

    fn points_replaying(
        &self,
        from: u64,
        replayed: &mut dyn FnMut(u64),
    ) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        Box::new(Stream {
            schedule: self,
            step: Some(from),
            lr: self.replay(from, replayed),
        })
    }

    fn replay_length(&self, from: u64) -> u64 {
        from
    }

    fn seekable(&self) -> bool {
        false
    }

    fn last_defined_step(&self) -> Option<u64> {
        Raise::last_defined_step(self.failure.as_ref())
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

    /// Skips with [`Recurrence::advance`], which passes over the steps where the lr stays
    /// put (an `ExponentialLR` decayed to 0, a `LinearLR` past `total_iters`) instead of
    /// taking them one by one: the same lr, bit for bit.
    fn nth(&mut self, n: usize) -> Option<Point> {
        let step = self.step?;
        let Some(target) = step.checked_add(n as u64) else {
            self.step = None;
            return None;
        };
        self.lr = self.schedule.recurrence.advance(self.lr, step, target);
        self.step = Some(target);
        self.next()
    }
}

/// Multiplies `lr` by `gamma` `times` times, as `times` steps of `lr = lr * gamma` do,
/// stopping early once the lr no longer changes (it then never will).
pub(super) fn multiply_repeatedly(mut lr: f64, gamma: f64, times: u64) -> f64 {
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
pub(super) fn float(i: i64) -> f64 {
    i as f64
}

/// The last step whose `get_lr()` changes the lr of a scheduler that ramps over
/// `total_iters` steps and then returns the lr unchanged (`LinearLR`, `PolynomialLR`:
/// `if self.last_epoch > self.total_iters: return [group["lr"] ...]`); 0, no step, for
/// `total_iters <= 0`.
#[inline]
pub(super) fn last_change(total_iters: i64) -> u64 {
    u64::try_from(total_iters).unwrap_or(0)
}
