//! `train --data FILE.csv --init FILE.json`: the CSV text, then a NUL byte, then the init
//! JSON; whatever parses is trained for a few steps.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lrsched_fuzz::train_data(data);
});
