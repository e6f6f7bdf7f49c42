//! [`Metrics`]: the values a run's metrics computed, by name.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut, Index};

/// Metric values by name (`"accuracy"`, `"mse"`, ...): what
/// [`Trainer::evaluate`](crate::Trainer::evaluate) returns in
/// [`Evaluation::metrics`](crate::Evaluation::metrics) and what each epoch
/// records in [`EpochRecord`](crate::EpochRecord).
///
/// It reads as the `BTreeMap` it holds (`get`, `iter`, `keys`, `len`, ...
/// through `Deref`), with one difference: indexing by a name that was not
/// computed panics with the names that were and how to add the missing
/// metric, where a map only says "no entry found for key". A metric is
/// computed only if the trainer was given it, so `["accuracy"]` without
/// `.metric(Accuracy::new())` is the usual mistake.
///
/// ```
/// use wengert_train::Metrics;
/// let metrics: Metrics = [("accuracy".to_string(), 0.9)].into_iter().collect();
/// assert_eq!(metrics["accuracy"], 0.9);
/// assert_eq!(metrics.get("mse"), None);
/// let missing = std::panic::catch_unwind(|| metrics["mse"]).unwrap_err();
/// let message = missing.downcast_ref::<String>().unwrap();
/// assert!(message.contains("no metric named \"mse\"") && message.contains("accuracy"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics(BTreeMap<String, f64>);

impl Metrics {
    /// No values.
    pub fn new() -> Self {
        Metrics(BTreeMap::new())
    }

    /// The map of values.
    pub fn into_inner(self) -> BTreeMap<String, f64> {
        self.0
    }
}

impl Deref for Metrics {
    type Target = BTreeMap<String, f64>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Metrics {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl std::borrow::Borrow<BTreeMap<String, f64>> for Metrics {
    fn borrow(&self) -> &BTreeMap<String, f64> {
        &self.0
    }
}

impl From<BTreeMap<String, f64>> for Metrics {
    fn from(map: BTreeMap<String, f64>) -> Self {
        Metrics(map)
    }
}

impl FromIterator<(String, f64)> for Metrics {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(iter: I) -> Self {
        Metrics(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Metrics {
    type Item = (&'a String, &'a f64);
    type IntoIter = std::collections::btree_map::Iter<'a, String, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Metrics {
    type Item = (String, f64);
    type IntoIter = std::collections::btree_map::IntoIter<String, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Index<&str> for Metrics {
    type Output = f64;

    /// The value of metric `name`.
    ///
    /// # Panics
    /// If no metric of that name was computed; the message lists the names
    /// that were.
    fn index(&self, name: &str) -> &f64 {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("{}", Missing(name, self)))
    }
}

/// The panic message of a missing metric.
struct Missing<'a>(&'a str, &'a Metrics);

impl fmt::Display for Missing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Missing(name, metrics) = self;
        write!(f, "no metric named {name:?} was computed (")?;
        if metrics.is_empty() {
            write!(f, "none was: the trainer has no metrics")?;
        } else {
            let names: Vec<&str> = metrics.keys().map(String::as_str).collect();
            write!(f, "these were: {}", names.join(", "))?;
        }
        write!(
            f,
            "); metrics are computed only when given to the trainer, e.g. \
             `.metric(Accuracy::new())` for \"accuracy\""
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_metric_names_the_ones_there_are_or_says_there_are_none() {
        let message = |m: Metrics| {
            let err = std::panic::catch_unwind(|| m["accuracy"]).unwrap_err();
            err.downcast_ref::<String>().cloned().unwrap()
        };
        let none = message(Metrics::new());
        assert!(none.contains("no metric named \"accuracy\""), "{none}");
        assert!(none.contains("the trainer has no metrics"), "{none}");
        assert!(none.contains(".metric(Accuracy::new())"), "{none}");
        let some = message(
            [("mse".into(), 1.0), ("mae".into(), 2.0)]
                .into_iter()
                .collect(),
        );
        assert!(some.contains("these were: mae, mse"), "{some}");
    }

    #[test]
    fn it_reads_as_its_map() {
        let mut m = Metrics::new();
        m.insert("accuracy".into(), 0.5);
        assert_eq!(m["accuracy"], 0.5);
        assert_eq!(m.len(), 1);
        assert_eq!((&m).into_iter().count(), 1);
        assert_eq!(m.clone().into_inner().get("accuracy"), Some(&0.5));
    }
}
