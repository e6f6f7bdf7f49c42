//! Pseudo-labelling: the semi-supervised remedy for a small labelled set.
//! Train on the labelled examples; let the model label the unlabelled pool;
//! keep the examples it is confident about (the softmax probability of its
//! top class above a threshold) with their predicted class; retrain on the
//! labelled and pseudo-labelled examples together; repeat until a round
//! adds nothing or the rounds run out.
//!
//! [`PseudoLabelConfig`] holds the settings and runs the loop; a trainer
//! factory supplies the model, optimizer, loss and epochs of each round, so
//! every setting of [`Trainer`] (metrics, callbacks, early stopping) works
//! in the rounds. [`PseudoLabelReport`] says what each round added.

mod dataset;
mod report;
mod selection;

pub use report::{PseudoLabel, PseudoLabelReport, PseudoLabelRound, PseudoLabelStop};

use std::sync::Arc;

use wengert_data::{DataLoader, Dataset, InMemoryDataset, LoaderConfig, Subset, TargetKind};
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::trainer::{Evaluation, Trainer};
use dataset::WithPseudoLabels;

/// The settings of a pseudo-labelling run, and the run itself
/// ([`PseudoLabelConfig::run`]).
///
/// The trainer factory is called once per training with the round number
/// (0 for the first training, on labelled data alone) and the model the
/// previous round trained (`None` in round 0). It decides what a round
/// trains:
///
/// - **a fresh model per round** (ignore the previous model, build a new one
///   from a fixed seed): each round is an independent fit on a larger
///   training set, so the rounds compare cleanly;
/// - **continued training** (wrap the previous model in a new trainer):
///   cheaper, since the model starts where it was; the optimizer's state is
///   whatever the factory builds (usually fresh).
///
/// The previous model is also where a caller can look at what the round's
/// selection was based on: the round-`r` examples were chosen from its
/// predictions.
///
/// ```
/// use wengert_data::{embedded, stratified_split, Dataset, SplitFractions};
/// use wengert_nn::{Linear, Sequential};
/// use wengert_optim::AdamConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::{CrossEntropyLoss, PseudoLabelConfig, Trainer};
///
/// let digits = embedded::digits()?;
/// let labels = digits.labels().unwrap().to_vec();
/// // 10% labelled, 90% an unlabelled pool.
/// let split = stratified_split(&labels, SplitFractions::new(0.1, 0.9, 0.0), 0);
/// let (labelled, pool, _) = split.subsets(&digits);
///
/// let factory = |round: usize, previous: Option<Sequential<f32>>| {
///     // Continued training: round 0 builds the model, later rounds go on
///     // from where the previous one stopped, for fewer epochs.
///     let model = previous.unwrap_or_else(|| {
///         Sequential::new().with(Linear::new(64, 10, &mut seeded_rng(0)))
///     });
///     Trainer::new(model, AdamConfig::new(1e-2).build(), CrossEntropyLoss)
///         .epochs(if round == 0 { 20 } else { 2 })
///         .quiet()
/// };
/// let outcome = PseudoLabelConfig::new(0.95)
///     .rounds(2)
///     .run_without_validation(labelled, pool, factory)?;
/// let report = &outcome.report;
/// assert!(report.rounds[0].added > 0);
/// assert_eq!(report.total(), report.labels().count());
/// // The pool of this example does have labels: how right were the pseudo-labels?
/// let truth = split.validation.iter().map(|&i| labels[i]).collect::<Vec<_>>();
/// assert!(report.accuracy(&truth)?.unwrap() > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PseudoLabelConfig {
    /// An example is pseudo-labelled when the softmax probability of its
    /// top class is strictly above this, in `[0, 1)`. High values (0.9 and
    /// up) add fewer but more often right labels.
    pub threshold: f64,
    /// The most pseudo-labelling rounds after the first training.
    pub rounds: usize,
    /// At most this many examples per class per round, the most confident
    /// ones: without it, the class the model finds easiest can take most of
    /// a round and tilt the training set. `None`: no cap.
    pub max_per_class: Option<usize>,
    /// Examples per batch, for training and for predicting the pool.
    pub batch_size: usize,
    /// The seed of the training loaders' shuffles (the model's and the
    /// trainer's seeds are the factory's).
    pub seed: u64,
}

/// The trainer of the last training (on labelled and every pseudo-labelled
/// example) and the report of the run.
pub struct PseudoLabelOutcome<T: Float, M: Module<T>, O: Optimizer<T>> {
    /// The last round's trainer: its model is the run's result.
    pub trainer: Trainer<T, M, O>,
    /// What each round did.
    pub report: PseudoLabelReport,
}

impl PseudoLabelConfig {
    /// Threshold `threshold`, 5 rounds, no per-class cap, batches of 32,
    /// seed 0.
    pub fn new(threshold: f64) -> Self {
        PseudoLabelConfig {
            threshold,
            rounds: 5,
            max_per_class: None,
            batch_size: 32,
            seed: 0,
        }
    }

    /// Sets [`rounds`](Self::rounds).
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = rounds;
        self
    }

    /// Sets [`max_per_class`](Self::max_per_class).
    pub fn max_per_class(mut self, cap: usize) -> Self {
        self.max_per_class = Some(cap);
        self
    }

    /// Sets [`batch_size`](Self::batch_size).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets [`seed`](Self::seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs pseudo-labelling: `labelled` (class targets) and `pool` (only
    /// its features are read), each training round also validated on `val`
    /// (so callbacks such as early stopping see validation), and the
    /// retrained model evaluated on it for the report.
    pub fn run<T, M, O, L, P, V, F>(
        &self,
        labelled: L,
        pool: P,
        factory: F,
        val: &DataLoader<T, V>,
    ) -> Result<PseudoLabelOutcome<T, M, O>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        L: Dataset<T> + 'static,
        P: Dataset<T> + 'static,
        V: Dataset<T> + 'static,
        F: FnMut(usize, Option<M>) -> Trainer<T, M, O>,
    {
        self.run_impl(labelled, pool, factory, Some(val))
    }

    /// [`PseudoLabelConfig::run`] with no validation set.
    pub fn run_without_validation<T, M, O, L, P, F>(
        &self,
        labelled: L,
        pool: P,
        factory: F,
    ) -> Result<PseudoLabelOutcome<T, M, O>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        L: Dataset<T> + 'static,
        P: Dataset<T> + 'static,
        F: FnMut(usize, Option<M>) -> Trainer<T, M, O>,
    {
        self.run_impl(
            labelled,
            pool,
            factory,
            None::<&DataLoader<T, InMemoryDataset<T>>>,
        )
    }

    fn run_impl<T, M, O, L, P, V, F>(
        &self,
        labelled: L,
        pool: P,
        mut factory: F,
        val: Option<&DataLoader<T, V>>,
    ) -> Result<PseudoLabelOutcome<T, M, O>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        L: Dataset<T> + 'static,
        P: Dataset<T> + 'static,
        V: Dataset<T> + 'static,
        F: FnMut(usize, Option<M>) -> Trainer<T, M, O>,
    {
        let classes = self.check(&labelled, &pool)?;
        let (labelled, pool) = (Arc::new(labelled), Arc::new(pool));
        let mut added = vec![false; pool.len()];
        let mut pseudo: Vec<(usize, usize)> = Vec::new();

        let mut trainer = factory(0, None);
        let initial_validation = self.train_round(&mut trainer, &labelled, &pool, &pseudo, val)?;
        let mut rounds = Vec::new();
        let mut stop = PseudoLabelStop::RoundLimit;
        for round in 1..=self.rounds {
            let remaining: Vec<usize> = (0..pool.len()).filter(|&i| !added[i]).collect();
            let candidates = if remaining.is_empty() {
                Vec::new()
            } else {
                let loader = DataLoader::try_new(
                    Subset::try_new(pool.clone(), remaining.clone())?,
                    LoaderConfig::new(self.batch_size).shuffle(false),
                )?;
                selection::confidences(&trainer.predict(&loader)?, &remaining, classes)?
            };
            let (eligible, labels) =
                selection::select(candidates, self.threshold, self.max_per_class);
            let mut class_counts = vec![0; classes];
            for l in &labels {
                added[l.index] = true;
                class_counts[l.class] += 1;
                pseudo.push((l.index, l.class));
            }
            let mut record = PseudoLabelRound {
                round,
                eligible,
                added: labels.len(),
                total: pseudo.len(),
                class_counts,
                labels,
                validation: None,
            };
            if record.added == 0 {
                rounds.push(record);
                stop = PseudoLabelStop::NothingAdded { round };
                break;
            }
            trainer = factory(round, Some(trainer.into_model()));
            record.validation = self.train_round(&mut trainer, &labelled, &pool, &pseudo, val)?;
            rounds.push(record);
        }
        Ok(PseudoLabelOutcome {
            trainer,
            report: PseudoLabelReport {
                initial_validation,
                rounds,
                stop,
            },
        })
    }

    /// The class count, after checking the settings and that the two sets
    /// fit together.
    fn check<T: Float>(&self, labelled: &impl Dataset<T>, pool: &impl Dataset<T>) -> Result<usize> {
        let bad = |why: String| TrainError::Config {
            what: "pseudo-labelling",
            why,
        };
        if !(0.0..1.0).contains(&self.threshold) {
            return Err(bad(format!(
                "the confidence threshold must be in [0, 1) (a softmax probability is never above 1), got {}",
                self.threshold
            )));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size must be at least 1".into()));
        }
        if self.max_per_class == Some(0) {
            return Err(bad(
                "max_per_class of 0 would never add an example; leave it unset for no cap".into(),
            ));
        }
        let TargetKind::Classes { classes } = labelled.target_kind() else {
            return Err(bad(format!(
                "the labelled data must have class targets, it has {:?}",
                labelled.target_kind()
            )));
        };
        if labelled.is_empty() {
            return Err(bad("the labelled data has no example".into()));
        }
        if pool.feature_shape() != labelled.feature_shape() {
            return Err(bad(format!(
                "the pool's examples have shape {:?} but the labelled ones {:?}",
                pool.feature_shape(),
                labelled.feature_shape()
            )));
        }
        Ok(classes)
    }

    /// Fits `trainer` on the labelled and pseudo-labelled examples; its
    /// evaluation on `val` afterwards.
    fn train_round<T, M, O, L, P, V>(
        &self,
        trainer: &mut Trainer<T, M, O>,
        labelled: &Arc<L>,
        pool: &Arc<P>,
        pseudo: &[(usize, usize)],
        val: Option<&DataLoader<T, V>>,
    ) -> Result<Option<Evaluation>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        L: Dataset<T> + 'static,
        P: Dataset<T> + 'static,
        V: Dataset<T> + 'static,
    {
        let train = DataLoader::try_new(
            WithPseudoLabels {
                labelled: labelled.clone(),
                pool: pool.clone(),
                pseudo: pseudo.into(),
            },
            LoaderConfig::new(self.batch_size).seed(self.seed),
        )?;
        trainer.fit(&train, val)?;
        val.map(|v| trainer.evaluate(v)).transpose()
    }
}
