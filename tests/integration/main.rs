//! lrsched's integration tests, in one binary: golden values from PyTorch and transformers,
//! and the command line end to end.

mod golden;
