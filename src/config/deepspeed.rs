//! A DeepSpeed config (`ds_config.json`, deepspeed 0.19.8): the `"scheduler": {"type",
//! "params"}` block, the optimizer's `lr`, and the batch keys, read as
//! `deepspeed.initialize` reads them (runtime/config.py, runtime/lr_schedules.py).
//!
//! DeepSpeed's own classes map to the `deepspeed:` built-ins, whose parameters are
//! DeepSpeed's; a `type` naming a `torch.optim.lr_scheduler` class maps to the torch
//! built-in. DeepSpeed passes the params to the class unchanged, so a number written as a
//! string (`"warmup_num_steps": "1000"`) fails there and is an error here.
//!
//! `"auto"` is filled only by transformers' DeepSpeed integration, from the
//! `TrainingArguments` the config runs with (their `deepspeed` key, or both files given to
//! lrsched): [`DeepSpeedConfig::fill`] does what `HfTrainerDeepSpeedConfig` does
//! (transformers 5.24 integrations/deepspeed.py:108-262). A config read alone keeps its
//! `"auto"` values, which are an error when the schedule is resolved ([`settle`]), naming
//! the key and how to give the TrainingArguments.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value as Json;

use super::document::{Document, Format, Syntax, is_typo};
use super::partial::{Location, Origins, Partial};
use super::value;
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};

/// A DeepSpeed config.
pub const FORMAT: Format = Format {
    id: "deepspeed",
    name: "DeepSpeed config",
    is_marker: |key| MARKERS.contains(&key),
    keys,
    read,
    supersedes: &[],
};

/// Top-level keys only a DeepSpeed config has (`gradient_accumulation_steps`, `fp16` and
/// `bf16` are TrainingArguments fields too, so they mark neither).
const MARKERS: &[&str] = &[
    "train_micro_batch_size_per_gpu",
    "train_batch_size",
    "scheduler",
    "optimizer",
    "zero_optimization",
    "steps_per_print",
    "gradient_clipping",
    "wall_clock_breakdown",
    "zero_allow_untested_optimizer",
    "prescale_gradients",
];

/// Keys a DeepSpeed config shares with `TrainingArguments`: they mark neither format.
pub const SHARED: &[&str] = &["gradient_accumulation_steps", "fp16", "bf16"];

/// DeepSpeed's own scheduler classes (`lr_schedules.VALID_LR_SCHEDULES`).
const CLASSES: &[&str] = &[
    "LRRangeTest",
    "OneCycle",
    "WarmupLR",
    "WarmupDecayLR",
    "WarmupCosineLR",
];

/// The keys that shape the schedule; DeepSpeed's other keys are skipped.
#[derive(Deserialize)]
struct DeepSpeed {
    #[serde(default, deserialize_with = "count")]
    train_micro_batch_size_per_gpu: Option<Maybe<u64>>,
    #[serde(default, deserialize_with = "count")]
    gradient_accumulation_steps: Option<Maybe<u64>>,
    #[serde(default, deserialize_with = "count")]
    train_batch_size: Option<Maybe<u64>>,
    #[serde(default)]
    optimizer: Option<Optimizer>,
    #[serde(default)]
    scheduler: Option<Scheduler>,
}

#[derive(Deserialize)]
struct Optimizer {
    #[serde(default)]
    params: Option<OptimizerParams>,
}

#[derive(Deserialize)]
struct OptimizerParams {
    #[serde(default, deserialize_with = "lr")]
    lr: Option<Maybe<f64>>,
}

/// A value as written: a number, or `"auto"`.
#[derive(Clone, Copy)]
enum Maybe<T> {
    Auto,
    Value(T),
}

/// A DeepSpeed value that transformers fills or checks: not written, `"auto"`, or a value,
/// with where it is written.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting<T> {
    /// The key is not in the config.
    Absent,
    /// `"auto"`.
    Auto(Location),
    /// A value.
    Given(T, Location),
}

impl<T: Copy> Setting<T> {
    fn of(value: Option<Maybe<T>>, at: impl FnOnce() -> Location) -> Self {
        match value {
            None => Setting::Absent,
            Some(Maybe::Auto) => Setting::Auto(at()),
            Some(Maybe::Value(v)) => Setting::Given(v, at()),
        }
    }

    /// The value, when one is written.
    pub fn given(&self) -> Option<T> {
        match self {
            Setting::Given(v, _) => Some(*v),
            _ => None,
        }
    }
}

/// A DeepSpeed config read for the schedule, `"auto"` values kept as such.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepSpeedConfig {
    /// How messages name the config: its file, or the TrainingArguments' dict.
    pub source: String,
    /// `train_micro_batch_size_per_gpu`.
    pub micro_batch: Setting<u64>,
    /// `gradient_accumulation_steps`.
    pub grad_accum: Setting<u64>,
    /// `train_batch_size`.
    pub train_batch: Setting<u64>,
    /// Where an `"optimizer"` block is written: DeepSpeed then builds the optimizer, and
    /// under the Trainer its engine steps the scheduler (integrations/deepspeed.py:576-608).
    pub optimizer: Option<Location>,
    /// `optimizer.params.lr`.
    pub lr: Setting<f64>,
    /// The `"scheduler"` block.
    pub scheduler: Option<SchedulerBlock>,
    /// What the scheduler block replaces, when the config runs beside TrainingArguments.
    pub replaces: Option<Replaced>,
}

/// The Trainer's scheduler that a DeepSpeed `"scheduler"` block replaces.
#[derive(Clone, Debug, PartialEq)]
pub struct Replaced {
    /// `lr_scheduler_type`.
    pub schedule: Option<String>,
    params: Vec<(String, Raw)>,
    origins: Vec<Option<Location>>,
}

/// A DeepSpeed `"scheduler"` block.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerBlock {
    /// `type`: the class.
    pub kind: String,
    /// The built-in it is (`deepspeed:WarmupLR`, `torch:StepLR`).
    pub schedule: String,
    /// The `params` written, `"auto"` ones left out.
    pub params: Vec<(String, Raw)>,
    /// Where each of `params` is written.
    pub origins: Vec<Option<Location>>,
    /// The `params` written as `"auto"`, and where.
    pub autos: Vec<(String, Location)>,
}

/// The scheduler parameters transformers fills (trainer_config_process,
/// integrations/deepspeed.py:172-173, and trainer_config_finalize, :245-256).
const FILLED: &[&str] = &[
    "warmup_min_lr",
    "warmup_max_lr",
    "total_num_steps",
    "warmup_num_steps",
];

#[derive(Deserialize)]
struct Scheduler {
    #[serde(rename = "type", default, deserialize_with = "value::text")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "value::params")]
    params: Option<Vec<(String, Raw)>>,
}

/// The keys lrsched reads from a DeepSpeed config.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<DeepSpeed>()
}

/// A whole number >= 1, as DeepSpeed's config checks it (no strings), or `"auto"`.
fn count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Maybe<u64>>, D::Error> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = Option<Maybe<u64>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number >= 1")
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
            if v == 0 {
                return Err(E::custom("must be a whole number >= 1, not 0"));
            }
            Ok(Some(Maybe::Value(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::custom(format!("must be a whole number >= 1, not {v}"))),
            }
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
            Err(E::custom(format!(
                "must be a whole number >= 1, not {}",
                py_repr(v)
            )))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            match v {
                "auto" => Ok(Some(Maybe::Auto)),
                _ => Err(E::custom(string_message(v))),
            }
        }
    }
    d.deserialize_option(Count)
}

/// The optimizer's `lr`: a finite number >= 0, not a string, or `"auto"`.
fn lr<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Maybe<f64>>, D::Error> {
    struct Lr;
    impl<'de> Visitor<'de> for Lr {
        type Value = Option<Maybe<f64>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a finite number >= 0")
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
            if v.is_finite() && v >= 0.0 {
                Ok(Some(Maybe::Value(v)))
            } else {
                Err(E::custom(format!(
                    "must be a finite number >= 0 (torch rejects a negative lr), not {}",
                    py_repr(v)
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
            self.visit_f64(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
            self.visit_f64(v as f64)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            match v {
                "auto" => Ok(Some(Maybe::Auto)),
                _ => Err(E::custom(string_message(v))),
            }
        }
    }
    d.deserialize_option(Lr)
}

/// Why a string where DeepSpeed needs a number is refused.
fn string_message(v: &str) -> String {
    format!(
        "must be a number, not string {v:?} (DeepSpeed passes it on as a string, which \
         fails where it is used)"
    )
}

/// A key that is no DeepSpeed key lrsched knows but two edits from one it reads
/// (`"schedular"`): DeepSpeed would ignore or reject it, and the run would not get the
/// schedule the file means.
fn typos(document: &Document<'_>) -> Result<()> {
    for key in document.keys() {
        if keys().contains(&key.as_str()) || MARKERS.contains(&key.as_str()) {
            continue;
        }
        if let Some(near) = keys().iter().find(|k| is_typo(key, k)) {
            return Err(document.error_at(key, format!("unknown key \"{key}\"; did you mean '{near}'?")));
        }
    }
    Ok(())
}

/// Reads a DeepSpeed config, keeping its `"auto"` values for the TrainingArguments it may
/// run beside.
pub fn parse(document: &Document<'_>, source: &str) -> Result<DeepSpeedConfig> {
    typos(document)?;
    let config: DeepSpeed = document.deserialize()?;
    let at_in = |block: &str, name: &str| {
        let probe = [(name.to_string(), Raw::Json(Json::Null))];
        document
            .param_locations(block, &probe)
            .pop()
            .flatten()
            .unwrap_or_else(|| document.location_of(block))
    };
    let lr = config
        .optimizer
        .as_ref()
        .and_then(|o| o.params.as_ref())
        .and_then(|p| p.lr);
    let scheduler = match config.scheduler {
        None => None,
        Some(scheduler) => {
            let Some(kind) = scheduler.kind else {
                return Err(Error::input(format!(
                    "config {}: \"scheduler\" has no \"type\"; DeepSpeed needs one of {}, or a \
                     torch.optim.lr_scheduler class",
                    document.location_of("scheduler"),
                    CLASSES.join(", ")
                )));
            };
            let schedule = schedule_of(&kind).map_err(|message| {
                Error::input(format!(
                    "config {}: \"scheduler.type\" {message}",
                    at_in("scheduler", "type")
                ))
            })?;
            let mut params = Vec::new();
            let mut autos = Vec::new();
            for (name, raw) in scheduler.params.unwrap_or_default() {
                match &raw {
                    Raw::Json(Json::String(s)) if s == "auto" => {
                        autos.push((name.clone(), at_in("scheduler", &name)));
                        continue;
                    }
                    Raw::Json(Json::String(s)) if s.trim().parse::<f64>().is_ok() => {
                        return Err(Error::input(format!(
                            "config {}: \"scheduler.params.{name}\" {}",
                            at_in("scheduler", &name),
                            string_message(s)
                        )));
                    }
                    _ => params.push((name, raw)),
                }
            }
            let origins = document.param_locations("scheduler", &params);
            Some(SchedulerBlock {
                kind,
                schedule,
                params,
                origins,
                autos,
            })
        }
    };
    Ok(DeepSpeedConfig {
        source: source.to_string(),
        micro_batch: Setting::of(config.train_micro_batch_size_per_gpu, || {
            document.location_of("train_micro_batch_size_per_gpu")
        }),
        grad_accum: Setting::of(config.gradient_accumulation_steps, || {
            document.location_of("gradient_accumulation_steps")
        }),
        train_batch: Setting::of(config.train_batch_size, || {
            document.location_of("train_batch_size")
        }),
        optimizer: config
            .optimizer
            .as_ref()
            .map(|_| document.location_of("optimizer")),
        lr: Setting::of(lr, || at_in("optimizer", "lr")),
        scheduler,
        replaces: None,
    })
}

/// Reads a DeepSpeed config alone; one without a scheduler block, or with `"auto"`, can
/// still run beside TrainingArguments, so [`settle`] refuses it only if it stays alone.
fn read(document: &Document<'_>) -> Result<Partial> {
    let source = document.location().file;
    let config = parse(document, &source)?;
    let empty = SchedulerBlock {
        kind: String::new(),
        schedule: String::new(),
        params: Vec::new(),
        origins: Vec::new(),
        autos: Vec::new(),
    };
    let scheduler = config.scheduler.as_ref().unwrap_or(&empty);
    // DeepSpeed's total_num_steps is the horizon the values are shown for.
    let steps = scheduler.params.iter().find_map(|(name, raw)| match raw {
        Raw::Json(Json::Number(n)) if name == "total_num_steps" => {
            n.as_f64().filter(|x| *x >= 1.0).map(|x| x.ceil() as u64)
        }
        _ => None,
    });
    let run = run_of(
        document,
        config.micro_batch.given(),
        config.grad_accum.given(),
        config.train_batch.given(),
    )?;
    Ok(Partial {
        schedule: config.scheduler.as_ref().map(|b| b.schedule.clone()),
        base_lr: config.lr.given(),
        steps,
        params: scheduler.params.clone(),
        origins: Origins {
            expr: None,
            params: scheduler.origins.clone(),
        },
        run: Some(run),
        deepspeed: Some(Beside::Config(Box::new(config))),
        ..Partial::default()
    })
}

/// The built-in a `scheduler.type` names.
fn schedule_of(kind: &str) -> std::result::Result<String, String> {
    if CLASSES.contains(&kind) {
        return Ok(format!("deepspeed:{kind}"));
    }
    let torch = format!("torch:{kind}");
    match registry::find(&torch) {
        Ok(entry) if entry.library == Library::Torch => Ok(torch),
        _ => Err(format!(
            "\"{kind}\" is neither a DeepSpeed scheduler ({}) nor a torch.optim.lr_scheduler \
             class lrsched knows{}",
            CLASSES.join(", "),
            crate::suggest::did_you_mean(kind, CLASSES.iter().copied())
        )),
    }
}

/// The run the batch keys give: `train_batch_size = micro * accumulation * world size`
/// (runtime/config.py `_configure_train_batch_size`), any two giving the third.
fn run_of(
    document: &Document<'_>,
    micro: Option<u64>,
    accum: Option<u64>,
    total: Option<u64>,
) -> Result<Run> {
    let mut run = Run {
        framework: Framework::DeepSpeed,
        batch_size: micro,
        grad_accum: accum,
        ..Run::default()
    };
    let not_divisible = |what: String| {
        document.error_at(
            "train_batch_size",
            format!(
                "\"train_batch_size\" {} is not {what}, as DeepSpeed requires \
                 (train_batch_size = train_micro_batch_size_per_gpu x \
                 gradient_accumulation_steps x world size)",
                total.unwrap_or(0)
            ),
        )
    };
    match (micro, accum, total) {
        (Some(m), Some(g), Some(t)) => {
            if t % (m * g) != 0 {
                return Err(not_divisible(format!("a multiple of {m} x {g}")));
            }
            run.devices = Some(t / (m * g));
        }
        (Some(m), None, Some(t)) => {
            if t % m != 0 {
                return Err(not_divisible(format!("a multiple of {m}")));
            }
            // One device, unless --devices says otherwise.
            run.grad_accum = Some(t / m);
        }
        (None, Some(g), Some(t)) => {
            if t % g != 0 {
                return Err(not_divisible(format!("a multiple of {g}")));
            }
            run.batch_size = Some(t / g);
        }
        (None, None, Some(t)) => run.batch_size = Some(t),
        _ => {}
    }
    Ok(run)
}

/// The DeepSpeed config a TrainingArguments config runs with, or a DeepSpeed config read
/// alone (its run's framework then says which).
#[derive(Clone, Debug, PartialEq)]
pub enum Beside {
    /// The config, read.
    Config(Box<DeepSpeedConfig>),
    /// A path in the TrainingArguments' `deepspeed` that lrsched cannot open.
    Unread {
        /// The path as written.
        named: String,
        /// Where the `deepspeed` key is.
        at: Location,
        /// Why it cannot be opened.
        why: String,
    },
}

/// The DeepSpeed config the TrainingArguments' `deepspeed` key gives, as
/// `HfDeepSpeedConfig` takes it (accelerate 1.15 utils/deepspeed.py:136-156): a dict, a
/// path (opened as given, so from the working directory of the run: run lrsched from
/// there), or the config as a JSON string. A base64 string is not decoded.
pub fn named_by(document: &Document<'_>, value: Option<&Json>) -> Result<Option<Beside>> {
    let at = document.location_of("deepspeed");
    let embedded = |text: &str, source: String| -> Result<Beside> {
        let inner = Document::embedded(text, Syntax::Json, at.clone())?;
        Ok(Beside::Config(Box::new(parse(&inner, &source)?)))
    };
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(_)) => {
            let text = value.map(Json::to_string).unwrap_or_default();
            let source = format!("the \"deepspeed\" dict of {}", at.file);
            embedded(&text, source).map(Some)
        }
        Some(Json::String(path)) if path.is_empty() => Ok(None),
        Some(Json::String(path)) => match std::fs::read_to_string(path) {
            Ok(text) => {
                let inner = Document::new(path, &text, Syntax::Json)?;
                Ok(Some(Beside::Config(Box::new(parse(&inner, path)?))))
            }
            Err(e) => match serde_json::from_str::<Json>(path) {
                Ok(Json::Object(_)) => {
                    let source = format!("the \"deepspeed\" JSON of {}", at.file);
                    embedded(path, source).map(Some)
                }
                _ => Ok(Some(Beside::Unread {
                    named: path.clone(),
                    at,
                    why: e.to_string(),
                })),
            },
        },
        Some(other) => Err(document.error_at(
            "deepspeed",
            format!(
                "\"deepspeed\" must be the path of a DeepSpeed config or a dict of one, not \
                 {other}"
            ),
        )),
    }
}

/// A TrainingArguments config's run with its DeepSpeed config: a `"scheduler"` block
/// replaces the Trainer's `lr_scheduler_type` and `lr_scheduler_kwargs`
/// (integrations/deepspeed.py:592-593 hands DeepSpeed a DummyScheduler and it builds the
/// block's class), whose `"auto"` values are filled when the run's length is known.
pub fn attach(partial: &mut Partial) {
    let trainer = matches!(
        partial.run.as_ref().map(|r| r.framework),
        Some(Framework::Transformers | Framework::LlamaFactory)
    );
    let Some(Beside::Config(config)) = partial.deepspeed.as_mut() else {
        return;
    };
    let Some(block) = config.scheduler.as_ref().filter(|_| trainer) else {
        return;
    };
    config.replaces = Some(Replaced {
        schedule: partial.schedule.take(),
        params: std::mem::take(&mut partial.params),
        origins: std::mem::take(&mut partial.origins.params),
    });
    partial.schedule = Some(block.schedule.clone());
    partial.params = block.params.clone();
    partial.origins.params = block.origins.clone();
}

/// Undoes [`attach`]: the Trainer's own scheduler again, for another DeepSpeed config.
fn detach(partial: &mut Partial) {
    if let Some(Beside::Config(config)) = partial.deepspeed.as_mut()
        && let Some(replaced) = config.replaces.take()
    {
        partial.schedule = replaced.schedule;
        partial.params = replaced.params;
        partial.origins.params = replaced.origins;
    }
}

/// One run from two config files, when one is TrainingArguments (or LLaMA-Factory's) and
/// the other a DeepSpeed config read alone: the TrainingArguments run with it, as
/// `TrainingArguments(deepspeed=...)`, in place of any their `deepspeed` key names.
pub fn pair(first: &Partial, second: &Partial) -> Option<Partial> {
    let framework = |p: &Partial| p.run.as_ref().map(|r| r.framework);
    let trainer = |p: &Partial| {
        matches!(
            framework(p),
            Some(Framework::Transformers | Framework::LlamaFactory)
        )
    };
    let alone = |p: &Partial| {
        framework(p) == Some(Framework::DeepSpeed)
            && matches!(p.deepspeed, Some(Beside::Config(_)))
    };
    let (arguments, deepspeed) = if trainer(first) && alone(second) {
        (first, second)
    } else if trainer(second) && alone(first) {
        (second, first)
    } else {
        return None;
    };
    let mut run = arguments.clone();
    detach(&mut run);
    run.deepspeed = deepspeed.deepspeed.clone();
    attach(&mut run);
    Some(run)
}

/// What the Trainer gives its DeepSpeed config: `TrainingArguments` values and, once the
/// run is sized, `num_training_steps` and `get_warmup_steps(num_training_steps)`.
#[derive(Clone, Copy, Debug)]
pub struct TrainerArgs {
    /// `learning_rate`.
    pub learning_rate: f64,
    /// `per_device_train_batch_size`.
    pub batch_size: u64,
    /// `gradient_accumulation_steps`.
    pub grad_accum: u64,
    /// `world_size`.
    pub devices: u64,
    /// `num_training_steps` (the Trainer's `max_steps`).
    pub max_steps: u64,
    /// `args.get_warmup_steps(num_training_steps)`.
    pub warmup_steps: u64,
}

/// A written value that differs from the Trainer's, as `fill_match` records it.
struct Mismatch {
    at: Location,
    key: String,
    written: String,
    trainer_key: &'static str,
    trainer: String,
}

impl DeepSpeedConfig {
    /// Whether the DeepSpeed engine steps the run's scheduler: with a `"scheduler"` block
    /// (its own), or an `"optimizer"` block (the Trainer's scheduler handed to
    /// `deepspeed.initialize`, integrations/deepspeed.py:594-608). The Trainer's own
    /// `lr_scheduler.step()` is then a no-op (accelerate `DeepSpeedSchedulerWrapper`).
    pub fn engine_steps_scheduler(&self) -> bool {
        self.scheduler.is_some() || self.optimizer.is_some()
    }

    /// The world size `train_batch_size` implies for the Trainer's batch and accumulation,
    /// as DeepSpeed requires `train_batch_size = micro x accumulation x world size`.
    pub fn implied_devices(&self, batch_size: u64, grad_accum: u64) -> Option<u64> {
        let t = self.train_batch.given()?;
        let per_device = batch_size.checked_mul(grad_accum)?;
        (per_device > 0 && t % per_device == 0 && t >= per_device).then(|| t / per_device)
    }

    /// Every `"auto"` value, in the order written.
    fn autos(&self) -> Vec<(String, Location)> {
        let mut autos = Vec::new();
        for (key, setting) in [
            ("train_micro_batch_size_per_gpu", &self.micro_batch),
            ("gradient_accumulation_steps", &self.grad_accum),
            ("train_batch_size", &self.train_batch),
        ] {
            if let Setting::Auto(at) = setting {
                autos.push((key.to_string(), at.clone()));
            }
        }
        if let Setting::Auto(at) = &self.lr {
            autos.push(("optimizer.params.lr".to_string(), at.clone()));
        }
        if let Some(block) = &self.scheduler {
            for (name, at) in &block.autos {
                autos.push((format!("scheduler.params.{name}"), at.clone()));
            }
        }
        autos.sort_by_key(|(_, at)| at.line_column);
        autos
    }

    /// A config read alone gives the schedule only with a scheduler block, and cannot run
    /// with `"auto"` in it: DeepSpeed itself fills nothing.
    fn refuse_alone(&self) -> Result<()> {
        if self.scheduler.is_none() {
            return Err(Error::input(format!(
                "config {}: there is no \"scheduler\" block, so DeepSpeed leaves the lr to the \
                 training script (or, under transformers' Trainer, to its lr_scheduler_type); \
                 give \"scheduler\": {{\"type\": ..., \"params\": {{...}}}}",
                self.source
            )));
        }
        match self.autos().first() {
            None => Ok(()),
            Some((key, at)) => Err(Error::input(format!(
                "config {at}: \"{key}\" is \"auto\", which only transformers' DeepSpeed \
                 integration fills in, from the TrainingArguments the config runs with: give \
                 them too (--config training_args.json --config {0}, or TrainingArguments \
                 whose \"deepspeed\" names {0}), or write the value out",
                self.source
            ))),
        }
    }

    /// Checks the written values against the Trainer's and fills `"auto"`, as
    /// `HfTrainerDeepSpeedConfig.trainer_config_process` and `trainer_config_finalize` do
    /// (integrations/deepspeed.py:136-174, 245-262): the scheduler parameters to add.
    pub fn fill(&self, t: &TrainerArgs) -> Result<Vec<(String, Raw, Location)>> {
        if let (Some(at), Setting::Absent) = (&self.optimizer, &self.lr) {
            // fill_match finds no "lr" and leaves it: DeepSpeed's optimizer class default.
            return Err(Error::input(format!(
                "config {at}: \"optimizer\" has no \"params\": {{\"lr\"}}, so DeepSpeed builds \
                 it with the class's default lr, which lrsched does not know; write \"lr\": \
                 \"auto\" (the learning_rate) or the value"
            )));
        }
        let mut mismatches = Vec::new();
        let mut check = |key: &str, setting: &Setting<u64>, trainer_key, trainer: u64| {
            if let Setting::Given(v, at) = setting
                && *v != trainer
            {
                mismatches.push(Mismatch {
                    at: at.clone(),
                    key: key.to_string(),
                    written: v.to_string(),
                    trainer_key,
                    trainer: trainer.to_string(),
                });
            }
        };
        // trainer_config_process (integrations/deepspeed.py:143-160).
        check(
            "train_micro_batch_size_per_gpu",
            &self.micro_batch,
            "per_device_train_batch_size",
            t.batch_size,
        );
        check(
            "gradient_accumulation_steps",
            &self.grad_accum,
            "gradient_accumulation_steps",
            t.grad_accum,
        );
        let train_batch = t
            .devices
            .saturating_mul(t.batch_size)
            .saturating_mul(t.grad_accum);
        check(
            "train_batch_size",
            &self.train_batch,
            "train_batch_size (calculated)",
            train_batch,
        );
        if let Setting::Given(v, at) = &self.lr
            && *v != t.learning_rate
        {
            mismatches.push(Mismatch {
                at: at.clone(),
                key: "optimizer.params.lr".to_string(),
                written: py_repr(*v),
                trainer_key: "learning_rate",
                trainer: py_repr(t.learning_rate),
            });
        }
        let mut fills = Vec::new();
        if let Some(block) = &self.scheduler {
            // :172-173 and :245-256; warmup_min_lr is filled, never checked.
            let warmup = t.warmup_steps.max(1);
            let trainer_value = |name: &str| -> Option<(Json, &'static str, f64)> {
                match name {
                    "warmup_min_lr" => Some((Json::from(0), "", 0.0)),
                    "warmup_max_lr" => Some((
                        Json::from(t.learning_rate),
                        "learning_rate",
                        t.learning_rate,
                    )),
                    "total_num_steps" => Some((
                        Json::from(t.max_steps),
                        "num_training_steps (calculated)",
                        t.max_steps as f64,
                    )),
                    "warmup_num_steps" => {
                        Some((Json::from(warmup), "warmup_steps", warmup as f64))
                    }
                    _ => None,
                }
            };
            for (name, at) in &block.autos {
                let Some((value, _, _)) = trainer_value(name) else {
                    return Err(Error::input(format!(
                        "config {at}: \"scheduler.params.{name}\" is \"auto\", which \
                         transformers fills only for {} (integrations/deepspeed.py:172-173, \
                         245-256); DeepSpeed would get the string \"auto\": write the value \
                         out",
                        FILLED.join(", ")
                    )));
                };
                fills.push((name.clone(), Raw::Json(value), at.clone()));
            }
            for ((name, raw), at) in block.params.iter().zip(&block.origins) {
                let Some((_, trainer_key, trainer)) = trainer_value(name) else {
                    continue;
                };
                let written = match raw {
                    Raw::Json(Json::Null) => continue,
                    Raw::Json(j) => j,
                    Raw::Text(_) => continue,
                };
                let equal = written.as_f64().is_some_and(|w| w == trainer);
                if name != "warmup_min_lr" && !equal {
                    let trainer_text = if name == "warmup_max_lr" {
                        py_repr(trainer)
                    } else {
                        format!("{}", trainer as u64)
                    };
                        // As Python shows the value read from the JSON file.
                    let written = match written {
                        Json::Number(n) if n.is_f64() => py_repr(n.as_f64().unwrap_or(f64::NAN)),
                        other => other.to_string(),
                    };
                    mismatches.push(Mismatch {
                        at: at.clone().unwrap_or_else(|| Location {
                            file: self.source.clone(),
                            line_column: None,
                        }),
                        key: format!("scheduler.params.{name}"),
                        written,
                        trainer_key,
                        trainer: trainer_text,
                    });
                }
            }
        }
        let Some(first) = mismatches.first() else {
            return Ok(fills);
        };
        let others: Vec<String> = mismatches[1..]
            .iter()
            .map(|m| {
                format!(
                    "; \"{}\" ({}) is {}, the Trainer's {} is {}",
                    m.key, m.at, m.written, m.trainer_key, m.trainer
                )
            })
            .collect();
        Err(Error::input(format!(
            "config {}: \"{}\" is {}, but the Trainer's {} is {}{}: transformers raises \
             ValueError on a DeepSpeed value that differs from the TrainingArguments \
             (integrations/deepspeed.py:257-262); write \"auto\" or the Trainer's value",
            first.at,
            first.key,
            first.written,
            first.trainer_key,
            first.trainer,
            others.concat()
        )))
    }
}

/// The partial with its DeepSpeed config settled, or `None` when there is nothing to do:
/// a config read alone must have no `"auto"` left; one beside TrainingArguments is checked
/// against them and its `"auto"` scheduler values filled, once the run's length is in
/// `partial.steps` and the Trainer's warmup in `partial.warmup`/`warmup_ratio`.
pub fn settle(partial: &Partial) -> Result<Option<Partial>> {
    let Some(beside) = &partial.deepspeed else {
        return Ok(None);
    };
    let framework = partial.run.as_ref().map(|r| r.framework);
    let config = match beside {
        Beside::Unread { named, at, why } => {
            return Err(Error::input(format!(
                "config {at}: \"deepspeed\" names {named}, which lrsched cannot open ({why}); \
                 transformers opens it from the working directory of the run: run lrsched from \
                 there, or give the DeepSpeed config as a second --config"
            )));
        }
        Beside::Config(config) => config,
    };
    if framework == Some(Framework::DeepSpeed) {
        config.refuse_alone()?;
        return Ok(None);
    }
    // Without the run's length the Trainer's values are not known; resolving says so.
    let Some(steps) = partial.steps else {
        return Ok(None);
    };
    let run = partial.run.clone().unwrap_or_default();
    let batch_size = run
        .batch_size
        .unwrap_or(super::training_args::HF_DEFAULT_BATCH_SIZE);
    let grad_accum = run.grad_accum.unwrap_or(1);
    let warmup_steps = match (partial.warmup, partial.warmup_ratio) {
        (Some(w), _) => w,
        // get_warmup_steps: ceil(num_training_steps * ratio), in doubles.
        (None, Some(r)) => (steps as f64 * r).ceil() as u64,
        (None, None) => 0,
    };
    let trainer = TrainerArgs {
        learning_rate: partial
            .base_lr
            .unwrap_or(super::training_args::HF_DEFAULT_LEARNING_RATE),
        batch_size,
        grad_accum,
        devices: run
            .devices
            .or_else(|| config.implied_devices(batch_size, grad_accum))
            .unwrap_or(1),
        max_steps: steps,
        warmup_steps,
    };
    let fills = config.fill(&trainer)?;
    let mut settled = partial.clone();
    settled.deepspeed = None;
    let in_effect = config
        .scheduler
        .as_ref()
        .is_some_and(|b| partial.schedule.as_deref() == Some(b.schedule.as_str()));
    if in_effect {
        // The file's parameters, the filled ones, then --set's, which win.
        let mut params = Vec::new();
        let mut origins = Vec::new();
        let given = partial.params.iter().enumerate();
        for (i, param) in given.clone() {
            if partial.origins.param(i).is_some() {
                params.push(param.clone());
                origins.push(partial.origins.param(i).cloned());
            }
        }
        for (name, raw, at) in fills {
            params.push((name, raw));
            origins.push(Some(at));
        }
        for (i, param) in given {
            if partial.origins.param(i).is_none() {
                params.push(param.clone());
                origins.push(None);
            }
        }
        settled.params = params;
        settled.origins.params = origins;
        // The DeepSpeed class takes its warmup from its own parameters.
        settled.warmup = Some(0);
        settled.warmup_ratio = None;
    }
    Ok(Some(settled))
}
