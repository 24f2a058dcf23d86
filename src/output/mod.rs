//! Output formats. Each writer receives points one at a time, so any number of steps is
//! written in constant memory; only the plot reduces points (to screen columns).

pub mod csv;
pub mod json;
pub mod plot;
pub mod rows;
pub mod svg;
pub mod table;

use std::io;

use crate::error::Result;
use crate::schedule::{Point, Schedule};

/// A streaming writer of points.
pub trait PointWriter {
    /// Called once before the first point.
    fn begin(&mut self) -> io::Result<()>;
    /// Called for each point, in step order.
    fn point(&mut self, point: &Point) -> io::Result<()>;
    /// Called once after the last point; flushes.
    fn end(&mut self) -> io::Result<()>;
}

/// Which steps to write: `from .. to`, every `every`-th one, and always the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    /// The first step written.
    pub from: u64,
    /// One past the last step.
    pub to: u64,
    /// Write every `every`-th step (at least 1).
    pub every: u64,
}

impl Steps {
    /// All steps `0 .. steps`.
    pub fn all(steps: u64) -> Self {
        Steps {
            from: 0,
            to: steps,
            every: 1,
        }
    }
}

/// Evaluates `schedule` over `steps` and writes each point.
pub fn write_points<W: PointWriter + ?Sized>(
    schedule: &dyn Schedule,
    steps: Steps,
    writer: &mut W,
) -> Result<()> {
    writer.begin()?;
    for_each_point(schedule, steps, |p| writer.point(p))?;
    writer.end()?;
    Ok(())
}

/// Calls `f` with the points of `steps` in order: `from`, `from + every`, ..., and the last
/// step `to - 1` even where `every` does not land on it.
pub fn for_each_point<E>(
    schedule: &dyn Schedule,
    steps: Steps,
    mut f: impl FnMut(&Point) -> Result<(), E>,
) -> Result<(), E> {
    if steps.from >= steps.to {
        return Ok(());
    }
    let every = steps.every.max(1);
    let last = steps.to - 1;
    let mut points = schedule.points(steps.from);
    let mut position = steps.from;
    let mut step = steps.from;
    loop {
        let Some(point) = points.nth((step - position) as usize) else {
            return Ok(());
        };
        f(&point)?;
        if step == last {
            return Ok(());
        }
        position = step + 1;
        step = step.saturating_add(every).min(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    fn steps_written(steps: Steps) -> Vec<u64> {
        let ctx = Context {
            steps: 100,
            base_lr: 0.1,
            warmup: 0,
        };
        let schedule = match ExprSchedule::new("1", &ctx) {
            Ok(s) => s,
            Err(e) => return vec![u64::MAX, e.exit_status().into()],
        };
        let mut seen = Vec::new();
        let result: Result<(), ()> = for_each_point(&schedule, steps, |p| {
            seen.push(p.step);
            Ok(())
        });
        assert_eq!(result, Ok(()));
        seen
    }

    #[test]
    fn every_keeps_the_last_step() {
        assert_eq!(
            steps_written(Steps {
                from: 0,
                to: 10,
                every: 4
            }),
            [0, 4, 8, 9]
        );
        assert_eq!(
            steps_written(Steps {
                from: 0,
                to: 9,
                every: 4
            }),
            [0, 4, 8]
        );
        assert_eq!(
            steps_written(Steps {
                from: 3,
                to: 6,
                every: 1
            }),
            [3, 4, 5]
        );
        assert_eq!(
            steps_written(Steps {
                from: 5,
                to: 5,
                every: 1
            }),
            Vec::<u64>::new()
        );
        assert_eq!(
            steps_written(Steps {
                from: 0,
                to: 1,
                every: 7
            }),
            [0]
        );
    }
}
