//! Early stopping on a validation curve that gets worse: the model is
//! trained on y = x and validated on y = -x, so every step that fits the
//! training data moves away from the validation data. The run stops after
//! `patience` bad epochs and the model gets back the weights of its best
//! epoch.

use std::collections::BTreeMap;

use wengert_data::{DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::{state_dict, Linear, StateDict, StateValue};
use wengert_optim::SgdConfig;
use wengert_tensor::{seeded_rng, Tensor};
use wengert_train::{
    Callback, CallbackContext, EarlyStopping, EpochRecord, MseLoss, Result, Trainer,
};

/// Keeps the weights after every epoch.
struct Snapshots(std::sync::Arc<std::sync::Mutex<BTreeMap<usize, StateDict<f64>>>>);

impl Callback<f64> for Snapshots {
    fn name(&self) -> String {
        "snapshots".into()
    }
    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, f64>,
        record: &EpochRecord,
    ) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .insert(record.epoch, state_dict(&*ctx.model));
        Ok(())
    }
}

fn values(state: &StateDict<f64>) -> Vec<Vec<f64>> {
    state
        .values()
        .map(|v| match v {
            StateValue::Float(t) => t.to_vec(),
            StateValue::Int(c) => vec![*c as f64],
        })
        .collect()
}

#[test]
fn a_worsening_validation_curve_stops_the_run_and_restores_the_best_epoch() {
    let mut rng = seeded_rng(0);
    let x = Tensor::<f64>::randn(&[64, 1], &mut rng);
    let train = DataLoader::new(
        InMemoryDataset::regression(x.clone(), x.clone()),
        LoaderConfig::new(16).seed(1),
    );
    let val = DataLoader::new(
        InMemoryDataset::regression(x.clone(), x.mul_scalar(-1.0)),
        LoaderConfig::new(64),
    );
    // Start at w = 0: the validation loss is lowest before any training and
    // rises every epoch as w moves towards 1.
    let model = Linear::from_tensors(Tensor::zeros(&[1, 1]), Some(Tensor::zeros(&[1]))).unwrap();
    let snapshots = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.05).build(), MseLoss)
        .epochs(50)
        .callback(Snapshots(snapshots.clone()))
        .callback(EarlyStopping::new("val_loss").patience(3))
        .quiet();
    let history = trainer.fit(&train, Some(&val)).unwrap();

    let val_loss: Vec<f64> = history.epochs.iter().map(|r| r.val_loss.unwrap()).collect();
    assert!(
        val_loss.windows(2).all(|w| w[1] > w[0]),
        "the curve worsens: {val_loss:?}"
    );
    assert_eq!(
        history.epochs.len(),
        4,
        "best at epoch 1, then 3 bad epochs"
    );
    let reason = trainer.stop_reason().unwrap();
    assert!(
        reason.contains("val_loss") && reason.contains("epoch 1"),
        "{reason}"
    );
    let best = snapshots.lock().unwrap()[&1].clone();
    assert_eq!(
        values(&state_dict(trainer.model())),
        values(&best),
        "epoch 1's weights are back"
    );
}

#[test]
fn early_stopping_without_restoring_keeps_the_last_weights() {
    let mut rng = seeded_rng(0);
    let x = Tensor::<f64>::randn(&[32, 1], &mut rng);
    let train = DataLoader::new(
        InMemoryDataset::regression(x.clone(), x.clone()),
        LoaderConfig::new(8).seed(1),
    );
    let val = DataLoader::new(
        InMemoryDataset::regression(x.clone(), x.mul_scalar(-1.0)),
        LoaderConfig::new(32),
    );
    let model = Linear::from_tensors(Tensor::zeros(&[1, 1]), Some(Tensor::zeros(&[1]))).unwrap();
    let snapshots = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let mut trainer = Trainer::new(model, SgdConfig::new(0.05).build(), MseLoss)
        .epochs(50)
        .callback(Snapshots(snapshots.clone()))
        .callback(
            EarlyStopping::new("val_loss")
                .patience(2)
                .restore_best(false),
        )
        .quiet();
    trainer.fit(&train, Some(&val)).unwrap();
    let last = snapshots.lock().unwrap()[&3].clone();
    assert_eq!(values(&state_dict(trainer.model())), values(&last));
}

#[test]
fn monitoring_a_column_the_history_lacks_names_the_columns_it_has() {
    let mut rng = seeded_rng(0);
    let x = Tensor::<f64>::randn(&[8, 1], &mut rng);
    let train = DataLoader::new(
        InMemoryDataset::regression(x.clone(), x),
        LoaderConfig::new(8),
    );
    let model = Linear::<f64>::new(1, 1, &mut rng);
    let mut trainer = Trainer::new(model, SgdConfig::new(0.05).build(), MseLoss)
        .epochs(2)
        .callback(EarlyStopping::new("val_loss"))
        .quiet();
    let err = trainer
        .fit_without_validation(&train)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`val_loss`")
            && err.contains("train_loss")
            && err.contains("validation loader"),
        "{err}"
    );
}
