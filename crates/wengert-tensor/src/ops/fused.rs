//! Fused ops: forward and backward as hand-written kernels, for the hot
//! spots where a bench shows that the composed form costs too much.
//!
//! A fused op's backward returns a plain value, so it cannot be
//! differentiated again: under `backward_with_graph` it refuses with a
//! clear error naming its composed twin, which can.

use rayon::prelude::*;

use super::or_panic;
use crate::error::{Result, TensorError};
use crate::float::Float;
use crate::kernels::PARALLEL_THRESHOLD;
use crate::tape::Var;
use crate::tensor::Tensor;

impl<'t, T: Float> Var<'t, T> {
    /// Mean softmax cross-entropy of logits `[N, C]` against class indices:
    /// `loss = mean_i (logsumexp(z_i) - z_i[t_i])`, fused.
    ///
    /// The forward pass computes each row's softmax `p_i` once and keeps it;
    /// the backward is one pass, `dz = dy * (p - onehot(t)) / N`. The
    /// composed twin is `-(z.log_softmax(1).gather(1, t)).mean()`; use it
    /// when you need second derivatives (this op refuses them).
    /// PyTorch: `F.cross_entropy(z, t)`.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let z = tape.var(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], &[2, 2]));
    /// let loss = z.cross_entropy_with_logits(&[0, 1]);
    /// assert!((loss.item() - 2f64.ln()).abs() < 1e-15); // uniform over 2 classes
    /// ```
    pub fn try_cross_entropy_with_logits(self, targets: &[usize]) -> Result<Var<'t, T>> {
        let z = self.value();
        let shape = z.shape().to_vec();
        if shape.len() != 2 || shape[0] != targets.len() {
            return Err(TensorError::ShapeMismatch {
                op: "cross_entropy_with_logits",
                lhs: shape,
                rhs: vec![targets.len()],
                why: "logits must be [N, C] with one target per row".into(),
            });
        }
        let (n, c) = (shape[0], shape[1]);
        if let Some(i) = targets.iter().position(|&t| t >= c) {
            return Err(TensorError::InvalidArgument {
                op: "cross_entropy_with_logits",
                why: format!("target {} of row {i} is not a class of {c}", targets[i]),
            });
        }
        let p = z.softmax(1);
        let zs = z.values();
        // -ln p[t] per row, from the logits (not ln of the rounded p, which
        // would lose digits for confident predictions).
        let row_loss = |i: usize| {
            let row = &zs[i * c..(i + 1) * c];
            let m = row.iter().fold(T::neg_infinity(), |m, &x| m.max(x));
            let lse = m + row.iter().map(|&x| (x - m).exp()).sum::<T>().ln();
            lse - row[targets[i]]
        };
        let losses: Vec<T> = if n * c >= PARALLEL_THRESHOLD {
            (0..n).into_par_iter().map(row_loss).collect()
        } else {
            (0..n).map(row_loss).collect()
        };
        // Summed in row order on one thread: deterministic.
        let loss = losses.into_iter().sum::<T>() / T::from_f64(n as f64);
        let targets = targets.to_vec();
        Ok(self.tape().record(
            "cross_entropy_with_logits",
            &[self],
            Tensor::scalar(loss),
            move |ctx, dy| {
                ctx.refuse_second_derivative("log_softmax(1).gather(1, t).mean().neg()");
                let scale = dy.item() / T::from_f64(n as f64);
                let mut dz = p.to_vec();
                for (i, &t) in targets.iter().enumerate() {
                    dz[i * c + t] -= T::one();
                }
                dz.iter_mut().for_each(|d| *d *= scale);
                [Some(ctx.tape().constant(Tensor::from_vec(dz, &[n, c])))]
            },
        ))
    }

    /// Panicking form of [`Var::try_cross_entropy_with_logits`].
    #[track_caller]
    pub fn cross_entropy_with_logits(self, targets: &[usize]) -> Var<'t, T> {
        or_panic(self.try_cross_entropy_with_logits(targets))
    }
}

#[cfg(test)]
mod tests {
    use crate::{gradcheck::assert_close, seeded_rng, Tape, Tensor};

    #[test]
    fn fused_cross_entropy_matches_composed_twin() {
        let z = Tensor::<f64>::randn(&[6, 5], &mut seeded_rng(3)).mul_scalar(3.0);
        let t = [0usize, 4, 2, 2, 1, 3];
        let tape = Tape::new();
        let v = tape.var(z);
        let fused = v.cross_entropy_with_logits(&t);
        let composed = -(v.log_softmax(1).gather(1, &t).mean());
        assert!((fused.item() - composed.item()).abs() < 1e-14);
        let gf = fused.backward();
        let gc = composed.backward();
        assert_close(gf.wrt(v).unwrap(), gc.wrt(v).unwrap(), 1e-15, 1e-12);
    }

    #[test]
    fn fused_cross_entropy_passes_gradcheck() {
        let z = Tensor::<f64>::randn(&[4, 3], &mut seeded_rng(4));
        crate::gradcheck(
            |_t, v| v[0].cross_entropy_with_logits(&[2, 0, 1, 1]),
            &[z],
            Default::default(),
        )
        .unwrap();
    }

    #[test]
    #[should_panic(expected = "has no second derivative")]
    fn fused_cross_entropy_refuses_second_derivative() {
        let tape = Tape::<f64>::new();
        let v = tape.var(Tensor::zeros(&[2, 3]));
        let _ = v.cross_entropy_with_logits(&[0, 1]).backward_with_graph();
    }

    #[test]
    fn bad_targets_are_clear_errors() {
        let tape = Tape::<f32>::new();
        let v = tape.var(Tensor::zeros(&[2, 3]));
        let msg = v
            .try_cross_entropy_with_logits(&[0])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("[2, 3]") && msg.contains("[1]"), "{msg}");
        let msg = v
            .try_cross_entropy_with_logits(&[0, 3])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("target 3") && msg.contains("row 1"), "{msg}");
    }
}
