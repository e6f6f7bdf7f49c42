//! Behaviour of the recurrent layers beyond gradients: state layout of
//! stacked and bidirectional layers, batch-first layout, truncated BPTT by
//! detaching the carried state, the forget-gate bias option, PyTorch's
//! parameter names, and error messages.

use wengert_nn::recurrent::{Gru, Lstm, LstmCell, LstmState, Rnn, RnnConfig};
use wengert_nn::Module;
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut seeded_rng(seed))
}

#[test]
fn parameter_names_follow_pytorch_for_stacked_bidirectional_layers() {
    let config = RnnConfig::new(3, 4)
        .with_num_layers(2)
        .with_bidirectional(true);
    let lstm = Lstm::<f32>::new(config, &mut seeded_rng(0));
    let names = lstm.param_names();
    assert_eq!(names.len(), 16);
    assert_eq!(
        names[..8],
        [
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_ih_l0_reverse",
            "weight_hh_l0_reverse",
            "bias_ih_l0_reverse",
            "bias_hh_l0_reverse",
        ]
    );
    // Layer 1 reads both directions of layer 0: weight_ih_l1 is [4H, 2H].
    let w = lstm
        .params()
        .into_iter()
        .find(|(n, _)| n == "weight_ih_l1")
        .unwrap()
        .1;
    assert_eq!(w.shape(), &[16, 8]);
    let gru = Gru::<f32>::new(RnnConfig::new(3, 4), &mut seeded_rng(0));
    assert_eq!(gru.num_params(), 12 * 3 + 12 * 4 + 12 + 12);
}

#[test]
fn final_states_are_the_last_step_of_each_direction() {
    let (t, b, h) = (5, 2, 3);
    let config = RnnConfig::new(2, h)
        .with_num_layers(2)
        .with_bidirectional(true);
    let rnn = Rnn::<f64>::new(config, &mut seeded_rng(1));
    let tape = Tape::new();
    let (out, h_n) = rnn
        .forward_with_state(&tape, tape.constant(rand(&[t, b, 2], 2)), None)
        .unwrap();
    assert_eq!(
        (out.shape(), h_n.shape()),
        (vec![t, b, 2 * h], vec![4, b, h])
    );
    let (out, h_n) = (out.value(), h_n.value());
    // Last layer (states 2 and 3): forward ends at t = T-1, reverse at t = 0.
    let fwd_last = out.narrow(0, t - 1, 1).narrow(2, 0, h).reshape(&[b, h]);
    let rev_first = out.narrow(0, 0, 1).narrow(2, h, h).reshape(&[b, h]);
    assert_eq!(
        fwd_last.to_vec(),
        h_n.narrow(0, 2, 1).reshape(&[b, h]).to_vec()
    );
    assert_eq!(
        rev_first.to_vec(),
        h_n.narrow(0, 3, 1).reshape(&[b, h]).to_vec()
    );
}

#[test]
fn batch_first_is_the_transposed_layout_of_the_same_computation() {
    let x = rand(&[4, 3, 2], 3); // [T, B, I]
    let seq_first = Lstm::<f64>::new(
        RnnConfig::new(2, 3).with_bidirectional(true),
        &mut seeded_rng(4),
    );
    let batch_first = Lstm::<f64>::new(
        RnnConfig::new(2, 3)
            .with_bidirectional(true)
            .with_batch_first(true),
        &mut seeded_rng(4),
    );
    let tape = Tape::new();
    let (a, sa) = seq_first
        .forward_with_state(&tape, tape.constant(x.clone()), None)
        .unwrap();
    let (b, sb) = batch_first
        .forward_with_state(&tape, tape.constant(x.transpose(0, 1).contiguous()), None)
        .unwrap();
    assert_eq!(
        a.value().to_vec(),
        b.value().transpose(0, 1).contiguous().to_vec()
    );
    assert_eq!(sa.h.value().to_vec(), sb.h.value().to_vec());
}

#[test]
fn detached_state_truncates_backpropagation_through_time() {
    let lstm = Lstm::<f64>::new(RnnConfig::new(2, 3), &mut seeded_rng(5));
    let (x1, x2) = (rand(&[4, 2, 2], 6), rand(&[4, 2, 2], 7));
    // Two chunks; the loss reads only the second chunk's output.
    let run = |detach: bool| {
        let tape = Tape::new();
        let v1 = tape.var(x1.clone());
        let (_, s1) = lstm.forward_with_state(&tape, v1, None).unwrap();
        let carried = if detach { s1.detach() } else { s1 };
        let (out2, _) = lstm
            .forward_with_state(&tape, tape.constant(x2.clone()), Some(carried))
            .unwrap();
        let g = out2.square().sum().backward();
        let params: Vec<Tensor<f64>> = lstm
            .params()
            .iter()
            .map(|(_, p)| g.get(p).unwrap().clone())
            .collect();
        (g.wrt(v1).cloned(), params, s1.h.value(), s1.c.value())
    };
    let (dx1_full, params_full, ..) = run(false);
    let (dx1_trunc, params_trunc, h1, c1) = run(true);
    // Full BPTT reaches the first chunk; truncated does not.
    assert!(dx1_full.unwrap().to_vec().iter().any(|g| g.abs() > 1e-6));
    assert!(
        dx1_trunc.is_none(),
        "no gradient may cross a detached state"
    );
    // Truncated gradients are those of the second chunk run alone from a
    // constant state with the same values.
    let tape = Tape::new();
    let state = LstmState {
        h: tape.constant(h1),
        c: tape.constant(c1),
    };
    let (out2, _) = lstm
        .forward_with_state(&tape, tape.constant(x2.clone()), Some(state))
        .unwrap();
    let g = out2.square().sum().backward();
    for ((_, p), trunc) in lstm.params().iter().zip(&params_trunc) {
        assert_eq!(g.get(p).unwrap().to_vec(), trunc.to_vec());
    }
    assert!(params_full
        .iter()
        .zip(&params_trunc)
        .any(|(a, b)| a.to_vec() != b.to_vec()));
}

#[test]
fn forget_bias_sets_the_forget_block_and_leaves_the_rest() {
    let h = 3;
    let plain = LstmCell::<f64>::new(2, h, &mut seeded_rng(8));
    let biased = LstmCell::<f64>::new(2, h, &mut seeded_rng(8)).with_forget_bias(1.0);
    let (pi, bi) = (
        plain.bias_ih().value().to_vec(),
        biased.bias_ih().value().to_vec(),
    );
    let (ph, bh) = (
        plain.bias_hh().value().to_vec(),
        biased.bias_hh().value().to_vec(),
    );
    for k in 0..4 * h {
        if (h..2 * h).contains(&k) {
            assert_eq!(
                (bi[k], bh[k]),
                (1.0, 0.0),
                "forget row {k}: bias_ih + bias_hh = 1"
            );
        } else {
            assert_eq!((bi[k], bh[k]), (pi[k], ph[k]), "row {k} keeps its draw");
        }
    }
    let config = RnnConfig::new(2, h)
        .with_num_layers(2)
        .with_forget_bias(1.0);
    let lstm = Lstm::<f64>::new(config, &mut seeded_rng(9));
    for (name, p) in lstm.params() {
        if name.starts_with("bias_ih") {
            assert_eq!(p.value().to_vec()[h..2 * h], [1.0; 3], "{name}");
        }
    }
}

#[test]
fn same_seed_gives_bitwise_identical_training_steps() {
    let step = || {
        let lstm = Lstm::<f32>::new(RnnConfig::new(4, 8).with_num_layers(2), &mut seeded_rng(10));
        let tape = Tape::new();
        let x = tape.constant(Tensor::randn(&[6, 3, 4], &mut seeded_rng(11)));
        let out = lstm.forward(&tape, x).unwrap();
        let g = out.square().mean().backward();
        lstm.params()
            .iter()
            .flat_map(|(_, p)| g.get(p).unwrap().to_vec())
            .collect::<Vec<f32>>()
    };
    assert_eq!(step(), step());
}

#[test]
fn f32_layer_agrees_with_f64_layer() {
    let config = RnnConfig::new(3, 4).with_bidirectional(true);
    let l64 = Lstm::<f64>::new(config, &mut seeded_rng(12));
    let l32 = Lstm::<f32>::new(config, &mut seeded_rng(12));
    let x = rand(&[5, 2, 3], 13);
    let t64 = Tape::new();
    let y64 = l64.forward(&t64, t64.constant(x.clone())).unwrap().value();
    let t32 = Tape::new();
    let y32 = l32
        .forward(&t32, t32.constant(x.cast::<f32>()))
        .unwrap()
        .value();
    assert_close(&y32.cast::<f64>(), &y64, 1e-5, 1e-4);
}

#[test]
fn shape_errors_name_the_layer_and_the_shapes() {
    let lstm = Lstm::<f64>::new(RnnConfig::new(3, 4).with_num_layers(2), &mut seeded_rng(0));
    let tape = Tape::new();
    let e = lstm
        .forward(&tape, tape.constant(Tensor::zeros(&[5, 2, 7])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("LSTM(3, 4, num_layers=2") && e.contains("[5, 2, 7]"),
        "{e}"
    );
    let bad = LstmState {
        h: tape.constant(Tensor::zeros(&[1, 2, 4])),
        c: tape.constant(Tensor::zeros(&[1, 2, 4])),
    };
    let e = lstm
        .forward_with_state(&tape, tape.constant(Tensor::zeros(&[5, 2, 3])), Some(bad))
        .unwrap_err()
        .to_string();
    // h0 is checked on its own (c0 may differ in width: proj_size).
    assert!(
        e.contains("h0") && e.contains("[2, 2, 4]") && e.contains("[1, 2, 4]"),
        "{e}"
    );
    let cell = LstmCell::<f64>::new(3, 4, &mut seeded_rng(0));
    let z = tape.constant(Tensor::zeros(&[2, 5]));
    let e = cell
        .forward_step(&tape, tape.constant(Tensor::zeros(&[2, 3])), (z, z))
        .unwrap_err()
        .to_string();
    assert!(e.contains("LSTMCell(3, 4)") && e.contains("[2, 5]"), "{e}");
    let e = Rnn::<f64>::try_new(RnnConfig::new(3, 4).with_num_layers(0), &mut seeded_rng(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("num_layers"), "{e}");
}
