//! `Embedding`: a lookup table of learned vectors, indexed by integers.

use rand::Rng;
use wengert_tensor::{Float, Param, Tape, Tensor, Var};

use crate::error::{NnError, Result};
use crate::Module;

/// A table of `num_embeddings` vectors of size `embedding_dim`; an index
/// picks its row: `y[..., :] = weight[index[...], :]`.
///
/// Backward: row `k` of `dW` is the sum of `dy` over every position whose
/// index is `k`, so a repeated index accumulates (this is `index_select`,
/// whose adjoint is `index_add`); rows never used get zero. With a padding
/// index, that row starts at zero and gets no gradient, so it stays fixed
/// (the vector of a padding token).
///
/// # Shapes
/// Indices of any shape `S` -> `[S..., embedding_dim]`. Weight
/// `[num_embeddings, embedding_dim]`, initialised N(0, 1) as in PyTorch.
///
/// As a [`Module`], the input Var holds the indices as (integral) floats;
/// [`Embedding::lookup`] takes them as `usize`.
///
/// PyTorch: `nn.Embedding(num, dim, padding_idx)`.
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
#[derive(Clone, Debug, Module)]
pub struct Embedding<T: Float> {
    weight: Param<T>,
    #[module(skip)]
    padding_idx: Option<usize>,
}

impl<T: Float> Embedding<T> {
    /// `num_embeddings x embedding_dim`, weights N(0, 1).
    pub fn new<R: Rng + ?Sized>(num_embeddings: usize, embedding_dim: usize, rng: &mut R) -> Self {
        let w = Tensor::randn(&[num_embeddings, embedding_dim], rng);
        Embedding {
            weight: Param::new("weight", w),
            padding_idx: None,
        }
    }

    /// A table with these values `[num, dim]`.
    pub fn from_tensor(weight: Tensor<T>) -> Result<Self> {
        if weight.ndim() != 2 {
            return Err(NnError::InvalidConfig {
                layer: "Embedding".into(),
                why: format!("weight must be [num, dim], got shape {:?}", weight.shape()),
            });
        }
        Ok(Embedding {
            weight: Param::new("weight", weight),
            padding_idx: None,
        })
    }

    /// Marks `index` as padding: its row is set to zero and gets no
    /// gradient. Panics if `index` is not a row of the table.
    #[track_caller]
    pub fn with_padding_idx(mut self, index: usize) -> Self {
        let (num, dim) = (self.num_embeddings(), self.embedding_dim());
        assert!(
            index < num,
            "Embedding({num}, {dim}): padding_idx {index} is not a row of the table"
        );
        self.weight.value_mut().data_mut()[index * dim..(index + 1) * dim].fill(T::zero());
        self.padding_idx = Some(index);
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

    /// The table `[num, dim]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The padding index, if any.
    pub fn padding_idx(&self) -> Option<usize> {
        self.padding_idx
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
        let layer = || format!("Embedding({num}, {dim})");
        if shape.iter().product::<usize>() != indices.len() {
            return Err(NnError::InputShape {
                layer: layer(),
                expected: format!("a shape holding the {} indices", indices.len()),
                got: shape.to_vec(),
            });
        }
        if let Some(p) = indices.iter().position(|&i| i >= num) {
            return Err(NnError::InvalidConfig {
                layer: layer(),
                why: format!(
                    "index {} at position {p} is not a row of the table",
                    indices[p]
                ),
            });
        }
        let mut rows = tape.param(&self.weight).index_select(0, indices);
        if let Some(pad) = self.padding_idx {
            // Positions holding the padding index read a constant copy of
            // their row, so no gradient reaches it.
            let mask: Vec<T> = indices
                .iter()
                .flat_map(|&i| {
                    std::iter::repeat_n(if i == pad { T::zero() } else { T::one() }, dim)
                })
                .collect();
            let mask = Tensor::from_vec(mask, &[indices.len(), dim]);
            rows = Var::select(&mask, rows, rows.detach());
        }
        let mut out_shape = shape.to_vec();
        out_shape.push(dim);
        Ok(rows.reshape(&out_shape))
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
                    layer: format!(
                        "Embedding({}, {})",
                        self.num_embeddings(),
                        self.embedding_dim()
                    ),
                    why: format!("input value {v} at position {p} is not an index"),
                });
            }
            indices.push(Float::to_f64(*v) as usize);
        }
        self.lookup(tape, &indices, &x.shape())
    }
}
