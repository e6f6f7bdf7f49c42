//! A run stopped after an epoch, or in the middle of one, and resumed from
//! its checkpoint ends with the same weights, bitwise, as the run that was
//! never interrupted, with dropout, batch norm, Adam, a schedule, early
//! stopping and gradient clipping all in play; a checkpoint of another
//! model is refused and changes nothing.

use std::path::PathBuf;

use wengert_data::{embedded, DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::{state_dict, BatchNorm1d, Dropout, Linear, ReLU, Sequential, StateValue};
use wengert_optim::{Adam, AdamConfig, CosineAnnealingLr};
use wengert_tensor::seeded_rng;
use wengert_train::{
    Accuracy, Callback, CallbackContext, Checkpoint, CrossEntropyLoss, EarlyStopping, Result,
    Schedule, StepRecord, Trainer,
};

type Run = Trainer<f32, Sequential<f32>, Adam<f32>>;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn loader() -> DataLoader<f32, InMemoryDataset<f32>> {
    DataLoader::new(embedded::digits().unwrap(), LoaderConfig::new(100).seed(4))
}

/// The same trainer, built from scratch each time (new parameter ids, as
/// in a new process).
fn run(epochs: usize, checkpoints: &std::path::Path) -> Run {
    let mut rng = seeded_rng(9);
    let model = Sequential::new()
        .with(Linear::new(64, 48, &mut rng))
        .with(BatchNorm1d::new(48))
        .with(ReLU)
        .with(Dropout::new(0.3))
        .with(Linear::new(48, 10, &mut rng));
    let ckpt = Checkpoint::new(checkpoints);
    Trainer::new(model, AdamConfig::new(5e-3).build(), CrossEntropyLoss)
        .epochs(epochs)
        .seed(77)
        .metric(Accuracy::new())
        .clip_grad_norm(5.0)
        .callback(Schedule::per_step(CosineAnnealingLr::new(200, 1e-4)))
        .callback(EarlyStopping::new("train_loss").patience(10))
        .callback(ckpt)
        .quiet()
}

fn bits(trainer: &Run) -> Vec<(String, Vec<u32>)> {
    state_dict(trainer.model())
        .into_iter()
        .map(|(name, v)| match v {
            StateValue::Float(t) => (name, t.to_vec().iter().map(|x| x.to_bits()).collect()),
            StateValue::Int(c) => (name, vec![c as u32]),
        })
        .collect()
}

#[test]
fn a_run_resumed_after_an_epoch_ends_bitwise_as_the_uninterrupted_one() {
    let data = loader();
    let dir = fresh_dir("epoch");
    let mut straight = run(4, &dir.join("straight"));
    straight.fit_without_validation(&data).unwrap();

    let mut first = run(2, &dir.join("split"));
    first.fit_without_validation(&data).unwrap();
    drop(first);
    let mut second = run(4, &dir.join("split"));
    second.resume(dir.join("split").join("last")).unwrap();
    assert_eq!(second.position().epoch, 2);
    second.fit_without_validation(&data).unwrap();

    assert_eq!(bits(&second), bits(&straight));
    assert_eq!(second.history().epochs.len(), 4);
    let (a, b) = (&second.history().epochs, &straight.history().epochs);
    for (x, y) in a.iter().zip(b) {
        assert_eq!((x.train_loss, x.lr, x.steps), (y.train_loss, y.lr, y.steps));
        assert_eq!(x.train_metrics, y.train_metrics);
    }
}

/// Saves a checkpoint after step `at` and stops the run there: a run
/// interrupted in the middle of an epoch.
struct InterruptAt {
    at: usize,
    dir: PathBuf,
}

impl Callback<f32> for InterruptAt {
    fn name(&self) -> String {
        "interrupt".into()
    }
    fn on_step_end(&mut self, ctx: &mut CallbackContext<'_, f32>, step: &StepRecord) -> Result<()> {
        if step.step == self.at {
            ctx.request_checkpoint(&self.dir);
            ctx.request_stop("interrupted for the test");
        }
        Ok(())
    }
}

#[test]
fn a_run_resumed_mid_epoch_ends_bitwise_as_the_uninterrupted_one() {
    let data = loader(); // 18 batches per epoch
    let dir = fresh_dir("mid");
    let never = || InterruptAt {
        at: usize::MAX,
        dir: dir.join("unused"),
    };
    let mut straight = run(3, &dir.join("straight")).callback(never());
    straight.fit_without_validation(&data).unwrap();

    // Step 25 is batch 7 of epoch 2.
    let interrupt = InterruptAt {
        at: 25,
        dir: dir.join("at25"),
    };
    let mut first = run(3, &dir.join("split")).callback(interrupt);
    first.fit_without_validation(&data).unwrap();
    assert!(first.stop_reason().unwrap().contains("interrupted"));
    drop(first);

    let mut second = run(3, &dir.join("split")).callback(never());
    second.resume(dir.join("at25")).unwrap();
    assert_eq!(second.position().epoch, 1);
    assert_eq!(second.position().batch, 7);
    assert_eq!(second.position().step, 25);
    second.fit_without_validation(&data).unwrap();

    assert_eq!(bits(&second), bits(&straight));
    let (a, b) = (&second.history().epochs, &straight.history().epochs);
    assert_eq!(a.len(), 3);
    for (x, y) in a.iter().zip(b) {
        // The interrupted epoch's totals were saved and continued: the same
        // sums in the same order.
        assert_eq!(
            (x.train_loss, x.grad_norm, x.steps),
            (y.train_loss, y.grad_norm, y.steps)
        );
        assert_eq!(x.train_metrics, y.train_metrics);
    }
}

#[test]
fn a_checkpoint_of_another_model_is_refused_and_changes_nothing() {
    let data = loader();
    let dir = fresh_dir("other");
    let mut saved = run(1, &dir);
    saved.fit_without_validation(&data).unwrap();

    let mut rng = seeded_rng(1);
    let other = Sequential::<f32>::new()
        .with(Linear::new(64, 32, &mut rng))
        .with(ReLU)
        .with(Linear::new(32, 10, &mut rng));
    let mut trainer = Trainer::new(other, AdamConfig::new(1e-3).build(), CrossEntropyLoss)
        .callback(Schedule::per_step(CosineAnnealingLr::new(200, 1e-4)))
        .callback(EarlyStopping::new("train_loss").patience(10))
        .callback(Checkpoint::new(&dir))
        .quiet();
    let before = state_dict(trainer.model());
    let err = trainer.resume(dir.join("last")).unwrap_err().to_string();
    assert!(err.contains("another model"), "{err}");
    assert!(
        err.contains("`0.weight`: [48, 64] in the checkpoint, [32, 64] in the model"),
        "{err}"
    );
    assert!(
        err.contains("`1.running_mean`") || err.contains("`1.weight`"),
        "{err}"
    );
    let after = state_dict(trainer.model());
    for (name, v) in &before {
        match (v, &after[name]) {
            (StateValue::Float(a), StateValue::Float(b)) => {
                assert_eq!(a.to_vec(), b.to_vec(), "{name}")
            }
            _ => panic!("{name} changed kind"),
        }
    }
    assert_eq!(trainer.position().step, 0);
}
