//! [`Sweep`]: configurations scored by a [`CrossValidation`], as a list of
//! independent jobs (configuration x fold), run in this process or one job
//! per process (see [`JobFile`](crate::selection::JobFile)), and the
//! retrain of the best configuration on all training data.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use wengert_data::{Dataset, Fold};
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::selection::config::Config;
use crate::selection::cross_validate::{
    CrossValidation, CvResult, FoldResult, Retrained, RunInfo, ValidationPlan,
};
use crate::selection::report::{ConfigResult, SweepReport};
use crate::trainer::Trainer;

/// One job of a sweep: a configuration on a fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The job's index: `config * folds + fold`.
    pub index: usize,
    /// The configuration's index in the sweep.
    pub config: usize,
    /// The fold, 0-based.
    pub fold: usize,
}

/// A hyperparameter search: every configuration scored by one
/// cross-validation.
///
/// ```
/// use wengert_data::{embedded, Subset};
/// use wengert_nn::{Linear, ReLU, Sequential};
/// use wengert_optim::AdamConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::selection::{Config, CrossValidation, Grid, RunInfo, Score, Sweep, ValidationPlan};
/// use wengert_train::{Accuracy, CrossEntropyLoss, Trainer};
///
/// let data = Subset::new(embedded::digits()?, (0..240).collect());
/// let configs = Grid::new().axis("lr", [0.003, 0.03]).axis("width", [8usize, 16]).configs()?;
/// let cv = CrossValidation::new(ValidationPlan::stratified_kfold(3, 0), Score::best("val_accuracy", true));
/// let sweep = Sweep::new(configs, cv)?;
/// let factory = |config: &Config, run: &RunInfo| {
///     let mut rng = seeded_rng(run.seed);
///     let width = config.usize("width")?;
///     let model = Sequential::new()
///         .with(Linear::new(64, width, &mut rng))
///         .with(ReLU)
///         .with(Linear::new(width, 10, &mut rng));
///     Ok(Trainer::new(model, AdamConfig::new(config.f64("lr")?).build(), CrossEntropyLoss)
///         .epochs(2)
///         .metric(Accuracy::new())
///         .quiet())
/// };
/// let report = sweep.run(&data, factory)?;
/// assert_eq!(report.results.len(), 4);
/// let best = report.best()?;
/// let retrained = sweep.retrain(best, &data, factory)?;
/// assert_eq!(retrained.epochs, best.cv.retrain_epochs());
/// println!("{}", report.to_markdown(None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The configurations, in the order of the report.
    pub configs: Vec<Config>,
    /// How each is scored.
    pub cv: CrossValidation,
}

impl Sweep {
    /// A sweep of `configs` (at least one) scored by `cv`.
    pub fn new(configs: Vec<Config>, cv: CrossValidation) -> Result<Self> {
        if configs.is_empty() {
            return Err(TrainError::Selection {
                what: "Sweep",
                why: "no configuration to try (an empty grid or a random search of 0 trials)"
                    .into(),
            });
        }
        Ok(Sweep { configs, cv })
    }

    /// Folds per configuration: `k` for K-fold, 1 for a holdout split.
    pub fn folds(&self) -> usize {
        match self.cv.plan {
            ValidationPlan::KFold { k, .. } => k,
            ValidationPlan::Holdout { .. } => 1,
        }
    }

    /// Every job, configuration-major: job `i` is configuration
    /// `i / folds` on fold `i % folds`.
    pub fn jobs(&self) -> Vec<Job> {
        let folds = self.folds();
        (0..self.configs.len() * folds)
            .map(|index| Job {
                index,
                config: index / folds,
                fold: index % folds,
            })
            .collect()
    }

    /// Runs every job in this process (in parallel when
    /// [`CrossValidation::parallel`] is on, the same numbers either way)
    /// and gathers the report. `factory` builds a fresh trainer for a
    /// configuration and a run.
    pub fn run<T, M, O, D, F>(&self, data: &D, factory: F) -> Result<SweepReport>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&Config, &RunInfo) -> Result<Trainer<T, M, O>> + Sync,
    {
        let folds = self.cv.plan.folds(data)?;
        let jobs = self.jobs();
        let run = |job: &Job| self.run_job(job, data, &folds, &factory);
        let results: Result<Vec<FoldResult>> = if self.cv.parallel {
            jobs.par_iter().map(run).collect()
        } else {
            jobs.iter().map(run).collect()
        };
        Ok(self.report(results?))
    }

    /// One job's fold result.
    pub(crate) fn run_job<T, M, O, D, F>(
        &self,
        job: &Job,
        data: &D,
        folds: &[Fold],
        factory: &F,
    ) -> Result<FoldResult>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&Config, &RunInfo) -> Result<Trainer<T, M, O>>,
    {
        let config = &self.configs[job.config];
        self.cv
            .run_fold(data, folds, job.fold, &|run: &RunInfo| factory(config, run))
    }

    /// The report of the fold results of every job, in job order.
    pub(crate) fn report(&self, results: Vec<FoldResult>) -> SweepReport {
        let folds = self.folds();
        let mut results = results.into_iter();
        let configs = self
            .configs
            .iter()
            .enumerate()
            .map(|(index, config)| ConfigResult {
                index,
                config: config.clone(),
                cv: CvResult::from_folds(results.by_ref().take(folds).collect()),
            })
            .collect();
        SweepReport {
            score: self.cv.score.clone(),
            results: configs,
        }
    }

    /// Retrains `choice` (usually [`SweepReport::best`]) on all of `data`
    /// for [`CvResult::retrain_epochs`] epochs, with no validation set (see
    /// [`CrossValidation::retrain`]).
    pub fn retrain<T, M, O, D, F>(
        &self,
        choice: &ConfigResult,
        data: &D,
        factory: F,
    ) -> Result<Retrained<T, M, O>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&Config, &RunInfo) -> Result<Trainer<T, M, O>>,
    {
        self.cv.retrain(data, &choice.cv, |run: &RunInfo| {
            factory(&choice.config, run)
        })
    }
}
