//! `warmup_stable_decay`: a warmup from `min_lr_ratio`, a stable phase at 1, then a decay
//! back to `min_lr_ratio`, each phase in one of three shapes.

use std::f64::consts::PI;

use super::py_max0;
use crate::error::{Error, Result};
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule, warmup_multiplier};

/// The shapes `get_wsd_schedule` accepts for `warmup_type` and `decay_type`.
const WSD_SHAPES: &[&str] = &["linear", "cosine", "1-sqrt"];

/// A warmup or decay shape of `get_wsd_schedule`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Shape {
    Linear,
    Cosine,
    OneMinusSqrt,
}

impl Shape {
    pub(super) fn parse(schedule: &str, param: &str, text: &str) -> Result<Self> {
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

pub(super) const WARMUP_STABLE_DECAY: Entry = Entry {
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
};
