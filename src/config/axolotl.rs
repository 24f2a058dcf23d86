//! Axolotl's YAML (axolotl-ai-cloud/axolotl @067b021c): `learning_rate`, `lr_scheduler`,
//! `lr_scheduler_kwargs`, `cosine_min_lr_ratio`, `warmup_steps`/`warmup_ratio`,
//! `num_epochs`, `max_steps`, `micro_batch_size`, `gradient_accumulation_steps`. Axolotl
//! counts its own steps and warmup and hands them to the Trainer (`run::Framework::Axolotl`
//! applies those rules); its pydantic schema converts number-shaped strings, so PyYAML's
//! string `2e-5` is the number.

use serde::Deserialize;

use super::document::{Document, Format, is_typo};
use super::partial::{Origins, Partial};
use super::{training_args, value};
use crate::error::Result;
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};

/// Axolotl's YAML.
pub const FORMAT: Format = Format {
    id: "axolotl",
    name: "Axolotl config",
    is_marker: |key| MARKERS.contains(&key),
    keys,
    read,
    // Axolotl's YAML holds TrainingArguments fields, and a string `optimizer`.
    supersedes: &[training_args::FORMAT.name, super::deepspeed::FORMAT.name],
};

/// Keys only Axolotl's schema has.
const MARKERS: &[&str] = &[
    "base_model",
    "micro_batch_size",
    "num_epochs",
    "cosine_min_lr_ratio",
    "sequence_len",
    "sample_packing",
    "datasets",
];

/// Axolotl's `lr_scheduler` default (utils/schemas/training.py).
const DEFAULT_SCHEDULER: &str = "cosine";
/// Axolotl's `micro_batch_size` default.
const DEFAULT_MICRO_BATCH_SIZE: u64 = 1;

/// The keys that shape the schedule; Axolotl's others are skipped.
#[derive(Deserialize)]
struct Axolotl {
    #[serde(default, deserialize_with = "value::converted::lr")]
    learning_rate: Option<f64>,
    #[serde(default, deserialize_with = "value::text")]
    lr_scheduler: Option<String>,
    #[serde(default, deserialize_with = "value::kwargs")]
    lr_scheduler_kwargs: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::converted::ratio")]
    cosine_min_lr_ratio: Option<f64>,
    #[serde(default, deserialize_with = "value::converted::non_negative")]
    warmup_steps: Option<f64>,
    #[serde(default, deserialize_with = "value::converted::ratio")]
    warmup_ratio: Option<f64>,
    #[serde(default, deserialize_with = "value::converted::epochs")]
    num_epochs: Option<f64>,
    #[serde(default, deserialize_with = "value::int")]
    max_steps: Option<i64>,
    #[serde(default, deserialize_with = "value::steps")]
    micro_batch_size: Option<u64>,
    #[serde(default, deserialize_with = "value::steps")]
    gradient_accumulation_steps: Option<u64>,
    #[serde(default, deserialize_with = "value::converted::epochs")]
    logging_steps: Option<f64>,
}

/// The keys lrsched reads from an Axolotl config.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<Axolotl>()
}

/// Axolotl keys near one lrsched reads that are Axolotl's own, not misspellings.
const NEAR_BUT_KNOWN: &[&str] = &["eval_steps", "save_steps", "max_grad_norm"];

fn typos(document: &Document<'_>) -> Result<()> {
    for key in document.keys() {
        let key = key.as_str();
        if keys().contains(&key) || MARKERS.contains(&key) || NEAR_BUT_KNOWN.contains(&key) {
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

fn read(document: &Document<'_>) -> Result<Partial> {
    typos(document)?;
    let config: Axolotl = document.deserialize()?;
    let name = config
        .lr_scheduler
        .clone()
        .unwrap_or_else(|| DEFAULT_SCHEDULER.to_string());
    let mut params = config.lr_scheduler_kwargs.unwrap_or_default();
    let mut origins = document.param_locations("lr_scheduler_kwargs", &params);
    // core/trainers/mixins/scheduler.py:115-122: cosine with cosine_min_lr_ratio is
    // Axolotl's cosine with a floor, equal to transformers' cosine_with_min_lr.
    let schedule = match (name.as_str(), config.cosine_min_lr_ratio) {
        ("cosine", Some(ratio)) => {
            params.push(("min_lr_rate".to_string(), Raw::Json(ratio.into())));
            origins.push(Some(document.location_of("cosine_min_lr_ratio")));
            "cosine_with_min_lr".to_string()
        }
        (other, Some(_)) => {
            return Err(document.error_at(
                "cosine_min_lr_ratio",
                format!(
                    "\"cosine_min_lr_ratio\" applies to lr_scheduler cosine, not '{other}'"
                ),
            ));
        }
        (other, None) => match registry::find(other) {
            Ok(entry) if entry.library == Library::Transformers => other.to_string(),
            _ => {
                return Err(document.error_at(
                    "lr_scheduler",
                    format!(
                        "\"lr_scheduler\" '{other}' is not a transformers SchedulerType; \
                         lrsched does not reproduce Axolotl's own '{other}' scheduler"
                    ),
                ));
            }
        },
    };
    let run = Run {
        framework: Framework::Axolotl,
        batch_size: Some(config.micro_batch_size.unwrap_or(DEFAULT_MICRO_BATCH_SIZE)),
        grad_accum: config.gradient_accumulation_steps,
        epochs: config
            .num_epochs
            .or(Framework::Axolotl.default_epochs()),
        max_steps: config.max_steps,
        warmup_steps: config.warmup_steps,
        warmup_ratio: config.warmup_ratio,
        ..Run::default()
    };
    Ok(Partial {
        schedule: Some(schedule),
        base_lr: config.learning_rate,
        steps: config
            .max_steps
            .filter(|&m| m > 0)
            .map(i64::unsigned_abs),
        params,
        origins: Origins {
            expr: None,
            params: origins,
        },
        run: Some(run),
        logging_steps: config.logging_steps,
        ..Partial::default()
    })
}
