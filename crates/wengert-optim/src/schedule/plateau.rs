//! Lower the rate when a validation metric stops improving.

use wengert_tensor::Float;

use crate::error::{OptimError, Result};
use crate::optimizer::Optimizer;

/// Whether lower (a loss) or higher (an accuracy) is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// How much better a value must be to count as an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Relative: below `best * (1 - threshold)` (mode min).
    Rel,
    /// Absolute: below `best - threshold` (mode min).
    Abs,
}

/// Multiplies each group's learning rate by `factor` when the metric has
/// not improved for more than `patience` calls.
///
/// Each call of [`ReduceLrOnPlateau::step`] (once per epoch, with the
/// validation loss) counts a *bad epoch* unless the value beats the best so
/// far by the threshold (mode min, relative: `value < best * (1 -
/// threshold)`; equal or barely lower is bad). When the count exceeds
/// `patience`, every rate group's rate becomes `max(lr * factor, min_lr)`
/// with that group's `min_lr`, if that changes that group's rate by more
/// than `eps` (each group is checked on its own), the count restarts at 0
/// and a cooldown of `cooldown` epochs begins, during which bad epochs are
/// not counted.
/// PyTorch: `ReduceLROnPlateau(optimizer, mode='min', factor=0.1,
/// patience=10, threshold=1e-4, threshold_mode='rel', cooldown=0,
/// min_lr=0, eps=1e-8)`, `min_lr` one floor for all groups or a list of
/// one per group ([`ReduceLrOnPlateau::min_lrs`]).
///
/// The rates it lowers are the optimizer's current ones, so it needs no
/// rate of its own and works after any other schedule. Its fields are
/// public: a checkpoint saves this struct (it is `Clone`) with the
/// optimizer's state, which holds the rates.
///
/// # PyTorch options
///
/// All of them: `mode`, `factor`, `patience`, `threshold`,
/// `threshold_mode`, `cooldown`, `min_lr` (a number or a list per group),
/// `eps`. `factor` must lie in `[0, 1)`: PyTorch also takes a negative
/// factor, which sets every rate to its `min_lr` at once; wengert refuses
/// it.
///
/// ```
/// use wengert_optim::{Optimizer, ReduceLrOnPlateau, SgdConfig};
/// let mut opt = SgdConfig::new(0.1).build::<f32>();
/// let mut plateau = ReduceLrOnPlateau::new().factor(0.5).patience(1);
/// // After each epoch's training steps, with that epoch's validation loss:
/// assert_eq!(plateau.step(&mut opt, 1.0), 0.1); // best 1.0
/// assert_eq!(plateau.step(&mut opt, 1.0), 0.1); // 1 bad epoch
/// assert_eq!(plateau.step(&mut opt, 1.0), 0.05); // 2 > patience: halve
/// assert_eq!(opt.lr(), 0.05);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceLrOnPlateau {
    /// Best value so far (starts at +inf for min, -inf for max).
    pub best: f64,
    /// Bad epochs since the last improvement or reduction.
    pub num_bad_epochs: usize,
    /// Epochs of cooldown left.
    pub cooldown_counter: usize,
    /// Lower or higher is better.
    pub mode: PlateauMode,
    /// Multiplier of the rate on a plateau.
    pub factor: f64,
    /// Bad epochs tolerated before reducing.
    pub patience: usize,
    /// Margin an improvement must clear.
    pub threshold: f64,
    /// Relative or absolute margin.
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction before counting again.
    pub cooldown: usize,
    /// No group's rate goes below this (unless `min_lrs` gives one per
    /// group).
    pub min_lr: f64,
    /// One floor per rate group (the default group first, then each
    /// [`crate::ParamGroup`]), replacing `min_lr`; empty: `min_lr` for all.
    pub min_lrs: Vec<f64>,
    /// Reductions smaller than this are skipped.
    pub eps: f64,
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        Self::new()
    }
}

impl ReduceLrOnPlateau {
    /// PyTorch's defaults, mode min.
    pub fn new() -> Self {
        ReduceLrOnPlateau {
            best: f64::INFINITY,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            min_lrs: Vec::new(),
            eps: 1e-8,
        }
    }

    /// Lower (min, default) or higher (max) is better; resets the best value.
    pub fn mode(mut self, mode: PlateauMode) -> Self {
        self.mode = mode;
        self.best = match mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        self
    }

    /// Improvement margin and its kind (default 1e-4, relative).
    pub fn threshold(mut self, threshold: f64, mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = mode;
        self
    }

    crate::config::builder_setters! {
        /// Multiplier on a plateau (default 0.1).
        ///
        /// # Panics
        /// Unless `0 <= factor < 1` (PyTorch also takes a negative factor,
        /// which sets every rate to its floor at once).
        factor: f64 where (0.0..1.0).contains(&factor) => "[0, 1) (PyTorch also takes a negative factor, which drops every rate to its min_lr at once; wengert refuses it)";
        /// Bad epochs tolerated (default 10).
        patience: usize;
        /// Epochs of cooldown after a reduction (default 0).
        cooldown: usize;
        /// Floor of every group's rate (default 0).
        min_lr: f64;
        /// One floor per rate group: the default group first, then each
        /// [`crate::ParamGroup`] in order (PyTorch's `min_lr` as a list).
        /// A step on an optimizer with another number of groups is an
        /// error.
        min_lrs: Vec<f64>;
        /// Smallest reduction applied (default 1e-8).
        eps: f64;
    }

    fn is_better(&self, value: f64) -> bool {
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => value < self.best * (1.0 - self.threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => value < self.best - self.threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => value > self.best * (self.threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => value > self.best + self.threshold,
        }
    }

    /// Records one epoch's metric, lowers the groups' learning rates if the
    /// metric has stalled, and returns the default group's rate for the
    /// next epoch.
    ///
    /// An error, changing nothing, when [`ReduceLrOnPlateau::min_lrs`] does
    /// not give one floor per rate group of `optimizer`.
    pub fn try_step<T: Float>(
        &mut self,
        optimizer: &mut dyn Optimizer<T>,
        metric: f64,
    ) -> Result<f64> {
        let groups = optimizer.group_count();
        if !self.min_lrs.is_empty() && self.min_lrs.len() != groups {
            return Err(OptimError::InvalidHyperparameter {
                op: "ReduceLrOnPlateau",
                why: format!(
                    "min_lrs gives {} floors, but {} has {groups} rate groups (the default group, then one per ParamGroup)",
                    self.min_lrs.len(),
                    optimizer.name()
                ),
            });
        }
        if self.record(metric) {
            for group in 0..groups {
                let old = optimizer.group_lr(group);
                let floor = self.min_lrs.get(group).copied().unwrap_or(self.min_lr);
                let new = (old * self.factor).max(floor);
                if old - new > self.eps {
                    optimizer.set_group_lr(group, new);
                }
            }
        }
        Ok(optimizer.lr())
    }

    /// Panicking form of [`ReduceLrOnPlateau::try_step`].
    #[track_caller]
    pub fn step<T: Float>(&mut self, optimizer: &mut dyn Optimizer<T>, metric: f64) -> f64 {
        self.try_step(optimizer, metric)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The state machine: records the metric and says whether the rates
    /// are to be reduced now.
    fn record(&mut self, metric: f64) -> bool {
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
            return true;
        }
        false
    }
}
