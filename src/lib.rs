//! lrsched: learning-rate schedules evaluated exactly as PyTorch and Hugging Face
//! `transformers` compute them, with writers for tables, CSV, JSON and terminal plots.
//!
//! The library never touches stdout, stderr, argv or the process: every writer takes an
//! `impl Write`, and every failure is an [`Error`] for the caller to report.

pub mod check;
pub mod config;
pub mod description;
pub mod engine;
pub mod error;
pub mod expr;
pub mod format;
pub mod logs;
pub mod output;
pub mod run;
pub mod schedule;
pub mod suggest;
pub mod train;

pub use description::Description;
pub use error::Error;
pub use schedule::{Point, Schedule};
