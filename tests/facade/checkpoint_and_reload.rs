//! Save, resume, reload, through the facade: a run resumed from its
//! checkpoint ends bitwise where an uninterrupted run ends, and the weights
//! in a checkpoint load into a fresh model that then predicts exactly as
//! the trained one.

use wengert::data::{embedded, stratified_split, InMemoryDataset, SplitFractions, Subset};
use wengert::nn::{load_weights, state_dict, StateValue};
use wengert::optim::Adam;
use wengert::prelude::*;

use crate::ScratchDir;

type Loader = DataLoader<f32, Subset<InMemoryDataset<f32>>>;

fn loaders() -> (Loader, Loader) {
    let digits = embedded::digits().unwrap();
    let labels = digits.labels().unwrap().to_vec();
    let split = stratified_split(&labels, SplitFractions::new(0.5, 0.2, 0.3), 6);
    let (train, val, _) = split.subsets(&digits);
    (
        // 901 training images: without drop_last the last batch would be
        // one image, which batch norm refuses in training.
        DataLoader::new(train, LoaderConfig::new(50).seed(7).drop_last(true)),
        DataLoader::new(val, LoaderConfig::new(128).shuffle(false)),
    )
}

/// Batch norm (running statistics: buffers) and dropout (the tape's
/// generator), so a resume must restore more than the weights.
fn model(init_seed: u64) -> Sequential<f32> {
    let mut rng = seeded_rng(init_seed);
    Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(BatchNorm1d::new(32))
        .with(ReLU)
        .with(Dropout::new(0.3))
        .with(Linear::new(32, 10, &mut rng))
}

fn trainer(model: Sequential<f32>, epochs: usize) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    Trainer::new(model, AdamConfig::new(2e-3).build(), CrossEntropyLoss)
        .epochs(epochs)
        .seed(8)
        .metric(Accuracy::new())
        .callback(EarlyStopping::new("val_loss").patience(10))
        .quiet()
}

/// Every parameter and buffer of `model` by name, as bits.
fn state_bits(model: &Sequential<f32>) -> Vec<(String, Vec<u32>)> {
    state_dict(model)
        .into_iter()
        .map(|(name, value)| {
            let bits = match value {
                StateValue::Float(t) => t.to_vec().iter().map(|v| v.to_bits()).collect(),
                StateValue::Int(i) => vec![i as u32, (i >> 32) as u32],
            };
            (name, bits)
        })
        .collect()
}

fn bits(t: &Tensor<f32>) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn a_run_resumed_from_its_checkpoint_ends_bitwise_where_the_uninterrupted_run_ends() {
    let scratch = ScratchDir::new("resume");
    let checkpoint = scratch.0.join("after-2");
    let (train, val) = loaders();

    let mut whole = trainer(model(1), 4);
    let whole_history = whole.fit(&train, Some(&val)).unwrap();

    let mut first_half = trainer(model(1), 2);
    first_half.fit(&train, Some(&val)).unwrap();
    first_half.save_checkpoint(&checkpoint).unwrap();
    drop(first_half);

    // Other initial weights: everything must come from the checkpoint.
    let mut resumed = trainer(model(99), 4);
    assert_ne!(state_bits(resumed.model()), state_bits(whole.model()));
    resumed.resume(&checkpoint).unwrap();
    let resumed_history = resumed.fit(&train, Some(&val)).unwrap();

    assert_eq!(state_bits(resumed.model()), state_bits(whole.model()));
    assert_eq!(resumed_history.epochs.len(), 4);
    crate::assert_same_epochs(&resumed_history, &whole_history);
}

#[test]
fn weights_from_a_checkpoint_load_into_a_fresh_model_that_predicts_the_same() {
    let scratch = ScratchDir::new("reload");
    let checkpoint = scratch.0.join("last");
    let (train, val) = loaders();
    let mut trained = trainer(model(2), 3);
    trained.fit(&train, Some(&val)).unwrap();
    trained.save_checkpoint(&checkpoint).unwrap();
    let expected = trained.predict(&val).unwrap();

    let untrained = trainer(model(3), 1).predict(&val).unwrap();
    assert_ne!(bits(&untrained), bits(&expected));

    let mut fresh = model(3);

    // The checkpoint folder keeps the model as plain safetensors, weights
    // and batch-norm statistics by full name.
    load_weights(&mut fresh, checkpoint.join("model.safetensors")).unwrap();
    assert_eq!(state_bits(&fresh), state_bits(trained.model()));
    let reloaded = trainer(fresh, 1).predict(&val).unwrap();
    assert_eq!(reloaded.shape(), expected.shape());
    assert_eq!(bits(&reloaded), bits(&expected));
}
