//! Output formats, one module each behind one small trait, [`Format`]: a format turns rows
//! into bytes, and [`write()`] streams a schedule's rows through the engine, so any number of
//! steps is written in constant memory. Only the plot reduces points (to screen columns).

pub mod csv;
pub mod json;
pub mod legend;
pub mod plot;
pub mod svg;
pub mod table;

use std::io::{self, Write};
use std::sync::Mutex;

use crate::engine::{Engine, Grain};
use crate::error::Result;
use crate::schedule::{Point, Schedule};

pub use crate::engine::Steps;

/// Turns rows into bytes: a header, one row at a time, a footer. Formats of schedule points
/// have `Row = Point` and `End = ()`; the training report's rows carry the loss and end
/// with the trained model or the divergence.
pub trait Format {
    /// What one row shows.
    type Row;
    /// What the footer shows.
    type End: ?Sized;
    /// Bytes before the first row.
    fn header(&self, out: &mut Vec<u8>);
    /// One row; `first` is true for the first row of the output.
    fn row(&self, row: &Self::Row, first: bool, out: &mut Vec<u8>);
    /// Bytes after the last row.
    fn footer(&self, end: &Self::End, out: &mut Vec<u8>);
}

/// Evaluates `schedule` over `steps` and writes `format`'s rows to `out`, formatting
/// chunks of rows on the engine's threads and writing them in order (the same bytes on any
/// number of threads). Where the schedule's home library raises, every row before that
/// step is written and the error returned, without the footer.
pub fn write<F>(
    engine: &Engine,
    schedule: &dyn Schedule,
    steps: Steps,
    format: &F,
    out: &mut dyn Write,
) -> Result<()>
where
    F: Format<Row = Point, End = ()> + Sync + ?Sized,
{
    let mut bytes = Vec::new();
    format.header(&mut bytes);
    out.write_all(&bytes)?;
    // Chunk buffers go back to `spare` once written, so the window in flight reuses a few
    // buffers: a fresh allocation a chunk costs a page fault every 4 KiB.
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let map = |chunk: &crate::engine::Chunk<'_>| {
        let recycled = spare.lock().ok().and_then(|mut spare| spare.pop());
        let mut bytes = recycled.unwrap_or_else(|| Vec::with_capacity(chunk.len() as usize * 48));
        bytes.clear();
        let mut row = chunk.first_row();
        let mut points = chunk.points(0);
        while let Some(batch) = points.next_batch() {
            for point in batch {
                format.row(point, row == 0, &mut bytes);
                row += 1;
            }
        }
        bytes
    };
    let stop = engine.run(&[schedule], steps, Grain::Text, map, |bytes: Vec<u8>| {
        out.write_all(&bytes)?;
        if let Ok(mut spare) = spare.lock() {
            spare.push(bytes);
        }
        Ok::<(), io::Error>(())
    })?;
    if let Some(stop) = stop {
        out.flush()?;
        return Err(stop.error);
    }
    bytes.clear();
    format.footer(&(), &mut bytes);
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes rows one at a time in order, for rows that come one at a time (a training run),
/// through a buffer handed to `out` in 64 KiB blocks.
pub struct Stream<'f, F: Format + ?Sized, W: Write> {
    format: &'f F,
    buf: Vec<u8>,
    out: W,
    first: bool,
}

const FLUSH_AT: usize = 1 << 16;

impl<'f, F: Format + ?Sized, W: Write> Stream<'f, F, W> {
    /// Writes the header of `format` and returns the stream.
    pub fn begin(format: &'f F, out: W) -> io::Result<Self> {
        let mut buf = Vec::with_capacity(FLUSH_AT + 256);
        format.header(&mut buf);
        Ok(Stream {
            format,
            buf,
            out,
            first: true,
        })
    }

    /// Writes one row.
    pub fn row(&mut self, row: &F::Row) -> io::Result<()> {
        self.format.row(row, self.first, &mut self.buf);
        self.first = false;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the footer and flushes.
    pub fn end(mut self, end: &F::End) -> io::Result<()> {
        self.format.footer(end, &mut self.buf);
        self.out.write_all(&self.buf)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::Partial;
    use crate::engine::tests::Raising;
    use crate::output::csv::Csv;
    use crate::output::json::Json;
    use crate::output::table::Table;
    use crate::schedule::params::Raw;

    fn output<F>(schedule: &dyn Schedule, steps: Steps, format: &F, threads: usize) -> Vec<u8>
    where
        F: Format<Row = Point, End = ()> + Sync,
    {
        let mut out = Vec::new();
        write(
            &Engine::with_threads(threads),
            schedule,
            steps,
            format,
            &mut out,
        )
        .map_err(|e| e.to_string())
        .expect("writes to a Vec");
        out
    }

    /// Parallel output is the single-threaded output, byte for byte, for closed-form and
    /// recursive schedules, with and without --from and --every, in every format.
    #[test]
    fn parallel_output_is_the_sequential_output() -> Result<()> {
        // Four chunks of rows.
        let n = 3 * crate::engine::Grain::Text.chunk_rows() + 17;
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
            let description = partial.clone().resolve()?;
            let schedule = description.schedule();
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
                let single = output(schedule, steps, &Csv::default(), 1);
                assert_eq!(
                    single.iter().filter(|&&b| b == b'\n').count() as u64,
                    steps.rows() + 1
                );
                for threads in [2, 3] {
                    assert!(
                        output(schedule, steps, &Csv::default(), threads) == single,
                        "csv, {threads} threads, {steps:?}"
                    );
                }
                let single = output(schedule, steps, &json, 1);
                assert!(
                    output(schedule, steps, &json, 2) == single,
                    "json, {steps:?}"
                );
                serde_json::from_slice::<serde_json::Value>(&single)
                    .map_err(|e| crate::Error::input(e.to_string()))?;
                assert!(
                    output(schedule, steps, &Json::lines(), 2)
                        == output(schedule, steps, &Json::lines(), 1)
                );
                let table = Table::new(schedule, steps, None);
                assert!(output(schedule, steps, &table, 2) == output(schedule, steps, &table, 1));
            }
        }
        Ok(())
    }

    /// Where the schedule raises, every row before the step is written, then the error.
    #[test]
    fn writes_the_rows_before_a_raising_step_then_fails() {
        for nan_at in [0, 5, 40_000] {
            for seekable in [true, false] {
                let raising = Raising {
                    nan_at,
                    raises: true,
                    seekable,
                };
                for threads in [1, 2] {
                    let mut out = Vec::new();
                    let result = write(
                        &Engine::with_threads(threads),
                        &raising,
                        Steps::all(60_000),
                        &Csv::default(),
                        &mut out,
                    );
                    let Err(error) = result else {
                        panic!("nan at {nan_at}: no error");
                    };
                    assert_eq!(
                        error.to_string(),
                        format!("float division by zero (step {nan_at})")
                    );
                    assert_eq!(error.exit_status(), 2);
                    let text = String::from_utf8_lossy(&out);
                    assert_eq!(text.lines().count() as u64, nan_at + 1, "header and rows");
                    if nan_at > 0 {
                        let last = format!("\n{},", nan_at - 1);
                        assert!(text.contains(&last), "ends with step {}", nan_at - 1);
                    }
                }
            }
        }
    }
}
