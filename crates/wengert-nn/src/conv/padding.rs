//! Padding modes other than zeros. Zero padding costs nothing (`im2col`
//! reads it as zero); the others build the padded input first, as one
//! `index_select` per axis whose index says which input row (column) each
//! padded row (column) copies. Its backward, `index_add`, sums the gradient
//! of every copy back into the row it came from.

use wengert_tensor::{Float, Var};

use crate::error::{NnError, Result};

/// What a convolution reads outside its input (PyTorch's `padding_mode`).
/// With input row `x0 x1 x2 x3` and padding 2 on each side:
///
/// | mode | padded row |
/// |---|---|
/// | `Zeros` (default) | `0 0 x0 x1 x2 x3 0 0` |
/// | `Reflect` (mirror, edge not repeated) | `x2 x1 x0 x1 x2 x3 x2 x1` |
/// | `Replicate` (edge repeated) | `x0 x0 x0 x1 x2 x3 x3 x3` |
/// | `Circular` (wraps around) | `x2 x3 x0 x1 x2 x3 x0 x1` |
///
/// As in PyTorch, `Reflect` needs each padding below the input's size
/// along its axis, `Circular` at most that size, `Replicate` one row.
///
/// ```
/// use wengert_nn::conv::{Conv2dConfig, PaddingMode};
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let conv = Conv2dConfig::new(1, 1, 3)
///     .with_padding(1)
///     .with_padding_mode(PaddingMode::Circular)
///     .build::<f64, _>(&mut seeded_rng(0))
///     .unwrap();
/// let tape = Tape::new();
/// let y = conv.forward(&tape, tape.constant(Tensor::ones(&[1, 1, 4, 4]))).unwrap();
/// // Wrapping around, every window sees nine ones: the output is constant.
/// let v = y.value().to_vec();
/// assert!(v.iter().all(|&e| (e - v[0]).abs() < 1e-12));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PaddingMode {
    /// Zeros (PyTorch's `"zeros"`).
    #[default]
    Zeros,
    /// The input mirrored at its edges, the edge itself not repeated
    /// (PyTorch's `"reflect"`).
    Reflect,
    /// The edge repeated (PyTorch's `"replicate"`).
    Replicate,
    /// The input repeated periodically (PyTorch's `"circular"`).
    Circular,
}

impl PaddingMode {
    /// PyTorch's name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            PaddingMode::Zeros => "zeros",
            PaddingMode::Reflect => "reflect",
            PaddingMode::Replicate => "replicate",
            PaddingMode::Circular => "circular",
        }
    }

    /// For each of `before + n + after` padded positions, the input
    /// position it copies; `None` when this mode cannot pad `n` positions
    /// that much (or for `Zeros`, which copies nothing).
    fn source_rows(self, n: usize, before: usize, after: usize) -> Option<Vec<usize>> {
        let fits = match self {
            PaddingMode::Zeros => false,
            PaddingMode::Reflect => before < n && after < n,
            PaddingMode::Replicate => n > 0,
            PaddingMode::Circular => before <= n && after <= n && n > 0,
        };
        if !fits {
            return None;
        }
        let (n, before) = (n as isize, before as isize);
        let last = n - 1;
        let rows = (0..n + before + after as isize).map(|q| {
            let i = q - before;
            let source = match self {
                PaddingMode::Reflect if i < 0 => -i,
                PaddingMode::Reflect if i > last => 2 * last - i,
                PaddingMode::Replicate => i.clamp(0, last),
                PaddingMode::Circular => i.rem_euclid(n),
                _ => i,
            };
            source as usize
        });
        Some(rows.collect())
    }
}

/// `x [N, C, H, W]` padded by `[top, bottom, left, right]` in `mode` (not
/// `Zeros`): `[N, C, top + H + bottom, left + W + right]`. `layer` names
/// the caller in the error of an input too small for the mode.
pub(crate) fn pad2d<'t, T: Float>(
    x: Var<'t, T>,
    pads: [usize; 4],
    mode: PaddingMode,
    layer: &str,
) -> Result<Var<'t, T>> {
    let shape = x.shape();
    let [top, bottom, left, right] = pads;
    let too_small = || {
        let rule = match mode {
            PaddingMode::Reflect => "each padding smaller than the input along its axis",
            PaddingMode::Circular => "each padding at most the input's size along its axis",
            _ => "H and W at least 1",
        };
        NnError::InputShape {
            layer: format!(
                "{layer}(padding_mode {}, padding [top, bottom, left, right] = {pads:?})",
                mode.name()
            ),
            expected: format!("[N, C, H, W] with {rule}, as in PyTorch"),
            got: shape.clone(),
        }
    };
    let rows = mode
        .source_rows(shape[2], top, bottom)
        .ok_or_else(too_small)?;
    let cols = mode
        .source_rows(shape[3], left, right)
        .ok_or_else(too_small)?;
    Ok(x.try_index_select(2, &rows)?.try_index_select(3, &cols)?)
}
