//! Workloads shared by the criterion benches and by the `bench_report`
//! program (which includes this file by path), so both time the same code.

use wengert_tensor::{seeded_rng, Grads, Param, Tape, Tensor};

/// `out = a b` for row-major n x n matrices, straight through matrixmultiply:
/// the baseline the Tensor API's matrix product is compared with.
pub fn raw_gemm(n: usize, a: &[f32], b: &[f32], out: &mut [f32]) {
    assert!(a.len() == n * n && b.len() == n * n && out.len() == n * n);
    // SAFETY: the assert above makes a, b and out n x n row-major buffers of
    // exactly n*n elements, which the strides (n, 1) stay within; out is an
    // exclusive borrow, so it aliases neither input.
    unsafe {
        matrixmultiply::sgemm(
            n,
            n,
            n,
            1.0,
            a.as_ptr(),
            n as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            0.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// One chain: forward of `len` ops, then backward. Reuses the tape.
pub fn chain(tape: &mut Tape<f32>, len: usize) -> f32 {
    tape.reset();
    let x = tape.var(Tensor::from_vec(vec![1.0], &[1]));
    let mut y = x;
    for i in 0..len {
        y = if i % 2 == 0 { y * 1.0001 } else { y + 0.0001 };
    }
    let grads = y.backward();
    grads.wrt(x).unwrap().item()
}

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

    /// Forward (with the fused softmax cross-entropy) and backward on a
    /// reused tape; returns the loss and the gradients.
    pub fn loss_and_grads(&self, tape: &mut Tape<f32>) -> (f32, Grads<f32>) {
        tape.reset();
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
        (loss.item(), loss.backward())
    }

    /// Forward, backward and a plain SGD update written inline; returns the loss.
    pub fn step(&mut self, tape: &mut Tape<f32>, lr: f32) -> f32 {
        let (loss, grads) = self.loss_and_grads(tape);
        // Let go of the tape's handles on the weights first, so the update
        // below writes them in place instead of copying each one (see
        // `Tape::param`).
        tape.reset();
        for p in &mut self.params {
            let g = grads.get(p).expect("every parameter gets a gradient");
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
    std::hint::black_box((dw3, dw2));
    dw1
}
