//! The whole-sequence fused GRU node (`gru_sequence_fused`): equal to the
//! composed cell stepped over the sequence in value and in every gradient
//! (f64, both directions, random sizes), finite differences for all six
//! inputs, clear errors, the refusal of a second derivative, the f32 fast
//! path within f32 precision of f64, fused and composed layers equal, and
//! bitwise-identical layer runs on one and two threads.

use proptest::prelude::*;
use rayon::ThreadPoolBuilder;
use wengert_nn::recurrent::{gru_sequence_fused, Gru, GruCell, RnnConfig};
use wengert_nn::Module;
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{
    gradcheck, seeded_rng, Float, Param, Parameters, Tape, Tensor, Tolerance, Var,
};

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// The six inputs `x [T, B, I]`, `h0 [B, H]`, `w_ih [3H, I]`,
/// `w_hh [3H, H]`, `b_ih`, `b_hh [3H]` of a random problem.
fn problem((t, b, i, h): (usize, usize, usize, usize), seed: u64) -> Vec<Tensor<f64>> {
    vec![
        rand(&[t, b, i], seed),
        rand(&[b, h], seed ^ 1),
        rand(&[3 * h, i], seed ^ 2),
        rand(&[3 * h, h], seed ^ 3),
        rand(&[3 * h], seed ^ 4),
        rand(&[3 * h], seed ^ 5),
    ]
}

/// A composed cell holding the problem's weights, so the stepped reference
/// runs the library's own composed GRU step.
fn cell_with(values: &[Tensor<f64>]) -> GruCell<f64> {
    let (i, h) = (values[2].shape()[1], values[3].shape()[1]);
    let mut cell = GruCell::<f64>::new(i, h, &mut seeded_rng(0));
    let mut params: Vec<&mut Param<f64>> = Vec::new();
    cell.visit_params_mut(&mut |_, p| params.push(p));
    for (p, v) in params.into_iter().zip(&values[2..]) {
        *p.value_mut() = v.clone();
    }
    cell
}

/// The composed cell stepped over the sequence (last to first when
/// `reverse`), laid out as the node's output `[T, B, H]`.
fn stepped<'t>(
    cell: &GruCell<f64>,
    tape: &'t Tape<f64>,
    x: Var<'t, f64>,
    h0: Var<'t, f64>,
    reverse: bool,
) -> Var<'t, f64> {
    let (steps, batch, input) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let mut h = h0;
    let mut hidden = vec![None; steps];
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    for t in order {
        let x_t = x.narrow(0, t, 1).reshape(&[batch, input]);
        h = cell.forward_step(tape, x_t, h).unwrap();
        hidden[t] = Some(h);
    }
    let rows: Vec<Var<'t, f64>> = hidden.into_iter().map(|h| h.unwrap()).collect();
    Var::stack(&rows, 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sequence_node_equals_composed_steps_in_value_and_all_six_gradients(
        t in 1usize..6, b in 0usize..4, i in 1usize..4, h in 1usize..4,
        reverse in any::<bool>(), seed in any::<u64>(),
    ) {
        let values = problem((t, b, i, h), seed);
        let cell = cell_with(&values);
        let upstream = rand(&[t, b, h], seed ^ 6);
        let run = |fused: bool| {
            let tape = Tape::<f64>::new();
            let x = tape.var(values[0].clone());
            let h0 = tape.var(values[1].clone());
            let w: Vec<Var<'_, f64>> = cell.params().iter().map(|(_, p)| tape.param(p)).collect();
            let y = if fused {
                gru_sequence_fused(x, h0, w[0], w[1], w[2], w[3], reverse).unwrap()
            } else {
                stepped(&cell, &tape, x, h0, reverse)
            };
            let grads = (y * tape.constant(upstream.clone())).sum().backward();
            let mut g = vec![grads.wrt(x).unwrap().clone(), grads.wrt(h0).unwrap().clone()];
            g.extend(cell.params().iter().map(|(_, p)| grads.get(p).unwrap().clone()));
            (y.value(), g)
        };
        let (y_fused, g_fused) = run(true);
        let (y_stepped, g_stepped) = run(false);
        assert_close(&y_fused, &y_stepped, 1e-14, 1e-12);
        for (a, c) in g_fused.iter().zip(&g_stepped) {
            assert_close(a, c, 1e-13, 1e-12);
        }
    }

    #[test]
    fn sequence_node_gradients_match_finite_differences_for_all_six_inputs(
        t in 1usize..4, b in 1usize..3, i in 1usize..3, h in 1usize..3,
        reverse in any::<bool>(), seed in any::<u64>(),
    ) {
        gradcheck(
            |_, v| gru_sequence_fused(v[0], v[1], v[2], v[3], v[4], v[5], reverse).unwrap(),
            &problem((t, b, i, h), seed),
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn fused_and_composed_gru_layers_agree(
        t in 1usize..5, b in 0usize..3, i in 1usize..4, h in 1usize..4,
        layers in 1usize..3, bidirectional in any::<bool>(), batch_first in any::<bool>(),
        bias in any::<bool>(), seed in any::<u64>(),
    ) {
        let config = RnnConfig::new(i, h)
            .with_num_layers(layers)
            .with_bidirectional(bidirectional)
            .with_batch_first(batch_first)
            .with_bias(bias);
        let fused = Gru::<f64>::new(config, &mut seeded_rng(seed));
        let mut composed = fused.clone();
        composed.set_fused(false);
        let shape = if batch_first { [b, t, i] } else { [t, b, i] };
        let x = rand(&shape, seed ^ 1);
        let h0 = rand(&[layers * if bidirectional { 2 } else { 1 }, b, h], seed ^ 2);
        let run = |m: &Gru<f64>| {
            let tape = Tape::new();
            let (xv, hv) = (tape.var(x.clone()), tape.var(h0.clone()));
            let (out, h_n) = m.forward_with_state(&tape, xv, Some(hv)).unwrap();
            let loss = out.square().sum() + h_n.sum();
            let g = loss.backward();
            let mut all = vec![out.value(), h_n.value(), g.wrt(xv).unwrap().clone(), g.wrt(hv).unwrap().clone()];
            all.extend(m.params().iter().map(|(_, p)| g.get(p).unwrap().clone()));
            all
        };
        for (a, c) in run(&fused).iter().zip(run(&composed)) {
            assert_close(a, &c, 1e-13, 1e-12);
        }
    }
}

#[test]
fn sequence_node_shape_error_names_the_op_and_every_shape() {
    let tape = Tape::<f64>::new();
    let v: Vec<Var<'_, f64>> = problem((3, 2, 4, 5), 0)
        .into_iter()
        .map(|x| tape.var(x))
        .collect();
    // A state one column short of [B, H].
    let bad_state = tape.var(Tensor::zeros(&[2, 4]));
    let err = gru_sequence_fused(v[0], bad_state, v[2], v[3], v[4], v[5], false)
        .unwrap_err()
        .to_string();
    for part in [
        "gru_sequence_fused",
        "[3, 2, 4]",
        "[2, 4]",
        "[15, 4]",
        "[15, 5]",
        "[3H, I]",
    ] {
        assert!(err.contains(part), "{part} missing from: {err}");
    }
    let empty = tape.var(Tensor::zeros(&[0, 2, 4]));
    assert!(gru_sequence_fused(empty, v[1], v[2], v[3], v[4], v[5], false).is_err());
}

#[test]
fn sequence_node_refuses_a_second_derivative_naming_its_composed_twin() {
    let outcome = std::panic::catch_unwind(|| {
        let tape = Tape::<f64>::new();
        let v: Vec<Var<'_, f64>> = problem((2, 1, 2, 2), 1)
            .into_iter()
            .map(|x| tape.var(x))
            .collect();
        let y = gru_sequence_fused(v[0], v[1], v[2], v[3], v[4], v[5], false).unwrap();
        let _ = y.sum().backward_with_graph();
    });
    let payload = outcome.expect_err("a second-derivative graph must be refused");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("gru_cell.rs"), "{message}");
}

/// The f32 layer (fast sigmoid/tanh) against the same weights in f64 (the
/// C library's exp): within f32 precision over 20 steps.
#[test]
fn f32_fused_layer_matches_f64_layer_within_f32_precision() {
    let config = RnnConfig::new(6, 16).with_bidirectional(true);
    let wide = Gru::<f64>::new(config, &mut seeded_rng(3));
    let narrow = Gru::<f32>::new(config, &mut seeded_rng(3));
    let x = Tensor::<f64>::randn(&[20, 4, 6], &mut seeded_rng(4));
    let (tape64, tape32) = (Tape::<f64>::new(), Tape::<f32>::new());
    let y64 = wide
        .forward(&tape64, tape64.constant(x.clone()))
        .unwrap()
        .value();
    let y32 = narrow
        .forward(&tape32, tape32.constant(x.cast::<f32>()))
        .unwrap()
        .value();
    // Both layers draw the same weights from the same seed (f32 rounds them).
    let worst = y64
        .to_vec()
        .iter()
        .zip(y32.to_vec())
        .map(|(a, b)| (a - b.to_f64()).abs())
        .fold(0.0, f64::max);
    assert!(worst < 2e-5, "f32 layer differs from f64 by {worst:e}");
}

/// Output and every gradient of a stacked bidirectional f32 layer, as bits.
fn layer_run_bits() -> Vec<u32> {
    let config = RnnConfig::new(24, 48)
        .with_num_layers(2)
        .with_bidirectional(true);
    let gru = Gru::<f32>::new(config, &mut seeded_rng(7));
    let x = Tensor::<f32>::randn(&[12, 16, 24], &mut seeded_rng(8));
    let tape = Tape::<f32>::new();
    let y = gru.forward(&tape, tape.constant(x)).unwrap();
    let grads = y.square().sum().backward();
    let mut bits: Vec<u32> = y.value().to_vec().iter().map(|v| v.to_bits()).collect();
    for (_, p) in gru.params() {
        let g = grads.get(p).expect("every weight has a gradient");
        bits.extend(g.to_vec().iter().map(|v| v.to_bits()));
    }
    bits
}

#[test]
fn gru_layer_output_and_gradients_are_bitwise_the_same_on_one_and_two_threads() {
    let in_pool = |threads: usize| {
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(layer_run_bits)
    };
    assert!(in_pool(1) == in_pool(2), "1 and 2 threads differ");
}
