//! `lrsched diff OLD NEW`: two schedules (config files, with the same flags on top)
//! compared step by step in one streaming pass; exit status 0 when they are equal within
//! `--tolerance`, 1 when not, 2 on bad input.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use lrsched::Description;
use lrsched::diff::{self, Options, Side};
use lrsched::engine::Engine;
use lrsched::error::{Error, Result};
use lrsched::output::plot::{data_columns, write_plot_marked};
use lrsched::run::runtime::Updates;
use lrsched::schedule::Schedule;

use super::run::{Planned, RunArgs, plan};
use super::{ColorChoice, ScheduleArgs};

/// `lrsched diff`'s arguments.
/// `lrsched diff`'s arguments (its notes, exit statuses and examples are its page in
/// [`super::help`]).
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old schedule's config file
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The new schedule's config file
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub run: RunArgs,
    /// Largest relative difference |old - new| / max(|old|, |new|) that still counts as
    /// equal [default: 0, the same doubles]
    #[arg(
        long,
        value_name = "REL",
        default_value_t = 0.0,
        hide_default_value = true,
        allow_negative_numbers = true,
        help_heading = "Diff"
    )]
    pub tolerance: f64,
    /// A run resumed at step K with NEW: the jump there (OLD's lr at K-1, NEW's at K) and
    /// the comparison from step K on
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = super::parse_count, allow_negative_numbers = true, help_heading = "Diff")]
    pub from: u64,
    /// Text, or JSON: {"equal", "first_difference", "largest_abs", "largest_rel", "old",
    /// "new", "sum_ratio", "jump", ...}
    #[arg(long, value_enum, default_value_t = DiffFormat::Text, value_name = "FORMAT", help_heading = "Output")]
    pub format: DiffFormat,
    /// Draw both curves overlaid in the terminal, the steps where they differ marked
    #[arg(long, conflicts_with = "format", help_heading = "Output")]
    pub plot: bool,
    /// With --plot: a logarithmic lr axis; steps whose lr is 0 or below are not drawn
    #[arg(long, requires = "plot", help_heading = "Output")]
    pub log_y: bool,
    /// Chart width in columns, up to 1000 and at least the lr labels' width plus 10
    /// [default: $COLUMNS, else the terminal's up to 240, else 80]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000), requires = "plot", help_heading = "Output")]
    pub width: Option<u16>,
    /// Height of the plotting area in rows, 3..=500 [default: 20, or fewer to fit $LINES or
    /// the terminal]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(3..=500), requires = "plot", help_heading = "Output")]
    pub height: Option<u16>,
    /// Colour the curves and the legend
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", requires = "plot", help_heading = "Output")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

/// One side, resolved: the schedule, or a run's updates of it.
struct Resolved {
    name: String,
    description: Description,
    planned: Option<Planned>,
}

impl Resolved {
    fn new(path: &Path, args: &DiffArgs) -> Result<Self> {
        let mut schedule = args.schedule.clone();
        schedule.config = vec![path.to_path_buf()];
        let planned = plan(&args.run, &schedule, "diff")?;
        let description = match &planned {
            Some(planned) => planned.description().clone(),
            None => schedule.one("diff")?,
        };
        Ok(Resolved {
            name: path.display().to_string(),
            description,
            planned,
        })
    }

    fn text(&self) -> String {
        let mut text = self.description.text();
        if let Some(planned) = &self.planned {
            text.push_str(&format!(
                "; {} updates, runtime {}",
                planned.total_updates(),
                planned.runtime_name()
            ));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        match &self.planned {
            Some(planned) => planned.to_json(),
            None => self.description.to_json(),
        }
    }
}

/// Runs `diff`; exit status 0 when the schedules are equal, 1 when they differ.
pub fn run(args: &DiffArgs) -> Result<u8> {
    let given = &args.schedule;
    if !given.config.is_empty() || !given.expr.is_empty() || !given.expr_file.is_empty() {
        return Err(Error::input(
            "diff compares the schedules of OLD and NEW; --config, --expr and --expr-file \
             would replace both (give the flags that apply to both, like --steps or --samples)",
        ));
    }
    if args.run.logged {
        return Err(Error::input(
            "diff compares every optimizer update; --logged (the Trainer's logged values) \
             applies to table, csv and json",
        ));
    }
    if args.old.as_os_str() == "-" && args.new.as_os_str() == "-" {
        return Err(Error::input(
            "OLD and NEW are both - (stdin), which can be read only once",
        ));
    }
    let old = Resolved::new(&args.old, args)?;
    let new = Resolved::new(&args.new, args)?;
    let old_updates = updates(&old)?;
    let new_updates = updates(&new)?;
    let (old_text, new_text) = (old.text(), new.text());
    let old_side = side(&old, &old_text, old_updates.as_ref());
    let new_side = side(&new, &new_text, new_updates.as_ref());
    let options = args
        .plot
        .then(|| super::commands::terminal_plot(args.width, args.height, args.color, args.log_y));
    let report = diff::diff(
        &Engine::new(),
        &old_side,
        &new_side,
        &Options {
            tolerance: args.tolerance,
            from: args.from,
            plot_columns: options.map(|o| data_columns(o.width)),
        },
    )?;
    let mut out = io::stdout().lock();
    match args.format {
        DiffFormat::Text => {
            // Drawn first: a chart that cannot be drawn (too narrow, nothing on a log
            // scale) is bad input, which writes nothing to stdout.
            let mut chart = Vec::new();
            if let (Some(plot), Some(options)) = (&report.plot, options) {
                chart.push(b'\n');
                write_plot_marked(
                    &mut chart,
                    &plot.series,
                    Some(&plot.marks),
                    plot.frame,
                    options,
                )?;
            }
            out.write_all(report.to_text().as_bytes())?;
            out.write_all(&chart)?;
        }
        DiffFormat::Json => {
            let mut json = serde_json::to_value(&report).map_err(io::Error::other)?;
            for (key, side) in [("old", &old), ("new", &new)] {
                if let Some(map) = json.get_mut(key).and_then(|v| v.as_object_mut()) {
                    map.insert("schedule".into(), side.json());
                }
            }
            serde_json::to_writer_pretty(&mut out, &json).map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if report.equal { 0 } else { 1 })
}

/// A run's updates as a schedule, with their number.
fn updates(side: &Resolved) -> Result<Option<(Updates<'_>, u64)>> {
    side.planned
        .as_ref()
        .map(|p| Ok((p.updates()?, p.total_updates())))
        .transpose()
}

/// What `diff` compares of one side: the run's updates with `--samples`, else the schedule.
fn side<'a>(
    resolved: &'a Resolved,
    text: &'a str,
    updates: Option<&'a (Updates<'a>, u64)>,
) -> Side<'a> {
    let (schedule, steps): (&dyn Schedule, u64) = match updates {
        Some((updates, total)) => (updates, *total),
        None => (
            resolved.description.schedule(),
            resolved.description.ctx().steps,
        ),
    };
    Side {
        name: &resolved.name,
        text,
        schedule,
        steps,
    }
}
