//! The log readers. Each streams its file (a 10^6-row log needs no more memory than a
//! 10-row one) and hands every `(step, lr)` row to a callback, after one shared check that
//! steps increase.

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{LogInfo, Row};
use crate::error::{Error, Result};

/// The formats a log can be read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// transformers' `trainer_state.json` (`log_history`).
    TrainerState,
    /// CSV with a header naming a step and an lr column.
    Csv,
    /// JSON Lines: one object per line with a step and an lr key.
    JsonLines,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::TrainerState => "trainer_state.json",
            Format::Csv => "CSV",
            Format::JsonLines => "JSON Lines",
        })
    }
}

/// The step and lr columns (CSV) or keys (JSON Lines) named by the user
/// (`--log-columns STEP,LR`), instead of found by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// The step column.
    pub step: String,
    /// The learning-rate column.
    pub lr: String,
}

impl Columns {
    /// Parses `STEP,LR`.
    pub fn parse(text: &str) -> Result<Self> {
        match text.split_once(',') {
            Some((step, lr)) if !step.trim().is_empty() && !lr.trim().is_empty() => Ok(Columns {
                step: step.trim().to_string(),
                lr: lr.trim().to_string(),
            }),
            _ => Err(Error::input(format!(
                "--log-columns '{}': expected STEP,LR, the names of the step and the \
                 learning-rate columns (e.g. global_step,train/learning_rate)",
                text.escape_debug()
            ))),
        }
    }
}

/// Step columns, in the order they are preferred: W&B's `_step` last, as it counts log
/// calls rather than training steps when a run logs its own step.
const STEP_NAMES: &[&str] = &[
    "step",
    "global_step",
    "Step",
    "train/global_step",
    "trainer/global_step",
    "_step",
];

/// Whether `name` is a learning-rate column: transformers' and W&B's `learning_rate`,
/// `train/learning_rate`, Lightning's LearningRateMonitor `lr-AdamW` (`lr-SGD/pg1`), a
/// plain `lr`; TensorBoard's CSV export names its one scalar `Value`.
fn is_lr_name(name: &str) -> bool {
    name == "lr"
        || name == "learning_rate"
        || name == "Learning Rate"
        || name.starts_with("lr-")
        || name.ends_with("/learning_rate")
        || name.ends_with("/lr")
}

const LR_EXPECTED: &str = "an lr column (lr, learning_rate, train/learning_rate, lr-AdamW, ...)";
const STEP_EXPECTED: &str = "a step column (step, global_step, Step, _step)";

/// Reads the log at `path`, calling `each` with every row in order; returns what the log
/// says about itself. The format comes from the name (`.csv`, `.jsonl`, `.json`) or, failing
/// that, from the content.
pub fn read(
    path: &Path,
    columns: Option<&Columns>,
    each: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<LogInfo> {
    let name = path.display().to_string();
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if file_name
        .as_deref()
        .is_some_and(|n| n.starts_with("events.out.tfevents"))
    {
        return Err(Error::input(format!(
            "{name}: TensorBoard event files are not read by lrsched (no well-kept Rust crate \
             reads them); export the lr scalar as CSV from TensorBoard (Download data) or with \
             tensorboard's EventAccumulator, and pass that"
        )));
    }
    let file =
        File::open(path).map_err(|e| Error::input(format!("cannot read log {name}: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let format = detect(path, &mut reader).map_err(|e| io_error(&name, e))?;
    let Some(format) = format else {
        return Err(Error::input(format!(
            "{name}: the log is empty; expected a trainer_state.json, a CSV with a header, or \
             JSON Lines"
        )));
    };
    if columns.is_some() && format == Format::TrainerState {
        return Err(Error::input(format!(
            "{name}: --log-columns applies to CSV and JSON Lines logs; a trainer_state.json \
             always has step and learning_rate"
        )));
    }
    let mut order = Order {
        name: &name,
        last: None,
        each,
        rows: 0,
    };
    let mut info = match format {
        Format::TrainerState => trainer_state(&name, reader, &mut order)?,
        Format::Csv => csv_log(&name, reader, columns, &mut order)?,
        Format::JsonLines => json_lines(&name, reader, columns, &mut order)?,
    };
    if order.rows == 0 {
        return Err(Error::input(match format {
            Format::TrainerState => format!(
                "{name}: no entry of log_history has a learning_rate; expected entries like \
                 {{\"step\": 5, \"learning_rate\": 0.001}}"
            ),
            _ => format!("{name}: the log has no rows with a learning rate"),
        }));
    }
    info.format = Some(format);
    info.rows = order.rows;
    Ok(info)
}

/// The format [`read`] will read the log at `path` as, found the same way (by name, else
/// by the first line); `None` for an empty file, which [`read`] reports.
pub fn format_of(path: &Path) -> Result<Option<Format>> {
    let name = path.display().to_string();
    let file =
        File::open(path).map_err(|e| Error::input(format!("cannot read log {name}: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    detect(path, &mut reader).map_err(|e| io_error(&name, e))
}

/// Every row of the log at `path`, in memory (16 bytes a row), with what it says about
/// itself.
pub fn read_all(path: &Path, columns: Option<&Columns>) -> Result<(Vec<Row>, LogInfo)> {
    let mut rows = Vec::new();
    let info = read(path, columns, &mut |row| {
        rows.push(row);
        Ok(())
    })?;
    Ok((rows, info))
}

fn io_error(name: &str, e: io::Error) -> Error {
    Error::input(format!("cannot read log {name}: {e}"))
}

/// The format from the extension, else from the first line: a whole JSON object is JSON
/// Lines, an opening brace a JSON document, anything else CSV. `None` for an empty file.
fn detect(path: &Path, reader: &mut BufReader<File>) -> io::Result<Option<Format>> {
    let buffer = reader.fill_buf()?;
    if buffer.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    Ok(Some(match ext.as_deref() {
        Some("csv" | "tsv") => Format::Csv,
        Some("jsonl" | "ndjson") => Format::JsonLines,
        Some("json") => Format::TrainerState,
        _ => {
            let text = String::from_utf8_lossy(buffer);
            let first = text.trim_start().lines().next().unwrap_or("");
            if !first.starts_with('{') {
                Format::Csv
            } else if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(first)
                .is_ok()
            {
                Format::JsonLines
            } else {
                Format::TrainerState
            }
        }
    }))
}

/// Hands rows on, checking that steps increase.
struct Order<'a> {
    name: &'a str,
    last: Option<Row>,
    each: &'a mut dyn FnMut(Row) -> Result<()>,
    rows: u64,
}

impl Order<'_> {
    fn push(&mut self, row: Row) -> Result<()> {
        if !row.lr.is_finite() {
            return Err(Error::input(format!(
                "{}:{}: the learning rate at step {} is {}; expected a finite number",
                self.name, row.line, row.step, row.lr
            )));
        }
        if let Some(last) = self.last
            && row.step <= last.step
        {
            let what = if row.step == last.step {
                "is logged twice"
            } else {
                "comes after a later step"
            };
            return Err(Error::input(format!(
                "{}:{}: step {} {what} (step {} at line {}); expected steps in increasing \
                     order, one learning rate each",
                self.name, row.line, row.step, last.step, last.line
            )));
        }
        self.last = Some(row);
        self.rows += 1;
        (self.each)(row)
    }
}

/// A step written as a whole number (`5`, or `5.0` as some exports write integers).
fn parse_step(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse::<u64>().ok().or_else(|| {
        let x: f64 = text.parse().ok()?;
        (x >= 0.0 && x.fract() == 0.0 && x < 9.0e15).then_some(x as u64)
    })
}

fn csv_log(
    name: &str,
    reader: impl Read,
    columns: Option<&Columns>,
    order: &mut Order<'_>,
) -> Result<LogInfo> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let csv_error = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(e) => io_error(name, e),
            csv::ErrorKind::Utf8 { .. } => Error::input(format!(
                "{name}:{}: not UTF-8 text; expected a CSV log",
                line.unwrap_or(1)
            )),
            other => Error::input(format!("{name}: cannot read as CSV: {other:?}")),
        }
    };
    let headers = csv.headers().map_err(csv_error)?.clone();
    let find = |wanted: &str| headers.iter().position(|h| h == wanted);
    let (step_at, lr_at) = match columns {
        Some(c) => {
            let listed = headers.iter().collect::<Vec<_>>().join(", ");
            let step = find(&c.step).ok_or_else(|| {
                Error::input(format!(
                    "{name}:1: no column '{}' (--log-columns); the header has {listed}",
                    c.step
                ))
            })?;
            let lr = find(&c.lr).ok_or_else(|| {
                Error::input(format!(
                    "{name}:1: no column '{}' (--log-columns); the header has {listed}",
                    c.lr
                ))
            })?;
            (step, lr)
        }
        None => {
            let listed = headers.iter().collect::<Vec<_>>().join(", ");
            let step = STEP_NAMES.iter().find_map(|n| find(n)).ok_or_else(|| {
                Error::input(format!(
                    "{name}:1: expected {STEP_EXPECTED} in the header, which has {listed}; \
                     name the columns with --log-columns STEP,LR"
                ))
            })?;
            let lr = headers
                .iter()
                .position(is_lr_name)
                .or_else(|| {
                    (headers.len() == 3 && &headers[step] == "Step")
                        .then(|| find("Value"))
                        .flatten()
                })
                .ok_or_else(|| {
                    Error::input(format!(
                        "{name}:1: expected {LR_EXPECTED} in the header, which has {listed}; \
                         name the columns with --log-columns STEP,LR"
                    ))
                })?;
            (step, lr)
        }
    };
    let (step_name, lr_name) = (headers[step_at].to_string(), headers[lr_at].to_string());
    let mut record = csv::StringRecord::new();
    while csv.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        let lr_text = record.get(lr_at).unwrap_or("");
        // Lightning's CSVLogger writes one row per logging call, with empty cells for
        // the metrics that call did not log.
        if lr_text.is_empty() {
            continue;
        }
        let lr: f64 = lr_text.parse().map_err(|_| {
            Error::input(format!(
                "{name}:{line}: {lr_name} is '{}'; expected a number",
                lr_text.escape_debug()
            ))
        })?;
        let step_text = record.get(step_at).unwrap_or("");
        let step = parse_step(step_text).ok_or_else(|| {
            Error::input(format!(
                "{name}:{line}: {step_name} is '{}'; expected a whole number of steps, 0 or more",
                step_text.escape_debug()
            ))
        })?;
        order.push(Row { step, lr, line })?;
    }
    Ok(LogInfo::default())
}

fn json_lines(
    name: &str,
    reader: impl BufRead,
    columns: Option<&Columns>,
    order: &mut Order<'_>,
) -> Result<LogInfo> {
    let mut keys: Option<(String, String)> = columns.map(|c| (c.step.clone(), c.lr.clone()));
    for (index, line) in reader.lines().enumerate() {
        let line_no = index as u64 + 1;
        let line = line.map_err(|e| io_error(name, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)
            .map_err(|e| {
                Error::input(format!(
                    "{name}:{line_no}: not a JSON object ({e}); expected one object per line \
                     with a step and an lr key"
                ))
            })?;
        if keys.is_none() {
            let lr = object.keys().find(|k| is_lr_name(k));
            let step = STEP_NAMES.iter().find(|k| object.contains_key(**k));
            if let (Some(lr), Some(step)) = (lr, step) {
                keys = Some((step.to_string(), lr.clone()));
            }
        }
        let Some((step_key, lr_key)) = &keys else {
            continue;
        };
        let lr = match object.get(lr_key) {
            None | Some(serde_json::Value::Null) => continue,
            Some(v) => v.as_f64().ok_or_else(|| {
                Error::input(format!(
                    "{name}:{line_no}: {lr_key} is {v}; expected a number"
                ))
            })?,
        };
        let step = match object.get(step_key) {
            None => {
                return Err(Error::input(format!(
                    "{name}:{line_no}: {lr_key} without {step_key}; expected every line with \
                     a learning rate to give its step"
                )));
            }
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_f64().and_then(|x| parse_step(&x.to_string())))
                .ok_or_else(|| {
                    Error::input(format!(
                        "{name}:{line_no}: {step_key} is {v}; expected a whole number of \
                         steps, 0 or more"
                    ))
                })?,
        };
        order.push(Row {
            step,
            lr,
            line: line_no,
        })?;
    }
    if keys.is_none() {
        return Err(Error::input(match columns {
            Some(c) => format!(
                "{name}: no line has the keys '{}' and '{}' (--log-columns)",
                c.step, c.lr
            ),
            None => format!(
                "{name}: no line has both {STEP_EXPECTED} and {LR_EXPECTED} as keys; name \
                 them with --log-columns STEP,LR"
            ),
        }));
    }
    Ok(LogInfo::default())
}

/// Counts the lines serde_json has read, so that rows can name theirs.
struct Lines<R> {
    inner: R,
    line: Rc<Cell<u64>>,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.line.set(self.line.get() + newlines);
        Ok(n)
    }
}

fn trainer_state(name: &str, reader: BufReader<File>, order: &mut Order<'_>) -> Result<LogInfo> {
    let line = Rc::new(Cell::new(1));
    // serde_json reads a `Read` one byte at a time, so the count is where the parser is.
    let mut de = serde_json::Deserializer::from_reader(Lines {
        inner: reader,
        line: Rc::clone(&line),
    });
    let mut failure = None;
    let state = State {
        line: &line,
        order,
        failure: &mut failure,
    };
    let result = state
        .deserialize(&mut de)
        .and_then(|info| de.end().map(|()| info));
    if let Some(error) = failure {
        return Err(error);
    }
    match result {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(Error::input(format!(
            "{name}: a JSON object without log_history; expected transformers' \
             trainer_state.json (Trainer.state.save_to_json), or give a CSV or JSON Lines log"
        ))),
        Err(e) if e.is_io() => Err(Error::input(format!("cannot read log {name}: {e}"))),
        Err(e) => Err(Error::input(format!(
            "{name}:{}: {}; expected transformers' trainer_state.json, with log_history \
             entries like {{\"step\": 5, \"learning_rate\": 0.001}}",
            e.line(),
            strip_position(&e.to_string())
        ))),
    }
}

/// serde_json's message without its trailing ` at line L column C`, which we print first.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// The top-level object: `log_history` streamed, `max_steps` and `logging_steps` kept, the
/// rest skipped. `None` when there is no `log_history`.
struct State<'a, 'b> {
    line: &'a Cell<u64>,
    order: &'a mut Order<'b>,
    failure: &'a mut Option<Error>,
}

impl<'de> DeserializeSeed<'de> for State<'_, '_> {
    type Value = Option<LogInfo>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for State<'_, '_> {
    type Value = Option<LogInfo>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut info = LogInfo::default();
        let mut history = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "log_history" => {
                    history = true;
                    map.next_value_seed(History {
                        line: self.line,
                        order: self.order,
                        failure: self.failure,
                    })?;
                }
                "max_steps" => info.max_steps = map.next_value::<Option<u64>>()?,
                "logging_steps" => info.logging_steps = map.next_value::<Option<f64>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(history.then_some(info))
    }
}

struct History<'a, 'b> {
    line: &'a Cell<u64>,
    order: &'a mut Order<'b>,
    failure: &'a mut Option<Error>,
}

impl<'de> DeserializeSeed<'de> for History<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for History<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("log_history as a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element_seed(LogEntry { line: self.line })? {
            let (Some((lr, line)), step) = entry else {
                continue;
            };
            let Some(step) = step else {
                return Err(de::Error::custom(
                    "a log_history entry with learning_rate has no step",
                ));
            };
            if let Err(e) = self.order.push(Row { step, lr, line }) {
                *self.failure = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// One `log_history` entry: its learning rate with the line it is on, and its step.
struct LogEntry<'a> {
    line: &'a Cell<u64>,
}

impl<'de> DeserializeSeed<'de> for LogEntry<'_> {
    type Value = (Option<(f64, u64)>, Option<u64>);

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogEntry<'_> {
    type Value = (Option<(f64, u64)>, Option<u64>);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log_history entry (an object with step and learning_rate)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut lr, mut step) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "learning_rate" => {
                    let value = map.next_value::<Option<f64>>()?;
                    lr = value.map(|v| (v, self.line.get()));
                }
                "step" => step = Some(map.next_value::<u64>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((lr, step))
    }
}

#[cfg(test)]
pub(crate) mod tests;
