//! Text for character-level language models: a [`CharVocab`], a
//! [`TextCorpus`] (text cleaned and encoded) and a [`SequenceSampler`] that
//! cuts the token stream into minibatches of length-`T` windows.

mod corpus;
mod sequence;
mod vocab;

pub use corpus::{preprocess, TextCorpus};
pub use sequence::{SamplingStrategy, SequenceBatch, SequenceSampler};
pub use vocab::CharVocab;
