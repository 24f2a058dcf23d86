//! Composition: the linear warmup in front of a `LambdaLR` multiplier (every transformers
//! schedule), torch's `SequentialLR` warmup in front of a scheduler, and the `LambdaLR`
//! schedule of a user expression with its optional warmup.

use std::fmt;

use super::{Context, Point, Schedule, warmup_multiplier};
use crate::error::{Error, Result};
use crate::expr::python::{self, Function, Globals, Value};

/// What a `LambdaLR` multiplier does once its linear warmup is over: the part of a
/// transformers lambda after `if current_step < num_warmup_steps: return ...`.
pub trait AfterWarmup: Send + Sync + fmt::Debug {
    /// The multiplier at `step`, for `step >= ctx.warmup`.
    fn multiplier(&self, step: u64, ctx: &Context) -> f64;

    /// See [`Schedule::last_defined_step`].
    fn last_defined_step(&self, ctx: &Context) -> Option<u64> {
        let _ = ctx;
        None
    }

    /// See [`Schedule::horizon`].
    fn horizon(&self, ctx: &Context) -> Option<u64> {
        let _ = ctx;
        None
    }
}

/// `lambda s: s / max(1, W) if s < W else after(s)`: the linear warmup of transformers'
/// `get_*_schedule_with_warmup` lambdas, in front of the rest of the lambda. The multiplier
/// is computed in the lambda's own operation order and the lr is `base_lr * multiplier`, the
/// order `LambdaLR` multiplies in, so the doubles are the library's.
///
/// Generic over `A` rather than boxing it, so that [`Schedule::fill`] stays one monomorphic
/// loop in which `after` is inlined: the csv and check paths call it in tight loops.
#[derive(Debug)]
pub struct LinearWarmup<A> {
    ctx: Context,
    after: A,
}

impl<A: AfterWarmup + 'static> LinearWarmup<A> {
    /// `after` behind a warmup of `ctx.warmup` steps (none when it is 0).
    pub fn boxed(ctx: &Context, after: A) -> Box<dyn Schedule> {
        Box::new(LinearWarmup { ctx: *ctx, after })
    }
}

impl<A: AfterWarmup> Schedule for LinearWarmup<A> {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            self.after.multiplier(step, ctx)
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }

    fn last_defined_step(&self) -> Option<u64> {
        self.after.last_defined_step(&self.ctx)
    }

    fn horizon(&self) -> Option<u64> {
        self.after.horizon(&self.ctx)
    }
}

/// `SequentialLR(opt, [LambdaLR(opt, lambda s: s / max(1, W) if s < W else 1.0), inner],
/// milestones=[W])`: the linear warmup for steps `0..W`, then `inner` from its own step 0.
///
/// torch 2.15 starts the second scheduler at the milestone with `_update_lr(0)`: its
/// `_get_closed_form_lr()` at step 0 where the class has one, which for a few parameter
/// values differs from a freshly constructed scheduler's first lr. The torch builders start
/// `inner` that way whenever there is a warmup, so here it is evaluated from its own step 0.
#[derive(Debug)]
pub struct SequentialWarmup {
    warmup: u64,
    base_lr: f64,
    inner: Box<dyn Schedule>,
}

impl SequentialWarmup {
    /// Wraps `inner` in the warmup of `ctx.warmup` steps towards `ctx.base_lr`.
    pub fn new(ctx: &Context, inner: Box<dyn Schedule>) -> Self {
        SequentialWarmup {
            warmup: ctx.warmup,
            base_lr: ctx.base_lr,
            inner,
        }
    }

    fn warm(&self, step: u64) -> Point {
        Point::from_multiplier(step, warmup_multiplier(step, self.warmup), self.base_lr)
    }
}

impl Schedule for SequentialWarmup {
    fn at(&self, step: u64) -> Point {
        if step < self.warmup {
            self.warm(step)
        } else {
            let p = self.inner.at(step - self.warmup);
            Point { step, ..p }
        }
    }

    fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        Box::new(SequentialPoints {
            schedule: self,
            next: from,
            inner: None,
        })
    }

    /// Starts the inner stream at once when `from` is past the warmup, so that its replay
    /// happens (and is observed) here rather than at the first point.
    fn points_replaying(
        &self,
        from: u64,
        replayed: &mut dyn FnMut(u64),
    ) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        let inner = (from >= self.warmup)
            .then(|| self.inner.points_replaying(from - self.warmup, replayed));
        Box::new(SequentialPoints {
            schedule: self,
            next: from,
            inner,
        })
    }

    fn replay_length(&self, from: u64) -> u64 {
        self.inner.replay_length(from.saturating_sub(self.warmup))
    }

    fn seekable(&self) -> bool {
        self.inner.seekable()
    }

    fn last_defined_step(&self) -> Option<u64> {
        self.inner
            .last_defined_step()
            .map(|s| s.saturating_add(self.warmup))
    }

    fn horizon(&self) -> Option<u64> {
        self.inner.horizon().map(|s| s.saturating_add(self.warmup))
    }

    /// The inner scheduler sets its step-0 momentum when it is constructed, before the
    /// warmup runs, and nothing changes it until the milestone.
    fn momentum(&self, step: u64) -> Option<f64> {
        self.inner.momentum(step.saturating_sub(self.warmup))
    }
}

/// The warmup steps by closed form, then the inner schedule's own stream, shifted.
struct SequentialPoints<'a> {
    schedule: &'a SequentialWarmup,
    next: u64,
    inner: Option<Box<dyn Iterator<Item = Point> + Send + 'a>>,
}

impl Iterator for SequentialPoints<'_> {
    type Item = Point;

    fn next(&mut self) -> Option<Point> {
        let warmup = self.schedule.warmup;
        if self.next < warmup {
            let p = self.schedule.warm(self.next);
            self.next += 1;
            return Some(p);
        }
        let inner = self
            .inner
            .get_or_insert_with(|| self.schedule.inner.points(self.next - warmup));
        let p = inner.next()?;
        Some(Point {
            step: p.step + warmup,
            ..p
        })
    }

    fn nth(&mut self, n: usize) -> Option<Point> {
        let warmup = self.schedule.warmup;
        if self.next < warmup {
            let target = self.next.checked_add(n as u64)?;
            if target < warmup {
                self.next = target + 1;
                return Some(self.schedule.warm(target));
            }
            self.next = target;
            return self.next();
        }
        let inner = self
            .inner
            .get_or_insert_with(|| self.schedule.inner.points(self.next - warmup));
        let p = inner.nth(n)?;
        Some(Point {
            step: p.step + warmup,
            ..p
        })
    }
}

/// The names lrsched gives an expression besides the step, in the order messages list them.
pub const EXPR_VARIABLES: [&str; 4] = ["step", "steps", "warmup", "base_lr"];

/// `LambdaLR(opt, lambda step: step / max(1, W) if step < W else EXPR(step))`: a user
/// expression, `lambda` or `def` for the multiplier ([`crate::expr::python`]), after the
/// linear warmup, still given the global step.
///
/// The multiplier is `float(value)` of what the source returns, computed as CPython
/// computes it. At a step where CPython raises (or the source returns `None` or a complex
/// number, which `LambdaLR` cannot use) the point is NaN and [`Schedule::error_at`] says why.
#[derive(Debug)]
pub struct ExprSchedule {
    function: Function,
    ctx: Context,
}

impl ExprSchedule {
    /// Compiles `source` with `steps`, `warmup` and `base_lr` bound.
    pub fn new(source: &str, ctx: &Context) -> Result<Self> {
        Self::with_vars(source, ctx, &[])
    }

    /// Compiles `source` with `steps`, `warmup`, `base_lr` and the `--var` bindings `vars`
    /// (which win over the first three).
    pub fn with_vars(source: &str, ctx: &Context, vars: &[(String, Value)]) -> Result<Self> {
        let globals = Globals {
            vars: vars.to_vec(),
            builtin: vec![
                (
                    "steps",
                    python::value::Value::Int(i64::try_from(ctx.steps).unwrap_or(i64::MAX)),
                ),
                (
                    "warmup",
                    python::value::Value::Int(i64::try_from(ctx.warmup).unwrap_or(i64::MAX)),
                ),
                ("base_lr", python::value::Value::Float(ctx.base_lr)),
            ],
        };
        let function = python::compile(source, &globals)
            .map_err(|e| Error::input(format!("invalid --expr: {e}")))?;
        Ok(ExprSchedule {
            function,
            ctx: *ctx,
        })
    }
}

impl Schedule for ExprSchedule {
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let multiplier = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            self.function.multiplier(step).unwrap_or(f64::NAN)
        };
        Point::from_multiplier(step, multiplier, ctx.base_lr)
    }

    fn fill(&self, from: u64, out: &mut [Point]) {
        let ctx = &self.ctx;
        let warm = usize::try_from(ctx.warmup.saturating_sub(from))
            .unwrap_or(usize::MAX)
            .min(out.len());
        let (warming, rest) = out.split_at_mut(warm);
        for (step, point) in (from..=u64::MAX).zip(warming.iter_mut()) {
            *point = Point::from_multiplier(step, warmup_multiplier(step, ctx.warmup), ctx.base_lr);
        }
        let start = from + warm as u64;
        let mut multipliers = [0.0f64; 512];
        for (k, chunk) in rest.chunks_mut(multipliers.len()).enumerate() {
            let first = start + (k * multipliers.len()) as u64;
            let m = &mut multipliers[..chunk.len()];
            self.function.fill(first, m);
            for ((step, point), m) in (first..=u64::MAX).zip(chunk.iter_mut()).zip(m.iter()) {
                *point = Point::from_multiplier(step, *m, ctx.base_lr);
            }
        }
    }

    fn error_at(&self, step: u64) -> Option<Error> {
        if step < self.ctx.warmup {
            return None;
        }
        self.function.error(step).map(Error::Input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rest of a lambda that is 0.5 after the warmup and defined up to `N - 1`.
    #[derive(Debug)]
    struct Half;

    impl AfterWarmup for Half {
        fn multiplier(&self, _: u64, _: &Context) -> f64 {
            0.5
        }

        fn last_defined_step(&self, ctx: &Context) -> Option<u64> {
            ctx.steps.checked_sub(1)
        }
    }

    #[test]
    fn linear_warmup_then_the_rest_of_the_lambda() {
        let ctx = Context {
            steps: 10,
            base_lr: 0.2,
            warmup: 4,
        };
        let warm = LinearWarmup::boxed(&ctx, Half);
        let multipliers: Vec<f64> = (0..6).map(|k| warm.at(k).multiplier).collect();
        assert_eq!(multipliers, [0.0, 0.25, 0.5, 0.75, 0.5, 0.5]);
        assert_eq!(warm.at(3).lr, 0.2 * 0.75);
        assert_eq!(warm.last_defined_step(), Some(9));
        let cold = LinearWarmup::boxed(&Context { warmup: 0, ..ctx }, Half);
        assert_eq!(cold.at(0).multiplier, 0.5);
    }

    fn ctx() -> Context {
        Context {
            steps: 10,
            base_lr: 0.1,
            warmup: 0,
        }
    }

    #[test]
    fn zero_keeps_the_sign_python_gives_it() -> Result<()> {
        // Python ints have no -0: `-step/steps` at step 0 is 0/10 = 0.0.
        let p = ExprSchedule::new("-step/steps", &ctx())?.at(0);
        assert_eq!((p.multiplier.to_bits(), p.lr.to_bits()), (0, 0));
        // A float times the int 0 is -0.0 in Python.
        let p = ExprSchedule::new("-0.5*step", &ctx())?.at(0);
        assert_eq!(p.multiplier.to_bits(), (-0.0f64).to_bits());
        Ok(())
    }

    #[test]
    fn a_raising_step_is_nan_and_says_why() -> Result<()> {
        let s = ExprSchedule::new("lambda step: 1 / (step - 3)", &ctx())?;
        assert!(s.at(3).multiplier.is_nan());
        assert_eq!(s.at(4).multiplier, 1.0);
        assert!(s.error_at(4).is_none());
        let message = s.error_at(3).map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "at step 3, the function raises ZeroDivisionError: division by zero\n  \
             lambda step: 1 / (step - 3)\n               ^^^^^^^^^^^^^^\n\
             (a training run with this lr_lambda stops there)"
        );
        let mut batch = [Point::from_multiplier(0, 0.0, 0.0); 6];
        s.fill(0, &mut batch);
        assert!(batch[3].multiplier.is_nan());
        assert_eq!(batch[5].multiplier, 0.5);
        Ok(())
    }

    #[test]
    fn vars_bind_free_names() -> Result<()> {
        let vars = [("warmup_steps".to_string(), Value::Int(4))];
        let s = ExprSchedule::with_vars("lambda s: min(1.0, s / warmup_steps)", &ctx(), &vars)?;
        assert_eq!(s.at(2).multiplier, 0.5);
        let e = ExprSchedule::new("lambda s: min(1.0, s / warmup_steps)", &ctx())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("--var warmup_steps=VALUE"), "{e}");
        Ok(())
    }
}
