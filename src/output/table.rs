//! The human-readable table: `Step | Multiplier | Learning Rate`, in the seed program's
//! style, values as Python prints them (or rounded with `--digits`).

use std::io::{self, Write};

use super::PointWriter;
use crate::format::{py_repr, significant};
use crate::schedule::Point;

/// Rows held back to size the columns before the first line is written; after that the
/// table streams with those widths.
const SIZING_ROWS: usize = 1024;

/// Writes an aligned table.
pub struct TableWriter<W: Write> {
    out: io::BufWriter<W>,
    digits: Option<usize>,
    step_width: usize,
    multiplier_width: usize,
    pending: Option<Vec<(u64, String, String)>>,
}

impl<W: Write> TableWriter<W> {
    /// A table whose last step is `last_step` (for the width of the step column); values
    /// are shortest round-trip text, or rounded to `digits` significant digits.
    pub fn new(inner: W, last_step: u64, digits: Option<usize>) -> Self {
        TableWriter {
            out: io::BufWriter::with_capacity(1 << 16, inner),
            digits,
            step_width: last_step.to_string().len().max("Step".len()),
            multiplier_width: "Multiplier".len(),
            pending: Some(Vec::new()),
        }
    }

    fn text(&self, v: f64) -> String {
        match self.digits {
            Some(d) => significant(v, d),
            None => py_repr(v),
        }
    }

    fn release(&mut self) -> io::Result<()> {
        let Some(rows) = self.pending.take() else {
            return Ok(());
        };
        self.multiplier_width = rows
            .iter()
            .map(|(_, m, _)| m.len())
            .fold(self.multiplier_width, usize::max);
        writeln!(
            self.out,
            "{:>sw$} | {:<mw$} | Learning Rate",
            "Step",
            "Multiplier",
            sw = self.step_width,
            mw = self.multiplier_width
        )?;
        for (step, m, lr) in rows {
            self.row(step, &m, &lr)?;
        }
        Ok(())
    }

    fn row(&mut self, step: u64, multiplier: &str, lr: &str) -> io::Result<()> {
        writeln!(
            self.out,
            "{step:>sw$} | {multiplier:<mw$} | {lr}",
            sw = self.step_width,
            mw = self.multiplier_width
        )
    }
}

impl<W: Write> PointWriter for TableWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn point(&mut self, p: &Point) -> io::Result<()> {
        let m = self.text(p.multiplier);
        let lr = self.text(p.lr);
        match &mut self.pending {
            Some(rows) => {
                rows.push((p.step, m, lr));
                if rows.len() >= SIZING_ROWS {
                    self.release()?;
                }
                Ok(())
            }
            None => self.row(p.step, &m, &lr),
        }
    }

    fn end(&mut self) -> io::Result<()> {
        self.release()?;
        self.out.flush()
    }
}
