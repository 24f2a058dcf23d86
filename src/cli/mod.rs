//! The command line: clap structs that hold what the user typed, and one conversion from
//! them to the library's schedule descriptions.

mod check;
pub mod color;
mod commands;
mod diff;
mod generate;
mod identify;
mod list;
mod run;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use lrsched::Description;
use lrsched::config::{self, Syntax};
use lrsched::description::Partial;
use lrsched::error::{Error, Result};
use lrsched::schedule::params::{PRECISION, Raw, split_assignment};
use lrsched::train::{DEMO_FEATURES, DEMO_SAMPLES};

pub use commands::run;

/// Explore learning-rate schedules exactly as PyTorch and Hugging Face transformers
/// compute them.
#[derive(Debug, Parser)]
#[command(name = "lrsched", version = env!("LRSCHED_VERSION"), about, max_term_width = 100)]
#[command(after_help = "Examples:\n  \
    lrsched table --warmup 5 --steps 10\n  \
    lrsched plot --schedule cosine --warmup 100 --steps 1000\n  \
    lrsched csv --expr \"min(1, step/2000)\" --steps 3000 > lr.csv\n  \
    lrsched list cosine\n  \
    lrsched check --config lr.json --assert \"peak_lr <= 3e-4\"\n  \
    lrsched check --config training_args.json --samples 1000 --against trainer_state.json\n  \
    lrsched diff old.json new.json --samples 1000")]
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
    /// Braille plot in the terminal; repeat --expr or --config to overlay schedules
    Plot(PlotArgs),
    /// Every built-in schedule by library, one library's, or one in detail (formula, parameters, defaults)
    List(ListArgs),
    /// Train the tiny linear-regression demo (Linear(n, 1), MSE, SGD or Adam) with the schedule
    // The demo's own defaults for the shared flags (lrsched::train::demo_defaults).
    #[command(mut_arg("steps", |a| a.help("Train for N steps; also the training horizon (num_training_steps) [default: 10]")))]
    #[command(mut_arg("warmup", |a| a.help("Linear warmup over the first N steps: multiplier step / max(1, N) [default: 5; 0 for constant]")))]
    Train(TrainArgs),
    /// Summary, built-in checks and --assert expressions for CI, or --against LOG a run's logged lrs; exit 1 when one fails
    #[command(mut_arg("logged", |a| a.help("With --against: the log holds what the Trainer logs, its step s the lr of update s-1 (a trainer_state.json always does)")))]
    #[command(mut_arg("logging_steps", |a| a.hide(true)))]
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

/// The flags that describe a schedule, shared by every subcommand.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Schedule")]
pub struct ScheduleArgs {
    /// Evaluate steps 0..N-1; also the training horizon (num_training_steps) [default: 100]
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub steps: Option<u64>,

    /// The optimizer's initial learning rate; lr = base_lr * multiplier [default: 0.1]
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub base_lr: Option<f64>,

    /// Linear warmup over the first N steps: multiplier step / max(1, N) [default: 0]
    #[arg(long, value_name = "N", value_parser = parse_count, allow_negative_numbers = true)]
    pub warmup: Option<u64>,

    /// A built-in schedule, NAME or LIBRARY:NAME as in its library (lrsched list) [default: constant_with_warmup]
    #[arg(long, value_name = "NAME")]
    pub schedule: Option<String>,

    /// A parameter of the built-in, named as in its library (num_cycles=0.5, T_max=100, milestones=30,80)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Your own multiplier: an expression in step, steps, warmup, base_lr, e.g. "min(1, step/2000)",
    /// or your Python lr_lambda as written ("lambda step: ...", or a def)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: Vec<String>,

    /// Read the --expr from a file, e.g. a def pasted from your training script (- reads stdin)
    #[arg(long, value_name = "PATH")]
    pub expr_file: Option<PathBuf>,

    /// Give a name the expression uses a value, as a Python literal (warmup_steps=500, decay=0.5)
    #[arg(long = "var", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub var: Vec<String>,

    /// Compute an optax or keras schedule in f32 (the library's float32, default) or f64
    /// (float64: optax with jax_enable_x64); same as --set precision=P
    #[arg(long, value_name = "P", value_parser = ["f32", "f64"])]
    pub precision: Option<String>,

    /// Read the description from a file ("-" for stdin): lrsched JSON, TOML or YAML, or a
    /// training config (TrainingArguments, DeepSpeed, Axolotl, LLaMA-Factory, torchtune,
    /// LightningCLI); flags given here win
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,
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
    if value.fract() != 0.0 || !(0.0..18_446_744_073_709_551_616.0).contains(&value) {
        return Err(format!(
            "expected a whole number of steps from 0 up, not {}",
            lrsched::format::py_repr(value)
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
    /// Write every K-th step (the last step is always written)
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = parse_positive_count, allow_negative_numbers = true)]
    pub every: u64,

    /// Start at step K, as a resumed run would (steps before it are not written)
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
    /// Round values to D significant digits (default: the shortest text that reads back exactly)
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
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub run: run::RunArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// One JSON object per line, points only (JSON Lines)
    #[arg(long, help_heading = "Output")]
    pub lines: bool,
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Chart width in columns, 30..=1000 [default: the terminal's, or 80]; with --svg, in pixels, 200..=10000 [default: 900]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(30..=10000), help_heading = "Output")]
    pub width: Option<u16>,
    /// Chart height in rows, 3..=500 [default: 20, or less to fit the terminal]; with --svg, in pixels, 150..=10000 [default: 500]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(3..=10000), help_heading = "Output")]
    pub height: Option<u16>,
    /// A title above the chart (SVG and PNG)
    #[arg(long, value_name = "TEXT", requires = "svg", help_heading = "Output")]
    pub title: Option<String>,
    /// Colour the series
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,
    /// Write the chart to FILE as SVG, or as PNG when FILE ends in .png, instead of drawing it in the terminal ("-" for SVG on stdout)
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub svg: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
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
#[command(
    after_help = "With no flags this is the PyTorch demo's run: 10 steps, warmup 5, base lr \
    0.1, SGD, 10 samples of 10 features.\n\n\
    Without --data the model trains on synthetic data from --seed, made by \
    lrsched's own generator: the same numbers on every machine, but not torch's. \
    --torch-seed0 (or --data examples/seed0-data.csv --init examples/seed0-init.json) \
    trains on the numbers torch.manual_seed(0) gives the PyTorch demo, and reproduces its losses.\n\n\
    Examples:\n  \
    lrsched train\n  \
    lrsched train --torch-seed0 --next-lr\n  \
    lrsched train --optimizer adam --schedule cosine --steps 50 --format csv\n  \
    lrsched train --data points.csv --init weights.json --format json"
)]
pub struct TrainArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// optim.SGD, optim.Adam or optim.AdamW, with torch's defaults unless the flags below say otherwise (also spelt SGD, Adam, AdamW)
    #[arg(long, value_enum, default_value_t = OptimizerArg::Sgd, help_heading = "Training")]
    pub optimizer: OptimizerArg,
    /// SGD's momentum (torch's default 0); CyclicLR and OneCycleLR with cycle_momentum=true overwrite it each step, as in torch
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
    /// weight_decay (torch's default: 0 for SGD and Adam, 0.01 for AdamW, which decays the weights directly)
    #[arg(
        long,
        value_name = "WD",
        allow_negative_numbers = true,
        help_heading = "Training"
    )]
    pub weight_decay: Option<f64>,
    /// Adam's and AdamW's betas (torch's default 0.9,0.999); CyclicLR and OneCycleLR with cycle_momentum=true overwrite beta1 each step
    #[arg(long, value_name = "BETA1,BETA2", value_parser = parse_betas, allow_negative_numbers = true, help_heading = "Training")]
    pub betas: Option<(f64, f64)>,
    /// Seed of the synthetic data and initial weights (lrsched's generator, not torch's) [default: 0]
    #[arg(long, value_name = "N", help_heading = "Data")]
    pub seed: Option<u64>,
    /// Number of synthetic samples
    #[arg(long, value_name = "N", default_value_t = DEMO_SAMPLES as u64, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "data", help_heading = "Data")]
    pub samples: u64,
    /// Number of synthetic features (the model is Linear(N, 1))
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
            schedule: self.schedule.clone(),
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
            ..Partial::default()
        })
    }

    /// Every --expr, then the --expr-file's text.
    fn exprs(&self) -> Result<Vec<String>> {
        let mut exprs = self.expr.clone();
        if let Some(path) = &self.expr_file {
            if path.as_os_str() == "-" && self.config.iter().any(|p| p.as_os_str() == "-") {
                return Err(Error::input(
                    "--config - and --expr-file - both read stdin; give one of them a file",
                ));
            }
            exprs.push(config::read_expr_file(&path.to_string_lossy())?);
        }
        Ok(exprs)
    }

    /// The one schedule these flags describe (config file, then flags on top).
    pub fn one(&self, command: &str) -> Result<Description> {
        self.partial(command)?.resolve()
    }

    /// What [`ScheduleArgs::one`] resolves, before defaults are filled in.
    pub fn partial(&self, command: &str) -> Result<Partial> {
        let exprs = self.exprs()?;
        if self.config.len() > 1 || exprs.len() > 1 {
            return Err(Error::input(format!(
                "{command} shows one schedule; give at most one --config and one --expr \
                 (lrsched plot overlays several)"
            )));
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
        Ok(match self.config.first() {
            Some(path) => read_config(path)?.merge(flags),
            None => flags,
        })
    }

    /// Every schedule to overlay: each --config (with the flags on top), each --expr, and
    /// the --schedule flag itself when it is given beside expressions.
    pub fn many(&self) -> Result<Vec<Description>> {
        let exprs = self.exprs()?;
        if self.config.len() <= 1
            && exprs.len() <= 1
            && (self.schedule.is_none() || exprs.is_empty())
        {
            return Ok(vec![self.one("plot")?]);
        }
        let flags = self.flags()?;
        if let (Some(set), true) = (self.set.first(), self.config.is_empty())
            && self.schedule.is_none()
        {
            let key = set.split('=').next().unwrap_or(set).trim();
            return Err(Error::input(format!(
                "--set {key}=... applies to built-in schedules; an --expr takes no \
                     parameters (it can use step, steps, warmup and base_lr)"
            )));
        }
        if self.config.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            return Err(Error::input(
                "--config - reads stdin, which can be given only once",
            ));
        }
        let mut partials = Vec::new();
        for path in &self.config {
            partials.push(read_config(path)?.merge(flags.clone()));
        }
        if flags.schedule.is_some() && self.config.is_empty() {
            partials.push(flags.clone());
        }
        for expr in &exprs {
            partials.push(Partial {
                expr: Some(expr.clone()),
                vars: flags.vars.clone(),
                steps: flags.steps,
                base_lr: flags.base_lr,
                warmup: flags.warmup,
                ..Partial::default()
            });
        }
        partials.iter().map(Partial::resolve).collect()
    }
}

/// A config file, or stdin for `-`, whose syntax then comes from its content.
fn read_config(path: &Path) -> Result<Partial> {
    if path.as_os_str() != "-" {
        return Partial::from_config_file(path);
    }
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::input(format!("cannot read config from stdin: {e}")))?;
    config::parse("<stdin>", &text, Syntax::detect(None, &text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
