//! Property tests: for every differentiable op, the tape's gradient agrees
//! with central finite differences (f64) over random shapes and values,
//! broadcasting cases included; for the smooth ops, so do second
//! derivatives. Values keep away from kinks (relu at 0, clamp bounds, ties of
//! max) and domain edges (ln and sqrt near 0, division near 0), where finite
//! differences are meaningless.

// `&[x.clone()]` reads the same for one input as for two; keep it uniform.
#![allow(clippy::cloned_ref_to_slice_refs)]

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use wengert_tensor::testing::{
    broadcast_pair, shape, shape_of_rank, tensor_away_from, tensor_with_shape,
};
use wengert_tensor::{gradcheck, gradgradcheck, Tape, Tensor, Tolerance, Var};

/// Runs gradcheck and turns a failure into a proptest failure naming the op.
fn grad_ok<F>(op: &str, f: F, inputs: &[Tensor<f64>]) -> Result<(), TestCaseError>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    gradcheck(f, inputs, Tolerance::default())
        .map_err(|e| TestCaseError::fail(format!("{op}: {e}; inputs {inputs:?}")))
}

/// Runs gradgradcheck, naming the op on failure.
fn gradgrad_ok<F>(op: &str, f: F, inputs: &[Tensor<f64>]) -> Result<(), TestCaseError>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tol = Tolerance {
        atol: 1e-5,
        rtol: 1e-4,
        ..Tolerance::default()
    };
    gradgradcheck(f, inputs, tol)
        .map_err(|e| TestCaseError::fail(format!("{op}: {e}; inputs {inputs:?}")))
}

/// Values made distinct (gaps of at least 0.05) so max/min have no ties.
fn distinct(t: Tensor<f64>) -> Tensor<f64> {
    let v = t.to_vec();
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[i].total_cmp(&v[j]).then(i.cmp(&j)));
    let mut out = vec![0.0; v.len()];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = rank as f64 * 0.1 + v[i] * 0.01 - 1.0;
    }
    Tensor::from_vec(out, t.shape())
}

fn any_tensor() -> impl Strategy<Value = Tensor<f64>> {
    shape(3, 4).prop_flat_map(|s| tensor_with_shape(s, -2.0..2.0))
}

fn positive_tensor() -> impl Strategy<Value = Tensor<f64>> {
    shape(3, 4).prop_flat_map(|s| tensor_with_shape(s, 0.5..3.0))
}

fn tensor_away(kinks: Vec<f64>) -> impl Strategy<Value = Tensor<f64>> {
    shape(3, 4).prop_flat_map(move |s| tensor_away_from(s, -2.0..2.0, kinks.clone(), 0.05))
}

/// Two tensors of broadcast-compatible shapes.
fn broadcast_tensors() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>)> {
    broadcast_pair(3, 4).prop_flat_map(|(a, b)| {
        (
            tensor_with_shape(a, -2.0..2.0),
            tensor_with_shape(b, -2.0..2.0),
        )
    })
}

/// A tensor and a set of its axes (sorted, distinct, possibly all).
fn tensor_and_axes() -> impl Strategy<Value = (Tensor<f64>, Vec<usize>, bool)> {
    any_tensor().prop_flat_map(|t| {
        let nd = t.ndim();
        (
            Just(t),
            prop::sample::subsequence((0..nd).collect::<Vec<_>>(), 1..=nd),
            any::<bool>(),
        )
    })
}

/// A tensor and one of its axes.
fn tensor_and_axis() -> impl Strategy<Value = (Tensor<f64>, usize)> {
    any_tensor().prop_flat_map(|t| {
        let nd = t.ndim();
        (Just(t), 0..nd)
    })
}

/// A tensor and one of its axes, both as counted from the front and from
/// the back (`axis - ndim`, PyTorch's negative form).
fn tensor_and_signed_axis() -> impl Strategy<Value = (Tensor<f64>, usize, i64)> {
    tensor_and_axis().prop_map(|(t, axis)| {
        let back = axis as i64 - t.ndim() as i64;
        (t, axis, back)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // ---- binary, with broadcasting ----

    #[test]
    fn add_grad((a, b) in broadcast_tensors()) {
        grad_ok("add", |_t, v| v[0] + v[1], &[a.clone(), b.clone()])?;
        gradgrad_ok("add", |_t, v| (v[0] + v[1]).square(), &[a, b])?;
    }

    #[test]
    fn sub_grad((a, b) in broadcast_tensors()) {
        grad_ok("sub", |_t, v| v[0] - v[1], &[a.clone(), b.clone()])?;
        gradgrad_ok("sub", |_t, v| (v[0] - v[1]).square(), &[a, b])?;
    }

    #[test]
    fn mul_grad((a, b) in broadcast_tensors()) {
        grad_ok("mul", |_t, v| v[0] * v[1], &[a.clone(), b.clone()])?;
        gradgrad_ok("mul", |_t, v| v[0] * v[1], &[a, b])?;
    }

    #[test]
    fn div_grad((a, b) in broadcast_pair(3, 4).prop_flat_map(|(a, b)| (
        tensor_with_shape(a, -2.0..2.0),
        tensor_away_from(b, -2.0..2.0, vec![0.0], 0.5),
    ))) {
        grad_ok("div", |_t, v| v[0] / v[1], &[a.clone(), b.clone()])?;
        gradgrad_ok("div", |_t, v| v[0] / v[1], &[a, b])?;
    }

    #[test]
    fn maximum_minimum_grad((a, off) in broadcast_pair(3, 4).prop_flat_map(|(a, b)| (
        tensor_with_shape(a, -2.0..2.0),
        tensor_away_from(b, -1.0..1.0, vec![0.0], 0.1),
    ))) {
        // b = a + offset (broadcast), |offset| >= 0.1, so no ties
        let b = a.add(&off);
        let shape = b.shape().to_vec();
        let a = a.broadcast_to(&shape);
        grad_ok("maximum", |_t, v| v[0].maximum(v[1]), &[a.clone(), b.clone()])?;
        grad_ok("minimum", |_t, v| v[0].minimum(v[1]), &[a, b])?;
    }

    #[test]
    fn scalar_ops_grad(x in any_tensor(), c in -3.0f64..3.0) {
        grad_ok("add_scalar", move |_t, v| v[0].add_scalar(c), &[x.clone()])?;
        grad_ok("mul_scalar", move |_t, v| v[0].mul_scalar(c), &[x.clone()])?;
        grad_ok("rsub_scalar", move |_t, v| v[0].rsub_scalar(c), &[x.clone()])?;
        grad_ok("neg", |_t, v| -v[0], &[x.clone()])?;
        gradgrad_ok("mul_scalar", move |_t, v| v[0].mul_scalar(c).square(), &[x])?;
    }

    // ---- unary ----

    #[test]
    fn smooth_unary_grad(x in any_tensor()) {
        grad_ok("exp", |_t, v| v[0].exp(), &[x.clone()])?;
        grad_ok("sigmoid", |_t, v| v[0].sigmoid(), &[x.clone()])?;
        grad_ok("tanh", |_t, v| v[0].tanh(), &[x.clone()])?;
        grad_ok("erf", |_t, v| v[0].erf(), &[x.clone()])?;
        grad_ok("softplus", |_t, v| v[0].softplus(), &[x.clone()])?;
        grad_ok("gelu", |_t, v| v[0].gelu(), &[x.clone()])?;
        grad_ok("gelu_tanh", |_t, v| v[0].gelu_tanh(), &[x.clone()])?;
        grad_ok("square", |_t, v| v[0].square(), &[x.clone()])?;
        gradgrad_ok("exp", |_t, v| v[0].exp(), &[x.clone()])?;
        gradgrad_ok("sigmoid", |_t, v| v[0].sigmoid(), &[x.clone()])?;
        gradgrad_ok("tanh", |_t, v| v[0].tanh(), &[x.clone()])?;
        gradgrad_ok("erf", |_t, v| v[0].erf(), &[x.clone()])?;
        gradgrad_ok("softplus", |_t, v| v[0].softplus(), &[x.clone()])?;
        gradgrad_ok("gelu", |_t, v| v[0].gelu(), &[x.clone()])?;
        gradgrad_ok("gelu_tanh", |_t, v| v[0].gelu_tanh(), &[x])?;
    }

    #[test]
    fn softplus_beta_threshold_grad(
        (beta, threshold) in (0.5f64..3.0, 0.5f64..4.0),
        x in any_tensor(),
    ) {
        // Keep away from the switch at x = threshold / beta.
        let kink = threshold / beta;
        let x = x.map(|v| if (v - kink).abs() < 0.05 { kink + 0.05 } else { v });
        grad_ok("softplus_with", move |_t, v| v[0].softplus_with(beta, threshold), &[x.clone()])?;
        gradgrad_ok("softplus_with", move |_t, v| v[0].softplus_with(beta, threshold), &[x])?;
    }

    #[test]
    fn domain_limited_unary_grad(x in positive_tensor(), p in -2.0f64..3.0) {
        grad_ok("ln", |_t, v| v[0].ln(), &[x.clone()])?;
        grad_ok("sqrt", |_t, v| v[0].sqrt(), &[x.clone()])?;
        grad_ok("powf", move |_t, v| v[0].powf(p), &[x.clone()])?;
        gradgrad_ok("ln", |_t, v| v[0].ln(), &[x.clone()])?;
        gradgrad_ok("sqrt", |_t, v| v[0].sqrt(), &[x.clone()])?;
        gradgrad_ok("powf", move |_t, v| v[0].powf(p), &[x])?;
    }

    #[test]
    fn kinked_unary_grad(x in tensor_away(vec![0.0, -0.5, 1.0])) {
        grad_ok("relu", |_t, v| v[0].relu(), &[x.clone()])?;
        grad_ok("leaky_relu", |_t, v| v[0].leaky_relu(0.1), &[x.clone()])?;
        grad_ok("abs", |_t, v| v[0].abs(), &[x.clone()])?;
        grad_ok("clamp", |_t, v| v[0].clamp(-0.5, 1.0), &[x.clone()])?;
        grad_ok("elu", |_t, v| v[0].elu(1.3), &[x.clone()])?;
        grad_ok("sign", |_t, v| v[0].sign() * v[0], &[x.clone()])?;
        gradgrad_ok("relu", |_t, v| v[0].relu() * v[0], &[x.clone()])?;
        gradgrad_ok("elu", |_t, v| v[0].elu(1.3), &[x])?;
    }

    // ---- broadcasting and reductions ----

    #[test]
    fn broadcast_to_and_sum_to_grad((small, full) in broadcast_pair(3, 4).prop_map(|(a, b): (Vec<usize>, Vec<usize>)| {
        let target = wengert_tensor::shape::broadcast_shapes("t", &a, &b).unwrap();
        (a, target)
    }).prop_flat_map(|(a, t)| (tensor_with_shape(a, -2.0..2.0), Just(t)))) {
        let s = small.shape().to_vec();
        let f2 = full.clone();
        grad_ok("broadcast_to", move |_t, v| v[0].broadcast_to(&f2), &[small.clone()])?;
        let big = small.broadcast_to(&full).map(|x| x * 0.7 + 0.1);
        grad_ok("sum_to", move |_t, v| v[0].sum_to(&s), &[big])?;
    }

    #[test]
    fn sum_mean_grad((x, axes, keep) in tensor_and_axes()) {
        let a2 = axes.clone();
        grad_ok("sum_axes", move |_t, v| v[0].sum_axes(&a2, keep), &[x.clone()])?;
        let a3 = axes.clone();
        grad_ok("mean_axes", move |_t, v| v[0].mean_axes(&a3, keep), &[x.clone()])?;
        grad_ok("sum", |_t, v| v[0].sum(), &[x.clone()])?;
        grad_ok("mean", |_t, v| v[0].mean(), &[x.clone()])?;
        let a4 = axes.clone();
        gradgrad_ok("sum_axes", move |_t, v| v[0].sum_axes(&a4, keep).square(), &[x.clone()])?;
        gradgrad_ok("mean_axes", move |_t, v| v[0].mean_axes(&axes, keep).square(), &[x])?;
    }

    #[test]
    fn max_min_grad((x, axes, keep) in tensor_and_axes()) {
        let x = distinct(x);
        let a2 = axes.clone();
        grad_ok("max_axes", move |_t, v| v[0].max_axes(&a2, keep), &[x.clone()])?;
        grad_ok("min_axes", move |_t, v| v[0].min_axes(&axes, keep), &[x])?;
    }

    #[test]
    fn variance_and_logsumexp_grad((x, axes, keep) in tensor_and_axes()) {
        let a2 = axes.clone();
        grad_ok("var_axes", move |_t, v| v[0].var_axes(&a2, keep, 0), &[x.clone()])?;
        let a3 = axes.clone();
        grad_ok("logsumexp", move |_t, v| v[0].logsumexp_axes(&a3, keep), &[x.clone()])?;
        gradgrad_ok("logsumexp", move |_t, v| v[0].logsumexp_axes(&axes, keep), &[x])?;
    }

    #[test]
    fn softmax_grad((x, axis) in tensor_and_axis()) {
        grad_ok("softmax", move |_t, v| v[0].softmax(axis), &[x.clone()])?;
        grad_ok("log_softmax", move |_t, v| v[0].log_softmax(axis), &[x.clone()])?;
        gradgrad_ok("softmax", move |_t, v| v[0].softmax(axis), &[x.clone()])?;
        gradgrad_ok("log_softmax", move |_t, v| v[0].log_softmax(axis), &[x])?;
    }

    #[test]
    fn negative_axes_give_the_same_values_and_gradients((x, axis, back) in tensor_and_signed_axis()) {
        let tape = Tape::new();
        let v = tape.var(x.clone());
        let pairs = [
            (v.sum_axes(&[axis], true), v.sum_axes(&[back], true)),
            (v.mean_axes(&[axis], false), v.mean_axes(&[back], false)),
            (v.logsumexp_axes(&[axis], false), v.logsumexp_axes(&[back], false)),
            (v.var_axes(&[axis], true, 0), v.var_axes(&[back], true, 0)),
            (v.softmax(axis), v.softmax(back)),
            (v.log_softmax(axis), v.log_softmax(back)),
            (v.unsqueeze(axis).squeeze(axis), v.unsqueeze(back - 1).squeeze(back - 1)),
            (v.transpose(axis, 0), v.transpose(back, 0)),
            (v.narrow(axis, 0, 1), v.narrow(back, 0, 1)),
            (v.index_select(axis, &[0, 0]), v.index_select(back, &[0, 0])),
            (Var::concat(&[v, v], axis), Var::concat(&[v, v], back)),
            (Var::stack(&[v, v], axis), Var::stack(&[v, v], back - 1)),
        ];
        for (i, (front, from_back)) in pairs.into_iter().enumerate() {
            prop_assert_eq!(front.value(), from_back.value(), "pair {}", i);
            let (g1, g2) = (front.sum().backward(), from_back.sum().backward());
            prop_assert_eq!(g1.wrt(v), g2.wrt(v), "pair {}", i);
        }
        grad_ok("softmax(-k)", move |_t, v| v[0].softmax(back), &[x.clone()])?;
        grad_ok("max_axes(-k)", move |_t, v| v[0].max_axes(&[back], false), &[distinct(x)])?;
    }

    // ---- movement ----

    #[test]
    fn reshape_permute_grad(x in any_tensor(), seed in any::<u64>()) {
        let n = x.numel();
        grad_ok("reshape", move |_t, v| v[0].reshape(&[n]), &[x.clone()])?;
        // a permutation derived from the seed
        let nd = x.ndim();
        let mut perm: Vec<usize> = (0..nd).collect();
        let mut s = seed;
        for i in (1..nd).rev() {
            perm.swap(i, (s % (i as u64 + 1)) as usize);
            s /= 7;
        }
        let p2 = perm.clone();
        grad_ok("permute", move |_t, v| v[0].permute(&p2), &[x.clone()])?;
        grad_ok("transpose", move |_t, v| v[0].transpose(0, nd - 1), &[x.clone()])?;
        grad_ok("unsqueeze/squeeze", |_t, v| v[0].unsqueeze(0).exp().squeeze(0), &[x])?;
    }

    #[test]
    fn narrow_pad_grad((x, axis) in tensor_and_axis(), start_frac in 0.0f64..1.0, len_frac in 0.0f64..1.0) {
        let size = x.shape()[axis];
        let start = ((size as f64 * start_frac) as usize).min(size - 1);
        let len = 1 + ((size - start - 1) as f64 * len_frac) as usize;
        grad_ok("narrow", move |_t, v| v[0].narrow(axis, start, len), &[x.clone()])?;
        grad_ok("pad_axis", move |_t, v| v[0].pad_axis(axis, 2, size + 3), &[x])?;
    }

    #[test]
    fn concat_stack_grad((x, axis) in tensor_and_axis(), extra in 1usize..3) {
        let mut other_shape = x.shape().to_vec();
        other_shape[axis] = extra;
        let y = Tensor::from_vec((0..other_shape.iter().product::<usize>()).map(|i| (i as f64 * 0.37).sin()).collect(), &other_shape);
        grad_ok("concat", move |_t, v| Var::concat(&[v[0], v[1]], axis), &[x.clone(), y])?;
        let x2 = x.map(|v| v * 0.5 - 0.2);
        grad_ok("stack", move |_t, v| Var::stack(&[v[0], v[1]], axis), &[x, x2])?;
    }

    // ---- indexing and select ----

    #[test]
    fn index_select_and_add_grad((x, axis) in tensor_and_axis(), picks in prop::collection::vec(0usize..100, 1..6)) {
        let size = x.shape()[axis];
        let index: Vec<usize> = picks.iter().map(|p| p % size).collect();
        let i2 = index.clone();
        grad_ok("index_select", move |_t, v| v[0].index_select(axis, &i2), &[x.clone()])?;
        // index_add of a tensor with index.len() slices along axis
        let mut s = x.shape().to_vec();
        s[axis] = index.len();
        let src = Tensor::from_vec((0..s.iter().product::<usize>()).map(|i| (i as f64).cos()).collect(), &s);
        grad_ok("index_add", move |_t, v| v[0].index_add(axis, &index, size + 1), &[src])?;
    }

    #[test]
    fn gather_scatter_grad((x, axis) in tensor_and_axis(), k in 1usize..4, seed in any::<u64>()) {
        let size = x.shape()[axis];
        let others = x.numel() / size;
        let index: Vec<usize> = (0..others * k).map(|i| ((seed >> (i % 32)) as usize + i * 7) % size).collect();
        let i2 = index.clone();
        grad_ok("gather", move |_t, v| v[0].gather(axis, &i2), &[x.clone()])?;
        let mut s = x.shape().to_vec();
        s[axis] = k;
        let src = Tensor::from_vec((0..others * k).map(|i| (i as f64 * 0.3).sin()).collect(), &s);
        grad_ok("scatter_add", move |_t, v| v[0].scatter_add(axis, &index, size), &[src])?;
    }

    #[test]
    fn select_grad((a, b) in broadcast_tensors(), seed in any::<u64>()) {
        let shape = wengert_tensor::shape::broadcast_shapes("t", a.shape(), b.shape()).unwrap();
        let n: usize = shape.iter().product();
        let mask = Tensor::from_vec((0..n).map(|i| ((seed >> (i % 64)) & 1) as f64).collect(), &shape);
        grad_ok("select", move |_t, v| Var::select(&mask, v[0], v[1]), &[a, b])?;
    }

    #[test]
    fn cross_entropy_grad(n in 1usize..5, c in 2usize..6, seed in any::<u64>()) {
        let z = Tensor::<f64>::randn(&[n, c], &mut wengert_tensor::seeded_rng(seed)).mul_scalar(2.0);
        let targets: Vec<usize> = (0..n).map(|i| ((seed >> (i * 3)) as usize) % c).collect();
        let t2 = targets.clone();
        grad_ok("cross_entropy_with_logits", move |_t, v| v[0].cross_entropy_with_logits(&t2), &[z.clone()])?;
        // the composed twin, twice differentiable
        gradgrad_ok("log_softmax+gather", move |_t, v| -(v[0].log_softmax(1).gather(1, &targets).mean()), &[z])?;
    }

    // ---- matmul ----

    #[test]
    fn matmul_with_1d_operands_grad(m in 1usize..5, k in 1usize..5, n in 1usize..5, batch in 1usize..4, case in 0u8..5) {
        // torch.matmul's 1-D cases: [k]@[k], [k]@[k,n], [m,k]@[k], [k]@[B,k,n], [B,m,k]@[k]
        let (sa, sb): (Vec<usize>, Vec<usize>) = match case {
            0 => (vec![k], vec![k]),
            1 => (vec![k], vec![k, n]),
            2 => (vec![m, k], vec![k]),
            3 => (vec![k], vec![batch, k, n]),
            _ => (vec![batch, m, k], vec![k]),
        };
        let a = Tensor::from_vec((0..sa.iter().product::<usize>()).map(|i| (i as f64 * 0.61).sin()).collect(), &sa);
        let b = Tensor::from_vec((0..sb.iter().product::<usize>()).map(|i| (i as f64 * 0.37).cos()).collect(), &sb);
        // The result agrees with the matrix form, the size-1 axis removed.
        let a2 = if sa.len() == 1 { a.reshape(&[1, k]) } else { a.clone() };
        let b2 = if sb.len() == 1 { b.reshape(&[k, 1]) } else { b.clone() };
        let full = a2.matmul(&b2);
        prop_assert_eq!(a.matmul(&b).to_vec(), full.to_vec());
        grad_ok("matmul 1-D", |_t, v| v[0].matmul(v[1]), &[a.clone(), b.clone()])?;
        gradgrad_ok("matmul 1-D", |_t, v| v[0].matmul(v[1]), &[a, b])?;
    }

    #[test]
    fn matmul_grad(m in 1usize..5, k in 1usize..5, n in 1usize..5, batch in shape_of_rank(1, 3), bcast in 0u8..3) {
        let mut sa = batch.clone();
        sa.extend([m, k]);
        let mut sb = if bcast == 1 { vec![] } else { batch.clone() };
        sb.extend([k, n]);
        if bcast == 2 { sa = vec![m, k]; }
        let a = Tensor::from_vec((0..sa.iter().product::<usize>()).map(|i| (i as f64 * 0.71).sin()).collect(), &sa);
        let b = Tensor::from_vec((0..sb.iter().product::<usize>()).map(|i| (i as f64 * 0.43).cos()).collect(), &sb);
        grad_ok("matmul", |_t, v| v[0].matmul(v[1]), &[a.clone(), b.clone()])?;
        grad_ok("matmul (transposed view)", |_t, v| v[0].matmul(v[1].matrix_transpose().matrix_transpose()), &[a.clone(), b.clone()])?;
        gradgrad_ok("matmul", |_t, v| v[0].matmul(v[1]), &[a, b])?;
    }
}
