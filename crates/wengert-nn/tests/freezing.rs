//! Freezing: frozen parameters receive no gradient and stay unchanged
//! through optimizer steps; fine-tuning with the first k layers frozen and a
//! new head.

use wengert_nn::loss::{mse_loss, Reduction};
use wengert_nn::{Linear, Module, ReLU, Sequential, StateValue};
use wengert_tensor::{seeded_rng, Grads, Parameters, Tape, Tensor};

fn model() -> Sequential<f64> {
    let mut rng = seeded_rng(0);
    Sequential::new()
        .with(Linear::new(3, 5, &mut rng))
        .with(ReLU)
        .with(Linear::new(5, 4, &mut rng))
        .with(ReLU)
        .with(Linear::new(4, 2, &mut rng))
}

fn grads(m: &Sequential<f64>) -> Grads<f64> {
    let mut rng = seeded_rng(1);
    let tape = Tape::training(0);
    let x = tape.constant(Tensor::randn(&[6, 3], &mut rng));
    let t = tape.constant(Tensor::randn(&[6, m_out(m)], &mut rng));
    mse_loss(m.forward(&tape, x).unwrap(), t, Reduction::Mean).backward()
}

fn m_out(m: &Sequential<f64>) -> usize {
    let mut out = 0;
    m.visit_params(&mut |_, p| out = p.shape()[0]);
    out
}

/// A hand-written SGD step, as an optimizer does it: skip frozen
/// parameters, and parameters without a gradient.
fn sgd_step(m: &mut Sequential<f64>, g: &Grads<f64>, lr: f64) {
    for (_, p) in m.params_mut() {
        if p.is_frozen() {
            continue;
        }
        if let Some(d) = g.get(p) {
            let v = p.value().sub(&d.mul_scalar(lr));
            p.set_value(v).unwrap();
        }
    }
}

fn values(m: &Sequential<f64>) -> Vec<(String, Vec<f64>)> {
    m.params()
        .into_iter()
        .map(|(n, p)| (n, p.value().to_vec()))
        .collect()
}

#[test]
fn frozen_first_layers_get_no_gradient_and_do_not_move() {
    let mut m = model();
    m.freeze_first(3).unwrap(); // layers 0 (Linear), 1 (ReLU), 2 (Linear)
    let before = values(&m);
    for _ in 0..3 {
        let g = grads(&m);
        for (name, p) in m.params() {
            let frozen = name.starts_with("0.") || name.starts_with("2.");
            assert_eq!(p.is_frozen(), frozen, "{name}");
            assert_eq!(
                g.get(p).is_none(),
                frozen,
                "{name}: gradient present iff trainable"
            );
        }
        sgd_step(&mut m, &g, 0.1);
    }
    let after = values(&m);
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        if name.starts_with("4.") {
            assert_ne!(a, b, "{name} should have been trained");
        } else {
            assert_eq!(a, b, "{name} must stay bitwise unchanged");
        }
    }
}

#[test]
fn freeze_by_parameter_or_layer_name_and_unfreeze() {
    let mut m = model();
    assert_eq!(m.set_frozen("2.weight", true).unwrap(), 1);
    assert_eq!(m.set_frozen("4", true).unwrap(), 2);
    let g = grads(&m);
    let frozen: Vec<String> = m
        .params()
        .into_iter()
        .filter(|(_, p)| p.is_frozen())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(frozen, ["2.weight", "4.weight", "4.bias"]);
    for (n, p) in m.params() {
        assert_eq!(g.get(p).is_none(), frozen.contains(&n), "{n}");
    }
    assert_eq!(
        m.num_trainable_params(),
        m.num_params() - (5 * 4 + 4 * 2 + 2)
    );
    m.unfreeze();
    assert_eq!(m.num_trainable_params(), m.num_params());
    let err = m.set_frozen("7", true).unwrap_err().to_string();
    assert!(err.contains("`7`") && err.contains("0.weight"), "{err}");
}

#[test]
fn freezing_a_single_layer_through_get_mut() {
    let mut m = model();
    m.get_mut(4).unwrap().freeze();
    assert!(m
        .params()
        .iter()
        .all(|(n, p)| p.is_frozen() == n.starts_with("4.")));
    assert!(m.freeze_first(6).is_err());
}

#[test]
fn new_head_for_fine_tuning_trains_alone() {
    let mut m = model();
    m.freeze_first(4).unwrap();
    let old = m
        .replace_last(Linear::new(4, 3, &mut seeded_rng(9)))
        .unwrap();
    assert_eq!(old.num_params(), 4 * 2 + 2);
    assert_eq!(m.num_trainable_params(), 4 * 3 + 3);
    let body_before = values(&m);
    let g = grads(&m);
    sgd_step(&mut m, &g, 0.1);
    let after = values(&m);
    for ((name, a), (_, b)) in body_before.iter().zip(&after) {
        assert_eq!(name.starts_with("4."), a != b, "{name}");
    }
    // The state dict names the new head like the old one.
    let names: Vec<String> = wengert_nn::state_dict(&m)
        .into_iter()
        .filter(|(_, v)| matches!(v, StateValue::Float(_)))
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"4.weight".to_string()));
}
