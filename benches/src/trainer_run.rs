//! [`TrainerRun`]: one [`Trainer`] run on a fixed loader, continued epoch
//! after epoch, so a bench times steps of a run in progress (optimizer
//! state allocated, tape capacity reached) rather than first steps.

use wengert_data::{DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::Module;
use wengert_optim::Adam;
use wengert_train::{CrossEntropyLoss, Trainer};

/// A quiet trainer (cross-entropy, [`crate::optimizer`], no metrics, no
/// callbacks, no validation) and the loader it fits on: batches of
/// `batch_size`, shuffled every epoch, prefetched on a worker thread, as
/// [`LoaderConfig::new`] gives them.
///
/// ```
/// use wengert_benches::{mlp, TrainerRun};
///
/// let workload = mlp(0);
/// let data = workload.random_data(3, 1);
/// let mut run = TrainerRun::new(workload.model, data, workload.batch_size);
/// assert_eq!(run.steps_per_epoch(), 3);
/// assert_eq!(run.fit_epochs(2), 6);
/// assert_eq!(run.trainer().history().epochs.len(), 2);
/// ```
pub struct TrainerRun<M: Module<f32>> {
    /// Always `Some` between calls: [`Trainer::epochs`] takes the trainer
    /// by value, so raising the epoch count moves it out and back.
    trainer: Option<Trainer<f32, M, Adam<f32>>>,
    loader: DataLoader<f32, InMemoryDataset<f32>>,
}

impl<M: Module<f32>> TrainerRun<M> {
    /// A run of `model` on `data` in batches of `batch_size`, no epoch done.
    pub fn new(model: M, data: InMemoryDataset<f32>, batch_size: usize) -> Self {
        Self::with_loader(model, DataLoader::new(data, LoaderConfig::new(batch_size)))
    }

    /// A run of `model` on the batches of `loader`.
    pub fn with_loader(model: M, loader: DataLoader<f32, InMemoryDataset<f32>>) -> Self {
        let trainer = Trainer::new(model, crate::optimizer(), CrossEntropyLoss).quiet();
        TrainerRun {
            trainer: Some(trainer),
            loader,
        }
    }

    /// Optimizer steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.loader.len()
    }

    /// Continues the run for `epochs` more epochs with one call of
    /// [`Trainer::fit_without_validation`]; returns the steps taken.
    pub fn fit_epochs(&mut self, epochs: usize) -> usize {
        let trainer = self.trainer.take().expect("the run holds its trainer");
        let target = trainer.position().epoch + epochs;
        let trainer = self.trainer.insert(trainer.epochs(target));
        let before = trainer.position().step;
        trainer
            .fit_without_validation(&self.loader)
            .expect("random data trains without error");
        trainer.position().step - before
    }

    /// The trainer, with its model and history so far.
    pub fn trainer(&self) -> &Trainer<f32, M, Adam<f32>> {
        self.trainer.as_ref().expect("the run holds its trainer")
    }
}
