//! Training-framework YAML through `--config` with `--samples`: real example configs from
//! Axolotl's and LLaMA-Factory's own repositories (tests/fixtures/*/SOURCES.md) give the
//! run each framework makes, and the lr of every update equals the same schedule given by
//! flags with the derived horizon and warmup.

use serde_json::Value;

use crate::cli::lrsched;
use crate::scratch::TempFile;

fn run_json(args: &[&str]) -> Value {
    let out = lrsched().arg("json").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn csv(args: &[&str]) -> String {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(name: &str, text: &str) -> TempFile {
    TempFile::new(name, text)
}

fn rejects(config: impl AsRef<std::path::Path>, message: &str) {
    let config = config.as_ref().display();
    let out = lrsched()
        .args(["csv", "--config", &config.to_string(), "--samples", "100"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr, format!("error: config {config}{message}\n"));
}

#[test]
fn axolotls_lora_example_runs_its_own_step_count() {
    let config = "tests/fixtures/axolotl/lora-1b.yml";
    // Axolotl's own count: ceil(1001 samples x 1 epoch / (micro_batch_size 2 x
    // gradient_accumulation_steps 2)) = 251 steps, handed to the Trainer as max_steps.
    let json = run_json(&["--config", config, "--samples", "1001"]);
    let schedule = &json["schedule"];
    assert_eq!(schedule["schedule"], "cosine");
    assert_eq!(schedule["base_lr"], 0.0002);
    let run = &schedule["run"];
    assert_eq!(run["framework"], "axolotl");
    assert_eq!(run["total_updates"]["value"], 251);
    assert_eq!(run["num_warmup_steps"]["value"], 10);
    assert_eq!(run["num_training_steps"]["value"], 251);
    assert_eq!(
        csv(&["--config", config, "--samples", "1001"]),
        csv(&[
            "--schedule",
            "cosine",
            "--warmup",
            "10",
            "--steps",
            "251",
            "--base-lr",
            "0.0002"
        ])
    );
}

#[test]
fn axolotl_truncates_its_warmup_ratio_and_floors_cosine_with_its_ratio() {
    let config = write(
        "axolotl.yml",
        "base_model: m\nmicro_batch_size: 2\ngradient_accumulation_steps: 2\nnum_epochs: 1\n\
         learning_rate: \"2e-5\"\nlr_scheduler: cosine\ncosine_min_lr_ratio: 0.1\n\
         warmup_ratio: 0.05\n",
    );
    let json = run_json(&["--config", config.str(), "--samples", "1000"]);
    let schedule = &json["schedule"];
    // 250 steps; int(0.05 x 250) = int(12.5) = 12, where the Trainer would take 13.
    assert_eq!(schedule["run"]["num_warmup_steps"]["value"], 12);
    assert_eq!(schedule["schedule"], "cosine_with_min_lr");
    assert_eq!(schedule["params"]["min_lr_rate"], 0.1);
    assert_eq!(schedule["base_lr"], 2e-5);
}

#[test]
fn axolotl_mistakes_name_the_key_and_line() {
    rejects(
        write(
            "rex.yml",
            "base_model: m\nnum_epochs: 1\nlr_scheduler: rex\n",
        ),
        ":3:1: \"lr_scheduler\" 'rex' is not a transformers SchedulerType; lrsched does not \
         reproduce Axolotl's own 'rex' scheduler (read as Axolotl config because of \"base_model\")",
    );
    rejects(
        write(
            "typo.yml",
            "base_model: m\nnum_epochs: 1\nlearning_rat: 0.1\n",
        ),
        ":3:1: unknown key \"learning_rat\"; did you mean 'learning_rate'? (read as Axolotl \
         config because of \"base_model\")",
    );
}

#[test]
fn llama_factorys_lora_example_is_the_trainer_with_its_warmup_ratio() {
    let config = "tests/fixtures/llama_factory/llama3_lora_sft.yaml";
    // batch 1 x accumulation 8: 1000 batches, 125 updates an epoch, 3 epochs = 375;
    // warmup_ratio 0.1 -> ceil(37.5) = 38.
    let json = run_json(&["--config", config, "--samples", "1000"]);
    let run = &json["schedule"]["run"];
    assert_eq!(run["framework"], "llama-factory");
    assert_eq!(run["total_updates"]["value"], 375);
    assert_eq!(run["num_warmup_steps"]["value"], 38);
    assert_eq!(json["schedule"]["base_lr"], 0.0001);
    assert_eq!(
        csv(&["--config", config, "--samples", "1000"]),
        csv(&[
            "--schedule",
            "cosine",
            "--warmup",
            "38",
            "--steps",
            "375",
            "--base-lr",
            "0.0001"
        ])
    );
    // logging_steps 10: 37 logged values, at steps 10..=370.
    let logged = csv(&["--config", config, "--samples", "1000", "--logged"]);
    assert_eq!(logged.lines().count(), 1 + 37);
    assert!(logged.lines().nth(1).unwrap().starts_with("10,"));
}

#[test]
fn torchtunes_lora_recipe_config_floors_its_steps() {
    let config = "tests/fixtures/torchtune/1B_lora_single_device.yaml";
    // batch_size 4, drop_last: 1003 samples are 250 batches; // accumulation 8 = 31 updates
    // (the 2 leftover micro-batches never step); num_training_steps = 1 epoch x 31.
    let json = run_json(&["--config", config, "--samples", "1003"]);
    let schedule = &json["schedule"];
    assert_eq!(schedule["base_lr"], 0.0003);
    let run = &schedule["run"];
    assert_eq!(run["framework"], "torchtune");
    assert_eq!(run["batches_per_epoch"]["value"], 250);
    assert_eq!(run["total_updates"]["value"], 31);
    assert_eq!(run["num_training_steps"]["value"], 31);
    assert_eq!(run["num_warmup_steps"]["value"], 100);
    assert_eq!(schedule["runtime"]["name"], "torch");
    assert_eq!(
        csv(&["--config", config, "--samples", "1003"]),
        csv(&[
            "--schedule",
            "cosine",
            "--warmup",
            "100",
            "--steps",
            "31",
            "--base-lr",
            "0.0003"
        ])
    );
}

#[test]
fn torchtune_caps_epochs_and_reads_string_numbers() {
    let config = write(
        "tune.yaml",
        "tokenizer: {path: t}\noptimizer:\n  _component_: torch.optim.AdamW\n  lr: '3e-4'\n\
         lr_scheduler:\n  _component_: torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup\n\
         \x20 num_warmup_steps: 5\n  num_cycles: 1.0\nepochs: 2\nmax_steps_per_epoch: 10\n\
         batch_size: 2\ngradient_accumulation_steps: 1\n",
    );
    let json = run_json(&["--config", config.str(), "--samples", "100"]);
    let schedule = &json["schedule"];
    assert_eq!(schedule["base_lr"], 0.0003);
    assert_eq!(schedule["params"]["num_cycles"], 1.0);
    assert_eq!(schedule["run"]["total_updates"]["value"], 20);
    assert_eq!(schedule["run"]["num_training_steps"]["value"], 20);
}

#[test]
fn torchtune_mistakes_name_the_key_and_line() {
    rejects(
        write(
            "tune.yaml",
            "tokenizer: {path: t}\nepochs: 1\nbatch_size: 2\nlr_scheduler:\n  _component_: torch.optim.lr_scheduler.StepLR\n",
        ),
        ":5:3: \"lr_scheduler._component_\" 'torch.optim.lr_scheduler.StepLR' is no scheduler \
         lrsched reproduces (it knows \
         torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup) (read as \
         torchtune config because of \"tokenizer\")",
    );
}

#[test]
fn lightningcli_steps_its_scheduler_once_an_epoch() {
    let config = "examples/configs/lightning.yaml";
    // batch 8: 13 batches an epoch, accumulate 2: 7 updates an epoch (the 13th batch closes
    // a short one), 3 epochs; StepLR(step_size=1, gamma=0.5) stepped once an epoch.
    let json = run_json(&["--config", config, "--samples", "100"]);
    let schedule = &json["schedule"];
    assert_eq!(schedule["schedule"], "StepLR");
    assert_eq!(schedule["base_lr"], 0.001);
    assert_eq!(schedule["run"]["framework"], "lightning");
    assert_eq!(schedule["run"]["total_updates"]["value"], 21);
    assert_eq!(schedule["runtime"]["name"], "lightning");
    let rows = csv(&["--config", config, "--samples", "100"]);
    let lrs: Vec<&str> = rows
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    let want: Vec<&str> = [["0.001"; 7], ["0.0005"; 7], ["0.00025"; 7]].concat();
    assert_eq!(lrs, want);
}

#[test]
fn lightnings_documented_optimizer_group_without_a_class_is_named() {
    // The structure Lightning's docs show for a scheduler class fixed in code.
    let config = "tests/fixtures/lightning/docs_optimizer_group.yaml";
    rejects(
        config,
        ":3:1: \"lr_scheduler\" has no \"class_path\", so the scheduler class is fixed in the \
         script (add_lr_scheduler_args), which lrsched cannot see; add class_path: \
         torch.optim.lr_scheduler.NAME (read as LightningCLI config because of \"trainer\")",
    );
    rejects(
        write(
            "cli.yaml",
            "trainer: {max_epochs: 1}\nlr_scheduler:\n  class_path: mycode.WarmupCosine\n",
        ),
        ":3:3: \"lr_scheduler.class_path\" 'mycode.WarmupCosine' is no \
         torch.optim.lr_scheduler class lrsched knows (read as LightningCLI config because of \
         \"trainer\")",
    );
}

#[test]
fn a_lightningcli_key_close_to_one_lrsched_reads_is_a_typo() {
    rejects(
        write(
            "typo.yaml",
            "trainer: {max_epochs: 1}\nlr_schedular:\n  class_path: StepLR\n",
        ),
        ":2:1: unknown key \"lr_schedular\"; did you mean 'lr_scheduler'? (read as \
         LightningCLI config because of \"trainer\")",
    );
}
