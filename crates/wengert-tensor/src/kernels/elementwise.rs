//! Element-wise kernels: map one tensor, zip two of equal or broadcast shapes.

use rayon::prelude::*;

use super::{CHUNK, PARALLEL_THRESHOLD};
use crate::error::Result;
use crate::float::Float;
use crate::shape::{broadcast_shapes, numel};
use crate::storage::{InlineElems, Storage};
use crate::tensor::Tensor;

/// `out[i] = f(a[i])`. The output is collected, not zero-filled first.
pub fn map<T: Float>(a: &Tensor<T>, f: impl Fn(T) -> T + Sync + Send) -> Tensor<T> {
    if let Storage::Inline(InlineElems { len, data }) = &a.storage {
        // A few elements held inline (a loss, a scalar): map the storage
        // itself and keep the view (shape, strides, offset) as it is, which
        // is right for any view and skips all layout work. Such tiny ops are
        // where the tape's cost per op shows.
        //
        // The output array is built whole (`from_fn`) rather than written
        // element by element: a later copy of the tensor reads it as one
        // wide word, and a wide read of memory just written in narrow
        // pieces stalls the processor; that stall was a fifth of the cost
        // of a one-element op.
        let n = len.get();
        let out = std::array::from_fn(|k| if k < n { f(data[k]) } else { data[k] });
        return a.with_storage(Storage::Inline(InlineElems {
            len: *len,
            data: out,
        }));
    }
    let Some(src) = a.as_slice() else {
        return map(&a.contiguous(), f);
    };
    let out = if src.len() < PARALLEL_THRESHOLD || super::parallel::threads() == 1 {
        Storage::collect(src.len(), src.iter().map(|&x| f(x)))
    } else {
        let mut out = crate::buffer::take(src.len());
        src.par_iter()
            .with_min_len(CHUNK)
            .map(|&x| f(x))
            .collect_into_vec(&mut out);
        Storage::from_vec(out)
    };
    Tensor::with_layout_of(a, out)
}

/// `out[i] = f(a[i], b[i])` for tensors of one shape (checked by the caller).
pub fn zip_same<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T + Sync + Send,
) -> Tensor<T> {
    debug_assert_eq!(a.shape(), b.shape());
    if let (
        Storage::Inline(InlineElems { len, data: da }),
        Storage::Inline(InlineElems { data: db, .. }),
    ) = (&a.storage, &b.storage)
    {
        // As in `map`: two inline operands laid out alike zip storage-wise.
        if a.offset == b.offset && a.strides == b.strides {
            let n = len.get();
            let out = std::array::from_fn(|k| if k < n { f(da[k], db[k]) } else { da[k] });
            return a.with_storage(Storage::Inline(InlineElems {
                len: *len,
                data: out,
            }));
        }
    }
    let (Some(sa), Some(sb)) = (a.as_slice(), b.as_slice()) else {
        let n = a.numel();
        if n >= PARALLEL_THRESHOLD {
            return zip_same(&a.contiguous(), &b.contiguous(), f);
        }
        // Views (gate chunks narrowed out of one matrix, transposes) are
        // zipped where they lie, one contiguous run at a time, rather than
        // copied first: same values, one pass instead of three.
        let (a_src, a_offset, shape, a_strides) = a.raw();
        let (b_src, b_offset, _, b_strides) = b.raw();
        let mut out = crate::buffer::take(n);
        super::strided::zip_into(
            &mut out,
            (a_src, a_offset, a_strides),
            (b_src, b_offset, b_strides),
            shape,
            f,
        );
        return Tensor::from_storage(Storage::from_vec(out), shape);
    };
    let out = if sa.len() < PARALLEL_THRESHOLD || super::parallel::threads() == 1 {
        Storage::collect(sa.len(), sa.iter().zip(sb).map(|(&x, &y)| f(x, y)))
    } else {
        let mut out = crate::buffer::take(sa.len());
        sa.par_iter()
            .zip(sb.par_iter())
            .with_min_len(CHUNK)
            .map(|(&x, &y)| f(x, y))
            .collect_into_vec(&mut out);
        Storage::from_vec(out)
    };
    Tensor::with_layout_of(a, out)
}

/// `out = f(a, b)` element-wise with NumPy broadcasting.
pub fn zip_broadcast<T: Float>(
    op: &'static str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T + Sync + Send,
) -> Result<Tensor<T>> {
    if a.shape() == b.shape() {
        return Ok(zip_same(a, b, f));
    }
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let a = broadcast_to(a, &shape);
    let b = broadcast_to(b, &shape);
    Ok(zip_same(&a, &b, f))
}

/// Materializes `a` broadcast to `shape` (which the caller has checked).
///
/// The input is read through its own strides with 0 along broadcast axes,
/// so a view needs no copy first. Merged axes are walked one innermost run
/// at a time: a fill where the trailing axes are all broadcast (a `[1, C, 1,
/// 1]` bias over `H * W`), a slice copy where the innermost axis is
/// contiguous; an odometer over the outer axes gives each run's start.
pub fn broadcast_to<T: Float>(a: &Tensor<T>, shape: &[usize]) -> Tensor<T> {
    if a.shape() == shape {
        return a.clone();
    }
    let (src, offset, a_shape, a_strides) = a.raw();
    let lead = shape.len() - a.ndim();
    let strides: Vec<usize> = (0..shape.len())
        .map(|i| {
            if i < lead || a_shape[i - lead] == 1 {
                0
            } else {
                a_strides[i - lead]
            }
        })
        .collect();
    let mut out = crate::buffer::take(numel(shape));
    super::strided::gather_into(&mut out, src, offset, shape, &strides);
    Tensor::from_vec(out, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_of_small_inline_views_match_maps_of_their_copies() {
        // 2x2 holds four elements inline; its transpose and a narrowed row
        // are views with other strides or an offset.
        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        assert!(matches!(a.storage, Storage::Inline(_)));
        let views = [a.transpose(0, 1), a.narrow(0, 1, 1), a.narrow(1, 1, 1)];
        for v in &views {
            let mapped = map(v, |x| x * 10.0 + 1.0);
            let expected: Vec<f64> = v.to_vec().iter().map(|x| x * 10.0 + 1.0).collect();
            assert_eq!(mapped.shape(), v.shape());
            assert_eq!(mapped.to_vec(), expected);
        }
    }

    #[test]
    fn zips_of_small_inline_operands_with_different_layouts_match_their_copies() {
        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        let b = Tensor::<f64>::from_vec(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]);
        let at = a.transpose(0, 1);
        // Same layout: zipped storage-wise; different layouts: the general path.
        for (x, y) in [(&a, &b), (&at, &b), (&b, &at), (&at, &b.transpose(0, 1))] {
            let z = zip_same(x, y, |p, q| p - q);
            let expected: Vec<f64> = x
                .to_vec()
                .iter()
                .zip(y.to_vec())
                .map(|(p, q)| p - q)
                .collect();
            assert_eq!(z.to_vec(), expected);
        }
    }
}
