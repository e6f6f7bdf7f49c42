//! What the trainer minimises: a [`Loss`] turns a batch's model output and
//! targets into the batch's **mean** loss per example. Being a mean is what
//! lets the trainer weigh micro-batches by their size when it accumulates
//! gradients, so an accumulated step applies the full batch's gradient.

use wengert_data::Targets;
use wengert_nn::loss::{
    try_cross_entropy, try_cross_entropy_probs, try_cross_entropy_with, try_l1_loss, try_mse_loss,
    CrossEntropyOptions, Reduction,
};
use wengert_tensor::{Float, Tensor, Var};

use crate::error::{Result, TrainError};

/// A training objective: the mean loss of one batch.
///
/// Closures and functions work too: `fn(Var, &Targets<T>) ->
/// Result<Var>`, for anything the ready losses do not cover (the text's
/// `1/2` squared error, say). A term on the parameters is not a loss: see
/// [`Penalty`](crate::Penalty).
///
/// ```
/// use wengert_data::Targets;
/// use wengert_tensor::{Tape, Tensor};
/// use wengert_train::{CrossEntropyLoss, Loss};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::zeros(&[2, 4])); // uniform over 4 classes
/// let loss = CrossEntropyLoss.loss(logits, &Targets::Classes(vec![0, 3])).unwrap();
/// assert!((loss.item() - 4f64.ln()).abs() < 1e-15);
/// ```
pub trait Loss<T: Float>: Send + Sync {
    /// A short name for messages (`cross_entropy`, `mse`).
    fn name(&self) -> &'static str;

    /// The mean loss over the batch's examples, as a scalar `Var`.
    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>>;
}

/// Softmax cross-entropy of logits `[N, C]`: with class targets, the fused
/// op (one pass forward, one backward, twice differentiable); with class
/// probabilities (from mixup, say), `-mean_i sum_c p_ic log_softmax(z)_ic`
/// (wengert-nn's `cross_entropy_probs`).
/// PyTorch: `nn.CrossEntropyLoss()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossEntropyLoss;

impl<T: Float> Loss<T> for CrossEntropyLoss {
    fn name(&self) -> &'static str {
        "cross_entropy"
    }

    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
        match targets {
            Targets::Classes(classes) => {
                if output.ndim() == 2 {
                    Ok(output.try_cross_entropy_with_logits(classes)?)
                } else {
                    Ok(try_cross_entropy(output, classes, Reduction::Mean)?)
                }
            }
            Targets::Probabilities(p) => probabilities_loss(output, p, &CrossEntropyOptions::new()),
            Targets::Values(_) => Err(TrainError::Config {
                what: "CrossEntropyLoss",
                why: "regression targets (values) need a regression loss such as MseLoss".into(),
            }),
        }
    }
}

/// Cross-entropy of logits against class probabilities of their shape
/// (soft labels), with `options`: the one path both cross-entropies take.
fn probabilities_loss<'t, T: Float>(
    output: Var<'t, T>,
    p: &Tensor<T>,
    options: &CrossEntropyOptions<T>,
) -> Result<Var<'t, T>> {
    if p.shape() != output.shape().as_slice() {
        return Err(mismatch("cross_entropy", &output.shape(), p.shape()));
    }
    let p = output.tape().constant(p.clone());
    Ok(try_cross_entropy_probs(output, p, options)?)
}

impl CrossEntropyLoss {
    /// Cross-entropy with PyTorch's options (per-class `weight`,
    /// `ignore_index`, `label_smoothing`): what
    /// `nn.CrossEntropyLoss(label_smoothing=0.1)` is in a PyTorch loop.
    /// The trainer needs a mean, so the options' reduction must stay
    /// [`Reduction::Mean`] (anything else is refused at the first batch);
    /// with `weight` it is PyTorch's weighted mean.
    ///
    /// ```
    /// use wengert_data::Targets;
    /// use wengert_nn::loss::CrossEntropyOptions;
    /// use wengert_tensor::{Tape, Tensor};
    /// use wengert_train::{CrossEntropyLoss, Loss};
    /// let smoothed = CrossEntropyLoss::with(CrossEntropyOptions::new().label_smoothing(0.1));
    /// let tape = Tape::<f64>::new();
    /// // Logits that put all the mass on the right class: the plain loss is
    /// // near 0, the smoothed one is not (0.1 of the target is spread out).
    /// let logits = tape.var(Tensor::from_vec(vec![20.0, 0.0, 0.0, 0.0], &[1, 4]));
    /// let targets = Targets::Classes(vec![0]);
    /// assert!(CrossEntropyLoss.loss(logits, &targets).unwrap().item() < 1e-8);
    /// assert!(smoothed.loss(logits, &targets).unwrap().item() > 1.0);
    /// ```
    pub fn with<T: Float>(options: CrossEntropyOptions<T>) -> CrossEntropyWith<T> {
        CrossEntropyWith { options }
    }
}

/// Softmax cross-entropy with options, made by [`CrossEntropyLoss::with`].
/// Class targets go through wengert-nn's `try_cross_entropy_with`, class
/// probabilities through `try_cross_entropy_probs`, both with the options;
/// with no option in effect it is [`CrossEntropyLoss`] itself, bit for bit
/// (the same fused op), so a smoothing of 0 changes nothing.
#[derive(Clone, Debug)]
pub struct CrossEntropyWith<T: Float> {
    options: CrossEntropyOptions<T>,
}

impl<T: Float> CrossEntropyWith<T> {
    /// The options this loss applies.
    pub fn options(&self) -> &CrossEntropyOptions<T> {
        &self.options
    }
}

impl<T: Float> Loss<T> for CrossEntropyWith<T> {
    fn name(&self) -> &'static str {
        "cross_entropy"
    }

    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
        if self.options.reduction != Reduction::Mean {
            return Err(TrainError::Config {
                what: "CrossEntropyLoss::with",
                why: format!(
                    "the trainer minimises a batch's mean loss, so the reduction must be \
                     Reduction::Mean, not {:?}",
                    self.options.reduction
                ),
            });
        }
        let plain = self.options.weight.is_none()
            && self.options.ignore_index.is_none()
            && self.options.label_smoothing == 0.0;
        if plain {
            // No option in effect: the plain loss, with its fused op.
            return CrossEntropyLoss.loss(output, targets);
        }
        match targets {
            Targets::Classes(classes) => {
                Ok(try_cross_entropy_with(output, classes, &self.options)?)
            }
            Targets::Probabilities(p) => probabilities_loss(output, p, &self.options),
            Targets::Values(_) => Err(TrainError::Config {
                what: "CrossEntropyLoss::with",
                why: "regression targets (values) need a regression loss such as MseLoss".into(),
            }),
        }
    }
}

/// Mean squared error over all elements. PyTorch: `nn.MSELoss()`.
/// An output `[N]` against targets `[N, 1]` (or the reverse) is compared
/// as `[N]`: a one-output regression head and a one-column target are the
/// same thing, and nothing else is broadcast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MseLoss;

/// Mean absolute error over all elements. PyTorch: `nn.L1Loss()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L1Loss;

/// The output and regression targets of one batch, shaped alike.
fn regression_pair<'t, T: Float>(
    loss: &'static str,
    output: Var<'t, T>,
    targets: &Targets<T>,
) -> Result<(Var<'t, T>, Var<'t, T>)> {
    let Targets::Values(t) = targets else {
        return Err(TrainError::Config {
            what: "regression loss",
            why: format!("{loss} needs regression targets (values), not class targets"),
        });
    };
    let out_shape = output.shape();
    let t = if t.shape() == out_shape.as_slice() {
        t.clone()
    } else if t.numel() == output.numel() && squeezed(t.shape()) == squeezed(&out_shape) {
        t.try_reshape(&out_shape)?
    } else {
        return Err(mismatch(loss, &out_shape, t.shape()));
    };
    Ok((output, output.tape().constant(t)))
}

/// A shape without its size-1 axes.
fn squeezed(shape: &[usize]) -> Vec<usize> {
    shape.iter().copied().filter(|&d| d != 1).collect()
}

fn mismatch(loss: &'static str, output: &[usize], target: &[usize]) -> TrainError {
    TrainError::Config {
        what: "loss",
        why: format!("{loss}: the model's output has shape {output:?} but the targets {target:?}"),
    }
}

impl<T: Float> Loss<T> for MseLoss {
    fn name(&self) -> &'static str {
        "mse"
    }

    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
        let (y, t) = regression_pair("mse", output, targets)?;
        Ok(try_mse_loss(y, t, Reduction::Mean)?)
    }
}

impl<T: Float> Loss<T> for L1Loss {
    fn name(&self) -> &'static str {
        "l1"
    }

    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
        let (y, t) = regression_pair("l1", output, targets)?;
        Ok(try_l1_loss(y, t, Reduction::Mean)?)
    }
}

impl<T, F> Loss<T> for F
where
    T: Float,
    F: for<'t> Fn(Var<'t, T>, &Targets<T>) -> Result<Var<'t, T>> + Send + Sync,
{
    fn name(&self) -> &'static str {
        "custom"
    }

    fn loss<'t>(&self, output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
        self(output, targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::{Tape, Tensor};

    #[test]
    fn soft_targets_of_one_hot_rows_equal_class_targets() {
        let tape = Tape::<f64>::new();
        let z = tape.var(Tensor::from_vec(
            vec![1.0, -2.0, 0.5, 0.0, 3.0, -1.0],
            &[2, 3],
        ));
        let hard = CrossEntropyLoss
            .loss(z, &Targets::Classes(vec![2, 1]))
            .unwrap();
        let one_hot = Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3]);
        let soft = CrossEntropyLoss
            .loss(z, &Targets::Probabilities(one_hot))
            .unwrap();
        assert!((hard.item() - soft.item()).abs() < 1e-14);
    }

    #[test]
    fn cross_entropy_with_options_applies_them_and_refuses_a_sum() {
        let tape = Tape::<f64>::new();
        let z = tape.var(Tensor::from_vec(
            vec![1.0, -2.0, 0.5, 0.0, 3.0, -1.0],
            &[2, 3],
        ));
        let targets = Targets::Classes(vec![2, 1]);
        let smoothed = CrossEntropyLoss::with(CrossEntropyOptions::new().label_smoothing(0.2));
        let ours = smoothed.loss(z, &targets).unwrap().item();
        let direct = wengert_nn::loss::try_cross_entropy_smoothed(z, &[2, 1], 0.2, Reduction::Mean)
            .unwrap()
            .item();
        let plain = CrossEntropyLoss.loss(z, &targets).unwrap().item();
        assert_eq!(ours, direct);
        assert!((ours - plain).abs() > 1e-3, "{ours} {plain}");
        // Soft one-hot targets smoothed the same way give the same loss.
        let one_hot = Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0], &[2, 3]);
        let soft = smoothed
            .loss(z, &Targets::Probabilities(one_hot))
            .unwrap()
            .item();
        assert!((soft - ours).abs() < 1e-14, "{soft} {ours}");
        // No option in effect: the plain loss and gradient, bit for bit.
        let none = CrossEntropyLoss::with(CrossEntropyOptions::new());
        let a = none.loss(z, &targets).unwrap();
        let b = CrossEntropyLoss.loss(z, &targets).unwrap();
        assert_eq!(a.item().to_bits(), b.item().to_bits());
        let (ga, gb) = (a.backward(), b.backward());
        assert_eq!(ga.wrt(z).unwrap().to_vec(), gb.wrt(z).unwrap().to_vec());
        let summed = CrossEntropyLoss::with(CrossEntropyOptions::new().reduction(Reduction::Sum));
        let err = summed.loss(z, &targets).unwrap_err().to_string();
        assert!(
            err.contains("Reduction::Mean") && err.contains("Sum"),
            "{err}"
        );
    }

    #[test]
    fn mse_takes_a_one_column_target_for_a_vector_output() {
        let tape = Tape::<f64>::new();
        let y = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
        let t = Targets::Values(Tensor::from_vec(vec![0.0, 0.0], &[2, 1]));
        assert_eq!(MseLoss.loss(y, &t).unwrap().item(), 2.5); // (1 + 4) / 2
        let wrong = Targets::Values(Tensor::zeros(&[3, 1]));
        let err = MseLoss.loss(y, &wrong).unwrap_err().to_string();
        assert!(err.contains("[2]") && err.contains("[3, 1]"), "{err}");
    }

    #[test]
    fn a_loss_given_the_wrong_kind_of_target_says_so() {
        let tape = Tape::<f64>::new();
        let y = tape.var(Tensor::zeros(&[2, 3]));
        let err = MseLoss.loss(y, &Targets::Classes(vec![0, 1])).unwrap_err();
        assert!(err.to_string().contains("regression targets"), "{err}");
        let err = CrossEntropyLoss
            .loss(y, &Targets::Values(Tensor::zeros(&[2, 3])))
            .unwrap_err();
        assert!(err.to_string().contains("regression loss"), "{err}");
    }
}
