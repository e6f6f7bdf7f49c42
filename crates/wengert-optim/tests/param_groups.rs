//! Parameter groups, frozen parameters, parameters without gradients, the
//! visitor form of `step`, and gradient shape errors.

use wengert_optim::{AdamConfig, AdamWConfig, Optimizer, ParamGroup, SgdConfig, WeightDecay};
use wengert_tensor::{Grads, Param, Tensor};

fn grads_of(params: &[&Param<f64>], value: f64) -> Grads<f64> {
    let mut grads = Grads::new();
    for p in params {
        grads.insert(p.id(), Tensor::full(p.shape(), value));
    }
    grads
}

#[test]
fn groups_give_their_own_lr_and_decay_and_follow_set_lr() {
    let mut backbone = Param::new("backbone.weight", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut head = Param::new("head.weight", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut bias = Param::new("head.bias", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut sgd = SgdConfig::new(0.5)
        .weight_decay(WeightDecay::L2(0.1))
        .group(ParamGroup::by_name("no decay", |n| n.ends_with("bias")).weight_decay(0.0))
        .group(ParamGroup::by_ids("pretrained", [backbone.id()]).lr_scale(0.1))
        .build();
    let grads = grads_of(&[&backbone, &head, &bias], 1.0);
    sgd.step(&mut [&mut backbone, &mut head, &mut bias], &grads);
    // x - lr * (g + wd x): backbone lr 0.05, head lr 0.5, bias no decay.
    assert_eq!(backbone.value().item(), 1.0 - 0.05 * (1.0 + 0.1));
    assert_eq!(head.value().item(), 1.0 - 0.5 * (1.0 + 0.1));
    assert_eq!(bias.value().item(), 1.0 - 0.5 * 1.0);
    // A schedule moves every group: the ratio stays.
    sgd.set_lr(0.2);
    let (b0, h0) = (backbone.value().item(), head.value().item());
    let grads = grads_of(&[&backbone, &head], 0.0);
    sgd.step(&mut [&mut backbone, &mut head], &grads);
    assert_eq!(backbone.value().item(), b0 - (0.2 * 0.1) * (0.1 * b0));
    assert_eq!(head.value().item(), h0 - 0.2 * (0.1 * h0));
}

#[test]
fn decoupled_decay_shrinks_before_the_step_and_groups_can_turn_it_off() {
    let mut w = Param::new("w", Tensor::from_vec(vec![2.0f64], &[1]));
    let mut b = Param::new("b", Tensor::from_vec(vec![2.0f64], &[1]));
    let mut adamw = AdamWConfig::new(0.1)
        .weight_decay(0.5)
        .group(ParamGroup::by_ids("no decay", [b.id()]).weight_decay(0.0))
        .build();
    // Zero gradient: Adam's step is 0 / (0 + eps) = 0, only the decay acts.
    let grads = grads_of(&[&w, &b], 0.0);
    adamw.step(&mut [&mut w, &mut b], &grads);
    assert_eq!(w.value().item(), 2.0 * (1.0 - 0.1 * 0.5));
    assert_eq!(b.value().item(), 2.0);
}

#[test]
fn frozen_and_gradientless_parameters_are_left_alone() {
    let mut frozen = Param::new("frozen", Tensor::from_vec(vec![1.0f64, 2.0], &[2]));
    frozen.set_frozen(true);
    let mut no_grad = Param::new("no_grad", Tensor::from_vec(vec![3.0f64], &[1]));
    let mut live = Param::new("live", Tensor::from_vec(vec![4.0f64], &[1]));
    // Even if a gradient for the frozen parameter is present, it is skipped.
    let grads = grads_of(&[&frozen, &live], 1.0);
    let mut adam = AdamConfig::new(0.1).build();
    adam.step(&mut [&mut frozen, &mut no_grad, &mut live], &grads);
    assert_eq!(frozen.value().to_vec(), vec![1.0, 2.0]);
    assert_eq!(no_grad.value().to_vec(), vec![3.0]);
    assert!(live.value().item() < 4.0);
    assert!(adam.state_of(frozen.id()).is_none() && adam.state_of(no_grad.id()).is_none());
    assert_eq!(adam.param_step(live.id()), 1);
}

/// A model as wengert-nn offers it: a visitor over its parameters.
struct TwoLayers {
    first: Param<f64>,
    second: Param<f64>,
}

impl TwoLayers {
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<f64>)) {
        f(&mut self.first);
        f(&mut self.second);
    }
}

#[test]
fn stepping_through_a_visitor_equals_stepping_a_slice() {
    let make = || TwoLayers {
        first: Param::new("first", Tensor::from_vec(vec![1.0, -1.0], &[2])),
        second: Param::new("second", Tensor::from_vec(vec![0.5], &[1])),
    };
    let mut by_visitor = make();
    let mut by_slice = make();
    let mut a = SgdConfig::new(0.1).momentum(0.9).build();
    let mut b = SgdConfig::new(0.1).momentum(0.9).build();
    for step in 0..3 {
        let g = 0.5 + step as f64;
        let grads_v = grads_of(&[&by_visitor.first, &by_visitor.second], g);
        a.step_with(&grads_v, &mut |f| by_visitor.visit_params_mut(f));
        let grads_s = grads_of(&[&by_slice.first, &by_slice.second], g);
        b.step(&mut [&mut by_slice.first, &mut by_slice.second], &grads_s);
    }
    assert_eq!(by_visitor.first.value(), by_slice.first.value());
    assert_eq!(by_visitor.second.value(), by_slice.second.value());
}

#[test]
fn gradient_of_wrong_shape_is_an_error_naming_parameter_and_shapes() {
    let mut ok = Param::new("ok", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut bad = Param::new("fc.weight", Tensor::<f64>::zeros(&[2, 3]));
    let mut grads = grads_of(&[&ok], 1.0);
    grads.insert(bad.id(), Tensor::zeros(&[3, 2]));
    let mut sgd = SgdConfig::new(0.1).build();
    let err = sgd
        .try_step(&mut [&mut ok, &mut bad], &grads)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SGD")
            && err.contains("fc.weight")
            && err.contains("[3, 2]")
            && err.contains("[2, 3]"),
        "{err}"
    );
    // Nothing moved, not even the parameter visited before the bad one.
    assert_eq!(ok.value().item(), 1.0);
}

#[test]
fn invalid_hyperparameters_are_refused_by_name() {
    let err = AdamConfig::new(0.1)
        .betas(0.9, 1.0)
        .try_build::<f32>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Adam") && err.contains("beta2"), "{err}");
    let err = SgdConfig::new(-1.0)
        .try_build::<f32>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("SGD") && err.contains("-1"), "{err}");
    let err = SgdConfig::new(0.1)
        .group(ParamGroup::by_name("g", |_| true).lr_scale(f64::NAN))
        .try_build::<f32>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("group `g`"), "{err}");
}
