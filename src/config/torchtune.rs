//! torchtune's recipe YAML (pytorch/torchtune @bd2a0fc7): `optimizer.lr`, `lr_scheduler:
//! {_component_, num_warmup_steps, ...}`, `epochs`, `max_steps_per_epoch`, `batch_size`,
//! `gradient_accumulation_steps`, turned into updates by the recipes' rules
//! (`run::Framework::Torchtune`). The recipes cast `lr` with `float()`-like OmegaConf
//! values, so PyYAML's string `3e-4` is the number.

use serde::Deserialize;
use serde_json::Value as Json;

use super::document::{Document, Format, is_typo};
use super::partial::{Origins, Partial};
use super::{deepspeed, training_args, value};
use crate::error::{Error, Result};
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;

/// torchtune's YAML.
pub const FORMAT: Format = Format {
    id: "torchtune",
    name: "torchtune config",
    is_marker: |key| MARKERS.contains(&key),
    keys,
    read,
    // Its `output_dir`, `seed`, `resume_from_checkpoint` are TrainingArguments names, and
    // its `optimizer` DeepSpeed's.
    supersedes: &[training_args::FORMAT.name, deepspeed::FORMAT.name],
};

/// Keys only torchtune's recipes have (`max_steps_per_epoch` is read but marks nothing:
/// a script's own arguments in a TrainingArguments file use the name too).
const MARKERS: &[&str] = &[
    "checkpointer",
    "tokenizer",
    "metric_logger",
    "optimizer_in_bwd",
    "enable_activation_checkpointing",
    "log_every_n_steps",
];

/// `torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup` (and its older
/// `torchtune.modules` path): transformers' cosine with warmup, the same doubles.
const COSINE: &[&str] = &[
    "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
    "torchtune.training.get_cosine_schedule_with_warmup",
    "torchtune.modules.get_cosine_schedule_with_warmup",
];

/// The keys that shape the schedule; the recipe's others are skipped.
#[derive(Deserialize)]
struct Torchtune {
    #[serde(default, deserialize_with = "value::params")]
    optimizer: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::params")]
    lr_scheduler: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::converted::epochs")]
    epochs: Option<f64>,
    #[serde(default, deserialize_with = "value::steps")]
    max_steps_per_epoch: Option<u64>,
    #[serde(default, deserialize_with = "value::steps")]
    batch_size: Option<u64>,
    #[serde(default, deserialize_with = "value::steps")]
    gradient_accumulation_steps: Option<u64>,
}

/// The keys lrsched reads from a torchtune config.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<Torchtune>()
}

fn typos(document: &Document<'_>) -> Result<()> {
    for key in document.keys() {
        let key = key.as_str();
        if keys().contains(&key) || MARKERS.contains(&key) {
            continue;
        }
        if let Some(near) = keys().iter().find(|k| is_typo(key, k)) {
            return Err(document.error_at(
                key,
                format!("unknown key \"{key}\"; did you mean '{near}'?"),
            ));
        }
    }
    Ok(())
}

/// A number a recipe casts: a JSON number, or a string of one.
fn number(raw: &Raw) -> Option<f64> {
    match raw {
        Raw::Json(Json::Number(n)) => n.as_f64(),
        Raw::Json(Json::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn read(document: &Document<'_>) -> Result<Partial> {
    typos(document)?;
    let config: Torchtune = document.deserialize()?;
    let at = |block: &str, name: &str| {
        let probe = [(name.to_string(), Raw::Json(Json::Null))];
        document
            .param_locations(block, &probe)
            .pop()
            .flatten()
            .unwrap_or_else(|| document.location_of(block))
    };
    let base_lr = match config
        .optimizer
        .as_ref()
        .and_then(|o| o.iter().find(|(k, _)| k == "lr"))
    {
        None => None,
        Some((_, raw)) => match number(raw).filter(|x| x.is_finite() && *x >= 0.0) {
            Some(lr) => Some(lr),
            None => {
                return Err(Error::input(format!(
                    "config {}: \"optimizer.lr\" must be a finite number >= 0, not {raw}",
                    at("optimizer", "lr")
                )));
            }
        },
    };
    let Some(block) = config.lr_scheduler else {
        return Err(document.error_at(
            "lr_scheduler",
            "there is no \"lr_scheduler\", so the recipe keeps the optimizer's lr constant; \
             give lr_scheduler: {_component_: ..., num_warmup_steps: N}",
        ));
    };
    let mut component = None;
    let mut warmup = None;
    let mut params = Vec::new();
    for (name, raw) in block {
        match name.as_str() {
            "_component_" => component = Some(raw),
            "num_warmup_steps" => warmup = Some(raw),
            _ => params.push((name, raw)),
        }
    }
    let component = match component {
        Some(Raw::Json(Json::String(c))) => c,
        _ => {
            return Err(Error::input(format!(
                "config {}: \"lr_scheduler\" needs a \"_component_\" naming the scheduler \
                 function",
                document.location_of("lr_scheduler")
            )));
        }
    };
    if !COSINE.contains(&component.as_str()) {
        return Err(Error::input(format!(
            "config {}: \"lr_scheduler._component_\" '{component}' is no scheduler lrsched \
             reproduces (it knows {})",
            at("lr_scheduler", "_component_"),
            COSINE[0]
        )));
    }
    let warmup_steps = match &warmup {
        None => None,
        Some(raw) => match number(raw).filter(|x| *x >= 0.0 && x.fract() == 0.0) {
            Some(w) => Some(w),
            None => {
                return Err(Error::input(format!(
                    "config {}: \"lr_scheduler.num_warmup_steps\" must be a whole number >= \
                     0, not {raw}",
                    at("lr_scheduler", "num_warmup_steps")
                )));
            }
        },
    };
    let origins = Origins {
        expr: None,
        params: document.param_locations("lr_scheduler", &params),
    };
    let run = Run {
        framework: Framework::Torchtune,
        batch_size: config.batch_size,
        grad_accum: config.gradient_accumulation_steps,
        epochs: config.epochs,
        max_steps_per_epoch: config.max_steps_per_epoch,
        warmup_steps,
        ..Run::default()
    };
    Ok(Partial {
        schedule: Some("cosine".to_string()),
        base_lr,
        // Saturating: a whole number of steps.
        warmup: warmup_steps.map(|w| w as u64),
        params,
        origins,
        run: Some(run),
        ..Partial::default()
    })
}
