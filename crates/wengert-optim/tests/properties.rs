//! Property tests over random problems: SGD with lr 0 changes nothing;
//! every optimizer decreases a random convex quadratic from a random start;
//! clipping by norm yields a norm <= max_norm and keeps the direction.
//! Bodies are generic over the float type and run for f32 and f64.

mod common;
#[path = "common/configs.rs"]
mod configs;

use configs::all_optimizers;
use proptest::prelude::*;
use wengert_optim::{
    clip_grad_norm, clip_grad_value, grad_norm, Optimizer, SgdConfig, WeightDecay,
};
use wengert_tensor::testing::{shape, tensor};
use wengert_tensor::{Float, Grads, Param, ParamId, Tensor};

/// f(x) = sum a_i (x_i - c_i)^2 with a_i in [0.1, 2]: convex, curvature <= 4.
#[derive(Clone, Debug)]
struct Quadratic {
    a: Tensor<f64>,
    c: Tensor<f64>,
    x0: Tensor<f64>,
}

fn quadratic() -> impl Strategy<Value = Quadratic> {
    shape(2, 5).prop_flat_map(|s| {
        let n: usize = s.iter().product();
        (
            prop::collection::vec(0.1..2.0f64, n),
            prop::collection::vec(-2.0..2.0f64, n),
            prop::collection::vec(-3.0..3.0f64, n),
        )
            .prop_map(move |(a, c, x0)| Quadratic {
                a: Tensor::from_vec(a, &s),
                c: Tensor::from_vec(c, &s),
                x0: Tensor::from_vec(x0, &s),
            })
    })
}

impl Quadratic {
    fn value<T: Float>(&self, x: &Tensor<T>) -> f64 {
        let x = x.cast::<f64>();
        let d = x.sub(&self.c);
        d.mul(&d).mul(&self.a).sum().item()
    }

    fn grad<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let x = x.cast::<f64>();
        x.sub(&self.c).mul(&self.a).mul_scalar(2.0).cast::<T>()
    }
}

fn decreases_quadratic<T: Float>(q: &Quadratic) -> Result<(), TestCaseError> {
    for (name, make) in all_optimizers::<T>() {
        let mut opt = make();
        let mut x = Param::new("x", q.x0.cast::<T>());
        let start = q.value(x.value());
        for _ in 0..300 {
            let mut grads = Grads::new();
            grads.insert(x.id(), q.grad(x.value()));
            opt.step(&mut [&mut x], &grads);
        }
        let end = q.value(x.value());
        // Weight decay moves the minimum toward 0; it still lies below the
        // start unless the start is already (almost) optimal.
        prop_assume!(start > 1e-3);
        prop_assert!(
            end < start,
            "{name} ({}): f went from {start} to {end}",
            T::DTYPE
        );
    }
    Ok(())
}

fn sgd_lr_zero_changes_nothing<T: Float>(
    x0: &Tensor<f64>,
    g: &Tensor<f64>,
) -> Result<(), TestCaseError> {
    let configs = [
        SgdConfig::new(0.0),
        SgdConfig::new(0.0).momentum(0.9).dampening(0.2),
        SgdConfig::new(0.0)
            .momentum(0.9)
            .nesterov(true)
            .weight_decay(WeightDecay::L2(0.1)),
        SgdConfig::new(0.0).weight_decay(WeightDecay::Decoupled(0.1)),
    ];
    for config in configs {
        let mut opt = config.clone().build::<T>();
        let mut x = Param::new("x", x0.cast::<T>());
        let before = x.value().clone();
        for _ in 0..3 {
            let mut grads = Grads::new();
            grads.insert(x.id(), g.cast::<T>());
            opt.step(&mut [&mut x], &grads);
        }
        prop_assert_eq!(x.value(), &before, "{:?} ({})", config, T::DTYPE);
    }
    Ok(())
}

fn clipping_caps_norm_and_keeps_direction<T: Float>(
    parts: &[Tensor<f64>],
    max_norm: f64,
) -> Result<(), TestCaseError> {
    let mut grads = Grads::new();
    let ids: Vec<ParamId> = parts.iter().map(|_| ParamId::fresh()).collect();
    for (id, g) in ids.iter().zip(parts) {
        grads.insert(*id, g.cast::<T>());
    }
    let original = grads.clone();
    let before = grad_norm(&original);
    let returned = clip_grad_norm(&mut grads, max_norm).unwrap();
    prop_assert_eq!(returned, before);
    let after = grad_norm(&grads);
    let eps = if T::DTYPE == "f32" { 1e-6 } else { 1e-12 };
    prop_assert!(
        after <= max_norm * (1.0 + eps),
        "norm {after} > max_norm {max_norm}"
    );
    // Same direction: every element scaled by one factor in (0, 1].
    let factor = (max_norm / (before + 1e-6)).min(1.0);
    for id in &ids {
        let g0 = original.by_id(*id).unwrap().to_vec();
        let g1 = grads.by_id(*id).unwrap().to_vec();
        for (a, b) in g0.iter().zip(&g1) {
            let (a, b) = (Float::to_f64(*a), Float::to_f64(*b));
            prop_assert!(
                (b - factor * a).abs() <= eps * a.abs().max(1e-30),
                "{a} -> {b}, factor {factor}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_optimizer_decreases_a_random_convex_quadratic(q in quadratic()) {
        decreases_quadratic::<f64>(&q)?;
        decreases_quadratic::<f32>(&q)?;
    }

    #[test]
    fn sgd_with_lr_zero_changes_nothing(
        (x0, g) in shape(3, 4).prop_flat_map(|s| (
            wengert_tensor::testing::tensor_with_shape(s.clone(), -5.0..5.0),
            wengert_tensor::testing::tensor_with_shape(s, -5.0..5.0),
        ))
    ) {
        sgd_lr_zero_changes_nothing::<f64>(&x0, &g)?;
        sgd_lr_zero_changes_nothing::<f32>(&x0, &g)?;
    }

    #[test]
    fn clip_by_norm_caps_the_norm_and_keeps_the_direction(
        parts in prop::collection::vec(tensor(2, 4, -10.0..10.0), 1..4),
        max_norm in 0.01..20.0f64,
    ) {
        clipping_caps_norm_and_keeps_direction::<f64>(&parts, max_norm)?;
        clipping_caps_norm_and_keeps_direction::<f32>(&parts, max_norm)?;
    }

    #[test]
    fn clip_by_value_bounds_every_element(
        parts in prop::collection::vec(tensor(2, 4, -10.0..10.0), 1..4),
        clip in 0.0..5.0f64,
    ) {
        let mut grads = Grads::new();
        for g in &parts {
            grads.insert(ParamId::fresh(), g.clone());
        }
        let original = grads.clone();
        clip_grad_value(&mut grads, clip).unwrap();
        for ((_, g0), (_, g1)) in original.iter().zip(grads.iter()) {
            for (a, b) in g0.to_vec().iter().zip(g1.to_vec()) {
                prop_assert_eq!(b, a.clamp(-clip, clip));
            }
        }
    }
}
