//! Megatron-Core's `OptimizerParamScheduler` (megatron-core 0.16.1), one entry per
//! `lr_decay_style`, stepped once per iteration: `lr[k]` is `get_lr` at `num_steps = k`.

use std::f64::consts::PI;

use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::registry::{Entry, Library};
use super::{Context, Point, Schedule};
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::suggest::did_you_mean;

/// The Megatron entries of the registry, in the order of Megatron's `--lr-decay-style`
/// choices.
pub static ENTRIES: &[Entry] = &[CONSTANT, LINEAR, COSINE, INVERSE_SQUARE_ROOT, WSD];

/// The error for `megatron:STYLE` with a style Megatron does not know. Megatron's
/// constructor accepts any string; `get_lr` raises on the first step that reaches the
/// decay (right after the warmup, or in the constructor without one).
pub fn unknown_style(style: &str) -> Error {
    Error::input(format!(
        "unknown schedule 'megatron:{style}': Megatron raises Exception: {style} decay style \
         is not supported. (at the first step after the warmup); lr_decay_style is one of \
         constant, linear, cosine, inverse-square-root, WSD (lrsched list shows all)"
    ))
}

/// `lr_wsd_decay_style`: the anneal of WSD's last `wsd_decay_steps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anneal {
    /// `1 - r`.
    Linear,
    /// `0.5 * (cos(pi * r) + 1)`.
    Cosine,
    /// `2 * 0.5^r - 1`.
    Exponential,
    /// `1 - sqrt(r)`.
    MinusSqrt,
    /// `None` or an unknown string: Megatron asserts `coeff is not None` once the anneal
    /// starts.
    Unknown,
}

/// `lr_decay_style`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    Constant,
    Linear,
    Cosine,
    InverseSquareRoot,
    Wsd {
        wsd_decay_steps: f64,
        anneal: Anneal,
    },
}

/// `OptimizerParamScheduler(optimizer, init_lr, max_lr, min_lr, lr_warmup_steps,
/// lr_decay_steps, lr_decay_style, ..., wsd_decay_steps=None, lr_wsd_decay_style=None)`,
/// the lr part.
///
/// With `W = lr_warmup_steps`, `D = lr_decay_steps`, at `k`: while `W > 0 and k <= W`,
/// `init_lr + (max_lr - init_lr) * k / W`; `constant` then holds `max_lr`; every other style
/// gives `min_lr` for `k > D`, else `max(min_lr, max_lr * max(W, 1)^0.5 / max(k, 1)^0.5)`
/// (`inverse-square-root`) or `min_lr + coeff * (max_lr - min_lr)` with `r = (k - W) / (D -
/// W)` and `coeff = 1 - r` (`linear`), `0.5 * (cos(pi r) + 1)` (`cosine`), or for `WSD` 1
/// until `k > D - wsd_decay_steps`, then the `lr_wsd_decay_style` anneal of `(k - (D -
/// wsd_decay_steps)) / wsd_decay_steps`. Absolute: `--base-lr` only enters the multiplier
/// column.
#[derive(Debug)]
struct OptimizerParamScheduler {
    init_lr: f64,
    max_lr: f64,
    min_lr: f64,
    lr_warmup_steps: f64,
    lr_decay_steps: f64,
    style: Style,
    optimizer_lr: f64,
    /// `max_lr` was given (else it is the optimizer's lr).
    absolute: bool,
    /// The first step where Megatron's `assert coeff is not None` fails (WSD without a
    /// known `lr_wsd_decay_style`), and the message that says so.
    failure: Option<(u64, String)>,
}

impl OptimizerParamScheduler {
    /// Megatron's `get_lr` at `num_steps = k`; `None` where it asserts.
    #[inline]
    fn get_lr(&self, k: f64) -> Option<f64> {
        let (max_lr, min_lr) = (self.max_lr, self.min_lr);
        if self.lr_warmup_steps > 0.0 && k <= self.lr_warmup_steps {
            return Some(self.init_lr + ((max_lr - self.init_lr) * k / self.lr_warmup_steps));
        }
        if self.style == Style::Constant {
            return Some(max_lr);
        }
        if k > self.lr_decay_steps {
            return Some(min_lr);
        }
        if self.style == Style::InverseSquareRoot {
            let warmup_steps = py_max(self.lr_warmup_steps, 1.0);
            let num_steps = py_max(k, 1.0);
            let lr = max_lr * warmup_steps.powf(0.5) / num_steps.powf(0.5);
            return Some(py_max(min_lr, lr));
        }
        let decay_ratio = (k - self.lr_warmup_steps) / (self.lr_decay_steps - self.lr_warmup_steps);
        let delta_lr = max_lr - min_lr;
        let coeff = match self.style {
            Style::Linear => 1.0 - decay_ratio,
            Style::Wsd {
                wsd_decay_steps,
                anneal,
            } => {
                let wsd_anneal_start = self.lr_decay_steps - wsd_decay_steps;
                if k <= wsd_anneal_start {
                    1.0
                } else {
                    let r = (k - wsd_anneal_start) / wsd_decay_steps;
                    match anneal {
                        Anneal::Linear => 1.0 - r,
                        Anneal::Cosine => 0.5 * ((PI * r).cos() + 1.0),
                        Anneal::Exponential => (2.0 * 0.5f64.powf(r)) - 1.0,
                        Anneal::MinusSqrt => 1.0 - r.sqrt(),
                        Anneal::Unknown => return None,
                    }
                }
            }
            _ => 0.5 * ((PI * decay_ratio).cos() + 1.0),
        };
        Some(min_lr + coeff * delta_lr)
    }
}

/// Python's `max(a, b)`: `a` unless `b` is strictly greater.
#[inline]
fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

impl Schedule for OptimizerParamScheduler {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let lr = self.get_lr(step as f64).unwrap_or(f64::NAN);
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        self.absolute
    }

    fn last_defined_step(&self) -> Option<u64> {
        self.failure
            .as_ref()
            .map(|(step, _)| step.saturating_sub(1))
    }

    fn error_at(&self, step: u64) -> Option<Error> {
        self.failure
            .as_ref()
            .filter(|(at, _)| step >= *at)
            .map(|(_, message)| Error::input(message.clone()))
    }
}

/// A constructor `assert` that fails, with the condition Megatron checks.
fn assertion(style: &str, detail: String, condition: &str) -> Error {
    Error::input(format!(
        "megatron:{style} {detail}: Megatron raises AssertionError (`assert {condition}` in \
         OptimizerParamScheduler's constructor)"
    ))
}

/// A number given as an int or a float, as a double.
fn number(value: Option<Value>) -> Option<f64> {
    match value {
        Some(Value::Float(x)) => Some(x),
        Some(Value::Int(i)) => Some(i as f64),
        _ => None,
    }
}

#[allow(
    clippy::neg_cmp_op_on_partial_ord,
    reason = "Python's `assert x >= 0.0` fails for NaN too, as `!(x >= 0.0)` does"
)]
fn build(style_name: &str, ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let init_lr = params.float("init_lr")?;
    let own_max_lr = params.opt_float("max_lr")?;
    let max_lr = own_max_lr.unwrap_or(ctx.base_lr);
    let min_lr = params.float("min_lr")?;
    let flag = (ctx.warmup > 0).then(|| Value::Int(i64::try_from(ctx.warmup).unwrap_or(i64::MAX)));
    let lr_warmup_steps = number(params.or_flag(
        &format!("megatron:{style_name}"),
        "lr_warmup_steps",
        ("--warmup", flag),
    )?)
    .unwrap_or(0.0);
    let lr_decay_steps = params
        .opt_float("lr_decay_steps")?
        .unwrap_or(ctx.steps as f64);
    let wsd_decay_steps = params.opt_float("wsd_decay_steps")?;
    let wsd_style = params.value("lr_wsd_decay_style").map(|v| match v {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    });

    let lr = |name: &str, x: f64| format!("{name}={}", py_repr(x));
    if !(min_lr >= 0.0) {
        return Err(assertion(
            style_name,
            lr("min_lr", min_lr),
            "self.min_lr >= 0.0",
        ));
    }
    if !(max_lr >= min_lr) {
        return Err(assertion(
            style_name,
            format!("{} with {}", lr("min_lr", min_lr), lr("max_lr", max_lr)),
            "self.max_lr >= self.min_lr",
        ));
    }
    if !(init_lr <= max_lr) {
        return Err(assertion(
            style_name,
            format!("{} with {}", lr("init_lr", init_lr), lr("max_lr", max_lr)),
            "self.init_lr <= self.max_lr",
        ));
    }
    if !(lr_decay_steps > 0.0) {
        return Err(assertion(
            style_name,
            lr("lr_decay_steps", lr_decay_steps),
            "self.lr_decay_steps > 0",
        ));
    }
    if !(lr_warmup_steps < lr_decay_steps) {
        return Err(assertion(
            style_name,
            format!(
                "{} with {}",
                lr("lr_warmup_steps", lr_warmup_steps),
                lr("lr_decay_steps", lr_decay_steps)
            ),
            "self.lr_warmup_steps < self.lr_decay_steps",
        ));
    }
    let style = match style_name {
        "constant" => Style::Constant,
        "linear" => Style::Linear,
        "cosine" => Style::Cosine,
        "inverse-square-root" => Style::InverseSquareRoot,
        _ => {
            let Some(wsd_decay_steps) = wsd_decay_steps else {
                return Err(assertion(
                    style_name,
                    "wsd_decay_steps=None".to_string(),
                    "self.wsd_decay_steps is not None",
                ));
            };
            let anneal = match wsd_style.as_deref() {
                Some("linear") => Anneal::Linear,
                Some("cosine") => Anneal::Cosine,
                Some("exponential") => Anneal::Exponential,
                Some("minus_sqrt") => Anneal::MinusSqrt,
                _ => Anneal::Unknown,
            };
            Style::Wsd {
                wsd_decay_steps,
                anneal,
            }
        }
    };
    let mut schedule = OptimizerParamScheduler {
        init_lr,
        max_lr,
        min_lr,
        lr_warmup_steps,
        lr_decay_steps,
        style,
        optimizer_lr: ctx.base_lr,
        absolute: own_max_lr.is_some(),
        failure: None,
    };
    if let Style::Wsd {
        anneal: Anneal::Unknown,
        wsd_decay_steps,
    } = style
    {
        // The anneal runs over `D - wsd_decay_steps < k <= D` outside the warmup; the
        // first such k is where Megatron's `assert coeff is not None` fails.
        let start = lr_decay_steps - wsd_decay_steps;
        let mut k = if start < 0.0 {
            0.0
        } else {
            start.floor() + 1.0
        };
        if lr_warmup_steps > 0.0 && k <= lr_warmup_steps {
            k = lr_warmup_steps.floor() + 1.0;
        }
        if k <= lr_decay_steps {
            let step = k as u64;
            let shown = wsd_style.as_deref().unwrap_or("None");
            let at = if step == 0 {
                "in the constructor (step 0)".to_string()
            } else {
                format!("at step {step}, where the anneal starts")
            };
            let suggestion = wsd_style
                .as_deref()
                .map(|typed| did_you_mean(typed, WSD_STYLES.iter().copied()))
                .unwrap_or_default();
            let message = |within: &str| {
                format!(
                    "megatron:WSD lr_wsd_decay_style={shown}: Megatron raises AssertionError \
                     (`assert coeff is not None`) {at}{within}: lr_wsd_decay_style must be \
                     linear, cosine, exponential or minus_sqrt{suggestion}"
                )
            };
            if step < ctx.steps {
                return Err(Error::input(message(&format!(
                    ", within --steps {}",
                    ctx.steps
                ))));
            }
            schedule.failure = Some((step, message("")));
        }
    }
    Ok(Box::new(schedule))
}

fn build_constant(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build("constant", ctx, params)
}

fn build_linear(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build("linear", ctx, params)
}

fn build_cosine(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build("cosine", ctx, params)
}

fn build_inverse_square_root(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build("inverse-square-root", ctx, params)
}

fn build_wsd(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build("WSD", ctx, params)
}

const INIT_LR: ParamSpec = ParamSpec {
    name: "init_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "lr at step 0 of the warmup (Megatron's --lr-warmup-init; at most max_lr)",
};

const MAX_LR: ParamSpec = ParamSpec {
    name: "max_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "lr at the end of the warmup (None: --base-lr, as Megatron's max_lr is --lr)",
};

const MIN_LR: ParamSpec = ParamSpec {
    name: "min_lr",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "lr at the end of the decay and after it (at least 0, at most max_lr)",
};

const LR_WARMUP_STEPS: ParamSpec = ParamSpec {
    name: "lr_warmup_steps",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "warmup steps, below lr_decay_steps; fractional values work (None: --warmup, else 0 \
          as Megatron's --lr-warmup-iters)",
};

const LR_DECAY_STEPS: ParamSpec = ParamSpec {
    name: "lr_decay_steps",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "step at which the decay ends, counted from step 0 (None: --steps, as Megatron's \
          lr_decay_iters defaults to train_iters)",
};

const WSD_DECAY_STEPS: ParamSpec = ParamSpec {
    name: "wsd_decay_steps",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "WSD only: steps of the final anneal, ending at lr_decay_steps (required for WSD; \
          accepted and unused by the other styles, as in Megatron)",
};

/// The anneals Megatron's WSD knows (any other raises when the anneal starts).
const WSD_STYLES: &[&str] = &["linear", "cosine", "exponential", "minus_sqrt"];

const LR_WSD_DECAY_STYLE: ParamSpec = ParamSpec {
    name: "lr_wsd_decay_style",
    kind: ParamKind::Text(WSD_STYLES),
    default: ParamDefault::Absent,
    doc: "WSD only: linear, cosine, exponential or minus_sqrt (Megatron's command line \
          defaults to exponential; the class's default None, or another string, raises \
          AssertionError when the anneal starts)",
};

const PARAMS: &[ParamSpec] = &[
    INIT_LR,
    MAX_LR,
    MIN_LR,
    LR_WARMUP_STEPS,
    LR_DECAY_STEPS,
    WSD_DECAY_STEPS,
    LR_WSD_DECAY_STYLE,
];

const UPSTREAM: &str = "megatron.core.optimizer_param_scheduler.OptimizerParamScheduler(\
                        optimizer, init_lr, max_lr, min_lr, lr_warmup_steps, lr_decay_steps, \
                        lr_decay_style, start_wd, end_wd, wd_incr_steps, wd_incr_style, \
                        wsd_decay_steps=None, lr_wsd_decay_style=None)";

pub(super) const CONSTANT: Entry = Entry {
    name: "constant",
    library: Library::Megatron,
    upstream: UPSTREAM,
    summary: "linear warmup from init_lr to max_lr, then max_lr (absolute)",
    formula: "W = lr_warmup_steps; k <= W (W > 0): init_lr + (max_lr - init_lr) * k / W; then \
              max_lr",
    horizon: "max_lr for ever (min_lr is unused; lr_decay_steps must still exceed \
              lr_warmup_steps)",
    params: PARAMS,
    takes_warmup: true,
    build: build_constant,
};

pub(super) const LINEAR: Entry = Entry {
    name: "linear",
    library: Library::Megatron,
    upstream: UPSTREAM,
    summary: "linear warmup, then a linear decay from max_lr to min_lr (absolute)",
    formula: "W = lr_warmup_steps, D = lr_decay_steps; k <= W (W > 0): init_lr + (max_lr - \
              init_lr) * k / W; k <= D: min_lr + (1 - (k - W) / (D - W)) * (max_lr - min_lr); \
              k > D: min_lr",
    horizon: "min_lr from k = lr_decay_steps on; lr_decay_steps is --steps when not set",
    params: PARAMS,
    takes_warmup: true,
    build: build_linear,
};

pub(super) const COSINE: Entry = Entry {
    name: "cosine",
    library: Library::Megatron,
    upstream: UPSTREAM,
    summary: "linear warmup, then a half cosine from max_lr to min_lr (absolute)",
    formula: "W = lr_warmup_steps, D = lr_decay_steps; k <= W (W > 0): init_lr + (max_lr - \
              init_lr) * k / W; k <= D: min_lr + 0.5 * (cos(pi * (k - W) / (D - W)) + 1) * \
              (max_lr - min_lr); k > D: min_lr",
    horizon: "min_lr from k = lr_decay_steps on; lr_decay_steps is --steps when not set",
    params: PARAMS,
    takes_warmup: true,
    build: build_cosine,
};

pub(super) const INVERSE_SQUARE_ROOT: Entry = Entry {
    name: "inverse-square-root",
    library: Library::Megatron,
    upstream: UPSTREAM,
    summary: "linear warmup, then max_lr * sqrt(W / k), floored at min_lr (absolute)",
    formula: "W = lr_warmup_steps, D = lr_decay_steps; k <= W (W > 0): init_lr + (max_lr - \
              init_lr) * k / W; k <= D: max(min_lr, max_lr * max(W, 1)^0.5 / max(k, 1)^0.5); \
              k > D: min_lr",
    horizon: "drops to min_lr at k = lr_decay_steps + 1 and holds it; lr_decay_steps is \
              --steps when not set",
    params: PARAMS,
    takes_warmup: true,
    build: build_inverse_square_root,
};

pub(super) const WSD: Entry = Entry {
    name: "WSD",
    library: Library::Megatron,
    upstream: UPSTREAM,
    summary: "warmup-stable-decay: max_lr until the last wsd_decay_steps, then an anneal to \
              min_lr (absolute)",
    formula: "W = lr_warmup_steps, D = lr_decay_steps, S = D - wsd_decay_steps; k <= W (W > \
              0): init_lr + (max_lr - init_lr) * k / W; k <= S: max_lr; k <= D: min_lr + c * \
              (max_lr - min_lr), r = (k - S) / wsd_decay_steps, c = 1 - r (linear), 0.5 * \
              (cos(pi r) + 1) (cosine), 2 * 0.5^r - 1 (exponential), 1 - sqrt(r) \
              (minus_sqrt); k > D: min_lr",
    horizon: "min_lr from k = lr_decay_steps on; lr_decay_steps is --steps when not set",
    params: PARAMS,
    takes_warmup: true,
    build: build_wsd,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsd_anneals_end_at_min_lr() {
        for anneal in [
            Anneal::Linear,
            Anneal::Cosine,
            Anneal::Exponential,
            Anneal::MinusSqrt,
        ] {
            let s = OptimizerParamScheduler {
                init_lr: 0.0,
                max_lr: 1.0,
                min_lr: 0.25,
                lr_warmup_steps: 2.0,
                lr_decay_steps: 10.0,
                style: Style::Wsd {
                    wsd_decay_steps: 4.0,
                    anneal,
                },
                optimizer_lr: 1.0,
                absolute: true,
                failure: None,
            };
            assert_eq!(s.get_lr(6.0), Some(1.0), "{anneal:?} holds max_lr to D - S");
            assert_eq!(s.get_lr(10.0), Some(0.25), "{anneal:?} reaches min_lr at D");
            assert_eq!(s.get_lr(11.0), Some(0.25));
        }
    }

    #[test]
    fn unknown_styles_carry_megatrons_exception() {
        assert!(
            unknown_style("polynomial")
                .to_string()
                .contains("Exception: polynomial decay style is not supported.")
        );
    }
}
