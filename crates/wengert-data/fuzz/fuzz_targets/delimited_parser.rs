//! Any bytes given to the delimited-text parser give a table or an error,
//! never a panic. The first byte picks the options (delimiter, header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wengert_data::formats::delimited::{parse_delimited, DelimitedOptions, Delimiter};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else { return };
    let delimiter = [Delimiter::Comma, Delimiter::Tab, Delimiter::Auto][(choice % 3) as usize];
    let options = DelimitedOptions { delimiter, has_header: choice & 4 != 0 };
    let _ = parse_delimited(text, &options);
});
