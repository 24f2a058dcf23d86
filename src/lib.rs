//! lrsched: learning-rate schedules evaluated exactly as PyTorch and Hugging Face
//! `transformers` compute them, with writers for tables, CSV, JSON and terminal plots.
//!
//! The library never touches stdout, stderr, argv or the process: every writer takes an
//! `impl Write`, and every failure is an [`Error`] for the caller to report.
//!
//! The public surface, in the order data flows through it:
//!
//! - [`config`] reads config files (lrsched's own, TrainingArguments, DeepSpeed, Axolotl,
//!   LLaMA-Factory, torchtune, LightningCLI) into a [`description::Partial`];
//! - [`description`] merges flags and configs and resolves them into a [`Description`]
//!   holding the schedule, built once; [`run`] turns a training run into its optimizer
//!   updates and the runtime's step map;
//! - [`schedule`] is the core: the [`Schedule`] trait, the registry of built-ins of every
//!   library, combinators; [`expr`] compiles `--expr` and pasted Python;
//! - [`engine`] evaluates many steps in ordered chunks on every core (the one owner of
//!   threads), for [`output`] (table, CSV, JSON, plot, SVG/PNG), [`check`] (summary,
//!   warnings, assertions), [`diff`] (two schedules side by side) and [`logs`] (reading
//!   run logs, comparing, identifying);
//! - [`train`] is the tiny training demo.
//!
//! [`format`](mod@format) and [`suggest`] are helpers the binary shares (Python's float text,
//! did-you-mean).

pub mod check;
pub mod config;
pub mod description;
pub mod diff;
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
