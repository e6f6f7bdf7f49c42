//! The whole-sequence fused LSTM node (`lstm_sequence_fused`): equal to
//! the composed cell stepped over the sequence in value and in every
//! gradient (f64, both directions, random sizes), finite differences for
//! all six inputs, clear errors, the refusal of a second derivative, the
//! f32 fast path within f32 precision of f64, and bitwise-identical layer
//! runs on one and two threads.

use proptest::prelude::*;
use rayon::ThreadPoolBuilder;
use wengert_nn::recurrent::{lstm_cell_composed, lstm_sequence_fused, Lstm, RnnConfig};
use wengert_nn::Module;
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{gradcheck, seeded_rng, Float, Tape, Tensor, Tolerance, Var};

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// The six inputs `x [T, B, I]`, `state [B, 2H]`, `w_ih`, `w_hh`, `b_ih`,
/// `b_hh` of a random problem.
fn problem((t, b, i, h): (usize, usize, usize, usize), seed: u64) -> Vec<Tensor<f64>> {
    vec![
        rand(&[t, b, i], seed),
        rand(&[b, 2 * h], seed ^ 1),
        rand(&[4 * h, i], seed ^ 2),
        rand(&[4 * h, h], seed ^ 3),
        rand(&[4 * h], seed ^ 4),
        rand(&[4 * h], seed ^ 5),
    ]
}

/// The reference: the composed cell stepped over the sequence (last to
/// first when `reverse`), laid out as the node's output `[T + 1, B, H]`
/// (the hidden output by time index, then the final c).
fn stepped<'t>(v: &[Var<'t, f64>], reverse: bool) -> Var<'t, f64> {
    let (steps, batch, input) = (v[0].shape()[0], v[0].shape()[1], v[0].shape()[2]);
    let hs = v[3].shape()[1];
    let (mut h, mut c) = (v[1].narrow(1, 0, hs), v[1].narrow(1, hs, hs));
    let mut hidden = vec![None; steps];
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    for t in order {
        let x_t = v[0].narrow(0, t, 1).reshape(&[batch, input]);
        (h, c) = lstm_cell_composed(x_t, h, c, v[2], v[3], v[4], v[5]);
        hidden[t] = Some(h);
    }
    let mut rows: Vec<Var<'t, f64>> = hidden.into_iter().map(|h| h.unwrap()).collect();
    rows.push(c);
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
        let upstream = rand(&[t + 1, b, h], seed ^ 6);
        let run = |fused: bool| {
            let tape = Tape::<f64>::new();
            let v: Vec<Var<'_, f64>> = values.iter().map(|x| tape.var(x.clone())).collect();
            let y = if fused {
                lstm_sequence_fused(v[0], v[1], v[2], v[3], v[4], v[5], reverse).unwrap()
            } else {
                stepped(&v, reverse)
            };
            let grads = (y * tape.constant(upstream.clone())).sum().backward();
            let g: Vec<Tensor<f64>> = v.iter().map(|x| grads.wrt(*x).unwrap().clone()).collect();
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
            |_, v| lstm_sequence_fused(v[0], v[1], v[2], v[3], v[4], v[5], reverse).unwrap(),
            &problem((t, b, i, h), seed),
            Tolerance::default(),
        ).unwrap();
    }
}

#[test]
fn sequence_node_shape_error_names_the_op_and_every_shape() {
    let tape = Tape::<f64>::new();
    let v: Vec<Var<'_, f64>> = problem((3, 2, 4, 5), 0)
        .into_iter()
        .map(|x| tape.var(x))
        .collect();
    // A state one column short of [B, 2H].
    let bad_state = tape.var(Tensor::zeros(&[2, 9]));
    let err = lstm_sequence_fused(v[0], bad_state, v[2], v[3], v[4], v[5], false)
        .unwrap_err()
        .to_string();
    for part in [
        "lstm_sequence_fused",
        "[3, 2, 4]",
        "[2, 9]",
        "[20, 4]",
        "[20, 5]",
    ] {
        assert!(err.contains(part), "{part} missing from: {err}");
    }
    let empty = tape.var(Tensor::zeros(&[0, 2, 4]));
    assert!(lstm_sequence_fused(empty, v[1], v[2], v[3], v[4], v[5], false).is_err());
}

#[test]
fn sequence_node_refuses_a_second_derivative_naming_its_composed_twin() {
    let outcome = std::panic::catch_unwind(|| {
        let tape = Tape::<f64>::new();
        let v: Vec<Var<'_, f64>> = problem((2, 1, 2, 2), 1)
            .into_iter()
            .map(|x| tape.var(x))
            .collect();
        let y = lstm_sequence_fused(v[0], v[1], v[2], v[3], v[4], v[5], false).unwrap();
        let _ = y.sum().backward_with_graph();
    });
    let payload = outcome.expect_err("a second-derivative graph must be refused");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("lstm_cell_composed"), "{message}");
}

/// The f32 layer (fast sigmoid/tanh) against the same weights in f64 (the
/// C library's exp): within f32 precision over 20 steps.
#[test]
fn f32_fused_layer_matches_f64_layer_within_f32_precision() {
    let config = RnnConfig::new(6, 16).with_bidirectional(true);
    let wide = Lstm::<f64>::new(config, &mut seeded_rng(3));
    let narrow = Lstm::<f32>::new(config, &mut seeded_rng(3));
    let x = Tensor::<f64>::randn(&[20, 4, 6], &mut seeded_rng(4));
    let to_f32 = |t: &Tensor<f64>| {
        Tensor::from_vec(t.to_vec().iter().map(|&v| v as f32).collect(), t.shape())
    };
    let (tape64, tape32) = (Tape::<f64>::new(), Tape::<f32>::new());
    let y64 = wide
        .forward(&tape64, tape64.constant(x.clone()))
        .unwrap()
        .value();
    let y32 = narrow
        .forward(&tape32, tape32.constant(to_f32(&x)))
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
    let lstm = Lstm::<f32>::new(config, &mut seeded_rng(7));
    let x = Tensor::<f32>::randn(&[12, 16, 24], &mut seeded_rng(8));
    let tape = Tape::<f32>::new();
    let y = lstm.forward(&tape, tape.constant(x)).unwrap();
    let grads = y.square().sum().backward();
    let mut bits: Vec<u32> = y.value().to_vec().iter().map(|v| v.to_bits()).collect();
    for (_, p) in lstm.params() {
        let g = grads.get(p).expect("every weight has a gradient");
        bits.extend(g.to_vec().iter().map(|v| v.to_bits()));
    }
    bits
}

#[test]
fn lstm_layer_output_and_gradients_are_bitwise_the_same_on_one_and_two_threads() {
    let in_pool = |threads: usize| {
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(layer_run_bits)
    };
    assert!(in_pool(1) == in_pool(2), "1 and 2 threads differ");
}
