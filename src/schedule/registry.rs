//! The one registry of built-in schedules. It drives `--schedule`, `--set` validation,
//! config files and `lrsched list`: a new schedule is one [`Entry`] and one function.

use std::fmt;

use super::params::{ParamSpec, Params};
use super::{Context, Schedule, combine, deepspeed, hf, megatron, nanogpt, timm, torch};
use crate::error::{Error, Result};
use crate::suggest::did_you_mean;

/// The library a built-in schedule comes from, and whose conventions it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// Hugging Face `transformers` (`get_scheduler(name, ...)`): `--warmup` is
    /// `num_warmup_steps`, `--steps` is `num_training_steps`.
    Transformers,
    /// `torch.optim.lr_scheduler`: `--warmup W` means
    /// `SequentialLR([LambdaLR(warmup W), SCHEDULER], milestones=[W])`.
    Torch,
    /// `deepspeed.runtime.lr_schedules`: `--warmup` is `warmup_num_steps` where the class has
    /// one, `--steps` is `total_num_steps` when not set.
    DeepSpeed,
    /// `timm.scheduler`, stepped per update: `--warmup` is `warmup_t`, `--steps` is
    /// `t_initial` when not set.
    Timm,
    /// Megatron-Core's `OptimizerParamScheduler`, by `lr_decay_style`: `--warmup` is
    /// `lr_warmup_steps`, `--steps` is `lr_decay_steps` when not set.
    Megatron,
    /// nanoGPT's `get_lr(it)`: `--warmup` is `warmup_iters`, `--steps` is `lr_decay_iters`
    /// when not set.
    NanoGpt,
}

impl Library {
    /// What `--warmup` means for the entries of this library that take a warmup, as
    /// `lrsched list NAME` shows it.
    pub fn warmup_doc(self) -> &'static str {
        match self {
            Library::Transformers => "--warmup is num_warmup_steps",
            Library::Torch => {
                "--warmup W: SequentialLR([LambdaLR(warmup W), scheduler], milestones=[W])"
            }
            Library::DeepSpeed => {
                "--warmup W sets warmup_num_steps (give it either way, not both); without \
                 either, DeepSpeed's default 1000"
            }
            Library::Timm => {
                "--warmup W sets warmup_t (give it either way, not both); the warmup ramps \
                 from warmup_lr_init"
            }
            Library::Megatron => {
                "--warmup W sets lr_warmup_steps (give it either way, not both); without \
                 either, 0 (Megatron's --lr-warmup-iters default)"
            }
            Library::NanoGpt => {
                "--warmup W sets warmup_iters (give it either way, not both); without either, 0"
            }
        }
    }
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Library::Transformers => "transformers",
            Library::Torch => "torch",
            Library::DeepSpeed => "deepspeed",
            Library::Timm => "timm",
            Library::Megatron => "megatron",
            Library::NanoGpt => "nanogpt",
        })
    }
}

/// Builds a schedule from the context and resolved parameters.
pub type Build = fn(&Context, &Params) -> Result<Box<dyn Schedule>>;

/// One built-in schedule.
#[derive(Debug)]
pub struct Entry {
    /// The name, exactly as in the home library.
    pub name: &'static str,
    /// The home library.
    pub library: Library,
    /// What the home library calls (`get_cosine_schedule_with_warmup`, `StepLR(...)`).
    pub upstream: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The formula actually implemented, in the multiplier or lr, with its variables.
    pub formula: &'static str,
    /// What happens at and past the horizon.
    pub horizon: &'static str,
    /// Declared parameters (those passed through `--set`).
    pub params: &'static [ParamSpec],
    /// Whether `--warmup` may be used with it.
    pub takes_warmup: bool,
    /// The builder. For torch entries it builds the bare scheduler; the registry wraps it
    /// in the `SequentialLR` warmup.
    pub build: Build,
}

/// Every built-in schedule: transformers, torch, DeepSpeed, timm, Megatron and nanoGPT, each
/// in its library's order.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    hf::ENTRIES
        .iter()
        .chain(torch::ENTRIES.iter())
        .chain(deepspeed::ENTRIES.iter())
        .chain(timm::ENTRIES.iter())
        .chain(megatron::ENTRIES.iter())
        .chain(nanogpt::ENTRIES.iter())
}

/// The entry named exactly `name` (a bare name finds the first entry of that name;
/// `LIBRARY:NAME` finds that library's), or an error with a suggestion.
pub fn find(name: &str) -> Result<&'static Entry> {
    let found = match name.split_once(':') {
        Some(_) => entries().find(|e| format!("{}:{}", e.library, e.name) == name),
        None => entries().find(|e| e.name == name),
    };
    found.ok_or_else(|| {
        if let Some(style) = name.strip_prefix("megatron:") {
            return megatron::unknown_style(style);
        }
        let hint = if name.contains(':') {
            let names: Vec<String> = entries()
                .map(|e| format!("{}:{}", e.library, e.name))
                .collect();
            did_you_mean(name, names.iter().map(String::as_str))
        } else {
            did_you_mean(name, entries().map(|e| e.name))
        };
        Error::input(format!(
            "unknown schedule '{name}'{hint} (lrsched list shows all)"
        ))
    })
}

impl Entry {
    /// The name as `--schedule` takes it back: bare for transformers and torch (today's
    /// spelling), `LIBRARY:NAME` for the other libraries, whose names repeat
    /// (`timm:cosine`, `megatron:cosine`).
    pub fn qualified_name(&self) -> String {
        match self.library {
            Library::Transformers | Library::Torch => self.name.to_string(),
            library => format!("{library}:{}", self.name),
        }
    }

    /// Validates `ctx` for this entry and builds the schedule, with torch's `SequentialLR`
    /// warmup in front of torch schedulers when `ctx.warmup > 0`.
    pub fn instantiate(&'static self, ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
        if ctx.warmup > 0 && !self.takes_warmup && self.library != Library::Transformers {
            return Err(Error::input(format!(
                "{}:{} has no warmup parameter, so --warmup {} has no meaning for it; \
                 drop --warmup (lrsched list {}:{} shows its parameters)",
                self.library, self.name, ctx.warmup, self.library, self.name
            )));
        }
        if ctx.warmup > 0 && !self.takes_warmup {
            return Err(Error::input(format!(
                "schedule '{}' takes no warmup (transformers' get_scheduler ignores it); \
                 use --schedule constant_with_warmup --warmup {} for a warmup to a constant lr",
                self.name, ctx.warmup
            )));
        }
        let inner = (self.build)(ctx, params)?;
        Ok(match self.library {
            Library::Torch if ctx.warmup > 0 => {
                Box::new(combine::SequentialWarmup::new(ctx, inner))
            }
            _ => inner,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parameters_documented() {
        let names: Vec<String> = entries()
            .map(|e| format!("{}:{}", e.library, e.name))
            .collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(name), "{name} is registered twice");
        }
        for entry in entries() {
            assert!(
                !entry.formula.is_empty() && !entry.summary.is_empty(),
                "{}",
                entry.name
            );
            for p in entry.params {
                assert!(!p.doc.is_empty(), "{}.{} has no doc", entry.name, p.name);
            }
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let message = find("constant_with_warmpu")
            .map(|e| e.name.to_string())
            .unwrap_or_else(|e| e.to_string());
        assert_eq!(
            message,
            "unknown schedule 'constant_with_warmpu'; did you mean 'constant_with_warmup'? (lrsched list shows all)"
        );
    }
}
