//! A schedule against a log (`check --against`): which rows agree within a relative
//! tolerance, the largest error, the first step that differs, and a guess at the cause when
//! the difference has a classic shape.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::{Columns, LogInfo, Row, read};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::{Point, Schedule};

/// The default relative tolerance: logs are often float32 or rounded.
pub const TOLERANCE: f64 = 1e-6;

/// Rows kept for guessing a cause; a longer log is kept every k-th row.
const SAMPLE: usize = 4096;

/// Which step of the schedule a log's step shows.
pub struct StepMap<'a> {
    /// In words, for the report (`log step s = schedule step s-1`).
    pub describe: String,
    map: Box<dyn Fn(u64) -> Option<u64> + 'a>,
}

impl<'a> StepMap<'a> {
    /// A map given as a function; `None` for a log step no schedule step stands for.
    pub fn new(describe: impl Into<String>, map: impl Fn(u64) -> Option<u64> + 'a) -> Self {
        StepMap {
            describe: describe.into(),
            map: Box::new(map),
        }
    }

    /// The log counts schedule steps (`lrsched csv`, a loop logging before `scheduler.step()`).
    pub fn same() -> Self {
        StepMap::new("log step s = schedule step s", Some)
    }

    /// transformers' Trainer: the value logged at `global_step` s is the lr of update s-1
    /// (trainer.py:1947, 2250-2266), and `scheduler_step` says which schedule step update
    /// u uses (`RuntimeMap::scheduler_step`; `u` itself for the Trainer's own runtime).
    pub fn trainer(scheduler_step: impl Fn(u64) -> u64 + 'a) -> Self {
        StepMap::new("log step s = the lr of update s-1", move |s: u64| {
            s.checked_sub(1).map(&scheduler_step)
        })
    }

    /// The map a log of `format` needs: the Trainer's for a trainer state, the same steps
    /// for CSV and JSON Lines (which count what their logger counts: pass another map when
    /// that is optimizer updates logged after `scheduler.step()`).
    pub fn for_format(format: super::Format, scheduler_step: impl Fn(u64) -> u64 + 'a) -> Self {
        match format {
            super::Format::TrainerState => StepMap::trainer(scheduler_step),
            super::Format::Csv | super::Format::JsonLines => StepMap::same(),
        }
    }

    /// The schedule step of log step `s`.
    pub fn apply(&self, s: u64) -> Option<u64> {
        (self.map)(s)
    }
}

/// One logged value next to the schedule's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// The step as the log writes it.
    pub step: u64,
    /// The schedule step it is compared with.
    pub schedule_step: u64,
    /// The line of the log.
    pub line: u64,
    /// The logged lr.
    pub logged: f64,
    /// The schedule's lr.
    pub expected: f64,
    /// `|logged - expected|`.
    pub abs_error: f64,
    /// `|logged - expected| / max(|logged|, |expected|)` (0 when both are 0).
    pub rel_error: f64,
}

/// What comparing a log with a schedule found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The log, as named.
    pub log: String,
    /// How log steps were mapped to schedule steps.
    pub step_map: String,
    /// The relative tolerance.
    pub tolerance: f64,
    /// Rows compared with the schedule.
    pub rows_compared: u64,
    /// Rows whose step the schedule does not reach.
    pub rows_only_in_log: u64,
    /// The first of them.
    pub first_only_in_log: Option<u64>,
    /// Schedule steps past the last compared one (a log that stops early).
    pub steps_only_in_schedule: u64,
    /// Rows beyond the tolerance.
    pub mismatches: u64,
    /// The first row beyond the tolerance.
    pub first_mismatch: Option<Difference>,
    /// The row with the largest relative error.
    pub max_error: Option<Difference>,
    /// A classic cause the differences look like.
    pub cause: Option<String>,
    /// True when every row is within the tolerance and no row is only in the log.
    pub matches: bool,
}

/// Compares the log at `path` with `schedule`, whose steps are `0..steps`.
pub fn compare(
    path: &Path,
    columns: Option<&Columns>,
    schedule: &dyn Schedule,
    steps: u64,
    map: &StepMap<'_>,
    tolerance: f64,
) -> Result<(Report, LogInfo)> {
    let mut comparer = Comparer::new(schedule, steps, map, tolerance);
    let info = read(path, columns, &mut |row| {
        comparer.push(row);
        Ok(())
    })?;
    Ok((comparer.finish(&path.display().to_string()), info))
}

/// Compares rows, in increasing step order, with `schedule`.
pub fn compare_rows(
    log: &str,
    rows: impl IntoIterator<Item = Row>,
    schedule: &dyn Schedule,
    steps: u64,
    map: &StepMap<'_>,
    tolerance: f64,
) -> Report {
    let mut comparer = Comparer::new(schedule, steps, map, tolerance);
    for row in rows {
        comparer.push(row);
    }
    comparer.finish(log)
}

/// The largest relative error of `rows` against `schedule`, `None` when a row's step is
/// not the schedule's: [`compare_rows`] without the report, for scoring many schedules.
pub(crate) fn max_rel_error(
    rows: &[Row],
    schedule: &dyn Schedule,
    steps: u64,
    map: &StepMap<'_>,
) -> Option<f64> {
    let mut cursor = Cursor::new(schedule);
    let mut max: f64 = 0.0;
    for row in rows {
        let step = map.apply(row.step).filter(|&s| s < steps)?;
        let error = rel_error(row.lr, cursor.lr(step)?);
        if error.is_nan() {
            return None;
        }
        max = max.max(error);
    }
    Some(max)
}

/// Reads a schedule at increasing steps in one forward pass (recursive schedules replay
/// once, not once a row).
struct Cursor<'s> {
    schedule: &'s dyn Schedule,
    points: Box<dyn Iterator<Item = Point> + Send + 's>,
    next: u64,
}

impl<'s> Cursor<'s> {
    fn new(schedule: &'s dyn Schedule) -> Self {
        Cursor {
            schedule,
            points: schedule.points(0),
            next: 0,
        }
    }

    fn lr(&mut self, step: u64) -> Option<f64> {
        if step < self.next {
            return Some(self.schedule.at(step).lr);
        }
        let skip = usize::try_from(step - self.next).ok()?;
        let point = self.points.nth(skip)?;
        self.next = step + 1;
        Some(point.lr)
    }
}

/// One sampled row: log step, schedule step, logged and expected lr.
#[derive(Clone, Copy, Debug)]
struct Sampled {
    step: u64,
    schedule_step: u64,
    logged: f64,
    expected: f64,
}

struct Comparer<'a> {
    cursor: Cursor<'a>,
    schedule: &'a dyn Schedule,
    steps: u64,
    map: &'a StepMap<'a>,
    tolerance: f64,
    report: Report,
    last_schedule_step: Option<u64>,
    sample: Vec<Sampled>,
    stride: u64,
    seen: u64,
}

fn rel_error(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

impl<'a> Comparer<'a> {
    fn new(schedule: &'a dyn Schedule, steps: u64, map: &'a StepMap<'a>, tolerance: f64) -> Self {
        Comparer {
            cursor: Cursor::new(schedule),
            schedule,
            steps,
            map,
            tolerance,
            report: Report {
                log: String::new(),
                step_map: map.describe.clone(),
                tolerance,
                rows_compared: 0,
                rows_only_in_log: 0,
                first_only_in_log: None,
                steps_only_in_schedule: 0,
                mismatches: 0,
                first_mismatch: None,
                max_error: None,
                cause: None,
                matches: false,
            },
            last_schedule_step: None,
            sample: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }

    fn push(&mut self, row: Row) {
        let expected = self
            .map
            .apply(row.step)
            .filter(|&s| s < self.steps)
            .and_then(|s| Some((s, self.cursor.lr(s)?)));
        let Some((schedule_step, expected)) = expected else {
            self.report.rows_only_in_log += 1;
            self.report.first_only_in_log.get_or_insert(row.step);
            return;
        };
        self.report.rows_compared += 1;
        self.last_schedule_step = Some(schedule_step);
        let difference = Difference {
            step: row.step,
            schedule_step,
            line: row.line,
            logged: row.lr,
            expected,
            abs_error: (row.lr - expected).abs(),
            rel_error: rel_error(row.lr, expected),
        };
        if self
            .report
            .max_error
            .is_none_or(|m| difference.rel_error > m.rel_error)
        {
            self.report.max_error = Some(difference);
        }
        if difference.rel_error > self.tolerance || difference.rel_error.is_nan() {
            self.report.mismatches += 1;
            self.report.first_mismatch.get_or_insert(difference);
        }
        if self.seen.is_multiple_of(self.stride) {
            self.sample.push(Sampled {
                step: row.step,
                schedule_step,
                logged: row.lr,
                expected,
            });
            if self.sample.len() >= 2 * SAMPLE {
                // Keep every other row and sample half as often from now on.
                let kept: Vec<Sampled> = self.sample.iter().step_by(2).copied().collect();
                self.sample = kept;
                self.stride *= 2;
            }
        }
        self.seen += 1;
    }

    fn finish(mut self, log: &str) -> Report {
        self.report.log = log.to_string();
        self.report.steps_only_in_schedule = match self.last_schedule_step {
            Some(last) => self.steps.saturating_sub(last + 1),
            None => self.steps,
        };
        self.report.matches = self.report.mismatches == 0
            && self.report.rows_only_in_log == 0
            && self.report.rows_compared > 0;
        if self.report.mismatches > 0 {
            self.report.cause = guess(self.schedule, &self.sample, self.tolerance);
        }
        self.report
    }
}

/// The schedule's lr at each of `steps` (increasing), `None` where it is not defined.
fn values_at(
    schedule: &dyn Schedule,
    steps: impl Iterator<Item = Option<u64>>,
) -> Vec<Option<f64>> {
    let mut cursor = Cursor::new(schedule);
    steps.map(|s| s.and_then(|s| cursor.lr(s))).collect()
}

fn within(a: f64, b: f64, tolerance: f64) -> bool {
    rel_error(a, b) <= tolerance
}

/// The length of a linear warmup to the peak, `step * peak / lr` at the first rising row,
/// when the values start by rising.
fn warmup_length(sample: &[Sampled], value: impl Fn(&Sampled) -> f64) -> Option<u64> {
    let peak = sample.iter().map(&value).fold(f64::NEG_INFINITY, f64::max);
    let first = sample
        .iter()
        .find(|r| r.schedule_step > 0 && value(r) > 0.0)?;
    let w = first.schedule_step as f64 * peak / value(first);
    (value(first) < peak && w.is_finite()).then(|| w.round() as u64)
}

/// The first sampled step from which the values stay at their last value.
fn settled_step(
    sample: &[Sampled],
    value: impl Fn(&Sampled) -> f64,
    tolerance: f64,
) -> Option<u64> {
    let last = value(sample.last()?);
    let from = sample
        .iter()
        .rposition(|r| !within(value(r), last, tolerance))
        .map_or(0, |i| i + 1);
    sample.get(from).map(|r| r.schedule_step)
}

/// A whole ratio `big / small` of at least 2, when `big` is within `slack` of it.
fn whole_ratio(big: u64, small: u64, slack: u64) -> Option<u64> {
    if small == 0 {
        return None;
    }
    let k = (big as f64 / small as f64).round() as u64;
    (k >= 2 && big.abs_diff(k.saturating_mul(small)) <= slack.max(1).saturating_mul(k)).then_some(k)
}

/// One line on a classic cause of the differences in `sample`, when they have its shape.
fn guess(schedule: &dyn Schedule, sample: &[Sampled], tolerance: f64) -> Option<String> {
    if sample.len() < 2 {
        return None;
    }
    let loose = tolerance.max(1e-9);
    for (shift, how) in [(1i64, "ahead of"), (-1, "behind")] {
        let shifted = values_at(
            schedule,
            sample
                .iter()
                .map(|r| r.schedule_step.checked_add_signed(shift)),
        );
        let agree = sample
            .iter()
            .zip(&shifted)
            .filter(|(r, v)| v.is_some_and(|v| within(r.logged, v, loose)))
            .count();
        if agree + 1 >= sample.len() {
            let s = sample[0].schedule_step;
            return Some(format!(
                "off by one step: the log is one step {how} the schedule (its value at step {} \
                 is the schedule's at step {}); compare the lr before and after \
                 scheduler.step(), or a 0- and a 1-based step count",
                sample[0].step,
                s.saturating_add_signed(shift)
            ));
        }
    }
    // Constant after a restart: the log agrees, then holds one value while the schedule moves.
    let first_bad = sample
        .iter()
        .position(|r| !within(r.logged, r.expected, loose))?;
    let tail = &sample[first_bad..];
    let held = tail[0].logged;
    if first_bad > 0
        && tail.len() >= 3
        && tail.iter().all(|r| r.logged == held)
        && tail.iter().any(|r| !within(r.expected, held, loose))
    {
        return Some(format!(
            "constant after step {}: the log holds {} while the schedule keeps changing, as a \
             resumed run does when the scheduler's state is not restored (or a scheduler \
             rebuilt without last_epoch)",
            tail[0].step,
            py_repr(held)
        ));
    }
    let interval = sample
        .windows(2)
        .map(|w| w[1].schedule_step - w[0].schedule_step)
        .max()
        .unwrap_or(1);
    let logged = |r: &Sampled| r.logged;
    let expected = |r: &Sampled| r.expected;
    if let (Some(log_warmup), Some(sched_warmup)) = (
        warmup_length(sample, logged),
        warmup_length(sample, expected),
    ) {
        if let Some(k) = whole_ratio(sched_warmup, log_warmup, 1) {
            return Some(format!(
                "warmup too short by a factor of {k}: the log warms up over about {log_warmup} \
                 steps, the schedule over {sched_warmup}; warmup steps divided by the number \
                 of devices ({k}?), or counted in optimizer updates where the schedule counts \
                 micro-batches"
            ));
        }
        if let Some(k) = whole_ratio(log_warmup, sched_warmup, 1) {
            return Some(format!(
                "warmup too long by a factor of {k}: the log warms up over about {log_warmup} \
                 steps, the schedule over {sched_warmup}; warmup counted in micro-batches or \
                 on {k} devices where the schedule counts optimizer updates"
            ));
        }
    }
    if let (Some(log_end), Some(sched_end)) = (
        settled_step(sample, logged, loose),
        settled_step(sample, expected, loose),
    ) && log_end < sched_end
    {
        if let Some(k) = whole_ratio(sched_end, log_end, interval) {
            return Some(format!(
                "horizon too short by a factor of {k}: the log's decay ends at step \
                     {log_end}, the schedule's at step {sched_end}; a horizon counted in epochs \
                     or per epoch ({k} epochs?) where the schedule counts optimizer updates"
            ));
        }
        return Some(format!(
            "horizon too short: the log's decay ends at step {log_end}, the schedule's at \
                 step {sched_end}; a horizon counted in epochs rather than optimizer updates?"
        ));
    }
    None
}

impl Report {
    /// The report as text, one finding a line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let sci = |x: f64| format!("{x:.2e}");
        let _ = writeln!(
            out,
            "log: {} ({}), relative tolerance {}",
            self.log,
            self.step_map,
            py_repr(self.tolerance)
        );
        let _ = write!(out, "rows compared: {}", self.rows_compared);
        if self.rows_only_in_log > 0 {
            let _ = write!(
                out,
                "; {} only in the log (from step {})",
                self.rows_only_in_log,
                self.first_only_in_log.unwrap_or(0)
            );
        }
        if self.steps_only_in_schedule > 0 {
            let _ = write!(
                out,
                "; {} schedule step{} after the last logged one",
                self.steps_only_in_schedule,
                if self.steps_only_in_schedule == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        out.push('\n');
        if let Some(m) = &self.max_error {
            let _ = writeln!(
                out,
                "largest error: {} relative ({} absolute) at step {} (line {}): logged {}, \
                 schedule {}",
                sci(m.rel_error),
                sci(m.abs_error),
                m.step,
                m.line,
                py_repr(m.logged),
                py_repr(m.expected)
            );
        }
        match &self.first_mismatch {
            Some(d) => {
                let _ = writeln!(
                    out,
                    "first difference: step {} (line {}): logged {}, schedule {} (step {}), \
                     relative error {}",
                    d.step,
                    d.line,
                    py_repr(d.logged),
                    py_repr(d.expected),
                    d.schedule_step,
                    sci(d.rel_error)
                );
                let _ = writeln!(
                    out,
                    "mismatch: {} of {} rows differ",
                    self.mismatches, self.rows_compared
                );
            }
            None if self.matches => {
                let _ = writeln!(out, "match: every logged lr is the schedule's");
            }
            None => {
                let _ = writeln!(
                    out,
                    "mismatch: the log has rows the schedule does not reach"
                );
            }
        }
        if let Some(cause) = &self.cause {
            let _ = writeln!(out, "likely cause: {cause}");
        }
        out
    }
}

#[cfg(test)]
mod tests;
