//! The IDX reader on small files built here (raw and gzip), and every kind of
//! bad file: each must give an error saying what was expected and where.

use std::io::Write;
use std::path::PathBuf;

use flate2::write::GzEncoder;
use flate2::Compression;
use wengert_data::formats::idx::{encode_idx, parse_idx, parse_idx_named, IdxArray, IdxData};
use wengert_data::mnist::{image_dataset_from_idx, load_fashion_mnist, load_mnist, MNIST_FILES};
use wengert_data::{DataError, Dataset, Target};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn images(n: usize, rows: usize, cols: usize) -> IdxArray {
    IdxArray {
        dims: vec![n, rows, cols],
        data: IdxData::U8((0..n * rows * cols).map(|i| (i * 7 % 256) as u8).collect()),
    }
}

fn labels(values: &[u8]) -> IdxArray {
    IdxArray {
        dims: vec![values.len()],
        data: IdxData::U8(values.to_vec()),
    }
}

fn expect_idx_error(bytes: &[u8], offset: usize, needle: &str) {
    match parse_idx(bytes) {
        Err(DataError::Idx {
            offset: at,
            expected,
            found,
            ..
        }) => {
            let msg = format!("expected {expected}, found {found}");
            assert_eq!(at, offset, "offset of: {msg}");
            assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
        }
        other => panic!("expected an IDX error containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn every_element_type_round_trips_raw_and_gzip() {
    let arrays = [
        IdxArray {
            dims: vec![2, 3],
            data: IdxData::U8(vec![0, 1, 2, 253, 254, 255]),
        },
        IdxArray {
            dims: vec![3],
            data: IdxData::I8(vec![-128, 0, 127]),
        },
        IdxArray {
            dims: vec![2],
            data: IdxData::I16(vec![-30000, 12345]),
        },
        IdxArray {
            dims: vec![1, 2],
            data: IdxData::I32(vec![i32::MIN, 7]),
        },
        IdxArray {
            dims: vec![2],
            data: IdxData::F32(vec![1.5, -0.25]),
        },
        IdxArray {
            dims: vec![1, 1, 1],
            data: IdxData::F64(vec![std::f64::consts::PI]),
        },
    ];
    for array in arrays {
        let raw = encode_idx(&array);
        assert_eq!(parse_idx(&raw).unwrap(), array, "raw {}", array.type_name());
        assert_eq!(
            parse_idx(&gzip(&raw)).unwrap(),
            array,
            "gzip {}",
            array.type_name()
        );
    }
}

#[test]
fn mnist_image_header_is_00000803_big_endian() {
    let raw = encode_idx(&images(2, 28, 28));
    assert_eq!(&raw[..4], &[0, 0, 8, 3]);
    assert_eq!(&raw[4..8], &[0, 0, 0, 2]);
    assert_eq!(&raw[8..12], &[0, 0, 0, 28]);
}

#[test]
fn wrong_magic_number_is_reported_at_byte_0() {
    let mut raw = encode_idx(&images(1, 2, 2));
    raw[0] = 0x12;
    expect_idx_error(&raw, 0, "magic number starting 00 00");
}

#[test]
fn unknown_element_type_is_reported_at_byte_2() {
    let mut raw = encode_idx(&images(1, 2, 2));
    raw[2] = 0x0A;
    expect_idx_error(&raw, 2, "element type code");
}

#[test]
fn truncated_header_is_reported() {
    let raw = encode_idx(&images(1, 2, 2));
    expect_idx_error(&raw[..3], 3, "truncated header");
    expect_idx_error(&raw[..9], 9, "truncated header");
}

#[test]
fn truncated_data_says_how_many_bytes_were_expected() {
    let raw = encode_idx(&images(3, 4, 4)); // 16-byte header + 48 data bytes
    expect_idx_error(&raw[..raw.len() - 5], raw.len() - 5, "48 data bytes");
    expect_idx_error(&gzip(&raw[..20]), 20, "only 4 bytes after the header");
}

#[test]
fn extra_bytes_after_the_data_are_reported() {
    let mut raw = encode_idx(&images(1, 2, 2));
    raw.extend_from_slice(&[9, 9]);
    expect_idx_error(&raw, 4 + 12 + 4, "2 extra bytes");
}

#[test]
fn zero_dimensions_are_rejected() {
    expect_idx_error(&[0, 0, 8, 0], 3, "at least one dimension");
}

#[test]
fn dimensions_overflowing_memory_are_rejected_without_allocating() {
    let mut raw = vec![0, 0, 0x0E, 3];
    for _ in 0..3 {
        raw.extend_from_slice(&u32::MAX.to_be_bytes());
    }
    let err = parse_idx(&raw).unwrap_err();
    assert!(
        err.to_string().contains("fits in memory") || err.to_string().contains("truncated"),
        "{err}"
    );
}

#[test]
fn corrupt_gzip_is_a_gzip_error_naming_the_source() {
    let mut gz = gzip(&encode_idx(&images(2, 3, 3)));
    let cut = gz.len() / 2;
    gz.truncate(cut);
    match parse_idx_named(&gz, "train.gz") {
        Err(DataError::Gzip { source_name, .. }) => assert_eq!(source_name, "train.gz"),
        other => panic!("expected a gzip error, got {other:?}"),
    }
}

#[test]
fn label_count_must_match_image_count() {
    let err =
        image_dataset_from_idx::<f32>(&images(3, 2, 2), &labels(&[1, 2]), "pair").unwrap_err();
    assert!(err.to_string().contains("3 images but 2 labels"), "{err}");
}

#[test]
fn labels_must_be_classes_0_to_9() {
    let err =
        image_dataset_from_idx::<f32>(&images(2, 2, 2), &labels(&[1, 10]), "pair").unwrap_err();
    assert!(err.to_string().contains("label 10 of image 1"), "{err}");
}

#[test]
fn images_must_be_three_dimensional_u8() {
    let flat = IdxArray {
        dims: vec![2, 4],
        data: IdxData::U8(vec![0; 8]),
    };
    let err = image_dataset_from_idx::<f32>(&flat, &labels(&[1, 2]), "pair").unwrap_err();
    assert!(err.to_string().contains("3 dimensions"), "{err}");
}

/// A fresh directory under the system temp dir, removed at drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wengert-data-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_mnist_dir(dir: &TempDir, gzipped: bool) {
    let files = [
        encode_idx(&images(5, 28, 28)),
        encode_idx(&labels(&[0, 1, 2, 3, 9])),
        encode_idx(&images(2, 28, 28)),
        encode_idx(&labels(&[4, 5])),
    ];
    for (name, bytes) in MNIST_FILES.iter().zip(files) {
        if gzipped {
            std::fs::write(dir.0.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
        } else {
            std::fs::write(dir.0.join(name), bytes).unwrap();
        }
    }
}

#[test]
fn loads_an_mnist_directory_raw_and_gzip() {
    for gzipped in [false, true] {
        let dir = TempDir::new(if gzipped { "gz" } else { "raw" });
        write_mnist_dir(&dir, gzipped);
        let data = load_fashion_mnist::<f32>(Some(&dir.0)).unwrap();
        assert_eq!(data.train.len(), 5);
        assert_eq!(data.test.len(), 2);
        assert_eq!(data.train.feature_shape(), &[1, 28, 28]);
        assert_eq!(data.train.get(4).target, Target::Class(9));
        assert_eq!(data.test.get(1).target, Target::Class(5));
        // Pixel i of the first image is (i * 7 % 256) / 255.
        let x = data.train.get(0).features.to_vec();
        assert_eq!(x[3], 21.0 / 255.0);
    }
}

#[test]
fn missing_files_error_lists_them_and_says_how_to_install() {
    let dir = TempDir::new("missing");
    std::fs::write(dir.0.join(MNIST_FILES[0]), encode_idx(&images(1, 2, 2))).unwrap();
    let err = load_fashion_mnist::<f32>(Some(&dir.0)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );
    assert!(msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
    assert!(
        !msg.contains("\"train-images-idx3-ubyte"),
        "present file listed as missing: {msg}"
    );
    let err = load_mnist::<f32>(&dir.0.join("nowhere")).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::MissingFiles {
                dataset: "MNIST",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_bad_file_in_the_directory_is_named_in_the_error() {
    let dir = TempDir::new("bad");
    write_mnist_dir(&dir, false);
    let path = dir.0.join(MNIST_FILES[1]);
    std::fs::write(&path, [0u8, 0, 8, 1, 0, 0, 0, 9, 1]).unwrap();
    let msg = load_fashion_mnist::<f32>(Some(&dir.0))
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("9 data bytes"), "{msg}");
}
