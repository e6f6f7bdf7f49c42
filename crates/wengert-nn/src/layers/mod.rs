//! The layers, one file per family. Each is a composition of `Var` ops with
//! one explicit parameter visitor: no hand-written backward rules live here.

mod activation;
mod batch_norm;
mod dropout;
mod layer_norm;
mod linear;
mod prelu;
mod residual;

pub use activation::{GeluApproximate, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh, ELU, GELU};
pub use batch_norm::{BatchNorm1d, BatchNormConfig};
// The shared batch-norm machinery, for other batch-norm variants (2-d).
#[allow(unused_imports)]
pub(crate) use batch_norm::{batch_norm_common, BatchNormCore, RunningStats};
pub use dropout::Dropout;
pub use layer_norm::{LayerNorm, LayerNormConfig};
pub use linear::{Linear, LinearConfig};
pub use prelu::PReLU;
pub use residual::Residual;
