//! timm's cyclic schedulers: `CosineLRScheduler`, `TanhLRScheduler` and `PolyLRScheduler`,
//! which share the cycle arithmetic (`cycle_mul`, `cycle_decay`, `cycle_limit`).

use std::f64::consts::PI;

use super::{
    Failure, NOISE_PCT, NOISE_RANGE_T, NOISE_SEED, NOISE_STD, WARMUP_LR_INIT, WARMUP_T, Warmup,
    assertion, first_raising_step, point, py_floordiv, refuse_noise, warmup,
};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// The curve within a cycle.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// `lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(pi * t_curr^k / t_i^k))`.
    Cosine { k_decay: f64 },
    /// `lr_min + 0.5 * (lr_max - lr_min) * (1 - tanh(lb * (1 - tr) + ub * tr))`, `tr =
    /// t_curr / t_i`.
    Tanh { lb: f64, ub: f64 },
    /// `lr_min + (lr_max - lr_min) * (1 - t_curr^k / t_i^k)^power`.
    Poly { power: f64, k_decay: f64 },
}

/// Python's `math.log(x, base)`: `log(x) / log(base)`, `None` where Python raises
/// (`ValueError: math domain error` for an argument at or below 0).
#[inline]
fn py_log(x: f64, base: f64) -> Option<f64> {
    let ln = |v: f64| (v > 0.0 || v.is_nan()).then(|| v.ln());
    Some(ln(x)? / ln(base)?)
}

/// `CosineLRScheduler`, `TanhLRScheduler` or `PolyLRScheduler` with `t_in_epochs=False`.
///
/// After the warmup (and shifted by `warmup_t` with `warmup_prefix`), update `t` is in
/// cycle `i = t // t_initial` with `t_i = t_initial`, `t_curr = t - t_initial * i`; with
/// `cycle_mul != 1`, `i = floor(log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))` in
/// doubles (so an exact cycle boundary can land one update late, as in timm), `t_i =
/// cycle_mul^i * t_initial`, `t_curr = t - (1 - cycle_mul^i) / (1 - cycle_mul) * t_initial`.
/// While `i < cycle_limit` the [`Shape`] runs from `lr_max = base_lr * cycle_decay^i` to
/// `lr_min`; after it, `lr_min`. With `cycle_mul < 1` the cycles sum to `t_initial / (1 -
/// cycle_mul)` updates, past which timm raises `ValueError: math domain error`.
#[derive(Debug)]
struct Cyclic {
    shape: Shape,
    t_initial: f64,
    lr_min: f64,
    cycle_mul: f64,
    cycle_decay: f64,
    cycle_limit: f64,
    warmup: Warmup,
    base_lr: f64,
    failure: Option<Failure>,
}

impl Cyclic {
    /// timm's `_get_lr(t)`; `None` where Python raises.
    #[inline]
    fn get_lr(&self, t: f64) -> Option<f64> {
        if let Some(lr) = self.warmup.lr(t) {
            return Some(lr);
        }
        let t = self.warmup.shift(t);
        let (i, t_i, t_curr) = if self.cycle_mul != 1.0 {
            let i = py_log(
                1.0 - t / self.t_initial * (1.0 - self.cycle_mul),
                self.cycle_mul,
            )?
            .floor();
            // `math.floor` of an infinity or NaN raises too.
            if !i.is_finite() {
                return None;
            }
            let power = self.cycle_mul.powf(i);
            let t_curr = t - (1.0 - power) / (1.0 - self.cycle_mul) * self.t_initial;
            (i, power * self.t_initial, t_curr)
        } else {
            let i = py_floordiv(t, self.t_initial)?;
            (i, self.t_initial, t - (self.t_initial * i))
        };
        // timm's `if i < self.cycle_limit: ... else: lr_min`, NaN limits included.
        let within = i < self.cycle_limit;
        if !within {
            return Some(self.lr_min);
        }
        let lr_max = self.base_lr * self.cycle_decay.powf(i);
        Some(match self.shape {
            Shape::Cosine { k_decay: k } => {
                self.lr_min
                    + 0.5
                        * (lr_max - self.lr_min)
                        * (1.0 + (PI * t_curr.powf(k) / t_i.powf(k)).cos())
            }
            Shape::Tanh { lb, ub } => {
                let tr = t_curr / t_i;
                self.lr_min
                    + 0.5 * (lr_max - self.lr_min) * (1.0 - (lb * (1.0 - tr) + ub * tr).tanh())
            }
            Shape::Poly { power, k_decay: k } => {
                self.lr_min
                    + (lr_max - self.lr_min) * (1.0 - t_curr.powf(k) / t_i.powf(k)).powf(power)
            }
        })
    }
}

impl Schedule for Cyclic {
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

/// The schedule's own parameters beside the cycle ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Cosine,
    Tanh,
    Poly,
}

#[allow(
    clippy::neg_cmp_op_on_partial_ord,
    reason = "Python's `assert x > 0` fails for NaN too, as `!(x > 0.0)` does"
)]
fn build(class: Class, ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let name: &'static str = match class {
        Class::Cosine => "timm:cosine",
        Class::Tanh => "timm:tanh",
        Class::Poly => "timm:poly",
    };
    refuse_noise(name, params)?;
    let t_initial = params.opt_float("t_initial")?.unwrap_or(ctx.steps as f64);
    let lr_min = params.float("lr_min")?;
    let cycle_limit = params.float("cycle_limit")?;
    let mut warmup = warmup(name, ctx, params, ctx.base_lr)?;
    let shape = match class {
        Class::Cosine => Shape::Cosine {
            k_decay: params.float("k_decay")?,
        },
        Class::Tanh => Shape::Tanh {
            lb: params.float("lb")?,
            ub: params.float("ub")?,
        },
        Class::Poly => Shape::Poly {
            power: params.float("power")?,
            k_decay: params.float("k_decay")?,
        },
    };
    if !(t_initial > 0.0) {
        return Err(assertion(
            name,
            "t_initial",
            py_repr(t_initial),
            "t_initial > 0",
        ));
    }
    if !(lr_min >= 0.0) {
        return Err(assertion(name, "lr_min", py_repr(lr_min), "lr_min >= 0"));
    }
    if let Shape::Tanh { lb, ub } = shape {
        if !(lb < ub) {
            return Err(assertion(
                name,
                "lb",
                format!("{} with ub={}", py_repr(lb), py_repr(ub)),
                "lb < ub",
            ));
        }
        if !(cycle_limit >= 0.0) {
            return Err(assertion(
                name,
                "cycle_limit",
                py_repr(cycle_limit),
                "cycle_limit >= 0",
            ));
        }
        if !(warmup.warmup_t >= 0.0) {
            return Err(assertion(
                name,
                "warmup_t",
                py_repr(warmup.warmup_t),
                "warmup_t >= 0",
            ));
        }
        if !(warmup.warmup_lr_init >= 0.0) {
            return Err(assertion(
                name,
                "warmup_lr_init",
                py_repr(warmup.warmup_lr_init),
                "warmup_lr_init >= 0",
            ));
        }
    }
    let mut schedule = Cyclic {
        shape,
        t_initial,
        lr_min,
        cycle_mul: params.float("cycle_mul")?,
        cycle_decay: params.float("cycle_decay")?,
        cycle_limit,
        warmup,
        base_lr: ctx.base_lr,
        failure: None,
    };
    // Without the prefix, tanh's warmup ramps to its own value at `warmup_t`, which the
    // constructor computes (and which raises there if the cycles have run out).
    if class == Class::Tanh && warmup.is_set() && !warmup.prefix {
        let Some(target) = schedule.get_lr(warmup.warmup_t) else {
            return Err(crate::error::Error::input(format!(
                "{name} warmup_t={}: timm raises ValueError: math domain error in the \
                 constructor (the cycles of cycle_mul={} sum to fewer than warmup_t updates)",
                py_repr(warmup.warmup_t),
                py_repr(schedule.cycle_mul)
            )));
        };
        warmup.warmup_step = (target - warmup.warmup_lr_init) / warmup.warmup_t;
        schedule.warmup = warmup;
    }
    if schedule.cycle_mul != 1.0 {
        let from = schedule.warmup.first_main_step();
        let step = first_raising_step(from, |k| schedule.get_lr(k as f64).is_none());
        schedule.failure = step.map(|step| Failure {
            name,
            step,
            what: format!(
                "ValueError: math domain error (with cycle_mul={} the cycles sum to \
                 t_initial / (1 - cycle_mul) updates, and the cycle index is log(1 - t / \
                 t_initial * (1 - cycle_mul), cycle_mul))",
                py_repr(schedule.cycle_mul)
            ),
        });
        Failure::check(schedule.failure.as_ref(), ctx)?;
    }
    Ok(Box::new(schedule))
}

fn build_cosine(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build(Class::Cosine, ctx, params)
}

fn build_tanh(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build(Class::Tanh, ctx, params)
}

fn build_poly(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    build(Class::Poly, ctx, params)
}

const T_INITIAL: ParamSpec = ParamSpec {
    name: "t_initial",
    kind: ParamKind::Float,
    default: ParamDefault::Absent,
    doc: "updates in the first cycle (None: --steps); must be above 0; fractional values work",
};

const LR_MIN: ParamSpec = ParamSpec {
    name: "lr_min",
    kind: ParamKind::Float,
    default: ParamDefault::Float(0.0),
    doc: "lr at the end of each cycle and after the last (absolute; at least 0)",
};

const CYCLE_MUL: ParamSpec = ParamSpec {
    name: "cycle_mul",
    kind: ParamKind::Float,
    default: ParamDefault::Float(1.0),
    doc: "each cycle is cycle_mul times longer than the one before (below 1: the cycles \
          run out and timm raises)",
};

const CYCLE_DECAY: ParamSpec = ParamSpec {
    name: "cycle_decay",
    kind: ParamKind::Float,
    default: ParamDefault::Float(1.0),
    doc: "cycle i starts at base_lr * cycle_decay^i",
};

const CYCLE_LIMIT: ParamSpec = ParamSpec {
    name: "cycle_limit",
    kind: ParamKind::Float,
    default: ParamDefault::Int(1),
    doc: "cycles run before lr_min is held (0: lr_min from update 1)",
};

const WARMUP_PREFIX: ParamSpec = ParamSpec {
    name: "warmup_prefix",
    kind: ParamKind::Bool,
    default: ParamDefault::Bool(false),
    doc: "true: the schedule starts after the warmup; false: the warmup overlaps its first \
          warmup_t updates",
};

const K_DECAY: ParamSpec = ParamSpec {
    name: "k_decay",
    kind: ParamKind::Float,
    default: ParamDefault::Float(1.0),
    doc: "k-decay exponent on t_curr and t_i",
};

const HORIZON: &str = "lr_min once cycle_limit cycles are done (t_initial * cycle_limit \
                       updates with cycle_mul 1), held for ever; t_initial is --steps when not \
                       set";

pub(super) const COSINE: Entry = Entry {
    name: "cosine",
    library: Library::Timm,
    upstream: "timm.scheduler.CosineLRScheduler(optimizer, t_initial, lr_min=0.0, \
               cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0, warmup_lr_init=0.0, \
               warmup_prefix=False, t_in_epochs=False, noise_range_t=None, noise_pct=0.67, \
               noise_std=1.0, noise_seed=42, k_decay=1.0)",
    summary: "cosine from --base-lr to lr_min with restarts (cycle_mul, cycle_decay, \
              cycle_limit) and k-decay",
    formula: "lr[0] = warmup_lr_init if warmup_t else base_lr; t < warmup_t: warmup_lr_init + \
              t * (base_lr - warmup_lr_init) / warmup_t; then cycle i, t_i, t_curr (see \
              cycle_mul), lr = lr_min + 0.5 * (base_lr * cycle_decay^i - lr_min) * (1 + cos(pi \
              * t_curr^k / t_i^k)) while i < cycle_limit, else lr_min",
    horizon: HORIZON,
    params: &[
        T_INITIAL,
        LR_MIN,
        CYCLE_MUL,
        CYCLE_DECAY,
        CYCLE_LIMIT,
        WARMUP_T,
        WARMUP_LR_INIT,
        WARMUP_PREFIX,
        NOISE_RANGE_T,
        NOISE_PCT,
        NOISE_STD,
        NOISE_SEED,
        K_DECAY,
    ],
    takes_warmup: true,
    build: build_cosine,
};

pub(super) const TANH: Entry = Entry {
    name: "tanh",
    library: Library::Timm,
    upstream: "timm.scheduler.TanhLRScheduler(optimizer, t_initial, lb=-7.0, ub=3.0, \
               lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0, \
               warmup_lr_init=0.0, warmup_prefix=False, t_in_epochs=False, noise_range_t=None, \
               noise_pct=0.67, noise_std=1.0, noise_seed=42)",
    summary: "hyperbolic-tangent decay from --base-lr to lr_min, with restarts",
    formula: "lr[0] = warmup_lr_init if warmup_t else base_lr; t < warmup_t: warmup_lr_init + \
              t * (v - warmup_lr_init) / warmup_t with v = base_lr (prefix) or the schedule's \
              own value at warmup_t; then cycle i, t_i, t_curr (see cycle_mul), tr = t_curr / \
              t_i, lr = lr_min + 0.5 * (base_lr * cycle_decay^i - lr_min) * (1 - tanh(lb * (1 - \
              tr) + ub * tr)) while i < cycle_limit, else lr_min",
    horizon: HORIZON,
    params: &[
        T_INITIAL,
        ParamSpec {
            name: "lb",
            kind: ParamKind::Float,
            default: ParamDefault::Float(-7.0),
            doc: "tanh argument at the start of a cycle (below ub)",
        },
        ParamSpec {
            name: "ub",
            kind: ParamKind::Float,
            default: ParamDefault::Float(3.0),
            doc: "tanh argument at the end of a cycle",
        },
        LR_MIN,
        CYCLE_MUL,
        CYCLE_DECAY,
        CYCLE_LIMIT,
        WARMUP_T,
        WARMUP_LR_INIT,
        WARMUP_PREFIX,
        NOISE_RANGE_T,
        NOISE_PCT,
        NOISE_STD,
        NOISE_SEED,
    ],
    takes_warmup: true,
    build: build_tanh,
};

pub(super) const POLY: Entry = Entry {
    name: "poly",
    library: Library::Timm,
    upstream: "timm.scheduler.PolyLRScheduler(optimizer, t_initial, power=0.5, lr_min=0.0, \
               cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0, warmup_lr_init=0.0, \
               warmup_prefix=False, t_in_epochs=False, noise_range_t=None, noise_pct=0.67, \
               noise_std=1.0, noise_seed=42, k_decay=1.0)",
    summary: "polynomial decay from --base-lr to lr_min, with restarts and k-decay",
    formula: "lr[0] = warmup_lr_init if warmup_t else base_lr; t < warmup_t: warmup_lr_init + \
              t * (base_lr - warmup_lr_init) / warmup_t; then cycle i, t_i, t_curr (see \
              cycle_mul), lr = lr_min + (base_lr * cycle_decay^i - lr_min) * (1 - t_curr^k / \
              t_i^k)^power while i < cycle_limit, else lr_min",
    horizon: HORIZON,
    params: &[
        T_INITIAL,
        ParamSpec {
            name: "power",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.5),
            doc: "exponent of the decay",
        },
        LR_MIN,
        CYCLE_MUL,
        CYCLE_DECAY,
        CYCLE_LIMIT,
        WARMUP_T,
        WARMUP_LR_INIT,
        WARMUP_PREFIX,
        NOISE_RANGE_T,
        NOISE_PCT,
        NOISE_STD,
        NOISE_SEED,
        K_DECAY,
    ],
    takes_warmup: true,
    build: build_poly,
};
