//! Batch normalization (Ioffe & Szegedy, 2015) with running statistics.
//!
//! [`BatchNormCore`] holds what every batch-norm layer shares (affine
//! parameters, running statistics, the train/eval formulas) for inputs
//! `[N, C, *]` with channels on axis 1; [`BatchNorm1d`] wraps it for
//! `[N, C]` and `[N, C, L]`, and a 2-d or 3-d variant only has to check its
//! rank and delegate.

use std::cell::RefCell;

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::buffers::{BufferMut, BufferRef, Buffers};
use crate::conv::batch_norm_fused::{batch_norm_fused, Statistics};
use crate::error::{NnError, Result};
use crate::module::input_error;
use crate::Module;

/// Builds batch-norm layers; defaults as PyTorch: eps 1e-5, momentum 0.1,
/// affine (a learned scale and shift per channel), running statistics
/// tracked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormConfig {
    /// Number of channels `C`.
    pub num_features: usize,
    /// Added to the variance inside the square root.
    pub eps: f64,
    /// Weight of the new batch in the running averages; `None` is PyTorch's
    /// `momentum=None`, a cumulative average over all batches seen.
    pub momentum: Option<f64>,
    /// Whether the layer has a learned scale (`weight`, init 1) and shift
    /// (`bias`, init 0).
    pub affine: bool,
    /// Whether the layer keeps running statistics (the buffers
    /// `running_mean`, `running_var`, `num_batches_tracked`) and normalizes
    /// with them in evaluation. Without them, as PyTorch's
    /// `track_running_stats=False`, every pass normalizes with the batch's
    /// own statistics, evaluation included, and the layer has no buffers
    /// (`momentum` is then unused).
    pub track_running_stats: bool,
}

impl BatchNormConfig {
    /// PyTorch's defaults for `num_features` channels.
    pub fn new(num_features: usize) -> Self {
        BatchNormConfig {
            num_features,
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }

    /// With this eps.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// With this momentum (`None`: cumulative average).
    pub fn with_momentum(mut self, momentum: Option<f64>) -> Self {
        self.momentum = momentum;
        self
    }

    /// With or without the learned scale and shift.
    pub fn with_affine(mut self, affine: bool) -> Self {
        self.affine = affine;
        self
    }

    /// With or without running statistics (PyTorch's
    /// `track_running_stats`).
    pub fn with_track_running_stats(mut self, track_running_stats: bool) -> Self {
        self.track_running_stats = track_running_stats;
        self
    }
}

/// Running statistics of a batch-norm layer: saved with the weights as
/// buffers `running_mean`, `running_var`, `num_batches_tracked`. A layer
/// that does not track them holds `None`, which lists no buffer, as
/// PyTorch's `state_dict` has none.
#[derive(Clone, Debug)]
pub(crate) struct RunningStats<T: Float> {
    pub(crate) mean: Tensor<T>,
    pub(crate) var: Tensor<T>,
    pub(crate) num_batches_tracked: i64,
}

impl<T: Float> Buffers<T> for RunningStats<T> {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        f("running_mean", BufferRef::Float(&self.mean));
        f("running_var", BufferRef::Float(&self.var));
        f(
            "num_batches_tracked",
            BufferRef::Int(self.num_batches_tracked),
        );
    }

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        f("running_mean", BufferMut::Float(&mut self.mean));
        f("running_var", BufferMut::Float(&mut self.var));
        f(
            "num_batches_tracked",
            BufferMut::Int(&mut self.num_batches_tracked),
        );
    }
}

impl<T: Float> Buffers<T> for Option<RunningStats<T>> {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        if let Some(stats) = self {
            stats.visit_buffers(f)
        }
    }

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        if let Some(stats) = self {
            stats.visit_buffers_mut(f)
        }
    }
}

/// Why a layer has no running statistics, in errors and panics.
const UNTRACKED: &str = "the layer was built with track_running_stats = false";

/// The shared machinery of batch-norm layers over inputs `[N, C, *]`.
///
/// The running statistics sit in a `RefCell` because a training forward
/// (which takes `&self`, see [`Module`]) updates them; nothing else does.
#[derive(Debug, Module)]
pub(crate) struct BatchNormCore<T: Float> {
    #[module(skip)]
    pub(crate) config: BatchNormConfig,
    pub(crate) weight: Option<Param<T>>,
    pub(crate) bias: Option<Param<T>>,
    #[module(buffer, flatten)]
    pub(crate) stats: RefCell<Option<RunningStats<T>>>,
}

impl<T: Float> Clone for BatchNormCore<T> {
    fn clone(&self) -> Self {
        BatchNormCore {
            config: self.config,
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            stats: RefCell::new(self.stats.borrow().clone()),
        }
    }
}

impl<T: Float> BatchNormCore<T> {
    pub(crate) fn new(config: BatchNormConfig) -> Self {
        let c = config.num_features;
        let (weight, bias) = if config.affine {
            (
                Some(Param::new("weight", Tensor::ones(&[c]))),
                Some(Param::new("bias", Tensor::zeros(&[c]))),
            )
        } else {
            (None, None)
        };
        BatchNormCore {
            config,
            weight,
            bias,
            stats: RefCell::new(config.track_running_stats.then(|| RunningStats {
                mean: Tensor::zeros(&[c]),
                var: Tensor::ones(&[c]),
                num_batches_tracked: 0,
            })),
        }
    }

    /// Normalizes `x` of shape `[N, C, *]` per channel. `layer` names the
    /// layer in errors. The caller has checked the rank.
    pub(crate) fn forward<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        layer: &str,
    ) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let c = self.config.num_features;
        if shape.len() < 2 || shape[1] != c {
            return Err(input_error(
                format!("{layer}({c})"),
                format!("[N, {c}, *] ({c} channels on axis 1)"),
                shape,
            ));
        }
        // Statistics are per channel over every other axis.
        let n: usize = shape.iter().product::<usize>() / c.max(1);
        let eps = T::from_f64(self.config.eps);

        let running = if tape.is_training() {
            None
        } else {
            self.stats.borrow().as_ref().map(|s| Statistics::Running {
                mean: s.mean.clone(),
                var: s.var.clone(),
            })
        };
        // Batch statistics: every training pass, and evaluation passes of
        // a layer without running statistics (as PyTorch).
        if running.is_none() && n < 2 {
            let pass = if tape.is_training() {
                "a training pass"
            } else {
                "an evaluation pass without running statistics (track_running_stats = false)"
            };
            return Err(input_error(
                format!("{layer}({c})"),
                format!("more than one value per channel in {pass} (the variance of one value is undefined)"),
                shape,
            ));
        }
        let affine = match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => Some((tape.param(w), tape.param(b))),
            _ => None,
        };
        // One fused node (conv/batch_norm_fused.rs): the batch variance is
        // the biased one (divide by n), from the centred input.
        let out = batch_norm_fused(x, affine, running.unwrap_or(Statistics::Batch), eps);
        if let (true, Some((mean, var))) = (tape.is_training(), &out.batch_stats) {
            self.update_running_stats(mean, var, n);
        }
        Ok(out.y)
    }

    /// running = (1 - m) running + m batch, with the unbiased variance
    /// (n / (n - 1) times the biased one) as PyTorch; m = 1 / count for the
    /// cumulative average.
    /// A layer without running statistics has nothing to update.
    fn update_running_stats(&self, mean: &Tensor<T>, biased_var: &Tensor<T>, n: usize) {
        let c = self.config.num_features;
        let mut stats = self.stats.borrow_mut();
        let Some(stats) = stats.as_mut() else {
            return;
        };
        stats.num_batches_tracked += 1;
        let m = match self.config.momentum {
            Some(m) => m,
            None => 1.0 / stats.num_batches_tracked as f64,
        };
        let (m, keep) = (T::from_f64(m), T::from_f64(1.0 - m));
        let unbiased = biased_var
            .reshape(&[c])
            .mul_scalar(T::from_f64(n as f64 / (n as f64 - 1.0)));
        stats.mean = stats
            .mean
            .mul_scalar(keep)
            .add(&mean.reshape(&[c]).mul_scalar(m));
        stats.var = stats.var.mul_scalar(keep).add(&unbiased.mul_scalar(m));
    }

    /// The running statistics; `what` names the accessor in the panic of a
    /// layer that keeps none.
    #[track_caller]
    pub(crate) fn tracked_stats(
        &self,
        layer: &str,
        what: &str,
    ) -> std::cell::Ref<'_, RunningStats<T>> {
        match std::cell::Ref::filter_map(self.stats.borrow(), Option::as_ref) {
            Ok(stats) => stats,
            Err(_) => panic!(
                "{layer}({c}).{what}(): {UNTRACKED} (PyTorch's is None); \
                 check tracks_running_stats() first",
                c = self.config.num_features
            ),
        }
    }

    pub(crate) fn set_running_stats(&mut self, mean: Tensor<T>, var: Tensor<T>) -> Result<()> {
        let c = self.config.num_features;
        let Some(stats) = self.stats.get_mut() else {
            return Err(NnError::InvalidConfig {
                layer: "BatchNorm".into(),
                why: format!("{UNTRACKED}; it has no running statistics to set"),
            });
        };
        for (what, t) in [("running_mean", &mean), ("running_var", &var)] {
            if t.shape() != [c] {
                return Err(NnError::InvalidConfig {
                    layer: "BatchNorm".into(),
                    why: format!("{what} must have shape [{c}], got {:?}", t.shape()),
                });
            }
        }
        stats.mean = mean;
        stats.var = var;
        Ok(())
    }
}

/// Batch normalization over a batch of feature vectors:
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, per feature.
///
/// In a training pass (`Tape::training`), mean and variance are the batch's
/// own (biased variance, divide by n) and the gradient flows through them;
/// the running averages are updated as
/// `running = (1 - momentum) running + momentum batch`, with the unbiased
/// variance (divide by n - 1) for `running_var`, exactly as PyTorch. In an
/// inference pass the running statistics are used and left unchanged.
/// A layer built without running statistics
/// ([`BatchNormConfig::with_track_running_stats`]) uses the batch's own in
/// every pass and has no buffers.
///
/// # Shapes
/// `[N, C]` or `[N, C, L]` (statistics over N, and L). A pass on batch
/// statistics needs more than one value per channel.
///
/// # PyTorch options
/// `nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
/// track_running_stats=True)`: all five ([`BatchNormConfig`];
/// `momentum=None` is `with_momentum(None)`). `device` and `dtype` have no
/// counterpart: the float type is the layer's type parameter.
///
/// ```
/// use wengert_nn::{BatchNorm1d, Module};
/// use wengert_tensor::{Tape, Tensor};
/// let bn = BatchNorm1d::<f64>::new(1);
/// let tape = Tape::training(0);
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 3.0], &[2, 1]));
/// let y = bn.forward(&tape, x).unwrap().value().to_vec();
/// // mean 2, biased var 1: y = (x - 2) / sqrt(1 + 1e-5)
/// assert!((y[0] + 1.0).abs() < 1e-5 && (y[1] - 1.0).abs() < 1e-5);
/// // running_mean = 0.9 * 0 + 0.1 * 2; running_var = 0.9 * 1 + 0.1 * 2 (unbiased var 2)
/// assert!((bn.running_mean().to_vec()[0] - 0.2).abs() < 1e-15);
/// assert!((bn.running_var().to_vec()[0] - 1.1).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, Module)]
pub struct BatchNorm1d<T: Float> {
    #[module(flatten)]
    core: BatchNormCore<T>,
}

/// The constructors and running-statistics accessors that [`BatchNorm1d`]
/// and `BatchNorm2d` share: both wrap a [`BatchNormCore`] and differ only in
/// the input rank their `forward` accepts.
macro_rules! batch_norm_common {
    ($layer:ident) => {
        impl<T: wengert_tensor::Float> $layer<T> {
            /// PyTorch's defaults (eps 1e-5, momentum 0.1, affine) for `C`
            /// features (channels).
            pub fn new(num_features: usize) -> Self {
                Self::from_config($crate::layers::BatchNormConfig::new(num_features))
            }

            /// From a configuration.
            pub fn from_config(config: $crate::layers::BatchNormConfig) -> Self {
                $layer {
                    core: $crate::layers::BatchNormCore::new(config),
                }
            }

            /// The configuration.
            pub fn config(&self) -> &$crate::layers::BatchNormConfig {
                &self.core.config
            }

            /// Whether the layer keeps running statistics
            /// ([`BatchNormConfig::track_running_stats`](crate::BatchNormConfig::track_running_stats)).
            pub fn tracks_running_stats(&self) -> bool {
                self.core.config.track_running_stats
            }

            /// The running mean, `[C]`. Panics if the layer keeps no running
            /// statistics (see [`Self::tracks_running_stats`]).
            #[track_caller]
            pub fn running_mean(&self) -> wengert_tensor::Tensor<T> {
                self.core
                    .tracked_stats(stringify!($layer), "running_mean")
                    .mean
                    .clone()
            }

            /// The running (unbiased) variance, `[C]`. Panics if the layer
            /// keeps no running statistics.
            #[track_caller]
            pub fn running_var(&self) -> wengert_tensor::Tensor<T> {
                self.core
                    .tracked_stats(stringify!($layer), "running_var")
                    .var
                    .clone()
            }

            /// How many training batches updated the running statistics.
            /// Panics if the layer keeps no running statistics.
            #[track_caller]
            pub fn num_batches_tracked(&self) -> i64 {
                self.core
                    .tracked_stats(stringify!($layer), "num_batches_tracked")
                    .num_batches_tracked
            }

            /// Sets the running mean and variance (both `[C]`); an error for
            /// a layer that keeps no running statistics.
            pub fn set_running_stats(
                &mut self,
                mean: wengert_tensor::Tensor<T>,
                var: wengert_tensor::Tensor<T>,
            ) -> $crate::error::Result<()> {
                self.core.set_running_stats(mean, var)
            }
        }
    };
}
pub(crate) use batch_norm_common;

batch_norm_common!(BatchNorm1d);

impl<T: Float> Module<T> for BatchNorm1d<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let rank = x.ndim();
        if rank != 2 && rank != 3 {
            let c = self.core.config.num_features;
            return Err(input_error(
                format!("BatchNorm1d({c})"),
                format!("[N, {c}] or [N, {c}, L]"),
                x.shape(),
            ));
        }
        self.core.forward(tape, x, "BatchNorm1d")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_momentum_averages_all_batches() {
        let bn = BatchNorm1d::<f64>::from_config(BatchNormConfig::new(1).with_momentum(None));
        for batch in [[0.0, 2.0], [4.0, 6.0]] {
            let tape = Tape::training(0);
            bn.forward(
                &tape,
                tape.constant(Tensor::from_vec(batch.to_vec(), &[2, 1])),
            )
            .unwrap();
        }
        // means 1 and 5 -> cumulative average 3; unbiased variances 2 and 2 -> 2
        assert_eq!(bn.running_mean().to_vec(), vec![3.0]);
        assert_eq!(bn.running_var().to_vec(), vec![2.0]);
        assert_eq!(bn.num_batches_tracked(), 2);
    }

    #[test]
    fn three_dimensional_input_pools_over_batch_and_length() {
        let bn = BatchNorm1d::<f64>::new(2);
        let tape = Tape::training(0);
        // channel 0 holds 0..4, channel 1 holds 10 everywhere
        let x = Tensor::from_vec(vec![0.0, 1.0, 10.0, 10.0, 2.0, 3.0, 10.0, 10.0], &[2, 2, 2]);
        bn.forward(&tape, tape.constant(x)).unwrap();
        let mean = bn.running_mean().to_vec();
        assert!((mean[0] - 0.15).abs() < 1e-15 && (mean[1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn inference_pass_leaves_running_stats_alone() {
        let bn = BatchNorm1d::<f64>::new(2);
        let tape = Tape::inference();
        bn.forward(&tape, tape.constant(Tensor::ones(&[3, 2])))
            .unwrap();
        assert_eq!(bn.running_mean().to_vec(), vec![0.0, 0.0]);
        assert_eq!(bn.num_batches_tracked(), 0);
    }

    #[test]
    fn one_value_per_channel_is_refused_in_training() {
        let bn = BatchNorm1d::<f64>::new(2);
        let tape = Tape::training(0);
        let e = bn
            .forward(&tape, tape.constant(Tensor::ones(&[1, 2])))
            .unwrap_err();
        assert!(e.to_string().contains("more than one value"), "{e}");
    }
}
