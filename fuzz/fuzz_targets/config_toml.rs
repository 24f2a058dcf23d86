//! `--config` files in TOML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrsched::config::Syntax;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        lrsched_fuzz::config_file(text, Syntax::Toml);
    }
});
