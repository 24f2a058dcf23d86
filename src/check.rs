//! `lrsched check`: one streaming pass over a schedule's steps gives its summary (first,
//! peak, final, min, mean and sum of the lr), the built-in failures (a NaN, infinite or
//! negative lr) and warnings (see [`Warning`]); then the user's assertions are evaluated
//! over the summary. Memory stays constant, whatever the number of steps.

use std::fmt;
use std::io::Write;

use serde_json::{Map, Value as Json, json};

use crate::description::{Description, ScheduleKind};
use crate::error::{Error, Result};
use crate::expr::{self, Program};
use crate::format::py_repr;
use crate::parallel;
use crate::schedule::{Context, Point, Schedule};

/// The summary names, in the order they are printed.
pub const SUMMARY_NAMES: [&str; 7] = [
    "first_lr",
    "peak_lr",
    "peak_step",
    "final_lr",
    "min_lr",
    "mean_lr",
    "sum_lr",
];

/// The names an assertion may use: the summary, then the schedule's own inputs.
pub const ASSERT_VARIABLES: [&str; 10] = [
    "first_lr",
    "peak_lr",
    "peak_step",
    "final_lr",
    "min_lr",
    "mean_lr",
    "sum_lr",
    "steps",
    "warmup",
    "base_lr",
];

/// Names whose values are whole numbers, printed without a decimal point.
const COUNTS: [&str; 3] = ["peak_step", "steps", "warmup"];

/// What one pass over steps `0 .. steps` found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The lr at step 0.
    pub first_lr: f64,
    /// The largest lr.
    pub peak_lr: f64,
    /// The first step at which the lr is `peak_lr`.
    pub peak_step: u64,
    /// The lr at the last step, `steps - 1`.
    pub final_lr: f64,
    /// The smallest lr.
    pub min_lr: f64,
    /// `sum_lr / steps`.
    pub mean_lr: f64,
    /// The sum of the lr over all steps (the lr budget), compensated so that 10^9 steps
    /// keep their precision.
    pub sum_lr: f64,
}

impl Summary {
    /// The values of [`SUMMARY_NAMES`], in order.
    pub fn values(&self) -> [f64; 7] {
        [
            self.first_lr,
            self.peak_lr,
            self.peak_step as f64,
            self.final_lr,
            self.min_lr,
            self.mean_lr,
            self.sum_lr,
        ]
    }
}

/// A built-in failure: the schedule gives an lr no optimizer should get.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Failure {
    /// The first step whose lr is NaN or infinite.
    NonFinite {
        /// The step.
        step: u64,
        /// The lr there.
        lr: f64,
    },
    /// The first step whose lr is below zero.
    Negative {
        /// The step.
        step: u64,
        /// The lr there.
        lr: f64,
    },
}

impl Failure {
    fn kind(&self) -> &'static str {
        match self {
            Failure::NonFinite { .. } => "non_finite",
            Failure::Negative { .. } => "negative",
        }
    }

    fn at(&self) -> (u64, f64) {
        match *self {
            Failure::NonFinite { step, lr } | Failure::Negative { step, lr } => (step, lr),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Failure::NonFinite { step, lr } => write!(f, "lr is {} at step {step}", py_repr(lr)),
            Failure::Negative { step, lr } => {
                write!(f, "lr is negative at step {step}: {}", py_repr(lr))
            }
        }
    }
}

/// Something that is legal but usually a mistake. Each is checked over the evaluated steps
/// `0 .. steps` only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Warning {
    /// The lr at step 0 is 0, so the first optimizer step changes nothing: a linear warmup
    /// starts at 0 in transformers and in torch's `LambdaLR` example.
    ZeroFirstLr,
    /// At `step`, at or past the schedule's [`Schedule::horizon`], the lr rises above the
    /// previous step's: a cosine evaluated past its `T_max` comes back up.
    RisesPastHorizon {
        /// The horizon.
        horizon: u64,
        /// The first step at or past the horizon whose lr is above the previous step's.
        step: u64,
        /// The lr at `step - 1`.
        from: f64,
        /// The lr at `step`.
        to: f64,
    },
    /// With `--warmup W`, the change from step `W - 1` to step `W`, where the warmup hands
    /// over to the schedule, is larger than both one warmup step (`base_lr / W`) and every
    /// step-to-step change of the schedule after it: torch's `CyclicLR` and `OneCycleLR`
    /// start at their own absolute lr, whatever the warmup reached.
    WarmupJump {
        /// `W`.
        step: u64,
        /// The lr at `W - 1`.
        from: f64,
        /// The lr at `W`.
        to: f64,
        /// The larger of one warmup step and the largest later change.
        expected: f64,
    },
    /// Steps `step ..` lie past the last step the home library defines
    /// ([`Schedule::last_defined_step`]): torch's `OneCycleLR` raises there.
    PastDefinedEnd {
        /// The first step past the end.
        step: u64,
        /// The last defined step.
        last: u64,
    },
}

impl Warning {
    fn kind(&self) -> &'static str {
        match self {
            Warning::ZeroFirstLr => "zero_first_lr",
            Warning::RisesPastHorizon { .. } => "rises_past_horizon",
            Warning::WarmupJump { .. } => "warmup_jump",
            Warning::PastDefinedEnd { .. } => "past_defined_end",
        }
    }

    fn step(&self) -> u64 {
        match *self {
            Warning::ZeroFirstLr => 0,
            Warning::RisesPastHorizon { step, .. }
            | Warning::WarmupJump { step, .. }
            | Warning::PastDefinedEnd { step, .. } => step,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Warning::ZeroFirstLr => f.write_str(
                "the lr at step 0 is 0.0, so the first optimizer step changes nothing \
                 (a linear warmup starts at 0)",
            ),
            Warning::RisesPastHorizon {
                horizon,
                step,
                from,
                to,
            } => write!(
                f,
                "the lr rises again past the schedule's horizon at step {horizon}: \
                 {} at step {} -> {} at step {step}",
                py_repr(from),
                step - 1,
                py_repr(to)
            ),
            Warning::WarmupJump {
                step,
                from,
                to,
                expected,
            } => write!(
                f,
                "the lr jumps from {} at step {} to {} at step {step}, where the warmup \
                 hands over; no other step changes it by more than {}",
                py_repr(from),
                step - 1,
                py_repr(to),
                py_repr(expected)
            ),
            Warning::PastDefinedEnd { step, last } => write!(
                f,
                "steps {step} and later are past the schedule's last defined step {last}; \
                 its home library raises an error there"
            ),
        }
    }
}

/// A `--assert` expression, compiled over [`ASSERT_VARIABLES`].
#[derive(Debug)]
pub struct Assertion {
    source: String,
    program: Program,
    uses: Vec<usize>,
}

impl Assertion {
    /// Compiles `source`; a bad expression or an unknown name is an input error (exit 2).
    pub fn compile(source: &str) -> Result<Self> {
        let program = expr::compile(source, &ASSERT_VARIABLES)
            .map_err(|e| Error::input(format!("invalid --assert: {e}")))?;
        Ok(Assertion {
            source: source.to_string(),
            program,
            uses: names_used(source, &ASSERT_VARIABLES),
        })
    }
}

/// The indices into `variables` of the names `source` mentions, in order of first use.
/// Numbers are skipped whole, so the `e` of `3e-4` is not taken for a name.
fn names_used(source: &str, variables: &[&str]) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut used = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() || b == b'.' {
            i += 1;
            while i < bytes.len() {
                let c = bytes[i];
                let exponent_sign = (c == b'+' || c == b'-') && matches!(bytes[i - 1], b'e' | b'E');
                if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let name = &source[start..i];
            if let Some(index) = variables.iter().position(|v| *v == name)
                && !used.contains(&index)
            {
                used.push(index);
            }
        } else {
            i += 1;
        }
    }
    used
}

/// An evaluated assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The expression as the user wrote it.
    pub source: String,
    /// Its value; comparisons give 1 (true) or 0 (false).
    pub value: f64,
    /// Whether it holds: the value is neither 0 nor NaN.
    pub passed: bool,
    /// The names it uses, with their values.
    pub uses: Vec<(&'static str, f64)>,
}

impl Outcome {
    /// `(peak_lr = 0.001, steps = 100)`, or nothing for an expression without names.
    fn values_text(&self) -> String {
        if self.uses.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .uses
            .iter()
            .map(|(name, v)| format!("{name} = {}", value_text(name, *v)))
            .collect();
        format!(" ({})", parts.join(", "))
    }
}

/// The value of a name as text: counts as integers, lrs as Python prints them.
fn value_text(name: &str, v: f64) -> String {
    if COUNTS.contains(&name) && v.is_finite() {
        format!("{v:.0}")
    } else {
        py_repr(v)
    }
}

/// Everything `check` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The summary.
    pub summary: Summary,
    /// Each assertion, in the order given.
    pub outcomes: Vec<Outcome>,
    /// Warnings, in the order of the checks above.
    pub warnings: Vec<Warning>,
    /// Built-in failures.
    pub failures: Vec<Failure>,
    /// Whether warnings fail the check (`--strict`).
    pub strict: bool,
}

/// Builds the schedule of `description`, runs the pass and evaluates `assertions`.
pub fn check(description: &Description, assertions: &[Assertion], strict: bool) -> Result<Report> {
    Ok(evaluate(
        description.schedule(),
        description.ctx(),
        assertions,
        strict,
    ))
}

/// Runs the pass over steps `0 .. ctx.steps` of `schedule` and evaluates `assertions`.
pub fn evaluate(
    schedule: &dyn Schedule,
    ctx: &Context,
    assertions: &[Assertion],
    strict: bool,
) -> Report {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let horizon = schedule.horizon();
    let map = |previous: Option<Point>, points: &mut parallel::Run<'_>| {
        let mut pass = Pass::new(ctx, horizon, previous);
        points.for_each(|p| pass.add(&p));
        pass
    };
    let mut pass = Pass::new(ctx, horizon, None);
    parallel::map_chunks(schedule, 0, ctx.steps, threads, &map, |chunk| {
        pass.merge(chunk)
    });
    let (summary, mut warnings, failures) = pass.finish();
    if let Some(last) = schedule.last_defined_step()
        && ctx.steps.saturating_sub(1) > last
    {
        warnings.push(Warning::PastDefinedEnd {
            step: last + 1,
            last,
        });
    }
    let mut values = [0.0; ASSERT_VARIABLES.len()];
    values[..SUMMARY_NAMES.len()].copy_from_slice(&summary.values());
    values[SUMMARY_NAMES.len()..].copy_from_slice(&[
        ctx.steps as f64,
        ctx.warmup as f64,
        ctx.base_lr,
    ]);
    let outcomes = assertions
        .iter()
        .map(|a| {
            let value = a.program.eval(&values);
            Outcome {
                source: a.source.clone(),
                value,
                passed: value != 0.0 && !value.is_nan(),
                uses: a
                    .uses
                    .iter()
                    .map(|&i| (ASSERT_VARIABLES[i], values[i]))
                    .collect(),
            }
        })
        .collect();
    Report {
        summary,
        outcomes,
        warnings,
        failures,
        strict,
    }
}

/// Neumaier's compensated sum: the error of each addition is kept aside and added back at
/// the end, so a sum of 10^9 terms is as accurate as one of ten.
#[derive(Clone, Copy, Debug, Default)]
struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    #[inline]
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds another compensated sum (of the terms that follow this one's).
    fn merge(&mut self, other: Neumaier) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    fn total(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            // inf + (inf - inf) would turn an infinite sum into NaN.
            self.sum
        }
    }
}

/// The state of the streaming pass over a run of steps (a chunk of the whole, or all).
struct Pass {
    /// The lr of the step before the first one added, where the run has one.
    previous: Option<f64>,
    warmup: u64,
    base_lr: f64,
    horizon: Option<u64>,
    count: u64,
    first: f64,
    peak: f64,
    peak_step: u64,
    min: f64,
    last: f64,
    sum: Neumaier,
    non_finite: Option<Failure>,
    negative: Option<Failure>,
    rise: Option<Warning>,
    /// The lr at `W - 1` and `W`.
    handover: Option<(f64, f64)>,
    /// The largest |change| between consecutive steps after `W`.
    later_change: f64,
}

impl Pass {
    fn new(ctx: &Context, horizon: Option<u64>, previous: Option<Point>) -> Self {
        Pass {
            previous: previous.map(|p| p.lr),
            warmup: ctx.warmup,
            base_lr: ctx.base_lr,
            horizon,
            count: 0,
            first: f64::NAN,
            peak: f64::NAN,
            peak_step: 0,
            min: f64::NAN,
            last: f64::NAN,
            sum: Neumaier::default(),
            non_finite: None,
            negative: None,
            rise: None,
            handover: None,
            later_change: 0.0,
        }
    }

    #[inline]
    fn add(&mut self, p: &Point) {
        let (step, lr) = (p.step, p.lr);
        if self.count == 0 {
            self.first = lr;
        }
        let previous = if self.count == 0 {
            self.previous
        } else {
            Some(self.last)
        };
        if let Some(previous) = previous {
            if self.rise.is_none() && lr > previous && self.horizon.is_some_and(|h| step >= h) {
                self.rise = Some(Warning::RisesPastHorizon {
                    horizon: self.horizon.unwrap_or(step),
                    step,
                    from: previous,
                    to: lr,
                });
            }
            if self.warmup > 0 {
                if step == self.warmup {
                    self.handover = Some((previous, lr));
                } else if step > self.warmup {
                    let change = (lr - previous).abs();
                    if change > self.later_change {
                        self.later_change = change;
                    }
                }
            }
        }
        // NaN never becomes the peak or the minimum; it is reported as a failure instead.
        if lr > self.peak || (self.peak.is_nan() && !lr.is_nan()) {
            self.peak = lr;
            self.peak_step = step;
        }
        if lr < self.min || (self.min.is_nan() && !lr.is_nan()) {
            self.min = lr;
        }
        if !lr.is_finite() && self.non_finite.is_none() {
            self.non_finite = Some(Failure::NonFinite { step, lr });
        }
        if lr < 0.0 && self.negative.is_none() {
            self.negative = Some(Failure::Negative { step, lr });
        }
        self.sum.add(lr);
        self.last = lr;
        self.count += 1;
    }

    /// Takes in the pass over the steps that directly follow this one's.
    fn merge(&mut self, next: Pass) {
        if next.count == 0 {
            return;
        }
        if self.count == 0 {
            self.first = next.first;
        }
        // Ties keep the earlier step: `peak_step` is the first step at the peak.
        if next.peak > self.peak || (self.peak.is_nan() && !next.peak.is_nan()) {
            self.peak = next.peak;
            self.peak_step = next.peak_step;
        }
        if next.min < self.min || (self.min.is_nan() && !next.min.is_nan()) {
            self.min = next.min;
        }
        self.last = next.last;
        self.sum.merge(next.sum);
        self.non_finite = self.non_finite.take().or(next.non_finite);
        self.negative = self.negative.take().or(next.negative);
        self.rise = self.rise.take().or(next.rise);
        self.handover = self.handover.or(next.handover);
        self.later_change = self.later_change.max(next.later_change);
        self.count += next.count;
    }

    fn finish(self) -> (Summary, Vec<Warning>, Vec<Failure>) {
        let sum_lr = self.sum.total();
        let summary = Summary {
            first_lr: self.first,
            peak_lr: self.peak,
            peak_step: self.peak_step,
            final_lr: self.last,
            min_lr: self.min,
            mean_lr: sum_lr / self.count.max(1) as f64,
            sum_lr,
        };
        let mut warnings = Vec::new();
        if self.first == 0.0 {
            warnings.push(Warning::ZeroFirstLr);
        }
        warnings.extend(self.rise);
        if let Some((from, to)) = self.handover {
            let warmup_step = self.base_lr / self.warmup as f64;
            let expected = warmup_step.max(self.later_change);
            // The slack absorbs rounding: a transformers warmup hands over with a change
            // of exactly one warmup step, give or take an ulp.
            // A non-finite lr is a failure already; a jump to it says nothing more.
            let finite = from.is_finite() && to.is_finite();
            if finite && (to - from).abs() > expected * (1.0 + 1e-6) {
                warnings.push(Warning::WarmupJump {
                    step: self.warmup,
                    from,
                    to,
                    expected,
                });
            }
        }
        let failures = self.non_finite.into_iter().chain(self.negative).collect();
        (summary, warnings, failures)
    }
}

impl Report {
    /// Whether the check passes: no failure, every assertion holds, and no warning under
    /// `--strict`.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
            && self.outcomes.iter().all(|o| o.passed)
            && (!self.strict || self.warnings.is_empty())
    }

    /// What failed, one clause per problem, for the error line on stderr; `None` when the
    /// check passed.
    pub fn failure_message(&self) -> Option<String> {
        if self.passed() {
            return None;
        }
        let mut reasons: Vec<String> = self.failures.iter().map(Failure::to_string).collect();
        reasons.extend(
            self.outcomes
                .iter()
                .filter(|o| !o.passed)
                .map(|o| format!("assertion failed: {}{}", o.source, o.values_text())),
        );
        if self.strict {
            reasons.extend(
                self.warnings
                    .iter()
                    .map(|w| format!("warning (--strict): {w}")),
            );
        }
        Some(reasons.join("; "))
    }

    /// The readable report: the schedule, the summary as aligned `name  value` lines, then
    /// the built-in failures and assertions (`ok` / `FAILED`), the warnings and a verdict.
    pub fn write_text(&self, description: &Description, out: &mut dyn Write) -> Result<()> {
        const WIDTH: usize = 10;
        writeln!(out, "{:<WIDTH$} {}", "schedule", schedule_text(description))?;
        for (name, value) in SUMMARY_NAMES.iter().zip(self.summary.values()) {
            writeln!(out, "{name:<WIDTH$} {}", value_text(name, value))?;
        }
        if !self.failures.is_empty() || !self.outcomes.is_empty() {
            writeln!(out)?;
        }
        for failure in &self.failures {
            let (step, lr) = failure.at();
            let (check, what) = match failure {
                Failure::NonFinite { .. } => ("lr is finite", py_repr(lr)),
                Failure::Negative { .. } => ("lr >= 0", py_repr(lr)),
            };
            writeln!(out, "FAILED  {check}  ({what} at step {step})")?;
        }
        for outcome in &self.outcomes {
            if outcome.passed {
                writeln!(out, "ok      {}", outcome.source)?;
            } else {
                writeln!(out, "FAILED  {}{}", outcome.source, outcome.values_text())?;
            }
        }
        if !self.warnings.is_empty() {
            writeln!(out)?;
        }
        for warning in &self.warnings {
            writeln!(out, "warning: {warning}")?;
        }
        writeln!(out)?;
        writeln!(out, "{}", self.verdict())?;
        out.flush()?;
        Ok(())
    }

    fn verdict(&self) -> String {
        let warnings = plural(self.warnings.len(), "warning");
        if self.passed() {
            return match self.warnings.len() {
                0 => "passed".into(),
                _ => format!("passed with {warnings}"),
            };
        }
        let mut parts = Vec::new();
        for failure in &self.failures {
            parts.push(match failure {
                Failure::NonFinite { .. } => "a NaN or infinite lr".to_string(),
                Failure::Negative { .. } => "a negative lr".to_string(),
            });
        }
        let failed = self.outcomes.iter().filter(|o| !o.passed).count();
        if failed > 0 {
            parts.push(format!(
                "{failed} of {} failed",
                plural(self.outcomes.len(), "assertion")
            ));
        }
        if self.strict && !self.warnings.is_empty() {
            parts.push(format!("{warnings} (--strict)"));
        }
        format!("FAILED: {}", parts.join(", "))
    }

    /// The report as JSON: `{"schedule", "summary", "assertions", "warnings", "failures",
    /// "passed"}`; NaN and infinite values are `null`.
    pub fn to_json(&self, description: &Description) -> Json {
        let mut summary = Map::new();
        for (name, value) in SUMMARY_NAMES.iter().zip(self.summary.values()) {
            summary.insert((*name).to_string(), value_json(name, value));
        }
        let assertions: Vec<Json> = self
            .outcomes
            .iter()
            .map(|o| {
                let values: Map<String, Json> = o
                    .uses
                    .iter()
                    .map(|(name, v)| ((*name).to_string(), value_json(name, *v)))
                    .collect();
                json!({
                    "assert": o.source,
                    "passed": o.passed,
                    "value": number(o.value),
                    "values": values,
                })
            })
            .collect();
        let warnings: Vec<Json> = self
            .warnings
            .iter()
            .map(|w| json!({"kind": w.kind(), "step": w.step(), "message": w.to_string()}))
            .collect();
        let failures: Vec<Json> = self
            .failures
            .iter()
            .map(|f| {
                let (step, lr) = f.at();
                json!({"kind": f.kind(), "step": step, "lr": number(lr), "message": f.to_string()})
            })
            .collect();
        json!({
            "schedule": description.to_json(),
            "summary": summary,
            "assertions": assertions,
            "warnings": warnings,
            "failures": failures,
            "passed": self.passed(),
        })
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A JSON number, or `null` for NaN and infinities (JSON has neither). Whole floats stay
/// floats (`0.0`), as in `lrsched json`.
fn number(v: f64) -> Json {
    serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
}

/// The value of a name as JSON: counts as integers, lrs as numbers or `null`.
fn value_json(name: &str, v: f64) -> Json {
    if COUNTS.contains(&name) && v.is_finite() && v >= 0.0 {
        // Counts are u64 values carried in an f64; this turns them back.
        json!(v as u64)
    } else {
        number(v)
    }
}

/// `cosine, warmup 100, steps 1000, base_lr 0.001` with any parameters the user gave.
fn schedule_text(description: &Description) -> String {
    let ctx = description.ctx();
    let mut text = match description.kind() {
        ScheduleKind::Builtin { entry, .. } => entry.to_string(),
        ScheduleKind::Expr(source) => format!("--expr \"{source}\""),
    };
    text.push_str(&format!(
        ", warmup {}, steps {}, base_lr {}",
        ctx.warmup,
        ctx.steps,
        py_repr(ctx.base_lr)
    ));
    if let ScheduleKind::Builtin { params, .. } = description.kind() {
        for (name, value) in params.iter() {
            if params.was_given(name) {
                let value = value.map_or_else(|| "None".to_string(), ToString::to_string);
                text.push_str(&format!(", {name}={value}"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schedule given by a closure of the step, with optional hooks.
    struct ByStep<F> {
        f: F,
        base_lr: f64,
        horizon: Option<u64>,
        last: Option<u64>,
    }

    impl<F> fmt::Debug for ByStep<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("ByStep")
        }
    }

    impl<F: Fn(u64) -> f64 + Send + Sync> Schedule for ByStep<F> {
        fn at(&self, step: u64) -> Point {
            Point::from_lr(step, (self.f)(step), self.base_lr)
        }
        fn horizon(&self) -> Option<u64> {
            self.horizon
        }
        fn last_defined_step(&self) -> Option<u64> {
            self.last
        }
    }

    fn lrs<F: Fn(u64) -> f64 + Send + Sync>(f: F) -> ByStep<F> {
        ByStep {
            f,
            base_lr: 1.0,
            horizon: None,
            last: None,
        }
    }

    fn ctx(steps: u64, warmup: u64) -> Context {
        Context {
            steps,
            base_lr: 1.0,
            warmup,
        }
    }

    #[test]
    fn summary_of_a_warmup() {
        let schedule = lrs(|s| {
            if s < 4 {
                s as f64 / 4.0
            } else {
                1.0 - (s - 4) as f64 / 8.0
            }
        });
        let report = evaluate(&schedule, &ctx(10, 4), &[], false);
        assert_eq!(
            report.summary,
            Summary {
                first_lr: 0.0,
                peak_lr: 1.0,
                peak_step: 4,
                final_lr: 0.375,
                min_lr: 0.0,
                mean_lr: 0.5625,
                sum_lr: 5.625,
            }
        );
        assert_eq!(report.warnings, [Warning::ZeroFirstLr]);
        assert!(report.passed());
    }

    /// Chunks meet inside the run: what spans a boundary (the warmup's hand-over, a rise
    /// past the horizon, the first peak, a failure) is found as in one pass.
    #[test]
    fn chunk_boundaries_are_seamless() {
        use crate::parallel::CHUNK_STEPS;
        let w = CHUNK_STEPS;
        let mut schedule = lrs(move |s| match s {
            s if s < w => s as f64 / w as f64,
            s if s == w => 0.01,
            s if s == 2 * w + 3 => -0.001,
            _ => 0.02,
        });
        schedule.horizon = Some(w + 1);
        let report = evaluate(&schedule, &ctx(2 * w + 10, w), &[], false);
        assert_eq!(report.summary.peak_step, w - 1);
        assert_eq!(report.summary.final_lr, 0.02);
        assert_eq!(report.summary.min_lr, -0.001);
        assert_eq!(
            report.failures,
            [Failure::Negative {
                step: 2 * w + 3,
                lr: -0.001
            }]
        );
        assert_eq!(
            report.warnings,
            [
                Warning::ZeroFirstLr,
                Warning::RisesPastHorizon {
                    horizon: w + 1,
                    step: w + 1,
                    from: 0.01,
                    to: 0.02
                },
                Warning::WarmupJump {
                    step: w,
                    from: (w - 1) as f64 / w as f64,
                    to: 0.01,
                    expected: 0.021
                },
            ]
        );
        // The sum is that of one sequential pass, to the bit.
        let mut sum = Neumaier::default();
        (0..2 * w + 10).for_each(|s| sum.add((schedule.f)(s)));
        let expected = sum.total();
        assert!(
            (report.summary.sum_lr - expected).abs() <= expected.abs() * 1e-15,
            "{} vs {expected}",
            report.summary.sum_lr
        );
    }

    #[test]
    fn peak_step_is_the_first_at_the_peak() {
        let report = evaluate(&lrs(|s| (s % 3) as f64), &ctx(9, 0), &[], false);
        assert_eq!((report.summary.peak_lr, report.summary.peak_step), (2.0, 2));
    }

    #[test]
    fn compensated_sum_is_exact_where_naive_drifts() {
        let mut sum = Neumaier::default();
        let mut naive = 0.0;
        for _ in 0..10_000_000 {
            sum.add(0.1);
            naive += 0.1;
        }
        assert_eq!(sum.total(), 1_000_000.0);
        assert_ne!(naive, 1_000_000.0);
        let mut big = Neumaier::default();
        for x in [1e100, 1.0, -1e100] {
            big.add(x);
        }
        assert_eq!(big.total(), 1.0);
        let mut inf = Neumaier::default();
        inf.add(f64::INFINITY);
        inf.add(1.0);
        assert_eq!(inf.total(), f64::INFINITY);
    }

    #[test]
    fn nan_infinite_and_negative_lrs_fail_at_their_first_step() {
        let report = evaluate(
            &lrs(|s| match s {
                3 => -0.5,
                5 => f64::NAN,
                6 => f64::INFINITY,
                7 => -1.0,
                _ => 1.0,
            }),
            &ctx(10, 0),
            &[],
            false,
        );
        assert!(!report.passed());
        let found: Vec<(&str, u64, String)> = report
            .failures
            .iter()
            .map(|f| (f.kind(), f.at().0, py_repr(f.at().1)))
            .collect();
        assert_eq!(
            found,
            [
                ("non_finite", 5, "nan".to_string()),
                ("negative", 3, "-0.5".to_string())
            ]
        );
        assert_eq!(
            report.failure_message().as_deref(),
            Some("lr is nan at step 5; lr is negative at step 3: -0.5")
        );
        // NaN is never the peak or the minimum; the infinity is.
        assert_eq!(report.summary.peak_lr, f64::INFINITY);
        assert_eq!(report.summary.min_lr, -1.0);
        let negative_zero = evaluate(&lrs(|_| -0.0), &ctx(3, 0), &[], false);
        assert!(negative_zero.failures.is_empty());
    }

    #[test]
    fn rises_past_the_horizon_only() {
        // A cosine with T_max = 10 evaluated for 30 steps.
        let cosine = |s: u64| 0.5 * (1.0 + (std::f64::consts::PI * s as f64 / 10.0).cos());
        let mut schedule = lrs(cosine);
        schedule.horizon = Some(10);
        let report = evaluate(&schedule, &ctx(30, 0), &[], false);
        assert_eq!(
            report.warnings,
            [Warning::RisesPastHorizon {
                horizon: 10,
                step: 11,
                from: cosine(10),
                to: cosine(11)
            }]
        );
        assert_eq!(
            report.warnings[0].to_string(),
            "the lr rises again past the schedule's horizon at step 10: 0.0 at step 10 -> \
             0.024471741852423123 at step 11"
        );
        let within = evaluate(&schedule, &ctx(11, 0), &[], false);
        assert_eq!(within.warnings, []);
        schedule.horizon = None;
        assert_eq!(evaluate(&schedule, &ctx(30, 0), &[], false).warnings, []);
    }

    #[test]
    fn a_warmup_handing_over_smoothly_is_no_jump() {
        // transformers-style: s / W, then 1.
        let smooth = lrs(|s| if s < 10 { s as f64 / 10.0 } else { 1.0 });
        assert_eq!(
            evaluate(&smooth, &ctx(50, 10), &[], false).warnings,
            [Warning::ZeroFirstLr]
        );
        // OneCycleLR-style: the warmup reaches 0.9, the scheduler starts at 0.04.
        let onecycle = lrs(|s| {
            if s < 10 {
                s as f64 / 10.0
            } else {
                0.04 + (s - 10) as f64 * 0.001
            }
        });
        let report = evaluate(&onecycle, &ctx(50, 10), &[], false);
        assert_eq!(report.warnings.len(), 2);
        let Warning::WarmupJump {
            step,
            from,
            to,
            expected,
        } = report.warnings[1]
        else {
            panic!("{:?}", report.warnings);
        };
        assert_eq!((step, from, to, expected), (10, 0.9, 0.04, 0.1));
        // A schedule that jumps more by itself later (StepLR) makes the handover ordinary.
        let step_lr = lrs(|s| match s {
            0..10 => s as f64 / 10.0,
            10..20 => 0.5,
            _ => 0.05,
        });
        assert_eq!(
            evaluate(&step_lr, &ctx(50, 10), &[], false).warnings.len(),
            1
        );
    }

    #[test]
    fn steps_past_the_defined_end_are_named() {
        let mut schedule = lrs(|_| 1.0);
        schedule.last = Some(99);
        assert_eq!(evaluate(&schedule, &ctx(100, 0), &[], false).warnings, []);
        let report = evaluate(&schedule, &ctx(102, 0), &[], true);
        assert_eq!(
            report.warnings,
            [Warning::PastDefinedEnd {
                step: 100,
                last: 99
            }]
        );
        assert!(!report.passed(), "--strict fails on warnings");
        assert_eq!(
            report.failure_message().as_deref(),
            Some(
                "warning (--strict): steps 100 and later are past the schedule's last \
                 defined step 99; its home library raises an error there"
            )
        );
    }

    #[test]
    fn names_are_found_outside_numbers() {
        let vars = ASSERT_VARIABLES;
        assert_eq!(names_used("peak_lr <= 3e-4", &vars), [1]);
        assert_eq!(
            names_used("final_lr < 0.1 * peak_lr + final_lr", &vars),
            [3, 1]
        );
        assert_eq!(names_used("1e+5steps", &vars), Vec::<usize>::new());
        assert_eq!(names_used("steps>=warmup&&base_lr", &vars), [7, 8, 9]);
        assert_eq!(names_used("peak_lrx", &vars), Vec::<usize>::new());
    }
}
