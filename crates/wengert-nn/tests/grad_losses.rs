//! Gradient property tests for every loss and penalty: finite differences
//! in f64 over random shapes, values, targets and options, and second
//! derivatives where the loss is twice differentiable.
//!
//! L1 and Huber keep the difference input - target away from their kinks
//! (0, and +-delta for Huber) by at least 1e-3.

use proptest::prelude::*;
use wengert_nn::loss::{
    bce_with_logits, cross_entropy_smoothed, huber_loss, l1_loss, mse_loss, nll_loss, Reduction,
};
use wengert_nn::{l1_penalty, l2_penalty};
use wengert_tensor::testing::{shape, tensor_away_from, tensor_with_shape};
use wengert_tensor::{gradcheck, gradgradcheck, Param, Tape, Tensor, Tolerance};

const CASES: u32 = 24;

fn reduction() -> impl Strategy<Value = Reduction> {
    prop_oneof![
        Just(Reduction::Mean),
        Just(Reduction::Sum),
        Just(Reduction::None)
    ]
}

/// Logits [N, C] with N targets below C.
fn classification() -> impl Strategy<Value = (Tensor<f64>, Vec<usize>)> {
    (1usize..5, 2usize..5).prop_flat_map(|(n, c)| {
        (
            tensor_with_shape(vec![n, c], -4.0..4.0),
            prop::collection::vec(0..c, n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn mse_gradients_for_input_and_target(
        (x, t) in shape(3, 4).prop_flat_map(|s| (tensor_with_shape(s.clone(), -3.0..3.0), tensor_with_shape(s, -3.0..3.0))),
        r in reduction(),
    ) {
        let inputs = [x, t];
        gradcheck(|_, v| mse_loss(v[0], v[1], r), &inputs, Tolerance::default()).unwrap();
        gradgradcheck(|_, v| mse_loss(v[0], v[1], r), &inputs, Tolerance::default()).unwrap();
    }

    #[test]
    fn l1_gradients_away_from_ties(
        (x, d) in shape(3, 4).prop_flat_map(|s| (tensor_with_shape(s.clone(), -3.0..3.0), tensor_away_from(s, -2.0..2.0, vec![0.0], 1e-3))),
        r in reduction(),
    ) {
        // target = x - d, so input - target = d stays off the kink at 0.
        let t = x.sub(&d);
        gradcheck(|_, v| l1_loss(v[0], v[1], r), &[x, t], Tolerance::default()).unwrap();
    }

    #[test]
    fn huber_gradients_and_second_derivatives_away_from_kinks(
        (x, d) in shape(3, 4).prop_flat_map(|s| (tensor_with_shape(s.clone(), -3.0..3.0), tensor_with_shape(s, -3.0..3.0))),
        delta in 0.2..2.0f64,
        r in reduction(),
    ) {
        // Push d off 0 and +-delta.
        let d = d.map(|v| {
            let mut v = v;
            for k in [0.0, delta, -delta] {
                if (v - k).abs() < 1e-3 { v = k + 1e-3; }
            }
            v
        });
        let t = x.sub(&d);
        let inputs = [x, t];
        gradcheck(|_, v| huber_loss(v[0], v[1], delta, r), &inputs, Tolerance::default()).unwrap();
        gradgradcheck(|_, v| huber_loss(v[0], v[1], delta, r), &inputs, Tolerance::default()).unwrap();
    }

    #[test]
    fn cross_entropy_gradients_with_smoothing_and_reductions(
        (z, targets) in classification(),
        smoothing in prop_oneof![Just(0.0), 0.0..0.5f64],
        r in reduction(),
    ) {
        let tol = Tolerance::default();
        gradcheck(|_, v| cross_entropy_smoothed(v[0], &targets, smoothing, r), std::slice::from_ref(&z), tol).unwrap();
        gradgradcheck(|_, v| cross_entropy_smoothed(v[0], &targets, smoothing, r), &[z], tol).unwrap();
    }

    #[test]
    fn cross_entropy_gradient_is_softmax_minus_onehot(
        (z, targets) in classification(),
    ) {
        // d/dz sum_i l_i = softmax(z_i) - onehot(t_i), exactly the textbook form.
        let tape = Tape::new();
        let zv = tape.var(z.clone());
        let g = cross_entropy_smoothed(zv, &targets, 0.0, Reduction::Sum).backward();
        let want = z.softmax(1).sub(&Tensor::one_hot(&targets, z.shape()[1]));
        wengert_tensor::gradcheck::assert_close(g.wrt(zv).unwrap(), &want, 1e-12, 1e-12);
    }

    #[test]
    fn nll_gradients(
        (z, targets) in classification(),
        r in reduction(),
    ) {
        gradcheck(|_, v| nll_loss(v[0], &targets, r), &[z], Tolerance::default()).unwrap();
    }

    #[test]
    fn bce_with_logits_gradients_for_logits_and_targets(
        (x, t) in shape(3, 4).prop_flat_map(|s| (tensor_with_shape(s.clone(), -6.0..6.0), tensor_with_shape(s, 0.0..1.0))),
        r in reduction(),
    ) {
        let inputs = [x, t];
        gradcheck(|_, v| bce_with_logits(v[0], v[1], r), &inputs, Tolerance::default()).unwrap();
        gradgradcheck(|_, v| bce_with_logits(v[0], v[1], r), &inputs, Tolerance::default()).unwrap();
    }

    #[test]
    fn penalties_have_gradients_two_w_and_sign_w(
        w1 in shape(2, 4).prop_flat_map(|s| tensor_away_from(s, -2.0..2.0, vec![0.0], 1e-3)),
        w2 in shape(2, 4).prop_flat_map(|s| tensor_away_from(s, -2.0..2.0, vec![0.0], 1e-3)),
    ) {
        let (a, b) = (Param::new("a", w1.clone()), Param::new("b", w2.clone()));
        let tape = Tape::new();
        let l2 = l2_penalty(&tape, [&a, &b]);
        let want: f64 = w1.to_vec().iter().chain(w2.to_vec().iter()).map(|v| v * v).sum();
        prop_assert!((l2.item() - want).abs() <= 1e-12 * (1.0 + want));
        let g = l2.backward();
        prop_assert_eq!(g.get(&a).unwrap().to_vec(), w1.mul_scalar(2.0).to_vec());
        let l1 = l1_penalty(&tape, [&a, &b]);
        let g = l1.backward();
        prop_assert_eq!(g.get(&b).unwrap().to_vec(), w2.map(f64::signum).to_vec());
    }
}

#[test]
fn frozen_parameters_get_no_penalty_gradient_and_empty_sets_give_zero() {
    let mut a = Param::new("a", Tensor::from_vec(vec![1.0, -2.0], &[2]));
    a.set_frozen(true);
    let tape = Tape::<f64>::new();
    let l2 = l2_penalty(&tape, [&a]);
    assert_eq!(l2.item(), 5.0);
    assert!(l2.backward().get(&a).is_none());
    assert_eq!(l1_penalty::<f64>(&tape, []).item(), 0.0);
}
