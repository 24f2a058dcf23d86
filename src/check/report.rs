//! The report of `check`: what the pass, the assertions and the warnings found, as text
//! for people and JSON for machines, and the verdict.

use std::io::Write;

use serde_json::{Map, Value as Json, json};

use super::assertions::Outcome;
use super::summary::{Fault, SUMMARY_NAMES, Summary};
use super::warnings::Warning;
use crate::description::Description;
use crate::error::Result;
use crate::format::py_repr;

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
    /// the built-in failures and assertions (`ok` / `FAILED`), the warnings and a verdict.
    pub fn write_text(&self, description: &Description, out: &mut dyn Write) -> Result<()> {
        const WIDTH: usize = 10;
        writeln!(out, "{:<WIDTH$} {}", "schedule", description.text())?;
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
                        "FAILED  lr is finite  ({} at step {step})",
                        py_repr(lr)
                    )?;
                }
                Fault::Negative { .. } => {
                    writeln!(out, "FAILED  lr >= 0  ({} at step {step})", py_repr(lr))?;
                }
                Fault::Raises { message, .. } => {
                    writeln!(
                        out,
                        "FAILED  lr is defined  (step {step} raises: {message})"
                    )?;
                }
            }
        }
        for outcome in &self.outcomes {
            if outcome.passed {
                writeln!(out, "ok      {}", outcome.source)?;
            } else {
                writeln!(out, "FAILED  {}{}", outcome.source, values_text(outcome))?;
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
