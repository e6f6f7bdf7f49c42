//! Weight penalties as differentiable terms to add to a loss: L2 (weight
//! decay written into the objective) and L1 (sparsity).

use wengert_tensor::{Float, Param, Tape, Var};

/// `sum over params of sum(w^2)`, the squared L2 norm of the parameters,
/// bound on `tape` so its gradient `2 w` joins the loss's. Frozen
/// parameters are bound as constants and get none.
///
/// The textbook objective `loss + lambda/2 ||w||^2` is
/// `loss + l2_penalty(..) * (lambda / 2)`; its gradient adds `lambda w`,
/// which is what an optimizer's coupled weight decay adds directly.
/// Usually only weights are penalized, not biases: filter the names.
///
/// An empty set gives 0.
///
/// ```
/// use wengert_nn::{l2_penalty, Linear, Module};
/// use wengert_tensor::{seeded_rng, Tape};
/// let layer = Linear::<f64>::new(3, 2, &mut seeded_rng(0));
/// let tape = Tape::new();
/// let weights = layer.params().into_iter().filter(|(n, _)| n.ends_with("weight")).map(|(_, p)| p);
/// let penalty = l2_penalty(&tape, weights);
/// let w = layer.weight().value().to_vec();
/// let want: f64 = w.iter().map(|v| v * v).sum();
/// assert!((penalty.item() - want).abs() < 1e-12);
/// let g = penalty.backward();
/// assert_eq!(g.get(layer.weight()).unwrap().to_vec(), w.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
/// ```
pub fn l2_penalty<'t, 'p, T: Float>(
    tape: &'t Tape<T>,
    params: impl IntoIterator<Item = &'p Param<T>>,
) -> Var<'t, T> {
    penalty(tape, params, |w| w.square().sum())
}

/// `sum over params of sum(|w|)`, the L1 norm of the parameters, whose
/// gradient `sign(w)` (0 at 0) pushes weights to exactly zero. Bound as
/// [`l2_penalty`]. The objective `loss + lambda ||w||_1` is
/// `loss + l1_penalty(..) * lambda`.
pub fn l1_penalty<'t, 'p, T: Float>(
    tape: &'t Tape<T>,
    params: impl IntoIterator<Item = &'p Param<T>>,
) -> Var<'t, T> {
    penalty(tape, params, |w| w.abs().sum())
}

fn penalty<'t, 'p, T: Float>(
    tape: &'t Tape<T>,
    params: impl IntoIterator<Item = &'p Param<T>>,
    term: impl Fn(Var<'t, T>) -> Var<'t, T>,
) -> Var<'t, T> {
    params
        .into_iter()
        .map(|p| term(tape.param(p)))
        .reduce(|a, b| a + b)
        .unwrap_or_else(|| tape.scalar(T::zero()))
}
