//! `Residual`: a block `y = x + F(x)` (He et al., 2016).

use rand::Rng;
use wengert_tensor::{Float, Tape, Var};

use crate::error::{NnError, Result};
use crate::layers::{BatchNorm1d, Linear, LinearConfig, ReLU};
use crate::sequential::Sequential;
use crate::Module;

/// A residual block: `y = F(x) + x`, or `y = F(x) + P(x)` with a projection
/// `P` when `F` changes the shape. The skip path carries the gradient past
/// `F` unchanged (`dx = dF^T dy + dy`), which is why deep stacks of such
/// blocks still train.
///
/// Children are named `body` and `projection`, so parameters read
/// `body.0.weight`, `projection.weight`.
///
/// The D2L/ResNet form applies a ReLU after the sum; put a [`ReLU`] after
/// the block in a [`Sequential`] for it.
///
/// PyTorch has no such module; it is the usual `forward` of a ResNet block.
///
/// ```
/// use wengert_nn::{Module, Residual};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let mut rng = seeded_rng(0);
/// let block = Residual::<f64>::mlp(6, 16, 4, &mut rng); // 6 -> 4, with a projection
/// let tape = Tape::training(0);
/// let y = block.forward(&tape, tape.constant(Tensor::ones(&[8, 6]))).unwrap();
/// assert_eq!(y.shape(), vec![8, 4]);
/// assert!(block.param_names().contains(&"projection.weight".to_string()));
/// ```
#[derive(Module)]
pub struct Residual<T: Float> {
    body: Box<dyn Module<T>>,
    projection: Option<Box<dyn Module<T>>>,
}

impl<T: Float> Residual<T> {
    /// `y = body(x) + x`.
    pub fn new(body: impl Module<T> + 'static) -> Self {
        Residual {
            body: Box::new(body),
            projection: None,
        }
    }

    /// `y = body(x) + projection(x)`.
    pub fn with_projection(mut self, projection: impl Module<T> + 'static) -> Self {
        self.projection = Some(Box::new(projection));
        self
    }

    /// The ready MLP block: body Linear(in, hidden) - BatchNorm1d - ReLU -
    /// Linear(hidden, out) - BatchNorm1d, and when `in != out` a projection
    /// Linear(in, out) without bias (the batch norm that follows makes a bias
    /// redundant in the body; the projection's is left out likewise).
    pub fn mlp<R: Rng + ?Sized>(
        in_features: usize,
        hidden: usize,
        out_features: usize,
        rng: &mut R,
    ) -> Self {
        let body = Sequential::new()
            .with(Linear::new(in_features, hidden, rng))
            .with(BatchNorm1d::new(hidden))
            .with(ReLU)
            .with(Linear::new(hidden, out_features, rng))
            .with(BatchNorm1d::new(out_features));
        let block = Residual::new(body);
        if in_features == out_features {
            block
        } else {
            let proj: Linear<T> = crate::error::or_panic(
                LinearConfig::new(in_features, out_features)
                    .with_bias(false)
                    .build(rng),
            );
            block.with_projection(proj)
        }
    }
}

impl<T: Float> Module<T> for Residual<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let fx = self.body.forward(tape, x).map_err(|e| NnError::InLayer {
            name: "body".into(),
            type_name: self.body.type_name(),
            source: Box::new(e),
        })?;
        let skip = match &self.projection {
            Some(p) => p.forward(tape, x).map_err(|e| NnError::InLayer {
                name: "projection".into(),
                type_name: p.type_name(),
                source: Box::new(e),
            })?,
            None => x,
        };
        // Equal shapes only: broadcasting here would hide a wrong block.
        if fx.shape() != skip.shape() {
            return Err(NnError::InputShape {
                layer: "Residual".into(),
                expected: format!(
                    "the body's output {:?} and the skip path {:?} to have one shape (add a projection)",
                    fx.shape(),
                    skip.shape()
                ),
                got: x.shape(),
            });
        }
        Ok(fx + skip)
    }
}
