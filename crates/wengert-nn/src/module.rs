//! The [`Module`] trait: a forward pass on [`Var`]s, on top of
//! [`ModuleParts`] (what the module holds: children, buffers, its type
//! name) and [`Parameters`] (its named parameters). `#[derive(Module)]`
//! writes both of those from the struct's fields, so a custom module writes
//! only `forward`. Everything else (names, counts, freezing, summaries,
//! weight files, optimizer steps) is built on the visitors.

use wengert_tensor::{Float, Param, Parameters, Tape, Var};

use crate::buffers::{BufferMut, BufferRef};
use crate::error::{NnError, Result};
use crate::summary::SummaryRow;

/// What a module holds besides its parameters: its children, its buffers and
/// its type name. `#[derive(Module)]` writes it (and [`Parameters`]) from
/// the struct's fields; see [`Module`] for writing it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a module of `{T}`",
    label = "not a module",
    note = "in a `#[derive(Module)]` struct every field is a child module, except `Param` fields and fields marked `#[module(skip)]` (settings, sizes) or `#[module(buffer)]`"
)]
pub trait ModuleParts<T: Float>: Parameters<T> {
    /// The layer's type as PyTorch prints it (`Linear`, `BatchNorm1d`), for
    /// summaries and error messages. The derive uses the struct's name.
    fn type_name(&self) -> &'static str;

    /// Calls `f` with the name and a reference of each direct child module.
    /// Leaf layers have none (the default).
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<T>)) {
        let _ = f;
    }

    /// Mutable form of [`ModuleParts::visit_children`]; must list the same
    /// children in the same order.
    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<T>)) {
        let _ = f;
    }

    /// Calls `f` with the full name and value of every buffer: state that is
    /// saved with the weights but not trained (batch normalization's
    /// `running_mean`, `running_var`, `num_batches_tracked`). The default
    /// visits the children.
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        self.visit_children(&mut |child, m| {
            m.visit_buffers(&mut |name, b| f(&join_name(child, name), b));
        });
    }

    /// Mutable form of [`ModuleParts::visit_buffers`] (weight loading).
    /// Whoever writes through it keeps each buffer's shape.
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        self.visit_children_mut(&mut |child, m| {
            m.visit_buffers_mut(&mut |name, b| f(&join_name(child, name), b));
        });
    }
}

/// A layer or a model: a differentiable function of one input `Var`, with
/// named parameters, children and buffers.
///
/// # Names
///
/// Names are paths joined by `.` as in PyTorch's `state_dict`: a child
/// prefixes its own names with its name in the parent, so the weight of the
/// first layer of a [`crate::Sequential`] is `0.weight`, of a field `fc1`
/// `fc1.weight`, and of the body of a residual block inside a list
/// `blocks.3.body.0.weight`.
///
/// # Train and eval
///
/// A module has no mode of its own: the tape says whether the pass trains
/// ([`Tape::is_training`]), and dropout draws from the tape's seeded random
/// generator. The same model runs a training pass on `Tape::new()` and an
/// evaluation pass on `Tape::inference()`.
///
/// # Why `forward` takes `&self`
///
/// A forward pass reads the model; only batch normalization's running
/// statistics change in a training pass, and they live in a `RefCell`
/// inside that layer. So a model can be evaluated while it is borrowed
/// elsewhere (a validation pass inside a training loop, a layer shared by
/// two branches), and the exclusive borrow is left to what really mutates
/// it: optimizers, freezing and loading weights.
///
/// # Writing a custom module
///
/// Derive [`ModuleParts`] and [`Parameters`] with `#[derive(Module)]` and
/// write `forward`. Every field is a child module, except `Param` fields
/// (parameters), `Option` and `Vec` of either (named `field.0`, `field.1`,
/// ... for a `Vec`), fields marked `#[module(buffer)]`, and fields marked
/// `#[module(skip)]` (settings, sizes):
///
/// ```
/// use wengert_nn::{Linear, Module, Result};
/// use wengert_tensor::{seeded_rng, Tape, Tensor, Var};
///
/// /// y = fc2(tanh(fc1(x))) + x
/// #[derive(Module)]
/// struct TanhBlock {
///     fc1: Linear<f64>,
///     fc2: Linear<f64>,
/// }
///
/// impl Module<f64> for TanhBlock {
///     fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>> {
///         let h = self.fc1.forward(tape, x)?.tanh();
///         Ok(self.fc2.forward(tape, h)? + x)
///     }
/// }
///
/// let mut rng = seeded_rng(0);
/// let block = TanhBlock { fc1: Linear::new(3, 8, &mut rng), fc2: Linear::new(8, 3, &mut rng) };
/// assert_eq!(block.param_names(), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
/// assert_eq!(block.num_params(), 3 * 8 + 8 + 8 * 3 + 3);
/// let tape = Tape::inference();
/// let y = block.forward(&tape, tape.constant(Tensor::zeros(&[2, 3]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 3]);
/// ```
///
/// Written by hand, the same lists are two small impls; a visitor that
/// forgets a child is caught by the optimizer step (gradients for
/// parameters the model did not list are an error) and by
/// [`crate::gradcheck_module`]:
///
/// ```
/// use wengert_nn::{visit_child_params, visit_child_params_mut, Linear, Module, ModuleParts, Result};
/// use wengert_tensor::{Param, Parameters, Tape, Var};
///
/// struct Twice { fc: Linear<f64> }
///
/// impl Parameters<f64> for Twice {
///     fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
///         visit_child_params(self, f)
///     }
///     fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
///         visit_child_params_mut(self, f)
///     }
/// }
///
/// impl ModuleParts<f64> for Twice {
///     fn type_name(&self) -> &'static str {
///         "Twice"
///     }
///     fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<f64>)) {
///         f("fc", &self.fc);
///     }
///     fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<f64>)) {
///         f("fc", &mut self.fc);
///     }
/// }
///
/// impl Module<f64> for Twice {
///     fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>> {
///         let h = self.fc.forward(tape, x)?;
///         self.fc.forward(tape, h)
///     }
/// }
/// # let twice = Twice { fc: Linear::new(2, 2, &mut wengert_tensor::seeded_rng(0)) };
/// # assert_eq!(twice.param_names(), ["fc.weight", "fc.bias"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a module of `{T}`",
    label = "not a module",
    note = "in a `#[derive(Module)]` struct every field is a child module, except `Param` fields and fields marked `#[module(skip)]` (settings, sizes) or `#[module(buffer)]`; a struct of your own needs `impl Module<{T}>` with its `forward`"
)]
pub trait Module<T: Float>: ModuleParts<T> + Send {
    /// The forward pass. Errors name the layer and the shapes (a wrong input
    /// width, say); nothing is recorded on the tape before the check.
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>>;

    /// Runs `forward` and appends one [`SummaryRow`] per layer to `rows`.
    /// The default appends one row for the whole module; containers override
    /// it to list their children. `name` is the module's path.
    fn summarize<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        name: &str,
        rows: &mut Vec<SummaryRow>,
    ) -> Result<Var<'t, T>> {
        let y = self.forward(tape, x)?;
        rows.push(SummaryRow {
            name: name.to_string(),
            type_name: self.type_name().to_string(),
            output_shape: y.shape(),
            params: self.num_params(),
            trainable_params: self.num_trainable_params(),
        });
        Ok(y)
    }

    /// Number of scalars in all parameters.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |_, p| n += p.numel());
        n
    }

    /// Number of scalars in the parameters that are not frozen.
    fn num_trainable_params(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |_, p| {
            if !p.is_frozen() {
                n += p.numel()
            }
        });
        n
    }

    /// Full names of all parameters, in visiting order.
    fn param_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.visit_params(&mut |name, _| names.push(name.to_string()));
        names
    }

    /// All parameters with their full names.
    fn params(&self) -> Vec<(String, &Param<T>)> {
        let mut out = Vec::new();
        self.visit_params(&mut |name, p| out.push((name.to_string(), p)));
        out
    }

    /// All parameters with their full names, mutably (an optimizer takes the
    /// model itself: `opt.step(&mut model, &grads)`; this list is for
    /// updates written by hand).
    ///
    /// ```
    /// use wengert_nn::{Linear, Module};
    /// use wengert_tensor::{seeded_rng, Tape, Tensor};
    /// let mut layer = Linear::<f64>::new(2, 1, &mut seeded_rng(0));
    /// let tape = Tape::new();
    /// let y = layer.forward(&tape, tape.constant(Tensor::ones(&[4, 2]))).unwrap();
    /// let grads = y.square().mean().backward();
    /// for (_name, p) in layer.params_mut() {
    ///     if let Some(g) = grads.get(p) {
    ///         let step = g.mul_scalar(0.1);
    ///         let new = p.value().sub(&step);
    ///         p.set_value(new).unwrap();
    ///     }
    /// }
    /// ```
    fn params_mut(&mut self) -> Vec<(String, &mut Param<T>)> {
        let mut out = Vec::new();
        self.visit_params_mut(&mut |name, p| out.push((name.to_string(), p)));
        out
    }

    /// Freezes every parameter: they get no gradient (the tape binds them as
    /// constants) and optimizers skip them.
    fn freeze(&mut self) {
        self.visit_params_mut(&mut |_, p| p.set_frozen(true));
    }

    /// Unfreezes every parameter.
    fn unfreeze(&mut self) {
        self.visit_params_mut(&mut |_, p| p.set_frozen(false));
    }

    /// Freezes or unfreezes the parameter called `name`, or every parameter
    /// under the layer called `name` (`"0"` covers `0.weight` and `0.bias`).
    /// Returns how many parameters changed state or were matched, and an
    /// error listing the parameter names when nothing matches.
    fn set_frozen(&mut self, name: &str, frozen: bool) -> Result<usize> {
        let mut matched = 0;
        self.visit_params_mut(&mut |full, p| {
            if name_is_under(full, name) {
                p.set_frozen(frozen);
                matched += 1;
            }
        });
        if matched == 0 {
            return Err(NnError::UnknownName {
                name: name.to_string(),
                known: self.param_names().join(", "),
            });
        }
        Ok(matched)
    }
}

/// A boxed module is a module: `Box<dyn Module<T>>` can be passed where a
/// `Module` is expected (a trainer generic over its model, a layer chosen
/// at run time added to a [`crate::Sequential`]). Every method forwards, so
/// the boxed module's own overrides (names, buffers, summary rows) are kept;
/// its [`Parameters`] forward through wengert-tensor's impl for `Box`.
impl<T: Float, M: ModuleParts<T> + ?Sized> ModuleParts<T> for Box<M> {
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<T>)) {
        (**self).visit_children(f)
    }
    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<T>)) {
        (**self).visit_children_mut(f)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        (**self).visit_buffers(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        (**self).visit_buffers_mut(f)
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        (**self).forward(tape, x)
    }
    fn summarize<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        name: &str,
        rows: &mut Vec<SummaryRow>,
    ) -> Result<Var<'t, T>> {
        (**self).summarize(tape, x, name, rows)
    }
}

/// The parameters of `module`'s children, each prefixed with the child's
/// name: the body of [`Parameters::visit_params`] for a hand-written module
/// that owns no parameters itself.
pub fn visit_child_params<'s, T: Float, M: ModuleParts<T> + ?Sized>(
    module: &'s M,
    f: &mut dyn FnMut(&str, &'s Param<T>),
) {
    module.visit_children(&mut |child, m| {
        m.visit_params(&mut |name, p| f(&join_name(child, name), p));
    });
}

/// Mutable form of [`visit_child_params`].
pub fn visit_child_params_mut<'s, T: Float, M: ModuleParts<T> + ?Sized>(
    module: &'s mut M,
    f: &mut dyn FnMut(&str, &'s mut Param<T>),
) {
    module.visit_children_mut(&mut |child, m| {
        m.visit_params_mut(&mut |name, p| f(&join_name(child, name), p));
    });
}

/// `prefix.name`, or `name` alone when the prefix is empty (the root).
///
/// ```
/// assert_eq!(wengert_nn::join_name("0", "weight"), "0.weight");
/// assert_eq!(wengert_nn::join_name("", "weight"), "weight");
/// ```
pub fn join_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else if name.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Whether the parameter `full` is `name` itself or lies under the layer
/// `name` (`0.weight` is under `0`, `10.weight` is not).
pub(crate) fn name_is_under(full: &str, name: &str) -> bool {
    full == name
        || (full.len() > name.len()
            && full.starts_with(name)
            && full.as_bytes()[name.len()] == b'.')
}

/// The layer description used in shape errors of a leaf layer.
pub(crate) fn input_error(layer: String, expected: String, got: Vec<usize>) -> NnError {
    NnError::InputShape {
        layer,
        expected,
        got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_under_respects_path_boundaries() {
        assert!(name_is_under("0.weight", "0"));
        assert!(name_is_under("0.weight", "0.weight"));
        assert!(!name_is_under("10.weight", "1"));
        assert!(!name_is_under("0.weight", "0.w"));
        assert!(name_is_under("3.body.0.bias", "3.body"));
    }
}
