//! Inputs the fuzz targets (`fuzz/`, see FUZZING.md) found failing, kept as they were found
//! so that the fixes stay fixed. Each test names its target, the input and the bug.

use lrsched::description::Partial;
use lrsched::schedule::params::split_assignment;
use serde_json::Value;

use crate::cli::lrsched;
use crate::scratch::tempdir;

/// Reads a `set_params` fuzz input as the target does: the schedule on the first line,
/// `STEPS WARMUP BASE_LR` on the second (anything unreadable is left out), then one
/// `--set KEY=VALUE` per line.
fn set_params_input(text: &str) -> Partial {
    let mut lines = text.split('\n');
    let schedule = lines.next().map(|s| s.trim().to_string());
    let mut flags = lines.next().unwrap_or("").split_whitespace();
    Partial {
        schedule,
        steps: flags.next().and_then(|s| s.parse().ok()),
        warmup: flags.next().and_then(|s| s.parse().ok()),
        base_lr: flags.next().and_then(|s| s.parse().ok()),
        params: lines.map(|l| split_assignment(l).unwrap()).collect(),
        ..Partial::default()
    }
}

/// The description's JSON read back as a config resolves to the same JSON.
fn assert_json_reads_back(partial: &Partial) {
    let description = partial.resolve().unwrap();
    let json = description.to_json();
    let again = Partial::from_config_text(&json.to_string())
        .and_then(|p| p.resolve())
        .unwrap_or_else(|e| panic!("{json} does not read back: {e}"));
    assert_eq!(again.to_json(), json);
}

/// set_params: `--set gamma=5e915` is inf (as Python's `float('5e915')`), which the
/// description's JSON wrote as `null`; read back, `null` is `None`, an error for the
/// required `gamma` of ExponentialLR and the default for an optional parameter. Non-finite
/// floats are now written as `"inf"`, `"-inf"` and `"nan"`.
#[test]
fn set_params_non_finite_float_in_the_description_json() {
    let partial = set_params_input("ExponentialLR\n400.1\ngamma=5e915");
    assert_json_reads_back(&partial);
    for optional in [
        "StepLR\n10\nstep_size=3\ngamma=nan",
        "CosineAnnealingLR\n10\nT_max=10\neta_min=-inf",
    ] {
        assert_json_reads_back(&set_params_input(optional));
    }

    // And end to end: `lrsched json`'s schedule, given back to `--config`, gives the same.
    let out = lrsched()
        .args([
            "json",
            "--schedule",
            "ExponentialLR",
            "--set",
            "gamma=5e915",
        ])
        .args(["--steps", "3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schedule"]["params"]["gamma"], "inf");
    let dir = tempdir();
    let config = dir.path().join("schedule.json");
    std::fs::write(&config, doc["schedule"].to_string()).unwrap();
    let again = lrsched()
        .args(["json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `set_params` timeout: `CosineAnnealingLR` with `T_max=0.0001` over 49800 steps made the
/// search for torch's division by zero walk 2.5e8 half-periods before checking a step.
#[test]
fn set_params_tiny_t_max_builds_promptly() {
    super::cli::lrsched()
        .args([
            "check",
            "--schedule",
            "CosineAnnealingLR",
            "--set",
            "T_max=0.0001",
            "--steps",
            "49800",
        ])
        .assert()
        .success();
}
