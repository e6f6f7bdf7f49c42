//! Shared by the integration tests: where golden files live, reading
//! golden values, and a small deterministic model to step.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
use wengert_tensor::{seeded_rng, Float, Grads, Param, Tensor};

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

/// Parameters `layer{i}` of the given shapes with seeded normal values, and
/// for each a tensor of scales `a` in [0.1, 2), for the quadratic
/// `f = sum(a * x^2 + c * x)` of [`quadratic_grads`].
pub fn quadratic_model<T: Float>(
    seed: u64,
    shapes: &[&[usize]],
) -> (Vec<Param<T>>, Vec<Tensor<T>>) {
    let mut rng = seeded_rng(seed);
    let params = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| Param::new(format!("layer{i}"), Tensor::randn(s, &mut rng)))
        .collect();
    let scales = shapes
        .iter()
        .map(|s| Tensor::rand_uniform(s, T::from_f64(0.1), T::from_f64(2.0), &mut rng))
        .collect();
    (params, scales)
}

/// The gradient of `f = sum(a * x^2 + c * x)` at the parameters' values,
/// `g = 2 a x + c` (deterministic, different per element), without a tape.
pub fn quadratic_grads<T: Float>(params: &[Param<T>], scales: &[Tensor<T>], c: f64) -> Grads<T> {
    let mut grads = Grads::new();
    for (p, a) in params.iter().zip(scales) {
        let g = p
            .value()
            .mul(a)
            .mul_scalar(T::from_f64(2.0))
            .add_scalar(T::from_f64(c));
        grads.insert(p.id(), g);
    }
    grads
}

/// The bit patterns of the values, to compare runs bitwise (NaN included).
pub fn bits<T: Float>(t: &Tensor<T>) -> Vec<u64> {
    t.to_vec()
        .into_iter()
        .map(|x| x.to_f64().to_bits())
        .collect()
}
