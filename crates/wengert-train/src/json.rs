//! JSON files of checkpoints and callback states: written flushed to disk,
//! read with errors that say which file and what was wrong, and floats that
//! may be infinite or NaN (a best loss that starts at +inf), which JSON has
//! no number for, written as the strings `"inf"`, `"-inf"`, `"NaN"`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::checkpoint::{io, write_synced};
use crate::error::{Result, TrainError};

/// Writes `value` as pretty JSON to `path`, flushed to disk.
pub(crate) fn write<V: Serialize>(path: &Path, value: &V) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::Format {
        path: path.to_path_buf(),
        why: format!("could not be written as JSON: {e}"),
    })?;
    write_synced(path, text.as_bytes())
}

/// Reads the JSON file `path` into a `V`.
pub(crate) fn read<V: DeserializeOwned>(path: &Path) -> Result<V> {
    let text = std::fs::read_to_string(path).map_err(io("reading", path))?;
    serde_json::from_str(&text).map_err(|e| TrainError::Format {
        path: path.to_path_buf(),
        why: format!(
            "expected the JSON this version of wengert-train writes, but at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })
}

/// An f64 as a JSON number, or one of the strings `"inf"`, `"-inf"`,
/// `"NaN"`.
pub(crate) mod f64_any {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_str(&format!("{x}"))
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(x) => Ok(x),
            Repr::Text(t) => t
                .parse::<f64>()
                .map_err(|_| serde::de::Error::custom(format!("`{t}` is not a number"))),
        }
    }
}

/// [`f64_any`] for an `Option<f64>` (`null` for `None`).
pub(crate) mod option_f64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Wrap(#[serde(with = "super::f64_any")] f64);

    pub(crate) fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        x.map(Wrap).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        #[serde(with = "super::f64_any")]
        a: f64,
        #[serde(with = "super::option_f64")]
        b: Option<f64>,
    }

    #[test]
    fn infinite_and_missing_values_round_trip() {
        for (a, b) in [
            (1.5, None),
            (f64::INFINITY, Some(f64::NEG_INFINITY)),
            (0.1, Some(2.0)),
        ] {
            let text = serde_json::to_string(&Sample { a, b }).unwrap();
            let back: Sample = serde_json::from_str(&text).unwrap();
            assert_eq!(back, Sample { a, b }, "{text}");
        }
        let text = serde_json::to_string(&Sample {
            a: f64::NAN,
            b: None,
        })
        .unwrap();
        assert!(
            serde_json::from_str::<Sample>(&text).unwrap().a.is_nan(),
            "{text}"
        );
    }
}
