//! PyTorch `torch.optim.lr_scheduler` schedulers, with torch's own recursion where torch
//! computes each lr from the previous one.

use super::registry::Entry;

/// The torch entries of the registry.
pub static ENTRIES: &[Entry] = &[];
