//! Pasted Python lr_lambdas (`--expr` with `lambda` or `def`): lex, parse, lower,
//! evaluate a batch at a time against a step at a time.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        lrsched_fuzz::python(source);
    }
});
