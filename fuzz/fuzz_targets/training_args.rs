//! `--config` files in JSON, seeded with transformers `TrainingArguments` files, so that
//! the fuzzer explores that reader rather than lrsched's own keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrsched::config::Syntax;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        lrsched_fuzz::config_file(text, Syntax::Json);
    }
});
