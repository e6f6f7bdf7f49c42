//! [`Config`]: one point of a hyperparameter space, as named values in the
//! order the space lists them, printable (`lr=0.01, width=32`) and
//! serialisable (a JSON object whose keys keep that order), so a job file
//! or a report shows the configuration exactly as it was run.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, TrainError};

/// One hyperparameter value: a number, a word or a switch.
///
/// In JSON a value is a plain number, string or boolean; an integer reads
/// back as [`Value::Int`] and a number with a fraction or exponent as
/// [`Value::Float`], bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A switch (`batch_norm=true`).
    Bool(bool),
    /// A count (`width=32`, `epochs=10`).
    Int(i64),
    /// A real number (`lr=0.01`, `dropout=0.2`); always finite.
    Float(f64),
    /// A choice by name (`optimizer=adam`).
    Text(String),
}

impl fmt::Display for Value {
    /// Floats with the fewest digits that read back to the same bits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(t) => write!(f, "{t}"),
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<f32> for Value {
    fn from(x: f32) -> Self {
        Value::Float(f64::from(x))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<usize> for Value {
    /// Counts above `i64::MAX` saturate (no hyperparameter is that large).
    fn from(i: usize) -> Self {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(t: &str) -> Self {
        Value::Text(t.to_string())
    }
}

impl From<String> for Value {
    fn from(t: String) -> Self {
        Value::Text(t)
    }
}

/// A configuration: named hyperparameter values, in the order the space
/// that made it lists its axes.
///
/// The factory that builds a trainer reads it by name; a missing name or a
/// value of the wrong kind is an error naming both.
///
/// ```
/// use wengert_train::selection::Config;
///
/// let config = Config::new().with("lr", 0.01).with("width", 32usize);
/// assert_eq!(config.to_string(), "lr=0.01, width=32");
/// assert_eq!(config.f64("lr")?, 0.01);
/// assert_eq!(config.usize("width")?, 32);
/// let json = serde_json::to_string(&config)?;
/// assert_eq!(json, r#"{"lr":0.01,"width":32}"#);
/// assert_eq!(serde_json::from_str::<Config>(&json)?, config);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    values: Vec<(String, Value)>,
}

impl Config {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// This configuration with `name` set to `value` (replaced in place if
    /// the name is already there, so the order stays the first one).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value`, in place if the name is there, last if not.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        let value = value.into();
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name, value)),
        }
    }

    /// The value named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The names and values, in order.
    pub fn values(&self) -> &[(String, Value)] {
        &self.values
    }

    /// The real number `name` (an integer value is converted).
    pub fn f64(&self, name: &str) -> Result<f64> {
        match self.require(name)? {
            Value::Float(x) => Ok(*x),
            Value::Int(i) => Ok(*i as f64),
            other => Err(self.wrong_kind(name, "a number", other)),
        }
    }

    /// The non-negative integer `name`.
    pub fn usize(&self, name: &str) -> Result<usize> {
        match self.require(name)? {
            Value::Int(i) if *i >= 0 => Ok(*i as usize),
            other => Err(self.wrong_kind(name, "a non-negative integer", other)),
        }
    }

    /// The word `name`.
    pub fn text(&self, name: &str) -> Result<&str> {
        match self.require(name)? {
            Value::Text(t) => Ok(t),
            other => Err(self.wrong_kind(name, "a string", other)),
        }
    }

    /// The switch `name`.
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.require(name)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.wrong_kind(name, "true or false", other)),
        }
    }

    fn require(&self, name: &str) -> Result<&Value> {
        self.get(name).ok_or_else(|| TrainError::Selection {
            what: "Config",
            why: format!("no hyperparameter `{name}` in the configuration `{self}`"),
        })
    }

    fn wrong_kind(&self, name: &str, expected: &str, found: &Value) -> TrainError {
        TrainError::Selection {
            what: "Config",
            why: format!("hyperparameter `{name}` should be {expected}, got `{found}` in `{self}`"),
        }
    }
}

impl fmt::Display for Config {
    /// `name=value` pairs joined by `, ` (`lr=0.01, width=32`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}

impl Serialize for Config {
    /// A JSON object whose keys come in the configuration's order.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (name, value) in &self.values {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Config {
    /// Reads the keys in file order; a repeated key is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct ConfigVisitor;

        impl<'de> Visitor<'de> for ConfigVisitor {
            type Value = Config;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a configuration: an object of hyperparameter names and values")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Config, A::Error> {
                let mut config = Config::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if config.get(&name).is_some() {
                        return Err(serde::de::Error::custom(format!(
                            "hyperparameter `{name}` appears twice"
                        )));
                    }
                    config.values.push((name, value));
                }
                Ok(config)
            }
        }

        deserializer.deserialize_map(ConfigVisitor)
    }
}
