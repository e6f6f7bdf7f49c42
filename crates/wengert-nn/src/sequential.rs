//! `Sequential`: layers applied one after the other, named by index.

use wengert_tensor::{Float, Param, Parameters, Tape, Var};

use crate::error::{NnError, Result};
use crate::module::{join_name, visit_child_params, visit_child_params_mut, Module, ModuleParts};
use crate::summary::SummaryRow;

/// Layers applied in order: `y = f_n(... f_1(f_0(x)))`. Children are named
/// by their index, as in PyTorch's `nn.Sequential`, so a PyTorch state dict
/// (`0.weight`, `1.running_mean`, ...) loads directly.
///
/// Fine-tuning helpers: [`Sequential::freeze_first`] freezes the first `k`
/// layers, [`Sequential::replace_last`] puts a new head on, and
/// [`crate::Pretrained`] loads pretrained weights into the layers that keep
/// their shape (skipping the old head).
///
/// ```
/// use wengert_nn::{Linear, Module, ReLU, Sequential};
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let mut rng = seeded_rng(0);
/// let mut model = Sequential::<f64>::new()
///     .with(Linear::new(4, 8, &mut rng))
///     .with(ReLU)
///     .with(Linear::new(8, 2, &mut rng));
/// assert_eq!(model.param_names(), ["0.weight", "0.bias", "2.weight", "2.bias"]);
///
/// // Fine-tuning: keep the first layer, train a new 3-class head.
/// model.freeze_first(2).unwrap();
/// model.replace_last(Linear::new(8, 3, &mut rng)).unwrap();
/// let tape = Tape::training(0);
/// let y = model.forward(&tape, tape.constant(Tensor::ones(&[5, 4]))).unwrap();
/// assert_eq!(y.shape(), vec![5, 3]);
/// assert_eq!(model.num_trainable_params(), 8 * 3 + 3);
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty sequence (the identity).
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer (builder form).
    pub fn with(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a boxed layer.
    pub fn push(&mut self, layer: Box<dyn Module<T>>) {
        self.layers.push(layer);
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether it has no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The layer at `index`.
    pub fn get(&self, index: usize) -> Option<&dyn Module<T>> {
        self.layers.get(index).map(|l| l.as_ref())
    }

    /// The layer at `index`, mutably (to freeze it, or set its weights).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut (dyn Module<T> + 'static)> {
        self.layers.get_mut(index).map(|l| l.as_mut())
    }

    /// Freezes every parameter of the first `k` layers (counting every
    /// layer, parameter-free ones like ReLU included, as the indices of the
    /// names do) and unfreezes the others: the fine-tuning set-up where a
    /// pretrained body stays fixed. Errors when `k` exceeds the length.
    pub fn freeze_first(&mut self, k: usize) -> Result<()> {
        if k > self.layers.len() {
            return Err(NnError::InvalidConfig {
                layer: "Sequential::freeze_first".into(),
                why: format!(
                    "cannot freeze {k} layers of a Sequential of {}",
                    self.layers.len()
                ),
            });
        }
        for (i, layer) in self.layers.iter_mut().enumerate() {
            if i < k {
                layer.freeze();
            } else {
                layer.unfreeze();
            }
        }
        Ok(())
    }

    /// Replaces the layer at `index` and returns the old one.
    pub fn replace(
        &mut self,
        index: usize,
        layer: impl Module<T> + 'static,
    ) -> Result<Box<dyn Module<T>>> {
        let len = self.layers.len();
        let slot = self
            .layers
            .get_mut(index)
            .ok_or_else(|| NnError::InvalidConfig {
                layer: "Sequential::replace".into(),
                why: format!("index {index} is out of range for a Sequential of {len} layers"),
            })?;
        Ok(std::mem::replace(slot, Box::new(layer)))
    }

    /// Replaces the last layer (a new head for fine-tuning) and returns the
    /// old one. Errors on an empty Sequential.
    pub fn replace_last(&mut self, layer: impl Module<T> + 'static) -> Result<Box<dyn Module<T>>> {
        match self.layers.len() {
            0 => Err(NnError::InvalidConfig {
                layer: "Sequential::replace_last".into(),
                why: "the Sequential is empty".into(),
            }),
            n => self.replace(n - 1, layer),
        }
    }

    fn in_layer(&self, i: usize, e: NnError) -> NnError {
        NnError::InLayer {
            name: i.to_string(),
            type_name: self.layers[i].type_name(),
            source: Box::new(e),
        }
    }
}

/// Children are the layers, named by index; parameters and buffers are
/// theirs, prefixed (the defaults of both lists).
impl<T: Float> Parameters<T> for Sequential<T> {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        visit_child_params(self, f)
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        visit_child_params_mut(self, f)
    }
}

impl<T: Float> ModuleParts<T> for Sequential<T> {
    fn type_name(&self) -> &'static str {
        "Sequential"
    }

    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            f(&i.to_string(), layer.as_ref());
        }
    }

    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<T>)) {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            f(&i.to_string(), layer.as_mut());
        }
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(tape, h).map_err(|e| self.in_layer(i, e))?;
        }
        Ok(h)
    }

    fn summarize<'t>(
        &self,
        tape: &'t Tape<T>,
        x: Var<'t, T>,
        name: &str,
        rows: &mut Vec<SummaryRow>,
    ) -> Result<Var<'t, T>> {
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer
                .summarize(tape, h, &join_name(name, &i.to_string()), rows)
                .map_err(|e| self.in_layer(i, e))?;
        }
        Ok(h)
    }
}
