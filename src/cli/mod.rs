//! The command line: clap structs that hold what the user typed, and one conversion from
//! them to the library's schedule descriptions.

mod check;
pub mod color;
mod commands;
mod diff;
mod generate;
mod help;
mod identify;
mod list;
mod progress;
mod run;

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use lrsched::Description;
use lrsched::config::{self, Syntax};
use lrsched::description::{Origins, Partial, Source};
use lrsched::error::{Error, Result};
use lrsched::output::legend::Origin;
use lrsched::schedule::params::{PRECISION, Raw, split_assignment};
use lrsched::train::{DEMO_FEATURES, DEMO_SAMPLES};

pub use commands::run;

/// Writes a message to stderr: control characters of echoed input shown as escapes (a
/// config from an untrusted pull request must not write escape sequences into a CI log),
/// and a leading `error:` in bold red when stderr is a terminal that takes colour, as clap
/// writes its own.
pub fn report(message: &str) {
    let mut text = String::with_capacity(message.len());
    for c in message.trim_end().chars() {
        if c.is_control() && c != '\n' {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    let stderr = io::stderr();
    if color::enabled(None, stderr.is_terminal())
        && let Some(rest) = text.strip_prefix("error:")
    {
        text = format!("\u{1b}[1;31merror:\u{1b}[0m{rest}");
    }
    // stderr may be closed too; there is nobody left to tell then.
    let _ = writeln!(stderr.lock(), "{text}");
}

/// Explore learning-rate schedules exactly as PyTorch and Hugging Face transformers
/// compute them.
#[derive(Debug, Parser)]
#[command(name = "lrsched", version = env!("LRSCHED_VERSION"), about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Aligned table of step, multiplier and learning rate
    Table(TableArgs),
    /// CSV on stdout: step,multiplier,lr
    Csv(CsvArgs),
    /// JSON on stdout: the schedule description and its points (--lines for JSON Lines)
    Json(JsonArgs),
    /// Braille plot in the terminal; repeat --schedule, --expr or --config to overlay schedules
    Plot(PlotArgs),
    /// Every built-in schedule by library, one library's, or one in detail (formula, parameters, defaults)
    List(ListArgs),
    /// Train the tiny linear-regression demo (Linear(n, 1), MSE, SGD or Adam) with the schedule
    // The demo's own defaults for the shared flags (lrsched::train::demo_defaults).
    #[command(mut_arg("steps", |a| a.help("Train for N steps; also the training horizon (num_training_steps); N >= 1 [default: 10]")))]
    #[command(mut_arg("warmup", |a| a.help("Linear warmup over the first N steps: multiplier step / max(1, N); N >= 0 [default: 5; 0 for constant]")))]
    Train(TrainArgs),
    /// Summary, built-in checks and --assert expressions for CI, or --against LOG a run's logged lrs; exit 1 when one fails
    #[command(mut_args(check::run_flag))]
    Check(check::CheckArgs),
    /// Compare two schedules (config files): first difference, largest difference, peak, final lr and lr budget of each
    // OLD and NEW are the configs: the shared flags that would replace a schedule are hidden.
    #[command(mut_arg("config", |a| a.hide(true)))]
    #[command(mut_arg("expr", |a| a.hide(true)))]
    #[command(mut_arg("expr_file", |a| a.hide(true)))]
    #[command(mut_arg("logged", |a| a.hide(true)))]
    #[command(mut_arg("logging_steps", |a| a.hide(true)))]
    Diff(diff::DiffArgs),
    /// Which built-in, with which parameters, made a logged lr curve (trainer_state.json, CSV, JSON Lines)
    Identify(identify::IdentifyArgs),
    /// Shell completion script on stdout (bash, zsh, fish, powershell, elvish)
    Completions(generate::CompletionsArgs),
    /// Man page (roff) on stdout: lrsched man | man -l -
    Man(generate::ManArgs),
}

/// The command line as clap runs it: the derived one with each page's notes, exit
/// statuses and examples after the options (see [`help`]).
pub fn command() -> clap::Command {
    help::with_pages(Cli::command())
}

/// Parses the process's arguments with [`command`], keeping where the schedule flags of
/// `plot` stand.
pub fn parse() -> std::result::Result<Cli, clap::Error> {
    let mut command = command();
    let matches = command.try_get_matches_from_mut(std::env::args_os())?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    if let (Command::Plot(args), Some(("plot", sub))) = (&mut cli.command, matches.subcommand()) {
        args.schedule.positions = Positions::of(sub);
    }
    Ok(cli)
}

/// The flags that describe a schedule, shared by every subcommand.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Schedule")]
pub struct ScheduleArgs {
    /// Evaluate steps 0..N-1; also the training horizon (num_training_steps); N >= 1, written
    /// 1000, 1_000 or 1e3 [default: 100]
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub steps: Option<u64>,

    /// The optimizer's initial learning rate; lr = base_lr * multiplier; X >= 0 [default: 0.1]
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub base_lr: Option<f64>,

    /// Linear warmup over the first N steps: multiplier step / max(1, N); N >= 0 [default: 0]
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub warmup: Option<u64>,

    /// A built-in schedule, NAME or LIBRARY:NAME as in its library (lrsched list) [default: constant_with_warmup]
    #[arg(long, value_name = "NAME")]
    pub schedule: Vec<String>,

    /// A parameter of the built-in, named as in its library (num_cycles=0.5, T_max=100, milestones=30,80)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Your own multiplier: an expression in step, steps, warmup, base_lr, e.g. "min(1, step/2000)",
    /// or your Python lr_lambda as written ("lambda step: ...", or a def)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: Vec<String>,

    /// Read the --expr from a file, e.g. a def pasted from your training script (- reads stdin)
    #[arg(long, value_name = "PATH")]
    pub expr_file: Vec<PathBuf>,

    /// Give a name the expression uses a value, as a Python literal (warmup_steps=500, decay=0.5)
    #[arg(long = "var", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub var: Vec<String>,

    /// Compute an optax or keras schedule in f32 (the library's float32, default) or f64
    /// (float64: optax with jax_enable_x64); same as --set precision=P
    #[arg(long, value_name = "P", value_parser = ["f32", "f64"])]
    pub precision: Option<String>,

    /// Read the description from a file ("-" for stdin): lrsched JSON, TOML or YAML, or a
    /// training config (TrainingArguments, DeepSpeed, Axolotl, LLaMA-Factory, torchtune,
    /// LightningCLI; TrainingArguments and their DeepSpeed config as two --config); flags
    /// given here win
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,

    /// Read each --config as this format instead of the one its keys suggest
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(config::format_ids()))]
    pub config_format: Option<String>,
    /// Where each of the flags above stands on the command line, which an overlay needs
    /// to bind each `--set` to its schedule.
    #[arg(skip)]
    pub positions: Positions,
}

/// Positions on the command line (clap's indices) of the flags that start a schedule of
/// an overlay, and of `--set`. Empty where the arguments were not parsed from a command
/// line; the schedules are then taken as configs, `--schedule`s, `--expr`s, then
/// `--expr-file`s, and every `--set` applies to all.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    schedule: Vec<usize>,
    expr: Vec<usize>,
    expr_file: Vec<usize>,
    config: Vec<usize>,
    set: Vec<usize>,
}

impl Positions {
    fn of(matches: &ArgMatches) -> Self {
        let at = |id: &str| -> Vec<usize> {
            matches
                .indices_of(id)
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        Positions {
            schedule: at("schedule"),
            expr: at("expr"),
            expr_file: at("expr_file"),
            config: at("config"),
            set: at("set"),
        }
    }
}

/// A count of steps as users write it: `1000000`, `1_000_000`, `1e6` or `1000000.0`, a whole
/// number from 0 up.
pub fn parse_count(text: &str) -> std::result::Result<u64, String> {
    let plain = text.trim().replace('_', "");
    if let Ok(n) = plain.parse::<u64>() {
        return Ok(n);
    }
    let value = lrsched::schedule::params::parse_float(&plain)
        .filter(|_| !plain.is_empty())
        .ok_or_else(|| {
            "expected a whole number of steps, such as 1000, 1_000 or 1e3".to_string()
        })?;
    // 2^64 is the first double past u64::MAX.
    // The text as typed (`-5`, not the float `-5.0` it was read as).
    if value.fract() != 0.0 || !(0.0..18_446_744_073_709_551_616.0).contains(&value) {
        return Err(format!(
            "expected a whole number of steps from 0 up, not {}",
            text.trim()
        ));
    }
    Ok(value as u64)
}

/// [`parse_count`], at least 1.
pub fn parse_positive_count(text: &str) -> std::result::Result<u64, String> {
    match parse_count(text)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// Which steps to write.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct RangeArgs {
    /// Write every K-th step (the last step is always written); K >= 1
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = parse_positive_count, allow_negative_numbers = true)]
    pub every: u64,

    /// Start at step K, as a resumed run would (steps before it are not written); K below
    /// --steps
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = parse_count, allow_negative_numbers = true)]
    pub from: u64,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub run: run::RunArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub progress: progress::ProgressArgs,
    /// Round values to D significant digits, 1..=17 [default: the shortest text that reads
    /// back exactly, as Python prints it]
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u8).range(1..=17), help_heading = "Output")]
    pub digits: Option<u8>,
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub run: run::RunArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub progress: progress::ProgressArgs,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub run: run::RunArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub progress: progress::ProgressArgs,
    /// One JSON object per line, points only (JSON Lines)
    #[arg(long, help_heading = "Output")]
    pub lines: bool,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Start at step K, as a resumed run would (the x axis shows steps K and on)
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = parse_count, allow_negative_numbers = true, help_heading = "Output")]
    pub from: u64,
    /// A logarithmic lr axis, for ranges such as 1e-7..1e-3; steps whose lr is 0 or below are not drawn (a line under the chart counts them)
    #[arg(long, help_heading = "Output")]
    pub log_y: bool,
    /// Chart width in columns, up to 1000 and at least the lr labels' width plus 10 (13 for labels 0.1 and 0.0) [default: $COLUMNS, else the terminal's up to 240, else 80]; with --svg, in pixels, 200..=10000 [default: 900]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=10000), help_heading = "Output")]
    pub width: Option<u16>,
    /// Height of the plotting area in rows, 3..=500 [default: 20, or fewer to fit $LINES or the terminal]; with --svg, in pixels, 150..=10000 [default: 500]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(3..=10000), help_heading = "Output")]
    pub height: Option<u16>,
    /// A title above the chart (SVG and PNG)
    #[arg(long, value_name = "TEXT", requires = "svg", help_heading = "Output")]
    pub title: Option<String>,
    /// Colour the curves and the legend
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,
    /// Write the chart to FILE as SVG, or as PNG when FILE ends in .png, instead of drawing it in the terminal ("-" for SVG on stdout)
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub svg: Option<PathBuf>,
    #[command(flatten)]
    pub progress: progress::ProgressArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set, CLICOLOR=0 or TERM=dumb (CLICOLOR_FORCE=1 colours a pipe)
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// One schedule in detail (NAME or LIBRARY:NAME), or one library's schedules (LIBRARY)
    pub name: Option<String>,
    /// The catalogue as a Markdown table (as in the README)
    #[arg(long, conflicts_with = "name")]
    pub markdown: bool,
    /// How each --runtime steps the scheduler, with the upstream source of the rule
    #[arg(long, conflicts_with_all = ["name", "markdown"])]
    pub runtimes: bool,
}

/// `lrsched train`'s own flags; the schedule flags default to the demo's run (--steps 10,
/// --warmup 5, --base-lr 0.1).
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// optim.SGD, optim.Adam or optim.AdamW, with torch's defaults unless the flags below say otherwise (also spelt SGD, Adam, AdamW)
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd, help_heading = "Training")]
    pub optimizer: OptimizerArg,
    /// SGD's momentum, M >= 0 (torch's default 0); CyclicLR and OneCycleLR with cycle_momentum=true overwrite it each step, as in torch
    #[arg(
        long,
        value_name = "M",
        allow_negative_numbers = true,
        help_heading = "Training"
    )]
    pub momentum: Option<f64>,
    /// SGD's Nesterov momentum (needs --momentum above 0)
    #[arg(long, help_heading = "Training")]
    pub nesterov: bool,
    /// weight_decay, WD >= 0 (torch's default: 0 for SGD and Adam, 0.01 for AdamW, which decays the weights directly)
    #[arg(
        long,
        value_name = "WD",
        allow_negative_numbers = true,
        help_heading = "Training"
    )]
    pub weight_decay: Option<f64>,
    /// Adam's and AdamW's betas, each in [0, 1) (torch's default 0.9,0.999); CyclicLR and OneCycleLR with cycle_momentum=true overwrite beta1 each step
    #[arg(long, value_name = "BETA1,BETA2", value_parser = parse_betas, allow_negative_numbers = true, help_heading = "Training")]
    pub betas: Option<(f64, f64)>,
    /// Seed of the synthetic data and initial weights (lrsched's generator, not torch's) [default: 0]
    #[arg(long, value_name = "N", help_heading = "Data")]
    pub seed: Option<u64>,
    /// Number of synthetic samples, N >= 1
    #[arg(long, value_name = "N", default_value_t = DEMO_SAMPLES as u64, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "data", help_heading = "Data")]
    pub samples: u64,
    /// Number of synthetic features (the model is Linear(N, 1)), N >= 1
    #[arg(long, value_name = "N", default_value_t = DEMO_FEATURES as u64, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "data", help_heading = "Data")]
    pub features: u64,
    /// Train on a CSV file of numbers, columns x1,...,xn,y (a header line is optional)
    #[arg(long, value_name = "FILE.csv", help_heading = "Data")]
    pub data: Option<PathBuf>,
    /// Start from these parameters: {"weight": [w1, ..., wn], "bias": b}
    #[arg(long, value_name = "FILE.json", help_heading = "Data")]
    pub init: Option<PathBuf>,
    /// Train on the data and initial weights torch.manual_seed(0) gives the PyTorch demo
    #[arg(long, conflicts_with_all = ["data", "init", "seed", "samples", "features"], help_heading = "Data")]
    pub torch_seed0: bool,
    /// The demo's table (Step | Learning Rate | Loss, then the final weights), or step,lr,loss at full precision (JSON adds the final weight and bias)
    #[arg(long, value_enum, default_value_t = TrainFormat::Table, value_name = "FORMAT", help_heading = "Output")]
    pub format: TrainFormat,
    /// Show the lr after scheduler.step() (the next step's), as the PyTorch demo prints it; the table then matches its output exactly
    #[arg(long, help_heading = "Output")]
    pub next_lr: bool,
    /// Write the table's numbers to D significant digits, 1..=17, instead of the demo's 4 decimals (which show an lr of 2e-5 as 0.0000)
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u8).range(1..=17), help_heading = "Output")]
    pub digits: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    #[value(alias = "SGD")]
    Sgd,
    #[value(alias = "Adam")]
    Adam,
    #[value(name = "adamw", alias = "AdamW")]
    AdamW,
}

/// `--betas 0.9,0.999`: two numbers as Python writes floats.
fn parse_betas(text: &str) -> std::result::Result<(f64, f64), String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let number = |t: &str| {
        lrsched::schedule::params::parse_float(t)
            .ok_or_else(|| format!("'{}' is not a number", t.escape_debug()))
    };
    match parts.as_slice() {
        [beta1, beta2] => Ok((number(beta1)?, number(beta2)?)),
        _ => Err("expected two numbers, BETA1,BETA2 (e.g. 0.9,0.999)".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainFormat {
    Table,
    Csv,
    Json,
}

impl ScheduleArgs {
    /// What the flags give, apart from expressions and config files.
    fn flags(&self) -> Result<Partial> {
        Ok(Partial {
            schedule: self.schedule.first().cloned(),
            expr: None,
            steps: self.steps,
            base_lr: self.base_lr,
            warmup: self.warmup,
            params: self
                .set
                .iter()
                .map(|s| split_assignment(s))
                .chain(
                    self.precision
                        .iter()
                        .map(|p| Ok((PRECISION.to_string(), Raw::Text(p.clone())))),
                )
                .collect::<Result<_>>()?,
            vars: self
                .var
                .iter()
                .map(|v| match v.split_once('=') {
                    Some((name, value)) if !name.trim().is_empty() => {
                        Ok((name.trim().to_string(), value.trim().to_string()))
                    }
                    _ => Err(Error::input(format!(
                        "--var takes NAME=VALUE, e.g. --var warmup_steps=500, not '{v}'"
                    ))),
                })
                .collect::<Result<_>>()?,
            origins: Origins {
                base_lr: self.base_lr.map(|_| Source::flag("--base-lr")),
                warmup: self.warmup.map(|_| Source::flag("--warmup")),
                steps: self.steps.map(|_| Source::flag("--steps")),
                ..Origins::default()
            },
            ..Partial::default()
        })
    }

    /// Every --expr, then the text of every --expr-file.
    fn exprs(&self) -> Result<Vec<String>> {
        self.check_stdin()?;
        let mut exprs = self.expr.clone();
        for path in &self.expr_file {
            exprs.push(config::read_expr_file(&path.to_string_lossy())?);
        }
        Ok(exprs)
    }

    /// Stdin can be read once: by one `--config -` or one `--expr-file -`.
    fn check_stdin(&self) -> Result<()> {
        let dash = |paths: &[PathBuf]| paths.iter().filter(|p| p.as_os_str() == "-").count();
        let (configs, exprs) = (dash(&self.config), dash(&self.expr_file));
        if configs >= 1 && exprs >= 1 {
            return Err(Error::input(
                "--config - and --expr-file - both read stdin; give one of them a file",
            ));
        }
        for (flag, n) in [("--config", configs), ("--expr-file", exprs)] {
            if n > 1 {
                return Err(Error::input(format!(
                    "{flag} - reads stdin, which can be given only once"
                )));
            }
        }
        Ok(())
    }

    /// The one schedule these flags describe (config file, then flags on top).
    pub fn one(&self, command: &str) -> Result<Description> {
        self.partial(command)?.resolve()
    }

    /// What [`ScheduleArgs::one`] resolves, before defaults are filled in.
    pub fn partial(&self, command: &str) -> Result<Partial> {
        self.check_config_format()?;
        let one_schedule = || {
            Error::input(format!(
                "{command} shows one schedule; give at most one --config (or TrainingArguments \
                 and their DeepSpeed config), one --schedule and one --expr (lrsched plot \
                 overlays several)"
            ))
        };
        if self.config.len() > 2
            || self.expr.len() + self.expr_file.len() > 1
            || self.schedule.len() > 1
        {
            return Err(one_schedule());
        }
        let exprs = self.exprs()?;
        let mut configs = self.read_configs()?;
        if configs.len() > 1 {
            return Err(one_schedule());
        }
        let mut flags = self.flags()?;
        if flags.schedule.is_some() && !exprs.is_empty() {
            return Err(Error::input("give either --schedule or --expr, not both"));
        }
        if self.precision.is_some() && !exprs.is_empty() {
            return Err(Error::input(
                "--precision applies to the optax and keras schedules; an --expr computes in \
                 float64, as Python does",
            ));
        }
        // In the same layer as --set, so that resolving rejects --set beside --expr
        // instead of the merge dropping it.
        flags.expr = exprs.first().cloned();
        Ok(match configs.pop() {
            Some(config) => config.merge(flags),
            None => flags,
        })
    }

    /// Every schedule to overlay, with where it was described: one for each
    /// `--schedule`, `--expr`, `--expr-file` and `--config`, in the order given (a
    /// TrainingArguments config and its DeepSpeed config are one run). `--steps`,
    /// `--base-lr`, `--warmup` apply to each (over what a config file says), `--var` to
    /// each expression, and a `--set` to the `--schedule` or `--config` just before it, or to
    /// every schedule when it comes before all of them (as `--precision` does). With one
    /// or none of those flags this is [`ScheduleArgs::one`].
    pub fn many(&self) -> Result<Vec<(Description, Origin)>> {
        self.check_config_format()?;
        self.check_stdin()?;
        let lossy = |p: &PathBuf| p.to_string_lossy().into_owned();
        let mut items: Vec<(usize, Item)> = Vec::new();
        let p = &self.positions;
        let known = p.schedule.len() == self.schedule.len()
            && p.expr.len() == self.expr.len()
            && p.expr_file.len() == self.expr_file.len()
            && p.config.len() == self.config.len()
            && p.set.len() == self.set.len();
        let place = |positions: &[usize], i: usize| if known { positions[i] } else { 0 };
        // Read once (stdin can be read only once): a TrainingArguments config and its
        // DeepSpeed config pair into one run.
        let mut configs = self.read_configs()?;
        let paired = configs.len() < self.config.len();
        if paired && self.schedule.is_empty() && self.expr.is_empty() && self.expr_file.is_empty() {
            let config = configs.pop().unwrap_or_default();
            let origin = Origin::Config(lossy(&self.config[0]));
            return Ok(vec![(config.merge(self.flags()?).resolve()?, origin)]);
        }
        if paired {
            return Err(Error::input(
                "a TrainingArguments config and its DeepSpeed config are one run; overlay it \
                 with no other --schedule or --expr",
            ));
        }
        for (i, (path, config)) in self.config.iter().zip(configs).enumerate() {
            items.push((
                place(&p.config, i),
                Item::Config(path.clone(), Box::new(config)),
            ));
        }
        for (i, name) in self.schedule.iter().enumerate() {
            items.push((place(&p.schedule, i), Item::Schedule(name.clone())));
        }
        for (i, expr) in self.expr.iter().enumerate() {
            items.push((place(&p.expr, i), Item::Expr(expr.clone())));
        }
        for (i, path) in self.expr_file.iter().enumerate() {
            items.push((place(&p.expr_file, i), Item::ExprFile(path.clone())));
        }
        // A stable sort: without positions, the order of the loops above.
        items.sort_by_key(|(at, _)| *at);
        if items.len() <= 1 {
            let flags = self.flags()?;
            return Ok(match items.pop().map(|(_, item)| item) {
                Some(Item::Config(path, config)) => {
                    vec![(config.merge(flags).resolve()?, Origin::Config(lossy(&path)))]
                }
                Some(Item::ExprFile(path)) => {
                    vec![(self.one("plot")?, Origin::ExprFile(lossy(&path)))]
                }
                _ => vec![(self.one("plot")?, Origin::Flags)],
            });
        }
        let flags = self.flags()?;
        let shared = Partial {
            steps: flags.steps,
            base_lr: flags.base_lr,
            warmup: flags.warmup,
            ..Partial::default()
        };
        // Each --set goes to the schedule before it; one before all goes to all.
        let mut leading = Vec::new();
        let mut bound = vec![Vec::new(); items.len()];
        for (i, set) in self.set.iter().enumerate() {
            let assignment = split_assignment(set)?;
            let owner = items.iter().rposition(|(at, _)| known && *at < p.set[i]);
            match owner {
                Some(k) => bound[k].push(assignment),
                None => leading.push(assignment),
            }
        }
        if let Some(precision) = &self.precision {
            leading.push((PRECISION.to_string(), Raw::Text(precision.clone())));
        }
        let mut bases = Vec::with_capacity(items.len());
        for (_, item) in items {
            bases.push(match item {
                Item::Schedule(name) => (
                    Partial {
                        schedule: Some(name),
                        ..Partial::default()
                    },
                    Origin::Flags,
                ),
                Item::Expr(expr) => (
                    Partial {
                        expr: Some(expr),
                        ..Partial::default()
                    },
                    Origin::Flags,
                ),
                Item::ExprFile(path) => (
                    Partial {
                        expr: Some(config::read_expr_file(&path.to_string_lossy())?),
                        ..Partial::default()
                    },
                    Origin::ExprFile(lossy(&path)),
                ),
                Item::Config(path, config) => (*config, Origin::Config(lossy(&path))),
            });
        }
        let any_expr = bases.iter().any(|(base, _)| base.expr.is_some());
        let mut described = Vec::with_capacity(bases.len());
        for ((base, origin), params) in bases.into_iter().zip(bound) {
            let is_expr = base.expr.is_some();
            if is_expr && self.precision.is_some() {
                return Err(Error::input(
                    "--precision applies to the optax and keras schedules; an --expr computes \
                     in float64, as Python does",
                ));
            }
            let over = Partial {
                params: leading.iter().cloned().chain(params).collect(),
                // --var names what expressions use; built-ins are told so when no
                // expression takes it.
                vars: if is_expr || !any_expr {
                    flags.vars.clone()
                } else {
                    Vec::new()
                },
                ..shared.clone()
            };
            described.push((base.merge(over).resolve()?, origin));
        }
        Ok(described)
    }

    /// A config file, or stdin for `-`, whose syntax then comes from its content, read as
    /// `--config-format` says.
    fn read_config(&self, path: &Path) -> Result<Partial> {
        let format = self
            .config_format
            .as_deref()
            .map(config::format_named)
            .transpose()?;
        if path.as_os_str() != "-" {
            return config::read_as(path, format);
        }
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::input(format!("cannot read config from stdin: {e}")))?;
        config::parse_as("<stdin>", &text, Syntax::detect(None, &text), format)
    }

    /// Every --config, a TrainingArguments config and its DeepSpeed config made one run.
    fn read_configs(&self) -> Result<Vec<Partial>> {
        self.check_stdin()?;
        let configs = self
            .config
            .iter()
            .map(|path| self.read_config(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(config::pair(configs))
    }

    /// `--config-format` without a config file to read is a mistake, not a no-op.
    fn check_config_format(&self) -> Result<()> {
        match &self.config_format {
            Some(name) if self.config.is_empty() => Err(Error::input(format!(
                "--config-format {name} says how to read a --config file, and none is given"
            ))),
            _ => Ok(()),
        }
    }
}

/// A flag that starts a schedule of an overlay.
#[derive(Debug)]
enum Item {
    Schedule(String),
    Expr(String),
    ExprFile(PathBuf),
    /// The file and what it says.
    Config(PathBuf, Box<Partial>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_is_consistent() {
        command().debug_assert();
    }
}
