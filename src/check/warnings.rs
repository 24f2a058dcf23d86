//! The warnings of `check`: what is legal but usually a mistake, each of a stable [`Kind`]
//! that `--allow KIND` silences.

use std::fmt;

use crate::config::Source;
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::suggest::did_you_mean;

/// The kind of a warning: its stable name, what `--allow` takes and JSON gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// [`Warning::ZeroFirstLr`].
    ZeroFirstLr,
    /// [`Warning::ZeroLr`].
    ZeroLr,
    /// [`Warning::WarmupTooLong`].
    WarmupTooLong,
    /// [`Warning::WarmupIgnored`].
    WarmupIgnored,
    /// [`Warning::RisesPastHorizon`].
    RisesPastHorizon,
    /// [`Warning::WarmupJump`].
    WarmupJump,
    /// [`Warning::HorizonMismatch`].
    HorizonMismatch,
    /// [`Warning::WarmupMaxLr`].
    WarmupMaxLr,
    /// [`Warning::AccelerateStepping`].
    AccelerateStepping,
    /// [`Warning::PastDefinedEnd`].
    PastDefinedEnd,
}

impl Kind {
    /// Every kind, in the order `check --help` and the README list them.
    pub const ALL: [Kind; 10] = [
        Kind::ZeroFirstLr,
        Kind::ZeroLr,
        Kind::WarmupTooLong,
        Kind::WarmupIgnored,
        Kind::RisesPastHorizon,
        Kind::WarmupJump,
        Kind::HorizonMismatch,
        Kind::WarmupMaxLr,
        Kind::AccelerateStepping,
        Kind::PastDefinedEnd,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ZeroFirstLr => "zero_first_lr",
            Kind::ZeroLr => "zero_lr",
            Kind::WarmupTooLong => "warmup_too_long",
            Kind::WarmupIgnored => "warmup_ignored",
            Kind::WarmupJump => "warmup_jump",
            Kind::RisesPastHorizon => "rises_past_horizon",
            Kind::HorizonMismatch => "horizon_mismatch",
            Kind::WarmupMaxLr => "warmup_max_lr",
            Kind::AccelerateStepping => "accelerate_stepping",
            Kind::PastDefinedEnd => "past_defined_end",
        }
    }

    /// One line on what the kind warns about, for `check --help`.
    pub fn summary(self) -> &'static str {
        match self {
            Kind::ZeroFirstLr => "the lr at step 0 is 0, so the first update changes nothing",
            Kind::ZeroLr => "steps at lr 0 (updates, with --samples), unless step 0 alone",
            Kind::WarmupTooLong => "the warmup is at least as long as the run",
            Kind::WarmupIgnored => "a config's warmup that the Trainer ignores (constant)",
            Kind::WarmupJump => "the lr jumps where the warmup hands over to the schedule",
            Kind::RisesPastHorizon => "the lr rises again past the schedule's horizon",
            Kind::HorizonMismatch => {
                "the horizon (T_max, total_num_steps, ...) does not fit the run's steps"
            }
            Kind::WarmupMaxLr => "DeepSpeed's warmup_max_lr is not the optimizer's lr",
            Kind::AccelerateStepping => {
                "--runtime accelerate steps the scheduler once per process per update"
            }
            Kind::PastDefinedEnd => "steps past the schedule's last defined step",
        }
    }

    /// The kind named `name`, for `--allow`: an unknown name is an error listing the kinds.
    pub fn parse(name: &str) -> Result<Kind> {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.name() == name) {
            return Ok(kind);
        }
        let names = Kind::ALL.map(Kind::name);
        if super::summary::FAULT_KINDS.contains(&name) {
            return Err(Error::input(format!(
                "--allow {name}: '{name}' is a failure, not a warning, and cannot be allowed \
                 (the warning kinds are {})",
                names.join(", ")
            )));
        }
        Err(Error::input(format!(
            "unknown warning kind '{name}' for --allow{} (the kinds are {})",
            did_you_mean(name, names),
            names.join(", ")
        )))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something that is legal but usually a mistake. Each is checked over the evaluated steps
/// `0 .. steps` (with `--samples`, the run's optimizer updates) only.
#[derive(Clone, Debug, PartialEq)]
pub enum Warning {
    /// The lr at step 0 is 0, so the first optimizer step changes nothing: a linear warmup
    /// starts at 0 in transformers and in torch's `LambdaLR` example.
    ZeroFirstLr,
    /// Steps other than a lone step 0 get lr 0 (step 0 alone is [`Warning::ZeroFirstLr`],
    /// which every linear warmup gives): DeepSpeed's warmups that start one step late, a
    /// decay that reaches 0 inside the run, a whole epoch of warmup under Lightning.
    ZeroLr {
        /// How many steps get lr 0.
        count: u64,
        /// Out of how many.
        of: u64,
        /// The first steps at lr 0, as `(first, last)` runs, in order.
        runs: Vec<(u64, u64)>,
        /// Whether more runs follow those.
        more: bool,
        /// `"step"`, or `"update"` for a run.
        unit: &'static str,
        /// Why, where lrsched knows (DeepSpeed's warmup one step behind).
        why: Option<&'static str>,
    },
    /// The warmup is at least as long as the run: the lr is still warming up at the end.
    WarmupTooLong {
        /// The warmup, in scheduler steps.
        warmup: u64,
        /// Where it is given (a flag, or a config key and its place).
        source: Option<Source>,
        /// Which default it is, when nothing gives it (`DeepSpeed's default
        /// warmup_num_steps`).
        default: Option<&'static str>,
        /// The run's length, as the message says it (`the run (31 updates)`).
        run: String,
        /// What to do, when the run's length was not given.
        hint: Option<String>,
    },
    /// At `step`, at or past the schedule's [`Schedule::horizon`](crate::Schedule::horizon), the lr rises above the
    /// previous step's: a cosine evaluated past its `T_max` comes back up.
    RisesPastHorizon {
        /// The horizon.
        horizon: u64,
        /// The first step at or past the horizon whose lr is above the previous step's.
        step: u64,
        /// The lr at `step - 1`.
        from: f64,
        /// The lr at `step`.
        to: f64,
    },
    /// With `--warmup W`, the change from step `W - 1` to step `W`, where the warmup hands
    /// over to the schedule, is larger than both one warmup step (`base_lr / W`) and every
    /// step-to-step change of the schedule after it: torch's `CyclicLR` and `OneCycleLR`
    /// start at their own absolute lr, whatever the warmup reached.
    WarmupJump {
        /// `W`.
        step: u64,
        /// The lr at `W - 1`.
        from: f64,
        /// The lr at `W`.
        to: f64,
        /// The larger of one warmup step and the largest later change.
        expected: f64,
    },
    /// The schedule's horizon parameter is not the number of scheduler steps the run makes:
    /// sized in epochs while stepped per update, or counting micro-batches.
    HorizonMismatch {
        /// `T_max=3`: the parameter and its value.
        horizon: String,
        /// Where it is given; `None` for the parameter's default.
        source: Option<Source>,
        /// The scheduler steps the run's updates use, and how it is stepped (`96
        /// scheduler steps, stepped once per update`).
        run: String,
        /// The likely cause, or what it does to the run.
        why: String,
    },
    /// A Trainer run's config gives a warmup to a schedule that takes none (`constant`):
    /// the Trainer passes it to `get_scheduler`, which ignores it.
    WarmupIgnored {
        /// The schedule.
        schedule: &'static str,
        /// The warmup given.
        warmup: u64,
        /// Where it is given.
        source: Option<Source>,
    },
    /// DeepSpeed's `warmup_max_lr`, which the schedule sets as the lr, is not the
    /// optimizer's lr.
    WarmupMaxLr {
        /// The DeepSpeed class.
        class: &'static str,
        /// `warmup_max_lr`.
        warmup_max_lr: f64,
        /// Where it is given; `None` when it is DeepSpeed's default.
        source: Option<Source>,
        /// The optimizer's lr.
        lr: f64,
        /// Where that is given.
        lr_source: Option<Source>,
    },
    /// accelerate steps the scheduler once per process per update, and the schedule is not
    /// sized for it.
    AccelerateStepping {
        /// Processes.
        processes: u64,
        /// The run's updates.
        updates: u64,
        /// Scheduler steps those updates make.
        scheduler_steps: u64,
        /// What it does: the update at which the horizon or the warmup is reached.
        effects: Vec<String>,
    },
    /// Steps `step ..` lie past the last step the home library defines
    /// ([`Schedule::last_defined_step`](crate::Schedule::last_defined_step)): torch's `OneCycleLR` raises there.
    PastDefinedEnd {
        /// The first step past the end.
        step: u64,
        /// The last defined step.
        last: u64,
    },
}

impl Warning {
    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            Warning::ZeroFirstLr => Kind::ZeroFirstLr,
            Warning::ZeroLr { .. } => Kind::ZeroLr,
            Warning::WarmupTooLong { .. } => Kind::WarmupTooLong,
            Warning::WarmupIgnored { .. } => Kind::WarmupIgnored,
            Warning::RisesPastHorizon { .. } => Kind::RisesPastHorizon,
            Warning::WarmupJump { .. } => Kind::WarmupJump,
            Warning::HorizonMismatch { .. } => Kind::HorizonMismatch,
            Warning::WarmupMaxLr { .. } => Kind::WarmupMaxLr,
            Warning::AccelerateStepping { .. } => Kind::AccelerateStepping,
            Warning::PastDefinedEnd { .. } => Kind::PastDefinedEnd,
        }
    }

    /// The first step the warning is about (0 for the lints about the whole run).
    pub fn step(&self) -> u64 {
        match self {
            Warning::ZeroLr { runs, .. } => runs.first().map_or(0, |r| r.0),
            Warning::RisesPastHorizon { step, .. }
            | Warning::WarmupJump { step, .. }
            | Warning::PastDefinedEnd { step, .. } => *step,
            Warning::ZeroFirstLr
            | Warning::WarmupTooLong { .. }
            | Warning::WarmupIgnored { .. }
            | Warning::HorizonMismatch { .. }
            | Warning::WarmupMaxLr { .. }
            | Warning::AccelerateStepping { .. } => 0,
        }
    }

    /// Where the value the warning is about is given, when it came from a config file or a
    /// flag.
    pub fn source(&self) -> Option<&Source> {
        match self {
            Warning::HorizonMismatch { source, .. }
            | Warning::WarmupTooLong { source, .. }
            | Warning::WarmupIgnored { source, .. } => source.as_ref(),
            Warning::WarmupMaxLr {
                source, lr_source, ..
            } => source.as_ref().or(lr_source.as_ref()),
            _ => None,
        }
    }
}

/// `(KEY at FILE:LINE:COL)` or `(--flag)`, or nothing.
fn paren(source: Option<&Source>) -> String {
    source.map_or_else(String::new, |s| format!(" ({s})"))
}

/// `steps 0, 1, 84-95, ...`.
fn runs_text(unit: &str, count: u64, runs: &[(u64, u64)], more: bool) -> String {
    let mut parts: Vec<String> = runs
        .iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}-{b}"),
        })
        .collect();
    if more {
        parts.push("...".into());
    }
    let plural = if count == 1 { "" } else { "s" };
    format!("{unit}{plural} {}", parts.join(", "))
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ZeroFirstLr => f.write_str(
                "the lr at step 0 is 0.0, so the first optimizer step changes nothing \
                 (a linear warmup starts at 0)",
            ),
            Warning::ZeroLr {
                count,
                of,
                runs,
                more,
                unit,
                why,
            } => {
                write!(
                    f,
                    "{count} of {of} {unit}s get lr 0.0 and change nothing: {}",
                    runs_text(unit, *count, runs, *more)
                )?;
                if let Some(why) = why {
                    write!(f, " ({why})")?;
                }
                Ok(())
            }
            Warning::WarmupTooLong {
                warmup,
                source,
                default,
                run,
                hint,
            } => {
                let named = match (source, default) {
                    (Some(source), _) => format!(" ({source})"),
                    (None, Some(default)) => format!(" ({default})"),
                    (None, None) => String::new(),
                };
                let steps = if *warmup == 1 { "step" } else { "steps" };
                write!(
                    f,
                    "the warmup of {warmup} {steps}{named} is at least as long as {run}: the \
                     lr is still warming up at the last step"
                )?;
                if let Some(hint) = hint {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            Warning::RisesPastHorizon {
                horizon,
                step,
                from,
                to,
            } => write!(
                f,
                "the lr rises again past the schedule's horizon at step {horizon}: \
                 {} at step {} -> {} at step {step}",
                py_repr(*from),
                step - 1,
                py_repr(*to)
            ),
            Warning::WarmupJump {
                step,
                from,
                to,
                expected,
            } => write!(
                f,
                "the lr jumps from {} at step {} to {} at step {step}, where the warmup \
                 hands over; no other step changes it by more than {}",
                py_repr(*from),
                step - 1,
                py_repr(*to),
                py_repr(*expected)
            ),
            Warning::HorizonMismatch {
                horizon,
                source,
                run,
                why,
            } => write!(
                f,
                "the schedule's horizon {horizon} ({}) does not fit the run's {run}: {why}",
                source
                    .as_ref()
                    .map_or_else(|| "its default".to_string(), ToString::to_string)
            ),
            Warning::WarmupIgnored {
                schedule,
                warmup,
                source,
            } => write!(
                f,
                "{schedule} takes no warmup: the Trainer passes num_warmup_steps={warmup}{} to \
                 get_scheduler, which ignores it, so the run has none (use \
                 constant_with_warmup for a warmup to a constant lr)",
                paren(source.as_ref())
            ),
            Warning::WarmupMaxLr {
                class,
                warmup_max_lr,
                source,
                lr,
                lr_source,
            } => match source {
                Some(source) => write!(
                    f,
                    "warmup_max_lr {} ({source}) is not the optimizer's lr {}{}: DeepSpeed's \
                     {class} sets the lr itself, so the run warms up to {}",
                    py_repr(*warmup_max_lr),
                    py_repr(*lr),
                    paren(lr_source.as_ref()),
                    py_repr(*warmup_max_lr)
                ),
                None => write!(
                    f,
                    "warmup_max_lr is not set, so DeepSpeed's {class} warms up to its default \
                     {}, not to the optimizer's lr {}{}",
                    py_repr(*warmup_max_lr),
                    py_repr(*lr),
                    paren(lr_source.as_ref())
                ),
            },
            Warning::AccelerateStepping {
                processes,
                updates,
                scheduler_steps,
                effects,
            } => {
                write!(
                    f,
                    "accelerate steps the scheduler {processes} times per update (once per \
                     process, for a scheduler passed to accelerator.prepare), so the run's \
                     {updates} updates use scheduler steps 0 to {}",
                    scheduler_steps.saturating_sub(1)
                )?;
                if !effects.is_empty() {
                    write!(f, ": {}", effects.join(", and "))?;
                }
                write!(
                    f,
                    "; size the schedule in scheduler steps (num_training_steps and the warmup \
                     x {processes}), or create the Accelerator with split_batches=True"
                )
            }
            Warning::PastDefinedEnd { step, last } => write!(
                f,
                "steps {step} and later are past the schedule's last defined step {last}; \
                 its home library raises an error there"
            ),
        }
    }
}
