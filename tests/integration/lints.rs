//! `check`'s lints end to end: each kind fires on a config that has the problem and stays
//! quiet on one that does not (real example configs from each project where there is one,
//! tests/fixtures/*/SOURCES.md), names the key as the file spells it with its place, and
//! `--allow KIND` silences it; with `--samples` the report carries the run's derivation.

use serde_json::Value;

use crate::cli::{lrsched, rejects};
use crate::scratch::TempFile;

/// `check ARGS --format json`, parsed, whatever its exit status (0, or 1 with --strict).
fn report(args: &[&str]) -> Value {
    let out = lrsched()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The kinds of the warnings `check ARGS` reports, in order.
fn kinds(args: &[&str]) -> Vec<String> {
    report(args)["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The one warning of `kind`, which must be reported.
fn warning(args: &[&str], kind: &str) -> Value {
    let report = report(args);
    let found: Vec<&Value> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "{args:?}: {report:#}");
    found[0].clone()
}

fn message(args: &[&str], kind: &str) -> String {
    warning(args, kind)["message"].as_str().unwrap().to_string()
}

const TORCHTUNE: &str = "tests/fixtures/torchtune/1B_lora_single_device.yaml";
const T5: &str = "tests/fixtures/deepspeed/t5_base_pretraining.json";
const GPT2: &str = "tests/fixtures/deepspeed/gpt2_baseline.json";
const LLAMA: &str = "tests/fixtures/deepspeed/llama_lora_finetune.json";
const LLAMA_MAX_LR: &str = "tests/fixtures/deepspeed/llama_lora_finetune_max_lr.json";

#[test]
fn check_prints_the_derivation_of_the_runs_updates() {
    let config = TempFile::new(
        "training_args.json",
        r#"{"lr_scheduler_type": "cosine", "learning_rate": 0.001, "warmup_steps": 0.1,
            "per_device_train_batch_size": 8, "gradient_accumulation_steps": 4,
            "num_train_epochs": 3}"#,
    );
    lrsched()
        .args(["check", "--config", config.str(), "--samples", "1001"])
        .args(["--allow", "zero_first_lr"])
        .assert()
        .code(0)
        .stderr("")
        .stdout(
            "schedule   cosine, warmup 10, steps 96, base_lr 0.001
run        1001 samples / (8 x 1) = 126 batches/epoch; / accum 4 = 32 updates/epoch; x 3 \
epochs = 96 updates; warmup ratio 0.1 -> 10 steps
runtime    hf, stepped once per update
first_lr   0.0
peak_lr    0.001
peak_step  10
final_lr   3.3357581488030473e-07
min_lr     0.0
mean_lr    0.0005
sum_lr     0.048

passed
",
        );
    // The same text in check's JSON and in lrsched json's description.
    let line = "1001 samples / (8 x 1) = 126 batches/epoch; / accum 4 = 32 updates/epoch; \
                x 3 epochs = 96 updates; warmup ratio 0.1 -> 10 steps";
    let json = report(&["--config", config.str(), "--samples", "1001"]);
    assert_eq!(json["schedule"]["run"]["derivation"], line);
    assert_eq!(json["schedule"]["run"]["total_updates"]["value"], 96);
    assert_eq!(json["schedule"]["runtime"]["name"], "hf");
    let out = lrsched()
        .args(["json", "--config", config.str(), "--samples", "1001"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schedule"]["run"]["derivation"], line);
}

#[test]
fn each_framework_shows_its_own_arithmetic() {
    let run_line = |args: &[&str]| -> String {
        report(args)["schedule"]["run"]["derivation"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // torchtune drops the last batch and rounds the updates down.
    assert_eq!(
        run_line(&["--config", TORCHTUNE, "--samples", "1001"]),
        "1001 samples / (4 x 1) = 250 batches/epoch (drop_last); / accum 8 = 31 \
         updates/epoch (rounded down); x 1 epoch = 31 updates; warmup 100 steps"
    );
    // Axolotl counts its own steps.
    assert_eq!(
        run_line(&[
            "--config",
            "tests/fixtures/axolotl/lora-1b.yml",
            "--samples",
            "1001"
        ]),
        "1001 samples / (2 x 1) = 501 batches/epoch; / accum 2 = 251 updates/epoch; \
         axolotl: ceil(1001 samples x 1 epoch / (2 x 2 x 1)) = 251 steps = 251 updates \
         (max_steps); warmup 10 steps"
    );
    // DeepSpeed accumulates across epochs, and its scheduler has its own warmup.
    assert_eq!(
        run_line(&["--config", LLAMA, "--samples", "1001", "--epochs", "2"]),
        "1001 samples / 8 devices = 126 per device (padded); / 8 = 16 batches/epoch; \
         / accum 1 = 16 updates/epoch, the remainder carried into the next epoch; x 2 \
         epochs = 32 micro-batches / accum 1 = 32 updates; warmup_num_steps 100 \
         (scheduler.params.warmup_num_steps at tests/fixtures/deepspeed/\
         llama_lora_finetune.json:38:7)"
    );
    // lrsched json writes the same line.
    let out = lrsched()
        .args([
            "json",
            "--config",
            LLAMA,
            "--samples",
            "1001",
            "--epochs",
            "2",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["schedule"]["run"]["derivation"],
        run_line(&["--config", LLAMA, "--samples", "1001", "--epochs", "2"])
    );
    // max_steps overrides the epochs, with a note.
    let text = lrsched()
        .args([
            "check",
            "--schedule",
            "linear",
            "--samples",
            "100",
            "--batch-size",
            "8",
            "--epochs",
            "2",
            "--max-steps",
            "5",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains(
            "run        100 samples / (8 x 1) = 13 batches/epoch; / accum 1 = 13 \
             updates/epoch; max_steps 5 = 5 updates; no warmup\n\
             runtime    hf, stepped once per update\n\
             note       --epochs (num_train_epochs) is ignored: max_steps 5 sets the length\n"
        ),
        "{text}"
    );
}

#[test]
fn warmup_as_long_as_the_run_warns() {
    // Without a run, the steps checked are the run (issue: warmup >= steps).
    assert_eq!(
        message(&["--warmup", "100", "--steps", "100"], "warmup_too_long"),
        "the warmup of 100 steps (--warmup) is at least as long as the run (100 steps): the \
         lr is still warming up at the last step"
    );
    assert_eq!(
        kinds(&["--warmup", "99", "--steps", "100"]),
        ["zero_first_lr"]
    );
    // torchtune's example warms up for 100 steps: a run of 31 updates never ends it.
    let w = warning(
        &["--config", TORCHTUNE, "--samples", "1001"],
        "warmup_too_long",
    );
    assert_eq!(
        w["message"],
        "the warmup of 100 steps (lr_scheduler.num_warmup_steps at \
         tests/fixtures/torchtune/1B_lora_single_device.yaml:63:3) is at least as long as the \
         run (31 updates): the lr is still warming up at the last step"
    );
    assert_eq!(w["key"], "lr_scheduler.num_warmup_steps");
    assert_eq!(
        w["at"],
        serde_json::json!({"file": TORCHTUNE, "line": 63, "column": 3})
    );
    assert_eq!(
        kinds(&["--config", TORCHTUNE, "--samples", "100000"]),
        ["zero_first_lr"]
    );
    // Without --samples the default steps are named.
    assert!(
        message(&["--config", TORCHTUNE], "warmup_too_long").ends_with(
            "; --steps defaults to 100: give the run's length with --steps, or with --samples \
             for a training config"
        )
    );
    // A warmup ratio of 1 is the whole run.
    assert_eq!(
        message(
            &[
                "--schedule",
                "cosine",
                "--samples",
                "64",
                "--batch-size",
                "8",
                "--epochs",
                "1",
                "--warmup-ratio",
                "1"
            ],
            "warmup_too_long"
        ),
        "the warmup of 8 steps (--warmup-ratio) is at least as long as the run (8 updates): \
         the lr is still warming up at the last step"
    );
    // DeepSpeed's own warmup parameter, in the real T5 config.
    assert_eq!(
        warning(
            &["--config", T5, "--samples", "1000000", "--epochs", "1"],
            "warmup_too_long"
        )["key"],
        "scheduler.params.warmup_num_steps"
    );
}

#[test]
fn zero_lr_updates_are_counted() {
    // DeepSpeed's WarmupLR gives updates 0 and 1 warmup_min_lr = 0.
    assert_eq!(
        message(
            &["--config", GPT2, "--samples", "64000", "--epochs", "1"],
            "zero_lr"
        ),
        "2 of 125 updates get lr 0.0 and change nothing: updates 0, 1 (DeepSpeed's warmup \
         runs one step behind: the first two both get warmup_min_lr)"
    );
    assert_eq!(
        warning(
            &["--config", GPT2, "--samples", "64000", "--epochs", "1"],
            "zero_lr"
        )["count"],
        2
    );
    // A linear warmup's single step 0 is zero_first_lr alone.
    assert_eq!(
        kinds(&["--config", TORCHTUNE, "--samples", "100000"]),
        ["zero_first_lr"]
    );
    // Lightning steps per epoch: a --warmup in front keeps the whole first epoch at 0.
    let config = TempFile::new("lightning.yaml", LIGHTNING_STEP_LR);
    assert_eq!(
        message(
            &[
                "--config",
                config.str(),
                "--samples",
                "100",
                "--warmup",
                "2"
            ],
            "zero_lr"
        ),
        "7 of 21 updates get lr 0.0 and change nothing: updates 0-6"
    );
    // A decay that reaches 0 inside the steps checked: the last steps.
    assert_eq!(
        message(&["--expr", "max(0, 1 - step/5)", "--steps", "8"], "zero_lr"),
        "3 of 8 steps get lr 0.0 and change nothing: steps 5-7"
    );
    assert_eq!(
        kinds(&["--expr", "max(0, 1 - step/8)", "--steps", "8"]),
        Vec::<String>::new()
    );
}

const LIGHTNING_STEP_LR: &str = "trainer:
  max_epochs: 3
  accumulate_grad_batches: 2
data:
  init_args:
    batch_size: 8
optimizer:
  class_path: torch.optim.AdamW
  init_args:
    lr: 1e-3
lr_scheduler:
  class_path: torch.optim.lr_scheduler.StepLR
  init_args:
    step_size: 1
    gamma: 0.5
";

fn lightning_cosine(t_max: u64) -> String {
    LIGHTNING_STEP_LR.replace(
        "StepLR\n  init_args:\n    step_size: 1\n    gamma: 0.5",
        &format!("CosineAnnealingLR\n  init_args:\n    T_max: {t_max}"),
    )
}

#[test]
fn a_horizon_that_does_not_fit_the_run_warns() {
    // T5's example decays over 500000 steps; 1000000 samples make 3906 updates.
    let w = warning(
        &["--config", T5, "--samples", "1000000", "--epochs", "1"],
        "horizon_mismatch",
    );
    assert_eq!(
        w["message"],
        "the schedule's horizon total_num_steps=500000 (scheduler.params.total_num_steps at \
         tests/fixtures/deepspeed/t5_base_pretraining.json:37:7) does not fit the run's 3906 \
         scheduler steps, stepped once per applied update: the run stops after 3906 of its \
         500000 scheduler steps, before the decay is over"
    );
    assert_eq!(w["key"], "scheduler.params.total_num_steps");
    assert_eq!(w["at"]["line"], 37);
    // 128000000 samples on its 8 devices make 500000 updates: the horizon fits.
    assert!(
        !kinds(&["--config", T5, "--samples", "128000000", "--epochs", "1"])
            .contains(&"horizon_mismatch".to_string())
    );
    // T_max in epochs while the scheduler steps per update.
    let flags = [
        "--schedule",
        "CosineAnnealingLR",
        "--samples",
        "1001",
        "--batch-size",
        "8",
        "--grad-accum",
        "4",
        "--epochs",
        "3",
    ];
    let with = |t_max: &str| {
        let mut args = flags.to_vec();
        args.extend(["--set", t_max]);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = with("T_max=3");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        message(&args, "horizon_mismatch"),
        "the schedule's horizon T_max=3 (--set T_max) does not fit the run's 96 scheduler \
         steps, stepped once per update: it counts the run's 3 epochs"
    );
    // T_max counting micro-batches: the accumulation is missing.
    let args = with("T_max=384");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(
        message(&args, "horizon_mismatch")
            .ends_with("it counts micro-batches (384), without the gradient accumulation of 4")
    );
    let args = with("T_max=96");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(kinds(&args), Vec::<String>::new());
    // LightningCLI steps once per epoch: T_max in updates does not fit, in epochs it does.
    let config = TempFile::new("lightning.yaml", lightning_cosine(21));
    let w = warning(
        &["--config", config.str(), "--samples", "100"],
        "horizon_mismatch",
    );
    assert_eq!(
        w["message"],
        format!(
            "the schedule's horizon T_max=21 (lr_scheduler.init_args.T_max at {}:14:5) does \
             not fit the run's 3 scheduler steps, stepped once per epoch (interval 'epoch'): \
             it counts the run's 21 updates, but Lightning steps the scheduler once per epoch \
             (interval 'epoch', what LightningCLI's configure_optimizers gives)",
            config.display()
        )
    );
    let config = TempFile::new("lightning.yaml", lightning_cosine(3));
    assert_eq!(
        kinds(&["--config", config.str(), "--samples", "100"]),
        Vec::<String>::new()
    );
}

#[test]
fn deepspeed_warmup_max_lr_beside_the_optimizers_lr_warns() {
    let w = warning(&["--config", LLAMA_MAX_LR], "warmup_max_lr");
    assert_eq!(
        w["message"],
        "warmup_max_lr 0.001 (scheduler.params.warmup_max_lr at \
         tests/fixtures/deepspeed/llama_lora_finetune_max_lr.json:37:7) is not the optimizer's \
         lr 0.0003 (optimizer.params.lr at \
         tests/fixtures/deepspeed/llama_lora_finetune_max_lr.json:26:7): DeepSpeed's WarmupLR \
         sets the lr itself, so the run warms up to 0.001"
    );
    assert_eq!(w["key"], "scheduler.params.warmup_max_lr");
    assert_eq!(
        w["at"],
        serde_json::json!({"file": LLAMA_MAX_LR, "line": 37, "column": 7})
    );
    // The real config gives both the same lr.
    assert!(!kinds(&["--config", LLAMA]).contains(&"warmup_max_lr".to_string()));
    // WarmupDecayLR without warmup_max_lr warms up to DeepSpeed's 0.001.
    let config = TempFile::new(
        "ds.json",
        r#"{"optimizer": {"type": "AdamW", "params": {"lr": 2e-5}},
            "scheduler": {"type": "WarmupDecayLR",
                          "params": {"warmup_num_steps": 10, "total_num_steps": 100}}}"#,
    );
    assert_eq!(
        message(&["--config", config.str()], "warmup_max_lr"),
        format!(
            "warmup_max_lr is not set, so DeepSpeed's WarmupDecayLR warms up to its default \
             0.001, not to the optimizer's lr 2e-05 (optimizer.params.lr at {}:1:44)",
            config.display()
        )
    );
}

#[test]
fn accelerates_per_process_stepping_warns() {
    let run = [
        "--config",
        "examples/configs/training_args.yaml",
        "--samples",
        "400",
        "--runtime",
        "accelerate",
    ];
    let on = |devices: &str| {
        let mut args = run.to_vec();
        args.extend(["--devices", devices]);
        kinds(&args)
    };
    assert_eq!(
        on("2"),
        [
            "zero_first_lr",
            "zero_lr",
            "rises_past_horizon",
            "accelerate_stepping"
        ]
    );
    let mut args = run.to_vec();
    args.extend(["--devices", "2"]);
    assert_eq!(
        message(&args, "accelerate_stepping"),
        "accelerate steps the scheduler 2 times per update (once per process, for a \
         scheduler passed to accelerator.prepare), so the run's 26 updates use scheduler \
         steps 0 to 50: the horizon num_training_steps=26 is reached at update 13, and the \
         warmup of 6 steps is over at update 3; size the schedule in scheduler steps \
         (num_training_steps and the warmup x 2), or create the Accelerator with \
         split_batches=True"
    );
    // The cosine climbs back up once the doubled stepping passes its horizon.
    assert!(
        message(&args, "rises_past_horizon")
            .starts_with("the lr rises again past the schedule's horizon at step 13:")
    );
    // One process, or the Trainer's own stepping: quiet.
    assert_eq!(on("1"), ["zero_first_lr"]);
    let mut args: Vec<&str> = run[..4].to_vec();
    args.extend(["--devices", "2"]);
    assert_eq!(kinds(&args), ["zero_first_lr"]);
    // A schedule sized in scheduler steps (T_max = updates x processes) fits.
    assert_eq!(
        kinds(&[
            "--schedule",
            "CosineAnnealingLR",
            "--set",
            "T_max=16",
            "--samples",
            "64",
            "--batch-size",
            "4",
            "--devices",
            "2",
            "--epochs",
            "1",
            "--runtime",
            "accelerate"
        ]),
        Vec::<String>::new()
    );
}

#[test]
fn allow_silences_a_kind_so_strict_passes() {
    let args = [
        "check",
        "--config",
        TORCHTUNE,
        "--samples",
        "100000",
        "--strict",
    ];
    lrsched().args(args).assert().code(1);
    let out = lrsched()
        .args(args)
        .args(["--allow", "zero_first_lr"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("\n\npassed\n"), "{text}");
    assert!(!text.contains("warning"), "{text}");
    // Repeated or comma-separated; the JSON lists what was allowed.
    let json = report(&[
        "--config",
        GPT2,
        "--allow",
        "zero_first_lr,zero_lr",
        "--allow",
        "warmup_too_long",
        "--strict",
    ]);
    assert_eq!(json["passed"], true);
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(
        json["allowed"],
        serde_json::json!(["zero_first_lr", "zero_lr", "warmup_too_long"])
    );
    // Today's warnings too: the jump where OneCycleLR takes over from the warmup.
    lrsched()
        .args([
            "check",
            "--schedule",
            "OneCycleLR",
            "--set",
            "max_lr=0.01",
            "--warmup",
            "100",
            "--steps",
            "1000",
            "--strict",
            "--allow",
            "zero_first_lr,warmup_jump",
        ])
        .assert()
        .code(0);
    rejects(
        &["check", "--allow", "zero_frist_lr"],
        "unknown warning kind 'zero_frist_lr' for --allow; did you mean 'zero_first_lr'? (the \
         kinds are zero_first_lr, zero_lr, warmup_too_long, warmup_ignored, rises_past_horizon, warmup_jump, \
         horizon_mismatch, warmup_max_lr, accelerate_stepping, past_defined_end)",
    );
    rejects(
        &["check", "--allow", "negative"],
        "--allow negative: 'negative' is a failure, not a warning, and cannot be allowed (the \
         warning kinds are zero_first_lr, zero_lr, warmup_too_long, warmup_ignored, rises_past_horizon, \
         warmup_jump, horizon_mismatch, warmup_max_lr, accelerate_stepping, past_defined_end)",
    );
}

#[test]
fn every_kind_is_in_check_help() {
    let out = lrsched().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for kind in lrsched::check::Kind::ALL {
        assert!(
            help.contains(&format!("  {}  ", kind.name())),
            "{kind} is not in check --help:\n{help}"
        );
    }
}

#[test]
fn a_run_without_updates_is_refused() {
    rejects(
        &[
            "check",
            "--samples",
            "7",
            "--batch-size",
            "8",
            "--drop-last",
            "--max-steps",
            "5",
        ],
        "the run makes no optimizer update, so there is nothing to check: 7 samples / (8 x 1) \
         = 0 batches/epoch (drop_last); empty dataloader: 0 updates; max_steps 5; no warmup",
    );
    rejects(
        &[
            "check",
            "--samples",
            "100",
            "--batch-size",
            "8",
            "--epochs",
            "1",
            "--logged",
        ],
        "--logged reads a log's step s as update s-1, as the Trainer logs; it applies to \
         check --against LOG (and to table, csv and json)",
    );
}

/// A TrainingArguments config that gives `constant` a warmup runs without one, as the
/// Trainer does (get_scheduler ignores it), and `check` names the key and line; the same on
/// the command line alone stays an error.
#[test]
fn a_configs_warmup_the_trainer_ignores_warns() {
    let args = TempFile::new(
        "args.yaml",
        "lr_scheduler_type: constant\nwarmup_steps: 5\nlearning_rate: 0.1\nmax_steps: 20\n",
    );
    let want = format!(
        "constant takes no warmup: the Trainer passes num_warmup_steps=5 (warmup_steps at \
         {}:2:1) to get_scheduler, which ignores it, so the run has none (use \
         constant_with_warmup for a warmup to a constant lr)",
        args.str()
    );
    for extra in [&[][..], &["--samples", "100"]] {
        let check = [&["--config", args.str()][..], extra].concat();
        assert_eq!(message(&check, "warmup_ignored"), want, "{extra:?}");
        let report = report(&check);
        assert_eq!(report["summary"]["first_lr"], 0.1, "{extra:?}");
        let warning = warning(&check, "warmup_ignored");
        assert_eq!(warning["key"], "warmup_steps");
        assert_eq!(warning["at"]["line"], 2);
        let allowed = [&check[..], &["--strict", "--allow", "warmup_ignored"]].concat();
        assert!(!kinds(&allowed).contains(&"warmup_ignored".to_string()));
    }
    // With a warmup it takes, nothing to say.
    let with = TempFile::new(
        "args.yaml",
        "lr_scheduler_type: constant_with_warmup\nwarmup_steps: 5\nmax_steps: 20\n",
    );
    assert!(!kinds(&["--config", with.str()]).contains(&"warmup_ignored".to_string()));
    rejects(
        &["check", "--schedule", "constant", "--warmup", "5"],
        "schedule 'constant' takes no warmup (transformers' get_scheduler ignores it); use \
         --schedule constant_with_warmup --warmup 5 for a warmup to a constant lr",
    );
}
