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
