//! Fused ops: forward and backward as hand-written kernels, for the hot
//! spots where a bench shows that the composed form costs too much.
//!
//! A fused kernel's result is a plain value, which cannot be differentiated
//! again. So a fused op takes its kernel path only in a plain `backward`;
//! when the backward pass is recorded (`backward_with_graph`, for gradient
//! penalties and Hessian-vector products) it writes the same gradient with
//! `Var` ops instead, which can. Each is checked against its composed twin.

use rayon::prelude::*;

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
    /// a plain backward is one pass over it, `dz = dy * (p - onehot(t)) / N`.
    /// A recorded backward (`backward_with_graph`) writes that same formula
    /// with `Var` ops (`softmax`, a constant one-hot, a product with `dy`),
    /// so the loss is twice differentiable: the second derivative is
    /// `d(dz) = dy * dsoftmax / N`, as for the composed twin
    /// `-(z.log_softmax(1).gather(1, t)).mean()`.
    /// PyTorch: `F.cross_entropy(z, t)`.
    ///
    /// # Shapes
    /// Logits `[N, C]`, `N` targets in `0..C`; the loss is 0-d.
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
                let inv_n = T::one() / T::from_f64(n as f64);
                if ctx.is_recording() {
                    // Differentiable: dz = dy * (softmax(z) - onehot(t)) / N.
                    let onehot = ctx.tape().constant(Tensor::one_hot(&targets, c));
                    let dz = (ctx.input(0).softmax(1) - onehot) * dy;
                    return [Some(dz.mul_scalar(inv_n))];
                }
                let scale = dy.item() * inv_n;
                let mut dz = p.to_vec();
                for (i, &t) in targets.iter().enumerate() {
                    dz[i * c + t] -= T::one();
                }
                dz.iter_mut().for_each(|d| *d *= scale);
                [Some(ctx.tape().constant(Tensor::from_vec(dz, &[n, c])))]
            },
        ))
    }
}

panicking! { Var {
    fn cross_entropy_with_logits(self, targets: &[usize]) -> Var<'t, T> = try_cross_entropy_with_logits;
} }

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
    fn fused_cross_entropy_is_twice_differentiable() {
        let z = Tensor::<f64>::randn(&[4, 3], &mut seeded_rng(5));
        crate::gradgradcheck(
            |_t, v| v[0].cross_entropy_with_logits(&[2, 0, 1, 1]),
            &[z],
            crate::Tolerance {
                atol: 1e-5,
                rtol: 1e-4,
                ..Default::default()
            },
        )
        .unwrap();
    }

    #[test]
    fn hessian_vector_product_matches_the_composed_twin() {
        // H v = d/dz (grad(loss) . v), both through backward_with_graph.
        let z = Tensor::<f64>::randn(&[5, 4], &mut seeded_rng(6));
        let dir = Tensor::<f64>::randn(&[5, 4], &mut seeded_rng(7));
        let t = [3usize, 0, 1, 1, 2];
        let hvp = |fused: bool| {
            let tape = Tape::new();
            let v = tape.var(z.clone());
            let loss = if fused {
                v.cross_entropy_with_logits(&t)
            } else {
                -(v.log_softmax(1).gather(1, &t).mean())
            };
            let g = loss.backward_with_graph().wrt(v).unwrap();
            let gv = (g * tape.constant(dir.clone())).sum();
            gv.backward().wrt(v).unwrap().clone()
        };
        let (fused, composed) = (hvp(true), hvp(false));
        assert_close(&fused, &composed, 1e-15, 1e-12);
        // Not trivially zero: softmax's Hessian is not.
        assert!(fused.to_vec().iter().any(|h| h.abs() > 1e-3));
    }

    #[test]
    fn cross_entropy_value_by_hand_and_gradient_in_f32() {
        // z = [[0, ln 3]], t = [1]: p = [1/4, 3/4], loss = -ln(3/4);
        // dz = p - onehot = [1/4, -1/4]
        let tape = Tape::<f64>::new();
        let v = tape.var(Tensor::from_vec(vec![0.0, 3f64.ln()], &[1, 2]));
        let loss = v.cross_entropy_with_logits(&[1]);
        assert!((loss.item() + 0.75f64.ln()).abs() < 1e-15);
        let g = loss.backward();
        assert_close(
            g.wrt(v).unwrap(),
            &Tensor::from_vec(vec![0.25, -0.25], &[1, 2]),
            1e-15,
            0.0,
        );
        let z = || Tensor::<f64>::from_f64(&[0.3, -1.2, 2.0, 0.7, -0.4, 1.5], &[2, 3]);
        check_grads!(twice[z()], |tape, v| v[0]
            .cross_entropy_with_logits(&[2, 0]));
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
