//! A DeepSpeed config (`ds_config.json`, deepspeed 0.19.8): the `"scheduler": {"type",
//! "params"}` block, the optimizer's `lr`, and the batch keys, read as
//! `deepspeed.initialize` reads them (runtime/config.py, runtime/lr_schedules.py).
//!
//! DeepSpeed's own classes map to the `deepspeed:` built-ins, whose parameters are
//! DeepSpeed's; a `type` naming a `torch.optim.lr_scheduler` class maps to the torch
//! built-in. DeepSpeed passes the params to the class unchanged, so a number written as a
//! string (`"warmup_num_steps": "1000"`) fails there and is an error here; `"auto"` is
//! filled only by transformers' DeepSpeed integration from the TrainingArguments beside the
//! file, which lrsched does not read, so it is an error naming the key.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value as Json;

use super::document::{Document, Format, is_typo};
use super::partial::{Origins, Partial};
use super::value;
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};

/// A DeepSpeed config.
pub const FORMAT: Format = Format {
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
    train_micro_batch_size_per_gpu: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    gradient_accumulation_steps: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    train_batch_size: Option<u64>,
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
    lr: Option<f64>,
}

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

const AUTO: &str = "must be a number, not \"auto\", which only transformers' DeepSpeed \
                    integration fills in (from the TrainingArguments it runs with)";

/// A whole number >= 1, as DeepSpeed's config checks it: no strings, no `"auto"`.
fn count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = Option<u64>;
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
            Ok(Some(v))
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
            Err(E::custom(string_message(v)))
        }
    }
    d.deserialize_option(Count)
}

/// The optimizer's `lr`: a finite number >= 0, not a string.
fn lr<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    struct Lr;
    impl<'de> Visitor<'de> for Lr {
        type Value = Option<f64>;
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
                Ok(Some(v))
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
            Err(E::custom(string_message(v)))
        }
    }
    d.deserialize_option(Lr)
}

/// Why a string where DeepSpeed needs a number is refused.
fn string_message(v: &str) -> String {
    if v == "auto" {
        AUTO.to_string()
    } else {
        format!(
            "must be a number, not string {v:?} (DeepSpeed passes it on as a string, which \
             fails where it is used)"
        )
    }
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

fn read(document: &Document<'_>) -> Result<Partial> {
    typos(document)?;
    let config: DeepSpeed = document.deserialize()?;
    let base_lr = config
        .optimizer
        .as_ref()
        .and_then(|o| o.params.as_ref())
        .and_then(|p| p.lr);
    let Some(scheduler) = config.scheduler else {
        return Err(document.error_at(
            "scheduler",
            "there is no \"scheduler\" block, so DeepSpeed leaves the lr to the training \
             script (or, under transformers' Trainer, to its lr_scheduler_type); give \
             \"scheduler\": {\"type\": ..., \"params\": {...}}",
        ));
    };
    let at_scheduler = |name: &str| {
        let probe = [(name.to_string(), Raw::Json(Json::Null))];
        document
            .param_locations("scheduler", &probe)
            .pop()
            .flatten()
            .unwrap_or_else(|| document.location_of("scheduler"))
    };
    let Some(kind) = scheduler.kind else {
        return Err(Error::input(format!(
            "config {}: \"scheduler\" has no \"type\"; DeepSpeed needs one of {}, or a \
             torch.optim.lr_scheduler class",
            document.location_of("scheduler"),
            CLASSES.join(", ")
        )));
    };
    let schedule = schedule_of(&kind).map_err(|message| {
        Error::input(format!("config {}: \"scheduler.type\" {message}", at_scheduler("type")))
    })?;
    let params = scheduler.params.unwrap_or_default();
    for (name, raw) in &params {
        if let Raw::Json(Json::String(s)) = raw {
            let message = if s == "auto" {
                Some(AUTO.to_string())
            } else if s.trim().parse::<f64>().is_ok() {
                Some(string_message(s))
            } else {
                None
            };
            if let Some(message) = message {
                return Err(Error::input(format!(
                    "config {}: \"scheduler.params.{name}\" {message}",
                    at_scheduler(name)
                )));
            }
        }
    }
    // DeepSpeed's total_num_steps is the horizon the values are shown for.
    let steps = params.iter().find_map(|(name, raw)| match raw {
        Raw::Json(Json::Number(n)) if name == "total_num_steps" => {
            n.as_f64().filter(|x| *x >= 1.0).map(|x| x.ceil() as u64)
        }
        _ => None,
    });
    let run = run_of(
        document,
        config.train_micro_batch_size_per_gpu,
        config.gradient_accumulation_steps,
        config.train_batch_size,
    )?;
    let origins = Origins {
        expr: None,
        params: document.param_sources("scheduler", "scheduler.params", &params),
        base_lr: base_lr.map(|_| document.source("optimizer.params.lr")),
        warmup: None,
        steps: steps.map(|_| document.source("scheduler.params.total_num_steps")),
    };
    Ok(Partial {
        schedule: Some(schedule),
        base_lr,
        steps,
        params,
        origins,
        run: Some(run),
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
