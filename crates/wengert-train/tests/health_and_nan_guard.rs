//! Gradient health flags vanishing gradients in a deep sigmoid MLP (the
//! text's example), not in the same depth built with ReLU, batch norm and
//! residual blocks; the NaN guard stops a diverging run with an error
//! naming the layer, and leaves the last checkpoint loadable.

use wengert_data::{embedded, DataLoader, LoaderConfig};
use wengert_nn::{BatchNorm1d, Linear, ReLU, Residual, Sequential, Sigmoid};
use wengert_optim::SgdConfig;
use wengert_tensor::seeded_rng;
use wengert_train::{Checkpoint, CrossEntropyLoss, TrainError, Trainer};

const DEPTH: usize = 20;

fn digits() -> DataLoader<f32, wengert_data::InMemoryDataset<f32>> {
    DataLoader::new(embedded::digits().unwrap(), LoaderConfig::new(128).seed(3))
}

#[test]
fn a_deep_sigmoid_mlp_is_flagged_with_vanishing_gradients_naming_the_first_layer() {
    let mut rng = seeded_rng(1);
    let mut model = Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(Sigmoid);
    for _ in 1..DEPTH - 1 {
        model = model.with(Linear::new(32, 32, &mut rng)).with(Sigmoid);
    }
    let model = model.with(Linear::new(32, 10, &mut rng));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.1).build(), CrossEntropyLoss).quiet();
    trainer.fit_without_validation(&digits()).unwrap();
    let norms = &trainer.history().epochs[0].layer_grad_norms;
    assert_eq!(norms.len(), DEPTH, "{norms:?}");
    let warnings = trainer.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("vanish") && w.contains("`0`")),
        "{warnings:?}"
    );
    assert!(
        norms["0"] / norms[&format!("{}", 2 * (DEPTH - 1))] < 1e-4,
        "{norms:?}"
    );
}

#[test]
fn relu_batch_norm_and_residual_blocks_keep_the_gradients_alive() {
    let mut rng = seeded_rng(1);
    let mut model = Sequential::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(BatchNorm1d::new(32))
        .with(ReLU);
    // Each residual block holds two linear layers: depth 20 in all.
    for _ in 0..(DEPTH - 2) / 2 {
        model = model.with(Residual::mlp(32, 32, 32, &mut rng)).with(ReLU);
    }
    let model = model.with(Linear::new(32, 10, &mut rng));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.1).build(), CrossEntropyLoss).quiet();
    trainer.fit_without_validation(&digits()).unwrap();
    assert!(trainer.warnings().is_empty(), "{:?}", trainer.warnings());
}

#[test]
fn a_diverging_run_stops_with_an_error_naming_the_layer_and_keeps_the_last_checkpoint() {
    let dir = std::env::temp_dir().join(format!("wengert-nan-guard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = seeded_rng(2);
    let model = Sequential::new()
        .with(Linear::new(64, 64, &mut rng))
        .with(ReLU)
        .with(Linear::new(64, 10, &mut rng));
    // A good first epoch (checkpointed), then a learning rate no model
    // survives.
    let mut trainer = Trainer::new(model, SgdConfig::new(0.01).build(), CrossEntropyLoss)
        .epochs(1)
        .callback(Checkpoint::new(&dir))
        .quiet();
    trainer.fit_without_validation(&digits()).unwrap();
    let saved = std::fs::read(dir.join("last").join("model.safetensors")).unwrap();
    use wengert_optim::Optimizer;
    trainer.optimizer_mut().set_lr(1e12);
    let mut trainer = trainer.epochs(5);
    let err = trainer.fit_without_validation(&digits()).unwrap_err();
    let TrainError::NonFinite {
        what,
        epoch,
        step,
        detail,
    } = &err
    else {
        panic!("expected a non-finite error, got {err}");
    };
    assert_eq!(*epoch, 2);
    assert!(*step > 14, "after the first epoch's 14 steps: {step}");
    assert!(what == "loss" || what.starts_with("the gradient"), "{err}");
    assert!(
        detail.contains("layer `0`") || detail.contains("layer `2`"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("last").join("model.safetensors")).unwrap(),
        saved,
        "the last good checkpoint is untouched"
    );
}
