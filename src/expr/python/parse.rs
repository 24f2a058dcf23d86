//! The parser: tokens to a [`Source`] — an expression, a `lambda` or a `def` — with a
//! refusal that says what is supported for everything outside the subset.
//!
//! The grammar is Python's, loosest first, with today's `--expr` spellings folded in
//! (`^` is `**`, `if(c, a, b)` is a function, `ln` is `math.log`):
//!
//! ```text
//! source    := def | [NAME "="] "lambda" NAME ":" test | test
//! test      := or ["if" or "else" test]
//! or        := and ("or" and)*           and := not ("and" not)*
//! not       := "not" not | comparison    comparison := sum (CMP sum)*
//! sum       := term (("+"|"-") term)*    term := factor (("*"|"/"|"//"|"%") factor)*
//! factor    := ("+"|"-") factor | power  power := primary [("**"|"^") factor]
//! primary   := NUMBER | NAME | "math." NAME | "(" test ")" | callee "(" args [","] ")"
//! ```
//!
//! A block is Python's (an indented suite, or simple statements after the colon joined by
//! `;`), and also what pasting loses: a `def` whose lines lost their indentation or were
//! folded onto one line. There a block opened on the line of its `if`/`elif`/`else` (or
//! on an unindented next line) holds one statement, and the `def`'s own block holds the
//! rest: `def f(s): if s < 10: return s / 10 return 1.0` reads as the tutorial wrote it.
//!
//! Nesting is limited ([`MAX_NESTING`]) so that no input can exhaust the stack.

use std::ops::Range;

use num_bigint::BigInt;
use num_traits::Num;

use super::Refusal;
use super::lex::{Tok, Token};
use super::value::{BinOp, CmpOp, Value};

/// How deeply brackets, calls and unary operators may nest.
pub const MAX_NESTING: usize = 100;

/// How tall an expression's tree may be (`1+1+...+1` with 300 terms is 299 levels).
pub const MAX_EXPR_HEIGHT: usize = 200;

/// How many statements a `def` may have, all blocks counted.
pub const MAX_STATEMENTS: usize = 200;

/// Refuses a source too large to lower and evaluate by recursion: an expression taller
/// than [`MAX_EXPR_HEIGHT`] or a `def` of more than [`MAX_STATEMENTS`] statements. The
/// walk itself keeps its own stack.
pub fn check_size<'s>(source: &'s Source) -> Result<(), Refusal> {
    let mut exprs: Vec<&'s Expr> = Vec::new();
    let mut statements = 0usize;
    let mut blocks: Vec<&'s [Stmt]> = Vec::new();
    match source {
        Source::Expr(e) | Source::Lambda(_, e) => exprs.push(e),
        Source::Def { defaults, body, .. } => {
            exprs.extend(defaults.iter().map(|(_, _, e)| e));
            blocks.push(body);
        }
    }
    while let Some(block) = blocks.pop() {
        for stmt in block {
            statements += 1;
            match stmt {
                Stmt::Return(e, _) => exprs.extend(e.as_ref()),
                Stmt::Assign(_, _, _, e) | Stmt::Expr(e) => exprs.push(e),
                Stmt::If(branches, otherwise) => {
                    for (c, b) in branches {
                        exprs.push(c);
                        blocks.push(b);
                    }
                    blocks.push(otherwise);
                }
            }
        }
    }
    if statements > MAX_STATEMENTS {
        return Err(Refusal::new(
            format!("the def has more than {MAX_STATEMENTS} statements"),
            0..0,
        ));
    }
    for e in exprs {
        let mut stack: Vec<(&'s Expr, usize)> = vec![(e, 1usize)];
        while let Some((e, h)) = stack.pop() {
            if h > MAX_EXPR_HEIGHT {
                return Err(Refusal::new(
                    format!(
                        "the expression is too deeply nested (more than {MAX_EXPR_HEIGHT} \
                         levels of operators and calls)"
                    ),
                    e.span.clone(),
                ));
            }
            let mut push = |c: &'s Expr| stack.push((c, h + 1));
            match &e.kind {
                ExprKind::Const(_) | ExprKind::Name(_) | ExprKind::Str => {}
                ExprKind::Neg(a) | ExprKind::Pos(a) | ExprKind::Not(a) => push(a),
                ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                    push(a);
                    push(b);
                }
                ExprKind::Compare(first, rest) => {
                    push(first);
                    rest.iter().for_each(|(_, r)| push(r));
                }
                ExprKind::If(c, a, b) => {
                    push(c);
                    push(a);
                    push(b);
                }
                ExprKind::Call(_, args) => args.iter().for_each(push),
            }
        }
    }
    Ok(())
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Range<usize>,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal or a named constant (`math.pi`, `True`, `None`).
    Const(Value),
    /// A name, resolved when lowered.
    Name(String),
    /// `-x`
    Neg(Box<Expr>),
    /// `+x`
    Pos(Box<Expr>),
    /// `not x`
    Not(Box<Expr>),
    /// An arithmetic operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// A comparison chain.
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    /// `a if c else b`, stored as (c, a, b).
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A call of a supported function.
    Call(Func, Vec<Expr>),
    /// A string literal (allowed only as a docstring or a statement).
    Str,
}

/// A statement of a `def`.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `return [value]`, with the statement's span.
    Return(Option<Expr>, Range<usize>),
    /// `NAME = value`, `NAME: T = value`, or `NAME OP= value` (with the operator).
    Assign(String, Range<usize>, Option<BinOp>, Expr),
    /// An expression statement (a docstring, or an expression whose value is dropped).
    Expr(Expr),
    /// `if`/`elif`/`else`: the conditions with their blocks, and the `else` block.
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
}

/// What the user gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A bare expression in `step`.
    Expr(Expr),
    /// `lambda NAME: body`.
    Lambda(String, Expr),
    /// `def NAME(PARAM, [NAME=DEFAULT ...]): body`, with the span of its header.
    Def {
        /// The step parameter.
        param: String,
        /// Further parameters with default values, bound on every call.
        defaults: Vec<(String, Range<usize>, Expr)>,
        /// The body.
        body: Vec<Stmt>,
        /// The `def NAME(...)` header, for "falls off its end".
        header: Range<usize>,
    },
}

/// The functions the subset knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Func {
    Min,
    Max,
    Abs,
    Round,
    Float,
    Int,
    Bool,
    Pow,
    /// Today's `if(condition, then, otherwise)`.
    IfFn,
    /// Today's `signum(x)`: -1.0, 0.0 or 1.0.
    Signum,
    Floor,
    Ceil,
    Trunc,
    Exp,
    Log,
    Log2,
    Log10,
    Sqrt,
    MathPow,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Expm1,
    Log1p,
    Fabs,
    Degrees,
    Radians,
    IsNan,
    IsInf,
    IsFinite,
}

/// The `math.` functions, by name.
const MATH_FUNCS: [(&str, Func); 26] = [
    ("floor", Func::Floor),
    ("ceil", Func::Ceil),
    ("trunc", Func::Trunc),
    ("exp", Func::Exp),
    ("log", Func::Log),
    ("log2", Func::Log2),
    ("log10", Func::Log10),
    ("sqrt", Func::Sqrt),
    ("pow", Func::MathPow),
    ("sin", Func::Sin),
    ("cos", Func::Cos),
    ("tan", Func::Tan),
    ("asin", Func::Asin),
    ("acos", Func::Acos),
    ("atan", Func::Atan),
    ("sinh", Func::Sinh),
    ("cosh", Func::Cosh),
    ("tanh", Func::Tanh),
    ("expm1", Func::Expm1),
    ("log1p", Func::Log1p),
    ("fabs", Func::Fabs),
    ("degrees", Func::Degrees),
    ("radians", Func::Radians),
    ("isnan", Func::IsNan),
    ("isinf", Func::IsInf),
    ("isfinite", Func::IsFinite),
];

/// The builtins, and today's bare function names.
const BUILTINS: [(&str, Func); 12] = [
    ("min", Func::Min),
    ("max", Func::Max),
    ("abs", Func::Abs),
    ("round", Func::Round),
    ("float", Func::Float),
    ("int", Func::Int),
    ("bool", Func::Bool),
    ("pow", Func::Pow),
    ("if", Func::IfFn),
    ("signum", Func::Signum),
    ("ln", Func::Log),
    ("fabs", Func::Fabs),
];

/// The `math.` constants.
const MATH_CONSTS: [(&str, f64); 5] = [
    ("pi", std::f64::consts::PI),
    ("e", std::f64::consts::E),
    ("tau", std::f64::consts::TAU),
    ("inf", f64::INFINITY),
    ("nan", f64::NAN),
];

/// The one line that says what is supported, appended to every refusal of a construct.
pub const SUPPORTED: &str = "lrsched takes one expression, `lambda NAME: EXPR` or `def NAME(PARAM):` \
with if/elif/else, assignments and return, over int and float values, the builtins min max abs \
round float int pow and math.NAME functions";

impl Func {
    /// The function as it is named in messages.
    pub fn name(self) -> String {
        if let Some((n, _)) = BUILTINS.iter().find(|(_, f)| *f == self) {
            return (*n).to_string();
        }
        MATH_FUNCS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or_else(|| "?".into(), |(n, _)| format!("math.{n}"))
    }

    /// The numbers of arguments it takes.
    fn arity(self) -> Range<usize> {
        match self {
            Func::Min | Func::Max => 2..usize::MAX,
            Func::Float | Func::Int | Func::Bool => 0..2,
            Func::Pow | Func::MathPow => 2..3,
            Func::Log => 1..3,
            Func::IfFn => 3..4,
            _ => 1..2,
        }
    }
}

/// Every name a call may use, for suggestions.
fn callable_names() -> impl Iterator<Item = String> {
    BUILTINS
        .iter()
        .map(|(n, _)| (*n).to_string())
        .chain(MATH_FUNCS.iter().map(|(n, _)| format!("math.{n}")))
}

/// Parses a whole source.
pub fn parse(tokens: &[Token], source: &str) -> Result<Source, Refusal> {
    let mut p = Parser {
        tokens,
        source,
        pos: 0,
        nesting: 0,
        def_name: None,
    };
    p.skip_newlines();
    let parsed = if p.is_name("def") {
        p.def()?
    } else {
        // `lr_lambda = lambda step: ...` as written in a training script.
        if matches!(p.peek(), Tok::Name(_))
            && p.peek_at(1) == &Tok::Op("=")
            && matches!(p.peek_at(2), Tok::Name(n) if n == "lambda")
        {
            p.pos += 2;
        }
        if p.is_name("lambda") {
            p.lambda()?
        } else if let Some(refusal) = p.top_level_statement() {
            return Err(refusal);
        } else {
            let e = p.test()?;
            if matches!(e.kind, ExprKind::Str) {
                return Err(refuse("strings are not supported", e.span));
            }
            Source::Expr(e)
        }
    };
    p.skip_newlines();
    while matches!(p.peek(), Tok::Dedent) {
        p.pos += 1;
        p.skip_newlines();
    }
    if !matches!(p.peek(), Tok::End) {
        let t = p.token();
        let message = if p.is_name("def") {
            "one def is supported, not several".to_string()
        } else {
            format!(
                "unexpected {} after the end of the {}",
                describe(&t.tok),
                match parsed {
                    Source::Def { .. } => "def",
                    Source::Lambda(..) => "lambda",
                    Source::Expr(_) => "expression",
                }
            )
        };
        return Err(refuse(message, t.span.clone()));
    }
    Ok(parsed)
}

fn refuse(message: impl Into<String>, span: Range<usize>) -> Refusal {
    Refusal::new(message, span)
}

/// A refusal of a construct: what it is, then what is supported.
fn unsupported(what: impl std::fmt::Display, span: Range<usize>) -> Refusal {
    Refusal::new(format!("{what} not supported; {SUPPORTED}"), span)
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Name(n) => format!("'{n}'"),
        Tok::Int(t) | Tok::Float(t) => format!("number '{t}'"),
        Tok::Str => "string".into(),
        Tok::Op(o) => format!("'{o}'"),
        Tok::Newline => "end of line".into(),
        Tok::Indent => "indentation".into(),
        Tok::Dedent => "end of block".into(),
        Tok::End => "end of input".into(),
    }
}

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

struct Parser<'a> {
    tokens: &'a [Token],
    source: &'a str,
    pos: usize,
    nesting: usize,
    def_name: Option<String>,
}

impl Parser<'_> {
    fn token(&self) -> &Token {
        // The token list always ends with `End`, which is never consumed.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.tokens[(self.pos + k).min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Range<usize> {
        self.token().span.clone()
    }

    fn advance(&mut self) -> Token {
        let t = self.token().clone();
        if !matches!(t.tok, Tok::End) {
            self.pos += 1;
        }
        t
    }

    fn is_name(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if n == word)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str, context: &str) -> Result<Range<usize>, Refusal> {
        if self.is_op(op) {
            Ok(self.advance().span)
        } else {
            Err(refuse(
                format!(
                    "SyntaxError: expected '{op}' {context}, found {}",
                    describe(self.peek())
                ),
                self.span(),
            ))
        }
    }

    /// The `)` that closes `open`; at the end of the input, an error pointing at `open`.
    fn close(&mut self, open: &Range<usize>) -> Result<Range<usize>, Refusal> {
        if matches!(self.peek(), Tok::End | Tok::Newline) {
            return Err(refuse(
                "unclosed parenthesis: this '(' has no matching ')'",
                open.clone(),
            ));
        }
        self.expect_op(")", "to close the parenthesis")
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Tok::Newline) {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> Result<(), Refusal> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(refuse(
                format!("nested more than {MAX_NESTING} levels deep"),
                self.span(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    fn name(&mut self, what: &str) -> Result<(String, Range<usize>), Refusal> {
        match self.peek().clone() {
            Tok::Name(n) if !KEYWORDS.contains(&n.as_str()) => {
                let span = self.advance().span;
                Ok((n, span))
            }
            other => Err(refuse(
                format!("SyntaxError: expected {what}, found {}", describe(&other)),
                self.span(),
            )),
        }
    }

    /// Skips a type annotation up to one of `stops` at bracket depth 0.
    fn skip_annotation(&mut self, stops: &[&str]) -> Result<(), Refusal> {
        let start = self.span();
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Op(o) if depth == 0 && stops.contains(o) => break,
                Tok::Op("(" | "[") => depth += 1,
                Tok::Op(")" | "]") if depth > 0 => depth -= 1,
                Tok::Op(")" | "]") => break,
                Tok::Newline | Tok::End | Tok::Indent | Tok::Dedent => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.span().start == start.start {
            return Err(refuse("SyntaxError: expected a type annotation", start));
        }
        Ok(())
    }

    /// A refusal for a statement where an expression, a lambda or a def must be.
    fn top_level_statement(&self) -> Option<Refusal> {
        let Tok::Name(word) = self.peek() else {
            return None;
        };
        let span = self.span();
        Some(match word.as_str() {
            "for" | "while" => unsupported(format!("loops ('{word}') are"), span),
            "import" | "from" => unsupported(
                "imports are not needed (math is there already) and are",
                span.start..self.line_end(),
            ),
            "class" | "try" | "with" | "async" | "global" | "raise" | "assert" => {
                unsupported(format!("'{word}' is"), span)
            }
            "return" | "if" if !matches!(self.peek_at(1), Tok::Op("(")) => refuse(
                format!(
                    "'{word}' is a statement: put the statements in a def, as in \
                     `def lr_lambda(step): ...`; {SUPPORTED}"
                ),
                span,
            ),
            _ if matches!(self.peek_at(1), Tok::Op("=" | "+=" | "-=" | "*=" | "/="))
                && !matches!(self.peek_at(2), Tok::Name(n) if n == "lambda") =>
            {
                refuse(
                    format!(
                        "an assignment is a statement: put the statements in a def, as in \
                         `def lr_lambda(step): ...`; {SUPPORTED}"
                    ),
                    span,
                )
            }
            _ => return None,
        })
    }

    fn lambda(&mut self) -> Result<Source, Refusal> {
        let lambda = self.advance().span;
        if self.is_op(":") {
            return Err(unsupported(
                "a lambda without a parameter is",
                lambda.start..self.span().end,
            ));
        }
        let (param, param_span) = self.name("the lambda's parameter, the step")?;
        if self.is_op(",") || self.is_op("=") {
            let mut end = self.span().end;
            while !self.is_op(":") && !matches!(self.peek(), Tok::End | Tok::Newline) {
                end = self.advance().span.end;
            }
            return Err(refuse(
                format!(
                    "a lambda takes one parameter, the step (as LambdaLR calls it: lr_lambda(step)); {SUPPORTED}"
                ),
                param_span.start..end,
            ));
        }
        self.expect_op(":", "after the lambda's parameter")?;
        let body = self.test()?;
        Ok(Source::Lambda(param, body))
    }

    fn def(&mut self) -> Result<Source, Refusal> {
        let def = self.advance().span;
        let (name, _) = self.name("the function's name")?;
        self.def_name = Some(name);
        self.expect_op("(", "after the function's name")?;
        let (param, param_span) = self.name("the function's parameter, the step")?;
        if self.eat_op(":") {
            self.skip_annotation(&[",", ")", "="])?;
        }
        if self.is_op("=") {
            return Err(refuse(
                "the first parameter is the step and takes no default",
                param_span,
            ));
        }
        let mut defaults = Vec::new();
        while self.eat_op(",") {
            if self.is_op(")") {
                break;
            }
            let (extra, extra_span) = match self.peek() {
                Tok::Op("*" | "**" | "/") => {
                    return Err(unsupported(
                        "'*', '**' and '/' in parameters are",
                        self.span(),
                    ));
                }
                _ => self.name("a parameter")?,
            };
            if self.eat_op(":") {
                self.skip_annotation(&[",", ")", "="])?;
            }
            if !self.eat_op("=") {
                return Err(refuse(
                    format!(
                        "the def takes one parameter, the step (as LambdaLR calls it: lr_lambda(step)); \
                         a further parameter needs a default value; {SUPPORTED}"
                    ),
                    extra_span,
                ));
            }
            let value = self.test()?;
            defaults.push((extra, extra_span, value));
        }
        let close = self.expect_op(")", "after the parameters")?;
        if self.eat_op("->") {
            self.skip_annotation(&[":"])?;
        }
        self.expect_op(":", "after the def's header")?;
        let header = def.start..close.end;
        let body = self.suite(true)?;
        Ok(Source::Def {
            param,
            defaults,
            body,
            header,
        })
    }

    /// A block after a colon. `whole` is true for the def's own block, which takes every
    /// statement that follows when the block is not indented.
    fn suite(&mut self, whole: bool) -> Result<Vec<Stmt>, Refusal> {
        self.enter()?;
        let result = self.suite_inner(whole);
        self.leave();
        result
    }

    fn suite_inner(&mut self, whole: bool) -> Result<Vec<Stmt>, Refusal> {
        let mut body = Vec::new();
        if matches!(self.peek(), Tok::Newline) {
            self.skip_newlines();
            if matches!(self.peek(), Tok::Indent) {
                self.pos += 1;
                loop {
                    self.skip_newlines();
                    if matches!(self.peek(), Tok::Dedent | Tok::End) {
                        break;
                    }
                    self.statement(&mut body)?;
                }
                if matches!(self.peek(), Tok::Dedent) {
                    self.pos += 1;
                }
                return Ok(body);
            }
            if matches!(self.peek(), Tok::End | Tok::Dedent) {
                return Err(refuse(
                    "IndentationError: expected an indented block",
                    self.span(),
                ));
            }
            // The indentation was lost in pasting.
            if whole {
                while !matches!(self.peek(), Tok::End | Tok::Dedent) {
                    self.statement(&mut body)?;
                    self.skip_newlines();
                }
            } else {
                self.statement(&mut body)?;
            }
            return Ok(body);
        }
        // On the line of the header.
        if whole {
            while !matches!(self.peek(), Tok::End | Tok::Newline | Tok::Dedent) {
                self.statement(&mut body)?;
                if self.pos > 0 && self.tokens[self.pos - 1].tok == Tok::Newline {
                    break;
                }
            }
        } else {
            self.statement(&mut body)?;
        }
        if body.is_empty() {
            return Err(refuse(
                "IndentationError: expected an indented block",
                self.span(),
            ));
        }
        Ok(body)
    }

    /// One statement (and any joined to it by `;`), appended to `body`.
    fn statement(&mut self, body: &mut Vec<Stmt>) -> Result<(), Refusal> {
        let start = self.span();
        let word = match self.peek() {
            Tok::Name(n) => n.clone(),
            _ => String::new(),
        };
        match word.as_str() {
            "if" => {
                self.advance();
                let mut branches = Vec::new();
                let condition = self.test()?;
                self.expect_op(":", "after the if's condition")?;
                branches.push((condition, self.suite(false)?));
                let mut otherwise = Vec::new();
                loop {
                    if matches!(self.peek(), Tok::Newline)
                        && matches!(self.peek_at(1), Tok::Name(n) if n == "elif" || n == "else")
                    {
                        self.pos += 1;
                    }
                    if self.is_name("elif") {
                        self.advance();
                        let condition = self.test()?;
                        self.expect_op(":", "after the elif's condition")?;
                        branches.push((condition, self.suite(false)?));
                    } else if self.is_name("else") {
                        self.advance();
                        self.expect_op(":", "after else")?;
                        otherwise = self.suite(false)?;
                        break;
                    } else {
                        break;
                    }
                }
                body.push(Stmt::If(branches, otherwise));
                return Ok(());
            }
            "for" | "while" => {
                return Err(unsupported(format!("loops ('{word}') are"), start));
            }
            "import" | "from" => {
                return Err(unsupported(
                    "imports are not needed and are",
                    start.start..self.line_end(),
                ));
            }
            "def" => {
                return Err(unsupported("a def inside the def is", start));
            }
            "elif" | "else" => {
                return Err(refuse(
                    format!("SyntaxError: '{word}' without a matching if"),
                    start,
                ));
            }
            "try" | "with" | "class" | "global" | "nonlocal" | "raise" | "assert" | "del"
            | "yield" | "break" | "continue" | "async" | "await" | "lambda" => {
                return Err(unsupported(format!("'{word}' is"), start));
            }
            _ => {}
        }
        loop {
            self.simple_statement(body)?;
            if self.eat_op(";") {
                if matches!(self.peek(), Tok::Newline | Tok::End | Tok::Dedent) {
                    break;
                }
                continue;
            }
            break;
        }
        if matches!(self.peek(), Tok::Newline) {
            self.pos += 1;
        }
        Ok(())
    }

    fn line_end(&self) -> usize {
        let mut k = self.pos;
        while k + 1 < self.tokens.len() && !matches!(self.tokens[k].tok, Tok::Newline | Tok::End) {
            k += 1;
        }
        self.tokens[k.saturating_sub(1).max(self.pos)].span.end
    }

    fn simple_statement(&mut self, body: &mut Vec<Stmt>) -> Result<(), Refusal> {
        let start = self.span();
        if self.is_name("pass") {
            self.advance();
            return Ok(());
        }
        if self.is_name("return") {
            self.advance();
            let value = if matches!(self.peek(), Tok::Newline | Tok::End | Tok::Dedent)
                || self.is_op(";")
                || self.starts_statement()
            {
                None
            } else {
                Some(self.test()?)
            };
            let end = value.as_ref().map_or(start.end, |v| v.span.end);
            body.push(Stmt::Return(value, start.start..end));
            return Ok(());
        }
        if let Tok::Name(n) = self.peek().clone()
            && !KEYWORDS.contains(&n.as_str())
        {
            let next = self.peek_at(1).clone();
            let aug = match next {
                Tok::Op("+=") => Some(BinOp::Add),
                Tok::Op("-=") => Some(BinOp::Sub),
                Tok::Op("*=") => Some(BinOp::Mul),
                Tok::Op("/=") => Some(BinOp::Div),
                Tok::Op("//=") => Some(BinOp::FloorDiv),
                Tok::Op("%=") => Some(BinOp::Mod),
                Tok::Op("**=") => Some(BinOp::Pow),
                _ => None,
            };
            if aug.is_some() || next == Tok::Op("=") {
                self.pos += 2;
                if self.is_name("lambda") {
                    return Err(unsupported("a lambda inside the def is", self.span()));
                }
                let value = self.test()?;
                if self.is_op("=") {
                    return Err(unsupported("chained assignment is", self.span()));
                }
                if self.is_op(",") {
                    return Err(unsupported("tuples are", self.span()));
                }
                body.push(Stmt::Assign(n, start, aug, value));
                return Ok(());
            }
            if next == Tok::Op(":") {
                self.pos += 2;
                self.skip_annotation(&["=", ";"])?;
                if self.eat_op("=") {
                    let value = self.test()?;
                    body.push(Stmt::Assign(n, start, None, value));
                }
                return Ok(());
            }
        }
        let e = self.test()?;
        if self.is_op("=") || self.is_op(",") {
            return Err(unsupported(
                "assignment to anything but a name is",
                e.span.start..self.span().end,
            ));
        }
        body.push(Stmt::Expr(e));
        Ok(())
    }

    /// True at a keyword that can only start a statement (a folded `def` runs its
    /// statements together without line ends).
    fn starts_statement(&self) -> bool {
        matches!(self.peek(), Tok::Name(n) if matches!(n.as_str(), "if" | "return" | "pass" | "elif" | "else"))
            || (matches!(self.peek(), Tok::Name(n) if !KEYWORDS.contains(&n.as_str()))
                && matches!(
                    self.peek_at(1),
                    Tok::Op("=" | "+=" | "-=" | "*=" | "/=" | "//=" | "%=" | "**=")
                ))
    }

    fn test(&mut self) -> Result<Expr, Refusal> {
        self.enter()?;
        let result = self.test_inner();
        self.leave();
        result
    }

    fn test_inner(&mut self) -> Result<Expr, Refusal> {
        if self.is_name("lambda") {
            return Err(unsupported("a lambda inside an expression is", self.span()));
        }
        let body = self.or()?;
        if self.is_name("if") {
            self.advance();
            let condition = self.or()?;
            if !self.is_name("else") {
                return Err(refuse(
                    format!(
                        "SyntaxError: expected 'else' after the condition of 'x if c else y', found {}",
                        describe(self.peek())
                    ),
                    self.span(),
                ));
            }
            self.advance();
            let otherwise = self.test()?;
            let span = body.span.start..otherwise.span.end;
            return Ok(Expr {
                kind: ExprKind::If(Box::new(condition), Box::new(body), Box::new(otherwise)),
                span,
            });
        }
        if self.is_op(":=") {
            return Err(unsupported("':=' is", self.span()));
        }
        Ok(body)
    }

    fn or(&mut self) -> Result<Expr, Refusal> {
        let mut left = self.and()?;
        while self.is_name("or") {
            self.advance();
            let right = self.and()?;
            let span = left.span.start..right.span.end;
            left = Expr {
                kind: ExprKind::Or(Box::new(left), Box::new(right)),
                span,
            };
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Refusal> {
        let mut left = self.not()?;
        while self.is_name("and") {
            self.advance();
            let right = self.not()?;
            let span = left.span.start..right.span.end;
            left = Expr {
                kind: ExprKind::And(Box::new(left), Box::new(right)),
                span,
            };
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, Refusal> {
        if self.is_name("not") {
            let start = self.advance().span;
            self.enter()?;
            let operand = self.not();
            self.leave();
            let operand = operand?;
            let span = start.start..operand.span.end;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(operand)),
                span,
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Refusal> {
        let first = self.sum()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Name(n) if n == "in" || n == "is" => {
                    return Err(unsupported(format!("'{n}' is"), self.span()));
                }
                Tok::Name(n)
                    if n == "not" && matches!(self.peek_at(1), Tok::Name(m) if m == "in") =>
                {
                    return Err(unsupported("'not in' is", self.span()));
                }
                _ => break,
            };
            self.advance();
            rest.push((op, self.sum()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let span = first.span.start..rest.last().map_or(first.span.end, |(_, e)| e.span.end);
        Ok(Expr {
            kind: ExprKind::Compare(Box::new(first), rest),
            span,
        })
    }

    fn sum(&mut self) -> Result<Expr, Refusal> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => break,
            };
            self.advance();
            let right = self.term()?;
            left = binary(op, left, right);
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, Refusal> {
        let mut left = self.factor()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("//") => BinOp::FloorDiv,
                Tok::Op("%") => BinOp::Mod,
                _ => break,
            };
            self.advance();
            let right = self.factor()?;
            left = binary(op, left, right);
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, Refusal> {
        let sign = match self.peek() {
            Tok::Op("-") => Some(true),
            Tok::Op("+") => Some(false),
            _ => None,
        };
        if let Some(negative) = sign {
            let start = self.advance().span;
            self.enter()?;
            let operand = self.factor();
            self.leave();
            let operand = operand?;
            let span = start.start..operand.span.end;
            let operand = Box::new(operand);
            return Ok(Expr {
                kind: if negative {
                    ExprKind::Neg(operand)
                } else {
                    ExprKind::Pos(operand)
                },
                span,
            });
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, Refusal> {
        let base = self.primary()?;
        if self.is_op("**") || self.is_op("^") {
            self.advance();
            self.enter()?;
            let exponent = self.factor();
            self.leave();
            return Ok(binary(BinOp::Pow, base, exponent?));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, Refusal> {
        let t = self.advance();
        let span = t.span.clone();
        let constant = |v: Value| {
            Ok(Expr {
                kind: ExprKind::Const(v),
                span: span.clone(),
            })
        };
        let atom = match &t.tok {
            Tok::Int(text) => constant(int_literal(text, span.clone())?),
            Tok::Float(text) => {
                let clean: String = text.chars().filter(|c| *c != '_').collect();
                constant(Value::Float(clean.parse::<f64>().map_err(|_| {
                    refuse(
                        format!("SyntaxError: invalid number '{text}'"),
                        span.clone(),
                    )
                })?))
            }
            Tok::Str => {
                let mut end = span.end;
                // Adjacent literals concatenate.
                while matches!(self.peek(), Tok::Str) {
                    end = self.advance().span.end;
                }
                Ok(Expr {
                    kind: ExprKind::Str,
                    span: span.start..end,
                })
            }
            Tok::Op("(") => {
                if self.is_op(")") {
                    return Err(unsupported("tuples are", span.start..self.span().end));
                }
                let inner = self.test()?;
                if self.is_op(",") {
                    return Err(unsupported("tuples are", inner.span.start..self.span().end));
                }
                if matches!(inner.kind, ExprKind::Str) {
                    return Err(unsupported("strings are", inner.span));
                }
                let close = self.close(&span)?;
                Ok(Expr {
                    span: span.start..close.end,
                    ..inner
                })
            }
            Tok::Op("[") => Err(unsupported("lists are", span)),
            Tok::Name(n) => self.name_atom(n, span.clone()),
            Tok::End | Tok::Newline | Tok::Dedent => Err(refuse(
                "SyntaxError: the expression ends too early: a value is missing here",
                span,
            )),
            other => Err(refuse(
                format!("SyntaxError: expected a value, found {}", describe(other)),
                span,
            )),
        }?;
        match self.peek() {
            Tok::Op("[") => Err(unsupported("subscripts ('x[i]') are", self.span())),
            Tok::Op("(") => Err(refuse(
                format!("'{}' is not a function", &self.source[atom.span.clone()]),
                atom.span.start..self.span().end,
            )),
            Tok::Op(".") => Err(unsupported(
                "attribute access other than math.NAME is",
                atom.span.start
                    ..self.tokens[(self.pos + 1).min(self.tokens.len() - 1)]
                        .span
                        .end,
            )),
            _ => Ok(atom),
        }
    }

    fn name_atom(&mut self, n: &str, span: Range<usize>) -> Result<Expr, Refusal> {
        match n {
            "True" => return Ok(const_expr(Value::Int(1), span)),
            "False" => return Ok(const_expr(Value::Int(0), span)),
            "None" => return Ok(const_expr(Value::None, span)),
            _ => {}
        }
        if n == "math" || n == "torch" || n == "np" || n == "numpy" {
            if !self.is_op(".") {
                return Err(refuse(
                    format!(
                        "'{n}' alone is not a value; use math.NAME, e.g. math.cos(x) or math.pi"
                    ),
                    span,
                ));
            }
            self.advance();
            let (attr, attr_span) = match self.peek().clone() {
                Tok::Name(a) => (a, self.advance().span),
                other => {
                    return Err(refuse(
                        format!(
                            "SyntaxError: expected a name after '{n}.', found {}",
                            describe(&other)
                        ),
                        self.span(),
                    ));
                }
            };
            let whole = span.start..attr_span.end;
            if n != "math" {
                return Err(refuse(
                    format!(
                        "{n}.{attr} is not supported: lrsched computes as Python's float and math module do; write math.{attr}"
                    ),
                    whole,
                ));
            }
            if let Some((_, v)) = MATH_CONSTS.iter().find(|(c, _)| *c == attr) {
                return Ok(const_expr(Value::Float(*v), whole));
            }
            if let Some((_, f)) = MATH_FUNCS.iter().find(|(c, _)| *c == attr) {
                if self.is_op("(") {
                    return self.call(*f, whole);
                }
                return Err(refuse(
                    format!("math.{attr} is a function; call it as math.{attr}(x)"),
                    whole,
                ));
            }
            let names: Vec<String> = MATH_FUNCS
                .iter()
                .map(|(c, _)| (*c).to_string())
                .chain(MATH_CONSTS.iter().map(|(c, _)| (*c).to_string()))
                .collect();
            return Err(refuse(
                format!(
                    "math.{attr} is not supported{}; supported: math.{}",
                    crate::suggest::did_you_mean(&attr, names.iter().map(String::as_str)),
                    names.join(", math.")
                ),
                whole,
            ));
        }
        if self.is_op("(") {
            if let Some((_, f)) = BUILTINS.iter().find(|(c, _)| *c == n) {
                return self.call(*f, span);
            }
            // Today's bare cos, exp, sqrt, ...
            if let Some((_, f)) = MATH_FUNCS.iter().find(|(c, _)| *c == n) {
                return self.call(*f, span);
            }
            if self.def_name.as_deref() == Some(n) {
                return Err(unsupported("recursion is", span));
            }
            let names: Vec<String> = callable_names().collect();
            return Err(refuse(
                format!(
                    "unknown function '{n}'{}; supported: min max abs round float int bool pow \
                     and math.NAME for {}",
                    crate::suggest::did_you_mean(n, names.iter().map(String::as_str)),
                    MATH_FUNCS.map(|(name, _)| name).join(" ")
                ),
                span,
            ));
        }
        if KEYWORDS.contains(&n) {
            return Err(refuse(
                format!("SyntaxError: expected a value, found '{n}'"),
                span,
            ));
        }
        Ok(Expr {
            kind: ExprKind::Name(n.to_string()),
            span,
        })
    }

    fn call(&mut self, f: Func, name: Range<usize>) -> Result<Expr, Refusal> {
        self.advance(); // "("
        self.enter()?;
        let mut args = Vec::new();
        let result = loop {
            if self.is_op(")") {
                break Ok(());
            }
            if matches!(self.peek(), Tok::Name(_)) && self.peek_at(1) == &Tok::Op("=") {
                break Err(unsupported("keyword arguments are", self.span()));
            }
            if self.is_op("*") || self.is_op("**") {
                break Err(unsupported("'*' arguments are", self.span()));
            }
            match self.test() {
                Ok(a) => args.push(a),
                Err(e) => break Err(e),
            }
            if !self.eat_op(",") {
                break Ok(());
            }
        };
        self.leave();
        result?;
        let open = self.tokens[..self.pos]
            .iter()
            .rev()
            .find(|t| t.span.start >= name.end && t.tok == Tok::Op("("))
            .map_or(name.clone(), |t| t.span.clone());
        let close = self.close(&open)?;
        let span = name.start..close.end;
        let arity = f.arity();
        if !arity.contains(&args.len()) {
            let name = f.name();
            let message = match f {
                Func::Min | Func::Max => format!(
                    "{name}() takes two or more numbers here (lists and other iterables are not supported)"
                ),
                Func::Round if args.len() == 2 => {
                    "round(x, ndigits) is not supported; round(x) rounds half to even to an int"
                        .into()
                }
                Func::Pow | Func::MathPow if args.len() == 3 => {
                    "pow(x, y, mod) is not supported; pow(x, y) is".into()
                }
                _ => {
                    let want = if arity.end - arity.start == 1 {
                        format!("{}", arity.start)
                    } else {
                        format!("{} to {}", arity.start, arity.end - 1)
                    };
                    format!(
                        "TypeError: {name}() takes {want} argument{} ({} given)",
                        if arity.end == 2 && arity.start <= 1 {
                            ""
                        } else {
                            "s"
                        },
                        args.len()
                    )
                }
            };
            return Err(refuse(message, span));
        }
        if let Some(s) = args.iter().find(|a| matches!(a.kind, ExprKind::Str)) {
            return Err(unsupported("strings are", s.span.clone()));
        }
        Ok(Expr {
            kind: ExprKind::Call(f, args),
            span,
        })
    }
}

fn const_expr(v: Value, span: Range<usize>) -> Expr {
    Expr {
        kind: ExprKind::Const(v),
        span,
    }
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.start..right.span.end;
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
    }
}

/// An int literal's value, in any base, at any size.
pub fn int_literal(text: &str, span: Range<usize>) -> Result<Value, Refusal> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let (digits, radix) = match clean.get(..2) {
        Some("0x" | "0X") => (&clean[2..], 16),
        Some("0o" | "0O") => (&clean[2..], 8),
        Some("0b" | "0B") => (&clean[2..], 2),
        _ => (clean.as_str(), 10),
    };
    let big = BigInt::from_str_radix(digits, radix)
        .map_err(|_| refuse(format!("SyntaxError: invalid number '{text}'"), span))?;
    Value::from_big(big).map_err(|e| Refusal::new(format!("{}: {}", e.kind, e.message), 0..0))
}
