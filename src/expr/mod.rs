//! The expression language of `check --assert`, and of `--expr` before it took pasted
//! Python: a small arithmetic language over doubles that gives the same double, bit for
//! bit, as Python evaluating the same text.
//!
//! `--expr` is now compiled by [`python`], which takes this language too (`^`,
//! `if(c, a, b)`, `ln`, `signum`, bare `cos` and `pi`) but with Python's ints and
//! exceptions: there `3` is an int, `x/0` raises instead of giving inf, and what is
//! written below about doubles and IEEE results holds for `check --assert` only.
//!
//! [`compile()`] parses an expression, resolves its names against a fixed list of variables
//! and returns a [`Program`], a closure tree that evaluates without lookups or allocation.
//! [`parse()`] and [`Ast::interpret`] are the slow, plain reference it is tested against.
//!
//! # The language
//!
//! - Numbers as Python writes floats: `3`, `0.5`, `.5`, `3.`, `3e-4`, `1E+3`. Constants
//!   `pi` and `e` (`math.pi`, `math.e`). Variables are those given to [`compile()`]; they
//!   win over a constant of the same name.
//! - Operators, loosest first, as in Python (where `^` would be XOR):
//!   comparisons `< <= > >= == !=`; then `+ -`; then `* / %`; then unary `-` and `+`;
//!   then `^` or `**` (power, right-associative, taking a unary operand on its right).
//!   So `-2^2` is -4, `2^-1` is 0.5, `2^3^2` is 512, and `7 % -3` is -2.
//!   Binary operators of one level group left to right and are never reassociated:
//!   `pi*step/steps` is `(pi*step)/steps`.
//! - A comparison is 1 when true and 0 when false. Comparisons chain as in Python:
//!   `0 < step < 10` is `0 < step and step < 10`.
//! - Functions: `min(a, b, ...)` and `max(a, b, ...)` (two or more arguments),
//!   `if(condition, then, otherwise)` (`then` when the condition is not 0; only that branch
//!   is evaluated), and `cos sin tan exp ln log10 sqrt abs floor ceil round signum` of one
//!   argument.
//!
//! # Exactly Python's arithmetic
//!
//! Every value is a double and the operations are Python's float operations:
//! `/` is true division, `%` takes the sign of the divisor (CPython's `float_rem`), `^`
//! calls C `pow` as CPython's float `**` does, and the functions call the same libm as
//! Python's `math` module. `min` and `max` fold left to right and keep the earlier argument
//! unless a later one is strictly smaller (larger), so `min(nan, 1)` is NaN and
//! `min(1, nan)` is 1, as in Python. `round` rounds half to even (`round(2.5)` is 2).
//! `floor`, `ceil` and `round` give Python's integer results as doubles, so never -0.
//! NaN counts as true in `if`, as `bool(nan)` does in Python. `signum` (not in Python) is
//! -1, 0 or 1, and NaN for NaN.
//!
//! Where Python raises an exception, the expression gives the IEEE result instead:
//! `x/0` and `x % 0` are ±inf or NaN, `ln(0)` is -inf, `sqrt`, `ln` or `log10` of a
//! negative number is NaN, a negative number to a fractional power is NaN (Python
//! gives a complex number), `0^-1` is inf, an overflowing `exp` or `^` is inf, and `floor`,
//! `ceil` and `round` of NaN or inf give it back.
//!
//! Every number is a double. Python keeps integer literals and integer variables (`step`
//! in a `LambdaLR`) as exact integers, which agrees with doubles except in two corners:
//! integers beyond 2^53, and the sign of zero, since Python integers have no -0:
//! `-0`, `0 * -1` and `-floor(0.5)` are 0 in Python and -0.0 here. The two zeros compare
//! equal and only show when printed.
//!
//! # Errors
//!
//! An error names one problem on one line and points at it in the source: the first
//! syntax error (an empty expression, an unexpected character, a missing operand, an
//! unclosed or unmatched parenthesis, a number with an empty exponent such as `1e`, input
//! left over after a complete expression, an unknown function, a wrong argument count, a
//! variable called like a function, a tree taller than [`MAX_DEPTH`] levels), or else the
//! first unknown variable, with a did-you-mean and the list of variables:
//!
//! ```text
//! unknown variable 'stpe'; did you mean 'step'? (variables: step, steps, warmup, base_lr)
//!   min(1, stpe/2000)
//!          ^^^^
//! ```
//!
//! Evaluation never fails and never panics.

mod ast;
mod compile;
mod error;
mod lex;
mod parse;
pub mod python;
#[cfg(test)]
mod tests;

pub use ast::{Ast, BinOp, CmpOp, FUNCTION_NAMES, Function, constant};
pub use compile::{Program, compile};
pub use error::ExprError;
pub use parse::{MAX_DEPTH, parse};
