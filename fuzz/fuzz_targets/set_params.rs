//! `--schedule NAME --steps N --warmup W --base-lr X --set KEY=VALUE ...` against every
//! built-in (see `lrsched_fuzz::set_params` for the text layout).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        lrsched_fuzz::set_params(text);
    }
});
