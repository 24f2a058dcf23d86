//! optax's learning-rate schedules (`optax.schedules`, optax 0.2.8 on jax 0.10.2), in
//! float32 as an optax optimizer applies them (or float64 with `--precision f64`, optax
//! with `jax_enable_x64` and an int64 count), with optax's validation errors.
//!
//! optax schedules are absolute: the lr is the schedule's value and `--base-lr` only enters
//! the multiplier column. They take no `--warmup` (the `warmup_*` schedules have their own
//! `warmup_steps`), and `--steps` is only how many steps are evaluated: every horizon is
//! a parameter, as in optax.

mod curves;
#[cfg(test)]
mod tests;

use curves::{
    Constant, CosineDecay, ExponentialDecay, Join, OrConstant, PiecewiseConstant,
    PiecewiseInterpolate, Polynomial,
};

use super::Context;
use super::Schedule;
use super::params::{ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::real::{Absolute, Curve, Exponent, PRECISION_PARAM, Precision, Subnormals, number};
use super::registry::{Entry, Library};
use crate::error::{Error, Result};
use crate::format::py_repr;

/// The optax entries of the registry, in optax's documentation order.
pub static ENTRIES: &[Entry] = &[
    CONSTANT_SCHEDULE,
    LINEAR_SCHEDULE,
    POLYNOMIAL_SCHEDULE,
    COSINE_DECAY_SCHEDULE,
    EXPONENTIAL_DECAY,
    PIECEWISE_CONSTANT_SCHEDULE,
    PIECEWISE_INTERPOLATE_SCHEDULE,
    WARMUP_CONSTANT_SCHEDULE,
    WARMUP_COSINE_DECAY_SCHEDULE,
    WARMUP_EXPONENTIAL_DECAY_SCHEDULE,
    COSINE_ONECYCLE_SCHEDULE,
    LINEAR_ONECYCLE_SCHEDULE,
];

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

const INIT_VALUE: ParamSpec = num("init_value", REQUIRED, "the value at step 0");
const PEAK_VALUE: ParamSpec = num("peak_value", REQUIRED, "the value at the end of the warmup");
const WARMUP_STEPS: ParamSpec = num(
    "warmup_steps",
    REQUIRED,
    "steps of the linear warmup from init_value to peak_value (0: init_value for ever)",
);
const TRANSITION_BEGIN: ParamSpec = num(
    "transition_begin",
    ParamDefault::Int(0),
    "steps held at the initial value before the transition starts (negative: 0)",
);
const EXPONENT: ParamSpec = num(
    "exponent",
    ParamDefault::Float(1.0),
    "power of the cosine factor (an int multiplies, a float calls pow)",
);
const STAIRCASE: ParamSpec = ParamSpec {
    name: "staircase",
    kind: ParamKind::Bool,
    default: ParamDefault::Bool(false),
    doc: "decay at whole multiples of transition_steps: r^floor(d / T)",
};
const DECAY_RATE: ParamSpec = num(
    "decay_rate",
    REQUIRED,
    "factor per transition_steps (0: constant)",
);
const EXP_END_VALUE: ParamSpec = num(
    "end_value",
    ParamDefault::Absent,
    "a floor when decay_rate < 1, a cap otherwise (None: unbounded)",
);
const BOUNDARIES_AND_SCALES: ParamSpec = ParamSpec {
    name: "boundaries_and_scales",
    kind: ParamKind::NumberMap,
    default: ParamDefault::Absent,
    doc: "{step: scale} as 100:0.5,200:0.1; scales multiply from their step on (>= 0)",
};
const PCT_START: ParamSpec = num(
    "pct_start",
    ParamDefault::Float(0.3),
    "the peak is at int(pct_start * transition_steps)",
);
const DIV_FACTOR: ParamSpec = num(
    "div_factor",
    ParamDefault::Float(25.0),
    "the first value is peak_value / div_factor",
);
const FINAL_DIV_FACTOR: ParamSpec = num(
    "final_div_factor",
    ParamDefault::Float(1e4),
    "the last value is peak_value / (div_factor * final_div_factor)",
);

/// The absolute schedule of `curve`, in the precision of `params`.
fn finish<C: Curve>(ctx: &Context, params: &Params, curve: C) -> Result<Box<dyn Schedule>> {
    Ok(Absolute::boxed(
        curve,
        Precision::of(params)?,
        Subnormals::Flushed,
        ctx.base_lr,
    ))
}

/// What optax raises for a parameter, as an input error.
fn rejected(function: &str, what: impl std::fmt::Display) -> Error {
    Error::input(format!("optax:{function}: optax raises {what}"))
}

fn float(params: &Params, name: &str) -> Result<f64> {
    Ok(number(params, name)?.0)
}

/// `polynomial_schedule(...)`: optax holds `init_value` when `transition_steps <= 0` and
/// starts at 0 when `transition_begin < 0`.
fn polynomial(
    init: f64,
    end: f64,
    power: Exponent,
    steps: f64,
    begin: f64,
) -> OrConstant<Polynomial> {
    if steps <= 0.0 {
        return OrConstant::Constant(Constant { value: init });
    }
    OrConstant::Curve(Polynomial {
        init,
        end,
        power,
        steps,
        begin: if begin < 0.0 { 0.0 } else { begin },
    })
}

/// `cosine_decay_schedule(...)`, which raises unless `decay_steps > 0`.
fn cosine_decay(
    function: &str,
    init: f64,
    (steps, steps_text): (f64, String),
    alpha: f64,
    exponent: Exponent,
) -> Result<CosineDecay> {
    if steps.is_nan() || steps <= 0.0 {
        return Err(rejected(
            function,
            format!(
                "ValueError (The cosine_decay_schedule requires positive decay_steps, got \
                 decay_steps={steps_text}.)"
            ),
        ));
    }
    Ok(CosineDecay {
        init,
        steps,
        alpha,
        exponent,
    })
}

/// `exponential_decay(...)`: optax holds `init_value` when `transition_steps <= 0` or
/// `decay_rate == 0`, and starts at 0 when `transition_begin < 0`.
fn exponential(params: &Params, init: f64) -> Result<OrConstant<ExponentialDecay>> {
    let steps = float(params, "transition_steps")?;
    let rate = float(params, "decay_rate")?;
    let begin = float(params, "transition_begin")?;
    let staircase = params.bool("staircase")?;
    let end = params.value("end_value").and_then(Value::as_f64);
    if steps <= 0.0 || rate == 0.0 {
        return Ok(OrConstant::Constant(Constant { value: init }));
    }
    Ok(OrConstant::Curve(ExponentialDecay {
        init,
        steps,
        rate,
        begin: if begin < 0.0 { 0.0 } else { begin },
        staircase,
        end,
    }))
}

/// The `{step: scale}` dict, sorted by step as optax sorts it; `None` for Python's `None`.
fn boundaries_and_scales(params: &Params) -> Option<Vec<(f64, f64)>> {
    let Some(Value::Map(pairs)) = params.value("boundaries_and_scales") else {
        return None;
    };
    let mut knots: Vec<(f64, f64)> = pairs
        .iter()
        .filter_map(|(k, v)| Some((k.as_f64()?, v.as_f64()?)))
        .collect();
    knots.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(knots)
}

fn negative_scales(function: &str, knots: &[(f64, f64)]) -> Result<()> {
    // `scale >= 0.0` is false for NaN too.
    if knots.iter().any(|k| k.1.is_nan() || k.1 < 0.0) {
        return Err(rejected(
            function,
            format!("ValueError (`{function}` expects non-negative scale factors)"),
        ));
    }
    Ok(())
}

/// `piecewise_interpolate_schedule(...)` after its checks.
fn interpolate(cosine: bool, init: f64, knots: &[(f64, f64)]) -> Result<PiecewiseInterpolate> {
    negative_scales("piecewise_interpolate_schedule", knots)?;
    Ok(PiecewiseInterpolate::new(cosine, init, knots))
}

/// Python's `int(x)` of a double, as a dict key.
fn py_int(function: &str, what: &str, x: f64) -> Result<f64> {
    if x.is_nan() {
        return Err(rejected(
            function,
            format!("ValueError (cannot convert float NaN to integer, in int({what}))"),
        ));
    }
    if x.is_infinite() {
        return Err(rejected(
            function,
            format!("OverflowError (cannot convert float infinity to integer, in int({what}))"),
        ));
    }
    Ok(x.trunc())
}

/// Python's `a / b` on doubles, which raises on a zero divisor.
fn py_div(function: &str, what: &str, a: f64, b: f64) -> Result<f64> {
    if b == 0.0 {
        return Err(rejected(
            function,
            format!("ZeroDivisionError (float division by zero, in {what})"),
        ));
    }
    Ok(a / b)
}

/// A dict literal's items: a repeated key keeps its place and takes the later value.
fn dict_literal(items: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for &(k, v) in items {
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(item) => item.1 = v,
            None => out.push((k, v)),
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

fn onecycle_steps(function: &str, params: &Params) -> Result<f64> {
    let steps = float(params, "transition_steps")?;
    if steps <= 0.0 {
        // optax's message says "linear" for both onecycles.
        return Err(rejected(
            function,
            "ValueError (A linear onecycle schedule was set with a non-positive \
             `transition_steps`)",
        ));
    }
    Ok(steps)
}

fn build_constant(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let value = float(params, "value")?;
    finish(ctx, params, Constant { value })
}

fn build_polynomial(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let curve = polynomial(
        float(params, "init_value")?,
        float(params, "end_value")?,
        Exponent::of(params, "power")?,
        float(params, "transition_steps")?,
        float(params, "transition_begin")?,
    );
    finish(ctx, params, curve)
}

fn build_linear(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let curve = polynomial(
        float(params, "init_value")?,
        float(params, "end_value")?,
        Exponent::Int(1),
        float(params, "transition_steps")?,
        float(params, "transition_begin")?,
    );
    finish(ctx, params, curve)
}

fn build_cosine_decay(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let curve = cosine_decay(
        "cosine_decay_schedule",
        float(params, "init_value")?,
        number(params, "decay_steps")?,
        float(params, "alpha")?,
        Exponent::of(params, "exponent")?,
    )?;
    finish(ctx, params, curve)
}

fn build_exponential_decay(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let curve = exponential(params, float(params, "init_value")?)?;
    finish(ctx, params, curve)
}

fn build_piecewise_constant(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let init = float(params, "init_value")?;
    let knots = boundaries_and_scales(params).unwrap_or_default();
    negative_scales("piecewise_constant_schedule", &knots)?;
    finish(ctx, params, PiecewiseConstant { init, knots })
}

fn build_piecewise_interpolate(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let cosine = params.choice("interpolate_type")? == "cosine";
    let init = float(params, "init_value")?;
    let knots = boundaries_and_scales(params).unwrap_or_default();
    finish(ctx, params, interpolate(cosine, init, &knots)?)
}

fn build_warmup_constant(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let curve = polynomial(
        float(params, "init_value")?,
        float(params, "peak_value")?,
        Exponent::Int(1),
        float(params, "warmup_steps")?,
        0.0,
    );
    finish(ctx, params, curve)
}

/// `decay_steps - warmup_steps` as Python computes and prints it.
fn py_sub(params: &Params, a: &str, b: &str) -> Result<(f64, String)> {
    let (x, y) = (float(params, a)?, float(params, b)?);
    Ok(match (params.value(a), params.value(b)) {
        (Some(Value::Int(i)), Some(Value::Int(j))) => {
            let d = i.saturating_sub(*j);
            (d as f64, d.to_string())
        }
        _ => (x - y, py_repr(x - y)),
    })
}

fn build_warmup_cosine_decay(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let init = float(params, "init_value")?;
    let peak = float(params, "peak_value")?;
    let warmup = float(params, "warmup_steps")?;
    let end = float(params, "end_value")?;
    let alpha = if peak == 0.0 { 0.0 } else { end / peak };
    let curve = Join {
        first: polynomial(init, peak, Exponent::Int(1), warmup, 0.0),
        second: cosine_decay(
            "warmup_cosine_decay_schedule",
            peak,
            py_sub(params, "decay_steps", "warmup_steps")?,
            alpha,
            Exponent::of(params, "exponent")?,
        )?,
        boundary: warmup,
    };
    finish(ctx, params, curve)
}

fn build_warmup_exponential_decay(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let init = float(params, "init_value")?;
    let peak = float(params, "peak_value")?;
    let warmup = float(params, "warmup_steps")?;
    let curve = Join {
        first: polynomial(init, peak, Exponent::Int(1), warmup, 0.0),
        second: exponential(params, peak)?,
        boundary: warmup,
    };
    finish(ctx, params, curve)
}

fn build_cosine_onecycle(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const F: &str = "cosine_onecycle_schedule";
    let steps = onecycle_steps(F, params)?;
    let peak = float(params, "peak_value")?;
    let pct_start = float(params, "pct_start")?;
    let div = float(params, "div_factor")?;
    let final_div = float(params, "final_div_factor")?;
    let init = py_div(F, "peak_value / div_factor", peak, div)?;
    let last = py_div(
        F,
        "1.0 / (div_factor * final_div_factor)",
        1.0,
        div * final_div,
    )?;
    let knots = dict_literal(&[
        (
            py_int(F, "pct_start * transition_steps", pct_start * steps)?,
            div,
        ),
        (py_int(F, "transition_steps", steps)?, last),
    ]);
    finish(ctx, params, interpolate(true, init, &knots)?)
}

fn build_linear_onecycle(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const F: &str = "linear_onecycle_schedule";
    let steps = onecycle_steps(F, params)?;
    let peak = float(params, "peak_value")?;
    let pct_start = float(params, "pct_start")?;
    let pct_final = float(params, "pct_final")?;
    let div = float(params, "div_factor")?;
    let final_div = float(params, "final_div_factor")?;
    let init = py_div(F, "peak_value / div_factor", peak, div)?;
    let back = py_div(F, "1.0 / div_factor", 1.0, div)?;
    let last = py_div(F, "1.0 / final_div_factor", 1.0, final_div)?;
    let knots = dict_literal(&[
        (
            py_int(F, "pct_start * transition_steps", pct_start * steps)?,
            div,
        ),
        (
            py_int(F, "pct_final * transition_steps", pct_final * steps)?,
            back,
        ),
        (steps, last),
    ]);
    finish(ctx, params, interpolate(false, init, &knots)?)
}

const CONSTANT_SCHEDULE: Entry = Entry {
    name: "constant_schedule",
    library: Library::Optax,
    upstream: "optax.constant_schedule(value)",
    summary: "the value at every step (absolute; ignores --base-lr)",
    formula: "lr = value, cast to float32",
    horizon: "no horizon",
    params: &[num("value", REQUIRED, "the lr"), PRECISION_PARAM],
    takes_warmup: false,
    build: build_constant,
};

const LINEAR_SCHEDULE: Entry = Entry {
    name: "linear_schedule",
    library: Library::Optax,
    upstream: "optax.linear_schedule(init_value, end_value, transition_steps, \
               transition_begin=0)",
    summary: "linear from init_value to end_value over transition_steps (absolute)",
    formula: "c = clip(k - B, 0, T); lr = (I - E) * (1 - c / T) + E (I - E in double, the rest \
              in float32); T <= 0: lr = I",
    horizon: "holds end_value from k = B + T on; --steps only sets how many steps are \
              evaluated",
    params: &[
        INIT_VALUE,
        num(
            "end_value",
            REQUIRED,
            "the value from transition_begin + transition_steps on",
        ),
        num(
            "transition_steps",
            REQUIRED,
            "steps of the transition (<= 0: init_value for ever)",
        ),
        TRANSITION_BEGIN,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_linear,
};

const POLYNOMIAL_SCHEDULE: Entry = Entry {
    name: "polynomial_schedule",
    library: Library::Optax,
    upstream: "optax.polynomial_schedule(init_value, end_value, power, transition_steps, \
               transition_begin=0)",
    summary: "polynomial from init_value to end_value over transition_steps (absolute)",
    formula: "c = clip(k - B, 0, T); lr = (I - E) * (1 - c / T) ** power + E (an int power \
              multiplies, a float one calls pow); T <= 0: lr = I",
    horizon: "holds end_value from k = B + T on; --steps only sets how many steps are \
              evaluated",
    params: &[
        INIT_VALUE,
        num(
            "end_value",
            REQUIRED,
            "the value from transition_begin + transition_steps on",
        ),
        num(
            "power",
            REQUIRED,
            "the polynomial's power (an int multiplies, a float calls pow)",
        ),
        num(
            "transition_steps",
            REQUIRED,
            "steps of the transition (<= 0: init_value for ever)",
        ),
        TRANSITION_BEGIN,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_polynomial,
};

const COSINE_DECAY_SCHEDULE: Entry = Entry {
    name: "cosine_decay_schedule",
    library: Library::Optax,
    upstream: "optax.cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0)",
    summary: "cosine from init_value to alpha * init_value over decay_steps (absolute)",
    formula: "c = min(k, D); lr = I * ((1 - alpha) * (0.5 * (1 + cos(pi * c / D))) ** exponent \
              + alpha)",
    horizon: "holds alpha * init_value from k = decay_steps on; --steps only sets how many \
              steps are evaluated",
    params: &[
        INIT_VALUE,
        num("decay_steps", REQUIRED, "steps of the decay (> 0)"),
        num(
            "alpha",
            ParamDefault::Float(0.0),
            "the final value as a fraction of init_value",
        ),
        EXPONENT,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_cosine_decay,
};

const EXPONENTIAL_DECAY: Entry = Entry {
    name: "exponential_decay",
    library: Library::Optax,
    upstream: "optax.exponential_decay(init_value, transition_steps, decay_rate, \
               transition_begin=0, staircase=False, end_value=None)",
    summary: "init_value * decay_rate^((k - transition_begin) / transition_steps) (absolute)",
    formula: "d = k - B; lr = I while d <= 0, else I * r ** (d / T) (floor(d / T) with \
              staircase); then max(lr, end_value) if r < 1 else min(lr, end_value); T <= 0 or \
              r == 0: lr = I",
    horizon: "no horizon: decays for ever, down to end_value when given",
    params: &[
        INIT_VALUE,
        num(
            "transition_steps",
            REQUIRED,
            "steps per factor of decay_rate (<= 0: constant)",
        ),
        DECAY_RATE,
        TRANSITION_BEGIN,
        STAIRCASE,
        EXP_END_VALUE,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_exponential_decay,
};

const PIECEWISE_CONSTANT_SCHEDULE: Entry = Entry {
    name: "piecewise_constant_schedule",
    library: Library::Optax,
    upstream: "optax.piecewise_constant_schedule(init_value, boundaries_and_scales=None)",
    summary: "init_value times every scale whose step is reached (absolute)",
    formula: "for (b, s) in sorted(boundaries_and_scales): ind = max(0, sign(b - k)); v = v * \
              ind + (1 - ind) * s * v; starting from v = I (a scale applies AT its step b)",
    horizon: "holds the last value after the last boundary",
    params: &[INIT_VALUE, BOUNDARIES_AND_SCALES, PRECISION_PARAM],
    takes_warmup: false,
    build: build_piecewise_constant,
};

const PIECEWISE_INTERPOLATE_SCHEDULE: Entry = Entry {
    name: "piecewise_interpolate_schedule",
    library: Library::Optax,
    upstream: "optax.piecewise_interpolate_schedule(interpolate_type, init_value, \
               boundaries_and_scales=None)",
    summary: "interpolates between init_value and its cumulative scalings (absolute)",
    formula: "knots b = [0, sorted steps], values v = cumprod([I, scales]); on b_i <= k < \
              b_(i+1), pct = (k - b_i) / max(b_(i+1) - b_i, 1); linear: (v_(i+1) - v_i) * pct + \
              v_i; cosine: v_(i+1) + (v_i - v_(i+1)) / 2 * (cos(pi * pct) + 1)",
    horizon: "holds the last value from the last boundary on",
    params: &[
        ParamSpec {
            name: "interpolate_type",
            kind: ParamKind::Choice(&["linear", "cosine"]),
            default: REQUIRED,
            doc: "the shape between knots (optax raises ValueError for any other)",
        },
        INIT_VALUE,
        BOUNDARIES_AND_SCALES,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_piecewise_interpolate,
};

const WARMUP_CONSTANT_SCHEDULE: Entry = Entry {
    name: "warmup_constant_schedule",
    library: Library::Optax,
    upstream: "optax.warmup_constant_schedule(init_value, peak_value, warmup_steps)",
    summary: "linear warmup from init_value to peak_value, then constant (absolute)",
    formula: "linear_schedule(I, P, W): c = min(k, W); lr = (I - P) * (1 - c / W) + P; W <= 0: \
              lr = I for ever (optax never reaches the peak)",
    horizon: "holds peak_value from k = warmup_steps on",
    params: &[INIT_VALUE, PEAK_VALUE, WARMUP_STEPS, PRECISION_PARAM],
    takes_warmup: false,
    build: build_warmup_constant,
};

const WARMUP_COSINE_DECAY_SCHEDULE: Entry = Entry {
    name: "warmup_cosine_decay_schedule",
    library: Library::Optax,
    upstream: "optax.warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, \
               decay_steps, end_value=0.0, exponent=1.0)",
    summary: "linear warmup, then cosine to end_value; decay_steps INCLUDES the warmup \
              (absolute)",
    formula: "k < W: linear_schedule(I, P, W); then cosine_decay_schedule(P, D - W, alpha = E / \
              P (0 if P == 0), exponent) at k - W",
    horizon: "holds end_value from k = decay_steps on; --steps only sets how many steps are \
              evaluated",
    params: &[
        INIT_VALUE,
        PEAK_VALUE,
        WARMUP_STEPS,
        num(
            "decay_steps",
            REQUIRED,
            "total steps, warmup included (> warmup_steps)",
        ),
        num(
            "end_value",
            ParamDefault::Float(0.0),
            "the value from decay_steps on",
        ),
        EXPONENT,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_warmup_cosine_decay,
};

const WARMUP_EXPONENTIAL_DECAY_SCHEDULE: Entry = Entry {
    name: "warmup_exponential_decay_schedule",
    library: Library::Optax,
    upstream: "optax.warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps, \
               transition_steps, decay_rate, transition_begin=0, staircase=False, \
               end_value=None)",
    summary: "linear warmup, then exponential decay from peak_value (absolute)",
    formula: "k < W: linear_schedule(I, P, W); then exponential_decay(P, transition_steps, \
              decay_rate, transition_begin, staircase, end_value) at k - W",
    horizon: "no horizon: decays for ever, down to end_value when given",
    params: &[
        INIT_VALUE,
        PEAK_VALUE,
        WARMUP_STEPS,
        num(
            "transition_steps",
            REQUIRED,
            "steps per factor of decay_rate (<= 0: peak_value)",
        ),
        DECAY_RATE,
        TRANSITION_BEGIN,
        STAIRCASE,
        EXP_END_VALUE,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_warmup_exponential_decay,
};

const COSINE_ONECYCLE_SCHEDULE: Entry = Entry {
    name: "cosine_onecycle_schedule",
    library: Library::Optax,
    upstream: "optax.cosine_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, \
               div_factor=25.0, final_div_factor=1e4)",
    summary: "one cycle with cosine phases: up to peak_value, down to a tiny value (absolute)",
    formula: "piecewise_interpolate_schedule('cosine', P / div, {int(pct_start * T): div, \
              int(T): 1 / (div * final_div)})",
    horizon: "holds peak_value / (div_factor * final_div_factor) from k = transition_steps on",
    params: &[
        num("transition_steps", REQUIRED, "steps of the cycle (> 0)"),
        num("peak_value", REQUIRED, "the value at the top of the cycle"),
        PCT_START,
        DIV_FACTOR,
        FINAL_DIV_FACTOR,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_cosine_onecycle,
};

const LINEAR_ONECYCLE_SCHEDULE: Entry = Entry {
    name: "linear_onecycle_schedule",
    library: Library::Optax,
    upstream: "optax.linear_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, \
               pct_final=0.85, div_factor=25.0, final_div_factor=1e4)",
    summary: "one cycle with linear phases: up, back down, then to a tiny value (absolute)",
    formula: "piecewise_interpolate_schedule('linear', P / div, {int(pct_start * T): div, \
              int(pct_final * T): 1 / div, T: 1 / final_div}); a repeated key takes the later \
              scale, as a Python dict literal does",
    horizon: "holds peak_value / (div_factor * final_div_factor) from k = transition_steps on",
    params: &[
        num("transition_steps", REQUIRED, "steps of the cycle (> 0)"),
        num("peak_value", REQUIRED, "the value at the top of the cycle"),
        PCT_START,
        num(
            "pct_final",
            ParamDefault::Float(0.85),
            "the way down ends at int(pct_final * transition_steps)",
        ),
        DIV_FACTOR,
        FINAL_DIV_FACTOR,
        PRECISION_PARAM,
    ],
    takes_warmup: false,
    build: build_linear_onecycle,
};
