//! `--expr` and `check --assert` sources: parse, compile, evaluate (compiled against
//! interpreted, bit for bit) and run as a schedule.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        lrsched_fuzz::expression(source);
    }
});
