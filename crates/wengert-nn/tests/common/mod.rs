//! Shared by the golden tests: where the reference files are, and how their
//! tensors are read.
#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;

use serde_json::Value;
use wengert_nn::Module;
use wengert_tensor::{Grads, Tensor};

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

/// A number of a file: a JSON number, or one of the strings "nan", "inf",
/// "-inf" the generators write for what JSON cannot hold.
pub fn number(v: &Value) -> f64 {
    match v {
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("not a number: {other}"),
        },
        other => other.as_f64().expect("a number"),
    }
}

/// A float tensor `{shape, dtype, data}`.
pub fn tensor(v: &Value) -> Tensor<f64> {
    let shape = shape(v);
    let data: Vec<f64> = v["data"]
        .as_array()
        .expect("tensor data")
        .iter()
        .map(number)
        .collect();
    Tensor::from_vec(data, &shape)
}

/// `config.<key>` of a case as a float.
pub fn cfg_f64(case: &Value, key: &str) -> f64 {
    case["config"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
}

/// `config.<key>` of a case as a size.
pub fn cfg_usize(case: &Value, key: &str) -> usize {
    case["config"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"])) as usize
}

/// `config.<key>` of a case as a flag.
pub fn cfg_bool(case: &Value, key: &str) -> bool {
    case["config"][key]
        .as_bool()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
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
/// and a non-finite expected value exactly (NaN where PyTorch has NaN, the
/// same infinity), naming the case, the quantity and the element.
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
        if e.is_nan() {
            assert!(a.is_nan(), "{case}: {what}[{i}] = {a:e}, PyTorch NaN");
        } else if e.is_infinite() {
            assert_eq!(*a, e, "{case}: {what}[{i}] = {a:e}, PyTorch {e:e}");
        } else {
            assert!(
                (a - e).abs() <= tol * (1.0 + e.abs()),
                "{case}: {what}[{i}] = {a:e}, PyTorch {e:e} (|diff| {:.3e} > {tol:e} * (1 + |expected|))",
                (a - e).abs()
            );
        }
    }
}

/// Asserts every parameter of `module` has a gradient in `grads` matching
/// the case's `grads.<name>`.
#[track_caller]
pub fn assert_param_grads(
    case_name: &str,
    module: &dyn Module<f64>,
    grads: &Grads<f64>,
    case: &Value,
    tol: f64,
) {
    for (n, p) in module.params() {
        let g = grads
            .get(p)
            .unwrap_or_else(|| panic!("{case_name}: no gradient for {n}"));
        assert_matches(
            case_name,
            &format!("grad {n}"),
            g,
            &tensor(&case["grads"][&n]),
            tol,
        );
    }
}
