//! Evaluation and prediction on a loader, in inference mode: one inference
//! tape per batch (dropout off, batch norm on its running statistics).

use crate::metric_values::Metrics;

use wengert_data::{DataLoader, Dataset};
use wengert_nn::Module;
use wengert_tensor::{Float, Tape, Tensor};

use crate::error::Result;
use crate::loss::Loss;
use crate::metrics::Metric;
use crate::trainer::Evaluation;

/// Mean loss per example and every metric over `loader`.
pub(crate) fn evaluate<T: Float, D: Dataset<T> + 'static>(
    model: &dyn Module<T>,
    loss: &dyn Loss<T>,
    metrics: &[Box<dyn Metric<T>>],
    loader: &DataLoader<T, D>,
) -> Result<Evaluation> {
    let mut fresh: Vec<Box<dyn Metric<T>>> = metrics.iter().map(|m| m.fresh()).collect();
    let (mut loss_sum, mut examples) = (0.0, 0);
    for batch in loader.epoch(0) {
        let tape = Tape::inference();
        let output = model.forward(&tape, tape.constant(batch.features.clone()))?;
        let batch_loss = loss.loss(output, &batch.targets)?;
        let n = batch.len();
        loss_sum += batch_loss.item().to_f64() * n as f64;
        examples += n;
        let output = output.value();
        for m in &mut fresh {
            m.update(&output, &batch.targets)?;
        }
    }
    Ok(Evaluation {
        loss: loss_sum / examples as f64,
        metrics: fresh
            .iter()
            .map(|m| (m.name(), m.value()))
            .collect::<Metrics>(),
        examples,
    })
}

/// The outputs for every example, in loader order, stacked on axis 0.
pub(crate) fn predict<T: Float, D: Dataset<T> + 'static>(
    model: &dyn Module<T>,
    loader: &DataLoader<T, D>,
) -> Result<Tensor<T>> {
    let mut parts = Vec::with_capacity(loader.len());
    for batch in loader.epoch(0) {
        let tape = Tape::inference();
        parts.push(model.forward(&tape, tape.constant(batch.features))?.value());
    }
    Ok(Tensor::try_concat(&parts, 0)?)
}
