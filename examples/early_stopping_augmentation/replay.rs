//! One run per configuration over the whole budget, with the stopping rule
//! of `EarlyStopping` replayed on it for every patience at once; and a run
//! that the library's callback really stops, to check the replay against.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use wengert::data::Subset;
use wengert::nn::{load_state_dict, state_dict, StateDict};
use wengert::optim::Adam;
use wengert::prelude::*;
use wengert::train::{Callback, CallbackContext, EpochRecord, Loss, Progress};

use super::setup::{mlp, Augmentation, Parts, Settings};
use super::Outcome;

/// Mean cross-entropy and accuracy of `model` on `loader`, in inference
/// mode: the training images seen as the validation images are.
fn evaluate_clean<D: Dataset<f32> + 'static>(
    model: &dyn Module<f32>,
    loader: &DataLoader<f32, D>,
) -> wengert::train::Result<(f64, f64)> {
    let mut accuracy = Accuracy::new();
    let (mut loss_sum, mut examples) = (0.0, 0);
    for batch in loader.epoch(0) {
        let tape = Tape::inference();
        let output = model.forward(&tape, tape.constant(batch.features.clone()))?;
        let loss = CrossEntropyLoss.loss(output, &batch.targets)?;
        loss_sum += f64::from(loss.item()) * batch.len() as f64;
        examples += batch.len();
        accuracy.update(&output.value(), &batch.targets)?;
    }
    Ok((loss_sum / examples as f64, accuracy.value()))
}

/// What the replay of one patience decided, before the test set is seen.
struct Decision {
    /// `None` for the whole budget with its best epoch kept.
    patience: Option<usize>,
    /// The last epoch trained, or `None` when the budget ran out first.
    stopped_at: Option<usize>,
    kept: usize,
    weights: StateDict<f32>,
}

/// What [`StoppingReplay`] hands back after the run.
#[derive(Default)]
struct ReplayLog {
    /// Per epoch: loss and accuracy on the un-augmented training images.
    clean_train: Vec<(f64, f64)>,
    decisions: Vec<Decision>,
}

/// The stopping rule of `EarlyStopping` (monitor `val_loss`, min-delta 0,
/// best weights restored) replayed for several patiences on one run that
/// trains for its whole budget; it also measures the training images
/// without augmentation after every epoch.
struct StoppingReplay<D: Dataset<f32>> {
    patiences: Vec<usize>,
    clean_train: DataLoader<f32, D>,
    /// The lowest validation loss so far, its epoch and its weights (a
    /// snapshot shares the parameters' storage until they are next
    /// written, as `EarlyStopping`'s does).
    best: Option<(f64, usize, StateDict<f32>)>,
    log: Arc<Mutex<ReplayLog>>,
}

impl<D: Dataset<f32> + Send + Sync + 'static> Callback<f32> for StoppingReplay<D> {
    fn name(&self) -> String {
        "stopping_replay".into()
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, f32>,
        record: &EpochRecord,
    ) -> wengert::train::Result<()> {
        let clean = evaluate_clean(&*ctx.model, &self.clean_train)?;
        let val = record.val_loss.unwrap_or(f64::NAN);
        // EarlyStopping's test: strictly lower (a NaN never improves).
        if self.best.as_ref().map_or(!val.is_nan(), |b| val < b.0) {
            self.best = Some((val, record.epoch, state_dict(&*ctx.model)));
        }
        let mut log = self.log.lock().expect("the replay's log");
        log.clean_train.push(clean);
        let Some((_, best_epoch, weights)) = &self.best else {
            return Ok(());
        };
        // A patience stops the first time its wait reaches it; the wait is
        // the epochs since the last improvement.
        for &p in &self.patiences {
            let decided = log.decisions.iter().any(|d| d.patience == Some(p));
            if !decided && record.epoch - best_epoch >= p {
                log.decisions.push(Decision {
                    patience: Some(p),
                    stopped_at: Some(record.epoch),
                    kept: *best_epoch,
                    weights: weights.clone(),
                });
            }
        }
        Ok(())
    }

    fn on_fit_end(&mut self, _ctx: &mut CallbackContext<'_, f32>) -> wengert::train::Result<()> {
        let mut log = self.log.lock().expect("the replay's log");
        let Some((_, best_epoch, weights)) = &self.best else {
            return Ok(());
        };
        let undecided: Vec<Option<usize>> = self
            .patiences
            .iter()
            .map(|&p| Some(p))
            .filter(|p| !log.decisions.iter().any(|d| d.patience == *p))
            .chain([None])
            .collect();
        for patience in undecided {
            log.decisions.push(Decision {
                patience,
                stopped_at: None,
                kept: *best_epoch,
                weights: weights.clone(),
            });
        }
        Ok(())
    }
}

/// What one stopping rule gave: where it stopped, what it kept, and the
/// kept weights' one test evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Stopping {
    /// The patience; `None` for the whole budget with its best epoch kept.
    pub patience: Option<usize>,
    /// The last epoch trained; `None` when the budget ran out first.
    pub stopped_at: Option<usize>,
    /// The epoch whose weights were kept (1-based).
    pub kept: usize,
    /// Test loss of the kept weights.
    pub test_loss: f64,
    /// Test accuracy of the kept weights.
    pub test_accuracy: f64,
}

/// One configuration's run over the whole budget, with every stopping rule
/// replayed on it.
#[derive(Clone, Debug)]
pub struct ConfigRun {
    /// The augmentation trained with.
    pub augmentation: Augmentation,
    /// Per epoch: running training loss and accuracy (augmented batches),
    /// validation loss and accuracy.
    pub history: History,
    /// Per epoch: loss and accuracy on the un-augmented training images.
    pub clean_train: Vec<(f64, f64)>,
    /// One per patience in the settings' order, then the whole budget with
    /// its best epoch kept.
    pub stoppings: Vec<Stopping>,
    /// Test loss of the last epoch's weights (no early stopping).
    pub final_test_loss: f64,
    /// Test accuracy of the last epoch's weights.
    pub final_test_accuracy: f64,
    /// Wall time of the training and the per-epoch evaluations, per epoch.
    pub seconds_per_epoch: f64,
}

impl ConfigRun {
    /// Validation loss at `epoch` (1-based).
    pub fn val_loss(&self, epoch: usize) -> f64 {
        self.history.epochs[epoch - 1].val_loss.unwrap_or(f64::NAN)
    }

    /// Validation accuracy at `epoch`.
    pub fn val_accuracy(&self, epoch: usize) -> f64 {
        self.history.epochs[epoch - 1].val_metrics["accuracy"]
    }

    /// The loss gap at `epoch`: validation minus training loss, both
    /// measured in inference mode without augmentation.
    pub fn loss_gap(&self, epoch: usize) -> f64 {
        self.val_loss(epoch) - self.clean_train[epoch - 1].0
    }

    /// The accuracy gap at `epoch`: training minus validation accuracy.
    pub fn accuracy_gap(&self, epoch: usize) -> f64 {
        self.clean_train[epoch - 1].1 - self.val_accuracy(epoch)
    }

    /// The rule with patience `p` (`None`: the whole budget, best kept).
    pub fn stopping(&self, patience: Option<usize>) -> Option<&Stopping> {
        self.stoppings.iter().find(|s| s.patience == patience)
    }

    /// Epochs trained in all.
    pub fn epochs(&self) -> usize {
        self.history.epochs.len()
    }
}

/// The training loader: shuffled from the seed, augmented.
fn train_loader<D: Dataset<f32> + Clone + 'static>(
    parts: &Parts<D>,
    augmentation: Augmentation,
    settings: &Settings,
) -> DataLoader<f32, Subset<D>> {
    DataLoader::new(
        parts.train.clone(),
        LoaderConfig::new(settings.batch).seed(settings.seed),
    )
    .with_transform(augmentation.transform(settings))
}

/// A loader that reads `part` once, in order.
fn in_order<D: Dataset<f32> + Clone + 'static>(part: &Subset<D>) -> DataLoader<f32, Subset<D>> {
    DataLoader::new(part.clone(), LoaderConfig::new(1024).shuffle(false))
}

/// The trainer every run uses; with `progress`, a line per epoch goes to
/// stderr (a long run shows it is alive; stdout keeps the tables).
fn trainer(
    inputs: usize,
    settings: &Settings,
    batches: usize,
    progress: bool,
) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    let trainer = Trainer::new(
        mlp(inputs, settings),
        AdamConfig::new(settings.lr).build(),
        CrossEntropyLoss,
    )
    .epochs(settings.budget)
    .seed(settings.seed)
    .metric(Accuracy::new());
    if progress {
        let lines = Progress::plain(Box::new(std::io::stderr()), settings.budget, batches);
        trainer.progress(lines)
    } else {
        trainer.quiet()
    }
}

/// Trains with `augmentation` for the whole budget, replays every
/// patience of `settings` on the validation losses, and evaluates on the
/// test set the last epoch's weights and each distinct kept epoch's, once.
pub fn run_config<D: Dataset<f32> + Clone + Send + Sync + 'static>(
    parts: &Parts<D>,
    augmentation: Augmentation,
    settings: &Settings,
    progress: bool,
) -> Outcome<ConfigRun> {
    let batches = train_loader(parts, augmentation, settings);
    let validation = in_order(&parts.validation);
    let test = in_order(&parts.test);
    let log = Arc::new(Mutex::new(ReplayLog::default()));
    let replay = StoppingReplay {
        patiences: settings.patiences.clone(),
        clean_train: in_order(&parts.train),
        best: None,
        log: Arc::clone(&log),
    };
    let mut trainer = trainer(parts.inputs, settings, batches.len(), progress).callback(replay);
    let started = Instant::now();
    let history = trainer.fit(&batches, Some(&validation))?;
    let seconds_per_epoch = started.elapsed().as_secs_f64() / history.epochs.len().max(1) as f64;
    let last = trainer.evaluate(&test)?;
    let log = std::mem::take(&mut *log.lock().map_err(|_| "the replay's log")?);
    let mut tested: Vec<(usize, f64, f64)> = Vec::new();
    let mut stoppings = Vec::new();
    for patience in settings.patiences.iter().map(|&p| Some(p)).chain([None]) {
        let decision = log
            .decisions
            .iter()
            .find(|d| d.patience == patience)
            .ok_or("the replay decided every patience")?;
        let (loss, accuracy) = match tested.iter().find(|t| t.0 == decision.kept) {
            Some(&(_, loss, accuracy)) => (loss, accuracy),
            None => {
                // The one look at the test set for these weights.
                load_state_dict(trainer.model_mut(), &decision.weights)?;
                let on_test = trainer.evaluate(&test)?;
                let seen = (decision.kept, on_test.loss, on_test.metrics["accuracy"]);
                tested.push(seen);
                (seen.1, seen.2)
            }
        };
        stoppings.push(Stopping {
            patience,
            stopped_at: decision.stopped_at,
            kept: decision.kept,
            test_loss: loss,
            test_accuracy: accuracy,
        });
    }
    Ok(ConfigRun {
        augmentation,
        history,
        clean_train: log.clean_train,
        stoppings,
        final_test_loss: last.loss,
        final_test_accuracy: last.metrics["accuracy"],
        seconds_per_epoch,
    })
}

/// A run stopped for real by the library's `EarlyStopping` on `val_loss`
/// with `patience`, best weights restored: its history, the epoch it kept
/// and the kept weights' test loss and accuracy.
pub fn run_with_early_stopping<D: Dataset<f32> + Clone + Send + Sync + 'static>(
    parts: &Parts<D>,
    augmentation: Augmentation,
    settings: &Settings,
    patience: usize,
) -> Outcome<(History, usize, f64, f64)> {
    let batches = train_loader(parts, augmentation, settings);
    let mut trainer = trainer(parts.inputs, settings, batches.len(), false)
        .callback(EarlyStopping::new("val_loss").patience(patience));
    let history = trainer.fit(&batches, Some(&in_order(&parts.validation)))?;
    let kept = history
        .best_epoch("val_loss", false)
        .ok_or("no epoch ran")?
        .epoch;
    let on_test = trainer.evaluate(&in_order(&parts.test))?;
    Ok((history, kept, on_test.loss, on_test.metrics["accuracy"]))
}
