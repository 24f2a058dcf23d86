//! lrsched's own format, in JSON or TOML: the keys of the flags, which is what `lrsched
//! json` writes as its `schedule`, so a run can be saved and replayed.

use serde::Deserialize;

use super::document::{Document, Format};
use super::partial::{Origins, Partial};
use super::value;
use crate::error::Result;
use crate::schedule::params::Raw;

/// lrsched's own format.
pub const FORMAT: Format = Format {
    name: "lrsched",
    is_marker: |key| keys().contains(&key),
    keys,
    read,
    supersedes: &[],
};

/// The keys of the format, in the order `lrsched json` writes them.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<Config>()
}

/// A config file of lrsched's own; every key is a flag's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// `--schedule`.
    #[serde(default, deserialize_with = "value::schedule")]
    schedule: Option<String>,
    /// `--expr`.
    #[serde(default, deserialize_with = "value::text")]
    expr: Option<String>,
    /// `--steps`.
    #[serde(default, deserialize_with = "value::steps")]
    steps: Option<u64>,
    /// `--base-lr`.
    #[serde(default, deserialize_with = "value::lr")]
    base_lr: Option<f64>,
    /// `--warmup`.
    #[serde(default, deserialize_with = "value::warmup")]
    warmup: Option<u64>,
    /// `--set`, as an object.
    #[serde(default, deserialize_with = "value::params")]
    params: Option<Vec<(String, Raw)>>,
}

fn read(document: &Document<'_>) -> Result<Partial> {
    let config: Config = document.deserialize()?;
    let params = config.params.unwrap_or_default();
    if config.expr.is_some() {
        if config.schedule.is_some() {
            return Err(document.error_at(
                "expr",
                "give either \"schedule\" or \"expr\", not both",
            ));
        }
        if !params.is_empty() {
            return Err(document.error_at(
                "params",
                "\"params\" apply to built-in schedules; an \"expr\" takes no parameters \
                 (it can use step, steps, warmup and base_lr)",
            ));
        }
    }
    let origins = Origins {
        expr: config.expr.as_ref().map(|_| document.location_of("expr")),
        params: document.param_locations("params", &params),
    };
    Ok(Partial {
        schedule: config.schedule,
        expr: config.expr,
        steps: config.steps,
        base_lr: config.base_lr,
        warmup: config.warmup,
        params,
        origins,
        ..Partial::default()
    })
}
