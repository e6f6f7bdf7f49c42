//! `mlp_sgd/step/784-256-256-10/b128/f32`: one training step of a ReLU MLP
//! written with tensor ops only (forward, softmax cross-entropy, backward,
//! plain SGD update), beside `mlp_sgd/gemms_alone`: the same eight matrix
//! products (3 forward, 5 backward) timed alone. Their ratio is what the
//! rest (element-wise ops, tape, update) costs.

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use wengert_tensor::{seeded_rng, Param, Tape, Tensor};

/// The MLP's parameters, data and labels, seeded.
pub struct Mlp {
    /// Weights and biases, layer by layer.
    pub params: Vec<Param<f32>>,
    /// Input batch [128, 784].
    pub x: Tensor<f32>,
    /// Labels, one per row.
    pub labels: Vec<usize>,
}

impl Mlp {
    /// 784-256-256-10 with He-scaled normal weights, batch 128.
    pub fn new() -> Self {
        let mut rng = seeded_rng(7);
        let sizes = [784usize, 256, 256, 10];
        let mut params = Vec::new();
        for (i, w) in sizes.windows(2).enumerate() {
            let scale = (2.0 / w[0] as f32).sqrt();
            params.push(Param::new(
                format!("{i}.weight"),
                Tensor::randn(&[w[0], w[1]], &mut rng).mul_scalar(scale),
            ));
            params.push(Param::new(format!("{i}.bias"), Tensor::zeros(&[w[1]])));
        }
        let x = Tensor::randn(&[128, 784], &mut rng);
        let labels = (0..128).map(|i| (i * 7) % 10).collect();
        Mlp { params, x, labels }
    }

    /// Forward, backward and SGD update; returns the loss.
    pub fn step(&mut self, tape: &mut Tape<f32>, lr: f32) -> f32 {
        tape.reset();
        let grads = {
            let mut h = tape.constant(self.x.clone());
            let n = self.params.len() / 2;
            for l in 0..n {
                let w = tape.param(&self.params[2 * l]);
                let b = tape.param(&self.params[2 * l + 1]);
                h = h.matmul(w) + b;
                if l + 1 < n {
                    h = h.relu();
                }
            }
            let loss = h.cross_entropy_with_logits(&self.labels);
            let value = loss.item();
            (loss.backward(), value)
        };
        let (grads, loss) = grads;
        for p in &mut self.params {
            let g = grads
                .get(p)
                .expect("every parameter gets a gradient")
                .clone();
            let g = g.values();
            for (w, &d) in p.value_mut().data_mut().iter_mut().zip(g.iter()) {
                *w -= lr * d;
            }
        }
        loss
    }
}

impl Default for Mlp {
    fn default() -> Self {
        Self::new()
    }
}

/// The eight products of one step, alone: forward x@W1, h1@W2, h2@W3;
/// backward dW3 = h2^T dz3, dh2 = dz3 W3^T, dW2, dh1, dW1.
pub fn gemms_alone(x: &Tensor<f32>, w: &[Tensor<f32>; 3]) -> Tensor<f32> {
    let h1 = x.matmul(&w[0]);
    let h2 = h1.matmul(&w[1]);
    let z3 = h2.matmul(&w[2]);
    let dw3 = h2.transpose(0, 1).matmul(&z3);
    let dh2 = z3.matmul(&w[2].transpose(0, 1));
    let dw2 = h1.transpose(0, 1).matmul(&dh2);
    let dh1 = dh2.matmul(&w[1].transpose(0, 1));
    let dw1 = x.transpose(0, 1).matmul(&dh1);
    black_box((dw3, dw2));
    dw1
}

fn mlp_sgd(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_sgd");
    let mut mlp = Mlp::new();
    let mut tape = Tape::training(0);
    group.bench_function("step/784-256-256-10/b128/f32", |b| {
        b.iter(|| black_box(mlp.step(&mut tape, 0.01)))
    });
    let w = [
        mlp.params[0].value().clone(),
        mlp.params[2].value().clone(),
        mlp.params[4].value().clone(),
    ];
    let x = mlp.x.clone();
    group.bench_function("gemms_alone/784-256-256-10/b128/f32", |b| {
        b.iter(|| black_box(gemms_alone(&x, &w)))
    });
    group.finish();
}

criterion_group!(benches, mlp_sgd);
