//! lrsched's integration tests, in one binary: golden values from PyTorch and transformers,
//! and the command line end to end.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod after_run;
mod check;
mod cli;
mod config_format;
mod config_runs;
mod deepspeed_beside;
mod deepspeed_configs;
mod framework_configs;
mod fuzz_regressions;
mod golden;
mod golden_jax;
mod help;
mod identify;
mod libraries;
mod library_properties;
mod lints;
mod numbers;
mod packaging;
mod plot;
mod properties;
mod python;
mod readme;
mod run_cli;
mod runtime_options;
mod scratch;
mod train;
mod train_optimizers;
mod trainer_runs;
