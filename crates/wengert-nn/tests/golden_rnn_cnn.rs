//! Recurrent, convolutional, pooling, embedding and residual-block layers
//! against PyTorch (float64): outputs, and the gradients of
//! loss = sum_k sum(output_k * upstream_k) with respect to every float input
//! and parameter, to 1e-10. LSTM and GRU layer cases run with the fused
//! sequence node and with the composed cell. Batch normalization cases also
//! compare the running statistics.
//!
//! Reference: `layers.json` of the golden folder (`WENGERT_GOLDEN`, else
//! `tests/golden/`). Every size and option is read from the case's fields.

mod common;

use std::collections::BTreeMap;

use common::{assert_matches, cfg_bool, cfg_usize, indices, layer_case, read_json, tensor};
use serde_json::Value;
use wengert_nn::conv::{
    AvgPool2d, BatchNorm2d, Conv2d, Conv2dConfig, MaxPool2d, ResidualBlock, Window2d,
};
use wengert_nn::recurrent::{
    Gru, GruCell, Lstm, LstmCell, LstmState, Rnn, RnnCell, RnnConfig, RnnNonlinearity,
};
use wengert_nn::{BatchNormConfig, BufferMut, BufferRef, Embedding, Module};
use wengert_tensor::{seeded_rng, Tape, Var};

const TOL: f64 = 1e-10;

fn cfg_pair(case: &Value, key: &str) -> [usize; 2] {
    let v = &case["config"][key];
    match v.as_array() {
        Some(a) => [
            a[0].as_u64().unwrap() as usize,
            a[1].as_u64().unwrap() as usize,
        ],
        None => {
            let k = v
                .as_u64()
                .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
                as usize;
            [k, k]
        }
    }
}

/// The float inputs of a case as Vars that need a gradient, by name.
type Inputs<'t> = BTreeMap<String, Var<'t, f64>>;

/// Outputs of a run, by the case's output names.
type Outputs<'t> = Vec<(&'static str, Var<'t, f64>)>;

/// Sets the case's parameters (checking that the names are exactly
/// PyTorch's) and its `buffers_before`.
fn load_case_state(case: &Value, module: &mut dyn Module<f64>) {
    let name = case["name"].as_str().unwrap();
    let params = case["params"].as_object().expect("params");
    let mut ours = module.param_names();
    ours.sort();
    let mut theirs: Vec<String> = params.keys().cloned().collect();
    theirs.sort();
    assert_eq!(ours, theirs, "{name}: parameter names");
    for (n, p) in module.params_mut() {
        p.set_value(tensor(&params[&n])).unwrap();
    }
    if let Some(buffers) = case.get("buffers_before").and_then(|b| b.as_object()) {
        let mut seen = 0;
        module.visit_buffers_mut(&mut |n, b| {
            if let (BufferMut::Float(t), Some(v)) = (b, buffers.get(n)) {
                *t = tensor(v);
                seen += 1;
            }
        });
        assert_eq!(
            seen,
            buffers.len(),
            "{name}: every stored buffer was loaded"
        );
    }
}

/// Runs one case: builds the module, loads the case's state, binds the
/// float inputs, runs `run`, and compares every output, every gradient and
/// the running statistics after the pass.
fn check_case<M: Module<f64>>(
    case_name: &str,
    build: impl FnOnce(&Value) -> M,
    run: impl for<'t> Fn(&M, &'t Tape<f64>, &Inputs<'t>, &Value) -> Outputs<'t>,
) {
    let case = layer_case(&read_json("layers.json"), case_name);
    let mut module = build(&case);
    load_case_state(&case, &mut module);
    let tape = if case["config"]["mode"] == "eval" {
        Tape::inference()
    } else {
        Tape::training(0)
    };
    let mut inputs = Inputs::new();
    for (name, v) in case["inputs"].as_object().expect("inputs") {
        if v["dtype"] == "float64" {
            inputs.insert(name.clone(), tape.var(tensor(v)));
        }
    }
    let outputs = run(&module, &tape, &inputs, &case);
    let expected_outputs = case["outputs"].as_object().expect("outputs");
    assert_eq!(
        outputs.len(),
        expected_outputs.len(),
        "{case_name}: output count"
    );
    let mut loss = tape.scalar(0.0);
    for (name, y) in &outputs {
        assert_matches(
            case_name,
            name,
            &y.value(),
            &tensor(&case["outputs"][*name]),
            TOL,
        );
        let up = tape.constant(tensor(&case["upstream"][*name]));
        loss = loss + (*y * up).sum();
    }
    let grads = loss.backward();
    let params = module.params();
    for (name, expected) in case["grads"].as_object().expect("grads") {
        let got = match inputs.get(name) {
            Some(v) => grads.wrt(*v),
            None => {
                let p = params
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{case_name}: no input or parameter {name}"))
                    .1;
                grads.get(p)
            }
        }
        .unwrap_or_else(|| panic!("{case_name}: no gradient for {name}"));
        assert_matches(
            case_name,
            &format!("grad {name}"),
            got,
            &tensor(expected),
            TOL,
        );
    }
    if let Some(after) = case.get("buffers_after").and_then(|b| b.as_object()) {
        let mut seen = 0;
        module.visit_buffers(&mut |n, b| {
            if let (BufferRef::Float(t), Some(v)) = (b, after.get(n)) {
                assert_matches(case_name, n, t, &tensor(v), TOL);
                seen += 1;
            }
        });
        assert_eq!(
            seen,
            after.len(),
            "{case_name}: every stored buffer was compared"
        );
    }
}

fn nonlinearity(case: &Value) -> RnnNonlinearity {
    match case["config"]["nonlinearity"].as_str() {
        None | Some("tanh") => RnnNonlinearity::Tanh,
        Some("relu") => RnnNonlinearity::ReLU,
        Some(other) => panic!("unknown nonlinearity {other}"),
    }
}

fn rnn_config(case: &Value) -> RnnConfig {
    RnnConfig::new(
        cfg_usize(case, "input_size"),
        cfg_usize(case, "hidden_size"),
    )
    .with_num_layers(cfg_usize(case, "num_layers"))
    .with_bidirectional(case["config"]["bidirectional"].as_bool().unwrap_or(false))
    .with_batch_first(cfg_bool(case, "batch_first"))
    .with_nonlinearity(nonlinearity(case))
}

/// A single-output module case: `input` in, `output` out.
fn check_module<M: Module<f64>>(case_name: &str, build: impl FnOnce(&Value) -> M) {
    check_case(case_name, build, |m, tape, inputs, _| {
        vec![("output", m.forward(tape, inputs["input"]).unwrap())]
    });
}

#[test]
fn rnn_cell_matches_pytorch() {
    check_case(
        "RNNCell",
        |c| {
            RnnCell::try_new(
                cfg_usize(c, "input_size"),
                cfg_usize(c, "hidden_size"),
                nonlinearity(c),
                &mut seeded_rng(0),
            )
            .unwrap()
        },
        |m, tape, x, _| vec![("h1", m.forward_step(tape, x["input"], x["h0"]).unwrap())],
    );
}

#[test]
fn gru_cell_matches_pytorch() {
    check_case(
        "GRUCell",
        |c| {
            GruCell::new(
                cfg_usize(c, "input_size"),
                cfg_usize(c, "hidden_size"),
                &mut seeded_rng(0),
            )
        },
        |m, tape, x, _| vec![("h1", m.forward_step(tape, x["input"], x["h0"]).unwrap())],
    );
}

#[test]
fn lstm_cell_fused_and_composed_match_pytorch() {
    for fused in [true, false] {
        check_case(
            "LSTMCell",
            |c| {
                LstmCell::new(
                    cfg_usize(c, "input_size"),
                    cfg_usize(c, "hidden_size"),
                    &mut seeded_rng(0),
                )
                .with_fused(fused)
            },
            |m, tape, x, _| {
                let (h1, c1) = m
                    .forward_step(tape, x["input"], (x["h0"], x["c0"]))
                    .unwrap();
                vec![("h1", h1), ("c1", c1)]
            },
        );
    }
}

#[test]
fn rnn_layer_matches_pytorch() {
    check_case(
        "RNN",
        |c| Rnn::new(rnn_config(c), &mut seeded_rng(0)),
        |m, tape, x, _| {
            let (out, h_n) = m
                .forward_with_state(tape, x["input"], Some(x["h0"]))
                .unwrap();
            vec![("output", out), ("h_n", h_n)]
        },
    );
}

#[test]
fn gru_layer_fused_and_composed_match_pytorch() {
    for fused in [true, false] {
        check_case(
            "GRU",
            |c| Gru::new(rnn_config(c).with_fused(fused), &mut seeded_rng(0)),
            |m, tape, x, _| {
                let (out, h_n) = m
                    .forward_with_state(tape, x["input"], Some(x["h0"]))
                    .unwrap();
                vec![("output", out), ("h_n", h_n)]
            },
        );
    }
}

fn check_lstm(case_name: &str) {
    for fused in [true, false] {
        check_case(
            case_name,
            |c| Lstm::new(rnn_config(c).with_fused(fused), &mut seeded_rng(0)),
            |m, tape, x, _| {
                let state = LstmState {
                    h: x["h0"],
                    c: x["c0"],
                };
                let (out, s) = m.forward_with_state(tape, x["input"], Some(state)).unwrap();
                vec![("output", out), ("h_n", s.h), ("c_n", s.c)]
            },
        );
    }
}

#[test]
fn lstm_layer_fused_and_composed_match_pytorch() {
    check_lstm("LSTM");
}

#[test]
fn two_layer_bidirectional_lstm_matches_pytorch() {
    check_lstm("LSTM_2layer_bidirectional");
}

fn conv_from(c: &Value) -> Conv2d<f64> {
    let mut config =
        Conv2dConfig::new(cfg_usize(c, "in_channels"), cfg_usize(c, "out_channels"), 1)
            .with_groups(cfg_usize(c, "groups"))
            .with_bias(cfg_bool(c, "bias"));
    assert_eq!(c["config"]["padding_mode"], "zeros");
    config.window = Window2d {
        kernel: cfg_pair(c, "kernel_size"),
        stride: cfg_pair(c, "stride"),
        padding: cfg_pair(c, "padding"),
        dilation: cfg_pair(c, "dilation"),
    };
    config.build(&mut seeded_rng(0)).unwrap()
}

#[test]
fn conv2d_plain_strided_dilated_and_grouped_match_pytorch() {
    for name in [
        "Conv2d",
        "Conv2d_stride2_pad1",
        "Conv2d_dilation2",
        "Conv2d_groups2",
    ] {
        check_module(name, conv_from);
    }
}

/// A pooling window from the case (stride defaults to the kernel, as in PyTorch).
fn pool_window(c: &Value) -> Window2d {
    assert!(!cfg_bool(c, "ceil_mode"), "only floor mode is implemented");
    let kernel = cfg_pair(c, "kernel_size");
    let stride = if c["config"]["stride"].is_null() {
        kernel
    } else {
        cfg_pair(c, "stride")
    };
    Window2d {
        kernel,
        stride,
        padding: cfg_pair(c, "padding"),
        dilation: if c["config"]["dilation"].is_null() {
            [1, 1]
        } else {
            cfg_pair(c, "dilation")
        },
    }
}

#[test]
fn max_pool_matches_pytorch_including_dropped_edges() {
    check_module("MaxPool2d", |c| MaxPool2d::from_window(pool_window(c)));
}

#[test]
fn avg_pool_matches_pytorch() {
    check_module("AvgPool2d", |c| {
        assert!(cfg_bool(c, "count_include_pad"));
        AvgPool2d::from_window(pool_window(c))
    });
}

fn batch_norm2d_from(c: &Value) -> BatchNorm2d<f64> {
    let eps = c["config"]["eps"].as_f64().unwrap();
    let momentum = c["config"]["momentum"].as_f64().unwrap();
    BatchNorm2d::from_config(
        BatchNormConfig::new(cfg_usize(c, "num_features"))
            .with_eps(eps)
            .with_momentum(Some(momentum)),
    )
}

#[test]
fn batch_norm_2d_train_and_eval_match_pytorch_including_running_stats() {
    check_module("BatchNorm2d_train", batch_norm2d_from);
    check_module("BatchNorm2d_eval", batch_norm2d_from);
}

#[test]
fn embedding_matches_pytorch_with_repeated_indices() {
    check_case(
        "Embedding",
        |c| {
            assert!(c["config"]["padding_idx"].is_null());
            Embedding::new(
                cfg_usize(c, "num_embeddings"),
                cfg_usize(c, "embedding_dim"),
                &mut seeded_rng(0),
            )
        },
        |m, tape, _, case| {
            let idx = &case["inputs"]["indices"];
            let shape = common::shape(idx);
            vec![("output", m.lookup(tape, &indices(idx), &shape).unwrap())]
        },
    );
}

#[test]
fn residual_block_matches_pytorch_in_training_mode() {
    check_module("ResidualBlock_train", |c| {
        let ch = cfg_usize(c, "channels");
        ResidualBlock::new(ch, ch, 1, &mut seeded_rng(0))
    });
}
