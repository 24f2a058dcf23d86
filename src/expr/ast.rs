//! The syntax tree, the meaning of every operator and function, and the plain recursive
//! interpreter that serves as the reference for the compiled form.
//!
//! The compiler calls the very same functions defined here (`add`, `py_mod`, `cos`, ...),
//! so a compiled program and [`Ast::interpret`] cannot drift apart in their arithmetic;
//! only in structure, which the property tests check.

use std::f64::consts;
use std::ops::Range;

/// A parsed expression. Names are not yet resolved: [`super::compile()`] checks them against
/// its variables, [`Ast::interpret`] looks them up by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number literal.
    Number(f64),
    /// A variable or a constant (`pi`, `e`), with its byte span for error messages.
    Name(String, Range<usize>),
    /// Unary minus (unary plus leaves no trace: Python's `+x` is `x`).
    Neg(Box<Ast>),
    /// An arithmetic operator.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// A comparison or a chain of them: `a < b <= c` is Python's `a < b and b <= c`.
    Compare(Box<Ast>, Vec<(CmpOp, Ast)>),
    /// `min(a, b, ...)`.
    Min(Vec<Ast>),
    /// `max(a, b, ...)`.
    Max(Vec<Ast>),
    /// `if(condition, then, otherwise)`.
    If(Box<Ast>, Box<Ast>, Box<Ast>),
    /// A one-argument function.
    Call(Function, Box<Ast>),
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`, floating-point division.
    Div,
    /// `%`, with the sign of the divisor.
    Rem,
    /// `^` or `**`.
    Pow,
}

/// A comparison operator; a comparison is 1 when true, 0 when false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A function of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `cos`
    Cos,
    /// `sin`
    Sin,
    /// `tan`
    Tan,
    /// `exp`
    Exp,
    /// `ln`, the natural logarithm.
    Ln,
    /// `log10`
    Log10,
    /// `sqrt`
    Sqrt,
    /// `abs`
    Abs,
    /// `floor`
    Floor,
    /// `ceil`
    Ceil,
    /// `round`, half to even.
    Round,
    /// `signum`: -1, 0 or 1.
    Signum,
}

/// Every function name, in the order error messages list them.
pub const FUNCTION_NAMES: [&str; 15] = [
    "min", "max", "if", "cos", "sin", "tan", "exp", "ln", "log10", "sqrt", "abs", "floor", "ceil",
    "round", "signum",
];

/// The named constants, Python's `math.pi` and `math.e`.
pub const CONSTANTS: [(&str, f64); 2] = [("pi", consts::PI), ("e", consts::E)];

/// The value of a named constant.
pub fn constant(name: &str) -> Option<f64> {
    CONSTANTS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

impl Function {
    /// Every one-argument function.
    pub const ALL: [Function; 12] = [
        Function::Cos,
        Function::Sin,
        Function::Tan,
        Function::Exp,
        Function::Ln,
        Function::Log10,
        Function::Sqrt,
        Function::Abs,
        Function::Floor,
        Function::Ceil,
        Function::Round,
        Function::Signum,
    ];

    /// The name the language spells it with.
    pub fn name(self) -> &'static str {
        match self {
            Function::Cos => "cos",
            Function::Sin => "sin",
            Function::Tan => "tan",
            Function::Exp => "exp",
            Function::Ln => "ln",
            Function::Log10 => "log10",
            Function::Sqrt => "sqrt",
            Function::Abs => "abs",
            Function::Floor => "floor",
            Function::Ceil => "ceil",
            Function::Round => "round",
            Function::Signum => "signum",
        }
    }

    /// The function spelled `name`.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Applies the function.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Function::Cos => cos(x),
            Function::Sin => sin(x),
            Function::Tan => tan(x),
            Function::Exp => exp(x),
            Function::Ln => ln(x),
            Function::Log10 => log10(x),
            Function::Sqrt => sqrt(x),
            Function::Abs => abs(x),
            Function::Floor => floor(x),
            Function::Ceil => ceil(x),
            Function::Round => round(x),
            Function::Signum => signum(x),
        }
    }
}

impl BinOp {
    /// Applies the operator.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => add(a, b),
            BinOp::Sub => sub(a, b),
            BinOp::Mul => mul(a, b),
            BinOp::Div => div(a, b),
            BinOp::Rem => py_mod(a, b),
            BinOp::Pow => pow(a, b),
        }
    }
}

impl CmpOp {
    /// Whether `a OP b` holds (false whenever either side is NaN, except for `!=`).
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }

    /// The comparison as a number: 1 or 0.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        f64::from(u8::from(self.holds(a, b)))
    }
}

// The primitive operations. Each is a named function so that the compiler can pass it as
// a zero-sized, inlinable type parameter, and fold constants with exactly the code that
// evaluates them.

pub(crate) fn neg(x: f64) -> f64 {
    -x
}
pub(crate) fn add(a: f64, b: f64) -> f64 {
    a + b
}
pub(crate) fn sub(a: f64, b: f64) -> f64 {
    a - b
}
pub(crate) fn mul(a: f64, b: f64) -> f64 {
    a * b
}
pub(crate) fn div(a: f64, b: f64) -> f64 {
    a / b
}

/// Python's float `%` (CPython `float_rem`): C `fmod`, moved into the divisor's sign, and
/// a zero remainder carries the divisor's sign. Rust's `%` on `f64` is `fmod`.
pub(crate) fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 {
        // NaN takes this branch too, as in C, and stays NaN.
        if (b < 0.0) != (m < 0.0) { m + b } else { m }
    } else {
        0.0f64.copysign(b)
    }
}

/// C `pow`, which CPython's float `**` calls after special cases that give the same
/// results as C's wherever Python returns a float.
pub(crate) fn pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}

/// Python's `min(a, b)`: the first argument unless the second is strictly smaller, so a
/// NaN first argument wins and a NaN second one loses.
pub(crate) fn py_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// Python's `max(a, b)`, the mirror of [`py_min`].
pub(crate) fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Python's truth of a float: anything but zero, NaN included.
pub(crate) fn truthy(x: f64) -> bool {
    x != 0.0
}

pub(crate) fn lt(a: f64, b: f64) -> f64 {
    CmpOp::Lt.apply(a, b)
}
pub(crate) fn le(a: f64, b: f64) -> f64 {
    CmpOp::Le.apply(a, b)
}
pub(crate) fn gt(a: f64, b: f64) -> f64 {
    CmpOp::Gt.apply(a, b)
}
pub(crate) fn ge(a: f64, b: f64) -> f64 {
    CmpOp::Ge.apply(a, b)
}
pub(crate) fn eq(a: f64, b: f64) -> f64 {
    CmpOp::Eq.apply(a, b)
}
pub(crate) fn ne(a: f64, b: f64) -> f64 {
    CmpOp::Ne.apply(a, b)
}

pub(crate) fn cos(x: f64) -> f64 {
    x.cos()
}
pub(crate) fn sin(x: f64) -> f64 {
    x.sin()
}
pub(crate) fn tan(x: f64) -> f64 {
    x.tan()
}
pub(crate) fn exp(x: f64) -> f64 {
    x.exp()
}
pub(crate) fn ln(x: f64) -> f64 {
    x.ln()
}
pub(crate) fn log10(x: f64) -> f64 {
    x.log10()
}
pub(crate) fn sqrt(x: f64) -> f64 {
    x.sqrt()
}
pub(crate) fn abs(x: f64) -> f64 {
    x.abs()
}

// Python's floor, ceil and round return ints, which have no negative zero: `floor(-0.5)`
// is 0, not -0.0. Adding +0.0 turns -0.0 into 0.0 and leaves every other value alone.

pub(crate) fn floor(x: f64) -> f64 {
    x.floor() + 0.0
}
pub(crate) fn ceil(x: f64) -> f64 {
    x.ceil() + 0.0
}
pub(crate) fn round(x: f64) -> f64 {
    x.round_ties_even() + 0.0
}

/// 1 for positive, -1 for negative, 0 for either zero, NaN for NaN (numpy's `sign`;
/// Rust's `f64::signum` would say 1 for 0).
pub(crate) fn signum(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// Folds `min` or `max` over the arguments left to right, as Python's builtins do.
pub(crate) fn fold(args: impl IntoIterator<Item = f64>, pick: fn(f64, f64) -> f64) -> f64 {
    let mut args = args.into_iter();
    match args.next() {
        Some(first) => args.fold(first, pick),
        None => f64::NAN,
    }
}

impl Ast {
    /// The names the expression uses (variables and constants), each once, in the order
    /// they first appear in the source. Walks with a stack, as the compiler does, so a tree
    /// [`super::MAX_DEPTH`] levels tall cannot overflow the thread's stack.
    pub fn names(&self) -> Vec<&str> {
        self.named().into_iter().map(|(name, _)| name).collect()
    }

    /// [`Ast::names`], each with the byte span of its first use, for messages that point
    /// at it.
    pub fn named(&self) -> Vec<(&str, Range<usize>)> {
        let mut names: Vec<(&str, Range<usize>)> = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            let children: Vec<&Ast> = match node {
                Ast::Number(_) => Vec::new(),
                Ast::Name(name, span) => {
                    if !names.iter().any(|(n, _)| n == name) {
                        names.push((name, span.clone()));
                    }
                    Vec::new()
                }
                Ast::Neg(a) | Ast::Call(_, a) => vec![a],
                Ast::Binary(_, a, b) => vec![a, b],
                Ast::Compare(first, rest) => std::iter::once(&**first)
                    .chain(rest.iter().map(|(_, operand)| operand))
                    .collect(),
                Ast::Min(args) | Ast::Max(args) => args.iter().collect(),
                Ast::If(c, a, b) => vec![c, a, b],
            };
            stack.extend(children.into_iter().rev());
        }
        names
    }

    /// Evaluates the tree directly, looking each name up in `values` (then among the
    /// constants; an unbound name is NaN). Slow and simple: the reference that compiled
    /// programs are tested against.
    pub fn interpret(&self, values: &[(&str, f64)]) -> f64 {
        match self {
            Ast::Number(v) => *v,
            Ast::Name(name, _) => values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .or_else(|| constant(name))
                .unwrap_or(f64::NAN),
            Ast::Neg(a) => neg(a.interpret(values)),
            Ast::Binary(op, a, b) => op.apply(a.interpret(values), b.interpret(values)),
            Ast::Compare(first, rest) => {
                let mut left = first.interpret(values);
                for (op, operand) in rest {
                    let right = operand.interpret(values);
                    if !op.holds(left, right) {
                        return 0.0;
                    }
                    left = right;
                }
                1.0
            }
            Ast::Min(args) => fold(args.iter().map(|a| a.interpret(values)), py_min),
            Ast::Max(args) => fold(args.iter().map(|a| a.interpret(values)), py_max),
            Ast::If(condition, then, otherwise) => {
                if truthy(condition.interpret(values)) {
                    then.interpret(values)
                } else {
                    otherwise.interpret(values)
                }
            }
            Ast::Call(f, a) => f.apply(a.interpret(values)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits()
    }

    #[test]
    fn remainder_takes_the_sign_of_the_divisor_as_python_does() {
        // Values from CPython 3.11.
        for (a, b, want) in [
            (7.0, -3.0, -2.0),
            (-7.0, 3.0, 2.0),
            (7.5, 2.0, 1.5),
            (-1.0, f64::INFINITY, f64::INFINITY),
            (1.0, f64::INFINITY, 1.0),
            (6.0, -3.0, -0.0),
            (-6.0, 3.0, 0.0),
            (-0.0, 3.0, 0.0),
            (0.0, -3.0, -0.0),
            (5.5, 0.1, 0.099_999_999_999_999_7),
        ] {
            assert!(same(py_mod(a, b), want), "{a} % {b} = {}", py_mod(a, b));
        }
        assert!(py_mod(1.0, 0.0).is_nan());
        assert!(py_mod(f64::INFINITY, 2.0).is_nan());
    }

    #[test]
    fn min_and_max_keep_the_first_of_equals_and_python_nan_order() {
        assert!(same(py_min(0.0, -0.0), 0.0));
        assert!(same(py_min(-0.0, 0.0), -0.0));
        assert!(py_min(f64::NAN, 1.0).is_nan());
        assert!(same(py_min(1.0, f64::NAN), 1.0));
        assert!(py_max(f64::NAN, 1.0).is_nan());
        assert!(same(py_max(1.0, f64::NAN), 1.0));
        assert!(same(fold([3.0, 1.0, 2.0], py_min), 1.0));
        assert!(fold([], py_max).is_nan());
    }

    #[test]
    fn rounding_functions_give_python_ints_as_floats() {
        assert!(same(floor(-0.5), -1.0));
        assert!(same(floor(-0.0), 0.0));
        assert!(same(ceil(-0.5), 0.0));
        assert!(same(round(2.5), 2.0));
        assert!(same(round(3.5), 4.0));
        assert!(same(round(-2.5), -2.0));
        assert!(same(round(-0.4), 0.0));
        assert!(same(round(0.49999999999999994), 0.0));
    }

    #[test]
    fn signum_is_zero_at_zero() {
        assert!(same(signum(-3.0), -1.0));
        assert!(same(signum(0.1), 1.0));
        assert!(same(signum(-0.0), 0.0));
        assert!(signum(f64::NAN).is_nan());
    }

    #[test]
    fn nan_is_true_as_in_python() {
        assert!(truthy(f64::NAN));
        assert!(!truthy(-0.0));
    }

    #[test]
    fn function_names_round_trip() {
        for f in Function::ALL {
            assert_eq!(Function::from_name(f.name()), Some(f));
            assert!(FUNCTION_NAMES.contains(&f.name()));
        }
    }
}
