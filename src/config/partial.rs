//! The layer every source of a description gives: flags, `--set`, and each config format
//! fill the same [`Partial`], which the description layer (description.rs) merges and
//! resolves.

use std::fmt;

use super::deepspeed::Beside;
use crate::run::Run;
use crate::run::runtime::Runtime;
use crate::schedule::params::Raw;

/// A schedule description as given, every part optional: from flags, from a config file,
/// or both merged (flags win; description.rs holds the merge policy).
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
    /// `--var NAME=VALUE` (a config file's `vars`): values of an expression's free names,
    /// as Python literals, in order.
    pub vars: Vec<(String, String)>,
    /// A warmup given as a fraction of the steps (a `TrainingArguments` file's
    /// `warmup_ratio`), resolved as transformers does, `ceil(steps * ratio)`, once the steps
    /// are known; an explicit `warmup` replaces it.
    pub warmup_ratio: Option<f64>,
    /// Why the steps must be given when a config file leaves them to the run; resolving
    /// without steps is then an error with this reason instead of the default 100.
    pub open_steps: Option<OpenSteps>,
    /// Where a config file wrote the values that are checked only once the layers are
    /// merged (the expression, the parameters), so that their errors can name the place.
    pub origins: Origins,
    /// What a training framework's config says about the run (batch size, epochs,
    /// `max_steps`, warmup, ...), which `--samples` turns into optimizer updates by that
    /// framework's rules; the run flags win over it.
    pub run: Option<Run>,
    /// The config's `logging_steps`, for `--logged`.
    pub logging_steps: Option<f64>,
    /// The DeepSpeed config the run uses: beside a TrainingArguments config (its
    /// `deepspeed` key, or a second `--config`), whose values fill its `"auto"`; or a
    /// DeepSpeed config read alone, which must have none.
    pub deepspeed: Option<Beside>,
    /// The runtime a config names (what `lrsched json --samples` writes), used when
    /// `--runtime` is not given.
    pub runtime: Option<Runtime>,
}

/// Where the values of a [`Partial`] were given, so that errors checked after merging and
/// `check`'s lints can name the key as the user wrote it and the place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    /// Where `expr` is written, when a file gives it.
    pub expr: Option<Location>,
    /// Where each of [`Partial::params`] is written, by index; a missing or `None` entry is
    /// a parameter no file gave (`--set`).
    pub params: Vec<Option<Source>>,
    /// Where the base lr is given (`--base-lr`, `optimizer.params.lr`, `learning_rate`).
    pub base_lr: Option<Source>,
    /// Where the warmup is given, as steps or as a ratio (`--warmup`, `warmup_ratio`,
    /// `lr_scheduler.num_warmup_steps`).
    pub warmup: Option<Source>,
    /// Where the steps are given (`--steps`, `max_steps`).
    pub steps: Option<Source>,
}

impl Origins {
    /// Where the `index`-th parameter is written, if a file gave it.
    pub fn param(&self, index: usize) -> Option<&Location> {
        self.params
            .get(index)
            .and_then(Option::as_ref)
            .and_then(|s| s.at.as_ref())
    }
}

/// Where one value was given: a flag, or a key of a config file at its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The flag (`--warmup`), or the key as the file spells it, its path dotted
    /// (`lr_scheduler.num_warmup_steps`, `scheduler.params.warmup_max_lr`).
    pub key: String,
    /// Where the file writes it; `None` for a flag.
    pub at: Option<Location>,
}

impl Source {
    /// A value given with `flag` on the command line.
    pub fn flag(flag: &str) -> Self {
        Source {
            key: flag.to_string(),
            at: None,
        }
    }

    /// A value a config file writes at `key`, at `at`.
    pub fn config(key: impl Into<String>, at: Location) -> Self {
        Source {
            key: key.into(),
            at: Some(at),
        }
    }
}

/// `lr_scheduler.num_warmup_steps at cfg.yaml:62:3`, or the flag alone.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{} at {at}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

/// Where a config value is: the file, and the line and column when the value is in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it (`<stdin>` for `--config -`).
    pub file: String,
    /// 1-based line and column (in characters), if the value is written in the file.
    pub line_column: Option<(usize, usize)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_column {
            Some((line, column)) => write!(f, "{}:{line}:{column}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// Why a config file leaves the number of steps to the run: its framework derives them from
/// epochs and the dataset size, which a schedule description does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenSteps {
    /// A `TrainingArguments` file without `max_steps`.
    NoMaxSteps {
        /// The file.
        at: Location,
    },
    /// A `TrainingArguments` file whose `max_steps` is 0 or less (-1 is its default), which
    /// transformers reads as "count the steps from `num_train_epochs`".
    MaxStepsOff {
        /// The value written.
        max_steps: i64,
        /// Where it is written.
        at: Location,
    },
}

impl fmt::Display for OpenSteps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const WHY: &str = "so transformers takes the number of steps from num_train_epochs \
                           and the dataset size, which lrsched cannot know";
        match self {
            OpenSteps::NoMaxSteps { at } => {
                write!(f, "config {at}: there is no \"max_steps\", {WHY}")
            }
            OpenSteps::MaxStepsOff { max_steps, at } => {
                write!(f, "config {at}: \"max_steps\" is {max_steps}, {WHY}")
            }
        }
    }
}
