//! Gradients returned by a backward pass.

use std::collections::BTreeMap;

use super::Var;
use crate::float::Float;
use crate::param::{Param, ParamId};
use crate::tensor::Tensor;

/// Gradients of one backward pass: by parameter id and by leaf `Var`.
///
/// Kept in ordered maps, so iterating (for a global gradient norm, say)
/// visits parameters in creation order and sums in the same order every run.
///
/// A backward pass also notes the name each parameter had when it was bound
/// ([`Grads::name_of`]), so an optimizer handed gradients for a parameter
/// the model did not list can say which one.
#[derive(Clone, Debug, Default)]
pub struct Grads<T: Float> {
    params: BTreeMap<ParamId, Tensor<T>>,
    vars: BTreeMap<usize, Tensor<T>>,
    names: BTreeMap<ParamId, String>,
}

impl<T: Float> Grads<T> {
    /// No gradients.
    pub fn new() -> Self {
        Grads {
            params: BTreeMap::new(),
            vars: BTreeMap::new(),
            names: BTreeMap::new(),
        }
    }

    /// The name the parameter `id` had when the tape bound it (a layer's
    /// local name, such as `weight`), if these gradients came from a
    /// backward pass that saw it.
    pub fn name_of(&self, id: ParamId) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// The gradients of the parameters `keep` accepts, names included: for
    /// stepping part of a model with its own optimizer.
    pub fn filter(&self, mut keep: impl FnMut(ParamId) -> bool) -> Grads<T> {
        let mut out = Grads::new();
        for (&id, g) in &self.params {
            if keep(id) {
                out.params.insert(id, g.clone());
                if let Some(name) = self.names.get(&id) {
                    out.names.insert(id, name.clone());
                }
            }
        }
        out
    }

    /// The gradient of a parameter, if it got one (frozen ones do not).
    pub fn get(&self, param: &Param<T>) -> Option<&Tensor<T>> {
        self.params.get(&param.id())
    }

    /// The gradient for a parameter id.
    pub fn by_id(&self, id: ParamId) -> Option<&Tensor<T>> {
        self.params.get(&id)
    }

    /// The gradient with respect to a leaf made by [`crate::Tape::var`].
    pub fn wrt(&self, var: Var<'_, T>) -> Option<&Tensor<T>> {
        self.vars.get(&var.id())
    }

    /// Sets (replaces) a parameter's gradient: for clipping, or for tests.
    pub fn insert(&mut self, id: ParamId, grad: Tensor<T>) {
        self.params.insert(id, grad);
    }

    /// Removes a parameter's gradient and returns it.
    pub fn remove(&mut self, id: ParamId) -> Option<Tensor<T>> {
        self.names.remove(&id);
        self.params.remove(&id)
    }

    /// Mutable access to a parameter's gradient (clipping rescales in place).
    pub fn get_mut(&mut self, id: ParamId) -> Option<&mut Tensor<T>> {
        self.params.get_mut(&id)
    }

    /// Parameter gradients in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Tensor<T>)> {
        self.params.iter().map(|(&id, g)| (id, g))
    }

    /// Mutable parameter gradients in id order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ParamId, &mut Tensor<T>)> {
        self.params.iter_mut().map(|(&id, g)| (id, g))
    }

    /// Number of parameter gradients.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether there is no parameter gradient.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Adds `other`'s gradients into these (gradient accumulation over
    /// several minibatches).
    pub fn accumulate(&mut self, other: &Grads<T>) {
        for (id, g) in other.iter() {
            self.accumulate_param(id, g.clone());
        }
        for (&id, name) in &other.names {
            self.names.entry(id).or_insert_with(|| name.clone());
        }
    }

    pub(crate) fn set_name(&mut self, id: ParamId, name: String) {
        self.names.insert(id, name);
    }

    pub(crate) fn accumulate_param(&mut self, id: ParamId, grad: Tensor<T>) {
        match self.params.remove(&id) {
            None => {
                self.params.insert(id, grad);
            }
            Some(g) => {
                let sum = crate::kernels::elementwise::zip_same(&g, &grad, |a, b| a + b);
                self.params.insert(id, sum);
            }
        }
    }

    pub(crate) fn set_var(&mut self, node: usize, grad: Tensor<T>) {
        self.vars.insert(node, grad);
    }
}

/// Gradients as differentiable Vars, from [`Var::backward_with_graph`].
pub struct GradGraph<'t, T: Float> {
    params: BTreeMap<ParamId, Var<'t, T>>,
    vars: BTreeMap<usize, Var<'t, T>>,
}

impl<'t, T: Float> GradGraph<'t, T> {
    pub(crate) fn new() -> Self {
        GradGraph {
            params: BTreeMap::new(),
            vars: BTreeMap::new(),
        }
    }

    /// The gradient with respect to a leaf made by [`crate::Tape::var`].
    pub fn wrt(&self, var: Var<'t, T>) -> Option<Var<'t, T>> {
        self.vars.get(&var.id()).copied()
    }

    /// The gradient of a parameter.
    pub fn get(&self, param: &Param<T>) -> Option<Var<'t, T>> {
        self.params.get(&param.id()).copied()
    }

    /// Parameter gradients in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, Var<'t, T>)> + '_ {
        self.params.iter().map(|(&id, &g)| (id, g))
    }

    /// The values, as plain [`Grads`].
    pub fn to_grads(&self) -> Grads<T> {
        let mut out = Grads::new();
        for (&id, g) in &self.params {
            if let Some(name) = g.tape().bound_name(id) {
                out.set_name(id, name);
            }
            out.accumulate_param(id, g.value());
        }
        for (&i, g) in &self.vars {
            out.set_var(i, g.value());
        }
        out
    }

    pub(crate) fn accumulate_param(&mut self, id: ParamId, grad: Var<'t, T>) {
        let sum = match self.params.get(&id) {
            None => grad,
            Some(&g) => g + grad,
        };
        self.params.insert(id, sum);
    }

    pub(crate) fn set_var(&mut self, node: usize, grad: Var<'t, T>) {
        self.vars.insert(node, grad);
    }
}
