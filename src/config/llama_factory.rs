//! LLaMA-Factory's training YAML (hiyouga/LLaMA-Factory @ff6d4d12): its keys go unchanged
//! through `HfArgumentParser` into `TrainingArguments` (src/llamafactory/hparams/
//! parser.py:149-161), so it is read as `TrainingArguments`, with the Trainer's rules of
//! the transformers it pins (where `warmup_ratio` still exists). Its `DataArguments` that
//! size the training set (`dataset`, `max_samples`, `mix_strategy`, `val_size`,
//! `streaming`, `packing`) go with the run, which turns `--samples` into the training
//! samples as its data loader does (`run::DataArgs`).

use serde::Deserialize;
use serde_json::Value as Json;

use super::document::{Document, Format};
use super::partial::Partial;
use super::{training_args, value};
use crate::error::Result;
use crate::run::{DataArgs, Framework};

/// LLaMA-Factory's YAML.
pub const FORMAT: Format = Format {
    id: "llama-factory",
    name: "LLaMA-Factory config",
    is_marker: |key| MARKERS.contains(&key),
    keys,
    read,
    supersedes: &[training_args::FORMAT.name],
};

/// Keys of LLaMA-Factory's own argument classes (ModelArguments, DataArguments,
/// FinetuningArguments) that no other format has.
const MARKERS: &[&str] = &[
    "finetuning_type",
    "stage",
    "template",
    "cutoff_len",
    "lora_target",
    "max_samples",
    "dataset_dir",
];

/// The `DataArguments` fields (hparams/data_args.py) that size the training set. The YAML
/// reaches the dataclasses through `HfArgumentParser.parse_dict` (parser.py:149-152), which
/// converts no type: a number written as a string stays one and fails, so it is an error.
#[derive(Deserialize)]
struct DataArguments {
    #[serde(default, deserialize_with = "value::any")]
    dataset: Option<Json>,
    #[serde(default, deserialize_with = "value::warmup")]
    max_samples: Option<u64>,
    #[serde(default, deserialize_with = "value::epochs")]
    val_size: Option<f64>,
    #[serde(default, deserialize_with = "value::text")]
    mix_strategy: Option<String>,
    #[serde(default, deserialize_with = "value::any")]
    interleave_probs: Option<Json>,
    #[serde(default, deserialize_with = "value::flag")]
    streaming: Option<bool>,
    #[serde(default, deserialize_with = "value::flag")]
    packing: Option<bool>,
    #[serde(default, deserialize_with = "value::flag")]
    neat_packing: Option<bool>,
    #[serde(default, deserialize_with = "value::text")]
    stage: Option<String>,
}

/// `mix_strategy`'s values (data_args.py:66).
const MIX_STRATEGIES: &[&str] = &[
    "concat",
    "interleave_under",
    "interleave_over",
    "interleave_once",
];

/// The keys lrsched reads from a LLaMA-Factory config: the `TrainingArguments` fields and
/// the data arguments.
pub fn keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        training_args::keys()
            .iter()
            .chain(data_keys())
            .copied()
            .collect()
    })
}

fn data_keys() -> &'static [&'static str] {
    value::field_names::<DataArguments>()
}

fn read(document: &Document<'_>) -> Result<Partial> {
    let mut partial = training_args::read_as(document, Framework::LlamaFactory, data_keys())?;
    let args: DataArguments = document.deserialize()?;
    let data = data_args(document, args)?;
    if let Some(run) = partial.run.as_mut() {
        run.data = Some(data);
    }
    Ok(partial)
}

/// The data arguments, checked as `DataArguments.__post_init__` checks them
/// (data_args.py:147-189).
fn data_args(document: &Document<'_>, args: DataArguments) -> Result<DataArgs> {
    // data_args.py:148-153: a comma-separated string, or a list as parse_dict leaves it.
    let datasets = match &args.dataset {
        None => Vec::new(),
        Some(Json::String(s)) => s.split(',').map(|d| d.trim().to_string()).collect(),
        Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
            .iter()
            .filter_map(Json::as_str)
            .map(|d| d.trim().to_string())
            .collect(),
        Some(other) => {
            return Err(document.error_at(
                "dataset",
                format!(
                    "\"dataset\" must be dataset names, comma-separated, not {other}"
                ),
            ));
        }
    };
    if let Some(mix) = &args.mix_strategy
        && !MIX_STRATEGIES.contains(&mix.as_str())
    {
        // data_utils.py:81-82 raises on any other.
        return Err(document.error_at(
            "mix_strategy",
            format!(
                "\"mix_strategy\" '{mix}' is none of {}; LLaMA-Factory raises \"Unknown mixing \
                 strategy\"",
                MIX_STRATEGIES.join(", ")
            ),
        ));
    }
    let interleave_probs = args.interleave_probs.is_some();
    if interleave_probs && args.mix_strategy.as_deref().unwrap_or("concat") == "concat" {
        return Err(document.error_at(
            "interleave_probs",
            "\"interleave_probs\" needs an interleaving mix_strategy; LLaMA-Factory raises \
             \"`interleave_probs` is only valid for interleaved mixing.\" (data_args.py:165-167)",
        ));
    }
    let streaming = args.streaming.unwrap_or(false);
    let val = args.val_size.unwrap_or(0.0);
    if streaming && val > 1e-6 && val < 1.0 {
        return Err(document.error_at(
            "val_size",
            "\"val_size\" is a ratio, and LLaMA-Factory raises \"Streaming mode should have an \
             integer val size.\" (data_args.py:176-177)",
        ));
    }
    if streaming && args.max_samples.is_some() {
        return Err(document.error_at(
            "max_samples",
            "\"max_samples\" with streaming: LLaMA-Factory raises \"`max_samples` is \
             incompatible with `streaming`.\" (data_args.py:179-180)",
        ));
    }
    // data_args.py:185-186: neat_packing turns packing on; pretraining packs its texts
    // (PretrainDatasetProcessor, data/loader.py:198-199).
    let packed = args.packing.unwrap_or(false)
        || args.neat_packing.unwrap_or(false)
        || args.stage.as_deref() == Some("pt");
    let locations = [
        "dataset",
        "max_samples",
        "val_size",
        "interleave_probs",
        "streaming",
    ]
        .into_iter()
        .map(|key| (key.to_string(), document.location_of(key)))
        .filter(|(_, at)| at.line_column.is_some())
        .collect();
    if datasets.iter().any(String::is_empty) {
        return Err(document.error_at("dataset", "\"dataset\" has an empty name"));
    }
    Ok(DataArgs {
        datasets,
        max_samples: args.max_samples,
        val_size: args.val_size.filter(|&v| v > 0.0),
        mix_strategy: args.mix_strategy,
        interleave_probs,
        streaming,
        packed,
        locations,
    })
}
