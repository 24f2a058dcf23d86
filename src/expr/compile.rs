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

    /// The value, if the whole expression folded to a constant (its value depends on no
    /// variable).
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

/// A step of the bottom-up walk: visit a node's children, then combine their results.
enum Task<'t> {
    Visit(&'t Ast),
    Combine(&'t Ast),
}

/// The direct operands of a node, left to right.
fn children(ast: &Ast) -> Vec<&Ast> {
    match ast {
        Ast::Number(_) | Ast::Name(..) => Vec::new(),
        Ast::Neg(a) | Ast::Call(_, a) => vec![a],
        Ast::Binary(_, a, b) => vec![a, b],
        Ast::Compare(first, rest) => std::iter::once(&**first)
            .chain(rest.iter().map(|(_, operand)| operand))
            .collect(),
        Ast::Min(args) | Ast::Max(args) => args.iter().collect(),
        Ast::If(c, a, b) => vec![c, a, b],
    }
}

impl Compiler<'_> {
    /// Builds bottom-up with explicit stacks instead of recursion, whose frames in a debug
    /// build are large enough to overflow a thread's stack well within
    /// [`parse::MAX_DEPTH`]. Names are resolved in source order, so the first unknown one
    /// is reported.
    fn build(&self, root: &Ast) -> Result<Built, ExprError> {
        let mut tasks = vec![Task::Visit(root)];
        let mut results: Vec<Built> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(Ast::Number(v)) => results.push(Built::Const(*v)),
                Task::Visit(Ast::Name(name, span)) => {
                    results.push(self.resolve(name, span.clone())?);
                }
                Task::Visit(node) => {
                    tasks.push(Task::Combine(node));
                    tasks.extend(children(node).into_iter().rev().map(Task::Visit));
                }
                Task::Combine(node) => {
                    let count = children(node).len();
                    let operands = results.split_off(results.len().saturating_sub(count));
                    results.push(combine(node, operands));
                }
            }
        }
        Ok(results.pop().unwrap_or(Built::Const(f64::NAN)))
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
}

/// Combines the compiled operands of `node` (in order) into the node's compiled form.
fn combine(node: &Ast, operands: Vec<Built>) -> Built {
    let mut operands = operands.into_iter();
    let mut next = || operands.next().unwrap_or(Built::Const(f64::NAN));
    match node {
        Ast::Number(v) => Built::Const(*v),
        // Names are resolved when visited and never combined.
        Ast::Name(..) => Built::Const(f64::NAN),
        Ast::Neg(_) => unary(ast::neg, next()),
        Ast::Binary(op, ..) => {
            let (a, b) = (next(), next());
            match op {
                BinOp::Add => binary(ast::add, a, b),
                BinOp::Sub => binary(ast::sub, a, b),
                BinOp::Mul => binary(ast::mul, a, b),
                BinOp::Div => binary(ast::div, a, b),
                BinOp::Rem => binary(ast::py_mod, a, b),
                BinOp::Pow => binary(ast::pow, a, b),
            }
        }
        Ast::Compare(_, rest) => {
            let ops: Vec<CmpOp> = rest.iter().map(|(op, _)| *op).collect();
            compare(ops, operands.collect())
        }
        Ast::Min(_) => min_max(operands.collect(), ast::py_min),
        Ast::Max(_) => min_max(operands.collect(), ast::py_max),
        Ast::If(..) => {
            // Both branches were compiled even when the condition is constant, so that a
            // misspelt name in the unused one is still reported.
            let (condition, then, otherwise) = (next(), next(), next());
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
        Ast::Call(f, _) => {
            let a = next();
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
    }
}

/// A comparison chain; a single comparison becomes a plain binary node.
fn compare(ops: Vec<CmpOp>, operands: Vec<Built>) -> Built {
    if let ([op], [_, _]) = (ops.as_slice(), operands.as_slice()) {
        let mut operands = operands.into_iter();
        let a = operands.next().unwrap_or(Built::Const(f64::NAN));
        let b = operands.next().unwrap_or(Built::Const(f64::NAN));
        return match op {
            CmpOp::Lt => binary(ast::lt, a, b),
            CmpOp::Le => binary(ast::le, a, b),
            CmpOp::Gt => binary(ast::gt, a, b),
            CmpOp::Ge => binary(ast::ge, a, b),
            CmpOp::Eq => binary(ast::eq, a, b),
            CmpOp::Ne => binary(ast::ne, a, b),
        };
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
        return Built::Const(chain(&ops, value));
    }
    let operands: Vec<Code> = operands.into_iter().map(Built::into_code).collect();
    Built::Code(Box::new(move |v| {
        chain(&ops, |i| operands.get(i).map_or(f64::NAN, |f| f(v)))
    }))
}

/// `min` or `max` of two or more arguments.
fn min_max<F>(args: Vec<Built>, pick: F) -> Built
where
    F: Fn(f64, f64) -> f64 + Copy + Send + Sync + 'static,
{
    // Fold only a leading run of constants: the fold goes left to right, and with NaN or
    // signed zeros min and max are neither commutative nor associative.
    let mut args = args.into_iter();
    let mut acc = args.next().unwrap_or(Built::Const(f64::NAN));
    let mut others = Vec::new();
    for b in args {
        match (&acc, b) {
            (Built::Const(a), Built::Const(c)) if others.is_empty() => {
                acc = Built::Const(pick(*a, c));
            }
            (_, b) => others.push(b),
        }
    }
    match (others.pop(), others.is_empty()) {
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
