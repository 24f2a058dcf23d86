//! Writing a training run: the demo's `Step | Learning Rate | Loss` table, CSV and JSON,
//! each an [`output::Format`](crate::output::Format) of training rows, streamed row by row.

use std::io::Write;

use super::data::{DataSource, Dataset};
use super::model::InitSource;
use super::{Diverged, Divergence, Linear, Row, Settings, Training};
use crate::description::Description;
use crate::error::Result;
use crate::format::{push_int, push_json_number, push_repr, significant};
use crate::output::{Format, Stream};
use crate::schedule::Schedule;

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

/// How a run ended: what the footer shows.
#[derive(Clone, Debug)]
pub enum Ending {
    /// Every step ran; the trained parameters.
    Trained(Linear),
    /// The run diverged at a step.
    Diverged(Diverged),
}

/// A format of training rows.
pub type RowFormat = dyn Format<Row = Row, End = Ending>;

/// Runs `training` to its end, writing every row in `format`. A divergence is written
/// (the rows before it stay written) and returned as [`crate::Error::Failed`].
pub fn write_training(
    mut training: Training<'_>,
    format: &RowFormat,
    out: &mut dyn Write,
) -> Result<Linear> {
    let mut stream = Stream::begin(format, out)?;
    for row in training.by_ref() {
        match row {
            Ok(row) => stream.row(&row)?,
            Err(diverged) => {
                stream.end(&Ending::Diverged(diverged.clone()))?;
                return Err(diverged.into());
            }
        }
    }
    let model = training.into_model();
    stream.end(&Ending::Trained(model.clone()))?;
    Ok(model)
}

/// The demo's table: `Step | Learning Rate | Loss`, then one row per step formatted as
/// Python's `f'{step:4d} | {lr:.4f} | {loss:.4f}'`, and a last line with the trained
/// weights and bias. With [`LrColumn::Next`] the last line is left out, so that the output
/// is exactly what the PyTorch loop prints. [`Table::rounded`] writes the numbers to a
/// number of significant digits instead, which keeps small learning rates readable (the
/// demo's `.4f` shows 3e-4 as `0.0003` and 2e-5 as `0.0000`).
#[derive(Clone, Copy, Debug)]
pub struct Table {
    lr: LrColumn,
    rounded: Option<Rounded>,
}

/// `--digits`: significant digits, and the width of the Learning Rate column.
#[derive(Clone, Copy, Debug)]
struct Rounded {
    digits: usize,
    lr_width: usize,
}

/// Rows that size the Learning Rate column, as `lrsched table` sizes its columns; a longer
/// value further down pushes its row's `|` right.
const SIZING_ROWS: usize = 1024;

impl Table {
    /// The demo's table, showing `lr`.
    pub fn new(lr: LrColumn) -> Self {
        Table { lr, rounded: None }
    }

    /// The table with every number rounded to `digits` significant digits (as `lrsched
    /// table --digits`), the Learning Rate column as wide as its first rows over `steps`
    /// steps of `schedule` need.
    pub fn rounded(lr: LrColumn, digits: usize, schedule: &dyn Schedule, steps: u64) -> Self {
        let first = match lr {
            LrColumn::Used => 0,
            LrColumn::Next => 1,
        };
        let rows = usize::try_from(steps)
            .unwrap_or(usize::MAX)
            .min(SIZING_ROWS);
        let lr_width = schedule
            .points(first)
            .take(rows)
            .map(|p| significant(p.lr, digits).len())
            .chain(["Learning Rate".len()])
            .max()
            .unwrap_or(0);
        Table {
            lr,
            rounded: Some(Rounded { digits, lr_width }),
        }
    }

    fn number(&self, v: f64) -> String {
        match self.rounded {
            Some(r) => significant(v, r.digits),
            None => fixed4(v),
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

// Writing into a Vec cannot fail: the `write!` results below are ignored.
impl Format for Table {
    type Row = Row;
    type End = Ending;

    fn header(&self, out: &mut Vec<u8>) {
        let width = self.rounded.map_or(0, |r| r.lr_width);
        let _ = writeln!(out, "Step | {:<width$} | Loss", "Learning Rate");
    }

    fn row(&self, row: &Row, _first: bool, out: &mut Vec<u8>) {
        let width = self.rounded.map_or(0, |r| r.lr_width);
        let _ = writeln!(
            out,
            "{:4} | {:<width$} | {}",
            row.step,
            self.number(self.lr.of(row)),
            self.number(f64::from(row.loss))
        );
    }

    fn footer(&self, end: &Ending, out: &mut Vec<u8>) {
        if let (Ending::Trained(model), LrColumn::Used) = (end, self.lr) {
            let weights: Vec<String> = model
                .weight
                .iter()
                .map(|&w| self.number(f64::from(w)))
                .collect();
            let _ = writeln!(
                out,
                "Final weight: [{}] bias: {}",
                weights.join(", "),
                self.number(f64::from(model.bias))
            );
        }
    }
}

/// CSV: `step,lr,loss`, full precision (the loss is the `f32` value written as the double
/// it equals, as Python prints `loss.item()`).
#[derive(Clone, Copy, Debug)]
pub struct Csv {
    lr: LrColumn,
}

impl Csv {
    /// CSV showing `lr`.
    pub fn new(lr: LrColumn) -> Self {
        Csv { lr }
    }
}

impl Format for Csv {
    type Row = Row;
    type End = Ending;

    fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"step,lr,loss\n");
    }

    fn row(&self, row: &Row, _first: bool, out: &mut Vec<u8>) {
        push_int(out, row.step);
        out.push(b',');
        push_repr(out, self.lr.of(row));
        out.push(b',');
        push_repr(out, f64::from(row.loss));
        out.push(b'\n');
    }

    fn footer(&self, _: &Ending, _out: &mut Vec<u8>) {}
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
) -> serde_json::Value {
    let mut data_json = source.to_json();
    if let serde_json::Value::Object(map) = &mut data_json {
        map.insert("samples".into(), serde_json::Value::from(data.samples()));
        map.insert("features".into(), serde_json::Value::from(data.features()));
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
#[derive(Clone, Debug)]
pub struct Json {
    lr: LrColumn,
    head: serde_json::Map<String, serde_json::Value>,
}

impl Json {
    /// JSON showing `lr`; the members of `head` come before `"rows"` (the optimizer, the
    /// schedule description, the data).
    pub fn new(lr: LrColumn, head: serde_json::Value) -> Self {
        let head = match head {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        Json { lr, head }
    }
}

impl Format for Json {
    type Row = Row;
    type End = Ending;

    fn header(&self, out: &mut Vec<u8>) {
        // The same shape as `lrsched json`: compact, one row a line. Serialising strings and
        // values into a Vec cannot fail.
        out.push(b'{');
        for (key, value) in &self.head {
            let _ = serde_json::to_writer(&mut *out, key);
            out.push(b':');
            out.extend_from_slice(crate::format::json_compact(value).as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"rows\":[");
    }

    fn row(&self, row: &Row, first: bool, out: &mut Vec<u8>) {
        out.extend_from_slice(if first { b"\n" } else { b",\n" });
        out.extend_from_slice(b"{\"step\":");
        push_int(out, row.step);
        out.extend_from_slice(b",\"lr\":");
        push_json_number(out, self.lr.of(row));
        out.extend_from_slice(b",\"loss\":");
        push_json_number(out, f64::from(row.loss));
        out.push(b'}');
    }

    fn footer(&self, end: &Ending, out: &mut Vec<u8>) {
        match end {
            Ending::Trained(model) => {
                out.extend_from_slice(b"\n],\"weight\":[");
                for (i, &w) in model.weight.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    push_json_number(out, f64::from(w));
                }
                out.extend_from_slice(b"],\"bias\":");
                push_json_number(out, f64::from(model.bias));
                out.extend_from_slice(b"}\n");
            }
            Ending::Diverged(diverged) => {
                out.extend_from_slice(b"\n],\"diverged\":{\"step\":");
                push_int(out, diverged.step);
                out.extend_from_slice(b",\"lr\":");
                push_json_number(out, diverged.lr);
                out.extend_from_slice(b",\"what\":");
                out.extend_from_slice(match diverged.what {
                    Divergence::Loss(_) => b"\"loss\"",
                    Divergence::Parameters => b"\"parameters\"",
                });
                out.extend_from_slice(b",\"message\":");
                let _ = serde_json::to_writer(&mut *out, &diverged.to_string());
                out.extend_from_slice(b"}}\n");
            }
        }
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
