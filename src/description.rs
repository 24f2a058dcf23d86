//! From what the user typed (flags, `--set`, config files) to a validated [`Description`]
//! of one schedule with its schedule built, and from a description back to JSON that
//! `--config` reads. The one merge policy of the layers lives here ([`Partial::merge`]);
//! reading each config format lives in `crate::config`.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use crate::config::{self, Syntax};
use crate::error::{Error, Result};
use crate::expr::python::{self, Value};
use crate::format::py_repr;
use crate::run::Framework;
use crate::schedule::combine::ExprSchedule;
use crate::schedule::params::Params;
use crate::schedule::registry::{self, Entry, Library};
use crate::schedule::{Context, Schedule};

/// The schedule used when neither `--schedule` nor `--expr` is given: with `--warmup N`
/// alone it is the `LambdaLR` warmup example.
pub const DEFAULT_SCHEDULE: &str = "constant_with_warmup";
/// Default `--steps`.
pub const DEFAULT_STEPS: u64 = 100;
/// Default `--base-lr`.
pub const DEFAULT_BASE_LR: f64 = 0.1;

pub use crate::config::{OpenSteps, Origins, Partial, Source};

impl Partial {
    /// Reads a config file in any format `crate::config` knows.
    pub fn from_config_file(path: &Path) -> Result<Self> {
        config::read(path)
    }

    /// Parses the text of a JSON config, in any format (errors name it `<config>`).
    pub fn from_config_text(text: &str) -> Result<Self> {
        config::parse("<config>", text, Syntax::Json)
    }

    /// `self` with everything `over` gives laid on top. Choosing a schedule kind (built-in or
    /// expression) in `over` drops the other kind, and the parameters of a schedule that is
    /// replaced by another.
    pub fn merge(mut self, over: Partial) -> Partial {
        if over.expr.is_some() {
            self.schedule = None;
            self.params.clear();
            self.origins.params.clear();
            self.expr = over.expr;
            self.origins.expr = over.origins.expr;
        }
        if over.schedule.is_some() {
            if self.schedule != over.schedule {
                self.params.clear();
                self.origins.params.clear();
            }
            self.expr = None;
            self.origins.expr = None;
            self.schedule = over.schedule;
        }
        // A name given again takes the later value, in the place of the first.
        for (name, value) in over.vars {
            self.vars.retain(|(n, _)| *n != name);
            self.vars.push((name, value));
        }
        if over.steps.is_some() {
            self.origins.steps = over.origins.steps;
        }
        if over.base_lr.is_some() {
            self.origins.base_lr = over.origins.base_lr;
        }
        if over.warmup.is_some() || over.warmup_ratio.is_some() {
            self.origins.warmup = over.origins.warmup;
        }
        self.steps = over.steps.or(self.steps);
        self.base_lr = over.base_lr.or(self.base_lr);
        if over.warmup.is_some() {
            self.warmup_ratio = None;
        }
        if over.warmup_ratio.is_some() {
            self.warmup = None;
        }
        self.warmup = over.warmup.or(self.warmup);
        self.warmup_ratio = over.warmup_ratio.or(self.warmup_ratio);
        self.open_steps = over.open_steps.or(self.open_steps);
        self.run = over.run.or(self.run);
        self.logging_steps = over.logging_steps.or(self.logging_steps);
        self.deepspeed = over.deepspeed.or(self.deepspeed);
        self.runtime = over.runtime.or(self.runtime);
        // Origins stay aligned with the parameters; a layer that has none (flags) adds None.
        let mut origins = over.origins.params;
        origins.resize(over.params.len(), None);
        self.origins.params.resize(self.params.len(), None);
        self.params.extend(over.params);
        self.origins.params.extend(origins);
        self
    }

    /// Validates everything, fills in defaults and builds the schedule, which the
    /// description then carries: every parameter the library would reject is rejected here,
    /// and nothing downstream builds it again.
    pub fn resolve(&self) -> Result<Description> {
        if let Some(settled) = config::deepspeed::settle(self)? {
            return settled.resolve();
        }
        let steps = match (self.steps, &self.open_steps) {
            (Some(steps), _) => steps,
            (None, Some(open)) => return Err(Error::input(format!("{open}; give --steps N"))),
            (None, None) => DEFAULT_STEPS,
        };
        if steps == 0 {
            return Err(Error::input("--steps must be at least 1"));
        }
        let base_lr = self.base_lr.unwrap_or(DEFAULT_BASE_LR);
        if !base_lr.is_finite() || base_lr < 0.0 {
            return Err(Error::input(format!(
                "--base-lr must be a finite number >= 0 (torch rejects a negative lr), not {base_lr}"
            )));
        }
        let mut ctx = Context {
            steps,
            base_lr,
            warmup: match (self.warmup, self.warmup_ratio) {
                (Some(warmup), _) => warmup,
                // Saturating float-to-int, as a ratio in [0, 1] of a u64 cannot overflow it.
                (None, Some(ratio)) => (steps as f64 * ratio).ceil() as u64,
                (None, None) => 0,
            },
        };
        let kind = match (&self.schedule, &self.expr) {
            (Some(_), Some(_)) => {
                return Err(Error::input("give either --schedule or --expr, not both"));
            }
            (None, Some(expr)) => {
                if let Some((key, _)) = self.params.first() {
                    return Err(Error::input(format!(
                        "--set {key}=... applies to built-in schedules; an --expr takes no parameters \
                         (it can use step, steps, warmup and base_lr)"
                    )));
                }
                ScheduleKind::Expr(expr.clone())
            }
            (_, None) if !self.vars.is_empty() => {
                return Err(Error::input(format!(
                    "--var {}=... gives a value to a name of an --expr; a built-in schedule takes \
                     --set KEY=VALUE",
                    self.vars[0].0
                )));
            }
            (name, None) => {
                let entry = registry::find(name.as_deref().unwrap_or(DEFAULT_SCHEDULE))?;
                let params = Params::resolve(entry.name, entry.params, &self.params)
                    .map_err(|e| self.locate_param_error(entry, e))?;
                ScheduleKind::Builtin { entry, params }
            }
        };
        let mut vars = Vec::with_capacity(self.vars.len());
        for (name, text) in &self.vars {
            let value = python::literal(text).map_err(|e| {
                Error::input(format!(
                    "invalid --var {name}={text}: {}",
                    e.replace('\n', "\n  ")
                ))
            })?;
            vars.push((name.clone(), value));
        }
        // The Trainer passes its warmup to get_scheduler, which ignores it for `constant`
        // (optimization.py): a run's config that gives one runs without it, and `check`
        // says so. On the command line alone, `--schedule constant --warmup N` is an error.
        let trainer_run = self.run.as_ref().is_some_and(|r| {
            matches!(
                r.framework,
                Framework::Transformers | Framework::LlamaFactory | Framework::Axolotl
            )
        });
        let mut ignored_warmup = None;
        if let ScheduleKind::Builtin { entry, .. } = &kind
            && trainer_run
            && entry.library == Library::Transformers
            && !entry.takes_warmup
            && ctx.warmup > 0
        {
            ignored_warmup = Some((ctx.warmup, self.origins.warmup.clone()));
            ctx.warmup = 0;
        }
        let schedule = match &kind {
            ScheduleKind::Builtin { entry, params } => entry.instantiate(&ctx, params)?,
            ScheduleKind::Expr(source) => {
                Box::new(ExprSchedule::with_vars(source, &ctx, &vars).map_err(|e| {
                    match (&self.origins.expr, e) {
                        (Some(at), Error::Input(message)) => {
                            Error::input(format!("config {at}: {message}"))
                        }
                        (_, e) => e,
                    }
                })?)
            }
        };
        Ok(Description {
            kind,
            ctx,
            vars,
            schedule: Arc::from(schedule),
            origins: self.origins.clone(),
            ignored_warmup,
            param_sources: self
                .params
                .iter()
                .enumerate()
                .map(|(i, (name, _))| {
                    let source = self.origins.params.get(i).cloned().flatten();
                    (name.clone(), source)
                })
                .collect(),
        })
    }
}

impl Partial {
    /// `error`, from checking the parameters of `entry`, at the place a config file wrote
    /// the parameter it is about: the one parameter that gives the same error alone (when
    /// no parameter at all does not, as for a required one that is missing).
    fn locate_param_error(&self, entry: &Entry, error: Error) -> Error {
        let Error::Input(message) = &error else {
            return error;
        };
        let same = |given: &[(String, crate::schedule::params::Raw)]| {
            Params::resolve(entry.name, entry.params, given)
                .err()
                .is_some_and(|e| e.to_string() == *message)
        };
        if self.origins.params.iter().all(Option::is_none) || same(&[]) {
            return error;
        }
        // Parameters are checked in order, so the error is about the first that fails.
        let culprit = (0..self.params.len()).find(|&i| same(std::slice::from_ref(&self.params[i])));
        match culprit.and_then(|i| self.origins.param(i)) {
            Some(at) => Error::input(format!("config {at}: {message}")),
            None => error,
        }
    }
}

/// What kind of schedule a description holds: a built-in or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleKind {
    /// A built-in schedule with its resolved parameters.
    Builtin {
        /// The registry entry.
        entry: &'static Entry,
        /// Every parameter, defaults filled in.
        params: Params,
    },
    /// A user expression for the multiplier (`LambdaLR`).
    Expr(String),
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.library == other.library && self.name == other.name
    }
}

/// A validated description of one schedule, and the schedule built from it once
/// ([`Partial::resolve`] is the only way to make one, so the two always agree).
#[derive(Clone, Debug)]
pub struct Description {
    kind: ScheduleKind,
    ctx: Context,
    vars: Vec<(String, Value)>,
    schedule: Arc<dyn Schedule>,
    origins: Origins,
    /// The warmup a Trainer run's config gives a schedule that takes none (`constant`),
    /// which the Trainer ignores, and where it is given.
    ignored_warmup: Option<(u64, Option<Source>)>,
    /// Each parameter as given, in order, with where a file gave it (`None`: `--set`).
    param_sources: Vec<(String, Option<Source>)>,
}

/// Descriptions are equal when they describe the same schedule; the built schedule follows.
impl PartialEq for Description {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.ctx == other.ctx && self.vars == other.vars
    }
}

impl Description {
    /// The schedule: a built-in with its parameters, or an expression.
    pub fn kind(&self) -> &ScheduleKind {
        &self.kind
    }

    /// Horizon, base lr and warmup.
    pub fn ctx(&self) -> &Context {
        &self.ctx
    }

    /// The values of an expression's free names (`--var`), in order.
    pub fn vars(&self) -> &[(String, Value)] {
        &self.vars
    }

    /// Where the values were given (flags, config keys and their places), for messages
    /// that name them.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// The warmup a Trainer run's config gives a schedule that takes none, which the
    /// Trainer ignores (and so does this description), with where it is given.
    pub fn ignored_warmup(&self) -> Option<(u64, Option<&Source>)> {
        self.ignored_warmup
            .as_ref()
            .map(|(warmup, source)| (*warmup, source.as_ref()))
    }

    /// Where the parameter `name` was given, as the key a config file spells with its
    /// place, or `--set NAME`; `None` when it was not given (its default applies). A
    /// parameter given twice is where the value that wins was given.
    pub fn param_source(&self, name: &str) -> Option<Source> {
        let (_, source) = self.param_sources.iter().rev().find(|(n, _)| n == name)?;
        Some(
            source
                .clone()
                .unwrap_or_else(|| Source::flag(&format!("--set {name}"))),
        )
    }

    /// The schedule built from this description.
    pub fn schedule(&self) -> &dyn Schedule {
        self.schedule.as_ref()
    }

    /// The built schedule, for a caller that keeps it longer than the description.
    pub fn into_schedule(self) -> Arc<dyn Schedule> {
        self.schedule
    }

    /// A short name for legends: the schedule name or the expression, with the warmup.
    pub fn label(&self) -> String {
        let name = match &self.kind {
            ScheduleKind::Builtin { entry, .. } => entry.to_string(),
            ScheduleKind::Expr(source) => source.clone(),
        };
        match self.ctx.warmup {
            0 => name,
            w => format!("{name} (warmup {w})"),
        }
    }

    /// The description in one line, as `check` and `diff` print it: `cosine, warmup 500,
    /// steps 10000, base_lr 0.0003` and each parameter given.
    pub fn text(&self) -> String {
        let ctx = &self.ctx;
        let mut text = match &self.kind {
            ScheduleKind::Builtin { entry, .. } => entry.to_string(),
            ScheduleKind::Expr(source) => format!("--expr \"{source}\""),
        };
        text.push_str(&format!(
            ", warmup {}, steps {}, base_lr {}",
            ctx.warmup,
            ctx.steps,
            py_repr(ctx.base_lr)
        ));
        if let ScheduleKind::Builtin { params, .. } = &self.kind {
            for (name, value) in params.iter() {
                if params.was_given(name) {
                    let value = value.map_or_else(|| "None".to_string(), ToString::to_string);
                    text.push_str(&format!(", {name}={value}"));
                }
            }
        }
        text
    }

    /// The full description as JSON, every default filled in; `--config` reads it back.
    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        match &self.kind {
            ScheduleKind::Builtin { entry, params } => {
                map.insert("schedule".into(), json!(entry.to_string()));
                let params: Map<String, Json> = params
                    .iter()
                    .map(|(name, value)| {
                        (name.to_string(), value.map_or(Json::Null, |v| v.to_json()))
                    })
                    .collect();
                map.insert("steps".into(), json!(self.ctx.steps));
                map.insert("base_lr".into(), json!(self.ctx.base_lr));
                map.insert("warmup".into(), json!(self.ctx.warmup));
                map.insert("params".into(), Json::Object(params));
            }
            ScheduleKind::Expr(source) => {
                map.insert("expr".into(), json!(source));
                if !self.vars.is_empty() {
                    let vars: Map<String, Json> = self
                        .vars
                        .iter()
                        .map(|(name, value)| (name.clone(), var_json(value)))
                        .collect();
                    map.insert("vars".into(), Json::Object(vars));
                }
                map.insert("steps".into(), json!(self.ctx.steps));
                map.insert("base_lr".into(), json!(self.ctx.base_lr));
                map.insert("warmup".into(), json!(self.ctx.warmup));
            }
        }
        Json::Object(map)
    }
}

/// A `--var` value as JSON: a number, or a string of digits for an int too large for one.
fn var_json(value: &Value) -> Json {
    match value {
        Value::Int(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Float(f) => json!(
            format!("{f:?}")
                .replace("inf", "math.inf")
                .replace("NaN", "math.nan")
        ),
        Value::Big(b) => json!(b.to_string()),
        Value::None | Value::Complex => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_lambda_warmup_example() -> Result<()> {
        let d = Partial {
            warmup: Some(5),
            ..Partial::default()
        }
        .resolve()?;
        assert_eq!(d.label(), "constant_with_warmup (warmup 5)");
        assert_eq!(
            *d.ctx(),
            Context {
                steps: 100,
                base_lr: 0.1,
                warmup: 5
            }
        );
        Ok(())
    }

    #[test]
    fn flags_win_over_the_config() -> Result<()> {
        let file = Partial::from_config_text(
            r#"{"schedule": "constant_with_warmup", "steps": 50, "warmup": 3, "base_lr": 0.5}"#,
        )?;
        let flags = Partial {
            steps: Some(10),
            ..Partial::default()
        };
        let merged = file.merge(flags);
        assert_eq!(
            (merged.steps, merged.warmup, merged.base_lr),
            (Some(10), Some(3), Some(0.5))
        );
        let to_expr = merged.merge(Partial {
            expr: Some("1".into()),
            ..Partial::default()
        });
        assert_eq!((to_expr.schedule, to_expr.expr), (None, Some("1".into())));
        Ok(())
    }

    #[test]
    fn config_typos_are_named() {
        let message = match Partial::from_config_text(r#"{"schedul": "cosine"}"#) {
            Ok(p) => format!("accepted {p:?}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            message,
            "config <config>:1:2: unknown key \"schedul\"; did you mean 'schedule'? (the keys \
             are schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)"
        );
    }

    #[test]
    fn json_round_trips() -> Result<()> {
        let d = Partial {
            warmup: Some(5),
            steps: Some(10),
            ..Partial::default()
        }
        .resolve()?;
        let text = d.to_json().to_string();
        assert_eq!(
            text,
            r#"{"schedule":"constant_with_warmup","steps":10,"base_lr":0.1,"warmup":5,"params":{}}"#
        );
        assert_eq!(Partial::from_config_text(&text)?.resolve()?, d);
        Ok(())
    }

    #[test]
    fn vars_merge_by_name_and_round_trip() -> Result<()> {
        let file = Partial::from_config_text(
            r#"{"expr": "lambda s: a * b + c", "vars": {"a": 1, "b": 2.5, "c": "2**70"}}"#,
        )?;
        let merged = file.merge(Partial {
            vars: vec![("a".into(), "3".into())],
            ..Partial::default()
        });
        let names: Vec<&str> = merged.vars.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        let d = merged.resolve()?;
        assert_eq!(
            d.to_json()["vars"].to_string(),
            r#"{"b":2.5,"c":"1180591620717411303424","a":3}"#
        );
        assert_eq!(
            Partial::from_config_text(&d.to_json().to_string())?.resolve()?,
            d
        );
        let message = Partial {
            vars: vec![("a".into(), "1".into())],
            ..Partial::default()
        }
        .resolve()
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "--var a=... gives a value to a name of an --expr; a built-in schedule takes \
                 --set KEY=VALUE"
            )
        );
        Ok(())
    }
}
