//! The one ordered-chunk engine: every consumer of many steps (the row writers, `check`, the
//! plot) maps fixed chunks of rows to a result and folds the results in step order. This
//! module alone decides the chunk size, the threads, how a recursive schedule is evaluated,
//! how much is in flight at once, and where a run stops because the schedule's home library
//! raises.
//!
//! Chunks are cut from the rows alone, never from the number of threads, and are folded in
//! order, so a run gives the same bytes and bits on one core as on many.
//!
//! Threads come from rayon. The calling thread spawns a window of chunk tasks into the pool
//! (`in_place_scope`), folds their results in order as they arrive, and spawns the next;
//! a schedule that cannot seek (torch's recursive schedulers) is evaluated in order on the
//! calling thread, a chunk of points at a time, while the pool formats the chunks already
//! evaluated. A scope of spawned tasks rather than a `par_iter` over each window lets the
//! fold (writing to stdout) overlap the next chunks' work instead of waiting at a barrier
//! per window; rayon's pool replaces the hand-made workers and channels this engine used
//! to have, at the same speed (BENCHMARKS.md).
//!
//! An engine may carry a [`Progress`], which it tells how a run is getting on from the
//! thread that folds: after each chunk's fold and every few million steps of a recursive
//! schedule's replay or skip, never per point, so the hot loops are the same with it or
//! without.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, mpsc};

use crate::error::Error;
use crate::schedule::{Point, Schedule};

/// Which steps a run covers: `from .. to`, every `every`-th one, and always the last.
/// Each step taken is a row; rows are numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    /// The first step.
    pub from: u64,
    /// One past the last step.
    pub to: u64,
    /// Every `every`-th step (at least 1).
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

    /// How many rows: `from`, `from + every`, ..., and `to - 1` where `every` misses it.
    pub fn rows(&self) -> u64 {
        if self.from >= self.to {
            return 0;
        }
        let every = self.every.max(1);
        let span = self.to - 1 - self.from;
        span / every + 1 + u64::from(!span.is_multiple_of(every))
    }

    /// The step of row `row`: `from + row * every`, or the last step.
    pub fn step_of(&self, row: u64) -> u64 {
        self.from
            .saturating_add(row.saturating_mul(self.every.max(1)))
            .min(self.to.saturating_sub(1))
    }

    /// The first `n` rows (all of them when there are fewer).
    pub fn first_rows(&self, n: u64) -> Steps {
        if n == 0 {
            return Steps {
                to: self.from,
                ..*self
            };
        }
        let last = self.step_of(n - 1);
        Steps {
            to: self.to.min(last.saturating_add(1)),
            ..*self
        }
    }
}

/// What a chunk's map produces, which sets the chunk size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    /// Text (rows formatted into bytes): chunks of 16 Ki rows, about 0.8 MB of CSV, small
    /// enough that the window in flight stays a few MB, large enough that handing a chunk
    /// to a thread costs nothing. One thread below 200,000 rows, where starting threads
    /// costs more than it saves. Recursive schedules are formatted in parallel too.
    Text,
    /// A reduction to a few numbers (a summary, screen columns): chunks of 2^20 steps.
    /// `check`'s compensated sum is merged at chunk boundaries, so its bits depend on this
    /// size: it must not change. Recursive schedules stream on one thread, since holding a
    /// window of such chunks as points would take hundreds of MB.
    Reduce,
}

impl Grain {
    /// Rows per chunk.
    pub const fn chunk_rows(self) -> u64 {
        match self {
            Grain::Text => 16 * 1024,
            Grain::Reduce => 1 << 20,
        }
    }

    /// Below this many rows, one thread.
    const fn parallel_min_rows(self) -> u64 {
        match self {
            Grain::Text => 200_000,
            Grain::Reduce => (1 << 20) + 1,
        }
    }
}

/// Points evaluated at a time, with one call into the schedule ([`Schedule::fill`]).
const BATCH: usize = 1024;

/// Chunks in flight per thread: enough to keep every thread busy while the fold catches
/// up, few enough that memory stays flat.
const WINDOW_PER_THREAD: usize = 3;

/// What a run will cost, counted before it starts, in units of [`Progress::advance`]: a step
/// replayed or streamed is one unit, a row mapped and folded another.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Steps recursive schedules replay before their first row (`--from`), all together.
    pub replay: u64,
    /// Steps recursive schedules then evaluate in order, all together: every step from the
    /// first row's to the last row's, whatever `--every` skips.
    pub stream: u64,
    /// Rows mapped and folded.
    pub rows: u64,
}

impl Work {
    /// All the units.
    pub fn total(&self) -> u64 {
        self.replay
            .saturating_add(self.stream)
            .saturating_add(self.rows)
    }
}

/// Told how each run of an engine is getting on; what it shows, and where, is its own
/// business (the command line draws a bar on a terminal). Every call comes from the thread
/// that calls [`Engine::run`].
pub trait Progress: Send + Sync {
    /// A run of `work` starts.
    fn start(&self, work: &Work);
    /// `done` of the run's [`Work::total`] units are done (a count that only grows).
    fn advance(&self, done: u64);
    /// Runs `fold`, which may write output: something drawn on the same terminal gets out
    /// of its way first.
    fn fold(&self, fold: &mut dyn FnMut());
    /// The run is over: done, stopped where the schedule raises, or failed.
    fn finish(&self);
}

/// Steps a recursive schedule skips (`--every`) between two reports of its progress.
const SKIP_BLOCK: u64 = 1 << 22;

/// A run's units done, told to its [`Progress`] no more than every `every` units.
struct Meter<'p> {
    progress: Option<&'p dyn Progress>,
    done: Cell<u64>,
    told: Cell<u64>,
    every: u64,
}

impl<'p> Meter<'p> {
    fn new(progress: Option<&'p dyn Progress>, work: &Work) -> Self {
        if let Some(progress) = progress {
            progress.start(work);
        }
        Meter {
            progress,
            done: Cell::new(0),
            told: Cell::new(0),
            // A thousandth of the run, but not so few that telling costs anything.
            every: (work.total() / 1000).max(1 << 16),
        }
    }

    #[inline]
    fn add(&self, units: u64) {
        let Some(progress) = self.progress else {
            return;
        };
        let done = self.done.get().saturating_add(units);
        self.done.set(done);
        if done - self.told.get() >= self.every {
            self.told.set(done);
            progress.advance(done);
        }
    }

    /// Runs `fold` (through the progress, which may clear the terminal for it), then counts
    /// `rows` done.
    fn fold<E>(&self, rows: u64, fold: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        let result = match self.progress {
            None => return fold(),
            Some(progress) => {
                let mut fold = Some(fold);
                let mut result = None;
                progress.fold(&mut || result = fold.take().map(|f| f()));
                result.unwrap_or(Ok(()))
            }
        };
        self.add(rows);
        result
    }
}

impl Drop for Meter<'_> {
    fn drop(&mut self) {
        if let Some(progress) = self.progress {
            progress.finish();
        }
    }
}

/// Where a run stopped: the schedule's home library raises at `step`
/// ([`Schedule::error_at`]). Every row before it was mapped and folded.
#[derive(Debug)]
pub struct Stop {
    /// The step that raises.
    pub step: u64,
    /// What the library raises.
    pub error: Error,
}

/// The threads a run may use, and who is told how it is getting on.
#[derive(Clone)]
pub struct Engine {
    pool: Pool,
    /// Threads for any run of more than one chunk, however short (asked for by number).
    eager: bool,
    progress: Option<Arc<dyn Progress>>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("pool", &self.pool)
            .field("eager", &self.eager)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

#[derive(Clone, Debug)]
enum Pool {
    Single,
    /// rayon's global pool: one thread a core, or `RAYON_NUM_THREADS`.
    Global,
    Own(Arc<rayon::ThreadPool>),
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// Every core (or `RAYON_NUM_THREADS` threads). The threads start with the first run
    /// long enough to use them, so short outputs start none.
    pub fn new() -> Self {
        Engine {
            pool: Pool::Global,
            eager: false,
            progress: None,
        }
    }

    /// Everything on the calling thread.
    pub fn single() -> Self {
        Engine {
            pool: Pool::Single,
            eager: false,
            progress: None,
        }
    }

    /// `threads` threads, whatever the number of cores (tests compare 1 with several), for
    /// any run of more than one chunk, however short. Falls back to one thread where threads cannot be started; the results are the same.
    pub fn with_threads(threads: usize) -> Self {
        if threads <= 1 {
            return Engine::single();
        }
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => Engine {
                pool: Pool::Own(Arc::new(pool)),
                eager: true,
                progress: None,
            },
            Err(_) => Engine::single(),
        }
    }

    /// The engine, telling `progress` how each of its runs is getting on.
    pub fn with_progress(self, progress: Arc<dyn Progress>) -> Self {
        Engine {
            progress: Some(progress),
            ..self
        }
    }

    /// What a run of `schedules` over `steps` costs (see [`Work`]).
    pub fn work(schedules: &[&dyn Schedule], steps: Steps) -> Work {
        let rows = steps.rows();
        let mut work = Work {
            rows,
            ..Work::default()
        };
        if rows == 0 {
            return work;
        }
        let span = steps.step_of(rows - 1) - steps.from + 1;
        for schedule in schedules.iter().filter(|s| !s.seekable()) {
            work.replay = work
                .replay
                .saturating_add(schedule.replay_length(steps.from));
            work.stream = work.stream.saturating_add(span);
        }
        work
    }

    /// How many threads map chunks.
    pub fn threads(&self) -> usize {
        match &self.pool {
            Pool::Single => 1,
            Pool::Global => rayon::current_num_threads(),
            Pool::Own(pool) => pool.current_num_threads(),
        }
    }

    /// Maps every chunk of `steps` of `schedules` (one chunk covers the same rows of each)
    /// with `map`, and hands the results to `fold` in row order. `map` must read every run
    /// it opens to its end: a stop is found among the points read.
    ///
    /// Returns the first error of `fold` (after which nothing more is folded), or the
    /// [`Stop`] where a schedule raises, after folding the chunk that holds the rows before it.
    pub fn run<T, E, M, F>(
        &self,
        schedules: &[&dyn Schedule],
        steps: Steps,
        grain: Grain,
        map: M,
        mut fold: F,
    ) -> Result<Option<Stop>, E>
    where
        T: Send,
        M: Fn(&Chunk<'_>) -> T + Sync,
        F: FnMut(T) -> Result<(), E>,
    {
        let rows = steps.rows();
        if rows == 0 || schedules.is_empty() {
            return Ok(None);
        }
        let meter = Meter::new(self.progress.as_deref(), &Engine::work(schedules, steps));
        let seekable = schedules.iter().all(|s| s.seekable());
        let long = if self.eager {
            rows > grain.chunk_rows()
        } else {
            rows >= grain.parallel_min_rows()
        };
        // `threads()` starts rayon's global pool: ask only for a run that would use it.
        let parallel = long && (seekable || grain == Grain::Text) && self.threads() > 1;
        match &self.pool {
            Pool::Global if parallel => rayon::in_place_scope(|scope| {
                ordered(
                    scope, self, schedules, steps, grain, &map, &mut fold, &meter,
                )
            }),
            Pool::Own(pool) if parallel => pool.in_place_scope(|scope| {
                ordered(
                    scope, self, schedules, steps, grain, &map, &mut fold, &meter,
                )
            }),
            _ => sequential(schedules, steps, grain, &map, &mut fold, &meter),
        }
    }
}

/// One thread: chunk after chunk, recursive schedules streaming straight from their
/// in-order form.
fn sequential<T, E>(
    schedules: &[&dyn Schedule],
    steps: Steps,
    grain: Grain,
    map: &(impl Fn(&Chunk<'_>) -> T + Sync),
    fold: &mut impl FnMut(T) -> Result<(), E>,
    meter: &Meter<'_>,
) -> Result<Option<Stop>, E> {
    let cursors: Vec<Option<RefCell<Cursor<'_>>>> = schedules
        .iter()
        .map(|&s| (!s.seekable()).then(|| RefCell::new(Cursor::new(s, steps, meter))))
        .collect();
    let rows = steps.rows();
    let mut first_row = 0;
    while first_row < rows {
        let end_row = (first_row + grain.chunk_rows()).min(rows);
        let sources = schedules
            .iter()
            .zip(&cursors)
            .map(|(&schedule, cursor)| match cursor {
                Some(cursor) => Source::Stream {
                    previous: cursor.borrow().last,
                    cursor,
                },
                None => Source::Seek(schedule),
            })
            .collect();
        let chunk = Chunk::new(steps, first_row, end_row, sources, None);
        let result = map(&chunk);
        // What `map` left of a stream is skipped, so the next chunk starts where it should.
        for cursor in cursors.iter().flatten() {
            let mut cursor = cursor.borrow_mut();
            if chunk.stop.borrow().is_none()
                && let Some(stop) = cursor.skip_to(end_row)
            {
                *chunk.stop.borrow_mut() = Some(stop);
            }
        }
        meter.fold(end_row - first_row, || fold(result))?;
        if let Some(stop) = chunk.stop.take() {
            return Ok(Some(stop));
        }
        first_row = end_row;
    }
    Ok(None)
}

/// Several threads: a window of chunk tasks in `scope`, folded in order on this thread.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, in `Engine::run`: a struct would only repeat the names"
)]
fn ordered<'s, T, E>(
    scope: &rayon::Scope<'s>,
    engine: &Engine,
    schedules: &'s [&'s dyn Schedule],
    steps: Steps,
    grain: Grain,
    map: &'s (impl Fn(&Chunk<'_>) -> T + Sync),
    fold: &mut impl FnMut(T) -> Result<(), E>,
    meter: &Meter<'_>,
) -> Result<Option<Stop>, E>
where
    T: Send + 's,
{
    // A task's result, its stop, and the point buffers it is done with.
    type Done<T> = std::thread::Result<(T, Option<Stop>, Vec<Vec<Point>>)>;
    let rows = steps.rows();
    let chunk_rows = grain.chunk_rows();
    let chunks = rows.div_ceil(chunk_rows);
    let window = (engine.threads() * WINDOW_PER_THREAD) as u64;
    // Recursive schedules are evaluated here, in order; seekable ones by the tasks.
    let mut cursors: Vec<Option<Cursor<'_>>> = schedules
        .iter()
        .map(|&s| (!s.seekable()).then(|| Cursor::new(s, steps, meter)))
        .collect();
    let (sender, receiver) = mpsc::channel::<(u64, Done<T>)>();
    let mut waiting: VecDeque<Option<Done<T>>> = VecDeque::new();
    // Point buffers of streamed chunks, reused: a fresh one a chunk costs page faults.
    let mut spare: Vec<Vec<Point>> = Vec::new();
    let mut next_spawn = 0u64;
    let mut next_fold = 0u64;
    // The last chunk to spawn: fewer when a streamed schedule stops early.
    let mut end = chunks;
    loop {
        while next_spawn < end && next_spawn < next_fold + window {
            let first_row = next_spawn * chunk_rows;
            let end_row = (first_row + chunk_rows).min(rows);
            let mut stop = None;
            let mut evaluated: Vec<Option<(Option<Point>, Vec<Point>)>> = Vec::new();
            for cursor in &mut cursors {
                evaluated.push(cursor.as_mut().map(|cursor| {
                    let previous = cursor.last;
                    let mut points = spare.pop().unwrap_or_default();
                    points.clear();
                    if let Some(s) = cursor.take(end_row - first_row, &mut points) {
                        stop = earlier(stop.take(), s);
                    }
                    (previous, points)
                }));
            }
            if stop.is_some() {
                end = next_spawn + 1;
            }
            let sender = sender.clone();
            let chunk_index = next_spawn;
            scope.spawn(move |_| {
                let done = panic::catch_unwind(AssertUnwindSafe(|| {
                    let sources = schedules
                        .iter()
                        .zip(evaluated)
                        .map(|(&schedule, evaluated)| match evaluated {
                            Some((previous, points)) => Source::Points { previous, points },
                            None => Source::Seek(schedule),
                        })
                        .collect();
                    let chunk = Chunk::new(steps, first_row, end_row, sources, stop);
                    let result = map(&chunk);
                    let stop = chunk.stop.take();
                    let buffers = chunk
                        .sources
                        .into_iter()
                        .filter_map(|source| match source {
                            Source::Points { points, .. } => Some(points),
                            _ => None,
                        })
                        .collect();
                    (result, stop, buffers)
                }));
                // The receiver is gone only when the fold has failed and nobody waits.
                let _ = sender.send((chunk_index, done));
            });
            waiting.push_back(None);
            next_spawn += 1;
        }
        if next_fold == next_spawn {
            return Ok(None);
        }
        while waiting.front().is_some_and(Option::is_none) {
            // Every task sends exactly once (a panic is caught and sent), so this returns.
            let Ok((index, done)) = receiver.recv() else {
                break;
            };
            if let Some(slot) = waiting.get_mut((index - next_fold) as usize) {
                *slot = Some(done);
            }
        }
        let Some(Some(done)) = waiting.pop_front() else {
            return Ok(None);
        };
        let (result, stop, buffers) = match done {
            Ok(done) => done,
            Err(payload) => panic::resume_unwind(payload),
        };
        spare.extend(buffers);
        let first_row = next_fold * chunk_rows;
        meter.fold((first_row + chunk_rows).min(rows) - first_row, || {
            fold(result)
        })?;
        if stop.is_some() {
            return Ok(stop);
        }
        next_fold += 1;
    }
}

/// The stop at the earlier step.
fn earlier(a: Option<Stop>, b: Stop) -> Option<Stop> {
    match a {
        Some(a) if a.step <= b.step => Some(a),
        _ => Some(b),
    }
}

/// Where the first of `points` lies at which `schedule` raises, and why. A NaN lr or
/// multiplier is rare, so the common case is one pass of comparisons over the batch.
fn first_error(schedule: &dyn Schedule, points: &[Point]) -> Option<(usize, Stop)> {
    let nan = |p: &Point| p.lr.is_nan() || p.multiplier.is_nan();
    // `|` rather than `||` and `any`: no branch a point, so the scan vectorises.
    let any_nan = points.iter().fold(false, |seen, p| {
        seen | p.lr.is_nan() | p.multiplier.is_nan()
    });
    if !any_nan {
        return None;
    }
    points.iter().enumerate().find_map(|(i, p)| {
        let error = schedule.error_at(p.step).filter(|_| nan(p))?;
        Some((
            i,
            Stop {
                step: p.step,
                error,
            },
        ))
    })
}

/// A stream of points handed out in row order.
trait Take {
    /// Appends the next `n` rows' points to `out`; the stop, if the schedule raises there
    /// (the points before it are appended).
    fn take(&self, n: u64, out: &mut Vec<Point>) -> Option<Stop>;
}

impl Take for RefCell<Cursor<'_>> {
    fn take(&self, n: u64, out: &mut Vec<Point>) -> Option<Stop> {
        self.borrow_mut().take(n, out)
    }
}

/// A recursive schedule's points in row order, from its streaming form.
struct Cursor<'a> {
    schedule: &'a dyn Schedule,
    points: Box<dyn Iterator<Item = Point> + Send + 'a>,
    steps: Steps,
    /// The step `points` yields next.
    position: u64,
    next_row: u64,
    /// The point of the row before `next_row`.
    last: Option<Point>,
    stopped: bool,
    /// Told of the steps replayed, skipped and streamed.
    meter: &'a Meter<'a>,
}

impl<'a> Cursor<'a> {
    fn new(schedule: &'a dyn Schedule, steps: Steps, meter: &'a Meter<'a>) -> Self {
        let mut replayed = 0;
        let points = schedule.points_replaying(steps.from, &mut |done| {
            meter.add(done - replayed);
            replayed = done;
        });
        Cursor {
            schedule,
            points,
            steps,
            position: steps.from,
            next_row: 0,
            last: None,
            stopped: false,
            meter,
        }
    }

    /// Appends the next `n` rows' points to `out`; the stop, if the schedule raises there
    /// (the points before it are appended).
    fn take(&mut self, n: u64, out: &mut Vec<Point>) -> Option<Stop> {
        if self.stopped {
            return None;
        }
        let start = out.len();
        let end_row = (self.next_row + n).min(self.steps.rows());
        if self.steps.every <= 1 {
            let count = (end_row - self.next_row) as usize;
            out.extend(self.points.by_ref().take(count));
            self.position += (out.len() - start) as u64;
            self.meter.add((out.len() - start) as u64);
        } else {
            'rows: while self.next_row + ((out.len() - start) as u64) < end_row {
                let step = self
                    .steps
                    .step_of(self.next_row + (out.len() - start) as u64);
                // A long skip a block at a time, so that its progress shows.
                while step - self.position > SKIP_BLOCK {
                    if self.points.nth(SKIP_BLOCK as usize - 1).is_none() {
                        break 'rows;
                    }
                    self.position += SKIP_BLOCK;
                    self.meter.add(SKIP_BLOCK);
                }
                let skipped = step - self.position;
                let Some(point) = self.points.nth(skipped as usize) else {
                    break;
                };
                self.meter.add(skipped + 1);
                self.position = step + 1;
                out.push(point);
            }
        }

        let stop = first_error(self.schedule, &out[start..]).map(|(i, stop)| {
            out.truncate(start + i);
            self.stopped = true;
            stop
        });
        self.next_row += (out.len() - start) as u64;
        self.last = out.last().copied().or(self.last);
        stop
    }

    /// Skips to row `row`, still stopping where the schedule raises.
    fn skip_to(&mut self, row: u64) -> Option<Stop> {
        let mut scratch = Vec::with_capacity(BATCH);
        while self.next_row < row && !self.stopped {
            scratch.clear();
            let n = (row - self.next_row).min(BATCH as u64);
            if let Some(stop) = self.take(n, &mut scratch) {
                return Some(stop);
            }
            if scratch.is_empty() {
                break;
            }
        }
        None
    }
}

/// How a chunk gets one schedule's points.
enum Source<'a> {
    /// By random access, in batches.
    Seek(&'a dyn Schedule),
    /// Evaluated in order already, by the thread that folds.
    Points {
        previous: Option<Point>,
        points: Vec<Point>,
    },
    /// Straight from the in-order form (one thread).
    Stream {
        previous: Option<Point>,
        cursor: &'a (dyn Take + 'a),
    },
}

/// Rows `first_row .. end_row` of a run, for each of its schedules.
pub struct Chunk<'a> {
    steps: Steps,
    first_row: u64,
    end_row: u64,
    sources: Vec<Source<'a>>,
    stop: RefCell<Option<Stop>>,
}

impl<'a> Chunk<'a> {
    fn new(
        steps: Steps,
        first_row: u64,
        end_row: u64,
        sources: Vec<Source<'a>>,
        stop: Option<Stop>,
    ) -> Self {
        Chunk {
            steps,
            first_row,
            end_row,
            sources,
            stop: RefCell::new(stop),
        }
    }

    /// The index of the chunk's first row in the run (0 for the first chunk).
    pub fn first_row(&self) -> u64 {
        self.first_row
    }

    /// How many rows the chunk covers.
    pub fn len(&self) -> u64 {
        self.end_row - self.first_row
    }

    /// True when the chunk has no rows (never, for a chunk handed to a map).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The point of the row just before the chunk for schedule `which`, or `None` for the
    /// first chunk.
    pub fn previous(&self, which: usize) -> Option<Point> {
        if self.first_row == 0 {
            return None;
        }
        match self.sources.get(which)? {
            Source::Seek(schedule) => Some(schedule.at(self.steps.step_of(self.first_row - 1))),
            Source::Points { previous, .. } | Source::Stream { previous, .. } => *previous,
        }
    }

    /// The chunk's points of schedule `which` (an index into the run's schedules), in
    /// order. A run ends early where the schedule raises; the run as a whole then stops.
    pub fn points(&self, which: usize) -> Run<'_> {
        let source = match self.sources.get(which) {
            Some(Source::Seek(schedule)) => RunSource::Seek(*schedule),
            Some(Source::Points { points, .. }) => RunSource::Slice(points),
            Some(Source::Stream { cursor, .. }) => RunSource::Stream(*cursor),
            None => RunSource::Slice(&[]),
        };
        Run {
            source,
            steps: self.steps,
            first_row: self.first_row,
            next_row: self.first_row,
            end_row: self.end_row,
            batch: Vec::new(),
            position: 0,
            stop: &self.stop,
        }
    }
}

enum RunSource<'c> {
    Seek(&'c dyn Schedule),
    Slice(&'c [Point]),
    Stream(&'c (dyn Take + 'c)),
}

/// One schedule's points over a chunk, in order: a batch at a time ([`Run::next_batch`])
/// or a point at a time (as an iterator).
pub struct Run<'c> {
    source: RunSource<'c>,
    steps: Steps,
    first_row: u64,
    next_row: u64,
    end_row: u64,
    batch: Vec<Point>,
    position: usize,
    stop: &'c RefCell<Option<Stop>>,
}

impl Run<'_> {
    /// The next points, or `None` at the end of the chunk.
    pub fn next_batch(&mut self) -> Option<&[Point]> {
        let n = self.end_row.saturating_sub(self.next_row).min(BATCH as u64) as usize;
        if n == 0 {
            return None;
        }
        self.position = 0;
        match &self.source {
            RunSource::Seek(schedule) => {
                let blank = Point {
                    step: 0,
                    multiplier: 0.0,
                    lr: 0.0,
                };
                // Overwritten whole by `fill`: only a shorter last batch shrinks it.
                self.batch.resize(n, blank);
                if self.steps.every <= 1 {
                    schedule.fill(self.steps.step_of(self.next_row), &mut self.batch);
                } else {
                    for (row, point) in (self.next_row..).zip(self.batch.iter_mut()) {
                        *point = schedule.at(self.steps.step_of(row));
                    }
                }
                if let Some((i, stop)) = first_error(*schedule, &self.batch) {
                    self.batch.truncate(i);
                    self.halt(stop);
                }
            }
            RunSource::Slice(points) => {
                self.batch.clear();
                // Checked already by the thread that evaluated them.
                let start = ((self.next_row - self.first_row) as usize).min(points.len());
                let end = (start + n).min(points.len());
                self.batch.extend_from_slice(&points[start..end]);
            }
            RunSource::Stream(cursor) => {
                self.batch.clear();
                let stop = cursor.take(n as u64, &mut self.batch);
                if let Some(stop) = stop {
                    self.halt(stop);
                }
            }
        }
        if self.batch.len() < n {
            // A stop, or a stream that ended early: nothing follows in this chunk.
            self.end_row = self.next_row + self.batch.len() as u64;
        }
        if self.batch.is_empty() {
            return None;
        }
        self.next_row += self.batch.len() as u64;
        Some(&self.batch)
    }

    fn halt(&mut self, stop: Stop) {
        let mut slot = self.stop.borrow_mut();
        *slot = earlier(slot.take(), stop);
    }
}

impl Iterator for Run<'_> {
    type Item = Point;

    #[inline]
    fn next(&mut self) -> Option<Point> {
        if self.position == self.batch.len() {
            self.next_batch()?;
        }
        let point = self.batch[self.position];
        self.position += 1;
        Some(point)
    }

    /// A batch at a time: the loop over each batch is a plain loop over a slice, which is
    /// what `for_each` and the other consuming adapters run.
    #[inline]
    fn fold<B, G: FnMut(B, Point) -> B>(mut self, init: B, mut g: G) -> B {
        let start = self.position.min(self.batch.len());
        let mut acc = self.batch[start..].iter().fold(init, |acc, &p| g(acc, p));
        while let Some(batch) = self.next_batch() {
            acc = batch.iter().fold(acc, |acc, &p| g(acc, p));
        }
        acc
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt;

    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    /// A test schedule: `lr = step % 1000 / 1000`, NaN from `nan_at` on, where the home
    /// library raises (`error_at`) when `raises`; seekable or streaming only.
    pub(crate) struct Raising {
        pub nan_at: u64,
        pub raises: bool,
        pub seekable: bool,
    }

    impl fmt::Debug for Raising {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Raising")
        }
    }

    impl Schedule for Raising {
        fn at(&self, step: u64) -> Point {
            let lr = if step >= self.nan_at {
                f64::NAN
            } else {
                (step % 1000) as f64 / 1000.0
            };
            Point::from_lr(step, lr, 1.0)
        }

        fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
            Box::new((from..=u64::MAX).map(|step| self.at(step)))
        }

        fn seekable(&self) -> bool {
            self.seekable
        }

        fn error_at(&self, step: u64) -> Option<Error> {
            (self.raises && step >= self.nan_at)
                .then(|| Error::input(format!("float division by zero (step {step})")))
        }
    }

    fn engines() -> [Engine; 3] {
        [
            Engine::single(),
            Engine::with_threads(2),
            Engine::with_threads(3),
        ]
    }

    /// (previous step, first step, last step, rows) of a chunk.
    type Seen = (Option<u64>, u64, u64, u64);

    /// What every chunk saw, in fold order, and the step where the run stopped.
    fn chunks_seen(
        engine: &Engine,
        schedule: &dyn Schedule,
        steps: Steps,
        grain: Grain,
    ) -> (Vec<Seen>, Option<u64>) {
        let mut seen = Vec::new();
        let map = |chunk: &Chunk<'_>| {
            let steps: Vec<u64> = chunk.points(0).map(|p| p.step).collect();
            (
                chunk.previous(0).map(|p| p.step),
                steps.first().copied().unwrap_or(u64::MAX),
                steps.last().copied().unwrap_or(u64::MAX),
                steps.len() as u64,
            )
        };
        let stop = engine.run(&[schedule], steps, grain, map, |r| {
            seen.push(r);
            Ok::<(), ()>(())
        });
        (seen, stop.ok().flatten().map(|s| s.step))
    }

    #[test]
    fn chunks_cover_every_row_once_in_order_with_their_predecessor() -> crate::error::Result<()> {
        let c = Grain::Reduce.chunk_rows();
        let ctx = Context {
            steps: 3 * c,
            base_lr: 1.0,
            warmup: 0,
        };
        let expr = ExprSchedule::new("step", &ctx)?;
        let streaming = Raising {
            nan_at: u64::MAX,
            raises: false,
            seekable: false,
        };
        let steps = Steps {
            from: 5,
            to: 2 * c + 7,
            every: 1,
        };
        let want = [
            (None, 5, c + 4, c),
            (Some(c + 4), c + 5, 2 * c + 4, c),
            (Some(2 * c + 4), 2 * c + 5, 2 * c + 6, 2),
        ];
        for engine in engines() {
            let threads = engine.threads();
            let seen = chunks_seen(&engine, &expr, steps, Grain::Reduce);
            assert_eq!(seen, (want.to_vec(), None), "{threads} threads");
            let seen = chunks_seen(&engine, &streaming, steps, Grain::Reduce);
            assert_eq!(seen, (want.to_vec(), None), "streaming, {threads} threads");
        }
        // Text chunks, every 3rd step: the predecessor is the previous row.
        let t = Grain::Text.chunk_rows();
        let steps = Steps {
            from: 1,
            to: 3 * (20 * t - 1) + 2,
            every: 3,
        };
        for schedule in [&expr as &dyn Schedule, &streaming] {
            let single = chunks_seen(&Engine::single(), schedule, steps, Grain::Text);
            assert_eq!(single.0.len(), 20);
            assert_eq!(
                single.0[1],
                (Some(1 + 3 * (t - 1)), 1 + 3 * t, 1 + 3 * (2 * t - 1), t)
            );
            for engine in engines() {
                assert_eq!(chunks_seen(&engine, schedule, steps, Grain::Text), single);
            }
        }
        Ok(())
    }

    #[test]
    fn a_run_stops_where_the_schedule_raises() {
        let t = Grain::Text.chunk_rows();
        for nan_at in [0, 7, t + 3, 15 * t] {
            for seekable in [true, false] {
                let raising = Raising {
                    nan_at,
                    raises: true,
                    seekable,
                };
                for engine in engines() {
                    let (seen, stop) =
                        chunks_seen(&engine, &raising, Steps::all(20 * t), Grain::Text);
                    assert_eq!(stop, Some(nan_at), "nan at {nan_at}, seekable {seekable}");
                    let rows: u64 = seen.iter().map(|c| c.3).sum();
                    assert_eq!(rows, nan_at, "every row before the stop is folded");
                }
                // A NaN the library computes without raising is a value like any other.
                let quiet = Raising {
                    raises: false,
                    ..raising
                };
                let (seen, stop) =
                    chunks_seen(&Engine::single(), &quiet, Steps::all(3 * t), Grain::Text);
                assert_eq!((seen.iter().map(|c| c.3).sum::<u64>(), stop), (3 * t, None));
            }
        }
        // With `every`, the stop is the first raising step taken.
        let raising = Raising {
            nan_at: 10,
            raises: true,
            seekable: true,
        };
        let steps = Steps {
            from: 0,
            to: 100,
            every: 4,
        };
        assert_eq!(
            chunks_seen(&Engine::single(), &raising, steps, Grain::Text).1,
            Some(12)
        );
    }

    #[test]
    fn counts_rows_with_the_last_step() {
        let s = |from, to, every| Steps { from, to, every };
        assert_eq!(s(0, 10, 1).rows(), 10);
        assert_eq!(s(0, 10, 4).rows(), 4); // 0 4 8 9
        assert_eq!(s(0, 9, 4).rows(), 3); // 0 4 8
        assert_eq!(s(3, 4, 5).rows(), 1);
        assert_eq!(s(5, 5, 1).rows(), 0);
        assert_eq!(s(0, 10, 4).step_of(3), 9);
        assert_eq!(s(2, 10, 4).step_of(1), 6);
        assert_eq!(s(2, 100, 4).first_rows(3), s(2, 11, 4));
        assert_eq!(s(2, 100, 4).first_rows(3).rows(), 3);
        assert_eq!(s(2, 10, 4).first_rows(30), s(2, 10, 4));
        assert_eq!(s(2, 10, 4).first_rows(0).rows(), 0);
    }

    /// What a progress is told, in order.
    #[derive(Debug, Default)]
    struct Told {
        events: std::sync::Mutex<Vec<(char, u64)>>,
    }

    impl Told {
        fn take(&self) -> Vec<(char, u64)> {
            self.events
                .lock()
                .map(|mut e| std::mem::take(&mut *e))
                .unwrap_or_default()
        }

        fn push(&self, event: (char, u64)) {
            if let Ok(mut events) = self.events.lock() {
                events.push(event);
            }
        }
    }

    impl Progress for Told {
        fn start(&self, work: &Work) {
            self.push(('s', work.total()));
        }
        fn advance(&self, done: u64) {
            self.push(('a', done));
        }
        fn fold(&self, fold: &mut dyn FnMut()) {
            self.push(('f', 0));
            fold();
        }
        fn finish(&self) {
            self.push(('e', 0));
        }
    }

    /// A run tells its progress from start to finish, in counts that only grow up to the
    /// work counted before it, through the replay of a recursive schedule up to `from`,
    /// and gives the same rows with a progress as without.
    #[test]
    fn progress_is_told_from_the_replay_to_the_last_fold() -> crate::error::Result<()> {
        let from = (1 << 22) + 5;
        let description = crate::description::Partial {
            schedule: Some("ExponentialLR".into()),
            params: vec![(
                "gamma".into(),
                crate::schedule::params::Raw::Text("0.999999".into()),
            )],
            steps: Some(from + 3 * Grain::Text.chunk_rows()),
            ..Default::default()
        }
        .resolve()?;
        let schedule = description.schedule();
        let steps = Steps {
            from,
            to: description.ctx().steps,
            every: 1,
        };
        let work = Engine::work(&[schedule], steps);
        assert_eq!(
            work,
            Work {
                replay: from,
                stream: steps.rows(),
                rows: steps.rows()
            }
        );
        let rows = |engine: &Engine| {
            let mut seen = Vec::new();
            let map = |chunk: &Chunk<'_>| chunk.points(0).map(|p| p.lr.to_bits()).collect();
            let _ = engine.run(&[schedule], steps, Grain::Text, map, |part: Vec<u64>| {
                seen.extend(part);
                Ok::<(), ()>(())
            });
            seen
        };
        let want = rows(&Engine::single());
        for engine in engines() {
            let told = Arc::new(Told::default());
            let threads = engine.threads();
            let with = engine.with_progress(Arc::clone(&told) as Arc<dyn Progress>);
            assert_eq!(rows(&with), want, "{threads} threads");
            let events = told.take();
            assert_eq!(events.first(), Some(&('s', work.total())));
            assert_eq!(events.last(), Some(&('e', 0)));
            let advances: Vec<u64> = events.iter().filter(|e| e.0 == 'a').map(|e| e.1).collect();
            assert!(advances.windows(2).all(|w| w[0] < w[1]), "{advances:?}");
            assert!(advances.iter().all(|&a| a <= work.total()));
            // Told during the replay, before the first fold.
            let first_fold = events.iter().position(|e| e.0 == 'f');
            let replayed = events.iter().position(|e| e.0 == 'a' && e.1 <= from);
            assert!(replayed.is_some() && replayed < first_fold, "{events:?}");
            assert_eq!(events.iter().filter(|e| e.0 == 'f').count(), 3);
        }
        Ok(())
    }

    fn steps_taken(steps: Steps) -> Vec<u64> {
        let schedule = Raising {
            nan_at: u64::MAX,
            raises: false,
            seekable: false,
        };
        let mut seen = Vec::new();
        let map = |chunk: &Chunk<'_>| chunk.points(0).map(|p| p.step).collect::<Vec<_>>();
        let _ = Engine::single().run(&[&schedule], steps, Grain::Text, map, |part| {
            seen.extend(part);
            Ok::<(), ()>(())
        });
        seen
    }

    #[test]
    fn every_keeps_the_last_step() {
        let s = |from, to, every| Steps { from, to, every };
        assert_eq!(steps_taken(s(0, 10, 4)), [0, 4, 8, 9]);
        assert_eq!(steps_taken(s(0, 9, 4)), [0, 4, 8]);
        assert_eq!(steps_taken(s(3, 6, 1)), [3, 4, 5]);
        assert_eq!(steps_taken(s(5, 5, 1)), Vec::<u64>::new());
        assert_eq!(steps_taken(s(0, 1, 7)), [0]);
    }
}
