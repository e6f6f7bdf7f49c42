//! [`RnnConfig`]: the settings of a stacked recurrent layer, PyTorch's
//! constructor arguments plus two of wengert's (`forget_bias`, `fused`),
//! and the checks PyTorch makes of them.

use super::rnn_cell::RnnNonlinearity;
use crate::error::{NnError, Result};

/// Builds an [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) or
/// [`Gru`](super::Gru). Defaults as PyTorch: one layer, one direction,
/// sequence first, tanh, biases, no dropout, no projection; plus two
/// options PyTorch lacks: `forget_bias` (LSTM) and `fused` (LSTM and GRU,
/// on by default).
///
/// Building a layer checks the options as PyTorch's constructor does:
/// `dropout` in `[0, 1]`, `proj_size < hidden_size` and for an LSTM only;
/// and `forget_bias` needs the biases. As in PyTorch, `dropout` on a single
/// layer is accepted and has no effect (PyTorch warns).
///
/// ```
/// use wengert_nn::recurrent::{Lstm, RnnConfig};
/// use wengert_nn::Module;
/// use wengert_tensor::seeded_rng;
/// let config = RnnConfig::new(32, 128)
///     .with_num_layers(2)
///     .with_bidirectional(true)
///     .with_dropout(0.2)
///     .with_bias(false)
///     .with_proj_size(64);
/// let lstm = Lstm::<f32>::new(config, &mut seeded_rng(0));
/// assert_eq!(lstm.config().hidden_size, 128);
/// assert_eq!(lstm.param_names()[..3], ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0"]);
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
    /// For an [`Lstm`](super::Lstm) or a [`Gru`](super::Gru): each
    /// direction of each layer as one fused tape node over the sequence
    /// (the default) or composed of `Var` ops (twice differentiable). An
    /// LSTM with a projection (`proj_size > 0`) always runs composed steps.
    /// A plain RNN ignores it.
    pub fused: bool,
    /// PyTorch's `bias`: whether every cell has `bias_ih` and `bias_hh`.
    pub bias: bool,
    /// PyTorch's `dropout`: in a training pass, the outputs of every layer
    /// but the last go through inverted dropout with this probability
    /// before the next layer reads them (masks from the tape's generator,
    /// as [`Dropout`](crate::Dropout)); an inference pass ignores it.
    pub dropout: f64,
    /// PyTorch's `proj_size` (LSTM only, 0 for none): `h` is projected to
    /// `P = proj_size` features by `weight_hr_l{k} [P, H]`, so `h`, the
    /// outputs and `h_n` are `P` wide; `c` stays `H` wide.
    pub proj_size: usize,
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
            bias: true,
            dropout: 0.0,
            proj_size: 0,
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

    /// Fused or composed LSTM and GRU sequences.
    pub fn with_fused(mut self, fused: bool) -> Self {
        self.fused = fused;
        self
    }

    /// With or without `bias_ih` and `bias_hh` in every cell (PyTorch's `bias`).
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// With dropout of probability `p` between stacked layers (PyTorch's `dropout`).
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// With `h` projected to `proj_size` features (LSTM; PyTorch's `proj_size`).
    pub fn with_proj_size(mut self, proj_size: usize) -> Self {
        self.proj_size = proj_size;
        self
    }

    /// The width of `h`, of each direction's outputs and of `h_n`:
    /// `proj_size` when set, else `hidden_size`.
    pub fn output_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    /// PyTorch's checks of the options, for the layer named `layer`
    /// (`LSTM`); `projects` says whether it takes `proj_size`.
    pub(crate) fn check(&self, layer: &str, projects: bool) -> Result<()> {
        let refuse = |why: String| {
            Err(NnError::InvalidConfig {
                layer: layer.into(),
                why,
            })
        };
        if self.num_layers == 0 {
            return refuse("num_layers must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.dropout) {
            return refuse(format!(
                "dropout must lie in [0, 1] (the probability of zeroing an element), got {}",
                self.dropout
            ));
        }
        if self.proj_size > 0 && !projects {
            return refuse(format!(
                "proj_size = {} is only supported for LSTM, not RNN or GRU (as in PyTorch)",
                self.proj_size
            ));
        }
        if self.proj_size > 0 && self.proj_size >= self.hidden_size {
            return refuse(format!(
                "proj_size = {} must be smaller than hidden_size = {}",
                self.proj_size, self.hidden_size
            ));
        }
        if self.forget_bias.is_some() && !self.bias {
            return refuse(
                "forget_bias sets the forget gate's biases, and bias = false leaves none".into(),
            );
        }
        Ok(())
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
