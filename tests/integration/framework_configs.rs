//! Training-framework YAML through `--config` with `--samples`: real example configs from
//! Axolotl's and LLaMA-Factory's own repositories (tests/fixtures/*/SOURCES.md) give the
//! run each framework makes, and the lr of every update equals the same schedule given by
//! flags with the derived horizon and warmup.

use serde_json::Value;

use crate::cli::{lrsched, rejects as refuses};
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
    // dataset: identity,alpaca_en_demo, 91 and 1000 examples in LLaMA-Factory's data/ at the
    // fixture's commit, each capped at max_samples 1000: 1091 samples. Batch 1 x accumulation
    // 8: 1091 batches, 137 updates an epoch, 3 epochs = 411; warmup_ratio 0.1 -> ceil(41.1)
    // = 42.
    let json = run_json(&["--config", config, "--samples", "91,1000"]);
    let run = &json["schedule"]["run"];
    assert_eq!(run["framework"], "llama-factory");
    assert_eq!(
        run["samples"]["how"],
        "max_samples 1000: min(91, 1000) + min(1000, 1000) = 1091 samples (identity, \
         alpaca_en_demo)"
    );
    assert_eq!(run["total_updates"]["value"], 411);
    assert_eq!(run["num_warmup_steps"]["value"], 42);
    assert_eq!(json["schedule"]["base_lr"], 0.0001);
    assert_eq!(
        csv(&["--config", config, "--samples", "91,1000"]),
        csv(&[
            "--schedule",
            "cosine",
            "--warmup",
            "42",
            "--steps",
            "411",
            "--base-lr",
            "0.0001"
        ])
    );
    // logging_steps 10: 41 logged values, at steps 10..=410.
    let logged = csv(&["--config", config, "--samples", "91,1000", "--logged"]);
    assert_eq!(logged.lines().count(), 1 + 41);
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

/// A LLaMA-Factory config: `base` then `extra` keys.
fn llama_factory(extra: &str) -> TempFile {
    TempFile::new(
        "sft.yaml",
        format!(
            "stage: sft\nlearning_rate: 0.1\nper_device_train_batch_size: 10\n\
             num_train_epochs: 1\n{extra}"
        ),
    )
}

fn samples_how(config: &TempFile, samples: &str) -> (Value, Value) {
    let json = run_json(&["--config", config.str(), "--samples", samples]);
    let run = &json["schedule"]["run"];
    (
        run["samples"].clone(),
        run["batches_per_epoch"]["how"].clone(),
    )
}

#[test]
fn llama_factorys_data_arguments_size_the_training_set() {
    // max_samples caps the dataset (data/loader.py:157-159), val_size takes
    // ceil(0.1 x 1000) = 100 for evaluation (data_utils.py:109-117, datasets'
    // train_test_split): 900 training samples.
    let config = llama_factory("dataset: alpaca\nmax_samples: 1000\nval_size: 0.1\n");
    let (samples, batches) = samples_how(&config, "5000");
    assert_eq!(samples["value"], 900);
    assert_eq!(
        samples["how"],
        "max_samples 1000: min(5000, 1000) = 1000 samples; val_size 0.1: 1000 - \
         ceil(0.1 x 1000) = 900 training samples"
    );
    assert_eq!(batches, "900 samples / (10 x 1) = 90 batches/epoch");
    // A cap above the dataset changes nothing; a val_size above 1 is a count.
    let config = llama_factory("dataset: alpaca\nmax_samples: 1000\nval_size: 25\n");
    let (samples, _) = samples_how(&config, "300");
    assert_eq!(
        samples["how"],
        "max_samples 1000: min(300, 1000) = 300 samples; val_size 25: 300 - 25 = 275 \
         training samples"
    );
    // Without them --samples is the training set, as for the Trainer.
    let config = llama_factory("dataset: alpaca\n");
    let (samples, batches) = samples_how(&config, "300");
    assert_eq!(samples, Value::Null);
    assert_eq!(batches, "300 samples / (10 x 1) = 30 batches/epoch");
}

#[test]
fn several_datasets_are_sized_one_by_one() {
    // Concatenated (mix_strategy's default): without a cap, the total is enough.
    let config = llama_factory("dataset: a,b\n");
    let (samples, batches) = samples_how(&config, "530");
    assert_eq!(samples, Value::Null);
    assert_eq!(batches, "530 samples / (10 x 1) = 53 batches/epoch");
    let (samples, _) = samples_how(&config, "500,30");
    assert_eq!(samples["how"], "500 + 30 = 530 samples (a, b)");
    // Interleaved without probabilities (datasets' _interleave_map_style_datasets): the
    // shortest dataset's length from each, the longest's, or every sample once.
    for (mix, how) in [
        (
            "interleave_under",
            "interleave_under 2 x min(500, 30) = 60 samples (a, b)",
        ),
        (
            "interleave_over",
            "interleave_over 2 x max(500, 30) = 1000 samples (a, b)",
        ),
        (
            "interleave_once",
            "interleave_once 500 + 30 = 530 samples (a, b)",
        ),
    ] {
        let config = llama_factory(&format!("dataset: a,b\nmix_strategy: {mix}\n"));
        let (samples, _) = samples_how(&config, "500,30");
        assert_eq!(samples["how"], how, "{mix}");
    }
    // A cap applies to each.
    let config = llama_factory("dataset: [a, b]\nmax_samples: 100\n");
    let (samples, _) = samples_how(&config, "500,30");
    assert_eq!(
        samples["how"],
        "max_samples 100: min(500, 100) + min(30, 100) = 130 samples (a, b)"
    );
}

#[test]
fn llama_factory_data_arguments_are_refused_as_llama_factory_refuses_them() {
    let config = llama_factory("dataset: a,b\nmax_samples: 1000\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "5000"],
        &format!(
            "config {config}:5:1: \"dataset\" names 2 datasets (a, b), and \"max_samples\" caps \
             each of them (data/loader.py:157-159): give each one's size, --samples N1,N2 in \
             that order"
        ),
    );
    refuses(
        &["csv", "--config", config.str(), "--samples", "5,6,7"],
        &format!("config {config}:5:1: --samples gives 3 sizes, and \"dataset\" names 2 (a, b)"),
    );
    let config =
        llama_factory("dataset: a,b\nmix_strategy: interleave_over\ninterleave_probs: 0.5,0.5\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "5,6"],
        &format!(
            "config {config}:7:1: \"interleave_probs\" draws the mixed samples at random, so \
             their number is not known before the run; lrsched sizes concatenated datasets and \
             interleaving without probabilities"
        ),
    );
    let config = llama_factory("dataset: a\nval_size: 50\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:6:1: \"val_size\" 50 splits 50 samples with datasets' \
             train_test_split, which raises ValueError: test_size=50 should be either positive \
             and smaller than the number of samples 50 or a float in the (0, 1) range"
        ),
    );
    let config = llama_factory("dataset: a\nval_size: 0.999\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:6:1: \"val_size\" 0.999 splits 50 samples with datasets' \
             train_test_split, which raises ValueError: With n_samples=50, test_size=0.999 and \
             train_size=None, the resulting train set will be empty. Adjust any of the \
             aforementioned parameters."
        ),
    );
    let config = llama_factory("dataset: a\nmix_strategy: interleaved\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:6:1: \"mix_strategy\" 'interleaved' is none of concat, \
             interleave_under, interleave_over, interleave_once; LLaMA-Factory raises \"Unknown \
             mixing strategy\" (read as LLaMA-Factory config because of \"stage\")"
        ),
    );
    // parse_dict converts nothing: a string is not a number there.
    let config = llama_factory("dataset: a\nmax_samples: '100'\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:6:14: \"max_samples\" must be a whole number >= 0, not string \
             \"100\" (read as LLaMA-Factory config because of \"stage\")"
        ),
    );
    let config = llama_factory("dataset: a\nstreaming: true\nmax_samples: 10\nmax_steps: 5\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:7:1: \"max_samples\" with streaming: LLaMA-Factory raises \
             \"`max_samples` is incompatible with `streaming`.\" (data_args.py:179-180) (read as \
             LLaMA-Factory config because of \"stage\")"
        ),
    );
    // One size per dataset is for LLaMA-Factory's datasets.
    refuses(
        &[
            "csv",
            "--samples",
            "5,6",
            "--batch-size",
            "1",
            "--epochs",
            "1",
        ],
        "--samples gives 2 sizes, one per dataset of a LLaMA-Factory config; transformers \
         reads one dataset: give its number of samples",
    );
}

#[test]
fn a_streamed_llama_factory_dataset_runs_max_steps() {
    let config = llama_factory("dataset: a\nstreaming: true\n");
    refuses(
        &["csv", "--config", config.str(), "--samples", "50"],
        &format!(
            "config {config}:6:1: streaming: true gives a dataset without a length, and \
             LLaMA-Factory raises \"Please specify `max_steps` in streaming mode.\" \
             (hparams/parser.py:474-475); give --max-steps (max_steps)"
        ),
    );
    let config = llama_factory("dataset: a\nstreaming: true\nmax_steps: 3\n");
    let json = run_json(&["--config", config.str(), "--samples", "50"]);
    let run = &json["schedule"]["run"];
    assert_eq!(run["total_updates"]["value"], 3);
    assert_eq!(
        run["notes"][0],
        "streaming: the dataset has no length, so the Trainer runs max_steps updates and \
         --samples is not used"
    );
    // Packed samples are counted after packing.
    let config = llama_factory("dataset: a\npacking: true\nval_size: 0.1\n");
    let json = run_json(&["--config", config.str(), "--samples", "50"]);
    let run = &json["schedule"]["run"];
    assert_eq!(run["batches_per_epoch"]["value"], 5);
    assert!(run["notes"][0].as_str().unwrap().starts_with("packing: "));
}
