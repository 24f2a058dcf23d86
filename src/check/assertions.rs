//! `--assert` expressions: compiled over the summary and the schedule's inputs, evaluated
//! once the pass is over.

use super::summary::{SUMMARY_NAMES, Summary};
use crate::error::{Error, Result};
use crate::expr::{self, Program};
use crate::schedule::Context;

/// The names an assertion may use: the summary, then the schedule's own inputs.
pub const ASSERT_VARIABLES: [&str; 10] = [
    "first_lr",
    "peak_lr",
    "peak_step",
    "final_lr",
    "min_lr",
    "mean_lr",
    "sum_lr",
    "steps",
    "warmup",
    "base_lr",
];

/// A `--assert` expression, compiled over [`ASSERT_VARIABLES`].
#[derive(Debug)]
pub struct Assertion {
    source: String,
    program: Program,
    uses: Vec<usize>,
}

impl Assertion {
    /// Compiles `source`; a bad expression or an unknown name is an input error (exit 2).
    pub fn compile(source: &str) -> Result<Self> {
        let program = expr::compile(source, &ASSERT_VARIABLES)
            .map_err(|e| Error::input(format!("invalid --assert: {e}")))?;
        Ok(Assertion {
            source: source.to_string(),
            program,
            uses: uses(source),
        })
    }
}

/// The indices into [`ASSERT_VARIABLES`] of the names `source` uses, in order of first use,
/// as the expression compiler reads them.
fn uses(source: &str) -> Vec<usize> {
    let Ok(ast) = expr::parse(source) else {
        return Vec::new();
    };
    ast.names()
        .into_iter()
        .filter_map(|name| ASSERT_VARIABLES.iter().position(|v| *v == name))
        .collect()
}

/// An evaluated assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The expression as the user wrote it.
    pub source: String,
    /// Its value; comparisons give 1 (true) or 0 (false).
    pub value: f64,
    /// Whether it holds: the value is neither 0 nor NaN.
    pub passed: bool,
    /// The names it uses, with their values.
    pub uses: Vec<(&'static str, f64)>,
}

/// Evaluates `assertions` over `summary` and the schedule's inputs in `ctx`.
pub(super) fn evaluate(assertions: &[Assertion], summary: &Summary, ctx: &Context) -> Vec<Outcome> {
    let mut values = [0.0; ASSERT_VARIABLES.len()];
    values[..SUMMARY_NAMES.len()].copy_from_slice(&summary.values());
    values[SUMMARY_NAMES.len()..].copy_from_slice(&[
        ctx.steps as f64,
        ctx.warmup as f64,
        ctx.base_lr,
    ]);
    assertions
        .iter()
        .map(|a| {
            let value = a.program.eval(&values);
            Outcome {
                source: a.source.clone(),
                value,
                passed: value != 0.0 && !value.is_nan(),
                uses: a
                    .uses
                    .iter()
                    .map(|&i| (ASSERT_VARIABLES[i], values[i]))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(source: &str) -> Result<Vec<usize>> {
        Ok(Assertion::compile(source)?.uses)
    }

    #[test]
    fn names_are_found_outside_numbers() -> Result<()> {
        assert_eq!(used("peak_lr <= 3e-4")?, [1]);
        assert_eq!(used("final_lr < 0.1 * peak_lr + final_lr")?, [3, 1]);
        assert_eq!(used("1e+5 < steps")?, [7]);
        assert_eq!(used("steps>=warmup*base_lr")?, [7, 8, 9]);
        assert_eq!(
            used("min(pi, e, sum_lr) < if(warmup, 1, mean_lr)")?,
            [6, 8, 5]
        );
        assert!(Assertion::compile("peak_lrx").is_err());
        Ok(())
    }
}
