//! Arithmetic in a library's own float type: optax and Keras compute learning rates in
//! float32 (float64 with `--precision f64`), so their schedules are written once over
//! [`Real`] and evaluated in either type, in the library's operation order.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

use super::params::{PRECISION, ParamDefault, ParamKind, ParamSpec, Params, Value};
use super::{Point, Schedule};
use crate::error::{Error, Result};

/// A float type as an array library computes with it: IEEE `+ - * /` rounded to the type,
/// and the C library's `cosf`/`powf`/`logf` (or their double versions).
///
/// Rust's `f32` methods call the platform libm, as XLA's CPU backend does for `cos` and
/// `pow`; numpy's float32 loops (Keras' numpy backend) use their own SIMD versions, which
/// can differ by an ulp.
pub trait Real:
    Copy
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// True for float32, whose values a curve may precompute separately.
    const SINGLE: bool;
    /// A Python double meeting an array of this type: rounded to nearest.
    fn of(x: f64) -> Self;
    /// The exact double of the value.
    fn to_f64(self) -> f64;
    /// `cos`.
    fn cos(self) -> Self;
    /// `pow(self, e)` (`lax.pow`, `np.power`).
    fn pow(self, e: Self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// `floor`.
    fn floor(self) -> Self;
    /// `ceil`.
    fn ceil(self) -> Self;
    /// True for NaN.
    fn is_nan(self) -> bool;

    /// `jnp.minimum` / `np.minimum`: NaN if either is NaN.
    fn min_or_nan(self, other: Self) -> Self {
        if self.is_nan() || other < self || other.is_nan() {
            if self.is_nan() { self } else { other }
        } else {
            self
        }
    }

    /// `jnp.maximum` / `np.maximum`: NaN if either is NaN.
    fn max_or_nan(self, other: Self) -> Self {
        if self.is_nan() || other > self || other.is_nan() {
            if self.is_nan() { self } else { other }
        } else {
            self
        }
    }

    /// `lax.integer_pow(self, n)`: jax's binary exponentiation for a Python-int exponent,
    /// multiplying in jax's order (`x**3 = x * (x * x)`), `1 / acc` for a negative one.
    fn integer_pow(self, n: i64) -> Self {
        if n == 0 {
            return Self::of(1.0);
        }
        let mut y = n.unsigned_abs();
        let mut x = self;
        let mut acc: Option<Self> = None;
        while y > 0 {
            if y & 1 == 1 {
                acc = Some(acc.map_or(x, |a| a * x));
            }
            y >>= 1;
            if y > 0 {
                x = x * x;
            }
        }
        let acc = acc.unwrap_or(x);
        if n < 0 { Self::of(1.0) / acc } else { acc }
    }
}

impl Real for f32 {
    const SINGLE: bool = true;
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn cos(self) -> Self {
        f32::cos(self)
    }
    #[inline]
    fn pow(self, e: Self) -> Self {
        self.powf(e)
    }
    #[inline]
    fn ln(self) -> Self {
        f32::ln(self)
    }
    #[inline]
    fn floor(self) -> Self {
        f32::floor(self)
    }
    #[inline]
    fn ceil(self) -> Self {
        f32::ceil(self)
    }
    #[inline]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Real for f64 {
    const SINGLE: bool = false;
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    #[inline]
    fn pow(self, e: Self) -> Self {
        self.powf(e)
    }
    #[inline]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline]
    fn floor(self) -> Self {
        f64::floor(self)
    }
    #[inline]
    fn ceil(self) -> Self {
        f64::ceil(self)
    }
    #[inline]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

/// The float type a schedule computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// float32, as the library computes by default, with an int32 step counter.
    F32,
    /// float64: optax with `jax_enable_x64` and an int64 count; Keras with float64 dtype.
    F64,
}

impl Precision {
    /// The precision a schedule was given (`--precision`, or `--set precision=`).
    pub fn of(params: &Params) -> Result<Self> {
        Ok(match params.choice(PRECISION)? {
            "f64" => Precision::F64,
            _ => Precision::F32,
        })
    }

    /// The step as the library's counter holds it: an int32 in float32 mode stops at
    /// `i32::MAX` (optax's `safe_increment` saturates there), an int64 one does not.
    #[inline]
    pub fn count(self, step: u64) -> f64 {
        match self {
            Precision::F32 => step.min(i32::MAX as u64) as f64,
            Precision::F64 => step as f64,
        }
    }
}

/// A library's learning rate as a function of its step counter, in any [`Real`] type.
pub trait Curve: Debug + Send + Sync + 'static {
    /// The learning rate at `count`, the library's counter as a Python number (a whole
    /// number, or whole minus a boundary for the later parts of a joined schedule).
    fn value<T: Real>(&self, count: f64) -> T;
}

/// Whether a library's arrays keep subnormal numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subnormals {
    /// Kept, as numpy keeps them.
    Kept,
    /// Flushed to zero, as XLA's CPU backend runs with flush-to-zero: an lr that decays
    /// below the smallest normal float becomes 0.
    Flushed,
}

/// A [`Curve`] evaluated in its precision, as an absolute schedule: the lr is the curve's,
/// and `--base-lr` only enters the multiplier column.
#[derive(Debug)]
pub struct Absolute<C> {
    curve: C,
    precision: Precision,
    subnormals: Subnormals,
    optimizer_lr: f64,
}

impl<C: Curve> Absolute<C> {
    /// The schedule of `curve` in `precision`, with `optimizer_lr` (`--base-lr`) for the
    /// multiplier column.
    pub fn boxed(
        curve: C,
        precision: Precision,
        subnormals: Subnormals,
        optimizer_lr: f64,
    ) -> Box<dyn Schedule> {
        Box::new(Absolute {
            curve,
            precision,
            subnormals,
            optimizer_lr,
        })
    }
}

impl<C: Curve> Schedule for Absolute<C> {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let count = self.precision.count(step);
        let (lr, smallest) = match self.precision {
            Precision::F32 => (
                self.curve.value::<f32>(count).to_f64(),
                f64::from(f32::MIN_POSITIVE),
            ),
            Precision::F64 => (self.curve.value::<f64>(count), f64::MIN_POSITIVE),
        };
        // Only the final value is flushed: an intermediate subnormal that a later operation
        // brings back into the normal range is not (XLA would have flushed it too).
        let lr = if self.subnormals == Subnormals::Flushed && lr != 0.0 && lr.abs() < smallest {
            0.0f64.copysign(lr)
        } else {
            lr
        };
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        true
    }
}

/// An exponent as Python holds it: an int is `lax.integer_pow` (repeated multiplication),
/// a float is `pow`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Exponent {
    /// A Python int.
    Int(i64),
    /// A Python float.
    Float(f64),
}

impl Exponent {
    /// The parameter `name` of `params`.
    pub fn of(params: &Params, name: &str) -> Result<Self> {
        match params.value(name) {
            Some(Value::Int(i)) => Ok(Exponent::Int(*i)),
            Some(Value::Float(x)) => Ok(Exponent::Float(*x)),
            _ => Err(Error::input(format!("parameter {name} is not a number"))),
        }
    }

    /// `x ** self`.
    #[inline]
    pub fn apply<T: Real>(self, x: T) -> T {
        match self {
            Exponent::Int(n) => x.integer_pow(n),
            Exponent::Float(e) => x.pow(T::of(e)),
        }
    }
}

/// A number parameter as a double and as Python writes it (`100`, `12.5`, `1e-05`), for
/// the library's own messages.
pub fn number(params: &Params, name: &str) -> Result<(f64, String)> {
    match params.value(name) {
        Some(v) => match v.as_f64() {
            Some(x) => Ok((x, v.to_string())),
            None => Err(Error::input(format!("parameter {name} is not a number"))),
        },
        None => Err(Error::input(format!("parameter {name} is not set"))),
    }
}

/// The `precision` parameter, declared by every schedule that computes in float32.
pub const PRECISION_PARAM: ParamSpec = ParamSpec {
    name: PRECISION,
    kind: ParamKind::Choice(&["f32", "f64"]),
    default: ParamDefault::Str("f32"),
    doc: "lrsched's, not the library's (also --precision): f32 computes in float32 as the \
          library does; f64 in float64 (optax with jax_enable_x64)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_pow_multiplies_in_jax_order() {
        let x = 1.1f32;
        assert_eq!(x.integer_pow(0), 1.0);
        assert_eq!(x.integer_pow(1).to_bits(), x.to_bits());
        assert_eq!(x.integer_pow(2).to_bits(), (x * x).to_bits());
        assert_eq!(x.integer_pow(3).to_bits(), (x * (x * x)).to_bits());
        assert_eq!(x.integer_pow(4).to_bits(), ((x * x) * (x * x)).to_bits());
        assert_eq!(x.integer_pow(-2).to_bits(), (1.0 / (x * x)).to_bits());
    }

    #[test]
    fn minimum_and_maximum_propagate_nan() {
        assert!(f32::NAN.min_or_nan(1.0).is_nan() && 1.0f32.min_or_nan(f32::NAN).is_nan());
        assert!(f64::NAN.max_or_nan(1.0).is_nan() && 1.0f64.max_or_nan(f64::NAN).is_nan());
        assert_eq!(2.0f32.min_or_nan(3.0), 2.0);
        assert_eq!(2.0f64.max_or_nan(3.0), 3.0);
    }

    #[test]
    fn the_float32_counter_saturates() {
        assert_eq!(Precision::F32.count(u64::MAX), i32::MAX as f64);
        assert_eq!(Precision::F64.count(1 << 40), (1u64 << 40) as f64);
    }
}
