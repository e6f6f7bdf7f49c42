//! Every layer is generic over the float type: the same layer in f32, with
//! the f64 parameters rounded to f32, gives the f64 output to f32 precision.

use wengert_nn::loss::{bce_with_logits, cross_entropy_smoothed, huber_loss, Reduction};
use wengert_nn::{
    load_state_dict, state_dict, BatchNorm1d, Dropout, LayerNorm, LeakyReLU, Linear, Module, PReLU,
    ReLU, Residual, Sequential, Sigmoid, Softplus, StateDict, StateValue, Tanh, ELU, GELU,
};
use wengert_tensor::{seeded_rng, Float, Tape, Tensor};

fn to_f32(s: &StateDict<f64>) -> StateDict<f32> {
    s.iter()
        .map(|(n, v)| {
            let v = match v {
                StateValue::Float(t) => StateValue::Float(t.cast::<f32>()),
                StateValue::Int(c) => StateValue::Int(*c),
            };
            (n.clone(), v)
        })
        .collect()
}

/// A model exercising every layer, built identically for either width.
fn model<T: Float>() -> Sequential<T> {
    let mut rng = seeded_rng(11);
    Sequential::new()
        .with(Linear::new(5, 6, &mut rng))
        .with(BatchNorm1d::new(6))
        .with(PReLU::new(6))
        .with(Residual::mlp(6, 4, 6, &mut rng))
        .with(LayerNorm::new(&[6]))
        .with(GELU)
        .with(Linear::new(6, 6, &mut rng))
        .with(ELU::new(1.0))
        .with(LeakyReLU::default())
        .with(Softplus)
        .with(Tanh)
        .with(Sigmoid)
        .with(ReLU)
        .with(Dropout::new(0.3))
        .with(Linear::new(6, 3, &mut rng))
}

fn outputs<T: Float>(m: &Sequential<T>, x: &Tensor<f64>, training: bool) -> (Vec<f64>, f64) {
    let tape = if training {
        Tape::training(5)
    } else {
        Tape::inference()
    };
    let y = m.forward(&tape, tape.constant(x.cast::<T>())).unwrap();
    let t = tape.constant(Tensor::full(&y.shape(), T::from_f64(0.25)));
    let loss = cross_entropy_smoothed(y, &[0, 2, 1, 1], 0.1, Reduction::Mean)
        + bce_with_logits(y, t, Reduction::Sum)
        + huber_loss(y, t, 0.5, Reduction::Mean);
    let y = y.value().cast::<f64>().to_vec();
    (y, Float::to_f64(loss.item()))
}

#[test]
fn f32_model_tracks_f64_model_in_training_and_eval() {
    let m64 = model::<f64>();
    let mut m32 = model::<f32>();
    load_state_dict(&mut m32, &to_f32(&state_dict(&m64))).unwrap();
    let x = Tensor::rand_uniform(&[4, 5], -2.0, 2.0, &mut seeded_rng(3)).map(|v| v as f32 as f64);
    for training in [true, false] {
        let (y64, l64) = outputs(&m64, &x, training);
        let (y32, l32) = outputs(&m32, &x, training);
        // f32 carries ~7 digits; a dozen layers of O(1) values lose a few
        // ulps each, and batch statistics of 4 rows amplify them a little.
        for (a, b) in y64.iter().zip(&y32) {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + a.abs()),
                "training {training}: {a} vs {b}"
            );
        }
        assert!(
            (l64 - l32).abs() < 1e-4 * (1.0 + l64.abs()),
            "training {training}: loss {l64} vs {l32}"
        );
    }
}
