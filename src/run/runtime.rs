//! Runtimes: how the code that drives training steps the scheduler, as a map from optimizer
//! update `u` to the scheduler step whose lr that update uses (the lr after that many
//! `scheduler.step()` calls), and the Trainer's logged values.
//!
//! Every map is non-decreasing, so the lr of each update can be read from one forward pass
//! over a schedule's points ([`RuntimeMap::lrs`]), which suits the recursive schedules too.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::Derivation;
use crate::error::{Error, Result};
use crate::format::wrap;
use crate::schedule::{Point, Schedule};
use crate::suggest::did_you_mean;

/// When Lightning steps a scheduler (`lr_scheduler_config["interval"]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// After the last batch of every `frequency`-th epoch: Lightning's default
    /// (utilities/types.py:86), and what LightningCLI's automatic
    /// `configure_optimizers` gives.
    #[default]
    Epoch,
    /// After an optimizer step whose last batch index (`batch_idx + 1`, counted in
    /// micro-batches within the epoch) is a multiple of `frequency`.
    Step,
}

/// The code that steps the scheduler during training.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase", deny_unknown_fields)]
pub enum Runtime {
    /// Your own loop calling `scheduler.step()` once after each `optimizer.step()`: update
    /// `u` uses step `u`.
    Torch,
    /// transformers' `Trainer`: `lr_scheduler.step()` after every optimizer update
    /// (trainer.py:1942-1955), so update `u` uses step `u` (`lr_used` in the golden runs).
    Hf,
    /// A loop that passes the scheduler to `accelerator.prepare` (accelerate 1.15
    /// scheduler.py:54-82): an update steps it `processes` times, unless `split_batches`;
    /// with `step_with_optimizer = false` it steps on every call, which a loop inside
    /// `accelerator.accumulate` makes once per micro-batch.
    Accelerate {
        /// `AcceleratorState().num_processes` (scheduler.py:75-76).
        processes: u64,
        /// `Accelerator(split_batches=True)` (`--split-batches`): one step per update
        /// (scheduler.py:69-71), as `prepare_scheduler` hands the Accelerator's setting on
        /// (accelerator.py:2809-2814).
        split_batches: bool,
        /// `Accelerator(step_scheduler_with_optimizer=...)` [default: true]
        /// (`--step-scheduler-with-optimizer false`): false steps on every call, whether or
        /// not the optimizer stepped (scheduler.py:55-58).
        step_with_optimizer: bool,
    },
    /// A DeepSpeed engine stepping its scheduler in `_take_model_step`
    /// (runtime/engine.py:3540-3550): once per applied update, not after an update skipped for
    /// fp16 overflow. The value set at construction is the first update's.
    #[serde(rename = "deepspeed")]
    DeepSpeed {
        /// Updates skipped for overflow (0-based), which do not step the scheduler.
        skipped: Vec<u64>,
    },
    /// PyTorch Lightning's loop (loops/training_epoch_loop.py:358-362, 456-509).
    Lightning {
        /// `interval` (`--interval`): `"epoch"` by default (utilities/types.py:86).
        interval: Interval,
        /// `frequency` (`--frequency`) [default: 1] (utilities/types.py:88): a step when
        /// the epoch's or the batch's 1-based index divides by it
        /// (training_epoch_loop.py:482-486).
        frequency: u64,
    },
}

/// One row of `lrsched list --runtimes`: a runtime, its stepping rule and the upstream
/// source it is read from.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeRule {
    /// The `--runtime` name.
    pub name: &'static str,
    /// What update `u` uses.
    pub rule: &'static str,
    /// Upstream file:line (versions named in the text).
    pub source: &'static str,
}

/// The runtimes and their rules, for `lrsched list --runtimes`.
pub static RULES: &[RuntimeRule] = &[
    RuntimeRule {
        name: "torch",
        rule: "scheduler.step() once after each optimizer.step(): update u uses step u",
        source: "torch/optim/lr_scheduler.py (LRScheduler.step)",
    },
    RuntimeRule {
        name: "hf",
        rule: "Trainer: optimizer.step(), then lr_scheduler.step() unless the step was \
               skipped: update u uses step u; --logged: the learning_rate logged at step s \
               (s % logging_steps == 0, a ratio below 1 is ceil(max_steps x it)) is update \
               s-1's",
        source: "transformers 5.24 trainer.py:1942-1955, 2250-2266; trainer_callback.py:166, 572",
    },
    RuntimeRule {
        name: "accelerate",
        rule: "scheduler passed to accelerator.prepare: each update steps it num_processes \
               times (update u uses step u x P; OneCycleLR stops at total_steps), once with \
               split_batches=True (--split-batches); with step_scheduler_with_optimizer=False \
               (--step-scheduler-with-optimizer false) every call steps it (once per \
               micro-batch inside accelerator.accumulate)",
        source: "accelerate 1.15 scheduler.py:54-82, accelerator.py:2809-2814",
    },
    RuntimeRule {
        name: "deepspeed",
        rule: "engine steps the scheduler after each applied update, not after one skipped \
               for fp16 overflow; the value set at construction is used by update 0",
        source: "deepspeed 0.19.8 runtime/engine.py:3534-3550",
    },
    RuntimeRule {
        name: "lightning",
        rule: "interval='epoch' (the default): the lr changes once per epoch, update u of \
               epoch e uses step floor(e / frequency); interval='step' (--interval step): a \
               step after each update whose last batch_idx+1 is a multiple of frequency \
               (--frequency N); LightningCLI's own configure_optimizers sets neither",
        source: "lightning 2.6 loops/training_epoch_loop.py:358-362, 456-509; \
                 utilities/types.py:86-88; core/optimizer.py:269-273; cli.py:664-682",
    },
];

/// Writes the table of runtimes for `lrsched list --runtimes`, wrapped to `width` columns.
pub fn write_rules(out: &mut dyn Write, width: usize) -> Result<()> {
    let indent = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0) + 2;
    for (i, r) in RULES.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let source = format!("source: {}", r.source);
        let lines = wrap(r.rule, width.saturating_sub(indent).max(30))
            .into_iter()
            .chain(wrap(&source, width.saturating_sub(indent).max(30)));
        for (j, line) in lines.enumerate() {
            let name = if j == 0 { r.name } else { "" };
            writeln!(out, "{name:<indent$}{line}")?;
        }
    }
    Ok(())
}

impl Interval {
    /// The interval `name` names, as Lightning accepts it ("step" or "epoch",
    /// core/optimizer.py:269-273).
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "epoch" => Ok(Interval::Epoch),
            "step" => Ok(Interval::Step),
            _ => Err(Error::input(format!(
                "the lightning interval must be \"step\" or \"epoch\", not \"{name}\" \
                 (Lightning raises MisconfigurationException)"
            ))),
        }
    }
}

/// What the command line says about a runtime beyond its name: accelerate's
/// `Accelerator(split_batches=..., step_scheduler_with_optimizer=...)` and Lightning's
/// `lr_scheduler_config` `interval` and `frequency`. `None` leaves the runtime's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--split-batches`.
    pub split_batches: Option<bool>,
    /// `--step-scheduler-with-optimizer`.
    pub step_scheduler_with_optimizer: Option<bool>,
    /// `--interval`.
    pub interval: Option<Interval>,
    /// `--frequency`.
    pub frequency: Option<u64>,
}

impl Runtime {
    /// The runtime with `options` applied; an option of another runtime is an error, as it
    /// would change nothing.
    pub fn with(mut self, options: &Options) -> Result<Self> {
        let refuse = |flag: &str, needs: &str, runtime: &Runtime| {
            Err(Error::input(format!(
                "{flag} applies to --runtime {needs}, not {}",
                runtime.name()
            )))
        };
        match &mut self {
            Runtime::Accelerate {
                split_batches,
                step_with_optimizer,
                ..
            } => {
                if let Some(value) = options.split_batches {
                    *split_batches = value;
                }
                if let Some(value) = options.step_scheduler_with_optimizer {
                    *step_with_optimizer = value;
                }
            }
            other => {
                if options.split_batches.is_some() {
                    return refuse("--split-batches", "accelerate", other);
                }
                if options.step_scheduler_with_optimizer.is_some() {
                    return refuse("--step-scheduler-with-optimizer", "accelerate", other);
                }
            }
        }
        match &mut self {
            Runtime::Lightning {
                interval,
                frequency,
            } => {
                if let Some(value) = options.interval {
                    *interval = value;
                }
                if let Some(value) = options.frequency {
                    *frequency = value;
                }
            }
            other => {
                if options.interval.is_some() {
                    return refuse("--interval", "lightning", other);
                }
                if options.frequency.is_some() {
                    return refuse("--frequency", "lightning", other);
                }
            }
        }
        Ok(self)
    }

    /// The names `--runtime` accepts.
    pub const NAMES: [&'static str; 5] = ["torch", "hf", "accelerate", "deepspeed", "lightning"];

    /// The runtime `name` with its defaults: accelerate with `devices` processes, stepping
    /// with the optimizer; Lightning's epoch interval with frequency 1; DeepSpeed with no
    /// skipped update.
    pub fn named(name: &str, devices: u64) -> Result<Self> {
        Ok(match name {
            "torch" => Runtime::Torch,
            "hf" => Runtime::Hf,
            "accelerate" => Runtime::Accelerate {
                processes: devices.max(1),
                split_batches: false,
                step_with_optimizer: true,
            },
            "deepspeed" => Runtime::DeepSpeed {
                skipped: Vec::new(),
            },
            "lightning" => Runtime::Lightning {
                interval: Interval::Epoch,
                frequency: 1,
            },
            _ => {
                return Err(Error::input(format!(
                    "unknown runtime '{name}'{} (runtimes: {}; lrsched list --runtimes says how each steps)",
                    did_you_mean(name, Self::NAMES),
                    Self::NAMES.join(", ")
                )));
            }
        })
    }

    /// How often it steps the scheduler, for `check`'s report and lints: `once per
    /// update`, `4 times per update (once per process)`, `once per epoch (interval
    /// 'epoch')`.
    pub fn stepping(&self) -> String {
        match self {
            Runtime::Torch | Runtime::Hf => "once per update".into(),
            Runtime::DeepSpeed { .. } => "once per applied update".into(),
            Runtime::Accelerate {
                processes,
                split_batches,
                step_with_optimizer,
            } => {
                if !step_with_optimizer {
                    "at every call, once per micro-batch".into()
                } else if *split_batches || *processes == 1 {
                    "once per update".into()
                } else {
                    format!("{processes} times per update (once per process)")
                }
            }
            Runtime::Lightning {
                interval: Interval::Epoch,
                frequency,
            } => match frequency {
                1 => "once per epoch (interval 'epoch')".into(),
                f => format!("every {f} epochs (interval 'epoch')"),
            },
            Runtime::Lightning {
                interval: Interval::Step,
                frequency,
            } => match frequency {
                1 => "once per update (interval 'step')".into(),
                f => format!(
                    "after each update whose last batch index divides by {f} (interval 'step')"
                ),
            },
        }
    }

    /// True when update `u` uses scheduler step `u`, every update.
    pub fn is_identity(&self) -> bool {
        match self {
            Runtime::Torch | Runtime::Hf => true,
            Runtime::DeepSpeed { skipped } => skipped.is_empty(),
            Runtime::Accelerate {
                processes,
                split_batches,
                step_with_optimizer,
            } => *step_with_optimizer && (*split_batches || *processes == 1),
            Runtime::Lightning { .. } => false,
        }
    }

    /// The `--runtime` name.
    pub fn name(&self) -> &'static str {
        match self {
            Runtime::Torch => "torch",
            Runtime::Hf => "hf",
            Runtime::Accelerate { .. } => "accelerate",
            Runtime::DeepSpeed { .. } => "deepspeed",
            Runtime::Lightning { .. } => "lightning",
        }
    }

    /// The map from updates to scheduler steps for the run `derivation` describes.
    /// `total_steps` is the scheduler's own `total_steps` attribute (torch's `OneCycleLR`),
    /// past which accelerate stops stepping it.
    pub fn map<'a>(
        &'a self,
        derivation: &'a Derivation,
        total_steps: Option<u64>,
    ) -> Result<RuntimeMap<'a>> {
        if let Runtime::Lightning { frequency: 0, .. } = self {
            return Err(Error::input(
                "the lightning runtime's frequency is 0; it must be at least 1",
            ));
        }
        if let (
            Runtime::Lightning {
                interval: Interval::Step,
                ..
            },
            super::Layout::Global { .. },
        ) = (self, derivation.layout)
        {
            return Err(Error::input(
                "the lightning runtime with interval 'step' needs Lightning's per-epoch \
                 accumulation, not the deepspeed framework's run-wide one",
            ));
        }
        if let Runtime::Accelerate { processes: 0, .. } = self {
            return Err(Error::input(
                "the accelerate runtime's number of processes is 0; it must be at least 1",
            ));
        }
        let mut skipped = match self {
            Runtime::DeepSpeed { skipped } => skipped.clone(),
            _ => Vec::new(),
        };
        skipped.sort_unstable();
        skipped.dedup();
        Ok(RuntimeMap {
            runtime: self,
            derivation,
            total_steps,
            skipped,
        })
    }
}

/// A runtime applied to a run: which scheduler step each update uses.
#[derive(Clone, Debug)]
pub struct RuntimeMap<'a> {
    runtime: &'a Runtime,
    derivation: &'a Derivation,
    total_steps: Option<u64>,
    /// DeepSpeed's skipped updates, sorted, each once.
    skipped: Vec<u64>,
}

/// One optimizer update and the lr it uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateLr {
    /// The update, counting from 0.
    pub update: u64,
    /// The scheduler step whose value it uses, and that value.
    pub point: Point,
}

impl RuntimeMap<'_> {
    /// The runtime.
    pub fn runtime(&self) -> &Runtime {
        self.runtime
    }

    /// The first update, below `updates`, whose scheduler step is at least `step` (the map
    /// never decreases), or `None` when the run never gets there.
    pub fn first_update_at(&self, step: u64, updates: u64) -> Option<u64> {
        let (mut low, mut high) = (0, updates);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.scheduler_step(mid) >= step {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        (low < updates).then_some(low)
    }

    /// The scheduler step (number of `scheduler.step()` calls made) whose lr update `u` uses.
    pub fn scheduler_step(&self, u: u64) -> u64 {
        match self.runtime {
            Runtime::Torch | Runtime::Hf => u,
            Runtime::Accelerate {
                processes,
                split_batches,
                step_with_optimizer,
            } => {
                let steps = if !step_with_optimizer {
                    self.derivation.micro_batches_before(u)
                } else if *split_batches {
                    u
                } else {
                    u.saturating_mul(*processes)
                };
                // scheduler.py:78-80: OneCycleLR is stepped only while _step_count <= total_steps.
                self.total_steps.map_or(steps, |t| steps.min(t))
            }
            Runtime::DeepSpeed { .. } => u - self.skipped.partition_point(|&s| s < u) as u64,
            Runtime::Lightning {
                interval,
                frequency,
            } => self.lightning_steps(u, *interval, *frequency),
        }
    }

    /// Lightning's steps before update `u`: per epoch (`current_epoch + 1`) or per update
    /// whose last `batch_idx + 1` divides by `frequency` (training_epoch_loop.py:482-486).
    fn lightning_steps(&self, u: u64, interval: Interval, frequency: u64) -> u64 {
        if u == 0 {
            return 0;
        }
        match interval {
            Interval::Epoch => self.derivation.update_plan(u).epoch / frequency,
            Interval::Step => {
                // Every epoch lays its updates out alike: whole epochs in closed form, then
                // the updates before `u` in its own epoch.
                let per_epoch = self.updates_in_epoch();
                let epoch = u / per_epoch;
                let whole_epochs = if epoch == 0 {
                    0
                } else {
                    epoch.saturating_mul(self.stepping_updates_before(per_epoch, frequency))
                };
                whole_epochs.saturating_add(self.stepping_updates_before(u % per_epoch, frequency))
            }
        }
    }

    fn updates_in_epoch(&self) -> u64 {
        self.derivation
            .updates_per_epoch
            .as_ref()
            .map_or(u64::MAX, |q| q.value.max(1))
    }

    /// How many of the first `k` updates of an epoch end on a batch index divisible by
    /// `frequency`. Update `j` ends at `min((j+1) G, L)`: all but the epoch's last end at
    /// `(j+1) G`, a multiple of `frequency` when `j+1` is a multiple of `frequency / gcd`.
    fn stepping_updates_before(&self, k: u64, frequency: u64) -> u64 {
        if k == 0 {
            return 0;
        }
        let plan = self.derivation.update_plan(k - 1);
        let accum = self.derivation.inputs.grad_accum.unwrap_or(1).max(1);
        let period = frequency / gcd(accum, frequency);
        let full = (k - 1) / period;
        full + u64::from(plan.last_batch.is_multiple_of(frequency))
    }

    /// The lr of each update `0 .. updates`, read from one forward pass over `schedule`.
    pub fn lrs<'s>(
        &'s self,
        schedule: &'s dyn Schedule,
        updates: u64,
    ) -> impl Iterator<Item = UpdateLr> + 's {
        let mut points = schedule.points(0);
        let mut current: Option<Point> = None;
        (0..updates).map_while(move |u| {
            let step = self.scheduler_step(u);
            while current.is_none_or(|p| p.step < step) {
                current = Some(points.next()?);
            }
            current.map(|point| UpdateLr { update: u, point })
        })
    }

    /// The Trainer's logged `learning_rate`s (`--logged`): at every step `s` (1-based) with
    /// `s % logging_steps == 0`, the lr of update `s - 1`, the last of the window
    /// (trainer.py:1947, 2250-2266; trainer_callback.py:572); step 1 too with
    /// `logging_first_step`. A `logging_steps` below 1 is a ratio of `max_steps`,
    /// `ceil(max_steps * logging_steps)` (trainer_callback.py:165-166).
    pub fn logged_steps(
        &self,
        logging_steps: f64,
        first_step: bool,
    ) -> Result<impl Iterator<Item = u64> + use<>> {
        let max_steps = self.derivation.max_steps.value;
        let every = if logging_steps > 0.0 && logging_steps < 1.0 {
            (max_steps as f64 * logging_steps).ceil()
        } else {
            logging_steps
        };
        if !(every.is_finite() && every >= 1.0 && every.fract() == 0.0) {
            return Err(Error::input(format!(
                "logging_steps {} gives a logging interval of {}; it must be a whole number of \
                 steps, at least 1 (or a ratio in (0, 1) of max_steps)",
                crate::format::py_repr(logging_steps),
                crate::format::py_repr(every)
            )));
        }
        let every = every as u64;
        let total = self.derivation.total_updates.value;
        Ok((1..=total).filter(move |&s| s % every == 0 || (first_step && s == 1)))
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A schedule read per optimizer update: update `u`'s point is the schedule's at the
/// scheduler step `u` uses ([`RuntimeMap::scheduler_step`]), numbered `u`. It lets every
/// consumer of steps (the engine, `check`, `diff`, log comparison) take a run's updates as
/// it takes a schedule's steps.
#[derive(Debug)]
pub struct Updates<'a> {
    schedule: &'a dyn Schedule,
    map: RuntimeMap<'a>,
    /// The map is `u -> u` (the Trainer, a plain loop): everything delegates unchanged,
    /// at the schedule's own speed.
    identity: bool,
}

impl<'a> Updates<'a> {
    /// `schedule`'s updates under `map`.
    pub fn new(schedule: &'a dyn Schedule, map: RuntimeMap<'a>) -> Self {
        let identity = match map.runtime {
            Runtime::Torch | Runtime::Hf => true,
            Runtime::DeepSpeed { .. } => map.skipped.is_empty(),
            Runtime::Accelerate { .. } | Runtime::Lightning { .. } => false,
        };
        Updates {
            schedule,
            map,
            identity,
        }
    }

    /// The scheduler step update `u` uses.
    pub fn scheduler_step(&self, u: u64) -> u64 {
        self.map.scheduler_step(u)
    }
}

impl Schedule for Updates<'_> {
    fn at(&self, u: u64) -> Point {
        Point {
            step: u,
            ..self.schedule.at(self.map.scheduler_step(u))
        }
    }

    fn points(&self, from: u64) -> Box<dyn Iterator<Item = Point> + Send + '_> {
        if self.identity {
            return self.schedule.points(from);
        }
        // The map never decreases: one forward pass over the schedule's points.
        let mut points = self.schedule.points(self.map.scheduler_step(from));
        let mut current: Option<Point> = None;
        Box::new((from..).map_while(move |u| {
            let step = self.map.scheduler_step(u);
            while current.is_none_or(|p| p.step < step) {
                current = Some(points.next()?);
            }
            current.map(|p| Point { step: u, ..p })
        }))
    }

    fn fill(&self, from: u64, out: &mut [Point]) {
        if self.identity {
            self.schedule.fill(from, out);
        } else {
            for (u, point) in (from..).zip(out.iter_mut()) {
                *point = self.at(u);
            }
        }
    }

    fn seekable(&self) -> bool {
        self.schedule.seekable()
    }

    fn last_defined_step(&self) -> Option<u64> {
        self.identity
            .then(|| self.schedule.last_defined_step())
            .flatten()
    }

    fn horizon(&self) -> Option<u64> {
        self.identity.then(|| self.schedule.horizon()).flatten()
    }

    fn momentum(&self, u: u64) -> Option<f64> {
        self.schedule.momentum(self.map.scheduler_step(u))
    }

    fn error_at(&self, u: u64) -> Option<Error> {
        self.schedule.error_at(self.map.scheduler_step(u))
    }
}
