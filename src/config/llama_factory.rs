//! LLaMA-Factory's training YAML (hiyouga/LLaMA-Factory @ff6d4d12): its keys go unchanged
//! through `HfArgumentParser` into `TrainingArguments` (src/llamafactory/hparams/
//! parser.py:149-161), so it is read as `TrainingArguments`, with the Trainer's rules of
//! the transformers it pins (where `warmup_ratio` still exists).

use super::document::{Document, Format};
use super::partial::Partial;
use super::training_args;
use crate::error::Result;
use crate::run::Framework;

/// LLaMA-Factory's YAML.
pub const FORMAT: Format = Format {
    name: "LLaMA-Factory config",
    is_marker: |key| MARKERS.contains(&key),
    keys: training_args::keys,
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

fn read(document: &Document<'_>) -> Result<Partial> {
    training_args::read_as(document, Framework::LlamaFactory)
}
