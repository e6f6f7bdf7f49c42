//! The delimited-text reader: separators, headers, target columns, and bad
//! cells reported by line and column.

use std::path::Path;

use wengert_data::formats::delimited::{
    parse_delimited, read_delimited, Column, DelimitedOptions, Delimiter,
};
use wengert_data::{DataError, Dataset, Target, TargetKind};

fn options(delimiter: Delimiter, has_header: bool) -> DelimitedOptions {
    DelimitedOptions {
        delimiter,
        has_header,
    }
}

#[test]
fn reads_comma_and_tab_with_and_without_header() {
    let with_header =
        parse_delimited(b"a,b,c\n1,2,3\n4,5,6\n", &options(Delimiter::Comma, true)).unwrap();
    assert_eq!(
        with_header.header.as_deref(),
        Some(&["a".to_string(), "b".into(), "c".into()][..])
    );
    assert_eq!((with_header.rows, with_header.columns), (2, 3));
    let tabs = parse_delimited(
        b"1\t2\t3\r\n4\t5\t6\r\n\r\n",
        &options(Delimiter::Auto, false),
    )
    .unwrap();
    assert_eq!(tabs.values, with_header.values);
    assert_eq!(tabs.row_lines, vec![1, 2]);
}

#[test]
fn target_column_by_name_index_or_last() {
    let table = parse_delimited(
        b"x1,y,x2\n1,10,2\n3,30,4\n",
        &options(Delimiter::Comma, true),
    )
    .unwrap();
    for column in [Column::Name("y".into()), Column::Index(1)] {
        let data = table.to_regression::<f64>(&column).unwrap();
        assert_eq!(data.get(1).features.to_vec(), vec![3.0, 4.0]);
        assert_eq!(data.get(1).target, Target::Values(vec![30.0]));
    }
    let last = table.to_regression::<f64>(&Column::Last).unwrap();
    assert_eq!(last.get(0).target, Target::Values(vec![2.0]));
}

#[test]
fn classification_targets_must_be_whole_numbers() {
    let table = parse_delimited(
        b"0.5,1\n0.25,0\n0.75,2\n",
        &options(Delimiter::Comma, false),
    )
    .unwrap();
    let data = table.to_classification::<f32>(&Column::Last).unwrap();
    assert_eq!(data.target_kind(), TargetKind::Classes { classes: 3 });
    let bad = parse_delimited(
        b"h,t\n0.5,1\n\n0.25,1.5\n",
        &options(Delimiter::Comma, true),
    )
    .unwrap();
    match bad.to_classification::<f32>(&Column::Name("t".into())) {
        Err(DataError::Table {
            line,
            column,
            found,
            ..
        }) => {
            assert_eq!((line, column), (4, 2));
            assert_eq!(found, "1.5");
        }
        other => panic!("expected a table error, got {other:?}"),
    }
}

#[test]
fn non_numeric_cell_names_line_column_and_cell() {
    let err = parse_delimited(b"1,2,3\n4,five,6\n", &options(Delimiter::Comma, false)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "<bytes>: line 2, column 2: expected a number, found \"five\""
    );
    let err = parse_delimited(b"1,,3\n", &options(Delimiter::Comma, false)).unwrap_err();
    assert!(err.to_string().contains("an empty cell"), "{err}");
    let err = parse_delimited(b"1,inf\n", &options(Delimiter::Comma, false)).unwrap_err();
    assert!(err.to_string().contains("a finite number"), "{err}");
}

#[test]
fn ragged_row_is_reported_with_both_counts() {
    let err = parse_delimited(b"1,2,3\n4,5\n", &options(Delimiter::Comma, false)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("line 2") && msg.contains("expected 3 cells") && msg.contains("found 2 cells"),
        "{msg}"
    );
}

#[test]
fn unknown_column_name_lists_the_columns() {
    let table = parse_delimited(b"a,b\n1,2\n", &options(Delimiter::Comma, true)).unwrap();
    let msg = table
        .column_index(&Column::Name("z".into()))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("no column named \"z\"") && msg.contains("[\"a\", \"b\"]"),
        "{msg}"
    );
    assert!(table.column_index(&Column::Index(2)).is_err());
}

#[test]
fn invalid_utf8_is_reported_by_line() {
    let err = parse_delimited(b"1,2\n3,\xff\n", &options(Delimiter::Comma, false)).unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn reads_the_airfoil_file_from_disk() {
    // The same file as ../shared/data/airfoil_self_noise.dat, copied into the crate.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/airfoil_self_noise.dat");
    let table = read_delimited(&path, &DelimitedOptions::default()).unwrap();
    assert_eq!((table.rows, table.columns), (1503, 6));
    // First line of the file: 800 0 0.3048 71.3 0.00266337 126.201
    assert_eq!(
        &table.values[..6],
        &[800.0, 0.0, 0.3048, 71.3, 0.00266337, 126.201]
    );
}

#[test]
fn missing_file_error_names_the_path() {
    let err = read_delimited(
        Path::new("/no/such/table.csv"),
        &DelimitedOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/no/such/table.csv"), "{err}");
}
