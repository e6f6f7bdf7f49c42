//! A model summary: one line per layer with its name, type, output shape
//! and parameter count, like Keras' `model.summary()` or torchinfo.

use std::fmt;

use wengert_tensor::{Float, Tape, Tensor};

use crate::error::Result;
use crate::module::Module;

/// One line of a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The layer's path (`0`, `3.body`).
    pub name: String,
    /// Its type (`Linear`).
    pub type_name: String,
    /// The shape of its output for the summary's input.
    pub output_shape: Vec<usize>,
    /// Number of parameter scalars.
    pub params: usize,
    /// Number of parameter scalars that are not frozen.
    pub trainable_params: usize,
}

/// A table of the layers of a model for one input shape; print it with
/// `{}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The input shape the model was run on.
    pub input_shape: Vec<usize>,
    /// One row per layer, in forward order.
    pub rows: Vec<SummaryRow>,
    /// All parameter scalars of the model.
    pub total_params: usize,
    /// Those that are not frozen.
    pub trainable_params: usize,
}

/// Runs `model` on zeros of `input_shape` (an inference tape, so batch
/// normalization uses its running statistics and changes nothing) and lists
/// each layer.
///
/// ```
/// use wengert_nn::{summary, BatchNorm1d, Linear, ReLU, Sequential};
/// use wengert_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let model = Sequential::<f32>::new()
///     .with(Linear::new(784, 64, &mut rng))
///     .with(BatchNorm1d::new(64))
///     .with(ReLU)
///     .with(Linear::new(64, 10, &mut rng));
/// let s = summary(&model, &[32, 784]).unwrap();
/// assert_eq!(s.rows[1].output_shape, vec![32, 64]);
/// assert_eq!(s.total_params, 784 * 64 + 64 + 2 * 64 + 64 * 10 + 10);
/// println!("{s}");
/// ```
pub fn summary<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    input_shape: &[usize],
) -> Result<Summary> {
    let tape = Tape::inference();
    let x = tape.constant(Tensor::zeros(input_shape));
    let mut rows = Vec::new();
    model.summarize(&tape, x, "", &mut rows)?;
    Ok(Summary {
        input_shape: input_shape.to_vec(),
        rows,
        total_params: model.num_params(),
        trainable_params: model.num_trainable_params(),
    })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = |s: &[usize]| {
            let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            format!("[{}]", parts.join(", "))
        };
        let name_of = |r: &SummaryRow| {
            if r.name.is_empty() {
                "(model)".to_string()
            } else {
                r.name.clone()
            }
        };
        let w_name = self
            .rows
            .iter()
            .map(|r| name_of(r).len())
            .chain([5])
            .max()
            .unwrap_or(5);
        let w_type = self
            .rows
            .iter()
            .map(|r| r.type_name.len())
            .chain([4])
            .max()
            .unwrap_or(4);
        let w_shape = self
            .rows
            .iter()
            .map(|r| shape(&r.output_shape).len())
            .chain([12])
            .max()
            .unwrap_or(12);
        let header = format!(
            "{:<w_name$}  {:<w_type$}  {:<w_shape$}  {:>10}",
            "Layer", "Type", "Output shape", "Params"
        );
        let rule = "-".repeat(header.len());
        writeln!(f, "input {}", shape(&self.input_shape))?;
        writeln!(f, "{header}")?;
        writeln!(f, "{rule}")?;
        for r in &self.rows {
            let frozen = if r.params > 0 && r.trainable_params == 0 {
                " (frozen)"
            } else {
                ""
            };
            writeln!(
                f,
                "{:<w_name$}  {:<w_type$}  {:<w_shape$}  {:>10}{frozen}",
                name_of(r),
                r.type_name,
                shape(&r.output_shape),
                r.params
            )?;
        }
        writeln!(f, "{rule}")?;
        writeln!(f, "total params: {}", self.total_params)?;
        write!(f, "trainable params: {}", self.trainable_params)
    }
}
