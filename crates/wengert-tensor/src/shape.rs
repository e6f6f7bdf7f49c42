//! Shape arithmetic: element counts, row-major strides and broadcasting.

use crate::error::{Result, TensorError};

/// Number of elements of a shape (1 for a scalar, shape `[]`).
#[inline]
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// (outer, axis length, inner) of a row-major shape around `axis` (in
/// range): the sizes before it multiplied, its own, the sizes after it.
pub(crate) fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    )
}

/// Row-major (C order) strides of a contiguous tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d;
    }
    strides
}

/// The shape two operands broadcast to, by NumPy's rule: align trailing
/// axes; each pair of sizes must be equal or one of them 1.
///
/// ```
/// use wengert_tensor::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[3, 1, 5], &[4, 5]).unwrap(), vec![3, 4, 5]);
/// assert!(broadcast_shapes("add", &[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i < n - a.len() {
            1
        } else {
            a[i - (n - a.len())]
        };
        let db = if i < n - b.len() {
            1
        } else {
            b[i - (n - b.len())]
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::ShapeMismatch {
                op,
                lhs: a.to_vec(),
                rhs: b.to_vec(),
                why: format!(
                    "cannot broadcast: axis {i} of the aligned shapes has sizes {da} and {db}"
                ),
            });
        };
    }
    Ok(out)
}

/// Whether `from` broadcasts to `to` (used by `broadcast_to`).
pub fn can_broadcast_to(from: &[usize], to: &[usize]) -> bool {
    if from.len() > to.len() {
        return false;
    }
    let lead = to.len() - from.len();
    from.iter()
        .zip(&to[lead..])
        .all(|(&f, &t)| f == t || f == 1)
}

/// The axes of `to` that a tensor of shape `from` was broadcast along:
/// the leading axes it lacked and the axes where it had size 1. Summing a
/// gradient over these axes undoes the broadcast.
pub fn broadcast_axes(from: &[usize], to: &[usize]) -> Vec<usize> {
    let lead = to.len() - from.len();
    (0..to.len())
        .filter(|&i| i < lead || (from[i - lead] == 1 && to[i] != 1))
        .collect()
}

/// An axis argument. A `usize` counts from the front; a signed integer may
/// also count from the back, `-1` being the last axis, as in PyTorch. Plain
/// literals work either way: `x.softmax(1)`, `x.softmax(-1)`.
pub trait Axis: Copy + std::fmt::Debug {
    /// The axis as a signed number (negative: counted from the back).
    fn signed(self) -> isize;
}

impl Axis for usize {
    fn signed(self) -> isize {
        // Above isize::MAX no tensor has that many axes: stays out of range.
        isize::try_from(self).unwrap_or(isize::MAX)
    }
}

macro_rules! signed_axis {
    ($($t:ty),*) => {$(
        impl Axis for $t {
            fn signed(self) -> isize {
                isize::try_from(self).unwrap_or(isize::MAX)
            }
        }
    )*};
}
signed_axis!(isize, i32, i64);

/// A list of axes: a slice, array or `Vec` of any [`Axis`] type, or a
/// reference to one (`&[0, 2]`, `&[-1]`, `&axes`, `[1usize]`).
pub trait Axes {
    /// How many axes are listed.
    fn count(&self) -> usize;
    /// The `i`-th listed axis, signed.
    fn get(&self, i: usize) -> isize;
}

impl<A: Axis> Axes for [A] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> isize {
        self[i].signed()
    }
}

impl<A: Axis, const N: usize> Axes for [A; N] {
    fn count(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> isize {
        self[i].signed()
    }
}

impl<A: Axis> Axes for Vec<A> {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> isize {
        self[i].signed()
    }
}

impl<L: Axes + ?Sized> Axes for &L {
    fn count(&self) -> usize {
        (**self).count()
    }
    fn get(&self, i: usize) -> isize {
        (**self).get(i)
    }
}

/// Resolves `axis` among `ndim` addressable axes (`-ndim..ndim`, negative
/// counted from the back) to `0..ndim`; `shape` names the tensor in the error.
pub fn resolve_axis_in(
    op: &'static str,
    axis: impl Axis,
    ndim: usize,
    shape: &[usize],
) -> Result<usize> {
    let a = axis.signed();
    let n = ndim as isize;
    let r = if a < 0 { a + n } else { a };
    if (0..n).contains(&r) {
        Ok(r as usize)
    } else {
        Err(TensorError::AxisOutOfRange {
            op,
            axis: a,
            shape: shape.to_vec(),
            ndim,
        })
    }
}

/// Resolves an axis of `shape` (`-ndim..ndim`).
pub fn resolve_axis(op: &'static str, axis: impl Axis, shape: &[usize]) -> Result<usize> {
    resolve_axis_in(op, axis, shape.len(), shape)
}

/// Resolves an axis for the ops that, as in PyTorch, give a 0-d tensor one
/// virtual axis (reductions, the softmax family, gather, index_select,
/// squeeze, transpose): there 0 and -1 are accepted and resolve to 0.
pub fn resolve_axis_or_scalar(op: &'static str, axis: impl Axis, shape: &[usize]) -> Result<usize> {
    resolve_axis_in(op, axis, shape.len().max(1), shape)
}

/// Resolves a reduction's axes: each in range (negative from the back),
/// none twice, sorted. A 0-d tensor accepts 0 and -1, as in PyTorch, and
/// has nothing to reduce over: the result is empty, the reduction the
/// identity.
pub fn resolve_reduction_axes(
    op: &'static str,
    axes: &(impl Axes + ?Sized),
    shape: &[usize],
) -> Result<Vec<usize>> {
    let ndim = shape.len().max(1);
    let mut sorted = Vec::with_capacity(axes.count());
    for i in 0..axes.count() {
        sorted.push(resolve_axis_in(op, axes.get(i), ndim, shape)?);
    }
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        let listed: Vec<isize> = (0..axes.count()).map(|i| axes.get(i)).collect();
        return Err(TensorError::InvalidArgument {
            op,
            why: format!(
                "axis {} is listed twice in {listed:?} (shape {shape:?})",
                w[0]
            ),
        });
    }
    if shape.is_empty() {
        sorted.clear();
    }
    Ok(sorted)
}

/// Checks an axis against a number of dimensions (`0..ndim`).
pub fn check_axis(op: &'static str, axis: usize, shape: &[usize]) -> Result<()> {
    resolve_axis(op, axis, shape).map(|_| ())
}

/// Sorts and checks a set of axes: in range and without repeats.
pub fn normalize_axes(op: &'static str, axes: &[usize], shape: &[usize]) -> Result<Vec<usize>> {
    if shape.is_empty() && !axes.is_empty() {
        return Err(TensorError::AxisOutOfRange {
            op,
            axis: axes[0].signed(),
            shape: Vec::new(),
            ndim: 0,
        });
    }
    resolve_reduction_axes(op, axes, shape)
}

/// Shape after reducing `axes` (sorted, checked): size 1 kept with
/// `keepdim`, removed otherwise.
pub fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.len());
    for (i, &d) in shape.iter().enumerate() {
        if axes.contains(&i) {
            if keepdim {
                out.push(1);
            }
        } else {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_are_row_major() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
    }

    #[test]
    fn broadcast_error_names_op_and_shapes() {
        let err = broadcast_shapes("mul", &[2, 3], &[4, 3]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("mul") && msg.contains("[2, 3]") && msg.contains("[4, 3]"),
            "{msg}"
        );
    }

    #[test]
    fn negative_axes_count_from_the_back_and_errors_give_the_range() {
        assert_eq!(resolve_axis("t", -1, &[2, 3, 4]).unwrap(), 2);
        assert_eq!(resolve_axis("t", -3, &[2, 3, 4]).unwrap(), 0);
        assert_eq!(resolve_axis("t", 2usize, &[2, 3, 4]).unwrap(), 2);
        let msg = resolve_axis("softmax", -4, &[2, 3, 4])
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "softmax: axis -4 is out of range for shape [2, 3, 4] (valid axes: -3 to 2)"
        );
        // A 0-d tensor has one virtual axis for the reductions, as in PyTorch.
        assert_eq!(resolve_axis_or_scalar("sum", -1, &[]).unwrap(), 0);
        assert!(resolve_axis_or_scalar("sum", 1, &[]).is_err());
        assert!(resolve_axis("narrow", 0, &[]).is_err());
    }

    #[test]
    fn reduction_axes_are_sorted_and_a_repeat_is_an_error() {
        assert_eq!(
            resolve_reduction_axes("sum", &[-1, 0], &[2, 3, 4]).unwrap(),
            vec![0, 2]
        );
        assert_eq!(
            resolve_reduction_axes("sum", &[0], &[]).unwrap(),
            Vec::<usize>::new()
        );
        let msg = resolve_reduction_axes("sum", &[-1, 1], &[2, 3])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("axis 1 is listed twice in [-1, 1]"), "{msg}");
    }

    #[test]
    fn broadcast_axes_lists_leading_and_unit_axes() {
        assert_eq!(broadcast_axes(&[3, 1], &[2, 3, 5]), vec![0, 2]);
        assert_eq!(broadcast_axes(&[2, 3, 5], &[2, 3, 5]), Vec::<usize>::new());
    }
}
