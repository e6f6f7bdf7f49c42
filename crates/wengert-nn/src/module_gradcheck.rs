//! Gradient checking for whole modules: the gradient with respect to the
//! input *and every parameter*, by central finite differences in f64.
//!
//! [`wengert_tensor::gradcheck`] differentiates with respect to Vars it
//! creates; a layer binds its own parameters with `tape.param`, so their
//! gradients come back by `ParamId`. This check perturbs each parameter
//! element in place through its parameter list, which also tests that the
//! layer binds what it owns; and a parameter the forward pass binds but the
//! module does not list is an error of its own.

use std::fmt;

use wengert_tensor::{gradcheck, seeded_rng, GradcheckError, Tape, Tensor, Tolerance, Var};

use crate::module::Module;

/// A failed module gradient check.
#[derive(Clone, Debug, PartialEq)]
pub enum ModuleGradcheckError {
    /// An analytic gradient that disagrees with finite differences: which
    /// gradient (`input`, or a parameter's full name) and the element.
    Mismatch {
        /// `input` or the parameter's name.
        what: String,
        /// The element, both values and the tolerance (for a parameter,
        /// `input` holds 0 and `element` the flat index).
        error: GradcheckError,
    },
    /// A parameter the forward pass binds, and whose gradient is not zero,
    /// but that the module does not list: it would never be trained, saved
    /// or checked.
    UnlistedParam {
        /// The parameter's own name ([`wengert_tensor::Param::name`]).
        name: String,
        /// Its shape.
        shape: Vec<usize>,
    },
}

impl ModuleGradcheckError {
    /// What failed: `input`, a listed parameter's full name, or an unlisted
    /// parameter's own name.
    pub fn what(&self) -> &str {
        match self {
            ModuleGradcheckError::Mismatch { what, .. } => what,
            ModuleGradcheckError::UnlistedParam { name, .. } => name,
        }
    }
}

impl fmt::Display for ModuleGradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleGradcheckError::Mismatch { what, error } => {
                write!(f, "gradient with respect to `{what}`: {error}")
            }
            ModuleGradcheckError::UnlistedParam { name, shape } => write!(
                f,
                "the forward pass uses parameter `{name}` {shape:?}, which gets a gradient, \
                 but the module does not list it: a visitor that leaves out a child \
                 never trains or saves it (list it, or derive(Module))"
            ),
        }
    }
}

impl std::error::Error for ModuleGradcheckError {}

/// Checks the gradients of `module` at `input` with respect to the input
/// and every unfrozen parameter. Each evaluation runs on a fresh
/// `Tape::training(0)`, so dropout draws the same mask every time and batch
/// normalization uses batch statistics; the function checked is
/// `phi = sum(u * module(x))` for a fixed random `u`.
///
/// A forward error is reported as a panic with its message (the module
/// must accept `input`).
///
/// ```
/// use wengert_nn::{gradcheck_module, Linear};
/// use wengert_tensor::{seeded_rng, Tensor, Tolerance};
/// let mut layer = Linear::<f64>::new(3, 2, &mut seeded_rng(0));
/// let x = Tensor::rand_uniform(&[4, 3], -1.0, 1.0, &mut seeded_rng(1));
/// gradcheck_module(&mut layer, &x, Tolerance::default()).unwrap();
/// ```
pub fn gradcheck_module<M: Module<f64> + ?Sized>(
    module: &mut M,
    input: &Tensor<f64>,
    tol: Tolerance,
) -> Result<(), ModuleGradcheckError> {
    check(module, input, tol, true)
}

/// [`gradcheck_module`] in evaluation mode: every pass runs on an inference
/// tape (dropout off, batch normalization on its running statistics).
pub fn gradcheck_module_eval<M: Module<f64> + ?Sized>(
    module: &mut M,
    input: &Tensor<f64>,
    tol: Tolerance,
) -> Result<(), ModuleGradcheckError> {
    check(module, input, tol, false)
}

/// A tape for one evaluation: seed 0, in the requested mode.
fn tape_for(training: bool) -> Tape<f64> {
    let tape = Tape::training(0);
    tape.set_training(training);
    tape
}

fn check<M: Module<f64> + ?Sized>(
    module: &mut M,
    input: &Tensor<f64>,
    tol: Tolerance,
    training: bool,
) -> Result<(), ModuleGradcheckError> {
    // 1. The input, through the tensor crate's check (whose tapes are
    //    training tapes with seed 0; the mode is set on each).
    {
        let m: &M = module;
        gradcheck(
            |tape, xs| {
                tape.set_training(training);
                forward_or_panic(m, tape, xs[0])
            },
            std::slice::from_ref(input),
            tol,
        )
        .map_err(|error| ModuleGradcheckError::Mismatch {
            what: "input".into(),
            error,
        })?;
    }

    // 2. Each parameter, element by element.
    let out_shape = {
        let tape = tape_for(training);
        forward_or_panic(&*module, &tape, tape.constant(input.clone())).shape()
    };
    let u = Tensor::<f64>::rand_uniform(&out_shape, -1.0, 1.0, &mut seeded_rng(29));
    let phi = |m: &M| {
        let tape = tape_for(training);
        let y = forward_or_panic(m, &tape, tape.constant(input.clone()));
        (y * tape.constant(u.clone())).sum().item()
    };
    // Analytic gradients of phi by ParamId, listed with each name.
    let analytic: Vec<(String, Option<Vec<f64>>, Vec<f64>)> = {
        let m: &M = module;
        let tape = tape_for(training);
        let y = forward_or_panic(m, &tape, tape.constant(input.clone()));
        let grads = (y * tape.constant(u.clone())).sum().backward();
        // Every parameter the pass bound must be listed, if it matters.
        let mut listed = std::collections::BTreeSet::new();
        m.visit_params(&mut |_, p| {
            listed.insert(p.id());
        });
        for bound in tape.bound_params() {
            let matters = grads
                .by_id(bound.id)
                .is_some_and(|g| g.to_vec().iter().any(|&x| x != 0.0));
            if !listed.contains(&bound.id) && matters {
                return Err(ModuleGradcheckError::UnlistedParam {
                    name: bound.name,
                    shape: bound.shape,
                });
            }
        }
        m.params()
            .into_iter()
            .filter(|(_, p)| !p.is_frozen())
            .map(|(name, p)| (name, grads.get(p).map(|g| g.to_vec()), p.value().to_vec()))
            .collect()
    };
    for (name, grad, values) in analytic {
        let grad = grad.unwrap_or_else(|| vec![0.0; values.len()]);
        for (j, &a) in grad.iter().enumerate() {
            let x = values[j];
            set_element(module, &name, j, x + tol.eps);
            let plus = phi(module);
            set_element(module, &name, j, x - tol.eps);
            let minus = phi(module);
            set_element(module, &name, j, x); // restored exactly
            let numeric = (plus - minus) / (2.0 * tol.eps);
            let bound = tol.atol + tol.rtol * numeric.abs();
            if (a - numeric).abs() > bound || a.is_nan() != numeric.is_nan() {
                return Err(ModuleGradcheckError::Mismatch {
                    what: name.clone(),
                    error: GradcheckError {
                        order: "gradient",
                        input: 0,
                        element: vec![j],
                        direction: None,
                        analytic: a,
                        numeric,
                        tolerance: bound,
                    },
                });
            }
        }
    }
    Ok(())
}

/// Sets element `j` (row-major) of the parameter called `name`.
fn set_element<M: Module<f64> + ?Sized>(module: &mut M, name: &str, j: usize, value: f64) {
    module.visit_params_mut(&mut |n, p| {
        if n == name {
            p.value_mut().data_mut()[j] = value;
        }
    });
}

#[track_caller]
fn forward_or_panic<'t, M: Module<f64> + ?Sized>(
    m: &M,
    tape: &'t Tape<f64>,
    x: Var<'t, f64>,
) -> Var<'t, f64> {
    match m.forward(tape, x) {
        Ok(y) => y,
        Err(e) => panic!("gradcheck_module: forward failed: {e}"),
    }
}
