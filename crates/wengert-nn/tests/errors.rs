//! Bad input gives errors that name the layer or loss, the expected shape
//! and the shape it got, and inside a container, which child failed.

use wengert_nn::loss::{
    try_cross_entropy, try_cross_entropy_smoothed, try_huber_loss, try_mse_loss, try_nll_loss,
    Reduction,
};
use wengert_nn::{BatchNorm1d, LayerNorm, Linear, Module, PReLU, ReLU, Residual, Sequential};
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn forward_err(m: &dyn Module<f64>, shape: &[usize]) -> String {
    let tape = Tape::training(0);
    let before = tape.len();
    let err = m
        .forward(&tape, tape.constant(Tensor::ones(shape)))
        .unwrap_err()
        .to_string();
    // The check comes before any op: only the input leaf is on the tape.
    assert_eq!(tape.len(), before + 1, "{err}");
    err
}

#[test]
fn linear_with_wrong_input_width_names_both_widths() {
    let layer = Linear::<f64>::new(4, 3, &mut seeded_rng(0));
    let err = forward_err(&layer, &[2, 5]);
    assert_eq!(err, "Linear(4 -> 3): input of shape [2, 5] does not fit: expected [*, 4] (last axis = in_features)");
}

#[test]
fn sequential_says_which_layer_failed() {
    let mut rng = seeded_rng(0);
    let model = Sequential::<f64>::new()
        .with(Linear::new(784, 64, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 10, &mut rng));
    // A forward error stops at the failing layer; earlier layers did record.
    let err = forward_err_any(&model, &[4, 784]);
    assert!(
        err.starts_with("in layer `2` (Linear): Linear(32 -> 10): input of shape [4, 64]"),
        "{err}"
    );
    let tape = Tape::<f64>::training(0);
    let err = model
        .forward(&tape, tape.constant(Tensor::ones(&[4, 783])))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("in layer `0` (Linear)") && err.contains("[4, 783]"),
        "{err}"
    );
}

#[test]
fn normalization_layers_check_channels_and_rank() {
    let bn = BatchNorm1d::<f64>::new(3);
    let err = forward_err(&bn, &[4, 5]);
    assert!(
        err.contains("BatchNorm1d(3)")
            && err.contains("[4, 5]")
            && err.contains("3 channels on axis 1"),
        "{err}"
    );
    let err = forward_err(&bn, &[2, 3, 4, 4]);
    assert!(err.contains("[N, 3] or [N, 3, L]"), "{err}");
    let ln = LayerNorm::<f64>::new(&[2, 3]);
    let err = forward_err(&ln, &[4, 3, 2]);
    assert!(
        err.contains("LayerNorm([2, 3])") && err.contains("[*, 2, 3]") && err.contains("[4, 3, 2]"),
        "{err}"
    );
}

#[test]
fn prelu_checks_its_channel_count() {
    let err = forward_err(&PReLU::<f64>::new(3), &[2, 4]);
    assert!(err.contains("PReLU(3)") && err.contains("[2, 4]"), "{err}");
}

#[test]
fn residual_without_projection_refuses_a_shape_change() {
    let block = Residual::<f64>::new(Linear::new(4, 3, &mut seeded_rng(0)));
    let err = forward_err_any(&block, &[2, 4]);
    assert!(
        err.contains("Residual")
            && err.contains("[2, 3]")
            && err.contains("[2, 4]")
            && err.contains("projection"),
        "{err}"
    );
}

fn forward_err_any(m: &dyn Module<f64>, shape: &[usize]) -> String {
    let tape = Tape::training(0);
    m.forward(&tape, tape.constant(Tensor::ones(shape)))
        .unwrap_err()
        .to_string()
}

#[test]
fn losses_reject_bad_targets() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros(&[2, 3]));
    let err = try_cross_entropy(z, &[0, 3], Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cross_entropy: target 3 at position 1 is not a class index below 3"
    );
    let err = try_cross_entropy(z, &[0], Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 targets for a batch of 2"), "{err}");
    // [C] is one unbatched sample (as PyTorch); a 0-d input has no classes.
    let err = try_nll_loss(tape.var(Tensor::zeros(&[])), &[0], Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[batch, classes]") && err.contains("got []"),
        "{err}"
    );
    let err = try_cross_entropy_smoothed(z, &[0, 1], 1.5, Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert!(err.contains("label smoothing must lie in [0, 1]"), "{err}");
    let t = tape.constant(Tensor::zeros(&[2, 1]));
    let err = try_mse_loss(z, t, Reduction::Mean).unwrap_err().to_string();
    assert!(
        err.starts_with("mse_loss: input [2, 3] and target [2, 1] must have the same shape")
            && err.contains("on purpose"),
        "{err}"
    );
    let err = try_huber_loss(z, z, 0.0, Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert!(err.contains("delta must be positive"), "{err}");
}

#[test]
#[should_panic(expected = "mse_loss: input [2] and target [3] must have the same shape")]
fn panicking_loss_forms_carry_the_same_message() {
    let tape = Tape::<f64>::new();
    wengert_nn::loss::mse_loss(
        tape.var(Tensor::zeros(&[2])),
        tape.var(Tensor::zeros(&[3])),
        Reduction::Sum,
    );
}

#[test]
fn bad_layer_configurations_are_refused() {
    let err =
        Linear::<f64>::from_tensors(Tensor::zeros(&[3, 2]), Some(Tensor::zeros(&[2]))).unwrap_err();
    assert!(
        err.to_string().contains("bias must have shape [3]"),
        "{err}"
    );
    assert!(PReLU::<f64>::with_slopes(Tensor::zeros(&[0])).is_err());
    assert!(LayerNorm::<f64>::try_new(&[], 1e-5, true).is_err());
}
