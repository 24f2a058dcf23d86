//! From what the user typed (flags, `--set`, a config file) to a validated [`Description`]
//! of one schedule, and from a description back to JSON that `--config` reads.

use std::path::Path;

use serde_json::{Map, Value as Json, json};

use crate::error::{Error, Result};
use crate::schedule::combine::ExprSchedule;
use crate::schedule::params::{Params, Raw};
use crate::schedule::registry::{self, Entry};
use crate::schedule::{Context, Schedule};
use crate::suggest::did_you_mean;

/// The schedule used when neither `--schedule` nor `--expr` is given: with `--warmup N`
/// alone it is the `LambdaLR` warmup example.
pub const DEFAULT_SCHEDULE: &str = "constant_with_warmup";
/// Default `--steps`.
pub const DEFAULT_STEPS: u64 = 100;
/// Default `--base-lr`.
pub const DEFAULT_BASE_LR: f64 = 0.1;

/// A schedule description as given, every part optional: from flags, from a config file,
/// or both merged (flags win).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partial {
    /// `--schedule NAME`.
    pub schedule: Option<String>,
    /// `--expr EXPR`.
    pub expr: Option<String>,
    /// `--steps N`.
    pub steps: Option<u64>,
    /// `--base-lr X`.
    pub base_lr: Option<f64>,
    /// `--warmup N`.
    pub warmup: Option<u64>,
    /// `--set KEY=VALUE`, in order.
    pub params: Vec<(String, Raw)>,
    /// `--var NAME=VALUE` (a config file's `"vars"`): values of an expression's free
    /// names, as Python literals, in order.
    pub vars: Vec<(String, String)>,
    /// A warmup given as a fraction of the steps (a `TrainingArguments` file's
    /// `warmup_ratio`), resolved as transformers does, `ceil(steps * ratio)`, once the steps
    /// are known; an explicit `warmup` replaces it.
    pub warmup_ratio: Option<f64>,
    /// Why the steps must be given when a config file leaves them open (a
    /// `TrainingArguments` file without `max_steps`); resolving without steps is then an
    /// error with this reason instead of the default 100.
    pub steps_required: Option<String>,
}

/// The keys of an lrsched config file.
pub const CONFIG_KEYS: [&str; 8] = [
    "schedule",
    "expr",
    "steps",
    "base_lr",
    "warmup",
    "params",
    "expr_file",
    "vars",
];

impl Partial {
    /// Reads a config file: lrsched's keys in JSON or TOML, or `TrainingArguments` JSON
    /// (see [`crate::config`]).
    pub fn from_config_file(path: &Path) -> Result<Self> {
        crate::config::read(path)
    }

    /// Parses the text of a JSON config, in either format.
    pub fn from_config_text(text: &str) -> Result<Self> {
        crate::config::parse(text, crate::config::Syntax::Json)
    }

    /// Reads the keys of an lrsched config object.
    pub fn from_config_map(map: &Map<String, Json>) -> Result<Self> {
        let mut partial = Partial::default();
        for (key, value) in map {
            match key.as_str() {
                "schedule" => partial.schedule = config_string(key, value)?,
                "expr" => partial.expr = config_string(key, value)?,
                "expr_file" => {
                    if let Some(path) = config_string(key, value)? {
                        partial.expr = Some(read_expr_file(&path)?);
                    }
                }
                "vars" => partial.vars = config_vars(value)?,
                "steps" => partial.steps = config_count(key, value)?,
                "warmup" => partial.warmup = config_count(key, value)?,
                "base_lr" => {
                    partial.base_lr = match value {
                        Json::Null => None,
                        Json::Number(n) => n.as_f64(),
                        _ => {
                            return Err(Error::input(format!(
                                "\"base_lr\" must be a number, not {value}"
                            )));
                        }
                    }
                }
                "params" => match value {
                    Json::Null => {}
                    Json::Object(params) => {
                        partial.params = params
                            .iter()
                            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
                            .collect();
                    }
                    _ => {
                        return Err(Error::input(format!(
                            "\"params\" must be an object like {{\"T_max\": 100}}, not {value}"
                        )));
                    }
                },
                _ => {
                    return Err(Error::input(format!(
                        "unknown key \"{key}\"{}; the keys are {}",
                        did_you_mean(key, CONFIG_KEYS),
                        CONFIG_KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(partial)
    }

    /// `self` with everything `over` gives laid on top. Choosing a schedule kind (built-in or
    /// expression) in `over` drops the other kind, and the parameters of a schedule that is
    /// replaced by another.
    pub fn merge(mut self, over: Partial) -> Partial {
        if over.expr.is_some() {
            self.schedule = None;
            self.params.clear();
            self.expr = over.expr;
        }
        if over.schedule.is_some() {
            if self.schedule != over.schedule {
                self.params.clear();
            }
            self.expr = None;
            self.schedule = over.schedule;
        }
        for (name, value) in over.vars {
            self.vars.retain(|(n, _)| *n != name);
            self.vars.push((name, value));
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
        self.steps_required = over.steps_required.or(self.steps_required);
        self.params.extend(over.params);
        self
    }

    /// Validates everything and fills in defaults.
    pub fn resolve(&self) -> Result<Description> {
        let steps = match (self.steps, &self.steps_required) {
            (Some(steps), _) => steps,
            (None, Some(reason)) => return Err(Error::input(format!("{reason}; give --steps N"))),
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
        let ctx = Context {
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
                Kind::Expr(expr.clone())
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
                let params = Params::resolve(entry.name, entry.params, &self.params)?;
                Kind::Builtin { entry, params }
            }
        };
        let mut vars = Vec::with_capacity(self.vars.len());
        for (name, text) in &self.vars {
            let value = crate::expr::python::literal(text).map_err(|e| {
                Error::input(format!(
                    "invalid --var {name}={text}: {}",
                    e.replace('\n', "\n  ")
                ))
            })?;
            vars.push((name.clone(), value));
        }
        let description = Description { kind, ctx, vars };
        // Build once so that every parameter the library would reject is rejected now.
        description.build()?;
        Ok(description)
    }
}

fn config_string(key: &str, value: &Json) -> Result<Option<String>> {
    match value {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s.clone())),
        _ => Err(Error::input(format!(
            "\"{key}\" must be a string, not {value}"
        ))),
    }
}

/// A `--var` value as JSON: a number, or a string of digits for an int too large for one.
fn var_json(value: &crate::expr::python::Value) -> Json {
    use crate::expr::python::Value;
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

/// A config file's `"vars"`: numbers (`5` an int, `5.0` a float, as in Python) or strings
/// of Python literals.
fn config_vars(value: &Json) -> Result<Vec<(String, String)>> {
    match value {
        Json::Null => Ok(Vec::new()),
        Json::Object(map) => map
            .iter()
            .map(|(name, v)| match v {
                Json::Number(n) => Ok((name.clone(), n.to_string())),
                Json::Bool(b) => Ok((name.clone(), if *b { "True" } else { "False" }.into())),
                Json::String(text) => Ok((name.clone(), text.clone())),
                _ => Err(Error::input(format!(
                    "\"vars\" values must be numbers, not {v} (for \"{name}\")"
                ))),
            })
            .collect(),
        _ => Err(Error::input(format!(
            "\"vars\" must be an object like {{\"warmup_steps\": 500}}, not {value}"
        ))),
    }
}

/// The text of an `--expr-file` (`-` reads standard input).
pub fn read_expr_file(path: &str) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Error::input(format!("cannot read --expr-file {path}: {e}")))?;
    Ok(text)
}

fn config_count(key: &str, value: &Json) -> Result<Option<u64>> {
    match value {
        Json::Null => Ok(None),
        Json::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::input(format!("\"{key}\" must be a whole number >= 0, not {n}"))),
        _ => Err(Error::input(format!(
            "\"{key}\" must be a whole number, not {value}"
        ))),
    }
}

/// What kind of schedule a description holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
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
        self.name == other.name
    }
}

/// A validated description of one schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    /// The schedule.
    pub kind: Kind,
    /// Horizon, base lr and warmup.
    pub ctx: Context,
    /// The values of an expression's free names (`--var`).
    pub vars: Vec<(String, crate::expr::python::Value)>,
}

impl Description {
    /// Builds the evaluator.
    pub fn build(&self) -> Result<Box<dyn Schedule>> {
        match &self.kind {
            Kind::Builtin { entry, params } => entry.instantiate(&self.ctx, params),
            Kind::Expr(source) => Ok(Box::new(ExprSchedule::with_vars(
                source, &self.ctx, &self.vars,
            )?)),
        }
    }

    /// A short name for legends: the schedule name or the expression, with the warmup.
    pub fn label(&self) -> String {
        let name = match &self.kind {
            Kind::Builtin { entry, .. } => entry.name.to_string(),
            Kind::Expr(source) => source.clone(),
        };
        match self.ctx.warmup {
            0 => name,
            w => format!("{name} (warmup {w})"),
        }
    }

    /// The full description as JSON, every default filled in; `--config` reads it back.
    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        match &self.kind {
            Kind::Builtin { entry, params } => {
                map.insert("schedule".into(), json!(entry.name));
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
            Kind::Expr(source) => {
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
            d.ctx,
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
            "unknown key \"schedul\"; did you mean 'schedule'?; the keys are schedule, expr, steps, base_lr, warmup, params, expr_file, vars"
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
}
