//! The [`Module`] trait: a forward pass on [`Var`]s plus one explicit
//! visitor for parameters, one for buffers and one for children. Everything
//! else (names, counts, freezing, summaries, weight files) is built on those
//! visitors, so a custom module only writes `forward` and says what it holds.

use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::summary::SummaryRow;

/// A layer or a model: a differentiable function of one input `Var`, with
/// named parameters and buffers.
///
/// # Names
///
/// Names are paths joined by `.` as in PyTorch's `state_dict`: a child
/// prefixes its own names with its name in the parent, so the weight of the
/// first layer of a [`crate::Sequential`] is `0.weight`, and of the body of a
/// residual block inside it `3.body.0.weight`.
///
/// # Train and eval
///
/// A module has no mode of its own: the tape says whether the pass trains
/// ([`Tape::is_training`]), and dropout draws from the tape's seeded random
/// generator. The same model runs a training pass on `Tape::training(seed)`
/// and an evaluation pass on `Tape::inference()`.
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
/// Implement `forward`, `type_name`, and the two child visitors; names,
/// parameter counts, freezing, summaries and weight files then work. A
/// module that also owns parameters itself overrides `visit_params` and
/// `visit_params_mut` to list them (as [`crate::Linear`] does) and its
/// children's (prefixed with [`join_name`]); one with running statistics
/// does the same with the buffer visitors.
///
/// ```
/// use wengert_nn::{Linear, Module, NnError, Result};
/// use wengert_tensor::{seeded_rng, Tape, Tensor, Var};
///
/// /// y = fc2(tanh(fc1(x))) + x
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
///     fn type_name(&self) -> &'static str {
///         "TanhBlock"
///     }
///     fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<f64>)) {
///         f("fc1", &self.fc1);
///         f("fc2", &self.fc2);
///     }
///     fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<f64>)) {
///         f("fc1", &mut self.fc1);
///         f("fc2", &mut self.fc2);
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
pub trait Module<T: Float>: Send {
    /// The forward pass. Errors name the layer and the shapes (a wrong input
    /// width, say); nothing is recorded on the tape before the check.
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>>;

    /// The layer's type as PyTorch prints it (`Linear`, `BatchNorm1d`), for
    /// summaries and error messages.
    fn type_name(&self) -> &'static str;

    /// Calls `f` with the name and a reference of each direct child module.
    /// Leaf layers have none (the default).
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<T>)) {
        let _ = f;
    }

    /// Mutable form of [`Module::visit_children`]; must list the same
    /// children in the same order.
    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<T>)) {
        let _ = f;
    }

    /// Calls `f` with the full name and a reference of every parameter,
    /// children's included, in a fixed order (the order of the weight file
    /// and of the summary). The default visits the children; a layer that
    /// owns parameters overrides it.
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        self.visit_children(&mut |child, m| {
            m.visit_params(&mut |name, p| f(&join_name(child, name), p));
        });
    }

    /// Mutable form of [`Module::visit_params`]: what optimizers, freezing
    /// and weight loading go through. wengert-optim's `step_with` takes a
    /// visitor of the form `FnMut(&mut dyn FnMut(&str, &mut Param<T>))`,
    /// which this method is: `optimizer.step_with(&grads, &mut |f| model.visit_params_mut(f))`.
    /// The full names it passes are what parameter groups match and what
    /// saved optimizer state is keyed by.
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        self.visit_children_mut(&mut |child, m| {
            m.visit_params_mut(&mut |name, p| f(&join_name(child, name), p));
        });
    }

    /// Calls `f` with the full name and value of every buffer: state that is
    /// saved with the weights but not trained (batch normalization's
    /// `running_mean`, `running_var`, `num_batches_tracked`).
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        self.visit_children(&mut |child, m| {
            m.visit_buffers(&mut |name, b| f(&join_name(child, name), b));
        });
    }

    /// Mutable form of [`Module::visit_buffers`] (weight loading). Whoever
    /// writes through it keeps each buffer's shape.
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        self.visit_children_mut(&mut |child, m| {
            m.visit_buffers_mut(&mut |name, b| f(&join_name(child, name), b));
        });
    }

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

    /// All parameters with their full names, mutably: an optimizer step is a
    /// loop over this list.
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
/// the boxed module's own overrides (names, buffers, summary rows) are kept.
impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        (**self).forward(tape, x)
    }
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<T>)) {
        (**self).visit_children(f)
    }
    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<T>)) {
        (**self).visit_children_mut(f)
    }
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        (**self).visit_params(f)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        (**self).visit_params_mut(f)
    }
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        (**self).visit_buffers(f)
    }
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, BufferMut<'_, T>)) {
        (**self).visit_buffers_mut(f)
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

/// A buffer's value, read-only: a float tensor (running statistics) or an
/// integer counter (`num_batches_tracked`, int64 in PyTorch's files).
#[derive(Clone, Copy, Debug)]
pub enum BufferRef<'a, T: Float> {
    /// A float tensor.
    Float(&'a Tensor<T>),
    /// A scalar integer counter.
    Int(i64),
}

/// A buffer's value, writable: loading weights replaces it in place.
#[derive(Debug)]
pub enum BufferMut<'a, T: Float> {
    /// A float tensor; keep its shape.
    Float(&'a mut Tensor<T>),
    /// A scalar integer counter.
    Int(&'a mut i64),
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
fn name_is_under(full: &str, name: &str) -> bool {
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
