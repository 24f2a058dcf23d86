//! The parser: tokens to [`Ast`] with Python's precedence, and a message and a span for
//! every way the input can be malformed.
//!
//! The grammar, loosest first (Python's, restricted to the language):
//!
//! ```text
//! comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
//! sum        := product (("+" | "-") product)*
//! product    := unary (("*" | "/" | "%") unary)*
//! unary      := ("-" | "+") unary | power
//! power      := primary (("^" | "**") unary)?
//! primary    := number | name | name "(" arguments? ")" | "(" comparison ")"
//! ```
//!
//! `power` taking a `unary` on its right is what makes `-2^2` = -4, `2^-1` = 0.5 and
//! `2^3^2` = 512, as in Python.
//!
//! It is parsed with explicit stacks (operator precedence, shunting-yard style) rather
//! than by recursion: a debug build spends several kilobytes of stack per level of a
//! recursive parser, so `((((...))))` would overflow a 2 MiB thread long before any
//! sensible limit. Only the height of the resulting tree is limited, by [`MAX_DEPTH`].

use std::ops::Range;

use super::ast::{Ast, BinOp, CmpOp, FUNCTION_NAMES, Function, constant};
use super::error::ExprError;
use super::lex::{self, Tok, Token};
use crate::suggest;

/// How tall an expression's tree may be: every operator, sign and call on the longest
/// path from the top to a number or name counts one level (parentheses alone do not), so
/// `cos(cos(x))` is 2 levels deep and `1+1+...+1` with 300 terms is 299. Taller input is an
/// error rather than a stack overflow in the compiler or the evaluator.
pub const MAX_DEPTH: usize = 256;

/// Precedence levels; higher binds tighter.
const COMPARE: u8 = 1;
const SUM: u8 = 2;
const PRODUCT: u8 = 3;
const UNARY: u8 = 4;
const POWER: u8 = 5;

/// Something opened and waiting for what follows it.
enum Pending {
    /// A unary minus, waiting for its operand.
    Neg(Range<usize>),
    /// An arithmetic operator, waiting for its right operand.
    Arith(BinOp, Range<usize>),
    /// One link of a comparison chain, waiting for its right operand.
    Compare(CmpOp, Range<usize>),
    /// An open parenthesis.
    Paren(Range<usize>),
    /// An open call, with the commas seen so far.
    Call {
        name: Range<usize>,
        open: Range<usize>,
        commas: usize,
    },
}

impl Pending {
    /// The level of an operator; parentheses and calls are barriers, not operators.
    fn level(&self) -> Option<u8> {
        match self {
            Pending::Neg(_) => Some(UNARY),
            Pending::Arith(BinOp::Add | BinOp::Sub, _) => Some(SUM),
            Pending::Arith(BinOp::Pow, _) => Some(POWER),
            Pending::Arith(_, _) => Some(PRODUCT),
            Pending::Compare(..) => Some(COMPARE),
            Pending::Paren(_) | Pending::Call { .. } => None,
        }
    }
}

/// A binary operator token: its level and what it pushes.
fn binary_op(token: &Token) -> Option<(u8, Pending)> {
    let span = token.span.clone();
    let compare = |op| Some((COMPARE, Pending::Compare(op, span.clone())));
    let arith = |level, op| Some((level, Pending::Arith(op, span.clone())));
    match token.tok {
        Tok::Lt => compare(CmpOp::Lt),
        Tok::Le => compare(CmpOp::Le),
        Tok::Gt => compare(CmpOp::Gt),
        Tok::Ge => compare(CmpOp::Ge),
        Tok::Eq => compare(CmpOp::Eq),
        Tok::Ne => compare(CmpOp::Ne),
        Tok::Plus => arith(SUM, BinOp::Add),
        Tok::Minus => arith(SUM, BinOp::Sub),
        Tok::Star => arith(PRODUCT, BinOp::Mul),
        Tok::Slash => arith(PRODUCT, BinOp::Div),
        Tok::Percent => arith(PRODUCT, BinOp::Rem),
        Tok::Power => arith(POWER, BinOp::Pow),
        _ => None,
    }
}

/// Parses `source` into a syntax tree. Function names and argument counts are checked;
/// variable names are not (there is no list of variables to check them against).
pub fn parse(source: &str) -> Result<Ast, ExprError> {
    parse_with(source, &[])
}

/// Parses `source`; `variables` only improve the message for a variable called like a
/// function.
pub(crate) fn parse_with(source: &str, variables: &[&str]) -> Result<Ast, ExprError> {
    if source.trim().is_empty() {
        return Err(ExprError::new("empty expression", 0..source.len(), source));
    }
    let (tokens, lex_error) = lex::tokens(source);
    Parser {
        source,
        tokens,
        lex_error,
        pos: 0,
        variables,
        operands: Vec::new(),
        pending: Vec::new(),
    }
    .run()
}

struct Parser<'a> {
    source: &'a str,
    /// Ends with [`Tok::End`] or [`Tok::Bad`].
    tokens: Vec<Token>,
    /// What the [`Tok::Bad`] token stands for.
    lex_error: Option<ExprError>,
    pos: usize,
    variables: &'a [&'a str],
    /// Complete subtrees with their heights.
    operands: Vec<(Ast, usize)>,
    pending: Vec<Pending>,
}

impl Parser<'_> {
    /// Alternates between expecting an operand and expecting what may follow one.
    fn run(mut self) -> Result<Ast, ExprError> {
        loop {
            self.operand()?;
            if self.after_operand()? {
                return Ok(self.pop_operand().0);
            }
        }
    }

    /// Reads signs and openings up to and including one number, name or empty call.
    fn operand(&mut self) -> Result<(), ExprError> {
        loop {
            let token = self.peek();
            match token.tok {
                Tok::Minus => self.pending.push(Pending::Neg(token.span)),
                // Python's unary plus returns the float unchanged.
                Tok::Plus => {}
                Tok::LParen => self.pending.push(Pending::Paren(token.span)),
                Tok::Number(value) => {
                    self.bump();
                    self.operands.push((Ast::Number(value), 0));
                    return Ok(());
                }
                Tok::Ident => {
                    self.bump();
                    let open = self.peek();
                    if open.tok != Tok::LParen {
                        let name = self.text(&token.span).to_string();
                        self.operands.push((Ast::Name(name, token.span), 0));
                        return Ok(());
                    }
                    // The name is checked before the arguments, so errors come in source
                    // order.
                    if !FUNCTION_NAMES.contains(&self.text(&token.span)) {
                        return Err(self.not_a_function(token.span));
                    }
                    self.bump();
                    let close = self.peek();
                    if close.tok == Tok::RParen {
                        self.bump();
                        return self.finish_call(token.span, close.span, 0);
                    }
                    self.pending.push(Pending::Call {
                        name: token.span,
                        open: open.span,
                        commas: 0,
                    });
                    continue;
                }
                _ => return Err(self.expected_operand(&token)),
            }
            self.bump();
        }
    }

    /// After a complete operand: an operator (then another operand follows), a closing
    /// parenthesis, a comma, or the end. Returns whether the end was reached.
    fn after_operand(&mut self) -> Result<bool, ExprError> {
        loop {
            let token = self.peek();
            if let Some((level, op)) = binary_op(&token) {
                self.reduce_above(level)?;
                self.pending.push(op);
                self.bump();
                return Ok(false);
            }
            match token.tok {
                Tok::RParen => {
                    self.reduce_above(0)?;
                    match self.pending.pop() {
                        Some(Pending::Paren(_)) => {}
                        Some(Pending::Call { name, commas, .. }) => {
                            self.finish_call(name, token.span.clone(), commas + 1)?;
                        }
                        _ => {
                            let message = "unmatched ')': no '(' is open here";
                            return Err(self.error(message, token.span));
                        }
                    }
                    self.bump();
                }
                Tok::Comma => {
                    self.reduce_above(0)?;
                    match self.pending.last_mut() {
                        Some(Pending::Call { commas, .. }) => *commas += 1,
                        _ => {
                            let message = "unexpected ',' outside a function call";
                            return Err(self.error(message, token.span));
                        }
                    }
                    self.bump();
                    return Ok(false);
                }
                Tok::End => {
                    self.reduce_above(0)?;
                    return match self.pending.last() {
                        Some(Pending::Paren(open) | Pending::Call { open, .. }) => {
                            Err(self.unclosed(open.clone()))
                        }
                        _ => Ok(true),
                    };
                }
                _ => return Err(self.unexpected_after_operand(&token)),
            }
        }
    }

    /// Applies the pending operators that bind tighter than an incoming one of `level`
    /// (or as tightly, when that level groups left to right), back to the nearest open
    /// parenthesis. `^` groups right to left, and a comparison waits for a further
    /// comparison, which extends its chain.
    fn reduce_above(&mut self, level: u8) -> Result<(), ExprError> {
        while let Some(top) = self.pending.last().and_then(Pending::level) {
            let left_to_right = level != POWER && level != COMPARE;
            if top < level || (top == level && !left_to_right) {
                return Ok(());
            }
            match self.pending.pop() {
                Some(Pending::Neg(at)) => {
                    let (operand, h) = self.pop_operand();
                    let height = self.height(h, &at)?;
                    self.operands.push((Ast::Neg(Box::new(operand)), height));
                }
                Some(Pending::Arith(op, at)) => {
                    let (right, hr) = self.pop_operand();
                    let (left, hl) = self.pop_operand();
                    let height = self.height(hl.max(hr), &at)?;
                    let node = Ast::Binary(op, Box::new(left), Box::new(right));
                    self.operands.push((node, height));
                }
                Some(Pending::Compare(op, at)) => self.reduce_chain(op, at)?,
                // Unreachable: barriers have no level and end the loop above.
                Some(barrier) => {
                    self.pending.push(barrier);
                    return Ok(());
                }
                None => return Ok(()),
            }
        }
        Ok(())
    }

    /// Builds `a < b <= c ...` from the comparison `last` (the chain's last link) and the
    /// links still pending below it.
    fn reduce_chain(&mut self, last: CmpOp, at: Range<usize>) -> Result<(), ExprError> {
        let mut ops = vec![last];
        let mut first_at = at;
        while matches!(self.pending.last(), Some(Pending::Compare(..))) {
            if let Some(Pending::Compare(op, at)) = self.pending.pop() {
                ops.push(op);
                first_at = at;
            }
        }
        // Links come off the stack last first, as do their right operands.
        let mut height = 0;
        let mut rest = Vec::with_capacity(ops.len());
        for op in ops {
            let (operand, h) = self.pop_operand();
            height = height.max(h);
            rest.push((op, operand));
        }
        rest.reverse();
        let (first, h) = self.pop_operand();
        let height = self.height(height.max(h), &first_at)?;
        self.operands
            .push((Ast::Compare(Box::new(first), rest), height));
        Ok(())
    }

    /// Builds the call `name(...)` ending at `close` from its `count` arguments, the top
    /// of the operand stack, checking the argument count.
    fn finish_call(
        &mut self,
        name_span: Range<usize>,
        close: Range<usize>,
        count: usize,
    ) -> Result<(), ExprError> {
        let mut args = Vec::with_capacity(count);
        let mut height = 0;
        for _ in 0..count {
            let (arg, h) = self.pop_operand();
            height = height.max(h);
            args.push(arg);
        }
        args.reverse();
        let call_span = name_span.start..close.end;
        let height = self.height(height, &call_span)?;
        let name = self.text(&name_span).to_string();
        let wrong_count = |requirement: &str, usage: &str| {
            self.error(
                format!("'{name}' takes {requirement}, got {count}; use {usage}"),
                call_span.clone(),
            )
        };
        let ast = match name.as_str() {
            "min" | "max" if count < 2 => {
                return Err(wrong_count(
                    "at least 2 arguments",
                    &format!("{name}(a, b, ...)"),
                ));
            }
            "min" => Ast::Min(args),
            "max" => Ast::Max(args),
            "if" => match <[Ast; 3]>::try_from(args) {
                Ok([condition, then, otherwise]) => {
                    Ast::If(Box::new(condition), Box::new(then), Box::new(otherwise))
                }
                Err(_) => {
                    let usage = "if(condition, then, otherwise)";
                    return Err(wrong_count("exactly 3 arguments", usage));
                }
            },
            _ => match (Function::from_name(&name), <[Ast; 1]>::try_from(args)) {
                (Some(f), Ok([arg])) => Ast::Call(f, Box::new(arg)),
                _ => return Err(wrong_count("exactly 1 argument", &format!("{name}(x)"))),
            },
        };
        self.operands.push((ast, height));
        Ok(())
    }

    /// The top operand. The stacks are balanced by construction; an empty one would be a
    /// parser bug, which yields NaN rather than a panic.
    fn pop_operand(&mut self) -> (Ast, usize) {
        self.operands.pop().unwrap_or((Ast::Number(f64::NAN), 0))
    }

    fn peek(&self) -> Token {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .cloned()
            .unwrap_or(Token {
                tok: Tok::End,
                span: self.source.len()..self.source.len(),
            })
    }

    /// Moves past the next token; never past the last one.
    fn bump(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn text(&self, span: &Range<usize>) -> &str {
        self.source.get(span.clone()).unwrap_or("")
    }

    fn previous_text(&self) -> Option<&str> {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map(|t| self.text(&t.span))
    }

    fn error(&self, message: impl Into<String>, span: Range<usize>) -> ExprError {
        ExprError::new(message, span, self.source)
    }

    /// The error the lexer stopped with, reported once the parser reaches it.
    fn lex_error(&self) -> ExprError {
        self.lex_error
            .clone()
            .unwrap_or_else(|| self.error("unexpected input", self.peek().span))
    }

    /// An operator node's height is one more than its tallest operand's.
    fn height(&self, operands: usize, at: &Range<usize>) -> Result<usize, ExprError> {
        let height = operands + 1;
        if height > MAX_DEPTH {
            let message = format!("expression nested too deeply (more than {MAX_DEPTH} levels)");
            Err(self.error(message, at.clone()))
        } else {
            Ok(height)
        }
    }

    fn not_a_function(&self, span: Range<usize>) -> ExprError {
        let name = self.text(&span);
        let message = if self.variables.contains(&name) {
            format!("'{name}' is a variable, not a function; use '*' to multiply")
        } else if constant(name).is_some() {
            format!("'{name}' is a constant, not a function; use '*' to multiply")
        } else {
            let hint = match name {
                "log" => "; use ln for the natural logarithm, or log10".to_string(),
                "pow" => "; use a ^ b or a ** b for powers".to_string(),
                _ => suggest::did_you_mean(name, FUNCTION_NAMES),
            };
            format!(
                "unknown function '{name}'{hint} (functions: {})",
                FUNCTION_NAMES.join(", ")
            )
        };
        self.error(message, span)
    }

    fn unclosed(&self, open: Range<usize>) -> ExprError {
        self.error("unclosed parenthesis: this '(' has no matching ')'", open)
    }

    /// An operand was expected at `token`.
    fn expected_operand(&self, token: &Token) -> ExprError {
        if token.tok == Tok::Bad {
            return self.lex_error();
        }
        let found = self.text(&token.span);
        let message = match (self.previous_text(), token.tok) {
            (Some(previous), Tok::End) => format!("expected an expression after '{previous}'"),
            (Some(previous), _) => {
                format!("expected an expression after '{previous}', found '{found}'")
            }
            (None, _) => format!("expected an expression, found '{found}'"),
        };
        self.error(message, token.span.clone())
    }

    /// A complete operand is followed by `token`, which can neither continue nor end it.
    fn unexpected_after_operand(&self, token: &Token) -> ExprError {
        if token.tok == Tok::Bad {
            return self.lex_error();
        }
        let in_call = matches!(
            self.pending
                .iter()
                .rev()
                .find(|p| matches!(p, Pending::Paren(_) | Pending::Call { .. })),
            Some(Pending::Call { .. })
        );
        let missing = if in_call {
            "a ',' or an operator"
        } else {
            "an operator such as '*'"
        };
        let found = self.text(&token.span);
        let previous = self.previous_text().unwrap_or("");
        self.error(
            format!("unexpected '{found}' after '{previous}'; is {missing} missing?"),
            token.span.clone(),
        )
    }
}
