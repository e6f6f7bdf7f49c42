//! Parameter groups, frozen parameters, parameters without gradients, the
//! visitor form of `step`, and gradient shape errors.

use wengert_optim::{AdamConfig, AdamWConfig, Optimizer, ParamGroup, SgdConfig, WeightDecay};
use wengert_tensor::{Grads, Param, Parameters, Tensor};

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

/// A model as wengert-nn offers it: parameters with local names (`weight`
/// twice), listed with full paths.
struct TwoLayers {
    first: Param<f64>,
    second: Param<f64>,
}

impl TwoLayers {
    fn new() -> Self {
        TwoLayers {
            first: Param::new("weight", Tensor::from_vec(vec![1.0, -1.0], &[2])),
            second: Param::new("weight", Tensor::from_vec(vec![0.5], &[1])),
        }
    }
}

impl Parameters<f64> for TwoLayers {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
        f("first.weight", &self.first);
        f("second.weight", &self.second);
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
        f("first.weight", &mut self.first);
        f("second.weight", &mut self.second);
    }
}

impl TwoLayers {
    fn grads(&self, g: f64) -> Grads<f64> {
        grads_of(&[&self.first, &self.second], g)
    }
}

#[test]
fn stepping_a_model_equals_stepping_a_slice() {
    let mut by_model = TwoLayers::new();
    let mut by_slice = TwoLayers::new();
    let mut a = SgdConfig::new(0.1).momentum(0.9).build();
    let mut b = SgdConfig::new(0.1).momentum(0.9).build();
    for step in 0..3 {
        let g = 0.5 + step as f64;
        let grads = by_model.grads(g);
        // The model is passed as it is.
        a.step(&mut by_model, &grads);
        let grads = by_slice.grads(g);
        b.step(&mut [&mut by_slice.first, &mut by_slice.second], &grads);
    }
    assert_eq!(by_model.first.value(), by_slice.first.value());
    assert_eq!(by_model.second.value(), by_slice.second.value());
}

#[test]
fn groups_and_saved_state_use_the_models_full_names() {
    let mut model = TwoLayers::new();
    // Freeze the learning rate of everything under `first.` by name.
    let config = || {
        AdamConfig::new(0.1).group(
            ParamGroup::by_name("first frozen by lr", |n| n.starts_with("first.")).lr_scale(0.0),
        )
    };
    let mut adam = config().build();
    let grads = model.grads(1.0);
    adam.step(&mut model, &grads);
    assert_eq!(model.first.value().to_vec(), vec![1.0, -1.0]);
    assert_ne!(model.second.value().to_vec(), vec![0.5]);
    let saved = adam.state();
    let names: Vec<&str> = saved.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["first.weight", "second.weight"]);

    // A rebuilt model (new ids, the same duplicate local names) picks its
    // state up by full name and continues as the uninterrupted run.
    let mut straight = TwoLayers::new();
    let mut reference = config().build();
    for _ in 0..2 {
        let grads = straight.grads(1.0);
        reference.step(&mut straight, &grads);
    }
    let mut rebuilt = TwoLayers::new();
    rebuilt
        .first
        .set_value(model.first.value().clone())
        .unwrap();
    rebuilt
        .second
        .set_value(model.second.value().clone())
        .unwrap();
    let mut resumed = config().build();
    resumed.load_state(&saved).unwrap();
    let grads = rebuilt.grads(1.0);
    resumed.step(&mut rebuilt, &grads);
    assert_eq!(rebuilt.second.value(), straight.second.value());
    assert_eq!(resumed.param_step(rebuilt.second.id()), 2);
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

#[test]
fn a_group_with_its_own_rate_trains_under_an_optimizer_rate_of_zero() {
    // PyTorch: SGD(lr=0) with a group {"params": head, "lr": 0.5}.
    let mut body = Param::new("body.weight", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut head = Param::new("head.weight", Tensor::from_vec(vec![1.0f64], &[1]));
    let mut sgd = SgdConfig::new(0.0)
        .momentum(0.9)
        .group(ParamGroup::by_name("head", |n| n.starts_with("head.")).lr(0.5))
        .build();
    assert_eq!(sgd.group_count(), 2);
    assert_eq!((sgd.group_base_lr(0), sgd.group_base_lr(1)), (0.0, 0.5));
    for _ in 0..2 {
        let grads = grads_of(&[&body, &head], 1.0);
        sgd.step(&mut [&mut body, &mut head], &grads);
    }
    // b = 1, then 0.9 + 1: x = 1 - 0.5 - 0.5 * 1.9.
    assert_eq!(head.value().item(), 1.0 - 0.5 - 0.5 * 1.9);
    assert_eq!(body.value().item(), 1.0);
}

#[test]
fn set_lr_keeps_each_groups_ratio_to_the_default_base_rate() {
    let mut sgd = SgdConfig::new(0.2)
        .group(ParamGroup::by_name("scaled", |n| n == "a").lr_scale(0.5))
        .group(ParamGroup::by_name("own", |n| n == "b").lr(0.05))
        .build::<f64>();
    sgd.set_lr(0.1);
    assert_eq!(sgd.lr(), 0.1);
    assert_eq!(sgd.group_lr(1), 0.1 * 0.5);
    assert_eq!(sgd.group_lr(2), 0.1 * (0.05 / 0.2));
    // One group's rate alone, as PyTorch's `param_groups[i]["lr"] = ...`.
    sgd.set_group_lr(2, 0.3);
    assert_eq!(
        (sgd.lr(), sgd.group_lr(1), sgd.group_lr(2)),
        (0.1, 0.05, 0.3)
    );
    // With a default base rate of 0 there is no ratio: own rates stay.
    let mut zero = SgdConfig::new(0.0)
        .group(ParamGroup::by_name("own", |_| true).lr(0.05))
        .build::<f64>();
    zero.set_lr(0.7);
    assert_eq!((zero.lr(), zero.group_lr(1)), (0.7, 0.05));
}

#[test]
#[should_panic(expected = "SGD: no rate group 3: it has 2")]
fn a_rate_group_that_does_not_exist_is_a_panic_naming_the_count() {
    let sgd = SgdConfig::new(0.1)
        .group(ParamGroup::by_name("g", |_| true))
        .build::<f64>();
    let _ = sgd.group_lr(3);
}

#[test]
fn group_overrides_the_optimizer_does_not_read_are_refused_by_name() {
    let err = SgdConfig::new(0.1)
        .group(ParamGroup::by_name("head", |_| true).betas(0.9, 0.99))
        .try_build::<f64>()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SGD") && err.contains("group `head`: betas") && err.contains("momentum"),
        "{err}"
    );
    let err = AdamConfig::new(0.1)
        .group(ParamGroup::by_name("head", |_| true).momentum(0.9))
        .try_build::<f64>()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Adam") && err.contains("momentum") && err.contains("betas"),
        "{err}"
    );
    let err = wengert_optim::AdagradConfig::new(0.1)
        .group(ParamGroup::by_name("g", |_| true).momentum(0.5))
        .try_build::<f64>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("Adagrad has no momentum"), "{err}");
}

#[test]
fn group_rates_momentum_and_betas_are_range_checked_by_name() {
    let bad = |group: ParamGroup| {
        SgdConfig::new(0.1)
            .group(group)
            .try_build::<f64>()
            .unwrap_err()
            .to_string()
    };
    let err = bad(ParamGroup::by_name("g", |_| true).lr(-0.1));
    assert!(
        err.contains("group `g`: lr") && err.contains("-0.1"),
        "{err}"
    );
    let err = bad(ParamGroup::by_name("g", |_| true).momentum(1.5));
    assert!(
        err.contains("group `g`: momentum") && err.contains("PyTorch"),
        "{err}"
    );
    let err = AdamConfig::new(0.1)
        .group(ParamGroup::by_name("g", |_| true).betas(0.9, 1.0))
        .try_build::<f64>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("group `g`: beta2"), "{err}");
}

#[test]
fn a_groups_momentum_replaces_the_optimizers_for_its_members() {
    // Momentum 0.9 for the default group, 0 for `plain`: with a constant
    // unit gradient and lr 1, step 2 moves `plain` by 1 and `heavy` by 1.9.
    let mut heavy = Param::new("heavy", Tensor::from_vec(vec![0.0f64], &[1]));
    let mut plain = Param::new("plain", Tensor::from_vec(vec![0.0f64], &[1]));
    let mut sgd = SgdConfig::new(1.0)
        .momentum(0.9)
        .group(ParamGroup::by_ids("plain", [plain.id()]).momentum(0.0))
        .build();
    for _ in 0..2 {
        let grads = grads_of(&[&heavy, &plain], 1.0);
        sgd.step(&mut [&mut heavy, &mut plain], &grads);
    }
    assert_eq!((heavy.value().item(), plain.value().item()), (-2.9, -2.0));
    assert!(sgd.state_of(plain.id()).unwrap().momentum_buffer.is_none());
    // Adam: a group's betas replace both.
    let mut a = Param::new("a", Tensor::from_vec(vec![0.0f64], &[1]));
    let mut b = Param::new("b", Tensor::from_vec(vec![0.0f64], &[1]));
    let mut adam = AdamConfig::new(0.1)
        .group(ParamGroup::by_ids("b", [b.id()]).betas(0.5, 0.9))
        .build();
    let mut grads = Grads::new();
    grads.insert(a.id(), Tensor::from_vec(vec![2.0], &[1]));
    grads.insert(b.id(), Tensor::from_vec(vec![2.0], &[1]));
    adam.step(&mut [&mut a, &mut b], &grads);
    let state = adam.state_of(b.id()).unwrap();
    assert_eq!(
        (state.exp_avg[0], state.exp_avg_sq[0]),
        (0.5 * 2.0, (1.0 - 0.9) * 4.0)
    );
    let state = adam.state_of(a.id()).unwrap();
    assert_eq!(state.exp_avg[0], (1.0 - 0.9) * 2.0);
}
