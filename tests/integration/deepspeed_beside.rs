//! A DeepSpeed config run by transformers' Trainer: named by the TrainingArguments'
//! `deepspeed` key or given as a second `--config`, its `"auto"` values are filled as
//! `HfTrainerDeepSpeedConfig` fills them (transformers 5.24 integrations/deepspeed.py:
//! 136-262), its `"scheduler"` block replaces `lr_scheduler_type`, and values that differ
//! from the TrainingArguments are refused as transformers refuses them. The configs are
//! transformers' own test config and LLaMA-Factory's examples (tests/fixtures/*/SOURCES.md).

use serde_json::{Value, json};

use crate::cli::{lrsched, rejects};
use crate::scratch::{TempFile, tempdir};

/// transformers' tests/deepspeed/ds_config_zero2.json: `"auto"` everywhere, WarmupLR.
const ZERO2: &str = "tests/fixtures/deepspeed/transformers_ds_config_zero2.json";
/// DeepSpeed's GPT-2 example: every value written, WarmupLR.
const GPT2: &str = "tests/fixtures/deepspeed/gpt2_baseline.json";

fn output(args: &[&str]) -> String {
    let out = lrsched().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn args_file(args: Value) -> TempFile {
    TempFile::new(
        "training_args.json",
        serde_json::to_string_pretty(&args).unwrap(),
    )
}

/// TrainingArguments for transformers' ZeRO-2 config: batch 4 x accumulation 2, 2 epochs,
/// a warmup ratio of 0.1 (transformers 5 spells it warmup_steps below 1).
fn zero2_arguments(deepspeed: Option<&str>) -> TempFile {
    let mut args = json!({
        "output_dir": "out",
        "learning_rate": 3e-5,
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 2,
        "num_train_epochs": 2,
        "warmup_steps": 0.1,
        "lr_scheduler_type": "cosine",
        "logging_steps": 50
    });
    if let Some(path) = deepspeed {
        args["deepspeed"] = json!(path);
    }
    args_file(args)
}

#[test]
fn auto_values_are_filled_from_the_training_arguments() {
    let args = zero2_arguments(Some(ZERO2));
    let json: Value = serde_json::from_str(&output(&[
        "json",
        "--config",
        args.str(),
        "--samples",
        "1000",
    ]))
    .unwrap();
    let schedule = &json["schedule"];
    let run = &schedule["run"];
    // 1000 / 4 = 250 batches, / 2 = 125 updates an epoch, x 2 = 250; ceil(250 x 0.1) = 25.
    assert_eq!(run["total_updates"]["value"], 250);
    assert_eq!(run["num_warmup_steps"]["value"], 25);
    assert_eq!(
        run["notes"][0],
        "lr_scheduler_type cosine is not used: the DeepSpeed config's \"scheduler\" block \
         (WarmupLR) replaces the Trainer's scheduler"
    );
    // warmup_min_lr -> 0, warmup_max_lr -> learning_rate, warmup_num_steps -> the
    // Trainer's warmup (integrations/deepspeed.py:172-173, 252-256).
    assert_eq!(schedule["schedule"], "deepspeed:WarmupLR");
    assert_eq!(schedule["base_lr"], 3e-5);
    assert_eq!(schedule["params"]["warmup_min_lr"], 0.0);
    assert_eq!(schedule["params"]["warmup_max_lr"], 3e-5);
    assert_eq!(schedule["params"]["warmup_num_steps"], 25);
    // Every update's lr is DeepSpeed's WarmupLR with those values.
    let rows = output(&["csv", "--config", args.str(), "--samples", "1000"]);
    assert_eq!(
        rows,
        output(&[
            "csv",
            "--schedule",
            "deepspeed:WarmupLR",
            "--set",
            "warmup_min_lr=0",
            "--set",
            "warmup_max_lr=3e-5",
            "--set",
            "warmup_num_steps=25",
            "--base-lr",
            "3e-5",
            "--steps",
            "250",
        ])
    );
    // The same TrainingArguments without the key, and the DeepSpeed config given beside
    // them, in either order: the same run.
    let bare = zero2_arguments(None);
    for pair in [[bare.str(), ZERO2], [ZERO2, bare.str()]] {
        let out = output(&[
            "csv",
            "--config",
            pair[0],
            "--config",
            pair[1],
            "--samples",
            "1000",
        ]);
        assert_eq!(out, rows, "{pair:?}");
    }
}

#[test]
fn a_scheduler_block_with_auto_horizon_gets_max_steps() {
    // The scheduler block of transformers' DeepSpeed docs (docs/source/en/deepspeed.md,
    // "WarmupDecayLR"), with an AdamW block whose lr is "auto".
    let dir = tempdir();
    let ds = dir.path().join("ds_config.json");
    std::fs::write(
        &ds,
        r#"{
   "optimizer": {"type": "AdamW", "params": {"lr": "auto"}},
   "scheduler": {
         "type": "WarmupDecayLR",
         "params": {
             "last_batch_iteration": -1,
             "total_num_steps": "auto",
             "warmup_min_lr": "auto",
             "warmup_max_lr": "auto",
             "warmup_num_steps": "auto"
         }
     }
}
"#,
    )
    .unwrap();
    let args = args_file(json!({
        "learning_rate": 0.001, "max_steps": 12, "warmup_steps": 3,
        "deepspeed": ds.to_str().unwrap()
    }));
    // Without --samples the run is max_steps long: total_num_steps = 12.
    let json: Value = serde_json::from_str(&output(&["json", "--config", args.str()])).unwrap();
    assert_eq!(json["schedule"]["params"]["total_num_steps"], 12.0);
    assert_eq!(json["schedule"]["params"]["warmup_num_steps"], 3);
    assert_eq!(
        output(&["csv", "--config", args.str()]),
        output(&[
            "csv",
            "--schedule",
            "deepspeed:WarmupDecayLR",
            "--set",
            "total_num_steps=12",
            "--set",
            "warmup_min_lr=0",
            "--set",
            "warmup_max_lr=0.001",
            "--set",
            "warmup_num_steps=3",
            "--base-lr",
            "0.001",
            "--steps",
            "12",
        ])
    );
    // No warmup is a warmup of 1 step for DeepSpeed, which refuses 0 (deepspeed.py:250-256).
    let no_warmup = args_file(json!({
        "learning_rate": 0.001, "max_steps": 12, "deepspeed": ds.to_str().unwrap()
    }));
    let json: Value =
        serde_json::from_str(&output(&["json", "--config", no_warmup.str()])).unwrap();
    assert_eq!(json["schedule"]["params"]["warmup_num_steps"], 1);
}

#[test]
fn values_that_differ_from_the_training_arguments_are_refused() {
    // DeepSpeed's GPT-2 example writes batch 16, accumulation 4, lr 5e-5 and a warmup of
    // 500: TrainingArguments with other values are refused (deepspeed.py:257-262).
    let args = args_file(json!({"learning_rate": 1e-4, "max_steps": 10, "deepspeed": GPT2}));
    rejects(
        &["csv", "--config", args.str()],
        &format!(
            "config {GPT2}:3:3: \"train_micro_batch_size_per_gpu\" is 16, but the Trainer's \
             per_device_train_batch_size is 8; \"gradient_accumulation_steps\" ({GPT2}:4:3) is \
             4, the Trainer's gradient_accumulation_steps is 1; \"optimizer.params.lr\" \
             ({GPT2}:26:7) is 5e-05, the Trainer's learning_rate is 0.0001; \
             \"scheduler.params.warmup_max_lr\" ({GPT2}:37:7) is 5e-05, the Trainer's \
             learning_rate is 0.0001; \"scheduler.params.warmup_num_steps\" ({GPT2}:38:7) is \
             500, the Trainer's warmup_steps is 1: transformers raises ValueError on a \
             DeepSpeed value that differs from the TrainingArguments \
             (integrations/deepspeed.py:257-262); write \"auto\" or the Trainer's value"
        ),
    );
    // The same values: train_batch_size 512 = 16 x 4 x 8 devices.
    let args = args_file(json!({
        "learning_rate": 5e-5, "per_device_train_batch_size": 16,
        "gradient_accumulation_steps": 4, "max_steps": 1000, "warmup_steps": 500,
        "deepspeed": GPT2
    }));
    let json: Value = serde_json::from_str(&output(&[
        "json",
        "--config",
        args.str(),
        "--samples",
        "102400",
    ]))
    .unwrap();
    let run = &json["schedule"]["run"];
    assert_eq!(
        run["batches_per_epoch"]["how"],
        "102400 samples / (16 x 8) = 800 batches/epoch"
    );
    assert!(run["notes"].as_array().unwrap().contains(&json!(
        "8 devices: the DeepSpeed config's train_batch_size over \
                              per-device batch x accumulation"
    )));
    rejects(
        &[
            "csv",
            "--config",
            args.str(),
            "--samples",
            "102400",
            "--devices",
            "4",
        ],
        &format!(
            "config {GPT2}:2:3: \"train_batch_size\" is 512, but the Trainer's train_batch_size \
             (calculated) is 256: transformers raises ValueError on a DeepSpeed value that \
             differs from the TrainingArguments (integrations/deepspeed.py:257-262); write \
             \"auto\" or the Trainer's value"
        ),
    );
}

#[test]
fn a_deepspeed_config_alone_keeps_auto_an_error() {
    rejects(
        &["csv", "--config", ZERO2, "--steps", "5"],
        &format!(
            "config {ZERO2}:18:13: \"optimizer.params.lr\" is \"auto\", which only \
             transformers' DeepSpeed integration fills in, from the TrainingArguments the \
             config runs with: give them too (--config training_args.json --config {ZERO2}, \
             or TrainingArguments whose \"deepspeed\" names {ZERO2}), or write the value out"
        ),
    );
    rejects(
        &[
            "csv",
            "--config",
            ZERO2,
            "--samples",
            "100",
            "--epochs",
            "1",
        ],
        &format!(
            "config {ZERO2}:18:13: \"optimizer.params.lr\" is \"auto\", which only \
             transformers' DeepSpeed integration fills in, from the TrainingArguments the \
             config runs with: give them too (--config training_args.json --config {ZERO2}, \
             or TrainingArguments whose \"deepspeed\" names {ZERO2}), or write the value out"
        ),
    );
}

#[test]
fn auto_where_transformers_fills_nothing_is_refused() {
    let dir = tempdir();
    let ds = dir.path().join("ds.json");
    std::fs::write(
        &ds,
        "{\"scheduler\": {\"type\": \"WarmupCosineLR\",\n  \"params\": {\"total_num_steps\": \
         \"auto\", \"cos_min_ratio\": \"auto\"}}}\n",
    )
    .unwrap();
    let ds = ds.to_str().unwrap();
    let args = args_file(json!({"max_steps": 10, "deepspeed": ds}));
    rejects(
        &["csv", "--config", args.str()],
        &format!(
            "config {ds}:2:41: \"scheduler.params.cos_min_ratio\" is \"auto\", which \
             transformers fills only for warmup_min_lr, warmup_max_lr, total_num_steps, \
             warmup_num_steps (integrations/deepspeed.py:172-173, 245-256); DeepSpeed would get \
             the string \"auto\": write the value out"
        ),
    );
    let dir = tempdir();
    let ds = dir.path().join("ds.json");
    std::fs::write(
        &ds,
        "{\"optimizer\": {\"type\": \"Adam\"},\n \"scheduler\": {\"type\": \"WarmupLR\"}}\n",
    )
    .unwrap();
    let ds = ds.to_str().unwrap();
    let args = args_file(json!({"max_steps": 10, "deepspeed": ds}));
    rejects(
        &["csv", "--config", args.str()],
        &format!(
            "config {ds}:1:2: \"optimizer\" has no \"params\": {{\"lr\"}}, so DeepSpeed builds it \
             with the class's default lr, which lrsched does not know; write \"lr\": \"auto\" \
             (the learning_rate) or the value"
        ),
    );
}

#[test]
fn a_dict_in_the_deepspeed_key_is_read_in_place() {
    let args = TempFile::new(
        "args.json",
        "{\"learning_rate\": 0.01, \"max_steps\": 6,\n \"deepspeed\": {\"scheduler\": \
         {\"type\": \"WarmupLR\", \"params\": {\"warmup_num_steps\": \"auto\", \
         \"warmup_max_lr\": \"auto\"}}}}\n",
    );
    assert_eq!(
        output(&["csv", "--config", args.str()]),
        output(&[
            "csv",
            "--schedule",
            "deepspeed:WarmupLR",
            "--set",
            "warmup_max_lr=0.01",
            "--set",
            "warmup_num_steps=1",
            "--base-lr",
            "0.01",
            "--steps",
            "6",
        ])
    );
    // Its errors point at the key.
    let args = TempFile::new(
        "args.json",
        "{\"max_steps\": 6,\n \"deepspeed\": {\"scheduler\": {\"type\": \"WarmupLRR\"}}}\n",
    );
    rejects(
        &["csv", "--config", args.str()],
        &format!(
            "config {args}:2:2: \"scheduler.type\" \"WarmupLRR\" is neither a DeepSpeed \
             scheduler (LRRangeTest, OneCycle, WarmupLR, WarmupDecayLR, WarmupCosineLR) nor a \
             torch.optim.lr_scheduler class lrsched knows; did you mean 'WarmupLR'? (read as \
             transformers TrainingArguments because of \"max_steps\")"
        ),
    );
}

#[test]
fn a_path_is_opened_from_the_working_directory_as_transformers_opens_it() {
    // LLaMA-Factory's full-tuning example names examples/deepspeed/ds_z3_config.json, whose
    // batch keys are "auto" and which has no scheduler block: the Trainer's cosine runs.
    let dir = "tests/fixtures/llama_factory";
    let run = |cwd: &str, config: &str| {
        lrsched()
            .current_dir(cwd)
            .args(["csv", "--config", config, "--samples", "91,999"])
            .output()
            .unwrap()
    };
    let out = run(dir, "qwen3_full_sft.yaml");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 1090 samples, batch 1 x accumulation 2: 545 updates an epoch, 3 epochs = 1635;
    // warmup_ratio 0.1 -> ceil(163.5) = 164.
    assert!(
        String::from_utf8(out.stdout).unwrap()
            == output(&[
                "csv",
                "--schedule",
                "cosine",
                "--warmup",
                "164",
                "--steps",
                "1635",
                "--base-lr",
                "1e-5"
            ]),
        "the run differs from the Trainer's cosine"
    );
    // From elsewhere the path names nothing.
    let out = run(".", &format!("{dir}/qwen3_full_sft.yaml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "error: config {dir}/qwen3_full_sft.yaml:9:1: \"deepspeed\" names \
             examples/deepspeed/ds_z3_config.json, which lrsched cannot open ("
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "); transformers opens it from the working directory of the run: run lrsched \
             from there, or give the DeepSpeed config as a second --config\n"
        ),
        "{stderr}"
    );
    // ... unless it is given beside.
    let out = lrsched()
        .args([
            "csv",
            "--config",
            &format!("{dir}/qwen3_full_sft.yaml"),
            "--config",
            &format!("{dir}/examples/deepspeed/ds_z3_config.json"),
            "--samples",
            "91,999",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == run(dir, "qwen3_full_sft.yaml").stdout,
        "the DeepSpeed config given beside differs from the one the key names"
    );
}

#[test]
fn the_logged_lr_is_the_next_updates_when_the_engine_steps_the_scheduler() {
    // trainer.py:1942-1952 reads the lr to log after optimizer.step(); under DeepSpeed the
    // engine has stepped the scheduler inside it, so step s logs update s's lr.
    let args = zero2_arguments(Some(ZERO2));
    let rows = output(&["csv", "--config", args.str(), "--samples", "1000"]);
    let logged = output(&[
        "csv",
        "--config",
        args.str(),
        "--samples",
        "1000",
        "--logged",
    ]);
    let lr_of = |text: &str, step: u64| -> String {
        text.lines()
            .find(|l| l.starts_with(&format!("{step},")))
            .unwrap()
            .split_once(',')
            .unwrap()
            .1
            .to_string()
    };
    // logging_steps 50: steps 50, 100, 150, 200, 250 (the last is past the 250 updates).
    assert_eq!(logged.lines().count(), 1 + 5);
    for s in [50, 100, 150, 200] {
        assert_eq!(lr_of(&logged, s), lr_of(&rows, s), "step {s}");
    }
    assert_eq!(
        lr_of(&logged, 250),
        lr_of(
            &output(&[
                "csv",
                "--schedule",
                "deepspeed:WarmupLR",
                "--set",
                "warmup_max_lr=3e-5",
                "--set",
                "warmup_num_steps=25",
                "--base-lr",
                "3e-5",
                "--steps",
                "251",
            ]),
            250
        )
    );
    // Without a DeepSpeed optimizer or scheduler the Trainer steps its own scheduler after
    // reading the lr: step s logs update s-1's.
    let ds = TempFile::new("ds.json", r#"{"zero_optimization": {"stage": 2}}"#);
    let args = args_file(json!({
        "learning_rate": 0.1, "per_device_train_batch_size": 4, "num_train_epochs": 1,
        "logging_steps": 2, "deepspeed": ds.str()
    }));
    let rows = output(&["csv", "--config", args.str(), "--samples", "16"]);
    let logged = output(&["csv", "--config", args.str(), "--samples", "16", "--logged"]);
    assert_eq!(lr_of(&logged, 2), lr_of(&rows, 1));
    assert_eq!(lr_of(&logged, 4), lr_of(&rows, 3));
}
