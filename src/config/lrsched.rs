//! lrsched's own format, in JSON or TOML: the keys of the flags, which is what `lrsched
//! json` writes as its `schedule`, so a run can be saved and replayed.

use serde::Deserialize;

use super::{Document, Format, Origins, Partial, value};
use crate::error::Result;
use crate::schedule::params::Raw;

/// lrsched's own format.
pub const FORMAT: Format = Format {
    name: "lrsched",
    is_marker: |key| keys().contains(&key),
    read,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Syntax, parse};
    use serde_json::json;

    fn message(result: Result<Partial>) -> String {
        match result {
            Ok(p) => format!("accepted {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_keys_are_the_flags_in_json_order() {
        assert_eq!(
            keys(),
            ["schedule", "expr", "steps", "base_lr", "warmup", "params"]
        );
    }

    #[test]
    fn toml_has_the_json_keys() -> Result<()> {
        let from_toml = parse(
            "lr.toml",
            "schedule = \"constant_with_warmup\"\nsteps = 50\nwarmup = 5\nbase_lr = 3e-4\n",
            Syntax::Toml,
        )?;
        let from_json = parse(
            "lr.json",
            r#"{"schedule": "constant_with_warmup", "steps": 50, "warmup": 5, "base_lr": 3e-4}"#,
            Syntax::Json,
        )?;
        assert_eq!(from_toml, from_json);
        assert_eq!(
            message(parse("lr.toml", "steps = 5\nstesp = 5", Syntax::Toml)),
            "config lr.toml:2:1: unknown key \"stesp\"; did you mean 'steps'?; the keys are \
             schedule, expr, steps, base_lr, warmup, params"
        );
        assert_eq!(
            message(parse("lr.toml", "steps = ", Syntax::Toml)),
            "config lr.toml:1:9: not valid TOML: string values must be quoted, expected literal string"
        );
        Ok(())
    }

    #[test]
    fn every_error_has_a_position() {
        let json = |text| message(parse("lr.json", text, Syntax::Json));
        let toml = |text| message(parse("lr.toml", text, Syntax::Toml));
        assert_eq!(
            json(r#"{"steps": -1}"#),
            "config lr.json:1:12: \"steps\" must be a whole number >= 1, not -1"
        );
        assert_eq!(
            toml("steps = -1"),
            "config lr.toml:1:9: \"steps\" must be a whole number >= 1, not -1"
        );
        assert_eq!(
            json("{\n  \"steps\": 0\n}"),
            "config lr.json:2:12: \"steps\" must be at least 1, not 0"
        );
        assert_eq!(
            json(r#"{"warmup": 2.5}"#),
            "config lr.json:1:14: \"warmup\" must be a whole number >= 0, not 2.5"
        );
        assert_eq!(
            json(r#"{"schedule": 5}"#),
            "config lr.json:1:14: \"schedule\" must be a string, not integer `5`"
        );
        assert_eq!(
            toml("base_lr = \"high\""),
            "config lr.toml:1:11: \"base_lr\" must be a finite number >= 0 (torch rejects a \
             negative lr), not string \"high\""
        );
        assert_eq!(
            toml("base_lr = -inf"),
            "config lr.toml:1:11: \"base_lr\" must be a finite number >= 0 (torch rejects a \
             negative lr), not -inf"
        );
        assert_eq!(
            json(r#"{"schedule": "cosin"}"#),
            "config lr.json:1:20: \"schedule\": unknown schedule 'cosin'; did you mean 'cosine'? \
             (lrsched list shows all)"
        );
        assert_eq!(
            json(r#"{"params": [1]}"#),
            "config lr.json:1:12: \"params\" must be an object like {\"T_max\": 100}, not sequence"
        );
        assert_eq!(
            json(r#"{"steps": 5} x"#),
            "config lr.json:1:14: not valid JSON: trailing characters"
        );
        assert_eq!(
            json("[1]"),
            "config lr.json:1:1: must be an object of keys like {\"schedule\": \"cosine\", \
             \"steps\": 1000}, not sequence"
        );
        assert_eq!(
            json(r#"{"steps": 5, "steps": 6}"#),
            "config lr.json:1:20: key \"steps\" is given twice"
        );
    }

    #[test]
    fn errors_found_after_merging_name_the_place_too() {
        let resolve = |name: &str, text: &str, syntax| {
            parse(name, text, syntax)
                .and_then(|p| p.resolve())
                .map(|d| d.label())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            resolve(
                "lr.json",
                "{\"schedule\": \"cosine\",\n \"params\": {\"num_cycles\": 0.5, \"num_cycle\": 1}}",
                Syntax::Json
            ),
            Err("config lr.json:2:32: unknown parameter 'num_cycle' for cosine; did you mean \
                 'num_cycles'?; cosine takes num_cycles"
                .into())
        );
        assert_eq!(
            resolve(
                "lr.toml",
                "schedule = \"StepLR\"\n[params]\nstep_size = 2\ngamma = \"x\"\n",
                Syntax::Toml
            ),
            Err("config lr.toml:4:1: StepLR parameter gamma=\"x\" is not a number".into())
        );
        // A required parameter that no one gives is no one place's fault.
        assert_eq!(
            resolve(
                "lr.toml",
                "schedule = \"StepLR\"\n[params]\ngamma = 0.5\n",
                Syntax::Toml
            )
            .map_err(|e| e.starts_with("StepLR needs step_size")),
            Err(true)
        );
        assert_eq!(
            resolve("lr.json", "{\"steps\": 5, \"expr\": \"min(1, step/\"}", Syntax::Json),
            Err("config lr.json:1:14: invalid --expr: expected an expression after '/'\n  \
                 min(1, step/\n              ^"
                .into())
        );
        assert_eq!(
            resolve("lr.json", r#"{"expr": "1", "schedule": "cosine"}"#, Syntax::Json),
            Err("config lr.json:1:2: give either \"schedule\" or \"expr\", not both".into())
        );
        assert_eq!(
            resolve("lr.json", r#"{"expr": "1", "params": {"a": 1}}"#, Syntax::Json),
            Err("config lr.json:1:15: \"params\" apply to built-in schedules; an \"expr\" \
                 takes no parameters (it can use step, steps, warmup and base_lr)"
                .into())
        );
        // A parameter given again by --set is the flag's, and its error has no place.
        let file = parse(
            "lr.json",
            r#"{"schedule": "cosine", "params": {"num_cycles": 0.5}}"#,
            Syntax::Json,
        );
        let merged = file.map(|p| {
            p.merge(Partial {
                params: vec![("num_cycles".into(), Raw::Text("x".into()))],
                ..Partial::default()
            })
        });
        assert_eq!(
            merged.and_then(|p| p.resolve()).map(|d| d.label()).map_err(|e| e.to_string()),
            Err("cosine parameter num_cycles=x is not a number".into())
        );
    }

    #[test]
    fn numbers_are_exact_and_toml_floats_keep_their_value() -> Result<()> {
        let p = parse(
            "lr.json",
            r#"{"base_lr": 0.30000000000000004, "params": {"eta_min": 1e-320}}"#,
            Syntax::Json,
        )?;
        assert_eq!(p.base_lr, Some(0.30000000000000004));
        assert_eq!(p.params, [("eta_min".into(), Raw::Json(json!(1e-320)))]);
        let p = parse(
            "lr.toml",
            "[params]\neta_min = nan\nT_max = 10\nmilestones = [3, 6]",
            Syntax::Toml,
        )?;
        assert_eq!(
            p.params,
            [
                ("eta_min".into(), Raw::Json(json!("nan"))),
                ("T_max".into(), Raw::Json(json!(10))),
                ("milestones".into(), Raw::Json(json!([3, 6]))),
            ]
        );
        Ok(())
    }

    #[test]
    fn byte_order_marks_and_syntaxes() -> Result<()> {
        let p = parse("lr.json", "\u{feff}{\"steps\": 7}", Syntax::Json)?;
        assert_eq!(p.steps, Some(7));
        let detect = |name: &str, text: &str| Syntax::detect(Some(std::path::Path::new(name)), text);
        assert_eq!(detect("lr.TOML", "{"), Syntax::Toml);
        assert_eq!(detect("lr.json", "steps = 5"), Syntax::Json);
        assert_eq!(detect("lr.yml", "{}"), Syntax::Yaml);
        assert_eq!(Syntax::detect(None, "\u{feff} {\"steps\": 5}"), Syntax::Json);
        assert_eq!(Syntax::detect(None, "# lr\nsteps = 5\n"), Syntax::Toml);
        assert_eq!(Syntax::detect(None, "learning_rate: 2e-5\n"), Syntax::Yaml);
        assert_eq!(Syntax::detect(None, ""), Syntax::Toml);
        assert_eq!(
            message(parse("args.yaml", "learning_rate: 2e-5\n", Syntax::Yaml)),
            "config args.yaml: YAML configs are not supported yet; write the file as JSON or TOML"
        );
        Ok(())
    }
}
