//! The human-readable table: `Step | Multiplier | Learning Rate`, in the seed program's
//! style, values as Python prints them (or rounded with `--digits`); an absolute schedule's
//! multiplier reads `absolute`.

use std::io::Write;

use super::{Format, Steps};
use crate::engine::{Engine, Grain};
use crate::format::{py_repr, significant};
use crate::schedule::{Point, Schedule};

/// Rows that size the columns; later rows use the same widths (a longer value pushes its
/// row's `|` right rather than holding the whole table back).
const SIZING_ROWS: u64 = 1024;

/// Steps a recursive schedule may replay or skip to size the columns: a few milliseconds.
const SIZING_BUDGET: u64 = 1 << 22;

/// An aligned table, its column widths fixed before the first row.
#[derive(Clone, Debug)]
pub struct Table {
    digits: Option<usize>,
    step_width: usize,
    multiplier_width: usize,
    absolute: bool,
}

/// The multiplier column of an absolute schedule.
const ABSOLUTE: &str = "absolute";

impl Table {
    /// The table of `schedule` over `steps`: the step column as wide as the last step, the
    /// multiplier column as wide as the widest of the first 1024 rows. Values are shortest
    /// round-trip text, or rounded to `digits` significant digits.
    ///
    /// A recursive schedule that would replay or skip more than [`SIZING_BUDGET`] steps to
    /// reach those rows (`--from 999999995`, `--every 100000000000`) is not evaluated twice:
    /// its multiplier column is as wide as a full-precision value usually is.
    pub fn new(schedule: &dyn Schedule, steps: Steps, digits: Option<usize>) -> Self {
        let mut table = Table {
            digits,
            step_width: steps
                .to
                .saturating_sub(1)
                .to_string()
                .len()
                .max("Step".len()),
            multiplier_width: "Multiplier".len(),
            absolute: schedule.absolute(),
        };
        let sizing = steps.first_rows(SIZING_ROWS);
        let work = Engine::work(&[schedule], sizing);
        if work.replay.saturating_add(work.stream) > SIZING_BUDGET {
            // `0.020000000000000004`; `-3.04617e-06` with --digits 6.
            table.multiplier_width = digits.map_or(20, |d| d + 6).max(table.multiplier_width);
            return table;
        }
        let widest = |chunk: &crate::engine::Chunk<'_>| {
            chunk
                .points(0)
                .map(|p| table.multiplier(&p).len())
                .max()
                .unwrap_or(0)
        };
        let mut width = table.multiplier_width;
        // Rows past a step where the schedule raises are never written, so they size nothing.
        let _ = Engine::single().run(&[schedule], sizing, Grain::Text, widest, |w| {
            width = width.max(w);
            Ok::<(), ()>(())
        });
        table.multiplier_width = width;
        table
    }

    /// The table whose columns fit `rows`, the first rows it will write, with steps up to
    /// `last_step` (for rows that are not a schedule's own steps, such as a run's updates),
    /// of a schedule that is `absolute` or not.
    pub fn fitting(rows: &[Point], last_step: u64, digits: Option<usize>, absolute: bool) -> Self {
        let mut table = Table {
            digits,
            step_width: last_step.to_string().len().max("Step".len()),
            multiplier_width: "Multiplier".len(),
            absolute,
        };
        let widest = rows
            .iter()
            .map(|p| table.multiplier(p).len())
            .max()
            .unwrap_or(0);
        table.multiplier_width = table.multiplier_width.max(widest);
        table
    }

    fn multiplier(&self, p: &Point) -> String {
        if self.absolute {
            ABSOLUTE.to_string()
        } else {
            self.text(p.multiplier)
        }
    }

    fn text(&self, v: f64) -> String {
        match self.digits {
            Some(d) => significant(v, d),
            None => py_repr(v),
        }
    }
}

impl Format for Table {
    type Row = Point;
    type End = ();

    fn header(&self, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = writeln!(
            out,
            "{:>sw$} | {:<mw$} | Learning Rate",
            "Step",
            "Multiplier",
            sw = self.step_width,
            mw = self.multiplier_width
        );
    }

    fn row(&self, p: &Point, _first: bool, out: &mut Vec<u8>) {
        let _ = writeln!(
            out,
            "{:>sw$} | {:<mw$} | {}",
            p.step,
            self.multiplier(p),
            self.text(p.lr),
            sw = self.step_width,
            mw = self.multiplier_width
        );
    }

    fn footer(&self, _: &(), _out: &mut Vec<u8>) {}
}
