//! `--config-format NAME`: a config read as the format named, whatever its keys suggest,
//! for files whose keys mislead the detection or mix two formats.

use crate::cli::{lrsched, rejects};
use crate::scratch::TempFile;

fn csv(args: &[&str]) -> String {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A training script's arguments: TrainingArguments, with a data key of the script's own
/// that is also an Axolotl key.
fn script_arguments() -> TempFile {
    TempFile::new(
        "args.yaml",
        "output_dir: out\nlearning_rate: 0.001\nlr_scheduler_type: linear\nmax_steps: 4\n\
         datasets:\n  - path: my/data\n",
    )
}

#[test]
fn a_format_forced_reads_the_file_as_that_format() {
    let args = script_arguments();
    // "datasets" makes it an Axolotl config, whose own lr_scheduler (cosine by default)
    // ignores lr_scheduler_type.
    assert_eq!(
        csv(&["--config", args.str()]),
        csv(&["--schedule", "cosine", "--base-lr", "0.001", "--steps", "4"])
    );
    // Read as TrainingArguments it is the Trainer's linear decay.
    assert_eq!(
        csv(&["--config", args.str(), "--config-format", "training-args"]),
        csv(&["--schedule", "linear", "--base-lr", "0.001", "--steps", "4"])
    );
    // A file that mixes two formats names both, and the way out.
    let mixed = TempFile::new(
        "mixed.json",
        r#"{"schedule": "cosine", "learning_rate": 0.1}"#,
    );
    rejects(
        &["csv", "--config", mixed.str(), "--steps", "2"],
        &format!(
            "config {mixed}:1:24: mixes lrsched keys (\"schedule\") with transformers \
             TrainingArguments keys (\"learning_rate\"); use one format or the other, or read \
             it as one with --config-format lrsched or --config-format training-args"
        ),
    );
    assert_eq!(
        csv(&[
            "--config",
            mixed.str(),
            "--steps",
            "2",
            "--config-format",
            "training-args"
        ]),
        "step,multiplier,lr\n0,1.0,0.1\n1,0.5,0.05\n"
    );
    // TrainingArguments read as LLaMA-Factory's YAML are run by its rules.
    let plain = TempFile::new("args.yaml", "learning_rate: 0.001\nmax_steps: 4\n");
    let out = lrsched()
        .args([
            "json",
            "--config",
            plain.str(),
            "--config-format",
            "llama-factory",
            "--samples",
            "10",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schedule"]["run"]["framework"], "llama-factory");
}

#[test]
fn a_file_that_does_not_fit_the_format_says_so() {
    let args = script_arguments();
    rejects(
        &[
            "csv",
            "--config",
            args.str(),
            "--config-format",
            "deepspeed",
        ],
        &format!(
            "config {args}: --config-format deepspeed reads a DeepSpeed config, but none of the \
             file's keys is one (it reads train_micro_batch_size_per_gpu, \
             gradient_accumulation_steps, train_batch_size, optimizer, scheduler)"
        ),
    );
    // The format's own errors say where, and that the format was forced.
    let bad = TempFile::new(
        "args.json",
        "{\"max_steps\": 4,\n \"lr_scheduler_type\": \"StepLR\"}",
    );
    rejects(
        &[
            "csv",
            "--config",
            bad.str(),
            "--config-format",
            "training-args",
        ],
        &format!(
            "config {bad}:2:30: \"lr_scheduler_type\": 'StepLR' is a torch scheduler, not a \
             transformers SchedulerType; use lrsched's own config keys for torch schedulers \
             (read as transformers TrainingArguments because of --config-format training-args)"
        ),
    );
    rejects(
        &["csv", "--config", bad.str(), "--config-format", "lrsched"],
        &format!(
            "config {bad}:1:2: unknown key \"max_steps\" (the keys are schedule, expr, \
             expr_file, vars, steps, base_lr, warmup, params, run, runtime) (read as lrsched \
             because of --config-format lrsched)"
        ),
    );
}

#[test]
fn an_unknown_format_lists_the_names() {
    let out = lrsched()
        .args(["csv", "--config", "x.json", "--config-format", "deepsped"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: invalid value 'deepsped' for '--config-format <NAME>'\n  \
         [possible values: lrsched, training-args, deepspeed, axolotl, llama-factory, \
         torchtune, lightning]\n\n  tip: a similar value exists: 'deepspeed'\n\n\
         For more information, try '--help'.\n"
    );
    rejects(
        &["csv", "--config-format", "deepspeed"],
        "--config-format deepspeed says how to read a --config file, and none is given",
    );
    // The library's own lookup says the same in its words.
    assert_eq!(
        lrsched::config::format_named("axolotll")
            .unwrap_err()
            .to_string(),
        "unknown config format 'axolotll'; did you mean 'axolotl'? (the formats are lrsched, \
         training-args, deepspeed, axolotl, llama-factory, torchtune, lightning)"
    );
}
