//! A training run's step accounting: samples, batch size, devices, accumulation, epochs and
//! `max_steps` turned into optimizer updates and warmup steps by the rules of the framework
//! that runs it, with the derivation written out as `check` prints it.
//!
//! [`Run`] holds what the user gave; [`Run::derive`] applies the framework's rules
//! (`rules.rs`, each citing its upstream source) and returns a [`Derivation`]: every number
//! with the text that explains it, serialisable for `lrsched json`. [`runtime`] then maps
//! each optimizer update to the scheduler step whose lr it uses.
//!
//! Products of a float and an int (`ceil(num_train_epochs * updates_per_epoch)`,
//! `ceil(max_steps * warmup_ratio)`) are computed as IEEE doubles, exactly as Python
//! computes them: `1.1 * 50` is `55.00000000000001`, so 1.1 epochs of 50 updates is 56.

mod rules;
pub mod runtime;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Location;
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::schedule::Context;
use crate::schedule::registry::Entry;
use crate::suggest::did_you_mean;

/// The training framework whose rules turn a run into optimizer updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    /// transformers' `Trainer` (5.24), the default.
    #[default]
    Transformers,
    /// LLaMA-Factory: its YAML goes unchanged into `TrainingArguments`, so the Trainer's
    /// rules apply (with the transformers it pins, where `warmup_ratio` still exists).
    LlamaFactory,
    /// Axolotl: its own total-step count and truncated warmup, handed to the Trainer as
    /// `max_steps` and `warmup_steps`.
    Axolotl,
    /// torchtune's fine-tuning recipes: last partial batch dropped, leftover micro-batches of
    /// an epoch never step, integer epochs.
    Torchtune,
    /// A loop driving a DeepSpeed engine: gradient accumulation counted over the whole run,
    /// not per epoch.
    #[serde(rename = "deepspeed")]
    DeepSpeed,
    /// PyTorch Lightning's `Trainer`: `max_epochs` (an int), `max_steps`,
    /// `accumulate_grad_batches`, stepping on the last batch of an epoch.
    Lightning,
}

impl Framework {
    /// Every framework, in the order `lrsched list` shows them.
    pub const ALL: [Framework; 6] = [
        Framework::Transformers,
        Framework::LlamaFactory,
        Framework::Axolotl,
        Framework::Torchtune,
        Framework::DeepSpeed,
        Framework::Lightning,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Framework::Transformers => "transformers",
            Framework::LlamaFactory => "llama-factory",
            Framework::Axolotl => "axolotl",
            Framework::Torchtune => "torchtune",
            Framework::DeepSpeed => "deepspeed",
            Framework::Lightning => "lightning",
        }
    }

    /// The framework named `name`, or an error with a suggestion.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                let names = Self::ALL.map(Framework::name);
                Error::input(format!(
                    "unknown framework '{name}'{} (frameworks: {})",
                    did_you_mean(name, names),
                    names.join(", ")
                ))
            })
    }

    /// The epochs the framework trains for when its config gives neither epochs nor
    /// `max_steps`, for config readers to fill in: `TrainingArguments.num_train_epochs = 3.0`
    /// (training_args.py), Axolotl's `num_epochs = 1.0` (utils/schemas/training.py:267),
    /// torchtune's recipes read `epochs` from the config (no default), Lightning's
    /// `max_epochs = 1000` when `max_steps` is also unset (trainer/trainer.py:171).
    pub fn default_epochs(self) -> Option<f64> {
        match self {
            Framework::Transformers | Framework::LlamaFactory => Some(3.0),
            Framework::Axolotl => Some(1.0),
            Framework::Lightning => Some(1000.0),
            Framework::Torchtune | Framework::DeepSpeed => None,
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One input of a run, so that an error names it as the user wrote it: the flag, and the
/// key of the framework's config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The number of training samples.
    Samples,
    /// The per-device batch size.
    BatchSize,
    /// Processes / devices.
    Devices,
    /// Gradient accumulation steps.
    GradAccum,
    /// Epochs.
    Epochs,
    /// `max_steps`.
    MaxSteps,
    /// torchtune's `max_steps_per_epoch`.
    MaxStepsPerEpoch,
    /// Warmup steps (or, where the framework says so, a ratio below 1).
    WarmupSteps,
    /// Warmup ratio.
    WarmupRatio,
}

impl Field {
    /// The command-line flag.
    pub fn flag(self) -> &'static str {
        match self {
            Field::Samples => "--samples",
            Field::BatchSize => "--batch-size",
            Field::Devices => "--devices",
            Field::GradAccum => "--grad-accum",
            Field::Epochs => "--epochs",
            Field::MaxSteps => "--max-steps",
            Field::MaxStepsPerEpoch => "--max-steps-per-epoch",
            Field::WarmupSteps => "--warmup",
            Field::WarmupRatio => "--warmup-ratio",
        }
    }

    /// The key of `framework`'s config that holds this input, if it has one.
    pub fn key(self, framework: Framework) -> Option<&'static str> {
        use Framework as F;
        Some(match (self, framework) {
            (Field::Samples, _) | (Field::Devices, _) => return None,
            (Field::BatchSize, F::Transformers | F::LlamaFactory) => "per_device_train_batch_size",
            (Field::BatchSize, F::Axolotl) => "micro_batch_size",
            (Field::BatchSize, F::Torchtune) => "batch_size",
            (Field::BatchSize, F::DeepSpeed) => "train_micro_batch_size_per_gpu",
            (Field::BatchSize, F::Lightning) => "data.init_args.batch_size",
            (Field::GradAccum, F::Lightning) => "trainer.accumulate_grad_batches",
            (Field::GradAccum, _) => "gradient_accumulation_steps",
            (Field::Epochs, F::Transformers | F::LlamaFactory) => "num_train_epochs",
            (Field::Epochs, F::Axolotl) => "num_epochs",
            (Field::Epochs, F::Torchtune) => "epochs",
            (Field::Epochs, F::DeepSpeed) => return None,
            (Field::Epochs, F::Lightning) => "trainer.max_epochs",
            (Field::MaxSteps, F::Lightning) => "trainer.max_steps",
            (Field::MaxSteps, F::Torchtune | F::DeepSpeed) => return None,
            (Field::MaxSteps, _) => "max_steps",
            (Field::MaxStepsPerEpoch, F::Torchtune) => "max_steps_per_epoch",
            (Field::MaxStepsPerEpoch, _) => return None,
            (Field::WarmupSteps, F::Torchtune) => "lr_scheduler.num_warmup_steps",
            (Field::WarmupSteps, F::DeepSpeed) => "scheduler.params.warmup_num_steps",
            (Field::WarmupSteps, _) => "warmup_steps",
            (Field::WarmupRatio, F::Torchtune | F::DeepSpeed | F::Lightning) => return None,
            (Field::WarmupRatio, _) => "warmup_ratio",
        })
    }

    /// `--epochs (num_train_epochs)`: the flag and, where there is one, the config key.
    pub fn describe(self, framework: Framework) -> String {
        match self.key(framework) {
            Some(key) => format!("{} ({key})", self.flag()),
            None => self.flag().to_string(),
        }
    }
}

/// What the user says about a run, before any framework rule is applied. `None` is "not
/// given"; [`Run::derive`] says which inputs a framework needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Run {
    /// The framework whose rules apply.
    pub framework: Framework,
    /// Training samples `N`. `None` with `max_steps` is a dataset without a length
    /// (streamed): the run is `max_steps` updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
    /// Per-device batch size `B`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u64>,
    /// Processes / devices `P` (data-parallel world size) [default: 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<u64>,
    /// Gradient accumulation steps `G` [default: 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_accum: Option<u64>,
    /// Epochs `E` (a float for transformers and Axolotl; an int elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs: Option<f64>,
    /// `max_steps` `M`; zero or less (transformers' `-1`) means "by epochs".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<i64>,
    /// torchtune's `max_steps_per_epoch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_steps_per_epoch: Option<u64>,
    /// Drop the last partial batch [default: the framework's; torchtune always drops it].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop_last: Option<bool>,
    /// Warmup steps `W`. For transformers 5.x (and Axolotl, which hands it on) a value in
    /// `[0, 1)` is a ratio of `max_steps`, and a value from 1 up is truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup_steps: Option<f64>,
    /// Warmup ratio, as older transformers (before 5.0), LLaMA-Factory and Axolotl write it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup_ratio: Option<f64>,
    /// The size of each dataset, when `--samples` gives one per dataset of a LLaMA-Factory
    /// config (`dataset: identity,alpaca_en_demo`), in the config's order; `samples` is then
    /// their sum.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dataset_sizes: Vec<u64>,
    /// LLaMA-Factory's data arguments, which turn the datasets into the training set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataArgs>,
}

/// The keys of LLaMA-Factory's `DataArguments` (hparams/data_args.py) that size the training
/// set: each dataset is capped at `max_samples` (data/loader.py:157-159), the datasets are
/// merged by `mix_strategy` (data/data_utils.py:51-82), and `val_size` is split off for
/// evaluation (data/data_utils.py:109-117).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataArgs {
    /// `dataset`, split at commas (data_args.py:148-153).
    pub datasets: Vec<String>,
    /// `max_samples`: the cap on each dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_samples: Option<u64>,
    /// `val_size`: a count above 1 (truncated), else a ratio; 0 keeps every sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_size: Option<f64>,
    /// `mix_strategy` [default: concat].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix_strategy: Option<String>,
    /// `interleave_probs` is given: interleaving then draws at random.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interleave_probs: bool,
    /// `streaming`: the dataset has no length, so the run is `max_steps` updates.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub streaming: bool,
    /// Samples are packed into sequences (`packing`, or `stage: pt`, which concatenates
    /// and cuts texts into blocks), so the count the run needs is of packed sequences.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub packed: bool,
    /// Where the config writes each of these keys, for messages.
    #[serde(skip)]
    pub locations: Vec<(String, Location)>,
}

impl DataArgs {
    /// Where the config writes `key`.
    pub fn at(&self, key: &str) -> Option<&Location> {
        self.locations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, at)| at)
    }
}

/// One derived number and the text that explains it (`/ accum 4 = 32 updates/epoch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quantity {
    /// The number.
    pub value: u64,
    /// How it was computed, as `check` prints it.
    pub how: String,
}

impl Quantity {
    fn new(value: u64, how: impl Into<String>) -> Self {
        Quantity {
            value,
            how: how.into(),
        }
    }
}

/// A run's numbers, each with its derivation: what the framework passes to the scheduler
/// (`num_warmup_steps`, `num_training_steps`) and how many optimizer updates it makes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Derivation {
    /// The framework whose rules were applied.
    pub framework: Framework,
    /// The inputs, as given.
    pub inputs: Run,
    /// The training samples the framework's data pipeline leaves of `--samples`
    /// (LLaMA-Factory's `max_samples`, dataset mixing and `val_size`); absent when it keeps
    /// them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Quantity>,
    /// Batches (micro-batches) per epoch on each device; absent for a streamed dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches_per_epoch: Option<Quantity>,
    /// Optimizer updates per epoch; absent for a streamed dataset. For DeepSpeed, whose
    /// accumulation runs across epochs, the whole updates an epoch holds on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates_per_epoch: Option<Quantity>,
    /// The optimizer updates the run performs.
    pub total_updates: Quantity,
    /// The framework's `max_steps` (transformers' `state.max_steps`): the updates it plans,
    /// which an empty dataloader leaves undone.
    pub max_steps: Quantity,
    /// The warmup the framework passes to the scheduler (`num_warmup_steps`).
    pub num_warmup_steps: Quantity,
    /// The horizon the framework passes to the scheduler (`num_training_steps`), or for
    /// frameworks that pass none, the one the run needs (Lightning's
    /// `estimated_stepping_batches`).
    pub num_training_steps: Quantity,
    /// What the user should know: values accepted the way an older version reads them,
    /// inputs the framework ignores.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How updates are laid out over epochs, for the per-update plan and the runtimes.
    #[serde(skip)]
    layout: Layout,
}

/// How the micro-batches of a run fall into updates and epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Each epoch restarts the accumulation: `updates` updates of `accum` micro-batches out
    /// of `batches`, the last one short (`keep_remainder`, transformers and Lightning) or the
    /// leftover micro-batches never stepping (torchtune).
    PerEpoch {
        batches: u64,
        accum: u64,
        updates: u64,
        batch: u64,
        last_batch: u64,
        keep_remainder: bool,
    },
    /// Accumulation counted over the whole run (DeepSpeed's engine): update `u` ends at
    /// micro-batch `(u + 1) * accum - 1`, whatever the epoch.
    Global {
        batches: u64,
        accum: u64,
        batch: u64,
        last_batch: u64,
    },
    /// A dataset without a length: one endless epoch of full batches.
    Streamed { accum: u64, batch: u64 },
}

/// Where one optimizer update falls in the run, on each device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UpdatePlan {
    /// The epoch of its last micro-batch, counting from 0.
    pub epoch: u64,
    /// The 1-based index, within that epoch, of its last micro-batch (Lightning's
    /// `batch_idx + 1`, which its `frequency` counts).
    pub last_batch: u64,
    /// Micro-batches accumulated into it (fewer than `G` for the short last update of an
    /// epoch).
    pub micro_batches: u64,
    /// Samples in it on each device.
    pub samples: u64,
}

impl Run {
    /// A run of `framework` with nothing given yet.
    pub fn new(framework: Framework) -> Self {
        Run {
            framework,
            ..Run::default()
        }
    }

    /// Applies the framework's rules: the updates the run makes and what the scheduler is
    /// given, each with its derivation. Missing or invalid inputs are errors naming the flag
    /// and the config key.
    pub fn derive(&self) -> Result<Derivation> {
        rules::derive(self)
    }
}

impl Derivation {
    /// The derivation in one line, as `check` prints it: `1001 samples / (8 x 1) = 126
    /// batches/epoch; / accum 4 = 32 updates/epoch; x 3 epochs = 96 updates; warmup ratio
    /// 0.1 -> 10 steps`. `max_steps` and `num_training_steps` appear when they differ from
    /// the updates made.
    pub fn summary(&self) -> String {
        self.summary_with_warmup(&self.num_warmup_steps.how)
    }

    /// [`Derivation::summary`] with `warmup` for the warmup's part: a schedule with a
    /// warmup of its own (DeepSpeed's `warmup_num_steps`) says so instead of "no warmup".
    pub fn summary_with_warmup(&self, warmup: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if let Some(q) = &self.samples {
            parts.push(&q.how);
        }
        if let Some(q) = &self.batches_per_epoch {
            parts.push(&q.how);
        }
        if let Some(q) = &self.updates_per_epoch {
            parts.push(&q.how);
        }
        parts.push(&self.total_updates.how);
        if self.max_steps.value != self.total_updates.value {
            parts.push(&self.max_steps.how);
        }
        if self.num_training_steps.value != self.max_steps.value {
            parts.push(&self.num_training_steps.how);
        }
        parts.push(warmup);
        parts.join("; ")
    }

    /// The derivation as JSON, for `lrsched json` and `check --format json`: every number
    /// with its `how`, and the whole as `check` prints it under `"derivation"`.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain structs of numbers and strings cannot fail.
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.insert("derivation".into(), self.summary().into());
        }
        value
    }

    /// Where update `update` (0-based, below `total_updates`) falls: its epoch, the index of
    /// its last micro-batch in that epoch, its micro-batches and samples on each device.
    pub fn update_plan(&self, update: u64) -> UpdatePlan {
        // Saturating arithmetic: absurd inputs give absurd plans, never a panic.
        match self.layout {
            Layout::PerEpoch {
                batches,
                accum,
                updates,
                batch,
                last_batch,
                keep_remainder,
            } => {
                let updates = updates.max(1);
                let epoch = update / updates;
                let k = update % updates;
                let first = k.saturating_mul(accum);
                let end = (k + 1).saturating_mul(accum);
                let end = if keep_remainder {
                    end.min(batches)
                } else {
                    end
                };
                let micro_batches = end.saturating_sub(first);
                let samples = if end == batches {
                    (micro_batches.saturating_sub(1))
                        .saturating_mul(batch)
                        .saturating_add(last_batch)
                } else {
                    micro_batches.saturating_mul(batch)
                };
                UpdatePlan {
                    epoch,
                    last_batch: end,
                    micro_batches,
                    samples,
                }
            }
            Layout::Global {
                batches,
                accum,
                batch,
                last_batch,
            } => {
                let batches = batches.max(1);
                let first = update.saturating_mul(accum);
                let end = (update + 1).saturating_mul(accum);
                // The micro-batches in first..end that close an epoch are the short ones.
                let short = end / batches - first / batches;
                let last = end - 1;
                UpdatePlan {
                    epoch: last / batches,
                    last_batch: last % batches + 1,
                    micro_batches: accum,
                    samples: accum
                        .saturating_mul(batch)
                        .saturating_sub(short.saturating_mul(batch - last_batch)),
                }
            }
            Layout::Streamed { accum, batch } => UpdatePlan {
                epoch: 0,
                last_batch: (update + 1).saturating_mul(accum),
                micro_batches: accum,
                samples: accum.saturating_mul(batch),
            },
        }
    }

    /// What the schedule is built against: the horizon `num_training_steps`, the optimizer's
    /// lr and `num_warmup_steps`. The Trainer passes its warmup to every `get_scheduler`
    /// call, and `get_scheduler` returns the schedules that take none (`constant`) before
    /// looking at it (optimization.py:1014-1015), so for transformers-run frameworks the
    /// warmup is dropped for such an `entry`, silently as the Trainer does.
    pub fn context(&self, base_lr: f64, entry: &Entry) -> Context {
        let trainer_run = matches!(
            self.framework,
            Framework::Transformers | Framework::LlamaFactory | Framework::Axolotl
        );
        let warmup = if trainer_run && !entry.takes_warmup {
            0
        } else {
            self.num_warmup_steps.value
        };
        Context {
            steps: self.num_training_steps.value,
            base_lr,
            warmup,
        }
    }

    /// Micro-batches run on each device before update `update` starts, counting the
    /// leftover micro-batches torchtune never steps.
    pub fn micro_batches_before(&self, update: u64) -> u64 {
        match self.layout {
            Layout::PerEpoch {
                batches,
                accum,
                updates,
                ..
            } => {
                let updates = updates.max(1);
                (update / updates)
                    .saturating_mul(batches)
                    .saturating_add((update % updates).saturating_mul(accum))
            }
            Layout::Global { accum, .. } | Layout::Streamed { accum, .. } => {
                update.saturating_mul(accum)
            }
        }
    }
}

/// The scheduler's own `total_steps` attribute, past which accelerate stops stepping it
/// (accelerate 1.15 scheduler.py:78-80): torch's `OneCycleLR`, unless the warmup's
/// `SequentialLR` wraps it. `None` for every other schedule.
pub fn scheduler_cap(description: &crate::Description) -> Option<u64> {
    match description.kind() {
        crate::description::ScheduleKind::Builtin { entry, .. }
            if entry.name == "OneCycleLR" && description.ctx().warmup == 0 =>
        {
            description.schedule().last_defined_step()
        }
        _ => None,
    }
}

/// A float as the derivation text shows it: whole numbers without `.0` (`3 epochs`), others
/// as Python's `repr` (`1.1 epochs`, `55.00000000000001`).
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        py_repr(x)
    }
}
