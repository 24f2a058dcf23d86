//! Writing a training run: the demo's `Step | Learning Rate | Loss` table, CSV and JSON,
//! each streamed row by row.

use std::io::{self, BufWriter, Write};

use serde_json::Value as Json;

use super::data::{DataSource, Dataset};
use super::model::InitSource;
use super::{Diverged, Divergence, Linear, Row, Settings, Training};
use crate::description::Description;
use crate::error::Result;
use crate::format::{push_int, push_json_number, push_shortest};

/// Which learning rate a row shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LrColumn {
    /// The lr the row's update used (0 at step 0 of a warmup).
    #[default]
    Used,
    /// The lr after `scheduler.step()`, one step ahead, which is what a PyTorch loop that
    /// prints after `scheduler.step()` shows.
    Next,
}

impl LrColumn {
    fn of(self, row: &Row) -> f64 {
        match self {
            LrColumn::Used => row.lr,
            // Only reachable past a schedule's last defined step, which the caller rules
            // out; NaN is the honest value there.
            LrColumn::Next => row.next_lr.unwrap_or(f64::NAN),
        }
    }
}

/// A streaming writer of training rows.
pub trait RowWriter {
    /// Called once before the first row.
    fn begin(&mut self) -> io::Result<()>;
    /// Called for each row, in step order.
    fn row(&mut self, row: &Row) -> io::Result<()>;
    /// Called once after the last row with the trained parameters; flushes.
    fn finish(&mut self, model: &Linear) -> io::Result<()>;
    /// Called instead of [`RowWriter::finish`] when the run diverged; flushes.
    fn diverged(&mut self, diverged: &Diverged) -> io::Result<()>;
}

/// Runs `training` to its end, writing every row. A divergence is written (the rows
/// before it stay written) and returned as [`crate::Error::Failed`].
pub fn write_training(mut training: Training<'_>, writer: &mut dyn RowWriter) -> Result<Linear> {
    writer.begin()?;
    for row in training.by_ref() {
        match row {
            Ok(row) => writer.row(&row)?,
            Err(diverged) => {
                writer.diverged(&diverged)?;
                return Err(diverged.into());
            }
        }
    }
    let model = training.into_model();
    writer.finish(&model)?;
    Ok(model)
}

/// The demo's table: `Step | Learning Rate | Loss`, then one row per step formatted as
/// Python's `f'{step:4d} | {lr:.4f} | {loss:.4f}'`, and a last line with the trained
/// weights and bias. With [`LrColumn::Next`] the last line is left out, so that the output
/// is exactly what the PyTorch loop prints.
pub struct TableWriter<W: Write> {
    out: BufWriter<W>,
    lr: LrColumn,
}

impl<W: Write> TableWriter<W> {
    /// A table on `out`.
    pub fn new(out: W, lr: LrColumn) -> Self {
        TableWriter {
            out: BufWriter::new(out),
            lr,
        }
    }
}

/// Python's `f'{v:.4f}'`: Rust's fixed-point formatting also rounds the exact binary value
/// half to even; only the spelling of the specials differs.
fn fixed4(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:.4}")
    }
}

impl<W: Write> RowWriter for TableWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        writeln!(self.out, "Step | Learning Rate | Loss")
    }

    fn row(&mut self, row: &Row) -> io::Result<()> {
        writeln!(
            self.out,
            "{:4} | {} | {}",
            row.step,
            fixed4(self.lr.of(row)),
            fixed4(f64::from(row.loss))
        )
    }

    fn finish(&mut self, model: &Linear) -> io::Result<()> {
        if self.lr == LrColumn::Used {
            let weights: Vec<String> = model.weight.iter().map(|&w| fixed4(f64::from(w))).collect();
            writeln!(
                self.out,
                "Final weight: [{}] bias: {}",
                weights.join(", "),
                fixed4(f64::from(model.bias))
            )?;
        }
        self.out.flush()
    }

    fn diverged(&mut self, _: &Diverged) -> io::Result<()> {
        self.out.flush()
    }
}

/// CSV: `step,lr,loss`, full precision (the loss is the `f32` value written as the double
/// it equals, as Python prints `loss.item()`).
pub struct CsvWriter<W: Write> {
    out: BufWriter<W>,
    lr: LrColumn,
    line: Vec<u8>,
}

impl<W: Write> CsvWriter<W> {
    /// CSV on `out`.
    pub fn new(out: W, lr: LrColumn) -> Self {
        CsvWriter {
            out: BufWriter::new(out),
            lr,
            line: Vec::with_capacity(64),
        }
    }
}

impl<W: Write> RowWriter for CsvWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.write_all(b"step,lr,loss\n")
    }

    fn row(&mut self, row: &Row) -> io::Result<()> {
        self.line.clear();
        push_int(&mut self.line, row.step);
        self.line.push(b',');
        push_shortest(&mut self.line, self.lr.of(row));
        self.line.push(b',');
        push_shortest(&mut self.line, f64::from(row.loss));
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn finish(&mut self, _: &Linear) -> io::Result<()> {
        self.out.flush()
    }

    fn diverged(&mut self, _: &Diverged) -> io::Result<()> {
        self.out.flush()
    }
}

/// What a JSON document says before its rows: `{"optimizer", "optimizer_args" (its
/// constructor's keyword arguments), "schedule", "data": {..,
/// "samples", "features"}, "init", "lr": "used"|"next"}`, enough to run it again.
pub fn json_head(
    optimizer: &Settings,
    description: &Description,
    source: &DataSource,
    data: &Dataset,
    init: &InitSource,
    lr: LrColumn,
) -> Json {
    let mut data_json = source.to_json();
    if let Json::Object(map) = &mut data_json {
        map.insert("samples".into(), Json::from(data.samples()));
        map.insert("features".into(), Json::from(data.features()));
    }
    serde_json::json!({
        "optimizer": optimizer.optimizer.name(),
        "optimizer_args": optimizer.args_json(),
        "schedule": description.to_json(),
        "data": data_json,
        "init": init.to_json(),
        "lr": match lr {
            LrColumn::Used => "used",
            LrColumn::Next => "next",
        },
    })
}

/// One JSON document: `{"optimizer": .., "schedule": {..}, "rows": [{"step", "lr",
/// "loss"}, ..], "weight": [..], "bias": b}`. A run that diverged ends with
/// `"diverged": {"step", "lr", "what", "message"}` in place of the weights, so the document stays
/// valid JSON.
pub struct JsonWriter<W: Write> {
    out: BufWriter<W>,
    lr: LrColumn,
    head: Json,
    first: bool,
    line: Vec<u8>,
}

impl<W: Write> JsonWriter<W> {
    /// JSON on `out`; `head` is an object whose members come before `"rows"` (the
    /// optimizer, the schedule description, the data).
    pub fn new(out: W, lr: LrColumn, head: Json) -> Self {
        JsonWriter {
            out: BufWriter::new(out),
            lr,
            head,
            first: true,
            line: Vec::with_capacity(64),
        }
    }
}

impl<W: Write> RowWriter for JsonWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        // The same shape as `lrsched json`: compact, one row a line.
        self.out.write_all(b"{")?;
        if let Json::Object(map) = &self.head {
            for (key, value) in map {
                serde_json::to_writer(&mut self.out, key)?;
                self.out.write_all(b":")?;
                serde_json::to_writer(&mut self.out, value)?;
                self.out.write_all(b",")?;
            }
        }
        self.out.write_all(b"\"rows\":[")
    }

    fn row(&mut self, row: &Row) -> io::Result<()> {
        self.line.clear();
        self.line
            .extend_from_slice(if self.first { b"\n" } else { b",\n" });
        self.first = false;
        self.line.extend_from_slice(b"{\"step\":");
        push_int(&mut self.line, row.step);
        self.line.extend_from_slice(b",\"lr\":");
        push_json_number(&mut self.line, self.lr.of(row));
        self.line.extend_from_slice(b",\"loss\":");
        push_json_number(&mut self.line, f64::from(row.loss));
        self.line.push(b'}');
        self.out.write_all(&self.line)
    }

    fn finish(&mut self, model: &Linear) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(b"\n],\"weight\":[");
        for (i, &w) in model.weight.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            push_json_number(&mut self.line, f64::from(w));
        }
        self.line.extend_from_slice(b"],\"bias\":");
        push_json_number(&mut self.line, f64::from(model.bias));
        self.line.extend_from_slice(b"}\n");
        self.out.write_all(&self.line)?;
        self.out.flush()
    }

    fn diverged(&mut self, diverged: &Diverged) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(b"\n],\"diverged\":{\"step\":");
        push_int(&mut self.line, diverged.step);
        self.line.extend_from_slice(b",\"lr\":");
        push_json_number(&mut self.line, diverged.lr);
        self.line.extend_from_slice(b",\"what\":");
        self.line.extend_from_slice(match diverged.what {
            Divergence::Loss(_) => b"\"loss\"",
            Divergence::Parameters => b"\"parameters\"",
        });
        self.line.extend_from_slice(b",\"message\":");
        serde_json::to_writer(&mut self.line, &diverged.to_string())?;
        self.line.extend_from_slice(b"}}\n");
        self.out.write_all(&self.line)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed4_rounds_like_python() {
        // Python: f'{v:.4f}' for each.
        let cases = [
            (0.03125, "0.0312"),
            (0.15625, "0.1562"),
            (0.00015, "0.0001"),
            (1.00005, "1.0001"),
            (0.020000000000000004, "0.0200"),
            (-0.0, "-0.0000"),
            (2e29, "199999999999999982866301714432.0000"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(fixed4(v), want, "{v:e}");
        }
    }
}
