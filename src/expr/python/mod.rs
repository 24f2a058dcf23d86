//! Pasted Python: an `lr_lambda` as written — an expression, `lambda NAME: EXPR` or a
//! `def` — evaluated with CPython's numbers, bit for bit, and CPython's exceptions, step
//! for step.
//!
//! [`compile`] lexes ([`lex`]), parses ([`parse`]) and lowers ([`lower`]) a source into
//! one tree over the step, with the free names bound. [`Function::call`] evaluates it
//! exactly ([`eval`], over the values of [`value`]); [`Function::fill`] evaluates a batch
//! of steps a node at a time ([`batch`]) where the tree's types allow it, and falls back
//! to [`Function::call`] for every step of a batch where anything is not plain (an
//! exception, an int past 64 bits, branches taken both ways).

pub mod batch;
pub mod eval;
pub mod lex;
pub mod lower;
pub mod parse;
pub mod value;

use std::fmt;
use std::ops::Range;

pub use lower::Globals;
pub use value::Value;

use eval::Exception;

/// Why a source is refused: one line, and the span it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong, and what is supported instead.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: Range<usize>,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Refusal {
            message: message.into(),
            span,
        }
    }
}

/// The message, then the line of `source` the span starts in, with carets under it.
pub fn render(message: &str, source: &str, span: &Range<usize>) -> String {
    let start = span.start.min(source.len());
    let line_start = source[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    let line = &source[line_start..line_end];
    let multiline = source.trim_end().contains(['\n', '\r']);
    let prefix = if multiline {
        let number = source[..line_start].matches('\n').count()
            + source[..line_start].matches('\r').count()
            - source[..line_start].matches("\r\n").count()
            + 1;
        format!("line {number}: ")
    } else {
        String::new()
    };
    let echo: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let chars = |a: usize, b: usize| source.get(a..b.max(a)).map_or(0, |s| s.chars().count());
    let column = chars(line_start, start);
    let end = span.end.clamp(start, line_end);
    let width = chars(start, end).max(1);
    format!(
        "{message}\n  {prefix}{}\n  {}{}{}",
        echo.trim_end(),
        " ".repeat(prefix.chars().count()),
        " ".repeat(column),
        "^".repeat(width)
    )
}

/// A compiled source: a function of the step.
pub struct Function {
    lowered: lower::Lowered,
    plan: Option<batch::Plan>,
    source: String,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("source", &self.source)
            .field("batched", &self.plan.is_some())
            .finish_non_exhaustive()
    }
}

/// Why the function cannot give a learning rate at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepError {
    /// The exception CPython raises there (or `TypeError` for a `None` or complex result,
    /// which `LambdaLR` cannot multiply into a learning rate).
    pub raised: value::Raised,
    /// The source it points at.
    pub span: Range<usize>,
    /// Whether the `def` fell off its end (and so returned `None`).
    pub fell_off: bool,
}

/// Compiles `source` with the free names of `globals`.
pub fn compile(source: &str, globals: &Globals) -> Result<Function, String> {
    let refused = |r: Refusal| render(&r.message, source, &r.span);
    let tokens = lex::tokens(source).map_err(refused)?;
    let parsed = parse::parse(&tokens, source).map_err(refused)?;
    parse::check_size(&parsed).map_err(refused)?;
    let lowered = lower::lower(&parsed, globals, source).map_err(refused)?;
    let plan = batch::Plan::new(&lowered);
    Ok(Function {
        lowered,
        plan,
        source: source.to_string(),
    })
}

/// Parses a `--var` value: a Python literal or a constant expression of literals (`5` is
/// an int, `5.0` a float, `-1e-3`, `2**10`, `True`).
pub fn literal(text: &str) -> Result<Value, String> {
    let f = compile(text, &Globals::default())?;
    match f.call(0) {
        Ok(v) if matches!(v, Value::Int(_) | Value::Big(_) | Value::Float(_)) => Ok(v),
        Ok(v) => Err(format!("'{text}' is a {}, not a number", v.type_name())),
        Err(e) => Err(format!(
            "'{text}' raises {}: {}",
            e.raised.kind, e.raised.message
        )),
    }
}

impl Function {
    /// The value the function returns at `step`, exactly as CPython computes it.
    pub fn call(&self, step: u64) -> Result<Value, StepError> {
        // The locals on the stack when they are few: no allocation a step.
        let mut few = [const { Value::None }; 16];
        let mut many = Vec::new();
        let locals: &mut [Value] = if self.lowered.bindings <= few.len() {
            &mut few[..self.lowered.bindings]
        } else {
            many.resize(self.lowered.bindings, Value::None);
            &mut many
        };
        let step = match i64::try_from(step) {
            Ok(s) => Value::Int(s),
            Err(_) => Value::from_big(step.into()).unwrap_or(Value::None),
        };
        eval::eval(&self.lowered.root, &step, locals).map_err(|Exception { raised, span }| {
            StepError {
                raised,
                span,
                fell_off: false,
            }
        })
    }

    /// The multiplier `LambdaLR` makes of the value at `step`: `float(value)`, or why
    /// there is none.
    pub fn multiplier(&self, step: u64) -> Result<f64, StepError> {
        let value = self.call(step)?;
        let span = self.lowered.root.span.clone();
        let fail = |kind, message: String, fell_off| StepError {
            raised: value::Raised { kind, message },
            span: span.clone(),
            fell_off,
        };
        match value {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            Value::Big(b) => value::big_to_f64(&b).map_err(|r| StepError {
                raised: r,
                span: span.clone(),
                fell_off: false,
            }),
            Value::None => {
                let fell_off = self.falls_off_at(step);
                Err(fail(
                    "TypeError",
                    "unsupported operand type(s) for *: 'float' and 'NoneType'".into(),
                    fell_off,
                ))
            }
            Value::Complex => Err(fail(
                "TypeError",
                "the function returned a complex number, which LambdaLR cannot use as a learning rate"
                    .into(),
                false,
            )),
        }
    }

    /// Whether the `None` at `step` comes from falling off the `def`'s end (rather than a
    /// `return None`), found by following the path the step takes.
    fn falls_off_at(&self, step: u64) -> bool {
        let mut locals = vec![Value::None; self.lowered.bindings];
        let step = Value::Int(i64::try_from(step).unwrap_or(i64::MAX));
        let mut node = &self.lowered.root;
        loop {
            match &node.kind {
                lower::Kind::FellOff => return true,
                lower::Kind::Let(id, value, body) => {
                    match eval::eval(value, &step, &mut locals) {
                        Ok(v) => {
                            if let Some(slot) = locals.get_mut(*id) {
                                *slot = v;
                            }
                        }
                        Err(_) => return false,
                    }
                    node = body;
                }
                lower::Kind::If(c, a, b) => {
                    match eval::eval(c, &step, &mut locals).map(|v| v.truthy()) {
                        Ok(Ok(true)) => node = a,
                        Ok(Ok(false)) => node = b,
                        _ => return false,
                    }
                }
                _ => return false,
            }
        }
    }

    /// The multipliers of steps `from, from + 1, ...` into `out`; NaN where the function
    /// raises (ask [`Function::error`] why).
    pub fn fill(&self, from: u64, out: &mut [f64]) {
        let done = self
            .plan
            .as_ref()
            .is_some_and(|plan| plan.fill(&self.lowered, from, out));
        if !done {
            for (step, m) in (from..=u64::MAX).zip(out.iter_mut()) {
                *m = self.multiplier(step).unwrap_or(f64::NAN);
            }
        }
    }

    /// Whether [`Function::fill`] evaluates a node at a time (else a step at a time).
    pub fn is_batched(&self) -> bool {
        self.plan.is_some()
    }

    /// The error at `step`, rendered: the step, the exception and the source, or `None`
    /// when the function gives a number there.
    pub fn error(&self, step: u64) -> Option<String> {
        let e = self.multiplier(step).err()?;
        let mut message = format!(
            "at step {step}, the function raises {}: {}",
            e.raised.kind, e.raised.message
        );
        if e.fell_off {
            message = format!(
                "at step {step}, the def reaches its end without a return, so it returns None, \
                 and LambdaLR raises TypeError: {}",
                e.raised.message
            );
        } else if e.raised.kind == "TypeError" && e.raised.message.contains("NoneType") {
            message = format!(
                "at step {step}, the function returns None, and LambdaLR raises TypeError: {}",
                e.raised.message
            );
        }
        Some(format!(
            "{}\n(a training run with this lr_lambda stops there)",
            render(&message, &self.source, &e.span)
        ))
    }
}

#[cfg(test)]
mod tests;
