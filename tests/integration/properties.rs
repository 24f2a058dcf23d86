//! Properties of the built-in schedules and of `--expr`, and the regressions they found.

use lrsched::schedule::params::split_assignment;
use lrsched::spec::Partial;

use crate::cli::lrsched;

/// `T_max=100/3` puts `3 * T_max` on step 100, where `(100 - T_max) % (2 * T_max)` is
/// 66.66666666666666, not 0, and `1 + cos(pi * 100 / T_max)` is exactly 0.0: torch raises
/// `ZeroDivisionError` at step 101. lrsched used to carry on with NaN from there.
#[test]
fn cosine_annealing_lr_with_t_max_a_third_fails_at_torch_step() {
    let args = |steps: &'static str| {
        [
            "csv",
            "--schedule",
            "CosineAnnealingLR",
            "--set",
            "T_max=33.333333333333336",
            "--steps",
            steps,
        ]
    };
    crate::cli::rejects(
        &args("200"),
        "CosineAnnealingLR: torch raises ZeroDivisionError (1 + cos(pi * 100 / T_max) is 0.0 \
         with T_max=33.333333333333336) at step 101, within --steps 200; round T_max (a whole \
         T_max never divides by zero)",
    );
    let out = lrsched().args(args("101")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().last(), Some("100,0.0,0.0"));
}

/// transformers declares `num_cycles: int = 1` and `min_lr_ratio: float = 0`; these defaults
/// resolved to ints, written by `lrsched json` as `1` and `0`, which `--config` read back as
/// the floats `1.0` and `0.0`: the description changed on its way through a file.
#[test]
fn whole_defaults_of_float_parameters_read_back_unchanged() {
    for (schedule, set, params) in [
        ("cosine_with_restarts", None, r#"{"num_cycles":1.0}"#),
        (
            "warmup_stable_decay",
            Some("num_decay_steps=0"),
            r#"{"num_decay_steps":0,"num_stable_steps":null,"warmup_type":"linear","decay_type":"cosine","min_lr_ratio":0.0,"num_cycles":0.5}"#,
        ),
    ] {
        let partial = Partial {
            schedule: Some(schedule.to_string()),
            steps: Some(1),
            params: set
                .map(|kv| split_assignment(kv).unwrap())
                .into_iter()
                .collect(),
            ..Partial::default()
        };
        let text = partial.resolve().unwrap().to_json().to_string();
        assert_eq!(
            text,
            format!(
                r#"{{"schedule":"{schedule}","steps":1,"base_lr":0.1,"warmup":0,"params":{params}}}"#
            )
        );
        let back = Partial::from_config_text(&text).and_then(|p| p.resolve());
        assert_eq!(back.unwrap().to_json().to_string(), text);
    }
}
