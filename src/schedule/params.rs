//! Parameters of built-in schedules: their declared types and defaults, parsing from
//! `--set KEY=VALUE` text and from config-file JSON, and typed access for the builders.

use std::fmt;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::suggest::did_you_mean;

/// The type of a parameter, as the home library accepts it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A Python float (integers are accepted too).
    Float,
    /// A Python int.
    Int,
    /// A Python bool: `true`/`false` (also `True`/`False`, `1`/`0`).
    Bool,
    /// A list of ints: `30,80` or `[30, 80]`.
    IntList,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// A Python int or float, kept apart: for a library that checks `isinstance(x, int)`
    /// (`3` is an int, `3.0` a float).
    Number,
    /// Any string, for a library that accepts any and decides later what it means; the
    /// strings it knows (empty when it knows none), which `lrsched list` shows and shell
    /// completion offers.
    Text(&'static [&'static str]),
    /// A list of Python numbers: `1.0,0.5,0.1` or `[1.0, 0.5, 0.1]`.
    NumberList,
    /// A Python dict of numbers: `100:0.5,200:0.1` or `{100: 0.5, 200: 0.1}`, in the order
    /// given (a repeated key keeps its first place and takes the last value, as in Python).
    NumberMap,
}

impl ParamKind {
    fn describe(self) -> String {
        match self {
            ParamKind::Float => "a number".into(),
            ParamKind::Int => "an integer".into(),
            ParamKind::Bool => "true or false".into(),
            ParamKind::IntList => "a comma-separated list of integers".into(),
            ParamKind::Choice(options) => format!("one of {}", options.join(", ")),
            ParamKind::Number => "a number".into(),
            ParamKind::Text(_) => "a string".into(),
            ParamKind::NumberList => "a comma-separated list of numbers".into(),
            ParamKind::NumberMap => "a comma-separated list of KEY:VALUE numbers".into(),
        }
    }

    /// The strings a [`ParamKind::Choice`] allows, or those a [`ParamKind::Text`] knows;
    /// empty for the other kinds.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            ParamKind::Choice(values) | ParamKind::Text(values) => values,
            _ => &[],
        }
    }

    /// A short name for listings.
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Float => "float",
            ParamKind::Int => "int",
            ParamKind::Bool => "bool",
            ParamKind::IntList => "int list",
            ParamKind::Choice(_) => "choice",
            ParamKind::Number => "number",
            ParamKind::Text(_) => "str",
            ParamKind::NumberList => "list",
            ParamKind::NumberMap => "dict",
        }
    }
}

/// What a parameter is when the user does not give it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamDefault {
    /// The home library requires it.
    Required,
    /// Python's `None`: absent, and the schedule decides (often from another parameter).
    Absent,
    /// A float default.
    Float(f64),
    /// An int default.
    Int(i64),
    /// A bool default.
    Bool(bool),
    /// A string default (for [`ParamKind::Choice`]).
    Str(&'static str),
}

/// One declared parameter of a built-in schedule.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// The home library's keyword name.
    pub name: &'static str,
    /// Its type.
    pub kind: ParamKind,
    /// Its default.
    pub default: ParamDefault,
    /// One line on what it does.
    pub doc: &'static str,
}

impl ParamSpec {
    /// The default as text, as `lrsched list` shows it.
    pub fn default_text(&self) -> String {
        match self.default {
            ParamDefault::Required => "required".into(),
            ParamDefault::Absent => "None".into(),
            ParamDefault::Float(x) => py_repr(x),
            ParamDefault::Int(i) => i.to_string(),
            ParamDefault::Bool(b) => if b { "True" } else { "False" }.into(),
            ParamDefault::Str(s) => format!("'{s}'"),
        }
    }

    fn default_value(&self) -> Option<Value> {
        match self.default {
            ParamDefault::Required | ParamDefault::Absent => None,
            ParamDefault::Float(x) => Some(Value::Float(x)),
            // A whole default of a float parameter (transformers' `num_cycles: int = 1`) is
            // the float that `--set` and config files give for it, so that a description
            // written by `lrsched json` reads back through `--config` unchanged.
            ParamDefault::Int(i) if self.kind == ParamKind::Float => Some(Value::Float(i as f64)),
            ParamDefault::Int(i) => Some(Value::Int(i)),
            ParamDefault::Bool(b) => Some(Value::Bool(b)),
            ParamDefault::Str(s) => Some(Value::Str(s.to_string())),
        }
    }
}

/// A parameter value after parsing.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A float.
    Float(f64),
    /// An int.
    Int(i64),
    /// A bool.
    Bool(bool),
    /// A list of ints.
    IntList(Vec<i64>),
    /// A string (a [`ParamKind::Choice`]).
    Str(String),
    /// A list of numbers, each [`Value::Int`] or [`Value::Float`].
    List(Vec<Value>),
    /// A dict of numbers, in the order given, without repeated keys.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value as JSON, as `lrsched json` writes it in the schedule description.
    ///
    /// JSON has no NaN or infinity, and `null` reads back as `None` (the default), so a
    /// non-finite float is written as the text Python's `float()` reads: `"nan"`, `"inf"`
    /// or `"-inf"`. `--config` reads that back as the same value.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map_or_else(|| Json::from(py_repr(*x)), Json::Number),
            Value::Int(i) => Json::from(*i),
            Value::Bool(b) => Json::from(*b),
            Value::IntList(v) => Json::from(v.clone()),
            Value::Str(s) => Json::from(s.as_str()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            // JSON keys are strings; the text form reads back through `--config`.
            Value::Map(_) => Json::from(self.to_set_text()),
        }
    }

    /// The number as a double (an int converted as Python's `float()` does).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(x) => Some(*x),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// A list or dict as `--set` reads it back (`1.0,0.5`, `100:0.5,200:0.1`).
    fn to_set_text(&self) -> String {
        match self {
            Value::List(items) => items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Value::Map(pairs) => pairs
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(x) => f.write_str(&py_repr(*x)),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::IntList(v) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
            Value::Str(s) => write!(f, "'{s}'"),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(Value::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
            Value::Map(pairs) => {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                write!(f, "{{{}}}", pairs.join(", "))
            }
        }
    }
}

/// A parameter as the user gave it, before its type is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    /// From `--set KEY=VALUE`.
    Text(String),
    /// From a config file's `"params"`.
    Json(Json),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Text(s) => f.write_str(s),
            Raw::Json(j) => write!(f, "{j}"),
        }
    }
}

/// Splits `KEY=VALUE` as given to `--set`.
pub fn split_assignment(text: &str) -> Result<(String, Raw)> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), Raw::Text(value.trim().to_string())))
        }
        _ => Err(Error::input(format!(
            "--set '{text}' is not KEY=VALUE (e.g. --set num_cycles=0.5)"
        ))),
    }
}

fn parse_text(spec: &ParamSpec, text: &str) -> Option<Value> {
    let text = text.trim();
    match spec.kind {
        ParamKind::Float => parse_float(text).map(Value::Float),
        ParamKind::Int => text.parse().ok().map(Value::Int),
        ParamKind::Bool => match text {
            "true" | "True" | "1" => Some(Value::Bool(true)),
            "false" | "False" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        ParamKind::IntList => {
            let inner = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .unwrap_or(text);
            if inner.trim().is_empty() {
                return Some(Value::IntList(Vec::new()));
            }
            inner
                .split(',')
                .map(|item| item.trim().parse().ok())
                .collect::<Option<Vec<i64>>>()
                .map(Value::IntList)
        }
        ParamKind::Choice(options) => {
            let unquoted = text.trim_matches(|c| c == '\'' || c == '"');
            options
                .contains(&unquoted)
                .then(|| Value::Str(unquoted.to_string()))
        }
        ParamKind::Text(_) => Some(Value::Str(
            text.trim_matches(|c| c == '\'' || c == '"').to_string(),
        )),
        ParamKind::Number => parse_number(text),
        ParamKind::NumberList => split_items(text, '[', ']')?
            .into_iter()
            .map(parse_number)
            .collect::<Option<Vec<Value>>>()
            .map(Value::List),
        ParamKind::NumberMap => {
            let mut pairs: Vec<(Value, Value)> = Vec::new();
            for item in split_items(text, '{', '}')? {
                let (key, value) = item.split_once(':')?;
                let (key, value) = (parse_number(key.trim())?, parse_number(value.trim())?);
                // Python's dict: 100 and 100.0 are one key, which keeps its first spelling.
                match pairs.iter_mut().find(|(k, _)| k.as_f64() == key.as_f64()) {
                    Some(pair) => pair.1 = value,
                    None => pairs.push((key, value)),
                }
            }
            Some(Value::Map(pairs))
        }
    }
}

/// The comma-separated items of a list, with optional brackets; none for an empty text.
fn split_items(text: &str, open: char, close: char) -> Option<Vec<&str>> {
    let inner = text
        .strip_prefix(open)
        .and_then(|t| t.strip_suffix(close))
        .unwrap_or(text)
        .trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    Some(inner.split(',').map(str::trim).collect())
}

/// A Python number literal: an int when it reads as one, else a float.
fn parse_number(text: &str) -> Option<Value> {
    match text.parse::<i64>() {
        Ok(i) => Some(Value::Int(i)),
        Err(_) => parse_float(text).map(Value::Float),
    }
}

/// Parses a float as Python's `float()` would, rejecting what it rejects.
pub fn parse_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let bare = lower.trim_start_matches(['+', '-']);
    // Rust accepts "infinity" and "nan" like Python; it does not accept "1_000" (Python
    // does) and that is fine. Reject empty strings and stray words early.
    if t.is_empty()
        || (bare.starts_with(|c: char| c.is_ascii_alphabetic())
            && !matches!(bare, "inf" | "infinity" | "nan"))
    {
        return None;
    }
    t.parse().ok()
}

fn parse_json(spec: &ParamSpec, json: &Json) -> Option<Value> {
    match (spec.kind, json) {
        (_, Json::String(s)) => parse_text(spec, s),
        (ParamKind::Float, Json::Number(n)) => n.as_f64().map(Value::Float),
        (ParamKind::Int, Json::Number(n)) => n.as_i64().map(Value::Int),
        (ParamKind::Bool, Json::Bool(b)) => Some(Value::Bool(*b)),
        (ParamKind::IntList, Json::Number(n)) => n.as_i64().map(|i| Value::IntList(vec![i])),
        (ParamKind::IntList, Json::Array(items)) => items
            .iter()
            .map(Json::as_i64)
            .collect::<Option<Vec<i64>>>()
            .map(Value::IntList),
        (ParamKind::Number, Json::Number(n)) => json_number(n),
        (ParamKind::NumberList, Json::Array(items)) => items
            .iter()
            .map(|item| match item {
                Json::Number(n) => json_number(n),
                _ => None,
            })
            .collect::<Option<Vec<Value>>>()
            .map(Value::List),
        (ParamKind::NumberMap, Json::Object(map)) => {
            let text: Vec<String> = map.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            parse_text(spec, &text.join(","))
        }
        _ => None,
    }
}

fn json_number(n: &serde_json::Number) -> Option<Value> {
    match n.as_i64() {
        Some(i) => Some(Value::Int(i)),
        None => n.as_f64().map(Value::Float),
    }
}

/// The flag that sets a transformers keyword which lrsched takes as a shared flag.
fn horizon_flag(key: &str) -> Option<&'static str> {
    match key {
        "num_training_steps" => Some("--steps"),
        "num_warmup_steps" => Some("--warmup"),
        _ => None,
    }
}

/// The parameter that `--precision` sets, declared by the schedules that compute in float32.
pub const PRECISION: &str = "precision";

/// The resolved parameters of one schedule: every declared parameter, in declaration order,
/// with the user's value or the default (`None` for Python's `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    values: Vec<(&'static str, Option<Value>)>,
    given: Vec<&'static str>,
}

impl Params {
    /// Checks the user's parameters against the declared ones of `schedule` and fills in
    /// defaults. `given` is in the order the user gave it; a later value for the same key wins.
    pub fn resolve(
        schedule: &str,
        specs: &'static [ParamSpec],
        given: &[(String, Raw)],
    ) -> Result<Self> {
        let mut values: Vec<(&'static str, Option<Value>)> =
            specs.iter().map(|s| (s.name, s.default_value())).collect();
        let mut given_names = Vec::new();
        for (key, raw) in given {
            let Some(index) = specs.iter().position(|s| s.name == key) else {
                if let Some(flag) = horizon_flag(key) {
                    return Err(Error::input(format!(
                        "{key} is set with {flag}, not --set ({flag} applies to every schedule)"
                    )));
                }
                if key == PRECISION {
                    return Err(Error::input(format!(
                        "--precision applies to the optax and keras schedules, which compute \
                         in float32; {schedule} computes in float64, as its library does"
                    )));
                }
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                let valid = if names.is_empty() {
                    format!("{schedule} takes no parameters")
                } else {
                    format!("{schedule} takes {}", names.join(", "))
                };
                return Err(Error::input(format!(
                    "unknown parameter '{key}' for {schedule}{} ({valid})",
                    did_you_mean(key, names.iter().copied())
                )));
            };
            let spec = &specs[index];
            let value = match raw {
                Raw::Json(Json::Null) => None,
                Raw::Text(t) if t == "None" => None,
                Raw::Text(t) => Some(parse_text(spec, t)),
                Raw::Json(j) => Some(parse_json(spec, j)),
            };
            let value = match value {
                None if spec.default == ParamDefault::Required => {
                    return Err(Error::input(format!(
                        "{schedule} parameter {key} is required and cannot be None"
                    )));
                }
                None => spec.default_value(),
                Some(Some(v)) => Some(v),
                Some(None) => {
                    let suggestion = match (spec.kind, raw) {
                        (ParamKind::Choice(values), Raw::Text(text)) => did_you_mean(
                            text.trim_matches(|c| c == '\'' || c == '"'),
                            values.iter().copied(),
                        ),
                        (ParamKind::Choice(values), Raw::Json(Json::String(text))) => {
                            did_you_mean(text, values.iter().copied())
                        }
                        _ => String::new(),
                    };
                    return Err(Error::input(format!(
                        "{schedule} parameter {key}={raw} is not {}{suggestion}",
                        spec.kind.describe()
                    )));
                }
            };
            values[index].1 = value;
            if !given_names.contains(&spec.name) {
                given_names.push(spec.name);
            }
        }
        for (spec, (_, value)) in specs.iter().zip(&values) {
            if spec.default == ParamDefault::Required && value.is_none() {
                return Err(Error::input(format!(
                    "{schedule} needs {name} (add --set {name}=...): {doc}",
                    name = spec.name,
                    doc = spec.doc
                )));
            }
        }
        Ok(Params {
            values,
            given: given_names,
        })
    }

    /// Every parameter with its resolved value, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<&Value>)> {
        self.values
            .iter()
            .map(|(name, value)| (*name, value.as_ref()))
    }

    /// True when the user gave `name` explicitly.
    pub fn was_given(&self, name: &str) -> bool {
        self.given.contains(&name)
    }

    /// The resolved value of `name` as parsed (`None` for Python's `None`), for a builder
    /// that tells an int from a float ([`ParamKind::Number`]).
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }

    /// The value of `name` (a parameter whose default is `None`), where a shared flag can
    /// also set it (`--warmup 10` for a library's own warmup parameter): the flag's value
    /// (`Some` when the flag was given) if `name` is `None`, an error if both are set.
    pub fn or_flag(
        &self,
        schedule: &str,
        name: &str,
        flag: (&str, Option<Value>),
    ) -> Result<Option<Value>> {
        match (flag, self.get(name)) {
            ((flag, Some(v)), Some(given)) => Err(Error::input(format!(
                "{schedule}: {flag} {v} and --set {name}={given} both set {name}; give one \
                 of them"
            ))),
            ((_, Some(v)), None) => Ok(Some(v)),
            (_, given) => Ok(given.cloned()),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    fn missing(name: &str, what: &str) -> Error {
        Error::input(format!("parameter {name} is not {what}"))
    }

    /// A float parameter that has a value (given or defaulted).
    pub fn float(&self, name: &str) -> Result<f64> {
        self.opt_float(name)?
            .ok_or_else(|| Self::missing(name, "set"))
    }

    /// A float parameter that may be `None`.
    pub fn opt_float(&self, name: &str) -> Result<Option<f64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Float(x)) => Ok(Some(*x)),
            Some(Value::Int(i)) => Ok(Some(*i as f64)),
            Some(_) => Err(Self::missing(name, "a number")),
        }
    }

    /// An int parameter that has a value.
    pub fn int(&self, name: &str) -> Result<i64> {
        self.opt_int(name)?
            .ok_or_else(|| Self::missing(name, "set"))
    }

    /// An int parameter that may be `None`.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(*i)),
            Some(_) => Err(Self::missing(name, "an integer")),
        }
    }

    /// A bool parameter.
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(Self::missing(name, "true or false")),
        }
    }

    /// An int-list parameter.
    pub fn int_list(&self, name: &str) -> Result<&[i64]> {
        match self.get(name) {
            Some(Value::IntList(v)) => Ok(v),
            _ => Err(Self::missing(name, "a list of integers")),
        }
    }

    /// A choice parameter.
    pub fn choice(&self, name: &str) -> Result<&str> {
        match self.get(name) {
            Some(Value::Str(s)) => Ok(s),
            _ => Err(Self::missing(name, "set")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "T_max",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "half period",
        },
        ParamSpec {
            name: "gamma",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.1),
            doc: "decay",
        },
        ParamSpec {
            name: "milestones",
            kind: ParamKind::IntList,
            default: ParamDefault::Absent,
            doc: "steps",
        },
        ParamSpec {
            name: "mode",
            kind: ParamKind::Choice(&["triangular", "exp_range"]),
            default: ParamDefault::Str("triangular"),
            doc: "shape",
        },
        ParamSpec {
            name: "three_phase",
            kind: ParamKind::Bool,
            default: ParamDefault::Bool(false),
            doc: "phases",
        },
    ];

    fn text(pairs: &[(&str, &str)]) -> Vec<(String, Raw)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
            .collect()
    }

    #[test]
    fn fills_defaults_and_parses_types() -> Result<()> {
        let p = Params::resolve(
            "X",
            SPECS,
            &text(&[
                ("T_max", "37.5"),
                ("milestones", "80,30"),
                ("three_phase", "true"),
            ]),
        )?;
        assert_eq!(p.float("T_max")?, 37.5);
        assert_eq!(p.float("gamma")?, 0.1);
        assert_eq!(p.int_list("milestones")?, &[80, 30]);
        assert_eq!(p.choice("mode")?, "triangular");
        assert!(p.bool("three_phase")?);
        assert!(p.was_given("T_max") && !p.was_given("gamma"));
        Ok(())
    }

    #[test]
    fn reports_what_is_wrong() {
        let err = |pairs: &[(&str, &str)]| match Params::resolve("X", SPECS, &text(pairs)) {
            Err(e) => e.to_string(),
            Ok(p) => format!("unexpectedly accepted {p:?}"),
        };
        assert_eq!(err(&[]), "X needs T_max (add --set T_max=...): half period");
        assert_eq!(
            err(&[("T_max", "1"), ("gama", "0.5")]),
            "unknown parameter 'gama' for X; did you mean 'gamma'? (X takes T_max, gamma, milestones, mode, three_phase)"
        );
        assert_eq!(
            err(&[("T_max", "abc")]),
            "X parameter T_max=abc is not a number"
        );
        assert_eq!(
            err(&[("T_max", "1"), ("milestones", "3,x")]),
            "X parameter milestones=3,x is not a comma-separated list of integers"
        );
        assert_eq!(
            err(&[("T_max", "1"), ("mode", "sideways")]),
            "X parameter mode=sideways is not one of triangular, exp_range"
        );
        assert_eq!(
            err(&[("T_max", "1"), ("mode", "'triangel'")]),
            "X parameter mode='triangel' is not one of triangular, exp_range; did you mean \
             'triangular'?"
        );
    }

    #[test]
    fn non_finite_floats_survive_json() -> Result<()> {
        // Found by the set_params fuzz target: `--set gamma=5e915` is inf, which JSON wrote
        // as null, and null reads back as the default (or as an error for a required one).
        for given in ["5e915", "-inf", "nan"] {
            let p = Params::resolve("X", SPECS, &text(&[("T_max", given)]))?;
            let json = p.get("T_max").map(Value::to_json);
            let again = Params::resolve(
                "X",
                SPECS,
                &[("T_max".to_string(), Raw::Json(json.unwrap_or(Json::Null)))],
            )?;
            let (a, b) = (p.float("T_max")?, again.float("T_max")?);
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{given}"
            );
        }
        Ok(())
    }

    #[test]
    fn json_values_parse_like_text() -> Result<()> {
        let given = vec![
            ("T_max".to_string(), Raw::Json(serde_json::json!(100))),
            (
                "milestones".to_string(),
                Raw::Json(serde_json::json!([30, 80])),
            ),
            ("gamma".to_string(), Raw::Json(serde_json::json!("0.5"))),
            ("mode".to_string(), Raw::Json(serde_json::json!(null))),
        ];
        let p = Params::resolve("X", SPECS, &given)?;
        assert_eq!(p.float("T_max")?, 100.0);
        assert_eq!(p.int_list("milestones")?, &[30, 80]);
        assert_eq!(p.float("gamma")?, 0.5);
        assert_eq!(p.choice("mode")?, "triangular", "null keeps the default");
        Ok(())
    }
}
