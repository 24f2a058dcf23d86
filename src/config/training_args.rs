//! transformers `TrainingArguments` saved as JSON (`training_args.to_json_string()`, or
//! the file given to `HfArgumentParser.parse_json_file`), read the way `Trainer` builds its
//! scheduler.

use serde::Deserialize;

use super::document::{Document, Format, is_typo};
use super::partial::{OpenSteps, Origins, Partial};
use super::value;
use crate::error::Result;
use crate::run::{Framework, Run};
use crate::schedule::params::Raw;
use crate::schedule::registry::{self, Library};
use crate::suggest::closest;

/// transformers `TrainingArguments`.
pub const FORMAT: Format = Format {
    id: "training-args",
    name: "transformers TrainingArguments",
    is_marker: |key| TRAINING_ARGUMENTS.contains(&key) && !super::deepspeed::SHARED.contains(&key),
    keys,
    read,
    supersedes: &[],
};

/// `TrainingArguments.lr_scheduler_type`'s default.
pub const HF_DEFAULT_SCHEDULER: &str = "linear";
/// `TrainingArguments.per_device_train_batch_size`'s default.
pub const HF_DEFAULT_BATCH_SIZE: u64 = 8;
/// `TrainingArguments.learning_rate`'s default.
pub const HF_DEFAULT_LEARNING_RATE: f64 = 5e-5;

/// The fields of `TrainingArguments` that shape the schedule; `Trainer.create_scheduler`
/// calls `get_scheduler(lr_scheduler_type, optimizer,
/// num_warmup_steps=args.get_warmup_steps(max_steps), num_training_steps=max_steps,
/// scheduler_specific_kwargs=lr_scheduler_kwargs)` with the optimizer at `learning_rate`.
/// Missing fields take `TrainingArguments`' defaults.
#[derive(Deserialize)]
struct TrainingArguments {
    #[serde(default, deserialize_with = "value::lr")]
    learning_rate: Option<f64>,
    #[serde(default, deserialize_with = "scheduler_type")]
    lr_scheduler_type: Option<String>,
    #[serde(default, deserialize_with = "value::kwargs")]
    lr_scheduler_kwargs: Option<Vec<(String, Raw)>>,
    #[serde(default, deserialize_with = "value::int")]
    max_steps: Option<i64>,
    #[serde(default, deserialize_with = "value::non_negative")]
    warmup_steps: Option<f64>,
    #[serde(default, deserialize_with = "value::ratio")]
    warmup_ratio: Option<f64>,
    #[serde(default, deserialize_with = "value::epochs")]
    num_train_epochs: Option<f64>,
    #[serde(default, deserialize_with = "value::steps")]
    per_device_train_batch_size: Option<u64>,
    #[serde(default, deserialize_with = "value::steps")]
    gradient_accumulation_steps: Option<u64>,
    #[serde(default, deserialize_with = "value::flag")]
    dataloader_drop_last: Option<bool>,
    #[serde(default, deserialize_with = "value::epochs")]
    logging_steps: Option<f64>,
    #[serde(default, deserialize_with = "value::any")]
    deepspeed: Option<serde_json::Value>,
}

/// The keys lrsched reads from a `TrainingArguments` file.
pub fn keys() -> &'static [&'static str] {
    value::field_names::<TrainingArguments>()
}

/// A transformers `SchedulerType` by its value; "SchedulerType.COSINE", what `str()` of the
/// enum gives, is pasted too.
fn scheduler_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    value::text_as(d, |name| {
        let name = name
            .strip_prefix("SchedulerType.")
            .map_or_else(|| name.to_string(), str::to_ascii_lowercase);
        let entry = registry::find(&name).map_err(|e| e.to_string())?;
        if entry.library != Library::Transformers {
            return Err(format!(
                "'{name}' is a {0} scheduler, not a transformers \
                 SchedulerType; use lrsched's own config keys for {0} schedulers",
                entry.library
            ));
        }
        Ok(name)
    })
}

fn read(document: &Document<'_>) -> Result<Partial> {
    read_as(document, Framework::Transformers, &[])
}

/// Reads `TrainingArguments` keys for `framework`, which passes them to the Trainer
/// unchanged (LLaMA-Factory), beside its own keys `also` (which typos may be of too).
pub fn read_as(document: &Document<'_>, framework: Framework, also: &[&str]) -> Result<Partial> {
    typos(document, also)?;
    let args: TrainingArguments = document.deserialize()?;
    let deepspeed = super::deepspeed::named_by(document, args.deepspeed.as_ref())?;
    let (steps, open_steps) = match args.max_steps {
        None => (
            None,
            Some(OpenSteps::NoMaxSteps {
                at: document.location(),
            }),
        ),
        Some(n) if n > 0 => (Some(n.unsigned_abs()), None),
        Some(n) => (
            None,
            Some(OpenSteps::MaxStepsOff {
                max_steps: n,
                at: document.location_of("max_steps"),
            }),
        ),
    };
    let (warmup, warmup_ratio) = warmup(document, &args)?;
    // A missing field is TrainingArguments' default, which the Trainer then uses.
    let run = Run {
        framework,
        batch_size: Some(
            args.per_device_train_batch_size
                .unwrap_or(HF_DEFAULT_BATCH_SIZE),
        ),
        grad_accum: args.gradient_accumulation_steps,
        epochs: args
            .num_train_epochs
            .or(Framework::Transformers.default_epochs()),
        max_steps: args.max_steps,
        drop_last: args.dataloader_drop_last,
        warmup_steps: args.warmup_steps,
        warmup_ratio: args.warmup_ratio,
        ..Run::default()
    };
    let params = args.lr_scheduler_kwargs.unwrap_or_default();
    let origins = Origins {
        expr: None,
        params: document.param_locations("lr_scheduler_kwargs", &params),
    };
    Ok(Partial {
        schedule: Some(
            args.lr_scheduler_type
                .unwrap_or_else(|| HF_DEFAULT_SCHEDULER.to_string()),
        ),
        base_lr: Some(args.learning_rate.unwrap_or(HF_DEFAULT_LEARNING_RATE)),
        steps,
        open_steps,
        warmup,
        warmup_ratio,
        params,
        origins,
        run: Some(run),
        logging_steps: args.logging_steps,
        deepspeed,
        ..Partial::default()
    })
}

/// The warmup as a step count, or as a ratio of the steps still to be resolved.
///
/// transformers 5 reads `warmup_steps` as a count when it is >= 1 (`int(warmup_steps)`) and
/// as a ratio below 1 (`math.ceil(num_training_steps * warmup_steps)`), and copies a
/// deprecated `warmup_ratio` into it; transformers 4 used `warmup_steps` when it was > 0 and
/// `ceil(num_training_steps * warmup_ratio)` otherwise. The two agree unless both are set,
/// which is therefore an error.
fn warmup(document: &Document<'_>, args: &TrainingArguments) -> Result<(Option<u64>, Option<f64>)> {
    let steps = args.warmup_steps.unwrap_or(0.0);
    let ratio = args.warmup_ratio.unwrap_or(0.0);
    if steps > 0.0 && ratio > 0.0 {
        return Err(document.error_at(
            "warmup_ratio",
            "both \"warmup_steps\" and \"warmup_ratio\" are set: transformers 4 uses \
             warmup_steps, transformers 5 uses warmup_ratio; keep one",
        ));
    }
    // Saturating float-to-int: `int()` of a finite count.
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

/// Keys that are no `TrainingArguments` field but a misspelling of one lrsched reads: the
/// run would not get the schedule the file means (transformers' parser rejects them).
///
/// A misspelling is at most two edits away ([`is_typo`]), so that a script's own
/// `learning_rate_decay` or `max_steps_per_epoch`, which only start like a field, are
/// skipped as the script's other arguments are.
fn typos(document: &Document<'_>, also: &[&str]) -> Result<()> {
    let suspects: Vec<(&str, &str)> = document
        .keys()
        .iter()
        .map(String::as_str)
        .filter(|k| !TRAINING_ARGUMENTS.contains(k) && !also.contains(k))
        .filter_map(|k| closest(k, keys().iter().chain(also).copied()).map(|c| (k, c)))
        .filter(|(k, c)| is_typo(k, c))
        .collect();
    let Some((first, _)) = suspects.first() else {
        return Ok(());
    };
    let named = match suspects.as_slice() {
        [(k, c)] => format!("key \"{k}\"; did you mean '{c}'?"),
        _ => format!(
            "keys {}",
            suspects
                .iter()
                .map(|(k, c)| format!("\"{k}\" (did you mean '{c}'?)"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(document.error_at(first, format!("unknown {named}")))
}

/// The field names of transformers' `TrainingArguments` and `Seq2SeqTrainingArguments`,
/// from 4.x through 5.x (fields since removed included, so older files still read).
///
/// Any of them marks a file as `TrainingArguments`. lrsched reads the few fields that
/// shape the schedule and skips the others, as it skips the keys of a script's own
/// argument classes (`model_name_or_path`, ...) that often share the file; a key that is in
/// neither but close to a field lrsched reads is taken for a typo of it.
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
