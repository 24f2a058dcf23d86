//! Trains the PyTorch warmup demo from Rust through the library: the same data and initial
//! weights as `torch.manual_seed(0)` gives it, SGD and Adam side by side, with a built-in
//! schedule or your own multiplier expression.
//!
//! ```sh
//! cargo run --example train_demo                       # constant_with_warmup, warmup 5
//! cargo run --example train_demo -- "min(1, step/5)"   # LambdaLR(lambda step: min(1, step/5))
//! ```

use std::io::Write;

use lrsched::Error;
use lrsched::description::Partial;
use lrsched::train::{Dataset, Linear, Optimizer, Row, Training};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            std::process::ExitCode::from(e.exit_status())
        }
    }
}

fn run() -> Result<(), Error> {
    // The schedule: what `lrsched train` would build from its flags.
    let expr = std::env::args().nth(1);
    let description = Partial {
        expr: expr.clone(),
        steps: Some(10),
        // The built-in gets the demo's warmup; an expression says everything itself.
        warmup: Some(if expr.is_some() { 0 } else { 5 }),
        base_lr: Some(0.1),
        ..Partial::default()
    }
    .resolve()?;
    let schedule = description.schedule();
    let steps = description.ctx().steps;

    let data = Dataset::torch_seed0()?;
    let mut runs = Vec::new();
    for optimizer in [Optimizer::Sgd, Optimizer::Adam] {
        let training = Training::new(&data, Linear::torch_seed0()?, optimizer, schedule, steps)?;
        let rows = training.collect::<Result<Vec<Row>, _>>()?;
        runs.push(rows);
    }

    let mut out = std::io::stdout().lock();
    writeln!(out, "schedule: {}", description.label())?;
    writeln!(out, "Step | Learning Rate | SGD loss | Adam loss")?;
    for (sgd, adam) in runs[0].iter().zip(&runs[1]) {
        writeln!(
            out,
            "{:4} | {:13.4} | {:8.4} | {:9.4}",
            sgd.step, sgd.lr, sgd.loss, adam.loss
        )?;
    }
    Ok(())
}
