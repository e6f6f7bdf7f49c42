//! Gradient checking: the analytic gradient of the tape against central
//! finite differences, in `f64`.
//!
//! For a function `f` of some input tensors with output `y`, both sides
//! differentiate the scalar `phi(x) = sum(u * f(x))` for a fixed random `u`
//! (so every output element is weighted and a wrong rule cannot hide behind
//! a symmetric sum). Small inputs are checked element by element:
//!
//! ```text
//! dphi/dx_j  ~  (phi(x + eps e_j) - phi(x - eps e_j)) / (2 eps)      error O(eps^2)
//! ```
//!
//! Inputs larger than [`Tolerance::max_elements`] are checked along a few
//! random directions `d` instead: `grad . d` against the same difference
//! quotient along `d`.
//!
//! [`gradgradcheck`] checks second derivatives: it gradchecks the function
//! that maps `x` to its gradient, computed with
//! [`crate::Var::backward_with_graph`].

use std::fmt;

use crate::float::Float;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Step and tolerances of a gradient check: an analytic value `a` passes
/// against a numeric one `n` when `|a - n| <= atol + rtol * |n|`.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Above this many elements an input is checked along random directions.
    pub max_elements: usize,
}

impl Default for Tolerance {
    /// eps 1e-6 (central differences then err by about 1e-12 from truncation
    /// and 1e-10 from rounding), atol 1e-6, rtol 1e-5.
    fn default() -> Self {
        Tolerance {
            eps: 1e-6,
            atol: 1e-6,
            rtol: 1e-5,
            max_elements: 512,
        }
    }
}

/// A gradient check that failed: which input, which element, both values.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckError {
    /// What was checked ("gradient" or "second derivative").
    pub order: &'static str,
    /// Index of the input.
    pub input: usize,
    /// Multi-index of the element, or empty for a random direction.
    pub element: Vec<usize>,
    /// Direction number when checked along random directions.
    pub direction: Option<usize>,
    /// The tape's value.
    pub analytic: f64,
    /// The finite-difference value.
    pub numeric: f64,
    /// The tolerance the difference exceeded.
    pub tolerance: f64,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match self.direction {
            Some(d) => format!("random direction {d}"),
            None => format!("element {:?}", self.element),
        };
        write!(
            f,
            "{} check failed for input {} at {at}: analytic {:.12e} vs numeric {:.12e} (|diff| {:.3e} > tolerance {:.3e})",
            self.order,
            self.input,
            self.analytic,
            self.numeric,
            (self.analytic - self.numeric).abs(),
            self.tolerance
        )
    }
}

impl std::error::Error for GradcheckError {}

/// A function under test: builds its output from input Vars on a tape.
pub trait TapeFn: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64> {}
impl<F> TapeFn for F where F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64> {}

/// Checks the gradient of `f` with respect to every input by central finite
/// differences. The function gets a fresh training tape with seed 0 for each
/// evaluation, so dropout-like randomness is the same across evaluations.
///
/// ```
/// use wengert_tensor::{gradcheck, Tensor, Tolerance};
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
/// gradcheck(|_tape, v| v[0].tanh() * v[0], &[x], Tolerance::default()).unwrap();
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>], tol: Tolerance) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    check(&f, inputs, tol, "gradient")
}

/// Checks second derivatives: gradchecks `x -> d/dx sum(u * f(x))`, the
/// gradient being recorded with `backward_with_graph`.
///
/// ```
/// use wengert_tensor::{gradgradcheck, Tensor, Tolerance};
/// let x = Tensor::from_vec(vec![0.3, -1.2], &[2]);
/// gradgradcheck(|_tape, v| v[0].exp() * v[0], &[x], Tolerance::default()).unwrap();
/// ```
pub fn gradgradcheck<F>(f: F, inputs: &[Tensor<f64>], tol: Tolerance) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let grad_fn = as_tape_fn(move |tape, xs| {
        let y = f(tape, xs);
        let u = tape.constant(weights(&y.shape(), 17));
        let g = (y * u).sum().backward_with_graph();
        let parts: Vec<Var<'_, f64>> = xs
            .iter()
            .map(|&x| {
                let n = x.numel();
                match g.wrt(x) {
                    Some(d) => d.reshape(&[n]),
                    None => tape.constant(Tensor::zeros(&[n])),
                }
            })
            .collect();
        Var::concat(&parts, 0)
    });
    check(&grad_fn, inputs, tol, "second derivative")
}

/// Pins a closure's signature to the higher-ranked one gradcheck needs.
fn as_tape_fn<F>(f: F) -> F
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    f
}

/// Fixed pseudo-random weights in [0.5, 1.5) with random signs, so no
/// output element is weighted zero.
fn weights(shape: &[usize], seed: u64) -> Tensor<f64> {
    use rand::Rng;
    let mut rng = crate::seeded_rng(seed);
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            let m: f64 = rng.random_range(0.5..1.5);
            if rng.random::<bool>() {
                m
            } else {
                -m
            }
        })
        .collect();
    Tensor::from_vec(data, shape)
}

/// phi(x) = sum(u * f(x)) and, when asked, its analytic gradients.
fn evaluate(f: &impl TapeFn, inputs: &[Tensor<f64>], with_grad: bool) -> (f64, Vec<Tensor<f64>>) {
    let tape = Tape::training(0);
    let xs: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let y = f(&tape, &xs);
    let u = tape.constant(weights(&y.shape(), 29));
    let phi = (y * u).sum();
    if !with_grad {
        return (phi.item(), Vec::new());
    }
    let grads = phi.backward();
    let g = xs
        .iter()
        .zip(inputs)
        .map(|(&x, t)| {
            grads
                .wrt(x)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(t.shape()))
        })
        .collect();
    (phi.item(), g)
}

fn check(
    f: &impl TapeFn,
    inputs: &[Tensor<f64>],
    tol: Tolerance,
    order: &'static str,
) -> Result<(), GradcheckError> {
    let (_, analytic) = evaluate(f, inputs, true);
    let phi_at = |i: usize, dir: &[f64], scale: f64| {
        let mut moved = inputs.to_vec();
        let x = moved[i].to_vec();
        let shifted: Vec<f64> = x.iter().zip(dir).map(|(&v, &d)| v + scale * d).collect();
        moved[i] = Tensor::from_vec(shifted, inputs[i].shape());
        evaluate(f, &moved, false).0
    };
    for (i, x) in inputs.iter().enumerate() {
        let n = x.numel();
        let g = analytic[i].to_vec();
        let compare = |analytic: f64, numeric: f64, element: Vec<usize>, direction| {
            let tolerance = tol.atol + tol.rtol * numeric.abs();
            if (analytic - numeric).abs() <= tolerance {
                Ok(())
            } else {
                Err(GradcheckError {
                    order,
                    input: i,
                    element,
                    direction,
                    analytic,
                    numeric,
                    tolerance,
                })
            }
        };
        if n <= tol.max_elements {
            let mut e = vec![0.0; n];
            for j in 0..n {
                e[j] = 1.0;
                let numeric = (phi_at(i, &e, tol.eps) - phi_at(i, &e, -tol.eps)) / (2.0 * tol.eps);
                e[j] = 0.0;
                compare(g[j], numeric, unravel(j, x.shape()), None)?;
            }
        } else {
            for k in 0..4 {
                let d = weights(&[n], 100 + k as u64).to_vec();
                let analytic: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
                let numeric = (phi_at(i, &d, tol.eps) - phi_at(i, &d, -tol.eps)) / (2.0 * tol.eps);
                compare(analytic, numeric, Vec::new(), Some(k))?;
            }
        }
    }
    Ok(())
}

/// Multi-index of a row-major flat index.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for ax in (0..shape.len()).rev() {
        index[ax] = flat % shape[ax];
        flat /= shape[ax];
    }
    index
}

/// Asserts two tensors have one shape and agree element-wise within
/// `atol + rtol * |expected|`, naming the first element that does not.
///
/// ```
/// use wengert_tensor::{gradcheck::assert_close, Tensor};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_close(&a, &Tensor::from_vec(vec![1.0, 2.000001], &[2]), 1e-5, 0.0);
/// ```
#[track_caller]
pub fn assert_close<T: Float>(actual: &Tensor<T>, expected: &Tensor<T>, atol: f64, rtol: f64) {
    assert_eq!(
        actual.shape(),
        expected.shape(),
        "assert_close: shapes differ: actual {:?}, expected {:?}",
        actual.shape(),
        expected.shape()
    );
    let (a, e) = (actual.values(), expected.values());
    for (j, (&x, &y)) in a.iter().zip(e.iter()).enumerate() {
        let (x, y) = (x.to_f64(), y.to_f64());
        let tol = atol + rtol * y.abs();
        let both_nan = x.is_nan() && y.is_nan();
        assert!(
            both_nan || (x - y).abs() <= tol,
            "assert_close: element {:?} (flat {j}): actual {x:e}, expected {y:e}, |diff| {:e} > {tol:e}",
            unravel(j, expected.shape()),
            (x - y).abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_rule_is_caught_and_reported() {
        // A deliberately wrong op: y = x^2 with the rule dy * x (missing the 2).
        let wrong = as_tape_fn(|tape, v| {
            let x = v[0];
            let y = x.value().map(|a| a * a);
            tape.record("bad_square", &[x], y, |ctx, dy| [Some(dy * ctx.input(0))])
        });
        let err = gradcheck(
            wrong,
            &[Tensor::from_vec(vec![1.5, -0.5], &[2])],
            Tolerance::default(),
        )
        .unwrap_err();
        assert_eq!(err.input, 0);
        assert_eq!(err.element, vec![0]);
        // analytic u0 * 1.5, numeric u0 * 3: half of it
        assert!((err.analytic * 2.0 - err.numeric).abs() < 1e-6, "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("input 0") && msg.contains("element [0]"),
            "{msg}"
        );
    }

    #[test]
    fn large_inputs_use_random_directions() {
        let x = Tensor::from_vec((0..600).map(|i| (i as f64 * 0.01).sin()).collect(), &[600]);
        gradcheck(|_t, v| v[0].sin_like(), &[x], Tolerance::default()).unwrap();
    }

    trait SinLike<'t> {
        fn sin_like(self) -> Var<'t, f64>;
    }
    impl<'t> SinLike<'t> for Var<'t, f64> {
        // tanh(x) * x: smooth, non-linear, exercises two rules.
        fn sin_like(self) -> Var<'t, f64> {
            self.tanh() * self
        }
    }
}
