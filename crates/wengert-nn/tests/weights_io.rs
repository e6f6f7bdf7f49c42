//! Weight files: round trips in f32 and f64, conversion between widths,
//! atomic writes, and loads that fail clearly, listing every problem, and
//! leave the model unchanged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use wengert_nn::{
    load_state_dict, load_weights, read_state_dict, save_weights, save_weights_as, state_dict,
    BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential, StateDict, StateValue, WeightDtype,
};
use wengert_tensor::{seeded_rng, Float, Tape, Tensor};

/// A scratch directory unique to the test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("wengert-nn-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn mlp<T: Float>(seed: u64, hidden: usize) -> Sequential<T> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .with(Linear::new(6, hidden, &mut rng))
        .with(BatchNorm1d::new(hidden))
        .with(ReLU)
        .with(Dropout::new(0.5))
        .with(Linear::new(hidden, 3, &mut rng))
}

/// Runs two training passes so running statistics and the counter move.
fn trained<T: Float>(seed: u64) -> Sequential<T> {
    let m = mlp::<T>(seed, 5);
    for step in 0..2 {
        let tape = Tape::training(step);
        let x = Tensor::randn(&[8, 6], &mut seeded_rng(step + 100));
        m.forward(&tape, tape.constant(x)).unwrap();
    }
    m
}

fn flat<T: Float>(s: &StateDict<T>) -> Vec<(String, Vec<f64>)> {
    s.iter()
        .map(|(n, v)| {
            let vals = match v {
                StateValue::Float(t) => t.to_vec().iter().map(|&x| Float::to_f64(x)).collect(),
                StateValue::Int(c) => vec![*c as f64],
            };
            (n.clone(), vals)
        })
        .collect()
}

fn eval<T: Float>(m: &Sequential<T>) -> Vec<T> {
    let tape = Tape::inference();
    let x = Tensor::randn(&[4, 6], &mut seeded_rng(7));
    m.forward(&tape, tape.constant(x)).unwrap().value().to_vec()
}

fn round_trip<T: Float>(dir: &Path) {
    let a = trained::<T>(1);
    let path = dir.join(format!("mlp.{}.safetensors", T::DTYPE));
    save_weights(&a, &path).unwrap();
    let mut b = mlp::<T>(2, 5);
    assert_ne!(flat(&state_dict(&a)), flat(&state_dict(&b)));
    load_weights(&mut b, &path).unwrap();
    assert_eq!(
        flat(&state_dict(&a)),
        flat(&state_dict(&b)),
        "bitwise round trip"
    );
    assert_eq!(eval(&a), eval(&b));
}

#[test]
fn round_trip_is_bitwise_in_f32_and_f64() {
    let dir = scratch("round-trip");
    round_trip::<f32>(&dir.0);
    round_trip::<f64>(&dir.0);
}

#[test]
fn file_layout_is_pytorch_compatible() {
    let dir = scratch("layout");
    let path = dir.join("m.safetensors");
    save_weights(&trained::<f64>(3), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(meta.metadata().as_ref().unwrap()["format"], "pt");
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(
        names,
        [
            "0.bias",
            "0.weight",
            "1.bias",
            "1.num_batches_tracked",
            "1.running_mean",
            "1.running_var",
            "1.weight",
            "4.bias",
            "4.weight"
        ]
    );
    let counter = file.tensor("1.num_batches_tracked").unwrap();
    assert_eq!((counter.dtype(), counter.shape()), (Dtype::I64, &[][..]));
    assert_eq!(i64::from_le_bytes(counter.data().try_into().unwrap()), 2);
    let w = file.tensor("0.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (Dtype::F64, &[5, 6][..]));
}

#[test]
fn widths_convert_on_save_and_load() {
    let dir = scratch("convert");
    let a = trained::<f64>(4);
    let path = dir.join("as-f32.safetensors");
    save_weights_as(&a, &path, WeightDtype::F32).unwrap();
    // Loading the F32 file into an f64 model gives each value rounded to f32.
    let mut b = mlp::<f64>(5, 5);
    load_weights(&mut b, &path).unwrap();
    let rounded: Vec<(String, Vec<f64>)> = flat(&state_dict(&a))
        .into_iter()
        .map(|(n, v)| (n, v.into_iter().map(|x| x as f32 as f64).collect()))
        .collect();
    assert_eq!(flat(&state_dict(&b)), rounded);
    // And an f32 model reads an F64 file, rounding to nearest.
    let path64 = dir.join("f64.safetensors");
    save_weights(&a, &path64).unwrap();
    let mut c = mlp::<f32>(6, 5);
    load_weights(&mut c, &path64).unwrap();
    assert_eq!(flat(&state_dict(&c)), rounded);
}

#[test]
fn writes_leave_no_temporary_file_and_replace_the_old_file() {
    let dir = scratch("atomic");
    let path = dir.join("w.safetensors");
    save_weights(&trained::<f32>(1), &path).unwrap();
    save_weights(&trained::<f32>(2), &path).unwrap();
    let entries: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["w.safetensors"]);
    let read: StateDict<f32> = read_state_dict(&path).unwrap();
    assert_eq!(flat(&read), flat(&state_dict(&trained::<f32>(2))));
}

#[test]
fn writing_into_a_missing_directory_fails_naming_the_path() {
    let dir = scratch("missing-dir");
    let path = dir.join("no-such-dir").join("w.safetensors");
    let err = save_weights(&trained::<f32>(1), &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-dir"), "{err}");
    assert!(!path.exists());
}

#[test]
fn loading_misfitting_weights_lists_every_problem_and_changes_nothing() {
    let dir = scratch("mismatch");
    // Saved from a model with hidden size 4 instead of 5: six misshaped tensors.
    let path = dir.join("hidden4.safetensors");
    save_weights(&mlp::<f64>(1, 4), &path).unwrap();
    let mut m = trained::<f64>(9);
    let before = flat(&state_dict(&m));
    let err = load_weights(&mut m, &path).unwrap_err().to_string();
    for name in [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "4.weight",
    ] {
        assert!(
            err.contains(&format!("`{name}`: shape")),
            "{name} not reported in:\n{err}"
        );
    }
    assert!(
        err.contains("shape [4, 6] in the weights, the model expects [5, 6]"),
        "{err}"
    );
    assert!(err.contains("7 problems"), "{err}");
    assert!(err.contains("hidden4.safetensors"), "{err}");
    assert_eq!(
        flat(&state_dict(&m)),
        before,
        "a failed load must leave the model unchanged"
    );
}

/// Writes a safetensors file from raw entries (name, dtype, shape, bytes).
fn write_raw(path: &Path, entries: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) {
    let views: Vec<(&str, TensorView<'_>)> = entries
        .iter()
        .map(|(n, d, s, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let bytes = safetensors::serialize(views, None::<HashMap<String, String>>).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn f64_bytes(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| (i as f64).to_le_bytes()).collect()
}

#[test]
fn missing_unexpected_and_wrong_dtype_entries_are_reported() {
    let dir = scratch("dtypes");
    let path = dir.join("bad.safetensors");
    // For Linear(2 -> 3): weight stored as F16 (unsupported), bias missing,
    // an extra tensor, and a float where the model has nothing.
    write_raw(
        &path,
        &[
            ("weight", Dtype::F16, vec![3, 2], vec![0u8; 12]),
            ("extra", Dtype::F64, vec![2], f64_bytes(2)),
        ],
    );
    let mut m = Linear::<f32>::new(2, 3, &mut seeded_rng(0));
    let before = m.weight().value().to_vec();
    let err = load_weights(&mut m, &path).unwrap_err().to_string();
    assert!(err.contains("`weight`: dtype F16"), "{err}");
    assert!(
        err.contains("missing `bias`: the model expects an f32 tensor of shape [3]"),
        "{err}"
    );
    assert!(err.contains("unexpected `extra`"), "{err}");
    assert_eq!(m.weight().value().to_vec(), before);

    // A counter stored as a float is a kind mismatch.
    let bn_path = dir.join("bn.safetensors");
    write_raw(
        &bn_path,
        &[
            ("weight", Dtype::F64, vec![2], f64_bytes(2)),
            ("bias", Dtype::F64, vec![2], f64_bytes(2)),
            ("running_mean", Dtype::F64, vec![2], f64_bytes(2)),
            ("running_var", Dtype::F64, vec![2], f64_bytes(2)),
            ("num_batches_tracked", Dtype::F64, vec![], f64_bytes(1)),
        ],
    );
    let mut bn = BatchNorm1d::<f64>::new(2);
    let err = load_weights(&mut bn, &bn_path).unwrap_err().to_string();
    assert!(err.contains("`num_batches_tracked`: f64 tensor of shape [] in the weights, the model expects an int64 counter"), "{err}");
    assert!(err.contains("1 problem;"), "{err}");
    assert_eq!(bn.running_var().to_vec(), vec![1.0, 1.0]);
}

#[test]
fn unreadable_files_give_clear_errors() {
    let dir = scratch("unreadable");
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, b"not a safetensors file at all").unwrap();
    let mut m = Linear::<f64>::new(2, 2, &mut seeded_rng(0));
    let err = load_weights(&mut m, &garbage).unwrap_err().to_string();
    assert!(
        err.contains("garbage.safetensors: not a valid safetensors file"),
        "{err}"
    );
    let missing = dir.join("absent.safetensors");
    let err = load_weights(&mut m, &missing).unwrap_err().to_string();
    assert!(err.contains("absent.safetensors: reading weights"), "{err}");
}

#[test]
fn state_dict_is_a_snapshot_and_loads_back() {
    let mut m = trained::<f64>(1);
    let snapshot = state_dict(&m);
    let want = flat(&snapshot);
    // Train a step in place (copy-on-write through value_mut).
    for (_, p) in m.params_mut() {
        p.value_mut().data_mut()[0] += 1.0;
    }
    assert_eq!(
        flat(&snapshot),
        want,
        "the snapshot did not follow the update"
    );
    load_state_dict(&mut m, &snapshot).unwrap();
    assert_eq!(flat(&state_dict(&m)), want);
}
