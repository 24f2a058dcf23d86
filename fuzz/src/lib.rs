//! What the fuzz targets share: each target turns its bytes into lrsched input, and these
//! functions push that input through the library the way the command line would, checking
//! that nothing panics and that the library's promises hold.
//!
//! A failed check is a panic, which libFuzzer reports as a crash with the input.

#![allow(clippy::panic)]

use lrsched::check::{self, Assertion};
use lrsched::config::{self, Syntax};
use lrsched::expr;
use lrsched::schedule::Point;
use lrsched::schedule::combine::EXPR_VARIABLES;
use lrsched::schedule::params::split_assignment;
use lrsched::schedule::registry::{self, Entry};
use lrsched::description::{Description, Partial};
use lrsched::train::{Dataset, Linear, Optimizer, Training};
use serde_json::Value as Json;

/// The most points evaluated per description. Evaluation costs time proportional to the
/// steps, which is expected; a slow *resolve* or *build* is what the fuzzer looks for, so
/// `--steps` itself is passed through unchanged and only the evaluation is capped.
pub const MAX_POINTS: u64 = 4096;

/// Points checked against random access ([`Schedule::at`]), which replays recursive
/// schedules from step 0 and so costs O(k) per point.
const RANDOM_ACCESS_POINTS: u64 = 48;

/// The same double, or both NaN.
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_point(a: &Point, b: &Point) -> bool {
    a.step == b.step && same(a.lr, b.lr) && same(a.multiplier, b.multiplier)
}

/// Resolves `partial`; when that works, evaluates the description.
pub fn resolve_and_evaluate(partial: &Partial) {
    match partial.resolve() {
        Ok(description) => evaluate(&description),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Everything a command does with a resolved description, on at most [`MAX_POINTS`]
/// steps: stream its points, compare them with random access, run `check` over
/// them, and read its JSON back as a config.
pub fn evaluate(description: &Description) {
    let _ = description.label();
    let schedule = description.schedule();
    let steps = description.ctx().steps;
    let n = steps.min(MAX_POINTS);
    let points: Vec<Point> = schedule.points(0).take(n as usize).collect();
    for (i, p) in points.iter().enumerate() {
        assert_eq!(p.step, i as u64, "points out of order for {description:?}");
    }
    for k in 0..(points.len() as u64).min(RANDOM_ACCESS_POINTS) {
        let at = schedule.at(k);
        let streamed = &points[k as usize];
        assert!(
            same_point(&at, streamed),
            "{description:?}: at({k}) = {at:?} but the stream gives {streamed:?}"
        );
    }
    // Streaming from the middle must agree with streaming from 0.
    let from = points.len() / 2;
    for (p, q) in schedule.points(from as u64).zip(&points[from..]).take(64) {
        assert!(
            same_point(&p, q),
            "{description:?}: points({from}) gives {p:?} but points(0) gives {q:?}"
        );
    }
    let _ = schedule.last_defined_step();
    let _ = schedule.horizon();
    if steps <= MAX_POINTS {
        let engine = lrsched::engine::Engine::new();
        match check::check(&engine, description, &[], &check::Options::default()) {
            Ok(report) => {
                let _ = report.to_json(description);
                let mut text = Vec::new();
                let _ = report.write_text(description, &mut text);
                let _ = report.passed();
                let _ = report.failure_message();
            }
            Err(e) => panic!("{description:?} built once but not for check: {e}"),
        }
    }
    // `lrsched json` writes the description; `--config` must read it back as the same
    // schedule. Which parameters count as given differs (the JSON lists every parameter),
    // and only changes how `check` names the schedule; an int default of a float parameter
    // (transformers' `num_cycles: int = 1`) reads back as the float, the same number.
    let json = description.to_json();
    let again = Partial::from_config_text(&json.to_string()).and_then(|p| p.resolve());
    let again = match again {
        Ok(again) => again,
        Err(e) => panic!("the description's JSON {json} does not read back: {e}"),
    };
    assert_eq!(
        (numbers_as_floats(again.to_json()), *again.ctx()),
        (numbers_as_floats(json.clone()), *description.ctx()),
        "the description's JSON {json} reads back as another description"
    );
    let rebuilt = again.schedule();
    for (p, q) in rebuilt.points(0).zip(&points).take(64) {
        assert!(
            same_point(&p, q),
            "the description's JSON {json} gives {p:?} where the original gives {q:?}"
        );
    }
}

/// `json` with every number as a double, so that `1` and `1.0` compare equal.
fn numbers_as_floats(json: Json) -> Json {
    match json {
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        Json::Array(items) => Json::Array(items.into_iter().map(numbers_as_floats).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Values to evaluate an expression at: ordinary ones, the edges of the warmup and the
/// horizon, and the awkward doubles.
const EXPR_VALUES: [[f64; 4]; 6] = [
    [0.0, 100.0, 0.0, 0.1],
    [5.0, 100.0, 10.0, 3e-4],
    [99.0, 100.0, 100.0, 1.0],
    [f64::NAN, f64::INFINITY, -0.0, -1.0],
    [9007199254740993.0, 1e300, 1e-300, f64::NEG_INFINITY],
    [1e6, 1e6, 1e6, f64::MIN_POSITIVE],
];

/// An `--expr` or `--assert` source: it compiles or fails with a printable error, and
/// when it compiles, its program and its tree's interpreter agree bit for bit.
pub fn expression(source: &str) {
    let compiled = expr::compile(source, &EXPR_VARIABLES);
    let parsed = expr::parse(source);
    match (&compiled, &parsed) {
        (Err(e), _) => {
            let _ = e.to_string();
        }
        (Ok(_), Err(e)) => panic!("{source:?} compiles but does not parse: {e}"),
        (Ok(_), Ok(_)) => {}
    }
    if let Err(e) = &parsed {
        let _ = e.to_string();
        assert!(compiled.is_err(), "{source:?} does not parse but compiles");
    }
    if let (Ok(program), Ok(ast)) = (&compiled, &parsed) {
        for values in EXPR_VALUES {
            let fast = program.eval(&values);
            let bound: Vec<(&str, f64)> = EXPR_VARIABLES.iter().copied().zip(values).collect();
            let slow = ast.interpret(&bound);
            assert!(
                same(fast, slow),
                "{source:?} at {values:?}: compiled {fast:?}, interpreted {slow:?}"
            );
        }
        if let Some(c) = program.as_constant() {
            assert!(
                same(c, ast.interpret(&[])),
                "{source:?} folds to {c:?}, interprets to {:?}",
                ast.interpret(&[])
            );
        }
    }
    if let Err(e) = Assertion::compile(source) {
        let _ = e.to_string();
    }
    // As an --expr schedule over a short horizon with a warmup.
    resolve_and_evaluate(&Partial {
        expr: Some(source.to_string()),
        steps: Some(40),
        warmup: Some(3),
        ..Partial::default()
    });
}

/// Picks the registry entry a fuzz input names, or else one by the name's bytes, so that
/// every input reaches some schedule's parameters.
fn entry_for(name: &str) -> &'static Entry {
    if let Ok(entry) = registry::find(name) {
        return entry;
    }
    let all: Vec<&'static Entry> = registry::entries().collect();
    let sum: usize = name.bytes().map(usize::from).sum();
    all[sum % all.len()]
}

/// `--schedule NAME --steps N --warmup W --base-lr X --set K=V ...`, from text: the first
/// line is the schedule, the second `N W X` (each optional, `-` for absent), and every
/// further line one `--set` argument.
pub fn set_params(text: &str) {
    let mut lines = text.split('\n');
    let name = lines.next().unwrap_or("").trim();
    let entry = entry_for(name);
    let mut flags = lines.next().unwrap_or("").split_whitespace();
    let steps = flags.next().and_then(|s| s.parse::<u64>().ok());
    let warmup = flags.next().and_then(|s| s.parse::<u64>().ok());
    let base_lr = flags.next().and_then(|s| s.parse::<f64>().ok());
    let mut params = Vec::new();
    for line in lines {
        match split_assignment(line) {
            Ok(pair) => params.push(pair),
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    }
    resolve_and_evaluate(&Partial {
        schedule: Some(entry.qualified()),
        steps,
        warmup,
        base_lr,
        params,
        ..Partial::default()
    });
}

/// A config file's text in `syntax`: parsed, resolved and evaluated, then again with
/// `--steps 64` on top (as a command line would lay flags over it).
pub fn config_file(text: &str, syntax: Syntax) {
    let partial = match config::parse("fuzz", text, syntax) {
        Ok(partial) => partial,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    resolve_and_evaluate(&partial);
    resolve_and_evaluate(&partial.merge(Partial {
        steps: Some(64),
        ..Partial::default()
    }));
}

/// `train --data` and `--init`: the bytes before the first NUL are the CSV data, those
/// after it the init JSON. Whatever parses is trained for a few steps with both
/// optimizers.
pub fn train_data(bytes: &[u8]) {
    let (csv, init) = match bytes.iter().position(|&b| b == 0) {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    };
    let init = init
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(|text| Linear::from_json(text, "init.json"));
    if let Some(Err(e)) = &init {
        let _ = e.to_string();
    }
    let Ok(csv) = std::str::from_utf8(csv) else {
        return;
    };
    let data = match Dataset::from_csv(csv, "data.csv") {
        Ok(data) => data,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(data.rows().count(), data.samples());
    assert_eq!(data.targets().len(), data.samples());
    let model = match init {
        Some(Ok(model)) if model.features() == data.features() => model,
        _ => Linear::seeded(0, data.features()),
    };
    let schedule = match (Partial {
        steps: Some(8),
        warmup: Some(3),
        ..Partial::default()
    })
    .resolve()
    .map(Description::into_schedule)
    {
        Ok(schedule) => schedule,
        Err(e) => panic!("the demo schedule does not build: {e}"),
    };
    for optimizer in [Optimizer::Sgd, Optimizer::Adam] {
        let training = match Training::new(&data, model.clone(), optimizer, schedule.as_ref(), 8) {
            Ok(training) => training,
            Err(e) => panic!("a model of the data's features was rejected: {e}"),
        };
        for row in training {
            if let Err(diverged) = row {
                let _ = diverged.to_string();
            }
        }
    }
}

/// A pasted Python source (`lambda`, `def` or expression): lexing, parsing and lowering
/// never panic; a refusal renders; a compiled function gives, a batch at a time, exactly
/// what it gives a step at a time (NaN where it raises), and explains every raising step.
pub fn python(source: &str) {
    use lrsched::expr::python::{self, Globals, Value};
    let globals = Globals {
        vars: vec![
            ("k".to_string(), Value::Int(3)),
            ("warmup_steps".to_string(), Value::Float(0.5)),
        ],
        builtin: vec![
            ("steps", Value::Int(100)),
            ("warmup", Value::Int(0)),
            ("base_lr", Value::Float(0.1)),
        ],
    };
    let function = match python::compile(source, &globals) {
        Ok(f) => f,
        Err(message) => {
            assert!(!message.is_empty(), "{source:?}: an empty refusal");
            return;
        }
    };
    for from in [0u64, 1 << 40, u64::MAX - 8] {
        let mut batch = [0.0f64; 8];
        function.fill(from, &mut batch);
        for (step, got) in (from..).zip(batch) {
            let one = function.multiplier(step);
            let want = one.as_ref().map_or(f64::NAN, |m| *m);
            assert!(
                same(got, want),
                "{source:?} at step {step}: batch {got:?}, one step {want:?}"
            );
            assert_eq!(
                function.error(step).is_some(),
                one.is_err(),
                "{source:?} at step {step}"
            );
        }
    }
}
