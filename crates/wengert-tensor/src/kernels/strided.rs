//! Walking a strided view in contiguous runs instead of element by element.
//!
//! A view (a permute, a narrow, a broadcast) is described by sizes and
//! strides per axis. Many of its axes can be merged: an axis of size 1 moves
//! nothing, and two neighbouring axes whose strides chain (`stride[i] ==
//! stride[i + 1] * size[i + 1]`) step through memory like one longer axis.
//! After merging, the innermost axis is walked by a tight loop (a slice copy
//! when its stride is 1) and only the outer axes need an odometer, so the
//! per-element cost of copying or reducing a view is that of a plain loop.

/// One axis of a merged layout: its size and its stride in elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dim {
    pub(crate) size: usize,
    pub(crate) stride: usize,
}

/// Merges the axes of a view for walking, in row-major order of the view:
/// axes of size 1 are dropped, and neighbours are merged when `same_group`
/// puts them in one group and their strides chain. The walk visits the same
/// elements in the same order as the view. An empty result means one element
/// (or none, when `sizes` has a zero, which callers check first).
pub(crate) fn merge_axes(
    sizes: &[usize],
    strides: &[usize],
    same_group: impl Fn(usize, usize) -> bool,
) -> Vec<(usize, Dim)> {
    merge_axes_of(sizes, [strides], same_group)
        .into_iter()
        .map(|(ax, size, [stride])| (ax, Dim { size, stride }))
        .collect()
}

/// [`merge_axes`] for `K` views of one shape walked together (a zip): axes
/// merge only where the strides of every view chain. Each entry is the first
/// axis of the merged group, its size and its stride in each view.
pub(crate) fn merge_axes_of<const K: usize>(
    sizes: &[usize],
    strides: [&[usize]; K],
    same_group: impl Fn(usize, usize) -> bool,
) -> Vec<(usize, usize, [usize; K])> {
    let mut out: Vec<(usize, usize, [usize; K])> = Vec::with_capacity(sizes.len());
    for (ax, &size) in sizes.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let here: [usize; K] = std::array::from_fn(|k| strides[k][ax]);
        match out.last_mut() {
            Some((prev_ax, prev_size, prev))
                if same_group(*prev_ax, ax) && (0..K).all(|k| prev[k] == here[k] * size) =>
            {
                *prev_size *= size;
                *prev = here;
            }
            _ => out.push((ax, size, here)),
        }
    }
    out
}

/// Storage offsets of the starts of the rows of `outer` (all but the
/// innermost merged axis), in row-major order, advanced by an odometer so
/// no offset is recomputed over all axes.
pub(crate) struct RowStarts<'a> {
    outer: &'a [Dim],
    index: Vec<usize>,
    offset: usize,
    left: usize,
}

impl<'a> RowStarts<'a> {
    /// The row starts of `outer` from `offset`.
    pub(crate) fn new(outer: &'a [Dim], offset: usize) -> Self {
        RowStarts {
            outer,
            index: vec![0; outer.len()],
            offset,
            left: outer.iter().map(|d| d.size).product(),
        }
    }
}

impl Iterator for RowStarts<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let start = self.offset;
        for (i, d) in self.outer.iter().enumerate().rev() {
            self.index[i] += 1;
            self.offset += d.stride;
            if self.index[i] < d.size {
                break;
            }
            self.offset -= d.stride * d.size;
            self.index[i] = 0;
        }
        Some(start)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Appends the `len` elements of `src` from `start` with `stride` to `out`:
/// a slice copy when the stride is 1, a fill when it is 0.
#[inline]
pub(crate) fn push_run<T: Copy>(
    out: &mut Vec<T>,
    src: &[T],
    start: usize,
    len: usize,
    stride: usize,
) {
    match stride {
        1 => out.extend_from_slice(&src[start..start + len]),
        0 => out.extend(std::iter::repeat_n(src[start], len)),
        _ => out.extend((0..len).map(|k| src[start + k * stride])),
    }
}

/// Copies a view (`offset`, `sizes`, `strides` into `src`) row-major into
/// `out`, one innermost run at a time.
pub(crate) fn gather_into<T: Copy>(
    out: &mut Vec<T>,
    src: &[T],
    offset: usize,
    sizes: &[usize],
    strides: &[usize],
) {
    if sizes.contains(&0) {
        return;
    }
    let dims: Vec<Dim> = merge_axes(sizes, strides, |_, _| true)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let Some((inner, outer)) = dims.split_last() else {
        out.push(src[offset]);
        return;
    };
    for start in RowStarts::new(outer, offset) {
        push_run(out, src, start, inner.size, inner.stride);
    }
}

/// `out = f(a, b)` row-major for two views of one shape (`sizes`), given as
/// (storage, offset, strides): the axes are merged for both views, the outer
/// ones walked by an odometer and the innermost by a plain loop (over two
/// slices when both runs are contiguous, which vectorizes).
pub(crate) fn zip_into<T: Copy>(
    out: &mut Vec<T>,
    (a, a_offset, a_strides): (&[T], usize, &[usize]),
    (b, b_offset, b_strides): (&[T], usize, &[usize]),
    sizes: &[usize],
    f: impl Fn(T, T) -> T,
) {
    if sizes.contains(&0) {
        return;
    }
    let dims = merge_axes_of(sizes, [a_strides, b_strides], |_, _| true);
    let Some((&(_, len, [sa, sb]), outer)) = dims.split_last() else {
        out.push(f(a[a_offset], b[b_offset]));
        return;
    };
    let mut index = vec![0usize; outer.len()];
    let (mut oa, mut ob) = (a_offset, b_offset);
    let rows: usize = outer.iter().map(|&(_, size, _)| size).product();
    for _ in 0..rows {
        if sa == 1 && sb == 1 {
            let (ra, rb) = (&a[oa..oa + len], &b[ob..ob + len]);
            out.extend(ra.iter().zip(rb).map(|(&x, &y)| f(x, y)));
        } else {
            out.extend((0..len).map(|k| f(a[oa + k * sa], b[ob + k * sb])));
        }
        for (i, &(_, size, [da, db])) in outer.iter().enumerate().rev() {
            index[i] += 1;
            oa += da;
            ob += db;
            if index[i] < size {
                break;
            }
            oa -= da * size;
            ob -= db * size;
            index[i] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_axes_merge_and_unit_axes_vanish() {
        // [2, 1, 3, 4] contiguous: one run of 24.
        let m = merge_axes(&[2, 1, 3, 4], &[12, 12, 4, 1], |_, _| true);
        assert_eq!(
            m,
            vec![(
                0,
                Dim {
                    size: 24,
                    stride: 1
                }
            )]
        );
        // A transpose of [3, 4] does not merge.
        let t = merge_axes(&[4, 3], &[1, 4], |_, _| true);
        assert_eq!(t.len(), 2);
        // Groups keep mergeable axes apart.
        let g = merge_axes(&[2, 3, 4], &[12, 4, 1], |a, b| (a == 0) == (b == 0));
        assert_eq!(
            g,
            vec![
                (
                    0,
                    Dim {
                        size: 2,
                        stride: 12
                    }
                ),
                (
                    1,
                    Dim {
                        size: 12,
                        stride: 1
                    }
                )
            ]
        );
    }

    #[test]
    fn row_starts_walk_outer_axes_row_major() {
        let outer = [
            Dim {
                size: 2,
                stride: 10,
            },
            Dim { size: 3, stride: 1 },
        ];
        let starts: Vec<usize> = RowStarts::new(&outer, 5).collect();
        assert_eq!(starts, vec![5, 6, 7, 15, 16, 17]);
    }

    #[test]
    fn gathering_a_transpose_reads_columns() {
        let src: Vec<u32> = (0..6).collect();
        let mut out = Vec::new();
        // [2, 3] row-major seen as its transpose [3, 2].
        gather_into(&mut out, &src, 0, &[3, 2], &[1, 3]);
        assert_eq!(out, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn gathering_zero_strides_repeats_elements() {
        let src = [7u32, 8];
        let mut out = Vec::new();
        // [2] seen as [2, 3] with the last axis broadcast: runs are fills.
        gather_into(&mut out, &src, 0, &[2, 3], &[1, 0]);
        assert_eq!(out, vec![7, 7, 7, 8, 8, 8]);
    }

    #[test]
    fn zipping_a_transpose_with_a_contiguous_view_pairs_like_positions() {
        let a: Vec<u32> = (0..6).collect();
        let b: Vec<u32> = (10..16).collect();
        let mut out = Vec::new();
        // a as the transpose [3, 2] of [2, 3]; b contiguous [3, 2].
        zip_into(
            &mut out,
            (&a, 0, &[1, 3]),
            (&b, 0, &[2, 1]),
            &[3, 2],
            |x, y| x * 100 + y,
        );
        assert_eq!(out, vec![10, 311, 112, 413, 214, 515]);
    }
}
