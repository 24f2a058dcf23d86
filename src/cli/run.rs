//! The run flags (`--samples`, `--batch-size`, ...): with `--samples`, `table`, `csv` and
//! `json` write one row per optimizer update of the run, with the lr the runtime gives it,
//! instead of one row per scheduler step.

use std::io::Write;

use clap::Args;
use serde_json::json;

use lrsched::Description;
use lrsched::config::deepspeed::{Beside, DeepSpeedConfig};
use lrsched::config::training_args::HF_DEFAULT_BATCH_SIZE;
use lrsched::description::{DEFAULT_BASE_LR, DEFAULT_SCHEDULE, Partial, Source};
use lrsched::error::{Error, Result};
use lrsched::output::{Format, Stream};
use lrsched::run::runtime::{Interval, Options, Runtime, RuntimeMap, Updates};
use lrsched::run::{Derivation, Framework, Run, scheduler_cap};
use lrsched::schedule::Point;
use lrsched::schedule::registry::{self, Library};

use super::{RangeArgs, ScheduleArgs};

/// The help heading of the run flags.
pub const HEADING: &str = "Run (with --samples: one row per optimizer update)";

/// A training run: how many optimizer updates it makes and which code steps the scheduler.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = HEADING)]
pub struct RunArgs {
    /// Training samples; the output becomes one row per optimizer update of the run, the
    /// schedule sized as transformers' Trainer sizes it (num_training_steps = max_steps).
    /// N1,N2,... gives each dataset's size, for a LLaMA-Factory config naming several
    #[arg(long, value_name = "N", value_parser = parse_samples)]
    pub samples: Option<Samples>,
    /// Per-device batch size (per_device_train_batch_size), B >= 1
    #[arg(long, value_name = "B", requires = "samples")]
    pub batch_size: Option<u64>,
    /// Processes / devices (world size), P >= 1 [default: 1]
    #[arg(long, value_name = "P", requires = "samples")]
    pub devices: Option<u64>,
    /// Gradient accumulation steps, G >= 1 [default: 1]
    #[arg(long, value_name = "G", requires = "samples")]
    pub grad_accum: Option<u64>,
    /// Epochs, a float as num_train_epochs allows (1.5), E >= 0
    #[arg(
        long,
        value_name = "E",
        requires = "samples",
        allow_negative_numbers = true
    )]
    pub epochs: Option<f64>,
    /// max_steps: the run's optimizer updates, instead of --epochs (0 or less: unset, as the
    /// Trainer's -1)
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
    /// Warmup as a ratio of the run's updates: ceil(max_steps x R), R in [0, 1]
    #[arg(
        long,
        value_name = "R",
        requires = "samples",
        conflicts_with = "warmup",
        allow_negative_numbers = true
    )]
    pub warmup_ratio: Option<f64>,
    /// Which code steps the scheduler (lrsched list --runtimes) [default: hf]
    #[arg(long, value_name = "NAME", requires = "samples", value_parser = Runtime::NAMES)]
    pub runtime: Option<String>,
    /// accelerate: Accelerator(split_batches=True), one scheduler step per update instead of
    /// one per process
    #[arg(long, requires = "samples")]
    pub split_batches: bool,
    /// accelerate: Accelerator(step_scheduler_with_optimizer=BOOL); false steps the scheduler
    /// on every call, once per micro-batch inside accelerator.accumulate [default: true]
    #[arg(long, value_name = "BOOL", requires = "samples", action = clap::ArgAction::Set)]
    pub step_scheduler_with_optimizer: Option<bool>,
    /// lightning: lr_scheduler_config "interval", step the scheduler after updates (step) or
    /// after epochs (epoch) [default: epoch]
    #[arg(long, value_name = "WHEN", requires = "samples", value_parser = ["step", "epoch"])]
    pub interval: Option<String>,
    /// lightning: lr_scheduler_config "frequency", step every N-th interval [default: 1]
    #[arg(long, value_name = "N", requires = "samples", value_parser = super::parse_positive_count)]
    pub frequency: Option<u64>,
    /// The learning_rate the Trainer logs: one row per logging step s, the lr of update s-1
    /// (of update s when DeepSpeed's engine steps the scheduler)
    #[arg(long, requires = "samples")]
    pub logged: bool,
    /// logging_steps for --logged; below 1, a ratio of max_steps [default: 500]
    #[arg(
        long,
        value_name = "S",
        requires = "logged",
        allow_negative_numbers = true
    )]
    pub logging_steps: Option<f64>,
}

/// `--samples`: one count, or one per dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Samples(Vec<u64>);

/// `--samples 1000` or `--samples 91,999`, each a count as `--steps` takes it.
fn parse_samples(text: &str) -> std::result::Result<Samples, String> {
    text.split(',')
        .map(|part| {
            super::parse_count(part).map_err(|e| format!("{e} (or N1,N2,... one per dataset)"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map(Samples)
}

impl Samples {
    /// The total, and the sizes of the datasets when there are several.
    fn split(&self) -> Result<(u64, Vec<u64>)> {
        let total = self
            .0
            .iter()
            .try_fold(0u64, |a, &b| a.checked_add(b))
            .ok_or_else(|| Error::input("--samples: the sizes add up past 2**64"))?;
        let each = if self.0.len() > 1 {
            self.0.clone()
        } else {
            Vec::new()
        };
        Ok((total, each))
    }
}

/// A run ready to write: the schedule sized by the run, the derivation and the runtime.
pub struct Planned {
    description: Description,
    derivation: Derivation,
    runtime: Runtime,
    logging_steps: Option<f64>,
    /// The logged lr at step s is update s's, not update s-1's (the DeepSpeed engine steps
    /// the scheduler first).
    logged_after_step: bool,
}

/// The run the flags describe, or `None` without `--samples`.
pub fn plan(run: &RunArgs, schedule: &ScheduleArgs, command: &str) -> Result<Option<Planned>> {
    let Some(samples) = &run.samples else {
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
    let deepspeed = match &partial.deepspeed {
        Some(Beside::Config(ds)) => Some(ds.as_ref().clone()),
        _ => None,
    };
    if config.framework == Framework::DeepSpeed {
        // A DeepSpeed config read alone: its "auto" values are the first thing to say.
        lrsched::config::deepspeed::settle(&Partial {
            run: Some(config.clone()),
            ..partial.clone()
        })?;
    }
    let (samples, dataset_sizes) = samples.split()?;
    let batch_size = run.batch_size.or(config.batch_size);
    let grad_accum = run.grad_accum.or(config.grad_accum);
    // Beside TrainingArguments, DeepSpeed's train_batch_size gives the world size.
    let trainer_run = config.framework != Framework::DeepSpeed;
    let implied_devices = deepspeed.as_ref().filter(|_| trainer_run).and_then(|ds| {
        ds.implied_devices(
            batch_size.unwrap_or(HF_DEFAULT_BATCH_SIZE),
            grad_accum.unwrap_or(1),
        )
    });
    let devices = run.devices.or(config.devices).or(implied_devices);
    let mut derivation = Run {
        framework: config.framework,
        samples: Some(samples),
        batch_size,
        devices,
        grad_accum,
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
        dataset_sizes,
        data: config.data.clone(),
    }
    .derive()?;
    if derivation.num_training_steps.value == 0 {
        return Err(Error::input(format!(
            "the run gives the schedule a horizon of 0 steps (num_training_steps), which \
             lrsched cannot evaluate: {}",
            derivation.summary()
        )));
    }
    if implied_devices.is_some() && run.devices.is_none() && config.devices.is_none() {
        derivation.notes.push(format!(
            "{} devices: the DeepSpeed config's train_batch_size over per-device batch x \
             accumulation",
            implied_devices.unwrap_or(1)
        ));
    }
    let devices = devices.unwrap_or(1);
    // The runtime defaults to the code that steps the config's scheduler.
    let default_runtime = match config.framework {
        Framework::DeepSpeed => "deepspeed",
        Framework::Lightning => "lightning",
        Framework::Torchtune => "torch",
        Framework::Transformers | Framework::LlamaFactory | Framework::Axolotl => "hf",
    };
    let options = Options {
        split_batches: run.split_batches.then_some(true),
        step_scheduler_with_optimizer: run.step_scheduler_with_optimizer,
        interval: run.interval.as_deref().map(Interval::parse).transpose()?,
        frequency: run.frequency,
    };
    let runtime = match (&run.runtime, partial.runtime.take()) {
        (Some(name), _) => Runtime::named(name, devices)?,
        // A config that names its runtime (what `lrsched json --samples` writes).
        (None, Some(runtime)) => runtime,
        (None, None) => Runtime::named(default_runtime, devices)?,
    }
    .with(&options)?;
    if run.logged && runtime != Runtime::Hf {
        return Err(Error::input(format!(
            "--logged gives the Trainer's logged learning_rate, which needs --runtime hf, not {}",
            runtime.name()
        )));
    }
    let base_lr = partial.base_lr.unwrap_or(DEFAULT_BASE_LR);
    let planned = derivation.num_warmup_steps.value;
    // DeepSpeed's scheduler block in place of the Trainer's: it takes the Trainer's warmup
    // (through "auto") whatever lr_scheduler_type says.
    let deepspeed_schedule = deepspeed
        .as_ref()
        .filter(|_| trainer_run)
        .and_then(|ds| ds.scheduler.as_ref().map(|b| (ds, b)))
        .filter(|(_, b)| partial.schedule.as_deref() == Some(b.schedule.as_str()));
    let warmup = match (&partial.expr, deepspeed_schedule) {
        (Some(_), _) => planned,
        (None, Some((ds, block))) => {
            if let Some(name) = ds.replaces.as_ref().and_then(|r| r.schedule.as_deref()) {
                derivation.notes.push(format!(
                    "lr_scheduler_type {name} is not used: the DeepSpeed config's \
                     \"scheduler\" block ({}) replaces the Trainer's scheduler",
                    block.kind
                ));
            }
            planned
        }
        (None, None) => {
            let entry = registry::find(partial.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE))?;
            let warmup = derivation.context(base_lr, entry).warmup;
            if warmup == planned {
                warmup
            } else {
                derivation.notes.push(format!(
                    "{} takes no warmup: the Trainer passes num_warmup_steps={planned} and \
                     get_scheduler ignores it",
                    entry.name
                ));
                // Left for the description to drop, so that `check` warns of it.
                if entry.library == Library::Transformers && !entry.takes_warmup {
                    planned
                } else {
                    warmup
                }
            }
        }
    };
    // trainer.py:1942-1952 logs _get_learning_rate() after optimizer.step(); under
    // DeepSpeed the engine has stepped the scheduler by then (accelerate
    // utils/deepspeed.py:264-281), so the logged lr is the next update's.
    let logged_after_step = trainer_run
        && deepspeed
            .as_ref()
            .is_some_and(DeepSpeedConfig::engine_steps_scheduler);
    if logged_after_step && run.logged {
        derivation.notes.push(
            "the DeepSpeed engine steps the scheduler before the Trainer reads the lr to log \
             it, so the learning_rate logged at step s is update s's"
                .to_string(),
        );
    }
    if run.warmup_ratio.is_some() {
        partial.origins.warmup = Some(Source::flag("--warmup-ratio"));
    }
    let partial_logging = partial.logging_steps;
    partial.run = Some(derivation.inputs.clone());
    if let Some(r) = partial.run.as_mut() {
        r.devices = Some(devices);
    }
    partial.steps = Some(derivation.num_training_steps.value);
    partial.warmup = Some(warmup);
    partial.warmup_ratio = None;
    let description = partial.resolve()?;
    Ok(Some(Planned {
        description,
        derivation,
        runtime,
        logging_steps: run
            .logged
            .then(|| run.logging_steps.or(partial_logging).unwrap_or(500.0)),
        logged_after_step,
    }))
}

impl Planned {
    /// The description sized by the run, the derivation and the runtime.
    pub fn into_parts(self) -> (Description, Derivation, Runtime) {
        (self.description, self.derivation, self.runtime)
    }

    /// The largest step column value written, for the table's width.
    pub fn last_row(&self) -> u64 {
        let total = self.derivation.total_updates.value;
        if self.logging_steps.is_some() {
            total
        } else {
            total.saturating_sub(1)
        }
    }

    /// The run's schedule, as sized by the run.
    pub fn schedule(&self) -> &dyn lrsched::schedule::Schedule {
        self.description.schedule()
    }

    /// The JSON document's `"schedule"` member: the description, the run's derivation and
    /// the runtime.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = self.description.to_json();
        let mut run = self.derivation.to_json();
        if let Some(map) = run.as_object_mut() {
            let text = lrsched::check::derivation_text(&self.description, &self.derivation);
            map.insert("derivation".into(), text.into());
        }
        if let Some(map) = value.as_object_mut() {
            map.insert("run".into(), run);
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
        self.runtime
            .map(&self.derivation, scheduler_cap(&self.description))
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
        // The lr logged at step s is update s-1's, or update s's when the DeepSpeed engine
        // has stepped the scheduler first; the last one is then past the run's updates.
        let shift = u64::from(!(logged.is_some() && self.logged_after_step));
        let updates = if shift == 0 {
            total.saturating_add(1)
        } else {
            total
        };
        for x in map.lrs(schedule, updates) {
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
                    if steps.next_if_eq(&(x.update + shift)).is_none() {
                        continue;
                    }
                    x.update + shift
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
