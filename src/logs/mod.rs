//! Learning rates a run logged: readers for transformers' `trainer_state.json`, CSV and
//! JSON Lines exports, each streaming `(step, lr)` rows with the line they came from, and
//! what is done with them: [`compare`] (a schedule against a log).

pub mod compare;
pub mod identify;
mod read;

pub use read::{Columns, Format, format_of, read, read_all};

/// One logged learning rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The step as the log writes it (the Trainer's `global_step`, 1-based; a CSV's own).
    pub step: u64,
    /// The logged learning rate.
    pub lr: f64,
    /// The 1-based line of the file it came from.
    pub line: u64,
}

/// What a log says about itself besides its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogInfo {
    /// The format it was read as.
    pub format: Option<Format>,
    /// The rows read.
    pub rows: u64,
    /// A trainer state's `max_steps`: the updates the Trainer planned.
    pub max_steps: Option<u64>,
    /// A trainer state's `logging_steps`.
    pub logging_steps: Option<f64>,
}
