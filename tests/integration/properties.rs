//! Properties of the built-in schedules and of `--expr`, and the regressions they found.

use lrsched::schedule::params::split_assignment;
use lrsched::spec::Partial;

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
