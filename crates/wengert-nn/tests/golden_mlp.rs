//! PyTorch's saved MLP (Linear-BatchNorm1d-ReLU-Dropout-Linear) loads from
//! its safetensors files, in f32 and f64, into the equivalent Sequential and
//! reproduces PyTorch's eval-mode outputs.
//!
//! Reference: `models/mlp.json` and `models/mlp.{f32,f64}.safetensors` of the
//! golden folder. Sizes come from the state-dict listing in the JSON.

mod common;

use common::{golden_dir, read_json, shape, tensor};
use serde_json::Value;
use wengert_nn::{
    load_weights, state_dict, BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential, StateValue,
};
use wengert_tensor::{seeded_rng, Float, Tape, Tensor};

/// The shape of `name` in the JSON's state-dict listing.
fn listed_shape(model: &Value, name: &str) -> Vec<usize> {
    let entry = model["state_dict"]
        .as_array()
        .expect("state_dict listing")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed"));
    shape(entry)
}

/// Sequential(Linear, BatchNorm1d, ReLU, Dropout(0.5), Linear) with the
/// sizes of the listing; weights are random until loaded.
fn build<T: Float>(model: &Value) -> Sequential<T> {
    let w0 = listed_shape(model, "0.weight");
    let w4 = listed_shape(model, "4.weight");
    let mut rng = seeded_rng(1);
    Sequential::new()
        .with(Linear::new(w0[1], w0[0], &mut rng))
        .with(BatchNorm1d::new(listed_shape(model, "1.running_mean")[0]))
        .with(ReLU)
        .with(Dropout::new(0.5))
        .with(Linear::new(w4[1], w4[0], &mut rng))
}

fn eval_output<T: Float>(net: &Sequential<T>, input: &Tensor<f64>) -> Tensor<f64> {
    let tape = Tape::inference();
    net.forward(&tape, tape.constant(input.cast::<T>()))
        .unwrap()
        .value()
        .cast::<f64>()
}

fn max_abs_diff(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec()
        .iter()
        .zip(b.to_vec())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn file(model: &Value, dtype: &str) -> std::path::PathBuf {
    golden_dir()
        .join("models")
        .join(model["files"][dtype].as_str().expect("file name"))
}

#[test]
fn names_and_shapes_match_the_pytorch_state_dict() {
    let model = read_json("models/mlp.json");
    let net = build::<f64>(&model);
    let ours = state_dict(&net);
    let listing = model["state_dict"].as_array().unwrap();
    assert_eq!(ours.len(), listing.len());
    for entry in listing {
        let name = entry["name"].as_str().unwrap();
        match ours
            .get(name)
            .unwrap_or_else(|| panic!("we have no {name}"))
        {
            StateValue::Float(t) => assert_eq!(t.shape(), shape(entry).as_slice(), "{name}"),
            StateValue::Int(_) => assert_eq!(entry["dtype_float64_file"], "int64", "{name}"),
        }
    }
}

#[test]
fn f64_file_reproduces_pytorch_eval_output_to_1e_10() {
    let model = read_json("models/mlp.json");
    let mut net = build::<f64>(&model);
    load_weights(&mut net, file(&model, "float64")).unwrap();
    let out = eval_output(&net, &tensor(&model["input"]));
    let want = tensor(&model["output"]);
    let diff = max_abs_diff(&out, &want);
    assert!(diff <= 1e-10, "max |diff| {diff:e}");
}

#[test]
fn f32_file_into_f64_model_converts_exactly() {
    // Both files hold the same float32-representable values, so the f32 file
    // widened to f64 gives the f64 reference to the same tolerance.
    let model = read_json("models/mlp.json");
    let mut net = build::<f64>(&model);
    load_weights(&mut net, file(&model, "float32")).unwrap();
    let diff = max_abs_diff(
        &eval_output(&net, &tensor(&model["input"])),
        &tensor(&model["output"]),
    );
    assert!(diff <= 1e-10, "max |diff| {diff:e}");
}

#[test]
fn f32_model_matches_pytorch_float32_output() {
    // f32 arithmetic over 784-term dot products: rounding of order
    // sqrt(784) * 6e-8 * |terms| ~ 1e-6 at most; PyTorch's own f32 and f64
    // outputs differ by 4.9e-8. 1e-5 leaves room for a different summation
    // order and still catches any wrong weight (outputs are of order 0.1).
    let model = read_json("models/mlp.json");
    let input = tensor(&model["input"]);
    for dtype in ["float32", "float64"] {
        let mut net = build::<f32>(&model);
        load_weights(&mut net, file(&model, dtype)).unwrap();
        let out = eval_output(&net, &input);
        let diff = max_abs_diff(&out, &tensor(&model["output_float32_model"]));
        assert!(diff <= 1e-5, "{dtype} file: max |diff| {diff:e}");
    }
}

#[test]
fn running_statistics_and_counter_are_loaded_as_buffers() {
    let model = read_json("models/mlp.json");
    let mut net = build::<f64>(&model);
    let before = state_dict(&net);
    load_weights(&mut net, file(&model, "float64")).unwrap();
    let after = state_dict(&net);
    // Fresh running stats are zeros/ones and the counter 0; PyTorch's were
    // updated by training steps, so loading must have replaced all three.
    for name in ["1.running_mean", "1.running_var"] {
        let (StateValue::Float(a), StateValue::Float(b)) = (&before[name], &after[name]) else {
            panic!("{name} is a float buffer")
        };
        assert_ne!(a.to_vec(), b.to_vec(), "{name} was not loaded");
    }
    let StateValue::Int(count) = after["1.num_batches_tracked"] else {
        panic!("counter")
    };
    assert!(count > 0, "num_batches_tracked was not loaded");
}
