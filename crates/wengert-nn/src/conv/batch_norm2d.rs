//! `BatchNorm2d`: batch normalization of images, per channel over batch,
//! height and width. The formulas live in the shared batch-norm core
//! (`layers/batch_norm.rs`); this layer checks the rank and delegates.

use wengert_tensor::{Float, Tape, Var};

use crate::error::Result;
use crate::layers::BatchNormCore;
use crate::module::input_error;
use crate::Module;

/// Batch normalization over `[N, C, H, W]`:
/// `y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]`, with mean and
/// (biased) variance per channel over the `n = N*H*W` values of a training
/// batch, and the running statistics in an inference pass. Running averages
/// use the unbiased variance, as PyTorch (see [`crate::BatchNorm1d`], which
/// shares the implementation). A layer built without running statistics
/// (`BatchNormConfig::with_track_running_stats(false)`) uses the batch's
/// own in every pass and has no buffers, as PyTorch's
/// `track_running_stats=False`.
///
/// # Shapes
/// `[N, C, H, W] -> [N, C, H, W]`.
///
/// # PyTorch options
/// `nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True,
/// track_running_stats=True)`: all five ([`crate::BatchNormConfig`]).
/// `device` and `dtype` have no counterpart: the float type is the layer's
/// type parameter.
///
/// ```
/// use wengert_nn::conv::BatchNorm2d;
/// use wengert_nn::Module;
/// use wengert_tensor::{Tape, Tensor};
/// let bn = BatchNorm2d::<f64>::new(2);
/// let tape = Tape::training(0);
/// let x = Tensor::arange(0.0, 16.0, 1.0).reshape(&[2, 2, 2, 2]);
/// let y = bn.forward(&tape, tape.constant(x)).unwrap();
/// assert_eq!(y.shape(), vec![2, 2, 2, 2]);
/// // channel 0 holds 0..=3 and 8..=11: mean 5.5; running_mean = 0.1 * 5.5
/// assert!((bn.running_mean().to_vec()[0] - 0.55).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, Module)]
pub struct BatchNorm2d<T: Float> {
    #[module(flatten)]
    core: BatchNormCore<T>,
}

crate::layers::batch_norm_common!(BatchNorm2d);

impl<T: Float> Module<T> for BatchNorm2d<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        if x.ndim() != 4 {
            let c = self.core.config.num_features;
            return Err(input_error(
                format!("BatchNorm2d({c})"),
                format!("[N, {c}, H, W]"),
                x.shape(),
            ));
        }
        self.core.forward(tape, x, "BatchNorm2d")
    }
}
