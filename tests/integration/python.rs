//! Pasted Python against CPython: every case of `tests/golden/python-exprs.json` (made by
//! `tests/golden/python_exprs.py` with CPython 3.11), bit for bit and exception for
//! exception, one step at a time and a batch at a time; and the command line around it.

use lrsched::expr::python::{self, Globals, Value};
use serde_json::Value as Json;

use crate::cli::lrsched;

struct Golden {
    source: String,
    vars: Vec<(String, Value)>,
    /// (step, Ok(multiplier) or Err(exception class))
    results: Vec<(u64, Result<f64, String>)>,
}

fn golden() -> (Globals, Vec<Golden>) {
    let json: Json = serde_json::from_str(include_str!("../golden/python-exprs.json"))
        .expect("python-exprs.json parses");
    let globals = Globals {
        vars: Vec::new(),
        builtin: vec![
            ("steps", Value::Int(json["steps"].as_i64().expect("steps"))),
            (
                "warmup",
                Value::Int(json["warmup"].as_i64().expect("warmup")),
            ),
            (
                "base_lr",
                Value::Float(json["base_lr"].as_f64().expect("base_lr")),
            ),
        ],
    };
    let cases = json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Golden {
            source: c["source"].as_str().expect("source").to_string(),
            vars: c["vars"]
                .as_object()
                .expect("vars")
                .iter()
                .map(|(k, v)| {
                    let text = v.as_str().expect("var text");
                    (k.clone(), python::literal(text).expect("var literal"))
                })
                .collect(),
            results: c["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| {
                    let step = r["step"].as_u64().expect("step");
                    let result = match r["multiplier"].as_str() {
                        Some(m) => Ok(m.parse::<f64>().expect("float repr")),
                        None => Err(r["raises"].as_str().expect("raises").to_string()),
                    };
                    (step, result)
                })
                .collect(),
        })
        .collect();
    (globals, cases)
}

fn show(r: &Result<f64, String>) -> String {
    match r {
        Ok(f) => format!("{f:?}"),
        Err(e) => format!("raises {e}"),
    }
}

#[test]
fn every_golden_source_gives_cpythons_values_and_exceptions() {
    let (base, cases) = golden();
    assert!(cases.len() > 300, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let globals = Globals {
            vars: case.vars.clone(),
            ..base.clone()
        };
        let function = match python::compile(&case.source, &globals) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", case.source));
                continue;
            }
        };
        for (step, want) in &case.results {
            let got = function
                .multiplier(*step)
                .map_err(|e| e.raised.kind.to_string());
            let same = match (&got, want) {
                (Ok(a), Ok(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                (Err(a), Err(b)) => a == b,
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{:?} at step {step}: lrsched {}, CPython {}",
                    case.source,
                    show(&got),
                    show(want)
                ));
            }
            // A raising step is explained; a value is not.
            assert_eq!(function.error(*step).is_some(), got.is_err());
        }
        // A batch at a time: the leading run of consecutive steps from 0.
        let run = case
            .results
            .iter()
            .enumerate()
            .take_while(|(i, (step, _))| *step == *i as u64)
            .count();
        let mut batch = vec![0.0; run];
        function.fill(0, &mut batch);
        for ((step, want), got) in case.results.iter().zip(&batch) {
            let want = want.as_ref().map_or(f64::NAN, |m| *m);
            if got.to_bits() != want.to_bits() && !(got.is_nan() && want.is_nan()) {
                failures.push(format!(
                    "{:?} at step {step} in a batch: lrsched {got:?}, CPython {want:?}",
                    case.source
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The tutorial's warmup `def`, verbatim.
const TUTORIAL_DEF: &str = "def warmup_lambda(current_step):
    if current_step < warmup_steps:
        return float(current_step) / float(max(1, warmup_steps))
    return 1.0
";

const TUTORIAL_CSV: &str = "step,multiplier,lr
0,0.0,0.0
1,0.25,0.025
2,0.5,0.05
3,0.75,0.07500000000000001
4,1.0,0.1
5,1.0,0.1
";

#[test]
fn the_tutorial_schedules_run_verbatim() {
    let run = |args: &[&str], stdin: Option<&str>, want: &str| {
        let mut cmd = lrsched();
        cmd.args(args);
        if let Some(text) = stdin {
            cmd.write_stdin(text);
        }
        cmd.assert().success().stdout(want.to_string()).stderr("");
    };
    let csv = ["csv", "--steps", "6", "--var", "warmup_steps=4"];
    run(
        &[&csv[..], &["--expr", TUTORIAL_DEF]].concat(),
        None,
        TUTORIAL_CSV,
    );
    // Folded onto one line, with CRLF line ends, and from standard input.
    let folded = TUTORIAL_DEF
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    run(
        &[&csv[..], &["--expr", &folded]].concat(),
        None,
        TUTORIAL_CSV,
    );
    let crlf = TUTORIAL_DEF.replace('\n', "\r\n");
    run(
        &[&csv[..], &["--expr-file", "-"]].concat(),
        Some(&crlf),
        TUTORIAL_CSV,
    );
    // The tutorial's expression and lambda.
    run(
        &[
            "csv",
            "--steps",
            "3",
            "--warmup",
            "0",
            "--expr",
            "float(step) / float(max(1, warmup))",
        ],
        None,
        "step,multiplier,lr\n0,0.0,0.0\n1,1.0,0.1\n2,2.0,0.2\n",
    );
    run(
        &[
            "csv",
            "--steps",
            "3",
            "--expr",
            "lambda step: min(1.0, step / 2000)",
        ],
        None,
        "step,multiplier,lr\n0,0.0,0.0\n1,0.0005,5e-05\n2,0.001,0.0001\n",
    );
}

#[test]
fn vars_come_from_flags_and_config_files() {
    let dir = crate::scratch::tempdir();
    let source = dir.path().join("lr.py");
    std::fs::write(&source, TUTORIAL_DEF).unwrap();
    let config = dir.path().join("lr.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"expr_file": {:?}, "vars": {{"warmup_steps": 4}}, "steps": 6}}"#,
            source.to_string_lossy()
        ),
    )
    .unwrap();
    lrsched()
        .args(["csv", "--config", &config.to_string_lossy()])
        .assert()
        .success()
        .stdout(TUTORIAL_CSV);
    // `--var` on the command line wins over the file's.
    lrsched()
        .args(["csv", "--config", &config.to_string_lossy(), "--var", "warmup_steps=2"])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n0,0.0,0.0\n1,0.5,0.05\n2,1.0,0.1\n3,1.0,0.1\n4,1.0,0.1\n5,1.0,0.1\n");
    // An int is an int: `5 // 2` is 2, `5.0 // 2` is 2.0, `--var` values print the same.
    lrsched()
        .args([
            "csv",
            "--steps",
            "1",
            "--var",
            "k=5",
            "--expr",
            "lambda s: k // 2 / 4",
        ])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n0,0.5,0.05\n");
    crate::cli::rejects(
        &["csv", "--var", "k=abc", "--expr", "k"],
        "invalid --var k=abc: unknown name 'abc'; give it a value with --var abc=VALUE (the source uses abc; lrsched gives step (the step), steps, warmup, base_lr)\n    abc\n    ^^^",
    );
    crate::cli::rejects(
        &["csv", "--config", "-", "--expr-file", "-"],
        "--config - and --expr-file - both read stdin; give one of them a file",
    );
    crate::cli::rejects(
        &["csv", "--var", "k=1", "--schedule", "cosine"],
        "--var k=... gives a value to a name of an --expr; a built-in schedule takes --set KEY=VALUE",
    );
}

#[test]
fn what_the_subset_lacks_is_refused_with_what_it_has() {
    let supported = "lrsched takes one expression, `lambda NAME: EXPR` or `def NAME(PARAM):` with \
                     if/elif/else, assignments and return, over int and float values, the builtins \
                     min max abs round float int pow and math.NAME functions";
    crate::cli::rejects(
        &[
            "csv",
            "--expr",
            "def f(s):\n    for i in range(3):\n        pass\n    return 1.0",
        ],
        &format!(
            "invalid --expr: loops ('for') are not supported; {supported}\n  line 2:     for i in range(3):\n              ^^^"
        ),
    );
    crate::cli::rejects(
        &["csv", "--expr", "lambda s: step.real"],
        &format!(
            "invalid --expr: attribute access other than math.NAME is not supported; {supported}\n  lambda s: step.real\n            ^^^^^^^^^"
        ),
    );
    crate::cli::rejects(
        &["csv", "--expr", "def f(s): return f(s - 1)"],
        &format!(
            "invalid --expr: recursion is not supported; {supported}\n  def f(s): return f(s - 1)\n                   ^"
        ),
    );
}

/// The engine stops writers at the first step whose `Schedule::error_at` is `Some`, after
/// the rows before it.
#[test]
fn a_raising_step_stops_the_run_after_the_rows_before_it() {
    lrsched()
        .args([
            "csv",
            "--steps",
            "6",
            "--expr",
            "lambda step: 1 / (3 - step)",
        ])
        .assert()
        .code(2)
        .stdout(
            "step,multiplier,lr\n0,0.3333333333333333,0.03333333333333333\n1,0.5,0.05\n2,1.0,0.1\n",
        )
        .stderr(
            "error: at step 3, the function raises ZeroDivisionError: division by zero\n  \
             lambda step: 1 / (3 - step)\n               ^^^^^^^^^^^^^^\n\
             (a training run with this lr_lambda stops there)\n",
        );
}
