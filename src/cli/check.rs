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
use lrsched::schedule::Schedule;

use lrsched::logs::compare::{self, StepMap, TOLERANCE};
use lrsched::logs::{self, Columns};

use super::ScheduleArgs;
use super::progress::{Bar, Verb};
use super::run::{self, RunArgs};

/// `lrsched check`'s arguments (its notes, exit statuses and examples are its page in
/// [`super::help`]).
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    #[command(flatten)]
    pub run: RunArgs,

    /// Compare with the learning rates a run logged (trainer_state.json, CSV or JSON Lines)
    /// instead of checking assertions
    #[arg(long, value_name = "LOG", conflicts_with_all = ["assertions", "strict"], help_heading = "Against a log")]
    pub against: Option<PathBuf>,

    /// The step and lr columns (CSV) or keys (JSON Lines) of the log, when their names are
    /// not the usual ones
    #[arg(
        long,
        value_name = "STEP,LR",
        requires = "against",
        help_heading = "Against a log"
    )]
    pub log_columns: Option<String>,

    /// Largest relative error of a logged lr that still matches (logs are often float32 or
    /// rounded)
    #[arg(long, value_name = "REL", default_value_t = TOLERANCE, requires = "against", allow_negative_numbers = true, help_heading = "Against a log")]
    pub tolerance: f64,

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
    /// {"schedule", "summary", "assertions", "warnings", "allowed", "failures", "passed"}; with
    /// --against, {"schedule", "log", "comparison", "note", "passed"}
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
        "logged" => arg.help(
            "With --against: the log holds what the Trainer logs, its step s the lr of update \
             s-1 (a trainer_state.json always does)",
        ),
        "logging_steps" => arg.hide(true),
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
    if args.run.logged && args.against.is_none() {
        return Err(Error::input(
            "--logged reads a log's step s as update s-1, as the Trainer logs; it applies to \
             check --against LOG (and to table, csv and json)",
        ));
    }
    if let Some(log) = &args.against {
        return match (args.configs.as_slice(), args.schedule.config.as_slice()) {
            // Two --config are one run when they pair (TrainingArguments and their
            // DeepSpeed config); planning the run refuses two that do not.
            ([] | [_], [] | [_]) | ([], [_, _]) => {
                let schedule = match args.configs.first() {
                    Some(path) => with_config(args, path),
                    None => args.schedule.clone(),
                };
                against(args, &schedule, log)
            }
            _ => Err(Error::input(format!(
                "--against compares one schedule with one log, but {} configs are given; \
                 check each config against its own run's log in turn",
                args.configs.len().max(args.schedule.config.len())
            ))),
        };
    }
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

/// `check --against LOG`: the schedule (a run's updates with `--samples`) against the
/// learning rates the run logged.
fn against(args: &CheckArgs, schedule: &ScheduleArgs, log: &Path) -> Result<()> {
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        return Err(Error::input(format!(
            "--tolerance {} must be a relative error, 0 or more",
            lrsched::format::py_repr(args.tolerance)
        )));
    }
    let columns = args
        .log_columns
        .as_deref()
        .map(Columns::parse)
        .transpose()?;
    let planned = run::plan(&args.run, schedule, "check")?;
    let description = match &planned {
        Some(planned) => planned.description().clone(),
        None => schedule.one("check")?,
    };
    let updates = planned.as_ref().map(|p| p.updates()).transpose()?;
    let (evaluated, steps): (&dyn Schedule, u64) = match (&updates, &planned) {
        (Some(updates), Some(planned)) => (updates, planned.total_updates()),
        _ => (description.schedule(), description.ctx().steps),
    };
    // The schedule is read per update already: a log step is an update (or, for what the
    // Trainer logs, the update before it).
    let trainer_log = args.run.logged || logs::format_of(log)? == Some(logs::Format::TrainerState);
    let map = if trainer_log {
        StepMap::trainer(|u| u)
    } else {
        StepMap::same()
    };
    let (report, info) = compare::compare(
        log,
        columns.as_ref(),
        evaluated,
        steps,
        &map,
        args.tolerance,
    )?;
    let planned_updates = planned.as_ref().map(|p| p.total_updates());
    // A trainer state says how many updates its run planned; a different count here is
    // the first thing to fix.
    let max_steps_note = match (info.max_steps, planned_updates) {
        (Some(logged), Some(here)) if logged != here => Some(format!(
            "note: the log's run planned {logged} updates (max_steps), this one makes {here}; \
             check --samples, --batch-size, --devices, --grad-accum and --epochs"
        )),
        (Some(logged), None) if logged != steps => Some(format!(
            "note: the log's run planned {logged} updates (max_steps), this schedule has \
             {steps} steps"
        )),
        _ => None,
    };
    let mut out = io::stdout().lock();
    match args.format {
        Format::Text => {
            let mut text = format!("{:<10} {}\n", "schedule", description.text());
            if let Some(planned) = &planned {
                text.push_str(&format!(
                    "{:<10} {} (runtime {})\n",
                    "run",
                    planned.derivation_summary(),
                    planned.runtime_name()
                ));
            }
            text.push('\n');
            text.push_str(&report.to_text());
            if let Some(note) = &max_steps_note {
                text.push_str(note);
                text.push('\n');
            }
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Format::Json => {
            let schedule_json = match &planned {
                Some(planned) => planned.to_json(),
                None => description.to_json(),
            };
            let json = serde_json::json!({
                "schedule": schedule_json,
                "log": {
                    "path": log.display().to_string(),
                    "format": info.format,
                    "rows": info.rows,
                    "max_steps": info.max_steps,
                },
                "comparison": report,
                "note": max_steps_note,
                "passed": report.matches,
            });
            let mut text =
                serde_json::to_string_pretty(&json).map_err(|e| Error::Io(io::Error::other(e)))?;
            text.push('\n');
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if report.matches {
        return Ok(());
    }
    Err(Error::Failed(
        match (&report.first_mismatch, report.rows_compared) {
            (Some(d), _) => format!(
                "the log differs from the schedule: {} of {} rows, the first at step {} (logged {}, \
             schedule {})",
                report.mismatches,
                report.rows_compared,
                d.step,
                lrsched::format::py_repr(d.logged),
                lrsched::format::py_repr(d.expected)
            ),
            (None, 0) => "no row of the log is a step of the schedule".to_string(),
            (None, _) => format!(
                "the log has {} rows past the schedule's last step, from step {}",
                report.rows_only_in_log,
                report.first_only_in_log.unwrap_or(0)
            ),
        },
    ))
}
