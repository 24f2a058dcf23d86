//! Name resolution, constant folding and the closure tree a [`Program`] runs.
//!
//! Every node becomes a constant, a variable slot, or a boxed closure. Operators
//! specialise on constant and variable operands (`step/2000` is one closure reading slot 0
//! and dividing by a captured 2000), which saves the indirect calls that dominate the cost
//! of small expressions. Folding and evaluation call the same functions of [`super::ast`],
//! so a folded constant has exactly the bits the evaluation would have produced. Nothing
//! is reassociated: `pi*step/steps` stays `(pi*step)/steps`.

use std::fmt;

use super::ast::{self, Ast, BinOp, CmpOp, Function, constant};
use super::error::ExprError;
use super::parse;
use crate::suggest;

type Code = Box<dyn Fn(&[f64]) -> f64 + Send + Sync>;

/// A compiled node.
enum Built {
    Const(f64),
    Var(usize),
    Code(Code),
}

/// `values[i]`, or NaN when the caller passed fewer values than variables.
#[inline(always)]
fn var(values: &[f64], i: usize) -> f64 {
    values.get(i).copied().unwrap_or(f64::NAN)
}

impl Built {
    fn into_code(self) -> Code {
        match self {
            Built::Const(c) => Box::new(move |_| c),
            Built::Var(i) => Box::new(move |v| var(v, i)),
            Built::Code(code) => code,
        }
    }
}

/// An expression compiled over a fixed set of variables.
pub struct Program {
    root: Built,
    source: String,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Program");
        s.field("source", &self.source);
        if let Built::Const(c) = self.root {
            s.field("constant", &c);
        }
        s.finish_non_exhaustive()
    }
}

impl Program {
    /// Evaluates with `values[i]` bound to the i-th variable given to [`compile`]; a
    /// variable without a value is NaN.
    #[inline]
    pub fn eval(&self, values: &[f64]) -> f64 {
        match &self.root {
            Built::Const(c) => *c,
            Built::Var(i) => var(values, *i),
            Built::Code(code) => code(values),
        }
    }

    /// The value, if the expression uses no variable (it was folded to a constant).
    pub fn as_constant(&self) -> Option<f64> {
        match self.root {
            Built::Const(c) => Some(c),
            _ => None,
        }
    }
}

/// Parses and compiles `source`, resolving names against `variables` (which win over the
/// constants `pi` and `e` if they share a name).
pub fn compile(source: &str, variables: &[&str]) -> Result<Program, ExprError> {
    let ast = parse::parse_with(source, variables)?;
    let root = Compiler { source, variables }.build(&ast)?;
    Ok(Program {
        root,
        source: source.to_string(),
    })
}

struct Compiler<'a> {
    source: &'a str,
    variables: &'a [&'a str],
}

impl Compiler<'_> {
    /// Recursion depth is the tree's height, which the parser bounds by
    /// [`parse::MAX_DEPTH`].
    fn build(&self, ast: &Ast) -> Result<Built, ExprError> {
        Ok(match ast {
            Ast::Number(v) => Built::Const(*v),
            Ast::Name(name, span) => self.resolve(name, span.clone())?,
            Ast::Neg(a) => unary(ast::neg, self.build(a)?),
            Ast::Binary(op, a, b) => {
                let (a, b) = (self.build(a)?, self.build(b)?);
                match op {
                    BinOp::Add => binary(ast::add, a, b),
                    BinOp::Sub => binary(ast::sub, a, b),
                    BinOp::Mul => binary(ast::mul, a, b),
                    BinOp::Div => binary(ast::div, a, b),
                    BinOp::Rem => binary(ast::py_mod, a, b),
                    BinOp::Pow => binary(ast::pow, a, b),
                }
            }
            Ast::Compare(first, rest) => self.compare(first, rest)?,
            Ast::Min(args) => self.min_max(args, ast::py_min)?,
            Ast::Max(args) => self.min_max(args, ast::py_max)?,
            Ast::If(condition, then, otherwise) => {
                // Both branches are built even when the condition is constant, so that a
                // misspelt name in the unused one is still reported.
                let condition = self.build(condition)?;
                let then = self.build(then)?;
                let otherwise = self.build(otherwise)?;
                match condition {
                    Built::Const(c) => {
                        if ast::truthy(c) {
                            then
                        } else {
                            otherwise
                        }
                    }
                    condition => {
                        let (c, t, o) = (
                            condition.into_code(),
                            then.into_code(),
                            otherwise.into_code(),
                        );
                        Built::Code(Box::new(
                            move |v| {
                                if ast::truthy(c(v)) { t(v) } else { o(v) }
                            },
                        ))
                    }
                }
            }
            Ast::Call(f, a) => {
                let a = self.build(a)?;
                match f {
                    Function::Cos => unary(ast::cos, a),
                    Function::Sin => unary(ast::sin, a),
                    Function::Tan => unary(ast::tan, a),
                    Function::Exp => unary(ast::exp, a),
                    Function::Ln => unary(ast::ln, a),
                    Function::Log10 => unary(ast::log10, a),
                    Function::Sqrt => unary(ast::sqrt, a),
                    Function::Abs => unary(ast::abs, a),
                    Function::Floor => unary(ast::floor, a),
                    Function::Ceil => unary(ast::ceil, a),
                    Function::Round => unary(ast::round, a),
                    Function::Signum => unary(ast::signum, a),
                }
            }
        })
    }

    fn resolve(&self, name: &str, span: std::ops::Range<usize>) -> Result<Built, ExprError> {
        if let Some(slot) = self.variables.iter().position(|v| *v == name) {
            return Ok(Built::Var(slot));
        }
        if let Some(value) = constant(name) {
            return Ok(Built::Const(value));
        }
        let message = if ast::FUNCTION_NAMES.contains(&name) {
            let usage = match name {
                "min" | "max" => format!("{name}(a, b)"),
                "if" => "if(condition, then, otherwise)".to_string(),
                _ => format!("{name}(x)"),
            };
            format!("'{name}' is a function; call it as {usage}")
        } else {
            let candidates = self
                .variables
                .iter()
                .copied()
                .chain(ast::CONSTANTS.iter().map(|(n, _)| *n));
            let list = if self.variables.is_empty() {
                "there are no variables".to_string()
            } else {
                format!("variables: {}", self.variables.join(", "))
            };
            format!(
                "unknown variable '{name}'{} ({list})",
                suggest::did_you_mean(name, candidates)
            )
        };
        Err(ExprError::new(message, span, self.source))
    }

    fn compare(&self, first: &Ast, rest: &[(CmpOp, Ast)]) -> Result<Built, ExprError> {
        let first = self.build(first)?;
        if let [(op, second)] = rest {
            let second = self.build(second)?;
            return Ok(match op {
                CmpOp::Lt => binary(ast::lt, first, second),
                CmpOp::Le => binary(ast::le, first, second),
                CmpOp::Gt => binary(ast::gt, first, second),
                CmpOp::Ge => binary(ast::ge, first, second),
                CmpOp::Eq => binary(ast::eq, first, second),
                CmpOp::Ne => binary(ast::ne, first, second),
            });
        }
        let mut operands = vec![first];
        let mut ops = Vec::with_capacity(rest.len());
        for (op, operand) in rest {
            ops.push(*op);
            operands.push(self.build(operand)?);
        }
        let constants: Option<Vec<f64>> = operands
            .iter()
            .map(|b| match b {
                Built::Const(c) => Some(*c),
                _ => None,
            })
            .collect();
        if let Some(values) = constants {
            let value = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
            return Ok(Built::Const(chain(&ops, value)));
        }
        let operands: Vec<Code> = operands.into_iter().map(Built::into_code).collect();
        Ok(Built::Code(Box::new(move |v| {
            chain(&ops, |i| operands.get(i).map_or(f64::NAN, |f| f(v)))
        })))
    }

    fn min_max<F>(&self, args: &[Ast], pick: F) -> Result<Built, ExprError>
    where
        F: Fn(f64, f64) -> f64 + Copy + Send + Sync + 'static,
    {
        let mut built = Vec::with_capacity(args.len());
        for arg in args {
            built.push(self.build(arg)?);
        }
        // Fold only a leading run of constants: the fold goes left to right, and with NaN
        // or signed zeros min and max are neither commutative nor associative.
        let mut built = built.into_iter();
        let mut acc = built.next().unwrap_or(Built::Const(f64::NAN));
        let mut others = Vec::new();
        for b in built {
            match (&acc, b) {
                (Built::Const(a), Built::Const(c)) if others.is_empty() => {
                    acc = Built::Const(pick(*a, c));
                }
                (_, b) => others.push(b),
            }
        }
        Ok(match (others.pop(), others.is_empty()) {
            (None, _) => acc,
            (Some(last), true) => binary(pick, acc, last),
            (Some(last), false) => {
                others.push(last);
                let first = acc.into_code();
                let others: Vec<Code> = others.into_iter().map(Built::into_code).collect();
                Built::Code(Box::new(move |v| {
                    others.iter().fold(first(v), |m, f| pick(m, f(v)))
                }))
            }
        })
    }
}

/// Python's chained comparison over operands `0..=ops.len()`: stops at the first false
/// link, as `a < b and b < c` does.
fn chain(ops: &[CmpOp], operand: impl Fn(usize) -> f64) -> f64 {
    let mut left = operand(0);
    for (i, op) in ops.iter().enumerate() {
        let right = operand(i + 1);
        if !op.holds(left, right) {
            return 0.0;
        }
        left = right;
    }
    1.0
}

fn unary<F>(f: F, a: Built) -> Built
where
    F: Fn(f64) -> f64 + Copy + Send + Sync + 'static,
{
    match a {
        Built::Const(c) => Built::Const(f(c)),
        Built::Var(i) => Built::Code(Box::new(move |v| f(var(v, i)))),
        Built::Code(a) => Built::Code(Box::new(move |v| f(a(v)))),
    }
}

fn binary<F>(f: F, a: Built, b: Built) -> Built
where
    F: Fn(f64, f64) -> f64 + Copy + Send + Sync + 'static,
{
    use Built::{Code, Const, Var};
    match (a, b) {
        (Const(x), Const(y)) => Const(f(x, y)),
        (Var(i), Const(y)) => Code(Box::new(move |v| f(var(v, i), y))),
        (Const(x), Var(j)) => Code(Box::new(move |v| f(x, var(v, j)))),
        (Var(i), Var(j)) => Code(Box::new(move |v| f(var(v, i), var(v, j)))),
        (Code(a), Const(y)) => Code(Box::new(move |v| f(a(v), y))),
        (Const(x), Code(b)) => Code(Box::new(move |v| f(x, b(v)))),
        (Code(a), Var(j)) => Code(Box::new(move |v| f(a(v), var(v, j)))),
        (Var(i), Code(b)) => Code(Box::new(move |v| f(var(v, i), b(v)))),
        (Code(a), Code(b)) => Code(Box::new(move |v| f(a(v), b(v)))),
    }
}
