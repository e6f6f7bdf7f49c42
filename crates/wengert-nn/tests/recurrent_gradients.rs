//! Gradient property tests for the recurrent cells and layers: finite
//! differences in f64 with respect to the input, every parameter
//! (`gradcheck_module`) and the initial states (`gradcheck`), over random
//! sizes, values and parameters; stacked, bidirectional and batch-first
//! layers; the fused LSTM step against its composed twin; second
//! derivatives of the composed cells.

use proptest::prelude::*;
use wengert_nn::recurrent::{
    lstm_cell_composed, lstm_cell_fused, Gru, GruCell, Lstm, LstmCell, LstmState, Rnn, RnnCell,
    RnnConfig, RnnNonlinearity,
};
use wengert_nn::{gradcheck_module, Module};
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{gradcheck, gradgradcheck, seeded_rng, Tape, Tensor, Tolerance, Var};

const CASES: u32 = 16;

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// Sizes of a small recurrent problem: (seq, batch, input, hidden).
fn sizes() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..5, 1usize..4, 1usize..4, 1usize..4)
}

/// Layer options: (num_layers, bidirectional, batch_first).
fn options() -> impl Strategy<Value = (usize, bool, bool)> {
    (1usize..3, any::<bool>(), any::<bool>())
}

fn config(
    (_, _, i, h): (usize, usize, usize, usize),
    (l, bi, bf): (usize, bool, bool),
) -> RnnConfig {
    RnnConfig::new(i, h)
        .with_num_layers(l)
        .with_bidirectional(bi)
        .with_batch_first(bf)
}

/// The input of a layer in its layout.
fn layer_input(
    (t, b, i, _): (usize, usize, usize, usize),
    batch_first: bool,
    seed: u64,
) -> Tensor<f64> {
    let shape = if batch_first { [b, t, i] } else { [t, b, i] };
    rand(&shape, seed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn rnn_cell_gradients_for_input_state_and_parameters(
        (_, b, i, h) in sizes(), seed in any::<u64>(),
    ) {
        let mut cell = RnnCell::<f64>::new(i, h, &mut seeded_rng(seed));
        gradcheck_module(&mut cell, &rand(&[b, i], seed ^ 1), Tolerance::default()).unwrap();
        gradcheck(
            |tape, v| cell.forward_step(tape, v[0], v[1]).unwrap(),
            &[rand(&[b, i], seed ^ 2), rand(&[b, h], seed ^ 3)],
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn gru_cell_gradients_and_second_derivatives(
        (_, b, i, h) in sizes(), seed in any::<u64>(),
    ) {
        let mut cell = GruCell::<f64>::new(i, h, &mut seeded_rng(seed));
        gradcheck_module(&mut cell, &rand(&[b, i], seed ^ 1), Tolerance::default()).unwrap();
        let inputs = [rand(&[b, i], seed ^ 2), rand(&[b, h], seed ^ 3)];
        gradcheck(|tape, v| cell.forward_step(tape, v[0], v[1]).unwrap(), &inputs, Tolerance::default()).unwrap();
        gradgradcheck(|tape, v| cell.forward_step(tape, v[0], v[1]).unwrap(), &inputs, Tolerance::default()).unwrap();
    }

    #[test]
    fn lstm_cell_fused_and_composed_gradients_for_input_states_and_parameters(
        (_, b, i, h) in sizes(), fused in any::<bool>(), seed in any::<u64>(),
    ) {
        let mut cell = LstmCell::<f64>::new(i, h, &mut seeded_rng(seed)).with_fused(fused);
        gradcheck_module(&mut cell, &rand(&[b, i], seed ^ 1), Tolerance::default()).unwrap();
        // h' and c' both depend on (x, h, c): check the packed pair.
        gradcheck(
            |tape, v| {
                let (h1, c1) = cell.forward_step(tape, v[0], (v[1], v[2])).unwrap();
                Var::concat(&[h1, c1], 1)
            },
            &[rand(&[b, i], seed ^ 2), rand(&[b, h], seed ^ 3), rand(&[b, h], seed ^ 4)],
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn fused_lstm_op_gradients_for_all_six_inputs(
        (_, b, i, h) in sizes(), seed in any::<u64>(),
    ) {
        let inputs = [
            rand(&[b, i], seed), rand(&[b, 2 * h], seed ^ 1), rand(&[4 * h, i], seed ^ 2),
            rand(&[4 * h, h], seed ^ 3), rand(&[4 * h], seed ^ 4), rand(&[4 * h], seed ^ 5),
        ];
        gradcheck(
            |_, v| lstm_cell_fused(v[0], v[1], v[2], v[3], v[4], v[5]).unwrap(),
            &inputs,
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn fused_lstm_step_equals_composed_twin_in_value_and_gradient(
        (_, b, i, h) in sizes(), seed in any::<u64>(),
    ) {
        let values = [
            rand(&[b, i], seed), rand(&[b, 2 * h], seed ^ 1), rand(&[4 * h, i], seed ^ 2),
            rand(&[4 * h, h], seed ^ 3), rand(&[4 * h], seed ^ 4), rand(&[4 * h], seed ^ 5),
        ];
        let upstream = rand(&[b, 2 * h], seed ^ 6);
        let run = |fused: bool| {
            let tape = Tape::<f64>::new();
            let v: Vec<Var<'_, f64>> = values.iter().map(|t| tape.var(t.clone())).collect();
            let y = if fused {
                lstm_cell_fused(v[0], v[1], v[2], v[3], v[4], v[5]).unwrap()
            } else {
                let (h1, c1) = lstm_cell_composed(
                    v[0], v[1].narrow(1, 0, h), v[1].narrow(1, h, h), v[2], v[3], v[4], v[5],
                );
                Var::concat(&[h1, c1], 1)
            };
            let grads = (y * tape.constant(upstream.clone())).sum().backward();
            let g: Vec<Tensor<f64>> = v.iter().map(|x| grads.wrt(*x).unwrap().clone()).collect();
            (y.value(), g)
        };
        let (y_fused, g_fused) = run(true);
        let (y_composed, g_composed) = run(false);
        assert_close(&y_fused, &y_composed, 1e-14, 1e-12);
        for (a, c) in g_fused.iter().zip(&g_composed) {
            assert_close(a, c, 1e-13, 1e-12);
        }
    }

    #[test]
    fn rnn_layer_gradients_stacked_bidirectional_batch_first(
        s in sizes(), o in options(), seed in any::<u64>(),
    ) {
        let mut rnn = Rnn::<f64>::new(config(s, o), &mut seeded_rng(seed));
        gradcheck_module(&mut rnn, &layer_input(s, o.2, seed ^ 1), Tolerance::default()).unwrap();
        let states = o.0 * if o.1 { 2 } else { 1 };
        gradcheck(
            |tape, v| {
                let (out, h_n) = rnn.forward_with_state(tape, v[0], Some(v[1])).unwrap();
                Var::concat(&[flat(out), flat(h_n)], 0)
            },
            &[layer_input(s, o.2, seed ^ 2), rand(&[states, s.1, s.3], seed ^ 3)],
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn gru_layer_gradients_stacked_bidirectional_batch_first(
        s in sizes(), o in options(), seed in any::<u64>(),
    ) {
        let mut gru = Gru::<f64>::new(config(s, o), &mut seeded_rng(seed));
        gradcheck_module(&mut gru, &layer_input(s, o.2, seed ^ 1), Tolerance::default()).unwrap();
    }

    #[test]
    fn lstm_layer_gradients_stacked_bidirectional_batch_first_fused_or_not(
        s in sizes(), o in options(), fused in any::<bool>(), seed in any::<u64>(),
    ) {
        let mut lstm = Lstm::<f64>::new(config(s, o).with_fused(fused), &mut seeded_rng(seed));
        gradcheck_module(&mut lstm, &layer_input(s, o.2, seed ^ 1), Tolerance::default()).unwrap();
        let states = o.0 * if o.1 { 2 } else { 1 };
        gradcheck(
            |tape, v| {
                let state = LstmState { h: v[1], c: v[2] };
                let (out, last) = lstm.forward_with_state(tape, v[0], Some(state)).unwrap();
                Var::concat(&[flat(out), flat(last.h), flat(last.c)], 0)
            },
            &[
                layer_input(s, o.2, seed ^ 2),
                rand(&[states, s.1, s.3], seed ^ 3),
                rand(&[states, s.1, s.3], seed ^ 4),
            ],
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn fused_and_composed_lstm_layers_agree(
        s in sizes(), o in options(), bias in any::<bool>(), seed in any::<u64>(),
    ) {
        // Bias-free cells keep the fused step (it adds constant zeros).
        let fused = Lstm::<f64>::new(config(s, o).with_bias(bias), &mut seeded_rng(seed));
        let mut composed = fused.clone();
        composed.set_fused(false);
        let x = layer_input(s, o.2, seed ^ 1);
        let run = |m: &Lstm<f64>| {
            let tape = Tape::new();
            let xv = tape.var(x.clone());
            let (out, st) = m.forward_with_state(&tape, xv, None).unwrap();
            let loss = out.square().sum() + st.c.sum();
            let g = loss.backward();
            let mut all = vec![out.value(), g.wrt(xv).unwrap().clone()];
            all.extend(m.params().iter().map(|(_, p)| g.get(p).unwrap().clone()));
            all
        };
        for (a, b) in run(&fused).iter().zip(run(&composed)) {
            assert_close(a, &b, 1e-13, 1e-12);
        }
    }
}

#[test]
fn composed_lstm_cell_has_second_derivatives() {
    let (b, i, h) = (2, 3, 2);
    let inputs = [
        rand(&[b, i], 1),
        rand(&[b, h], 2),
        rand(&[b, h], 3),
        rand(&[4 * h, i], 4),
        rand(&[4 * h, h], 5),
        rand(&[4 * h], 6),
        rand(&[4 * h], 7),
    ];
    gradgradcheck(
        |_, v| {
            let (h1, c1) = lstm_cell_composed(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
            Var::concat(&[h1, c1], 1)
        },
        &inputs,
        Tolerance::default(),
    )
    .unwrap();
}

#[test]
#[should_panic(expected = "lstm_cell_composed")]
fn fused_lstm_cell_refuses_second_derivative_naming_its_twin() {
    let tape = Tape::<f64>::new();
    let v = |s: &[usize]| tape.var(Tensor::ones(s));
    let y = lstm_cell_fused(
        v(&[1, 2]),
        v(&[1, 4]),
        v(&[8, 2]),
        v(&[8, 2]),
        v(&[8]),
        v(&[8]),
    )
    .unwrap();
    let _ = y.sum().backward_with_graph();
}

#[test]
fn rnn_relu_cell_value_and_gradients_for_a_fixed_draw() {
    let mut cell =
        RnnCell::<f64>::try_new(3, 4, RnnNonlinearity::ReLU, &mut seeded_rng(5)).unwrap();
    let (x, h) = (rand(&[2, 3], 6), rand(&[2, 4], 7));
    // h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh), from the parameters.
    let p: Vec<Tensor<f64>> = cell
        .params()
        .iter()
        .map(|(_, p)| p.value().clone())
        .collect();
    let expected = x
        .matmul(&p[0].transpose(0, 1))
        .add(&p[2])
        .add(&h.matmul(&p[1].transpose(0, 1)))
        .add(&p[3])
        .map(|a| a.max(0.0));
    let tape = Tape::new();
    let got = cell
        .forward_step(&tape, tape.constant(x.clone()), tape.constant(h))
        .unwrap();
    assert_close(&got.value(), &expected, 1e-15, 1e-14);
    assert!(
        expected.to_vec().contains(&0.0),
        "the draw exercises the relu's flat side"
    );
    // No pre-activation of this draw lies within a finite-difference step of
    // the kink at 0.
    gradcheck_module(&mut cell, &x, Tolerance::default()).unwrap();
}

/// A Var as a vector, to join several outputs into one checked function.
fn flat<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    x.reshape(&[x.numel()])
}
