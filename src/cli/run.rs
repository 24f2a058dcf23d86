//! The run flags (`--samples`, `--batch-size`, ...): with `--samples`, `table`, `csv` and
//! `json` write one row per optimizer update of the run, with the lr the runtime gives it,
//! instead of one row per scheduler step.

use std::io::Write;

use clap::Args;
use serde_json::json;

use lrsched::Description;
use lrsched::description::{DEFAULT_BASE_LR, DEFAULT_SCHEDULE, ScheduleKind};
use lrsched::error::{Error, Result};
use lrsched::output::{Format, Stream};
use lrsched::run::runtime::{Runtime, RuntimeMap, Updates};
use lrsched::run::{Derivation, Framework, Run};
use lrsched::schedule::Point;
use lrsched::schedule::registry;

use super::{RangeArgs, ScheduleArgs};

/// A training run: how many optimizer updates it makes and which code steps the scheduler.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Run (with --samples: one row per optimizer update)")]
pub struct RunArgs {
    /// Training samples; the output becomes one row per optimizer update of the run, the
    /// schedule sized as transformers' Trainer sizes it (num_training_steps = max_steps)
    #[arg(long, value_name = "N")]
    pub samples: Option<u64>,
    /// Per-device batch size (per_device_train_batch_size)
    #[arg(long, value_name = "B", requires = "samples")]
    pub batch_size: Option<u64>,
    /// Processes / devices (world size) [default: 1]
    #[arg(long, value_name = "P", requires = "samples")]
    pub devices: Option<u64>,
    /// Gradient accumulation steps [default: 1]
    #[arg(long, value_name = "G", requires = "samples")]
    pub grad_accum: Option<u64>,
    /// Epochs, a float as num_train_epochs allows (1.5)
    #[arg(
        long,
        value_name = "E",
        requires = "samples",
        allow_negative_numbers = true
    )]
    pub epochs: Option<f64>,
    /// max_steps: the run's optimizer updates, instead of --epochs
    #[arg(
        long,
        value_name = "M",
        requires = "samples",
        allow_negative_numbers = true
    )]
    pub max_steps: Option<i64>,
    /// Drop the last partial batch of each epoch (dataloader_drop_last)
    #[arg(long, requires = "samples")]
    pub drop_last: bool,
    /// Warmup as a ratio of the run's updates: ceil(max_steps x R)
    #[arg(
        long,
        value_name = "R",
        requires = "samples",
        conflicts_with = "warmup"
    )]
    pub warmup_ratio: Option<f64>,
    /// Which code steps the scheduler (lrsched list --runtimes) [default: hf]
    #[arg(long, value_name = "NAME", requires = "samples", value_parser = Runtime::NAMES)]
    pub runtime: Option<String>,
    /// The learning_rate the Trainer logs: one row per logging step s, the lr of update s-1
    #[arg(long, requires = "samples")]
    pub logged: bool,
    /// logging_steps for --logged; below 1, a ratio of max_steps [default: 500]
    #[arg(long, value_name = "S", requires = "logged")]
    pub logging_steps: Option<f64>,
}

/// A run ready to write: the schedule sized by the run, the derivation and the runtime.
pub struct Planned {
    description: Description,
    derivation: Derivation,
    runtime: Runtime,
    logging_steps: Option<f64>,
}

/// The run the flags describe, or `None` without `--samples`.
pub fn plan(run: &RunArgs, schedule: &ScheduleArgs, command: &str) -> Result<Option<Planned>> {
    let Some(samples) = run.samples else {
        return Ok(None);
    };
    if let Some(steps) = schedule.steps {
        return Err(Error::input(format!(
            "--steps {steps} and --samples both size the schedule; with --samples the horizon \
             is the run's max_steps (give --max-steps for a fixed number of updates)"
        )));
    }
    let mut partial = schedule.partial(command)?;
    // A training framework's config gives the run; the run flags win over it.
    let given_run = partial.run.take();
    let flag_warmup = schedule.warmup.is_some() || run.warmup_ratio.is_some();
    let (warmup_steps, warmup_ratio) = match &given_run {
        _ if flag_warmup => (schedule.warmup.map(|w| w as f64), run.warmup_ratio),
        Some(config) => (config.warmup_steps, config.warmup_ratio),
        // lrsched's own config: its warmup is a number of steps.
        None => (partial.warmup.map(|w| w as f64), partial.warmup_ratio),
    };
    let config = given_run.unwrap_or_else(|| Run::new(Framework::Transformers));
    let mut derivation = Run {
        framework: config.framework,
        samples: Some(samples),
        batch_size: run.batch_size.or(config.batch_size),
        devices: run.devices.or(config.devices),
        grad_accum: run.grad_accum.or(config.grad_accum),
        epochs: run.epochs.or(config.epochs),
        max_steps: run.max_steps.or(config.max_steps),
        max_steps_per_epoch: config.max_steps_per_epoch,
        drop_last: if run.drop_last {
            Some(true)
        } else {
            config.drop_last
        },
        warmup_steps,
        warmup_ratio,
    }
    .derive()?;
    if derivation.num_training_steps.value == 0 {
        return Err(Error::input(format!(
            "the run gives the schedule a horizon of 0 steps (num_training_steps), which \
             lrsched cannot evaluate: {}",
            derivation.summary()
        )));
    }
    let devices = run.devices.or(config.devices).unwrap_or(1);
    // The runtime defaults to the code that steps the config's scheduler.
    let default_runtime = match config.framework {
        Framework::DeepSpeed => "deepspeed",
        Framework::Lightning => "lightning",
        Framework::Torchtune => "torch",
        Framework::Transformers | Framework::LlamaFactory | Framework::Axolotl => "hf",
    };
    let runtime = match (&run.runtime, partial.runtime.take()) {
        (Some(name), _) => Runtime::named(name, devices)?,
        // A config that names its runtime (what `lrsched json --samples` writes).
        (None, Some(runtime)) => runtime,
        (None, None) => Runtime::named(default_runtime, devices)?,
    };
    if run.logged && runtime != Runtime::Hf {
        return Err(Error::input(format!(
            "--logged gives the Trainer's logged learning_rate, which needs --runtime hf, not {}",
            runtime.name()
        )));
    }
    let base_lr = partial.base_lr.unwrap_or(DEFAULT_BASE_LR);
    // The Trainer hands its warmup to every schedule and those that take none ignore it
    // (without --samples, `--schedule constant --warmup N` stays an error).
    let warmup = match &partial.expr {
        Some(_) => derivation.num_warmup_steps.value,
        None => {
            let entry = registry::find(partial.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE))?;
            let warmup = derivation.context(base_lr, entry).warmup;
            let planned = derivation.num_warmup_steps.value;
            if warmup != planned {
                derivation.notes.push(format!(
                    "{} takes no warmup: the Trainer passes num_warmup_steps={planned} and \
                     get_scheduler ignores it",
                    entry.name
                ));
            }
            warmup
        }
    };
    let partial_logging = partial.logging_steps;
    partial.steps = Some(derivation.num_training_steps.value);
    partial.warmup = Some(warmup);
    let description = partial.resolve()?;
    Ok(Some(Planned {
        description,
        derivation,
        runtime,
        logging_steps: run
            .logged
            .then(|| run.logging_steps.or(partial_logging).unwrap_or(500.0)),
    }))
}

impl Planned {
    /// The largest step column value written, for the table's width.
    pub fn last_row(&self) -> u64 {
        let total = self.derivation.total_updates.value;
        if self.logging_steps.is_some() {
            total
        } else {
            total.saturating_sub(1)
        }
    }

    /// The JSON document's `"schedule"` member: the description, the run's derivation and
    /// the runtime.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = self.description.to_json();
        if let Some(map) = value.as_object_mut() {
            map.insert("run".into(), self.derivation.to_json());
            map.insert("runtime".into(), json!(self.runtime));
        }
        value
    }

    /// Writes one row per optimizer update (`--from`, `--every` apply to updates), or with
    /// `--logged` one row per logging step.
    pub fn write<F>(&self, range: &RangeArgs, format: &F, out: &mut dyn Write) -> Result<()>
    where
        F: Format<Row = Point, End = ()> + ?Sized,
    {
        let mut stream = Stream::begin(format, out)?;
        self.visit(range, usize::MAX, &mut |point| Ok(stream.row(&point)?))?;
        stream.end(&())?;
        Ok(())
    }

    /// The first `limit` rows that [`Planned::write`] writes (a table sizes its columns
    /// from them).
    pub fn first_rows(&self, range: &RangeArgs, limit: usize) -> Result<Vec<Point>> {
        let mut rows = Vec::new();
        self.visit(range, limit, &mut |point| {
            rows.push(point);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Gives `row` each row to write, at most `limit` of them.
    /// The map from updates to scheduler steps.
    fn map(&self) -> Result<RuntimeMap<'_>> {
        // accelerate stops stepping a scheduler with a total_steps attribute (OneCycleLR,
        // unless wrapped in the warmup's SequentialLR) once it is reached.
        let total_steps = match self.description.kind() {
            ScheduleKind::Builtin { entry, .. }
                if entry.name == "OneCycleLR" && self.description.ctx().warmup == 0 =>
            {
                self.description.schedule().last_defined_step()
            }
            _ => None,
        };
        self.runtime.map(&self.derivation, total_steps)
    }

    /// The schedule as the run's updates see it: update `u` is point `u`.
    pub fn updates(&self) -> Result<Updates<'_>> {
        Ok(Updates::new(self.description.schedule(), self.map()?))
    }

    /// The optimizer updates the run makes.
    pub fn total_updates(&self) -> u64 {
        self.derivation.total_updates.value
    }

    /// The schedule, sized by the run.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// The run's derivation in one line (`1000 samples / (8 x 1) = 125 batches/epoch; ...`).
    pub fn derivation_summary(&self) -> String {
        self.derivation.summary()
    }

    /// The runtime's name (`hf`, `accelerate`, ...).
    pub fn runtime_name(&self) -> &'static str {
        self.runtime.name()
    }

    fn visit(
        &self,
        range: &RangeArgs,
        limit: usize,
        row: &mut dyn FnMut(Point) -> Result<()>,
    ) -> Result<()> {
        let schedule = self.description.schedule();
        let map = self.map()?;
        let total = self.derivation.total_updates.value;
        if range.from > 0 && range.from >= total {
            return Err(Error::input(format!(
                "--from {} is past the last update, {} (the run makes {total} updates)",
                range.from,
                total.saturating_sub(1)
            )));
        }
        if self.logging_steps.is_some() && (range.from > 0 || range.every > 1) {
            return Err(Error::input(
                "--from and --every choose updates; --logged writes the logging steps, which \
                 --logging-steps chooses",
            ));
        }
        let mut logged = match self.logging_steps {
            Some(every) => Some(map.logged_steps(every, false)?.peekable()),
            None => None,
        };
        let every = range.every.max(1);
        let last = total.saturating_sub(1);
        let mut written = 0;
        for x in map.lrs(schedule, total) {
            if written >= limit {
                break;
            }
            if x.point.lr.is_nan()
                && let Some(error) = schedule.error_at(x.point.step)
            {
                return Err(error);
            }
            let row_step = match logged.as_mut() {
                Some(steps) => {
                    if steps.next_if_eq(&(x.update + 1)).is_none() {
                        continue;
                    }
                    x.update + 1
                }
                None => {
                    let u = x.update;
                    if u < range.from || (!(u - range.from).is_multiple_of(every) && u != last) {
                        continue;
                    }
                    u
                }
            };
            written += 1;
            row(Point {
                step: row_step,
                ..x.point
            })?;
        }
        Ok(())
    }
}
