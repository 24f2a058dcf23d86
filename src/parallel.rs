//! Reductions over many steps on every core: a run of steps is cut into fixed chunks, each
//! chunk is reduced on its own (in parallel where the schedule allows random access), and
//! the partial results are folded in step order.
//!
//! The chunks do not depend on the number of threads, so a reduction gives the same bits
//! on one core as on many.

use std::sync::mpsc::sync_channel;
use std::thread;

use crate::schedule::{Point, Schedule};

/// Steps per chunk.
pub const CHUNK_STEPS: u64 = 1 << 20;

/// Reduces the points of one chunk: given the point just before the chunk (if any) and the
/// chunk's points in order.
pub type Map<'a, T> = dyn Fn(Option<Point>, &mut Run<'_>) -> T + Sync + 'a;

/// Points handed out per batch.
const BATCH: usize = 1024;

/// The points of one chunk, in order. Seekable schedules fill a batch at a time with one
/// call into the schedule ([`Schedule::fill`]), so iterating costs no indirect call a point.
pub struct Run<'a> {
    source: Source<'a>,
    batch: Vec<Point>,
    position: usize,
    next_step: u64,
    end: u64,
}

enum Source<'a> {
    Seek(&'a dyn Schedule),
    Stream(&'a mut (dyn Iterator<Item = Point> + Send + 'a)),
}

impl<'a> Run<'a> {
    fn new(source: Source<'a>, start: u64, end: u64) -> Self {
        Run {
            source,
            batch: Vec::with_capacity(BATCH),
            position: 0,
            next_step: start,
            end,
        }
    }

    fn refill(&mut self) -> Option<()> {
        let n = (self.end - self.next_step).min(BATCH as u64) as usize;
        if n == 0 {
            return None;
        }
        self.position = 0;
        match &mut self.source {
            Source::Seek(schedule) => {
                let blank = Point {
                    step: 0,
                    multiplier: 0.0,
                    lr: 0.0,
                };
                self.batch.resize(n, blank);
                schedule.fill(self.next_step, &mut self.batch);
            }
            Source::Stream(points) => {
                self.batch.clear();
                self.batch.extend(points.by_ref().take(n));
                if self.batch.is_empty() {
                    return None;
                }
            }
        }
        self.next_step += self.batch.len() as u64;
        Some(())
    }
}

impl Iterator for Run<'_> {
    type Item = Point;

    #[inline]
    fn next(&mut self) -> Option<Point> {
        if self.position == self.batch.len() {
            self.refill()?;
        }
        let point = self.batch[self.position];
        self.position += 1;
        Some(point)
    }
}

/// Runs `map` over the chunks of steps `from..to` and hands the results to `fold` in step
/// order. Seekable schedules run on up to `threads` threads; recursive ones stream on one.
pub fn map_chunks<T: Send>(
    schedule: &dyn Schedule,
    from: u64,
    to: u64,
    threads: usize,
    map: &Map<'_, T>,
    mut fold: impl FnMut(T),
) {
    if from >= to {
        return;
    }
    let chunks = (to - from).div_ceil(CHUNK_STEPS);
    let bounds = move |c: u64| {
        let start = from + c * CHUNK_STEPS;
        (start, (start + CHUNK_STEPS).min(to))
    };
    if threads <= 1 || chunks == 1 || !schedule.seekable() {
        let seekable = schedule.seekable();
        let mut points = schedule.points(from);
        // For a recursive schedule this costs a replay, as starting at `from` does.
        let mut previous = (from > 0).then(|| schedule.at(from - 1));
        for c in 0..chunks {
            let (start, end) = bounds(c);
            let source = if seekable {
                Source::Seek(schedule)
            } else {
                Source::Stream(&mut points)
            };
            let mut run = Run::new(source, start, end);
            let result = map(previous, &mut run);
            // Whatever `map` left is skipped, so the next chunk starts where it should.
            run.by_ref().for_each(drop);
            previous = run.batch.last().copied().or(previous);
            fold(result);
        }
        return;
    }
    thread::scope(|scope| {
        let mut receivers = Vec::with_capacity(threads);
        for worker in 0..threads as u64 {
            let (tx, rx) = sync_channel::<T>(2);
            receivers.push(rx);
            scope.spawn(move || {
                let mut c = worker;
                while c < chunks {
                    let (start, end) = bounds(c);
                    let previous = (start > 0).then(|| schedule.at(start - 1));
                    let mut run = Run::new(Source::Seek(schedule), start, end);
                    if tx.send(map(previous, &mut run)).is_err() {
                        return;
                    }
                    c += threads as u64;
                }
            });
        }
        for c in 0..chunks {
            match receivers[(c % threads as u64) as usize].recv() {
                Ok(result) => fold(result),
                // Only a panicking worker hangs up early; the scope re-raises its panic.
                Err(_) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    #[test]
    fn chunks_cover_every_step_once_in_order_with_their_predecessor() {
        let ctx = Context {
            steps: 3 * CHUNK_STEPS,
            base_lr: 1.0,
            warmup: 0,
        };
        let schedule = ExprSchedule::new("step", &ctx).expect("valid");
        for threads in [1, 2, 3] {
            let mut seen = Vec::new();
            let map = |previous: Option<Point>, points: &mut Run<'_>| {
                let steps: Vec<u64> = points.map(|p| p.step).collect();
                (
                    previous.map(|p| p.step),
                    steps[0],
                    *steps.last().expect("non-empty"),
                    steps.len(),
                )
            };
            map_chunks(&schedule, 5, 2 * CHUNK_STEPS + 7, threads, &map, |r| {
                seen.push(r)
            });
            assert_eq!(
                seen,
                [
                    (Some(4), 5, CHUNK_STEPS + 4, CHUNK_STEPS as usize),
                    (
                        Some(CHUNK_STEPS + 4),
                        CHUNK_STEPS + 5,
                        2 * CHUNK_STEPS + 4,
                        CHUNK_STEPS as usize
                    ),
                    (
                        Some(2 * CHUNK_STEPS + 4),
                        2 * CHUNK_STEPS + 5,
                        2 * CHUNK_STEPS + 6,
                        2
                    ),
                ],
                "{threads} threads"
            );
        }
    }
}
