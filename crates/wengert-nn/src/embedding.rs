//! `Embedding`: a lookup table of learned vectors, indexed by integers.

use std::cell::RefCell;
use std::collections::BTreeMap;

use rand::Rng;
use wengert_tensor::{Float, Param, Parameters, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::{Module, ModuleParts};

/// A table of `num_embeddings` vectors of size `embedding_dim`; an index
/// picks its row: `y[..., :] = weight[index[...], :]`.
///
/// Backward: row `k` of `dW` is the sum of `dy` over every position whose
/// index is `k`, so a repeated index accumulates (this is `index_select`,
/// whose adjoint is `index_add`); rows never used get zero. With a padding
/// index, that row starts at zero and gets no gradient, so it stays fixed
/// (the vector of a padding token).
///
/// # Options
/// - `max_norm` ([`Embedding::with_max_norm`], with
///   [`Embedding::with_norm_type`]): each row a lookup reads whose
///   `norm_type`-norm exceeds `max_norm` is scaled by
///   `max_norm / (norm + 1e-7)` before it is read, and stays renormalised
///   in the table, as PyTorch's `embedding_renorm_`. The scaling is not
///   differentiated (PyTorch does it in place without a gradient), so `dW`
///   is the plain sum of `dy` above, with respect to the renormalised rows.
/// - `scale_grad_by_freq` ([`Embedding::with_scale_grad_by_freq`]): row
///   `k`'s gradient is divided by the number of times `k` occurs in the
///   lookup (so frequent words do not dominate), as PyTorch. The output is
///   unchanged; `dW` is then deliberately not the derivative of the output.
///
/// # When the table changes under `max_norm`
/// A forward pass borrows the layer shared ([`Module`]'s `forward` takes
/// `&self`, and a [`Param`] cannot change behind a shared borrow), so it
/// records the renormalised rows instead of writing them, and reads them
/// from that record in later passes. The table takes them at the next
/// mutable access to the layer: [`Module::params_mut`] and the visitors an
/// optimizer step uses, loading weights, freezing, or
/// [`Embedding::write_renormed_rows`]. An optimizer step therefore updates
/// the renormalised rows, exactly as in PyTorch. Until then, reads through
/// a shared borrow ([`Embedding::weight`], `state_dict`) show the table as
/// it was before the passes.
///
/// # Shapes
/// Indices of any shape `S` -> `[S..., embedding_dim]`. Weight
/// `[num_embeddings, embedding_dim]`, initialised N(0, 1) as in PyTorch.
///
/// As a [`Module`], the input Var holds the indices as (integral) floats;
/// [`Embedding::lookup`] takes them as `usize`.
///
/// # PyTorch options
/// `nn.Embedding(num_embeddings, embedding_dim, padding_idx=None,
/// max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False,
/// _weight=None, _freeze=False)`:
/// - `num_embeddings`, `embedding_dim`, `max_norm`, `norm_type`,
///   `scale_grad_by_freq`: yes. `padding_idx`: a row number; PyTorch's
///   negative form (counted from the end) is not taken, since indices here
///   are `usize` (pass `num_embeddings - k` for PyTorch's `-k`).
/// - `norm_type`: any p > 0, or infinity (the largest magnitude). PyTorch
///   also takes p <= 0, which is not a norm (p = 0 counts nonzero
///   entries); those are refused. A negative `max_norm`, which PyTorch would
///   turn into a sign flip of every looked-up row, is refused too.
/// - `_weight` is [`Embedding::from_tensor`]; `_freeze` (and
///   `from_pretrained(..., freeze=True)`) is [`Module::freeze`].
/// - `sparse`: deliberately not. Gradients here are dense tensors; the
///   dense gradient is what `sparse=False` gives.
/// - `device` and `dtype` have no counterpart: the float type is the
///   layer's type parameter.
///
/// ```
/// use wengert_nn::Embedding;
/// use wengert_tensor::{seeded_rng, Tape};
/// let emb = Embedding::<f64>::new(10, 4, &mut seeded_rng(0)).with_padding_idx(0);
/// let tape = Tape::new();
/// let y = emb.lookup(&tape, &[3, 3, 0], &[3]).unwrap();
/// assert_eq!(y.shape(), vec![3, 4]);
/// let g = y.sum().backward();
/// let dw = g.get(emb.weight()).unwrap().to_vec();
/// assert_eq!(dw[3 * 4], 2.0); // row 3 used twice
/// assert_eq!(dw[0], 0.0);     // the padding row gets nothing
/// ```
#[derive(Clone, Debug)]
pub struct Embedding<T: Float> {
    weight: Param<T>,
    padding_idx: Option<usize>,
    max_norm: Option<f64>,
    norm_type: f64,
    scale_grad_by_freq: bool,
    /// Rows renormalised by forward passes and not yet written into
    /// `weight`: row number -> its new values (see "When the table
    /// changes" above). Ordered, so writing them back is deterministic.
    renormed: RefCell<BTreeMap<usize, Vec<T>>>,
}

impl<T: Float> Embedding<T> {
    /// `num_embeddings x embedding_dim`, weights N(0, 1).
    pub fn new<R: Rng + ?Sized>(num_embeddings: usize, embedding_dim: usize, rng: &mut R) -> Self {
        let w = Tensor::randn(&[num_embeddings, embedding_dim], rng);
        Self::with_table(w)
    }

    /// A table with these values `[num, dim]`.
    pub fn from_tensor(weight: Tensor<T>) -> Result<Self> {
        if weight.ndim() != 2 {
            return Err(NnError::InvalidConfig {
                layer: "Embedding".into(),
                why: format!("weight must be [num, dim], got shape {:?}", weight.shape()),
            });
        }
        Ok(Self::with_table(weight))
    }

    fn with_table(weight: Tensor<T>) -> Self {
        Embedding {
            weight: Param::new("weight", weight),
            padding_idx: None,
            max_norm: None,
            norm_type: 2.0,
            scale_grad_by_freq: false,
            renormed: RefCell::new(BTreeMap::new()),
        }
    }

    /// `Embedding(num, dim)`, as errors name the layer.
    fn layer_name(&self) -> String {
        format!(
            "Embedding({}, {})",
            self.num_embeddings(),
            self.embedding_dim()
        )
    }

    /// Marks `index` as padding: its row is set to zero and gets no
    /// gradient. Panics if `index` is not a row of the table.
    #[track_caller]
    pub fn with_padding_idx(mut self, index: usize) -> Self {
        self.write_renormed_rows();
        let (num, dim) = (self.num_embeddings(), self.embedding_dim());
        assert!(
            index < num,
            "Embedding({num}, {dim}): padding_idx {index} is not a row of the table"
        );
        self.weight.value_mut().data_mut()[index * dim..(index + 1) * dim].fill(T::zero());
        self.padding_idx = Some(index);
        self
    }

    /// Renormalises every looked-up row whose norm exceeds `max_norm` (see
    /// "Options" above; `f64::INFINITY` never does). Panics if `max_norm`
    /// is negative or NaN.
    #[track_caller]
    pub fn with_max_norm(mut self, max_norm: f64) -> Self {
        assert!(
            max_norm >= 0.0,
            "{}: max_norm must be at least 0, got {max_norm} (PyTorch would flip the sign of every looked-up row for a negative one)",
            self.layer_name()
        );
        self.write_renormed_rows();
        self.max_norm = Some(max_norm);
        self
    }

    /// The p of the p-norm `max_norm` bounds: PyTorch's `norm_type`,
    /// default 2; `f64::INFINITY` is the largest magnitude. Panics unless
    /// p > 0 (p <= 0 is not a norm).
    #[track_caller]
    pub fn with_norm_type(mut self, norm_type: f64) -> Self {
        assert!(
            norm_type > 0.0,
            "{}: norm_type must be a p > 0 or infinity, got {norm_type} (p <= 0 is not a norm)",
            self.layer_name()
        );
        self.write_renormed_rows();
        self.norm_type = norm_type;
        self
    }

    /// Divides row `k`'s gradient by the count of `k` in each lookup, as
    /// PyTorch's `scale_grad_by_freq`.
    pub fn with_scale_grad_by_freq(mut self, scale_grad_by_freq: bool) -> Self {
        self.scale_grad_by_freq = scale_grad_by_freq;
        self
    }

    /// Rows of the table.
    pub fn num_embeddings(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Size of each vector.
    pub fn embedding_dim(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The table `[num, dim]`, as stored: rows a forward pass renormalised
    /// under `max_norm` are written into it at the next mutable access (see
    /// "When the table changes under `max_norm`").
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The padding index, if any.
    pub fn padding_idx(&self) -> Option<usize> {
        self.padding_idx
    }

    /// The bound on looked-up rows' norms, if any.
    pub fn max_norm(&self) -> Option<f64> {
        self.max_norm
    }

    /// The p of the norm `max_norm` bounds.
    pub fn norm_type(&self) -> f64 {
        self.norm_type
    }

    /// Whether gradients are divided by index frequency.
    pub fn scale_grad_by_freq(&self) -> bool {
        self.scale_grad_by_freq
    }

    /// Writes the rows that forward passes renormalised under `max_norm`
    /// into the table. Every mutable access to the layer does this first;
    /// call it to read the current table through [`Embedding::weight`].
    pub fn write_renormed_rows(&mut self) {
        let renormed = std::mem::take(self.renormed.get_mut());
        if renormed.is_empty() {
            return;
        }
        let dim = self.embedding_dim();
        let table = self.weight.value_mut().data_mut();
        for (row, values) in renormed {
            table[row * dim..(row + 1) * dim].copy_from_slice(&values);
        }
    }

    /// Looks up `indices` laid out in `shape`: `[shape..., dim]`. An index
    /// outside the table or a shape that does not hold `indices.len()`
    /// elements is an error.
    pub fn lookup<'t>(
        &self,
        tape: &'t Tape<T>,
        indices: &[usize],
        shape: &[usize],
    ) -> Result<Var<'t, T>> {
        let (num, dim) = (self.num_embeddings(), self.embedding_dim());
        if shape.iter().product::<usize>() != indices.len() {
            return Err(NnError::InputShape {
                layer: self.layer_name(),
                expected: format!("a shape holding the {} indices", indices.len()),
                got: shape.to_vec(),
            });
        }
        if let Some(p) = indices.iter().position(|&i| i >= num) {
            return Err(NnError::InvalidConfig {
                layer: self.layer_name(),
                why: format!(
                    "index {} at position {p} is not a row of the table",
                    indices[p]
                ),
            });
        }
        let rows = tape.param(&self.weight).index_select(0, indices);
        let mut out_shape = shape.to_vec();
        out_shape.push(dim);
        if self.max_norm.is_none() && !self.scale_grad_by_freq {
            return Ok(self.mask_padding(rows, indices).reshape(&out_shape));
        }
        // The value is the (renormalised) rows; the gradient reaches the
        // table through `rows - rows.detach()`, which is exactly 0 in the
        // forward pass, scaled per position (1 / frequency, 0 at padding).
        let value = match self.renorm_rows(indices) {
            Some(renormed) => tape.constant(renormed),
            None => rows.detach(),
        };
        let through = rows - rows.detach();
        let through = match self.gradient_scale(indices) {
            Some(scale) => through * tape.constant(scale),
            None => through,
        };
        Ok((value + through).reshape(&out_shape))
    }

    /// Positions holding the padding index read a constant copy of their
    /// row, so no gradient reaches it.
    fn mask_padding<'t>(&self, rows: Var<'t, T>, indices: &[usize]) -> Var<'t, T> {
        let Some(pad) = self.padding_idx else {
            return rows;
        };
        let dim = self.embedding_dim();
        let mask: Vec<T> = indices
            .iter()
            .flat_map(|&i| std::iter::repeat_n(if i == pad { T::zero() } else { T::one() }, dim))
            .collect();
        let mask = Tensor::from_vec(mask, &[indices.len(), dim]);
        Var::select(&mask, rows, rows.detach())
    }

    /// The factor each position's gradient is multiplied by, `[L, dim]`:
    /// 0 at the padding index, else 1 / (count of its index) under
    /// `scale_grad_by_freq` (PyTorch counts over the whole lookup), else 1.
    /// `None` when every factor is 1.
    fn gradient_scale(&self, indices: &[usize]) -> Option<Tensor<T>> {
        if !self.scale_grad_by_freq && self.padding_idx.is_none() {
            return None;
        }
        let mut counts = BTreeMap::new();
        if self.scale_grad_by_freq {
            for &i in indices {
                *counts.entry(i).or_insert(0usize) += 1;
            }
        }
        let dim = self.embedding_dim();
        let scale: Vec<T> = indices
            .iter()
            .flat_map(|&i| {
                let s = if Some(i) == self.padding_idx {
                    T::zero()
                } else if let Some(&n) = counts.get(&i) {
                    T::one() / T::from_f64(n as f64)
                } else {
                    T::one()
                };
                std::iter::repeat_n(s, dim)
            })
            .collect();
        Some(Tensor::from_vec(scale, &[indices.len(), dim]))
    }

    /// Under `max_norm`: renormalises the rows `indices` reads (each
    /// distinct row once, from its current value, as PyTorch's
    /// `embedding_renorm_`), records them, and returns the looked-up rows
    /// `[L, dim]`.
    fn renorm_rows(&self, indices: &[usize]) -> Option<Tensor<T>> {
        let max_norm = self.max_norm?;
        let dim = self.embedding_dim();
        let table = self.weight.value().values();
        let mut renormed = self.renormed.borrow_mut();
        let distinct: std::collections::BTreeSet<usize> = indices.iter().copied().collect();
        for row in distinct {
            let current = match renormed.get(&row) {
                Some(values) => values.as_slice(),
                None => &table[row * dim..(row + 1) * dim],
            };
            let norm = p_norm(current, self.norm_type);
            if norm > max_norm {
                let scale = T::from_f64(max_norm / (norm + 1e-7));
                let values = current.iter().map(|&v| v * scale).collect();
                renormed.insert(row, values);
            }
        }
        let mut out = Vec::with_capacity(indices.len() * dim);
        for &i in indices {
            match renormed.get(&i) {
                Some(values) => out.extend_from_slice(values),
                None => out.extend_from_slice(&table[i * dim..(i + 1) * dim]),
            }
        }
        Some(Tensor::from_vec(out, &[indices.len(), dim]))
    }
}

/// `(sum |v|^p)^(1/p)` in f64, the largest `|v|` for p = infinity.
fn p_norm<T: Float>(row: &[T], p: f64) -> f64 {
    let abs = row.iter().map(|&v| Float::to_f64(v).abs());
    if p == f64::INFINITY {
        abs.fold(0.0, f64::max)
    } else if p == 1.0 {
        abs.sum()
    } else if p == 2.0 {
        abs.map(|a| a * a).sum::<f64>().sqrt()
    } else {
        abs.map(|a| a.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// The table is the only parameter. The mutable visitor writes the rows
/// renormalised under `max_norm` first, so whoever changes the table (an
/// optimizer step, loading weights) starts from the table PyTorch would
/// hold.
impl<T: Float> Parameters<T> for Embedding<T> {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        f("weight", &self.weight)
    }

    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        self.write_renormed_rows();
        f("weight", &mut self.weight)
    }
}

impl<T: Float> ModuleParts<T> for Embedding<T> {
    fn type_name(&self) -> &'static str {
        "Embedding"
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    /// `x` holds the indices as floats; each must be a whole number.
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let values = x.value().to_vec();
        let mut indices = Vec::with_capacity(values.len());
        for (p, v) in values.iter().enumerate() {
            if v.fract() != T::zero() || *v < T::zero() {
                return Err(NnError::InvalidConfig {
                    layer: self.layer_name(),
                    why: format!("input value {v} at position {p} is not an index"),
                });
            }
            indices.push(Float::to_f64(*v) as usize);
        }
        self.lookup(tape, &indices, &x.shape())
    }
}
