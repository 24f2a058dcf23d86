//! The parser: tokens to [`Ast`] by recursive descent over Python's precedence levels,
//! with a message and a span for every way the input can be malformed.
//!
//! Grammar, loosest first (Python's, restricted to what the language has):
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

use std::ops::Range;

use super::ast::{Ast, BinOp, CmpOp, FUNCTION_NAMES, Function, constant};
use super::error::ExprError;
use super::lex::{self, Tok, Token};
use crate::suggest;

/// How deep an expression may nest: parentheses, calls, unary minus and powers count one
/// level each, and so does every operator of a chain like `1+1+...+1`. Deeper input is an
/// error rather than a stack overflow in the parser, the compiler or the evaluator.
pub const MAX_DEPTH: usize = 256;

type Parsed = Result<(Ast, usize), ExprError>;

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
    let mut parser = Parser {
        source,
        tokens,
        lex_error,
        pos: 0,
        depth: 0,
        variables,
    };
    let (ast, _) = parser.comparison()?;
    let next = parser.peek();
    if next.tok == Tok::End {
        Ok(ast)
    } else {
        Err(parser.unexpected_after_operand(&next, false))
    }
}

struct Parser<'a> {
    source: &'a str,
    /// Ends with [`Tok::End`] or [`Tok::Bad`].
    tokens: Vec<Token>,
    /// What the [`Tok::Bad`] token stands for.
    lex_error: Option<ExprError>,
    pos: usize,
    /// Nesting of `unary` calls, which every cycle of the recursion passes through.
    depth: usize,
    variables: &'a [&'a str],
}

impl Parser<'_> {
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

    /// Consumes and returns the next token; never moves past the last one.
    fn bump(&mut self) -> Token {
        let token = self.peek();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn text(&self, span: &Range<usize>) -> &str {
        self.source.get(span.clone()).unwrap_or("")
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
            Err(self.too_deep(at))
        } else {
            Ok(height)
        }
    }

    fn too_deep(&self, at: &Range<usize>) -> ExprError {
        self.error(
            format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            at.clone(),
        )
    }

    fn comparison(&mut self) -> Parsed {
        let (first, mut height) = self.sum()?;
        let mut rest = Vec::new();
        let mut last_op = None;
        loop {
            let op = match self.peek().tok {
                Tok::Lt => CmpOp::Lt,
                Tok::Le => CmpOp::Le,
                Tok::Gt => CmpOp::Gt,
                Tok::Ge => CmpOp::Ge,
                Tok::Eq => CmpOp::Eq,
                Tok::Ne => CmpOp::Ne,
                _ => break,
            };
            last_op = Some(self.bump().span);
            let (operand, h) = self.sum()?;
            height = height.max(h);
            rest.push((op, operand));
        }
        match last_op {
            None => Ok((first, height)),
            Some(at) => {
                let height = self.height(height, &at)?;
                Ok((Ast::Compare(Box::new(first), rest), height))
            }
        }
    }

    fn sum(&mut self) -> Parsed {
        let (mut left, mut height) = self.product()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok((left, height)),
            };
            let at = self.bump().span;
            let (right, h) = self.product()?;
            height = self.height(height.max(h), &at)?;
            left = Ast::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Parsed {
        let (mut left, mut height) = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok((left, height)),
            };
            let at = self.bump().span;
            let (right, h) = self.unary()?;
            height = self.height(height.max(h), &at)?;
            left = Ast::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Parsed {
        if self.depth >= MAX_DEPTH {
            return Err(self.too_deep(&self.peek().span));
        }
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Parsed {
        match self.peek().tok {
            Tok::Minus => {
                let at = self.bump().span;
                let (operand, h) = self.unary()?;
                Ok((Ast::Neg(Box::new(operand)), self.height(h, &at)?))
            }
            Tok::Plus => {
                self.bump();
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Parsed {
        let (base, height) = self.primary()?;
        if self.peek().tok != Tok::Power {
            return Ok((base, height));
        }
        let at = self.bump().span;
        let (exponent, h) = self.unary()?;
        let height = self.height(height.max(h), &at)?;
        Ok((
            Ast::Binary(BinOp::Pow, Box::new(base), Box::new(exponent)),
            height,
        ))
    }

    fn primary(&mut self) -> Parsed {
        let token = self.peek();
        match token.tok {
            Tok::Number(value) => {
                self.bump();
                Ok((Ast::Number(value), 0))
            }
            Tok::Ident => {
                self.bump();
                if self.peek().tok == Tok::LParen {
                    self.call(token.span)
                } else {
                    let name = self.text(&token.span).to_string();
                    Ok((Ast::Name(name, token.span), 0))
                }
            }
            Tok::LParen => {
                let open = self.bump().span;
                let inner = self.comparison()?;
                let next = self.peek();
                match next.tok {
                    Tok::RParen => {
                        self.bump();
                        Ok(inner)
                    }
                    Tok::End => Err(self.unclosed(open)),
                    _ => Err(self.unexpected_after_operand(&next, false)),
                }
            }
            _ => Err(self.expected_operand(&token)),
        }
    }

    /// `name(arguments)`, with the name's span; the next token is the `(`.
    fn call(&mut self, name_span: Range<usize>) -> Parsed {
        let name = self.text(&name_span).to_string();
        // The name is checked before the arguments, so errors come in source order.
        if !FUNCTION_NAMES.contains(&name.as_str()) {
            return Err(self.not_a_function(&name, name_span));
        }
        let open = self.bump().span;
        let mut args = Vec::new();
        let mut height = 0;
        let close = if self.peek().tok == Tok::RParen {
            self.bump().span
        } else {
            loop {
                let (arg, h) = self.comparison()?;
                height = height.max(h);
                args.push(arg);
                let next = self.peek();
                match next.tok {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break self.bump().span,
                    Tok::End => return Err(self.unclosed(open)),
                    _ => return Err(self.unexpected_after_operand(&next, true)),
                }
            }
        };
        let call_span = name_span.start..close.end;
        let height = self.height(height, &call_span)?;
        let count = args.len();
        let wrong_count = |this: &Self, requirement: &str, usage: &str| {
            let plural = if count == 1 { "" } else { "s" };
            Err(this.error(
                format!("'{name}' takes {requirement}, got {count} argument{plural}: {usage}"),
                call_span.clone(),
            ))
        };
        let ast = match name.as_str() {
            "min" | "max" if count < 2 => {
                return wrong_count(self, "at least 2 arguments", &format!("{name}(a, b, ...)"));
            }
            "min" => Ast::Min(args),
            "max" => Ast::Max(args),
            "if" => match <[Ast; 3]>::try_from(args) {
                Ok([condition, then, otherwise]) => {
                    Ast::If(Box::new(condition), Box::new(then), Box::new(otherwise))
                }
                Err(_) => {
                    return wrong_count(
                        self,
                        "exactly 3 arguments",
                        "if(condition, then, otherwise)",
                    );
                }
            },
            _ => {
                let function = Function::from_name(&name);
                match (function, <[Ast; 1]>::try_from(args)) {
                    (Some(f), Ok([arg])) => Ast::Call(f, Box::new(arg)),
                    _ => {
                        return wrong_count(self, "exactly 1 argument", &format!("{name}(x)"));
                    }
                }
            }
        };
        Ok((ast, height))
    }

    fn not_a_function(&self, name: &str, span: Range<usize>) -> ExprError {
        let message = if self.variables.contains(&name) {
            format!("'{name}' is a variable, not a function; multiply with '*'")
        } else if constant(name).is_some() {
            format!("'{name}' is a constant, not a function; multiply with '*'")
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
        let previous = self
            .pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map(|t| self.text(&t.span));
        let found = self.text(&token.span);
        match (previous, token.tok) {
            (Some(previous), Tok::End) => self.error(
                format!("expected an expression after '{previous}'"),
                token.span.clone(),
            ),
            (Some(previous), _) => self.error(
                format!("expected an expression after '{previous}', found '{found}'"),
                token.span.clone(),
            ),
            (None, _) => self.error(
                format!("expected an expression, found '{found}'"),
                token.span.clone(),
            ),
        }
    }

    /// A complete operand is followed by `token`, which cannot continue it.
    fn unexpected_after_operand(&self, token: &Token, in_call: bool) -> ExprError {
        let found = self.text(&token.span);
        let span = token.span.clone();
        match token.tok {
            Tok::Bad => self.lex_error(),
            Tok::RParen => self.error("unmatched ')': no '(' is open here", span),
            Tok::Comma => self.error("unexpected ',' outside a function call", span),
            _ => {
                let previous = self
                    .pos
                    .checked_sub(1)
                    .and_then(|i| self.tokens.get(i))
                    .map_or("", |t| self.text(&t.span));
                let missing = if in_call {
                    "a ',' or an operator"
                } else {
                    "an operator such as '*'"
                };
                self.error(
                    format!("unexpected '{found}' after '{previous}'; is {missing} missing?"),
                    span,
                )
            }
        }
    }
}
