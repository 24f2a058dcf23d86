//! Unit tests of the pasted-Python subset: parsing, lowering, exact values and exceptions.

use super::*;

fn globals() -> Globals {
    Globals {
        vars: vec![("warmup_steps".into(), Value::Int(2000))],
        builtin: vec![
            ("steps", Value::Int(3000)),
            ("warmup", Value::Int(0)),
            ("base_lr", Value::Float(0.1)),
        ],
    }
}

fn value(source: &str, step: u64) -> Value {
    match compile(source, &globals()) {
        Ok(f) => match f.call(step) {
            Ok(v) => v,
            Err(e) => panic!("{source} at {step}: {e:?}"),
        },
        Err(e) => panic!("{source}: {e}"),
    }
}

#[test]
fn the_tutorial_forms_parse() {
    let def = "def warmup_lambda(current_step):\n    if current_step < warmup_steps:\n        return float(current_step) / float(max(1, warmup_steps))\n    return 1.0\n";
    assert_eq!(value(def, 1000), Value::Float(0.5));
    assert_eq!(value(def, 2500), Value::Float(1.0));
    let folded = "def warmup_lambda(current_step): if current_step < warmup_steps: return float(current_step) / float(max(1, warmup_steps)) return 1.0";
    assert_eq!(value(folded, 1000), Value::Float(0.5));
    assert_eq!(value(folded, 2500), Value::Float(1.0));
    assert_eq!(
        value("lambda step: min(1.0, step / 2000)", 1000),
        Value::Float(0.5)
    );
    assert_eq!(value("step // 2", 7), Value::Int(3));
}

fn error(source: &str, step: u64) -> String {
    match compile(source, &globals()) {
        Ok(f) => f.error(step).unwrap_or_else(|| "no error".into()),
        Err(e) => panic!("{source}: {e}"),
    }
}

fn refusal(source: &str) -> String {
    match compile(source, &globals()) {
        Ok(f) => format!("accepted: {f:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_branch_that_never_assigns_is_unbound_there_only() {
    let source = "def f(step):\n    if step < 2:\n        x = 0.5\n    return x\n";
    assert_eq!(value(source, 1), Value::Float(0.5));
    assert_eq!(
        error(source, 2),
        "at step 2, the function raises UnboundLocalError: cannot access local variable 'x' \
         where it is not associated with a value\n  line 4:     return x\n                     \
         ^\n(a training run with this lr_lambda stops there)"
    );
}

#[test]
fn falling_off_the_end_says_it_returns_none() {
    let source = "def f(step):\n    if step < 2:\n        return 1.0\n";
    assert_eq!(value(source, 1), Value::Float(1.0));
    let message = error(source, 2);
    assert!(
        message.starts_with(
            "at step 2, the def reaches its end without a return, so it returns None, and \
             LambdaLR raises TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'"
        ),
        "{message}"
    );
    // An explicit `return None` is not falling off.
    let message = error("lambda s: None", 0);
    assert!(
        message.starts_with("at step 0, the function returns None"),
        "{message}"
    );
}

#[test]
fn complex_results_and_math_errors_name_the_exception() {
    assert!(error("lambda s: (s - 3) ** 0.5", 1).contains("complex number"));
    assert!(error("lambda s: math.log(s)", 0).contains("ValueError: math domain error"));
    assert!(error("lambda s: math.exp(s)", 710).contains("OverflowError: math range error"));
    assert_eq!(error("lambda s: math.exp(s)", 709), "no error");
}

#[test]
fn folded_and_unindented_defs_read_as_written() {
    let folded = "def f(s): if s < 2: return 0.25 elif s < 4: return 0.5 else: x = 1 return x";
    let unindented =
        "def f(s):\nif s < 2:\nreturn 0.25\nelif s < 4:\nreturn 0.5\nelse:\nx = 1\nreturn x\n";
    let joined = "def f(s):\n    if s < 2: return 0.25\n    elif s < 4: return 0.5\n    else: x = 1; return x\n";
    for source in [folded, unindented, joined] {
        let got: Vec<Value> = (0..6).map(|s| value(source, s)).collect();
        assert_eq!(
            got,
            [0.25, 0.25, 0.5, 0.5]
                .map(Value::Float)
                .into_iter()
                .chain([Value::Int(1), Value::Int(1)])
                .collect::<Vec<_>>(),
            "{source}"
        );
    }
}

#[test]
fn refusals_point_at_the_construct() {
    assert!(refusal("lambda: 1").contains("a lambda without a parameter is not supported"));
    assert!(refusal("while True: pass").starts_with("loops ('while') are not supported"));
    assert!(refusal("lambda s: s[0]").starts_with("subscripts ('x[i]') are not supported"));
    assert!(
        refusal("lambda s: math.cosh2(s)")
            .starts_with("math.cosh2 is not supported; did you mean 'cosh'?")
    );
    assert!(refusal("lambda s: round(s, 2)").starts_with("round(x, ndigits) is not supported"));
    assert!(
        refusal("def f(s):\n    import math\n    return 1").starts_with("imports are not needed")
    );
    assert!(refusal("def f(s): return 1\ndef g(s): return 2").starts_with("one def is supported"));
    assert!(refusal("(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1").starts_with("nested more than 100 levels deep"));
    let long = vec!["1"; 1000].join("+");
    assert!(refusal(&long).starts_with("the expression is too deeply nested"));
    let many = format!("def f(s):\n{}    return s\n", "    s += 1\n".repeat(300));
    assert!(refusal(&many).starts_with("the def has more than 200 statements"));
}

#[test]
fn ints_stay_exact_and_floats_are_cpythons() {
    assert_eq!(
        value("lambda s: s ** 5", 1553),
        Value::Int(9_033_525_579_302_993)
    );
    assert_eq!(
        value("lambda s: s**5/1e15", 1553),
        Value::Float(9.033_525_579_302_992)
    );
    assert_eq!(value("2**70 // 2**68", 0), Value::Int(4));
    assert_eq!(value("-7 // 2", 0), Value::Int(-4));
    assert_eq!(value("-7 % 2", 0), Value::Int(1));
    assert_eq!(value("round(2.5) + round(3.5)", 0), Value::Int(6));
    assert_eq!(value("True + True", 0), Value::Int(2));
    assert_eq!(value("int(-2.7)", 0), Value::Int(-2));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Random sources over the subset, in the step `s`.
    fn source() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("s".to_string()),
            Just("steps".to_string()),
            Just("warmup_steps".to_string()),
            (-5i64..2000).prop_map(|i| i.to_string()),
            prop_oneof![
                Just("0.5"),
                Just("-0.0"),
                Just("2.5"),
                Just("1e-3"),
                Just("math.pi")
            ]
            .prop_map(str::to_string),
        ];
        leaf.prop_recursive(5, 40, 3, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop_oneof![
                        Just("+"),
                        Just("-"),
                        Just("*"),
                        Just("/"),
                        Just("//"),
                        Just("%")
                    ],
                    inner.clone()
                )
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                (
                    inner.clone(),
                    prop_oneof![Just("2"), Just("3"), Just("0.5"), Just("-1")]
                )
                    .prop_map(|(a, e)| format!("({a} ** {e})")),
                (
                    prop_oneof![
                        Just("math.cos"),
                        Just("math.log"),
                        Just("round"),
                        Just("float"),
                        Just("abs"),
                        Just("math.sqrt"),
                        Just("int"),
                        Just("-")
                    ],
                    inner.clone()
                )
                    .prop_map(|(f, a)| format!("{f}({a})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(c, a, b)| format!("({a} if {c} < 3 else {b})")),
            ]
        })
    }

    /// Token soup: Python's pieces in any order, as a fuzzer would mix them.
    fn soup() -> impl Strategy<Value = String> {
        let tokens = [
            "def",
            "f",
            "(",
            "s",
            ")",
            ":",
            "\n",
            "    ",
            "if",
            "else",
            "elif",
            "return",
            "lambda",
            "+",
            "-",
            "*",
            "**",
            "//",
            "/",
            "%",
            "1",
            "0.5",
            "2**70",
            "math",
            ".",
            "cos",
            "min",
            ",",
            "=",
            "+=",
            "not",
            "and",
            "or",
            "<",
            "==",
            "True",
            "None",
            "#c",
            "\"\"\"d\"\"\"",
            "\r\n",
            "\t",
            "[",
            "x",
            "pass",
            ";",
            "step",
            "k",
            "é",
            "1e",
            "0x",
            "_",
            "\\",
            "'",
            "log",
            "round",
            "int",
            "float",
            "abs",
            "max",
        ];
        proptest::collection::vec(proptest::sample::select(tokens.to_vec()), 0..40)
            .prop_map(|t| t.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever the input, compiling neither panics nor refuses without a message, and
        /// what compiles evaluates the same a batch at a time as a step at a time.
        #[test]
        fn any_token_soup_is_compiled_or_refused(text in soup()) {
            match compile(&text, &globals()) {
                Err(message) => prop_assert!(!message.is_empty()),
                Ok(f) => {
                    let mut batch = [0.0; 8];
                    f.fill(0, &mut batch);
                    for (step, got) in (0u64..).zip(batch) {
                        let want = f.multiplier(step).unwrap_or(f64::NAN);
                        prop_assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
                        prop_assert_eq!(f.error(step).is_some(), f.multiplier(step).is_err());
                    }
                }
            }
        }

        /// The batch evaluator gives the exact evaluator's multipliers, NaN where it raises,
        /// at any starting step.
        #[test]
        fn a_batch_is_the_steps_one_by_one(body in source(), from in prop_oneof![Just(0u64), 0u64..5000, Just(1u64 << 53)]) {
            let source = format!("lambda s: {body}");
            let f = compile(&source, &globals());
            prop_assert!(f.is_ok(), "{}: {:?}", source, f.err());
            let f = f.unwrap_or_else(|_| unreachable!());
            let mut batch = [0.0; 40];
            f.fill(from, &mut batch);
            for (step, got) in (from..).zip(batch) {
                let want = f.multiplier(step).unwrap_or(f64::NAN);
                prop_assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{} at {}: batch {:?}, step {:?}", source, step, got, want
                );
            }
        }
    }
}
