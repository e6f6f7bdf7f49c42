//! [`LoadReport`]: what a partial load did, entry by entry, so a
//! fine-tuning script can print it or check it instead of trusting that the
//! right layers came from the file.

use std::fmt;

/// What [`Pretrained::load_into`](crate::Pretrained::load_into) did with
/// every entry of the weights and of the model.
///
/// PyTorch's `load_state_dict(strict=False)` returns two lists,
/// `missing_keys` and `unexpected_keys`; this report has those (`missing`,
/// `unused`) and also says what *was* loaded, under which name, and what
/// was left out on purpose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Where the weights came from (a path, or `state dict`).
    pub origin: String,
    /// Each loaded entry as `(name in the weights, name in the model)`; the
    /// two differ where a rename applied. Sorted by the weights' names.
    pub loaded: Vec<(String, String)>,
    /// Entries of the weights left out by a `skip`, by their name in the
    /// weights.
    pub skipped: Vec<String>,
    /// Parameters and buffers of the model that got nothing from the
    /// weights and keep their current values (a new head, say).
    pub missing: Vec<String>,
    /// Entries of the weights that fit no name of the model and were not
    /// skipped (by their name in the weights).
    pub unused: Vec<String>,
}

impl LoadReport {
    /// The model's names that received a value.
    pub fn loaded_names(&self) -> Vec<&str> {
        self.loaded.iter().map(|(_, to)| to.as_str()).collect()
    }

    /// Whether every entry on both sides was loaded: nothing missing,
    /// nothing unused, nothing skipped.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.unused.is_empty() && self.skipped.is_empty()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: loaded {}, skipped {}, missing {} (kept as they were), unused {}",
            self.origin,
            self.loaded.len(),
            self.skipped.len(),
            self.missing.len(),
            self.unused.len()
        )?;
        for (from, to) in &self.loaded {
            if from == to {
                writeln!(f, "  loaded   {to}")?;
            } else {
                writeln!(f, "  loaded   {to} <- {from}")?;
            }
        }
        for (label, names) in [
            ("skipped ", &self.skipped),
            ("missing ", &self.missing),
            ("unused  ", &self.unused),
        ] {
            for name in names {
                writeln!(f, "  {label} {name}")?;
            }
        }
        Ok(())
    }
}
