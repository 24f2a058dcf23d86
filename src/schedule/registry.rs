//! The one registry of built-in schedules. It drives `--schedule`, `--set` validation,
//! config files and `lrsched list`: a new schedule is one [`Entry`] and one function.

use std::fmt;

use super::params::{ParamSpec, Params};
use super::{Context, Schedule, combine, hf, keras, optax, torch};
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
    /// `optax.schedules`: absolute, float32; `--warmup` is refused (the `warmup_*`
    /// schedules have their own `warmup_steps`).
    Optax,
    /// `keras.optimizers.schedules`: absolute, float32; `--warmup` is refused
    /// (`CosineDecay` has its own `warmup_steps`).
    Keras,
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Library::Transformers => "transformers",
            Library::Torch => "torch",
            Library::Optax => "optax",
            Library::Keras => "keras",
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

/// Every built-in schedule: transformers first, then torch, each in its library's order.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    hf::ENTRIES
        .iter()
        .chain(torch::ENTRIES.iter())
        .chain(optax::ENTRIES.iter())
        .chain(keras::ENTRIES.iter())
}

/// The entry named exactly `name`, or an error with a suggestion.
pub fn find(name: &str) -> Result<&'static Entry> {
    entries()
        .find(|e| e.name == name || format!("{}:{}", e.library, e.name) == name)
        .ok_or_else(|| {
            let hint = did_you_mean(name, entries().map(|e| e.name));
            Error::input(format!(
                "unknown schedule '{name}'{hint} (lrsched list shows all)"
            ))
        })
}

impl Entry {
    /// Validates `ctx` for this entry and builds the schedule, with torch's `SequentialLR`
    /// warmup in front of torch schedulers when `ctx.warmup > 0`.
    pub fn instantiate(&'static self, ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
        if ctx.warmup > 0 && matches!(self.library, Library::Optax | Library::Keras) {
            return Err(Error::input(format!(
                "{lib}:{name} takes no --warmup: {lib} schedules are absolute and warm up \
                 through their own parameters (lrsched list {lib}:{name})",
                lib = self.library,
                name = self.name
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
        let names: Vec<&str> = entries().map(|e| e.name).collect();
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
