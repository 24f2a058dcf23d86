//! lrsched's own format, in JSON or TOML: the keys of the flags, which is what `lrsched
//! json` writes as its `schedule`, so a run can be saved and replayed.

use serde::Deserialize;

use super::document::{Document, Format};
use super::partial::{Origins, Partial};
use super::value;
use crate::error::{Error, Result};
use crate::expr::python;
use crate::run::Run;
use crate::run::runtime::Runtime;
use crate::schedule::params::Raw;

/// lrsched's own format.
pub const FORMAT: Format = Format {
    id: "lrsched",
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
    /// `--expr-file`: the file the expression is read from.
    #[serde(default, deserialize_with = "value::text")]
    expr_file: Option<String>,
    /// `--var`, as an object of names to values.
    #[serde(default, deserialize_with = "value::vars")]
    vars: Option<Vec<(String, String)>>,
    /// `--steps`.
    #[serde(default, deserialize_with = "value::steps_as_flag")]
    steps: Option<u64>,
    /// `--base-lr`.
    #[serde(default, deserialize_with = "value::lr")]
    base_lr: Option<f64>,
    /// `--warmup`.
    #[serde(default, deserialize_with = "value::warmup_as_flag")]
    warmup: Option<u64>,
    /// `--set`, as an object.
    #[serde(default, deserialize_with = "value::params")]
    params: Option<Vec<(String, Raw)>>,
    /// The run `lrsched json --samples` derived the schedule from: its `inputs` are the
    /// run flags, so that `--samples` replays the same run.
    #[serde(default)]
    run: Option<RunRecord>,
    /// The runtime `lrsched json --samples` stepped the schedule with (`--runtime`).
    #[serde(default)]
    runtime: Option<Runtime>,
}

/// The `run` member `lrsched json` writes: the inputs, then the numbers derived from
/// them, which are derived again rather than read.
#[derive(Deserialize)]
struct RunRecord {
    inputs: Run,
}

fn read(document: &Document<'_>) -> Result<Partial> {
    let config: Config = document.deserialize()?;
    let params = config.params.unwrap_or_default();
    let vars = config.vars.unwrap_or_default();
    // Checked here rather than when resolving, so that a bad value is shown where it is.
    let var_locations = document.entry_locations("vars", vars.iter().map(|(n, _)| n.as_str()));
    for ((name, text), at) in vars.iter().zip(&var_locations) {
        if let Err(e) = python::literal(text) {
            let at = at.clone().unwrap_or_else(|| document.location_of("vars"));
            return Err(Error::input(format!(
                "config {at}: invalid \"vars\" {name}={text}: {}",
                e.replace('\n', "\n  ")
            )));
        }
    }
    // The key the expression comes from, for the messages about it.
    let (expr, expr_key) = match (config.expr, &config.expr_file) {
        (Some(_), Some(_)) => {
            return Err(document.error_at(
                "expr_file",
                "give either \"expr\" or \"expr_file\", not both",
            ));
        }
        (None, Some(path)) => (
            Some(
                super::read_expr_file(path)
                    .map_err(|e| document.error_at("expr_file", e.to_string()))?,
            ),
            "expr_file",
        ),
        (expr, None) => (expr, "expr"),
    };
    if expr.is_some() {
        if config.schedule.is_some() {
            return Err(document.error_at(
                expr_key,
                format!("give either \"schedule\" or \"{expr_key}\", not both"),
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
        expr: expr.as_ref().map(|_| document.location_of(expr_key)),
        params: document.param_sources("params", "params", &params),
        base_lr: config.base_lr.map(|_| document.source("base_lr")),
        warmup: config.warmup.map(|_| document.source("warmup")),
        steps: config.steps.map(|_| document.source("steps")),
    };
    Ok(Partial {
        schedule: config.schedule,
        expr,
        steps: config.steps,
        base_lr: config.base_lr,
        warmup: config.warmup,
        params,
        vars,
        origins,
        run: config.run.map(|r| r.inputs),
        runtime: config.runtime,
        ..Partial::default()
    })
}
