//! The one-hidden-layer autoencoder that pretrains one layer:
//! `x -> decoder(activation(encoder(x)))`, trained to give `x` back.

use wengert_nn::{Linear, Module, Result};
use wengert_tensor::{Float, Tape, Var};

/// An encoder (the layer being pretrained) and its activation, and a
/// decoder back to the encoder's input width. The decoder is linear: the
/// inputs it reconstructs (pixels, or the previous layer's activations)
/// need not lie in the activation's range.
#[derive(Module)]
pub(crate) struct Autoencoder<T: Float> {
    pub(crate) encoder: Linear<T>,
    pub(crate) activation: Box<dyn Module<T>>,
    pub(crate) decoder: Linear<T>,
}

impl<T: Float> Module<T> for Autoencoder<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let code = self.encoder.forward(tape, x)?;
        let code = self.activation.forward(tape, code)?;
        self.decoder.forward(tape, code)
    }
}
