//! Row formats (CSV, JSON) and the writer that streams them, on one core or on all of them.
//!
//! A [`RowFormat`] turns one point into bytes. [`write_rows`] evaluates and formats the
//! requested steps and writes them in order. Large outputs are cut into chunks of rows that
//! worker threads format in parallel; the calling thread writes the chunks in order, so the
//! output is the same byte for byte as on one core, and memory stays bounded by a few
//! chunks a worker. Schedules with O(1) random access ([`Schedule::seekable`]) are also
//! evaluated by the workers; recursive ones (torch's chainable schedulers) are evaluated in
//! order by one thread and only formatted in parallel.

use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::{PointWriter, Steps, for_each_point};
use crate::error::Result;
use crate::schedule::{Point, Schedule};

/// Turns points into bytes.
pub trait RowFormat: Sync {
    /// Bytes before the first row.
    fn header(&self, out: &mut Vec<u8>);
    /// One row; `first` is true for the first row of the output.
    fn row(&self, point: &Point, first: bool, out: &mut Vec<u8>);
    /// Bytes after the last row.
    fn footer(&self, out: &mut Vec<u8>);
}

/// Rows per chunk: about 0.8 MB of CSV, small enough to keep peak memory low with a few
/// chunks in flight, large enough that handing chunks between threads costs nothing.
const CHUNK_ROWS: u64 = 16 * 1024;

/// Below this many rows one thread is faster: starting threads costs more than it saves.
const PARALLEL_MIN_ROWS: u64 = 200_000;

/// A [`PointWriter`] for a [`RowFormat`], formatting into a buffer handed over in 64 KiB
/// blocks.
pub struct RowWriter<F: RowFormat, W: Write> {
    format: F,
    buf: Vec<u8>,
    out: W,
    first: bool,
}

const FLUSH_AT: usize = 1 << 16;

impl<F: RowFormat, W: Write> RowWriter<F, W> {
    /// Writes `format`'s rows into `out`.
    pub fn new(format: F, out: W) -> Self {
        RowWriter {
            format,
            buf: Vec::with_capacity(FLUSH_AT + 256),
            out,
            first: true,
        }
    }
}

impl<F: RowFormat, W: Write> PointWriter for RowWriter<F, W> {
    fn begin(&mut self) -> io::Result<()> {
        self.format.header(&mut self.buf);
        Ok(())
    }

    #[inline]
    fn point(&mut self, point: &Point) -> io::Result<()> {
        self.format.row(point, self.first, &mut self.buf);
        self.first = false;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.format.footer(&mut self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// How many rows `steps` writes.
pub fn row_count(steps: Steps) -> u64 {
    if steps.from >= steps.to {
        return 0;
    }
    let every = steps.every.max(1);
    let span = steps.to - 1 - steps.from;
    span / every + 1 + u64::from(!span.is_multiple_of(every))
}

/// The step of row `row` of `steps`: `from + row * every`, or the last step.
fn row_step(steps: Steps, row: u64) -> u64 {
    steps
        .from
        .saturating_add(row.saturating_mul(steps.every.max(1)))
        .min(steps.to - 1)
}

/// Evaluates `schedule` over `steps` and writes the rows of `format` to `out`, on up to
/// `threads` threads (1 for the plain single-threaded stream).
pub fn write_rows<F: RowFormat>(
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    out: &mut dyn Write,
    threads: usize,
) -> Result<()> {
    let plan = Plan {
        threads,
        chunk_rows: CHUNK_ROWS,
        parallel_min_rows: PARALLEL_MIN_ROWS,
    };
    write_rows_planned(schedule, steps, format, out, plan)
}

/// How to split the work.
#[derive(Clone, Copy, Debug)]
struct Plan {
    threads: usize,
    chunk_rows: u64,
    parallel_min_rows: u64,
}

fn write_rows_planned<F: RowFormat>(
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    out: &mut dyn Write,
    plan: Plan,
) -> Result<()> {
    let rows = row_count(steps);
    let threads = plan.threads;
    if !schedule.seekable() && (threads <= 1 || rows < plan.parallel_min_rows) {
        let mut writer = RowWriter::new(Borrowed(format), out);
        return super::write_points(schedule, steps, &mut writer);
    }
    let mut head = Vec::new();
    format.header(&mut head);
    out.write_all(&head)?;
    if threads <= 1 || rows < plan.parallel_min_rows {
        // One thread, a chunk at a time, through the same batched path as the workers.
        let mut bytes = Vec::with_capacity(plan.chunk_rows as usize * 48);
        let mut row = 0;
        while row < rows {
            let end = (row + plan.chunk_rows).min(rows);
            format_rows(schedule, steps, format, row..end, &mut bytes);
            out.write_all(&bytes)?;
            bytes.clear();
            row = end;
        }
    } else {
        parallel(schedule, steps, format, out, plan, rows)?;
    }
    let mut tail = Vec::new();
    format.footer(&mut tail);
    out.write_all(&tail)?;
    out.flush()?;
    Ok(())
}

/// A borrowed format is a format.
struct Borrowed<'a, F>(&'a F);

impl<F: RowFormat> RowFormat for Borrowed<'_, F> {
    fn header(&self, out: &mut Vec<u8>) {
        self.0.header(out);
    }
    #[inline]
    fn row(&self, point: &Point, first: bool, out: &mut Vec<u8>) {
        self.0.row(point, first, out);
    }
    fn footer(&self, out: &mut Vec<u8>) {
        self.0.footer(out);
    }
}

/// What a worker is given: rows to evaluate itself, or points already evaluated in order.
enum Job {
    Rows { first_row: u64, end_row: u64 },
    Points { first_row: u64, points: Vec<Point> },
}

fn parallel<F: RowFormat>(
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    out: &mut dyn Write,
    plan: Plan,
    rows: u64,
) -> Result<()> {
    let Plan {
        threads,
        chunk_rows,
        ..
    } = plan;
    let chunks = rows.div_ceil(chunk_rows);
    let seekable = schedule.seekable();
    thread::scope(|scope| -> Result<()> {
        let mut job_senders = Vec::with_capacity(threads);
        let mut result_receivers: Vec<Receiver<Vec<u8>>> = Vec::with_capacity(threads);
        for _ in 0..threads {
            // One chunk queued a worker, each way: enough to keep every core busy, few
            // enough that memory stays flat.
            let (job_tx, job_rx) = sync_channel::<Job>(1);
            let (result_tx, result_rx) = sync_channel::<Vec<u8>>(1);
            job_senders.push(job_tx);
            result_receivers.push(result_rx);
            scope.spawn(move || work(schedule, steps, format, chunk_rows, &job_rx, &result_tx));
        }
        scope.spawn(move || dispatch(schedule, steps, rows, chunk_rows, seekable, job_senders));
        for chunk in 0..chunks {
            let receiver = &result_receivers[(chunk % threads as u64) as usize];
            // A worker stops early only when its result channel is closed, which cannot
            // happen while this loop holds the receiver.
            let bytes = receiver
                .recv()
                .map_err(|_| io::Error::other("an output thread stopped early"))?;
            out.write_all(&bytes)?;
        }
        Ok(())
        // Returning (also with an error) drops the receivers: workers and the dispatcher
        // see their channels closed and stop, and the scope joins them.
    })
}

/// Hands chunk `c` to worker `c % threads`: as a row range for a seekable schedule, or as
/// points evaluated here, in order, for a recursive one.
fn dispatch(
    schedule: &dyn Schedule,
    steps: Steps,
    rows: u64,
    chunk_rows: u64,
    seekable: bool,
    workers: Vec<SyncSender<Job>>,
) {
    let threads = workers.len() as u64;
    if seekable {
        let mut first_row = 0;
        let mut chunk = 0u64;
        while first_row < rows {
            let end_row = (first_row + chunk_rows).min(rows);
            if workers[(chunk % threads) as usize]
                .send(Job::Rows { first_row, end_row })
                .is_err()
            {
                return;
            }
            first_row = end_row;
            chunk += 1;
        }
        return;
    }
    let mut batch = Vec::with_capacity(chunk_rows as usize);
    let mut first_row = 0u64;
    let mut chunk = 0u64;
    let _: Result<(), ()> = for_each_point(schedule, steps, |p| {
        batch.push(*p);
        if batch.len() as u64 == chunk_rows {
            let points = std::mem::replace(&mut batch, Vec::with_capacity(chunk_rows as usize));
            let job = Job::Points { first_row, points };
            workers[(chunk % threads) as usize]
                .send(job)
                .map_err(|_| ())?;
            first_row += chunk_rows;
            chunk += 1;
        }
        Ok(())
    });
    if !batch.is_empty() {
        let _ = workers[(chunk % threads) as usize].send(Job::Points {
            first_row,
            points: batch,
        });
    }
}

fn work<F: RowFormat>(
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    chunk_rows: u64,
    jobs: &Receiver<Job>,
    results: &SyncSender<Vec<u8>>,
) {
    while let Ok(job) = jobs.recv() {
        let mut bytes = Vec::with_capacity(chunk_rows as usize * 48);
        match job {
            Job::Rows { first_row, end_row } => {
                format_rows(schedule, steps, format, first_row..end_row, &mut bytes);
            }
            Job::Points { first_row, points } => {
                for (i, point) in points.iter().enumerate() {
                    format.row(point, first_row == 0 && i == 0, &mut bytes);
                }
            }
        }
        if results.send(bytes).is_err() {
            return;
        }
    }
}

/// Evaluates rows `rows` of a seekable schedule and formats them into `bytes`.
fn format_rows<F: RowFormat>(
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    rows: Range<u64>,
    bytes: &mut Vec<u8>,
) {
    if steps.every > 1 {
        for row in rows {
            let point = schedule.at(row_step(steps, row));
            format.row(&point, row == 0, bytes);
        }
        return;
    }
    // Consecutive steps: a batch at a time, one call into the schedule each.
    let blank = Point {
        step: 0,
        multiplier: 0.0,
        lr: 0.0,
    };
    let mut batch = [blank; 512];
    let mut row = rows.start;
    while row < rows.end {
        let n = (rows.end - row).min(batch.len() as u64) as usize;
        schedule.fill(row_step(steps, row), &mut batch[..n]);
        for (i, point) in batch[..n].iter().enumerate() {
            format.row(point, row + i as u64 == 0, bytes);
        }
        row += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::{Description, Partial};
    use crate::output::csv::Csv;
    use crate::output::json::Json;
    use crate::schedule::params::Raw;

    fn output(partial: &Partial, steps: Steps, format: &impl RowFormat, threads: usize) -> Vec<u8> {
        let schedule = partial
            .resolve()
            .map(Description::into_schedule)
            .expect("valid schedule");
        let mut out = Vec::new();
        write_rows(schedule.as_ref(), steps, format, &mut out, threads).expect("writes to a Vec");
        out
    }

    /// Parallel output is the single-threaded output, byte for byte, for closed-form and
    /// recursive schedules, with and without --from and --every.
    #[test]
    fn parallel_output_is_the_sequential_output() {
        let n = 10_017;
        let expr = Partial {
            expr: Some("0.5*(1+cos(pi*step/steps))".into()),
            warmup: Some(100),
            steps: Some(n),
            ..Partial::default()
        };
        let recursive = Partial {
            schedule: Some("CosineAnnealingLR".into()),
            params: vec![("T_max".into(), Raw::Text("1000".into()))],
            warmup: Some(10),
            steps: Some(n),
            ..Partial::default()
        };
        let json = Json::document(&serde_json::json!({"x": 1}));
        for partial in [&expr, &recursive] {
            for steps in [
                Steps::all(n),
                Steps {
                    from: 12_345,
                    to: n,
                    every: 1,
                },
                Steps {
                    from: 7,
                    to: n,
                    every: 3,
                },
            ] {
                let single = output(partial, steps, &Csv, 1);
                assert_eq!(
                    single.iter().filter(|&&b| b == b'\n').count() as u64,
                    row_count(steps) + 1
                );
                for threads in [2, 3] {
                    assert!(
                        output(partial, steps, &Csv, threads) == single,
                        "csv, {threads} threads, {steps:?}"
                    );
                }
                let single = output(partial, steps, &json, 1);
                assert!(
                    output(partial, steps, &json, 2) == single,
                    "json, {steps:?}"
                );
                serde_json::from_slice::<serde_json::Value>(&single).expect("valid JSON");
                assert!(
                    output(partial, steps, &Json::lines(), 2)
                        == output(partial, steps, &Json::lines(), 1)
                );
            }
        }
    }

    #[test]
    fn counts_rows_with_the_last_step() {
        let s = |from, to, every| Steps { from, to, every };
        assert_eq!(row_count(s(0, 10, 1)), 10);
        assert_eq!(row_count(s(0, 10, 4)), 4); // 0 4 8 9
        assert_eq!(row_count(s(0, 9, 4)), 3); // 0 4 8
        assert_eq!(row_count(s(3, 4, 5)), 1);
        assert_eq!(row_count(s(5, 5, 1)), 0);
        assert_eq!(row_step(s(0, 10, 4), 3), 9);
        assert_eq!(row_step(s(2, 10, 4), 1), 6);
    }
}
