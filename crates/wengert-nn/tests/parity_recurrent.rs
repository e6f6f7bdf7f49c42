//! The recurrent layers' PyTorch options against PyTorch (float64):
//! `bias = false`, dropout between stacked layers, LSTM `proj_size`,
//! unbatched inputs and empty batches, for `Rnn`, `Gru`, `Lstm` and the
//! three cells. Each case compares the outputs, `h_n`/`c_n`, and the
//! gradients of loss = sum_k sum(output_k * upstream_k) with respect to
//! every float input and every parameter, to 1e-10; LSTM cases run with the
//! fused and the composed step.
//!
//! Reference: `parity/recurrent.json` of the golden folder, written by
//! `parity/recurrent.py` beside it. PyTorch's dropout masks come from its
//! own generator, so a dropout case in (0, 1) stores the masks its pass
//! drew; the test rebuilds that pass from single-layer wengert layers and
//! those masks, and `stacked_dropout_is_single_layers_with_the_tapes_masks`
//! shows that the stacked wengert layer is exactly that composition with
//! masks from the tape.

mod common;
mod recurrent_common;

use std::collections::BTreeMap;

use common::{assert_matches, cfg_bool, cfg_usize, layer_case, read_json, tensor};
use recurrent_common::Layer;
use serde_json::Value;
use wengert_nn::recurrent::{GruCell, LstmCell, RnnCell, RnnConfig, RnnNonlinearity};
use wengert_nn::{Dropout, Module};
use wengert_tensor::{seeded_rng, Tape, Tensor, Var};

const TOL: f64 = 1e-10;
const FILE: &str = "parity/recurrent.json";

fn case(name: &str) -> Value {
    layer_case(&read_json(FILE), name)
}

fn nonlinearity(case: &Value) -> RnnNonlinearity {
    match case["config"]["nonlinearity"].as_str() {
        Some("tanh") => RnnNonlinearity::Tanh,
        Some("relu") => RnnNonlinearity::ReLU,
        other => panic!("unknown nonlinearity {other:?}"),
    }
}

/// Every option of a layer case, read from its config.
fn layer_config(case: &Value) -> RnnConfig {
    RnnConfig::new(
        cfg_usize(case, "input_size"),
        cfg_usize(case, "hidden_size"),
    )
    .with_num_layers(cfg_usize(case, "num_layers"))
    .with_bidirectional(cfg_bool(case, "bidirectional"))
    .with_batch_first(cfg_bool(case, "batch_first"))
    .with_nonlinearity(nonlinearity(case))
    .with_bias(cfg_bool(case, "bias"))
    .with_dropout(case["config"]["dropout"].as_f64().unwrap())
    .with_proj_size(cfg_usize(case, "proj_size"))
}

/// Sets the case's parameters, checking that the names, and their order,
/// are PyTorch's.
fn load_params(case: &Value, module: &mut dyn Module<f64>) {
    let name = case["name"].as_str().unwrap();
    let order: Vec<&str> = case["param_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        module.param_names(),
        order,
        "{name}: parameter names in PyTorch's order"
    );
    for (n, p) in module.params_mut() {
        p.set_value(tensor(&case["params"][&n])).unwrap();
    }
}

/// The initial state's blocks among a case's inputs: `h0` (and `c0`), or
/// none for a pass from zeros.
fn initial_state<'t>(inputs: &BTreeMap<String, Var<'t, f64>>) -> Vec<Var<'t, f64>> {
    ["h0", "c0"]
        .iter()
        .filter_map(|n| inputs.get(*n).copied())
        .collect()
}

/// A layer's results under PyTorch's names: `output`, `h_n` (and `c_n`).
fn named_outputs<'t>(
    out: Var<'t, f64>,
    finals: &[Var<'t, f64>],
) -> Vec<(&'static str, Var<'t, f64>)> {
    let mut outputs = vec![("output", out)];
    outputs.extend(["h_n", "c_n"].into_iter().zip(finals.iter().copied()));
    outputs
}

/// The case's float inputs as Vars that need a gradient, by name.
fn bind_inputs<'t>(case: &Value, tape: &'t Tape<f64>) -> BTreeMap<String, Var<'t, f64>> {
    case["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), tape.var(tensor(v))))
        .collect()
}

fn tape_for(case: &Value) -> Tape<f64> {
    match case["config"]["mode"].as_str() {
        Some("train") => Tape::training(0),
        Some("eval") => Tape::inference(),
        other => panic!("unknown mode {other:?}"),
    }
}

/// Compares `outputs` with the case's, then every gradient of the case's
/// loss: of the inputs by name, of the parameters by `param_grad`.
fn compare<'t>(
    case: &Value,
    label: &str,
    inputs: &BTreeMap<String, Var<'t, f64>>,
    outputs: &[(&str, Var<'t, f64>)],
    param_grad: impl Fn(&wengert_tensor::Grads<f64>, &str) -> Option<Tensor<f64>>,
) {
    let expected = case["outputs"].as_object().unwrap();
    assert_eq!(outputs.len(), expected.len(), "{label}: output count");
    let tape = outputs[0].1.tape();
    let mut loss = tape.scalar(0.0);
    for (name, y) in outputs {
        assert_matches(
            label,
            name,
            &y.value(),
            &tensor(&case["outputs"][*name]),
            TOL,
        );
        loss = loss + (*y * tape.constant(tensor(&case["upstream"][*name]))).sum();
    }
    let grads = loss.backward();
    for (name, want) in case["grads"].as_object().unwrap() {
        let got = match inputs.get(name) {
            Some(v) => grads.wrt(*v).cloned(),
            None => param_grad(&grads, name),
        }
        .unwrap_or_else(|| panic!("{label}: no gradient for {name}"));
        assert_matches(label, &format!("grad {name}"), &got, &tensor(want), TOL);
    }
}

/// A layer case: the stacked layer with every option of the case.
fn check_layer(name: &str) {
    let case = case(name);
    let kind = case["config"]["kind"].as_str().unwrap().to_owned();
    for fused in [true, false] {
        if kind != "LSTM" && !fused {
            continue;
        }
        let label = format!("{name} (fused {fused})");
        let mut layer = Layer::build(&kind, layer_config(&case).with_fused(fused), 0);
        load_params(&case, layer.module());
        let tape = tape_for(&case);
        let inputs = bind_inputs(&case, &tape);
        let state = initial_state(&inputs);
        let (out, finals) = layer.run(&tape, inputs["input"], &state);
        let outputs = named_outputs(out, &finals);
        let params = layer.module().params();
        compare(&case, &label, &inputs, &outputs, |g, n| {
            let p = params.iter().find(|(pn, _)| pn == n)?.1;
            g.get(p).cloned()
        });
    }
}

#[test]
fn bias_free_layers_match_pytorch() {
    check_layer("RNN_nobias_relu_2layer_bidirectional");
    check_layer("GRU_nobias_2layer_batch_first");
    check_layer("LSTM_nobias_2layer_bidirectional");
}

#[test]
fn projected_lstm_matches_pytorch_with_and_without_bias() {
    check_layer("LSTM_proj_2layer_bidirectional");
    check_layer("LSTM_proj_nobias_batch_first");
}

#[test]
fn unbatched_sequences_match_pytorch() {
    check_layer("RNN_unbatched_2layer_bidirectional");
    check_layer("GRU_unbatched_batch_first");
    check_layer("LSTM_unbatched_proj_2layer");
    check_layer("LSTM_unbatched_zero_state");
}

#[test]
fn empty_batches_through_the_layers_match_pytorch() {
    check_layer("RNN_batch0_2layer");
    check_layer("GRU_batch0_batch_first_bidirectional");
    check_layer("LSTM_batch0_proj_bidirectional");
}

#[test]
fn dropout_of_one_and_dropout_in_inference_match_pytorch() {
    check_layer("LSTM_dropout1_3layer_bidirectional_train");
    check_layer("RNN_dropout1_2layer_train");
    check_layer("GRU_dropout_2layer_eval");
}

/// Cell `layer` of a stacked case as a single-layer layer: the case's
/// config with one layer and no dropout, reading the previous layer's
/// outputs, with the stacked layer's `_l{layer}` parameters.
fn single_layer(case: &Value, layer: usize, fused: bool) -> Layer {
    let config = layer_config(case);
    let dirs = if config.bidirectional { 2 } else { 1 };
    let mut single = config.with_num_layers(1).with_dropout(0.0);
    if layer > 0 {
        single.input_size = dirs * config.output_size();
    }
    let kind = case["config"]["kind"].as_str().unwrap();
    let mut built = Layer::build(kind, single.with_fused(fused), 0);
    let suffix = format!("_l{layer}");
    for (n, p) in built.module().params_mut() {
        let stacked = n.replacen("_l0", &suffix, 1);
        p.set_value(tensor(&case["params"][&stacked])).unwrap();
    }
    built
}

/// Runs single layers one after the other, each from its slice of the
/// initial state, the outputs of every layer but the last multiplied by
/// `masks[layer]`; returns the output and the final state's blocks
/// stacked as the stacked layer returns them.
fn run_layer_by_layer<'t>(
    layers: &[Layer],
    tape: &'t Tape<f64>,
    x: Var<'t, f64>,
    state: &[Var<'t, f64>],
    masks: &[Var<'t, f64>],
) -> (Var<'t, f64>, Vec<Var<'t, f64>>) {
    let dirs = state[0].shape()[0] / layers.len();
    let mut finals: Vec<Vec<Var<'t, f64>>> = vec![Vec::new(); state.len()];
    let mut out = x;
    for (k, layer) in layers.iter().enumerate() {
        let mine: Vec<Var<'t, f64>> = state.iter().map(|s| s.narrow(0, k * dirs, dirs)).collect();
        let (y, last) = layer.run(tape, out, &mine);
        for (acc, part) in finals.iter_mut().zip(last) {
            acc.push(part);
        }
        out = match masks.get(k) {
            Some(&mask) => y * mask,
            None => y,
        };
    }
    let finals = finals.iter().map(|parts| Var::concat(parts, 0)).collect();
    (out, finals)
}

/// A dropout case with PyTorch's masks: single wengert layers and those
/// masks give PyTorch's stacked outputs and gradients.
fn check_dropout_masks(name: &str) {
    let case = case(name);
    let kind = case["config"]["kind"].as_str().unwrap().to_owned();
    let num_layers = cfg_usize(&case, "num_layers");
    for fused in [true, false] {
        if kind != "LSTM" && !fused {
            continue;
        }
        let label = format!("{name} (fused {fused})");
        let layers: Vec<Layer> = (0..num_layers)
            .map(|l| single_layer(&case, l, fused))
            .collect();
        let tape = tape_for(&case);
        let inputs = bind_inputs(&case, &tape);
        let state = initial_state(&inputs);
        let masks: Vec<Var<'_, f64>> = case["masks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| tape.constant(tensor(m)))
            .collect();
        assert_eq!(
            masks.len(),
            num_layers - 1,
            "{label}: one mask between layers"
        );
        let (out, finals) = run_layer_by_layer(&layers, &tape, inputs["input"], &state, &masks);
        let outputs = named_outputs(out, &finals);
        let params: Vec<Vec<(String, wengert_tensor::Param<f64>)>> =
            layers.iter().map(Layer::params).collect();
        compare(&case, &label, &inputs, &outputs, |g, n| {
            // `weight_ih_l1_reverse` is layer 1's `weight_ih_l0_reverse`.
            let at = n.find("_l").unwrap() + 2;
            let digits: String = n[at..].chars().take_while(char::is_ascii_digit).collect();
            let single = format!("{}0{}", &n[..at], &n[at + digits.len()..]);
            let p = &params[digits.parse::<usize>().unwrap()]
                .iter()
                .find(|(pn, _)| *pn == single)?
                .1;
            g.get(p).cloned()
        });
    }
}

#[test]
fn dropout_between_layers_matches_pytorch_given_its_masks() {
    check_dropout_masks("LSTM_dropout_masks_3layer_bidirectional_proj");
    check_dropout_masks("GRU_dropout_masks_2layer");
    check_dropout_masks("RNN_dropout_masks_3layer_bidirectional_nobias");
}

#[test]
fn stacked_dropout_is_single_layers_with_the_tapes_masks() {
    // Any weights: the statement is about wengert alone. PyTorch's side of
    // it (its stacked layer is this composition with its masks) is the
    // script's assertion and the test above.
    for name in [
        "LSTM_dropout_masks_3layer_bidirectional_proj",
        "GRU_dropout_masks_2layer",
        "RNN_dropout_masks_3layer_bidirectional_nobias",
    ] {
        let case = case(name);
        let kind = case["config"]["kind"].as_str().unwrap();
        let config = layer_config(&case);
        let mut stacked = Layer::build(kind, config, 0);
        load_params(&case, stacked.module());
        let layers: Vec<Layer> = (0..config.num_layers)
            .map(|l| single_layer(&case, l, true))
            .collect();
        let x = tensor(&case["inputs"]["input"]);
        let blocks: Vec<Tensor<f64>> = ["h0", "c0"]
            .iter()
            .filter_map(|n| case["inputs"].get(*n).map(tensor))
            .collect();
        let seed = 5;
        // The stacked layer on a training tape of this seed...
        let tape = Tape::training(seed);
        let state: Vec<Var<'_, f64>> = blocks.iter().map(|b| tape.constant(b.clone())).collect();
        let (out, finals) = stacked.run(&tape, tape.constant(x.clone()), &state);
        // ...and single layers with masks drawn from a tape of the same
        // seed, one Dropout over each boundary's [T, B, D*P] output in turn.
        let replay = Tape::training(seed);
        let width = out.shape()[2];
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        let ones = replay.constant(Tensor::ones(&[steps, batch, width]));
        let dropout = Dropout::new(config.dropout);
        let masks: Vec<Var<'_, f64>> = (1..config.num_layers)
            .map(|_| dropout.forward(&replay, ones).unwrap())
            .collect();
        assert!(
            masks.iter().any(|m| m.value().to_vec().contains(&0.0)),
            "{name}: some element drops"
        );
        let state: Vec<Var<'_, f64>> = blocks.iter().map(|b| replay.constant(b.clone())).collect();
        let (want, want_finals) =
            run_layer_by_layer(&layers, &replay, replay.constant(x), &state, &masks);
        assert_eq!(
            out.value().to_vec(),
            want.value().to_vec(),
            "{name}: output"
        );
        for (a, b) in finals.iter().zip(&want_finals) {
            assert_eq!(
                a.value().to_vec(),
                b.value().to_vec(),
                "{name}: final state"
            );
        }
    }
}

/// A cell case: one step from the case's state (or from zeros through
/// `Module::forward` when it has none).
fn check_cell(name: &str) {
    let case = case(name);
    let kind = case["config"]["kind"].as_str().unwrap().to_owned();
    let (i, h) = (
        cfg_usize(&case, "input_size"),
        cfg_usize(&case, "hidden_size"),
    );
    let bias = cfg_bool(&case, "bias");
    let rng = &mut seeded_rng(0);
    for fused in [true, false] {
        if kind != "LSTMCell" && !fused {
            continue;
        }
        let label = format!("{name} (fused {fused})");
        let tape = tape_for(&case);
        let inputs = bind_inputs(&case, &tape);
        let (x, h0, c0) = (inputs["input"], inputs.get("h0"), inputs.get("c0"));
        macro_rules! run_cell {
            ($cell:expr, $step:expr) => {{
                let mut cell = $cell;
                if !bias {
                    cell = cell.without_bias();
                }
                load_params(&case, &mut cell);
                let outputs = $step(&cell);
                let params = cell.params();
                compare(&case, &label, &inputs, &outputs, |g, n| {
                    g.get(params.iter().find(|(pn, _)| pn == n)?.1).cloned()
                });
            }};
        }
        match kind.as_str() {
            "RNNCell" => run_cell!(
                RnnCell::try_new(i, h, nonlinearity(&case), rng).unwrap(),
                |c: &RnnCell<f64>| match h0 {
                    Some(&h0) => vec![("h1", c.forward_step(&tape, x, h0).unwrap())],
                    None => vec![("h1", c.forward(&tape, x).unwrap())],
                }
            ),
            "GRUCell" => run_cell!(GruCell::new(i, h, rng), |c: &GruCell<f64>| match h0 {
                Some(&h0) => vec![("h1", c.forward_step(&tape, x, h0).unwrap())],
                None => vec![("h1", c.forward(&tape, x).unwrap())],
            }),
            "LSTMCell" => run_cell!(
                LstmCell::new(i, h, rng).with_fused(fused),
                |c: &LstmCell<f64>| {
                    let (h1, c1) = c
                        .forward_step(&tape, x, (*h0.unwrap(), *c0.unwrap()))
                        .unwrap();
                    vec![("h1", h1), ("c1", c1)]
                }
            ),
            other => panic!("unknown cell {other}"),
        }
    }
}

#[test]
fn bias_free_cells_match_pytorch() {
    check_cell("RNNCell_nobias_relu");
    check_cell("GRUCell_nobias");
    check_cell("LSTMCell_nobias");
}

#[test]
fn unbatched_cells_match_pytorch() {
    check_cell("RNNCell_unbatched");
    check_cell("GRUCell_unbatched_nobias");
    check_cell("LSTMCell_unbatched");
    check_cell("GRUCell_unbatched_zero_state");
}

#[test]
fn empty_batches_through_the_cells_match_pytorch() {
    check_cell("RNNCell_batch0");
    check_cell("GRUCell_batch0");
    check_cell("LSTMCell_batch0_nobias");
}
