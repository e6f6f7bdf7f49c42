//! `Dropout`: inverted dropout, seeded from the tape.

use rand::RngCore;
use wengert_tensor::{Float, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::Module;

/// Inverted dropout (Srivastava et al., 2014): in a training pass each
/// element is zeroed with probability `p` and the others are scaled by
/// `1 / (1 - p)`, so the expected value of every element is unchanged and
/// evaluation needs no rescaling; in an inference pass it is the identity.
///
/// The mask is drawn from the tape's seeded generator
/// ([`Tape::rng`]), so a training pass is reproducible from the tape's seed.
/// It is a constant: `dx = dy * mask / (1 - p)`.
///
/// # Shapes
/// Any shape. PyTorch: `nn.Dropout(p)`.
///
/// ```
/// use wengert_nn::{Dropout, Module};
/// use wengert_tensor::{Tape, Tensor};
/// let drop = Dropout::new(0.5);
/// let x = Tensor::<f64>::ones(&[1000]);
/// let train = Tape::training(7);
/// let y = drop.forward(&train, train.constant(x.clone())).unwrap().value().to_vec();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// let eval = Tape::inference();
/// let z = drop.forward(&eval, eval.constant(x.clone())).unwrap();
/// assert_eq!(z.value().to_vec(), x.to_vec());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Module)]
pub struct Dropout {
    #[module(skip)]
    p: f64,
}

impl Dropout {
    /// Dropout with probability `p` in `[0, 1]`; panics otherwise (see
    /// [`Dropout::try_new`]).
    #[track_caller]
    pub fn new(p: f64) -> Self {
        crate::error::or_panic(Self::try_new(p))
    }

    /// Dropout with probability `p`, which must lie in `[0, 1]`.
    pub fn try_new(p: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(NnError::InvalidConfig {
                layer: "Dropout".into(),
                why: format!("p must lie in [0, 1], got {p}"),
            });
        }
        Ok(Dropout { p })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        if !tape.is_training() || self.p == 0.0 {
            return Ok(x);
        }
        let shape = x.shape();
        let n: usize = shape.iter().product();
        // p = 1 drops everything; no 1/(1-p) is formed then.
        let scale = if self.p < 1.0 {
            T::from_f64(1.0 / (1.0 - self.p))
        } else {
            T::zero()
        };
        // An element is dropped when a uniform 32-bit draw falls below
        // p * 2^32: one generator word per element, half the cost of a
        // uniform f64 (p is quantised to 2^-32, far below any useful
        // precision; p = 1 gives 2^32, so every element drops).
        let threshold = (self.p * 4_294_967_296.0).round() as u64;
        let mask: Vec<T> = {
            let mut rng = tape.rng();
            (0..n)
                .map(|_| {
                    if u64::from(rng.next_u32()) < threshold {
                        T::zero()
                    } else {
                        scale
                    }
                })
                .collect()
        };
        Ok(x * tape.constant(Tensor::from_vec(mask, &shape)))
    }
}
