//! Matrix products into buffers the fused recurrent nodes already own.
//!
//! `Tensor::matmul` returns a new tensor, which is what a tape op wants; a
//! fused sequence node runs one small product per time step and wants its
//! result *added* into a slice of a buffer it keeps (the gate
//! pre-activations of that step), with no allocation and no separate add
//! pass. [`gemm_into`] is that: `c = a b + beta c` on matrices given as
//! slices with strides, bounds-checked, through the same matrixmultiply
//! kernel as `Tensor::matmul` (so a product's elements round exactly as
//! there), always on the calling thread.

use wengert_tensor::Float;

/// A read-only matrix view: `rows x cols` elements of `data`, element
/// `(r, c)` at `r * row_stride + c * col_stride`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a, T> {
    pub(crate) data: &'a [T],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
    pub(crate) col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A contiguous row-major `rows x cols` matrix at the start of `data`.
    pub(crate) fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, read in place (strides swapped).
    pub(crate) fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// The last element's index plus one (0 for an empty matrix): the
    /// matrix lies inside `data` when this is at most `data.len()`.
    fn extent(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            0
        } else {
            (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride + 1
        }
    }
}

/// `c = a b + beta c`, with `c` the row-major `a.rows x b.cols` matrix at
/// the start of `c_data` (row stride `b.cols`). `beta = 0` overwrites `c`
/// without reading it; `beta = 1` adds the product to it.
///
/// # Panics
/// When the inner dimensions differ or a matrix does not fit its slice
/// (internal invariants of the fused nodes, never user input).
pub(crate) fn gemm_into<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c_data: &mut [T]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(k, b.rows, "gemm_into: inner dimensions {k} and {}", b.rows);
    assert!(
        a.extent() <= a.data.len() && b.extent() <= b.data.len() && m * n <= c_data.len(),
        "gemm_into: a [{m}, {k}], b [{k}, {n}] or c does not fit its slice"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: c = beta c (and no read of c when beta = 0).
        for v in &mut c_data[..m * n] {
            *v = if beta == T::zero() {
                T::zero()
            } else {
                beta * *v
            };
        }
        return;
    }
    let s = |x: usize| x as isize;
    // SAFETY: `a` addresses elements (r, j) for r < m, j < k at
    // r * row_stride + j * col_stride <= extent - 1 < a.data.len(), checked
    // above, so every read is inside `a.data`; likewise `b` inside
    // `b.data`. `c` is the m x n row-major block at the start of `c_data`
    // (m * n <= c_data.len(), checked), exclusively borrowed, so it aliases
    // neither input (a shared and a mutable borrow cannot overlap), and
    // every element gemm reads (beta != 0) or writes is initialised `T`.
    // Exercised by the tests below (transposed operands, beta 0 and 1,
    // empty sizes) and by every fused recurrent node's tests.
    unsafe {
        T::gemm(
            m,
            k,
            n,
            T::one(),
            a.data.as_ptr(),
            s(a.row_stride),
            s(a.col_stride),
            b.data.as_ptr(),
            s(b.row_stride),
            s(b.col_stride),
            beta,
            c_data.as_mut_ptr(),
            s(n),
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tensor::{seeded_rng, Tensor};

    fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
        Tensor::randn(shape, &mut seeded_rng(seed))
    }

    #[test]
    fn gemm_into_equals_matmul_bitwise_for_plain_and_transposed_operands() {
        let (m, k, n) = (5, 7, 3);
        let (a, b) = (rand(&[m, k], 1), rand(&[k, n], 2));
        let (a_t, b_t) = (rand(&[k, m], 3), rand(&[n, k], 4));
        let (av, bv, atv, btv) = (a.to_vec(), b.to_vec(), a_t.to_vec(), b_t.to_vec());
        let cases = [
            (
                MatRef::row_major(&av, m, k),
                MatRef::row_major(&bv, k, n),
                a.matmul(&b),
            ),
            (
                MatRef::row_major(&atv, k, m).t(),
                MatRef::row_major(&btv, n, k).t(),
                a_t.transpose(0, 1).matmul(&b_t.transpose(0, 1)),
            ),
        ];
        for (x, y, want) in cases {
            // Garbage in c: beta = 0 must not read it.
            let mut c = vec![f64::NAN; m * n];
            gemm_into(x, y, 0.0, &mut c);
            assert_eq!(c, want.to_vec());
        }
    }

    #[test]
    fn gemm_into_with_beta_one_adds_the_product_to_c() {
        let (m, k, n) = (4, 6, 9);
        let (a, b, c0) = (rand(&[m, k], 5), rand(&[k, n], 6), rand(&[m, n], 7));
        let (av, bv) = (a.to_vec(), b.to_vec());
        let mut c = c0.to_vec();
        gemm_into(
            MatRef::row_major(&av, m, k),
            MatRef::row_major(&bv, k, n),
            1.0,
            &mut c,
        );
        let want = c0.add(&a.matmul(&b)).to_vec();
        for (got, want) in c.iter().zip(&want) {
            assert!(
                (got - want).abs() <= 1e-14 * want.abs().max(1.0),
                "{got} vs {want}"
            );
        }
    }

    #[test]
    fn gemm_into_handles_empty_sizes() {
        let mut c = vec![2.0f64; 6];
        // k = 0: an empty sum scaled in, c = beta c.
        gemm_into(
            MatRef::row_major(&[], 2, 0),
            MatRef::row_major(&[], 0, 3),
            0.5,
            &mut c,
        );
        assert_eq!(c, [1.0; 6]);
        // m = 0: nothing to write.
        gemm_into(
            MatRef::row_major(&[], 0, 2),
            MatRef::row_major(&[1.0, 2.0], 2, 1),
            0.0,
            &mut c,
        );
        assert_eq!(c, [1.0; 6]);
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn gemm_into_refuses_a_matrix_outside_its_slice() {
        let mut c = vec![0.0f64; 4];
        let short = [1.0; 3];
        gemm_into(
            MatRef::row_major(&short, 2, 2),
            MatRef::row_major(&[1.0; 4], 2, 2),
            0.0,
            &mut c,
        );
    }
}
