//! Parameter initialisation: Xavier/Glorot, Kaiming/He, constants, and
//! PyTorch's defaults for `Linear`. Every random scheme draws from a seeded
//! generator passed in, so a seed fixes the weights bitwise.
//!
//! Fans follow PyTorch: for a weight of shape `[out, in, k...]`,
//! `fan_in = in * prod(k)` and `fan_out = out * prod(k)`.

use rand::Rng;
use wengert_tensor::{Float, Tensor};

use crate::error::{NnError, Result};

/// The nonlinearity that follows a layer, which sets the gain of Xavier and
/// Kaiming schemes (PyTorch: `nn.init.calculate_gain`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// Identity (gain 1).
    Linear,
    /// Sigmoid (gain 1).
    Sigmoid,
    /// Tanh (gain 5/3).
    Tanh,
    /// ReLU (gain sqrt 2).
    ReLU,
    /// LeakyReLU with this negative slope (gain sqrt(2 / (1 + slope^2))).
    LeakyReLU(f64),
}

impl Nonlinearity {
    /// The recommended gain, as PyTorch's `calculate_gain`.
    ///
    /// ```
    /// use wengert_nn::init::Nonlinearity;
    /// assert_eq!(Nonlinearity::ReLU.gain(), 2f64.sqrt());
    /// assert_eq!(Nonlinearity::Tanh.gain(), 5.0 / 3.0);
    /// ```
    pub fn gain(self) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::ReLU => 2f64.sqrt(),
            Nonlinearity::LeakyReLU(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        }
    }
}

/// Which fan Kaiming initialisation preserves: the forward pass's variance
/// (`FanIn`, the default) or the backward pass's (`FanOut`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Fan-in: keeps the variance of activations.
    FanIn,
    /// Fan-out: keeps the variance of gradients.
    FanOut,
}

/// `(fan_in, fan_out)` of a weight shape `[out, in, k...]`; needs at least
/// two dimensions, as in PyTorch.
///
/// ```
/// assert_eq!(wengert_nn::init::fans(&[3, 4]).unwrap(), (4, 3));
/// assert_eq!(wengert_nn::init::fans(&[8, 2, 3, 3]).unwrap(), (18, 72));
/// ```
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(NnError::InvalidConfig {
            layer: "init::fans".into(),
            why: format!(
                "fan in and fan out need a weight of at least 2 dimensions, got shape {shape:?}"
            ),
        });
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// An initialisation scheme; [`Init::tensor`] draws a tensor from it.
///
/// | scheme | distribution |
/// | --- | --- |
/// | `XavierUniform { gain }` | U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) |
/// | `XavierNormal { gain }` | N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)) |
/// | `KaimingUniform { mode, nonlinearity }` | U(-b, b), b = gain * sqrt(3 / fan) |
/// | `KaimingNormal { mode, nonlinearity }` | N(0, s^2), s = gain / sqrt(fan) |
///
/// References: Glorot & Bengio (2010), He et al. (2015). PyTorch:
/// `nn.init.xavier_uniform_`, `xavier_normal_`, `kaiming_uniform_`,
/// `kaiming_normal_`, `zeros_`, `ones_`, `constant_`, `uniform_`, `normal_`.
///
/// ```
/// use wengert_nn::init::{FanMode, Init, Nonlinearity};
/// use wengert_tensor::seeded_rng;
/// let w = Init::KaimingNormal { mode: FanMode::FanIn, nonlinearity: Nonlinearity::ReLU }
///     .tensor::<f32, _>(&[64, 128], &mut seeded_rng(3))
///     .unwrap();
/// assert_eq!(w.shape(), &[64, 128]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Every element equal to this value.
    Constant(f64),
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with this mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Xavier/Glorot uniform.
    XavierUniform {
        /// Gain (1 for linear/sigmoid; see [`Nonlinearity::gain`]).
        gain: f64,
    },
    /// Xavier/Glorot normal.
    XavierNormal {
        /// Gain.
        gain: f64,
    },
    /// Kaiming/He uniform.
    KaimingUniform {
        /// Which fan to preserve.
        mode: FanMode,
        /// The nonlinearity that follows, for the gain.
        nonlinearity: Nonlinearity,
    },
    /// Kaiming/He normal.
    KaimingNormal {
        /// Which fan to preserve.
        mode: FanMode,
        /// The nonlinearity that follows, for the gain.
        nonlinearity: Nonlinearity,
    },
}

impl Init {
    /// PyTorch's default for a `Linear` (and convolution) weight:
    /// `kaiming_uniform_(w, a = sqrt 5)`, which is U(-1/sqrt(fan_in),
    /// 1/sqrt(fan_in)).
    pub const PYTORCH_LINEAR_WEIGHT: Init = Init::KaimingUniform {
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::LeakyReLU(2.236_067_977_499_79),
    };

    /// PyTorch's default for a `Linear` bias: U(-1/sqrt(fan_in),
    /// 1/sqrt(fan_in)) with the fan-in of the weight (a bound of 0 when
    /// fan_in is 0, as PyTorch).
    pub fn pytorch_linear_bias(fan_in: usize) -> Init {
        let bound = if fan_in > 0 {
            1.0 / (fan_in as f64).sqrt()
        } else {
            0.0
        };
        Init::Uniform {
            low: -bound,
            high: bound,
        }
    }

    /// Draws a tensor of `shape` from this scheme. Fan-based schemes need a
    /// shape of at least 2 dimensions.
    pub fn tensor<T: Float, R: Rng + ?Sized>(
        &self,
        shape: &[usize],
        rng: &mut R,
    ) -> Result<Tensor<T>> {
        let t = |x: f64| T::from_f64(x);
        Ok(match *self {
            Init::Zeros => Tensor::zeros(shape),
            Init::Ones => Tensor::ones(shape),
            Init::Constant(c) => Tensor::full(shape, t(c)),
            Init::Uniform { low, high } => uniform(shape, low, high, rng),
            Init::Normal { mean, std } => normal(shape, mean, std, rng),
            Init::XavierUniform { gain } => {
                let (fan_in, fan_out) = fans(shape)?;
                let a = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
                uniform(shape, -a, a, rng)
            }
            Init::XavierNormal { gain } => {
                let (fan_in, fan_out) = fans(shape)?;
                normal(
                    shape,
                    0.0,
                    gain * (2.0 / (fan_in + fan_out) as f64).sqrt(),
                    rng,
                )
            }
            Init::KaimingUniform { mode, nonlinearity } => {
                let std = kaiming_std(shape, mode, nonlinearity)?;
                // A uniform on (-b, b) has std b / sqrt 3.
                let b = 3f64.sqrt() * std;
                uniform(shape, -b, b, rng)
            }
            Init::KaimingNormal { mode, nonlinearity } => {
                normal(shape, 0.0, kaiming_std(shape, mode, nonlinearity)?, rng)
            }
        })
    }
}

fn kaiming_std(shape: &[usize], mode: FanMode, nonlinearity: Nonlinearity) -> Result<f64> {
    let (fan_in, fan_out) = fans(shape)?;
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    if fan == 0 {
        return Err(NnError::InvalidConfig {
            layer: "init::kaiming".into(),
            why: format!("the fan of shape {shape:?} is 0"),
        });
    }
    Ok(nonlinearity.gain() / (fan as f64).sqrt())
}

/// U(low, high); a degenerate interval (low == high, e.g. a bias bound of 0)
/// gives that constant.
fn uniform<T: Float, R: Rng + ?Sized>(
    shape: &[usize],
    low: f64,
    high: f64,
    rng: &mut R,
) -> Tensor<T> {
    if low >= high {
        return Tensor::full(shape, T::from_f64(low));
    }
    Tensor::rand_uniform(shape, T::from_f64(low), T::from_f64(high), rng)
}

fn normal<T: Float, R: Rng + ?Sized>(
    shape: &[usize],
    mean: f64,
    std: f64,
    rng: &mut R,
) -> Tensor<T> {
    Tensor::rand_normal(shape, T::from_f64(mean), T::from_f64(std), rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::seeded_rng;

    fn mean_and_std(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
        (m, v.sqrt())
    }

    // With n = 200 * 100 = 20,000 draws the sample std is within
    // about std * 3 / sqrt(2n) = 1.5% of the true std (3 sigma); we allow 3%.
    fn check_std(init: Init, shape: &[usize], want_std: f64) {
        let w = init
            .tensor::<f64, _>(shape, &mut seeded_rng(11))
            .unwrap()
            .to_vec();
        let (m, s) = mean_and_std(&w);
        assert!(
            (s - want_std).abs() < 0.03 * want_std,
            "{init:?}: std {s} vs {want_std}"
        );
        assert!(
            m.abs() < 4.0 * want_std / (w.len() as f64).sqrt(),
            "{init:?}: mean {m}"
        );
    }

    #[test]
    fn schemes_have_the_documented_standard_deviation() {
        let shape = [200, 100]; // fan_in 100, fan_out 200
        check_std(
            Init::XavierUniform { gain: 1.0 },
            &shape,
            (2.0 / 300.0f64).sqrt(),
        );
        check_std(
            Init::XavierNormal { gain: 2.0 },
            &shape,
            2.0 * (2.0 / 300.0f64).sqrt(),
        );
        let relu = Nonlinearity::ReLU;
        check_std(
            Init::KaimingUniform {
                mode: FanMode::FanIn,
                nonlinearity: relu,
            },
            &shape,
            (2.0 / 100.0f64).sqrt(),
        );
        check_std(
            Init::KaimingNormal {
                mode: FanMode::FanOut,
                nonlinearity: relu,
            },
            &shape,
            (2.0 / 200.0f64).sqrt(),
        );
    }

    #[test]
    fn pytorch_linear_default_is_bounded_by_one_over_sqrt_fan_in() {
        let w = Init::PYTORCH_LINEAR_WEIGHT
            .tensor::<f64, _>(&[30, 25], &mut seeded_rng(1))
            .unwrap()
            .to_vec();
        // bound = sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(25) = 1/5
        assert!(w.iter().all(|v| v.abs() <= 0.2));
        assert!(
            w.iter().any(|v| v.abs() > 0.19),
            "draws should come near the bound"
        );
    }

    #[test]
    fn same_seed_same_weights_and_constants_are_exact() {
        let a = Init::XavierNormal { gain: 1.0 }
            .tensor::<f32, _>(&[4, 3], &mut seeded_rng(5))
            .unwrap();
        let b = Init::XavierNormal { gain: 1.0 }
            .tensor::<f32, _>(&[4, 3], &mut seeded_rng(5))
            .unwrap();
        assert_eq!(a.to_vec(), b.to_vec());
        let c = Init::Constant(0.5)
            .tensor::<f64, _>(&[2], &mut seeded_rng(0))
            .unwrap();
        assert_eq!(c.to_vec(), vec![0.5, 0.5]);
        assert_eq!(
            Init::Zeros
                .tensor::<f64, _>(&[2], &mut seeded_rng(0))
                .unwrap()
                .to_vec(),
            vec![0.0; 2]
        );
        assert_eq!(
            Init::Ones
                .tensor::<f64, _>(&[1], &mut seeded_rng(0))
                .unwrap()
                .to_vec(),
            vec![1.0]
        );
    }

    #[test]
    fn fan_schemes_reject_vectors() {
        let e = Init::XavierUniform { gain: 1.0 }
            .tensor::<f64, _>(&[5], &mut seeded_rng(0))
            .unwrap_err();
        assert!(e.to_string().contains("[5]"), "{e}");
    }
}
