// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::runtime::{Interval, Runtime};
use super::*;
use crate::schedule::params::Params;
use crate::schedule::registry;

fn run(framework: Framework, n: u64, b: u64, g: u64, e: f64) -> Run {
    Run {
        framework,
        samples: Some(n),
        batch_size: Some(b),
        grad_accum: Some(g),
        epochs: Some(e),
        ..Run::default()
    }
}

fn trainer(n: u64, b: u64, g: u64, e: f64) -> Run {
    run(Framework::Transformers, n, b, g, e)
}

fn error(run: &Run) -> String {
    run.derive().map(|d| d.summary()).unwrap_err().to_string()
}

fn counts(d: &Derivation) -> [u64; 4] {
    [
        d.total_updates.value,
        d.max_steps.value,
        d.num_warmup_steps.value,
        d.num_training_steps.value,
    ]
}

#[test]
fn the_issue_example_reads_as_check_prints_it() {
    let d = Run {
        warmup_steps: Some(0.1),
        ..trainer(1001, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(
        d.summary(),
        "1001 samples / (8 x 1) = 126 batches/epoch; / accum 4 = 32 updates/epoch; \
         x 3 epochs = 96 updates; warmup ratio 0.1 -> 10 steps"
    );
    assert_eq!(counts(&d), [96, 96, 10, 96]);
    assert!(d.notes.is_empty());
}

#[test]
fn double_products_round_up_as_python_does() {
    // 1.1 * 50 = 55.00000000000001 -> 56 updates.
    let d = trainer(100, 2, 1, 1.1).derive().unwrap();
    assert_eq!(d.total_updates.value, 56);
    assert_eq!(
        d.total_updates.how,
        "x 1.1 epochs = 56 updates (1.1 x 50 = 55.00000000000001 in floating point)"
    );
    // 100 * 0.07 = 7.000000000000001 -> 8 warmup steps.
    let d = Run {
        max_steps: Some(100),
        warmup_steps: Some(0.07),
        ..trainer(100, 8, 2, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [100, 100, 8, 100]);
    assert_eq!(
        d.num_warmup_steps.how,
        "warmup ratio 0.07 -> 8 steps (100 x 0.07 = 7.000000000000001 in floating point)"
    );
    assert_eq!(
        d.notes,
        ["--epochs (num_train_epochs) is ignored: max_steps 100 sets the length"]
    );
    // 0.7 * 10 is exact: 7, with no remark.
    let d = trainer(10, 1, 1, 0.7).derive().unwrap();
    assert_eq!(d.total_updates.how, "x 0.7 epochs = 7 updates");
}

#[test]
fn warmup_steps_from_one_up_are_truncated() {
    let warmup = |w: f64| {
        Run {
            warmup_steps: Some(w),
            ..trainer(100, 8, 1, 1.0)
        }
        .derive()
        .unwrap()
        .num_warmup_steps
    };
    assert_eq!(
        warmup(2.7),
        Quantity::new(2, "warmup_steps 2.7 truncated -> 2 steps")
    );
    assert_eq!(warmup(1.0), Quantity::new(1, "warmup 1 steps"));
    assert_eq!(warmup(0.5), Quantity::new(7, "warmup ratio 0.5 -> 7 steps"));
    assert_eq!(warmup(0.0), Quantity::new(0, "no warmup"));
}

#[test]
fn warmup_ratio_is_read_as_older_versions_do() {
    let with_ratio = |framework| Run {
        warmup_ratio: Some(0.1),
        ..run(framework, 1000, 8, 1, 1.0)
    };
    let d = with_ratio(Framework::Transformers).derive().unwrap();
    assert_eq!(
        d.num_warmup_steps,
        Quantity::new(13, "warmup ratio 0.1 -> 13 steps")
    );
    assert_eq!(d.notes.len(), 1);
    assert!(
        d.notes[0].starts_with("warmup_ratio is no TrainingArguments field in transformers 5.x")
    );
    // LLaMA-Factory's pinned transformers still has the field: no note.
    let d = with_ratio(Framework::LlamaFactory).derive().unwrap();
    assert_eq!(d.num_warmup_steps.value, 13);
    assert!(d.notes.is_empty());
    // Steps win over the ratio.
    let d = Run {
        warmup_steps: Some(5.0),
        ..with_ratio(Framework::Transformers)
    }
    .derive()
    .unwrap();
    assert_eq!(d.num_warmup_steps.value, 5);
    assert_eq!(
        d.notes,
        [
            "--warmup (warmup_steps) and --warmup-ratio (warmup_ratio) are both given; the \
          warmup steps win (as in transformers 4.x)"
        ]
    );
}

#[test]
fn an_empty_dataloader_with_max_steps_makes_no_update() {
    let d = Run {
        max_steps: Some(5),
        drop_last: Some(true),
        ..trainer(7, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [0, 5, 0, 5]);
    assert_eq!(
        d.summary(),
        "7 samples / (8 x 1) = 0 batches/epoch (drop_last); empty dataloader: 0 updates; \
         max_steps 5; no warmup"
    );
    assert_eq!(
        error(&Run {
            drop_last: Some(true),
            ..trainer(7, 8, 1, 1.0)
        }),
        "7 samples / (8 x 1) with drop_last leave no batch on each device, and the Trainer \
         then raises \"ValueError: args.max_steps must be set to a positive value if \
         dataloader does not have a length, was -1\" (trainer.py:2549-2553); give more \
         samples, a smaller --batch-size (per_device_train_batch_size), or --max-steps \
         (max_steps)"
    );
}

#[test]
fn the_last_update_of_an_epoch_is_short() {
    let d = trainer(100, 8, 2, 2.0).derive().unwrap();
    let samples: Vec<u64> = (0..d.total_updates.value)
        .map(|u| d.update_plan(u).samples)
        .collect();
    assert_eq!(
        samples,
        [16, 16, 16, 16, 16, 16, 4, 16, 16, 16, 16, 16, 16, 4]
    );
    assert_eq!(d.update_plan(6).micro_batches, 1);
    assert_eq!(d.update_plan(7).epoch, 1);
}

#[test]
fn a_streamed_dataset_runs_max_steps() {
    let d = Run {
        samples: None,
        max_steps: Some(50),
        warmup_steps: Some(0.1),
        ..trainer(0, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [50, 50, 5, 50]);
    assert_eq!(
        error(&Run {
            samples: None,
            ..trainer(0, 8, 1, 1.0)
        }),
        "the run needs the dataset size: give --samples (or --max-steps (max_steps) for a \
         dataset without a length)"
    );
}

#[test]
fn bad_inputs_are_refused_naming_flag_and_key() {
    let cases = [
        (
            Run {
                batch_size: None,
                ..trainer(10, 1, 1, 1.0)
            },
            "the run needs the per-device batch size: give --batch-size (per_device_train_batch_size)",
        ),
        (
            trainer(10, 0, 1, 1.0),
            "--batch-size (per_device_train_batch_size) is 0; it must be at least 1",
        ),
        (
            trainer(10, 1, 0, 1.0),
            "--grad-accum (gradient_accumulation_steps) is 0; it must be at least 1",
        ),
        (
            Run {
                devices: Some(0),
                ..trainer(10, 1, 1, 1.0)
            },
            "--devices is 0; it must be at least 1",
        ),
        (
            trainer(10, 1, 1, -1.0),
            "--epochs (num_train_epochs) is -1; it must be a number of epochs, 0 or more",
        ),
        (
            Run {
                warmup_steps: Some(-2.0),
                ..trainer(10, 1, 1, 1.0)
            },
            "--warmup (warmup_steps) is -2; it must be 0 or more",
        ),
        (
            Run {
                warmup_ratio: Some(1.5),
                ..trainer(10, 1, 1, 1.0)
            },
            "--warmup-ratio (warmup_ratio) is 1.5; it must lie in [0, 1]",
        ),
        (
            Run {
                epochs: None,
                ..trainer(10, 1, 1, 1.0)
            },
            "the run needs its length: give --epochs (num_train_epochs) or --max-steps (max_steps)",
        ),
        (
            run(Framework::Axolotl, 10, 0, 1, 1.0),
            "--batch-size (micro_batch_size) is 0; it must be at least 1",
        ),
        (
            run(Framework::Lightning, 10, 1, 1, 1.5),
            "--epochs (trainer.max_epochs) is 1.5; lightning counts whole epochs",
        ),
        (
            Run {
                warmup_ratio: Some(0.1),
                ..run(Framework::Torchtune, 10, 1, 1, 1.0)
            },
            "torchtune has no warmup ratio; give the warmup in steps with --warmup \
             (lr_scheduler.num_warmup_steps)",
        ),
        (
            Run {
                max_steps: Some(10),
                ..run(Framework::Torchtune, 10, 1, 1, 1.0)
            },
            "torchtune's recipes have no max_steps; cap each epoch with --max-steps-per-epoch \
             (max_steps_per_epoch)",
        ),
    ];
    for (run, message) in cases {
        assert_eq!(error(&run), message);
    }
}

#[test]
fn axolotl_counts_its_own_steps_and_truncates_its_warmup() {
    // ceil(1000 * 3 / 32) = 94, where the Trainer alone would make 3 x 32 = 96.
    let d = Run {
        warmup_ratio: Some(0.1),
        ..run(Framework::Axolotl, 1000, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [94, 94, 9, 94]);
    assert_eq!(
        d.summary(),
        "1000 samples / (8 x 1) = 125 batches/epoch; / accum 4 = 32 updates/epoch; \
         axolotl: ceil(1000 samples x 3 epochs / (8 x 4 x 1)) = 94 steps = 94 updates \
         (max_steps); warmup ratio 0.1 -> int(9.4) = 9 steps (axolotl truncates)"
    );
    // Default warmup: min(int(0.03 * 94), 100) = 2.
    let d = run(Framework::Axolotl, 1000, 8, 4, 3.0).derive().unwrap();
    assert_eq!(d.num_warmup_steps.value, 2);
    // A warmup of 1 becomes 2.
    let d = Run {
        warmup_steps: Some(1.0),
        ..run(Framework::Axolotl, 1000, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(d.num_warmup_steps.value, 2);
    // A float warmup_steps below 1 goes on to the Trainer, which reads it as a ratio.
    let d = Run {
        warmup_steps: Some(0.1),
        ..run(Framework::Axolotl, 1000, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(d.num_warmup_steps.value, 10);
    // max_steps caps the count used for the warmup and is what the Trainer runs.
    let d = Run {
        max_steps: Some(50),
        warmup_ratio: Some(0.1),
        ..run(Framework::Axolotl, 1000, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [50, 50, 5, 50]);
    // Two devices double the global batch: ceil(3000 / 64) = 47.
    let d = Run {
        devices: Some(2),
        ..run(Framework::Axolotl, 1000, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    assert_eq!(d.total_updates.value, 47);
}

#[test]
fn torchtune_drops_the_last_batch_and_the_leftover_micro_batches() {
    let d = run(Framework::Torchtune, 1000, 8, 3, 2.0).derive().unwrap();
    assert_eq!(counts(&d), [82, 82, 0, 82]);
    assert_eq!(
        d.summary(),
        "1000 samples / (8 x 1) = 125 batches/epoch (drop_last); / accum 3 = 41 updates/epoch (rounded \
         down); x 2 epochs = 82 updates; no warmup"
    );
    // Update 41 opens epoch 1: the two leftover micro-batches of epoch 0 never stepped.
    assert_eq!(d.update_plan(41).epoch, 1);
    assert_eq!(d.micro_batches_before(41), 125);
    let d = Run {
        max_steps_per_epoch: Some(10),
        warmup_steps: Some(3.0),
        ..run(Framework::Torchtune, 1000, 8, 3, 2.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [20, 20, 3, 20]);
    assert_eq!(
        error(&run(Framework::Torchtune, 1000, 8, 3, 2.5)),
        "--epochs (epochs) is 2.5; torchtune counts whole epochs"
    );
}

#[test]
fn deepspeed_accumulates_across_epochs() {
    // 2 epochs x 125 micro-batches = 250, / 3 = 83 (the Trainer would make 2 x 42 = 84).
    let d = run(Framework::DeepSpeed, 1000, 8, 3, 2.0).derive().unwrap();
    assert_eq!(counts(&d), [83, 83, 0, 83]);
    let plan = d.update_plan(41);
    assert_eq!((plan.epoch, plan.last_batch, plan.micro_batches), (1, 1, 3));
    // Two devices: a DistributedSampler pads 1001 samples to 501 each.
    let d = Run {
        devices: Some(2),
        ..run(Framework::DeepSpeed, 1001, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(
        d.batches_per_epoch.as_ref().unwrap().how,
        "1001 samples / 2 devices = 501 per device (padded); / 8 = 63 batches/epoch"
    );
    assert_eq!(d.update_plan(62).samples, 5);
}

#[test]
fn lightning_steps_on_the_last_batch_and_estimates_like_its_trainer() {
    let d = Run {
        devices: Some(2),
        ..run(Framework::Lightning, 1000, 8, 3, 2.0)
    }
    .derive()
    .unwrap();
    // 500 a device, 63 batches, ceil(63 / 3) = 21 updates an epoch.
    assert_eq!(counts(&d), [42, 42, 0, 42]);
    let d = Run {
        max_steps: Some(30),
        ..run(Framework::Lightning, 1000, 8, 3, 2.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [30, 30, 0, 30]);
    // max_epochs 0 trains nothing, yet estimated_stepping_batches counts one epoch.
    let d = run(Framework::Lightning, 1000, 8, 3, 0.0).derive().unwrap();
    assert_eq!(counts(&d), [0, 0, 0, 42]);
    assert_eq!(d.notes.len(), 1);
}

fn steps(runtime: &Runtime, d: &Derivation, total_steps: Option<u64>) -> Vec<u64> {
    let map = runtime.map(d, total_steps).unwrap();
    (0..d.total_updates.value)
        .map(|u| map.scheduler_step(u))
        .collect()
}

#[test]
fn accelerate_steps_once_per_process() {
    let d = Run {
        devices: Some(4),
        ..trainer(64, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(d.total_updates.value, 2);
    let four = Runtime::named("accelerate", 4).unwrap();
    assert_eq!(steps(&four, &d, None), [0, 4]);
    assert_eq!(steps(&four, &d, Some(3)), [0, 3]);
    let split = Runtime::Accelerate {
        processes: 4,
        split_batches: true,
        step_with_optimizer: true,
    };
    assert_eq!(steps(&split, &d, None), [0, 1]);
    // Not stepping with the optimizer: once per micro-batch, the short update included.
    let d = trainer(100, 8, 2, 2.0).derive().unwrap();
    let every_call = Runtime::Accelerate {
        processes: 1,
        split_batches: false,
        step_with_optimizer: false,
    };
    assert_eq!(
        steps(&every_call, &d, None),
        [0, 2, 4, 6, 8, 10, 12, 13, 15, 17, 19, 21, 23, 25]
    );
}

#[test]
fn deepspeed_does_not_step_after_a_skipped_update() {
    let d = trainer(5, 1, 1, 1.0).derive().unwrap();
    let runtime = Runtime::DeepSpeed { skipped: vec![2] };
    assert_eq!(steps(&runtime, &d, None), [0, 1, 2, 2, 3]);
    let runtime = Runtime::DeepSpeed {
        skipped: vec![3, 0, 0],
    };
    assert_eq!(steps(&runtime, &d, None), [0, 0, 1, 2, 2]);
    assert_eq!(steps(&Runtime::Torch, &d, None), [0, 1, 2, 3, 4]);
}

#[test]
fn lightning_changes_the_lr_once_per_epoch_by_default() {
    // 7 samples, batch 1, accum 2: batches 7, updates ending at batch 2, 4, 6, 7.
    let d = run(Framework::Lightning, 7, 1, 2, 3.0).derive().unwrap();
    assert_eq!(d.total_updates.value, 12);
    let epoch = Runtime::named("lightning", 1).unwrap();
    assert_eq!(
        steps(&epoch, &d, None),
        [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    );
    let every_other = Runtime::Lightning {
        interval: Interval::Epoch,
        frequency: 2,
    };
    assert_eq!(
        steps(&every_other, &d, None),
        [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    );
    let step = Runtime::Lightning {
        interval: Interval::Step,
        frequency: 1,
    };
    assert_eq!(steps(&step, &d, None), (0..12).collect::<Vec<_>>());
    // frequency 3 counts batches: only the update ending at batch 6 steps.
    let step3 = Runtime::Lightning {
        interval: Interval::Step,
        frequency: 3,
    };
    assert_eq!(
        steps(&step3, &d, None),
        [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]
    );
}

#[test]
fn lightning_step_interval_on_a_streamed_dataset() {
    let d = Run {
        samples: None,
        max_steps: Some(6),
        ..run(Framework::Lightning, 0, 4, 2, 1.0)
    }
    .derive()
    .unwrap();
    let step3 = Runtime::Lightning {
        interval: Interval::Step,
        frequency: 3,
    };
    // Batches 2, 4, 6, 8, 10, 12: the updates ending at 6 and 12 step.
    assert_eq!(steps(&step3, &d, None), [0, 0, 0, 1, 1, 1]);
}

#[test]
fn logged_steps_follow_logging_steps() {
    let d = trainer(100, 8, 1, 1.0).derive().unwrap();
    let runtime = Runtime::Hf;
    let map = runtime.map(&d, None).unwrap();
    let logged =
        |every: f64, first: bool| -> Vec<u64> { map.logged_steps(every, first).unwrap().collect() };
    assert_eq!(logged(4.0, false), [4, 8, 12]);
    assert_eq!(logged(4.0, true), [1, 4, 8, 12]);
    // A ratio: ceil(13 * 0.25) = 4.
    assert_eq!(logged(0.25, false), [4, 8, 12]);
    assert!(map.logged_steps(0.0, false).is_err());
}

#[test]
fn runtime_lrs_read_the_schedule_forward() {
    // A recursive torch schedule, read through accelerate's 2-process stepping.
    let d = Run {
        devices: Some(2),
        ..trainer(160, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    let entry = registry::find("StepLR").unwrap();
    let params = Params::resolve(
        "StepLR",
        entry.params,
        &[(
            "step_size".to_string(),
            crate::schedule::params::Raw::Text("3".into()),
        )],
    )
    .unwrap();
    let schedule = entry.instantiate(&d.context(0.1, entry), &params).unwrap();
    let runtime = Runtime::named("accelerate", 2).unwrap();
    let map = runtime.map(&d, None).unwrap();
    let got: Vec<(u64, u64, f64)> = map
        .lrs(schedule.as_ref(), d.total_updates.value)
        .map(|x| (x.update, x.point.step, x.point.lr))
        .collect();
    assert_eq!(got.len(), 10);
    for (u, step, lr) in got {
        assert_eq!(step, 2 * u);
        assert_eq!(lr.to_bits(), schedule.at(step).lr.to_bits());
    }
}

#[test]
fn updates_are_a_schedule_of_the_run_s_lrs() {
    use super::runtime::Updates;
    use crate::schedule::Schedule;
    let d = Run {
        devices: Some(2),
        ..trainer(160, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    let entry = registry::find("StepLR").unwrap();
    let params = Params::resolve(
        "StepLR",
        entry.params,
        &[(
            "step_size".to_string(),
            crate::schedule::params::Raw::Text("3".into()),
        )],
    )
    .unwrap();
    let schedule = entry.instantiate(&d.context(0.1, entry), &params).unwrap();
    for (name, factor) in [("accelerate", 2), ("hf", 1)] {
        let runtime = Runtime::named(name, 2).unwrap();
        let map = runtime.map(&d, None).unwrap();
        let want: Vec<(u64, f64)> = map
            .lrs(schedule.as_ref(), d.total_updates.value)
            .map(|x| (x.update, x.point.lr))
            .collect();
        let updates = Updates::new(schedule.as_ref(), runtime.map(&d, None).unwrap());
        assert!(!updates.seekable(), "StepLR is recursive");
        let streamed: Vec<(u64, f64)> = updates
            .points(0)
            .take(want.len())
            .map(|p| (p.step, p.lr))
            .collect();
        assert_eq!(streamed, want, "{name}");
        // From any update, and by random access.
        let later: Vec<(u64, f64)> = updates.points(3).take(4).map(|p| (p.step, p.lr)).collect();
        assert_eq!(later, want[3..7], "{name}");
        for (u, lr) in &want {
            assert_eq!(updates.at(*u).lr.to_bits(), lr.to_bits());
            assert_eq!(updates.scheduler_step(*u), factor * u);
        }
    }
}

#[test]
fn constant_drops_the_warmup_only_where_the_trainer_does() {
    let d = Run {
        warmup_steps: Some(5.0),
        ..trainer(100, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    let constant = registry::find("constant").unwrap();
    assert_eq!(d.context(0.1, constant).warmup, 0);
    assert_eq!(d.num_warmup_steps.value, 5);
    let linear = registry::find("linear").unwrap();
    assert_eq!(d.context(0.1, linear).warmup, 5);
    let d = Run {
        warmup_steps: Some(5.0),
        ..run(Framework::Lightning, 100, 8, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(d.context(0.1, constant).warmup, 5);
}

#[test]
fn the_derivation_serialises_for_lrsched_json() {
    let d = Run {
        warmup_steps: Some(0.1),
        ..trainer(1001, 8, 4, 3.0)
    }
    .derive()
    .unwrap();
    let json = d.to_json();
    assert_eq!(json["framework"], "transformers");
    assert_eq!(json["total_updates"]["value"], 96);
    assert_eq!(
        json["num_warmup_steps"]["how"],
        "warmup ratio 0.1 -> 10 steps"
    );
    assert_eq!(json["inputs"]["samples"], 1001);
    assert!(json.get("notes").is_none());
    assert!(json["inputs"].get("devices").is_none());
}

#[test]
fn names_get_suggestions() {
    assert_eq!(
        Framework::parse("deepsped").unwrap_err().to_string(),
        "unknown framework 'deepsped'; did you mean 'deepspeed'? (frameworks: transformers, \
         llama-factory, axolotl, torchtune, deepspeed, lightning)"
    );
    assert_eq!(
        Runtime::named("acelerate", 1).unwrap_err().to_string(),
        "unknown runtime 'acelerate'; did you mean 'accelerate'? (runtimes: torch, hf, \
         accelerate, deepspeed, lightning; lrsched list --runtimes says how each steps)"
    );
    for f in Framework::ALL {
        assert_eq!(Framework::parse(f.name()).unwrap(), f);
    }
    for name in Runtime::NAMES {
        assert_eq!(Runtime::named(name, 2).unwrap().name(), name);
    }
}

#[test]
fn max_steps_zero_is_kept_and_the_first_update_still_runs() {
    // `epoch_based = max_steps < 0` keeps 0; the stop check comes after an update.
    let d = Run {
        max_steps: Some(0),
        ..trainer(100, 8, 1, 2.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [1, 0, 0, 0]);
    assert_eq!(d.total_updates.how, "max_steps 0 = 1 updates");
    assert_eq!(d.notes.len(), 1);
    // With no epoch to run there is no update at all.
    let d = trainer(100, 8, 1, 0.0).derive().unwrap();
    assert_eq!(counts(&d), [0, 0, 0, 0]);
}

#[test]
fn max_steps_without_epochs_still_has_epochs() {
    // Lightning: max_epochs unbounded, 3 updates an epoch, 7 updates.
    let d = Run {
        epochs: None,
        max_steps: Some(7),
        ..run(Framework::Lightning, 6, 2, 1, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [7, 7, 0, 7]);
    assert_eq!(
        d.total_updates.how,
        "max_steps 7 = 7 updates (max_epochs unbounded)"
    );
    let epoch = Runtime::named("lightning", 1).unwrap();
    assert_eq!(steps(&epoch, &d, None), [0, 0, 0, 1, 1, 1, 2]);
    // DeepSpeed: a loop of 5 updates over epochs of 3 micro-batches, accumulating 2.
    let d = Run {
        epochs: None,
        max_steps: Some(5),
        ..run(Framework::DeepSpeed, 6, 2, 2, 1.0)
    }
    .derive()
    .unwrap();
    assert_eq!(counts(&d), [5, 5, 0, 5]);
    let epochs: Vec<u64> = (0..5).map(|u| d.update_plan(u).epoch).collect();
    assert_eq!(epochs, [0, 1, 1, 2, 3]);
}

#[test]
fn extreme_inputs_give_errors_or_numbers_never_a_panic() {
    let big = u64::MAX;
    for framework in Framework::ALL {
        for samples in [None, Some(0), Some(1), Some(1001), Some(big)] {
            for (batch, accum, devices) in [(1, 1, 1), (8, 4, 3), (big, 1, 1), (1, big, big)] {
                for epochs in [None, Some(0.0), Some(2.5), Some(3.0), Some(1e300)] {
                    for max_steps in [None, Some(-1), Some(0), Some(7), Some(i64::MAX)] {
                        let run = Run {
                            framework,
                            samples,
                            batch_size: Some(batch),
                            grad_accum: Some(accum),
                            devices: Some(devices),
                            epochs,
                            max_steps,
                            ..Run::default()
                        };
                        let Ok(d) = run.derive() else { continue };
                        let total = d.total_updates.value;
                        for u in [0, total / 2, total.saturating_sub(1)] {
                            d.update_plan(u);
                            d.micro_batches_before(u);
                        }
                        let runtimes = Runtime::NAMES
                            .map(|name| Runtime::named(name, devices).unwrap())
                            .into_iter()
                            .chain([Runtime::Lightning {
                                interval: Interval::Step,
                                frequency: 3,
                            }]);
                        for runtime in runtimes {
                            if let Ok(map) = runtime.map(&d, Some(5)) {
                                map.scheduler_step(total.saturating_sub(1));
                            }
                        }
                        d.summary();
                    }
                }
            }
        }
    }
}

fn llama_factory(n: u64, data: DataArgs) -> Run {
    Run {
        data: Some(data),
        ..run(Framework::LlamaFactory, n, 4, 1, 1.0)
    }
}

#[test]
fn llama_factory_caps_merges_and_splits_as_its_loader_does() {
    let data = DataArgs {
        datasets: vec!["a".into()],
        max_samples: Some(100),
        val_size: Some(0.1),
        ..DataArgs::default()
    };
    // min(250, 100) = 100, ceil(0.1 x 100) = 10 for evaluation: 90 samples, 23 batches.
    let d = llama_factory(250, data).derive().unwrap();
    assert_eq!(d.samples.as_ref().map(|q| q.value), Some(90));
    assert_eq!(d.batches_per_epoch.as_ref().map(|q| q.value), Some(23));
    assert_eq!(
        d.summary(),
        "max_samples 100: min(250, 100) = 100 samples; val_size 0.1: 100 - ceil(0.1 x 100) = \
         90 training samples; 90 samples / (4 x 1) = 23 batches/epoch; / accum 1 = 23 \
         updates/epoch; x 1 epoch = 23 updates; no warmup"
    );
    // The inputs stay as given; only the samples the Trainer sees change.
    assert_eq!(d.inputs.samples, Some(250));
    // A float val_size is a ratio rounded up (datasets' train_test_split).
    let data = DataArgs {
        val_size: Some(0.15),
        ..DataArgs::default()
    };
    let d = llama_factory(10, data).derive().unwrap();
    assert_eq!(d.samples.map(|q| q.value), Some(8));
    // Several datasets, each capped, concatenated.
    let d = Run {
        dataset_sizes: vec![50, 500],
        ..llama_factory(
            550,
            DataArgs {
                datasets: vec!["a".into(), "b".into()],
                max_samples: Some(100),
                ..DataArgs::default()
            },
        )
    }
    .derive()
    .unwrap();
    assert_eq!(d.samples.map(|q| q.value), Some(150));
}

#[test]
fn runtime_options_apply_to_their_runtime() {
    use super::runtime::Options;
    let accelerate = Runtime::named("accelerate", 4)
        .unwrap()
        .with(&Options {
            split_batches: Some(true),
            step_scheduler_with_optimizer: Some(false),
            ..Options::default()
        })
        .unwrap();
    assert_eq!(
        accelerate,
        Runtime::Accelerate {
            processes: 4,
            split_batches: true,
            step_with_optimizer: false
        }
    );
    let lightning = Runtime::named("lightning", 1)
        .unwrap()
        .with(&Options {
            interval: Some(Interval::parse("step").unwrap()),
            frequency: Some(3),
            ..Options::default()
        })
        .unwrap();
    assert_eq!(
        lightning,
        Runtime::Lightning {
            interval: Interval::Step,
            frequency: 3
        }
    );
    assert_eq!(
        Runtime::Hf
            .with(&Options {
                frequency: Some(2),
                ..Options::default()
            })
            .unwrap_err()
            .to_string(),
        "--frequency applies to --runtime lightning, not hf"
    );
    assert_eq!(
        Interval::parse("batch").unwrap_err().to_string(),
        "the lightning interval must be \"step\" or \"epoch\", not \"batch\" (Lightning raises \
         MisconfigurationException)"
    );
}
