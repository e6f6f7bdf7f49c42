//! Hyperparameter spaces: a [`Grid`] (every combination of listed values)
//! and a seeded [`RandomSearch`] (values drawn from distributions, the
//! learning rate log-uniform). Both give a plain list of [`Config`]s, which
//! is all a sweep needs.

use rand::Rng;
use serde::{Deserialize, Serialize};
use wengert_tensor::seeded_rng;

use crate::error::{Result, TrainError};
use crate::selection::config::{Config, Value};

/// Every combination of the values of each axis.
///
/// Order: the axes in the order they were added, the **last axis varying
/// fastest** (as nested `for` loops, the first axis outermost; the order of
/// `itertools::iproduct!` and of scikit-learn's `ParameterGrid` for keys in
/// that order).
///
/// ```
/// use wengert_train::selection::Grid;
///
/// let configs = Grid::new()
///     .axis("lr", [0.1, 0.01])
///     .axis("width", [16usize, 32])
///     .configs()?;
/// let names: Vec<String> = configs.iter().map(|c| c.to_string()).collect();
/// assert_eq!(
///     names,
///     ["lr=0.1, width=16", "lr=0.1, width=32", "lr=0.01, width=16", "lr=0.01, width=32"]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grid {
    axes: Vec<(String, Vec<Value>)>,
}

impl Grid {
    /// A grid with no axis (its only configuration is the empty one).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an axis: `name` takes each of `values` in turn.
    pub fn axis<V: Into<Value>>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.axes
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// How many configurations the grid has (the product of the axis
    /// lengths).
    pub fn len(&self) -> usize {
        self.axes.iter().map(|(_, values)| values.len()).product()
    }

    /// True when some axis has no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every configuration, in the documented order. An axis with no value,
    /// a name used twice or a non-finite float is an error naming it.
    pub fn configs(&self) -> Result<Vec<Config>> {
        for (i, (name, values)) in self.axes.iter().enumerate() {
            if values.is_empty() {
                return Err(grid_error(format!("axis `{name}` has no value")));
            }
            if self.axes[..i].iter().any(|(n, _)| n == name) {
                return Err(grid_error(format!("axis `{name}` is given twice")));
            }
            if let Some(bad) = values
                .iter()
                .find(|v| matches!(v, Value::Float(x) if !x.is_finite()))
            {
                return Err(grid_error(format!(
                    "axis `{name}` has the non-finite value {bad}"
                )));
            }
        }
        let mut configs = vec![Config::new()];
        for (name, values) in &self.axes {
            configs = configs
                .into_iter()
                .flat_map(|config| {
                    values
                        .iter()
                        .map(move |value| config.clone().with(name.clone(), value.clone()))
                })
                .collect();
        }
        Ok(configs)
    }
}

fn grid_error(why: String) -> TrainError {
    TrainError::Selection { what: "Grid", why }
}

/// Where a random search draws one hyperparameter from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// `exp(u)` for `u` uniform in `[ln low, ln high)`: every decade as
    /// likely as any other, the usual prior for learning rates and weight
    /// decay. Needs `0 < low < high`.
    LogUniform {
        /// Smallest value.
        low: f64,
        /// Largest value (excluded).
        high: f64,
    },
    /// Uniform in `[low, high)` (dropout rates). Needs `low < high`.
    Uniform {
        /// Smallest value.
        low: f64,
        /// Largest value (excluded).
        high: f64,
    },
    /// An integer uniform in `low..=high` (layer counts).
    IntUniform {
        /// Smallest value.
        low: i64,
        /// Largest value (included).
        high: i64,
    },
    /// One of the values, each equally likely (widths, optimizer names).
    Choice(Vec<Value>),
}

impl Distribution {
    fn check(&self, name: &str) -> Result<()> {
        let bad = |why: String| {
            Err(TrainError::Selection {
                what: "RandomSearch",
                why: format!("hyperparameter `{name}`: {why}"),
            })
        };
        match self {
            Distribution::LogUniform { low, high }
                if !(low.is_finite() && high.is_finite() && *low > 0.0 && low < high) =>
            {
                bad(format!(
                    "log-uniform needs finite 0 < low < high, got low {low}, high {high}"
                ))
            }
            Distribution::Uniform { low, high }
                if !(low.is_finite() && high.is_finite() && low < high) =>
            {
                bad(format!(
                    "uniform needs finite low < high, got low {low}, high {high}"
                ))
            }
            Distribution::IntUniform { low, high } if low > high => bad(format!(
                "integer uniform needs low <= high, got low {low}, high {high}"
            )),
            Distribution::Choice(values) if values.is_empty() => {
                bad("a choice needs at least one value".into())
            }
            _ => Ok(()),
        }
    }

    fn draw(&self, rng: &mut impl Rng) -> Value {
        match self {
            Distribution::LogUniform { low, high } => {
                let (a, b) = (low.ln(), high.ln());
                // exp of a value just below ln(high) may round to high itself.
                Value::Float((a + rng.random::<f64>() * (b - a)).exp().min(*high))
            }
            Distribution::Uniform { low, high } => {
                Value::Float(low + rng.random::<f64>() * (high - low))
            }
            Distribution::IntUniform { low, high } => Value::Int(rng.random_range(*low..=*high)),
            Distribution::Choice(values) => values[rng.random_range(0..values.len())].clone(),
        }
    }
}

/// `trials` configurations drawn at random, reproducible from `seed`.
///
/// Each trial draws its hyperparameters in the order they were added, from
/// one generator seeded once ([`seeded_rng`]); the same seed gives the same
/// list, another seed another list. Random search covers each axis with as
/// many distinct values as there are trials, where a grid of the same size
/// tries only a few per axis (Bergstra and Bengio, 2012).
///
/// ```
/// use wengert_train::selection::RandomSearch;
///
/// let search = RandomSearch::new(8, 42)
///     .log_uniform("lr", 1e-4, 1e-1)
///     .choice("width", [16usize, 32, 64])
///     .uniform("dropout", 0.0, 0.5);
/// let configs = search.configs()?;
/// assert_eq!(configs.len(), 8);
/// assert_eq!(configs, search.configs()?);
/// for config in &configs {
///     assert!((1e-4..1e-1).contains(&config.f64("lr")?));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomSearch {
    trials: usize,
    seed: u64,
    params: Vec<(String, Distribution)>,
}

impl RandomSearch {
    /// A search of `trials` configurations drawn from `seed`.
    pub fn new(trials: usize, seed: u64) -> Self {
        RandomSearch {
            trials,
            seed,
            params: Vec::new(),
        }
    }

    /// Draws `name` from `distribution`.
    pub fn param(mut self, name: impl Into<String>, distribution: Distribution) -> Self {
        self.params.push((name.into(), distribution));
        self
    }

    /// Draws `name` log-uniformly in `[low, high)`.
    pub fn log_uniform(self, name: impl Into<String>, low: f64, high: f64) -> Self {
        self.param(name, Distribution::LogUniform { low, high })
    }

    /// Draws `name` uniformly in `[low, high)`.
    pub fn uniform(self, name: impl Into<String>, low: f64, high: f64) -> Self {
        self.param(name, Distribution::Uniform { low, high })
    }

    /// Draws the integer `name` uniformly in `low..=high`.
    pub fn int_uniform(self, name: impl Into<String>, low: i64, high: i64) -> Self {
        self.param(name, Distribution::IntUniform { low, high })
    }

    /// Draws `name` among `values`, each equally likely.
    pub fn choice<V: Into<Value>>(
        self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values = values.into_iter().map(Into::into).collect();
        self.param(name, Distribution::Choice(values))
    }

    /// The drawn configurations. A distribution that cannot be drawn from
    /// (log-uniform with `low <= 0`, an empty choice) or a name used twice
    /// is an error naming it.
    pub fn configs(&self) -> Result<Vec<Config>> {
        for (i, (name, distribution)) in self.params.iter().enumerate() {
            distribution.check(name)?;
            if self.params[..i].iter().any(|(n, _)| n == name) {
                return Err(TrainError::Selection {
                    what: "RandomSearch",
                    why: format!("hyperparameter `{name}` is given twice"),
                });
            }
        }
        let mut rng = seeded_rng(self.seed);
        Ok((0..self.trials)
            .map(|_| {
                let mut config = Config::new();
                for (name, distribution) in &self.params {
                    config.set(name.clone(), distribution.draw(&mut rng));
                }
                config
            })
            .collect())
    }
}
