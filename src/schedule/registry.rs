//! The one registry of built-in schedules. It drives `--schedule`, `--set` validation,
//! config files and `lrsched list`: a new schedule is one [`Entry`] and one function.

use std::fmt;

use super::params::{ParamSpec, Params};
use super::{
    Context, Schedule, combine, deepspeed, keras, megatron, nanogpt, optax, timm, torch,
    transformers,
};
use crate::error::{Error, Result};
use crate::suggest::did_you_mean;

/// The library a built-in schedule comes from, and whose conventions it follows.
///
/// Adding a library: a variant here with its [`Library::name`] and [`Library::conventions`],
/// and one line chaining its `ENTRIES` in [`entries`].
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
    /// `optax.schedules`: absolute, float32; `--warmup` is refused (the `warmup_*`
    /// schedules have their own `warmup_steps`).
    Optax,
    /// `keras.optimizers.schedules`: absolute, float32; `--warmup` is refused
    /// (`CosineDecay` has its own `warmup_steps`).
    Keras,
}

impl Library {
    /// The library's name as users write it, the `LIBRARY` of `LIBRARY:NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Library::Transformers => "transformers",
            Library::Torch => "torch",
            Library::DeepSpeed => "deepspeed",
            Library::Timm => "timm",
            Library::Megatron => "megatron",
            Library::NanoGpt => "nanogpt",
            Library::Optax => "optax",
            Library::Keras => "keras",
        }
    }

    /// What `--warmup` and `--steps` mean for its schedules, for `lrsched list`.
    pub fn conventions(self) -> &'static str {
        match self {
            Library::Transformers => "--warmup is num_warmup_steps, --steps is num_training_steps",
            Library::Torch => {
                "--warmup W puts SequentialLR([LambdaLR(warmup W), scheduler], milestones=[W]) \
                 in front"
            }
            Library::DeepSpeed => {
                "--warmup W sets warmup_num_steps (give it either way, not both; without \
                 either, DeepSpeed's default 1000); --steps is total_num_steps when not set"
            }
            Library::Timm => {
                "--warmup W sets warmup_t (give it either way, not both; the warmup ramps from \
                 warmup_lr_init); --steps is t_initial when not set"
            }
            Library::Megatron => {
                "--warmup W sets lr_warmup_steps (give it either way, not both; without \
                 either, 0, Megatron's --lr-warmup-iters default); --steps is lr_decay_steps \
                 when not set"
            }
            Library::NanoGpt => {
                "--warmup W sets warmup_iters (give it either way, not both; without either, \
                 0); --steps is lr_decay_iters when not set"
            }
            Library::Optax | Library::Keras => {
                "absolute, computed in float32 (--precision f64 for float64); --warmup is \
                 refused: the schedule's own warmup_steps warm up; --steps only sets how many \
                 steps are evaluated, every horizon is a parameter"
            }
        }
    }

    /// One line for `lrsched list`'s heading of the library: what `--warmup` means there.
    pub fn heading(self) -> &'static str {
        match self {
            Library::Transformers => "--warmup is num_warmup_steps, --steps is num_training_steps",
            Library::Torch => "--warmup W puts SequentialLR's linear warmup in front",
            Library::DeepSpeed => "--warmup is warmup_num_steps",
            Library::Timm => "stepped per update; --warmup is warmup_t",
            Library::Megatron => "--warmup is lr_warmup_steps",
            Library::NanoGpt => "--warmup is warmup_iters",
            Library::Optax | Library::Keras => "absolute, float32; own warmup_steps, no --warmup",
        }
    }

    /// Whether a bare name of this library means its schedule even when another library
    /// has one of the same name: true for transformers and torch, whose bare names lrsched
    /// accepted before it knew other libraries, so that `cosine` keeps its meaning.
    pub fn owns_bare_names(self) -> bool {
        matches!(self, Library::Transformers | Library::Torch)
    }
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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

/// Every built-in schedule, library by library (transformers, torch, DeepSpeed, timm,
/// Megatron, nanoGPT), each in its library's order.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    transformers::ENTRIES
        .iter()
        // One line per library, in the order `lrsched list` shows them.
        .chain(torch::ENTRIES.iter())
        .chain(deepspeed::ENTRIES.iter())
        .chain(timm::ENTRIES.iter())
        .chain(megatron::ENTRIES.iter())
        .chain(nanogpt::ENTRIES.iter())
        .chain(optax::ENTRIES.iter())
        .chain(keras::ENTRIES.iter())
}

/// The libraries of [`entries`], in their order.
pub fn libraries() -> impl Iterator<Item = Library> {
    libraries_of(entries())
}

/// The distinct libraries of `entries`, in order.
fn libraries_of(entries: impl Iterator<Item = &'static Entry>) -> impl Iterator<Item = Library> {
    let mut seen = Vec::new();
    entries.map(|e| e.library).filter(move |library| {
        let new = !seen.contains(library);
        if new {
            seen.push(*library);
        }
        new
    })
}

/// The library named `name` (`torch`), if there is one.
pub fn library(name: &str) -> Option<Library> {
    libraries().find(|l| l.name() == name)
}

/// The entry that `name` means, or an error naming the candidates or a suggestion.
///
/// `LIBRARY:NAME` means the entry NAME of LIBRARY. A bare NAME means transformers' or
/// torch's entry of that name when there is one (see [`Library::owns_bare_names`]), else
/// the one entry of that name in any library; found in several other libraries, it is
/// ambiguous and the error lists their `LIBRARY:NAME`s.
pub fn find(name: &str) -> Result<&'static Entry> {
    let all: Vec<&'static Entry> = entries().collect();
    lookup(name, &all, Library::owns_bare_names)
}

/// [`find`] among `entries`, with the libraries whose bare names win given by
/// `owns_bare_names`.
fn lookup(
    name: &str,
    entries: &[&'static Entry],
    owns_bare_names: fn(Library) -> bool,
) -> Result<&'static Entry> {
    let found = match name.split_once(':') {
        Some((prefix, bare)) => {
            let known: Vec<Library> = libraries_of(entries.iter().copied()).collect();
            let Some(library) = known.iter().copied().find(|l| l.name() == prefix) else {
                let names: Vec<&str> = known.iter().map(|l| l.name()).collect();
                let hint = did_you_mean(prefix, names.iter().copied());
                return Err(Error::input(format!(
                    "unknown library '{prefix}' in schedule '{name}'{hint} (libraries: {}; \
                     lrsched list shows all)",
                    names.join(", ")
                )));
            };
            let found = entries
                .iter()
                .find(|e| e.library == library && e.name == bare)
                .copied();
            // Megatron names its own error for a decay style it lacks.
            if library == Library::Megatron && found.is_none() {
                return Err(megatron::unknown_style(bare));
            }
            // The right name under the wrong library (`transformers:StepLR`).
            let elsewhere: Vec<String> = entries
                .iter()
                .filter(|e| e.name == bare)
                .map(|e| e.qualified())
                .collect();
            if found.is_none() && !elsewhere.is_empty() {
                return Err(Error::input(format!(
                    "unknown schedule '{name}': {library} has no {bare}; did you mean '{}'? \
                     (lrsched list shows all)",
                    elsewhere.join("' or '")
                )));
            }
            found
        }
        None => {
            let candidates: Vec<&'static Entry> =
                entries.iter().filter(|e| e.name == name).copied().collect();
            if let Some(owner) = candidates.iter().find(|e| owns_bare_names(e.library)) {
                return Ok(owner);
            }
            if candidates.len() > 1 {
                let qualified: Vec<String> = candidates.iter().map(|e| e.qualified()).collect();
                return Err(Error::input(format!(
                    "schedule '{name}' is ambiguous: {}; write one of these (lrsched list \
                     shows all)",
                    qualified.join(", ")
                )));
            }
            candidates.first().copied()
        }
    };
    found.ok_or_else(|| {
        // Both spellings of every entry; an ambiguous bare name suggested leads to the
        // error that lists its candidates.
        let spellings: Vec<String> = entries
            .iter()
            .flat_map(|e| [e.name.to_string(), e.qualified()])
            .collect();
        let hint = did_you_mean(name, spellings.iter().map(String::as_str));
        Error::input(format!(
            "unknown schedule '{name}'{hint} (lrsched list shows all)"
        ))
    })
}

impl Entry {
    /// `LIBRARY:NAME`, which always names this entry.
    pub fn qualified(&self) -> String {
        format!("{}:{}", self.library, self.name)
    }

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
        if ctx.warmup > 0 && !self.takes_warmup && self.library != Library::Transformers {
            return Err(Error::input(format!(
                "{} has no warmup parameter, so --warmup {} has no meaning for it; drop \
                 --warmup (lrsched list {} shows its parameters)",
                self.qualified(),
                ctx.warmup,
                self.qualified()
            )));
        }
        if ctx.warmup > 0 && !self.takes_warmup {
            return Err(Error::input(format!(
                "schedule '{}' takes no warmup (transformers' get_scheduler ignores it); \
                 use --schedule constant_with_warmup --warmup {} for a warmup to a constant lr",
                self, ctx.warmup
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

/// The name lrsched writes for the entry (in `lrsched list`, `json`, `check`): the bare
/// name for transformers and torch, whose bare names always resolve to them, and
/// `LIBRARY:NAME` for the others, whose bare names may become ambiguous.
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.library.owns_bare_names() {
            f.write_str(self.name)
        } else {
            write!(f, "{}:{}", self.library, self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `find` gives, as text: the entry's `LIBRARY:NAME` or the error.
    fn found(name: &str) -> String {
        find(name)
            .map(Entry::qualified)
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn names_are_unique_and_parameters_documented() {
        let qualified: Vec<String> = entries().map(Entry::qualified).collect();
        for (i, name) in qualified.iter().enumerate() {
            assert!(
                !qualified[i + 1..].contains(name),
                "{name} is registered twice"
            );
        }
        let owned: Vec<&str> = entries()
            .filter(|e| e.library.owns_bare_names())
            .map(|e| e.name)
            .collect();
        for (i, name) in owned.iter().enumerate() {
            assert!(
                !owned[i + 1..].contains(name),
                "bare '{name}' is owned twice"
            );
        }
        for entry in entries() {
            assert!(
                !entry.formula.is_empty() && !entry.summary.is_empty(),
                "{entry}"
            );
            assert!(
                !entry.name.contains(':'),
                "{entry}: ':' separates the library"
            );
            for p in entry.params {
                assert!(!p.doc.is_empty(), "{entry}.{} has no doc", p.name);
            }
        }
    }

    #[test]
    fn every_entry_is_found_by_both_spellings() {
        for entry in entries() {
            for spelling in [entry.to_string(), entry.qualified()] {
                assert_eq!(found(&spelling), entry.qualified(), "{spelling}");
            }
        }
        for library in libraries() {
            assert_eq!(super::library(library.name()), Some(library));
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        assert_eq!(
            found("constant_with_warmpu"),
            "unknown schedule 'constant_with_warmpu'; did you mean 'constant_with_warmup'? (lrsched list shows all)"
        );
        assert_eq!(
            found("torch:StepRL"),
            "unknown schedule 'torch:StepRL'; did you mean 'torch:StepLR'? (lrsched list shows all)"
        );
        assert_eq!(
            found("torch:cosine"),
            "unknown schedule 'torch:cosine': torch has no cosine; did you mean \
             'transformers:cosine' or 'timm:cosine' or 'megatron:cosine'? (lrsched list shows \
             all)"
        );
        let known: Vec<&str> = libraries().map(Library::name).collect();
        assert_eq!(
            found("pytorch:StepLR"),
            format!(
                "unknown library 'pytorch' in schedule 'pytorch:StepLR'; did you mean 'torch'? \
                 (libraries: {}; lrsched list shows all)",
                known.join(", ")
            )
        );
    }

    fn no_build(_: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
        Err(Error::input("not built"))
    }

    /// An entry for the lookup rules alone.
    const fn fake(name: &'static str, library: Library) -> Entry {
        Entry {
            name,
            library,
            upstream: "",
            summary: "",
            formula: "",
            horizon: "",
            params: &[],
            takes_warmup: true,
            build: no_build,
        }
    }

    static TRANSFORMERS_COSINE: Entry = fake("cosine", Library::Transformers);
    static TORCH_COSINE: Entry = fake("cosine", Library::Torch);
    static TORCH_STEP: Entry = fake("step", Library::Torch);

    /// A bare name shared by libraries that do not own their bare names is ambiguous; one
    /// that owns it wins; one found in a single library is that library's. Only two
    /// libraries exist to play the roles, so which owns bare names is the test's choice.
    #[test]
    fn bare_names_resolve_by_ownership_then_uniqueness() {
        let both = [&TRANSFORMERS_COSINE, &TORCH_COSINE, &TORCH_STEP];
        let resolve = |name: &str, owns: fn(Library) -> bool| {
            lookup(name, &both, owns)
                .map(Entry::qualified)
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(
            resolve("cosine", |_| false),
            "schedule 'cosine' is ambiguous: transformers:cosine, torch:cosine; write one of \
             these (lrsched list shows all)"
        );
        assert_eq!(
            resolve("cosine", |l| l == Library::Transformers),
            "transformers:cosine"
        );
        assert_eq!(resolve("cosine", |l| l == Library::Torch), "torch:cosine");
        assert_eq!(resolve("torch:cosine", |_| false), "torch:cosine");
        assert_eq!(
            resolve("torch:cosine", |_| false),
            resolve("torch:cosine", |l| l == Library::Transformers)
        );
        assert_eq!(resolve("step", |_| false), "torch:step");
        assert_eq!(
            resolve("transformers:step", |_| false),
            "unknown schedule 'transformers:step': transformers has no step; did you mean \
             'torch:step'? (lrsched list shows all)"
        );
        // An ambiguous bare name is suggested too: the user then sees its candidates.
        assert_eq!(
            resolve("cosines", |_| false),
            "unknown schedule 'cosines'; did you mean 'cosine'? (lrsched list shows all)"
        );
        assert_eq!(
            resolve("torch:steps", |_| false),
            "unknown schedule 'torch:steps'; did you mean 'torch:step'? (lrsched list shows all)"
        );
    }

    #[test]
    fn entries_are_written_bare_where_the_bare_name_is_theirs() {
        for entry in entries() {
            let want = if entry.library.owns_bare_names() {
                entry.name.to_string()
            } else {
                entry.qualified()
            };
            assert_eq!(entry.to_string(), want);
        }
        assert_eq!(TORCH_STEP.qualified(), "torch:step");
    }
}
