//! Unit tests of the Keras built-ins: Keras' validation messages and its quirks.

use crate::schedule::testing::{error, lrs};

#[test]
fn keras_errors_carry_keras_reason() {
    assert_eq!(
        error(
            "keras:ExponentialDecay",
            &[
                ("initial_learning_rate", "1.0"),
                ("decay_steps", "-1"),
                ("decay_rate", "0.5")
            ]
        ),
        "keras:ExponentialDecay: Keras raises ValueError (Argument `decay_steps` must be > 0. \
         Received: decay_steps=-1)"
    );
    assert_eq!(
        error(
            "keras:CosineDecayRestarts",
            &[
                ("initial_learning_rate", "1.0"),
                ("first_decay_steps", "0.0")
            ]
        ),
        "keras:CosineDecayRestarts: Keras raises ValueError (Argument `first_decay_steps` \
         must be > 0. Received: first_decay_steps=0.0)"
    );
    assert_eq!(
        error(
            "keras:PiecewiseConstantDecay",
            &[("boundaries", "100,200"), ("values", "1.0,0.5")]
        ),
        "keras:PiecewiseConstantDecay: Keras raises ValueError (The length of boundaries \
         should be 1 less than the length of values. Received: boundaries=[100, 200] of length \
         2, and values=[1.0, 0.5] of length 2.)"
    );
    assert_eq!(
        error(
            "keras:PiecewiseConstantDecay",
            &[("boundaries", ""), ("values", "0.1")]
        ),
        "keras:PiecewiseConstantDecay: Keras raises IndexError (list index out of range) at \
         the first step: it needs at least one boundary"
    );
    assert!(
        error(
            "keras:PiecewiseConstantDecay",
            &[("boundaries", "5"), ("values", "1,0.5")]
        )
        .starts_with("keras:PiecewiseConstantDecay: Keras raises UFuncTypeError")
    );
    assert!(
        error(
            "keras:CosineDecay",
            &[("initial_learning_rate", "1"), ("decay_steps", "10")]
        )
        .starts_with(
            "keras:CosineDecay initial_learning_rate=1: an int makes Keras compute in int32"
        )
    );
}

#[test]
fn piecewise_constant_changes_after_the_boundary() -> Result<(), String> {
    // Keras gives values[i+1] from b + 1 on (a float boundary is truncated to the step's int).
    let values = lrs(
        "keras:PiecewiseConstantDecay",
        &[("boundaries", "2.7"), ("values", "1.0,0.5")],
        5,
    )?;
    assert_eq!(values, [1.0, 1.0, 1.0, 0.5, 0.5]);
    // All-int values pass (the result is int, cast to float by the optimizer).
    let ints = lrs(
        "keras:PiecewiseConstantDecay",
        &[("boundaries", "1"), ("values", "1,2")],
        3,
    )?;
    assert_eq!(ints, [1.0, 1.0, 2.0]);
    Ok(())
}

#[test]
fn polynomial_cycle_touches_the_end_at_each_multiple() -> Result<(), String> {
    let values = lrs(
        "keras:PolynomialDecay",
        &[
            ("initial_learning_rate", "1.0"),
            ("decay_steps", "1"),
            ("end_learning_rate", "0.1"),
            ("cycle", "true"),
        ],
        4,
    )?;
    let end = f64::from(0.1f32);
    assert_eq!(values, [1.0, end, end, end]);
    Ok(())
}

#[test]
fn cosine_decay_with_a_target_and_no_warmup_starts_at_the_target() -> Result<(), String> {
    let values = lrs(
        "keras:CosineDecay",
        &[
            ("initial_learning_rate", "0.5"),
            ("decay_steps", "50"),
            ("warmup_target", "1.0"),
        ],
        1,
    )?;
    assert_eq!(values, [1.0]);
    Ok(())
}
