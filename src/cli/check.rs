//! `lrsched check`: the summary, built-in checks and `--assert` expressions of one schedule,
//! for CI. The report goes to stdout; a failure also ends with one line on stderr and exit
//! status 1. Config files given as arguments are checked one after the other, as a
//! pre-commit hook passes them.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Arg, Args, ValueEnum};

use lrsched::check::{self, Assertion, Kind, Options};
use lrsched::engine::Engine;
use lrsched::error::{Error, Result};

use super::ScheduleArgs;
use super::progress::{Bar, Verb};
use super::run::{self, RunArgs};

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    #[command(flatten)]
    pub run: RunArgs,

    /// Must hold, or the check fails (repeatable): an expression over first_lr, peak_lr,
    /// peak_step, final_lr, min_lr, mean_lr, sum_lr, steps, warmup, base_lr, e.g.
    /// "peak_lr <= 3e-4" (max_lr is read as peak_lr); it holds when its value is neither 0
    /// nor NaN
    #[arg(
        long = "assert",
        value_name = "EXPR",
        allow_hyphen_values = true,
        help_heading = "Check"
    )]
    pub assertions: Vec<String>,

    /// Fail on warnings too (the kinds below), except those --allow names
    #[arg(long, help_heading = "Check")]
    pub strict: bool,

    /// Leave out the warnings of this KIND (repeatable, or KIND,KIND), so that --strict
    /// fails on the others only: e.g. --allow zero_first_lr for a linear warmup
    #[arg(
        long,
        value_name = "KIND",
        value_delimiter = ',',
        help_heading = "Check"
    )]
    pub allow: Vec<String>,

    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT", help_heading = "Output")]
    pub format: Format,

    #[command(flatten)]
    pub progress: super::progress::ProgressArgs,

    /// Config files to check, each in turn with the same flags and assertions (one is the
    /// same as --config FILE)
    #[arg(value_name = "CONFIG", help_heading = "Check")]
    pub configs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned `name  value` lines, then `ok` / `FAILED` per assertion and the warnings
    Text,
    /// {"schedule", "summary", "assertions", "warnings", "allowed", "failures", "passed"}
    Json,
}

/// A run flag as `check` shows it: with `--samples` the check covers each update rather
/// than writing a row of it, and `--logged`, which writes the logged values, is no check's.
pub fn run_flag(arg: Arg) -> Arg {
    let arg = match arg.get_help_heading() {
        Some(run::HEADING) => {
            arg.help_heading("Run (with --samples: the check covers each optimizer update)")
        }
        _ => arg,
    };
    match arg.get_id().as_str() {
        "samples" => arg.help(
            "Training samples; the check covers each optimizer update of the run, the \
             schedule sized as transformers' Trainer sizes it (num_training_steps = max_steps)",
        ),
        "logged" | "logging_steps" => arg.hide(true),
        _ => arg,
    }
}

/// Runs the check; a failed check is [`Error::Failed`] after the report is written.
pub fn run(args: &CheckArgs) -> Result<()> {
    if !args.configs.is_empty() && !args.schedule.config.is_empty() {
        return Err(Error::input(
            "give config files either as arguments or with --config, not both",
        ));
    }
    if args.run.logged {
        return Err(Error::input(
            "--logged writes the Trainer's logged learning_rate; check covers the lr of every \
             update of the run, without it",
        ));
    }
    // Compiled before any step is evaluated, so a malformed one is reported once.
    let assertions = args
        .assertions
        .iter()
        .map(|source| Assertion::compile(source))
        .collect::<Result<Vec<_>>>()?;
    let mut allow = Vec::new();
    for name in &args.allow {
        let kind = Kind::parse(name.trim())?;
        if !allow.contains(&kind) {
            allow.push(kind);
        }
    }
    let options = Options {
        strict: args.strict,
        allow,
    };
    match args.configs.as_slice() {
        [] => check_one(args, &args.schedule, &assertions, &options),
        [path] => check_one(args, &with_config(args, path), &assertions, &options),
        paths => check_each(args, paths, &assertions, &options),
    }
}

/// The schedule flags with `path` as their config file.
fn with_config(args: &CheckArgs, path: &Path) -> ScheduleArgs {
    let mut schedule = args.schedule.clone();
    schedule.config = vec![path.to_path_buf()];
    schedule
}

/// Checks each config in turn, each report under a `==> FILE <==` line, and fails with the
/// worst status of them all (2 for bad input, else 1 for a failed check).
fn check_each(
    args: &CheckArgs,
    paths: &[PathBuf],
    assertions: &[Assertion],
    options: &Options,
) -> Result<()> {
    if args.format == Format::Json {
        return Err(Error::input(
            "--format json reports on one config; check the files one at a time",
        ));
    }
    let (mut failed, mut bad) = (0, 0);
    for (i, path) in paths.iter().enumerate() {
        let separator = if i == 0 { "" } else { "\n" };
        writeln!(io::stdout(), "{separator}==> {} <==", path.display())?;
        let Err(err) = check_one(args, &with_config(args, path), assertions, options) else {
            continue;
        };
        match err.exit_status() {
            0 => return Err(err),
            1 => failed += 1,
            _ => bad += 1,
        }
        super::report(&format!("error: {}: {err}", path.display()));
    }
    let message = format!(
        "{} of {} configs failed the check",
        failed + bad,
        paths.len()
    );
    match (failed, bad) {
        (0, 0) => Ok(()),
        (_, 0) => Err(Error::Failed(message)),
        _ => Err(Error::Input(message)),
    }
}

fn check_one(
    args: &CheckArgs,
    schedule: &ScheduleArgs,
    assertions: &[Assertion],
    options: &Options,
) -> Result<()> {
    let (description, report) = match run::plan(&args.run, schedule, "check")? {
        Some(planned) => {
            let (description, derivation, runtime) = planned.into_parts();
            let report =
                check::check_run(&description, &derivation, &runtime, assertions, options)?;
            (description, report)
        }
        None => {
            let description = schedule.one("check")?;
            let bar = Bar::new(args.progress.progress, Verb::Checking);
            if let Some(bar) = &bar {
                bar.name(&description.label(), !description.schedule().seekable());
            }
            let engine = Bar::engine(bar.as_ref(), Engine::new());
            let report = check::check(&engine, &description, assertions, options)?;
            (description, report)
        }
    };
    let color = super::color::enabled(None, io::stdout().is_terminal());
    let mut out = io::stdout().lock();
    match args.format {
        Format::Text => report.write_text(&description, color, &mut out)?,
        Format::Json => {
            let mut text = lrsched::format::json_pretty(&report.to_json(&description));
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
