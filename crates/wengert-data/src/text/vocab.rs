//! A character vocabulary: characters to indices and back.

use std::collections::BTreeMap;

/// Characters ordered by how often they occur (most frequent first, ties by
/// character), after index 0, which is reserved for unknown characters
/// (`<unk>`), as in the text's `Vocab` class.
///
/// ```
/// use wengert_data::text::CharVocab;
///
/// let vocab = CharVocab::from_text("abca");
/// assert_eq!(vocab.len(), 4); // <unk>, a, b, c
/// assert_eq!(vocab.index('a'), 1); // the most frequent
/// assert_eq!(vocab.index('z'), CharVocab::UNKNOWN);
/// assert_eq!(vocab.decode(&vocab.encode("cab")), "cab");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharVocab {
    /// Index -> character; index 0 holds a placeholder for `<unk>`.
    chars: Vec<char>,
    index: BTreeMap<char, usize>,
}

impl CharVocab {
    /// The index of unknown characters.
    pub const UNKNOWN: usize = 0;
    /// How [`CharVocab::decode`] writes an unknown index.
    pub const UNKNOWN_TEXT: &'static str = "<unk>";

    /// The vocabulary of every character in `text`.
    pub fn from_text(text: &str) -> Self {
        let mut counts: BTreeMap<char, usize> = BTreeMap::new();
        for c in text.chars() {
            *counts.entry(c).or_default() += 1;
        }
        let mut by_count: Vec<(char, usize)> = counts.into_iter().collect();
        // Stable sort of a char-ordered list: ties stay in char order.
        by_count.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
        let mut chars = vec!['\u{0}'];
        chars.extend(by_count.iter().map(|&(c, _)| c));
        let index = chars
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, &c)| (c, i))
            .collect();
        CharVocab { chars, index }
    }

    /// Number of entries, `<unk>` included.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Always false: `<unk>` is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The index of `c`, [`CharVocab::UNKNOWN`] when it is not in the vocabulary.
    pub fn index(&self, c: char) -> usize {
        self.index.get(&c).copied().unwrap_or(Self::UNKNOWN)
    }

    /// The character at `index`, `None` for `<unk>` or an index out of range.
    pub fn char_at(&self, index: usize) -> Option<char> {
        if index == Self::UNKNOWN {
            None
        } else {
            self.chars.get(index).copied()
        }
    }

    /// The indices of the characters of `text`.
    pub fn encode(&self, text: &str) -> Vec<usize> {
        text.chars().map(|c| self.index(c)).collect()
    }

    /// The text of `indices`; unknown or out-of-range indices become `<unk>`.
    pub fn decode(&self, indices: &[usize]) -> String {
        let mut out = String::with_capacity(indices.len());
        for &i in indices {
            match self.char_at(i) {
                Some(c) => out.push(c),
                None => out.push_str(Self::UNKNOWN_TEXT),
            }
        }
        out
    }
}
