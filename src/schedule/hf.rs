//! Hugging Face `transformers` schedules (`get_scheduler(name, ...)`), each a `LambdaLR`
//! multiplier computed in the operation order of `transformers/optimization.py`.
//!
//! Every schedule here reproduces transformers 5.24 as `get_scheduler` builds it:
//! `--warmup` is `num_warmup_steps` (W), `--steps` is `num_training_steps` (N), `--set`
//! gives `scheduler_specific_kwargs`, and `s` is the step. The multiplier `m(s)` is
//! computed in f64 in the order Python evaluates the lambda, because the golden values
//! are the library's own doubles; the lr is then `base_lr * m(s)`, the order `LambdaLR`
//! multiplies in. Quirks of the library (a cosine that rises again past the horizon, a
//! warmup that starts at `1/W`, ...) are copied on purpose and named on each type.

use std::f64::consts::PI;

use super::params::{ParamDefault, ParamKind, ParamSpec, Params};
use super::registry::{Entry, Library};
use super::{Context, Point, Schedule, warmup_multiplier};
use crate::error::{Error, Result};
use crate::format::py_repr;

/// The shapes `get_wsd_schedule` accepts for `warmup_type` and `decay_type`.
const WSD_SHAPES: &[&str] = &["linear", "cosine", "1-sqrt"];

const NUM_CYCLES_HALF: ParamSpec = ParamSpec {
    name: "num_cycles",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.5),
    doc: "number of cosine waves over the decay (0.5: one half-wave from 1 down to the floor)",
};

const MIN_LR: ParamSpec = ParamSpec {
    name: "min_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "the floor as an absolute lr (becomes min_lr_rate = min_lr / --base-lr); \
          give this or min_lr_rate",
};

const MIN_LR_RATE: ParamSpec = ParamSpec {
    name: "min_lr_rate",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "the floor as a ratio of --base-lr; give this or min_lr",
};

/// The transformers entries of the registry, in `SchedulerType` order.
pub static ENTRIES: &[Entry] = &[
    Entry {
        name: "linear",
        library: Library::Transformers,
        upstream: "get_linear_schedule_with_warmup",
        summary: "linear warmup, then linear decay to 0 at step N",
        formula: "m(s) = s / max(1, W) for s < W, else max(0, (N - s) / max(1, N - W))",
        horizon: "reaches 0 at step N (one past the last step evaluated) and stays 0",
        params: &[],
        takes_warmup: true,
        build: build_linear,
    },
    Entry {
        name: "cosine",
        library: Library::Transformers,
        upstream: "get_cosine_schedule_with_warmup",
        summary: "linear warmup, then cosine decay to 0 over N - W steps",
        formula: "m(s) = s / max(1, W) for s < W, else \
                  max(0, 0.5 * (1 + cos(pi * num_cycles * 2 * p))), p = (s - W) / max(1, N - W)",
        horizon: "not clamped: past step N the cosine rises again (period (N - W) / num_cycles)",
        params: &[NUM_CYCLES_HALF],
        takes_warmup: true,
        build: build_cosine,
    },
    Entry {
        name: "cosine_with_restarts",
        library: Library::Transformers,
        upstream: "get_cosine_with_hard_restarts_schedule_with_warmup",
        summary: "linear warmup, then num_cycles cosine decays, each restarting at 1",
        formula: "m(s) = s / max(1, W) for s < W; else p = (s - W) / max(1, N - W), \
                  0 if p >= 1, else max(0, 0.5 * (1 + cos(pi * ((num_cycles * p) % 1))))",
        horizon: "0 from step N on",
        params: &[ParamSpec {
            name: "num_cycles",
            kind: ParamKind::Float,
            default: ParamDefault::Int(1),
            doc: "number of cosine decays, each starting again at 1 (1: no restart)",
        }],
        takes_warmup: true,
        build: build_cosine_with_restarts,
    },
    Entry {
        name: "polynomial",
        library: Library::Transformers,
        upstream: "get_polynomial_decay_schedule_with_warmup",
        summary: "linear warmup, then polynomial decay from --base-lr to lr_end at step N",
        formula: "m(s) = s / max(1, W) for s < W; lr_end / lr for s > N; else \
                  ((lr - lr_end) * (1 - (s - W) / (N - W)) ** power + lr_end) / lr, lr = --base-lr",
        horizon: "lr_end / lr from step N on (at step N itself transformers fails when W = N \
                  or power < 0; lrsched gives lr_end / lr there)",
        params: &[
            ParamSpec {
                name: "lr_end",
                kind: ParamKind::Float,
                default: ParamDefault::Float(1e-7),
                doc: "the absolute lr reached at step N; must be below --base-lr",
            },
            ParamSpec {
                name: "power",
                kind: ParamKind::Float,
                default: ParamDefault::Float(1.0),
                doc: "exponent of the decay (1: linear)",
            },
        ],
        takes_warmup: true,
        build: build_polynomial,
    },
    Entry {
        name: "constant",
        library: Library::Transformers,
        upstream: "get_constant_schedule",
        summary: "constant learning rate, no warmup",
        formula: "m(s) = 1",
        horizon: "stays 1",
        params: &[],
        takes_warmup: false,
        build: build_constant,
    },
    Entry {
        name: "constant_with_warmup",
        library: Library::Transformers,
        upstream: "get_constant_schedule_with_warmup",
        summary: "linear warmup, then constant (the LambdaLR warmup example)",
        formula: "m(s) = s / max(1, W) for s < W, else 1",
        horizon: "stays 1",
        params: &[],
        takes_warmup: true,
        build: build_constant,
    },
    Entry {
        name: "inverse_sqrt",
        library: Library::Transformers,
        upstream: "get_inverse_sqrt_schedule",
        summary: "linear warmup, then decay as 1 / sqrt(step)",
        formula: "m(s) = s / max(1, W) for s < W, else \
                  1 / sqrt((s + timescale - W) / timescale), timescale = W (10000 if W = 0) by default",
        horizon: "no horizon: keeps decaying past step N",
        params: &[ParamSpec {
            name: "timescale",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "steps over which the lr falls by 1/sqrt(2) after the warmup; \
                  None means --warmup, or 10000 when --warmup is 0",
        }],
        takes_warmup: true,
        build: build_inverse_sqrt,
    },
    Entry {
        name: "cosine_with_min_lr",
        library: Library::Transformers,
        upstream: "get_cosine_with_min_lr_schedule_with_warmup",
        summary: "linear warmup, then cosine decay to a floor min_lr_rate",
        formula: "m(s) = s / max(1, W) for s < W, else max(0, f * (1 - r) + r), \
                  f = 0.5 * (1 + cos(pi * num_cycles * 2 * p)), p = (s - W) / max(1, N - W), \
                  r = min_lr_rate or min_lr / --base-lr",
        horizon: "not clamped: past step N the cosine rises again, like cosine",
        params: &[NUM_CYCLES_HALF, MIN_LR, MIN_LR_RATE],
        takes_warmup: true,
        build: build_cosine_with_min_lr,
    },
    Entry {
        name: "cosine_warmup_with_min_lr",
        library: Library::Transformers,
        upstream: "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        summary: "warmup from 1/W (or warmup_lr_rate), then cosine decay reaching the floor \
                  at step N - 1",
        formula: "m(s) = (s + 1) / max(1, W) for s < W, or with warmup_lr_rate \
                  wr + (1 - wr) * s / max(1, W - 1); else max(0, f * (1 - r) + r), \
                  f = 0.5 * (1 + cos(pi * num_cycles * 2 * p)), p = (s - W + 1) / max(1, N - W), \
                  r = min_lr_rate or min_lr / --base-lr",
        horizon: "the floor r exactly at step N - 1; past it the cosine rises again",
        params: &[
            NUM_CYCLES_HALF,
            MIN_LR,
            MIN_LR_RATE,
            ParamSpec {
                name: "warmup_lr_rate",
                kind: ParamKind::Float,
                default: ParamDefault::Absent,
                doc: "the multiplier at step 0, rising linearly to 1 at step W - 1; \
                      None means warm up as (s + 1) / W",
            },
        ],
        takes_warmup: true,
        build: build_cosine_warmup_with_min_lr,
    },
    Entry {
        name: "warmup_stable_decay",
        library: Library::Transformers,
        upstream: "get_wsd_schedule",
        summary: "warmup from min_lr_ratio, a stable phase at 1, then a decay to min_lr_ratio",
        formula: "r = min_lr_ratio, S = num_stable_steps or N - W - num_decay_steps; \
                  s < W: max(0, g(s / max(1, W)) * (1 - r) + r); s < W + S: 1; \
                  s < W + S + D: max(0, h((s - W - S) / max(1, D)) * (1 - r) + r); else r",
        horizon: "min_lr_ratio from step W + S + D on (step N when num_stable_steps is not given)",
        params: &[
            ParamSpec {
                name: "num_decay_steps",
                kind: ParamKind::Int,
                default: ParamDefault::Required,
                doc: "length D of the decay phase, which ends at step N unless \
                      num_stable_steps is given",
            },
            ParamSpec {
                name: "num_stable_steps",
                kind: ParamKind::Int,
                default: ParamDefault::Absent,
                doc: "length S of the stable phase; None means N - W - D (giving it makes \
                      transformers warn that it wins over num_training_steps)",
            },
            ParamSpec {
                name: "warmup_type",
                kind: ParamKind::Choice(WSD_SHAPES),
                default: ParamDefault::Str("linear"),
                doc: "warmup shape g(p): p, 0.5 * (1 - cos(pi * p)) or 1 - sqrt(1 - p)",
            },
            ParamSpec {
                name: "decay_type",
                kind: ParamKind::Choice(WSD_SHAPES),
                default: ParamDefault::Str("cosine"),
                doc: "decay shape h(p): 1 - p, 0.5 * (1 + cos(pi * num_cycles * 2 * p)) \
                      or 1 - sqrt(p)",
            },
            ParamSpec {
                name: "min_lr_ratio",
                kind: ParamKind::Float,
                default: ParamDefault::Int(0),
                doc: "the floor as a ratio of --base-lr, where the warmup starts and the \
                      decay ends",
            },
            ParamSpec {
                name: "num_cycles",
                kind: ParamKind::Float,
                default: ParamDefault::Float(0.5),
                doc: "cosine waves over the decay when decay_type is cosine",
            },
        ],
        takes_warmup: true,
        build: build_warmup_stable_decay,
    },
];

/// Python's `max(0.0, x)` (and `max(0, x)`): `x` only when it is greater than 0, so a NaN
/// gives 0 as in Python, where `f64::max` would leave the choice to the platform.
#[inline]
fn py_max0(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

/// Python's `float(a - b)` for ints: the exact difference, rounded once.
#[inline]
fn int_diff(a: u64, b: u64) -> f64 {
    (i128::from(a) - i128::from(b)) as f64
}

/// `float(max(1, N - W))`, the length of the decay that every transformers cosine divides by.
#[inline]
fn decay_span(ctx: &Context) -> f64 {
    (i128::from(ctx.steps) - i128::from(ctx.warmup)).max(1) as f64
}

/// Python's `x % y` for floats, whose result takes the sign of `y` (Rust's `%` is C's
/// `fmod`, whose result takes the sign of `x`); `cosine_with_restarts` needs it only when
/// `num_cycles` is negative.
#[inline]
fn py_mod(x: f64, y: f64) -> f64 {
    let m = x % y;
    if m == 0.0 {
        0.0_f64.copysign(y)
    } else if (y < 0.0) != (m < 0.0) {
        m + y
    } else {
        m
    }
}

/// `get_constant_schedule_with_warmup`: `float(s) / float(max(1.0, W))` below `W`, then 1.
/// With `W = 0` this is `get_constant_schedule`.
#[derive(Debug)]
struct Constant {
    ctx: Context,
}

fn build_constant(ctx: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(Constant { ctx: *ctx }))
}

impl Schedule for Constant {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let m = if step < self.ctx.warmup {
            warmup_multiplier(step, self.ctx.warmup)
        } else {
            1.0
        };
        Point::from_multiplier(step, m, self.ctx.base_lr)
    }
}

/// `get_linear_schedule_with_warmup`: `s / max(1, W)` below `W`, then
/// `max(0.0, float(N - s) / float(max(1, N - W)))`.
///
/// Copied on purpose: the multiplier reaches 0 at step `N`, one past the last of `N` steps,
/// so the last evaluated step still has `1 / (N - W)`; past `N` it stays 0.
#[derive(Debug)]
struct Linear {
    ctx: Context,
}

fn build_linear(ctx: &Context, _: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(Linear { ctx: *ctx }))
}

impl Schedule for Linear {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            py_max0(int_diff(ctx.steps, step) / decay_span(ctx))
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }
}

/// `get_cosine_schedule_with_warmup` (`min_lr_rate = 0`) and
/// `get_cosine_with_min_lr_schedule_with_warmup`: `s / max(1, W)` below `W`, then with
/// `progress = float(s - W) / float(max(1, N - W))`,
/// `factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))` and
/// `max(0, factor * (1 - min_lr_rate) + min_lr_rate)`.
///
/// transformers defines `_get_cosine_schedule_with_warmup_lr_lambda` twice and the second,
/// min_lr definition is the one both schedules run; with `min_lr_rate = 0` it gives the
/// same doubles as the first (`x * 1.0 + 0.0 == x`), so one type serves both.
///
/// Copied on purpose: the cosine is not clamped, so past step `N` the multiplier rises
/// again (back to 1 at `s = W + (N - W) / num_cycles`).
#[derive(Debug)]
struct Cosine {
    ctx: Context,
    num_cycles: f64,
    min_lr_rate: f64,
}

fn build_cosine(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(Cosine {
        ctx: *ctx,
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: 0.0,
    }))
}

fn build_cosine_with_min_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(Cosine {
        ctx: *ctx,
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: min_lr_rate("cosine_with_min_lr", ctx, params)?,
    }))
}

/// The floor of the two min_lr cosines: exactly one of `min_lr` (divided by the optimizer's
/// lr, as transformers does once when building) and `min_lr_rate`.
fn min_lr_rate(schedule: &str, ctx: &Context, params: &Params) -> Result<f64> {
    match (
        params.opt_float("min_lr")?,
        params.opt_float("min_lr_rate")?,
    ) {
        (Some(_), Some(_)) => Err(Error::input(format!(
            "{schedule} takes min_lr or min_lr_rate, not both; transformers: \
             Only one of min_lr or min_lr_rate should be set"
        ))),
        (None, None) => Err(Error::input(format!(
            "{schedule} needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
             --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
             through the `lr_scheduler_kwargs`"
        ))),
        (None, Some(rate)) => Ok(rate),
        (Some(min_lr), None) if ctx.base_lr == 0.0 => Err(Error::input(format!(
            "{schedule} parameter min_lr={} needs --base-lr above 0: transformers computes \
             min_lr / lr, which raises ZeroDivisionError for lr 0; use min_lr_rate instead",
            py_repr(min_lr)
        ))),
        (Some(min_lr), None) => Ok(min_lr / ctx.base_lr),
    }
}

impl Schedule for Cosine {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            let progress = int_diff(step, ctx.warmup) / decay_span(ctx);
            let factor = 0.5 * (1.0 + (PI * self.num_cycles * 2.0 * progress).cos());
            py_max0(factor * (1.0 - self.min_lr_rate) + self.min_lr_rate)
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }
}

/// `get_cosine_with_hard_restarts_schedule_with_warmup`: `s / max(1, W)` below `W`, then with
/// `progress = float(s - W) / float(max(1, N - W))`, 0 once `progress >= 1.0`, else
/// `max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))`.
///
/// transformers declares `num_cycles` an int; a float works there too, so it is accepted.
/// `% 1.0` is Python's modulo (the sign of the divisor), which matters only for a negative
/// `num_cycles`.
#[derive(Debug)]
struct CosineWithRestarts {
    ctx: Context,
    num_cycles: f64,
}

fn build_cosine_with_restarts(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(CosineWithRestarts {
        ctx: *ctx,
        num_cycles: params.float("num_cycles")?,
    }))
}

impl Schedule for CosineWithRestarts {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            let progress = int_diff(step, ctx.warmup) / decay_span(ctx);
            if progress >= 1.0 {
                0.0
            } else {
                let phase = py_mod(self.num_cycles * progress, 1.0);
                py_max0(0.5 * (1.0 + (PI * phase).cos()))
            }
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }
}

/// `get_polynomial_decay_schedule_with_warmup`: `s / max(1, W)` below `W`; `lr_end / lr_init`
/// past `N`; in between `pct_remaining = 1 - (s - W) / (N - W)` and
/// `(lr_range * pct_remaining ** power + lr_end) / lr_init`, `lr_range = lr_init - lr_end`,
/// where `lr_init` is the optimizer's lr (`--base-lr`). `**` is C's `pow`, hence `powf`.
///
/// transformers rejects `lr_end >= lr_init` when building, and so does this. With `W = N`
/// (or a negative `power`) transformers raises `ZeroDivisionError` at step `N` only, one
/// past the last step evaluated, so those are accepted: step `N` gives `lr_end / lr_init`,
/// the value of every later step, and [`Schedule::last_defined_step`] says `N - 1`.
#[derive(Debug)]
struct Polynomial {
    ctx: Context,
    lr_end: f64,
    power: f64,
}

fn build_polynomial(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let lr_end = params.float("lr_end")?;
    let power = params.float("power")?;
    let lr_init = ctx.base_lr;
    // transformers tests `not (lr_init > lr_end)`, which refuses a NaN lr_end as well.
    let smaller = lr_init > lr_end;
    if !smaller {
        return Err(Error::input(format!(
            "polynomial: lr_end ({}) must be smaller than initial lr ({}); \
             lower lr_end (--set lr_end=...) or raise --base-lr",
            py_repr(lr_end),
            py_repr(lr_init)
        )));
    }
    if lr_init == 0.0 {
        return Err(Error::input(format!(
            "polynomial with lr_end={} needs --base-lr above 0: transformers divides by the \
             initial lr from step W on (ZeroDivisionError)",
            py_repr(lr_end)
        )));
    }
    Ok(Box::new(Polynomial {
        ctx: *ctx,
        lr_end,
        power,
    }))
}

impl Polynomial {
    /// True when transformers raises `ZeroDivisionError` at step `N`: `(N - W) / 0` when
    /// `W = N`, or `0.0 ** power` with a negative `power`.
    fn fails_at_horizon(&self) -> bool {
        self.ctx.warmup <= self.ctx.steps && (self.ctx.warmup == self.ctx.steps || self.power < 0.0)
    }
}

impl Schedule for Polynomial {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let lr_init = ctx.base_lr;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else if step > ctx.steps || (step == ctx.steps && self.fails_at_horizon()) {
            self.lr_end / lr_init
        } else {
            let lr_range = lr_init - self.lr_end;
            let pct_remaining = 1.0 - int_diff(step, ctx.warmup) / int_diff(ctx.steps, ctx.warmup);
            let decay = lr_range * pct_remaining.powf(self.power) + self.lr_end;
            decay / lr_init
        };
        Point::from_multiplier(step, m, lr_init)
    }

    fn last_defined_step(&self) -> Option<u64> {
        // N >= 1 is guaranteed by the description, but stay total.
        self.fails_at_horizon()
            .then(|| self.ctx.steps.checked_sub(1))
            .flatten()
    }
}

/// `get_inverse_sqrt_schedule`: `s / max(1, W)` below `W`, then
/// `1.0 / math.sqrt((s + shift) / timescale)` with `shift = timescale - W`.
///
/// Copied on purpose: `timescale=None` means `num_warmup_steps or 10_000`, so it is `W`, or
/// 10000 when there is no warmup. transformers declares `timescale` an int; a float works
/// there too and the arithmetic is the same for whole numbers, so it is accepted.
/// transformers 5.24 passes `scheduler_specific_kwargs` to it (earlier versions dropped
/// `timescale` in `get_scheduler`). No horizon: the decay goes on past `N`.
#[derive(Debug)]
struct InverseSqrt {
    ctx: Context,
    timescale: f64,
}

fn build_inverse_sqrt(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let timescale = match params.opt_float("timescale")? {
        None if ctx.warmup == 0 => 10_000.0,
        None => ctx.warmup as f64,
        Some(t) if t.is_finite() && t > 0.0 => t,
        Some(t) => {
            return Err(Error::input(format!(
                "inverse_sqrt parameter timescale={} must be a positive number: transformers \
                 computes 1 / sqrt((step - W + timescale) / timescale), which raises \
                 ZeroDivisionError or a math domain error (or gives NaN) for it",
                py_repr(t)
            )));
        }
    };
    Ok(Box::new(InverseSqrt {
        ctx: *ctx,
        timescale,
    }))
}

impl Schedule for InverseSqrt {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let m = if step < ctx.warmup {
            warmup_multiplier(step, ctx.warmup)
        } else {
            let shift = self.timescale - ctx.warmup as f64;
            1.0 / ((step as f64 + shift) / self.timescale).sqrt()
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }
}

/// `get_cosine_with_min_lr_schedule_with_warmup_lr_rate`, with every quantity cast to float
/// first: below `W`, `(s + 1.) / max(1., W)`, or with `warmup_lr_rate`
/// `wr + (1.0 - wr) * s / max(1, W - 1)`; then
/// `progress = (s - W + 1.) / max(1., N - W)`,
/// `factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))` and
/// `max(0, factor * (1 - min_lr_rate) + min_lr_rate)`.
///
/// Copied on purpose, all one step ahead of `cosine_with_min_lr`: the warmup starts at
/// `1 / W` (not 0) and reaches 1 at `W - 1`; the cosine starts below 1 at `W` and reaches the
/// floor exactly at step `N - 1`; past it the cosine rises again.
#[derive(Debug)]
struct CosineWarmupWithMinLr {
    ctx: Context,
    num_cycles: f64,
    min_lr_rate: f64,
    warmup_lr_rate: Option<f64>,
}

fn build_cosine_warmup_with_min_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    Ok(Box::new(CosineWarmupWithMinLr {
        ctx: *ctx,
        num_cycles: params.float("num_cycles")?,
        min_lr_rate: min_lr_rate("cosine_warmup_with_min_lr", ctx, params)?,
        warmup_lr_rate: params.opt_float("warmup_lr_rate")?,
    }))
}

impl Schedule for CosineWarmupWithMinLr {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let s = step as f64;
        let w = self.ctx.warmup as f64;
        let n = self.ctx.steps as f64;
        let r = self.min_lr_rate;
        let m = if s < w {
            match self.warmup_lr_rate {
                None => (s + 1.0) / w.max(1.0),
                Some(wr) => wr + (1.0 - wr) * s / (w - 1.0).max(1.0),
            }
        } else {
            let progress = (s - w + 1.0) / (n - w).max(1.0);
            let factor = 0.5 * (1.0 + (PI * self.num_cycles * 2.0 * progress).cos());
            py_max0(factor * (1.0 - r) + r)
        };
        Point::from_multiplier(step, m, self.ctx.base_lr)
    }
}

/// A warmup or decay shape of `get_wsd_schedule`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Linear,
    Cosine,
    OneMinusSqrt,
}

impl Shape {
    fn parse(schedule: &str, param: &str, text: &str) -> Result<Self> {
        match text {
            "linear" => Ok(Shape::Linear),
            "cosine" => Ok(Shape::Cosine),
            "1-sqrt" => Ok(Shape::OneMinusSqrt),
            _ => Err(Error::input(format!(
                "{schedule} parameter {param}={text} is not one of linear, cosine, 1-sqrt"
            ))),
        }
    }
}

/// `get_wsd_schedule`, as `get_scheduler` calls it with `num_training_steps = N`:
/// `S = num_stable_steps`, or `N - W - D` when it is not given (`D = num_decay_steps`),
/// `r = min_lr_ratio`, then
/// - warmup, `s < W`: `p = float(s) / float(max(1, W))`, factor `p`,
///   `0.5 * (1.0 - math.cos(math.pi * p))` or `1.0 - math.sqrt(1.0 - p)`, and
///   `max(0.0, factor * (1.0 - r) + r)`;
/// - stable, `s < W + S`: 1;
/// - decay, `s < W + S + D`: `p = float(s - W - S) / float(max(1, D))`, factor `1.0 - p`,
///   `0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * p))` or `1.0 - math.sqrt(p)`,
///   and `max(0.0, factor * (1.0 - r) + r)`;
/// - then `r`.
///
/// Copied on purpose: the warmup starts at `min_lr_ratio`, not 0; the last step is `r` plus
/// a little, as `r` itself comes at `W + S + D`. When `W + D > N` (and `num_stable_steps` is
/// not given) the derived `S` is negative and transformers starts the decay part-way at step
/// `W`; that is reproduced too. A negative `num_decay_steps` or `num_stable_steps` given
/// explicitly is refused, although transformers does not check it: a phase of negative
/// length has no meaning.
#[derive(Debug)]
struct WarmupStableDecay {
    ctx: Context,
    num_stable_steps: i128,
    num_decay_steps: i128,
    warmup_type: Shape,
    decay_type: Shape,
    min_lr_ratio: f64,
    num_cycles: f64,
}

fn build_warmup_stable_decay(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const NAME: &str = "warmup_stable_decay";
    let negative = |param: &str, value: i64| {
        Error::input(format!(
            "{NAME} parameter {param}={value} must be 0 or more: a phase of negative length \
             has no meaning (transformers does not check it and silently shifts the phases)"
        ))
    };
    let decay = params.int("num_decay_steps")?;
    if decay < 0 {
        return Err(negative("num_decay_steps", decay));
    }
    let decay = i128::from(decay);
    let stable = match params.opt_int("num_stable_steps")? {
        Some(s) if s < 0 => return Err(negative("num_stable_steps", s)),
        Some(s) => i128::from(s),
        None => i128::from(ctx.steps) - i128::from(ctx.warmup) - decay,
    };
    Ok(Box::new(WarmupStableDecay {
        ctx: *ctx,
        num_stable_steps: stable,
        num_decay_steps: decay,
        warmup_type: Shape::parse(NAME, "warmup_type", params.choice("warmup_type")?)?,
        decay_type: Shape::parse(NAME, "decay_type", params.choice("decay_type")?)?,
        min_lr_ratio: params.float("min_lr_ratio")?,
        num_cycles: params.float("num_cycles")?,
    }))
}

impl Schedule for WarmupStableDecay {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let ctx = &self.ctx;
        let r = self.min_lr_ratio;
        let s = i128::from(step);
        let warmup = i128::from(ctx.warmup);
        let decay_start = warmup + self.num_stable_steps;
        let m = if step < ctx.warmup {
            let p = warmup_multiplier(step, ctx.warmup);
            let factor = match self.warmup_type {
                Shape::Linear => p,
                Shape::Cosine => 0.5 * (1.0 - (PI * p).cos()),
                Shape::OneMinusSqrt => 1.0 - (1.0 - p).sqrt(),
            };
            py_max0(factor * (1.0 - r) + r)
        } else if s < decay_start {
            1.0
        } else if s < decay_start + self.num_decay_steps {
            let p = (s - decay_start) as f64 / self.num_decay_steps.max(1) as f64;
            let factor = match self.decay_type {
                Shape::Linear => 1.0 - p,
                Shape::Cosine => 0.5 * (1.0 + (PI * self.num_cycles * 2.0 * p).cos()),
                Shape::OneMinusSqrt => 1.0 - p.sqrt(),
            };
            py_max0(factor * (1.0 - r) + r)
        } else {
            r
        };
        Point::from_multiplier(step, m, ctx.base_lr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::params::Raw;
    use crate::schedule::registry;

    /// Builds `name` as the command line would: `--warmup`, `--steps`, `--base-lr`, `--set`.
    fn build(
        name: &str,
        warmup: u64,
        steps: u64,
        base_lr: f64,
        set: &[(&str, &str)],
    ) -> Result<Box<dyn Schedule>> {
        let entry = registry::find(name)?;
        let given: Vec<(String, Raw)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
            .collect();
        let params = Params::resolve(entry.name, entry.params, &given)?;
        let ctx = Context {
            steps,
            base_lr,
            warmup,
        };
        entry.instantiate(&ctx, &params)
    }

    fn error(name: &str, warmup: u64, steps: u64, base_lr: f64, set: &[(&str, &str)]) -> String {
        match build(name, warmup, steps, base_lr, set) {
            Ok(s) => format!("unexpectedly accepted {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn multipliers(schedule: &dyn Schedule, steps: impl IntoIterator<Item = u64>) -> Vec<f64> {
        steps
            .into_iter()
            .map(|s| schedule.at(s).multiplier)
            .collect()
    }

    #[test]
    fn entries_are_in_scheduler_type_order() {
        let names: Vec<&str> = ENTRIES.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "linear",
                "cosine",
                "cosine_with_restarts",
                "polynomial",
                "constant",
                "constant_with_warmup",
                "inverse_sqrt",
                "cosine_with_min_lr",
                "cosine_warmup_with_min_lr",
                "warmup_stable_decay",
            ]
        );
    }

    #[test]
    fn polynomial_errors_give_transformers_reason() {
        assert_eq!(
            error("polynomial", 0, 10, 0.1, &[("lr_end", "0.2")]),
            "polynomial: lr_end (0.2) must be smaller than initial lr (0.1); \
             lower lr_end (--set lr_end=...) or raise --base-lr"
        );
        assert_eq!(
            error("polynomial", 0, 10, 0.1, &[("lr_end", "0.1")]),
            "polynomial: lr_end (0.1) must be smaller than initial lr (0.1); \
             lower lr_end (--set lr_end=...) or raise --base-lr"
        );
        assert_eq!(
            error("polynomial", 0, 10, 0.0, &[]),
            "polynomial: lr_end (1e-07) must be smaller than initial lr (0.0); \
             lower lr_end (--set lr_end=...) or raise --base-lr"
        );
        assert_eq!(
            error("polynomial", 0, 10, 0.0, &[("lr_end", "-0.5")]),
            "polynomial with lr_end=-0.5 needs --base-lr above 0: transformers divides by the \
             initial lr from step W on (ZeroDivisionError)"
        );
    }

    #[test]
    fn min_lr_errors_give_transformers_reason() {
        assert_eq!(
            error(
                "cosine_with_min_lr",
                0,
                10,
                0.1,
                &[("min_lr", "0.01"), ("min_lr_rate", "0.1")]
            ),
            "cosine_with_min_lr takes min_lr or min_lr_rate, not both; transformers: \
             Only one of min_lr or min_lr_rate should be set"
        );
        assert_eq!(
            error("cosine_with_min_lr", 0, 10, 0.1, &[]),
            "cosine_with_min_lr needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
             --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
             through the `lr_scheduler_kwargs`"
        );
        assert_eq!(
            error(
                "cosine_warmup_with_min_lr",
                2,
                10,
                0.1,
                &[("warmup_lr_rate", "0.1")]
            ),
            "cosine_warmup_with_min_lr needs min_lr or min_lr_rate (add --set min_lr_rate=... or \
             --set min_lr=...); transformers: One of min_lr or min_lr_rate should be set \
             through the `lr_scheduler_kwargs`"
        );
        assert_eq!(
            error(
                "cosine_warmup_with_min_lr",
                2,
                10,
                0.0,
                &[("min_lr", "1e-5")]
            ),
            "cosine_warmup_with_min_lr parameter min_lr=1e-05 needs --base-lr above 0: \
             transformers computes min_lr / lr, which raises ZeroDivisionError for lr 0; \
             use min_lr_rate instead"
        );
    }

    #[test]
    fn inverse_sqrt_refuses_a_timescale_it_cannot_divide_by() {
        for (given, shown) in [("0", "0.0"), ("-20", "-20.0"), ("nan", "nan")] {
            assert_eq!(
                error("inverse_sqrt", 4, 10, 0.1, &[("timescale", given)]),
                format!(
                    "inverse_sqrt parameter timescale={shown} must be a positive number: \
                     transformers computes 1 / sqrt((step - W + timescale) / timescale), which \
                     raises ZeroDivisionError or a math domain error (or gives NaN) for it"
                )
            );
        }
    }

    #[test]
    fn warmup_stable_decay_errors_name_the_parameter() {
        assert_eq!(
            error("warmup_stable_decay", 5, 50, 0.1, &[]),
            "warmup_stable_decay needs num_decay_steps (add --set num_decay_steps=...): \
             length D of the decay phase, which ends at step N unless num_stable_steps is given"
        );
        assert_eq!(
            error(
                "warmup_stable_decay",
                5,
                50,
                0.1,
                &[("num_decay_steps", "-3")]
            ),
            "warmup_stable_decay parameter num_decay_steps=-3 must be 0 or more: a phase of \
             negative length has no meaning (transformers does not check it and silently \
             shifts the phases)"
        );
        assert_eq!(
            error(
                "warmup_stable_decay",
                5,
                50,
                0.1,
                &[("num_decay_steps", "10"), ("num_stable_steps", "-1")]
            ),
            "warmup_stable_decay parameter num_stable_steps=-1 must be 0 or more: a phase of \
             negative length has no meaning (transformers does not check it and silently \
             shifts the phases)"
        );
        assert_eq!(
            error(
                "warmup_stable_decay",
                5,
                50,
                0.1,
                &[("num_decay_steps", "10"), ("decay_type", "exponential")]
            ),
            "warmup_stable_decay parameter decay_type=exponential is not one of linear, cosine, 1-sqrt"
        );
    }

    #[test]
    fn shapes_refuse_unknown_names_without_panicking() {
        assert_eq!(
            Shape::parse("warmup_stable_decay", "warmup_type", "step")
                .map(|s| format!("{s:?}"))
                .unwrap_or_else(|e| e.to_string()),
            "warmup_stable_decay parameter warmup_type=step is not one of linear, cosine, 1-sqrt"
        );
    }

    /// A schedule as `build` takes it (name, warmup, steps, base lr, `--set`), with
    /// `(step, lr)` pairs copied from the golden file.
    type GoldenCase = (
        &'static str,
        u64,
        u64,
        f64,
        &'static [(&'static str, &'static str)],
        &'static [(u64, f64)],
    );

    /// Golden values (`tests/golden/schedules.json`, transformers 5.24), bit for bit.
    #[test]
    fn matches_golden_values_bit_for_bit() -> Result<()> {
        let cases: [GoldenCase; 8] = [
            (
                "linear",
                10,
                100,
                0.1,
                &[],
                &[(45, 0.061111111111111116), (99, 0.0011111111111111111)],
            ),
            (
                "cosine",
                10,
                100,
                0.1,
                &[],
                &[
                    (13, 0.09972609476841367),
                    (55, 0.05),
                    (99, 3.0458649045211895e-05),
                ],
            ),
            (
                // The same cosine value one ulp apart: `% 1.0` rounds the phase differently.
                "cosine_with_restarts",
                10,
                100,
                0.1,
                &[("num_cycles", "3")],
                &[
                    (11, 0.09972609476841367),
                    (40, 0.1),
                    (41, 0.09972609476841368),
                ],
            ),
            (
                "polynomial",
                5,
                100,
                0.01,
                &[("lr_end", "0.0001"), ("power", "2.0")],
                &[(9, 0.009183867036011081), (99, 0.00010109695290858727)],
            ),
            (
                "inverse_sqrt",
                4,
                60,
                0.001,
                &[("timescale", "20")],
                &[(5, 0.0009759000729485331), (59, 0.0005163977794943222)],
            ),
            (
                "cosine_with_min_lr",
                5,
                80,
                0.001,
                &[("min_lr", "1e-05")],
                &[(8, 0.0009960967771506667), (79, 1.0434199101065101e-05)],
            ),
            (
                "cosine_warmup_with_min_lr",
                8,
                50,
                0.01,
                &[("min_lr", "0.001"), ("warmup_lr_rate", "0.25")],
                &[(0, 0.0025), (1, 0.0035714285714285718), (49, 0.001)],
            ),
            (
                "warmup_stable_decay",
                5,
                60,
                0.1,
                &[
                    ("num_decay_steps", "30"),
                    ("warmup_type", "cosine"),
                    ("decay_type", "linear"),
                    ("min_lr_ratio", "0.1"),
                ],
                &[
                    (0, 0.010000000000000002),
                    (1, 0.018594235253127367),
                    (32, 0.09400000000000001),
                    (59, 0.013000000000000001),
                ],
            ),
        ];
        for (name, warmup, steps, base_lr, set, want) in cases {
            let schedule = build(name, warmup, steps, base_lr, set)?;
            for &(step, lr) in want {
                let got = schedule.at(step).lr;
                assert_eq!(
                    got.to_bits(),
                    lr.to_bits(),
                    "{name} step {step}: got {got:?}, want {lr:?}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn linear_and_restarts_reach_zero_at_the_horizon_and_stay() -> Result<()> {
        let linear = build("linear", 10, 100, 0.1, &[])?;
        assert_eq!(
            multipliers(&*linear, [99, 100, 101, 1000]),
            [1.0 / 90.0, 0.0, 0.0, 0.0]
        );
        let restarts = build("cosine_with_restarts", 10, 100, 0.1, &[("num_cycles", "3")])?;
        assert!(restarts.at(99).multiplier > 0.0);
        assert_eq!(multipliers(&*restarts, [100, 101, 5000]), [0.0, 0.0, 0.0]);
        Ok(())
    }

    #[test]
    fn cosines_rise_again_past_the_horizon() -> Result<()> {
        let cosine = build("cosine", 10, 100, 0.1, &[])?;
        // progress 1 at N, 2 at 2N - W: the floor, then back to the top.
        assert_eq!(cosine.at(100).multiplier, 0.0);
        assert!(cosine.at(101).multiplier > 0.0);
        assert_eq!(cosine.at(190).multiplier, 1.0);

        let min_lr = build(
            "cosine_with_min_lr",
            10,
            100,
            0.1,
            &[("min_lr_rate", "0.1")],
        )?;
        assert_eq!(min_lr.at(100).multiplier, 0.1);
        assert_eq!(min_lr.at(190).multiplier, 1.0);

        // One step ahead: the floor comes at N - 1 and the top again at 2N - W - 1.
        let ahead = build(
            "cosine_warmup_with_min_lr",
            10,
            100,
            0.1,
            &[("min_lr_rate", "0.1")],
        )?;
        assert_eq!(ahead.at(99).multiplier, 0.1);
        assert!(ahead.at(100).multiplier > 0.1);
        assert_eq!(ahead.at(189).multiplier, 1.0);
        Ok(())
    }

    #[test]
    fn cosine_warmup_with_min_lr_starts_one_step_ahead() -> Result<()> {
        let s = build(
            "cosine_warmup_with_min_lr",
            4,
            10,
            1.0,
            &[("min_lr_rate", "0")],
        )?;
        assert_eq!(multipliers(&*s, 0..4), [0.25, 0.5, 0.75, 1.0]);
        assert!(s.at(4).multiplier < 1.0);
        let rate = build(
            "cosine_warmup_with_min_lr",
            5,
            10,
            1.0,
            &[("min_lr_rate", "0"), ("warmup_lr_rate", "0.2")],
        )?;
        assert_eq!(
            multipliers(&*rate, 0..5),
            [0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        Ok(())
    }

    #[test]
    fn polynomial_holds_lr_end_and_survives_warmup_equal_to_steps() -> Result<()> {
        let p = build("polynomial", 2, 10, 0.5, &[("lr_end", "0.25")])?;
        assert_eq!(multipliers(&*p, [10, 11, 500]), [0.5, 0.5, 0.5]);
        assert_eq!(p.last_defined_step(), None);

        // transformers divides (N - W) / 0 at step N = W, one past the last step evaluated.
        let w_eq_n = build("polynomial", 10, 10, 0.5, &[("lr_end", "0.25")])?;
        let m = multipliers(&*w_eq_n, 0..=12);
        assert!(m.iter().all(|x| x.is_finite()), "{m:?}");
        assert_eq!(m[9], 0.9);
        assert_eq!(&m[10..], [0.5, 0.5, 0.5]);
        assert_eq!(w_eq_n.last_defined_step(), Some(9));

        // 0.0 ** power with a negative power fails there too.
        let negative = build(
            "polynomial",
            0,
            10,
            0.5,
            &[("lr_end", "0.25"), ("power", "-1")],
        )?;
        assert!(
            multipliers(&*negative, 0..=11)
                .iter()
                .all(|x| x.is_finite())
        );
        assert_eq!(negative.last_defined_step(), Some(9));
        Ok(())
    }

    #[test]
    fn inverse_sqrt_timescale_defaults_to_warmup_or_ten_thousand() -> Result<()> {
        let no_warmup = build("inverse_sqrt", 0, 10, 1.0, &[])?;
        assert_eq!(no_warmup.at(0).multiplier, 1.0);
        assert_eq!(no_warmup.at(10_000).multiplier, 1.0 / 2.0_f64.sqrt());
        let warmup = build("inverse_sqrt", 10, 100, 1.0, &[])?;
        assert_eq!(warmup.at(10).multiplier, 1.0);
        assert_eq!(warmup.at(40).multiplier, 0.5);
        // No horizon: it keeps decaying.
        assert!(warmup.at(1_000_000).multiplier < warmup.at(100).multiplier);
        Ok(())
    }

    #[test]
    fn warmup_stable_decay_phases() -> Result<()> {
        let r = "0.25";
        let wsd = build(
            "warmup_stable_decay",
            4,
            20,
            1.0,
            &[("num_decay_steps", "8"), ("min_lr_ratio", r)],
        )?;
        // Warms up from min_lr_ratio, not 0; stable from W to N - D; min_lr_ratio from N on.
        assert_eq!(wsd.at(0).multiplier, 0.25);
        assert_eq!(multipliers(&*wsd, 4..12), [1.0; 8]);
        assert!(wsd.at(19).multiplier > 0.25);
        assert_eq!(multipliers(&*wsd, [20, 21, 900]), [0.25, 0.25, 0.25]);

        // num_stable_steps wins over --steps: the floor comes at W + S + D.
        let stable = build(
            "warmup_stable_decay",
            4,
            20,
            1.0,
            &[("num_decay_steps", "8"), ("num_stable_steps", "2")],
        )?;
        assert_eq!(multipliers(&*stable, [5, 6]), [1.0, 1.0]);
        assert!(stable.at(7).multiplier < 1.0);
        assert_eq!(stable.at(14).multiplier, 0.0);

        // W + D > N: the derived stable length is negative and the decay starts part-way.
        let short = build(
            "warmup_stable_decay",
            10,
            50,
            1.0,
            &[("num_decay_steps", "100")],
        )?;
        let p: f64 = 60.0 / 100.0;
        assert_eq!(
            short.at(10).multiplier,
            0.5 * (1.0 + (PI * 0.5 * 2.0 * p).cos())
        );
        assert_eq!(short.at(50).multiplier, 0.0);
        Ok(())
    }

    #[test]
    fn python_max_and_modulo() {
        assert_eq!(py_max0(f64::NAN), 0.0);
        assert_eq!(py_max0(-0.0).to_bits(), 0.0_f64.to_bits());
        assert_eq!(py_max0(0.5), 0.5);
        assert_eq!(py_mod(-0.25, 1.0), 0.75);
        assert_eq!(py_mod(-1.0, 1.0).to_bits(), 0.0_f64.to_bits());
        assert_eq!(py_mod(2.5, 1.0), 0.5);
    }
}
