//! The exact evaluator: one step at a time, every value a Python int or float, every
//! exception where CPython raises it. The batch evaluator falls back to it, and is tested
//! against it.

use std::ops::Range;

use super::lower::{Kind, Node};
use super::parse::Func;
use super::value::{self, Raised, Res, Value, math_1};

/// An exception with the span of the node that raised it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// The exception.
    pub raised: Raised,
    /// Where.
    pub span: Range<usize>,
}

/// Evaluates `node` at `step`, with `locals` as the storage of its bindings.
pub fn eval(node: &Node, step: &Value, locals: &mut [Value]) -> Result<Value, Exception> {
    let at = |r: Raised| Exception {
        raised: r,
        span: node.span.clone(),
    };
    let v = match &node.kind {
        Kind::Const(v) => v.clone(),
        Kind::Param => step.clone(),
        Kind::Local(id) => locals.get(*id).cloned().unwrap_or(Value::None),
        Kind::Let(id, value, body) => {
            let v = eval(value, step, locals)?;
            if let Some(slot) = locals.get_mut(*id) {
                *slot = v;
            }
            return eval(body, step, locals);
        }
        Kind::Unbound(name) => {
            return Err(at(Raised {
                kind: "UnboundLocalError",
                message: format!(
                    "cannot access local variable '{name}' where it is not associated with a value"
                ),
            }));
        }
        Kind::FellOff => Value::None,
        Kind::Neg(a) => value::neg(&eval(a, step, locals)?).map_err(at)?,
        Kind::Pos(a) => value::pos(&eval(a, step, locals)?).map_err(at)?,
        Kind::Not(a) => {
            let v = eval(a, step, locals)?;
            Value::Int(i64::from(!v.truthy().map_err(at)?))
        }
        Kind::Binary(op, a, b) => {
            let a = eval(a, step, locals)?;
            let b = eval(b, step, locals)?;
            value::binary(*op, &a, &b).map_err(at)?
        }
        Kind::And(a, b) => {
            let a = eval(a, step, locals)?;
            if a.truthy().map_err(at)? {
                eval(b, step, locals)?
            } else {
                a
            }
        }
        Kind::Or(a, b) => {
            let a = eval(a, step, locals)?;
            if a.truthy().map_err(at)? {
                a
            } else {
                eval(b, step, locals)?
            }
        }
        Kind::Compare(first, rest) => {
            let mut left = eval(first, step, locals)?;
            for (op, r) in rest {
                let right = eval(r, step, locals)?;
                if !value::compare(*op, &left, &right).map_err(at)? {
                    return Ok(Value::Int(0));
                }
                left = right;
            }
            Value::Int(1)
        }
        Kind::If(c, a, b) => {
            let c = eval(c, step, locals)?;
            if c.truthy().map_err(at)? {
                eval(a, step, locals)?
            } else {
                eval(b, step, locals)?
            }
        }
        Kind::Call(Func::IfFn, args) => {
            let [c, a, b] = args.as_slice() else {
                return Ok(Value::None);
            };
            let c = eval(c, step, locals)?;
            if c.truthy().map_err(at)? {
                eval(a, step, locals)?
            } else {
                eval(b, step, locals)?
            }
        }
        // Arguments on the stack for the usual counts: no allocation a step.
        Kind::Call(f, args) => match args.as_slice() {
            [] => call(*f, &[]).map_err(at)?,
            [a] => call(*f, &[eval(a, step, locals)?]).map_err(at)?,
            [a, b] => {
                let a = eval(a, step, locals)?;
                call(*f, &[a, eval(b, step, locals)?]).map_err(at)?
            }
            [a, b, c] => {
                let a = eval(a, step, locals)?;
                let b = eval(b, step, locals)?;
                call(*f, &[a, b, eval(c, step, locals)?]).map_err(at)?
            }
            _ => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(eval(a, step, locals)?);
                }
                call(*f, &values).map_err(at)?
            }
        },
    };
    Ok(v)
}

fn float(f: f64) -> Res {
    Ok(Value::Float(f))
}

/// Calls a function on evaluated arguments.
pub fn call(f: Func, args: &[Value]) -> Res {
    let none = Value::None;
    let x = args.first().unwrap_or(&none);
    let y = args.get(1).unwrap_or(&none);
    let m1 = |func: fn(f64) -> f64, can_overflow: bool| -> Res {
        math_1(x.to_f64()?, func, can_overflow).map(Value::Float)
    };
    match f {
        Func::Min => value::min_max(args, false),
        Func::Max => value::min_max(args, true),
        Func::Abs => value::abs(x),
        Func::Round => value::round(x),
        Func::Float => match args.first() {
            None => float(0.0),
            Some(v) => float(v.to_f64()?),
        },
        Func::Int => match args.first() {
            None => Ok(Value::Int(0)),
            Some(v) => value::int(v),
        },
        Func::Bool => match args.first() {
            None => Ok(Value::Int(0)),
            Some(v) => Ok(Value::Int(i64::from(v.truthy()?))),
        },
        Func::Pow => value::binary(value::BinOp::Pow, x, y),
        Func::IfFn => {
            let z = args.get(2).unwrap_or(&none);
            Ok(if x.truthy()? { y.clone() } else { z.clone() })
        }
        Func::Signum => {
            let v = x.to_f64()?;
            float(if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else if v == 0.0 {
                0.0
            } else {
                v
            })
        }
        Func::Floor => value::floor(x),
        Func::Ceil => value::ceil(x),
        Func::Trunc => value::int(x),
        Func::Exp => m1(f64::exp, true),
        Func::Log => {
            let num = value::log_helper(x, f64::ln)?;
            if args.len() < 2 {
                return float(num);
            }
            let den = value::log_helper(y, f64::ln)?;
            if den == 0.0 {
                return value::raise("ZeroDivisionError", "float division by zero");
            }
            float(num / den)
        }
        Func::Log2 => value::log_helper(x, f64::log2).map(Value::Float),
        Func::Log10 => value::log_helper(x, f64::log10).map(Value::Float),
        Func::Sqrt => m1(f64::sqrt, false),
        Func::MathPow => value::math_pow(x.to_f64()?, y.to_f64()?).map(Value::Float),
        Func::Sin => m1(f64::sin, false),
        Func::Cos => m1(f64::cos, false),
        Func::Tan => m1(f64::tan, false),
        Func::Asin => m1(f64::asin, false),
        Func::Acos => m1(f64::acos, false),
        Func::Atan => m1(f64::atan, false),
        Func::Sinh => m1(f64::sinh, true),
        Func::Cosh => m1(f64::cosh, true),
        Func::Tanh => m1(f64::tanh, false),
        Func::Expm1 => m1(f64::exp_m1, true),
        Func::Log1p => m1(f64::ln_1p, false),
        Func::Fabs => m1(f64::abs, false),
        Func::Degrees => float(x.to_f64()? * (180.0 / std::f64::consts::PI)),
        Func::Radians => float(x.to_f64()? * (std::f64::consts::PI / 180.0)),
        Func::IsNan => Ok(Value::Int(i64::from(x.to_f64()?.is_nan()))),
        Func::IsInf => Ok(Value::Int(i64::from(x.to_f64()?.is_infinite()))),
        Func::IsFinite => Ok(Value::Int(i64::from(x.to_f64()?.is_finite()))),
    }
}
