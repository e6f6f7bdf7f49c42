//! [`Score`]: which number of a run's [`History`] ranks a configuration,
//! and at which epoch it is read.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::history::History;
use crate::trainer::Evaluation;

/// The epoch a fold's score is read at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScoreAt {
    /// The best epoch of the column (earliest on a tie, NaN skipped): what
    /// the run would give with early stopping that restores the best
    /// weights. Slightly optimistic, since the epoch is chosen on the same
    /// validation data; the retrain then uses the chosen epoch counts.
    BestEpoch,
    /// The last epoch: the score of the run exactly as configured.
    LastEpoch,
}

/// A history column to rank configurations by, which way is better, and
/// the epoch it is read at.
///
/// ```
/// use wengert_train::selection::{Score, ScoreAt};
/// use wengert_train::{EpochRecord, History};
///
/// let mut history = History::default();
/// for (epoch, accuracy) in [0.80, 0.90, 0.85].into_iter().enumerate() {
///     let mut record = EpochRecord { epoch: epoch + 1, ..Default::default() };
///     record.val_metrics.insert("accuracy".into(), accuracy);
///     history.epochs.push(record);
/// }
/// assert_eq!(Score::best("val_accuracy", true).read(&history)?, (2, 0.90));
/// assert_eq!(Score::last("val_accuracy", true).read(&history)?, (3, 0.85));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// A [`History::series`] column: `val_accuracy`, `val_loss`, ...
    pub column: String,
    /// True for accuracy-like scores, false for losses and errors.
    pub higher_is_better: bool,
    /// The epoch the score is read at.
    pub at: ScoreAt,
}

impl Score {
    /// `column` at its best epoch.
    pub fn best(column: impl Into<String>, higher_is_better: bool) -> Self {
        Score {
            column: column.into(),
            higher_is_better,
            at: ScoreAt::BestEpoch,
        }
    }

    /// `column` at the last epoch.
    pub fn last(column: impl Into<String>, higher_is_better: bool) -> Self {
        Score {
            column: column.into(),
            higher_is_better,
            at: ScoreAt::LastEpoch,
        }
    }

    /// The epoch (1-based) and value of the score in `history`. A column
    /// the history does not have, or an empty history, is an error naming
    /// the column; a column that is NaN at every epoch (a diverged run)
    /// scores NaN at the last epoch, which ranks below every number.
    pub fn read(&self, history: &History) -> Result<(usize, f64)> {
        let missing = || {
            TrainError::Selection {
            what: "Score",
            why: format!(
                "the history has no column `{}` (its metrics: {:?}); score by a validation column such as `val_loss` or `val_<metric>` of a metric the trainer has",
                self.column,
                history.metric_names()
            ),
        }
        };
        let values = history.series(&self.column).ok_or_else(missing)?;
        let last = history.epochs.last().ok_or_else(|| TrainError::Selection {
            what: "Score",
            why: format!("the history has no epoch to read `{}` from", self.column),
        })?;
        let last_value = *values.last().expect("one value per epoch");
        match self.at {
            ScoreAt::LastEpoch => Ok((last.epoch, last_value)),
            ScoreAt::BestEpoch => match history.best_epoch(&self.column, self.higher_is_better) {
                Some(best) => {
                    let i = history
                        .epochs
                        .iter()
                        .position(|e| std::ptr::eq(e, best))
                        .expect("the best epoch is one of the history's");
                    Ok((best.epoch, values[i]))
                }
                None => Ok((last.epoch, f64::NAN)),
            },
        }
    }

    /// The score's quantity in a one-off `evaluation` (of any data): the
    /// loss for `val_loss`, metric `m` for `val_m`. Used to measure the
    /// same quantity on a fold's training part; a column that names no
    /// validation quantity, or a metric the evaluation lacks, is an error
    /// naming it.
    ///
    /// ```
    /// use wengert_train::selection::Score;
    /// use wengert_train::Evaluation;
    ///
    /// let evaluation = Evaluation {
    ///     loss: 0.3,
    ///     metrics: [("mse".to_string(), 0.5)].into_iter().collect(),
    ///     examples: 10,
    /// };
    /// assert_eq!(Score::last("val_mse", false).read_evaluation(&evaluation)?, 0.5);
    /// assert_eq!(Score::best("val_loss", false).read_evaluation(&evaluation)?, 0.3);
    /// assert!(Score::last("val_accuracy", true).read_evaluation(&evaluation).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_evaluation(&self, evaluation: &Evaluation) -> Result<f64> {
        let value = match self.column.as_str() {
            "val_loss" => Some(evaluation.loss),
            column => column
                .strip_prefix("val_")
                .and_then(|metric| evaluation.metrics.get(metric))
                .copied(),
        };
        value.ok_or_else(|| TrainError::Selection {
            what: "Score",
            why: format!(
                "`{}` names no quantity of an evaluation (its loss and metrics: {:?}); scoring a training part needs `val_loss` or `val_<metric>`",
                self.column,
                evaluation.metrics.keys().collect::<Vec<_>>()
            ),
        })
    }

    /// True when score `a` is strictly better than `b`; NaN is worse than
    /// every number.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => false,
            (false, true) => true,
            _ if self.higher_is_better => a > b,
            _ => a < b,
        }
    }
}
