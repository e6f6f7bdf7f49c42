//! Weight files in the safetensors format: every parameter and buffer by
//! its full name, so files exported from PyTorch (`state_dict()` saved with
//! `safetensors.torch.save_file`) load into the equivalent wengert model.
//!
//! - Float tensors are stored as F32 or F64; counters as I64 scalars.
//! - Loading converts F32 and F64 to the model's float type (widening f32
//!   is exact; narrowing f64 rounds to nearest). Other dtypes (F16, BF16,
//!   integers where a float is expected) are reported, not guessed at.
//! - Loading checks every name, shape and dtype before writing anything:
//!   a failed load lists every problem and leaves the model unchanged.
//! - Writing is atomic: the bytes go to a temporary file in the same
//!   directory, are flushed to disk, and the file is renamed over the
//!   target, so a crash never leaves a half-written weights file.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use wengert_tensor::{Float, Tensor};

use crate::error::{NnError, Result};
use crate::module::Module;
use crate::state_dict::{load_checked, state_dict, StateDict, StateValue};

/// The float width of a weights file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightDtype {
    /// 32-bit floats (safetensors `F32`).
    F32,
    /// 64-bit floats (safetensors `F64`).
    F64,
}

impl WeightDtype {
    /// The width of `T` itself.
    pub fn of<T: Float>() -> Self {
        if T::DTYPE == "f32" {
            WeightDtype::F32
        } else {
            WeightDtype::F64
        }
    }
}

/// Saves every parameter and buffer of `model` to `path` in the model's own
/// float width (atomically).
///
/// ```
/// use wengert_nn::{load_weights, save_weights, Linear};
/// use wengert_tensor::seeded_rng;
/// let dir = std::env::temp_dir().join(format!("wengert-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("linear.safetensors");
/// let a = Linear::<f32>::new(3, 2, &mut seeded_rng(1));
/// save_weights(&a, &path).unwrap();
/// let mut b = Linear::<f32>::new(3, 2, &mut seeded_rng(2));
/// load_weights(&mut b, &path).unwrap();
/// assert_eq!(a.weight().value().to_vec(), b.weight().value().to_vec());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn save_weights<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<()> {
    write_state_dict(&state_dict(model), path, WeightDtype::of::<T>())
}

/// Saves `model` with floats stored as `dtype` (an f64 model saved as F32
/// rounds each value to nearest).
pub fn save_weights_as<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
    dtype: WeightDtype,
) -> Result<()> {
    write_state_dict(&state_dict(model), path, dtype)
}

/// Loads `path` into `model`: every name must be present with its shape,
/// nothing else may be in the file. F32 and F64 convert to the model's type.
/// On any problem the error lists them all and the model is unchanged.
pub fn load_weights<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let (state, unreadable) = read_entries(path)?;
    load_checked(model, &state, &unreadable, &path.display().to_string())
}

/// Reads a weights file into a state dict, converting F32/F64 to `T`;
/// errors on entries of other dtypes (named with their dtype).
pub fn read_state_dict<T: Float>(path: impl AsRef<Path>) -> Result<StateDict<T>> {
    let path = path.as_ref();
    let (state, unreadable) = read_entries(path)?;
    if !unreadable.is_empty() {
        return Err(NnError::WeightsMismatch {
            origin: path.display().to_string(),
            problems: unreadable
                .into_iter()
                .map(|(n, why)| format!("`{n}`: {why}"))
                .collect(),
        });
    }
    Ok(state)
}

/// The readable entries of a weights file, and for the others why they
/// cannot be read.
pub(crate) type Decoded<T> = (StateDict<T>, BTreeMap<String, String>);

/// Reads and decodes the file at `path`, keeping the entries that cannot be
/// read (with the reason) apart, so each caller decides whether they matter
/// (a strict load reports them, a partial load may skip them).
pub(crate) fn read_entries<T: Float>(path: &Path) -> Result<Decoded<T>> {
    let bytes = fs::read(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        what: "reading weights",
        source,
    })?;
    decode(path, &bytes)
}

fn decode<T: Float>(path: &Path, bytes: &[u8]) -> Result<Decoded<T>> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| NnError::Format {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    let mut state = StateDict::new();
    let mut unreadable = BTreeMap::new();
    for (name, view) in file.iter() {
        let shape = view.shape().to_vec();
        let data = view.data();
        let value = match view.dtype() {
            Dtype::F32 => Some(StateValue::Float(Tensor::from_vec(
                data.chunks_exact(4)
                    .map(|b| T::from_f64(f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64))
                    .collect(),
                &shape,
            ))),
            Dtype::F64 => Some(StateValue::Float(Tensor::from_vec(
                data.chunks_exact(8)
                    .map(|b| T::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                    .collect(),
                &shape,
            ))),
            Dtype::I64 if shape.is_empty() => Some(StateValue::Int(i64::from_le_bytes(
                data.try_into().expect("a scalar I64 has 8 bytes"),
            ))),
            _ => None,
        };
        match value {
            Some(v) => {
                state.insert(name.to_string(), v);
            }
            None => {
                unreadable.insert(
                    name.to_string(),
                    format!(
                        "dtype {} with shape {shape:?} cannot be loaded (floats must be F32 or F64, counters scalar I64)",
                        view.dtype()
                    ),
                );
            }
        }
    }
    Ok((state, unreadable))
}

/// Writes a state dict to `path` with floats as `dtype` and counters as
/// scalar I64, atomically. The file's metadata is `{"format": "pt"}`, which
/// PyTorch's safetensors loader expects.
pub fn write_state_dict<T: Float>(
    state: &StateDict<T>,
    path: impl AsRef<Path>,
    dtype: WeightDtype,
) -> Result<()> {
    let path = path.as_ref();
    let encoded: Vec<(&String, Dtype, Vec<usize>, Vec<u8>)> = state
        .iter()
        .map(|(name, v)| match v {
            StateValue::Float(t) => {
                let values = t.values();
                let bytes = match dtype {
                    WeightDtype::F32 => values
                        .iter()
                        .flat_map(|x| (Float::to_f64(*x) as f32).to_le_bytes())
                        .collect(),
                    WeightDtype::F64 => values
                        .iter()
                        .flat_map(|x| Float::to_f64(*x).to_le_bytes())
                        .collect(),
                };
                let d = match dtype {
                    WeightDtype::F32 => Dtype::F32,
                    WeightDtype::F64 => Dtype::F64,
                };
                (name, d, t.shape().to_vec(), bytes)
            }
            StateValue::Int(c) => (name, Dtype::I64, Vec::new(), c.to_le_bytes().to_vec()),
        })
        .collect();
    let mut views = Vec::with_capacity(encoded.len());
    for (name, d, shape, bytes) in &encoded {
        let view = TensorView::new(*d, shape.clone(), bytes).map_err(|e| NnError::Format {
            path: path.to_path_buf(),
            why: format!("encoding `{name}`: {e}"),
        })?;
        views.push((name.as_str(), view));
    }
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| NnError::Format {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file next to `path`, syncs it, and renames
/// it over `path` (a rename within one directory is atomic), then syncs the
/// directory so the rename itself survives a crash.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |what: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| NnError::Io {
            path: p,
            what,
            source,
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| NnError::Io {
            path: path.to_path_buf(),
            what: "writing weights",
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file"),
        })?
        .to_string_lossy()
        .into_owned();
    // Unique per process and per call, so concurrent saves never share a
    // temporary file.
    static NEXT_TMP: AtomicU64 = AtomicU64::new(0);
    let n = NEXT_TMP.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{file_name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f =
            fs::File::create(&tmp).map_err(io("creating a temporary weights file", &tmp))?;
        f.write_all(bytes).map_err(io("writing weights", &tmp))?;
        f.sync_all().map_err(io("syncing weights to disk", &tmp))?;
        fs::rename(&tmp, path).map_err(io("moving the weights file into place", path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp); // best effort: the error above is what matters
        return result;
    }
    // Directory sync makes the rename durable; not every platform can open
    // a directory for it, and the data itself is already safe.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
