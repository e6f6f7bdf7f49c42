//! PyTorch's saved LSTM and CNN models load from their safetensors files
//! (f32 and f64) by name and reproduce PyTorch: the LSTM's output and every
//! gradient (input and parameters), the CNN's eval-mode output.
//!
//! Reference: `models/{lstm,cnn}.json` and `models/{lstm,cnn}.{f32,f64}.safetensors`
//! of the golden folder. Sizes come from the state-dict listing in the JSON.

mod common;

use common::{assert_matches, golden_dir, read_json, shape, tensor};
use serde_json::Value;
use wengert_nn::conv::{BatchNorm2d, Conv2dConfig, Flatten, GlobalAvgPool2d, MaxPool2d};
use wengert_nn::recurrent::{Lstm, RnnConfig};
use wengert_nn::{load_weights, Linear, Module, ReLU, Result, Sequential};
use wengert_tensor::{seeded_rng, Float, Tape, Tensor, Var};

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

fn file(model: &Value, dtype: &str) -> std::path::PathBuf {
    golden_dir()
        .join("models")
        .join(model["files"][dtype].as_str().expect("file name"))
}

fn max_abs_diff(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec()
        .iter()
        .zip(b.to_vec())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The saved model: `lstm` (sequence first, zero initial state), then
/// `head` on the last layer's final hidden state.
#[derive(Module)]
struct LstmHead<T: Float> {
    lstm: Lstm<T>,
    head: Linear<T>,
}

impl<T: Float> Module<T> for LstmHead<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let (_, state) = self.lstm.forward_with_state(tape, x, None)?;
        let shape = state.h.shape(); // [L*D, B, H]
        let last = state.h.narrow(0, shape[0] - 1, 1).reshape(&shape[1..]);
        self.head.forward(tape, last)
    }
}

fn lstm_model<T: Float>(model: &Value, fused: bool) -> LstmHead<T> {
    let w_ih = listed_shape(model, "lstm.weight_ih_l0"); // [4H, I]
    let head = listed_shape(model, "head.weight"); // [out, H]
    let mut rng = seeded_rng(1);
    LstmHead {
        lstm: Lstm::new(
            RnnConfig::new(w_ih[1], w_ih[0] / 4).with_fused(fused),
            &mut rng,
        ),
        head: Linear::new(head[1], head[0], &mut rng),
    }
}

#[test]
fn lstm_model_reproduces_pytorch_output_and_every_gradient() {
    let model = read_json("models/lstm.json");
    for dtype in ["float64", "float32"] {
        for fused in [true, false] {
            let what = format!("lstm ({dtype} file, fused {fused})");
            let mut net = lstm_model::<f64>(&model, fused);
            load_weights(&mut net, file(&model, dtype)).unwrap();
            let tape = Tape::new();
            let x = tape.var(tensor(&model["input"]));
            let y = net.forward(&tape, x).unwrap();
            assert_matches(
                &what,
                "output",
                &y.value(),
                &tensor(&model["output"]),
                1e-10,
            );
            let up = tape.constant(tensor(&model["upstream"]));
            let grads = (y * up).sum().backward();
            let expected = model["grads"].as_object().unwrap();
            assert_matches(
                &what,
                "grad input",
                grads.wrt(x).unwrap(),
                &tensor(&expected["input"]),
                1e-10,
            );
            let params = net.params();
            assert_eq!(
                params.len() + 1,
                expected.len(),
                "{what}: one gradient per parameter"
            );
            for (name, p) in params {
                assert_matches(
                    &what,
                    &format!("grad {name}"),
                    grads.get(p).unwrap(),
                    &tensor(&expected[&name]),
                    1e-10,
                );
            }
        }
    }
}

#[test]
fn lstm_f32_model_matches_pytorch_float32_output() {
    // PyTorch's own f32 and f64 outputs differ by 1.4e-8 (output_note);
    // 1e-5 leaves room for another summation order and still catches any
    // wrong weight or gate (outputs are of order 0.1).
    let model = read_json("models/lstm.json");
    for fused in [true, false] {
        let mut net = lstm_model::<f32>(&model, fused);
        load_weights(&mut net, file(&model, "float32")).unwrap();
        let tape = Tape::inference();
        let y = net
            .forward(&tape, tape.constant(tensor(&model["input"]).cast::<f32>()))
            .unwrap();
        let diff = max_abs_diff(
            &y.value().cast::<f64>(),
            &tensor(&model["output_float32_model"]),
        );
        assert!(diff <= 1e-5, "fused {fused}: max |diff| {diff:e}");
    }
}

/// Conv(1,8,3,p1)-BN-ReLU-MaxPool(2)-Conv(8,16,3,p1)-ReLU-GlobalAvgPool-Flatten-Linear,
/// sizes from the listing.
fn cnn_model<T: Float>(model: &Value) -> Sequential<T> {
    let (w0, w4, w8) = (
        listed_shape(model, "0.weight"),
        listed_shape(model, "4.weight"),
        listed_shape(model, "8.weight"),
    );
    let mut rng = seeded_rng(1);
    let conv = |w: &[usize], rng: &mut _| {
        Conv2dConfig::new(w[1], w[0], w[2])
            .with_padding(w[2] / 2)
            .build::<T, _>(rng)
            .unwrap()
    };
    let c0 = conv(&w0, &mut rng);
    let c4 = conv(&w4, &mut rng);
    Sequential::new()
        .with(c0)
        .with(BatchNorm2d::new(listed_shape(model, "1.running_mean")[0]))
        .with(ReLU)
        .with(MaxPool2d::new(2))
        .with(c4)
        .with(ReLU)
        .with(GlobalAvgPool2d)
        .with(Flatten)
        .with(Linear::new(w8[1], w8[0], &mut rng))
}

#[test]
fn cnn_model_reproduces_pytorch_eval_output_from_both_files() {
    let model = read_json("models/cnn.json");
    assert_eq!(model["mode"], "eval");
    for dtype in ["float64", "float32"] {
        let mut net = cnn_model::<f64>(&model);
        load_weights(&mut net, file(&model, dtype)).unwrap();
        let tape = Tape::inference();
        let y = net
            .forward(&tape, tape.constant(tensor(&model["input"])))
            .unwrap();
        assert_matches(
            &format!("cnn ({dtype} file)"),
            "output",
            &y.value(),
            &tensor(&model["output"]),
            1e-10,
        );
    }
}

#[test]
fn cnn_f32_model_matches_pytorch_float32_output() {
    // PyTorch's f32 and f64 outputs differ by 2.9e-8; see the LSTM test.
    let model = read_json("models/cnn.json");
    let mut net = cnn_model::<f32>(&model);
    load_weights(&mut net, file(&model, "float32")).unwrap();
    let tape = Tape::inference();
    let y = net
        .forward(&tape, tape.constant(tensor(&model["input"]).cast::<f32>()))
        .unwrap();
    let diff = max_abs_diff(
        &y.value().cast::<f64>(),
        &tensor(&model["output_float32_model"]),
    );
    assert!(diff <= 1e-5, "max |diff| {diff:e}");
}
