//! [`SealedTestSet`]: the test data, evaluated once.
//!
//! The text's rule: the test set estimates the error on unseen data only
//! if nothing was chosen by it. Models, hyperparameters and epochs are
//! chosen by validation or K-fold; the test set is looked at once, at the
//! end. The type enforces it: it is not a [`Dataset`](wengert_data::Dataset)
//! and gives no access to its examples, so no search, fold or loader can
//! take it, and its one evaluation spends it.

use std::fmt;

use wengert_data::{DataLoader, Dataset, LoaderConfig};
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::trainer::{Evaluation, Trainer};

/// Test data that can be evaluated once; a second evaluation is an error
/// that says why.
///
/// ```
/// use wengert_data::{embedded, Subset};
/// use wengert_nn::{Linear, Sequential};
/// use wengert_optim::SgdConfig;
/// use wengert_tensor::seeded_rng;
/// use wengert_train::selection::SealedTestSet;
/// use wengert_train::{CrossEntropyLoss, Trainer};
///
/// let digits = embedded::digits()?;
/// let mut test = SealedTestSet::new(Subset::new(digits, (0..100).collect()), 256);
/// let model = Sequential::new().with(Linear::new(64, 10, &mut seeded_rng(0)));
/// let trainer = Trainer::new(model, SgdConfig::new(0.1).build(), CrossEntropyLoss);
/// let evaluation = test.evaluate_once(&trainer)?;
/// assert_eq!(evaluation.examples, 100);
/// let again = test.evaluate_once(&trainer).unwrap_err();
/// assert!(again.to_string().contains("already evaluated once"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// It is no dataset, so a search cannot be given it:
///
/// ```compile_fail
/// use wengert_data::{embedded, Dataset};
/// use wengert_train::selection::SealedTestSet;
///
/// fn examples<D: Dataset<f32>>(data: &D) -> usize { data.len() }
/// let test = SealedTestSet::new(embedded::digits().unwrap(), 256);
/// examples(&test);
/// ```
pub struct SealedTestSet<T: Float, D> {
    loader: DataLoader<T, D>,
    examples: usize,
    /// The first evaluation, kept for the message of the refusal.
    spent: Option<Evaluation>,
}

impl<T: Float, D: Dataset<T> + 'static> SealedTestSet<T, D> {
    /// Seals `data`, to be evaluated in batches of `batch_size` (memory
    /// only: it changes no number). Panics on batch size 0, as
    /// [`DataLoader::new`] does.
    #[track_caller]
    pub fn new(data: D, batch_size: usize) -> Self {
        let examples = data.len();
        SealedTestSet {
            loader: DataLoader::new(data, LoaderConfig::new(batch_size).shuffle(false)),
            examples,
            spent: None,
        }
    }

    /// Loss and metrics of `trainer`'s model on the test data (with the
    /// trainer's loss and metrics, in inference mode), the first time; an
    /// error every later time ([`TrainError::TestSetSpent`]).
    pub fn evaluate_once<M: Module<T>, O: Optimizer<T>>(
        &mut self,
        trainer: &Trainer<T, M, O>,
    ) -> Result<Evaluation> {
        if let Some(first) = &self.spent {
            return Err(TrainError::TestSetSpent {
                first: describe(first),
            });
        }
        let evaluation = trainer.evaluate(&self.loader)?;
        self.spent = Some(evaluation.clone());
        Ok(evaluation)
    }

    /// The test evaluation of several final models in one look, which
    /// spends the set as [`SealedTestSet::evaluate_once`] does.
    ///
    /// For comparing selection procedures (a validation split against
    /// K-fold, say): each procedure chose and retrained its model without
    /// the test set, and each final model is evaluated once. Evaluating
    /// them one by one would need the set unsealed between looks, which is
    /// the opening a search could slip through; here nothing can be chosen
    /// by one number before the others are taken. The evaluations come in
    /// the order of `trainers`; no model at all is an error.
    ///
    /// ```
    /// use wengert_data::{embedded, Subset};
    /// use wengert_nn::{Linear, Sequential};
    /// use wengert_optim::SgdConfig;
    /// use wengert_tensor::seeded_rng;
    /// use wengert_train::selection::SealedTestSet;
    /// use wengert_train::{CrossEntropyLoss, Trainer};
    ///
    /// let digits = embedded::digits()?;
    /// let mut test = SealedTestSet::new(Subset::new(digits, (0..100).collect()), 256);
    /// let model = |seed| Sequential::new().with(Linear::new(64, 10, &mut seeded_rng(seed)));
    /// let a = Trainer::new(model(0), SgdConfig::new(0.1).build(), CrossEntropyLoss);
    /// let b = Trainer::new(model(1), SgdConfig::new(0.1).build(), CrossEntropyLoss);
    /// let evaluations = test.evaluate_once_each(&[&a, &b])?;
    /// assert_eq!(evaluations.len(), 2);
    /// assert!(test.is_spent());
    /// assert!(test.evaluate_once(&a).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_once_each<M: Module<T>, O: Optimizer<T>>(
        &mut self,
        trainers: &[&Trainer<T, M, O>],
    ) -> Result<Vec<Evaluation>> {
        if let Some(first) = &self.spent {
            return Err(TrainError::TestSetSpent {
                first: describe(first),
            });
        }
        if trainers.is_empty() {
            return Err(TrainError::Selection {
                what: "SealedTestSet",
                why: "evaluate_once_each was given no model; the test set stays sealed".into(),
            });
        }
        let evaluations = trainers
            .iter()
            .map(|trainer| trainer.evaluate(&self.loader))
            .collect::<Result<Vec<_>>>()?;
        self.spent = Some(evaluations[0].clone());
        Ok(evaluations)
    }
}

impl<T: Float, D> SealedTestSet<T, D> {
    /// How many test examples there are (their number only).
    pub fn len(&self) -> usize {
        self.examples
    }

    /// True when there is no test example.
    pub fn is_empty(&self) -> bool {
        self.examples == 0
    }

    /// True once the test set was evaluated.
    pub fn is_spent(&self) -> bool {
        self.spent.is_some()
    }
}

impl<T: Float, D> fmt::Debug for SealedTestSet<T, D> {
    /// The size and whether it is spent; never the data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedTestSet")
            .field("examples", &self.examples)
            .field("spent", &self.is_spent())
            .finish()
    }
}

/// `loss 0.31, accuracy 0.9` for messages.
pub(crate) fn describe(evaluation: &Evaluation) -> String {
    let mut text = format!(
        "{} examples, loss {:.4}",
        evaluation.examples, evaluation.loss
    );
    for (name, value) in &evaluation.metrics {
        text.push_str(&format!(", {name} {value:.4}"));
    }
    text
}
