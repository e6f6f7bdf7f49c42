//! Accuracy and top-k accuracy of `[N, C]` logits against class targets.
//!
//! Both count, for each example, whether its true class is among the `k`
//! highest-ranked classes of its row (`k = 1` for accuracy). The ranking is
//! PyTorch's sort order, made deterministic:
//!
//! - a higher score ranks higher, and NaN ranks above every number (as in
//!   `torch.sort(descending=True)` and `torch.argmax`);
//! - among equal scores the lower class index ranks higher. This is
//!   `torch.sort(x, dim=1, descending=True, stable=True).indices[:, :k]`,
//!   and `torch.argmax`'s rule (the first maximal index), so
//!   `top1_accuracy == accuracy` always. `torch.topk` agrees whenever the
//!   k-th and (k+1)-th scores differ; on a tie across that boundary its
//!   docs leave the chosen index unspecified (on CPU it may pick a later
//!   index), so the usual `output.topk(k).indices.eq(target)` recipe can
//!   give another count there, and only there.
//!
//! The true class comes from `Targets::Classes`, or from the argmax (first
//! maximal index) of each row of `Targets::Probabilities`. Regression
//! targets cannot be scored and are an error.

use std::borrow::Cow;

use wengert_data::Targets;
use wengert_tensor::{Float, Tensor};

use super::{metric_error, ratio, two_number_state, Metric};
use crate::error::Result;

/// Fraction of examples whose highest-scoring class is the true class.
///
/// The prediction is the argmax of each row of the `[N, C]` logits, the
/// first maximal index on ties, NaN counting as the maximum
/// (`torch.argmax`). PyTorch: `(output.argmax(1) == target).float().mean()`
/// over the epoch's examples. Targets may be class indices or class
/// probabilities (scored by their argmax, what Mixup-trained models report).
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::Tensor;
/// use wengert_train::{Accuracy, Metric};
///
/// let mut accuracy = Accuracy::new();
/// // Row 0 predicts class 1 (right), row 1 ties 0 and 2 and predicts 0 (wrong).
/// let logits = Tensor::from_vec(vec![0.1f64, 0.7, 0.2, 0.5, 0.0, 0.5], &[2, 3]);
/// accuracy.update(&logits, &Targets::Classes(vec![1, 2])).unwrap();
/// assert_eq!(accuracy.value(), 0.5);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accuracy {
    correct: u64,
    seen: u64,
}

impl Accuracy {
    /// An accuracy that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `"accuracy"`.
    pub fn name(&self) -> String {
        "accuracy".to_string()
    }

    /// Forgets every example seen.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Counts the examples of one batch; see [`Metric::update`].
    pub fn update<T: Float>(&mut self, output: &Tensor<T>, targets: &Targets<T>) -> Result<()> {
        let (correct, seen) = count_in_top_k("accuracy", output, targets, 1)?;
        self.correct += correct;
        self.seen += seen;
        Ok(())
    }

    /// Correct examples over examples seen; NaN before the first example.
    pub fn value(&self) -> f64 {
        ratio(self.correct as f64, self.seen)
    }

    /// True: more correct examples is better.
    pub fn higher_is_better(&self) -> bool {
        true
    }

    /// Examples whose prediction was right.
    pub fn correct(&self) -> u64 {
        self.correct
    }

    /// Examples seen since the last reset.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// `[correct, seen]`; see [`Metric::state`].
    pub fn state(&self) -> Vec<f64> {
        vec![self.correct as f64, self.seen as f64]
    }

    /// Restores [`Accuracy::state`].
    pub fn set_state(&mut self, state: &[f64]) -> Result<()> {
        (self.correct, self.seen) = count_state(&self.name(), state)?;
        Ok(())
    }
}

/// Fraction of examples whose true class is among the `k` highest-scoring
/// classes; named `top{k}_accuracy` in the history.
///
/// Ties are ranked by class index, lower first (NaN above every number):
/// the stable descending sort, so the result is deterministic and
/// `TopKAccuracy::new(1)` equals [`Accuracy`]; see the module docs for
/// where this can differ from `torch.topk`, which leaves ties unspecified.
/// `k` larger than the number of classes is an error, as in `torch.topk`.
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::Tensor;
/// use wengert_train::{Metric, TopKAccuracy};
///
/// let mut top2 = TopKAccuracy::new(2);
/// // Scores 0.1, 0.5, 0.4: the top two are classes 1 and 2.
/// let logits = Tensor::from_vec(vec![0.1f32, 0.5, 0.4], &[1, 3]);
/// top2.update(&logits, &Targets::Classes(vec![2])).unwrap();
/// assert_eq!(top2.value(), 1.0);
/// assert_eq!(top2.name(), "top2_accuracy");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopKAccuracy {
    k: usize,
    correct: u64,
    seen: u64,
}

impl TopKAccuracy {
    /// Top-`k` accuracy that has seen nothing yet.
    ///
    /// Panics if `k` is zero (no class would ever count).
    #[track_caller]
    pub fn new(k: usize) -> Self {
        assert!(k > 0, "TopKAccuracy::new: k must be at least 1, got 0");
        Self {
            k,
            correct: 0,
            seen: 0,
        }
    }

    /// The `k` it was made with.
    pub fn k(&self) -> usize {
        self.k
    }

    /// `"top{k}_accuracy"`.
    pub fn name(&self) -> String {
        format!("top{}_accuracy", self.k)
    }

    /// Forgets every example seen.
    pub fn reset(&mut self) {
        self.correct = 0;
        self.seen = 0;
    }

    /// Counts the examples of one batch; see [`Metric::update`].
    pub fn update<T: Float>(&mut self, output: &Tensor<T>, targets: &Targets<T>) -> Result<()> {
        let (correct, seen) = count_in_top_k(&self.name(), output, targets, self.k)?;
        self.correct += correct;
        self.seen += seen;
        Ok(())
    }

    /// Examples with the true class in the top k, over examples seen; NaN
    /// before the first example.
    pub fn value(&self) -> f64 {
        ratio(self.correct as f64, self.seen)
    }

    /// True: more correct examples is better.
    pub fn higher_is_better(&self) -> bool {
        true
    }

    /// `[correct, seen]` (`k` is a setting, not state); see
    /// [`Metric::state`].
    pub fn state(&self) -> Vec<f64> {
        vec![self.correct as f64, self.seen as f64]
    }

    /// Restores [`TopKAccuracy::state`].
    pub fn set_state(&mut self, state: &[f64]) -> Result<()> {
        (self.correct, self.seen) = count_state(&self.name(), state)?;
        Ok(())
    }
}

/// `[correct, seen]` with whole counts and `correct <= seen`.
fn count_state(metric: &str, state: &[f64]) -> Result<(u64, u64)> {
    let (correct, seen) = two_number_state(metric, state)?;
    if correct < 0.0 || correct.fract() != 0.0 || correct > seen as f64 {
        return Err(metric_error(
            metric,
            format!(
                "expected a saved state [correct, seen] with 0 <= correct <= seen, found {state:?}"
            ),
        ));
    }
    Ok((correct as u64, seen))
}

/// The trait impl of a metric that has the same methods inherently (so a
/// concrete metric needs no type annotation to call `value()`).
macro_rules! delegate_metric {
    ($metric:ty) => {
        impl<T: Float> Metric<T> for $metric {
            fn name(&self) -> String {
                <$metric>::name(self)
            }
            fn reset(&mut self) {
                <$metric>::reset(self)
            }
            fn update(&mut self, output: &Tensor<T>, targets: &Targets<T>) -> Result<()> {
                <$metric>::update(self, output, targets)
            }
            fn value(&self) -> f64 {
                <$metric>::value(self)
            }
            fn higher_is_better(&self) -> bool {
                <$metric>::higher_is_better(self)
            }
            fn fresh(&self) -> Box<dyn Metric<T>> {
                let mut fresh = self.clone();
                <$metric>::reset(&mut fresh);
                Box::new(fresh)
            }
            fn state(&self) -> Vec<f64> {
                <$metric>::state(self)
            }
            fn set_state(&mut self, state: &[f64]) -> Result<()> {
                <$metric>::set_state(self, state)
            }
        }
    };
}
pub(super) use delegate_metric;

delegate_metric!(Accuracy);
delegate_metric!(TopKAccuracy);

/// Accuracy of one batch on its own: correct examples over examples, NaN for
/// an empty batch. Same rules and errors as [`Accuracy`].
pub fn accuracy<T: Float>(output: &Tensor<T>, targets: &Targets<T>) -> Result<f64> {
    let (correct, seen) = count_in_top_k("accuracy", output, targets, 1)?;
    Ok(ratio(correct as f64, seen))
}

/// Top-`k` accuracy of one batch on its own. Same rules and errors as
/// [`TopKAccuracy`] (a zero `k` is an error here, not a panic).
pub fn top_k_accuracy<T: Float>(output: &Tensor<T>, targets: &Targets<T>, k: usize) -> Result<f64> {
    let name = format!("top{k}_accuracy");
    if k == 0 {
        return Err(metric_error(&name, "k must be at least 1, got 0".into()));
    }
    let (correct, seen) = count_in_top_k(&name, output, targets, k)?;
    Ok(ratio(correct as f64, seen))
}

/// Whether score `a` of class `ia` ranks above score `b` of class `ib`:
/// higher first, NaN above every number, equal scores by lower index.
fn ranks_above<T: Float>(a: T, ia: usize, b: T, ib: usize) -> bool {
    match (a.is_nan(), b.is_nan()) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => ia < ib,
        // -0.0 == 0.0 is a tie, as in torch.sort.
        (false, false) => a > b || (a == b && ia < ib),
    }
}

/// The first maximal index of `row` (NaN counting as the maximum).
pub(super) fn argmax<T: Float>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate().skip(1) {
        if ranks_above(x, i, row[best], best) {
            best = i;
        }
    }
    best
}

/// `[N, C]` of a classification output, or the error naming both shapes.
pub(super) fn logits_shape<T: Float>(
    metric: &str,
    output: &Tensor<T>,
    targets: &Targets<T>,
) -> Result<(usize, usize)> {
    match output.shape() {
        &[n, c] => Ok((n, c)),
        other => Err(metric_error(
            metric,
            format!(
                "expected an output of shape [N, C] (one row of class scores per example), found {other:?}; targets {}",
                describe_targets(targets)
            ),
        )),
    }
}

/// The true class of each of the `n` examples of an `[n, c]` output: the
/// class targets, or the argmax of each row of class probabilities.
pub(super) fn true_classes<'a, T: Float>(
    metric: &str,
    output: &Tensor<T>,
    targets: &'a Targets<T>,
) -> Result<Cow<'a, [usize]>> {
    let (n, c) = logits_shape(metric, output, targets)?;
    let shape = output.shape();
    if c == 0 && n > 0 {
        return Err(metric_error(
            metric,
            format!("output {shape:?} has no classes"),
        ));
    }
    match targets {
        Targets::Classes(classes) => {
            if classes.len() != n {
                return Err(metric_error(
                    metric,
                    format!(
                        "output {shape:?} has {n} rows but the targets are {} class indices ([{}])",
                        classes.len(),
                        classes.len()
                    ),
                ));
            }
            if let Some((i, &class)) = classes.iter().enumerate().find(|&(_, &class)| class >= c) {
                return Err(metric_error(
                    metric,
                    format!(
                        "target class {class} of example {i} is out of range for output {shape:?} ({c} classes)"
                    ),
                ));
            }
            Ok(Cow::Borrowed(classes))
        }
        Targets::Probabilities(p) => {
            if p.shape() != shape {
                return Err(metric_error(
                    metric,
                    format!(
                        "class-probability targets {:?} do not match output {shape:?}; expected both [N, C]",
                        p.shape()
                    ),
                ));
            }
            let values = p.values();
            Ok(Cow::Owned(values.chunks_exact(c.max(1)).map(argmax).collect()))
        }
        Targets::Values(v) => Err(metric_error(
            metric,
            format!(
                "cannot score regression targets {:?} (output {shape:?}); expected class indices or class probabilities",
                v.shape()
            ),
        )),
    }
}

/// `(examples whose true class ranks in the top k, examples)` of one batch.
fn count_in_top_k<T: Float>(
    metric: &str,
    output: &Tensor<T>,
    targets: &Targets<T>,
    k: usize,
) -> Result<(u64, u64)> {
    let (n, c) = logits_shape(metric, output, targets)?;
    if k > c {
        let why = if c == 0 {
            format!("output {:?} has no classes", output.shape())
        } else {
            format!(
                "k = {k} is more than the {c} classes of output {:?} (torch.topk refuses it too)",
                output.shape()
            )
        };
        return Err(metric_error(metric, why));
    }
    let truth = true_classes(metric, output, targets)?;
    let scores = output.values();
    let mut correct = 0;
    for (row, &t) in scores.chunks_exact(c).take(n).zip(truth.iter()) {
        // The true class is in the top k when fewer than k classes rank above it.
        let above = row
            .iter()
            .enumerate()
            .filter(|&(j, &x)| ranks_above(x, j, row[t], t))
            .count();
        if above < k {
            correct += 1;
        }
    }
    Ok((correct, n as u64))
}

/// The targets' kind and shape, for messages.
pub(super) fn describe_targets<T: Float>(targets: &Targets<T>) -> String {
    match targets {
        Targets::Classes(c) => format!("[{}] (class indices)", c.len()),
        Targets::Values(v) => format!("{:?} (regression values)", v.shape()),
        Targets::Probabilities(p) => format!("{:?} (class probabilities)", p.shape()),
    }
}
