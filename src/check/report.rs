//! The report of `check`: what the pass, the assertions and the warnings found, as text
//! for people and JSON for machines, and the verdict.

use std::io::Write;

use serde_json::{Map, Value as Json, json};

use super::assertions::Outcome;
use super::summary::{Fault, SUMMARY_NAMES, Summary};
use super::warnings::{Kind, Warning};
use crate::description::Description;
use crate::error::Result;
use crate::format::py_repr;
use crate::run::Derivation;
use crate::run::runtime::Runtime;

/// SGR styles of the text report on a terminal: green, bold red, bold yellow.
const OK_STYLE: &str = "32";
const FAILED_STYLE: &str = "1;31";
const WARNING_STYLE: &str = "1;33";

/// Names whose values are whole numbers, printed without a decimal point.
const COUNTS: [&str; 3] = ["peak_step", "steps", "warmup"];

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
    pub failures: Vec<Fault>,
    /// Whether warnings fail the check (`--strict`).
    pub strict: bool,
    /// The kinds of warning left out (`--allow`).
    pub allowed: Vec<Kind>,
    /// The run the steps are the updates of (`--samples`).
    pub run: Option<RunInfo>,
}

/// What the report says about a run: how its updates were derived and what steps the
/// scheduler.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// The derivation in one line (`1001 samples / (8 x 1) = 126 batches/epoch; ...`).
    pub derivation: String,
    /// What the user should know about the inputs.
    pub notes: Vec<String>,
    /// `hf, stepped once per update`.
    pub runtime: String,
    /// The derivation as `lrsched json` writes it.
    pub json: Json,
    /// The runtime as `lrsched json` writes it.
    pub runtime_json: Json,
}

impl RunInfo {
    /// The report's view of `derivation` run by `runtime`, `text` its line
    /// ([`super::derivation_text`]).
    pub fn new(text: String, derivation: &Derivation, runtime: &Runtime) -> Self {
        let mut json = derivation.to_json();
        if let Some(map) = json.as_object_mut() {
            map.insert("derivation".into(), json!(text));
        }
        RunInfo {
            derivation: text,
            notes: derivation.notes.clone(),
            runtime: format!("{}, stepped {}", runtime.name(), runtime.stepping()),
            json,
            runtime_json: serde_json::to_value(runtime).unwrap_or(Json::Null),
        }
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
        let mut reasons: Vec<String> = self.failures.iter().map(Fault::to_string).collect();
        reasons.extend(
            self.outcomes
                .iter()
                .filter(|o| !o.passed)
                .map(|o| format!("assertion failed: {}{}", o.source, values_text(o))),
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
    /// the built-in failures and assertions (`ok` / `FAILED`), the notes on names read as
    /// others, the warnings and a verdict. With `color`, `ok` and `passed` are green,
    /// `FAILED` bold red and `warning:` bold yellow, as clap and cargo colour theirs.
    pub fn write_text(
        &self,
        description: &Description,
        color: bool,
        out: &mut dyn Write,
    ) -> Result<()> {
        const WIDTH: usize = 10;
        let paint = |style: &str, text: &str| {
            if color {
                format!("\u{1b}[{style}m{text}\u{1b}[0m")
            } else {
                text.to_string()
            }
        };
        let failed = paint(FAILED_STYLE, "FAILED");
        writeln!(out, "{:<WIDTH$} {}", "schedule", description.text())?;
        if let Some(run) = &self.run {
            writeln!(out, "{:<WIDTH$} {}", "run", run.derivation)?;
            writeln!(out, "{:<WIDTH$} {}", "runtime", run.runtime)?;
            for note in &run.notes {
                writeln!(out, "{:<WIDTH$} {note}", "note")?;
            }
        }
        for (name, value) in SUMMARY_NAMES.iter().zip(self.summary.values()) {
            writeln!(out, "{name:<WIDTH$} {}", value_text(name, value))?;
        }
        if !self.failures.is_empty() || !self.outcomes.is_empty() {
            writeln!(out)?;
        }
        for failure in &self.failures {
            let (step, lr) = failure.at();
            match failure {
                Fault::NonFinite { .. } => {
                    writeln!(
                        out,
                        "{failed}  lr is finite  ({} at step {step})",
                        py_repr(lr)
                    )?;
                }
                Fault::Negative { .. } => {
                    writeln!(out, "{failed}  lr >= 0  ({} at step {step})", py_repr(lr))?;
                }
                Fault::Raises { message, .. } => {
                    writeln!(
                        out,
                        "{failed}  lr is defined  (step {step} raises: {message})"
                    )?;
                }
            }
        }
        for outcome in &self.outcomes {
            if outcome.passed {
                writeln!(out, "{}      {}", paint(OK_STYLE, "ok"), outcome.source)?;
            } else {
                writeln!(out, "{failed}  {}{}", outcome.source, values_text(outcome))?;
            }
        }
        for note in self.notes() {
            writeln!(out, "note: {note}")?;
        }
        if !self.warnings.is_empty() {
            writeln!(out)?;
        }
        for warning in &self.warnings {
            writeln!(out, "{} {warning}", paint(WARNING_STYLE, "warning:"))?;
        }
        writeln!(out)?;
        let verdict = self.verdict();
        let verdict = match verdict.strip_prefix("FAILED") {
            Some(rest) => format!("{failed}{rest}"),
            None => paint(OK_STYLE, &verdict),
        };
        writeln!(out, "{verdict}")?;
        out.flush()?;
        Ok(())
    }

    /// `max_lr is peak_lr`: each other name an assertion used, once, with the name it was
    /// read as.
    pub fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = Vec::new();
        for (alias, name) in self.outcomes.iter().flat_map(|o| &o.aliases) {
            let note = format!("{alias} is {name}");
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        notes
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
                Fault::NonFinite { .. } => "a NaN or infinite lr".to_string(),
                Fault::Negative { .. } => "a negative lr".to_string(),
                Fault::Raises { step, .. } => format!("the schedule raises at step {step}"),
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

    /// The report as JSON: `{"schedule", "summary", "assertions", "warnings", "allowed",
    /// "failures", "passed"}` (with a run, `"schedule"` holds its `"run"` and `"runtime"`
    /// as `lrsched json` writes them); NaN and infinite values are `null`.
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
                let mut assertion = json!({
                    "assert": o.source,
                    "passed": o.passed,
                    "value": number(o.value),
                    "values": values,
                });
                // Only where a name was read as another, so reports without stay as they were.
                if !o.aliases.is_empty()
                    && let Some(fields) = assertion.as_object_mut()
                {
                    let aliases: Map<String, Json> = o
                        .aliases
                        .iter()
                        .map(|(alias, name)| ((*alias).to_string(), json!(name)))
                        .collect();
                    fields.insert("aliases".into(), Json::Object(aliases));
                }
                assertion
            })
            .collect();
        let warnings: Vec<Json> = self
            .warnings
            .iter()
            .map(|w| {
                let mut item = json!({
                    "kind": w.kind().name(),
                    "step": w.step(),
                    "message": w.to_string(),
                });
                if let (Some(source), Some(map)) = (w.source(), item.as_object_mut()) {
                    map.insert("key".into(), json!(source.key));
                    let at = source
                        .at
                        .as_ref()
                        .map_or(Json::Null, |at| match at.line_column {
                            Some((line, column)) => {
                                json!({"file": at.file, "line": line, "column": column})
                            }
                            None => json!({"file": at.file}),
                        });
                    map.insert("at".into(), at);
                }
                if let (Warning::ZeroLr { count, .. }, Some(map)) = (w, item.as_object_mut()) {
                    map.insert("count".into(), json!(count));
                }
                item
            })
            .collect();
        let failures: Vec<Json> = self
            .failures
            .iter()
            .map(|f| {
                let (step, lr) = f.at();
                json!({"kind": f.kind(), "step": step, "lr": number(lr), "message": f.to_string()})
            })
            .collect();
        let mut schedule = description.to_json();
        if let (Some(run), Some(map)) = (&self.run, schedule.as_object_mut()) {
            map.insert("run".into(), run.json.clone());
            map.insert("runtime".into(), run.runtime_json.clone());
        }
        let allowed: Vec<&str> = self.allowed.iter().map(|k| k.name()).collect();
        json!({
            "schedule": schedule,
            "summary": summary,
            "assertions": assertions,
            "warnings": warnings,
            "allowed": allowed,
            "failures": failures,
            "passed": self.passed(),
        })
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

/// `(peak_lr = 0.001, steps = 100)`: the names an assertion uses with their values, or
/// nothing for an expression without names.
fn values_text(outcome: &Outcome) -> String {
    if outcome.uses.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = outcome
        .uses
        .iter()
        .map(|(name, v)| format!("{name} = {}", value_text(name, *v)))
        .collect();
    format!(" ({})", parts.join(", "))
}
