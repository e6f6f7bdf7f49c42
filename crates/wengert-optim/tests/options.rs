//! Property tests of the options that have a range or a rule: `maximize`
//! is minimizing with the gradient negated (bitwise, every optimizer,
//! weight decay included); momentum, RMSprop's alpha and dampening are
//! accepted on all of [0, 1] and refused above with an error that says
//! PyTorch differs and why; clipping by any p-norm returns that norm,
//! leaves at most `max_norm` and keeps the direction, and refuses what is
//! not a norm; ConstantLR and PolynomialLR over their ranges; cosine
//! annealing moves each group from its own base rate to `eta_min`. Bodies
//! are generic over the float type where it matters and run for f32 and
//! f64.

use proptest::prelude::*;
use wengert_optim::{
    clip_grad_norm_p, grad_norm_p, AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig,
    ConstantLr, CosineAnnealingLr, LrSchedule, Optimizer, ParamGroup, PolynomialLr, RmsPropConfig,
    SgdConfig, WeightDecay,
};
use wengert_tensor::testing::{tensor, tensor_with_shape};
use wengert_tensor::{Float, Grads, Param, ParamId, Tensor};

/// Every optimizer, with settings that exercise each update's cases and
/// coupled or decoupled decay, built to maximize or not.
fn optimizers<T: Float>(maximize: bool) -> Vec<(&'static str, Box<dyn Optimizer<T>>)> {
    let l2 = WeightDecay::L2(0.01);
    vec![
        (
            "sgd_nesterov_l2",
            Box::new(
                SgdConfig::new(0.05)
                    .momentum(0.9)
                    .nesterov(true)
                    .weight_decay(l2)
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "sgd_decoupled",
            Box::new(
                SgdConfig::new(0.05)
                    .weight_decay(WeightDecay::Decoupled(0.1))
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "adagrad_l2",
            Box::new(
                AdagradConfig::new(0.3)
                    .lr_decay(0.01)
                    .weight_decay(l2)
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "rmsprop_centered_momentum_l2",
            Box::new(
                RmsPropConfig::new(0.01)
                    .centered(true)
                    .momentum(0.5)
                    .weight_decay(l2)
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "adadelta_l2",
            Box::new(
                AdadeltaConfig::new()
                    .weight_decay(l2)
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "adam_amsgrad_l2",
            Box::new(
                AdamConfig::new(0.05)
                    .amsgrad(true)
                    .weight_decay(l2)
                    .maximize(maximize)
                    .build(),
            ),
        ),
        (
            "adamw",
            Box::new(
                AdamWConfig::new(0.05)
                    .weight_decay(0.1)
                    .maximize(maximize)
                    .build(),
            ),
        ),
    ]
}

/// Four steps of `opt` from `x0` with gradients `g(x) = k * x + grads[i]`
/// (different at each point, so state and decay matter); `negate` hands
/// the optimizer `-g`. Returns the bit patterns of the path.
fn path<T: Float>(
    opt: &mut dyn Optimizer<T>,
    x0: &Tensor<f64>,
    g: &[Tensor<f64>],
    negate: bool,
) -> Vec<u64> {
    let mut x = Param::new("x", x0.cast::<T>());
    let mut bits = Vec::new();
    for gi in g {
        let k = T::from_f64(0.7);
        let mut grad = x.value().mul_scalar(k).add(&gi.cast::<T>());
        if negate {
            grad = grad.mul_scalar(T::from_f64(-1.0));
        }
        let mut grads = Grads::new();
        grads.insert(x.id(), grad);
        opt.step(&mut [&mut x], &grads);
        bits.extend(
            x.value()
                .to_vec()
                .iter()
                .map(|&v| Float::to_f64(v).to_bits()),
        );
    }
    bits
}

fn maximize_is_minimize_with_negated_gradients<T: Float>(
    x0: &Tensor<f64>,
    g: &[Tensor<f64>],
) -> Result<(), TestCaseError> {
    for ((name, mut up), (_, mut down)) in optimizers::<T>(true)
        .into_iter()
        .zip(optimizers::<T>(false))
    {
        prop_assert_eq!(
            path(up.as_mut(), x0, g, false),
            path(down.as_mut(), x0, g, true),
            "{} ({})",
            name,
            T::DTYPE
        );
    }
    Ok(())
}

/// The p-norm of all elements, straight from its definition.
fn direct_p_norm(parts: &[Tensor<f64>], p: f64) -> f64 {
    let all = parts.iter().flat_map(|t| t.to_vec()).map(f64::abs);
    if p == f64::INFINITY {
        all.fold(0.0, f64::max)
    } else {
        all.map(|a| a.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

fn clip_by_p_norm<T: Float>(
    parts: &[Tensor<f64>],
    max_norm: f64,
    p: f64,
) -> Result<(), TestCaseError> {
    let mut grads = Grads::new();
    let ids: Vec<ParamId> = parts.iter().map(|_| ParamId::fresh()).collect();
    for (id, g) in ids.iter().zip(parts) {
        grads.insert(*id, g.cast::<T>());
    }
    let cast: Vec<Tensor<f64>> = parts.iter().map(|t| t.cast::<T>().cast::<f64>()).collect();
    let eps = if T::DTYPE == "f32" { 1e-6 } else { 1e-12 };
    let want = direct_p_norm(&cast, p);
    let original = grads.clone();
    let total = clip_grad_norm_p(&mut grads, max_norm, p).unwrap();
    prop_assert!(
        (total - want).abs() <= 1e-12 * want.max(1e-300),
        "p {}: returned {} but the p-norm is {}",
        p,
        total,
        want
    );
    let after = grad_norm_p(&grads, p).unwrap();
    prop_assert!(
        after <= max_norm * (1.0 + eps),
        "p {p}: norm {after} > {max_norm}"
    );
    let factor = (max_norm / (total + 1e-6)).min(1.0);
    for id in &ids {
        let before = original.by_id(*id).unwrap().to_vec();
        let clipped = grads.by_id(*id).unwrap().to_vec();
        for (a, b) in before.iter().zip(&clipped) {
            let (a, b) = (Float::to_f64(*a), Float::to_f64(*b));
            prop_assert!(
                (b - factor * a).abs() <= eps * a.abs().max(1e-30),
                "p {}: {} -> {}, factor {}",
                p,
                a,
                b,
                factor
            );
        }
    }
    Ok(())
}

fn norm_type() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), Just(2.0), Just(f64::INFINITY), 0.5..6.0f64]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn maximize_steps_as_minimizing_the_negated_gradient_bitwise(
        (x0, g) in wengert_tensor::testing::shape(2, 4).prop_flat_map(|s| (
            tensor_with_shape(s.clone(), -3.0..3.0),
            prop::collection::vec(tensor_with_shape(s, -3.0..3.0), 4),
        ))
    ) {
        maximize_is_minimize_with_negated_gradients::<f64>(&x0, &g)?;
        maximize_is_minimize_with_negated_gradients::<f32>(&x0, &g)?;
    }

    #[test]
    fn momentum_alpha_and_dampening_take_all_of_zero_to_one(v in 0.0..=1.0f64) {
        prop_assert!(SgdConfig::new(0.1).momentum(v).try_build::<f64>().is_ok());
        prop_assert!(
            SgdConfig::new(0.1).momentum(0.9).dampening(v).try_build::<f64>().is_ok()
        );
        prop_assert!(RmsPropConfig::new(0.1).alpha(v).try_build::<f64>().is_ok());
        prop_assert!(RmsPropConfig::new(0.1).momentum(v).try_build::<f64>().is_ok());
        let group = ParamGroup::by_name("g", |_| true).momentum(v);
        prop_assert!(SgdConfig::new(0.1).group(group).try_build::<f64>().is_ok());
    }

    #[test]
    fn momentum_alpha_and_dampening_above_one_are_refused_saying_pytorch_differs(
        v in 1.000001..100.0f64
    ) {
        let why = |e: wengert_optim::OptimError| e.to_string();
        let err = why(SgdConfig::new(0.1).momentum(v).try_build::<f64>().unwrap_err());
        prop_assert!(err.contains("momentum must be in [0, 1]") && err.contains("PyTorch accepts any momentum >= 0"), "{}", err);
        let err = why(RmsPropConfig::new(0.1).alpha(v).try_build::<f64>().unwrap_err());
        prop_assert!(err.contains("alpha must be in [0, 1]") && err.contains("PyTorch accepts any alpha >= 0"), "{}", err);
        let err = why(RmsPropConfig::new(0.1).momentum(v).try_build::<f64>().unwrap_err());
        prop_assert!(err.contains("RMSprop") && err.contains("momentum"), "{}", err);
        let err = why(SgdConfig::new(0.1).momentum(0.5).dampening(v).try_build::<f64>().unwrap_err());
        prop_assert!(err.contains("dampening") && err.contains("PyTorch does not check dampening"), "{}", err);
        // Below 0, PyTorch refuses too.
        prop_assert!(SgdConfig::new(0.1).momentum(-v).try_build::<f64>().is_err());
        prop_assert!(RmsPropConfig::new(0.1).alpha(-v).try_build::<f64>().is_err());
    }

    #[test]
    fn clipping_by_a_p_norm_returns_it_caps_it_and_keeps_the_direction(
        parts in prop::collection::vec(tensor(2, 4, -10.0..10.0), 1..4),
        max_norm in 0.01..20.0f64,
        p in norm_type(),
    ) {
        clip_by_p_norm::<f64>(&parts, max_norm, p)?;
        clip_by_p_norm::<f32>(&parts, max_norm, p)?;
    }

    #[test]
    fn a_norm_type_that_is_not_a_norm_is_refused_and_changes_nothing(
        g in tensor(1, 4, -5.0..5.0),
        p in prop_oneof![Just(0.0), Just(f64::NEG_INFINITY), Just(f64::NAN), -10.0..0.0f64],
    ) {
        let mut grads = Grads::new();
        let id = ParamId::fresh();
        grads.insert(id, g.clone());
        let err = clip_grad_norm_p(&mut grads, 1.0, p).unwrap_err().to_string();
        prop_assert!(err.contains("norm_type must be > 0"), "{}", err);
        prop_assert_eq!(grads.by_id(id).unwrap(), &g);
        prop_assert!(grad_norm_p(&grads, p).is_err());
    }

    #[test]
    fn constant_lr_scales_by_its_factor_until_total_iters(
        factor in 0.0..=1.0f64,
        total in 1usize..20,
        base in 0.0..1.0f64,
    ) {
        let s = ConstantLr::new(factor, total);
        for t in 0..total {
            prop_assert_eq!(s.lr(base, t), base * factor);
        }
        prop_assert_eq!(s.lr(base, total), base);
        prop_assert_eq!(s.lr(base, total + 7), base);
    }

    #[test]
    fn polynomial_lr_falls_from_the_base_rate_to_zero_at_total_iters(
        power in 0.0..5.0f64,
        total in 1usize..50,
        base in 0.0..1.0f64,
    ) {
        let s = PolynomialLr::new(total, power);
        prop_assert_eq!(s.lr(base, 0), base);
        for t in 1..=total + 3 {
            prop_assert!(s.lr(base, t) <= s.lr(base, t - 1), "power {}, step {}", power, t);
        }
        let end = if power == 0.0 { base } else { 0.0 };
        prop_assert_eq!(s.lr(base, total), end);
        prop_assert_eq!(s.lr(base, total + 3), end);
    }

    #[test]
    fn cosine_annealing_moves_each_group_from_its_own_base_rate_to_eta_min(
        base in 0.0..0.5f64,
        head in 0.0..0.5f64,
        eta_min in 0.0..0.5f64,
        t_max in 1usize..30,
    ) {
        let mut x = Param::new("x", Tensor::from_vec(vec![0.0f64], &[1]));
        let mut opt = SgdConfig::new(base)
            .group(ParamGroup::by_name("head", |n| n == "head").lr(head))
            .build::<f64>();
        let schedule = CosineAnnealingLr::new(t_max, eta_min);
        let mut driver = schedule.clone().start(&mut opt);
        let mut grads = Grads::new();
        grads.insert(x.id(), Tensor::ones(&[1]));
        for t in 0..=t_max {
            prop_assert_eq!(opt.group_lr(0), schedule.lr(base, t));
            prop_assert_eq!(opt.group_lr(1), schedule.lr(head, t));
            opt.step(&mut [&mut x], &grads);
            driver.step(&mut opt);
        }
        // Both reached eta_min at T_max, whichever side they started on.
        let end = schedule.lr(head, t_max);
        prop_assert!((end - eta_min).abs() <= 1e-15, "{} vs {}", end, eta_min);
    }
}
