//! Each framework's rules for turning a run into optimizer updates and the scheduler's
//! `num_warmup_steps` / `num_training_steps`, read from its source (file:line cited on each).

use super::{DataArgs, Derivation, Field, Framework, Layout, Quantity, Run, num};
use crate::error::{Error, Result};

/// Dispatches to the framework's rules after the checks every framework shares.
pub(super) fn derive(run: &Run) -> Result<Derivation> {
    let common = Common::check(run)?;
    match run.framework {
        Framework::Transformers => trainer(run, &common, &Plan::from(run)),
        Framework::LlamaFactory => llama_factory(run, &common),
        Framework::Axolotl => axolotl(run, &common),
        Framework::Torchtune => torchtune(run, &common),
        Framework::DeepSpeed => deepspeed(run, &common),
        Framework::Lightning => lightning(run, &common),
    }
}

/// The inputs every framework needs, checked.
struct Common {
    batch: u64,
    devices: u64,
    accum: u64,
    epochs: Option<f64>,
}

impl Common {
    /// A run of `total.value` updates over a dataset whose size is not known (none given,
    /// or one without a length): `max_steps` is the whole run and the horizon.
    fn streamed(
        &self,
        run: &Run,
        total: Quantity,
        num_warmup_steps: Quantity,
        training: String,
        notes: Vec<String>,
    ) -> Derivation {
        let m = total.value;
        Derivation {
            framework: run.framework,
            inputs: run.clone(),
            samples: None,
            batches_per_epoch: None,
            updates_per_epoch: None,
            total_updates: total,
            max_steps: Quantity::new(m, format!("max_steps {m}")),
            num_warmup_steps,
            num_training_steps: Quantity::new(m, training),
            notes,
            layout: Layout::Streamed {
                accum: self.accum,
                batch: self.batch,
            },
        }
    }

    fn check(run: &Run) -> Result<Self> {
        let fw = run.framework;
        let at_least_one = |field: Field, value: Option<u64>| -> Result<()> {
            match value {
                Some(0) => Err(Error::input(format!(
                    "{} is 0; it must be at least 1",
                    field.describe(fw)
                ))),
                _ => Ok(()),
            }
        };
        let batch = run.batch_size.ok_or_else(|| {
            Error::input(format!(
                "the run needs the per-device batch size: give {}",
                Field::BatchSize.describe(fw)
            ))
        })?;
        at_least_one(Field::BatchSize, Some(batch))?;
        at_least_one(Field::Devices, run.devices)?;
        at_least_one(Field::GradAccum, run.grad_accum)?;
        if let Some(e) = run.epochs
            && !(e.is_finite() && e >= 0.0)
        {
            return Err(Error::input(format!(
                "{} is {}; it must be a number of epochs, 0 or more",
                Field::Epochs.describe(fw),
                num(e)
            )));
        }
        if let Some(w) = run.warmup_steps
            && !(w.is_finite() && w >= 0.0)
        {
            // training_args.py:1800 raises on a negative warmup_steps.
            return Err(Error::input(format!(
                "{} is {}; it must be 0 or more",
                Field::WarmupSteps.describe(fw),
                num(w)
            )));
        }
        if run.dataset_sizes.len() > 1 && fw != Framework::LlamaFactory {
            return Err(Error::input(format!(
                "{} gives {} sizes, one per dataset of a LLaMA-Factory config; {fw} reads one \
                 dataset: give its number of samples",
                Field::Samples.flag(),
                run.dataset_sizes.len()
            )));
        }
        if let Some(r) = run.warmup_ratio
            && !(0.0..=1.0).contains(&r)
        {
            // transformers 4.x __post_init__: "warmup_ratio must lie in range [0,1]".
            return Err(Error::input(format!(
                "{} is {}; it must lie in [0, 1]",
                Field::WarmupRatio.describe(fw),
                num(r)
            )));
        }
        Ok(Common {
            batch,
            devices: run.devices.unwrap_or(1),
            accum: run.grad_accum.unwrap_or(1),
            epochs: run.epochs,
        })
    }
}

/// What the Trainer is handed: `TrainingArguments.max_steps` and `warmup_steps` (and the
/// pre-5.0 `warmup_ratio`). Axolotl computes its own and hands them on.
struct Plan {
    max_steps: i64,
    warmup_steps: Option<f64>,
    warmup_ratio: Option<f64>,
}

impl From<&Run> for Plan {
    fn from(run: &Run) -> Self {
        Plan {
            max_steps: run.max_steps.unwrap_or(-1),
            warmup_steps: run.warmup_steps,
            warmup_ratio: run.warmup_ratio,
        }
    }
}

/// `1 epoch`, `3 epochs`, `1.1 epochs`.
fn epochs_text(e: f64) -> String {
    if e == 1.0 {
        "1 epoch".to_string()
    } else {
        format!("{} epochs", num(e))
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

/// `ceil(x)` of a non-negative double, as a step count.
fn ceil_steps(x: f64, what: &str) -> Result<u64> {
    let c = x.ceil();
    if !(c.is_finite() && c >= 0.0 && c < 2f64.powi(63)) {
        return Err(Error::input(format!(
            "{what} gives {}, too many steps",
            num(x)
        )));
    }
    Ok(c as u64)
}

/// ` (1.1 x 50 = 55.00000000000001 in floating point)` when a product that is a whole
/// number on paper is not one in doubles, so the ceiling goes one higher than expected.
fn float_trap(a: f64, b: f64, product: f64) -> String {
    let near = product.round();
    if product != near && (product - near).abs() < 1e-9 * near.abs().max(1.0) {
        format!(
            " ({} x {} = {} in floating point)",
            num(a),
            num(b),
            num(product)
        )
    } else {
        String::new()
    }
}

fn batches_text(n: u64, batch: u64, devices: u64, batches: u64, drop_last: bool) -> String {
    format!(
        "{n} samples / ({batch} x {devices}) = {batches} batches/epoch{}",
        if drop_last { " (drop_last)" } else { "" }
    )
}

/// Batches per device when a `DistributedSampler` (drop_last=False, so padded to
/// `ceil(N / P)` samples a rank) feeds a `DataLoader(batch_size=B, drop_last=D)`: Lightning
/// (trainer/connectors/data_connector.py:230-244), DeepSpeed (runtime/dataloader.py:76-79,
/// 102-106) and torchtune (`StatefulDistributedSampler`).
fn sampler_batches(n: u64, batch: u64, devices: u64, drop_last: bool) -> (u64, u64, String) {
    let per_rank = ceil_div(n, devices);
    let batches = if drop_last {
        per_rank / batch
    } else {
        ceil_div(per_rank, batch)
    };
    let how = if devices == 1 {
        batches_text(n, batch, 1, batches, drop_last)
    } else {
        format!(
            "{n} samples / {devices} devices = {per_rank} per device (padded); / {batch} = \
             {batches} batches/epoch{}",
            if drop_last { " (drop_last)" } else { "" }
        )
    };
    // Samples in the last batch of a device's epoch.
    let last = if drop_last || per_rank.is_multiple_of(batch) {
        batch
    } else {
        per_rank % batch
    };
    (batches, last, how)
}

/// Whole epochs, for frameworks whose epoch loop is `range(epochs)`.
fn whole_epochs(run: &Run, epochs: f64) -> Result<u64> {
    if epochs.fract() != 0.0 {
        return Err(Error::input(format!(
            "{} is {}; {} counts whole epochs",
            Field::Epochs.describe(run.framework),
            num(epochs),
            run.framework
        )));
    }
    Ok(epochs as u64)
}

/// Warmup given as a whole number of steps, for frameworks whose scheduler takes
/// `num_warmup_steps` itself (torchtune, DeepSpeed, Lightning): no ratio.
fn whole_warmup(run: &Run) -> Result<Quantity> {
    if run.warmup_ratio.is_some() {
        return Err(Error::input(format!(
            "{} has no warmup ratio; give the warmup in steps with {}",
            run.framework,
            Field::WarmupSteps.describe(run.framework)
        )));
    }
    match run.warmup_steps {
        None => Ok(Quantity::new(0, "no warmup")),
        Some(w) if w.fract() != 0.0 => Err(Error::input(format!(
            "{} is {}; {} takes a whole number of warmup steps",
            Field::WarmupSteps.describe(run.framework),
            num(w),
            run.framework
        ))),
        Some(w) => Ok(warmup_steps_text(w as u64)),
    }
}

fn warmup_steps_text(n: u64) -> Quantity {
    if n == 0 {
        Quantity::new(0, "no warmup")
    } else {
        Quantity::new(n, format!("warmup {n} steps"))
    }
}

/// transformers' `Trainer` 5.24 (LLaMA-Factory passes its YAML straight to it). Line numbers
/// are those of transformers 5.24.0 / accelerate 1.15.0, as in tests/golden/hf-trainer-runs.md.
fn trainer(run: &Run, c: &Common, plan: &Plan) -> Result<Derivation> {
    let fw = run.framework;
    let mut notes = Vec::new();
    let m = plan.max_steps;
    let Some(n) = run.samples else {
        // A dataset without a length (trainer.py:2543-2546): max_steps updates.
        if m <= 0 {
            return Err(Error::input(format!(
                "the run needs the dataset size: give {} (or {} for a dataset without a length)",
                Field::Samples.flag(),
                Field::MaxSteps.describe(fw)
            )));
        }
        let m = m as u64;
        let warmup = trainer_warmup(run, plan, m, &mut notes)?;
        return Ok(c.streamed(
            run,
            Quantity::new(
                m,
                format!("a dataset without a length: max_steps {m} = {m} updates"),
            ),
            warmup,
            format!("num_training_steps = max_steps = {m}"),
            notes,
        ));
    };
    let drop_last = run.drop_last.unwrap_or(false);
    // trainer.py:1045 builds DataLoader(batch_size=B, drop_last=D); with P processes
    // accelerate shards whole batches round-robin (data_loader.py:170-186, 1254-1260):
    // floor(floor(N/B)/P) with drop_last, else ceil(ceil(N/B)/P), the missing samples filled
    // from the start of the data set (even_batches, data_loader.py:213-271).
    let batches = if drop_last {
        n / c.batch / c.devices
    } else {
        ceil_div(ceil_div(n, c.batch), c.devices)
    };
    let last_batch = if drop_last || c.devices > 1 || n % c.batch == 0 {
        c.batch
    } else {
        n % c.batch
    };
    let batches_q = Quantity::new(
        batches,
        batches_text(n, c.batch, c.devices, batches, drop_last),
    );
    if batches == 0 {
        // trainer.py:2531: a zero length is falsy.
        if m <= 0 {
            return Err(Error::input(format!(
                "{n} samples / ({} x {}) with drop_last leave no batch on each device, and the \
                 Trainer then raises \"ValueError: args.max_steps must be set to a positive \
                 value if dataloader does not have a length, was {m}\" (trainer.py:2549-2553); \
                 give more samples, a smaller {}, or {}",
                c.batch,
                c.devices,
                Field::BatchSize.describe(fw),
                Field::MaxSteps.describe(fw)
            )));
        }
        // trainer.py:2543-2546 plans max_steps updates; the first epoch yields no batch and
        // the Trainer stops at once (trainer.py:1981-1987).
        let m = m as u64;
        notes.push(format!(
            "the dataloader is empty: the Trainer plans max_steps {m} updates but makes none"
        ));
        return Ok(Derivation {
            framework: fw,
            inputs: run.clone(),
            samples: None,
            batches_per_epoch: Some(batches_q),
            updates_per_epoch: None,
            total_updates: Quantity::new(0, "empty dataloader: 0 updates"),
            max_steps: Quantity::new(m, format!("max_steps {m}")),
            num_warmup_steps: trainer_warmup(run, plan, m, &mut notes)?,
            num_training_steps: Quantity::new(m, format!("num_training_steps = max_steps = {m}")),
            notes,
            layout: Layout::PerEpoch {
                batches: 0,
                accum: c.accum,
                updates: 0,
                batch: c.batch,
                last_batch,
                keep_remainder: true,
            },
        });
    }
    // trainer.py:2521-2526: the remainder micro-batches make one short update.
    let updates = ceil_div(batches, c.accum).max(1);
    let updates_q = Quantity::new(
        updates,
        format!("/ accum {} = {updates} updates/epoch", c.accum),
    );
    // trainer.py:2509-2541: max_steps > 0 wins; otherwise ceil(E * U) in doubles, and the
    // epoch loop runs ceil(M / U) or ceil(E) epochs.
    let (max_steps, max_how, loop_epochs) = if m > 0 {
        if c.epochs.is_some() && run.max_steps.is_some() {
            notes.push(format!(
                "{} is ignored: max_steps {m} sets the length",
                Field::Epochs.describe(fw)
            ));
        }
        let m = m as u64;
        (
            m,
            format!("max_steps {m} = {m} updates"),
            ceil_div(m, updates),
        )
    } else {
        let e = c.epochs.ok_or_else(|| {
            Error::input(format!(
                "the run needs its length: give {} or {}",
                Field::Epochs.describe(fw),
                Field::MaxSteps.describe(fw)
            ))
        })?;
        let product = e * updates as f64;
        let max_steps = ceil_steps(product, "epochs x updates/epoch")?;
        let how = format!(
            "x {} = {max_steps} updates{}",
            epochs_text(e),
            float_trap(e, updates as f64, product)
        );
        // `epoch_based = max_steps < 0` (trainer.py:2511): max_steps=0 stays 0.
        let max_steps = if m == 0 { 0 } else { max_steps };
        (max_steps, how, ceil_steps(e, "epochs")?)
    };
    // DefaultFlowCallback stops once global_step >= max_steps, checked after each update
    // (trainer_callback.py:592), so max_steps=0 still makes the first update.
    let available = loop_epochs.saturating_mul(updates);
    let total = if available == 0 {
        0
    } else {
        available.min(max_steps.max(1))
    };
    let total_q = if m == 0 {
        notes.push(
            "max_steps 0 is not -1: the Trainer keeps it, makes one update and stops \
             (trainer.py:2511, trainer_callback.py:592)"
                .to_string(),
        );
        Quantity::new(total, format!("max_steps 0 = {total} updates"))
    } else {
        Quantity::new(total, max_how.clone())
    };
    Ok(Derivation {
        framework: fw,
        inputs: run.clone(),
        samples: None,
        batches_per_epoch: Some(batches_q),
        updates_per_epoch: Some(updates_q),
        total_updates: total_q,
        max_steps: Quantity::new(max_steps, format!("max_steps {max_steps}")),
        num_warmup_steps: trainer_warmup(run, plan, max_steps, &mut notes)?,
        // trainer.py:1778: create_scheduler(num_training_steps=max_steps).
        num_training_steps: Quantity::new(
            max_steps,
            format!("num_training_steps = max_steps = {max_steps}"),
        ),
        notes,
        layout: Layout::PerEpoch {
            batches,
            accum: c.accum,
            updates,
            batch: c.batch,
            last_batch,
            keep_remainder: true,
        },
    })
}

/// LLaMA-Factory (hiyouga/LLaMA-Factory @ff6d4d12): its data pipeline turns the datasets
/// into the training set, which the Trainer then runs with the YAML's TrainingArguments.
fn llama_factory(run: &Run, c: &Common) -> Result<Derivation> {
    let data = run.data.clone().unwrap_or_default();
    let plan = Plan::from(run);
    if run.samples.is_none() {
        return trainer(run, c, &plan);
    }
    if data.streaming {
        // hparams/parser.py:474-475.
        if plan.max_steps <= 0 {
            let at = data
                .at("streaming")
                .map_or(String::new(), |at| format!("config {at}: "));
            return Err(Error::input(format!(
                "{at}streaming: true gives a dataset without a length, and LLaMA-Factory raises \
                 \"Please specify `max_steps` in streaming mode.\" (hparams/parser.py:474-475); \
                 give {}",
                Field::MaxSteps.describe(run.framework)
            )));
        }
        let streamed = Run {
            samples: None,
            ..run.clone()
        };
        let mut d = trainer(&streamed, c, &plan)?;
        d.inputs = run.clone();
        d.notes.push(
            "streaming: the dataset has no length, so the Trainer runs max_steps updates and \
             --samples is not used"
                .to_string(),
        );
        return Ok(d);
    }
    let (n, how) = llama_factory_samples(run, &data)?;
    let effective = Run {
        samples: Some(n),
        ..run.clone()
    };
    let mut d = trainer(&effective, c, &plan)?;
    d.inputs = run.clone();
    d.samples = how.map(|how| Quantity::new(n, how));
    if data.packed {
        d.notes.push(
            "packing: LLaMA-Factory packs the samples into sequences of cutoff_len tokens, so \
             --samples counts the packed training sequences (max_samples and val_size apply \
             before packing, to the examples)"
                .to_string(),
        );
    }
    Ok(d)
}

/// The training samples LLaMA-Factory's data pipeline leaves: `max_samples` caps each
/// dataset (data/loader.py:157-159), the datasets are merged (data/data_utils.py:51-82,
/// `interleave_datasets` as datasets' arrow_dataset.py `_interleave_map_style_datasets`
/// sizes it without probabilities), and `val_size` goes to evaluation
/// (data/data_utils.py:109-117, datasets' `train_test_split`: `ceil(test_size * n)` for a
/// float, the count for an int). Packed samples are counted after all that.
fn llama_factory_samples(run: &Run, data: &DataArgs) -> Result<(u64, Option<String>)> {
    let given = run.samples.unwrap_or(0);
    let names = if data.datasets.is_empty() {
        "the dataset".to_string()
    } else {
        data.datasets.join(", ")
    };
    let k = data.datasets.len().max(1);
    let sizes = if run.dataset_sizes.is_empty() {
        vec![given]
    } else {
        run.dataset_sizes.clone()
    };
    let mix = data.mix_strategy.as_deref().unwrap_or("concat");
    let at = |key: &str| match data.at(key) {
        Some(at) => format!("config {at}: "),
        None => String::new(),
    };
    if data.packed {
        if sizes.len() > 1 {
            return Err(Error::input(format!(
                "{}packing counts the packed training sequences, which --samples gives as one \
                 number, not one per dataset",
                at("dataset")
            )));
        }
        return Ok((given, None));
    }
    if sizes.len() > 1 && sizes.len() != k {
        return Err(Error::input(format!(
            "{}--samples gives {} sizes, and \"dataset\" names {k} ({names})",
            at("dataset"),
            sizes.len()
        )));
    }
    if sizes.len() == 1 && k > 1 {
        let why = if data.max_samples.is_some() {
            Some("\"max_samples\" caps each of them (data/loader.py:157-159)".to_string())
        } else if mix != "concat" {
            Some(format!("\"mix_strategy\" {mix} mixes them by their sizes"))
        } else {
            None
        };
        if let Some(why) = why {
            let example = vec!["N"; k]
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n}{}", i + 1))
                .collect::<Vec<_>>()
                .join(",");
            return Err(Error::input(format!(
                "{}\"dataset\" names {k} datasets ({names}), and {why}: give each one's size, \
                 --samples {example} in that order",
                at("dataset")
            )));
        }
        // Concatenated whole: the total is what was given.
    }
    let capped: Vec<u64> = sizes
        .iter()
        .map(|&s| data.max_samples.map_or(s, |m| s.min(m)))
        .collect();
    let terms: Vec<String> = sizes
        .iter()
        .map(|s| match data.max_samples {
            Some(m) => format!("min({s}, {m})"),
            None => s.to_string(),
        })
        .collect();
    let mut parts = Vec::new();
    let merged = if capped.len() == 1 {
        if let Some(m) = data.max_samples {
            parts.push(format!(
                "max_samples {m}: {} = {} samples",
                terms[0], capped[0]
            ));
        }
        capped[0]
    } else {
        let prefix = data
            .max_samples
            .map_or(String::new(), |m| format!("max_samples {m}: "));
        let count = capped.len() as u64;
        let (n, text) = match mix {
            "concat" => {
                let n = capped.iter().try_fold(0u64, |a, &b| a.checked_add(b));
                (n, terms.join(" + "))
            }
            _ if data.interleave_probs => {
                return Err(Error::input(format!(
                    "{}\"interleave_probs\" draws the mixed samples at random, so their number \
                     is not known before the run; lrsched sizes concatenated datasets and \
                     interleaving without probabilities",
                    at("interleave_probs")
                )));
            }
            // arrow_dataset.py: min(lengths) rows of each (first_exhausted).
            "interleave_under" => (
                capped.iter().min().and_then(|m| m.checked_mul(count)),
                format!("interleave_under {count} x min({})", terms.join(", ")),
            ),
            // arrow_dataset.py: max(lengths) rows of each, cycling (all_exhausted).
            "interleave_over" => (
                capped.iter().max().and_then(|m| m.checked_mul(count)),
                format!("interleave_over {count} x max({})", terms.join(", ")),
            ),
            // arrow_dataset.py: every row once (all_exhausted_without_replacement).
            _ => (
                capped.iter().try_fold(0u64, |a, &b| a.checked_add(b)),
                format!("interleave_once {}", terms.join(" + ")),
            ),
        };
        let n = n.ok_or_else(|| Error::input("--samples: the datasets' sizes overflow"))?;
        parts.push(format!("{prefix}{text} = {n} samples ({names})"));
        n
    };
    let val = data.val_size.unwrap_or(0.0);
    let train = if val > 1e-6 {
        let err = |message: String| {
            Error::input(format!(
                "{}\"val_size\" {} splits {merged} samples with datasets' train_test_split, \
                 which raises ValueError: {message}",
                at("val_size"),
                num(val)
            ))
        };
        // data_utils.py:114: int(val_size) if val_size > 1 else val_size.
        let (test, how) = if val > 1.0 {
            let t = val.trunc() as u64;
            if merged > 0 && t >= merged {
                return Err(err(format!(
                    "test_size={t} should be either positive and smaller than the number of \
                     samples {merged} or a float in the (0, 1) range"
                )));
            }
            (t, format!("{merged} - {t}"))
        } else {
            if val >= 1.0 {
                return Err(err(format!(
                    "test_size={} should be either positive and smaller than the number of \
                     samples {merged} or a float in the (0, 1) range",
                    crate::format::py_repr(val)
                )));
            }
            let t = ceil_steps(val * merged as f64, "val_size x samples")?;
            (t, format!("{merged} - ceil({} x {merged})", num(val)))
        };
        // An empty dataset is returned whole (arrow_dataset.py: `if len(self) == 0`).
        let train = merged.saturating_sub(test);
        if merged > 0 && train == 0 {
            return Err(err(format!(
                "With n_samples={merged}, test_size={} and train_size=None, the resulting \
                 train set will be empty. Adjust any of the aforementioned parameters.",
                crate::format::py_repr(val)
            )));
        }
        parts.push(format!(
            "val_size {}: {how} = {train} training samples",
            num(val)
        ));
        train
    } else {
        merged
    };
    let how = (!parts.is_empty()).then(|| parts.join("; "));
    Ok((train, how))
}

/// `TrainingArguments.get_warmup_steps(max_steps)` (training_args.py:2154-2161):
/// `int(W) if W >= 1 else ceil(max_steps * W)`. Before 5.0 the ratio was its own field,
/// used when `warmup_steps` is 0: `W if W > 0 else ceil(max_steps * warmup_ratio)`.
fn trainer_warmup(
    run: &Run,
    plan: &Plan,
    max_steps: u64,
    notes: &mut Vec<String>,
) -> Result<Quantity> {
    let w = plan.warmup_steps.unwrap_or(0.0);
    let ratio = |r: f64, label: &str| -> Result<Quantity> {
        let product = max_steps as f64 * r;
        let n = ceil_steps(product, "max_steps x warmup ratio")?;
        Ok(Quantity::new(
            n,
            format!(
                "{label} {} -> {n} steps{}",
                num(r),
                float_trap(max_steps as f64, r, product)
            ),
        ))
    };
    if let Some(r) = plan.warmup_ratio.filter(|&r| r > 0.0) {
        if w > 0.0 {
            notes.push(format!(
                "{} and {} are both given; the warmup steps win (as in transformers 4.x)",
                Field::WarmupSteps.describe(run.framework),
                Field::WarmupRatio.describe(run.framework)
            ));
        } else {
            if run.framework == Framework::Transformers {
                notes.push(
                    "warmup_ratio is no TrainingArguments field in transformers 5.x (a \
                     TypeError there; 5.x writes the ratio as warmup_steps below 1): applied as \
                     transformers 4.x does, ceil(max_steps x warmup_ratio)"
                        .to_string(),
                );
            }
            return ratio(r, "warmup ratio");
        }
    }
    if w >= 1.0 {
        let n = w.trunc();
        if n >= 2f64.powi(63) {
            return Err(Error::input(format!("warmup {} is too many steps", num(w))));
        }
        let n = n as u64;
        if w.fract() != 0.0 {
            return Ok(Quantity::new(
                n,
                format!("warmup_steps {} truncated -> {n} steps", num(w)),
            ));
        }
        return Ok(warmup_steps_text(n));
    }
    if w > 0.0 {
        return ratio(w, "warmup ratio");
    }
    Ok(warmup_steps_text(0))
}

/// Axolotl (0.19): its own step count handed to the Trainer as `max_steps`, and its own
/// warmup handed on as `warmup_steps`, which the Trainer then reads by its rules.
fn axolotl(run: &Run, c: &Common) -> Result<Derivation> {
    let fw = run.framework;
    if let Some(m) = run.max_steps
        && m < 0
    {
        return Err(Error::input(format!(
            "{} is {m}; Axolotl takes a positive max_steps, or none",
            Field::MaxSteps.describe(fw)
        )));
    }
    let cfg_max = run.max_steps.filter(|&m| m > 0);
    // utils/config/__init__.py:209-237: batch_size = micro_batch_size * G, times the world
    // size under DDP/FSDP.
    let global = c.batch.saturating_mul(c.accum).saturating_mul(c.devices);
    // utils/trainer.py:526-528: ceil(len(train_dataset) * num_epochs / batch_size), in
    // doubles; utils/data/sft.py:115-120 caps it by max_steps.
    let computed = match run.samples {
        Some(n) => {
            let e = c.epochs.ok_or_else(|| {
                Error::input(format!(
                    "the run needs its length: give {}",
                    Field::Epochs.describe(fw)
                ))
            })?;
            let quotient = n as f64 * e / global as f64;
            let steps = ceil_steps(quotient, "samples x epochs / batch size")?;
            Some((
                steps,
                format!(
                    "axolotl: ceil({n} samples x {} / ({} x {} x {})) = {steps} steps",
                    epochs_text(e),
                    c.batch,
                    c.accum,
                    c.devices
                ),
            ))
        }
        None => None,
    };
    let total_num_steps = match (computed.as_ref(), cfg_max) {
        (Some((s, _)), Some(m)) => (*s).min(m as u64),
        (Some((s, _)), None) => *s,
        (None, Some(m)) => m as u64,
        (None, None) => {
            return Err(Error::input(format!(
                "the run needs the dataset size: give {} (or {} for a streamed dataset)",
                Field::Samples.flag(),
                Field::MaxSteps.describe(fw)
            )));
        }
    };
    // core/builders/base.py:686: max_steps = cfg.max_steps or total_num_steps or -1.
    let max_steps_arg = match cfg_max {
        Some(m) => m,
        None if total_num_steps > 0 => total_num_steps as i64,
        None => -1,
    };
    // core/builders/base.py:238-257: warmup_steps as given; else int(ratio * total)
    // (truncated); else min(int(0.03 * total), 100); and 1 becomes 2.
    let (warmup_arg, warmup_how) = if let Some(w) = run.warmup_steps {
        (w, None)
    } else if let Some(r) = run.warmup_ratio {
        if total_num_steps > 0 {
            let product = r * total_num_steps as f64;
            let n = product.trunc();
            (
                n,
                Some(format!(
                    "warmup ratio {} -> int({}) = {} steps (axolotl truncates)",
                    num(r),
                    num(product),
                    num(n)
                )),
            )
        } else {
            (r, None)
        }
    } else if total_num_steps > 0 {
        let n = (0.03 * total_num_steps as f64).trunc().min(100.0);
        (
            n,
            Some(format!(
                "axolotl's default warmup min(int(0.03 x {total_num_steps}), 100) = {} steps",
                num(n)
            )),
        )
    } else {
        (0.03, None)
    };
    let (warmup_arg, warmup_how) = if warmup_arg == 1.0 {
        (
            2.0,
            Some("warmup 1 -> 2 steps (axolotl turns 1 into 2)".to_string()),
        )
    } else {
        (warmup_arg, warmup_how)
    };
    let plan = Plan {
        max_steps: max_steps_arg,
        warmup_steps: Some(warmup_arg),
        warmup_ratio: None,
    };
    let mut d = trainer(run, c, &plan)?;
    if let Some((_, how)) = computed
        && cfg_max.is_none()
    {
        d.total_updates.how = format!("{how} = {} updates (max_steps)", d.total_updates.value);
    }
    if let Some(how) = warmup_how
        && d.num_warmup_steps.value == warmup_arg as u64
    {
        d.num_warmup_steps.how = how;
    }
    Ok(d)
}

/// torchtune 0.6 recipes (recipes/lora_finetune_single_device.py; full_finetune_distributed.py
/// alike): `DataLoader(drop_last=True)` (:571), steps per epoch `len(dataloader) // G` capped
/// by `max_steps_per_epoch` (:328-336), `num_training_steps = epochs * steps_per_epoch`
/// (:342); an update every G micro-batches of an epoch (:709), the leftover ones never step.
fn torchtune(run: &Run, c: &Common) -> Result<Derivation> {
    let fw = run.framework;
    let mut notes = Vec::new();
    if run.max_steps.is_some() {
        return Err(Error::input(format!(
            "torchtune's recipes have no max_steps; cap each epoch with {}",
            Field::MaxStepsPerEpoch.describe(fw)
        )));
    }
    let n = run.samples.ok_or_else(|| {
        Error::input(format!(
            "the run needs the dataset size: give {}",
            Field::Samples.flag()
        ))
    })?;
    let e = c.epochs.ok_or_else(|| {
        Error::input(format!(
            "the run needs its length: give {}",
            Field::Epochs.describe(fw)
        ))
    })?;
    let epochs = whole_epochs(run, e)?;
    if run.drop_last == Some(false) {
        notes.push("torchtune's recipes always drop the last partial batch".to_string());
    }
    let (batches, _, how) = sampler_batches(n, c.batch, c.devices, true);
    let mut updates = batches / c.accum;
    let mut updates_how = format!(
        "/ accum {} = {updates} updates/epoch (rounded down)",
        c.accum
    );
    if let Some(cap) = run.max_steps_per_epoch
        && cap < updates
    {
        updates = cap;
        updates_how.push_str(&format!(", max_steps_per_epoch {cap}"));
    }
    let total = epochs.saturating_mul(updates);
    Ok(Derivation {
        framework: fw,
        inputs: run.clone(),
        samples: None,
        batches_per_epoch: Some(Quantity::new(batches, how)),
        updates_per_epoch: Some(Quantity::new(updates, updates_how)),
        total_updates: Quantity::new(
            total,
            format!("x {} = {total} updates", epochs_text(epochs as f64)),
        ),
        max_steps: Quantity::new(total, format!("{total} updates")),
        num_warmup_steps: whole_warmup(run)?,
        num_training_steps: Quantity::new(
            total,
            format!("num_training_steps = epochs x steps_per_epoch = {total}"),
        ),
        notes,
        layout: Layout::PerEpoch {
            batches,
            accum: c.accum,
            updates,
            batch: c.batch,
            last_batch: c.batch,
            keep_remainder: false,
        },
    })
}

/// A training loop over DeepSpeed's own dataloader (`deepspeed_io`, `DistributedSampler` and
/// `dataloader_drop_last`, runtime/dataloader.py:76-106) for whole epochs, calling
/// `engine.step()` every micro-batch: the optimizer steps when
/// `(micro_steps + 1) % G == 0` (runtime/engine.py:3463), with `micro_steps` counted over the
/// whole run (engine.py:538, 3680), so an epoch's leftover micro-batches open the next
/// epoch's first update.
fn deepspeed(run: &Run, c: &Common) -> Result<Derivation> {
    let fw = run.framework;
    let cap = run.max_steps.filter(|&m| m > 0).map(|m| m as u64);
    let epochs = match c.epochs {
        Some(e) => Some(whole_epochs(run, e)?),
        None => None,
    };
    let streamed = |m: u64| -> Result<Derivation> {
        Ok(c.streamed(
            run,
            Quantity::new(m, format!("max_steps {m} = {m} updates")),
            whole_warmup(run)?,
            format!("{m} updates"),
            Vec::new(),
        ))
    };
    let (n, epochs) = match (run.samples, epochs, cap) {
        (Some(n), Some(e), _) => (n, Some(e)),
        (Some(n), None, Some(_)) => (n, None),
        (None, _, Some(m)) => return streamed(m),
        (None, _, None) => {
            return Err(Error::input(format!(
                "the run needs the dataset size: give {} (or {} for a loop of that many updates)",
                Field::Samples.flag(),
                Field::MaxSteps.flag()
            )));
        }
        (Some(_), None, None) => {
            return Err(Error::input(format!(
                "the run needs its length: give {} or {}",
                Field::Epochs.flag(),
                Field::MaxSteps.flag()
            )));
        }
    };
    let drop_last = run.drop_last.unwrap_or(false);
    let (batches, last_batch, how) = sampler_batches(n, c.batch, c.devices, drop_last);
    let (total, total_how) = match epochs {
        Some(epochs) => {
            let micro = epochs.saturating_mul(batches);
            let whole = micro / c.accum;
            let total = cap.map_or(whole, |m| m.min(whole));
            let mut how = format!(
                "x {} = {micro} micro-batches / accum {} = {whole} updates",
                epochs_text(epochs as f64),
                c.accum
            );
            if total < whole {
                how.push_str(&format!(", max_steps {total}"));
            }
            (total, how)
        }
        // A loop that runs until max_steps updates, over as many epochs as that takes.
        None => {
            let m = cap.unwrap_or(0);
            let total = if batches == 0 { 0 } else { m };
            (total, format!("max_steps {m} = {total} updates"))
        }
    };
    Ok(Derivation {
        framework: fw,
        inputs: run.clone(),
        samples: None,
        batches_per_epoch: Some(Quantity::new(batches, how)),
        updates_per_epoch: Some(Quantity::new(
            batches / c.accum,
            format!(
                "/ accum {} = {} updates/epoch, the remainder carried into the next epoch",
                c.accum,
                batches / c.accum
            ),
        )),
        total_updates: Quantity::new(total, total_how),
        max_steps: Quantity::new(total, format!("{total} updates")),
        num_warmup_steps: whole_warmup(run)?,
        num_training_steps: Quantity::new(total, format!("{total} updates")),
        notes: Vec::new(),
        layout: Layout::Global {
            batches,
            accum: c.accum,
            batch: c.batch,
            last_batch,
        },
    })
}

/// PyTorch Lightning 2.6: the optimizer steps every `accumulate_grad_batches` batches and on
/// the last batch of an epoch (loops/training_epoch_loop.py:447-454); training stops at
/// `max_steps` or after `max_epochs`; `estimated_stepping_batches`
/// (trainer/trainer.py:1768-1786) is `ceil(batches / G) * max(max_epochs, 1)`, capped by
/// `max_steps`, and `max_steps` alone for a dataset without a length.
fn lightning(run: &Run, c: &Common) -> Result<Derivation> {
    let fw = run.framework;
    let cap = run.max_steps.filter(|&m| m >= 0).map(|m| m as u64);
    let epochs = match c.epochs {
        Some(e) => Some(whole_epochs(run, e)?),
        None => None,
    };
    let streamed = |m: u64| -> Result<Derivation> {
        Ok(c.streamed(
            run,
            Quantity::new(m, format!("max_steps {m} = {m} updates")),
            whole_warmup(run)?,
            format!("estimated_stepping_batches = max_steps = {m}"),
            Vec::new(),
        ))
    };
    let (n, epochs) = match (run.samples, epochs, cap) {
        (Some(n), Some(e), _) => (n, Some(e)),
        // With max_steps and no max_epochs, Lightning sets max_epochs = -1 (unbounded), and
        // estimated_stepping_batches is max_steps (trainer/trainer.py:1769-1770).
        (Some(n), None, Some(_)) => (n, None),
        (None, _, Some(m)) => return streamed(m),
        (None, _, None) => {
            return Err(Error::input(format!(
                "the run needs the dataset size: give {} (or {} for a dataset without a length)",
                Field::Samples.flag(),
                Field::MaxSteps.describe(fw)
            )));
        }
        (Some(_), None, None) => {
            return Err(Error::input(format!(
                "the run needs its length: give {} or {}",
                Field::Epochs.describe(fw),
                Field::MaxSteps.describe(fw)
            )));
        }
    };
    let drop_last = run.drop_last.unwrap_or(false);
    let (batches, last_batch, how) = sampler_batches(n, c.batch, c.devices, drop_last);
    let updates = ceil_div(batches, c.accum);
    let (total, total_how, estimated) = match epochs {
        Some(epochs) => {
            let whole = epochs.saturating_mul(updates);
            let total = cap.map_or(whole, |m| m.min(whole));
            let mut how = format!("x {} = {whole} updates", epochs_text(epochs as f64));
            if total < whole {
                how.push_str(&format!(", max_steps {total}"));
            }
            let estimated = updates.saturating_mul(epochs.max(1));
            (total, how, cap.map_or(estimated, |m| m.min(estimated)))
        }
        None => {
            let m = cap.unwrap_or(0);
            let total = if updates == 0 { 0 } else { m };
            (
                total,
                format!("max_steps {m} = {total} updates (max_epochs unbounded)"),
                m,
            )
        }
    };
    let mut notes = Vec::new();
    if estimated != total {
        notes.push(format!(
            "estimated_stepping_batches is {estimated} while the run makes {total} updates{}",
            if epochs == Some(0) {
                " (it counts max_epochs 0 as one epoch)"
            } else {
                ""
            }
        ));
    }
    Ok(Derivation {
        framework: fw,
        inputs: run.clone(),
        samples: None,
        batches_per_epoch: Some(Quantity::new(batches, how)),
        updates_per_epoch: Some(Quantity::new(
            updates,
            format!("/ accum {} = {updates} updates/epoch", c.accum),
        )),
        total_updates: Quantity::new(total, total_how),
        max_steps: Quantity::new(total, format!("{total} updates")),
        num_warmup_steps: whole_warmup(run)?,
        num_training_steps: Quantity::new(
            estimated,
            format!("estimated_stepping_batches = {estimated}"),
        ),
        notes,
        layout: Layout::PerEpoch {
            batches,
            accum: c.accum,
            updates,
            batch: c.batch,
            last_batch,
            keep_remainder: true,
        },
    })
}
