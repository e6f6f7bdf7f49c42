//! Any bytes given to the IDX parser give a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wengert_data::formats::idx::parse_idx(data);
});
