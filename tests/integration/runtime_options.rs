//! The options of the runtimes that step the scheduler: accelerate's `split_batches` and
//! `step_scheduler_with_optimizer` (accelerate 1.15 scheduler.py:54-82), Lightning's
//! `interval` and `frequency` (lightning 2.6 loops/training_epoch_loop.py:456-509). Each
//! update's lr is the schedule's value at the step the rule gives, read from the same
//! schedule written step by step (StepLR, whose values do not depend on the horizon).

use crate::cli::{lrsched, rejects};
use crate::scratch::TempFile;

/// The lr column of `lrsched csv ARGS`, by row.
fn lrs(args: &[&str]) -> Vec<String> {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit_once(',').unwrap().1.to_string())
        .collect()
}

/// StepLR halving every step, at each of `steps`.
fn step_lr_at(base_lr: &str, steps: impl IntoIterator<Item = usize>) -> Vec<String> {
    let all = lrs(&[
        "--schedule",
        "StepLR",
        "--set",
        "step_size=1",
        "--set",
        "gamma=0.5",
        "--base-lr",
        base_lr,
        "--steps",
        "64",
    ]);
    steps.into_iter().map(|s| all[s].clone()).collect()
}

/// StepLR in a loop that passes it to accelerator.prepare: 128 samples, batch 8 on each of
/// 2 processes, 8 updates.
fn accelerate(extra: &[&str]) -> Vec<String> {
    let run = [
        "--schedule",
        "StepLR",
        "--set",
        "step_size=1",
        "--set",
        "gamma=0.5",
        "--base-lr",
        "0.1",
        "--samples",
        "128",
        "--batch-size",
        "8",
        "--devices",
        "2",
        "--epochs",
        "1",
        "--runtime",
        "accelerate",
    ];
    lrs(&[&run[..], extra].concat())
}

#[test]
fn split_batches_steps_the_scheduler_once_per_update() {
    // scheduler.py:75-82: one step per process for each update, update u uses step 2u.
    assert_eq!(accelerate(&[]), step_lr_at("0.1", (0..8).map(|u| 2 * u)));
    // scheduler.py:69-71: with split_batches, one.
    assert_eq!(accelerate(&["--split-batches"]), step_lr_at("0.1", 0..8));
}

#[test]
fn step_scheduler_with_optimizer_false_steps_on_every_call() {
    // 128 samples / (8 x 2) = 8 batches on each process, accumulation 2: 4 updates. The loop
    // calls scheduler.step() after each micro-batch inside accelerator.accumulate, and
    // scheduler.py:55-58 steps it each time, once whatever the processes: update u uses 2u.
    assert_eq!(
        accelerate(&[
            "--grad-accum",
            "2",
            "--step-scheduler-with-optimizer",
            "false"
        ]),
        step_lr_at("0.1", (0..4).map(|u| 2 * u))
    );
    assert_eq!(
        accelerate(&[
            "--grad-accum",
            "2",
            "--step-scheduler-with-optimizer",
            "true"
        ]),
        step_lr_at("0.1", (0..4).map(|u| 2 * u))
    );
    let json: serde_json::Value = serde_json::from_slice(
        &lrsched()
            .args([
                "json",
                "--schedule",
                "linear",
                "--samples",
                "128",
                "--batch-size",
                "8",
                "--devices",
                "2",
                "--epochs",
                "1",
                "--runtime",
                "accelerate",
                "--split-batches",
                "--step-scheduler-with-optimizer",
                "false",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        json["schedule"]["runtime"],
        serde_json::json!({"name": "accelerate", "processes": 2, "split_batches": true,
                           "step_with_optimizer": false})
    );
}

#[test]
fn lightnings_interval_and_frequency() {
    // LightningCLI example: StepLR (gamma 0.5), 3 epochs, batch 8, accumulation 2. 100
    // samples are 13 batches an epoch, 7 updates (the last of one batch): 21 updates.
    let config = [
        "--config",
        "examples/configs/lightning.yaml",
        "--samples",
        "100",
    ];
    let epoch_of = |u: usize| u / 7;
    assert_eq!(lrs(&config), step_lr_at("0.001", (0..21).map(epoch_of)));
    // interval "step": a step after every update.
    assert_eq!(
        lrs(&[&config[..], &["--interval", "step"]].concat()),
        step_lr_at("0.001", 0..21)
    );
    // frequency 2: a step after every second epoch (training_epoch_loop.py:482-486).
    assert_eq!(
        lrs(&[&config[..], &["--frequency", "2"]].concat()),
        step_lr_at("0.001", (0..21).map(|u| epoch_of(u) / 2))
    );
    assert_eq!(
        lrs(&[&config[..], &["--interval", "epoch", "--frequency", "1"]].concat()),
        lrs(&config)
    );
}

#[test]
fn options_of_another_runtime_are_refused() {
    let run = [
        "csv",
        "--samples",
        "64",
        "--batch-size",
        "8",
        "--epochs",
        "1",
    ];
    rejects(
        &[&run[..], &["--split-batches"]].concat(),
        "--split-batches applies to --runtime accelerate, not hf",
    );
    rejects(
        &[&run[..], &["--step-scheduler-with-optimizer", "false"]].concat(),
        "--step-scheduler-with-optimizer applies to --runtime accelerate, not hf",
    );
    rejects(
        &[&run[..], &["--runtime", "accelerate", "--interval", "step"]].concat(),
        "--interval applies to --runtime lightning, not accelerate",
    );
    rejects(
        &[&run[..], &["--runtime", "torch", "--frequency", "2"]].concat(),
        "--frequency applies to --runtime lightning, not torch",
    );
    for (flag, value) in [("--frequency", "0"), ("--interval", "batch")] {
        let out = lrsched()
            .args([&run[..], &["--runtime", "lightning", flag, value]].concat())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_lightning_cli_config_has_no_interval_key() {
    // LightningCLI's automatic configure_optimizers returns the bare scheduler (cli.py:
    // 664-682), and its lr_scheduler takes class_path and init_args only.
    let config = TempFile::new(
        "config.yaml",
        "trainer:\n  max_epochs: 2\ndata:\n  init_args:\n    batch_size: 8\noptimizer:\n  \
         class_path: torch.optim.SGD\n  init_args:\n    lr: 0.1\nlr_scheduler:\n  \
         class_path: torch.optim.lr_scheduler.StepLR\n  init_args:\n    step_size: 1\n  \
         interval: step\n",
    );
    rejects(
        &["csv", "--config", config.str(), "--samples", "32"],
        &format!(
            "config {config}:14:3: \"lr_scheduler.interval\" is a key of Lightning's \
             lr_scheduler_config, which a configure_optimizers of your own returns; \
             LightningCLI's lr_scheduler takes only class_path and init_args (its automatic \
             configure_optimizers steps the scheduler every epoch); give the run's --interval \
             and --frequency instead (read as LightningCLI config because of \"trainer\")"
        ),
    );
}

#[test]
fn list_runtimes_names_the_options_and_their_sources() {
    let out = lrsched().args(["list", "--runtimes"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "split_batches=True (--split-batches)",
        "step_scheduler_with_optimizer=False (--step-scheduler-with-optimizer false)",
        "accelerate 1.15 scheduler.py:54-82, accelerator.py:2809-2814",
        "interval='step' (--interval step)",
        "(--frequency N)",
        "utilities/types.py:86-88; core/optimizer.py:269-273; cli.py:664-682",
    ] {
        assert!(joined.contains(needle), "{needle}\n{text}");
    }
}
