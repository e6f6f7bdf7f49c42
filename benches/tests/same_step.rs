//! The two sides of every bench compute the same training step: one step
//! of the trainer and one step by hand, from the same model on the same
//! batch, leave the same weights and running statistics, bitwise, and
//! report the same loss. So the ratio of their times prices the trainer's
//! bookkeeping, not a different computation.

use std::collections::BTreeMap;

use wengert_benches::{cnn, lstm, mlp, HandLoop, TrainerRun, Workload};
use wengert_data::{DataLoader, LoaderConfig};
use wengert_nn::{state_dict, Module, StateValue};

/// Every weight and buffer of `model`, as bits.
fn bits<M: Module<f32>>(model: &M) -> BTreeMap<String, Vec<u64>> {
    state_dict(model)
        .into_iter()
        .map(|(name, value)| {
            let bits = match value {
                StateValue::Float(t) => t.to_vec().iter().map(|x| u64::from(x.to_bits())).collect(),
                StateValue::Int(c) => vec![c as u64],
            };
            (name, bits)
        })
        .collect()
}

fn check_same_step<M: Module<f32>>(build: impl Fn(u64) -> Workload<M>) {
    let workload = build(11);
    let name = workload.name;
    let batch = workload.random_data(1, 5);
    let initial = bits(&workload.model);

    // The batch in its stored order: a shuffled batch sums its examples'
    // losses in another order, which rounds differently.
    let loader = DataLoader::new(
        batch.clone(),
        LoaderConfig::new(workload.batch_size).shuffle(false),
    );
    let mut run = TrainerRun::with_loader(build(11).model, loader);
    assert_eq!(run.fit_epochs(1), 1, "{name}: one batch, one step");
    let mut hand = HandLoop::new(workload.model, &batch);
    let hand_loss = hand.step();

    let trained = bits(hand.model());
    assert_ne!(trained, initial, "{name}: the step by hand changed nothing");
    assert_eq!(
        bits(run.trainer().model()),
        trained,
        "{name}: the trainer's step and the step by hand differ"
    );
    let trainer_loss = run.trainer().history().steps[0].loss;
    assert_eq!(
        trainer_loss,
        f64::from(hand_loss),
        "{name}: the losses differ"
    );
}

#[test]
fn by_hand_step_matches_the_trainer_on_the_mlp() {
    check_same_step(mlp);
}

#[test]
fn by_hand_step_matches_the_trainer_on_the_cnn() {
    check_same_step(cnn);
}

#[test]
fn by_hand_step_matches_the_trainer_on_the_lstm() {
    check_same_step(lstm);
}
