//! The schedule core: what a schedule is, how it is evaluated, and the built-in catalogue.
//!
//! A [`Schedule`] is built once from validated parameters and then gives the learning rate
//! of any step. Schedules that PyTorch computes recursively (each lr from the previous one)
//! also have a streaming form, [`Schedule::points`], that repeats torch's arithmetic in
//! torch's order, so consecutive steps cost O(1) and match torch to the last bit.

pub mod combine;
pub mod deepspeed;
pub mod keras;
pub mod megatron;
pub mod nanogpt;
pub mod optax;
pub mod params;
pub mod real;
pub mod registry;
#[cfg(test)]
mod testing;
pub mod timm;
mod torch;
mod transformers;

use std::fmt;

/// One evaluated step: the learning rate the optimizer uses for its `step`-th update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The update index, counting from 0.
    pub step: u64,
    /// `lr / base_lr`.
    pub multiplier: f64,
    /// The learning rate.
    pub lr: f64,
}

impl Point {
    /// A point of a schedule defined by its multiplier (`lr = base_lr * multiplier`, the
    /// order `LambdaLR` multiplies in).
    pub fn from_multiplier(step: u64, multiplier: f64, base_lr: f64) -> Self {
        Point {
            step,
            multiplier,
            lr: base_lr * multiplier,
        }
    }

    /// A point of a schedule that sets the lr itself (torch's chainable and absolute
    /// schedulers); the multiplier is derived as `lr / base_lr`.
    pub fn from_lr(step: u64, lr: f64, base_lr: f64) -> Self {
        Point {
            step,
            multiplier: lr / base_lr,
            lr,
        }
    }
}

/// What every schedule is evaluated against: the horizon, the optimizer's lr and the warmup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context {
    /// Steps evaluated (`0 .. steps`), and the training horizon (`num_training_steps`).
    pub steps: u64,
    /// The optimizer's initial learning rate.
    pub base_lr: f64,
    /// Linear warmup steps (`num_warmup_steps`).
    pub warmup: u64,
}

/// A learning-rate schedule: a function of the step, built once from validated parameters.
pub trait Schedule: Send + Sync + fmt::Debug {
    /// The point at `step`, by random access. Closed forms compute it directly; recursive
    /// schedules replay their recursion from step 0, so prefer [`Schedule::points`] for runs.
    fn at(&self, step: u64) -> Point;

    /// The points from `from` on, in order. The default evaluates [`Schedule::at`] at each
    /// step and skips in O(1) (`nth`, `step_by`); recursive schedules override it with their
    /// streaming form.
    fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        Box::new(ClosedForm {
            schedule: self,
            next: from,
        })
    }

    /// [`Schedule::points`], telling `replayed` how many of the steps before `from` a
    /// recursive schedule has replayed so far, every few million steps, so that a long
    /// replay (`--from 999999995`) can show its progress. Closed forms have nothing to
    /// replay and never call it.
    fn points_replaying(
        &self,
        from: u64,
        replayed: &mut dyn FnMut(u64),
    ) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        let _ = replayed;
        self.points(from)
    }

    /// How many steps [`Schedule::points`] replays before it yields the point of `from`:
    /// `from` for a recursive schedule (less where the lr settles, but counted whole), 0
    /// for a closed form.
    fn replay_length(&self, from: u64) -> u64 {
        let _ = from;
        0
    }

    /// Fills `out` with the points of steps `from, from + 1, ...` by random access. One call
    /// a batch instead of one a step: inside, `at` is a direct call the compiler can inline.
    fn fill(&self, from: u64, out: &mut [Point]) {
        for (step, point) in (from..=u64::MAX).zip(out.iter_mut()) {
            *point = self.at(step);
        }
    }

    /// True when [`Schedule::points`] starts at any step in O(1), so that separate ranges
    /// of steps can be evaluated independently (in parallel). Recursive schedules, which
    /// replay from step 0, say false.
    fn seekable(&self) -> bool {
        true
    }

    /// The last step the home library can evaluate, if it has one (`OneCycleLR` raises past
    /// `total_steps`).
    fn last_defined_step(&self) -> Option<u64> {
        None
    }

    /// The step where the schedule's decay is meant to be over, for a schedule that the home
    /// library lets rise again after it (torch's `CosineAnnealingLR` past `T_max`, the
    /// transformers cosines past `num_training_steps`), so that `lrsched check` can warn
    /// when the evaluated steps go there (a run whose runtime steps the scheduler more often
    /// than planned). `None` when there is no such step: no horizon, a floor held forever,
    /// or cycles by design (`CyclicLR`, warm restarts).
    fn horizon(&self) -> Option<u64> {
        None
    }

    /// The momentum the scheduler puts in the optimizer's param group for `step` (SGD's
    /// `momentum`, Adam's `betas[0]`), for schedulers that cycle it (`CyclicLR` and
    /// `OneCycleLR` with `cycle_momentum=True`); `None` leaves the optimizer's own.
    fn momentum(&self, step: u64) -> Option<f64> {
        let _ = step;
        None
    }

    /// True when the schedule sets the lr itself and never reads the optimizer's
    /// (`--base-lr`): torch's `CyclicLR` and `OneCycleLR`, DeepSpeed's absolute classes,
    /// Megatron and nanoGPT given their peak lr, optax and Keras. Its multiplier
    /// `lr / base_lr` is then a meaningless ratio, so the outputs say "absolute" instead.
    fn absolute(&self) -> bool {
        false
    }

    /// Why evaluation stops at `step`, for a schedule whose home library raises there (a
    /// pasted Python `lr_lambda` that divides by zero at step k). Such a schedule gives a
    /// NaN point at that step; consumers ask this only for NaN points, so the fast path
    /// pays nothing, and a NaN the library itself computes (`inf - inf`) stays a value.
    fn error_at(&self, step: u64) -> Option<crate::Error> {
        let _ = step;
        None
    }
}

/// Iterates a random-access schedule; skipping costs nothing.
struct ClosedForm<'a, S: ?Sized> {
    schedule: &'a S,
    next: u64,
}

impl<S: Schedule + ?Sized> Iterator for ClosedForm<'_, S> {
    type Item = Point;

    #[inline]
    fn next(&mut self) -> Option<Point> {
        let point = self.schedule.at(self.next);
        self.next = self.next.checked_add(1)?;
        Some(point)
    }

    fn nth(&mut self, n: usize) -> Option<Point> {
        self.next = self.next.checked_add(n as u64)?;
        self.next()
    }
}

/// The linear warmup multiplier of PyTorch's `LambdaLR` example and of every `transformers`
/// schedule: `step / max(1, warmup)`, computed as Python's true division.
#[inline]
pub fn warmup_multiplier(step: u64, warmup: u64) -> f64 {
    step as f64 / warmup.max(1) as f64
}
