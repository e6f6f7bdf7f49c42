//! Mean squared and mean absolute error against regression targets.
//!
//! Both are means over every element of every batch since the reset (not
//! means of batch means, which would weigh a short last batch like a full
//! one). Each squared or absolute difference is formed in f64 and added to
//! one f64 sum in batch order, element by element, so splitting the data
//! into batches does not change a single bit of the value: ten batches of
//! ten give exactly what one batch of a hundred gives.
//!
//! Shapes: the output must have the targets' shape (`[N, K]`), except that
//! `[N]` and `[N, 1]` are taken for each other (a model with one output
//! unit against a one-column target). Nothing else is broadcast: PyTorch's
//! `mse_loss` broadcasts `[N]` against `[N, 1]` into `[N, N]` with only a
//! warning, a classic silent bug.

use wengert_data::Targets;
use wengert_tensor::{Float, Tensor};

use super::classification::{delegate_metric, describe_targets};
use super::{metric_error, ratio, two_number_state, Metric};
use crate::error::Result;

/// Mean squared error `mean((output - target)^2)` over the epoch's elements.
///
/// PyTorch: `F.mse_loss(output, target, reduction="sum")` summed over the
/// epoch, divided by the number of elements.
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::Tensor;
/// use wengert_train::{Metric, Mse};
///
/// let mut mse = Mse::new();
/// let output = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3, 1]);
/// let target = Tensor::from_vec(vec![1.0, 0.0, 4.0], &[3, 1]);
/// mse.update(&output, &Targets::Values(target)).unwrap();
/// assert_eq!(mse.value(), (0.0 + 4.0 + 1.0) / 3.0);
/// assert!(!mse.higher_is_better());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mse {
    sum: f64,
    count: u64,
}

/// Mean absolute error `mean(|output - target|)` over the epoch's elements.
///
/// PyTorch: `F.l1_loss(output, target, reduction="sum")` summed over the
/// epoch, divided by the number of elements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mae {
    sum: f64,
    count: u64,
}

/// The inherent methods of `Mse` and `Mae`, which differ in name and in the
/// per-element error.
macro_rules! mean_error_metric {
    ($metric:ident, $name:literal, $error:expr) => {
        impl $metric {
            /// A metric that has seen nothing yet.
            pub fn new() -> Self {
                Self::default()
            }

            #[doc = concat!("`\"", $name, "\"`.")]
            pub fn name(&self) -> String {
                $name.to_string()
            }

            /// Forgets every element seen.
            pub fn reset(&mut self) {
                *self = Self::default();
            }

            /// Adds one batch's errors; see [`Metric::update`].
            pub fn update<T: Float>(
                &mut self,
                output: &Tensor<T>,
                targets: &Targets<T>,
            ) -> Result<()> {
                let (sum, count) = sum_errors($name, output, targets, self.sum, $error)?;
                self.sum = sum;
                self.count += count;
                Ok(())
            }

            /// The sum of errors over the elements seen; NaN before the first
            /// element.
            pub fn value(&self) -> f64 {
                ratio(self.sum, self.count)
            }

            /// False: a smaller error is better.
            pub fn higher_is_better(&self) -> bool {
                false
            }

            /// Elements seen since the last reset.
            pub fn count(&self) -> u64 {
                self.count
            }

            /// `[sum of errors, elements]`; see [`Metric::state`].
            pub fn state(&self) -> Vec<f64> {
                vec![self.sum, self.count as f64]
            }

            /// Restores the state of `state()`.
            pub fn set_state(&mut self, state: &[f64]) -> Result<()> {
                (self.sum, self.count) = two_number_state($name, state)?;
                Ok(())
            }
        }

        delegate_metric!($metric);
    };
}

mean_error_metric!(Mse, "mse", |d: f64| d * d);
mean_error_metric!(Mae, "mae", |d: f64| d.abs());

/// Mean squared error of one batch on its own (NaN for an empty batch).
/// Same rules and errors as [`Mse`].
pub fn mse<T: Float>(output: &Tensor<T>, targets: &Targets<T>) -> Result<f64> {
    let (sum, count) = sum_errors("mse", output, targets, 0.0, |d| d * d)?;
    Ok(ratio(sum, count))
}

/// Mean absolute error of one batch on its own (NaN for an empty batch).
/// Same rules and errors as [`Mae`].
pub fn mae<T: Float>(output: &Tensor<T>, targets: &Targets<T>) -> Result<f64> {
    let (sum, count) = sum_errors("mae", output, targets, 0.0, |d| d.abs())?;
    Ok(ratio(sum, count))
}

/// Adds `error(output - target)` of every element to `sum`, in row-major
/// order, returning the new sum and the number of elements.
fn sum_errors<T: Float>(
    metric: &str,
    output: &Tensor<T>,
    targets: &Targets<T>,
    mut sum: f64,
    error: impl Fn(f64) -> f64,
) -> Result<(f64, u64)> {
    let target = match targets {
        Targets::Values(v) => v,
        other => {
            return Err(metric_error(
                metric,
                format!(
                    "cannot score targets {} against output {:?}; expected regression values (Targets::Values)",
                    describe_targets(other),
                    output.shape()
                ),
            ))
        }
    };
    let (o, t) = (output.shape(), target.shape());
    let fits = o == t || matches!((o, t), (&[n], &[m, 1]) | (&[n, 1], &[m]) if n == m);
    if !fits {
        return Err(metric_error(
            metric,
            format!(
                "output {o:?} does not match regression targets {t:?}; expected equal shapes ([N] and [N, 1] count as equal)"
            ),
        ));
    }
    let (o, t) = (output.values(), target.values());
    for (&y, &y_true) in o.iter().zip(t.iter()) {
        sum += error(y.to_f64() - y_true.to_f64());
    }
    Ok((sum, o.len() as u64))
}
