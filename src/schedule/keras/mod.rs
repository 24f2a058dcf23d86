//! Keras' learning-rate schedules (`keras.optimizers.schedules`, Keras 3.15 on its numpy
//! backend), in float32 as a Keras optimizer applies them at `iterations = k` (or float64
//! with `--precision f64`, a float64 `initial_learning_rate`), with Keras' validation.
//!
//! Keras schedules are absolute: the lr is the schedule's value and `--base-lr` only enters
//! the multiplier column. They take no `--warmup` (`CosineDecay` has its own
//! `warmup_steps`), and `--steps` is only how many steps are evaluated: every horizon is a
//! parameter, as in Keras.

#[cfg(test)]
mod tests;

use super::Context;
use super::Schedule;
use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::real::{Absolute, Curve, PRECISION_PARAM, Precision, Real, Subnormals, number};
use super::registry::{Entry, Library};
use crate::error::{Error, Result};

/// The Keras entries of the registry, in Keras' documentation order.
pub static ENTRIES: &[Entry] = &[
    COSINE_DECAY,
    COSINE_DECAY_RESTARTS,
    EXPONENTIAL_DECAY,
    INVERSE_TIME_DECAY,
    PIECEWISE_CONSTANT_DECAY,
    POLYNOMIAL_DECAY,
];

/// `ops.array(math.pi, dtype)`.
#[inline]
fn pi<T: Real>() -> T {
    T::of(std::f64::consts::PI)
}

/// `ExponentialDecay`: `p = k / D` (`floor` with staircase), `I * r ** p`.
#[derive(Debug)]
struct ExponentialDecay {
    init: f64,
    steps: f64,
    rate: f64,
    staircase: bool,
}

impl Curve for ExponentialDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let mut p = T::of(count) / T::of(self.steps);
        if self.staircase {
            p = p.floor();
        }
        T::of(self.init) * T::of(self.rate).pow(p)
    }
}

/// `InverseTimeDecay`: `p = k / D` (`floor` with staircase), `I / (1 + r * p)`.
#[derive(Debug)]
struct InverseTimeDecay {
    init: f64,
    steps: f64,
    rate: f64,
    staircase: bool,
}

impl Curve for InverseTimeDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let mut p = T::of(count) / T::of(self.steps);
        if self.staircase {
            p = p.floor();
        }
        T::of(self.init) / (T::of(1.0) + T::of(self.rate) * p)
    }
}

/// `PolynomialDecay`: without cycle `c = min(k, D)`, `p = c / D`; with cycle `D' = D *
/// ceil(k / D)` (`D` at `k = 0`), `p = k / D'`; then `(I - E) * (1 - p) ** power + E`, with
/// `I - E` in float32.
#[derive(Debug)]
struct PolynomialDecay {
    init: f64,
    steps: f64,
    end: f64,
    power: f64,
    cycle: bool,
}

impl Curve for PolynomialDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let mut step = T::of(count);
        let mut steps = T::of(self.steps);
        if self.cycle {
            let multiplier = if count == 0.0 {
                T::of(1.0)
            } else {
                (step / steps).ceil()
            };
            steps = steps * multiplier;
        } else {
            step = step.min_or_nan(steps);
        }
        let p = step / steps;
        (T::of(self.init) - T::of(self.end)) * (T::of(1.0) - p).pow(T::of(self.power))
            + T::of(self.end)
    }
}

/// `CosineDecay`: with `decay(c, D, from) = from * ((1 - alpha) * 0.5 * (1 + cos(pi * (c /
/// D))) + alpha)`, it is `decay(min(k, D), D, I)` without a target; with `warmup_target` P
/// and `c = min(k, W + D)`, `(P - I) * (c / W) + I` below W, else `decay(c - W, D, P)`.
#[derive(Debug)]
struct CosineDecay {
    init: f64,
    steps: f64,
    alpha: f64,
    target: Option<f64>,
    warmup: f64,
}

impl CosineDecay {
    #[inline]
    fn decay<T: Real>(&self, step: T, steps: T, from: T) -> T {
        let fraction = step / steps;
        let cosine = T::of(0.5) * (T::of(1.0) + (pi::<T>() * fraction).cos());
        // `1 - self.alpha` is Python arithmetic on the double.
        from * (T::of(1.0 - self.alpha) * cosine + T::of(self.alpha))
    }
}

impl Curve for CosineDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let init = T::of(self.init);
        let steps = T::of(self.steps);
        let step = T::of(count);
        let Some(target) = self.target else {
            return self.decay(step.min_or_nan(steps), steps, init);
        };
        let target = T::of(target);
        let warmup = T::of(self.warmup);
        let step = step.min_or_nan(steps + warmup);
        if step < warmup {
            (target - init) * (step / warmup) + init
        } else {
            self.decay(step - warmup, steps, target)
        }
    }
}

/// `CosineDecayRestarts`: `f = k / D`; with `t_mul == 1`, `i = floor(f)`, `f -= i`; else `i =
/// floor(log(1 - f * (1 - t)) / log(t))`, `f = (f - (1 - t ** i) / (1 - t)) / t ** i`; then
/// `I * ((1 - alpha) * (0.5 * m ** i * (1 + cos(pi * f))) + alpha)`, alpha in float32.
#[derive(Debug)]
struct CosineDecayRestarts {
    init: f64,
    steps: f64,
    t_mul: f64,
    m_mul: f64,
    alpha: f64,
}

impl Curve for CosineDecayRestarts {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let one = T::of(1.0);
        let alpha = T::of(self.alpha);
        let t_mul = T::of(self.t_mul);
        let m_mul = T::of(self.m_mul);
        let mut fraction = T::of(count) / T::of(self.steps);
        let restart;
        if t_mul == one {
            restart = fraction.floor();
            fraction = fraction - restart;
        } else {
            restart = ((one - fraction * (one - t_mul)).ln() / t_mul.ln()).floor();
            let sum = (one - t_mul.pow(restart)) / (one - t_mul);
            fraction = (fraction - sum) / t_mul.pow(restart);
        }
        let m_fac = m_mul.pow(restart);
        let cosine = T::of(0.5) * m_fac * (one + (pi::<T>() * fraction).cos());
        T::of(self.init) * ((one - alpha) * cosine + alpha)
    }
}

/// `PiecewiseConstantDecay`: Keras sums `[k <= b_0] * v_0 + [k > b_last] * v_last + sum
/// [b_(i-1) < k <= b_i] * v_i` in the values' dtype, with the boundaries cast to the step's
/// int type, so a value applies from `b + 1` on.
#[derive(Debug)]
struct PiecewiseConstantDecay {
    boundaries: Vec<f64>,
    values: Vec<f64>,
}

impl Curve for PiecewiseConstantDecay {
    fn value<T: Real>(&self, count: f64) -> T {
        let (b, v) = (&self.boundaries, &self.values);
        let term = |on: bool, value: f64| T::of(if on { 1.0 } else { 0.0 }) * T::of(value);
        let last = b.len() - 1;
        let mut result = T::of(0.0) + term(count <= b[0], v[0]);
        result = result + term(count > b[last], v[last + 1]);
        for i in 0..last {
            result = result + term(b[i] < count && count <= b[i + 1], v[i + 1]);
        }
        result
    }
}

/// The absolute schedule of `curve`, in the precision of `params`.
fn finish<C: Curve>(ctx: &Context, params: &Params, curve: C) -> Result<Box<dyn Schedule>> {
    Ok(Absolute::boxed(
        curve,
        Precision::of(params)?,
        Subnormals::Kept,
        ctx.base_lr,
    ))
}

/// What Keras raises, as an input error.
fn rejected(class: &str, what: impl std::fmt::Display) -> Error {
    Error::input(format!("keras:{class}: Keras raises {what}"))
}

fn float(params: &Params, name: &str) -> Result<f64> {
    Ok(number(params, name)?.0)
}

/// `initial_learning_rate`, which sets the dtype: a Python int would make Keras compute in
/// int32 (pi becomes 3), which lrsched does not reproduce.
fn initial_learning_rate(class: &str, params: &Params) -> Result<f64> {
    if let Some(Value::Int(i)) = params.value("initial_learning_rate") {
        return Err(Error::input(format!(
            "keras:{class} initial_learning_rate={i}: an int makes Keras compute in int32 \
             (every parameter cast to int, pi becomes 3); lrsched computes float32 \
             schedules, so write initial_learning_rate={i}.0"
        )));
    }
    float(params, "initial_learning_rate")
}

/// A horizon that Keras requires to be `> 0` (a NaN passes its `<= 0` test).
fn positive(class: &str, params: &Params, name: &str) -> Result<f64> {
    let (steps, text) = number(params, name)?;
    if steps <= 0.0 {
        return Err(rejected(
            class,
            format!("ValueError (Argument `{name}` must be > 0. Received: {name}={text})"),
        ));
    }
    Ok(steps)
}

fn build_exponential(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "ExponentialDecay";
    let curve = ExponentialDecay {
        init: initial_learning_rate(C, params)?,
        steps: positive(C, params, "decay_steps")?,
        rate: float(params, "decay_rate")?,
        staircase: params.bool("staircase")?,
    };
    finish(ctx, params, curve)
}

fn build_inverse_time(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "InverseTimeDecay";
    let curve = InverseTimeDecay {
        init: initial_learning_rate(C, params)?,
        steps: positive(C, params, "decay_steps")?,
        rate: float(params, "decay_rate")?,
        staircase: params.bool("staircase")?,
    };
    finish(ctx, params, curve)
}

fn build_polynomial(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "PolynomialDecay";
    let curve = PolynomialDecay {
        init: initial_learning_rate(C, params)?,
        steps: positive(C, params, "decay_steps")?,
        end: float(params, "end_learning_rate")?,
        power: float(params, "power")?,
        cycle: params.bool("cycle")?,
    };
    finish(ctx, params, curve)
}

fn build_cosine(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "CosineDecay";
    let curve = CosineDecay {
        init: initial_learning_rate(C, params)?,
        steps: positive(C, params, "decay_steps")?,
        alpha: float(params, "alpha")?,
        target: params.value("warmup_target").and_then(Value::as_f64),
        warmup: float(params, "warmup_steps")?,
    };
    finish(ctx, params, curve)
}

fn build_cosine_restarts(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "CosineDecayRestarts";
    let curve = CosineDecayRestarts {
        init: initial_learning_rate(C, params)?,
        steps: positive(C, params, "first_decay_steps")?,
        t_mul: float(params, "t_mul")?,
        m_mul: float(params, "m_mul")?,
        alpha: float(params, "alpha")?,
    };
    finish(ctx, params, curve)
}

fn list(params: &Params, name: &str) -> Vec<Value> {
    match params.value(name) {
        Some(Value::List(items)) => items.clone(),
        _ => Vec::new(),
    }
}

fn build_piecewise(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const C: &str = "PiecewiseConstantDecay";
    let boundaries = list(params, "boundaries");
    let values = list(params, "values");
    if boundaries.len() + 1 != values.len() {
        return Err(rejected(
            C,
            format!(
                "ValueError (The length of boundaries should be 1 less than the length of \
                 values. Received: boundaries={} of length {}, and values={} of length {}.)",
                Value::List(boundaries.clone()),
                boundaries.len(),
                Value::List(values.clone()),
                values.len()
            ),
        ));
    }
    if boundaries.is_empty() {
        return Err(rejected(
            C,
            "IndexError (list index out of range) at the first step: it needs at least one \
             boundary",
        ));
    }
    // The result has the dtype of values[0]; an int there cannot take a float value.
    if matches!(values[0], Value::Int(_)) && values.iter().any(|v| matches!(v, Value::Float(_))) {
        return Err(rejected(
            C,
            format!(
                "UFuncTypeError (Cannot cast ufunc 'add' output from dtype('float64') to \
                 dtype('int32')) at the first step: values[0]={} is an int and another value \
                 a float; write {}.0",
                values[0], values[0]
            ),
        ));
    }
    let curve = PiecewiseConstantDecay {
        // Keras casts each boundary to the step's int32, truncating a float.
        boundaries: boundaries
            .iter()
            .filter_map(Value::as_f64)
            .map(f64::trunc)
            .collect(),
        values: values.iter().filter_map(Value::as_f64).collect(),
    };
    finish(ctx, params, curve)
}

/// A number parameter (int or float, kept as given).
const fn num(name: &'static str, default: ParamDefault, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Number,
        default,
        doc,
    }
}

const REQUIRED: ParamDefault = ParamDefault::Required;
const INITIAL_LEARNING_RATE: ParamSpec = num(
    "initial_learning_rate",
    REQUIRED,
    "the lr at step 0 (a float: its dtype is the schedule's)",
);
const DECAY_STEPS: ParamSpec = num("decay_steps", REQUIRED, "steps of the decay (> 0)");
const DECAY_RATE: ParamSpec = num("decay_rate", REQUIRED, "the decay factor per decay_steps");
const STAIRCASE: ParamSpec = ParamSpec {
    name: "staircase",
    kind: ParamKind::Bool,
    default: ParamDefault::Bool(false),
    doc: "decay at whole multiples of decay_steps: floor(k / D)",
};
const ALPHA: ParamSpec = num(
    "alpha",
    ParamDefault::Float(0.0),
    "the floor as a fraction of the decayed-from lr",
);

const COSINE_DECAY: Entry = Entry {
    name: "CosineDecay",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.CosineDecay(initial_learning_rate, decay_steps, \
               alpha=0.0, name='CosineDecay', warmup_target=None, warmup_steps=0)",
    summary: "optional linear warmup to warmup_target, then cosine; decay_steps EXCLUDES the \
              warmup (absolute)",
    formula: "decay(c, from) = from * ((1 - alpha) * 0.5 * (1 + cos(pi * (c / D))) + alpha); no \
              target: decay(min(k, D), I); target P: c = min(k, W + D), (P - I) * (c / W) + I \
              for c < W, else decay(c - W, P)",
    horizon: "holds alpha * I (alpha * P with a target) from k = W + D on; --steps only sets \
              how many steps are evaluated",
    params: &[
        INITIAL_LEARNING_RATE,
        DECAY_STEPS,
        ALPHA,
        num(
            "warmup_target",
            ParamDefault::Absent,
            "the lr the warmup reaches (None: no warmup; given with warmup_steps=0 it starts \
             there)",
        ),
        num(
            "warmup_steps",
            ParamDefault::Int(0),
            "steps of the linear warmup",
        ),
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_cosine,
};

const COSINE_DECAY_RESTARTS: Entry = Entry {
    name: "CosineDecayRestarts",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.CosineDecayRestarts(initial_learning_rate, \
               first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name='SGDRDecay')",
    summary: "cosine with warm restarts, periods growing by t_mul, peaks by m_mul (absolute)",
    formula: "f = k / D; t == 1: i = floor(f), f -= i; else i = floor(log(1 - f * (1 - t)) / \
              log(t)), f = (f - (1 - t^i) / (1 - t)) / t^i; lr = I * ((1 - alpha) * 0.5 * m^i * \
              (1 + cos(pi * f)) + alpha)",
    horizon: "no horizon: restarts for ever (period i lasts D * t_mul^i steps)",
    params: &[
        INITIAL_LEARNING_RATE,
        num(
            "first_decay_steps",
            REQUIRED,
            "steps of the first period (> 0)",
        ),
        num(
            "t_mul",
            ParamDefault::Float(2.0),
            "each period is t_mul times longer",
        ),
        num(
            "m_mul",
            ParamDefault::Float(1.0),
            "each restart's peak is m_mul times lower",
        ),
        ALPHA,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_cosine_restarts,
};

const EXPONENTIAL_DECAY: Entry = Entry {
    name: "ExponentialDecay",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps, \
               decay_rate, staircase=False, name='ExponentialDecay')",
    summary: "initial_learning_rate * decay_rate^(k / decay_steps) (absolute)",
    formula: "p = k / D (floor(k / D) with staircase); lr = I * r ** p",
    horizon: "no horizon: decays (or grows) for ever",
    params: &[
        INITIAL_LEARNING_RATE,
        DECAY_STEPS,
        DECAY_RATE,
        STAIRCASE,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_exponential,
};

const INVERSE_TIME_DECAY: Entry = Entry {
    name: "InverseTimeDecay",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.InverseTimeDecay(initial_learning_rate, decay_steps, \
               decay_rate, staircase=False, name='InverseTimeDecay')",
    summary: "initial_learning_rate / (1 + decay_rate * k / decay_steps) (absolute)",
    formula: "p = k / D (floor(k / D) with staircase); lr = I / (1 + r * p)",
    horizon: "no horizon: decays for ever",
    params: &[
        INITIAL_LEARNING_RATE,
        DECAY_STEPS,
        DECAY_RATE,
        STAIRCASE,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_inverse_time,
};

const PIECEWISE_CONSTANT_DECAY: Entry = Entry {
    name: "PiecewiseConstantDecay",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values, \
               name='PiecewiseConstant')",
    summary: "values[i] between boundaries; a value applies from boundary + 1 (absolute)",
    formula: "lr = values[0] for k <= b_0, values[i] for b_(i-1) < k <= b_i, values[-1] for k > \
              b_last (Keras sums indicator * value terms)",
    horizon: "holds values[-1] after the last boundary",
    params: &[
        ParamSpec {
            name: "boundaries",
            kind: ParamKind::NumberList,
            default: REQUIRED,
            doc: "increasing steps, e.g. 100,200 (cast to int, as Keras casts to the step's type)",
        },
        ParamSpec {
            name: "values",
            kind: ParamKind::NumberList,
            default: REQUIRED,
            doc: "one more lr than boundaries, e.g. 1.0,0.5,0.1",
        },
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_piecewise,
};

const POLYNOMIAL_DECAY: Entry = Entry {
    name: "PolynomialDecay",
    library: Library::Keras,
    upstream: "keras.optimizers.schedules.PolynomialDecay(initial_learning_rate, decay_steps, \
               end_learning_rate=0.0001, power=1.0, cycle=False, name='PolynomialDecay')",
    summary: "polynomial from initial_learning_rate to end_learning_rate, optionally cycling \
              (absolute)",
    formula: "no cycle: p = min(k, D) / D; cycle: p = k / (D * ceil(k / D)) (D at k = 0); lr = \
              (I - E) * (1 - p) ** power + E",
    horizon: "holds end_learning_rate from k = decay_steps on; with cycle, restarts after every \
              multiple of decay_steps",
    params: &[
        INITIAL_LEARNING_RATE,
        DECAY_STEPS,
        num(
            "end_learning_rate",
            ParamDefault::Float(0.0001),
            "the lr at decay_steps",
        ),
        num("power", ParamDefault::Float(1.0), "the polynomial's power"),
        ParamSpec {
            name: "cycle",
            kind: ParamKind::Bool,
            default: ParamDefault::Bool(false),
            doc: "restart the decay after every multiple of decay_steps",
        },
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_polynomial,
};
