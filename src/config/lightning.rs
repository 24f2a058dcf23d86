//! LightningCLI's YAML (Lightning 2.6): `optimizer` and `lr_scheduler` as `class_path` +
//! `init_args`, `trainer.max_epochs`/`max_steps`/`accumulate_grad_batches`/`devices`, and
//! the batch size in `data` (its `init_args`, or the section itself). LightningCLI's
//! automatic `configure_optimizers` (cli.py:664-682) returns the scheduler without an
//! interval, so Lightning steps it once per epoch (`--runtime lightning`, the default for
//! this format). jsonargparse casts values to the classes' annotations, so PyYAML's string
//! `2e-5` is the number.

use serde::Deserialize;
use serde_json::Value as Json;

use super::document::{Document, Format, is_typo};
use super::partial::{Origins, Partial};
use super::{deepspeed, value};
use crate::error::{Error, Result};
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};

/// LightningCLI's YAML.
pub const FORMAT: Format = Format {
    id: "lightning",
    name: "LightningCLI config",
    is_marker: |key| MARKERS.contains(&key),
    keys,
    read,
    // Its `optimizer` block is DeepSpeed's name too.
    supersedes: &[deepspeed::FORMAT.name],
};

/// Keys only a LightningCLI config has.
const MARKERS: &[&str] = &["trainer", "seed_everything", "ckpt_path"];

/// The keys of Lightning's `LRSchedulerConfig` besides the scheduler itself.
const SCHEDULER_CONFIG: &[&str] = &[
    "interval",
    "frequency",
    "monitor",
    "strict",
    "name",
    "reduce_on_plateau",
];

/// The torch module LightningCLI schedulers come from.
const TORCH: &str = "torch.optim.lr_scheduler.";

#[derive(Deserialize)]
struct Lightning {
    #[serde(default)]
    trainer: Option<Trainer>,
    #[serde(default, deserialize_with = "value::params")]
    data: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::params")]
    optimizer: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::params")]
    lr_scheduler: Option<Vec<(String, Raw)>>,
}

#[derive(Deserialize)]
struct Trainer {
    #[serde(default, deserialize_with = "value::int")]
    max_epochs: Option<i64>,
    #[serde(default, deserialize_with = "value::int")]
    max_steps: Option<i64>,
    #[serde(default, deserialize_with = "value::steps")]
    accumulate_grad_batches: Option<u64>,
    #[serde(default, deserialize_with = "value::any")]
    devices: Option<Json>,
}

/// The keys lrsched reads from a LightningCLI config.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<Lightning>()
}

/// `key` of a `{class_path, init_args}` block (or of the block itself).
fn get<'a>(block: &'a [(String, Raw)], key: &str) -> Option<&'a Json> {
    block.iter().find_map(|(k, raw)| match raw {
        Raw::Json(v) if k == key => Some(v),
        _ => None,
    })
}

fn init_args(block: &[(String, Raw)]) -> Vec<(String, Raw)> {
    match get(block, "init_args") {
        Some(Json::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

/// A number jsonargparse casts: a JSON number, or a string of one.
fn number(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// LightningCLI's other top-level keys, near one lrsched reads but not misspellings.
const NEAR_BUT_KNOWN: &[&str] = &["model"];

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
    let config: Lightning = document.deserialize()?;
    let at = |block: &str, name: &str| {
        let probe = [(name.to_string(), Raw::Json(Json::Null))];
        document
            .param_locations(block, &probe)
            .pop()
            .flatten()
            .unwrap_or_else(|| document.location_of(block))
    };
    let optimizer = config.optimizer.unwrap_or_default();
    let base_lr = match get(&init_args(&optimizer)[..], "lr").or(get(&optimizer, "lr")) {
        None => None,
        Some(v) => match number(v).filter(|x| x.is_finite() && *x >= 0.0) {
            Some(lr) => Some(lr),
            None => {
                return Err(Error::input(format!(
                    "config {}: \"optimizer.init_args.lr\" must be a finite number >= 0, not {v}",
                    at("optimizer", "lr")
                )));
            }
        },
    };
    let Some(scheduler) = config.lr_scheduler else {
        return Err(document.error_at(
            "optimizer",
            "there is no \"lr_scheduler\", so LightningCLI keeps the optimizer's lr constant; \
             give lr_scheduler: {class_path: torch.optim.lr_scheduler.NAME, init_args: {...}}",
        ));
    };
    // The keys of Lightning's lr_scheduler_config (utilities/types.py:80-94) belong to a
    // configure_optimizers of the user's own; LightningCLI's automatic one returns the bare
    // scheduler (cli.py:664-682), and jsonargparse rejects them beside its class_path.
    if let Some((key, _)) = scheduler
        .iter()
        .find(|(k, _)| SCHEDULER_CONFIG.contains(&k.as_str()))
    {
        return Err(Error::input(format!(
            "config {}: \"lr_scheduler.{key}\" is a key of Lightning's lr_scheduler_config, \
             which a configure_optimizers of your own returns; LightningCLI's lr_scheduler \
             takes only class_path and init_args (its automatic configure_optimizers steps \
             the scheduler every epoch); give the run's --interval and --frequency instead",
            at("lr_scheduler", key)
        )));
    }
    let class_path = match get(&scheduler, "class_path") {
        Some(Json::String(c)) => c.clone(),
        _ => {
            return Err(Error::input(format!(
                "config {}: \"lr_scheduler\" has no \"class_path\", so the scheduler class is \
                 fixed in the script (add_lr_scheduler_args), which lrsched cannot see; add \
                 class_path: torch.optim.lr_scheduler.NAME",
                document.location_of("lr_scheduler")
            )));
        }
    };
    let name = class_path.strip_prefix(TORCH).unwrap_or(&class_path);
    let schedule = format!("torch:{name}");
    match registry::find(&schedule) {
        Ok(entry) if entry.library == Library::Torch => {}
        _ => {
            return Err(Error::input(format!(
                "config {}: \"lr_scheduler.class_path\" '{class_path}' is no \
                 torch.optim.lr_scheduler class lrsched knows",
                at("lr_scheduler", "class_path")
            )));
        }
    }
    let params = init_args(&scheduler);
    let origins = Origins {
        expr: None,
        params: document.param_locations("lr_scheduler", &params),
    };
    let data = config.data.unwrap_or_default();
    let batch_size = get(&init_args(&data)[..], "batch_size")
        .or(get(&data, "batch_size"))
        .and_then(Json::as_u64);
    let trainer = config.trainer;
    let max_steps = trainer.as_ref().and_then(|t| t.max_steps);
    let epochs = match trainer.as_ref().and_then(|t| t.max_epochs) {
        Some(e) if e >= 0 => Some(e as f64),
        // -1 is unbounded: the run is max_steps long.
        Some(_) => None,
        None if max_steps.is_some_and(|m| m >= 0) => None,
        None => Framework::Lightning.default_epochs(),
    };
    let devices = match trainer.as_ref().and_then(|t| t.devices.as_ref()) {
        Some(Json::Number(n)) => n.as_u64().filter(|&d| d > 0),
        Some(Json::Array(list)) => Some(list.len() as u64),
        Some(Json::String(s)) => s.trim().parse().ok().filter(|&d: &u64| d > 0),
        _ => None,
    };
    let run = Run {
        framework: Framework::Lightning,
        batch_size,
        devices,
        grad_accum: trainer.as_ref().and_then(|t| t.accumulate_grad_batches),
        epochs,
        max_steps,
        ..Run::default()
    };
    Ok(Partial {
        schedule: Some(schedule),
        base_lr,
        params,
        origins,
        run: Some(run),
        ..Partial::default()
    })
}
