//! The IDX and delimited parsers never panic, whatever the bytes: random
//! bytes, and valid files with bytes flipped, cut or inserted. (The same
//! entry points are the cargo-fuzz targets in fuzz/.)

use proptest::prelude::*;
use wengert_data::formats::delimited::{parse_delimited, DelimitedOptions, Delimiter};
use wengert_data::formats::idx::{encode_idx, parse_idx, IdxArray, IdxData};

fn valid_idx() -> Vec<u8> {
    encode_idx(&IdxArray {
        dims: vec![3, 4, 4],
        data: IdxData::U8((0..48).collect()),
    })
}

fn valid_table() -> Vec<u8> {
    b"a,b,c\n1,2.5,3\n-4,5e3,6\n7,8,9\n".to_vec()
}

/// A valid file with a few random edits.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    proptest::collection::vec((0..len + 1, any::<u8>(), 0u8..3), 1..6).prop_map(move |edits| {
        let mut bytes = base.clone();
        for (at, byte, kind) in edits {
            let at = at.min(bytes.len());
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

fn all_options() -> Vec<DelimitedOptions> {
    let mut out = Vec::new();
    for delimiter in [Delimiter::Comma, Delimiter::Tab, Delimiter::Auto] {
        for has_header in [false, true] {
            out.push(DelimitedOptions {
                delimiter,
                has_header,
            });
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn idx_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_idx(&bytes);
    }

    #[test]
    fn idx_parser_never_panics_on_mutated_files(bytes in mutated(valid_idx())) {
        if let Ok(array) = parse_idx(&bytes) {
            // Whatever parsed must serialize back to the same bytes.
            prop_assert_eq!(encode_idx(&array), bytes);
        }
    }

    #[test]
    fn delimited_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for options in all_options() {
            let _ = parse_delimited(&bytes, &options);
        }
    }

    #[test]
    fn delimited_parser_never_panics_on_mutated_files(bytes in mutated(valid_table())) {
        for options in all_options() {
            if let Ok(table) = parse_delimited(&bytes, &options) {
                prop_assert_eq!(table.values.len(), table.rows * table.columns);
            }
        }
    }
}
