//! `--assert` expressions: compiled over the summary and the schedule's inputs, evaluated
//! once the pass is over.

use super::summary::{SUMMARY_NAMES, Summary};
use crate::error::{Error, Result};
use crate::expr::{self, Program};
use crate::schedule::Context;
use crate::suggest;

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

/// Other names an assertion may use, each read as a name of [`ASSERT_VARIABLES`] and noted
/// in the report: torch's `OneCycleLR` and `CyclicLR` call the highest lr `max_lr`.
pub const ASSERT_ALIASES: [(&str, &str); 1] = [("max_lr", "peak_lr")];

/// What the words of a name mean, as a word of [`ASSERT_VARIABLES`]: `avg_lr` is meant as
/// `mean_lr`, `lr_last` as `final_lr`. Suggestions go by meaning first, so that `max_lr`
/// never again suggests `mean_lr`, which is merely spelt like it.
const SYNONYMS: [(&str, &str); 28] = [
    ("max", "peak"),
    ("maximum", "peak"),
    ("highest", "peak"),
    ("largest", "peak"),
    ("top", "peak"),
    ("upper", "peak"),
    ("minimum", "min"),
    ("lowest", "min"),
    ("smallest", "min"),
    ("lower", "min"),
    ("bottom", "min"),
    ("last", "final"),
    ("end", "final"),
    ("ending", "final"),
    ("start", "first"),
    ("starting", "first"),
    ("begin", "first"),
    ("init", "first"),
    ("avg", "mean"),
    ("average", "mean"),
    ("ave", "mean"),
    ("total", "sum"),
    ("budget", "sum"),
    ("cumulative", "sum"),
    ("rate", "lr"),
    ("learning", "lr"),
    ("iters", "steps"),
    ("iterations", "steps"),
];

/// Whole names that mean a name of [`ASSERT_VARIABLES`] in the libraries' words: the
/// number of steps as transformers and torch call it, the warmup's length, the optimizer's lr.
const MEANINGS: [(&str, &str); 14] = [
    ("max_steps", "steps"),
    ("num_steps", "steps"),
    ("total_steps", "steps"),
    ("num_training_steps", "steps"),
    ("training_steps", "steps"),
    ("total_iters", "steps"),
    ("warmup_steps", "warmup"),
    ("num_warmup_steps", "warmup"),
    ("warmup_iters", "warmup"),
    ("lr", "base_lr"),
    ("learning_rate", "base_lr"),
    ("initial_lr", "base_lr"),
    ("base_learning_rate", "base_lr"),
    ("max_lr_step", "peak_step"),
];

/// The name of [`ASSERT_VARIABLES`] that `name` means, if it reads as one: a whole name of
/// [`MEANINGS`], or words that are the variable's own or synonyms of them, in any order,
/// with or without `lr` (`average` is `mean_lr`).
fn meaning(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, variable)) = MEANINGS.iter().find(|(n, _)| *n == lower) {
        return Some(variable);
    }
    let word = |w: &str| -> String {
        SYNONYMS
            .iter()
            .find(|(synonym, _)| *synonym == w)
            .map_or(w, |(_, word)| word)
            .to_string()
    };
    let words = |n: &str| -> Vec<String> {
        let mut words: Vec<String> = n.split('_').filter(|w| !w.is_empty()).map(word).collect();
        words.sort();
        words.dedup();
        words
    };
    let typed = words(&lower);
    let mut with_lr = typed.clone();
    with_lr.push("lr".into());
    with_lr.sort();
    with_lr.dedup();
    ASSERT_VARIABLES
        .iter()
        .find(|v| words(v) == typed)
        .or_else(|| ASSERT_VARIABLES.iter().find(|v| words(v) == with_lr))
        .copied()
}

/// A `--assert` expression, compiled over [`ASSERT_VARIABLES`] and [`ASSERT_ALIASES`].
#[derive(Debug)]
pub struct Assertion {
    source: String,
    program: Program,
    /// Indices into [`names`] of the names it uses.
    uses: Vec<usize>,
}

/// Every name an assertion may use: the variables, then the aliases. An alias's value is
/// its variable's.
fn names() -> Vec<&'static str> {
    ASSERT_VARIABLES
        .iter()
        .copied()
        .chain(ASSERT_ALIASES.iter().map(|(alias, _)| *alias))
        .collect()
}

impl Assertion {
    /// Compiles `source`; a bad expression or an unknown name is an input error (exit 2).
    pub fn compile(source: &str) -> Result<Self> {
        let invalid = |e: expr::ExprError| Error::input(format!("invalid --assert: {e}"));
        let names = names();
        // Unknown names first, with suggestions by meaning; the compiler reports the rest
        // (syntax, and a function named without its call).
        if let Ok(ast) = expr::parse(source) {
            for (name, span) in ast.named() {
                if names.contains(&name) || expr::constant(name).is_some() {
                    continue;
                }
                if expr::FUNCTION_NAMES.contains(&name) {
                    break;
                }
                let hint = match meaning(name) {
                    Some(variable) => format!("; did you mean '{variable}'?"),
                    None => suggest::did_you_mean(name, names.iter().copied().chain(["pi", "e"])),
                };
                let message = format!(
                    "unknown variable '{name}'{hint} (variables: {})",
                    ASSERT_VARIABLES.join(", ")
                );
                return Err(invalid(expr::ExprError::new(message, span, source)));
            }
        }
        let program = expr::compile(source, &names).map_err(invalid)?;
        Ok(Assertion {
            source: source.to_string(),
            program,
            uses: uses(source, &names),
        })
    }
}

/// The indices into `names` of the names `source` uses, in order of first use, as the
/// expression compiler reads them.
fn uses(source: &str, names: &[&str]) -> Vec<usize> {
    let Ok(ast) = expr::parse(source) else {
        return Vec::new();
    };
    ast.names()
        .into_iter()
        .filter_map(|name| names.iter().position(|v| *v == name))
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
    /// The names it uses, as written, with their values.
    pub uses: Vec<(&'static str, f64)>,
    /// The aliases it uses, each with the name it is read as (`("max_lr", "peak_lr")`).
    pub aliases: Vec<(&'static str, &'static str)>,
}

/// Evaluates `assertions` over `summary` and the schedule's inputs in `ctx`.
pub(super) fn evaluate(assertions: &[Assertion], summary: &Summary, ctx: &Context) -> Vec<Outcome> {
    let names = names();
    let mut values = vec![0.0; names.len()];
    values[..SUMMARY_NAMES.len()].copy_from_slice(&summary.values());
    values[SUMMARY_NAMES.len()..ASSERT_VARIABLES.len()].copy_from_slice(&[
        ctx.steps as f64,
        ctx.warmup as f64,
        ctx.base_lr,
    ]);
    for (i, (_, variable)) in ASSERT_ALIASES.iter().enumerate() {
        if let Some(at) = ASSERT_VARIABLES.iter().position(|v| v == variable) {
            values[ASSERT_VARIABLES.len() + i] = values[at];
        }
    }
    assertions
        .iter()
        .map(|a| {
            let value = a.program.eval(&values);
            Outcome {
                source: a.source.clone(),
                value,
                passed: value != 0.0 && !value.is_nan(),
                uses: a.uses.iter().map(|&i| (names[i], values[i])).collect(),
                aliases: a
                    .uses
                    .iter()
                    .filter_map(|&i| i.checked_sub(ASSERT_VARIABLES.len()))
                    .filter_map(|i| ASSERT_ALIASES.get(i).copied())
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

    #[test]
    fn names_are_understood_by_meaning() {
        for (typed, meant) in [
            ("lr_max", "peak_lr"),
            ("Max_LR", "peak_lr"),
            ("highest_learning_rate", "peak_lr"),
            ("avg_lr", "mean_lr"),
            ("average", "mean_lr"),
            ("last_lr", "final_lr"),
            ("lr_end", "final_lr"),
            ("lr_min", "min_lr"),
            ("start_lr", "first_lr"),
            ("total_lr", "sum_lr"),
            ("max_step", "peak_step"),
            ("max_steps", "steps"),
            ("num_warmup_steps", "warmup"),
            ("initial_lr", "base_lr"),
            ("learning_rate", "base_lr"),
        ] {
            assert_eq!(meaning(typed), Some(meant), "{typed}");
        }
        for typed in ["peak_l", "mx_lr", "foo", "lr_lr_x", "warmup_ratio"] {
            assert_eq!(meaning(typed), None, "{typed}");
        }
    }

    fn rejected(source: &str) -> String {
        match Assertion::compile(source) {
            Ok(_) => format!("accepted {source}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn suggestions_go_by_meaning_then_spelling() {
        let list = ASSERT_VARIABLES.join(", ");
        assert_eq!(
            rejected("avg_lr <= 1"),
            format!(
                "invalid --assert: unknown variable 'avg_lr'; did you mean 'mean_lr'? \
                 (variables: {list})\n  avg_lr <= 1\n  ^^^^^^"
            )
        );
        // Spelt like `mean_lr`, meant as `peak_lr`.
        assert_eq!(
            rejected("1 > lr_max"),
            format!(
                "invalid --assert: unknown variable 'lr_max'; did you mean 'peak_lr'? \
                 (variables: {list})\n  1 > lr_max\n      ^^^^^^"
            )
        );
        assert_eq!(
            rejected("peak_l <= 1"),
            format!(
                "invalid --assert: unknown variable 'peak_l'; did you mean 'peak_lr'? \
                 (variables: {list})\n  peak_l <= 1\n  ^^^^^^"
            )
        );
        assert_eq!(
            rejected("zzz"),
            format!("invalid --assert: unknown variable 'zzz' (variables: {list})\n  zzz\n  ^^^")
        );
        // The compiler's own messages: a function named without its call, syntax.
        assert_eq!(
            rejected("max < avg_lr"),
            "invalid --assert: 'max' is a function; call it as max(a, b)\n  max < avg_lr\n  ^^^"
        );
        assert!(rejected("peak_lr <").starts_with("invalid --assert: "));
    }

    #[test]
    fn max_lr_is_read_as_peak_lr() -> Result<()> {
        let summary = Summary {
            first_lr: 0.0,
            peak_lr: 0.3,
            peak_step: 1,
            final_lr: 0.1,
            min_lr: 0.0,
            mean_lr: 0.4 / 3.0,
            sum_lr: 0.4,
        };
        let ctx = Context {
            steps: 3,
            base_lr: 0.3,
            warmup: 1,
        };
        let assertions = [
            Assertion::compile("max_lr <= 0.05")?,
            Assertion::compile("max_lr == peak_lr")?,
        ];
        let outcomes = evaluate(&assertions, &summary, &ctx);
        assert_eq!(
            outcomes[0],
            Outcome {
                source: "max_lr <= 0.05".into(),
                value: 0.0,
                passed: false,
                uses: vec![("max_lr", 0.3)],
                aliases: vec![("max_lr", "peak_lr")],
            }
        );
        assert!(outcomes[1].passed);
        assert_eq!(outcomes[1].uses, [("max_lr", 0.3), ("peak_lr", 0.3)]);
        Ok(())
    }
}
