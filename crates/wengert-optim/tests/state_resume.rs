//! Saving optimizer state after k steps, restoring it into a new optimizer
//! and continuing gives bitwise the same parameters as an uninterrupted
//! run, for every optimizer, in f32 and f64; both in the same process (ids
//! match) and with the model rebuilt (new ids, matched by name).

mod common;
#[path = "common/configs.rs"]
mod configs;

use common::{quadratic_grads, quadratic_model};
use configs::all_optimizers;
use wengert_optim::{AdamConfig, OptimError, Optimizer, OptimizerState, SgdConfig};
use wengert_tensor::{Float, Grads, Param, Tensor};

/// Gradient of f = sum(a * x^2 + 0.1 * x) over a few parameters.
fn grads_at<T: Float>(params: &[Param<T>], scales: &[Tensor<T>]) -> Grads<T> {
    quadratic_grads(params, scales, 0.1)
}

fn fresh_model<T: Float>() -> (Vec<Param<T>>, Vec<Tensor<T>>) {
    quadratic_model(11, &[&[3, 4], &[4], &[2]])
}

fn run<T: Float>(
    opt: &mut dyn Optimizer<T>,
    params: &mut [Param<T>],
    scales: &[Tensor<T>],
    steps: usize,
) {
    for _ in 0..steps {
        let grads = grads_at(params, scales);
        let mut refs: Vec<&mut Param<T>> = params.iter_mut().collect();
        opt.step(&mut refs, &grads);
    }
}

fn bits<T: Float>(params: &[Param<T>]) -> Vec<u64> {
    params
        .iter()
        .flat_map(|p| common::bits(p.value()))
        .collect()
}

/// `k` steps of a fresh optimizer on a fresh model: the parameters and the
/// optimizer's saved state.
fn first_part<T: Float>(
    make: fn() -> Box<dyn Optimizer<T>>,
    scales: &[Tensor<T>],
    k: usize,
) -> (Vec<Param<T>>, OptimizerState<T>) {
    let (mut params, _) = fresh_model::<T>();
    let mut first = make();
    run(first.as_mut(), &mut params, scales, k);
    (params, first.state())
}

/// A new optimizer, restored from `saved`, takes `steps` more steps.
fn second_part<T: Float>(
    make: fn() -> Box<dyn Optimizer<T>>,
    saved: &OptimizerState<T>,
    params: &mut [Param<T>],
    scales: &[Tensor<T>],
    steps: usize,
) -> Box<dyn Optimizer<T>> {
    let mut second = make();
    second.load_state(saved).unwrap();
    run(second.as_mut(), params, scales, steps);
    second
}

fn resume_is_bitwise<T: Float>() {
    let (total, k) = (25, 9);
    for (name, make) in all_optimizers::<T>() {
        let (mut straight, scales) = fresh_model::<T>();
        run(make().as_mut(), &mut straight, &scales, total);

        // Same process: the same parameters continue with a new optimizer.
        let (mut params, saved) = first_part(make, &scales, k);
        assert_eq!(saved.steps, k as u64, "{name}: saved step count");
        let second = second_part(make, &saved, &mut params, &scales, total - k);
        assert_eq!(
            bits(&params),
            bits(&straight),
            "{name} ({}): resumed run (same ids) differs",
            T::DTYPE
        );
        assert_eq!(second.step_count(), total as u64, "{name}: step count");

        // A new process: the state went through a file (as named tensors and
        // metadata) and the model is rebuilt (new ids) with the saved values.
        let (params, saved) = first_part(make, &scales, k);
        let (tensors, metadata) = saved.to_named_tensors();
        let saved = OptimizerState::from_named_tensors(tensors, &metadata).unwrap();
        let (mut rebuilt, _) = fresh_model::<T>();
        for (new, old) in rebuilt.iter_mut().zip(&params) {
            assert_ne!(new.id(), old.id());
            new.set_value(old.value().clone()).unwrap();
        }
        let second = second_part(make, &saved, &mut rebuilt, &scales, total - k);
        assert_eq!(
            bits(&rebuilt),
            bits(&straight),
            "{name} ({}): resumed run (matched by name) differs",
            T::DTYPE
        );
        assert_eq!(
            (second.step_count(), second.base_lr()),
            (total as u64, make().base_lr()),
            "{name}: step count and base rate after the file"
        );
        assert_eq!(
            second.param_step(rebuilt[0].id()),
            total as u64,
            "{name}: step count"
        );
    }
}

#[test]
fn resumed_run_is_bitwise_identical_f64() {
    resume_is_bitwise::<f64>();
}

#[test]
fn resumed_run_is_bitwise_identical_f32() {
    resume_is_bitwise::<f32>();
}

#[test]
fn zero_state_restarts_as_a_fresh_optimizer() {
    for (name, make) in all_optimizers::<f64>() {
        let (mut a, scales) = fresh_model::<f64>();
        let (mut b, _) = fresh_model::<f64>();
        let mut used = make();
        run(used.as_mut(), &mut a, &scales, 5);
        used.zero_state();
        for (pa, pb) in a.iter().zip(b.iter_mut()) {
            pb.set_value(pa.value().clone()).unwrap();
        }
        run(used.as_mut(), &mut a, &scales, 5);
        run(make().as_mut(), &mut b, &scales, 5);
        assert_eq!(
            bits(&a),
            bits(&b),
            "{name}: zero_state did not forget the state"
        );
    }
}

#[test]
fn state_of_another_optimizer_is_refused_by_name() {
    let (mut params, scales) = fresh_model::<f64>();
    let mut adam = AdamConfig::new(0.1).build();
    run(&mut adam, &mut params, &scales, 2);
    let mut sgd = SgdConfig::new(0.1).momentum(0.9).build::<f64>();
    let err = sgd.load_state(&adam.state()).unwrap_err().to_string();
    assert!(err.contains("SGD") && err.contains("Adam"), "{err}");
}

#[test]
fn saved_buffer_of_wrong_shape_is_refused_naming_the_parameter() {
    let (mut params, scales) = fresh_model::<f64>();
    let mut sgd = SgdConfig::new(0.1).momentum(0.9).build::<f64>();
    run(&mut sgd, &mut params, &scales, 1);
    let mut saved = sgd.state();
    saved.params[0]
        .buffers
        .insert("momentum_buffer".into(), Tensor::zeros(&[5]));
    let before: Vec<_> = params.iter().map(|p| p.value().to_vec()).collect();
    let mut fresh = SgdConfig::new(0.1).momentum(0.9).build::<f64>();
    fresh.load_state(&saved).unwrap();
    let grads = grads_at(&params, &scales);
    let mut refs: Vec<&mut Param<f64>> = params.iter_mut().collect();
    let err = fresh.try_step(&mut refs, &grads).unwrap_err();
    assert!(matches!(err, OptimError::StateMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("layer0") && msg.contains("[5]") && msg.contains("[3, 4]"),
        "{msg}"
    );
    // A failed step changes no parameter.
    let after: Vec<_> = params.iter().map(|p| p.value().to_vec()).collect();
    assert_eq!(before, after);
}

/// SGD with a scaled group and a group with its own rate, its rates moved
/// as a schedule would.
fn sgd_with_groups() -> wengert_optim::Sgd<f64> {
    use wengert_optim::ParamGroup;
    let mut sgd = SgdConfig::new(0.1)
        .momentum(0.9)
        .group(ParamGroup::by_name("scaled", |n| n == "layer0").lr_scale(0.5))
        .group(ParamGroup::by_name("own", |n| n == "layer1").lr(0.03))
        .build::<f64>();
    sgd.set_group_lr(0, 0.07);
    sgd.set_group_lr(1, 0.011);
    sgd.set_group_lr(2, 0.029);
    sgd
}

#[test]
fn every_groups_rates_survive_the_checkpoint_form() {
    let (mut params, scales) = fresh_model::<f64>();
    let mut sgd = sgd_with_groups();
    run(&mut sgd, &mut params, &scales, 2);
    let (tensors, metadata) = sgd.state().to_named_tensors();
    assert_eq!(metadata["groups"], "2");
    assert_eq!(metadata["group.1.name"], "own");
    let saved = OptimizerState::from_named_tensors(tensors, &metadata).unwrap();
    assert_eq!(saved, sgd.state());
    let mut fresh = SgdConfig::new(0.1)
        .momentum(0.9)
        .group(wengert_optim::ParamGroup::by_name("scaled", |n| n == "layer0").lr_scale(0.5))
        .group(wengert_optim::ParamGroup::by_name("own", |n| n == "layer1").lr(0.03))
        .build::<f64>();
    fresh.load_state(&saved).unwrap();
    for g in 0..3 {
        assert_eq!(fresh.group_lr(g), sgd.group_lr(g), "group {g}");
        assert_eq!(fresh.group_base_lr(g), sgd.group_base_lr(g), "group {g}");
    }
}

#[test]
fn state_of_other_groups_is_refused_naming_both_lists() {
    let sgd = sgd_with_groups();
    let mut other = SgdConfig::new(0.1)
        .momentum(0.9)
        .group(wengert_optim::ParamGroup::by_name("renamed", |_| false))
        .build::<f64>();
    let err = other.load_state(&sgd.state()).unwrap_err().to_string();
    assert!(
        err.contains(r#"["scaled", "own"]"#) && err.contains(r#"["renamed"]"#),
        "{err}"
    );
}

#[test]
fn state_saved_before_groups_had_rates_gives_each_the_old_ratio() {
    // Metadata without `groups` (written before groups kept rates of their
    // own): the scaled group follows the default rate by its scale, the
    // group with its own rate by the ratio of base rates.
    let sgd = sgd_with_groups();
    let (tensors, mut metadata) = sgd.state().to_named_tensors();
    metadata.retain(|key, _| !key.starts_with("group"));
    let saved = OptimizerState::from_named_tensors(tensors, &metadata).unwrap();
    assert!(saved.groups.is_empty());
    let mut fresh = sgd_with_groups();
    fresh.load_state(&saved).unwrap();
    assert_eq!(fresh.lr(), 0.07);
    assert_eq!(fresh.group_lr(1), 0.07 * 0.5);
    assert_eq!(fresh.group_lr(2), 0.07 * (0.03 / 0.1));
}
