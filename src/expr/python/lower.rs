//! Lowering: a parsed source to one tree over the step, with every name resolved.
//!
//! A `def` has no loops, so its statements unfold into a tree: an assignment binds a local
//! for the statements after it (`Let`), an `if` copies the statements after it into each
//! branch, and a `return` ends its path. Each path therefore knows statically which
//! locals it has bound: reading one it has not is `UnboundLocalError` on that path only,
//! and a path that runs out of statements returns `None`, as Python does there.
//! Free names become constants (`--var`, `steps`, `warmup`, `base_lr`, `pi`, `e`).

use std::collections::BTreeSet;
use std::ops::Range;

use super::Refusal;
use super::parse::{Expr, ExprKind, Func, Source, Stmt};
use super::value::{BinOp, CmpOp, Value};

/// How many nodes an unfolded `def` may have: every `if` followed by more statements
/// copies them, so `n` such `if`s in a row make 2^n paths.
pub const MAX_NODES: usize = 20_000;

/// How tall the tree may be, so that evaluating it cannot exhaust a thread's stack.
pub const MAX_HEIGHT: usize = 400;

/// A node of the lowered tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it computes.
    pub kind: Kind,
    /// The source it came from, for error messages.
    pub span: Range<usize>,
}

/// The kinds of node.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A constant.
    Const(Value),
    /// The step, an int.
    Param,
    /// The value bound by the `Let` with this number.
    Local(usize),
    /// Binds the value to the number, then evaluates the body.
    Let(usize, Box<Node>, Box<Node>),
    /// Reading a local not bound on this path: `UnboundLocalError`.
    Unbound(String),
    /// The end of the `def` reached without `return`: the call returns `None`.
    FellOff,
    /// `-x`
    Neg(Box<Node>),
    /// `+x`
    Pos(Box<Node>),
    /// `not x`
    Not(Box<Node>),
    /// An arithmetic operator.
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `a and b`
    And(Box<Node>, Box<Node>),
    /// `a or b`
    Or(Box<Node>, Box<Node>),
    /// A comparison chain.
    Compare(Box<Node>, Vec<(CmpOp, Node)>),
    /// (condition, then, otherwise)
    If(Box<Node>, Box<Node>, Box<Node>),
    /// A call.
    Call(Func, Vec<Node>),
}

/// The values of the free names.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    /// `--var NAME=VALUE` bindings, which win over lrsched's own names.
    pub vars: Vec<(String, Value)>,
    /// lrsched's own names: `steps`, `warmup`, `base_lr`.
    pub builtin: Vec<(&'static str, Value)>,
}

impl Globals {
    fn get(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.vars.iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        if let Some((_, v)) = self.builtin.iter().find(|(n, _)| *n == name) {
            return Some(v.clone());
        }
        match name {
            // Today's bare constants.
            "pi" => Some(Value::Float(std::f64::consts::PI)),
            "e" => Some(Value::Float(std::f64::consts::E)),
            _ => None,
        }
    }
}

/// The lowered tree and what it needs to run.
#[derive(Debug)]
pub struct Lowered {
    /// The tree.
    pub root: Node,
    /// How many `Let`s it has (the size of the locals' storage).
    pub bindings: usize,
    /// The step's name.
    pub param: String,
}

/// Lowers `source`. Names with no value are collected and refused together.
pub fn lower(source: &Source, globals: &Globals, text: &str) -> Result<Lowered, Refusal> {
    let mut l = Lowerer {
        globals,
        locals: BTreeSet::new(),
        bindings: 0,
        nodes: 0,
        unbound: Vec::new(),
        used: Vec::new(),
    };
    let (root, param) = match source {
        Source::Expr(e) => {
            l.locals.clear();
            (l.expr(e, &Env::step("step"))?, "step".to_string())
        }
        Source::Lambda(param, body) => (l.expr(body, &Env::step(param))?, param.clone()),
        Source::Def {
            param,
            defaults,
            body,
            header,
        } => {
            l.locals.insert(param.clone());
            for (name, _, _) in defaults {
                l.locals.insert(name.clone());
            }
            assigned(body, &mut l.locals);
            // The parameter is a local like any other: it may be reassigned.
            let id = l.bind();
            let mut env = Env {
                step: None,
                bound: vec![(param.clone(), id)],
            };
            let mut lets = Vec::new();
            for (name, span, value) in defaults {
                let value = l.expr(value, &Env::default())?;
                let id = l.bind();
                env.bound.push((name.clone(), id));
                lets.push((id, value, span.clone()));
            }
            let mut root = l.block(&[body], &env, header)?;
            for (id, value, span) in lets.into_iter().rev() {
                root = Node {
                    kind: Kind::Let(id, Box::new(value), Box::new(root)),
                    span,
                };
            }
            let root = Node {
                kind: Kind::Let(
                    id,
                    Box::new(Node {
                        kind: Kind::Param,
                        span: header.clone(),
                    }),
                    Box::new(root),
                ),
                span: header.clone(),
            };
            (root, param.clone())
        }
    };
    if let Some((name, span)) = l.unbound.first() {
        return Err(unbound_refusal(
            name,
            span.clone(),
            &l,
            &param,
            source,
            text,
        ));
    }
    if height(&root) > MAX_HEIGHT {
        return Err(Refusal::new(
            format!("the source is too deeply nested (more than {MAX_HEIGHT} levels)"),
            0..text.len(),
        ));
    }
    Ok(Lowered {
        root,
        bindings: l.bindings,
        param,
    })
}

fn unbound_refusal(
    name: &str,
    span: Range<usize>,
    l: &Lowerer<'_>,
    param: &str,
    source: &Source,
    text: &str,
) -> Refusal {
    let mut names: Vec<&str> = Vec::new();
    for n in l.used.iter().map(String::as_str) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut candidates: Vec<&str> = vec!["steps", "warmup", "base_lr"];
    candidates.extend(l.globals.vars.iter().map(|(n, _)| n.as_str()));
    candidates.extend(l.locals.iter().map(String::as_str));
    candidates.push(param);
    let hint = crate::suggest::did_you_mean(name, candidates.iter().copied());
    let step_hint = if matches!(source, Source::Expr(_))
        && [
            "epoch",
            "current_step",
            "it",
            "iteration",
            "global_step",
            "x",
            "s",
            "t",
            "i",
            "n",
        ]
        .contains(&name)
    {
        format!("; if '{name}' is the step, write `lambda {name}: ...`")
    } else {
        String::new()
    };
    let _ = text;
    Refusal::new(
        format!(
            "unknown name '{name}'{hint}{step_hint}{} --var {name}=VALUE \
             (the source uses {}; lrsched gives {param} (the step), steps, warmup, base_lr)",
            if hint.is_empty() && step_hint.is_empty() {
                "; give it a value with"
            } else {
                " Or give it a value with"
            },
            names.join(", ")
        ),
        span,
    )
}

/// Every name a statement list assigns, anywhere (Python's rule for what is local).
fn assigned(body: &[Stmt], out: &mut BTreeSet<String>) {
    for s in body {
        match s {
            Stmt::Assign(n, ..) => {
                out.insert(n.clone());
            }
            Stmt::If(branches, otherwise) => {
                for (_, b) in branches {
                    assigned(b, out);
                }
                assigned(otherwise, out);
            }
            Stmt::Return(..) | Stmt::Expr(_) => {}
        }
    }
}

fn height<'n>(root: &'n Node) -> usize {
    // Iterative, so that measuring cannot overflow the stack either.
    let mut max = 0;
    let mut stack: Vec<(&'n Node, usize)> = vec![(root, 1usize)];
    while let Some((n, h)) = stack.pop() {
        max = max.max(h);
        let mut push = |c: &'n Node| stack.push((c, h + 1));
        match &n.kind {
            Kind::Const(_) | Kind::Param | Kind::Local(_) | Kind::Unbound(_) | Kind::FellOff => {}
            Kind::Let(_, a, b) | Kind::Binary(_, a, b) | Kind::And(a, b) | Kind::Or(a, b) => {
                push(a);
                push(b);
            }
            Kind::Neg(a) | Kind::Pos(a) | Kind::Not(a) => push(a),
            Kind::Compare(first, rest) => {
                push(first);
                for (_, r) in rest {
                    push(r);
                }
            }
            Kind::If(c, a, b) => {
                push(c);
                push(a);
                push(b);
            }
            Kind::Call(_, args) => {
                for a in args {
                    push(a);
                }
            }
        }
    }
    max
}

/// What a name means at one point of one path.
#[derive(Clone, Debug, Default)]
struct Env {
    /// The step's name, for an expression or a lambda.
    step: Option<String>,
    /// The locals bound on this path, latest last.
    bound: Vec<(String, usize)>,
}

impl Env {
    fn step(name: &str) -> Self {
        Env {
            step: Some(name.to_string()),
            bound: Vec::new(),
        }
    }
}

struct Lowerer<'a> {
    globals: &'a Globals,
    locals: BTreeSet<String>,
    bindings: usize,
    nodes: usize,
    unbound: Vec<(String, Range<usize>)>,
    used: Vec<String>,
}

impl Lowerer<'_> {
    fn bind(&mut self) -> usize {
        self.bindings += 1;
        self.bindings - 1
    }

    fn node(&mut self, kind: Kind, span: Range<usize>) -> Result<Node, Refusal> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Refusal::new(
                format!(
                    "the def is too large to unfold (more than {MAX_NODES} nodes: each if \
                     followed by more statements copies them into both branches)"
                ),
                span,
            ));
        }
        Ok(Node { kind, span })
    }

    /// The statements of `rest` in order (each a slice still to run), as one tree.
    fn block(
        &mut self,
        rest: &[&[Stmt]],
        env: &Env,
        header: &Range<usize>,
    ) -> Result<Node, Refusal> {
        let Some((first, later)) = rest.split_first() else {
            return self.node(Kind::FellOff, header.clone());
        };
        let Some((stmt, after)) = first.split_first() else {
            return self.block(later, env, header);
        };
        let mut next: Vec<&[Stmt]> = Vec::with_capacity(rest.len() + 1);
        next.push(after);
        next.extend_from_slice(later);
        match stmt {
            Stmt::Return(value, span) => match value {
                Some(v) => self.expr(v, env),
                None => self.node(Kind::Const(Value::None), span.clone()),
            },
            Stmt::Expr(e) => {
                if matches!(e.kind, ExprKind::Str) {
                    return self.block(&next, env, header);
                }
                // Evaluated for its exceptions, its value dropped.
                let value = self.expr(e, env)?;
                let id = self.bind();
                let body = self.block(&next, env, header)?;
                self.node(
                    Kind::Let(id, Box::new(value), Box::new(body)),
                    e.span.clone(),
                )
            }
            Stmt::Assign(name, span, aug, value) => {
                let value = self.expr(value, env)?;
                let value = match aug {
                    Some(op) => {
                        let current = self.name(name, span.clone(), env)?;
                        let whole = span.start..value.span.end;
                        self.node(Kind::Binary(*op, Box::new(current), Box::new(value)), whole)?
                    }
                    None => value,
                };
                let id = self.bind();
                let mut inner = env.clone();
                inner.bound.push((name.clone(), id));
                let body = self.block(&next, &inner, header)?;
                self.node(Kind::Let(id, Box::new(value), Box::new(body)), span.clone())
            }
            Stmt::If(branches, otherwise) => self.branches(branches, otherwise, &next, env, header),
        }
    }

    fn branches(
        &mut self,
        branches: &[(Expr, Vec<Stmt>)],
        otherwise: &[Stmt],
        next: &[&[Stmt]],
        env: &Env,
        header: &Range<usize>,
    ) -> Result<Node, Refusal> {
        let Some(((condition, body), more)) = branches.split_first() else {
            let mut rest: Vec<&[Stmt]> = vec![otherwise];
            rest.extend_from_slice(next);
            return self.block(&rest, env, header);
        };
        let c = self.expr(condition, env)?;
        let mut rest: Vec<&[Stmt]> = vec![body];
        rest.extend_from_slice(next);
        let then = self.block(&rest, env, header)?;
        let other = self.branches(more, otherwise, next, env, header)?;
        let span = condition.span.clone();
        self.node(Kind::If(Box::new(c), Box::new(then), Box::new(other)), span)
    }

    fn name(&mut self, name: &str, span: Range<usize>, env: &Env) -> Result<Node, Refusal> {
        if !self.used.iter().any(|u| u == name) {
            self.used.push(name.to_string());
        }
        if let Some((_, id)) = env.bound.iter().rev().find(|(n, _)| n == name) {
            return self.node(Kind::Local(*id), span);
        }
        if self.locals.contains(name) {
            return self.node(Kind::Unbound(name.to_string()), span);
        }
        if env.step.as_deref() == Some(name) {
            return self.node(Kind::Param, span);
        }
        if let Some(v) = self.globals.get(name) {
            return self.node(Kind::Const(v), span);
        }
        self.unbound.push((name.to_string(), span.clone()));
        self.node(Kind::Const(Value::None), span)
    }

    fn expr(&mut self, e: &Expr, env: &Env) -> Result<Node, Refusal> {
        let span = e.span.clone();
        let kind = match &e.kind {
            ExprKind::Const(v) => Kind::Const(v.clone()),
            ExprKind::Name(n) => return self.name(n, span, env),
            ExprKind::Neg(a) => Kind::Neg(Box::new(self.expr(a, env)?)),
            ExprKind::Pos(a) => Kind::Pos(Box::new(self.expr(a, env)?)),
            ExprKind::Not(a) => Kind::Not(Box::new(self.expr(a, env)?)),
            ExprKind::Binary(op, a, b) => Kind::Binary(
                *op,
                Box::new(self.expr(a, env)?),
                Box::new(self.expr(b, env)?),
            ),
            ExprKind::And(a, b) => {
                Kind::And(Box::new(self.expr(a, env)?), Box::new(self.expr(b, env)?))
            }
            ExprKind::Or(a, b) => {
                Kind::Or(Box::new(self.expr(a, env)?), Box::new(self.expr(b, env)?))
            }
            ExprKind::Compare(first, rest) => {
                let first = self.expr(first, env)?;
                let mut out = Vec::with_capacity(rest.len());
                for (op, r) in rest {
                    out.push((*op, self.expr(r, env)?));
                }
                Kind::Compare(Box::new(first), out)
            }
            ExprKind::If(c, a, b) => Kind::If(
                Box::new(self.expr(c, env)?),
                Box::new(self.expr(a, env)?),
                Box::new(self.expr(b, env)?),
            ),
            ExprKind::Call(f, args) => {
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    out.push(self.expr(a, env)?);
                }
                Kind::Call(*f, out)
            }
            ExprKind::Str => {
                return Err(Refusal::new(
                    format!("strings are not supported; {}", super::parse::SUPPORTED),
                    span,
                ));
            }
        };
        self.node(kind, span)
    }
}
