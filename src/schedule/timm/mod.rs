//! timm's `timm.scheduler` (timm 1.0.31): the `create_scheduler_v2` names `cosine`, `tanh`,
//! `step`, `multistep` and `poly`, stepped per update (`t_in_epochs=False`), with timm's
//! own arithmetic, assertions and the steps where Python raises.
//!
//! timm's protocol: `lr[0]` is the optimizer's lr right after construction
//! (`warmup_lr_init` with a warmup, else `--base-lr`), and `lr[k]` for `k >= 1` is
//! `_get_lr(k)`, what `step_update(num_updates=k)` sets.

mod cycle;
mod step;

use std::fmt;

use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::registry::Entry;
use super::{Context, Point};
use crate::error::{Error, Result};

/// The timm entries of the registry, in `create_scheduler_v2`'s order.
pub static ENTRIES: &[Entry] = &[
    cycle::COSINE,
    cycle::TANH,
    step::STEP,
    step::MULTISTEP,
    cycle::POLY,
];

/// A value timm's constructor rejects with a bare `assert`.
fn assertion(schedule: &str, name: &str, value: impl fmt::Display, condition: &str) -> Error {
    Error::input(format!(
        "{schedule} {name}={value}: timm raises AssertionError (`assert {condition}` in the \
         constructor)"
    ))
}

/// Python's float `//` (CPython `float_divmod`): `fmod`, moved into the divisor's sign,
/// then the quotient snapped to the nearest integer, so `1 // 0.1` is `9.0` where
/// `floor(1 / 0.1)` is 10. `None` for a zero divisor (`ZeroDivisionError`). Integer
/// operands give the same result as Python's int `//` while they are exact doubles.
fn py_floordiv(vx: f64, wx: f64) -> Option<f64> {
    if wx == 0.0 {
        return None;
    }
    let m = vx % wx;
    let mut div = (vx - m) / wx;
    if m != 0.0 && ((wx < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    Some(if div != 0.0 {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    } else {
        0.0f64.copysign(vx / wx)
    })
}

/// timm's warmup, common to every scheduler: while `t < warmup_t`, `warmup_lr_init + t *
/// warmup_step`; `warmup_prefix` shifts the rest of the schedule by `warmup_t`.
#[derive(Clone, Copy, Debug)]
struct Warmup {
    warmup_t: f64,
    warmup_lr_init: f64,
    /// `(target - warmup_lr_init) / warmup_t`; the target is the base lr, or tanh's own
    /// value at `warmup_t` without the prefix.
    warmup_step: f64,
    prefix: bool,
    /// Whether `warmup_t` is a Python int, which keeps the shifted `t` an int.
    int: bool,
}

impl Warmup {
    /// `if self.warmup_t:` — Python's truth of the number: anything but zero.
    fn is_set(&self) -> bool {
        self.warmup_t != 0.0
    }

    /// The warmup lr at update `t`, or `None` past the warmup.
    #[inline]
    fn lr(&self, t: f64) -> Option<f64> {
        (t < self.warmup_t).then_some(self.warmup_lr_init + t * self.warmup_step)
    }

    /// The schedule's own `t` after the warmup.
    #[inline]
    fn shift(&self, t: f64) -> f64 {
        if self.prefix { t - self.warmup_t } else { t }
    }

    /// The first update at or after 1 that is past the warmup (`!(k < warmup_t)`).
    fn first_main_step(&self) -> u64 {
        if self.warmup_t > 1.0 {
            // ceil of a finite double above 1; past 2^64 the saturating cast stops it.
            self.warmup_t.ceil() as u64
        } else {
            1
        }
    }
}

/// `warmup_t` (from `--set` or `--warmup`), `warmup_lr_init`, `warmup_prefix`, and the
/// warmup slope towards `target` (the base lr unless tanh says otherwise).
fn warmup(name: &str, ctx: &Context, params: &Params, target: f64) -> Result<Warmup> {
    let flag = (ctx.warmup > 0).then(|| Value::Int(i64::try_from(ctx.warmup).unwrap_or(i64::MAX)));
    let (warmup_t, int) = match params.or_flag(name, "warmup_t", ("--warmup", flag))? {
        Some(Value::Float(x)) => (x, false),
        Some(Value::Int(i)) => (i as f64, true),
        _ => (0.0, true),
    };
    let warmup_lr_init = params.float("warmup_lr_init")?;
    Ok(Warmup {
        warmup_t,
        warmup_lr_init,
        warmup_step: (target - warmup_lr_init) / warmup_t,
        prefix: params.bool("warmup_prefix")?,
        int,
    })
}

/// Refuses timm's lr noise: it draws from torch's RNG (`torch.Generator` seeded with
/// `noise_seed + t`), which lrsched does not reproduce.
fn refuse_noise(name: &str, params: &Params) -> Result<()> {
    if let Some(range) = params.value("noise_range_t") {
        return Err(Error::input(format!(
            "{name}: noise_range_t={range} adds noise drawn from torch's random number \
             generator (torch.randn with a torch.Generator seeded noise_seed + t), which \
             lrsched does not reproduce; leave noise_range_t unset (None) for timm's \
             noiseless schedule"
        )));
    }
    params.float("noise_pct")?;
    params.float("noise_std")?;
    params.opt_int("noise_seed")?;
    Ok(())
}

/// The first update `k >= from` at which `raises(k)` holds, for a predicate that once true
/// stays true (timm's cycle index runs out, a division by zero past the warmup).
fn first_raising_step(from: u64, raises: impl Fn(u64) -> bool) -> Option<u64> {
    if raises(from) {
        return Some(from);
    }
    if !raises(u64::MAX) {
        return None;
    }
    let (mut ok, mut bad) = (from, u64::MAX);
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if raises(mid) {
            bad = mid;
        } else {
            ok = mid;
        }
    }
    Some(bad)
}

/// The first update where timm raises, and what it raises there.
#[derive(Clone, Debug)]
struct Failure {
    name: &'static str,
    step: u64,
    what: String,
}

impl Failure {
    /// An error when the steps evaluated reach the failure.
    fn check(failure: Option<&Failure>, ctx: &Context) -> Result<()> {
        match failure {
            Some(f) if f.step < ctx.steps => {
                Err(f.error(&format!(", within --steps {}", ctx.steps)))
            }
            _ => Ok(()),
        }
    }

    /// The last update timm can produce.
    fn last_defined_step(failure: Option<&Failure>) -> Option<u64> {
        failure.map(|f| f.step.saturating_sub(1))
    }

    /// Why evaluation stops at `step`, if the failure is at or before it.
    fn error_at(failure: Option<&Failure>, step: u64) -> Option<Error> {
        failure.filter(|f| step >= f.step).map(|f| f.error(""))
    }

    fn error(&self, within: &str) -> Error {
        Error::input(format!(
            "{}: timm raises {} at step {}{within}; evaluate at most {} steps or change the \
             parameters",
            self.name, self.what, self.step, self.step
        ))
    }
}

/// A schedule's point at update `step`: `lr[0]` is what the constructor left in the
/// optimizer, later ones `_get_lr(step)`; NaN where timm raises.
#[inline]
fn point(step: u64, warmup: &Warmup, base_lr: f64, get_lr: impl Fn(f64) -> Option<f64>) -> Point {
    let lr = if step == 0 {
        if warmup.is_set() {
            warmup.warmup_lr_init
        } else {
            base_lr
        }
    } else {
        get_lr(step as f64).unwrap_or(f64::NAN)
    };
    Point::from_lr(step, lr, base_lr)
}

/// Parameters every timm scheduler has, in timm's order after its own.
const WARMUP_T: ParamSpec = ParamSpec {
    name: "warmup_t",
    kind: ParamKind::Number,
    default: ParamDefault::Absent,
    doc: "warmup updates; fractional values work (None: --warmup, else 0)",
};

const WARMUP_LR_INIT: ParamSpec = ParamSpec {
    name: "warmup_lr_init",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "lr at update 0 of the warmup (absolute)",
};

const NOISE_RANGE_T: ParamSpec = ParamSpec {
    name: "noise_range_t",
    kind: ParamKind::Text(&[]),
    default: ParamDefault::Absent,
    doc: "refused: timm's noise comes from torch's random number generator",
};

const NOISE_PCT: ParamSpec = ParamSpec {
    name: "noise_pct",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.67),
    doc: "noise limit; no effect without noise_range_t",
};

const NOISE_STD: ParamSpec = ParamSpec {
    name: "noise_std",
    kind: ParamKind::Float,
    default: ParamDefault::Float(1.0),
    doc: "noise standard deviation; no effect without noise_range_t",
};

const NOISE_SEED: ParamSpec = ParamSpec {
    name: "noise_seed",
    kind: ParamKind::Int,
    default: ParamDefault::Int(42),
    doc: "noise seed; no effect without noise_range_t",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_is_pythons() {
        // CPython: 1 // 0.1 == 9.0, 7 // 2.5 == 2.0, -7 // 2 == -4, 7 // -2 == -4.
        assert_eq!(py_floordiv(1.0, 0.1), Some(9.0));
        assert_eq!(py_floordiv(7.0, 2.5), Some(2.0));
        assert_eq!(py_floordiv(-7.0, 2.0), Some(-4.0));
        assert_eq!(py_floordiv(7.0, -2.0), Some(-4.0));
        assert_eq!(py_floordiv(5.0, 0.0), None);
        let zero = py_floordiv(0.0, -3.0).unwrap_or(f64::NAN);
        assert!(zero == 0.0 && zero.is_sign_negative(), "0 // -3.0 is -0.0");
    }

    #[test]
    fn the_first_raising_step_is_found_by_bisection() {
        assert_eq!(first_raising_step(1, |k| k >= 1_000_003), Some(1_000_003));
        assert_eq!(first_raising_step(5, |_| true), Some(5));
        assert_eq!(first_raising_step(1, |_| false), None);
    }
}
