//! optax's schedule functions (`optax/schedules/_schedule.py`, `_join.py`, optax 0.2.8) as
//! [`Curve`]s, each in optax's operation order: Python doubles for the parameter
//! arithmetic, then the float type of the array for everything that touches the count.

use crate::schedule::real::{Curve, Exponent, Real};

/// `a - b` as jax computes it: in the integer type when both are whole (the int32 count and
/// a Python int, exact), else in the float type (a Python float meets the array).
#[inline]
fn sub<T: Real>(a: f64, b: f64) -> T {
    if a.fract() == 0.0 && b.fract() == 0.0 {
        T::of(a - b)
    } else {
        T::of(a) - T::of(b)
    }
}

/// `a < b` as jax compares them: exactly for whole numbers, else in the float type.
#[inline]
fn less<T: Real>(a: f64, b: f64) -> bool {
    if a.fract() == 0.0 && b.fract() == 0.0 {
        a < b
    } else {
        T::of(a) < T::of(b)
    }
}

/// `lambda count: value`: the number itself, which the optimizer casts to its float type.
#[derive(Debug)]
pub(super) struct Constant {
    pub value: f64,
}

impl Curve for Constant {
    #[inline]
    fn value<T: Real>(&self, _count: f64) -> T {
        T::of(self.value)
    }
}

/// `polynomial_schedule` with `transition_steps > 0` (optax holds `init_value` otherwise)
/// and `transition_begin >= 0` (optax replaces a negative one by 0):
/// `c = clip(count - B, 0, T)`, `(I - E) * (1 - c / T) ** power + E`.
#[derive(Debug)]
pub(super) struct Polynomial {
    pub init: f64,
    pub end: f64,
    pub power: Exponent,
    pub steps: f64,
    pub begin: f64,
}

impl Curve for Polynomial {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let c = sub::<T>(count, self.begin)
            .max_or_nan(T::of(0.0))
            .min_or_nan(T::of(self.steps));
        let frac = T::of(1.0) - c / T::of(self.steps);
        T::of(self.init - self.end) * self.power.apply(frac) + T::of(self.end)
    }
}

/// `cosine_decay_schedule(init_value, decay_steps > 0, alpha, exponent)`:
/// `c = min(count, D)`, `I * ((1 - alpha) * (0.5 * (1 + cos(pi * c / D))) ** exponent + alpha)`.
#[derive(Debug)]
pub(super) struct CosineDecay {
    pub init: f64,
    pub steps: f64,
    pub alpha: f64,
    pub exponent: Exponent,
}

impl Curve for CosineDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let steps = T::of(self.steps);
        let c = T::of(count).min_or_nan(steps);
        let cosine = T::of(0.5) * (T::of(1.0) + (T::of(std::f64::consts::PI) * c / steps).cos());
        let decayed = T::of(1.0 - self.alpha) * self.exponent.apply(cosine) + T::of(self.alpha);
        T::of(self.init) * decayed
    }
}

/// `exponential_decay` with `transition_steps > 0` and `decay_rate != 0` (optax holds
/// `init_value` otherwise): `d = count - B`; `I` while `d <= 0`, else `I * r ** (d / T)`
/// (`floor(d / T)` with `staircase`), bounded by `end_value` (a floor when `r < 1`, a cap
/// otherwise).
#[derive(Debug)]
pub(super) struct ExponentialDecay {
    pub init: f64,
    pub steps: f64,
    pub rate: f64,
    pub begin: f64,
    pub staircase: bool,
    pub end: Option<f64>,
}

impl Curve for ExponentialDecay {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let decreased = sub::<T>(count, self.begin);
        let mut p = decreased / T::of(self.steps);
        if self.staircase {
            p = p.floor();
        }
        let value = if decreased <= T::of(0.0) {
            T::of(self.init)
        } else {
            T::of(self.init) * T::of(self.rate).pow(p)
        };
        match self.end {
            None => value,
            Some(end) if self.rate < 1.0 => value.max_or_nan(T::of(end)),
            Some(end) => value.min_or_nan(T::of(end)),
        }
    }
}

/// `join_schedules([first, second], [boundary])`: `first(count)` below the boundary, then
/// `second(count - boundary)`.
#[derive(Debug)]
pub(super) struct Join<A, B> {
    pub first: A,
    pub second: B,
    pub boundary: f64,
}

impl<A: Curve, B: Curve> Curve for Join<A, B> {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        if less::<T>(count, self.boundary) {
            self.first.value(count)
        } else {
            // The later schedule sees the shifted count exactly as jax holds it.
            self.second.value(sub::<T>(count, self.boundary).to_f64())
        }
    }
}

/// A curve or a constant, for optax functions that return `lambda count: init_value` for
/// some parameters.
#[derive(Debug)]
pub(super) enum OrConstant<C> {
    Curve(C),
    Constant(Constant),
}

impl<C: Curve> Curve for OrConstant<C> {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        match self {
            OrConstant::Curve(c) => c.value(count),
            OrConstant::Constant(c) => c.value(count),
        }
    }
}

/// `piecewise_constant_schedule(init_value, boundaries_and_scales)`, with optax's
/// arithmetic: for each `(b, s)` in key order, `ind = max(0, sign(b - count))` and
/// `v = v * ind + (1 - ind) * s * v`, so a scale applies from step `b` on.
#[derive(Debug)]
pub(super) struct PiecewiseConstant {
    pub init: f64,
    /// Sorted by boundary.
    pub knots: Vec<(f64, f64)>,
}

impl Curve for PiecewiseConstant {
    #[inline]
    fn value<T: Real>(&self, count: f64) -> T {
        let mut v = T::of(self.init);
        for &(boundary, scale) in &self.knots {
            let difference = sub::<T>(boundary, count);
            let indicator = if difference.is_nan() {
                T::of(f64::NAN)
            } else {
                T::of(if difference > T::of(0.0) { 1.0 } else { 0.0 })
            };
            v = v * indicator + (T::of(1.0) - indicator) * T::of(scale) * v;
        }
        v
    }
}

/// `piecewise_interpolate_schedule(interpolate_type, init_value, boundaries_and_scales)`.
///
/// Knots `b = [0, sorted keys...]`, values `v = cumprod([I, scales...])`; on `b_i <= count <
/// b_(i+1)` with `pct = (count - b_i) / max(b_(i+1) - b_i, 1)`, linear gives `(v_(i+1) -
/// v_i) * pct + v_i` and cosine `v_(i+1) + (v_i - v_(i+1)) / 2 * (cos(pi * pct) + 1)`;
/// from the last knot on, `v_last`. optax sums `indicator . interpolations + (b_last <=
/// count) * v_last`, which is the one selected term unless a value is not finite.
#[derive(Debug)]
pub(super) struct PiecewiseInterpolate {
    pub cosine: bool,
    pub bounds: Vec<f64>,
    /// `v` computed in float32 (each exactly a double) and in float64.
    pub values32: Vec<f64>,
    pub values64: Vec<f64>,
    /// Whether every value is finite, so that the terms optax multiplies by 0 are 0.
    pub finite: bool,
}

impl PiecewiseInterpolate {
    pub fn new(cosine: bool, init: f64, knots: &[(f64, f64)]) -> Self {
        let bounds: Vec<f64> = std::iter::once(0.0)
            .chain(knots.iter().map(|k| k.0))
            .collect();
        let factors: Vec<f64> = std::iter::once(init)
            .chain(knots.iter().map(|k| k.1))
            .collect();
        let values32: Vec<f64> = cumprod(&factors.iter().map(|&x| x as f32).collect::<Vec<_>>())
            .into_iter()
            .map(f64::from)
            .collect();
        let values64 = cumprod(&factors);
        let finite = values32.iter().chain(&values64).all(|v| v.is_finite());
        PiecewiseInterpolate {
            cosine,
            bounds,
            values32,
            values64,
            finite,
        }
    }

    #[inline]
    fn interpolate<T: Real>(&self, start: T, end: T, pct: T) -> T {
        if self.cosine {
            end + (start - end) / T::of(2.0)
                * ((T::of(std::f64::consts::PI) * pct).cos() + T::of(1.0))
        } else {
            (end - start) * pct + start
        }
    }
}

impl Curve for PiecewiseInterpolate {
    fn value<T: Real>(&self, count: f64) -> T {
        let values = if T::SINGLE {
            &self.values32
        } else {
            &self.values64
        };
        let mut sum = T::of(0.0);
        for (i, pair) in self.bounds.windows(2).enumerate() {
            let (low, high) = (pair[0], pair[1]);
            let inside = !less::<T>(count, low) && less::<T>(count, high);
            if !inside && self.finite {
                continue;
            }
            let size = sub::<T>(high, low).max_or_nan(T::of(1.0));
            let pct = sub::<T>(count, low) / size;
            let term = self.interpolate(T::of(values[i]), T::of(values[i + 1]), pct);
            sum = sum + if inside { term } else { T::of(0.0) * term };
        }
        let last = self.bounds.len() - 1;
        let after = if less::<T>(count, self.bounds[last]) {
            0.0
        } else {
            1.0
        };
        sum + T::of(after) * T::of(values[last])
    }
}

/// `jnp.cumprod` as jax computes it eagerly on CPU: left to right, each product rounded.
fn cumprod<T: Copy + std::ops::Mul<Output = T>>(elems: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(elems.len());
    for &x in elems {
        let next = out.last().map_or(x, |&acc| acc * x);
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumprod_multiplies_left_to_right() {
        assert_eq!(cumprod(&[2, 3, 5, 7, 11]), [2, 6, 30, 210, 2310]);
        assert_eq!(cumprod::<i32>(&[]), Vec::<i32>::new());
        // jax 0.10.2 on CPU gives 0.0189 = ((0.1 * 0.3) * 0.7) * 0.9 in float32, where a
        // tree ((0.1 * 0.3) * (0.7 * 0.9)) gives 0.018900001.
        let x = [0.1f32, 0.3, 0.7, 0.9];
        assert_eq!(f64::from(cumprod(&x)[3]), 0.01889999955892563);
        assert_ne!(cumprod(&x)[3], (x[0] * x[1]) * (x[2] * x[3]));
    }
}
