//! The confusion matrix: how often each true class was predicted as each
//! class.

use std::fmt;

use wengert_data::Targets;
use wengert_tensor::{Float, Tensor};

use super::classification::{argmax, logits_shape, true_classes};
use super::metric_error;
use crate::error::Result;

/// Counts of (true class, predicted class) pairs over the batches since the
/// last reset: rows are true classes, columns predicted classes.
///
/// The prediction is the argmax of each row of the `[N, C]` logits, with
/// [`Accuracy`](crate::Accuracy)'s tie rule (first maximal index, NaN
/// counting as the maximum), so [`ConfusionMatrix::accuracy`] equals
/// `Accuracy` on the same batches. Not a scalar [`Metric`](crate::Metric):
/// it answers which classes are confused with which, what one number
/// cannot. `sklearn.metrics.confusion_matrix(y_true, y_pred)` has the same
/// layout.
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::Tensor;
/// use wengert_train::ConfusionMatrix;
///
/// let mut cm = ConfusionMatrix::new(2);
/// // Predictions 0, 1, 1 for true classes 0, 0, 1.
/// let logits = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 0.0, 1.0], &[3, 2]);
/// cm.update(&logits, &Targets::Classes(vec![0, 0, 1])).unwrap();
/// assert_eq!(cm.matrix(), vec![vec![1, 1], vec![0, 1]]);
/// assert_eq!(cm.per_class_recall(), vec![0.5, 1.0]);
/// assert_eq!(cm.per_class_precision(), vec![1.0, 0.5]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// Row-major `classes x classes` counts.
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Forgets every example counted.
    pub fn reset(&mut self) {
        self.counts.fill(0);
    }

    /// Counts one batch: `output` is `[N, classes]` logits, `targets` class
    /// indices or class probabilities (scored by their argmax).
    pub fn update<T: Float>(&mut self, output: &Tensor<T>, targets: &Targets<T>) -> Result<()> {
        let (n, c) = logits_shape("confusion_matrix", output, targets)?;
        if c != self.classes {
            return Err(metric_error(
                "confusion_matrix",
                format!(
                    "output {:?} has {c} classes, the matrix {}",
                    output.shape(),
                    self.classes
                ),
            ));
        }
        let truth = true_classes("confusion_matrix", output, targets)?;
        if n == 0 {
            return Ok(());
        }
        let scores = output.values();
        for (row, &t) in scores.chunks_exact(c).zip(truth.iter()) {
            self.counts[t * c + argmax(row)] += 1;
        }
        Ok(())
    }

    /// Counts one batch given as true and predicted class indices.
    pub fn update_classes(&mut self, truth: &[usize], predicted: &[usize]) -> Result<()> {
        if truth.len() != predicted.len() {
            return Err(metric_error(
                "confusion_matrix",
                format!(
                    "{} true classes but {} predicted classes",
                    truth.len(),
                    predicted.len()
                ),
            ));
        }
        let c = self.classes;
        if let Some((i, (t, p))) = truth
            .iter()
            .zip(predicted)
            .enumerate()
            .find(|&(_, (&t, &p))| t >= c || p >= c)
        {
            return Err(metric_error(
                "confusion_matrix",
                format!("example {i}: true class {t}, predicted class {p}, out of range for {c} classes"),
            ));
        }
        for (&t, &p) in truth.iter().zip(predicted) {
            self.counts[t * c + p] += 1;
        }
        Ok(())
    }

    /// The counts: `matrix()[true_class][predicted_class]`.
    pub fn matrix(&self) -> Vec<Vec<u64>> {
        self.counts
            .chunks(self.classes.max(1))
            .take(self.classes)
            .map(<[u64]>::to_vec)
            .collect()
    }

    /// Examples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// For each class, the fraction of its examples predicted as it (the
    /// diagonal over the row sum); NaN for a class with no examples.
    pub fn per_class_recall(&self) -> Vec<f64> {
        (0..self.classes)
            .map(|i| self.fraction(self.count(i, i), self.row_sum(i)))
            .collect()
    }

    /// For each class, the fraction of the examples predicted as it that
    /// really are it (the diagonal over the column sum); NaN for a class
    /// never predicted.
    pub fn per_class_precision(&self) -> Vec<f64> {
        (0..self.classes)
            .map(|j| self.fraction(self.count(j, j), self.column_sum(j)))
            .collect()
    }

    /// Correct examples over all examples (the trace over the total); NaN
    /// when nothing was counted.
    pub fn accuracy(&self) -> f64 {
        let trace = (0..self.classes).map(|i| self.count(i, i)).sum();
        self.fraction(trace, self.total())
    }

    fn count(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    fn row_sum(&self, truth: usize) -> u64 {
        (0..self.classes).map(|j| self.count(truth, j)).sum()
    }

    fn column_sum(&self, predicted: usize) -> u64 {
        (0..self.classes).map(|i| self.count(i, predicted)).sum()
    }

    fn fraction(&self, part: u64, whole: u64) -> f64 {
        super::ratio(part as f64, whole)
    }
}

/// A table with a row per true class, a column per predicted class, recall
/// at the end of each row and precision under each column:
///
/// ```text
/// true\pred      0      1  recall
///         0      1      1   0.500
///         1      0      1   1.000
/// precision  1.000  0.500
/// ```
impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let largest = self.counts.iter().copied().max().unwrap_or(0);
        let label = format!("{}", self.classes.saturating_sub(1));
        // Wide enough for every count, class label and "0.500".
        let width = [largest.to_string().len(), label.len(), 5]
            .into_iter()
            .max()
            .unwrap_or(5);
        let recall = self.per_class_recall();
        let precision = self.per_class_precision();
        write!(f, "{:>9}", "true\\pred")?;
        for j in 0..self.classes {
            write!(f, "  {j:>width$}")?;
        }
        writeln!(f, "  recall")?;
        for (i, recall) in recall.iter().enumerate() {
            write!(f, "{i:>9}")?;
            for j in 0..self.classes {
                write!(f, "  {:>width$}", self.count(i, j))?;
            }
            writeln!(f, "  {:>6}", format_fraction(*recall))?;
        }
        write!(f, "{:>9}", "precision")?;
        for p in &precision {
            write!(f, "  {:>width$}", format_fraction(*p))?;
        }
        writeln!(f)
    }
}

/// Three decimals, or `-` for an undefined fraction.
fn format_fraction(x: f64) -> String {
    if x.is_nan() {
        "-".to_string()
    } else {
        format!("{x:.3}")
    }
}
