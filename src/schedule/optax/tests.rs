//! Unit tests of the optax built-ins: optax's validation messages and the quirks the golden
//! data pins down.

use crate::description::Partial;
use crate::error::Result;
use crate::schedule::params::Raw;
use crate::schedule::testing::{error, lrs};

#[test]
fn optax_errors_carry_optax_reason() {
    assert_eq!(
        error(
            "optax:cosine_decay_schedule",
            &[("init_value", "1.0"), ("decay_steps", "0")]
        ),
        "optax:cosine_decay_schedule: optax raises ValueError (The cosine_decay_schedule \
         requires positive decay_steps, got decay_steps=0.)"
    );
    assert_eq!(
        error(
            "optax:warmup_cosine_decay_schedule",
            &[
                ("init_value", "0.0"),
                ("peak_value", "1.0"),
                ("warmup_steps", "20"),
                ("decay_steps", "10.0")
            ]
        ),
        "optax:warmup_cosine_decay_schedule: optax raises ValueError (The \
         cosine_decay_schedule requires positive decay_steps, got decay_steps=-10.0.)"
    );
    assert_eq!(
        error(
            "optax:piecewise_constant_schedule",
            &[("init_value", "1.0"), ("boundaries_and_scales", "5:-0.5")]
        ),
        "optax:piecewise_constant_schedule: optax raises ValueError \
         (`piecewise_constant_schedule` expects non-negative scale factors)"
    );
    assert_eq!(
        error(
            "optax:linear_onecycle_schedule",
            &[("transition_steps", "0"), ("peak_value", "1.0")]
        ),
        "optax:linear_onecycle_schedule: optax raises ValueError (A linear onecycle schedule \
         was set with a non-positive `transition_steps`)"
    );
    assert_eq!(
        error(
            "optax:cosine_onecycle_schedule",
            &[
                ("transition_steps", "10"),
                ("peak_value", "1.0"),
                ("div_factor", "0")
            ]
        ),
        "optax:cosine_onecycle_schedule: optax raises ZeroDivisionError (float division by \
         zero, in peak_value / div_factor)"
    );
    assert_eq!(
        error(
            "optax:linear_onecycle_schedule",
            &[
                ("transition_steps", "10"),
                ("peak_value", "1.0"),
                ("pct_start", "nan")
            ]
        ),
        "optax:linear_onecycle_schedule: optax raises ValueError (cannot convert float NaN \
         to integer, in int(pct_start * transition_steps))"
    );
    assert_eq!(
        error(
            "optax:piecewise_interpolate_schedule",
            &[("interpolate_type", "quadratic"), ("init_value", "1.0")]
        ),
        "piecewise_interpolate_schedule parameter interpolate_type=quadratic is not one of \
         linear, cosine"
    );
}

#[test]
fn warmup_flag_and_precision_are_explained() {
    let partial = Partial {
        schedule: Some("optax:constant_schedule".into()),
        warmup: Some(5),
        params: vec![("value".into(), Raw::Text("0.1".into()))],
        ..Partial::default()
    };
    let message = match partial.resolve() {
        Ok(d) => format!("accepted: {d:?}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        message,
        "optax:constant_schedule takes no --warmup: optax schedules are absolute and warm up \
         through their own parameters (lrsched list optax:constant_schedule)"
    );
    assert_eq!(
        error("StepLR", &[("step_size", "2"), ("precision", "f64")]),
        "--precision applies to the optax and keras schedules, which compute in float32; \
         StepLR computes in float64, as its library does"
    );
}

#[test]
fn float32_by_default_float64_on_request() -> Result<(), String> {
    let set = [
        ("init_value", "1.0"),
        ("end_value", "0.0"),
        ("transition_steps", "3"),
    ];
    let f32_values = lrs("optax:linear_schedule", &set, 2)?;
    // (1 - 0) * (1 - 1/3) + 0, each operation rounded to float32.
    let third = 1.0f32 / 3.0;
    assert_eq!(f32_values, [1.0, f64::from(1.0f32 - third)]);
    let mut x64 = set.to_vec();
    x64.push(("precision", "f64"));
    assert_eq!(
        lrs("optax:linear_schedule", &x64, 2)?,
        [1.0, 1.0 - 1.0 / 3.0]
    );
    // The parameters themselves are float32: 0.1 is 0.100000001.
    assert_eq!(
        lrs("optax:constant_schedule", &[("value", "0.1")], 1)?,
        [f64::from(0.1f32)]
    );
    Ok(())
}

#[test]
fn warmup_constant_without_warmup_never_reaches_the_peak() -> Result<(), String> {
    let values = lrs(
        "optax:warmup_constant_schedule",
        &[
            ("init_value", "0.5"),
            ("peak_value", "1.0"),
            ("warmup_steps", "0"),
        ],
        4,
    )?;
    assert_eq!(values, [0.5; 4]);
    Ok(())
}

#[test]
fn linear_onecycle_key_collision_takes_the_later_scale() -> Result<(), String> {
    // T = 1: {int(0.3): 25, int(0.85): 1/25, 1: 1/1e4} is {0: 1/25, 1: 1e-4}.
    let values = lrs(
        "optax:linear_onecycle_schedule",
        &[("transition_steps", "1"), ("peak_value", "1.0")],
        3,
    )?;
    let v0 = (1.0f64 / 25.0) as f32;
    let v1 = v0 * (1.0f64 / 25.0) as f32;
    let v2 = v1 * (1.0f64 / 1e4) as f32;
    assert_eq!(values, [f64::from(v1), f64::from(v2), f64::from(v2)]);
    Ok(())
}

#[test]
fn an_int_power_multiplies_and_a_float_one_calls_pow() -> Result<(), String> {
    let with = |power: &str| {
        lrs(
            "optax:polynomial_schedule",
            &[
                ("init_value", "1.0"),
                ("end_value", "0.0"),
                ("power", power),
                ("transition_steps", "7"),
            ],
            7,
        )
    };
    let frac = |k: u16| 1.0f32 - f32::from(k) / 7.0;
    let multiplied: Vec<f64> = (0..7)
        .map(|k| f64::from(frac(k) * (frac(k) * frac(k))))
        .collect();
    let powed: Vec<f64> = (0..7).map(|k| f64::from(frac(k).powf(3.0))).collect();
    assert_eq!(with("3")?, multiplied);
    assert_eq!(with("3.0")?, powed);
    Ok(())
}

#[test]
fn qualified_names_are_found() {
    for name in ["optax:exponential_decay", "exponential_decay"] {
        assert!(
            crate::schedule::registry::find(name).is_ok_and(|e| e.name == "exponential_decay"),
            "{name}"
        );
    }
}
