//! DeepSpeed's warmup family: `WarmupLR`, `WarmupDecayLR` and `WarmupCosineLR`, one step
//! behind the iteration they compute (`lr[0]` is iteration -1).

use std::f64::consts::PI;

use super::{Iteration, LAST_BATCH_ITERATION, Start, total_num_steps, warmup_num_steps};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// The warmup curve shared by the three classes: `W = max(2, warmup_num_steps)`, and at
/// iteration `i < W` either `(1.0 / ln(W)) * ln(i + 1)` (`'log'`, and any unknown
/// `warmup_type`, which DeepSpeed replaces by `'log'` with a warning) or `i / W`
/// (`'linear'`).
#[derive(Clone, Copy, Debug)]
struct Curve {
    num_steps: f64,
    inverse_log_warm_up: f64,
    linear: bool,
}

impl Curve {
    fn new(warmup_num_steps: i64, warmup_type: &str) -> Self {
        let num_steps = warmup_num_steps.max(2) as f64;
        Curve {
            num_steps,
            inverse_log_warm_up: 1.0 / num_steps.ln(),
            linear: warmup_type == "linear",
        }
    }

    /// The warmup fraction at iteration `i`, or `None` once the warmup is over.
    #[inline]
    fn gamma(&self, i: f64) -> Option<f64> {
        if i >= self.num_steps {
            None
        } else if self.linear {
            Some(i / self.num_steps)
        } else {
            Some(self.inverse_log_warm_up * (i + 1.0).ln())
        }
    }
}

/// Python's `max(a, b)`: `a` unless `b` is strictly greater.
#[inline]
fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Python's `min(a, b)`: `a` unless `b` is strictly smaller.
#[inline]
fn py_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// What follows the warmup.
#[derive(Clone, Copy, Debug)]
enum After {
    /// `WarmupLR`: `gamma = 1.0`.
    Hold,
    /// `WarmupDecayLR`: `gamma = max(0.0, (T - i) / max(1.0, T - W))`.
    Decay { total_num_steps: f64 },
}

/// `WarmupLR(optimizer, warmup_min_lr=0.0, warmup_max_lr=None, warmup_num_steps=1000,
/// warmup_type='log')` and `WarmupDecayLR(optimizer, total_num_steps, warmup_min_lr=0.0,
/// warmup_max_lr=0.001, warmup_num_steps=1000, warmup_type='log')`.
///
/// `lr[0] = warmup_min_lr`; `lr[k] = warmup_min_lr + (warmup_max_lr - warmup_min_lr) *
/// gamma(k - 1)` with the warmup [`Curve`], then `1.0` (`WarmupLR`) or the linear decay
/// (`WarmupDecayLR`), which reaches `warmup_min_lr` at `k = T + 1`. Absolute, except that
/// `WarmupLR` without `warmup_max_lr` warms up to the optimizer's lr (`--base-lr`).
#[derive(Debug)]
struct WarmupLr {
    /// `warmup_max_lr` was given (else it is the optimizer's lr).
    own_max_lr: bool,
    min_lr: f64,
    delta_lr: f64,
    curve: Curve,
    after: After,
    start: Start,
    optimizer_lr: f64,
}

impl Schedule for WarmupLr {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let lr = match self.start.iteration(step) {
            Iteration::Optimizer => self.optimizer_lr,
            // `get_lr()` before the first step gives the min lrs.
            Iteration::Constructor => self.min_lr,
            Iteration::At(i) if i < 0.0 => self.min_lr,
            Iteration::At(i) => {
                let gamma = self.curve.gamma(i).unwrap_or_else(|| match self.after {
                    After::Hold => 1.0,
                    After::Decay { total_num_steps: t } => {
                        py_max(0.0, (t - i) / py_max(1.0, t - self.curve.num_steps))
                    }
                });
                self.min_lr + self.delta_lr * gamma
            }
        };
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        self.own_max_lr && self.start.sets_every_lr()
    }
}

fn build_warmup(
    class: &str,
    ctx: &Context,
    params: &Params,
    after: After,
) -> Result<Box<dyn Schedule>> {
    let warmup_num_steps = warmup_num_steps(class, ctx, params)?;
    let min_lr = params.float("warmup_min_lr")?;
    let own_max_lr = params.opt_float("warmup_max_lr")?;
    let max_lr = own_max_lr.unwrap_or(ctx.base_lr);
    Ok(Box::new(WarmupLr {
        own_max_lr: own_max_lr.is_some(),
        min_lr,
        delta_lr: max_lr - min_lr,
        curve: Curve::new(warmup_num_steps, params.choice("warmup_type")?),
        after,
        start: Start::of(params)?,
        optimizer_lr: ctx.base_lr,
    }))
}

fn build_warmup_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build_warmup("WarmupLR", ctx, params, After::Hold)
}

fn build_warmup_decay_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let total_num_steps = total_num_steps(ctx, params)?;
    build_warmup(
        "WarmupDecayLR",
        ctx,
        params,
        After::Decay { total_num_steps },
    )
}

/// `WarmupCosineLR(optimizer, total_num_steps, warmup_min_ratio=0.0, warmup_num_steps=1000,
/// cos_min_ratio=0.0001, warmup_type='log')`: a ratio of the optimizer's lr.
///
/// `lr[0] = 0.0`; `lr[k] = base_lr * ratio(k - 1)` with, at iteration `i < W`, `ratio =
/// warmup_min_ratio + gamma(i) * (1 - warmup_min_ratio)` (the warmup [`Curve`]), then
/// `progress = min(1.0, (i - W + 1) / max(1, T - W))` and `ratio = max(0.0, cos_min_ratio
/// + (1 - cos_min_ratio) * (1 + cos(pi * progress)) / 2)`, held at `cos_min_ratio` from
/// `k = T` (DeepSpeed 0.19.8 clamps the progress; older versions let the cosine rise again).
#[derive(Debug)]
struct WarmupCosineLr {
    total_num_steps: f64,
    warmup_min_ratio: f64,
    cos_min_ratio: f64,
    curve: Curve,
    start: Start,
    base_lr: f64,
}

impl WarmupCosineLr {
    #[inline]
    fn ratio(&self, i: f64) -> f64 {
        if let Some(gamma) = self.curve.gamma(i) {
            let ratio_delta = 1.0 - self.warmup_min_ratio;
            return self.warmup_min_ratio + gamma * ratio_delta;
        }
        let real_last_step = i - self.curve.num_steps + 1.0;
        let real_total_steps = py_max(1.0, self.total_num_steps - self.curve.num_steps);
        let cosine_progress = py_min(1.0, real_last_step / real_total_steps);
        let ratio_delta = 1.0 - self.cos_min_ratio;
        let ratio = (1.0 + (PI * cosine_progress).cos()) / 2.0;
        py_max(0.0, self.cos_min_ratio + ratio_delta * ratio)
    }
}

impl Schedule for WarmupCosineLr {
    #[inline]
    fn at(&self, step: u64) -> Point {
        match self.start.iteration(step) {
            Iteration::Optimizer => Point::from_multiplier(step, 1.0, self.base_lr),
            // `get_lr()` before the first step gives exactly 0.0, not a ratio of the lr.
            Iteration::Constructor => Point::from_lr(step, 0.0, self.base_lr),
            Iteration::At(i) if i < 0.0 => Point::from_lr(step, 0.0, self.base_lr),
            Iteration::At(i) => Point::from_multiplier(step, self.ratio(i), self.base_lr),
        }
    }
}

fn build_warmup_cosine_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let warmup_num_steps = warmup_num_steps("WarmupCosineLR", ctx, params)?;
    Ok(Box::new(WarmupCosineLr {
        total_num_steps: total_num_steps(ctx, params)?,
        warmup_min_ratio: params.float("warmup_min_ratio")?,
        cos_min_ratio: params.float("cos_min_ratio")?,
        curve: Curve::new(warmup_num_steps, params.choice("warmup_type")?),
        start: Start::of(params)?,
        base_lr: ctx.base_lr,
    }))
}

const WARMUP_MIN_LR: ParamSpec = ParamSpec {
    name: "warmup_min_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "lr at the start of the warmup (absolute)",
};

const WARMUP_NUM_STEPS: ParamSpec = ParamSpec {
    name: "warmup_num_steps",
    kind: ParamKind::Number,
    default: ParamDefault::Absent,
    doc: "warmup iterations: a positive int (DeepSpeed rejects 0, negatives and floats), \
          raised to at least 2 (None: --warmup, else DeepSpeed's default 1000)",
};

const WARMUP_TYPE: ParamSpec = ParamSpec {
    name: "warmup_type",
    kind: ParamKind::Text(&["log", "linear"]),
    default: ParamDefault::Str("log"),
    doc: "'log' (ln(i + 1) / ln(W)) or 'linear' (i / W); DeepSpeed takes any other \
          string as 'log', with a warning",
};

const TOTAL_NUM_STEPS: ParamSpec = ParamSpec {
    name: "total_num_steps",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "iteration at which the decay ends (None: --steps); fractional values work",
};

pub(super) const WARMUP_LR: Entry = Entry {
    name: "WarmupLR",
    library: Library::DeepSpeed,
    upstream: "deepspeed.runtime.lr_schedules.WarmupLR(optimizer, warmup_min_lr=0.0, \
               warmup_max_lr=None, warmup_num_steps=1000, warmup_type='log', last_batch_iteration=-1)",
    summary: "warms up from warmup_min_lr to warmup_max_lr (log or linear), then holds it",
    formula: "W = max(2, warmup_num_steps), i = k - 1; lr[0] = warmup_min_lr; lr[k] = \
              warmup_min_lr + (warmup_max_lr - warmup_min_lr) * g, g = ln(i + 1) / ln(W) \
              (log) or i / W (linear) while i < W, then 1",
    horizon: "no horizon: warmup_max_lr is held for ever; --steps is only the steps \
              evaluated. Absolute unless warmup_max_lr is None (then --base-lr)",
    params: &[
        WARMUP_MIN_LR,
        ParamSpec {
            name: "warmup_max_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "lr at the end of the warmup (None: the optimizer's lr, --base-lr)",
        },
        WARMUP_NUM_STEPS,
        WARMUP_TYPE,
        LAST_BATCH_ITERATION,
    ],
    takes_warmup: true,
    build: build_warmup_lr,
};

pub(super) const WARMUP_DECAY_LR: Entry = Entry {
    name: "WarmupDecayLR",
    library: Library::DeepSpeed,
    upstream: "deepspeed.runtime.lr_schedules.WarmupDecayLR(optimizer, total_num_steps, \
               warmup_min_lr=0.0, warmup_max_lr=0.001, warmup_num_steps=1000, \
               warmup_type='log', last_batch_iteration=-1)",
    summary: "WarmupLR's warmup, then a linear decay to warmup_min_lr at total_num_steps \
              (absolute)",
    formula: "W = max(2, warmup_num_steps), T = total_num_steps, i = k - 1; lr[0] = \
              warmup_min_lr; lr[k] = warmup_min_lr + (warmup_max_lr - warmup_min_lr) * g, g \
              = ln(i + 1) / ln(W) (log) or i / W (linear) while i < W, then max(0, (T - i) / \
              max(1, T - W))",
    horizon: "warmup_min_lr from k = T + 1 on (T <= W: right after the warmup); \
              total_num_steps is --steps when not set",
    params: &[
        TOTAL_NUM_STEPS,
        WARMUP_MIN_LR,
        ParamSpec {
            name: "warmup_max_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.001),
            doc: "lr at the end of the warmup (absolute: not the optimizer's lr)",
        },
        WARMUP_NUM_STEPS,
        WARMUP_TYPE,
        LAST_BATCH_ITERATION,
    ],
    takes_warmup: true,
    build: build_warmup_decay_lr,
};

pub(super) const WARMUP_COSINE_LR: Entry = Entry {
    name: "WarmupCosineLR",
    library: Library::DeepSpeed,
    upstream: "deepspeed.runtime.lr_schedules.WarmupCosineLR(optimizer, total_num_steps, \
               warmup_min_ratio=0.0, warmup_num_steps=1000, cos_min_ratio=0.0001, \
               warmup_type='log', last_batch_iteration=-1)",
    summary: "warms up a ratio of --base-lr to 1, then a cosine down to cos_min_ratio",
    formula: "W = max(2, warmup_num_steps), T = total_num_steps, i = k - 1; lr[0] = 0; \
              lr[k] = base_lr * r; while i < W: r = warmup_min_ratio + g * (1 - \
              warmup_min_ratio), g = ln(i + 1) / ln(W) (log) or i / W (linear); then p = \
              min(1, (i - W + 1) / max(1, T - W)), r = max(0, cos_min_ratio + (1 - \
              cos_min_ratio) * (1 + cos(pi p)) / 2)",
    horizon: "cos_min_ratio * base_lr from k = T on (T < W: right after the warmup); \
              total_num_steps is --steps when not set",
    params: &[
        TOTAL_NUM_STEPS,
        ParamSpec {
            name: "warmup_min_ratio",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "ratio of the optimizer's lr at the start of the warmup (lr[0] is 0 \
                  whatever it is)",
        },
        WARMUP_NUM_STEPS,
        ParamSpec {
            name: "cos_min_ratio",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0001),
            doc: "ratio of the optimizer's lr at the end of the cosine",
        },
        WARMUP_TYPE,
        LAST_BATCH_ITERATION,
    ],
    takes_warmup: true,
    build: build_warmup_cosine_lr,
};
