//! The expression language of `--expr` and `check --assert` (interface stub; the parser and
//! compiler land with the expression work).

use std::fmt;
use std::ops::Range;

/// An expression compiled over a fixed set of variables.
pub struct Program {
    constant: f64,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program").finish_non_exhaustive()
    }
}

impl Program {
    /// Evaluates with `values[i]` bound to the i-th variable given to [`compile`].
    pub fn eval(&self, _values: &[f64]) -> f64 {
        self.constant
    }
}

/// A parse or name error, with the byte span of the offending input.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: Range<usize>,
    /// The source text.
    pub source: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ExprError {}

/// Parses and compiles `source`, resolving names against `variables`.
pub fn compile(source: &str, _variables: &[&str]) -> Result<Program, ExprError> {
    source
        .trim()
        .parse()
        .map(|constant| Program { constant })
        .map_err(|_| ExprError {
            message: "expressions are not implemented yet".into(),
            span: 0..source.len(),
            source: source.into(),
        })
}
