//! `lrsched identify LOG`: which built-in, with which parameters, made a logged curve.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use lrsched::error::{Error, Result};
use lrsched::logs::identify::{self, DEFAULT_TOLERANCE};
use lrsched::logs::{Columns, read_all};

/// `lrsched identify`'s flags.
#[derive(Debug, Args)]
pub struct IdentifyArgs {
    /// The log: trainer_state.json, CSV or JSON Lines
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The step and lr columns (CSV) or keys (JSON Lines), when their names are not the usual ones
    #[arg(long, value_name = "STEP,LR")]
    pub log_columns: Option<String>,
    /// Largest relative error that still counts as exact, REL >= 0
    #[arg(long, value_name = "REL", default_value_t = DEFAULT_TOLERANCE, allow_negative_numbers = true)]
    pub tolerance: f64,
    /// Candidates to show, 1..=100
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub top: u64,
    /// Text, or JSON: {"candidates": [{"schedule", "args", "python", "max_rel_error", "exact"}]}
    #[arg(long, value_enum, default_value_t = IdentifyFormat::Text, value_name = "FORMAT")]
    pub format: IdentifyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdentifyFormat {
    Text,
    Json,
}

/// Runs `identify`; exit status 1 when no built-in explains the log.
pub fn run(args: &IdentifyArgs) -> Result<u8> {
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        return Err(Error::input(format!(
            "--tolerance {} must be a relative error, 0 or more",
            args.tolerance
        )));
    }
    let columns = args
        .log_columns
        .as_deref()
        .map(Columns::parse)
        .transpose()?;
    let (rows, info) = read_all(&args.log, columns.as_ref())?;
    let candidates = identify::identify(&rows, &info, args.tolerance, args.top as usize);
    let mut out = io::stdout().lock();
    match args.format {
        IdentifyFormat::Text => out.write_all(identify::to_text(&candidates).as_bytes())?,
        IdentifyFormat::Json => {
            let json = serde_json::to_value(&candidates).map_err(io::Error::from)?;
            let json = serde_json::json!({ "candidates": json });
            writeln!(out, "{}", lrsched::format::json_pretty(&json))?;
        }
    }
    Ok(if candidates.first().is_some_and(|c| c.exact) {
        0
    } else {
        1
    })
}
