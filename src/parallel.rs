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
pub type Map<'a, T> = dyn Fn(Option<Point>, &mut dyn Iterator<Item = Point>) -> T + Sync + 'a;

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
        let mut points = schedule.points(from);
        // For a recursive schedule this costs a replay, as starting at `from` does.
        let mut previous = (from > 0).then(|| schedule.at(from - 1));
        for c in 0..chunks {
            let (start, end) = bounds(c);
            let mut last = None;
            let mut chunk = points
                .by_ref()
                .take((end - start) as usize)
                .inspect(|p| last = Some(*p));
            fold(map(previous, &mut chunk));
            previous = last;
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
                    let mut points = schedule.points(start).take((end - start) as usize);
                    if tx.send(map(previous, &mut points)).is_err() {
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
            let map = |previous: Option<Point>, points: &mut dyn Iterator<Item = Point>| {
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
