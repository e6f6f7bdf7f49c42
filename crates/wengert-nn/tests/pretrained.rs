//! Loading pretrained weights into a fine-tuning model: a body under a new
//! name, a new head of another size, batch-norm statistics carried over;
//! the report says what happened to every entry, and every rule that does
//! not fit (a shape, a rename that matches nothing, a missing or unused
//! entry in a strict load) is an error that leaves the model unchanged.

use std::collections::HashMap;
use std::path::PathBuf;

use safetensors::tensor::TensorView;
use safetensors::Dtype;

use wengert_nn::loss::{cross_entropy, Reduction};
use wengert_nn::{
    freeze_all_except, save_weights, state_dict, BatchNorm1d, Linear, Module, NnError, Pretrained,
    ReLU, Result, Sequential, StateDict, StateValue,
};
use wengert_tensor::{seeded_rng, Tape, Tensor, Var};

/// A scratch directory unique to the test, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!(
        "wengert-nn-pretrained-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The pretrained model: `0` Linear(4 -> 8), `1` BatchNorm1d(8), `2` ReLU,
/// `3` Linear(8 -> 3), the head.
fn source(seed: u64) -> Sequential<f32> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .with(Linear::new(4, 8, &mut rng))
        .with(BatchNorm1d::new(8))
        .with(ReLU)
        .with(Linear::new(8, 3, &mut rng))
}

/// A few SGD steps on synthetic 3-class data, so weights, running
/// statistics and the batch counter all differ from any fresh model.
fn pretrained() -> Sequential<f32> {
    let mut model = source(1);
    let mut rng = seeded_rng(2);
    for step in 0..5 {
        let x = Tensor::randn(&[12, 4], &mut rng);
        let labels: Vec<usize> = (0..12).map(|i| (i + step) % 3).collect();
        let tape = Tape::training(step as u64);
        let y = model.forward(&tape, tape.constant(x)).unwrap();
        let grads = cross_entropy(y, &labels, Reduction::Mean).backward();
        for (_, p) in model.params_mut() {
            if let Some(g) = grads.get(p) {
                let updated = p.value().sub(&g.mul_scalar(0.5));
                p.set_value(updated).unwrap();
            }
        }
    }
    model
}

/// The fine-tuning model: the same body under `body`, a 5-class head.
#[derive(Module)]
struct Finetuned {
    body: Sequential<f32>,
    head: Linear<f32>,
}

impl Module<f32> for Finetuned {
    fn forward<'t>(&self, tape: &'t Tape<f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>> {
        let h = self.body.forward(tape, x)?;
        self.head.forward(tape, h)
    }
}

fn finetuned(seed: u64, classes: usize) -> Finetuned {
    let mut rng = seeded_rng(seed);
    Finetuned {
        body: Sequential::new()
            .with(Linear::new(4, 8, &mut rng))
            .with(BatchNorm1d::new(8))
            .with(ReLU),
        head: Linear::new(8, classes, &mut rng),
    }
}

/// Every entry as bits, to compare bitwise.
fn bits(state: &StateDict<f32>) -> Vec<(String, Vec<u32>)> {
    state
        .iter()
        .map(|(name, v)| {
            let b = match v {
                StateValue::Float(t) => t.to_vec().iter().map(|x| x.to_bits()).collect(),
                StateValue::Int(c) => vec![*c as u32],
            };
            (name.clone(), b)
        })
        .collect()
}

fn entry_bits(state: &StateDict<f32>, name: &str) -> Vec<u32> {
    match &state[name] {
        StateValue::Float(t) => t.to_vec().iter().map(|x| x.to_bits()).collect(),
        StateValue::Int(c) => vec![*c as u32],
    }
}

fn problems(err: NnError) -> Vec<String> {
    match err {
        NnError::WeightsMismatch { problems, .. } => problems,
        other => panic!("expected a WeightsMismatch, got {other}"),
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_saved_body_loads_bitwise_under_new_names_and_the_new_head_keeps_its_shape_and_values() {
    let dir = scratch("renamed");
    let path = dir.0.join("pretrained.safetensors");
    let old = pretrained();
    save_weights(&old, &path).unwrap();

    let mut model = finetuned(7, 5);
    let head_before = bits(&state_dict(&model.head));
    let report = Pretrained::from_file(&path)
        .unwrap()
        .rename("", "body")
        .skip("3")
        .allow_missing("head")
        .load_into(&mut model)
        .unwrap();

    let body_names = [
        "0.bias",
        "0.weight",
        "1.bias",
        "1.num_batches_tracked",
        "1.running_mean",
        "1.running_var",
        "1.weight",
    ];
    let expected_loaded: Vec<(String, String)> = body_names
        .iter()
        .map(|n| (n.to_string(), format!("body.{n}")))
        .collect();
    assert_eq!(report.loaded, expected_loaded);
    assert_eq!(report.skipped, strings(&["3.bias", "3.weight"]));
    assert_eq!(report.missing, strings(&["head.bias", "head.weight"]));
    assert!(report.unused.is_empty());
    assert_eq!(report.origin, path.display().to_string());

    let (old_state, new_state) = (state_dict(&old), state_dict(&model));
    for name in body_names {
        assert_eq!(
            entry_bits(&new_state, &format!("body.{name}")),
            entry_bits(&old_state, name),
            "body.{name} is bitwise the pretrained {name}"
        );
    }
    assert_eq!(model.head.weight().shape(), &[5, 8]);
    assert_eq!(bits(&state_dict(&model.head)), head_before);
    let tape = Tape::inference();
    let y = model
        .forward(&tape, tape.constant(Tensor::ones(&[2, 4])))
        .unwrap();
    assert_eq!(y.shape(), vec![2, 5]);
}

#[test]
fn the_report_prints_each_entry_with_its_fate() {
    let mut model = finetuned(7, 5);
    let report = Pretrained::from_model(&pretrained())
        .rename("", "body")
        .skip("3")
        .allow_missing("head")
        .load_into(&mut model)
        .unwrap();
    let text = report.to_string();
    assert!(text
        .starts_with("state dict: loaded 7, skipped 2, missing 2 (kept as they were), unused 0"));
    assert!(text.contains("  loaded   body.0.weight <- 0.weight\n"));
    assert!(text.contains("  skipped  3.weight\n"));
    assert!(text.contains("  missing  head.bias\n"));
    assert!(!report.is_complete());
}

#[test]
fn a_shape_mismatch_names_the_entry_and_both_shapes_and_changes_nothing() {
    let mut model = finetuned(7, 5);
    let before = bits(&state_dict(&model));
    let err = Pretrained::from_model(&pretrained())
        .rename("0", "body.0")
        .rename("1", "body.1")
        .rename("3", "head")
        .load_into(&mut model)
        .unwrap_err();
    let problems = problems(err);
    assert_eq!(
        problems,
        strings(&[
            "`3.bias` (loaded as `head.bias`): shape [3] in the weights, the model has [5]; keep \
             the model's with .skip(\"head\")",
            "`3.weight` (loaded as `head.weight`): shape [3, 8] in the weights, the model has \
             [5, 8]; keep the model's with .skip(\"head\")",
        ])
    );
    assert_eq!(bits(&state_dict(&model)), before);
}

#[test]
fn a_rename_skip_or_allowance_that_matches_nothing_is_an_error() {
    let mut model = finetuned(7, 5);
    let before = bits(&state_dict(&model));
    let err = Pretrained::from_model(&pretrained())
        .rename("featurs", "body")
        .skip("4")
        .allow_missing("haed")
        .strict(false)
        .load_into(&mut model)
        .unwrap_err();
    let message = err.to_string();
    let problems = problems(err);
    assert_eq!(problems.len(), 3, "{message}");
    assert!(problems[0].starts_with(
        "rename(\"featurs\", \"body\") matches no entry of the weights (they hold: 0.bias, 0.weight,"
    ));
    assert_eq!(
        problems[1],
        "skip(\"4\") matches no entry of the weights and nothing in the model"
    );
    assert!(problems[2].starts_with(
        "allow_missing(\"haed\") matches no parameter or buffer of the model (it has: body.0.bias,"
    ));
    assert!(message.contains("the model was left unchanged"));
    assert_eq!(bits(&state_dict(&model)), before);
}

#[test]
fn a_strict_load_refuses_missing_and_unused_entries_that_were_not_asked_for() {
    let mut model = finetuned(7, 5);
    let before = bits(&state_dict(&model));
    let err = Pretrained::from_model(&pretrained())
        .rename("0", "body.0")
        .rename("1", "body.1")
        .load_into(&mut model)
        .unwrap_err();
    assert_eq!(
        problems(err),
        strings(&[
            "missing `head.bias`: the weights have no entry for it; load one under another name \
             with .rename, or keep the model's with .allow_missing(\"head\")",
            "missing `head.weight`: the weights have no entry for it; load one under another \
             name with .rename, or keep the model's with .allow_missing(\"head\")",
            "unused `3.bias`: the model has no parameter or buffer `3.bias`; leave it out with \
             .skip(\"3\"), or map it with .rename",
            "unused `3.weight`: the model has no parameter or buffer `3.weight`; leave it out \
             with .skip(\"3\"), or map it with .rename",
        ])
    );
    assert_eq!(bits(&state_dict(&model)), before);
}

#[test]
fn a_lenient_load_reports_missing_and_unused_entries_as_pytorch_strict_false_does() {
    let old = pretrained();
    let mut model = finetuned(7, 5);
    let report = Pretrained::from_model(&old)
        .rename("0", "body.0")
        .rename("1", "body.1")
        .strict(false)
        .load_into(&mut model)
        .unwrap();
    assert_eq!(report.missing, strings(&["head.bias", "head.weight"]));
    assert_eq!(report.unused, strings(&["3.bias", "3.weight"]));
    assert!(report.skipped.is_empty());
    assert_eq!(report.loaded.len(), 7);
    assert_eq!(
        entry_bits(&state_dict(&model), "body.1.running_var"),
        entry_bits(&state_dict(&old), "1.running_var")
    );
}

#[test]
fn two_entries_loading_into_one_name_is_an_error() {
    let mut state = state_dict(&pretrained());
    let w = state["0.weight"].clone();
    state.insert("extra.weight".into(), w);
    let mut model = source(3);
    let err = Pretrained::from_state_dict(state)
        .rename("extra", "0")
        .load_into(&mut model)
        .unwrap_err();
    assert_eq!(
        problems(err),
        strings(&[
            "`extra.weight` (loaded as `0.weight`): `0.weight` loads into `0.weight` too; rename \
             or skip one of them"
        ])
    );
}

#[test]
fn a_stored_counter_where_the_model_has_a_tensor_is_an_error_naming_both_kinds() {
    let mut state = state_dict(&pretrained());
    state.insert("0.bias".into(), StateValue::Int(3));
    let mut model = source(3);
    let err = Pretrained::from_state_dict(state)
        .load_into(&mut model)
        .unwrap_err();
    assert_eq!(
        problems(err),
        strings(&["`0.bias`: int64 counter in the weights, the model has f32 tensor of shape [8]"])
    );
}

#[test]
fn loading_then_freezing_all_but_the_head_leaves_only_the_head_trainable() {
    let mut model = finetuned(7, 5);
    Pretrained::from_model(&pretrained())
        .rename("", "body")
        .skip("3")
        .allow_missing("head")
        .load_into(&mut model)
        .unwrap();
    assert_eq!(freeze_all_except(&mut model, &["head"]).unwrap(), 2);
    let trainable: Vec<String> = model
        .params()
        .into_iter()
        .filter(|(_, p)| !p.is_frozen())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(trainable, strings(&["head.weight", "head.bias"]));
    assert_eq!(model.num_trainable_params(), 8 * 5 + 5);

    let err = freeze_all_except(&mut model, &["head", "bdy.0"]).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("no parameter or layer named `bdy.0`"));
    assert_eq!(
        model.num_trainable_params(),
        8 * 5 + 5,
        "a typo changes nothing"
    );
}

#[test]
fn an_entry_of_an_unreadable_dtype_is_an_error_only_if_it_would_be_loaded() {
    let dir = scratch("f16");
    let path = dir.0.join("mixed.safetensors");
    // Linear(2 -> 3) with its weight as F64 and its bias as F16.
    let weight: Vec<u8> = (0..6).flat_map(|i| (i as f64).to_le_bytes()).collect();
    let half_bias = vec![0u8; 6];
    let views = vec![
        (
            "weight",
            TensorView::new(Dtype::F64, vec![3, 2], &weight).unwrap(),
        ),
        (
            "bias",
            TensorView::new(Dtype::F16, vec![3], &half_bias).unwrap(),
        ),
    ];
    let bytes = safetensors::serialize(views, None::<HashMap<String, String>>).unwrap();
    std::fs::write(&path, bytes).unwrap();

    let mut layer = Linear::<f32>::new(2, 3, &mut seeded_rng(0));
    let bias_before = layer.bias().unwrap().value().to_vec();
    let err = Pretrained::from_file(&path)
        .unwrap()
        .load_into(&mut layer)
        .unwrap_err();
    let problems = problems(err);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("`bias`: dtype F16 with shape [3] cannot be loaded"),
        "{}",
        problems[0]
    );
    assert!(problems[0].ends_with("; skip it with .skip(\"bias\")"));
    assert_ne!(
        layer.weight().value().to_vec()[1],
        1.0,
        "nothing was loaded"
    );

    let report = Pretrained::from_file(&path)
        .unwrap()
        .skip("bias")
        .load_into(&mut layer)
        .unwrap();
    assert_eq!(report.skipped, strings(&["bias"]));
    assert_eq!(report.missing, strings(&["bias"]));
    assert_eq!(
        layer.weight().value().to_vec(),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    );
    assert_eq!(layer.bias().unwrap().value().to_vec(), bias_before);
}
