//! The engine's contract: one reverse sweep, accumulation, leaves, second
//! derivatives, no recursion, reusable tapes.

use wengert_tensor::{Param, Tape, Tensor, Var};

#[test]
fn hessian_vector_product_of_quadratic_equals_a_times_v() {
    // f(x) = 1/2 x^T A x with A symmetric: grad = A x, Hessian = A, so the
    // Hessian-vector product is A v whatever x is.
    let a = Tensor::<f64>::from_vec(vec![2.0, 1.0, 0.0, 1.0, 3.0, -1.0, 0.0, -1.0, 4.0], &[3, 3]);
    let v = Tensor::<f64>::from_vec(vec![1.0, -2.0, 0.5], &[3, 1]);
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![0.3, -0.7, 1.1], &[3, 1]));
    let am = tape.constant(a.clone());
    let f = (x.matrix_transpose().matmul(am.matmul(x)))
        .sum()
        .mul_scalar(0.5);
    let grad = f.backward_with_graph().wrt(x).unwrap();
    // grad = A x
    let ax = a.matmul(&x.value());
    wengert_tensor::gradcheck::assert_close(&grad.value(), &ax, 1e-14, 0.0);
    let hvp = (grad * tape.constant(v.clone())).sum().backward();
    let expected = a.matmul(&v); // [0, -5.5, 4]
    assert_eq!(expected.to_vec(), vec![0.0, -5.5, 4.0]);
    wengert_tensor::gradcheck::assert_close(hvp.wrt(x).unwrap(), &expected, 1e-14, 0.0);
}

#[test]
fn gradient_penalty_differentiates_through_the_gradient() {
    // y = sum(w * x^2); dy/dx = 2 w x; penalty P = sum((dy/dx)^2) = 4 sum(w^2 x^2);
    // dP/dw = 8 w x^2.
    let w = Param::new("w", Tensor::<f64>::from_vec(vec![0.5, -1.5], &[2]));
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![2.0, 3.0], &[2]));
    let wv = tape.param(&w);
    let y = (wv * x * x).sum();
    let dx = y.backward_with_graph().wrt(x).unwrap();
    let penalty = dx.square().sum();
    let g = penalty.backward();
    assert_eq!(
        g.get(&w).unwrap().to_vec(),
        vec![8.0 * 0.5 * 4.0, 8.0 * -1.5 * 9.0]
    );
}

#[test]
fn backward_of_a_100000_node_chain_needs_no_recursion_and_is_repeatable() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0], &[1]));
    let mut y = x;
    for i in 0..50_000 {
        y = if i % 2 == 0 { y * 1.00001 } else { y + 0.0001 };
    }
    assert!(tape.len() > 50_000);
    let mut z = y;
    for _ in 0..50_000 {
        z = z.add_scalar(0.0);
    }
    assert!(tape.len() >= 100_000);
    let g1 = z.sum().backward().wrt(x).unwrap().to_vec()[0];
    let g2 = z.sum().backward().wrt(x).unwrap().to_vec()[0];
    assert_eq!(g1, g2, "a second backward must give the same answer");
    let expected = 1.00001f64.powi(25_000);
    assert!((g1 - expected).abs() < 1e-9, "{g1} vs {expected}");
}

#[test]
fn a_var_used_twice_accumulates_and_a_param_bound_twice_sums() {
    let p = Param::new("p", Tensor::<f64>::from_vec(vec![3.0], &[1]));
    let tape = Tape::new();
    let a = tape.param(&p);
    let b = tape.param(&p);
    // y = a*a + b : dy/dp = 2p + 1 = 7
    let g = (a * a + b).sum().backward();
    assert_eq!(g.get(&p).unwrap().to_vec(), vec![7.0]);
}

#[test]
fn frozen_params_constants_and_detached_values_get_no_gradient() {
    let mut frozen = Param::new("frozen", Tensor::<f64>::ones(&[2]));
    frozen.set_frozen(true);
    let live = Param::new("live", Tensor::<f64>::ones(&[2]));
    let tape = Tape::new();
    let f = tape.param(&frozen);
    let l = tape.param(&live);
    let c = tape.constant(Tensor::ones(&[2]));
    let d = l.detach();
    let g = (f * l + c * l + d * d).sum().backward();
    assert!(g.get(&frozen).is_none());
    assert_eq!(g.get(&live).unwrap().to_vec(), vec![2.0, 2.0]); // f + c, not through d
    assert_eq!(g.len(), 1);
}

#[test]
fn no_grad_records_no_rules() {
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::ones(&[2]));
    let y = tape.no_grad(|| x.exp() * x);
    assert!(!y.requires_grad());
    assert!(x.exp().requires_grad());
}

#[test]
fn plain_backward_adds_only_values_to_the_tape() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![0.5, 1.5], &[2]));
    let loss = (x.tanh() * x).sum();
    let forward_len = tape.len();
    let _ = loss.backward();
    let listing = tape.to_string();
    let after: Vec<&str> = listing.lines().skip(forward_len).collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|line| !line.ends_with("(grad)")),
        "{listing}"
    );
    // whereas a recorded backward adds differentiable nodes
    let _ = loss.backward_with_graph();
    assert!(tape
        .to_string()
        .lines()
        .skip(forward_len + after.len())
        .any(|l| l.ends_with("(grad)")));
}

#[test]
fn reset_keeps_capacity_and_continues_the_random_stream() {
    use rand::Rng;
    let mut tape = Tape::<f32>::training(5);
    let first: u64 = tape.rng().random();
    {
        let x = tape.var(Tensor::ones(&[4]));
        let _ = (x * x).sum().backward();
    }
    let cap = tape.capacity();
    assert!(cap > 0);
    tape.reset();
    assert!(tape.is_empty());
    assert_eq!(tape.capacity(), cap);
    let second: u64 = tape.rng().random();
    assert_ne!(first, second, "reset must not replay the random stream");
    let replay: u64 = Tape::<f32>::training(5).rng().random();
    assert_eq!(first, replay, "same seed, same draws");
}

#[test]
fn tape_prints_one_line_per_node_and_exports_dot() {
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::ones(&[2, 3]));
    let b = tape.constant(Tensor::ones(&[3]));
    let _y = (x + b).relu().sum();
    let text = tape.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), tape.len());
    assert_eq!(lines[0], "#0 var() -> [2, 3] (grad)");
    assert_eq!(lines[1], "#1 constant() -> [3]");
    assert_eq!(lines[2], "#2 broadcast_to(#1) -> [2, 3]");
    assert_eq!(lines[3], "#3 add(#0, #2) -> [2, 3] (grad)");
    let dot = tape.to_dot();
    assert!(
        dot.contains("n0 -> n3;") && dot.contains("n2 -> n3;") && dot.trim_end().ends_with('}')
    );
}

#[test]
fn training_and_inference_tapes_report_their_mode() {
    assert!(Tape::<f32>::training(1).is_training());
    let t = Tape::<f32>::inference();
    assert!(!t.is_training());
    t.set_training(true);
    assert!(t.is_training());
}

#[test]
fn non_scalar_backward_seeds_ones() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
    let g = (x * x).backward();
    assert_eq!(g.wrt(x).unwrap().to_vec(), vec![2.0, 4.0]);
    let _unused: Option<Var<'_, f64>> = None;
}

#[test]
fn an_op_with_more_inputs_than_fit_inline_gets_every_gradient() {
    // Six inputs: the node's input list and the rule's gradient slots both
    // leave their inline forms.
    let tape = Tape::<f64>::new();
    let parts: Vec<_> = (0..6)
        .map(|k| tape.var(Tensor::from_vec(vec![k as f64, 1.0], &[2])))
        .collect();
    let joined = Var::concat(&parts, 0);
    let weights = tape.constant(Tensor::from_vec((0..12).map(f64::from).collect(), &[12]));
    let grads = (joined * weights).sum().backward();
    for (k, part) in parts.iter().enumerate() {
        let w = (2 * k) as f64;
        assert_eq!(grads.wrt(*part).unwrap().to_vec(), vec![w, w + 1.0]);
    }
}

#[test]
#[should_panic(expected = "backward of three_in returned 2 gradients for 3 inputs")]
fn a_rule_that_returns_the_wrong_number_of_gradients_is_named() {
    let tape = Tape::<f64>::new();
    let xs: Vec<_> = (0..3)
        .map(|_| tape.var(Tensor::from_vec(vec![1.0], &[1])))
        .collect();
    let y = xs[0].value();
    let out = tape.record_many("three_in", &xs, y, |_ctx, dy| vec![Some(dy), Some(dy)]);
    out.sum().backward();
}
