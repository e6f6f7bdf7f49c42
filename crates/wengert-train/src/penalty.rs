//! Weight penalties added to the training objective: the text's L2 penalty
//! `lambda/2 ||w||^2` written into the loss, and L1 `lambda ||w||_1`, which
//! drives weights to exactly zero.
//!
//! A [`Loss`](crate::Loss) sees only the model's output and the targets, so
//! a term that depends on the parameters has its own place:
//! [`Trainer::penalty`](crate::Trainer::penalty). The penalty joins the
//! gradient of every step; the recorded `train_loss` stays the data loss
//! alone, so it compares with `val_loss` and with the book's training loss.
//!
//! Coupled L2 through the optimizer ([`WeightDecay::L2`]) adds the same
//! gradient `lambda w` without a tape node; a penalty is the form that reads
//! like the objective on paper, works with any optimizer, and is the only
//! form of L1.
//!
//! [`WeightDecay::L2`]: wengert_optim::WeightDecay::L2

use wengert_nn::{l1_penalty, l2_penalty, Module};
use wengert_tensor::{Float, Tape, Var};

/// Which norm a [`Penalty`] takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Norm {
    /// `lambda/2 * sum w^2`.
    HalfSquaredL2,
    /// `lambda * sum |w|`.
    L1,
}

/// A term `lambda * norm(w)` added to the training objective, over the
/// parameters a filter picks (every trainable parameter unless told
/// otherwise; frozen ones get no gradient from it).
///
/// ```
/// use wengert_train::Penalty;
/// // The text's weight decay on weights only, not biases.
/// let l2 = Penalty::l2(3.0).weights_only();
/// // Sparsity on the first layer's weight.
/// let l1 = Penalty::l1(1e-3).only(|name| name == "0.weight");
/// assert_eq!(l2.lambda(), 3.0);
/// # let _ = l1;
/// ```
pub struct Penalty {
    norm: Norm,
    lambda: f64,
    filter: Box<dyn Fn(&str) -> bool + Send + Sync>,
    description: String,
}

impl std::fmt::Debug for Penalty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Penalty {
    /// `lambda/2 ||w||^2`, the text's L2 penalty: its gradient adds
    /// `lambda w`, the same as coupled weight decay `lambda`.
    pub fn l2(lambda: f64) -> Self {
        Self::new(Norm::HalfSquaredL2, lambda, format!("{lambda}/2 ||w||^2"))
    }

    /// `lambda ||w||_1`: its gradient adds `lambda sign(w)` (0 at 0), a
    /// constant pull toward zero that leaves unneeded weights at (or near)
    /// exactly zero.
    pub fn l1(lambda: f64) -> Self {
        Self::new(Norm::L1, lambda, format!("{lambda} ||w||_1"))
    }

    fn new(norm: Norm, lambda: f64, description: String) -> Self {
        Penalty {
            norm,
            lambda,
            filter: Box::new(|_| true),
            description: format!("{description} over all parameters"),
        }
    }

    /// Penalizes only the parameters whose full name (`0.weight`,
    /// `encoder.2.bias`) `pick` accepts.
    pub fn only(mut self, pick: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Box::new(pick);
        self.description = self.description.replace("over all parameters", "over some");
        self
    }

    /// Penalizes only parameters named `weight` (the text penalizes `w`,
    /// not the bias: a bias does not make the function wiggle).
    pub fn weights_only(self) -> Self {
        let described = self
            .description
            .replace("over all parameters", "over weights");
        let mut picked = self.only(|name| name == "weight" || name.ends_with(".weight"));
        picked.description = described;
        picked
    }

    /// The coefficient.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The penalty of `model`'s picked parameters, bound on `tape`.
    pub fn term<'t, T: Float>(&self, tape: &'t Tape<T>, model: &dyn Module<T>) -> Var<'t, T> {
        let params = model.params();
        let picked = params
            .iter()
            .filter(|(name, _)| (self.filter)(name))
            .map(|(_, p)| *p);
        let (norm, scale) = match self.norm {
            Norm::HalfSquaredL2 => (l2_penalty(tape, picked), self.lambda / 2.0),
            Norm::L1 => (l1_penalty(tape, picked), self.lambda),
        };
        norm.mul_scalar(T::from_f64(scale))
    }
}
