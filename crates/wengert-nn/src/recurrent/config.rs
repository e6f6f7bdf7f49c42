//! [`RnnConfig`]: the settings of a stacked recurrent layer, PyTorch's
//! constructor arguments plus two of wengert's (`forget_bias`, `fused`).

use super::rnn_cell::RnnNonlinearity;

/// Builds an [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) or
/// [`Gru`](super::Gru). Defaults as PyTorch: one layer, one direction,
/// sequence first, tanh; plus two options PyTorch lacks: `forget_bias`
/// (LSTM) and `fused` (LSTM, on by default).
///
/// ```
/// use wengert_nn::recurrent::{Lstm, RnnConfig};
/// use wengert_tensor::seeded_rng;
/// let config = RnnConfig::new(32, 128).with_num_layers(2).with_bidirectional(true);
/// let lstm = Lstm::<f32>::new(config, &mut seeded_rng(0));
/// assert_eq!(lstm.config().hidden_size, 128);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnConfig {
    /// Input features `I`.
    pub input_size: usize,
    /// Hidden features `H` (per direction).
    pub hidden_size: usize,
    /// Stacked layers `L`; layer `l > 0` reads layer `l - 1`'s outputs.
    pub num_layers: usize,
    /// A second, reverse-time pass per layer, outputs side by side.
    pub bidirectional: bool,
    /// Input and output as `[batch, seq, features]` instead of `[seq, batch, features]`.
    pub batch_first: bool,
    /// The nonlinearity of an [`Rnn`](super::Rnn) (ignored by the gated layers).
    pub nonlinearity: RnnNonlinearity,
    /// For an [`Lstm`](super::Lstm): sets `bias_ih + bias_hh` of the forget
    /// gate to this value in every cell (see
    /// [`LstmCell::with_forget_bias`](super::LstmCell::with_forget_bias));
    /// 1.0 is the usual choice. `None` keeps PyTorch's random init.
    pub forget_bias: Option<f64>,
    /// For an [`Lstm`](super::Lstm): each step as one fused tape node (the
    /// default) or composed of `Var` ops (twice differentiable).
    pub fused: bool,
}

impl RnnConfig {
    /// One layer, one direction, sequence first, tanh, fused, PyTorch's init.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        RnnConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bidirectional: false,
            batch_first: false,
            nonlinearity: RnnNonlinearity::Tanh,
            forget_bias: None,
            fused: true,
        }
    }

    /// With `num_layers` stacked layers.
    pub fn with_num_layers(mut self, num_layers: usize) -> Self {
        self.num_layers = num_layers;
        self
    }

    /// With or without the reverse direction.
    pub fn with_bidirectional(mut self, bidirectional: bool) -> Self {
        self.bidirectional = bidirectional;
        self
    }

    /// With `[batch, seq, features]` layout.
    pub fn with_batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// With this nonlinearity (plain RNN).
    pub fn with_nonlinearity(mut self, nonlinearity: RnnNonlinearity) -> Self {
        self.nonlinearity = nonlinearity;
        self
    }

    /// With the forget-gate bias set to `value` (LSTM).
    pub fn with_forget_bias(mut self, value: f64) -> Self {
        self.forget_bias = Some(value);
        self
    }

    /// Fused or composed LSTM steps.
    pub fn with_fused(mut self, fused: bool) -> Self {
        self.fused = fused;
        self
    }

    /// 2 with the reverse direction, else 1.
    pub(crate) fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }
}
