//! The network of the grid and its weights file: an MLP
//! `inputs - hidden... - classes` with ReLU, saved after pretraining as
//! safetensors and loaded back, without its head, for every fine-tuning
//! run.
//!
//! Layout of the `Sequential` (flat inputs, no `Flatten`): hidden layer `j`
//! is the `Linear` at index `2 j` and its ReLU at `2 j + 1`; the head is
//! the `Linear` at `2 n` for `n` hidden layers. Freezing the text's "first
//! k layers" is therefore `freeze_first(2 k)`: `Sequential::freeze_first`
//! counts every layer, the parameter-free ReLUs included.

use std::path::Path;

use wengert::nn::{LoadReport, Pretrained};
use wengert::prelude::*;

use super::Outcome;

/// The shape of the MLP.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSpec {
    /// Pixels per image.
    pub inputs: usize,
    /// Widths of the hidden layers, first first.
    pub hidden: Vec<usize>,
}

impl NetSpec {
    /// Number of hidden (pretrained, freezable) layers.
    pub fn depth(&self) -> usize {
        self.hidden.len()
    }

    /// The `Sequential` index of the head.
    pub fn head_index(&self) -> usize {
        2 * self.depth()
    }

    /// The `Sequential` index of hidden layer `j`'s `Linear`.
    pub fn hidden_index(j: usize) -> usize {
        2 * j
    }

    /// How many `Sequential` layers `freeze_first` takes to freeze the
    /// first `k` hidden layers (their `Linear` and ReLU).
    pub fn layers_to_freeze(k: usize) -> usize {
        2 * k
    }

    /// `784-512-256-128-5` style.
    pub fn describe(&self, classes: usize) -> String {
        std::iter::once(self.inputs)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(classes))
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// A fresh MLP with a `classes`-way head, PyTorch's default init, every
    /// weight drawn from `seed`.
    pub fn build(&self, classes: usize, seed: u64) -> Sequential<f32> {
        let mut rng = seeded_rng(seed);
        let mut model = Sequential::new();
        let mut width = self.inputs;
        for &h in &self.hidden {
            model.push(Box::new(Linear::new(width, h, &mut rng)));
            model.push(Box::new(ReLU));
            width = h;
        }
        model.with(Linear::new(width, classes, &mut rng))
    }

    /// A network for a `classes`-way target task: the pretrained body from
    /// the weights file at `path` and a new head drawn from `seed`. The load
    /// skips the old head (its shape is the source task's) and is strict
    /// about everything else: every body parameter must come from the file.
    pub fn pretrained(
        &self,
        path: &Path,
        classes: usize,
        seed: u64,
    ) -> Outcome<(Sequential<f32>, LoadReport)> {
        let mut model = self.build(classes, seed);
        let report = Pretrained::from_file(path)?
            .skip(self.head_index().to_string())
            .load_into(&mut model)?;
        Ok((model, report))
    }
}

/// The model's outputs on `inputs` in inference mode.
pub fn outputs(model: &Sequential<f32>, inputs: &Tensor<f32>) -> Outcome<Vec<f32>> {
    let tape = Tape::inference();
    Ok(model
        .forward(&tape, tape.constant(inputs.clone()))?
        .value()
        .to_vec())
}

/// Every parameter's values by name, to compare a model before and after.
pub fn snapshot(model: &Sequential<f32>) -> Vec<(String, Vec<f32>)> {
    model
        .params()
        .into_iter()
        .map(|(name, p)| (name, p.value().to_vec()))
        .collect()
}

/// For each hidden layer of `model` (a network of `spec`'s shape), how many
/// of its ReLU units are zero on every one of `images` `[n, inputs]`, and
/// its width: units that are silent on a task give its head nothing to
/// work with.
pub fn silent_units(
    spec: &NetSpec,
    model: &Sequential<f32>,
    images: &Tensor<f32>,
) -> Outcome<Vec<(usize, usize)>> {
    let tape = Tape::inference();
    let mut x = tape.constant(images.clone());
    let n = images.shape()[0];
    let mut counts = Vec::new();
    for (j, &width) in spec.hidden.iter().enumerate() {
        for index in [NetSpec::hidden_index(j), NetSpec::hidden_index(j) + 1] {
            x = model
                .get(index)
                .ok_or("a hidden layer")?
                .forward(&tape, x)?;
        }
        let values = x.value().to_vec();
        let silent = (0..width)
            .filter(|&u| (0..n).all(|i| values[i * width + u] == 0.0))
            .count();
        counts.push((silent, width));
    }
    Ok(counts)
}
