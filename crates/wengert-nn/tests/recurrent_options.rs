//! The recurrent layers' PyTorch options beyond the golden cases of
//! `parity_recurrent.rs`: finite-difference gradients (f64) and property
//! tests over random sizes of `bias = false`, `proj_size`, dropout between
//! layers, unbatched inputs and empty batches; and the errors for options
//! PyTorch refuses too.

mod recurrent_common;

use proptest::prelude::*;
use recurrent_common::{Layer, KINDS};
use wengert_nn::recurrent::{
    Gru, GruCell, Lstm, LstmCell, LstmState, Rnn, RnnCell, RnnConfig, RnnNonlinearity,
};
use wengert_nn::{gradcheck_module, Module};
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{gradcheck, gradgradcheck, seeded_rng, Tape, Tensor, Tolerance, Var};

const CASES: u32 = 16;

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// A Var as a vector, to join several outputs into one checked function.
fn flat<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    x.reshape(&[x.numel()])
}

/// Sizes of a small problem: (seq, batch, input, hidden).
fn sizes() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..5, 1usize..4, 1usize..4, 2usize..5)
}

/// A random configuration of every option but dropout: (kind, config), the
/// kind an index into [`KINDS`].
fn options(i: usize, h: usize) -> impl Strategy<Value = (usize, RnnConfig)> {
    (
        0usize..3,
        1usize..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..h,
        any::<bool>(),
    )
        .prop_map(
            move |(kind, layers, bidirectional, batch_first, bias, proj, fused)| {
                let config = RnnConfig::new(i, h)
                    .with_num_layers(layers)
                    .with_bidirectional(bidirectional)
                    .with_batch_first(batch_first)
                    .with_bias(bias)
                    .with_proj_size(proj)
                    .with_fused(fused);
                (kind, config)
            },
        )
}

/// A layer problem: sizes, then options that fit them.
fn layer_problem() -> impl Strategy<Value = ((usize, usize, usize, usize), (usize, RnnConfig))> {
    sizes().prop_flat_map(|s| (Just(s), options(s.2, s.3)))
}

/// The input of a layer in its layout.
fn layer_input(config: &RnnConfig, steps: usize, batch: usize, seed: u64) -> Tensor<f64> {
    let i = config.input_size;
    if config.batch_first {
        rand(&[batch, steps, i], seed)
    } else {
        rand(&[steps, batch, i], seed)
    }
}

/// The initial state's blocks `[L*D, B, width]`.
fn initial_state(layer: &Layer, lead: &[usize], seed: u64) -> Vec<Tensor<f64>> {
    let c = layer.config();
    let n = c.num_layers * if c.bidirectional { 2 } else { 1 };
    layer
        .state_widths()
        .into_iter()
        .enumerate()
        .map(|(k, w)| rand(&[&[n][..], lead, &[w]].concat(), seed ^ (k as u64 + 7)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn layer_gradients_with_any_bias_projection_and_layout(
        ((t, b, _, _), (kind, config)) in layer_problem(), seed in any::<u64>(),
    ) {
        let mut layer = Layer::build(KINDS[kind], config, seed);
        let x = layer_input(&config, t, b, seed ^ 1);
        gradcheck_module(layer.module(), &x, Tolerance::default()).unwrap();
        // And through the initial state to every output, h_n and c_n.
        let mut inputs = vec![x];
        inputs.extend(initial_state(&layer, &[b], seed ^ 2));
        gradcheck(
            |tape, v| {
                let (out, finals) = layer.run(tape, v[0], &v[1..]);
                let mut parts = vec![flat(out)];
                parts.extend(finals.into_iter().map(flat));
                Var::concat(&parts, 0)
            },
            &inputs,
            Tolerance::default(),
        ).unwrap();
    }

    #[test]
    fn layer_gradients_through_dropout_between_layers(
        ((t, b, _, _), (kind, config)) in layer_problem(),
        p in 0.0f64..0.9, layers in 2usize..4, seed in any::<u64>(),
    ) {
        // gradcheck_module evaluates on training tapes of one seed: the same
        // masks in every evaluation, so the function checked is fixed.
        let config = config.with_num_layers(layers).with_dropout(p);
        let mut layer = Layer::build(KINDS[kind], config, seed);
        let x = layer_input(&config, t, b, seed ^ 1);
        gradcheck_module(layer.module(), &x, Tolerance::default()).unwrap();
    }

    #[test]
    fn dropout_leaves_inference_passes_and_a_single_layer_alone(
        ((t, b, _, _), (kind, config)) in layer_problem(),
        p in 0.0f64..=1.0, seed in any::<u64>(),
    ) {
        let without = Layer::build(KINDS[kind], config.with_dropout(0.0), seed);
        let with = Layer::build(KINDS[kind], config.with_dropout(p), seed);
        let x = layer_input(&config, t, b, seed ^ 1);
        let run = |layer: &Layer, tape: &Tape<f64>| layer.run(tape, tape.constant(x.clone()), &[]).0.value().to_vec();
        // An inference pass never drops.
        prop_assert_eq!(run(&with, &Tape::inference()), run(&without, &Tape::inference()));
        // A single layer has no layer after it, so nothing to drop (PyTorch
        // warns of it; the result is the same).
        if config.num_layers == 1 {
            prop_assert_eq!(run(&with, &Tape::training(seed)), run(&without, &Tape::training(seed)));
        }
    }

    #[test]
    fn dropout_masks_follow_the_tape_seed(
        ((t, b, _, _), (kind, config)) in layer_problem(), seed in any::<u64>(),
    ) {
        let layer = Layer::build(KINDS[kind], config.with_num_layers(2).with_dropout(0.5), seed);
        let x = layer_input(&layer.config(), t, b, seed ^ 1);
        let run = |tape_seed: u64| {
            let tape = Tape::training(tape_seed);
            layer.run(&tape, tape.constant(x.clone()), &[]).0.value().to_vec()
        };
        prop_assert_eq!(run(3), run(3), "same seed, same masks, bitwise");
        // Other seeds draw other masks: among 20 tapes, some pass differs
        // (all alike has probability below 1e-5 even for one element).
        let first = run(0);
        prop_assert!((1..20).any(|s| run(s) != first), "the masks ignore the seed");
    }

    #[test]
    fn unbatched_sequence_is_a_batch_of_one(
        ((t, _, _, _), (kind, config)) in layer_problem(), with_state in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let layer = Layer::build(KINDS[kind], config, seed);
        let x = rand(&[t, config.input_size], seed ^ 1);
        let state = if with_state { initial_state(&layer, &[], seed ^ 2) } else { Vec::new() };
        let tape = Tape::new();
        let unbatched_state: Vec<Var<'_, f64>> = state.iter().map(|s| tape.constant(s.clone())).collect();
        let (out, finals) = layer.run(&tape, tape.constant(x.clone()), &unbatched_state);
        // The same sequence as a batch of one, in the layer's batched layout.
        let batched_x = if config.batch_first {
            x.reshape(&[1, t, config.input_size])
        } else {
            x.reshape(&[t, 1, config.input_size])
        };
        let batched_state: Vec<Var<'_, f64>> = state
            .iter()
            .map(|s| tape.constant(s.reshape(&[s.shape()[0], 1, s.shape()[1]])))
            .collect();
        let (out1, finals1) = layer.run(&tape, tape.constant(batched_x), &batched_state);
        prop_assert_eq!(out.shape(), vec![t, out1.shape()[2]]);
        prop_assert_eq!(out.value().to_vec(), out1.value().to_vec());
        for (a, a1) in finals.iter().zip(&finals1) {
            prop_assert_eq!(a.shape(), vec![a1.shape()[0], a1.shape()[2]]);
            prop_assert_eq!(a.value().to_vec(), a1.value().to_vec());
        }
    }

    #[test]
    fn empty_batch_gives_empty_outputs_and_zero_gradients(
        ((t, _, _, _), (kind, config)) in layer_problem(), with_state in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let layer = Layer::build(KINDS[kind], config, seed);
        // The layer's own config: proj_size reaches only an LSTM.
        let config = layer.config();
        let dirs = if config.bidirectional { 2 } else { 1 };
        let tape = Tape::new();
        let x = tape.var(layer_input(&config, t, 0, seed));
        let state: Vec<Var<'_, f64>> = if with_state {
            initial_state(&layer, &[0], seed).into_iter().map(|s| tape.var(s)).collect()
        } else {
            Vec::new()
        };
        let (out, finals) = layer.run(&tape, x, &state);
        let p = config.output_size();
        let want = if config.batch_first { vec![0, t, dirs * p] } else { vec![t, 0, dirs * p] };
        prop_assert_eq!(out.shape(), want);
        for (f, w) in finals.iter().zip(layer.state_widths()) {
            prop_assert_eq!(f.shape(), vec![config.num_layers * dirs, 0, w]);
        }
        let loss = finals.iter().fold(out.sum(), |acc, f| acc + f.sum());
        let grads = loss.backward();
        let mut layer = layer;
        for (name, param) in layer.module().params() {
            let g = grads.get(param).unwrap_or_else(|| panic!("no gradient for {name}"));
            prop_assert!(g.to_vec().iter().all(|&v| v == 0.0), "{} of an empty batch: {:?}", name, g.to_vec());
        }
    }

    #[test]
    fn bias_free_cells_gradients_batched_and_unbatched(
        (_, b, i, h) in sizes(), kind in 0usize..3, unbatched in any::<bool>(),
        fused in any::<bool>(), seed in any::<u64>(),
    ) {
        let lead: Vec<usize> = if unbatched { vec![] } else { vec![b] };
        let shape = |w: usize| [&lead[..], &[w]].concat();
        let (x, h0, c0) = (rand(&shape(i), seed ^ 1), rand(&shape(h), seed ^ 2), rand(&shape(h), seed ^ 3));
        let rng = &mut seeded_rng(seed);
        match kind {
            0 => {
                let mut cell = RnnCell::<f64>::new(i, h, rng).without_bias();
                gradcheck_module(&mut cell, &x, Tolerance::default()).unwrap();
                gradcheck(|tape, v| cell.forward_step(tape, v[0], v[1]).unwrap(), &[x, h0], Tolerance::default()).unwrap();
            }
            1 => {
                let mut cell = GruCell::<f64>::new(i, h, rng).without_bias();
                gradcheck_module(&mut cell, &x, Tolerance::default()).unwrap();
                gradcheck(|tape, v| cell.forward_step(tape, v[0], v[1]).unwrap(), &[x, h0], Tolerance::default()).unwrap();
            }
            _ => {
                let mut cell = LstmCell::<f64>::new(i, h, rng).without_bias().with_fused(fused);
                gradcheck_module(&mut cell, &x, Tolerance::default()).unwrap();
                gradcheck(
                    |tape, v| {
                        let (h1, c1) = cell.forward_step(tape, v[0], (v[1], v[2])).unwrap();
                        Var::concat(&[h1, c1], -1)
                    },
                    &[x, h0, c0],
                    Tolerance::default(),
                ).unwrap();
            }
        }
    }

    #[test]
    fn unbatched_cell_step_is_a_batch_of_one(
        (_, _, i, h) in sizes(), kind in 0usize..3, bias in any::<bool>(), seed in any::<u64>(),
    ) {
        let (x, h0, c0) = (rand(&[i], seed ^ 1), rand(&[h], seed ^ 2), rand(&[h], seed ^ 3));
        let tape = Tape::new();
        let one = |t: &Tensor<f64>| tape.constant(t.reshape(&[1, t.numel()]));
        let c = |t: &Tensor<f64>| tape.constant(t.clone());
        let rng = &mut seeded_rng(seed);
        let (got, want) = match kind {
            0 => {
                let mut cell = RnnCell::<f64>::new(i, h, rng);
                if !bias { cell = cell.without_bias(); }
                (cell.forward_step(&tape, c(&x), c(&h0)).unwrap(), cell.forward_step(&tape, one(&x), one(&h0)).unwrap())
            }
            1 => {
                let mut cell = GruCell::<f64>::new(i, h, rng);
                if !bias { cell = cell.without_bias(); }
                (cell.forward(&tape, c(&x)).unwrap(), cell.forward(&tape, one(&x)).unwrap())
            }
            _ => {
                let mut cell = LstmCell::<f64>::new(i, h, rng);
                if !bias { cell = cell.without_bias(); }
                let (h1, c1) = cell.forward_step(&tape, c(&x), (c(&h0), c(&c0))).unwrap();
                let (h1b, c1b) = cell.forward_step(&tape, one(&x), (one(&h0), one(&c0))).unwrap();
                prop_assert_eq!(c1.value().to_vec(), c1b.value().to_vec());
                (h1, h1b)
            }
        };
        prop_assert_eq!(got.shape(), vec![h]);
        prop_assert_eq!(got.value().to_vec(), want.value().to_vec());
    }
}

#[test]
fn projected_lstm_runs_composed_and_has_second_derivatives() {
    // The default `fused` cannot apply to a projection: the steps are
    // composed, so the layer can be differentiated twice.
    let config = RnnConfig::new(2, 3)
        .with_proj_size(2)
        .with_bidirectional(true);
    assert!(config.fused);
    let lstm = Lstm::<f64>::new(config, &mut seeded_rng(4));
    let x = rand(&[3, 2, 2], 5);
    gradgradcheck(
        |tape, v| lstm.forward(tape, v[0]).unwrap(),
        &[x],
        Tolerance::default(),
    )
    .unwrap();
}

#[test]
fn bias_free_layer_keeps_the_weights_of_the_biased_layer_of_its_seed() {
    let config = RnnConfig::new(3, 4)
        .with_num_layers(2)
        .with_bidirectional(true);
    let biased = Lstm::<f64>::new(config, &mut seeded_rng(6));
    let plain = Lstm::<f64>::new(config.with_bias(false), &mut seeded_rng(6));
    let names = plain.param_names();
    assert_eq!(names.len(), 8);
    assert!(names.iter().all(|n| n.starts_with("weight_")), "{names:?}");
    for (name, p) in plain.params() {
        let twin = biased
            .params()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1;
        assert_eq!(p.value().to_vec(), twin.value().to_vec(), "{name}");
    }
    let cell = RnnCell::<f64>::new(3, 4, &mut seeded_rng(6));
    assert!(cell.has_bias() && !cell.clone().without_bias().has_bias());
    assert_eq!(
        cell.without_bias().param_names(),
        ["weight_ih", "weight_hh"]
    );
}

#[test]
fn options_pytorch_refuses_are_refused_with_the_reason() {
    let rng = &mut seeded_rng(0);
    let err = |r: Result<(), wengert_nn::NnError>| r.unwrap_err().to_string();
    let e = err(Gru::<f64>::try_new(RnnConfig::new(3, 4).with_proj_size(2), rng).map(drop));
    assert!(
        e.contains("GRU") && e.contains("only supported for LSTM"),
        "{e}"
    );
    let e = err(Rnn::<f64>::try_new(RnnConfig::new(3, 4).with_proj_size(2), rng).map(drop));
    assert!(
        e.contains("RNN") && e.contains("only supported for LSTM"),
        "{e}"
    );
    let e = err(Lstm::<f64>::try_new(RnnConfig::new(3, 4).with_proj_size(4), rng).map(drop));
    assert!(
        e.contains("proj_size = 4") && e.contains("hidden_size = 4"),
        "{e}"
    );
    for p in [-0.1, 1.5, f64::NAN] {
        let config = RnnConfig::new(3, 4).with_num_layers(2).with_dropout(p);
        let e = err(Lstm::<f64>::try_new(config, rng).map(drop));
        assert!(e.contains("dropout must lie in [0, 1]"), "{e}");
    }
    let config = RnnConfig::new(3, 4).with_bias(false).with_forget_bias(1.0);
    let e = err(Lstm::<f64>::try_new(config, rng).map(drop));
    assert!(
        e.contains("forget_bias") && e.contains("bias = false"),
        "{e}"
    );
    // Accepted as in PyTorch (which only warns): dropout on one layer.
    Lstm::<f64>::try_new(RnnConfig::new(3, 4).with_dropout(0.5), rng).unwrap();
}

#[test]
fn shape_errors_for_unbatched_and_projected_states_name_the_block() {
    let lstm = Lstm::<f64>::new(
        RnnConfig::new(3, 4).with_num_layers(2).with_proj_size(2),
        &mut seeded_rng(0),
    );
    let tape = Tape::new();
    let z = |s: &[usize]| tape.constant(Tensor::zeros(s));
    let run = |x, h, c| {
        lstm.forward_with_state(&tape, x, Some(LstmState { h, c }))
            .unwrap_err()
            .to_string()
    };
    // An unbatched input takes 2-D states, as in PyTorch.
    let e = run(z(&[5, 3]), z(&[2, 1, 2]), z(&[2, 1, 4]));
    assert!(
        e.contains("unbatched") && e.contains("h0") && e.contains("[2, 2]"),
        "{e}"
    );
    // c0 is H wide, h0 P wide.
    let e = run(z(&[5, 1, 3]), z(&[2, 1, 2]), z(&[2, 1, 2]));
    assert!(
        e.contains("c0") && e.contains("[2, 1, 4]") && e.contains("proj_size=2"),
        "{e}"
    );
    // PyTorch refuses an empty sequence too.
    let e = lstm.forward(&tape, z(&[0, 2, 3])).unwrap_err().to_string();
    assert!(e.contains("seq >= 1") && e.contains("[0, 2, 3]"), "{e}");
    let cell = GruCell::<f64>::new(3, 4, &mut seeded_rng(0));
    let e = cell
        .forward_step(&tape, z(&[3]), z(&[1, 4]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("GRUCell(3, 4)") && e.contains("[4]") && e.contains("[1, 4]"),
        "{e}"
    );
}

#[test]
#[should_panic(expected = "with_forget_bias needs the biases")]
fn forget_bias_on_a_bias_free_cell_panics_with_the_reason() {
    let _ = LstmCell::<f64>::new(3, 4, &mut seeded_rng(0))
        .without_bias()
        .with_forget_bias(1.0);
}

#[test]
fn relu_rnn_without_bias_is_relu_of_the_two_products() {
    // h' = relu(x W_ih^T + h W_hh^T): no bias term is left.
    let cell = RnnCell::<f64>::try_new(3, 4, RnnNonlinearity::ReLU, &mut seeded_rng(2))
        .unwrap()
        .without_bias();
    let (x, h) = (rand(&[2, 3], 3), rand(&[2, 4], 4));
    let p: Vec<Tensor<f64>> = cell
        .params()
        .iter()
        .map(|(_, p)| p.value().clone())
        .collect();
    let expected = x
        .matmul(&p[0].transpose(0, 1))
        .add(&h.matmul(&p[1].transpose(0, 1)))
        .map(|a| a.max(0.0));
    let tape = Tape::new();
    let got = cell
        .forward_step(&tape, tape.constant(x), tape.constant(h))
        .unwrap();
    assert_close(&got.value(), &expected, 1e-15, 1e-14);
}
