//! [`Trainer`]: the training loop written once, with its settings.
//!
//! The loop (in `fit.rs`) is what a careful hand-written loop does, step by
//! step: for each batch, a forward pass on one reused training tape, the
//! batch's mean loss, its backward pass; every `accumulate` batches, the
//! gradients of those batches weighted by their sizes (so the step applies
//! the gradient of their union), the global gradient norm, clipping, the
//! tape reset (so the update writes the parameters in place), the optimizer
//! step; at the end of each epoch, validation and one [`EpochRecord`].

use std::path::Path;

use wengert_data::{DataLoader, Dataset};
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::{Float, Tape, Tensor};

use crate::callbacks::Callback;
use crate::error::{Result, TrainError};
use crate::fit::HealthReading;
use crate::health::HealthConfig;
use crate::history::History;
use crate::loss::Loss;
use crate::metric_values::Metrics;
use crate::metrics::Metric;
use crate::penalty::Penalty;
use crate::position::{EpochTotals, Position};
use crate::progress::Progress;

/// How gradients are clipped before each step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clip {
    /// Rescale all gradients so their global 2-norm is at most this
    /// (`clip_grad_norm`).
    Norm(f64),
    /// Clamp every element to `[-v, v]` (`clip_grad_value`).
    Value(f64),
}

/// Where progress goes.
pub(crate) enum ProgressChoice {
    /// A bar on a terminal, plain lines otherwise.
    Auto,
    /// Nothing.
    Hidden,
    /// A progress object the user built (plain lines into a log).
    Given(Progress),
}

/// The settings of a run (everything but the model, optimizer, loss,
/// metrics and callbacks).
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) epochs: usize,
    pub(crate) accumulate: usize,
    pub(crate) clip: Option<Clip>,
    pub(crate) seed: u64,
    pub(crate) health: HealthConfig,
    pub(crate) nan_guard: bool,
    pub(crate) validate_every: Option<usize>,
}

/// Fits a model with an optimizer and a loss on a training loader, keeping
/// a [`History`]; evaluates and predicts on other loaders.
///
/// ```
/// use wengert_data::{embedded, random_split, DataLoader, Dataset, LoaderConfig, SplitFractions};
/// use wengert_nn::{Linear, ReLU, Sequential};
/// use wengert_optim::AdamConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::{Accuracy, CrossEntropyLoss, EarlyStopping, Trainer};
///
/// let digits = embedded::digits()?;
/// let split = random_split(digits.len(), SplitFractions::new(0.8, 0.2, 0.0), 7);
/// let (train, val, _) = split.subsets(&digits);
/// let train = DataLoader::new(train, LoaderConfig::new(64).seed(1));
/// let val = DataLoader::new(val, LoaderConfig::new(256));
///
/// let mut rng = seeded_rng(0);
/// let model = Sequential::new()
///     .with(Linear::new(64, 32, &mut rng))
///     .with(ReLU)
///     .with(Linear::new(32, 10, &mut rng));
/// let mut trainer = Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
///     .epochs(10)
///     .metric(Accuracy::new())
///     .callback(EarlyStopping::new("val_loss").patience(2))
///     .quiet();
/// let history = trainer.fit(&train, Some(&val))?;
/// assert!(history.epochs.last().unwrap().val_metrics["accuracy"] > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Trainer<T: Float, M: Module<T>, O: Optimizer<T>> {
    pub(crate) model: M,
    pub(crate) optimizer: O,
    pub(crate) loss: Box<dyn Loss<T>>,
    pub(crate) penalties: Vec<Penalty>,
    pub(crate) metrics: Vec<Box<dyn Metric<T>>>,
    pub(crate) callbacks: Vec<Box<dyn Callback<T>>>,
    pub(crate) settings: Settings,
    pub(crate) history: History,
    /// One training tape for the whole run: reset between batches, so its
    /// generator runs on and every step draws new dropout masks.
    pub(crate) tape: Tape<T>,
    pub(crate) position: Position,
    pub(crate) totals: EpochTotals,
    /// The training metrics of the epoch in progress.
    pub(crate) train_metrics: Vec<Box<dyn Metric<T>>>,
    pub(crate) health_reading: HealthReading,
    pub(crate) epoch_started: Option<std::time::Instant>,
    pub(crate) progress: ProgressChoice,
    pub(crate) stop_reason: Option<String>,
    pub(crate) warnings: Vec<String>,
    /// The last evaluation `validate_every` made, with its step.
    pub(crate) step_validation: Option<(usize, Evaluation)>,
}

/// The loss and metrics of a model on a loader, in inference mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss per example.
    pub loss: f64,
    /// Each metric's value, by name.
    pub metrics: Metrics,
    /// Examples evaluated.
    pub examples: usize,
}

impl<T: Float, M: Module<T>, O: Optimizer<T>> Trainer<T, M, O> {
    /// A trainer for one epoch with no metrics, no clipping, seed 0.
    pub fn new(model: M, optimizer: O, loss: impl Loss<T> + 'static) -> Self {
        let seed = 0;
        Trainer {
            model,
            optimizer,
            loss: Box::new(loss),
            penalties: Vec::new(),
            metrics: Vec::new(),
            callbacks: Vec::new(),
            settings: Settings {
                epochs: 1,
                accumulate: 1,
                clip: None,
                seed,
                health: HealthConfig::default(),
                nan_guard: true,
                validate_every: None,
            },
            history: History::default(),
            tape: Tape::training(seed),
            position: Position::default(),
            totals: EpochTotals::default(),
            train_metrics: Vec::new(),
            health_reading: HealthReading::default(),
            epoch_started: None,
            progress: ProgressChoice::Auto,
            stop_reason: None,
            warnings: Vec::new(),
            step_validation: None,
        }
    }

    /// Trains for `epochs` epochs in all (a resumed run counts the epochs
    /// it already did).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.settings.epochs = epochs;
        self
    }

    /// Adds a weight penalty ([`Penalty::l2`], [`Penalty::l1`]) to the
    /// objective of every step: the gradient is that of the data loss plus
    /// the penalty, while `train_loss` records the data loss alone (so it
    /// compares with `val_loss`). Several penalties add up.
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalties.push(penalty);
        self
    }

    /// Adds a metric, computed on training batches (as they are trained
    /// on) and on the validation loader, named `train_<name>`/`val_<name>`
    /// in the history's columns.
    pub fn metric(mut self, metric: impl Metric<T> + 'static) -> Self {
        self.metrics.push(Box::new(metric));
        self
    }

    /// Adds a callback; callbacks run in the order they were added.
    pub fn callback(mut self, callback: impl Callback<T> + 'static) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Clips the gradient's global norm to `max_norm` before each step.
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.settings.clip = Some(Clip::Norm(max_norm));
        self
    }

    /// Clamps every gradient element to `[-value, value]` before each step.
    pub fn clip_grad_value(mut self, value: f64) -> Self {
        self.settings.clip = Some(Clip::Value(value));
        self
    }

    /// Accumulates the gradients of `batches` consecutive batches into one
    /// step: an effective batch `batches` times the loader's, in the memory
    /// of one. Each batch's gradient is weighted by its share of the
    /// examples, so the step applies the gradient of their union's mean
    /// loss (exactly, for models without batch statistics: batch norm sees
    /// each micro-batch alone).
    pub fn accumulate(mut self, batches: usize) -> Self {
        self.settings.accumulate = batches;
        self
    }

    /// Seeds the training tape's generator (dropout masks). The same seed,
    /// model and data give the same run, bitwise.
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings.seed = seed;
        self.tape = Tape::training(seed);
        self
    }

    /// Also evaluates on the validation loader every `steps` optimizer
    /// steps (counted over the run), not only at the end of each epoch: for
    /// long epochs, where one point per epoch is too coarse a curve. The
    /// results go into that step's [`StepRecord`](crate::StepRecord)
    /// (`val_loss`, `val_metrics`), which step callbacks see; epoch-level
    /// callbacks such as early stopping still read the epoch's validation.
    /// An evaluation at an epoch's last step serves the epoch too (the
    /// model has not changed), so no evaluation runs twice.
    pub fn validate_every(mut self, steps: usize) -> Self {
        self.settings.validate_every = Some(steps);
        self
    }

    /// How gradient health is watched (see [`HealthConfig`]).
    pub fn health(mut self, health: HealthConfig) -> Self {
        self.settings.health = health;
        self
    }

    /// Turns off the check that stops training at the first non-finite
    /// loss or gradient (on by default).
    pub fn without_nan_guard(mut self) -> Self {
        self.settings.nan_guard = false;
        self
    }

    /// Shows no progress and prints no warnings: they are still kept, in
    /// [`Trainer::warnings`], for the program to read or print.
    pub fn quiet(mut self) -> Self {
        self.progress = ProgressChoice::Hidden;
        self
    }

    /// Reports progress through `progress` (for instance plain lines into
    /// a log file).
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = ProgressChoice::Given(progress);
        self
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, mutably (to freeze layers between runs, say).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The optimizer, mutably.
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// Gives back the model.
    pub fn into_model(self) -> M {
        self.model
    }

    /// Everything recorded so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Where the run is.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Why the last `fit` stopped before its last epoch, if a callback
    /// stopped it.
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// Warnings so far: gradient health (vanishing or exploding gradients,
    /// naming the layer) and what callbacks reported
    /// ([`CallbackContext::warn`](crate::CallbackContext::warn)), also
    /// printed to stderr as they happen unless the trainer is
    /// [`quiet`](Trainer::quiet).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Prints a warning as it happens, unless the trainer is quiet.
    pub(crate) fn announce(&self, warning: &str) {
        if !matches!(self.progress, ProgressChoice::Hidden) {
            eprintln!("warning: {warning}");
        }
    }

    /// Loss and metrics on `loader`, in inference mode (dropout off, batch
    /// norm on its running statistics).
    pub fn evaluate<D: Dataset<T> + 'static>(
        &self,
        loader: &DataLoader<T, D>,
    ) -> Result<Evaluation> {
        crate::evaluate::evaluate(&self.model, &*self.loss, &self.metrics, loader)
    }

    /// The model's outputs on every example of `loader`, in loader order,
    /// stacked along the first axis, in inference mode.
    pub fn predict<D: Dataset<T> + 'static>(&self, loader: &DataLoader<T, D>) -> Result<Tensor<T>> {
        crate::evaluate::predict(&self.model, loader)
    }

    /// Saves the whole run into the checkpoint folder `dir` (replaced
    /// atomically; see the `checkpoint` module of this crate).
    pub fn save_checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        crate::run_state::save(self, dir.as_ref())
    }

    /// Restores a run saved by [`Trainer::save_checkpoint`] into this
    /// trainer (built the same way: same model shape, optimizer kind,
    /// callbacks); `fit` then continues where the saved run stopped and
    /// ends bitwise where it would have. A checkpoint that does not fit is
    /// an error naming what differs, and changes nothing.
    pub fn resume(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        crate::run_state::load(self, dir.as_ref())
    }

    pub(crate) fn check_settings(&self) -> Result<()> {
        let bad = |why: String| TrainError::Config {
            what: "Trainer",
            why,
        };
        if self.settings.accumulate == 0 {
            return Err(bad("accumulate must be at least 1 batch".into()));
        }
        if self.settings.validate_every == Some(0) {
            return Err(bad("validate_every must be at least 1 step".into()));
        }
        match self.settings.clip {
            Some(Clip::Norm(v)) if !(v.is_finite() && v > 0.0) => Err(bad(format!(
                "clip_grad_norm needs a finite max_norm > 0, got {v}"
            ))),
            Some(Clip::Value(v)) if v.is_nan() || v < 0.0 => {
                Err(bad(format!("clip_grad_value needs a value >= 0, got {v}")))
            }
            _ => Ok(()),
        }
    }
}
