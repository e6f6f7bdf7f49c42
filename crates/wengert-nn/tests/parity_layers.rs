//! PyTorch parity of the layer options: GELU's tanh approximation, Softplus
//! with beta and threshold, PReLU on a 0-d input, batch norm without running
//! statistics (1-d and 2-d, training and evaluation), LayerNorm with a weight
//! and no bias, and Embedding's max_norm (with norm_type) and
//! scale_grad_by_freq.
//!
//! Three kinds of test: golden cases computed by PyTorch in float64
//! (`golden/parity/layers.json`, written by `layers.py` beside it: outputs,
//! the gradients of every input and parameter to 1e-10, the state_dict's
//! names, and the table after a max_norm lookup); finite-difference checks
//! in f64; property tests over the options' ranges.

mod common;

use std::collections::BTreeMap;

use common::{
    assert_matches, assert_param_grads, indices, layer_case, read_json, shape as json_shape, tensor,
};
use proptest::prelude::*;
use serde_json::Value;
use wengert_nn::conv::BatchNorm2d;
use wengert_nn::{
    gradcheck_module, gradcheck_module_eval, state_dict, BatchNorm1d, BatchNormConfig, Embedding,
    GeluApproximate, LayerNormConfig, Module, ModuleParts, PReLU, Softplus, GELU,
};
use wengert_tensor::testing::{shape, tensor_away_from};
use wengert_tensor::{gradgradcheck, seeded_rng, Tape, Tensor, Tolerance};

const TOL: f64 = 1e-10;

fn cases() -> Value {
    read_json("parity/layers.json")
}

fn cfg<'c>(case: &'c Value, key: &str) -> &'c Value {
    let v = &case["config"][key];
    assert!(
        !v.is_null() || case["config"].get(key).is_some(),
        "{}: config.{key}",
        case["name"]
    );
    v
}

fn cfg_f64(case: &Value, key: &str) -> f64 {
    cfg(case, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
}

fn cfg_usize(case: &Value, key: &str) -> usize {
    cfg(case, key)
        .as_u64()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"])) as usize
}

fn cfg_bool(case: &Value, key: &str) -> bool {
    cfg(case, key)
        .as_bool()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
}

/// Our state_dict's names against PyTorch's (parameters and buffers).
fn assert_state_dict_names(case: &Value, module: &dyn Module<f64>) {
    let ours: Vec<String> = state_dict(module).keys().cloned().collect();
    let mut theirs: Vec<String> = case["state_dict_keys"]
        .as_array()
        .expect("state_dict_keys")
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs, "{}: state_dict names", case["name"]);
}

/// Sets the case's parameters into `module`, checking that the names are
/// exactly PyTorch's.
fn load_params(case: &Value, module: &mut dyn Module<f64>) {
    let params = case["params"].as_object().expect("params");
    let mut ours = module.param_names();
    ours.sort();
    let mut theirs: Vec<String> = params.keys().cloned().collect();
    theirs.sort();
    assert_eq!(ours, theirs, "{}: parameter names", case["name"]);
    for (n, p) in module.params_mut() {
        p.set_value(tensor(&params[&n])).unwrap();
    }
}

/// Runs a layer case: forward on the case's input (training or inference
/// tape by its mode), backward of sum(output * upstream), and compares the
/// output, the input's and every parameter's gradient, and the state_dict's
/// names.
fn check_layer(case_name: &str, build: impl FnOnce(&Value) -> Box<dyn Module<f64>>) {
    let case = layer_case(&cases(), case_name);
    let mut module = build(&case);
    load_params(&case, module.as_mut());
    assert_state_dict_names(&case, module.as_ref());
    let tape = if case["config"]["mode"] == "eval" {
        Tape::inference()
    } else {
        Tape::training(0)
    };
    let x = tape.var(tensor(&case["inputs"]["input"]));
    let y = module.forward(&tape, x).unwrap();
    let want = tensor(&case["outputs"]["output"]);
    assert_matches(case_name, "output", &y.value(), &want, TOL);
    let up = tape.constant(tensor(&case["upstream"]["output"]));
    let grads = (y * up).sum().backward();
    let want = tensor(&case["grads"]["input"]);
    assert_matches(case_name, "grad input", grads.wrt(x).unwrap(), &want, TOL);
    assert_param_grads(case_name, &module, &grads, &case, TOL);
}

// ---- golden cases ---------------------------------------------------------

#[test]
fn gelu_tanh_approximation_matches_pytorch() {
    check_layer("GELU_tanh", |c| {
        let approximate: GeluApproximate = cfg(c, "approximate").as_str().unwrap().parse().unwrap();
        assert_eq!(approximate, GeluApproximate::Tanh);
        Box::new(GELU::new(approximate))
    });
}

#[test]
fn softplus_beta_and_threshold_match_pytorch_on_both_sides_of_the_threshold() {
    for name in [
        "Softplus_beta2_threshold5",
        "Softplus_beta0.5_threshold1",
        "Softplus_beta_negative",
        "Softplus_threshold_negative",
    ] {
        check_layer(name, |c| {
            Box::new(Softplus::new(cfg_f64(c, "beta"), cfg_f64(c, "threshold")))
        });
    }
}

#[test]
fn prelu_with_one_slope_keeps_a_zero_dim_input_zero_dim_as_pytorch() {
    for name in ["PReLU_scalar_negative", "PReLU_scalar_positive"] {
        // assert_matches checks the shape too: PyTorch's output is [].
        check_layer(name, |c| {
            Box::new(PReLU::<f64>::new(cfg_usize(c, "num_parameters")))
        });
    }
}

fn batch_norm_config(c: &Value) -> BatchNormConfig {
    BatchNormConfig::new(cfg_usize(c, "num_features"))
        .with_eps(cfg_f64(c, "eps"))
        .with_affine(cfg_bool(c, "affine"))
        .with_track_running_stats(cfg_bool(c, "track_running_stats"))
}

#[test]
fn batch_norm_without_running_stats_matches_pytorch_in_training_and_evaluation() {
    for name in [
        "BatchNorm1d_untracked_train",
        "BatchNorm1d_untracked_eval_3d",
        "BatchNorm1d_untracked_eval_no_affine",
    ] {
        check_layer(name, |c| {
            Box::new(BatchNorm1d::from_config(batch_norm_config(c)))
        });
    }
    for name in ["BatchNorm2d_untracked_train", "BatchNorm2d_untracked_eval"] {
        check_layer(name, |c| {
            Box::new(BatchNorm2d::from_config(batch_norm_config(c)))
        });
    }
}

#[test]
fn layer_norm_with_a_weight_and_no_bias_matches_pytorch() {
    for name in [
        "LayerNorm_no_bias",
        "LayerNorm_no_bias_2d",
        "LayerNorm_bias_without_affine",
    ] {
        check_layer(name, |c| {
            let shape: Vec<usize> = cfg(c, "normalized_shape")
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let config = LayerNormConfig::new(&shape)
                .with_eps(cfg_f64(c, "eps"))
                .with_elementwise_affine(cfg_bool(c, "elementwise_affine"))
                .with_bias(cfg_bool(c, "bias"));
            Box::new(config.build::<f64>().unwrap())
        });
    }
}

fn embedding_from(case: &Value) -> Embedding<f64> {
    let mut emb = Embedding::from_tensor(tensor(&case["params"]["weight"])).unwrap();
    assert_eq!(emb.num_embeddings(), cfg_usize(case, "num_embeddings"));
    assert_eq!(emb.embedding_dim(), cfg_usize(case, "embedding_dim"));
    if let Some(p) = cfg(case, "padding_idx").as_u64() {
        emb = emb.with_padding_idx(p as usize);
    }
    if let Some(m) = cfg(case, "max_norm").as_f64() {
        emb = emb.with_max_norm(m);
    }
    let norm_type = match cfg(case, "norm_type") {
        Value::String(s) if s == "inf" => f64::INFINITY,
        v => v.as_f64().expect("norm_type"),
    };
    emb.with_norm_type(norm_type)
        .with_scale_grad_by_freq(cfg_bool(case, "scale_grad_by_freq"))
}

/// An embedding case: one or more lookups through the same layer (in the
/// case's order), one backward of the sum of sum(output_k * upstream_k),
/// then the output(s), the table's gradient, and the table PyTorch holds
/// afterwards (renormalised in place under max_norm).
fn check_embedding(case_name: &str) {
    let case = layer_case(&cases(), case_name);
    let mut emb = embedding_from(&case);
    assert_state_dict_names(&case, &emb);
    let before = tensor(&case["params"]["weight"]);
    let tape = Tape::new();
    let mut loss = None;
    for (key, idx) in case["inputs"].as_object().unwrap() {
        let out_key = key.replace("indices", "output");
        let y = emb.lookup(&tape, &indices(idx), &json_shape(idx)).unwrap();
        let want = tensor(&case["outputs"][&out_key]);
        assert_matches(case_name, &out_key, &y.value(), &want, TOL);
        let term = (y * tape.constant(tensor(&case["upstream"][&out_key]))).sum();
        loss = Some(match loss {
            None => term,
            Some(l) => l + term,
        });
    }
    let grads = loss.unwrap().backward();
    let want = tensor(&case["grads"]["weight"]);
    assert_matches(
        case_name,
        "grad weight",
        grads.get(emb.weight()).unwrap(),
        &want,
        TOL,
    );
    // Through a shared borrow the table is still the one before the passes;
    // the mutable visitor (what an optimizer step uses) sees PyTorch's.
    assert_eq!(
        emb.weight().value().to_vec(),
        before.to_vec(),
        "{case_name}: table before"
    );
    let after = tensor(&case["params_after"]["weight"]);
    for (_, p) in emb.params_mut() {
        assert_matches(case_name, "weight after", p.value(), &after, TOL);
    }
}

#[test]
fn embedding_max_norm_matches_pytorch_for_each_norm_type() {
    for name in [
        "Embedding_max_norm",
        "Embedding_max_norm_p1",
        "Embedding_max_norm_inf",
        "Embedding_max_norm_p3.5",
    ] {
        check_embedding(name);
    }
}

#[test]
fn embedding_scale_grad_by_freq_matches_pytorch_with_padding_and_max_norm() {
    check_embedding("Embedding_scale_grad_by_freq");
    check_embedding("Embedding_max_norm_scale_grad_padding");
}

#[test]
fn embedding_two_lookups_before_a_step_match_pytorch() {
    check_embedding("Embedding_max_norm_two_lookups");
}

// ---- finite differences ---------------------------------------------------

/// Smallest per-channel variance of `[N, C, *]` (normalization layers divide
/// by it; a near-constant channel makes differences ill-conditioned).
fn min_channel_variance(x: &Tensor<f64>) -> f64 {
    let s = x.shape().to_vec();
    let (n, c) = (s[0], s[1]);
    let inner: usize = s[2..].iter().product();
    let v = x.to_vec();
    (0..c)
        .map(|ch| {
            let vals: Vec<f64> = (0..n)
                .flat_map(|i| (0..inner).map(move |k| (i * c + ch) * inner + k))
                .map(|i| v[i])
                .collect();
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn randomize_params(m: &mut dyn Module<f64>, seed: u64) {
    let mut rng = seeded_rng(seed);
    for (_, p) in m.params_mut() {
        let t = Tensor::rand_uniform(p.shape(), 0.5, 1.5, &mut rng);
        p.set_value(t).unwrap();
    }
}

#[test]
fn prelu_zero_dim_gradients_match_finite_differences() {
    for value in [-1.3, 0.8] {
        let mut layer = PReLU::<f64>::new(1);
        let x = Tensor::from_vec(vec![value], &[]);
        gradcheck_module(&mut layer, &x, Tolerance::default()).unwrap();
    }
}

/// phi(W) = sum(u * lookup(W)) for the layer's current table, by central
/// differences in each table entry (the layer's own forward, options
/// included).
fn embedding_numeric_grad(emb: &mut Embedding<f64>, idx: &[usize], u: &Tensor<f64>) -> Vec<f64> {
    let phi = |emb: &Embedding<f64>| {
        let tape = Tape::new();
        let y = emb.lookup(&tape, idx, &[idx.len()]).unwrap();
        (y * tape.constant(u.clone())).sum().value().item()
    };
    let eps = 1e-6;
    let n = emb.weight().numel();
    let mut out = Vec::with_capacity(n);
    for j in 0..n {
        let mut at = |delta: f64| {
            for (_, p) in emb.params_mut() {
                p.value_mut().data_mut()[j] += delta;
            }
            phi(emb)
        };
        let plus = at(eps);
        let minus = at(-2.0 * eps);
        at(eps);
        out.push((plus - minus) / (2.0 * eps));
    }
    out
}

fn embedding_analytic_grad(emb: &Embedding<f64>, idx: &[usize], u: &Tensor<f64>) -> Vec<f64> {
    let tape = Tape::new();
    let y = emb.lookup(&tape, idx, &[idx.len()]).unwrap();
    let g = (y * tape.constant(u.clone())).sum().backward();
    g.get(emb.weight()).unwrap().to_vec()
}

fn counts(idx: &[usize]) -> BTreeMap<usize, usize> {
    let mut c = BTreeMap::new();
    for &i in idx {
        *c.entry(i).or_insert(0) += 1;
    }
    c
}

// ---- property tests over the options' ranges ------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn gelu_tanh_gradients_and_second_derivatives_match_finite_differences(
        x in wengert_tensor::testing::tensor(3, 4, -4.0..4.0),
    ) {
        let mut layer = GELU::tanh();
        gradcheck_module(&mut layer, &x, Tolerance::default()).unwrap();
        gradgradcheck(|tape, xs| layer.forward(tape, xs[0]).unwrap(), std::slice::from_ref(&x), Tolerance::default()).unwrap();
    }

    #[test]
    fn softplus_gradients_match_finite_differences_over_beta_and_threshold(
        (beta, threshold, x) in (prop_oneof![-4.0..-0.25, 0.25..4.0], -3.0..25.0f64, shape(3, 4))
            .prop_flat_map(|(beta, threshold, s)| {
                // keep away from the switch at beta x = threshold
                let x = tensor_away_from(s, -6.0..6.0, vec![threshold / beta], 1e-3);
                (Just(beta), Just(threshold), x)
            }),
    ) {
        let mut layer = Softplus::new(beta, threshold);
        gradcheck_module(&mut layer, &x, Tolerance::default()).unwrap();
        gradgradcheck(|tape, xs| layer.forward(tape, xs[0]).unwrap(), std::slice::from_ref(&x), Tolerance::default()).unwrap();
        // Above the threshold the layer is the identity, exactly.
        let tape = Tape::<f64>::inference();
        let y = layer.forward(&tape, tape.constant(x.clone())).unwrap().value().to_vec();
        for (xi, yi) in x.to_vec().iter().zip(&y) {
            if beta * xi > threshold {
                prop_assert_eq!(xi, yi);
            }
        }
    }

    #[test]
    fn untracked_batch_norm_uses_batch_stats_in_both_modes_and_passes_gradcheck(
        (n, c, l) in (2usize..5, 1usize..4, 0usize..3),
        eps in 1e-5..1e-1f64,
        affine in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let shape = if l == 0 { vec![n, c] } else { vec![n, c, l] };
        let x = Tensor::rand_uniform(&shape, -2.0, 2.0, &mut seeded_rng(seed));
        prop_assume!(min_channel_variance(&x) > 0.05);
        let config = BatchNormConfig::new(c).with_eps(eps).with_affine(affine).with_track_running_stats(false);
        let mut bn = BatchNorm1d::<f64>::from_config(config);
        randomize_params(&mut bn, seed ^ 1);
        prop_assert!(!bn.tracks_running_stats());
        let mut buffers = 0;
        bn.visit_buffers(&mut |_, _| buffers += 1);
        prop_assert_eq!(buffers, 0);
        let run = |tape: Tape<f64>| bn.forward(&tape, tape.constant(x.clone())).unwrap().value().to_vec();
        prop_assert_eq!(run(Tape::training(0)), run(Tape::inference()));
        gradcheck_module(&mut bn, &x, Tolerance::default()).unwrap();
        gradcheck_module_eval(&mut bn, &x, Tolerance::default()).unwrap();
    }

    #[test]
    fn untracked_batch_norm_2d_passes_gradcheck_in_evaluation(
        (n, c, h, w) in (1usize..3, 1usize..3, 1usize..3, 2usize..4),
        seed in any::<u64>(),
    ) {
        let x = Tensor::rand_uniform(&[n, c, h, w], -2.0, 2.0, &mut seeded_rng(seed));
        prop_assume!(min_channel_variance(&x) > 0.05);
        let mut bn = BatchNorm2d::<f64>::from_config(BatchNormConfig::new(c).with_track_running_stats(false));
        randomize_params(&mut bn, seed ^ 1);
        gradcheck_module_eval(&mut bn, &x, Tolerance::default()).unwrap();
    }

    #[test]
    fn layer_norm_without_bias_passes_gradcheck_and_lists_only_its_weight(
        (lead, norm) in (shape(2, 3), shape(2, 3)),
        eps in 1e-5..1e-1f64,
        seed in any::<u64>(),
    ) {
        let full: Vec<usize> = lead.iter().chain(&norm).copied().collect();
        let x = Tensor::rand_uniform(&full, -2.0, 2.0, &mut seeded_rng(seed));
        let mut ln = LayerNormConfig::new(&norm).with_eps(eps).with_bias(false).build::<f64>().unwrap();
        prop_assert_eq!(ln.param_names(), vec!["weight".to_string()]);
        prop_assert!(ln.bias().is_none());
        randomize_params(&mut ln, seed ^ 1);
        gradcheck_module(&mut ln, &x, Tolerance::default()).unwrap();
    }

    #[test]
    fn embedding_scale_grad_by_freq_divides_the_derivative_by_the_count(
        (num, dim) in (1usize..6, 1usize..4),
        idx in prop::collection::vec(0usize..6, 1..8),
        seed in any::<u64>(),
    ) {
        let idx: Vec<usize> = idx.into_iter().map(|i| i % num).collect();
        let w = Tensor::rand_uniform(&[num, dim], -2.0, 2.0, &mut seeded_rng(seed));
        let u = Tensor::rand_uniform(&[idx.len(), dim], -1.0, 1.0, &mut seeded_rng(seed ^ 1));
        let mut emb = Embedding::from_tensor(w).unwrap().with_scale_grad_by_freq(true);
        let analytic = embedding_analytic_grad(&emb, &idx, &u);
        let numeric = embedding_numeric_grad(&mut emb, &idx, &u);
        let counts = counts(&idx);
        for (j, (a, d)) in analytic.iter().zip(&numeric).enumerate() {
            let count = counts.get(&(j / dim)).copied().unwrap_or(1) as f64;
            prop_assert!((a * count - d).abs() < 1e-6, "element {}: {} * {} vs finite difference {}", j, a, count, d);
        }
    }

    #[test]
    fn embedding_max_norm_bounds_every_looked_up_row_and_keeps_its_direction(
        (num, dim) in (1usize..6, 1usize..5),
        idx in prop::collection::vec(0usize..6, 1..8),
        max_norm in 0.05..3.0f64,
        norm_type in prop_oneof![Just(f64::INFINITY), 0.5..5.0f64],
        seed in any::<u64>(),
    ) {
        let idx: Vec<usize> = idx.into_iter().map(|i| i % num).collect();
        let w = Tensor::rand_uniform(&[num, dim], -2.0, 2.0, &mut seeded_rng(seed));
        let mut emb = Embedding::from_tensor(w.clone()).unwrap().with_max_norm(max_norm).with_norm_type(norm_type);
        let tape = Tape::<f64>::inference();
        let y = emb.lookup(&tape, &idx, &[idx.len()]).unwrap().value().to_vec();
        let w = w.to_vec();
        let norm = |r: &[f64]| if norm_type.is_infinite() {
            r.iter().fold(0.0f64, |m, v| m.max(v.abs()))
        } else {
            r.iter().map(|v| v.abs().powf(norm_type)).sum::<f64>().powf(1.0 / norm_type)
        };
        for (pos, &i) in idx.iter().enumerate() {
            let (out, orig) = (&y[pos * dim..(pos + 1) * dim], &w[i * dim..(i + 1) * dim]);
            let n = norm(orig);
            if n <= max_norm {
                prop_assert_eq!(out, orig, "a row within max_norm is read unchanged");
            } else {
                prop_assert!(norm(out) <= max_norm * (1.0 + 1e-12));
                let s = max_norm / (n + 1e-7);
                for (o, v) in out.iter().zip(orig) {
                    prop_assert!((o - v * s).abs() <= 1e-15 * (1.0 + v.abs()), "{} vs {} * {}", o, v, s);
                }
            }
        }
        // The table takes the looked-up rows; the others stay.
        let table = { let mut t = Vec::new(); for (_, p) in emb.params_mut() { t = p.value().to_vec(); } t };
        for row in 0..num {
            let stored = &table[row * dim..(row + 1) * dim];
            match idx.iter().position(|&i| i == row) {
                Some(pos) => prop_assert_eq!(stored, &y[pos * dim..(pos + 1) * dim]),
                None => prop_assert_eq!(stored, &w[row * dim..(row + 1) * dim]),
            }
        }
    }

    #[test]
    fn embedding_max_norm_gradient_is_the_plain_lookups_on_the_renormalised_table(
        (num, dim) in (1usize..6, 1usize..4),
        idx in prop::collection::vec(0usize..6, 1..8),
        max_norm in 0.05..3.0f64,
        seed in any::<u64>(),
    ) {
        // PyTorch renormalises without a gradient: dW is the derivative of
        // the plain lookup of the renormalised table.
        let idx: Vec<usize> = idx.into_iter().map(|i| i % num).collect();
        let w = Tensor::rand_uniform(&[num, dim], -2.0, 2.0, &mut seeded_rng(seed));
        let u = Tensor::rand_uniform(&[idx.len(), dim], -1.0, 1.0, &mut seeded_rng(seed ^ 1));
        let mut emb = Embedding::from_tensor(w).unwrap().with_max_norm(max_norm);
        let analytic = embedding_analytic_grad(&emb, &idx, &u);
        emb.write_renormed_rows();
        let mut plain = Embedding::from_tensor(emb.weight().value().clone()).unwrap();
        let numeric = embedding_numeric_grad(&mut plain, &idx, &u);
        for (j, (a, d)) in analytic.iter().zip(&numeric).enumerate() {
            prop_assert!((a - d).abs() < 1e-6, "element {}: {} vs finite difference {}", j, a, d);
        }
    }
}

// ---- errors and contracts -------------------------------------------------

#[test]
fn untracked_batch_norm_refuses_one_value_per_channel_in_evaluation_too() {
    let bn =
        BatchNorm1d::<f64>::from_config(BatchNormConfig::new(2).with_track_running_stats(false));
    let tape = Tape::inference();
    let e = bn
        .forward(&tape, tape.constant(Tensor::ones(&[1, 2])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("BatchNorm1d(2)") && e.contains("track_running_stats = false"),
        "{e}"
    );
}

#[test]
#[should_panic(
    expected = "BatchNorm2d(3).running_mean(): the layer was built with track_running_stats = false"
)]
fn untracked_batch_norm_has_no_running_mean_to_read() {
    let bn =
        BatchNorm2d::<f64>::from_config(BatchNormConfig::new(3).with_track_running_stats(false));
    let _ = bn.running_mean();
}

#[test]
fn untracked_batch_norm_refuses_running_stats_to_set() {
    let mut bn =
        BatchNorm1d::<f64>::from_config(BatchNormConfig::new(2).with_track_running_stats(false));
    let e = bn
        .set_running_stats(Tensor::zeros(&[2]), Tensor::ones(&[2]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("track_running_stats = false"), "{e}");
}

#[test]
fn gelu_approximate_takes_pytorchs_two_names_only() {
    assert_eq!(
        "none".parse::<GeluApproximate>().unwrap(),
        GeluApproximate::None
    );
    let e = "Tanh".parse::<GeluApproximate>().unwrap_err().to_string();
    assert!(
        e.contains("GELU") && e.contains("'none' or 'tanh'") && e.contains("'Tanh'"),
        "{e}"
    );
    // The value `GELU` is PyTorch's default, the exact form.
    assert_eq!(GELU, GELU::new(GeluApproximate::None));
    assert_eq!(Softplus, Softplus::new(1.0, 20.0));
}

#[test]
#[should_panic(expected = "Embedding(4, 2): max_norm must be at least 0, got -1")]
fn embedding_refuses_a_negative_max_norm() {
    let _ = Embedding::<f64>::new(4, 2, &mut seeded_rng(0)).with_max_norm(-1.0);
}

#[test]
#[should_panic(expected = "Embedding(4, 2): norm_type must be a p > 0 or infinity, got 0")]
fn embedding_refuses_a_norm_type_that_is_not_a_norm() {
    let _ = Embedding::<f64>::new(4, 2, &mut seeded_rng(0)).with_norm_type(0.0);
}

#[test]
fn embedding_max_norm_renormalises_in_inference_passes_too() {
    // PyTorch renormalises whenever max_norm is set, in eval mode and under
    // no_grad as well: row [3, 4] (norm 5) bounded by 1 reads [0.6, 0.8] / (1 + 2e-8).
    let mut emb = Embedding::from_tensor(Tensor::from_vec(vec![3.0, 4.0, 0.3, 0.4], &[2, 2]))
        .unwrap()
        .with_max_norm(1.0);
    let tape = Tape::<f64>::inference();
    let y = emb.lookup(&tape, &[0, 1], &[2]).unwrap().value().to_vec();
    let s = 1.0 / (5.0 + 1e-7);
    assert_eq!(y, vec![3.0 * s, 4.0 * s, 0.3, 0.4]);
    emb.write_renormed_rows();
    assert_eq!(emb.weight().value().to_vec(), y);
}
