//! The gradient the trainer applies is exactly the one a hand-written loop
//! would apply. Property tests over random small models (no batch
//! statistics) and random batch splits, observed through plain SGD with
//! learning rate 1, whose step is `w <- w - g`:
//!
//! - accumulated micro-batch gradients equal the full-batch gradient;
//! - the recorded gradient norm equals the norm computed by hand;
//! - clipping inside the trainer equals `clip_grad_norm` applied by hand.

use proptest::prelude::*;
use wengert_data::{DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::{state_dict, Linear, Module, Sequential, StateValue, Tanh};
use wengert_optim::{clip_grad_norm, grad_norm, SgdConfig};
use wengert_tensor::{seeded_rng, Grads, Parameters, Tape, Tensor};
use wengert_train::{Loss, MseLoss, Trainer};

fn model(widths: &[usize], seed: u64) -> Sequential<f64> {
    let mut rng = seeded_rng(seed);
    let mut m = Sequential::new();
    for (i, w) in widths.windows(2).enumerate() {
        m = m.with(Linear::new(w[0], w[1], &mut rng));
        if i + 2 < widths.len() {
            m = m.with(Tanh);
        }
    }
    m
}

fn data(n: usize, inputs: usize, outputs: usize, seed: u64) -> InMemoryDataset<f64> {
    let mut rng = seeded_rng(seed);
    InMemoryDataset::regression(
        Tensor::randn(&[n, inputs], &mut rng),
        Tensor::randn(&[n, outputs], &mut rng),
    )
}

/// The full-batch gradient of the mean loss, by hand.
fn full_batch_grads(model: &Sequential<f64>, data: &InMemoryDataset<f64>) -> Grads<f64> {
    let tape = Tape::new();
    let y = model
        .forward(&tape, tape.constant(data.features().clone()))
        .unwrap();
    let targets = wengert_data::Targets::Values(data.target_values().unwrap().clone());
    MseLoss.loss(y, &targets).unwrap().backward()
}

fn params_of(model: &Sequential<f64>) -> Vec<(String, Vec<f64>)> {
    state_dict(model)
        .into_iter()
        .map(|(name, v)| match v {
            StateValue::Float(t) => (name, t.to_vec()),
            StateValue::Int(_) => unreachable!("no buffers in these models"),
        })
        .collect()
}

/// The gradient a one-step, lr-1 SGD run applied: `w_before - w_after`.
fn applied(before: &Sequential<f64>, after: &Sequential<f64>) -> Vec<(String, Vec<f64>)> {
    params_of(before)
        .into_iter()
        .zip(params_of(after))
        .map(|((name, a), (_, b))| (name, a.iter().zip(&b).map(|(x, y)| x - y).collect()))
        .collect()
}

fn by_hand(model: &Sequential<f64>, grads: &Grads<f64>) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    model.visit_params(&mut |name, p| out.push((name.to_string(), grads.get(p).unwrap().to_vec())));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn assert_close(a: &[(String, Vec<f64>)], b: &[(String, Vec<f64>)], tol: f64) {
    assert_eq!(a.len(), b.len());
    for ((na, va), (nb, vb)) in a.iter().zip(b) {
        assert_eq!(na, nb);
        for (k, (x, y)) in va.iter().zip(vb).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "{na}[{k}]: {x} vs {y}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn accumulated_micro_batches_apply_the_full_batch_gradient(
        hidden in 1usize..6,
        n in 2usize..24,
        batch in 1usize..8,
        seed in 0u64..1000,
    ) {
        let data = data(n, 3, 2, seed);
        let batches = n.div_ceil(batch);
        let start = model(&[3, hidden, 2], seed + 1);
        let want = by_hand(&start, &full_batch_grads(&start, &data));
        let loader = DataLoader::new(data, LoaderConfig::new(batch).shuffle(false));
        let mut trainer = Trainer::new(model(&[3, hidden, 2], seed + 1), SgdConfig::new(1.0).build(), MseLoss)
            .accumulate(batches)
            .quiet();
        trainer.fit_without_validation(&loader).unwrap();
        prop_assert_eq!(trainer.position().step, 1, "one step for the whole epoch");
        assert_close(&applied(&start, trainer.model()), &want, 1e-12);
    }

    #[test]
    fn the_recorded_gradient_norm_is_the_norm_by_hand(
        hidden in 1usize..6,
        n in 1usize..16,
        seed in 0u64..1000,
    ) {
        let data = data(n, 2, 1, seed);
        let start = model(&[2, hidden, 1], seed);
        let want = grad_norm(&full_batch_grads(&start, &data));
        let loader = DataLoader::new(data, LoaderConfig::new(n).shuffle(false));
        let mut trainer = Trainer::new(model(&[2, hidden, 1], seed), SgdConfig::new(0.1).build(), MseLoss).quiet();
        let history = trainer.fit_without_validation(&loader).unwrap();
        prop_assert_eq!(history.steps[0].grad_norm, want);
        prop_assert_eq!(history.epochs[0].grad_norm, want);
    }

    #[test]
    fn clipping_in_the_trainer_equals_clip_grad_norm_by_hand(
        hidden in 1usize..6,
        n in 1usize..16,
        max_norm in 0.01f64..2.0,
        seed in 0u64..1000,
    ) {
        let data = data(n, 2, 2, seed);
        let start = model(&[2, hidden, 2], seed);
        let mut grads = full_batch_grads(&start, &data);
        clip_grad_norm(&mut grads, max_norm).unwrap();
        let want = by_hand(&start, &grads);
        let loader = DataLoader::new(data, LoaderConfig::new(n).shuffle(false));
        let mut trainer = Trainer::new(model(&[2, hidden, 2], seed), SgdConfig::new(1.0).build(), MseLoss)
            .clip_grad_norm(max_norm)
            .quiet();
        trainer.fit_without_validation(&loader).unwrap();
        assert_close(&applied(&start, trainer.model()), &want, 1e-13);
    }
}
