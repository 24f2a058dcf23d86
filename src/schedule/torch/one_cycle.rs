//! `OneCycleLR`: torch's phases, evaluated per step in closed form, with the lr it sets
//! itself and the step past which torch raises.

use std::f64::consts::PI;

use super::{CYCLE_MOMENTUM, Raise, base_momentum, max_momentum, rejected};
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

const CLASS: &str = "OneCycleLR";

/// How a phase goes from its start lr to its end lr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anneal {
    /// `end + (start - end) / 2.0 * (cos(pi * pct) + 1)`.
    Cos,
    /// `(end - start) * pct + start`.
    Linear,
}

impl Anneal {
    #[inline]
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// One phase of the cycle: it ends at `end_step` (a float, as torch computes it).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Phase {
    end_step: f64,
    start_lr: f64,
    end_lr: f64,
    /// The momentum at the phase's start and end (`max_momentum` where the lr is low,
    /// `base_momentum` where it peaks).
    start_momentum: f64,
    end_momentum: f64,
}

/// `OneCycleLR(optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
/// pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85,
/// max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False)`.
///
/// With `initial = max_lr / div_factor`, `min = initial / final_div_factor` and `T =
/// total_steps`, the phases end at `pct_start * T - 1` (initial to max_lr) and `T - 1`
/// (max_lr to min); with `three_phase` at `pct_start * T - 1`, `2 * pct_start * T - 2` (back
/// to initial) and `T - 1` (initial to min). Step `k` takes the first phase whose end is
/// `>= k` (or the last), `pct = (k - start) / (end - start)`, and anneals. Quirks copied:
/// step 0 is `max_lr - (max_lr - initial)`, which is `initial` only up to rounding; step `T`
/// extrapolates the last phase; step `T + 1` makes torch raise (`Tried to step ...`); a
/// phase of zero length divides by zero. The lr is absolute (`--base-lr` only enters the
/// multiplier column). With `cycle_momentum` it also anneals the optimizer's momentum
/// (SGD's `momentum`, Adam's `betas[0]`) from `max_momentum` to `base_momentum` and back,
/// against the lr, which `lrsched train` uses; the momentum never changes the lr.
#[derive(Debug)]
struct OneCycleLr {
    phases: Vec<Phase>,
    anneal: Anneal,
    /// The optimizer's lr, for the multiplier column.
    optimizer_lr: f64,
    /// Whether the momentum is cycled (`cycle_momentum`).
    cycle_momentum: bool,
    /// `Tried to step total_steps + 1 times`, or an earlier division by zero.
    failure: Raise,
}

impl OneCycleLr {
    /// The phase of `step` and how far into it the step is.
    #[inline]
    fn phase(&self, step: u64) -> Option<(&Phase, f64)> {
        let step_num = step as f64;
        let mut start_step = 0.0;
        let last = self.phases.len() - 1;
        for (i, phase) in self.phases.iter().enumerate() {
            if step_num <= phase.end_step || i == last {
                let pct = (step_num - start_step) / (phase.end_step - start_step);
                return Some((phase, pct));
            }
            start_step = phase.end_step;
        }
        None
    }

    fn lr(&self, step: u64) -> f64 {
        self.phase(step).map_or(f64::NAN, |(phase, pct)| {
            self.anneal.apply(phase.start_lr, phase.end_lr, pct)
        })
    }
}

impl Schedule for OneCycleLr {
    fn at(&self, step: u64) -> Point {
        Point::from_lr(step, self.lr(step), self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        true
    }

    fn last_defined_step(&self) -> Option<u64> {
        Raise::last_defined_step(Some(&self.failure))
    }

    /// The momentum annealed through the same phases as the lr, in the opposite
    /// direction, when `cycle_momentum` is true.
    fn momentum(&self, step: u64) -> Option<f64> {
        if !self.cycle_momentum {
            return None;
        }
        self.phase(step).map(|(phase, pct)| {
            self.anneal
                .apply(phase.start_momentum, phase.end_momentum, pct)
        })
    }

    /// The last phase ends at `T - 1`; step `T`, which torch still allows, extrapolates it
    /// upward (pytorch#91765), so a rise there is worth a warning.
    fn horizon(&self) -> Option<u64> {
        self.phases.last().map(|p| p.end_step.max(0.0) as u64)
    }
}

/// The first step that falls into a phase of zero length (where torch computes
/// `pct = x / 0.0` and raises `ZeroDivisionError`), with that phase's number from 1.
fn first_zero_length_phase(phases: &[Phase]) -> Option<(u64, usize)> {
    let mut start_step = 0.0;
    let mut latest_end = f64::NEG_INFINITY;
    let mut found: Option<(u64, usize)> = None;
    for (i, phase) in phases.iter().enumerate() {
        if phase.end_step - start_step == 0.0 {
            // Step k takes phase i when k is past every earlier end, and k <= its end
            // unless it is the last.
            let first = if latest_end < 0.0 {
                Some(0)
            } else {
                (latest_end.floor() as u64).checked_add(1)
            };
            let takes = first.filter(|&k| i == phases.len() - 1 || k as f64 <= phase.end_step);
            if let Some(k) = takes {
                found = Some(found.map_or((k, i + 1), |f| f.min((k, i + 1))));
            }
        }
        latest_end = latest_end.max(phase.end_step);
        start_step = phase.end_step;
    }
    found
}

fn positive(name: &str, value: i64) -> Result<u64> {
    u64::try_from(value).ok().filter(|&v| v > 0).ok_or_else(|| {
        rejected(
            CLASS,
            name,
            value,
            &format!("Expected positive integer {name}, but got {value}"),
        )
    })
}

/// `total_steps`, else `epochs * steps_per_epoch`, else `--steps` minus `--warmup`.
fn total_steps(ctx: &Context, params: &Params) -> Result<u64> {
    if let Some(total) = params.opt_int("total_steps")? {
        return positive("total_steps", total);
    }
    match (
        params.opt_int("epochs")?,
        params.opt_int("steps_per_epoch")?,
    ) {
        (Some(epochs), Some(per_epoch)) => {
            let epochs = positive("epochs", epochs)?;
            let per_epoch = positive("steps_per_epoch", per_epoch)?;
            epochs.checked_mul(per_epoch).ok_or_else(|| {
                Error::input(format!(
                    "{CLASS} epochs={epochs} * steps_per_epoch={per_epoch} is too large"
                ))
            })
        }
        (None, None) => {
            let total = ctx.steps.saturating_sub(ctx.warmup);
            if total == 0 {
                return Err(Error::input(format!(
                    "{CLASS} total_steps defaults to --steps minus --warmup, which is 0 here \
                     (--steps {} --warmup {}): Expected positive integer total_steps, but got 0; \
                     use fewer --warmup steps or --set total_steps=N",
                    ctx.steps, ctx.warmup
                )));
            }
            Ok(total)
        }
        (given, _) => {
            let (has, lacks) = if given.is_some() {
                ("epochs", "steps_per_epoch")
            } else {
                ("steps_per_epoch", "epochs")
            };
            Err(Error::input(format!(
                "{CLASS} got {has} without {lacks}: You must define either total_steps OR \
                 (epochs AND steps_per_epoch); set both (total_steps = epochs * \
                 steps_per_epoch) or neither (total_steps = --steps minus --warmup)"
            )))
        }
    }
}

fn build_one_cycle_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let total = total_steps(ctx, params)?;
    let max_lr = params.float("max_lr")?;
    let pct_start = params.float("pct_start")?;
    let three_phase = params.bool("three_phase")?;
    let div_factor = params.float("div_factor")?;
    let final_div_factor = params.float("final_div_factor")?;
    // They cycle the momentum, never the lr.
    let cycle_momentum = params.bool("cycle_momentum")?;
    let base_m = params.float("base_momentum")?;
    let max_m = params.float("max_momentum")?;
    let anneal = match params.choice("anneal_strategy")? {
        "linear" => Anneal::Linear,
        _ => Anneal::Cos,
    };
    // torch's own comparisons, which let NaN through (to NaN lrs).
    #[allow(clippy::manual_range_contains)]
    if pct_start < 0.0 || pct_start > 1.0 {
        return Err(rejected(
            CLASS,
            "pct_start",
            py_repr(pct_start),
            &format!(
                "Expected float between 0 and 1 pct_start, but got {}",
                py_repr(pct_start)
            ),
        ));
    }
    for (name, factor) in [
        ("div_factor", div_factor),
        ("final_div_factor", final_div_factor),
    ] {
        if factor == 0.0 {
            return Err(rejected(
                CLASS,
                name,
                py_repr(factor),
                "torch raises ZeroDivisionError in the constructor (float division by zero)",
            ));
        }
    }

    let initial_lr = max_lr / div_factor;
    let min_lr = initial_lr / final_div_factor;
    let t = total as f64;
    let phases = if three_phase {
        vec![
            Phase {
                end_step: pct_start * t - 1.0,
                start_lr: initial_lr,
                end_lr: max_lr,
                start_momentum: max_m,
                end_momentum: base_m,
            },
            Phase {
                end_step: 2.0 * pct_start * t - 2.0,
                start_lr: max_lr,
                end_lr: initial_lr,
                start_momentum: base_m,
                end_momentum: max_m,
            },
            Phase {
                end_step: t - 1.0,
                start_lr: initial_lr,
                end_lr: min_lr,
                start_momentum: max_m,
                end_momentum: max_m,
            },
        ]
    } else {
        vec![
            Phase {
                end_step: pct_start * t - 1.0,
                start_lr: initial_lr,
                end_lr: max_lr,
                start_momentum: max_m,
                end_momentum: base_m,
            },
            Phase {
                end_step: t - 1.0,
                start_lr: max_lr,
                end_lr: min_lr,
                start_momentum: base_m,
                end_momentum: max_m,
            },
        ]
    };

    let past_the_end = Raise {
        step: total.saturating_add(1),
        what: format!(
            "ValueError (\"Tried to step {} times. The specified number of total steps is \
             {total}\")",
            total.saturating_add(1)
        ),
        fix: format!(
            "its steps are 0..={total}; use --set total_steps={} (the default is --steps \
             minus --warmup) or at most --steps {}",
            ctx.steps.saturating_sub(ctx.warmup).max(1),
            ctx.warmup.saturating_add(total).saturating_add(1)
        ),
    };
    let zero_length = |phase| {
        format!(
            "ZeroDivisionError (phase {phase} of the cycle has zero length with pct_start={} \
             and total_steps={total})",
            py_repr(pct_start)
        )
    };
    let failure = match first_zero_length_phase(&phases) {
        // The constructor computes step 0.
        Some((0, phase)) => {
            return Err(Error::input(format!(
                "{CLASS}: torch raises {} in the constructor; change pct_start or total_steps",
                zero_length(phase)
            )));
        }
        Some((step, phase)) if step < past_the_end.step => Raise {
            step,
            what: zero_length(phase),
            fix: "change pct_start or total_steps".into(),
        },
        _ => past_the_end,
    };
    Raise::check(Some(&failure), CLASS, ctx)?;
    Ok(Box::new(OneCycleLr {
        phases,
        anneal,
        optimizer_lr: ctx.base_lr,
        cycle_momentum,
        failure,
    }))
}

pub(super) const ONE_CYCLE_LR: Entry = Entry {
    name: "OneCycleLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, total_steps=None, \
               epochs=None, steps_per_epoch=None, pct_start=0.3, anneal_strategy='cos', \
               cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0, \
               final_div_factor=1e4, three_phase=False)",
    summary: "the 1cycle policy: up from max_lr/div_factor to max_lr, then down to a tiny lr \
              (absolute; ignores --base-lr)",
    formula: "i = max_lr / div_factor, m = i / final_div_factor, T = total_steps; phases end \
              at e1 = pct_start * T - 1 (i -> max_lr) and T - 1 (max_lr -> m), or with \
              three_phase at e1 (i -> max_lr), 2 * pct_start * T - 2 (max_lr -> i) and T - 1 \
              (i -> m); k takes the first phase with k <= end (or the last), p = (k - start) / \
              (end - start), lr = end + (start - end) / 2 * (cos(pi * p) + 1) (cos) or (end - \
              start) * p + start (linear)",
    horizon: "reaches m at step T - 1; step T extrapolates the last phase; torch raises past \
              step T, so --steps minus --warmup may exceed total_steps by at most 1",
    params: &[
        ParamSpec {
            name: "max_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "peak lr of the cycle (absolute)",
        },
        ParamSpec {
            name: "total_steps",
            kind: ParamKind::Int,
            default: ParamDefault::Absent,
            doc: "steps in the cycle (None: epochs * steps_per_epoch, else --steps minus \
                  --warmup)",
        },
        ParamSpec {
            name: "epochs",
            kind: ParamKind::Int,
            default: ParamDefault::Absent,
            doc: "with steps_per_epoch, total_steps = epochs * steps_per_epoch",
        },
        ParamSpec {
            name: "steps_per_epoch",
            kind: ParamKind::Int,
            default: ParamDefault::Absent,
            doc: "with epochs, total_steps = epochs * steps_per_epoch",
        },
        ParamSpec {
            name: "pct_start",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.3),
            doc: "fraction of the cycle spent increasing the lr, in [0, 1]",
        },
        ParamSpec {
            name: "anneal_strategy",
            kind: ParamKind::Choice(&["cos", "linear"]),
            default: ParamDefault::Str("cos"),
            doc: "shape of each phase",
        },
        CYCLE_MOMENTUM,
        base_momentum(0.85),
        max_momentum(0.95),
        ParamSpec {
            name: "div_factor",
            kind: ParamKind::Float,
            default: ParamDefault::Float(25.0),
            doc: "initial lr = max_lr / div_factor",
        },
        ParamSpec {
            name: "final_div_factor",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1e4),
            doc: "final lr = initial lr / final_div_factor",
        },
        ParamSpec {
            name: "three_phase",
            kind: ParamKind::Bool,
            default: ParamDefault::Bool(false),
            doc: "go back down to the initial lr before annealing to the final lr",
        },
    ],
    takes_warmup: true,
    build: build_one_cycle_lr,
};
