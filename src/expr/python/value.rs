//! Python's numbers: ints exact at any size, floats as CPython computes them, and the
//! exceptions CPython raises, operation by operation.
//!
//! Every function here follows one CPython 3.11 function (named in its comment), with the
//! same special cases in the same order, because the special cases are where the bits and
//! the exceptions come from. Ints that fit in 64 bits stay in an `i64` and never allocate;
//! only results that overflow it become a [`BigInt`].

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{FromPrimitive, Signed, ToPrimitive, Zero};

/// A Python value as the subset computes with it. `bool` is an int, as in Python.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An int that fits in 64 bits.
    Int(i64),
    /// An int that does not (never one that fits: results are normalised).
    Big(Box<BigInt>),
    /// A float.
    Float(f64),
    /// `None`, what a `def` returns when it falls off its end.
    None,
    /// A complex number (from a negative number to a fractional power). Only its presence
    /// is tracked: `LambdaLR` cannot use it, and every use the subset allows either keeps
    /// it complex or raises.
    Complex,
}

/// A Python exception: its class and its message, as CPython 3.11 words them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raised {
    /// `ZeroDivisionError`, `ValueError`, `OverflowError`, `TypeError`, ...
    pub kind: &'static str,
    /// The exception's message.
    pub message: String,
}

/// The result of one operation.
pub type Res<T = Value> = Result<T, Raised>;

pub(crate) fn raise<T>(kind: &'static str, message: impl Into<String>) -> Res<T> {
    Err(Raised {
        kind,
        message: message.into(),
    })
}

fn zero_division<T>(message: &str) -> Res<T> {
    raise("ZeroDivisionError", message)
}

fn domain_error<T>() -> Res<T> {
    raise("ValueError", "math domain error")
}

fn range_error<T>() -> Res<T> {
    raise("OverflowError", "math range error")
}

/// The largest int the subset computes with, in bits. CPython has no limit but memory; an
/// int this large cannot become a learning rate anyway (`float()` of it overflows).
pub const MAX_INT_BITS: u64 = 1 << 22;

impl Value {
    /// Python's name of the value's type, for `TypeError` messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Big(_) => "int",
            Value::Float(_) => "float",
            Value::None => "NoneType",
            Value::Complex => "complex",
        }
    }

    /// An int from a `BigInt`, in an `i64` when it fits.
    pub fn from_big(b: BigInt) -> Res {
        if let Some(i) = b.to_i64() {
            return Ok(Value::Int(i));
        }
        if b.bits() > MAX_INT_BITS {
            return raise(
                "OverflowError",
                format!("lrsched computes with ints of at most {MAX_INT_BITS} bits"),
            );
        }
        Ok(Value::Big(Box::new(b)))
    }

    fn big(&self) -> Option<BigInt> {
        match self {
            Value::Int(i) => Some(BigInt::from(*i)),
            Value::Big(b) => Some((**b).clone()),
            _ => None,
        }
    }

    fn is_int(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Big(_))
    }

    /// `float(x)` of an int or a float (`PyFloat_AsDouble`); a `TypeError` for the rest.
    pub fn to_f64(&self) -> Res<f64> {
        match self {
            Value::Int(i) => Ok(*i as f64),
            Value::Big(b) => big_to_f64(b),
            Value::Float(f) => Ok(*f),
            Value::None | Value::Complex => raise(
                "TypeError",
                format!("must be real number, not {}", self.type_name()),
            ),
        }
    }

    /// Python's truth value; a complex number's is refused (the subset does not track
    /// whether it is zero).
    pub fn truthy(&self) -> Res<bool> {
        match self {
            Value::Int(i) => Ok(*i != 0),
            Value::Big(_) => Ok(true),
            Value::Float(f) => Ok(*f != 0.0),
            Value::None => Ok(false),
            Value::Complex => unsupported_complex(),
        }
    }
}

fn unsupported_complex<T>() -> Res<T> {
    raise(
        "TypeError",
        "lrsched does not compute with complex numbers (a negative number to a fractional power)",
    )
}

/// `PyLong_AsDouble`: correctly rounded (half to even), `OverflowError` past the largest
/// float.
pub fn big_to_f64(b: &BigInt) -> Res<f64> {
    let bits = b.bits();
    let magnitude = b.magnitude();
    let f = if bits <= 64 {
        magnitude.to_u64().map_or(f64::INFINITY, |m| m as f64)
    } else {
        // The top 64 bits with every lower bit folded into the last one (a sticky bit):
        // converting those 64 bits rounds exactly as converting the whole int would.
        let shift = bits - 64;
        let top = (magnitude >> shift).to_u64().unwrap_or(u64::MAX);
        let sticky = magnitude.trailing_zeros().is_some_and(|z| z < shift);
        let top = top | u64::from(sticky);
        libm::scalbn(top as f64, i32::try_from(shift).unwrap_or(i32::MAX))
    };
    if f.is_infinite() {
        return raise("OverflowError", "int too large to convert to float");
    }
    Ok(if b.is_negative() { -f } else { f })
}

/// An integral float as an int (`PyLong_FromDouble`), with `int()`'s errors.
pub fn float_to_int(f: f64) -> Res {
    if f.is_nan() {
        return raise("ValueError", "cannot convert float NaN to integer");
    }
    if f.is_infinite() {
        return raise("OverflowError", "cannot convert float infinity to integer");
    }
    if f.abs() < TWO_63 {
        return Ok(Value::Int(f as i64));
    }
    match BigInt::from_f64(f) {
        Some(b) => Value::from_big(b),
        None => raise("OverflowError", "cannot convert float infinity to integer"),
    }
}

/// 2^63, the first float past the `i64`s.
pub const TWO_63: f64 = (1u64 << 63) as f64;

/// The arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`, true division.
    Div,
    /// `//`, floor division.
    FloorDiv,
    /// `%`, with the sign of the divisor.
    Mod,
    /// `**` (also spelled `^`).
    Pow,
}

impl BinOp {
    /// The operator as Python spells it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
        }
    }
}

/// The comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CmpOp {
    /// The operator as Python spells it.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Whether the comparison holds, given the order of the operands (`None`: unordered,
    /// a NaN).
    pub fn holds(self, order: Option<Ordering>) -> bool {
        match (self, order) {
            (CmpOp::Ne, None) => true,
            (_, None) => false,
            (CmpOp::Lt, Some(o)) => o.is_lt(),
            (CmpOp::Le, Some(o)) => o.is_le(),
            (CmpOp::Gt, Some(o)) => o.is_gt(),
            (CmpOp::Ge, Some(o)) => o.is_ge(),
            (CmpOp::Eq, Some(o)) => o.is_eq(),
            (CmpOp::Ne, Some(o)) => o.is_ne(),
        }
    }
}

fn operand_error<T>(op: &str, a: &Value, b: &Value) -> Res<T> {
    if matches!(a, Value::Complex) || matches!(b, Value::Complex) {
        return unsupported_complex();
    }
    raise(
        "TypeError",
        format!(
            "unsupported operand type(s) for {op}: '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ),
    )
}

/// `a OP b` for any two values.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Res {
    use Value::{Float, Int};
    match (a, b) {
        (Int(x), Int(y)) => int_binary(op, *x, *y),
        (Float(x), Float(y)) => float_binary(op, *x, *y),
        _ if a.is_int() && b.is_int() => {
            let (x, y) = (a.big().unwrap_or_default(), b.big().unwrap_or_default());
            big_binary(op, &x, &y)
        }
        (Value::Complex, _) | (_, Value::Complex)
            if !matches!(a, Value::None) && !matches!(b, Value::None) =>
        {
            match op {
                // Python raises for complex `//` and `%`; the rest stays complex.
                BinOp::FloorDiv | BinOp::Mod => raise(
                    "TypeError",
                    format!("unsupported operand type(s) for {}: 'complex'", op.symbol()),
                ),
                _ => Ok(Value::Complex),
            }
        }
        _ if (a.is_int() || matches!(a, Float(_))) && (b.is_int() || matches!(b, Float(_))) => {
            // int with float: the int becomes a float first, as CPython's float methods
            // convert their other operand.
            float_binary(op, a.to_f64()?, b.to_f64()?)
        }
        _ => operand_error(op.symbol(), a, b),
    }
}

/// Two ints in 64 bits: exact, moving to a `BigInt` only on overflow.
pub fn int_binary(op: BinOp, x: i64, y: i64) -> Res {
    let small = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => return int_true_divide_small(x, y).map(Value::Float),
        BinOp::FloorDiv => {
            if y == 0 {
                return zero_division("integer division or modulo by zero");
            }
            x.checked_div_euclid(y).map(|_| Integer::div_floor(&x, &y))
        }
        BinOp::Mod => {
            if y == 0 {
                return zero_division("integer modulo by zero");
            }
            // i64::MIN % -1 is 0 mathematically but overflows in Rust.
            Some(if y == -1 {
                0
            } else {
                Integer::mod_floor(&x, &y)
            })
        }
        BinOp::Pow => {
            if y < 0 {
                return float_pow(x as f64, y as f64);
            }
            u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
        }
    };
    match small {
        Some(v) => Ok(Value::Int(v)),
        None => big_binary(op, &BigInt::from(x), &BigInt::from(y)),
    }
}

/// `x / y` of two ints that fit in 64 bits.
pub fn int_true_divide_small(x: i64, y: i64) -> Res<f64> {
    const EXACT: u64 = 1 << 53;
    if y == 0 {
        return zero_division("division by zero");
    }
    if x.unsigned_abs() <= EXACT && y.unsigned_abs() <= EXACT {
        // Both convert exactly, so one rounding: CPython's fast path.
        return Ok(x as f64 / y as f64);
    }
    int_true_divide(&BigInt::from(x), &BigInt::from(y))
}

fn big_binary(op: BinOp, x: &BigInt, y: &BigInt) -> Res {
    match op {
        BinOp::Add => Value::from_big(x + y),
        BinOp::Sub => Value::from_big(x - y),
        BinOp::Mul => {
            if x.bits() + y.bits() > MAX_INT_BITS + 1 {
                return Value::from_big(BigInt::from(1) << (MAX_INT_BITS + 1));
            }
            Value::from_big(x * y)
        }
        BinOp::Div => int_true_divide(x, y).map(Value::Float),
        BinOp::FloorDiv => {
            if y.is_zero() {
                return zero_division("integer division or modulo by zero");
            }
            Value::from_big(x.div_floor(y))
        }
        BinOp::Mod => {
            if y.is_zero() {
                return zero_division("integer modulo by zero");
            }
            Value::from_big(x.mod_floor(y))
        }
        BinOp::Pow => {
            if y.is_negative() {
                return float_pow(big_to_f64(x)?, big_to_f64(y)?);
            }
            let magnitude = x.magnitude();
            if magnitude.bits() <= 1 {
                // 0, 1 and -1 to any power.
                let odd = y.is_odd();
                return Value::from_big(if x.is_zero() {
                    if y.is_zero() {
                        BigInt::from(1)
                    } else {
                        BigInt::from(0)
                    }
                } else if x.is_negative() && odd {
                    BigInt::from(-1)
                } else {
                    BigInt::from(1)
                });
            }
            let exponent = y.to_u64().unwrap_or(u64::MAX);
            if (magnitude.bits() - 1).saturating_mul(exponent) > MAX_INT_BITS {
                return Value::from_big(BigInt::from(1) << (MAX_INT_BITS + 1));
            }
            Value::from_big(x.pow(u32::try_from(exponent).unwrap_or(u32::MAX)))
        }
    }
}

/// `long_true_divide`: the quotient of two ints correctly rounded to a float, half to even,
/// without converting either to a float first.
pub fn int_true_divide(x: &BigInt, y: &BigInt) -> Res<f64> {
    if y.is_zero() {
        return zero_division("division by zero");
    }
    let negative = x.is_negative() != y.is_negative();
    let signed = |f: f64| if negative { -f } else { f };
    let (a, b) = (x.magnitude(), y.magnitude());
    if a.is_zero() {
        return Ok(signed(0.0));
    }
    // Scale so that the integer quotient q has at least 56 bits: the value is q * 2^-s
    // plus a remainder that only acts as a sticky bit.
    let s = 56 - i64::try_from(a.bits()).unwrap_or(i64::MAX) + i64::try_from(b.bits()).unwrap_or(0);
    let (q, r) = if s >= 0 {
        (a << s.unsigned_abs()).div_rem(b)
    } else {
        a.div_rem(&(b << s.unsigned_abs()))
    };
    let sticky = !r.is_zero();
    let q_bits = i64::try_from(q.bits()).unwrap_or(i64::MAX);
    // The binade of the result, and the weight of its last bit (subnormals keep fewer).
    let exponent = q_bits - 1 - s;
    if exponent > 1023 {
        return raise(
            "OverflowError",
            "integer division result too large for a float",
        );
    }
    let last = (exponent - 52).max(-1074);
    let drop = u64::try_from(last + s).unwrap_or(0);
    let mut m = (&q >> drop).to_u64().unwrap_or(0);
    let rest = &q - (num_bigint::BigUint::from(m) << drop);
    let half = num_bigint::BigUint::from(1u8) << drop.saturating_sub(1);
    let up = match rest.cmp(&half) {
        Ordering::Greater => true,
        Ordering::Equal => sticky || m % 2 == 1,
        Ordering::Less => false,
    };
    if drop > 0 && up {
        m += 1;
    }
    let f = libm::scalbn(m as f64, i32::try_from(last).unwrap_or(0));
    if f.is_infinite() {
        return raise(
            "OverflowError",
            "integer division result too large for a float",
        );
    }
    Ok(signed(f))
}

/// Two floats: `float_add` ... `float_pow`.
pub fn float_binary(op: BinOp, x: f64, y: f64) -> Res {
    Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return zero_division("float division by zero");
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return zero_division("float floor division by zero");
            }
            float_floor_div(x, y)
        }
        BinOp::Mod => {
            if y == 0.0 {
                return zero_division("float modulo");
            }
            float_mod(x, y)
        }
        BinOp::Pow => return float_pow(x, y),
    }))
}

/// `float_rem`: C `fmod`, moved into the divisor's sign; a zero takes the divisor's sign.
pub fn float_mod(x: f64, y: f64) -> f64 {
    let m = x % y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) { m + y } else { m }
    } else {
        0.0f64.copysign(y)
    }
}

/// `_float_div_mod`'s quotient: `(x - fmod(x, y)) / y`, snapped to an integral value.
pub fn float_floor_div(x: f64, y: f64) -> f64 {
    let m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut floor = div.floor();
        if div - floor > 0.5 {
            floor += 1.0;
        }
        floor
    } else {
        0.0f64.copysign(x / y)
    }
}

fn is_odd_integer(x: f64) -> bool {
    // DOUBLE_IS_ODD_INTEGER: fmod(fabs(x), 2.0) == 1.0
    (x.abs() % 2.0) == 1.0
}

/// `float_pow`: CPython's special cases, then C `pow`; a negative number to a fractional
/// power is complex.
pub fn float_pow(iv: f64, iw: f64) -> Res {
    let f = Value::Float;
    if iw == 0.0 {
        return Ok(f(1.0));
    }
    if iv.is_nan() {
        return Ok(f(iv));
    }
    if iw.is_nan() {
        return Ok(f(if iv == 1.0 { 1.0 } else { iw }));
    }
    if iw.is_infinite() {
        let a = iv.abs();
        return Ok(f(if a == 1.0 {
            1.0
        } else if (iw > 0.0) == (a > 1.0) {
            iw.abs()
        } else {
            0.0
        }));
    }
    if iv.is_infinite() {
        let odd = is_odd_integer(iw);
        return Ok(f(if iw > 0.0 {
            if odd { iv } else { iv.abs() }
        } else if odd {
            0.0f64.copysign(iv)
        } else {
            0.0
        }));
    }
    if iv == 0.0 {
        if iw < 0.0 {
            return zero_division("0.0 cannot be raised to a negative power");
        }
        return Ok(f(if is_odd_integer(iw) { iv } else { 0.0 }));
    }
    let mut base = iv;
    let mut negate = false;
    if iv < 0.0 {
        if iw != iw.floor() {
            return Ok(Value::Complex);
        }
        base = -iv;
        negate = is_odd_integer(iw);
    }
    if base == 1.0 {
        return Ok(f(if negate { -1.0 } else { 1.0 }));
    }
    let r = base.powf(iw);
    if r.is_infinite() {
        return raise("OverflowError", "(34, 'Numerical result out of range')");
    }
    Ok(f(if negate { -r } else { r }))
}

/// `math.pow` (`math_pow_impl`): like `**` but a `ValueError` where `**` goes complex or
/// divides by zero.
pub fn math_pow(x: f64, y: f64) -> Res<f64> {
    if !x.is_finite() || !y.is_finite() {
        return Ok(if x.is_nan() {
            if y == 0.0 { 1.0 } else { x }
        } else if y.is_nan() {
            if x == 1.0 { 1.0 } else { y }
        } else if x.is_infinite() {
            let odd = y.is_finite() && (y.abs() % 2.0) == 1.0;
            if y > 0.0 {
                if odd { x } else { x.abs() }
            } else if y == 0.0 {
                1.0
            } else if odd {
                0.0f64.copysign(x)
            } else {
                0.0
            }
        } else if x.abs() == 1.0 {
            1.0
        } else if y > 0.0 && x.abs() > 1.0 {
            y
        } else if y < 0.0 && x.abs() < 1.0 {
            -y
        } else {
            0.0
        });
    }
    let r = x.powf(y);
    if r.is_nan() {
        return domain_error();
    }
    if r.is_infinite() {
        return if x == 0.0 {
            domain_error()
        } else {
            range_error()
        };
    }
    Ok(r)
}

/// `math_1`: a libm function of one float, a `ValueError` where it gives NaN from a number
/// or infinity from a finite number (an `OverflowError` instead for functions that
/// overflow, such as `exp`).
pub fn math_1(x: f64, func: fn(f64) -> f64, can_overflow: bool) -> Res<f64> {
    let r = func(x);
    if r.is_nan() && !x.is_nan() {
        return domain_error();
    }
    if r.is_infinite() && x.is_finite() {
        return if can_overflow {
            range_error()
        } else {
            domain_error()
        };
    }
    Ok(r)
}

/// `loghelper`: `math.log`, `log2` and `log10` of an int work on ints too large for a
/// float, through the int's binary exponent.
pub fn log_helper(x: &Value, func: fn(f64) -> f64) -> Res<f64> {
    let big = match x {
        Value::Int(i) => {
            if *i <= 0 {
                return domain_error();
            }
            return Ok(func(*i as f64));
        }
        Value::Big(b) => b,
        _ => return math_1(x.to_f64()?, func, false),
    };
    if big.is_negative() {
        return domain_error();
    }
    if let Ok(f) = big_to_f64(big) {
        return Ok(func(f));
    }
    // `_PyLong_Frexp`: the int as m * 2^e with m in [0.5, 1), m rounded half to even to
    // 53 bits.
    let bits = big.bits();
    let shift = bits - 53;
    let magnitude = big.magnitude();
    let mut top = (magnitude >> shift).to_u64().unwrap_or(0);
    let rest = magnitude - (num_bigint::BigUint::from(top) << shift);
    let half = num_bigint::BigUint::from(1u8) << (shift - 1);
    match rest.cmp(&half) {
        Ordering::Greater => top += 1,
        Ordering::Equal if top % 2 == 1 => top += 1,
        _ => {}
    }
    let mut e = bits;
    if top == 1 << 53 {
        top >>= 1;
        e += 1;
    }
    let m = top as f64 / 9_007_199_254_740_992.0;
    Ok(func(m) + func(2.0) * e as f64)
}

/// The order of two values, as Python's rich comparison sees it (`None`: unordered).
/// An int and a float compare exactly, not through a conversion.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> Res<bool> {
    use Value::{Big, Float, Int};
    let order = match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Int(x), Float(y)) => compare_int_float(*x, *y),
        (Float(x), Int(y)) => compare_int_float(*y, *x).map(Ordering::reverse),
        (Big(x), Float(y)) => compare_big_float(x, *y),
        (Float(x), Big(y)) => compare_big_float(y, *x).map(Ordering::reverse),
        _ if a.is_int() && b.is_int() => a.big().partial_cmp(&b.big()),
        (Value::None, Value::None) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Some(Ordering::Equal),
        (Value::None, _) | (_, Value::None) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            return Ok(op == CmpOp::Ne);
        }
        (Value::Complex, _) | (_, Value::Complex) => return unsupported_complex(),
        _ => {
            return raise(
                "TypeError",
                format!(
                    "'{}' not supported between instances of '{}' and '{}'",
                    op.symbol(),
                    a.type_name(),
                    b.type_name()
                ),
            );
        }
    };
    Ok(op.holds(order))
}

/// An i64 against a float, exactly (`float_richcompare`).
pub fn compare_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // t is integral and in range, so the conversion is exact.
    let ti = t as i64;
    Some(i.cmp(&ti).then_with(|| {
        if f > t {
            Ordering::Less
        } else if f < t {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

fn compare_big_float(b: &BigInt, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let t = f.trunc();
    let tb = BigInt::from_f64(t)?;
    Some(b.cmp(&tb).then_with(|| {
        if f > t {
            Ordering::Less
        } else if f < t {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }))
}

/// Unary minus.
pub fn neg(a: &Value) -> Res {
    match a {
        Value::Int(i) => match i.checked_neg() {
            Some(n) => Ok(Value::Int(n)),
            None => Value::from_big(-BigInt::from(*i)),
        },
        Value::Big(b) => Value::from_big(-(**b).clone()),
        Value::Float(f) => Ok(Value::Float(-f)),
        Value::Complex => Ok(Value::Complex),
        Value::None => raise("TypeError", "bad operand type for unary -: 'NoneType'"),
    }
}

/// Unary plus: a number unchanged.
pub fn pos(a: &Value) -> Res {
    match a {
        Value::None => raise("TypeError", "bad operand type for unary +: 'NoneType'"),
        v => Ok(v.clone()),
    }
}

/// `abs(x)`.
pub fn abs(a: &Value) -> Res {
    match a {
        Value::Int(i) => match i.checked_abs() {
            Some(n) => Ok(Value::Int(n)),
            None => Value::from_big(BigInt::from(*i).abs()),
        },
        Value::Big(b) => Value::from_big(b.abs()),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        Value::Complex => unsupported_complex(),
        Value::None => raise("TypeError", "bad operand type for abs(): 'NoneType'"),
    }
}

fn real<'a>(a: &'a Value, what: &str) -> Res<&'a Value> {
    match a {
        Value::None | Value::Complex => raise(
            "TypeError",
            format!("{what} not supported for '{}'", a.type_name()),
        ),
        v => Ok(v),
    }
}

/// `round(x)`: half to even, an int.
pub fn round(a: &Value) -> Res {
    match real(a, "round()")? {
        Value::Float(f) => float_to_int(f.round_ties_even()),
        v => Ok(v.clone()),
    }
}

/// `int(x)`: truncation towards zero.
pub fn int(a: &Value) -> Res {
    match real(a, "int()")? {
        Value::Float(f) => float_to_int(f.trunc()),
        v => Ok(v.clone()),
    }
}

/// `math.floor(x)`: an int.
pub fn floor(a: &Value) -> Res {
    match real(a, "math.floor()")? {
        Value::Float(f) => float_to_int(f.floor()),
        v => Ok(v.clone()),
    }
}

/// `math.ceil(x)`: an int.
pub fn ceil(a: &Value) -> Res {
    match real(a, "math.ceil()")? {
        Value::Float(f) => float_to_int(f.ceil()),
        v => Ok(v.clone()),
    }
}

/// `min` (`pick_smaller`) or `max` of two or more values: left to right, a later value
/// replaces the kept one only when strictly smaller (larger), so NaN and equal values of
/// different types keep the first.
pub fn min_max(args: &[Value], max: bool) -> Res {
    let mut kept = match args.first() {
        Some(v) => v,
        None => return raise("TypeError", "expected at least 1 argument, got 0"),
    };
    for v in &args[1..] {
        let op = if max { CmpOp::Gt } else { CmpOp::Lt };
        if compare(op, v, kept)? {
            kept = v;
        }
    }
    Ok(kept.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: Res) -> f64 {
        match v {
            Ok(Value::Float(x)) => x,
            other => panic!("not a float: {other:?}"),
        }
    }

    #[test]
    fn true_division_of_big_ints_is_correctly_rounded() {
        let two = BigInt::from(2);
        // (2^60 + 1) / 3: CPython 384307168202282325.0
        let a = two.pow(60u32) + 1;
        assert_eq!(
            int_true_divide(&a, &BigInt::from(3)),
            Ok(384_307_168_202_282_325.0)
        );
        // A tie between two floats broken by the sticky remainder.
        let a = two.pow(54u32) + 3;
        assert_eq!(
            int_true_divide(&a, &BigInt::from(1)),
            Ok(18_014_398_509_481_988.0)
        );
        assert_eq!(
            int_true_divide(&BigInt::from(-1), &two.pow(2000u32)).map(f64::to_bits),
            Ok((-0.0f64).to_bits())
        );
        assert!(int_true_divide(&two.pow(2000u32), &BigInt::from(3)).is_err());
        assert_eq!(
            int_true_divide(&BigInt::from(1), &two.pow(1074u32)),
            Ok(5e-324)
        );
    }

    #[test]
    fn float_floor_division_and_modulo_follow_the_divisor() {
        assert_eq!(float_floor_div(-1.0, 3.0), -1.0);
        assert_eq!(float_floor_div(0.0, -3.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(float_mod(-0.0, 3.0).to_bits(), 0);
        assert_eq!(
            f(binary(BinOp::Pow, &Value::Float(-2.0), &Value::Int(3))),
            -8.0
        );
        assert_eq!(
            binary(BinOp::Pow, &Value::Float(-2.0), &Value::Float(0.5)),
            Ok(Value::Complex)
        );
    }

    #[test]
    fn ints_compare_exactly_with_floats() {
        let big = 9_007_199_254_740_993i64; // 2^53 + 1
        assert_eq!(
            compare_int_float(big, 9_007_199_254_740_992.0),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_int_float(-1, -0.5), Some(Ordering::Less));
        assert_eq!(compare_int_float(0, f64::NAN), None);
    }
}
