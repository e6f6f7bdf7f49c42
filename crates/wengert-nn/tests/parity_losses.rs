//! The losses' PyTorch options against PyTorch (issue 13): cross-entropy
//! and NLL with per-class `weight`, `ignore_index`, K-dimensional and
//! unbatched input, label smoothing and class-probability targets;
//! `bce_with_logits` with `weight` and `pos_weight`; the cases PyTorch
//! answers with NaN. Then finite-difference gradient checks (first and
//! second derivatives) in f64, property tests over random shapes and
//! option values, and the errors.
//!
//! Reference: `parity/losses.json` of the golden folder, written by
//! `parity/losses.py` (PyTorch, float64). Each case holds the options,
//! inputs, an upstream tensor, the output and the gradients of
//! `sum(output * upstream)`.

mod common;

use common::{assert_matches, indices, read_json};
use proptest::prelude::*;
use serde_json::Value;
use wengert_nn::loss::{
    bce_with_logits, bce_with_logits_with, cross_entropy_probs, cross_entropy_with, nll_loss_with,
    try_bce_with_logits_with, try_cross_entropy_probs, try_cross_entropy_with, try_huber_loss,
    try_l1_loss, try_mse_loss, try_nll_loss_with, BceWithLogitsOptions, CrossEntropyOptions,
    NllLossOptions, Reduction,
};
use wengert_tensor::testing::tensor_with_shape;
use wengert_tensor::{gradcheck, gradgradcheck, Float, Tape, Tensor, Tolerance, Var};

const TOL: f64 = 1e-10;

// ---------------------------------------------------------------------------
// Reading the golden file

fn cases() -> Vec<Value> {
    read_json("parity/losses.json")["cases"]
        .as_array()
        .expect("cases")
        .clone()
}

fn cases_of(function: &str) -> Vec<Value> {
    let found: Vec<Value> = cases()
        .into_iter()
        .filter(|c| c["function"] == function)
        .collect();
    assert!(!found.is_empty(), "no golden case for {function}");
    found
}

fn tensor(v: &Value) -> Tensor<f64> {
    assert_eq!(v["dtype"], "float64", "expected a float64 tensor");
    common::tensor(v)
}

fn optional_tensor(v: &Value) -> Option<Tensor<f64>> {
    (!v.is_null()).then(|| tensor(v))
}

fn reduction(config: &Value) -> Reduction {
    match config["reduction"].as_str().expect("reduction") {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        other => panic!("unknown reduction {other}"),
    }
}

fn ce_options(config: &Value) -> CrossEntropyOptions<f64> {
    CrossEntropyOptions {
        weight: optional_tensor(&config["weight"]),
        ignore_index: config["ignore_index"].as_u64().map(|k| k as usize),
        label_smoothing: config["label_smoothing"].as_f64().expect("label_smoothing"),
        reduction: reduction(config),
    }
}

/// Runs `loss` on the case's input (and float target, as a variable) and
/// checks the output and the gradients of `sum(output * upstream)`.
fn check_case<F>(case: &Value, float_target: bool, loss: F)
where
    F: for<'t> Fn(Var<'t, f64>, Option<Var<'t, f64>>, &Value) -> Var<'t, f64>,
{
    let name = case["name"].as_str().expect("name");
    let tape = Tape::<f64>::new();
    let x = tape.var(tensor(&case["inputs"]["input"]));
    let t = float_target.then(|| tape.var(tensor(&case["inputs"]["target"])));
    let out = loss(x, t, case);
    assert_matches(name, "output", &out.value(), &tensor(&case["output"]), TOL);
    let upstream = tape.constant(tensor(&case["upstream"]));
    let grads = (out * upstream).sum().backward();
    let gx = grads
        .wrt(x)
        .unwrap_or_else(|| panic!("{name}: no input gradient"));
    assert_matches(
        name,
        "input gradient",
        gx,
        &tensor(&case["grads"]["input"]),
        TOL,
    );
    if let Some(t) = t {
        let gt = grads
            .wrt(t)
            .unwrap_or_else(|| panic!("{name}: no target gradient"));
        assert_matches(
            name,
            "target gradient",
            gt,
            &tensor(&case["grads"]["target"]),
            TOL,
        );
    }
}

// ---------------------------------------------------------------------------
// Against PyTorch

#[test]
fn every_golden_case_names_a_loss_tested_here() {
    for c in cases() {
        let f = c["function"].as_str().expect("function");
        assert!(
            [
                "cross_entropy",
                "cross_entropy_probs",
                "nll_loss",
                "bce_with_logits"
            ]
            .contains(&f),
            "{}: unknown function {f}",
            c["name"]
        );
    }
}

#[test]
fn cross_entropy_with_weight_ignore_index_smoothing_kdim_and_unbatched_matches_pytorch() {
    for case in cases_of("cross_entropy") {
        check_case(&case, false, |x, _, c| {
            let targets = indices(&c["inputs"]["target"]);
            cross_entropy_with(x, &targets, &ce_options(&c["config"]))
        });
    }
}

#[test]
fn cross_entropy_with_class_probabilities_matches_pytorch_for_both_gradients() {
    for case in cases_of("cross_entropy_probs") {
        check_case(&case, true, |x, t, c| {
            cross_entropy_probs(x, t.unwrap(), &ce_options(&c["config"]))
        });
    }
}

#[test]
fn nll_loss_with_weight_ignore_index_kdim_and_unbatched_matches_pytorch() {
    for case in cases_of("nll_loss") {
        check_case(&case, false, |x, _, c| {
            let config = &c["config"];
            let options = NllLossOptions {
                weight: optional_tensor(&config["weight"]),
                ignore_index: config["ignore_index"].as_u64().map(|k| k as usize),
                reduction: reduction(config),
            };
            nll_loss_with(x, &indices(&c["inputs"]["target"]), &options)
        });
    }
}

#[test]
fn bce_with_logits_with_weight_and_pos_weight_matches_pytorch_for_both_gradients() {
    for case in cases_of("bce_with_logits") {
        check_case(&case, true, |x, t, c| {
            let config = &c["config"];
            let options = BceWithLogitsOptions {
                weight: optional_tensor(&config["weight"]),
                pos_weight: optional_tensor(&config["pos_weight"]),
                reduction: reduction(config),
            };
            bce_with_logits_with(x, t.unwrap(), &options)
        });
    }
}

#[test]
fn all_ignored_mean_is_nan_with_a_zero_gradient_and_sum_is_zero() {
    // PyTorch: 0/0 for the mean, and nothing flows to ignored positions.
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::from_f64(&[0.5, -1.0, 2.0, 0.1, 0.2, 0.3], &[2, 3]));
    let options = CrossEntropyOptions::new()
        .ignore_index(1)
        .label_smoothing(0.2);
    let mean = cross_entropy_with(z, &[1, 1], &options);
    assert!(mean.item().is_nan());
    assert_eq!(mean.backward().wrt(z).unwrap().to_vec(), vec![0.0; 6]);
    let sum = cross_entropy_with(z, &[1, 1], &options.reduction(Reduction::Sum));
    assert_eq!(sum.item(), 0.0);
}

// ---------------------------------------------------------------------------
// Gradient checks in f64

/// gradcheck and gradgradcheck with the default tolerance.
fn check_first_and_second_derivatives<F>(f: F, inputs: &[Tensor<f64>])
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    gradcheck(&f, inputs, Tolerance::default()).unwrap();
    gradgradcheck(&f, inputs, Tolerance::default()).unwrap();
}

fn logits(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn(shape, &mut wengert_tensor::seeded_rng(seed)).mul_scalar(2.0)
}

fn soft_targets(shape: &[usize], axis: usize, seed: u64) -> Tensor<f64> {
    logits(shape, seed).softmax(axis)
}

#[test]
fn cross_entropy_kdim_with_every_option_passes_gradcheck_and_gradgradcheck() {
    // [N, C, d1, d2] = [2, 3, 2, 2]: eight positions, two ignored (9).
    let z = logits(&[2, 3, 2, 2], 1);
    let targets = [0, 2, 9, 1, 1, 0, 2, 9];
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let options = CrossEntropyOptions::new()
            .weight(Tensor::from_f64(&[0.5, 2.0, 1.3], &[3]))
            .ignore_index(9)
            .label_smoothing(0.2)
            .reduction(reduction);
        check_first_and_second_derivatives(
            |_, v| cross_entropy_with(v[0], &targets, &options),
            std::slice::from_ref(&z),
        );
    }
}

#[test]
fn unbatched_cross_entropy_and_nll_pass_gradcheck() {
    let z = logits(&[4], 2);
    let w = Tensor::from_f64(&[1.0, 0.3, 2.0, 0.7], &[4]);
    let ce = CrossEntropyOptions::new()
        .weight(w.clone())
        .label_smoothing(0.1);
    let nll = NllLossOptions::new().weight(w).reduction(Reduction::None);
    let tol = Tolerance::default();
    gradcheck(
        |_, v| cross_entropy_with(v[0], &[2], &ce),
        std::slice::from_ref(&z),
        tol,
    )
    .unwrap();
    gradgradcheck(
        |_, v| cross_entropy_with(v[0], &[2], &ce),
        std::slice::from_ref(&z),
        tol,
    )
    .unwrap();
    gradcheck(|_, v| nll_loss_with(v[0], &[3], &nll), &[z], tol).unwrap();
}

#[test]
fn cross_entropy_probs_passes_gradcheck_for_logits_and_probabilities() {
    let inputs = [logits(&[2, 3, 2], 3), soft_targets(&[2, 3, 2], 1, 4)];
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let options = CrossEntropyOptions::new()
            .weight(Tensor::from_f64(&[0.5, 2.0, 1.3], &[3]))
            .label_smoothing(0.3)
            .reduction(reduction);
        check_first_and_second_derivatives(
            |_, v| cross_entropy_probs(v[0], v[1], &options),
            &inputs,
        );
    }
}

#[test]
fn nll_kdim_with_weight_and_ignore_index_passes_gradcheck() {
    let x = logits(&[2, 3, 3], 5);
    let targets = [0, 255, 2, 1, 1, 255];
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let options = NllLossOptions::new()
            .weight(Tensor::from_f64(&[0.5, 2.0, 1.3], &[3]))
            .ignore_index(255)
            .reduction(reduction);
        gradcheck(
            |_, v| nll_loss_with(v[0], &targets, &options),
            std::slice::from_ref(&x),
            Tolerance::default(),
        )
        .unwrap();
    }
}

#[test]
fn bce_with_pos_weight_and_weight_passes_gradcheck_and_gradgradcheck() {
    let x = logits(&[2, 3, 2], 6);
    let t = Tensor::rand_uniform(&[2, 3, 2], 0.0, 1.0, &mut wengert_tensor::seeded_rng(7));
    let inputs = [x, t];
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let options = BceWithLogitsOptions::new()
            .pos_weight(Tensor::from_f64(&[3.0, 0.4, 1.0], &[3, 1]))
            .weight(Tensor::from_f64(&[0.5, 2.0], &[2]))
            .reduction(reduction);
        check_first_and_second_derivatives(
            |_, v| bce_with_logits_with(v[0], v[1], &options),
            &inputs,
        );
    }
}

// ---------------------------------------------------------------------------
// Properties over random shapes and options

fn reduction_strategy() -> impl Strategy<Value = Reduction> {
    prop_oneof![
        Just(Reduction::Mean),
        Just(Reduction::Sum),
        Just(Reduction::None)
    ]
}

/// A K-dimensional classification problem: logits `[N, C, d...]` (0 to 2
/// trailing axes), class weights in [0.2, 2], one target per position of
/// `[N, d...]`, about one in four of them the ignore value `C + 1` (and at
/// least one not), label smoothing in [0, 1].
#[derive(Clone, Debug)]
struct Problem {
    logits: Tensor<f64>,
    targets: Vec<usize>,
    weight: Tensor<f64>,
    smoothing: f64,
}

fn problem() -> impl Strategy<Value = Problem> {
    (1usize..4, 2usize..5, prop::collection::vec(1usize..4, 0..3)).prop_flat_map(|(n, c, d)| {
        let mut shape = vec![n, c];
        shape.extend(&d);
        let positions = n * d.iter().product::<usize>();
        (
            tensor_with_shape(shape, -4.0..4.0),
            prop::collection::vec(prop_oneof![3 => 0..c, 1 => Just(c + 1)], positions),
            tensor_with_shape(vec![c], 0.2..2.0),
            prop_oneof![Just(0.0), Just(1.0), 0.0..1.0f64],
        )
            .prop_map(move |(logits, mut targets, weight, smoothing)| {
                if targets.iter().all(|&t| t == c + 1) {
                    targets[0] = 0;
                }
                Problem {
                    logits,
                    targets,
                    weight,
                    smoothing,
                }
            })
    })
}

impl Problem {
    fn options(&self, reduction: Reduction) -> CrossEntropyOptions<f64> {
        CrossEntropyOptions::new()
            .weight(self.weight.clone())
            .ignore_index(self.logits.shape()[1] + 1)
            .label_smoothing(self.smoothing)
            .reduction(reduction)
    }

    /// The logits as `[N * d..., C]`: one row per position.
    fn as_rows(&self) -> Tensor<f64> {
        positions_as_rows(&self.logits)
    }
}

/// `[N, C, d...]` as `[N * d..., C]`: one row per position, in the
/// targets' row-major order.
fn positions_as_rows(t: &Tensor<f64>) -> Tensor<f64> {
    let shape = t.shape();
    let c = shape[1];
    let mut perm = vec![0];
    perm.extend(2..shape.len());
    perm.push(1);
    let positions = t.numel() / c;
    t.permute(&perm).contiguous().reshape(&[positions, c])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn kdim_cross_entropy_equals_the_same_positions_as_rows(p in problem(), r in reduction_strategy()) {
        // A K-dimensional loss is the 2-D loss of its positions, per
        // position for None, and so is its every reduction.
        let tape = Tape::<f64>::new();
        let k = cross_entropy_with(tape.var(p.logits.clone()), &p.targets, &p.options(r));
        let rows = cross_entropy_with(tape.var(p.as_rows()), &p.targets, &p.options(r));
        let k = k.value();
        let rows = rows.value().reshape(k.shape());
        wengert_tensor::gradcheck::assert_close(&k, &rows, 1e-12, 1e-12);
    }

    #[test]
    fn weighted_mean_is_the_weighted_sum_over_the_counted_weights(p in problem()) {
        // Mean = Sum / sum of the targets' class weights (not their count).
        let tape = Tape::<f64>::new();
        let z = tape.var(p.logits.clone());
        let mean = cross_entropy_with(z, &p.targets, &p.options(Reduction::Mean)).item();
        let sum = cross_entropy_with(z, &p.targets, &p.options(Reduction::Sum)).item();
        let w = p.weight.to_vec();
        let counted: f64 = p.targets.iter().filter(|&&t| t < w.len()).map(|&t| w[t]).sum();
        prop_assert!((mean - sum / counted).abs() <= 1e-12 * (1.0 + mean.abs()), "{mean} vs {}", sum / counted);
    }

    #[test]
    fn ignored_positions_lose_nothing_and_get_no_gradient(p in problem()) {
        let tape = Tape::<f64>::new();
        let z = tape.var(p.logits.clone());
        let per_position = cross_entropy_with(z, &p.targets, &p.options(Reduction::None));
        let ignored = p.logits.shape()[1] + 1;
        for (l, &t) in per_position.value().to_vec().iter().zip(&p.targets) {
            if t == ignored { prop_assert_eq!(*l, 0.0); }
        }
        let g = per_position.sum().backward().wrt(z).unwrap().clone();
        let g_rows = positions_as_rows(&g);
        for (i, &t) in p.targets.iter().enumerate() {
            let row = g_rows.narrow(0, i, 1).to_vec();
            if t == ignored {
                prop_assert!(row.iter().all(|&v| v == 0.0), "position {}: {:?}", i, row);
            } else {
                prop_assert!(row.iter().any(|&v| v != 0.0), "position {}: {:?}", i, row);
            }
        }
    }

    #[test]
    fn cross_entropy_options_pass_gradcheck(p in problem(), r in reduction_strategy()) {
        let options = p.options(r);
        gradcheck(|_, v| cross_entropy_with(v[0], &p.targets, &options), std::slice::from_ref(&p.logits), Tolerance::default()).unwrap();
    }

    #[test]
    fn one_hot_probabilities_give_the_class_index_loss(p in problem()) {
        // Without ignored positions a one-hot probability target is the
        // class index: same per-position loss (weighted and smoothed alike).
        let c = p.logits.shape()[1];
        let targets: Vec<usize> = p.targets.iter().map(|&t| t % c).collect();
        let onehot = {
            let rows = Tensor::<f64>::one_hot(&targets, c);
            let mut shape = vec![p.logits.shape()[0]];
            shape.extend(&p.logits.shape()[2..]);
            shape.push(c);
            let mut perm = vec![0, p.logits.ndim() - 1];
            perm.extend(1..p.logits.ndim() - 1);
            rows.reshape(&shape).permute(&perm).contiguous()
        };
        let options = CrossEntropyOptions::new()
            .weight(p.weight.clone())
            .label_smoothing(p.smoothing)
            .reduction(Reduction::None);
        let tape = Tape::<f64>::new();
        let z = tape.var(p.logits.clone());
        let by_index = cross_entropy_with(z, &targets, &options).value();
        let by_probs = cross_entropy_probs(z, tape.constant(onehot), &options).value();
        wengert_tensor::gradcheck::assert_close(&by_probs, &by_index, 1e-12, 1e-12);
    }

    #[test]
    fn cross_entropy_probs_options_pass_gradcheck_for_both_inputs(
        (z, y, w) in (1usize..4, 2usize..5, 0usize..2).prop_flat_map(|(n, c, extra)| {
            let shape = if extra == 1 { vec![n, c, 2] } else { vec![n, c] };
            (
                tensor_with_shape(shape.clone(), -3.0..3.0),
                tensor_with_shape(shape, 0.0..1.0),
                tensor_with_shape(vec![c], 0.2..2.0),
            )
        }),
        smoothing in 0.0..1.0f64,
        r in reduction_strategy(),
    ) {
        let options = CrossEntropyOptions::new().weight(w).label_smoothing(smoothing).reduction(r);
        gradcheck(|_, v| cross_entropy_probs(v[0], v[1], &options), &[z, y], Tolerance::default()).unwrap();
    }

    #[test]
    fn pos_weight_scales_the_positive_term_and_passes_gradcheck(
        (x, t, pw) in (1usize..4, 1usize..5).prop_flat_map(|(n, c)| (
            tensor_with_shape(vec![n, c], -6.0..6.0),
            tensor_with_shape(vec![n, c], 0.0..1.0),
            tensor_with_shape(vec![c], 0.0..5.0),
        )),
        r in reduction_strategy(),
    ) {
        // l = pw t softplus(-x) + (1 - t) softplus(x), per element.
        let tape = Tape::<f64>::new();
        let options = BceWithLogitsOptions::new().pos_weight(pw.clone()).reduction(Reduction::None);
        let ours = bce_with_logits_with(tape.var(x.clone()), tape.constant(t.clone()), &options).value();
        let c = pw.numel();
        let (xs, ts, pws) = (x.to_vec(), t.to_vec(), pw.to_vec());
        for (i, &l) in ours.to_vec().iter().enumerate() {
            let (x, t, pw) = (xs[i], ts[i], pws[i % c]);
            let softplus = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
            let want = pw * t * softplus(-x) + (1.0 - t) * softplus(x);
            prop_assert!((l - want).abs() <= 1e-12 * (1.0 + want.abs()), "element {}: {} vs {}", i, l, want);
        }
        let options = options.reduction(r);
        gradcheck(|_, v| bce_with_logits_with(v[0], v[1], &options), &[x, t], Tolerance::default()).unwrap();
    }

    #[test]
    fn pos_weight_of_ones_is_exactly_the_plain_loss(
        (x, t) in (1usize..4, 1usize..5).prop_flat_map(|(n, c)| (
            tensor_with_shape(vec![n, c], -30.0..30.0),
            tensor_with_shape(vec![n, c], 0.0..1.0),
        )),
    ) {
        let tape = Tape::<f64>::new();
        let (xv, tv) = (tape.var(x.clone()), tape.constant(t));
        let plain = bce_with_logits(xv, tv, Reduction::None);
        let ones = BceWithLogitsOptions::new().pos_weight(Tensor::ones(&[x.shape()[1]])).reduction(Reduction::None);
        let weighted = bce_with_logits_with(xv, tv, &ones);
        prop_assert_eq!(plain.value().to_vec(), weighted.value().to_vec());
        prop_assert_eq!(plain.sum().backward().wrt(xv).unwrap().to_vec(), weighted.sum().backward().wrt(xv).unwrap().to_vec());
    }
}

#[test]
fn cross_entropy_options_work_in_f32() {
    let z64 = logits(&[2, 3, 2], 8);
    let targets = [0, 4, 2, 1];
    fn options<T: Float>() -> CrossEntropyOptions<T> {
        CrossEntropyOptions::new()
            .weight(Tensor::from_f64(&[0.5, 2.0, 1.0], &[3]))
            .ignore_index(4)
            .label_smoothing(0.1)
    }
    let t64 = Tape::<f64>::new();
    let v64 = t64.var(z64.clone());
    let l64 = cross_entropy_with(v64, &targets, &options());
    let t32 = Tape::<f32>::new();
    let v32 = t32.var(z64.cast::<f32>());
    let l32 = cross_entropy_with(v32, &targets, &options());
    assert!((l32.item() as f64 - l64.item()).abs() < 1e-5);
    let g64 = l64.backward().wrt(v64).unwrap().clone();
    let g32 = l32.backward().wrt(v32).unwrap().cast::<f64>();
    wengert_tensor::gradcheck::assert_close(&g32, &g64, 1e-6, 1e-5);
}

// ---------------------------------------------------------------------------
// Errors

fn error<T>(r: wengert_nn::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn class_losses_name_the_shapes_and_targets_they_refuse() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros(&[2, 3, 4]));
    let none = CrossEntropyOptions::new();
    let err = error(try_cross_entropy_with(z, &[0; 5], &none));
    assert_eq!(
        err,
        "cross_entropy: 5 targets for scores [2, 3, 4]: expected 8, one per position of \
         [batch, d1, ...] = [2, 4], in row-major order"
    );
    let mut targets = [0; 8];
    targets[6] = 3;
    let err = error(try_cross_entropy_with(
        z,
        &targets,
        &none.clone().ignore_index(255),
    ));
    assert_eq!(
        err,
        "cross_entropy: target 3 at position 6 is not a class index below 3 nor the \
         ignore_index 255 (index [1, 2] of targets shaped [2, 4])"
    );
    let err = error(try_cross_entropy_with(
        z,
        &[0; 8],
        &none.clone().weight(Tensor::ones(&[4])),
    ));
    assert_eq!(
        err,
        "cross_entropy: weight must hold one factor per class, shape [3] for scores \
         [2, 3, 4] (classes on axis 1), got [4]"
    );
    let err = error(try_cross_entropy_with(
        z,
        &[0; 8],
        &none.clone().label_smoothing(-0.1),
    ));
    assert!(
        err.contains("label smoothing must lie in [0, 1], got -0.1"),
        "{err}"
    );
    let err = error(try_nll_loss_with(
        tape.var(Tensor::zeros(&[3])),
        &[0, 1],
        &NllLossOptions::new(),
    ));
    assert_eq!(
        err,
        "nll_loss: 2 targets for one unbatched sample (scores [3]): expected 1"
    );
    let err = error(try_nll_loss_with(
        tape.var(Tensor::scalar(0.0)),
        &[0],
        &NllLossOptions::new(),
    ));
    assert!(
        err.starts_with("nll_loss: expected scores of shape [classes]"),
        "{err}"
    );
}

#[test]
fn probability_targets_refuse_ignore_index_and_another_shape() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros(&[2, 3]));
    let y = tape.constant(Tensor::zeros(&[2, 3]));
    let err = error(try_cross_entropy_probs(
        z,
        y,
        &CrossEntropyOptions::new().ignore_index(0),
    ));
    assert!(
        err.starts_with(
            "cross_entropy: ignore_index 0 does not apply to class-probability targets"
        ) && err.contains("PyTorch refuses it too"),
        "{err}"
    );
    let err = error(try_cross_entropy_probs(
        z,
        tape.constant(Tensor::zeros(&[2, 1])),
        &CrossEntropyOptions::new(),
    ));
    assert_eq!(
        err,
        "cross_entropy: class-probability targets [2, 1] must have the logits' shape [2, 3]"
    );
}

#[test]
fn bce_refuses_weights_that_do_not_broadcast_to_the_logits() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 3, 4, 4]));
    let t = tape.constant(Tensor::zeros(&[2, 3, 4, 4]));
    let err = error(try_bce_with_logits_with(
        x,
        t,
        &BceWithLogitsOptions::new().pos_weight(Tensor::ones(&[3])),
    ));
    assert_eq!(
        err,
        "bce_with_logits: pos_weight [3] does not broadcast to the logits' shape [2, 3, 4, 4]: \
         axes are aligned from the right, each must match or be 1 (for [N, C, H, W] logits, \
         a per-class pos_weight is [C, 1, 1])"
    );
    // One that would enlarge the loss is refused too, as in PyTorch.
    let err = error(try_bce_with_logits_with(
        x,
        t,
        &BceWithLogitsOptions::new().weight(Tensor::ones(&[5, 2, 3, 4, 4])),
    ));
    assert!(
        err.starts_with("bce_with_logits: weight [5, 2, 3, 4, 4] does not broadcast"),
        "{err}"
    );
}

#[test]
fn regression_losses_say_their_refusal_to_broadcast_is_deliberate() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[4, 1]));
    let t = tape.constant(Tensor::zeros(&[4]));
    for (name, err) in [
        ("mse_loss", error(try_mse_loss(x, t, Reduction::Mean))),
        ("l1_loss", error(try_l1_loss(x, t, Reduction::Mean))),
        (
            "huber_loss",
            error(try_huber_loss(x, t, 1.0, Reduction::Mean)),
        ),
    ] {
        assert_eq!(
            err,
            format!(
                "{name}: input [4, 1] and target [4] must have the same shape; wengert refuses \
                 to broadcast them on purpose (PyTorch broadcasts with only a warning, and an \
                 [N, 1] output against [N] targets then silently compares every output with \
                 every target as [N, N]): reshape one of them"
            )
        );
    }
}
