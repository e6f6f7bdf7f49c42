//! Shared by the golden tests: where the reference files are, and how their
//! tensors are read.
#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;

use serde_json::Value;
use wengert_tensor::Tensor;

/// The folder of reference files: `WENGERT_GOLDEN` when set (to run the
/// same tests against another reference set of the same format), else the
/// copy in this crate's `tests/golden/`.
pub fn golden_dir() -> PathBuf {
    match std::env::var_os("WENGERT_GOLDEN") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
    }
}

/// Parses a JSON file of the golden folder.
pub fn read_json(relative: &str) -> Value {
    let path = golden_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A float tensor `{shape, dtype, data}`.
pub fn tensor(v: &Value) -> Tensor<f64> {
    let shape = shape(v);
    let data: Vec<f64> = v["data"]
        .as_array()
        .expect("tensor data")
        .iter()
        .map(|x| x.as_f64().expect("float"))
        .collect();
    Tensor::from_vec(data, &shape)
}

/// The shape of a tensor object.
pub fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .expect("tensor shape")
        .iter()
        .map(|d| d.as_u64().expect("dimension") as usize)
        .collect()
}

/// An int64 tensor as indices.
pub fn indices(v: &Value) -> Vec<usize> {
    assert_eq!(v["dtype"], "int64", "expected an int64 tensor");
    v["data"]
        .as_array()
        .expect("index data")
        .iter()
        .map(|x| x.as_u64().expect("non-negative index") as usize)
        .collect()
}

/// The case of `layers.json` called `name`.
pub fn layer_case(cases: &Value, name: &str) -> Value {
    cases["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case named {name}"))
        .clone()
}

/// Asserts `|actual - expected| <= tol * (1 + |expected|)` element-wise,
/// naming the case, the quantity and the element.
#[track_caller]
pub fn assert_matches(
    case: &str,
    what: &str,
    actual: &Tensor<f64>,
    expected: &Tensor<f64>,
    tol: f64,
) {
    assert_eq!(actual.shape(), expected.shape(), "{case}: shape of {what}");
    for (i, (a, e)) in actual.to_vec().iter().zip(expected.to_vec()).enumerate() {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "{case}: {what}[{i}] = {a:e}, PyTorch {e:e} (|diff| {:.3e} > {tol:e} * (1 + |expected|))",
            (a - e).abs()
        );
    }
}
