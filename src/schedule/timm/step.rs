//! timm's step decays: `StepLRScheduler` and `MultiStepLRScheduler`.

use super::{
    Failure, NOISE_PCT, NOISE_RANGE_T, NOISE_SEED, NOISE_STD, WARMUP_LR_INIT, WARMUP_T, Warmup,
    first_raising_step, point, py_floordiv, refuse_noise, warmup,
};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// How many decays have happened at the schedule's own update `t`.
#[derive(Debug)]
enum Decays {
    /// `StepLRScheduler`: `t // decay_t` (Python's floor division, fractional `decay_t`
    /// included; a zero `decay_t` raises `ZeroDivisionError`).
    Every(f64),
    /// `MultiStepLRScheduler`: `bisect.bisect_right(decay_t, t + 1)`, so milestone `m`
    /// applies at `t = m - 1` and a repeated milestone counts twice.
    Milestones(Vec<f64>),
}

/// Python's `bisect.bisect_right(a, x)`, which assumes `a` sorted and searches it as if it
/// were, whatever it holds.
fn bisect_right(a: &[f64], x: f64) -> usize {
    let (mut lo, mut hi) = (0, a.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if x < a[mid] {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `StepLRScheduler(optimizer, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0,
/// warmup_prefix=True, t_in_epochs=False, noise_range_t=None, ...)` and
/// `MultiStepLRScheduler(optimizer, decay_t, ...)` with the same keywords.
///
/// After the warmup (shifted by `warmup_t` with `warmup_prefix`, the default here): `lr =
/// base_lr * decay_rate^n` with `n` from [`Decays`].
#[derive(Debug)]
struct StepDecay {
    decays: Decays,
    decay_rate: f64,
    warmup: Warmup,
    base_lr: f64,
    failure: Option<Failure>,
}

impl StepDecay {
    #[inline]
    fn get_lr(&self, t: f64) -> Option<f64> {
        if let Some(lr) = self.warmup.lr(t) {
            return Some(lr);
        }
        let t = self.warmup.shift(t);
        let n = match &self.decays {
            Decays::Every(decay_t) => py_floordiv(t, *decay_t)?,
            Decays::Milestones(decay_t) => bisect_right(decay_t, t + 1.0) as f64,
        };
        Some(self.base_lr * self.decay_rate.powf(n))
    }
}

impl Schedule for StepDecay {
    #[inline]
    fn at(&self, step: u64) -> Point {
        point(step, &self.warmup, self.base_lr, |t| self.get_lr(t))
    }

    fn last_defined_step(&self) -> Option<u64> {
        Failure::last_defined_step(self.failure.as_ref())
    }

    fn error_at(&self, step: u64) -> Option<crate::Error> {
        Failure::error_at(self.failure.as_ref(), step)
    }
}

fn build(
    name: &'static str,
    decays: Decays,
    ctx: &Context,
    params: &Params,
) -> Result<Box<dyn Schedule>> {
    // Python's message depends on the operands' types: an int `t // 0` or a float one.
    let int_decay_t = matches!(params.value("decay_t"), Some(Value::Int(_)));
    refuse_noise(name, params)?;
    let mut schedule = StepDecay {
        decays,
        decay_rate: params.float("decay_rate")?,
        warmup: warmup(name, ctx, params, ctx.base_lr)?,
        base_lr: ctx.base_lr,
        failure: None,
    };
    if let Decays::Every(decay_t) = schedule.decays
        && decay_t == 0.0
    {
        let int_t = !schedule.warmup.prefix || schedule.warmup.int;
        let what = if int_decay_t && int_t {
            "ZeroDivisionError: integer division or modulo by zero"
        } else {
            "ZeroDivisionError: float floor division by zero"
        };
        let step = first_raising_step(schedule.warmup.first_main_step(), |k| {
            schedule.get_lr(k as f64).is_none()
        });
        schedule.failure = step.map(|step| Failure {
            name,
            step,
            what: format!("{what} (t // decay_t with decay_t={})", py_repr(decay_t)),
        });
        Failure::check(schedule.failure.as_ref(), ctx)?;
    }
    Ok(Box::new(schedule))
}

fn build_step(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build(
        "timm:step",
        Decays::Every(params.float("decay_t")?),
        ctx,
        params,
    )
}

fn build_multistep(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let decay_t = params
        .int_list("decay_t")?
        .iter()
        .map(|&m| m as f64)
        .collect();
    build("timm:multistep", Decays::Milestones(decay_t), ctx, params)
}

const DECAY_RATE: ParamSpec = ParamSpec {
    name: "decay_rate",
    kind: ParamKind::Float,
    default: ParamDefault::Float(1.0),
    doc: "factor per decay (the default 1 never decays)",
};

const WARMUP_PREFIX: ParamSpec = ParamSpec {
    name: "warmup_prefix",
    kind: ParamKind::Bool,
    default: ParamDefault::Bool(true),
    doc: "true: the decays count from the end of the warmup; false: from update 0",
};

pub(super) const STEP: Entry = Entry {
    name: "step",
    library: Library::Timm,
    upstream: "timm.scheduler.StepLRScheduler(optimizer, decay_t, decay_rate=1.0, warmup_t=0, \
               warmup_lr_init=0.0, warmup_prefix=True, t_in_epochs=False, noise_range_t=None, \
               noise_pct=0.67, noise_std=1.0, noise_seed=42)",
    summary: "multiplies --base-lr by decay_rate every decay_t updates",
    formula: "lr[0] = warmup_lr_init if warmup_t else base_lr; t < warmup_t: warmup_lr_init + \
              t * (base_lr - warmup_lr_init) / warmup_t; then (t - warmup_t with the prefix) lr \
              = base_lr * decay_rate^(t // decay_t)",
    horizon: "no horizon: it decays for ever; --steps is only the steps evaluated",
    params: &[
        ParamSpec {
            name: "decay_t",
            kind: ParamKind::Number,
            default: ParamDefault::Required,
            doc: "updates between decays (fractional values work; 0 raises \
                  ZeroDivisionError after the warmup)",
        },
        DECAY_RATE,
        WARMUP_T,
        WARMUP_LR_INIT,
        WARMUP_PREFIX,
        NOISE_RANGE_T,
        NOISE_PCT,
        NOISE_STD,
        NOISE_SEED,
    ],
    takes_warmup: true,
    build: build_step,
};

pub(super) const MULTISTEP: Entry = Entry {
    name: "multistep",
    library: Library::Timm,
    upstream: "timm.scheduler.MultiStepLRScheduler(optimizer, decay_t, decay_rate=1.0, \
               warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True, t_in_epochs=False, \
               noise_range_t=None, noise_pct=0.67, noise_std=1.0, noise_seed=42)",
    summary: "multiplies --base-lr by decay_rate at each milestone of decay_t (one update early)",
    formula: "lr[0] = warmup_lr_init if warmup_t else base_lr; t < warmup_t: warmup_lr_init + \
              t * (base_lr - warmup_lr_init) / warmup_t; then (t - warmup_t with the prefix) lr \
              = base_lr * decay_rate^bisect_right(decay_t, t + 1)",
    horizon: "no horizon: the last milestone's lr is held for ever; --steps is only the steps \
              evaluated",
    params: &[
        ParamSpec {
            name: "decay_t",
            kind: ParamKind::IntList,
            default: ParamDefault::Required,
            doc: "milestones, sorted (milestone m applies at update m - 1)",
        },
        DECAY_RATE,
        WARMUP_T,
        WARMUP_LR_INIT,
        WARMUP_PREFIX,
        NOISE_RANGE_T,
        NOISE_PCT,
        NOISE_STD,
        NOISE_SEED,
    ],
    takes_warmup: true,
    build: build_multistep,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisect_right_is_pythons() {
        let a = [10.0, 20.0, 20.0, 30.0];
        assert_eq!(bisect_right(&a, 9.0), 0);
        assert_eq!(bisect_right(&a, 10.0), 1);
        assert_eq!(
            bisect_right(&a, 20.0),
            3,
            "a repeated milestone counts twice"
        );
        assert_eq!(bisect_right(&a, 31.0), 4);
        // Unsorted input is searched as if sorted, as Python does.
        assert_eq!(bisect_right(&[30.0, 10.0], 20.0), 2);
    }
}
