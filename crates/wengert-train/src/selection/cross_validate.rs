//! K-fold cross-validation (plain or stratified) and scoring on one
//! validation split, with a fresh trainer per fold from a factory, and the
//! retrain on all training data once a configuration is chosen.
//!
//! Folds are independent: each builds its own trainer from the factory and
//! its own loaders, so running them on rayon's threads gives the same
//! numbers as running them one after the other, bitwise (the kernels are
//! deterministic for any thread count). [`CrossValidation::parallel`]
//! switches between the two.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use wengert_data::{
    try_kfold, try_random_split, try_stratified_kfold, try_stratified_split, DataLoader, Dataset,
    Fold, LoaderConfig, SplitFractions,
};
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::history::History;
use crate::selection::score::Score;
use crate::trainer::Trainer;

/// How the training data is cut into parts to train on and parts to score
/// on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ValidationPlan {
    /// K-fold: `k` rounds, each validating on one fold and training on the
    /// others, so every example is validated exactly once.
    KFold {
        /// Number of folds, at least 2.
        k: usize,
        /// Keep every class's share in every fold (needs class labels).
        stratified: bool,
        /// Shuffle before cutting (`None`: contiguous blocks in order, as
        /// the text's `get_k_fold_data`).
        shuffle_seed: Option<u64>,
    },
    /// One seeded split: train on `1 - fraction`, validate on `fraction`.
    Holdout {
        /// Share of the examples validated on, in `(0, 1)`.
        fraction: f64,
        /// Keep every class's share in both parts (needs class labels).
        stratified: bool,
        /// Seed of the split.
        seed: u64,
    },
}

impl ValidationPlan {
    /// Stratified K-fold, shuffled from `seed`: the usual choice for
    /// classification.
    pub fn stratified_kfold(k: usize, seed: u64) -> Self {
        ValidationPlan::KFold {
            k,
            stratified: true,
            shuffle_seed: Some(seed),
        }
    }

    /// Plain K-fold, shuffled from `seed`.
    pub fn kfold(k: usize, seed: u64) -> Self {
        ValidationPlan::KFold {
            k,
            stratified: false,
            shuffle_seed: Some(seed),
        }
    }

    /// The folds of `data` (one for a holdout split).
    pub fn folds<T: Float, D: Dataset<T>>(&self, data: &D) -> Result<Vec<Fold>> {
        let labels = |stratified: bool| -> Result<Option<Vec<usize>>> {
            if !stratified {
                return Ok(None);
            }
            data.class_labels().map(Some).ok_or_else(|| TrainError::Selection {
                what: "CrossValidation",
                why: "stratified folds need class labels, but the dataset has regression targets; use a plain (stratified: false) plan".into(),
            })
        };
        match *self {
            ValidationPlan::KFold {
                k,
                stratified,
                shuffle_seed,
            } => Ok(match labels(stratified)? {
                Some(labels) => try_stratified_kfold(&labels, k, shuffle_seed)?,
                None => try_kfold(data.len(), k, shuffle_seed)?,
            }),
            ValidationPlan::Holdout {
                fraction,
                stratified,
                seed,
            } => {
                if !(fraction > 0.0 && fraction < 1.0) {
                    return Err(TrainError::Selection {
                        what: "CrossValidation",
                        why: format!("a holdout fraction must be in (0, 1), got {fraction}"),
                    });
                }
                let fractions = SplitFractions::new(1.0 - fraction, fraction, 0.0);
                let split = match labels(stratified)? {
                    Some(labels) => try_stratified_split(&labels, fractions, seed)?,
                    None => try_random_split(data.len(), fractions, seed)?,
                };
                if split.train.is_empty() || split.validation.is_empty() {
                    return Err(TrainError::Selection {
                        what: "CrossValidation",
                        why: format!(
                            "a holdout fraction of {fraction} of {} examples leaves {} to train on and {} to validate on; both need at least one",
                            data.len(),
                            split.train.len(),
                            split.validation.len()
                        ),
                    });
                }
                Ok(vec![Fold {
                    train: split.train,
                    validation: split.validation,
                }])
            }
        }
    }
}

/// What the trainer factory is told about the run it builds a trainer for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunInfo {
    /// The seed to build the model and trainer from (initial weights,
    /// dropout): `seed + fold` for fold `fold`, `seed + folds` for the
    /// retrain, where `seed` is [`CrossValidation::seed`]. The same for
    /// every configuration, so configurations are compared on the same
    /// draws. The training loader is shuffled from it too.
    pub seed: u64,
    /// The fold (0-based), or `None` for the retrain on all training data,
    /// which has no validation set: a factory that adds callbacks reading
    /// validation columns (early stopping on `val_loss`) leaves them out
    /// then.
    pub fold: Option<usize>,
    /// How many folds the plan has.
    pub folds: usize,
}

/// One fold's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// The fold, 0-based.
    pub fold: usize,
    /// The epoch (1-based) the score was read at (see [`Score`]).
    pub epoch: usize,
    /// The fold's score: its history's value of the score column at
    /// `epoch`.
    #[serde(with = "crate::json::f64_any")]
    pub score: f64,
    /// The fold's history, with the wall-time columns (`seconds`,
    /// `examples_per_second`) set to 0: everything else is reproducible
    /// bitwise, so two runs of a sweep (serial or parallel, in one process
    /// or many) give equal results.
    pub history: History,
    /// The score's quantity measured again on the fold's *training* part,
    /// with the fitted model in inference mode, when
    /// [`CrossValidation::score_training_part`] is on (`None` otherwise).
    ///
    /// The history's `train_*` columns cannot stand in for it: they are
    /// running means over the epoch's batches while the weights still
    /// move, with dropout on, so a train/validation gap read from them
    /// mixes two different measurements. This is the text's `train_ls`
    /// of its K-fold loop. The model is the one `fit` returns (the last
    /// epoch's weights, or the best ones if early stopping restored
    /// them), so with [`ScoreAt::LastEpoch`](crate::selection::ScoreAt)
    /// it is the model `score` was read from.
    #[serde(
        with = "crate::json::option_f64",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub train_score: Option<f64>,
}

/// The folds of one configuration, and their mean and spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvResult {
    /// Every fold, in fold order.
    pub folds: Vec<FoldResult>,
    /// The mean of the fold scores (summed in fold order).
    #[serde(with = "crate::json::f64_any")]
    pub mean: f64,
    /// The sample standard deviation of the fold scores (divided by
    /// `n - 1`, as `numpy.std(ddof=1)` and `statistics.stdev`): the spread
    /// one would expect between folds drawn again. `None` with one fold.
    #[serde(with = "crate::json::option_f64")]
    pub std: Option<f64>,
}

impl CvResult {
    /// The result of these folds, with their mean and sample standard
    /// deviation.
    pub fn from_folds(folds: Vec<FoldResult>) -> Self {
        let n = folds.len() as f64;
        let mean = folds.iter().map(|f| f.score).sum::<f64>() / n;
        let std = (folds.len() > 1).then(|| {
            let squares: f64 = folds.iter().map(|f| (f.score - mean).powi(2)).sum();
            (squares / (n - 1.0)).sqrt()
        });
        CvResult { folds, mean, std }
    }

    /// The fold scores, in fold order.
    pub fn scores(&self) -> Vec<f64> {
        self.folds.iter().map(|f| f.score).collect()
    }

    /// The mean over the folds of [`FoldResult::train_score`] (summed in
    /// fold order), `None` unless every fold has one: beside
    /// [`CvResult::mean`] it is the text's "average train / validation
    /// error over k folds".
    pub fn train_mean(&self) -> Option<f64> {
        let scores: Option<Vec<f64>> = self.folds.iter().map(|f| f.train_score).collect();
        let scores = scores.filter(|s| !s.is_empty())?;
        Some(scores.iter().sum::<f64>() / scores.len() as f64)
    }

    /// The epochs the retrain on all training data runs: the mean of the
    /// epochs the folds' scores were read at, rounded, at least 1. With
    /// [`ScoreAt::LastEpoch`](crate::selection::ScoreAt::LastEpoch) that is
    /// the trainer's epoch count (unless early stopping ended folds
    /// sooner); with `BestEpoch` it is the epoch count validation chose,
    /// since the retrain has no validation set to stop on. (Each retrain
    /// epoch sees `k / (k - 1)` times a fold's examples, so it takes a few
    /// more steps than the folds did; that is the usual trade.)
    pub fn retrain_epochs(&self) -> usize {
        let total: usize = self.folds.iter().map(|f| f.epoch).sum();
        let n = self.folds.len().max(1);
        ((total as f64 / n as f64).round() as usize).max(1)
    }
}

/// A trainer fitted on all training data with a chosen configuration.
pub struct Retrained<T: Float, M: Module<T>, O: Optimizer<T>> {
    /// The fitted trainer (its model is the final model).
    pub trainer: Trainer<T, M, O>,
    /// Its history (training columns only: there is no validation set).
    pub history: History,
    /// The epochs it ran ([`CvResult::retrain_epochs`]).
    pub epochs: usize,
}

/// How configurations are scored: the plan, the score, the seed, the batch
/// sizes, and whether folds run in parallel.
///
/// ```
/// use wengert_data::{embedded, Dataset, Subset};
/// use wengert_nn::{Linear, Sequential};
/// use wengert_optim::AdamConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::selection::{CrossValidation, Score, ValidationPlan};
/// use wengert_train::{Accuracy, CrossEntropyLoss, Trainer};
///
/// let digits = embedded::digits()?;
/// let data = Subset::new(digits, (0..300).collect());
/// let cv = CrossValidation::new(ValidationPlan::stratified_kfold(3, 0), Score::best("val_accuracy", true));
/// let result = cv.run(&data, |run| {
///     let mut rng = seeded_rng(run.seed);
///     let model = Sequential::new().with(Linear::new(64, 10, &mut rng));
///     Ok(Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
///         .epochs(3)
///         .seed(run.seed)
///         .metric(Accuracy::new())
///         .quiet())
/// })?;
/// assert_eq!(result.folds.len(), 3);
/// assert!(result.mean > 0.5, "{}", result.mean);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// How the data is cut.
    pub plan: ValidationPlan,
    /// What ranks a configuration.
    pub score: Score,
    /// The base seed of the runs (see [`RunInfo::seed`]); 0 by default.
    pub seed: u64,
    /// Training batch size; 32 by default.
    pub batch_size: usize,
    /// Validation batch size (only memory: it changes no number); 512 by
    /// default.
    pub eval_batch_size: usize,
    /// Run folds on rayon's threads (true by default) or one after the
    /// other; the results are the same bitwise either way.
    #[serde(skip, default = "parallel_by_default")]
    pub parallel: bool,
    /// After each fold's fit, evaluate the model on the fold's training
    /// part too and keep the score's quantity as
    /// [`FoldResult::train_score`] (false by default: it costs one
    /// inference pass over the training part per fold). Left out of a
    /// job file's JSON when off, so job files written before it existed
    /// keep their identity.
    #[serde(default, skip_serializing_if = "is_false")]
    pub score_training_part: bool,
}

fn parallel_by_default() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl CrossValidation {
    /// Scoring by `plan` and `score`, seed 0, batches of 32, in parallel.
    pub fn new(plan: ValidationPlan, score: Score) -> Self {
        CrossValidation {
            plan,
            score,
            seed: 0,
            batch_size: 32,
            eval_batch_size: 512,
            parallel: true,
            score_training_part: false,
        }
    }

    /// Sets the base seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the training batch size.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the validation batch size.
    pub fn eval_batch_size(mut self, eval_batch_size: usize) -> Self {
        self.eval_batch_size = eval_batch_size;
        self
    }

    /// Runs folds in parallel (`true`) or serially (`false`).
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Also scores each fold's fitted model on the fold's training part
    /// ([`FoldResult::train_score`], [`CvResult::train_mean`]): the
    /// train/validation gap of the text's K-fold report.
    pub fn score_training_part(mut self, on: bool) -> Self {
        self.score_training_part = on;
        self
    }

    /// Trains one fresh trainer per fold (from `factory`) on the fold's
    /// training part, validates it on the fold's validation part every
    /// epoch, and scores it.
    pub fn run<T, M, O, D, F>(&self, data: &D, factory: F) -> Result<CvResult>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&RunInfo) -> Result<Trainer<T, M, O>> + Sync,
    {
        let folds = self.plan.folds(data)?;
        let run = |fold: usize| self.run_fold(data, &folds, fold, &factory);
        let results: Result<Vec<FoldResult>> = if self.parallel {
            (0..folds.len()).into_par_iter().map(run).collect()
        } else {
            (0..folds.len()).map(run).collect()
        };
        Ok(CvResult::from_folds(results?))
    }

    /// Fold `fold` of `folds`: its run and score.
    pub(crate) fn run_fold<T, M, O, D, F>(
        &self,
        data: &D,
        folds: &[Fold],
        fold: usize,
        factory: &F,
    ) -> Result<FoldResult>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&RunInfo) -> Result<Trainer<T, M, O>>,
    {
        let info = RunInfo {
            seed: self.seed.wrapping_add(fold as u64),
            fold: Some(fold),
            folds: folds.len(),
        };
        let (train_part, validation) = folds[fold].subsets(data);
        let train = DataLoader::try_new(train_part.clone(), self.train_loader(info.seed))?;
        let validation = DataLoader::try_new(validation, self.eval_loader())?;
        let mut trainer = factory(&info)?;
        let mut history = trainer.fit(&train, Some(&validation))?;
        let (epoch, score) = self.score.read(&history)?;
        let train_score = if self.score_training_part {
            let whole = DataLoader::try_new(train_part, self.eval_loader())?;
            Some(self.score.read_evaluation(&trainer.evaluate(&whole)?)?)
        } else {
            None
        };
        for record in &mut history.epochs {
            record.seconds = 0.0;
            record.examples_per_second = 0.0;
        }
        Ok(FoldResult {
            fold,
            epoch,
            score,
            history,
            train_score,
        })
    }

    /// Trains a fresh trainer from `factory` on all of `data` for
    /// [`CvResult::retrain_epochs`] of `result` epochs (overriding the
    /// factory's epoch count), with no validation set.
    pub fn retrain<T, M, O, D, F>(
        &self,
        data: &D,
        result: &CvResult,
        factory: F,
    ) -> Result<Retrained<T, M, O>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&RunInfo) -> Result<Trainer<T, M, O>>,
    {
        let folds = result.folds.len();
        let info = RunInfo {
            seed: self.seed.wrapping_add(folds as u64),
            fold: None,
            folds,
        };
        let epochs = result.retrain_epochs();
        let train = DataLoader::try_new(data.clone(), self.train_loader(info.seed))?;
        let mut trainer = factory(&info)?.epochs(epochs);
        let history = trainer.fit_without_validation(&train)?;
        Ok(Retrained {
            trainer,
            history,
            epochs,
        })
    }

    fn train_loader(&self, seed: u64) -> LoaderConfig {
        LoaderConfig::new(self.batch_size).seed(seed)
    }

    fn eval_loader(&self) -> LoaderConfig {
        LoaderConfig::new(self.eval_batch_size).shuffle(false)
    }
}
