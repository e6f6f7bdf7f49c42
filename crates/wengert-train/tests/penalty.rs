//! Weight penalties through the trainer: the L2 penalty's step is coupled
//! weight decay's step, the recorded training loss is the data loss alone,
//! L1 zeroes the weights of inputs that do not matter, and the filters pick
//! the parameters they say.

use wengert_data::{DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::{Linear, Module, Sequential};
use wengert_optim::{ParamGroup, SgdConfig, WeightDecay};
use wengert_tensor::{seeded_rng, Tape, Tensor};
use wengert_train::{MseLoss, Penalty, Trainer};

/// `y = 2 x_0 - 3 x_1 + x_2 + 0.5` plus noise of standard deviation
/// `noise_std`, from `inputs` features of which only the first three matter.
fn sparse_regression(n: usize, inputs: usize, noise_std: f64) -> InMemoryDataset<f64> {
    let mut rng = seeded_rng(3);
    let x = Tensor::<f64>::randn(&[n, inputs], &mut rng);
    let noise = Tensor::<f64>::randn(&[n], &mut rng).to_vec();
    let xs = x.to_vec();
    let y = (0..n)
        .map(|i| {
            let r = &xs[i * inputs..];
            2.0 * r[0] - 3.0 * r[1] + r[2] + 0.5 + noise_std * noise[i]
        })
        .collect();
    InMemoryDataset::regression(x, Tensor::from_vec(y, &[n, 1]))
}

fn linear(inputs: usize) -> Sequential<f64> {
    Sequential::new().with(Linear::new(inputs, 1, &mut seeded_rng(0)))
}

fn weights(model: &Sequential<f64>) -> Vec<f64> {
    let params = model.params();
    params
        .iter()
        .find(|(n, _)| n == "0.weight")
        .unwrap()
        .1
        .value()
        .to_vec()
}

#[test]
fn an_l2_penalty_on_the_weights_steps_as_coupled_weight_decay_on_the_weights() {
    let data = sparse_regression(64, 8, 0.01);
    let loader = DataLoader::new(data, LoaderConfig::new(16).seed(1));
    let lambda = 0.3;
    let mut penalized = Trainer::new(linear(8), SgdConfig::new(0.05).build(), MseLoss)
        .penalty(Penalty::l2(lambda).weights_only())
        .epochs(3)
        .quiet();
    let decayed_opt = SgdConfig::new(0.05)
        .weight_decay(WeightDecay::L2(lambda))
        .group(ParamGroup::by_name("bias", |n: &str| n.ends_with("bias")).weight_decay(0.0))
        .build();
    let mut decayed = Trainer::new(linear(8), decayed_opt, MseLoss)
        .epochs(3)
        .quiet();
    penalized.fit_without_validation(&loader).unwrap();
    decayed.fit_without_validation(&loader).unwrap();
    let (a, b) = (penalized.model().params(), decayed.model().params());
    for ((name, p), (_, q)) in a.iter().zip(&b) {
        for (x, y) in p.value().to_vec().iter().zip(q.value().to_vec()) {
            // The same update, `w - lr (g + lambda w)`, summed in another
            // order: equal to rounding.
            assert!(
                (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                "{name}: {x} vs {y}"
            );
        }
    }
    // And the penalty did something: without it the weights differ.
    let mut plain = Trainer::new(linear(8), SgdConfig::new(0.05).build(), MseLoss)
        .epochs(3)
        .quiet();
    plain.fit_without_validation(&loader).unwrap();
    let (w, w0) = (weights(penalized.model()), weights(plain.model()));
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(norm(&w) < norm(&w0), "{w:?} vs {w0:?}");
}

#[test]
fn the_recorded_training_loss_is_the_data_loss_without_the_penalty() {
    let data = sparse_regression(32, 4, 0.01);
    // One batch of everything, so the epoch's loss is the initial model's.
    let loader = DataLoader::new(data.clone(), LoaderConfig::new(32).shuffle(false));
    let before = Trainer::new(linear(4), SgdConfig::new(0.01).build(), MseLoss)
        .quiet()
        .evaluate(&loader)
        .unwrap()
        .loss;
    let mut trainer = Trainer::new(linear(4), SgdConfig::new(0.01).build(), MseLoss)
        .penalty(Penalty::l2(100.0))
        .penalty(Penalty::l1(100.0))
        .quiet();
    let history = trainer.fit_without_validation(&loader).unwrap();
    let recorded = history.epochs[0].train_loss;
    assert!(
        (recorded - before).abs() <= 1e-12 * before,
        "{recorded} vs {before}"
    );
}

#[test]
fn l1_leaves_the_inputs_that_do_not_matter_near_zero_and_keeps_those_that_do() {
    let data = sparse_regression(40, 20, 0.5);
    let loader = DataLoader::new(data, LoaderConfig::new(10).seed(2));
    let fit = |penalty: Option<Penalty>| {
        let mut trainer = Trainer::new(linear(20), SgdConfig::new(0.02).build(), MseLoss)
            .epochs(60)
            .quiet();
        if let Some(p) = penalty {
            trainer = trainer.penalty(p);
        }
        trainer.fit_without_validation(&loader).unwrap();
        weights(trainer.model())
    };
    let sparse = fit(Some(Penalty::l1(0.3).weights_only()));
    let dense = fit(None);
    // The three inputs that matter survive, shrunk toward zero by the pull
    // (by at most about lambda / var(x) = 0.3 each).
    for (i, want) in [2.0, -3.0, 1.0].into_iter().enumerate() {
        assert!(
            (sparse[i] - want).abs() < 0.4,
            "w[{i}] = {} vs {want}",
            sparse[i]
        );
    }
    // Forty noisy examples for twenty inputs: without a penalty the other
    // seventeen weights fit the noise (tenths); L1 pins them within a few
    // steps' jitter of zero (lr * lambda = 0.006 a step).
    let biggest = |w: &[f64]| w[3..].iter().fold(0f64, |m, x| m.max(x.abs()));
    assert!(biggest(&sparse) < 0.02, "{sparse:?}");
    assert!(
        biggest(&sparse) * 10.0 < biggest(&dense),
        "{sparse:?} vs {dense:?}"
    );
}

#[test]
fn the_term_covers_exactly_the_parameters_the_filter_picks() {
    let mut rng = seeded_rng(5);
    let model = Sequential::<f64>::new()
        .with(Linear::new(3, 4, &mut rng))
        .with(Linear::new(4, 2, &mut rng));
    let params = model.params();
    let sum_sq = |pick: &dyn Fn(&str) -> bool| -> f64 {
        params
            .iter()
            .filter(|(n, _)| pick(n))
            .flat_map(|(_, p)| p.value().to_vec())
            .map(|v| v * v)
            .sum()
    };
    let sum_abs: f64 = params
        .iter()
        .filter(|(n, _)| n == "1.weight")
        .flat_map(|(_, p)| p.value().to_vec())
        .map(f64::abs)
        .sum();
    let tape = Tape::new();
    let all = Penalty::l2(2.0).term(&tape, &model).item();
    let weights = Penalty::l2(2.0).weights_only().term(&tape, &model).item();
    let one = Penalty::l1(0.5)
        .only(|n| n == "1.weight")
        .term(&tape, &model)
        .item();
    assert!((all - sum_sq(&|_| true)).abs() < 1e-12); // 2/2 * sum w^2
    assert!((weights - sum_sq(&|n| n.ends_with("weight"))).abs() < 1e-12);
    assert!(weights < all, "biases are left out");
    assert!((one - 0.5 * sum_abs).abs() < 1e-12);
}
