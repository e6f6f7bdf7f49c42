//! A cleaned text and its encoding as indices.

use crate::text::vocab::CharVocab;

/// The text's cleaning for character models: every run of characters that
/// are not ASCII letters becomes one space, letters are lower-cased, and the
/// ends are trimmed. What is left has 27 distinct characters at most.
///
/// ```
/// assert_eq!(wengert_data::text::preprocess("The Time-Machine,\n by H. G."), "the time machine by h g");
/// ```
pub fn preprocess(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// A cleaned text with its character vocabulary and its tokens (one index
/// per character).
#[derive(Debug, Clone, PartialEq)]
pub struct TextCorpus {
    /// The text after [`preprocess`].
    pub text: String,
    /// The vocabulary of `text`.
    pub vocab: CharVocab,
    /// `text` encoded with `vocab`.
    pub tokens: Vec<usize>,
}

impl TextCorpus {
    /// Cleans `raw` with [`preprocess`], builds its vocabulary and encodes it.
    pub fn from_raw_text(raw: &str) -> Self {
        let text = preprocess(raw);
        let vocab = CharVocab::from_text(&text);
        let tokens = vocab.encode(&text);
        TextCorpus {
            text,
            vocab,
            tokens,
        }
    }
}
