//! [`SweepReport`]: every configuration with its fold scores, their mean
//! and spread, the choice, and a markdown table to print. The same report
//! comes from a sweep run in one process and from merged job results.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::selection::config::Config;
use crate::selection::cross_validate::CvResult;
use crate::selection::score::{Score, ScoreAt};
use crate::selection::sealed::describe;
use crate::trainer::Evaluation;

/// One configuration's cross-validation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// The configuration's index in the sweep.
    pub index: usize,
    /// The configuration.
    pub config: Config,
    /// Its folds, mean and standard deviation.
    pub cv: CvResult,
}

/// The result of a sweep: the score it ranks by and every configuration,
/// in sweep order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// What ranks the configurations.
    pub score: Score,
    /// Every configuration, in sweep order.
    pub results: Vec<ConfigResult>,
}

impl SweepReport {
    /// The configurations from best mean score to worst; a NaN mean comes
    /// last, and equal means keep sweep order.
    pub fn ranked(&self) -> Vec<&ConfigResult> {
        let mut ranked: Vec<&ConfigResult> = self.results.iter().collect();
        ranked.sort_by(|a, b| {
            let (x, y) = (a.cv.mean, b.cv.mean);
            if self.score.better(x, y) {
                std::cmp::Ordering::Less
            } else if self.score.better(y, x) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        ranked
    }

    /// The configuration with the best mean score (the first in sweep
    /// order on a tie). An error when every mean is NaN (every run
    /// diverged): there is nothing to choose.
    pub fn best(&self) -> Result<&ConfigResult> {
        self.ranked()
            .into_iter()
            .next()
            .filter(|best| !best.cv.mean.is_nan())
            .ok_or_else(|| TrainError::Selection {
                what: "SweepReport",
                why: format!(
                    "no configuration has a finite mean `{}` over its folds ({} configurations); nothing to choose",
                    self.score.column,
                    self.results.len()
                ),
            })
    }

    /// The report as pretty JSON (floats written to read back bitwise).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| TrainError::Selection {
            what: "SweepReport",
            why: format!("cannot be written as JSON: {e}"),
        })
    }

    /// A markdown report: one table row per configuration, best first,
    /// with the mean, the sample standard deviation and every fold's score;
    /// then the chosen configuration with its retrain epochs, and the one
    /// test evaluation when given.
    pub fn to_markdown(&self, test: Option<&Evaluation>) -> String {
        let folds = self.results.first().map_or(0, |r| r.cv.folds.len());
        let at = match self.score.at {
            ScoreAt::BestEpoch => "at each fold's best epoch",
            ScoreAt::LastEpoch => "at the last epoch",
        };
        let direction = if self.score.higher_is_better {
            "higher is better"
        } else {
            "lower is better"
        };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Configurations by mean `{}` {at} over {folds} fold(s) ({direction}); std is the sample standard deviation (n - 1).\n",
            self.score.column
        );
        text.push_str("| rank | configuration | mean | std | per fold |\n");
        text.push_str("|---:|---|---:|---:|---|\n");
        for (rank, result) in self.ranked().into_iter().enumerate() {
            let per_fold: Vec<String> = result
                .cv
                .scores()
                .iter()
                .map(|s| format!("{s:.4}"))
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} | {:.4} | {} | {} |",
                rank + 1,
                result.config,
                result.cv.mean,
                format_std(result.cv.std),
                per_fold.join(", ")
            );
        }
        text.push('\n');
        match self.best() {
            Ok(best) => {
                let _ = writeln!(
                    text,
                    "Chosen: {} (mean {:.4}, std {}); retrained on all training data for {} epoch(s).",
                    best.config,
                    best.cv.mean,
                    format_std(best.cv.std),
                    best.cv.retrain_epochs()
                );
            }
            Err(e) => {
                let _ = writeln!(text, "Chosen: none ({e}).");
            }
        }
        match test {
            Some(evaluation) => {
                let _ = writeln!(text, "Test set (evaluated once): {}.", describe(evaluation));
            }
            None => text.push_str("Test set: not evaluated.\n"),
        }
        text
    }
}

fn format_std(std: Option<f64>) -> String {
    std.map_or_else(|| "n/a".to_string(), |s| format!("{s:.4}"))
}
