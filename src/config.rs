//! Config files for `--config`: lrsched's own keys in JSON or TOML, and Hugging Face
//! `TrainingArguments` JSON, each read into a [`Partial`] that command-line flags override.
//!
//! The syntax comes from the file name (`.toml` is TOML, anything else JSON); the format
//! comes from the keys. An object with any `TrainingArguments` field name in it is read as
//! `TrainingArguments`, otherwise as lrsched's own format. Unknown keys are errors in both,
//! with a suggestion, so a typo cannot pass a CI check silently.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};
use crate::spec::{CONFIG_KEYS, Partial};
use crate::suggest::closest;

/// Reads a config file, naming it in every error.
pub fn read(path: &Path) -> Result<Partial> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(format!("cannot read config {}: {e}", path.display())))?;
    parse(&text, Syntax::of(path))
        .map_err(|e| Error::input(format!("config {}: {e}", path.display())))
}

/// The syntax of a config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// JSON (the default).
    Json,
    /// TOML (files ending in `.toml`).
    Toml,
}

impl Syntax {
    /// The syntax of the file at `path`, by its extension.
    pub fn of(path: &Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Syntax::Toml,
            _ => Syntax::Json,
        }
    }
}

/// Parses the text of a config file in `syntax`, in whichever format its keys show.
pub fn parse(text: &str, syntax: Syntax) -> Result<Partial> {
    let map = match syntax {
        Syntax::Json => {
            let json: Json = serde_json::from_str(text)
                .map_err(|e| Error::input(format!("not valid JSON: {e}")))?;
            let Json::Object(map) = json else {
                return Err(Error::input(
                    "expected a JSON object like {\"schedule\": \"cosine\", \"steps\": 1000}",
                ));
            };
            map
        }
        Syntax::Toml => {
            let table = text.parse::<toml::Table>().map_err(|e: toml::de::Error| {
                Error::input(format!("not valid TOML: {}", e.to_string().trim()))
            })?;
            match serde_json::to_value(table) {
                Ok(Json::Object(map)) => map,
                _ => return Err(Error::input("the TOML does not convert to plain values")),
            }
        }
    };
    from_map(&map)
}

/// Reads a config object in whichever format its keys show.
pub fn from_map(map: &Map<String, Json>) -> Result<Partial> {
    let hf: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| TRAINING_ARGUMENTS.contains(k))
        .collect();
    let Some(first_hf) = hf.first() else {
        return Partial::from_config_map(map);
    };
    let own: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| CONFIG_KEYS.contains(k))
        .collect();
    if !own.is_empty() {
        return Err(Error::input(format!(
            "mixes lrsched keys ({}) with transformers TrainingArguments keys ({}); \
             use one format or the other",
            quoted(&own),
            quoted(&hf)
        )));
    }
    from_training_arguments(map).map_err(|e| match e {
        Error::Input(message) => Error::input(format!(
            "{message} (read as transformers TrainingArguments because of \"{first_hf}\")"
        )),
        other => other,
    })
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `TrainingArguments.lr_scheduler_type`'s default.
pub const HF_DEFAULT_SCHEDULER: &str = "linear";
/// `TrainingArguments.learning_rate`'s default.
pub const HF_DEFAULT_LEARNING_RATE: f64 = 5e-5;

/// Reads a `TrainingArguments`-style object the way `Trainer.create_scheduler` uses it:
/// `get_scheduler(lr_scheduler_type, num_warmup_steps=args.get_warmup_steps(max_steps),
/// num_training_steps=max_steps, scheduler_specific_kwargs=lr_scheduler_kwargs)` with the
/// optimizer at `learning_rate`. Missing keys take `TrainingArguments`' defaults.
fn from_training_arguments(map: &Map<String, Json>) -> Result<Partial> {
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !TRAINING_ARGUMENTS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::input(unknown_keys_message(&unknown)));
    }
    let schedule = match map.get("lr_scheduler_type") {
        None | Some(Json::Null) => HF_DEFAULT_SCHEDULER.to_string(),
        Some(Json::String(name)) => {
            // transformers serialises the enum by its value; "SchedulerType.COSINE" is what
            // str() of the enum gives, and people paste that too.
            let name = name
                .strip_prefix("SchedulerType.")
                .map_or_else(|| name.clone(), str::to_ascii_lowercase);
            let entry = registry::find(&name)?;
            if entry.library != Library::Transformers {
                return Err(Error::input(format!(
                    "lr_scheduler_type '{name}' is a torch scheduler, not a transformers \
                     SchedulerType; use lrsched's own config keys for torch schedulers"
                )));
            }
            name
        }
        Some(other) => {
            return Err(Error::input(format!(
                "\"lr_scheduler_type\" must be a string, not {other}"
            )));
        }
    };
    let base_lr = match map.get("learning_rate") {
        None | Some(Json::Null) => HF_DEFAULT_LEARNING_RATE,
        Some(v) => number("learning_rate", v)?,
    };
    let (steps, steps_required) = match map.get("max_steps") {
        None | Some(Json::Null) => (None, Some(MAX_STEPS_MISSING.to_string())),
        Some(v) => match v.as_i64() {
            Some(n) if n > 0 => (Some(n as u64), None),
            Some(n) => (
                None,
                Some(format!(
                    "\"max_steps\" is {n}, so transformers takes the number of steps from \
                     num_train_epochs and the dataset size, which lrsched cannot know"
                )),
            ),
            None => {
                return Err(Error::input(format!(
                    "\"max_steps\" must be a whole number, not {v}"
                )));
            }
        },
    };
    let (warmup, warmup_ratio) = warmup(map)?;
    let params = match map.get("lr_scheduler_kwargs") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(kwargs)) => kwargs_params(kwargs),
        Some(Json::String(text)) if text.trim().is_empty() => Vec::new(),
        Some(Json::String(text)) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(kwargs)) => kwargs_params(&kwargs),
            _ => {
                return Err(Error::input(format!(
                    "\"lr_scheduler_kwargs\" must be an object or a JSON string of one, not {text:?}"
                )));
            }
        },
        Some(other) => {
            return Err(Error::input(format!(
                "\"lr_scheduler_kwargs\" must be an object like {{\"num_cycles\": 0.5}}, not {other}"
            )));
        }
    };
    Ok(Partial {
        schedule: Some(schedule),
        base_lr: Some(base_lr),
        steps,
        steps_required,
        warmup,
        warmup_ratio,
        params,
        ..Partial::default()
    })
}

const MAX_STEPS_MISSING: &str = "there is no \"max_steps\", so transformers takes the number of \
    steps from num_train_epochs and the dataset size, which lrsched cannot know";

fn kwargs_params(kwargs: &Map<String, Json>) -> Vec<(String, Raw)> {
    kwargs
        .iter()
        .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
        .collect()
}

fn number(key: &str, value: &Json) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| Error::input(format!("\"{key}\" must be a number, not {value}")))
}

/// The warmup as a step count, or as a ratio of the steps still to be resolved.
///
/// transformers 5 reads `warmup_steps` as a count when it is >= 1 (`int(warmup_steps)`) and
/// as a ratio below 1 (`math.ceil(num_training_steps * warmup_steps)`), and copies a
/// deprecated `warmup_ratio` into it; transformers 4 used `warmup_steps` when it was > 0 and
/// `ceil(num_training_steps * warmup_ratio)` otherwise. The two agree unless both are set,
/// which is therefore an error.
fn warmup(map: &Map<String, Json>) -> Result<(Option<u64>, Option<f64>)> {
    let steps = match map.get("warmup_steps") {
        None | Some(Json::Null) => 0.0,
        Some(v) => number("warmup_steps", v)?,
    };
    let ratio = match map.get("warmup_ratio") {
        None | Some(Json::Null) => 0.0,
        Some(v) => number("warmup_ratio", v)?,
    };
    if !(steps >= 0.0 && steps.is_finite()) {
        return Err(Error::input(format!(
            "\"warmup_steps\" must be a number of steps or a ratio in [0, 1), not {steps}"
        )));
    }
    if !(0.0..=1.0).contains(&ratio) {
        return Err(Error::input(format!(
            "\"warmup_ratio\" must lie in [0, 1] (as transformers requires), not {ratio}"
        )));
    }
    if steps > 0.0 && ratio > 0.0 {
        return Err(Error::input(
            "both \"warmup_steps\" and \"warmup_ratio\" are set: transformers 4 uses \
             warmup_steps, transformers 5 uses warmup_ratio; keep one",
        ));
    }
    Ok(if steps >= 1.0 {
        (Some(steps.trunc() as u64), None)
    } else if steps > 0.0 {
        (None, Some(steps))
    } else if ratio > 0.0 {
        (None, Some(ratio))
    } else {
        (Some(0), None)
    })
}

fn unknown_keys_message(unknown: &[&str]) -> String {
    let named: Vec<String> = unknown
        .iter()
        .map(|k| match closest(k, TRAINING_ARGUMENTS.iter().copied()) {
            Some(c) if unknown.len() == 1 => format!("\"{k}\"; did you mean '{c}'?"),
            Some(c) => format!("\"{k}\" (did you mean '{c}'?)"),
            None => format!("\"{k}\""),
        })
        .collect();
    let noun = if unknown.len() == 1 { "key" } else { "keys" };
    format!(
        "unknown {noun} {}; only transformers TrainingArguments fields are accepted",
        named.join(", ")
    )
}

/// The field names of transformers' `TrainingArguments` and `Seq2SeqTrainingArguments`,
/// from 4.x through 5.x (fields since removed included, so older files still read).
///
/// lrsched uses six of them (`lr_scheduler_type`, `learning_rate`, `max_steps`,
/// `warmup_steps`, `warmup_ratio`, `lr_scheduler_kwargs`) and accepts the others without
/// reading them, because a real file has dozens; anything else is rejected as a typo.
/// Keys of a script's own argument classes (`model_name_or_path`, ...) are rejected too:
/// transformers' `HfArgumentParser.parse_json_file` rejects keys no class declares as well.
pub const TRAINING_ARGUMENTS: &[&str] = &[
    "accelerator_config",
    "adafactor",
    "adam_beta1",
    "adam_beta2",
    "adam_epsilon",
    "auto_find_batch_size",
    "average_tokens_across_devices",
    "batch_eval_metrics",
    "bf16",
    "bf16_full_eval",
    "data_seed",
    "dataloader_drop_last",
    "dataloader_num_workers",
    "dataloader_persistent_workers",
    "dataloader_pin_memory",
    "dataloader_prefetch_factor",
    "ddp_backend",
    "ddp_broadcast_buffers",
    "ddp_bucket_cap_mb",
    "ddp_find_unused_parameters",
    "ddp_timeout",
    "debug",
    "deepspeed",
    "disable_tqdm",
    "dispatch_batches",
    "do_eval",
    "do_predict",
    "do_train",
    "enable_jit_checkpoint",
    "eval_accumulation_steps",
    "eval_delay",
    "eval_do_concat_batches",
    "eval_on_start",
    "eval_steps",
    "eval_strategy",
    "eval_use_gather_object",
    "evaluation_strategy",
    "fp16",
    "fp16_backend",
    "fp16_full_eval",
    "fp16_opt_level",
    "fsdp",
    "fsdp_config",
    "fsdp_min_num_params",
    "fsdp_transformer_layer_cls_to_wrap",
    "full_determinism",
    "generation_config",
    "generation_max_length",
    "generation_num_beams",
    "gradient_accumulation_steps",
    "gradient_checkpointing",
    "gradient_checkpointing_kwargs",
    "greater_is_better",
    "group_by_length",
    "half_precision_backend",
    "hub_always_push",
    "hub_model_id",
    "hub_private_repo",
    "hub_revision",
    "hub_strategy",
    "hub_token",
    "ignore_data_skip",
    "include_for_metrics",
    "include_inputs_for_metrics",
    "include_num_input_tokens_seen",
    "include_tokens_per_second",
    "jit_mode_eval",
    "label_names",
    "label_smoothing_factor",
    "learning_rate",
    "length_column_name",
    "liger_kernel_config",
    "load_best_model_at_end",
    "local_rank",
    "log_level",
    "log_level_replica",
    "log_on_each_node",
    "logging_dir",
    "logging_first_step",
    "logging_nan_inf_filter",
    "logging_steps",
    "logging_strategy",
    "lr_scheduler_kwargs",
    "lr_scheduler_type",
    "max_grad_norm",
    "max_steps",
    "metric_for_best_model",
    "mp_parameters",
    "neftune_noise_alpha",
    "no_cuda",
    "num_train_epochs",
    "optim",
    "optim_args",
    "optim_target_modules",
    "output_dir",
    "overwrite_output_dir",
    "parallelism_config",
    "past_index",
    "per_device_eval_batch_size",
    "per_device_train_batch_size",
    "per_gpu_eval_batch_size",
    "per_gpu_train_batch_size",
    "predict_with_generate",
    "prediction_loss_only",
    "project",
    "push_to_hub",
    "push_to_hub_model_id",
    "push_to_hub_organization",
    "push_to_hub_token",
    "ray_scope",
    "remove_unused_columns",
    "report_to",
    "restore_callback_states_from_checkpoint",
    "resume_from_checkpoint",
    "run_name",
    "save_on_each_node",
    "save_only_model",
    "save_safetensors",
    "save_steps",
    "save_strategy",
    "save_total_limit",
    "seed",
    "skip_memory_metrics",
    "sortish_sampler",
    "split_batches",
    "tf32",
    "torch_compile",
    "torch_compile_backend",
    "torch_compile_mode",
    "torch_empty_cache_steps",
    "torchdynamo",
    "tpu_metrics_debug",
    "tpu_num_cores",
    "trackio_space_id",
    "train_sampling_strategy",
    "use_cache",
    "use_cpu",
    "use_ipex",
    "use_legacy_prediction_loop",
    "use_liger_kernel",
    "use_mps_device",
    "warmup_ratio",
    "warmup_steps",
    "weight_decay",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Partial> {
        parse(text, Syntax::Json)
    }

    fn message(result: Result<Partial>) -> String {
        match result {
            Ok(p) => format!("accepted {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn training_arguments_fields_are_sorted_and_unique() {
        assert!(TRAINING_ARGUMENTS.windows(2).all(|w| w[0] < w[1]));
        for key in CONFIG_KEYS {
            assert!(
                !TRAINING_ARGUMENTS.contains(&key),
                "{key} is in both formats"
            );
        }
    }

    #[test]
    fn toml_has_the_json_keys() -> Result<()> {
        let from_toml = parse(
            "schedule = \"constant_with_warmup\"\nsteps = 50\nwarmup = 5\nbase_lr = 3e-4\n",
            Syntax::Toml,
        )?;
        let from_json = json(
            r#"{"schedule": "constant_with_warmup", "steps": 50, "warmup": 5, "base_lr": 3e-4}"#,
        )?;
        assert_eq!(from_toml, from_json);
        assert_eq!(
            message(parse("stesp = 5", Syntax::Toml)),
            "unknown key \"stesp\"; did you mean 'steps'?; the keys are schedule, expr, steps, base_lr, warmup, params, expr_file, vars"
        );
        assert!(message(parse("steps = ", Syntax::Toml)).starts_with("not valid TOML: "));
        Ok(())
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
        assert_eq!((d.ctx.steps, d.ctx.base_lr), (1000, 2e-5));
        Ok(())
    }

    #[test]
    fn warmup_ratios_round_up_against_the_final_steps() -> Result<()> {
        // transformers: math.ceil(num_training_steps * ratio).
        let ratio = json(
            r#"{"lr_scheduler_type": "constant_with_warmup", "max_steps": 1001, "warmup_ratio": 0.1}"#,
        )?;
        assert_eq!(ratio.resolve()?.ctx.warmup, 101);
        let fraction = json(
            r#"{"lr_scheduler_type": "constant_with_warmup", "max_steps": 1000, "warmup_steps": 0.05}"#,
        )?;
        assert_eq!(fraction.clone().resolve()?.ctx.warmup, 50);
        // --steps on the command line moves the horizon the ratio applies to.
        let more = fraction.merge(Partial {
            steps: Some(2000),
            ..Partial::default()
        });
        assert_eq!(more.resolve()?.ctx.warmup, 100);
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
        Ok(())
    }

    #[test]
    fn epochs_based_files_need_steps() -> Result<()> {
        let p = json(
            r#"{"num_train_epochs": 3, "lr_scheduler_type": "constant_with_warmup", "max_steps": -1}"#,
        )?;
        assert_eq!(
            p.resolve().map(|d| d.ctx.steps).map_err(|e| e.to_string()),
            Err(
                "\"max_steps\" is -1, so transformers takes the number of steps from \
                 num_train_epochs and the dataset size, which lrsched cannot know; give --steps N"
                    .to_string()
            )
        );
        let given = p.merge(Partial {
            steps: Some(300),
            ..Partial::default()
        });
        assert_eq!(given.resolve()?.ctx.steps, 300);
        Ok(())
    }

    #[test]
    fn typos_and_strangers_are_named() {
        assert_eq!(
            message(json(r#"{"learning_rat": 1e-4, "max_steps": 10}"#)),
            "unknown key \"learning_rat\"; did you mean 'learning_rate'?; only transformers \
             TrainingArguments fields are accepted (read as transformers TrainingArguments \
             because of \"max_steps\")"
        );
        assert_eq!(
            message(json(
                r#"{"output_dir": "o", "warmup_step": 5, "model_name_or_path": "gpt2"}"#
            )),
            "unknown keys \"warmup_step\" (did you mean 'warmup_steps'?), \"model_name_or_path\"; \
             only transformers TrainingArguments fields are accepted (read as transformers \
             TrainingArguments because of \"output_dir\")"
        );
        assert_eq!(
            message(json(r#"{"schedule": "cosine", "learning_rate": 0.1}"#)),
            "mixes lrsched keys (\"schedule\") with transformers TrainingArguments keys \
             (\"learning_rate\"); use one format or the other"
        );
        assert_eq!(
            message(json(r#"{"lr_scheduler_type": "StepLR", "max_steps": 10}"#)),
            "lr_scheduler_type 'StepLR' is a torch scheduler, not a transformers SchedulerType; \
             use lrsched's own config keys for torch schedulers (read as transformers \
             TrainingArguments because of \"lr_scheduler_type\")"
        );
        assert_eq!(
            message(json(
                r#"{"max_steps": 10, "warmup_steps": 5, "warmup_ratio": 0.1}"#
            )),
            "both \"warmup_steps\" and \"warmup_ratio\" are set: transformers 4 uses \
             warmup_steps, transformers 5 uses warmup_ratio; keep one (read as transformers \
             TrainingArguments because of \"max_steps\")"
        );
    }
}
