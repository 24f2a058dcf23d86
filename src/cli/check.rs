//! `lrsched check`: the summary, built-in checks and `--assert` expressions of one schedule,
//! for CI. The report goes to stdout; a failure also ends with one line on stderr and exit
//! status 1.

use std::io::{self, Write};

use clap::{Args, ValueEnum};

use lrsched::check::{self, Assertion};
use lrsched::engine::Engine;
use lrsched::error::{Error, Result};

use super::ScheduleArgs;

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    /// Must hold, or the check fails (repeatable): an expression over first_lr, peak_lr,
    /// peak_step, final_lr, min_lr, mean_lr, sum_lr, steps, warmup, base_lr, e.g.
    /// "peak_lr <= 3e-4"; it holds when its value is neither 0 nor NaN
    #[arg(
        long = "assert",
        value_name = "EXPR",
        allow_hyphen_values = true,
        help_heading = "Check"
    )]
    pub assertions: Vec<String>,

    /// Fail on warnings too (lr 0 at step 0, a rise past the horizon, a jump where the
    /// warmup hands over, steps past the schedule's defined end)
    #[arg(long, help_heading = "Check")]
    pub strict: bool,

    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT", help_heading = "Output")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned `name  value` lines, then `ok` / `FAILED` per assertion and the warnings
    Text,
    /// {"schedule", "summary", "assertions", "warnings", "failures", "passed"}
    Json,
}

/// Runs the check; a failed check is [`Error::Failed`] after the report is written.
pub fn run(args: &CheckArgs) -> Result<()> {
    let description = args.schedule.one("check")?;
    let assertions = args
        .assertions
        .iter()
        .map(|source| Assertion::compile(source))
        .collect::<Result<Vec<_>>>()?;
    let report = check::check(&Engine::new(), &description, &assertions, args.strict)?;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Text => report.write_text(&description, &mut out)?,
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&report.to_json(&description))
                .map_err(|e| Error::Io(io::Error::other(e)))?;
            text.push('\n');
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    match report.failure_message() {
        Some(message) => Err(Error::Failed(message)),
        None => Ok(()),
    }
}
