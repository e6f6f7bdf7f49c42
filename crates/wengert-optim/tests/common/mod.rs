//! Shared by the integration tests: where golden files live, and building
//! optimizers from PyTorch's hyperparameter names.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// The folder of golden files: `$WENGERT_GOLDEN` when set (to run the same
/// tests against another reference set of the same format), else the copy
/// in this crate's `tests/golden/`.
pub fn golden_dir() -> PathBuf {
    match std::env::var_os("WENGERT_GOLDEN") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
    }
}

/// A golden JSON file, parsed; panics saying which file and why.
pub fn load_golden(file: &str) -> Value {
    let path = golden_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {} ({e}); set WENGERT_GOLDEN to a folder holding {file}",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("golden file {} is not valid JSON: {e}", path.display()))
}

/// `value[key]` as f64, or a panic naming the case and the key.
pub fn num(value: &Value, key: &str, case: &str) -> f64 {
    value[key].as_f64().unwrap_or_else(|| {
        panic!(
            "case {case}: field `{key}` is missing or not a number: {}",
            value[key]
        )
    })
}

/// `value[key]` as a list of f64.
pub fn nums(value: &Value, key: &str, case: &str) -> Vec<f64> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("case {case}: field `{key}` is missing or not a list"))
        .iter()
        .map(|v| {
            v.as_f64()
                .unwrap_or_else(|| panic!("case {case}: `{key}` holds {v}, not a number"))
        })
        .collect()
}

/// `value[key]` as bool (absent means false).
pub fn flag(value: &Value, key: &str) -> bool {
    value[key].as_bool().unwrap_or(false)
}
