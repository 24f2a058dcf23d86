//! Tests of the config formats through `parse`, as `--config` reads them: detection,
//! every format's keys and values, and the positions in every error.

use serde_json::json;

use super::training_args::TRAINING_ARGUMENTS;
use super::{Origins, Partial, Syntax, lrsched, parse, training_args};
use crate::error::Result;
use crate::schedule::params::Raw;

fn message(result: Result<Partial>) -> String {
    match result {
        Ok(p) => format!("accepted {p:?}"),
        Err(e) => e.to_string(),
    }
}

// lrsched's own format.

#[test]
fn the_keys_are_the_flags_in_json_order() {
    assert_eq!(
        lrsched::keys(),
        [
            "schedule",
            "expr",
            "expr_file",
            "vars",
            "steps",
            "base_lr",
            "warmup",
            "params",
            "run",
            "runtime"
        ]
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
    // Equal but for where each value is written.
    assert_eq!(
        Partial {
            origins: Origins::default(),
            ..from_toml.clone()
        },
        Partial {
            origins: Origins::default(),
            ..from_json
        }
    );
    assert_eq!(
        from_toml.origins.warmup.map(|s| s.to_string()).as_deref(),
        Some("warmup at lr.toml:3:1")
    );
    assert_eq!(
        message(parse("lr.toml", "steps = 5\nstesp = 5", Syntax::Toml)),
        "config lr.toml:2:1: unknown key \"stesp\"; did you mean 'steps'? (the keys are \
         schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)"
    );
    assert_eq!(
        message(parse("lr.toml", "steps = ", Syntax::Toml)),
        "config lr.toml:1:9: not valid TOML: string values must be quoted, expected literal string"
    );
    Ok(())
}

/// `steps` and `warmup` are read as `--steps` and `--warmup` read them: `1e6` (a float in
/// every syntax) and `1_000_000` (TOML) are whole numbers; a fraction is not.
#[test]
fn counts_are_read_as_the_flags_read_them() -> Result<()> {
    let json = parse(
        "lr.json",
        r#"{"steps": 1e6, "warmup": 1000.0}"#,
        Syntax::Json,
    )?;
    assert_eq!((json.steps, json.warmup), (Some(1_000_000), Some(1000)));
    let toml = parse("lr.toml", "steps = 1_000_000\nwarmup = 1e3\n", Syntax::Toml)?;
    assert_eq!((toml.steps, toml.warmup), (Some(1_000_000), Some(1000)));
    let yaml = parse("lr.yaml", "steps: 1.0e6\nwarmup: 0.0\n", Syntax::Yaml)?;
    assert_eq!((yaml.steps, yaml.warmup), (Some(1_000_000), Some(0)));
    assert_eq!(
        message(parse("lr.json", r#"{"steps": 0.0}"#, Syntax::Json)),
        "config lr.json:1:13: \"steps\" must be at least 1, not 0"
    );
    assert_eq!(
        message(parse("lr.json", r#"{"steps": 1e30}"#, Syntax::Json)),
        "config lr.json:1:14: \"steps\" must be a whole number >= 1, not 1e+30"
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
        Err(
            "config lr.json:2:32: unknown parameter 'num_cycle' for cosine; did you mean \
             'num_cycles'? (cosine takes num_cycles)"
                .into()
        )
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
        resolve(
            "lr.json",
            "{\"steps\": 5, \"expr\": \"min(1, step/\"}",
            Syntax::Json
        ),
        Err(
            "config lr.json:1:14: invalid --expr: SyntaxError: the expression ends too early: \
             a value is missing here\n  \
             min(1, step/\n              ^"
                .into()
        )
    );
    assert_eq!(
        resolve(
            "lr.json",
            r#"{"expr": "1", "schedule": "cosine"}"#,
            Syntax::Json
        ),
        Err("config lr.json:1:2: give either \"schedule\" or \"expr\", not both".into())
    );
    assert_eq!(
        resolve(
            "lr.json",
            r#"{"expr": "1", "params": {"a": 1}}"#,
            Syntax::Json
        ),
        Err(
            "config lr.json:1:15: \"params\" apply to built-in schedules; an \"expr\" \
             takes no parameters (it can use step, steps, warmup and base_lr)"
                .into()
        )
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
        merged
            .and_then(|p| p.resolve())
            .map(|d| d.label())
            .map_err(|e| e.to_string()),
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
    assert_eq!(
        Syntax::detect(None, "\u{feff} {\"steps\": 5}"),
        Syntax::Json
    );
    assert_eq!(Syntax::detect(None, "# lr\nsteps = 5\n"), Syntax::Toml);
    assert_eq!(Syntax::detect(None, "learning_rate: 2e-5\n"), Syntax::Yaml);
    assert_eq!(Syntax::detect(None, ""), Syntax::Toml);
    Ok(())
}

#[test]
fn yaml_reads_like_json() -> Result<()> {
    let from_yaml = parse(
        "args.yaml",
        "# saved by a script\nlearning_rate: 2e-5\nlr_scheduler_type: cosine\nmax_steps: 100\n\
         warmup_steps: 0.1\nlr_scheduler_kwargs:\n  num_cycles: 0.25\noutput_dir: out\n",
        Syntax::Yaml,
    )?;
    let from_json = parse(
        "args.json",
        r#"{"learning_rate": 2e-5, "lr_scheduler_type": "cosine", "max_steps": 100,
            "warmup_steps": 0.1, "lr_scheduler_kwargs": {"num_cycles": 0.25}, "output_dir": "out"}"#,
        Syntax::Json,
    )?;
    assert_eq!(from_yaml.base_lr, Some(2e-5));
    assert_eq!(
        (
            from_yaml.schedule.clone(),
            from_yaml.steps,
            from_yaml.warmup_ratio
        ),
        (
            from_json.schedule.clone(),
            from_json.steps,
            from_json.warmup_ratio
        )
    );
    assert_eq!(from_yaml.params, from_json.params);
    let own = parse(
        "lr.yml",
        "schedule: StepLR\nsteps: 10\nparams: {step_size: 3}\n",
        Syntax::Yaml,
    )?;
    assert_eq!(own.params, vec![("step_size".into(), Raw::Json(json!(3)))]);
    Ok(())
}

#[test]
fn yaml_errors_have_line_and_column() {
    assert_eq!(
        message(parse("a.yaml", "steps: 5\n base_lr: [\n", Syntax::Yaml)),
        "config a.yaml:2:9: not valid YAML: mapping values are not allowed in this context"
    );
    assert_eq!(
        message(parse("a.yaml", "steps: 5\nbase_lr: fast\n", Syntax::Yaml)),
        "config a.yaml:2:10: \"base_lr\" must be a finite number >= 0 (torch rejects a \
         negative lr), not string \"fast\""
    );
    assert_eq!(
        message(parse("a.yaml", "steps: 5\nbase_lrr: 0.1\n", Syntax::Yaml)),
        "config a.yaml:2:1: unknown key \"base_lrr\"; did you mean 'base_lr'? (the keys are \
         schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)"
    );
    assert_eq!(
        message(parse("a.yaml", "- 1\n- 2\n", Syntax::Yaml)),
        "config a.yaml:1:1: must be an object of keys like {\"schedule\": \"cosine\", \
         \"steps\": 1000}, not sequence"
    );
}

// transformers TrainingArguments.
fn json(text: &str) -> Result<Partial> {
    parse("args.json", text, Syntax::Json)
}

#[test]
fn training_arguments_fields_are_sorted_and_unique() {
    assert!(TRAINING_ARGUMENTS.windows(2).all(|w| w[0] < w[1]));
    for key in training_args::keys() {
        assert!(TRAINING_ARGUMENTS.contains(key), "{key} is no field");
    }
    for key in lrsched::keys() {
        assert!(
            !TRAINING_ARGUMENTS.contains(key),
            "{key} is in both formats"
        );
    }
}

#[test]
fn training_arguments_map_to_a_description() -> Result<()> {
    let p = json(
        r#"{"output_dir": "out", "per_device_train_batch_size": 8,
            "lr_scheduler_type": "constant_with_warmup", "learning_rate": 2e-5,
            "max_steps": 1000, "warmup_steps": 30, "seed": 42}"#,
    )?;
    let d = p.resolve()?;
    assert_eq!(d.label(), "constant_with_warmup (warmup 30)");
    assert_eq!((d.ctx().steps, d.ctx().base_lr), (1000, 2e-5));
    Ok(())
}

#[test]
fn warmup_ratios_round_up_against_the_final_steps() -> Result<()> {
    // transformers: math.ceil(num_training_steps * ratio).
    let ratio = json(
        r#"{"lr_scheduler_type": "constant_with_warmup", "max_steps": 1001, "warmup_ratio": 0.1}"#,
    )?;
    assert_eq!(ratio.resolve()?.ctx().warmup, 101);
    let fraction = json(
        r#"{"lr_scheduler_type": "constant_with_warmup", "max_steps": 1000, "warmup_steps": 0.05}"#,
    )?;
    assert_eq!(fraction.clone().resolve()?.ctx().warmup, 50);
    // --steps on the command line moves the horizon the ratio applies to.
    let more = fraction.merge(Partial {
        steps: Some(2000),
        ..Partial::default()
    });
    assert_eq!(more.resolve()?.ctx().warmup, 100);
    let counted = json(r#"{"max_steps": 1000, "warmup_steps": 7.9}"#)?;
    assert_eq!(counted.warmup, Some(7));
    Ok(())
}

#[test]
fn scheduler_type_may_be_the_enum_text() -> Result<()> {
    let p = json(r#"{"lr_scheduler_type": "SchedulerType.COSINE", "max_steps": 10}"#)?;
    assert_eq!(p.schedule.as_deref(), Some("cosine"));
    Ok(())
}

#[test]
fn defaults_are_those_of_training_arguments() -> Result<()> {
    let p = json(r#"{"max_steps": 10}"#)?;
    assert_eq!(p.schedule.as_deref(), Some("linear"));
    assert_eq!(p.base_lr, Some(5e-5));
    assert_eq!(p.warmup, Some(0));
    Ok(())
}

#[test]
fn scheduler_kwargs_may_be_a_json_string() -> Result<()> {
    let object = json(r#"{"max_steps": 10, "lr_scheduler_kwargs": {"num_cycles": 2}}"#)?;
    let string = json(r#"{"max_steps": 10, "lr_scheduler_kwargs": "{\"num_cycles\": 2}"}"#)?;
    assert_eq!(object.params, string.params);
    assert_eq!(
        object.params,
        [("num_cycles".to_string(), Raw::Json(serde_json::json!(2)))]
    );
    assert_eq!(
        message(json(r#"{"max_steps": 10, "lr_scheduler_kwargs": "[1]"}"#)),
        "config args.json:1:46: \"lr_scheduler_kwargs\" must be an object like \
         {\"num_cycles\": 0.5}, or a JSON string of one, not \"[1]\" (read as transformers \
         TrainingArguments because of \"max_steps\")"
    );
    Ok(())
}

#[test]
fn epochs_based_files_need_steps() -> Result<()> {
    let p = json(
        r#"{"num_train_epochs": 3, "lr_scheduler_type": "constant_with_warmup", "max_steps": -1}"#,
    )?;
    assert_eq!(
        p.resolve()
            .map(|d| d.ctx().steps)
            .map_err(|e| e.to_string()),
        Err(
            "config args.json:1:70: \"max_steps\" is -1, so transformers takes the number of \
             steps from num_train_epochs and the dataset size, which lrsched cannot know; \
             give --steps N"
                .to_string()
        )
    );
    let given = p.merge(Partial {
        steps: Some(300),
        ..Partial::default()
    });
    assert_eq!(given.resolve()?.ctx().steps, 300);
    Ok(())
}

#[test]
fn typos_are_named_and_strangers_skipped() {
    assert_eq!(
        message(json(r#"{"learning_rat": 1e-4, "max_steps": 10}"#)),
        "config args.json:1:2: unknown key \"learning_rat\"; did you mean 'learning_rate'? \
         (read as transformers TrainingArguments because of \"max_steps\")"
    );
    assert_eq!(
        message(json(
            r#"{"output_dir": "o", "warmup_step": 5, "model_name_or_path": "gpt2",
                "lr_sheduler_type": "cosine"}"#
        )),
        "config args.json:1:21: unknown keys \"warmup_step\" (did you mean 'warmup_steps'?), \
         \"lr_sheduler_type\" (did you mean 'lr_scheduler_type'?) (read as transformers \
         TrainingArguments because of \"output_dir\")"
    );
    // A script's own arguments share the file and are skipped, as fields lrsched does
    // not read are, even those that start like a field.
    assert!(
        json(
            r#"{"output_dir": "o", "model_name_or_path": "gpt2", "max_steps": 5,
                "learning_rate_decay": 0.9, "max_steps_per_epoch": 10}"#
        )
        .is_ok()
    );
    assert_eq!(
        message(json(r#"{"max_steps": 5, "lr_schedulre_type": "cosine"}"#)),
        "config args.json:1:18: unknown key \"lr_schedulre_type\"; did you mean \
         'lr_scheduler_type'? (read as transformers TrainingArguments because of \"max_steps\")"
    );
    assert_eq!(
        message(json(r#"{"schedule": "cosine", "learning_rate": 0.1}"#)),
        "config args.json:1:24: mixes lrsched keys (\"schedule\") with transformers \
         TrainingArguments keys (\"learning_rate\"); use one format or the other, or read it \
         as one with --config-format lrsched or --config-format training-args"
    );
    assert_eq!(
        message(json(r#"{"lr_scheduler_type": "StepLR", "max_steps": 10}"#)),
        "config args.json:1:30: \"lr_scheduler_type\": 'StepLR' is a torch scheduler, not a \
         transformers SchedulerType; use lrsched's own config keys for torch schedulers \
         (read as transformers TrainingArguments because of \"lr_scheduler_type\")"
    );
    assert_eq!(
        message(json(
            r#"{"max_steps": 10, "warmup_steps": 5, "warmup_ratio": 0.1}"#
        )),
        "config args.json:1:38: both \"warmup_steps\" and \"warmup_ratio\" are set: \
         transformers 4 uses warmup_steps, transformers 5 uses warmup_ratio; keep one \
         (read as transformers TrainingArguments because of \"max_steps\")"
    );
}

#[test]
fn a_misspelt_key_of_another_format_is_named_as_such() {
    assert_eq!(
        message(json("{\n  \"lr_scheduler_typ\": \"cosine\"}")),
        "config args.json:2:3: unknown key \"lr_scheduler_typ\"; did you mean \
         'lr_scheduler_type' (a transformers TrainingArguments key)?"
    );
    // lrsched's own suggestion comes first.
    assert_eq!(
        message(json(r#"{"step": 5}"#)),
        "config args.json:1:2: unknown key \"step\"; did you mean 'steps'? (the keys are \
         schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)"
    );
}

#[test]
fn values_are_checked_where_they_are_written() {
    assert_eq!(
        message(json("{\"max_steps\": 10,\n \"warmup_ratio\": 1.5}")),
        "config args.json:2:20: \"warmup_ratio\" must be a ratio in [0, 1] (as transformers \
         requires), not 1.5 (read as transformers TrainingArguments because of \"max_steps\")"
    );
    assert_eq!(
        message(json(r#"{"max_steps": 2.5}"#)),
        "config args.json:1:17: \"max_steps\" must be a whole number, not 2.5 (read as \
         transformers TrainingArguments because of \"max_steps\")"
    );
    assert_eq!(
        message(json(r#"{"max_steps": 10, "learning_rate": "fast"}"#)),
        "config args.json:1:41: \"learning_rate\" must be a finite number >= 0 (torch \
         rejects a negative lr), not string \"fast\" (read as transformers \
         TrainingArguments because of \"max_steps\")"
    );
}

#[test]
fn expr_files_and_vars_are_read_and_placed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("lr.py");
    std::fs::write(
        &source,
        "def f(s):\n    return min(1.0, s / warmup_steps)\n",
    )?;
    let path = source.to_string_lossy().replace('\\', "\\\\");
    let toml = format!(
        "expr_file = \"{path}\"\nsteps = 3\n[vars]\nwarmup_steps = 2\ndecay = 0.5\ncap = inf\nbig = \"2**70\"\n"
    );
    let p = parse("lr.toml", &toml, Syntax::Toml)?;
    assert_eq!(
        p.expr.as_deref(),
        std::fs::read_to_string(&source).ok().as_deref()
    );
    assert_eq!(
        p.vars,
        [
            ("warmup_steps".to_string(), "2".to_string()),
            ("decay".to_string(), "0.5".to_string()),
            ("cap".to_string(), "math.inf".to_string()),
            ("big".to_string(), "2**70".to_string()),
        ]
    );
    let d = p.resolve()?;
    assert_eq!(d.schedule().at(1).multiplier, 0.5);
    let message = |text: &str| message(parse("lr.json", text, Syntax::Json));
    assert_eq!(
        message(&format!(
            "{{\"expr_file\": \"{path}\",\n \"vars\": {{\"w\": 1, \"k\": \"1/0\"}}}}"
        )),
        "config lr.json:2:19: invalid \"vars\" k=1/0: '1/0' raises ZeroDivisionError: \
         division by zero"
    );
    assert_eq!(
        message(r#"{"vars": {"w": [1]}}"#),
        "config lr.json:1:16: \"vars.w\" must be a number, or a string of a Python literal, \
         not sequence"
    );
    assert_eq!(
        message(&format!("{{\"expr\": \"1\", \"expr_file\": \"{path}\"}}")),
        "config lr.json:1:15: give either \"expr\" or \"expr_file\", not both"
    );
    assert_eq!(
        message(&format!(
            "{{\"schedule\": \"cosine\",\n\"expr_file\": \"{path}\"}}"
        )),
        "config lr.json:2:1: give either \"schedule\" or \"expr_file\", not both"
    );
    let missing = dir
        .path()
        .join("missing.py")
        .to_string_lossy()
        .replace('\\', "\\\\");
    assert!(
        message(&format!("{{\"steps\": 2, \"expr_file\": \"{missing}\"}}"))
            .starts_with("config lr.json:1:14: cannot read --expr-file "),
    );
    // An error in the file's source is placed at the key that names the file.
    std::fs::write(&source, "def f(s):\n    return 1 +\n")?;
    assert!(
        parse(
            "lr.json",
            &format!("{{\n\"expr_file\": \"{path}\"}}"),
            Syntax::Json
        )?
        .resolve()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .starts_with("config lr.json:2:1: invalid --expr: SyntaxError: ")
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

// DeepSpeed beside TrainingArguments.

#[test]
fn a_deepspeed_dict_is_filled_from_the_arguments_around_it() -> Result<()> {
    let partial = json(
        r#"{"learning_rate": 0.01, "max_steps": 20, "warmup_steps": 0.25,
            "lr_scheduler_type": "cosine",
            "deepspeed": {"train_micro_batch_size_per_gpu": "auto",
                          "optimizer": {"params": {"lr": "auto"}},
                          "scheduler": {"type": "WarmupDecayLR",
                                        "params": {"total_num_steps": "auto",
                                                   "warmup_num_steps": "auto",
                                                   "warmup_max_lr": "auto"}}}}"#,
    )?;
    // The scheduler block replaces lr_scheduler_type as soon as the file is read.
    assert_eq!(partial.schedule.as_deref(), Some("deepspeed:WarmupDecayLR"));
    let settled = super::deepspeed::settle(&partial)?.expect("a DeepSpeed config to settle");
    assert!(settled.deepspeed.is_none());
    // ceil(20 x 0.25) = 5 warmup steps; the Trainer's warmup goes to DeepSpeed's class.
    assert_eq!(
        settled.params,
        [
            ("total_num_steps".to_string(), Raw::Json(json!(20))),
            ("warmup_num_steps".to_string(), Raw::Json(json!(5))),
            ("warmup_max_lr".to_string(), Raw::Json(json!(0.01))),
        ]
    );
    assert_eq!(settled.warmup, Some(0));
    // Every filled value is located at the "deepspeed" key of the arguments.
    let at = settled.origins.param(0).map(ToString::to_string);
    assert_eq!(at.as_deref(), Some("args.json:3:13"));
    Ok(())
}

#[test]
fn a_format_can_be_forced() {
    let text = r#"{"schedule": "cosine", "learning_rate": 0.1, "max_steps": 3}"#;
    let forced = super::parse_as(
        "a.json",
        text,
        Syntax::Json,
        Some(super::format_named("training-args").unwrap()),
    )
    .unwrap();
    assert_eq!(forced.schedule.as_deref(), Some("linear"));
    assert_eq!(forced.steps, Some(3));
    assert!(message(parse("a.json", text, Syntax::Json)).contains("mixes lrsched keys"));
}
