//! Tests of the whole expression pipeline: values against CPython, every error message as
//! rendered, nesting limits, and properties over generated expressions.

use super::*;

const VARIABLES: [&str; 4] = ["step", "steps", "warmup", "base_lr"];
const VALUES: [f64; 4] = [1234.0, 10000.0, 100.0, 0.1];

fn eval(source: &str) -> f64 {
    match compile(source, &VARIABLES) {
        Ok(program) => program.eval(&VALUES),
        Err(e) => panic!("{source}: {e}"),
    }
}

fn interpret(source: &str) -> f64 {
    let named: Vec<(&str, f64)> = VARIABLES.iter().copied().zip(VALUES).collect();
    match parse(source) {
        Ok(ast) => ast.interpret(&named),
        Err(e) => panic!("{source}: {e}"),
    }
}

fn error(source: &str) -> String {
    match compile(source, &VARIABLES) {
        Ok(p) => panic!("{source} compiled to {p:?}"),
        Err(e) => e.to_string(),
    }
}

/// Values printed by CPython 3.11 for the same text (with `**` for `^`, `a if c else b`
/// for `if(c, a, b)`, `math.log` for `ln`), with step=1234, steps=10000, warmup=100,
/// base_lr=0.1. Kept as CPython printed them, even where they equal a `std` constant.
#[allow(clippy::approx_constant)]
const PYTHON: &[(&str, f64)] = &[
    ("-2^2", -4.0),
    ("2**3**2", 512.0),
    ("2^3^2", 512.0),
    ("2^-1", 0.5),
    ("7 % -3", -2.0),
    ("-7 % 3", 2.0),
    ("0.1*3/7", 0.042857142857142864),
    ("min(1, 2, 0.5)", 0.5),
    ("max(1, 2, 0.5)", 2.0),
    ("if(step < 5, step/5, 1)", 1.0),
    ("-2^-2^2", -0.0625),
    ("2*-3", -6.0),
    ("--3", 3.0),
    ("+-+3", -3.0),
    ("1 - 2 - 3", -4.0),
    ("2/3/4", 0.16666666666666666),
    ("2*3%4", 2.0),
    ("2%3*4", 8.0),
    ("1 + 2 * 3 ^ 2", 19.0),
    ("(1 + 2) * 3", 9.0),
    ("-(2)^2", -4.0),
    ("(-2)^2", 4.0),
    ("pi*step/steps", 0.3876725334529805),
    ("0.5*(1+cos(pi*step/steps))", 0.9628957148573097),
    ("e^2", 7.3890560989306495),
    ("exp(2)", 7.38905609893065),
    ("ln(10)", 2.302585092994046),
    ("log10(2)", 0.3010299956639812),
    ("sqrt(2)", 1.4142135623730951),
    ("sin(1)", 0.8414709848078965),
    ("tan(1)", 1.5574077246549023),
    ("abs(-2.5)", 2.5),
    ("floor(-2.5)", -3.0),
    ("ceil(2.1)", 3.0),
    ("round(2.5)", 2.0),
    ("round(3.5)", 4.0),
    ("round(-0.5)", 0.0),
    ("1 < 2 < 3", 1.0),
    ("3 > 2 > 2", 0.0),
    ("1 + 1 == 2", 1.0),
    ("1 != 1", 0.0),
    ("(1 < 2) * 5", 5.0),
    ("2 <= 2", 1.0),
    ("2 >= 3", 0.0),
    ("1 < 2 > 0 == 0", 1.0),
    ("1e-3 * 3e2", 0.3),
    (".5 + 3.", 3.5),
    ("1E+3", 1000.0),
    ("step % 7", 2.0),
    ("-step % 7", 5.0),
    ("5.5 % 0.1", 0.0999999999999997),
    ("sqrt(warmup/max(step, warmup))", 0.284670471154786),
    ("min(1, step/2000)", 0.617),
    ("ln(1+step)/ln(1+steps)", 0.7729083480727158),
    ("base_lr * 0.5 ^ floor(step / 300)", 0.00625),
    ("0.1 + 0.2", 0.30000000000000004),
    ("1 - 0.9", 0.09999999999999998),
    ("2 ^ 0.5", 1.4142135623730951),
    ("10 ^ -3", 0.001),
    ("(step - warmup) / (steps - warmup)", 0.11454545454545455),
    ("if(0, 1, 2)", 2.0),
    ("if(-0.5, 1, 2)", 1.0),
    ("1/3 + 1/3 + 1/3 - 1", 0.0),
    ("3 * 0.1 / 7 * 13", 0.5571428571428573),
    ("(-8) ^ 3", -512.0),
    ("(-2.5) ^ 3", -15.625),
    ("0 ^ 0", 1.0),
    // Left to right, never reassociated: pi*(3/10000) would be ...378.
    ("pi*3/steps", 0.0009424777960769379),
];

#[test]
fn values_match_python_bit_for_bit() {
    for &(source, want) in PYTHON {
        let got = eval(source);
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "{source}: {got:?} != {want:?}"
        );
        let reference = interpret(source);
        assert_eq!(reference.to_bits(), want.to_bits(), "interpret {source}");
    }
}

#[test]
fn where_python_raises_the_ieee_result_is_given() {
    let bits = |s| eval(s).to_bits();
    assert_eq!(bits("1/0"), f64::INFINITY.to_bits());
    assert_eq!(bits("-1/0"), f64::NEG_INFINITY.to_bits());
    assert_eq!(bits("ln(0)"), f64::NEG_INFINITY.to_bits());
    assert_eq!(bits("0^-1"), f64::INFINITY.to_bits());
    assert_eq!(bits("exp(1000)"), f64::INFINITY.to_bits());
    for nan in [
        "0/0",
        "sqrt(-1)",
        "ln(-1)",
        "log10(-1)",
        "(-8)^(1/3)",
        "7 % 0",
    ] {
        assert!(eval(nan).is_nan(), "{nan}");
    }
}

#[test]
fn nan_follows_python_min_max_comparisons_and_truth() {
    assert!(eval("min(0/0, 1)").is_nan());
    assert_eq!(eval("min(1, 0/0)"), 1.0);
    assert!(eval("max(0/0, 1, 2)").is_nan());
    assert_eq!(eval("max(1, 0/0, 2)"), 2.0);
    assert_eq!(eval("if(0/0, 1, 2)"), 1.0);
    assert_eq!(eval("0/0 == 0/0"), 0.0);
    assert_eq!(eval("0/0 != 0/0"), 1.0);
    assert_eq!(eval("0/0 < 1"), 0.0);
}

#[test]
fn signed_zeros_come_out_as_python_gives_them() {
    let bits = |s| eval(s).to_bits();
    assert_eq!(bits("-0"), (-0.0f64).to_bits());
    assert_eq!(bits("ceil(-0.5)"), 0.0f64.to_bits());
    assert_eq!(bits("round(-0.4)"), 0.0f64.to_bits());
    assert_eq!(bits("floor(-0)"), 0.0f64.to_bits());
    assert_eq!(bits("min(0, -0)"), 0.0f64.to_bits());
    assert_eq!(bits("min(-0, 0)"), (-0.0f64).to_bits());
    assert_eq!(bits("6 % -3"), (-0.0f64).to_bits());
    assert_eq!(bits("signum(-0)"), 0.0f64.to_bits());
    assert_eq!(eval("signum(-3) + signum(2)"), 0.0);
}

#[test]
fn variables_are_slots_and_missing_values_are_nan() {
    let program = compile("a - b", &["a", "b"]).unwrap();
    assert_eq!(program.eval(&[5.0, 3.0]), 2.0);
    assert!(program.eval(&[5.0]).is_nan());
    assert!(program.eval(&[]).is_nan());
    assert!(compile("b", &["a", "b"]).unwrap().eval(&[1.0]).is_nan());
    // A variable wins over a constant of the same name.
    assert_eq!(compile("e", &["e"]).unwrap().eval(&[5.0]), 5.0);
    assert_eq!(compile("e", &[]).unwrap().eval(&[]), std::f64::consts::E);
}

#[test]
fn constant_subtrees_are_folded() {
    let constant = |s: &str| compile(s, &VARIABLES).unwrap().as_constant();
    assert_eq!(constant("2*pi/3"), Some(2.0 * std::f64::consts::PI / 3.0));
    assert_eq!(constant("if(1 < 2, 3, step)"), Some(3.0));
    assert_eq!(constant("min(1, 2, 0.5)"), Some(0.5));
    assert_eq!(constant("1 < 2 < 3"), Some(1.0));
    assert_eq!(constant("step * 2"), None);
    assert_eq!(constant("min(1, 2, step)"), None);
    assert_eq!(constant("if(step, 1, 2)"), None);
}

#[test]
fn program_is_shareable_between_threads() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Program>();
    let p = compile("step / 2", &VARIABLES).unwrap();
    assert_eq!(format!("{p:?}"), r#"Program { source: "step / 2", .. }"#);
}

/// (source, the full rendered error).
const ERRORS: &[(&str, &str)] = &[
    ("", "empty expression\n\n  ^"),
    ("   ", "empty expression\n\n  ^^^"),
    ("1 # 2", "unexpected character '#'\n  1 # 2\n    ^"),
    (
        "x = 1",
        "unexpected character '='; did you mean '=='?\n  x = 1\n    ^",
    ),
    (
        "step ! 2",
        "unexpected character '!'; did you mean '!='?\n  step ! 2\n       ^",
    ),
    (
        "1 && 2",
        "unexpected character '&'; there are no logical operators (use if(condition, a, b) or min/max)\n  1 && 2\n    ^",
    ),
    ("é + 1", "unexpected character 'é'\n  é + 1\n  ^"),
    (
        "min(1, step/",
        "expected an expression after '/'\n  min(1, step/\n              ^",
    ),
    (
        "step **",
        "expected an expression after '**'\n  step **\n         ^",
    ),
    (
        "1 +* 2",
        "expected an expression after '+', found '*'\n  1 +* 2\n     ^",
    ),
    (
        "min(,1)",
        "expected an expression after '(', found ','\n  min(,1)\n      ^",
    ),
    (")", "expected an expression, found ')'\n  )\n  ^"),
    (
        "(1 + 2",
        "unclosed parenthesis: this '(' has no matching ')'\n  (1 + 2\n  ^",
    ),
    (
        "min(1, (2 + 3)",
        "unclosed parenthesis: this '(' has no matching ')'\n  min(1, (2 + 3)\n     ^",
    ),
    (
        "1 + 2)",
        "unmatched ')': no '(' is open here\n  1 + 2)\n       ^",
    ),
    (
        "min(1, stpe/2000)",
        "unknown variable 'stpe'; did you mean 'step'? (variables: step, steps, warmup, base_lr)\n  min(1, stpe/2000)\n         ^^^^",
    ),
    (
        "PI/2",
        "unknown variable 'PI'; did you mean 'pi'? (variables: step, steps, warmup, base_lr)\n  PI/2\n  ^^",
    ),
    (
        "foo",
        "unknown variable 'foo' (variables: step, steps, warmup, base_lr)\n  foo\n  ^^^",
    ),
    (
        "cos * 2",
        "'cos' is a function; call it as cos(x)\n  cos * 2\n  ^^^",
    ),
    (
        "coss(step)",
        "unknown function 'coss'; did you mean 'cos'? (functions: min, max, if, cos, sin, tan, exp, ln, log10, sqrt, abs, floor, ceil, round, signum)\n  coss(step)\n  ^^^^",
    ),
    (
        "log(step)",
        "unknown function 'log'; use ln for the natural logarithm, or log10 (functions: min, max, if, cos, sin, tan, exp, ln, log10, sqrt, abs, floor, ceil, round, signum)\n  log(step)\n  ^^^",
    ),
    (
        "pow(2, 3)",
        "unknown function 'pow'; use a ^ b or a ** b for powers (functions: min, max, if, cos, sin, tan, exp, ln, log10, sqrt, abs, floor, ceil, round, signum)\n  pow(2, 3)\n  ^^^",
    ),
    (
        "1 + min(1)",
        "'min' takes at least 2 arguments, got 1; use min(a, b, ...)\n  1 + min(1)\n      ^^^^^^",
    ),
    (
        "max()",
        "'max' takes at least 2 arguments, got 0; use max(a, b, ...)\n  max()\n  ^^^^^",
    ),
    (
        "cos(1, 2)",
        "'cos' takes exactly 1 argument, got 2; use cos(x)\n  cos(1, 2)\n  ^^^^^^^^^",
    ),
    (
        "if(step < 5, 1)",
        "'if' takes exactly 3 arguments, got 2; use if(condition, then, otherwise)\n  if(step < 5, 1)\n  ^^^^^^^^^^^^^^^",
    ),
    (
        "step(2)",
        "'step' is a variable, not a function; use '*' to multiply\n  step(2)\n  ^^^^",
    ),
    (
        "2*pi(2)",
        "'pi' is a constant, not a function; use '*' to multiply\n  2*pi(2)\n    ^^",
    ),
    (
        "1e",
        "invalid number '1e': the exponent has no digits (as in 1e-3)\n  1e\n  ^^",
    ),
    (
        "3 * 2E+",
        "invalid number '2E+': the exponent has no digits (as in 1e-3)\n  3 * 2E+\n      ^^^",
    ),
    (
        "2 pi",
        "unexpected 'pi' after '2'; is an operator such as '*' missing?\n  2 pi\n    ^^",
    ),
    (
        "2(step)",
        "unexpected '(' after '2'; is an operator such as '*' missing?\n  2(step)\n   ^",
    ),
    (
        "min(1 2)",
        "unexpected '2' after '1'; is a ',' or an operator missing?\n  min(1 2)\n        ^",
    ),
    (
        "(1, 2)",
        "unexpected ',' outside a function call\n  (1, 2)\n    ^",
    ),
    // The first problem in the source wins: the ')' comes before the '#'.
    (
        "1 + ) #",
        "expected an expression after '+', found ')'\n  1 + ) #\n      ^",
    ),
    // Control characters are echoed as spaces so the caret stays aligned.
    (
        "1 +\t\n*",
        "expected an expression after '+', found '*'\n  1 +  *\n       ^",
    ),
];

#[test]
fn every_error_message_renders_exactly() {
    for &(source, want) in ERRORS {
        assert_eq!(error(source), want, "for {source:?}");
    }
}

#[test]
fn error_spans_are_byte_offsets() {
    // A no-break space is two bytes and one column.
    let source = "1 +\u{a0}stpe";
    let e = compile(source, &VARIABLES).unwrap_err();
    assert_eq!(e.span, 5..9);
    assert_eq!(e.source, source);
    assert_eq!(
        e.to_string(),
        "unknown variable 'stpe'; did you mean 'step'? (variables: step, steps, warmup, base_lr)\n  1 +\u{a0}stpe\n      ^^^^"
    );
}

#[test]
fn did_you_mean_covers_variables_and_constants_only_when_close() {
    let message = |s| compile(s, &VARIABLES).unwrap_err().message;
    assert!(message("warmpu").contains("did you mean 'warmup'?"));
    assert!(message("base_rl").contains("did you mean 'base_lr'?"));
    assert!(message("stepz").contains("did you mean 'step"));
    assert!(!message("xyz").contains("did you mean"));
    assert!(message("sqr(2)").contains("did you mean 'sqrt'?"));
    assert_eq!(
        compile("x", &[]).unwrap_err().message,
        "unknown variable 'x' (there are no variables)"
    );
}

#[test]
fn parse_alone_checks_functions_but_not_variables() {
    assert!(parse("anything * cos(1)").is_ok());
    assert!(parse("coss(1)").is_err());
    assert!(parse("cos(1, 2)").is_err());
    let ast = parse("-2^2").unwrap();
    assert_eq!(
        ast,
        Ast::Neg(Box::new(Ast::Binary(
            BinOp::Pow,
            Box::new(Ast::Number(2.0)),
            Box::new(Ast::Number(2.0))
        )))
    );
    assert!(ast.interpret(&[]).to_bits() == (-4.0f64).to_bits());
    assert!(parse("nothing").unwrap().interpret(&[]).is_nan());
}

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn trees_up_to_the_limit_compile_and_evaluate() {
    // The tallest accepted tree of each shape must also compile, evaluate, interpret and
    // drop within a test thread's stack.
    let n = MAX_DEPTH;
    let named: Vec<(&str, f64)> = VARIABLES.iter().copied().zip(VALUES).collect();
    for source in [
        nested("cos(", "step", ")", n),
        nested("-", "step", "", n),
        format!("2{}", "^2".repeat(n)),
        format!("step{}", "+1".repeat(n)),
        nested("min(1, ", "step", ")", n),
        nested("max(step, 1, ", "step", ")", n),
        nested("if(step, ", "step", ", 1)", n),
        nested("(1 < ", "step", ")", n),
        nested("(0 < ", "step", " < 2)", n),
        nested("-(", "step", ")", n),
    ] {
        let program = compile(&source, &VARIABLES);
        assert!(program.is_ok(), "{}...: {:?}", &source[..20], program.err());
        if let Ok(p) = program {
            let compiled = p.eval(&VALUES);
            let reference = parse(&source).unwrap().interpret(&named);
            assert_eq!(
                compiled.to_bits(),
                reference.to_bits(),
                "{}...",
                &source[..20]
            );
        }
    }
    // Parentheses alone add no height, and cost no stack in the parser.
    assert_eq!(eval(&nested("(", "step", ")", 100_000)), 1234.0);
}

#[test]
fn taller_trees_are_an_error_not_a_stack_overflow() {
    let message = format!("expression nested too deeply (more than {MAX_DEPTH} levels)");
    let n = MAX_DEPTH + 1;
    for source in [
        nested("cos(", "1", ")", n),
        nested("cos(", "1", ")", 100_000),
        "-".repeat(n) + "1",
        "-".repeat(100_000) + "1",
        "2^".repeat(100_000) + "2",
        format!("1{}", "+1".repeat(n)),
        format!("1{}", "*1".repeat(100_000)),
        nested("min(1, ", "1", ")", 100_000),
        nested("(1 < ", "1", ")", n),
    ] {
        let e = compile(&source, &VARIABLES).unwrap_err();
        assert_eq!(e.message, message, "{}...", &source[..20]);
    }
    // A long comparison chain is one level, not one per link.
    assert_eq!(eval(&format!("1{}", "<2".repeat(1000))), 0.0);
    assert_eq!(eval(&format!("1{}", "<=1".repeat(1000))), 1.0);
    // The error points at the operator that went one level too far.
    let e = compile(&format!("1{}", "+1".repeat(n)), &VARIABLES).unwrap_err();
    assert_eq!(e.span, 2 * MAX_DEPTH + 1..2 * MAX_DEPTH + 2);
}

mod properties {
    use super::super::ast::FUNCTION_NAMES;
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 6] = ["step", "steps", "warmup", "base_lr", "pi", "e"];

    fn leaf() -> impl Strategy<Value = Ast> {
        prop_oneof![
            prop::sample::select(vec![0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 0.1, 1e-3, 1e300, 10.0])
                .prop_map(Ast::Number),
            (0.0..1e6f64).prop_map(Ast::Number),
            prop::sample::select(NAMES.to_vec()).prop_map(|n| Ast::Name(n.to_string(), 0..0)),
        ]
    }

    fn tree() -> impl Strategy<Value = Ast> {
        leaf().prop_recursive(6, 48, 4, |inner| {
            let binop = prop::sample::select(vec![
                BinOp::Add,
                BinOp::Sub,
                BinOp::Mul,
                BinOp::Div,
                BinOp::Rem,
                BinOp::Pow,
            ]);
            let cmpop = prop::sample::select(vec![
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
                CmpOp::Eq,
                CmpOp::Ne,
            ]);
            prop_oneof![
                inner.clone().prop_map(|a| Ast::Neg(Box::new(a))),
                (binop, inner.clone(), inner.clone()).prop_map(|(op, a, b)| Ast::Binary(
                    op,
                    Box::new(a),
                    Box::new(b)
                )),
                (
                    inner.clone(),
                    prop::collection::vec((cmpop, inner.clone()), 1..3)
                )
                    .prop_map(|(a, rest)| Ast::Compare(Box::new(a), rest)),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Ast::Min),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Ast::Max),
                (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| Ast::If(
                    Box::new(c),
                    Box::new(a),
                    Box::new(b)
                )),
                (prop::sample::select(Function::ALL.to_vec()), inner)
                    .prop_map(|(f, a)| Ast::Call(f, Box::new(a))),
            ]
        })
    }

    /// Python's precedence levels, loosest first.
    fn level(ast: &Ast) -> u8 {
        match ast {
            Ast::Compare(..) => 1,
            Ast::Binary(BinOp::Add | BinOp::Sub, ..) => 2,
            Ast::Binary(BinOp::Mul | BinOp::Div | BinOp::Rem, ..) => 3,
            Ast::Neg(_) => 4,
            Ast::Binary(BinOp::Pow, ..) => 5,
            _ => 6,
        }
    }

    /// Renders with the fewest parentheses the grammar needs, so that parsing the text
    /// exercises precedence and associativity; `^` and `**` alternate.
    fn render(ast: &Ast) -> String {
        let at_least = |a: &Ast, min: u8| {
            if level(a) >= min {
                render(a)
            } else {
                format!("({})", render(a))
            }
        };
        let list = |args: &[Ast]| args.iter().map(render).collect::<Vec<_>>().join(", ");
        match ast {
            Ast::Number(v) => format!("{v:?}"),
            Ast::Name(n, _) => n.clone(),
            Ast::Neg(a) => format!("-{}", at_least(a, 4)),
            Ast::Binary(op, a, b) => {
                let (symbol, left, right) = match op {
                    BinOp::Add => (" + ", 2, 3),
                    BinOp::Sub => (" - ", 2, 3),
                    BinOp::Mul => ("*", 3, 4),
                    BinOp::Div => ("/", 3, 4),
                    BinOp::Rem => (" % ", 3, 4),
                    BinOp::Pow if matches!(**a, Ast::Number(_)) => ("**", 6, 4),
                    BinOp::Pow => ("^", 6, 4),
                };
                format!("{}{symbol}{}", at_least(a, left), at_least(b, right))
            }
            Ast::Compare(first, rest) => {
                let mut text = at_least(first, 2);
                for (op, operand) in rest {
                    let symbol = match op {
                        CmpOp::Lt => " < ",
                        CmpOp::Le => " <= ",
                        CmpOp::Gt => " > ",
                        CmpOp::Ge => " >= ",
                        CmpOp::Eq => " == ",
                        CmpOp::Ne => " != ",
                    };
                    text += symbol;
                    text += &at_least(operand, 2);
                }
                text
            }
            Ast::Min(args) => format!("min({})", list(args)),
            Ast::Max(args) => format!("max({})", list(args)),
            Ast::If(c, a, b) => format!("if({}, {}, {})", render(c), render(a), render(b)),
            Ast::Call(f, a) => format!("{}({})", f.name(), render(a)),
        }
    }

    /// The tree without name spans, for comparing a parse with the generated tree.
    fn unspanned(ast: &Ast) -> Ast {
        let all = |args: &[Ast]| args.iter().map(unspanned).collect();
        let boxed = |a: &Ast| Box::new(unspanned(a));
        match ast {
            Ast::Number(v) => Ast::Number(*v),
            Ast::Name(n, _) => Ast::Name(n.clone(), 0..0),
            Ast::Neg(a) => Ast::Neg(boxed(a)),
            Ast::Binary(op, a, b) => Ast::Binary(*op, boxed(a), boxed(b)),
            Ast::Compare(a, rest) => Ast::Compare(
                boxed(a),
                rest.iter().map(|(op, b)| (*op, unspanned(b))).collect(),
            ),
            Ast::Min(args) => Ast::Min(all(args)),
            Ast::Max(args) => Ast::Max(all(args)),
            Ast::If(c, a, b) => Ast::If(boxed(c), boxed(a), boxed(b)),
            Ast::Call(f, a) => Ast::Call(*f, boxed(a)),
        }
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u32..20000).prop_map(f64::from),
            -1e4..1e4f64,
            any::<f64>(),
            prop::sample::select(vec![0.0, -0.0, 1.0, f64::NAN, f64::INFINITY]),
        ]
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// Checks an error's invariants: a span on char boundaries inside the source, a
    /// one-line message, and a three-line rendering.
    fn well_formed(source: &str, e: &ExprError) -> Result<(), TestCaseError> {
        prop_assert_eq!(&e.source, source);
        prop_assert!(e.span.start <= e.span.end && e.span.end <= source.len());
        prop_assert!(source.is_char_boundary(e.span.start));
        prop_assert!(source.is_char_boundary(e.span.end));
        prop_assert!(!e.message.contains('\n'));
        prop_assert_eq!(e.to_string().lines().count(), 3);
        Ok(())
    }

    fn token() -> impl Strategy<Value = String> {
        let fixed: Vec<String> = [
            "(", ")", ",", "+", "-", "*", "/", "%", "^", "**", "<", "<=", ">", ">=", "==", "!=",
            "=", "!", " ", "1", "2.5", ".5", "3e-4", "1e", "1E+", "pi", "e", "step", "stpe", "é",
            "#",
        ]
        .iter()
        .chain(FUNCTION_NAMES.iter())
        .map(|s| s.to_string())
        .collect();
        prop_oneof![
            prop::sample::select(fixed),
            "[a-z_]{1,4}",
            "[0-9.eE+-]{1,5}"
        ]
    }

    proptest! {
        #[test]
        fn compiled_programs_agree_with_the_interpreter(
            ast in tree(),
            values in prop::array::uniform4(value()),
        ) {
            let source = render(&ast);
            let program = compile(&source, &VARIABLES);
            prop_assert!(program.is_ok(), "{}: {:?}", source, program.err());
            let named: Vec<(&str, f64)> = VARIABLES.iter().copied().zip(values).collect();
            if let Ok(program) = program {
                let (got, want) = (program.eval(&values), ast.interpret(&named));
                prop_assert!(same(got, want), "{}: compiled {:?}, interpreted {:?}", source, got, want);
            }
        }

        #[test]
        fn rendered_trees_parse_back_to_themselves(ast in tree()) {
            let source = render(&ast);
            let parsed = parse(&source);
            prop_assert!(parsed.is_ok(), "{}: {:?}", source, parsed.err());
            if let Ok(parsed) = parsed {
                prop_assert_eq!(unspanned(&parsed), ast, "{}", source);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(source in any::<String>()) {
            match compile(&source, &VARIABLES) {
                Ok(program) => { program.eval(&VALUES); }
                Err(e) => well_formed(&source, &e)?,
            }
        }

        #[test]
        fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..24)) {
            let source = tokens.concat();
            match compile(&source, &VARIABLES) {
                Ok(program) => { program.eval(&VALUES); program.eval(&[]); }
                Err(e) => well_formed(&source, &e)?,
            }
        }
    }
}
