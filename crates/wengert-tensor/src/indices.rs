//! `Indices`: a short list of `usize` (a tensor's sizes or strides, a tape
//! node's input ids), kept inline up to four entries.
//!
//! Every op on the tape makes a tensor (two such lists) and a node (one
//! more), so how these lists are built and copied is part of the cost of
//! every op. A general small-vector type copies a variable-length prefix,
//! which compiles to a call to `memcpy`, and checks where its data lives on
//! every access. Here the inline case copies a fixed four-word array, which
//! compiles to a few register moves; more than four entries go to the heap.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// Lists of at most this many entries are inline.
const INLINE: usize = 4;

/// How many of the four inline slots are used: a word-sized field whose
/// values above four are impossible. The compiler keeps the enclosing
/// enum's variant in those impossible values, so an inline list is five
/// plain words with no separate tag byte. That matters for speed, not just
/// size: copying a value that holds a lone tag byte next to wider fields
/// makes the processor stall when it reads the bytes back as wide words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum InlineLen {
    L0 = 0,
    L1 = 1,
    L2 = 2,
    L3 = 3,
    L4 = 4,
}

impl InlineLen {
    /// `n`, which must be at most four.
    #[inline]
    pub(crate) fn new(n: usize) -> Self {
        match n {
            0 => InlineLen::L0,
            1 => InlineLen::L1,
            2 => InlineLen::L2,
            3 => InlineLen::L3,
            4 => InlineLen::L4,
            _ => unreachable!("an inline length is at most 4, got {n}"),
        }
    }

    /// As a number.
    #[inline]
    pub(crate) fn get(self) -> usize {
        self as usize
    }
}

/// The inline form of [`Indices`]: `len` entries at the front of `items`,
/// the rest zero. Items first (`repr(C)`), so they start at the list's own
/// 16-byte-aligned address; see `Tensor`'s field order.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct InlineList {
    items: [usize; INLINE],
    len: InlineLen,
}

/// A list of `usize`, inline up to four entries.
#[derive(Clone)]
pub(crate) enum Indices {
    /// At most [`INLINE`] entries.
    Inline(InlineList),
    /// More than [`INLINE`] entries.
    Heap(Vec<usize>),
}

impl Indices {
    /// The empty list.
    #[inline]
    pub(crate) const fn new() -> Self {
        Indices::Inline(InlineList {
            items: [0; INLINE],
            len: InlineLen::L0,
        })
    }

    /// A copy of `s`.
    #[inline]
    pub(crate) fn from_slice(s: &[usize]) -> Self {
        if s.len() > INLINE {
            return Indices::Heap(s.to_vec());
        }
        let mut items = [0; INLINE];
        // A fixed-length loop with a guard, not a copy of `s.len()` words,
        // so the compiler emits moves rather than a call to memcpy.
        for (k, item) in items.iter_mut().enumerate() {
            if k < s.len() {
                *item = s[k];
            }
        }
        Indices::Inline(InlineList {
            items,
            len: InlineLen::new(s.len()),
        })
    }

    /// The list `f(0), ..., f(n - 1)`, built whole when inline.
    #[inline]
    pub(crate) fn from_fn(n: usize, f: impl Fn(usize) -> usize) -> Self {
        if n > INLINE {
            return Indices::Heap((0..n).map(f).collect());
        }
        Indices::Inline(InlineList {
            items: std::array::from_fn(|k| if k < n { f(k) } else { 0 }),
            len: InlineLen::new(n),
        })
    }

    /// Appends one entry.
    #[inline]
    pub(crate) fn push(&mut self, x: usize) {
        match self {
            Indices::Inline(list) if list.len.get() < INLINE => {
                list.items[list.len.get()] = x;
                list.len = InlineLen::new(list.len.get() + 1);
            }
            Indices::Inline(_) => self.spill_and_push(x),
            Indices::Heap(v) => v.push(x),
        }
    }

    /// The fifth entry: moves the list to the heap. Kept out of line so the
    /// common inline `push` stays small enough to inline.
    #[cold]
    #[inline(never)]
    fn spill_and_push(&mut self, x: usize) {
        let mut v = self.to_vec();
        v.push(x);
        *self = Indices::Heap(v);
    }
}

impl Default for Indices {
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for Indices {
    type Target = [usize];
    #[inline]
    fn deref(&self) -> &[usize] {
        match self {
            Indices::Inline(list) => &list.items[..list.len.get()],
            Indices::Heap(v) => v,
        }
    }
}

impl DerefMut for Indices {
    #[inline]
    fn deref_mut(&mut self) -> &mut [usize] {
        match self {
            Indices::Inline(list) => &mut list.items[..list.len.get()],
            Indices::Heap(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Indices {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<usize> for Indices {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        let mut out = Indices::new();
        for x in iter {
            out.push(x);
        }
        out
    }
}

impl PartialEq for Indices {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        same(self, other)
    }
}

/// Whether two short lists are equal, compared entry by entry: slice
/// equality calls `memcmp`, which costs more than the compare itself for
/// the one to four entries of a shape. The tape compares shapes for every
/// gradient it passes on.
#[inline]
pub(crate) fn same(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl fmt::Debug for Indices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lists_are_inline_long_ones_on_the_heap_and_both_read_back() {
        for n in 0..=7 {
            let s: Vec<usize> = (10..10 + n).collect();
            let a = Indices::from_slice(&s);
            let b: Indices = s.iter().copied().collect();
            assert_eq!(&*a, &s[..]);
            assert_eq!(&*b, &s[..]);
            assert_eq!(a, b);
            assert_eq!(matches!(a, Indices::Inline(_)), n <= INLINE, "n = {n}");
            assert_eq!(matches!(b, Indices::Inline(_)), n <= INLINE, "n = {n}");
        }
    }

    #[test]
    fn an_inline_list_is_five_words_with_no_tag_byte() {
        assert_eq!(
            std::mem::size_of::<Indices>(),
            5 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn writes_through_deref_mut_and_clones_are_independent() {
        let mut a = Indices::from_slice(&[1, 2, 3]);
        let b = a.clone();
        a[1] = 9;
        assert_eq!(&*a, &[1, 9, 3]);
        assert_eq!(&*b, &[1, 2, 3]);
    }
}
