//! Shape arithmetic: element counts, row-major strides and broadcasting.

use crate::error::{Result, TensorError};

/// Number of elements of a shape (1 for a scalar, shape `[]`).
#[inline]
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
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

/// Checks an axis against a number of dimensions.
pub fn check_axis(op: &'static str, axis: usize, shape: &[usize]) -> Result<()> {
    if axis < shape.len() {
        Ok(())
    } else {
        Err(TensorError::AxisOutOfRange {
            op,
            axis,
            shape: shape.to_vec(),
            ndim: shape.len(),
        })
    }
}

/// Sorts and checks a set of axes: in range and without repeats.
pub fn normalize_axes(op: &'static str, axes: &[usize], shape: &[usize]) -> Result<Vec<usize>> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    for (i, &ax) in sorted.iter().enumerate() {
        check_axis(op, ax, shape)?;
        if i > 0 && sorted[i - 1] == ax {
            return Err(TensorError::InvalidArgument {
                op,
                why: format!("axis {ax} is listed twice in {axes:?}"),
            });
        }
    }
    Ok(sorted)
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
    fn broadcast_axes_lists_leading_and_unit_axes() {
        assert_eq!(broadcast_axes(&[3, 1], &[2, 3, 5]), vec![0, 2]);
        assert_eq!(broadcast_axes(&[2, 3, 5], &[2, 3, 5]), Vec::<usize>::new());
    }
}
