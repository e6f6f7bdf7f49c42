//! A run as files: what [`Trainer::save_checkpoint`] writes and
//! [`Trainer::resume`] reads. One folder, readable with common tools:
//!
//! ```text
//! last/
//!   model.safetensors      weights and buffers (batch-norm statistics), by full name
//!   optimizer.safetensors  the optimizer's per-parameter buffers (param.{i}.{buffer})
//!   history.json           every epoch and step so far
//!   callbacks/{name}/      each callback's own state (patience, best weights, ...)
//!   trainer.json           position, epoch totals, the generator, settings,
//!                          the optimizer's metadata: written last
//! ```
//!
//! A resumed run continues bitwise: the weights, the optimizer's buffers
//! and step counts, the schedule's step, the tape's generator (dropout) and
//! the loader's position (epoch and batch; its order and augmentation are
//! functions of the seed and epoch) are all restored.

use std::collections::BTreeMap;
use std::path::Path;

use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use wengert_nn::{load_state_dict, read_state_dict, save_weights, state_dict, write_state_dict};
use wengert_nn::{Module, StateDict, StateValue, WeightDtype};
use wengert_optim::{Optimizer, OptimizerState};
use wengert_tensor::{Float, Parameters, WengertRng};

use crate::checkpoint::{resolve, sync_file, write_atomically, MANIFEST};
use crate::error::{Result, TrainError};
use crate::history::History;
use crate::json;
use crate::position::{EpochTotals, Position};
use crate::trainer::Trainer;

const FORMAT: &str = "wengert-checkpoint";
const VERSION: u32 = 1;

/// `trainer.json`.
#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    /// `f32` or `f64`.
    float: String,
    /// The model's type and every parameter's full name and shape.
    model: String,
    params: Vec<(String, Vec<usize>)>,
    optimizer: String,
    optimizer_metadata: BTreeMap<String, String>,
    position: Position,
    totals: EpochTotals,
    rng: RngState,
    seed: u64,
    accumulate: usize,
    callbacks: Vec<String>,
    warnings: Vec<String>,
}

/// The tape generator's exact position (ChaCha8: key, stream, word).
#[derive(Serialize, Deserialize)]
struct RngState {
    key: String,
    stream: u64,
    /// A u128, as text (JSON numbers stop at 2^53).
    word_pos: String,
}

fn rng_state(rng: &WengertRng) -> RngState {
    RngState {
        key: rng.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
        stream: rng.get_stream(),
        word_pos: rng.get_word_pos().to_string(),
    }
}

fn rng_from(state: &RngState, path: &Path) -> Result<WengertRng> {
    let bad = |why: &str| TrainError::Format {
        path: path.to_path_buf(),
        why: format!("rng: {why}"),
    };
    if state.key.len() != 64 {
        return Err(bad("the key must be 64 hex digits"));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&state.key[2 * i..2 * i + 2], 16)
            .map_err(|_| bad("the key must be 64 hex digits"))?;
    }
    let word: u128 = state
        .word_pos
        .parse()
        .map_err(|_| bad("word_pos must be an integer"))?;
    let mut rng = WengertRng::from_seed(key);
    rng.set_stream(state.stream);
    rng.set_word_pos(word);
    Ok(rng)
}

/// A callback's name as a folder name.
fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn param_list<T: Float>(model: &dyn Parameters<T>) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    model.visit_params(&mut |name, p| out.push((name.to_string(), p.shape().to_vec())));
    out
}

fn tensors_to_state<T: Float>(tensors: Vec<(String, wengert_tensor::Tensor<T>)>) -> StateDict<T> {
    tensors
        .into_iter()
        .map(|(name, t)| (name, StateValue::Float(t)))
        .collect()
}

/// Writes the run into the checkpoint folder `dir`, atomically.
pub(crate) fn save<T: Float, M: Module<T>, O: Optimizer<T>>(
    trainer: &Trainer<T, M, O>,
    dir: &Path,
) -> Result<()> {
    let mut totals = trainer.totals.clone();
    totals.metric_states = trainer
        .train_metrics
        .iter()
        .map(|m| (m.name(), m.state()))
        .collect();
    if let Some(started) = trainer.epoch_started {
        totals.earlier_seconds += started.elapsed().as_secs_f64();
    }
    let (opt_tensors, optimizer_metadata) = trainer.optimizer.state().to_named_tensors();
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        float: T::DTYPE.into(),
        model: trainer.model.type_name().into(),
        params: param_list(&trainer.model),
        optimizer: trainer.optimizer.name().into(),
        optimizer_metadata,
        position: trainer.position,
        totals,
        rng: rng_state(&trainer.tape.rng()),
        seed: trainer.settings.seed,
        accumulate: trainer.settings.accumulate,
        callbacks: trainer.callbacks.iter().map(|c| c.name()).collect(),
        warnings: trainer.warnings.clone(),
    };
    write_atomically(dir, |tmp| {
        let weights = tmp.join("model.safetensors");
        save_weights(&trainer.model, &weights)?;
        sync_file(&weights)?;
        let optimizer = tmp.join("optimizer.safetensors");
        write_state_dict(
            &tensors_to_state(opt_tensors),
            &optimizer,
            WeightDtype::of::<T>(),
        )?;
        sync_file(&optimizer)?;
        trainer.history.save_json(tmp.join("history.json"))?;
        for cb in &trainer.callbacks {
            let folder = tmp.join("callbacks").join(folder_name(&cb.name()));
            std::fs::create_dir_all(&folder).map_err(crate::checkpoint::io("creating", &folder))?;
            cb.save_state(&folder)?;
        }
        json::write(&tmp.join(MANIFEST), &manifest)
    })
}

/// Restores the run saved in `dir` into `trainer`, or changes nothing.
pub(crate) fn load<T: Float, M: Module<T>, O: Optimizer<T>>(
    trainer: &mut Trainer<T, M, O>,
    dir: &Path,
) -> Result<()> {
    let src = resolve(dir)?;
    let manifest_path = src.join(MANIFEST);
    let manifest: Manifest = json::read(&manifest_path)?;
    let misfit = |why: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        why,
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(misfit(format!(
            "written as `{}` version {}, this version reads `{FORMAT}` version {VERSION}",
            manifest.format, manifest.version
        )));
    }
    if manifest.float != T::DTYPE {
        return Err(misfit(format!(
            "the run trained in {}, this trainer computes in {}",
            manifest.float,
            T::DTYPE
        )));
    }
    let ours = param_list(&trainer.model);
    if manifest.params != ours {
        return Err(misfit(describe_model_difference(
            &manifest.params,
            &ours,
            &manifest.model,
        )));
    }
    if manifest.optimizer != trainer.optimizer.name() {
        return Err(misfit(format!(
            "the run used {}, this trainer {}",
            manifest.optimizer,
            trainer.optimizer.name()
        )));
    }
    let callbacks: Vec<String> = trainer.callbacks.iter().map(|c| c.name()).collect();
    if manifest.callbacks != callbacks {
        return Err(misfit(format!(
            "the run had the callbacks [{}], this trainer has [{}]",
            manifest.callbacks.join(", "),
            callbacks.join(", ")
        )));
    }
    let rng = rng_from(&manifest.rng, &manifest_path)?;
    let weights: StateDict<T> = read_state_dict(src.join("model.safetensors"))?;
    let opt_tensors: StateDict<T> = read_state_dict(src.join("optimizer.safetensors"))?;
    let opt_tensors = opt_tensors
        .into_iter()
        .filter_map(|(name, v)| match v {
            StateValue::Float(t) => Some((name, t)),
            StateValue::Int(_) => None,
        })
        .collect();
    let opt_state = OptimizerState::from_named_tensors(opt_tensors, &manifest.optimizer_metadata)?;
    let history = History::load_json(src.join("history.json"))?;
    let mut train_metrics: Vec<_> = trainer.metrics.iter().map(|m| m.fresh()).collect();
    if manifest.position.batch > 0 {
        for m in &mut train_metrics {
            let name = m.name();
            let state = manifest
                .totals
                .metric_states
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| misfit(format!("no saved state for the metric `{name}`")))?;
            m.set_state(&state.1)?;
        }
    }

    // Everything is read and checked; now apply it, undoing on failure.
    let model_before = state_dict(&trainer.model);
    let optimizer_before = trainer.optimizer.state();
    let backup = std::env::temp_dir().join(format!(
        "wengert-resume-backup-{}-{:p}",
        std::process::id(),
        &*trainer
    ));
    let _ = std::fs::remove_dir_all(&backup);
    for cb in &trainer.callbacks {
        let folder = backup.join(folder_name(&cb.name()));
        std::fs::create_dir_all(&folder).map_err(crate::checkpoint::io("creating", &folder))?;
        cb.save_state(&folder)?;
    }
    let applied = (|| -> Result<()> {
        load_state_dict(&mut trainer.model, &weights)?;
        trainer.optimizer.load_state(&opt_state)?;
        for cb in trainer.callbacks.iter_mut() {
            cb.load_state(&src.join("callbacks").join(folder_name(&cb.name())))?;
        }
        Ok(())
    })();
    if let Err(e) = applied {
        let _ = load_state_dict(&mut trainer.model, &model_before);
        let _ = trainer.optimizer.load_state(&optimizer_before);
        for cb in trainer.callbacks.iter_mut() {
            let _ = cb.load_state(&backup.join(folder_name(&cb.name())));
        }
        let _ = std::fs::remove_dir_all(&backup);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&backup);
    *trainer.tape.rng() = rng;
    trainer.settings.seed = manifest.seed;
    trainer.settings.accumulate = manifest.accumulate;
    trainer.position = manifest.position;
    trainer.totals = manifest.totals;
    trainer.train_metrics = train_metrics;
    trainer.history = history;
    trainer.warnings = manifest.warnings;
    trainer.stop_reason = None;
    Ok(())
}

/// Which parameters differ between a checkpoint and the model.
fn describe_model_difference(
    saved: &[(String, Vec<usize>)],
    ours: &[(String, Vec<usize>)],
    saved_type: &str,
) -> String {
    let mut lines = Vec::new();
    for (name, shape) in saved {
        match ours.iter().find(|(n, _)| n == name) {
            None => lines.push(format!(
                "`{name}` {shape:?} is in the checkpoint, not in the model"
            )),
            Some((_, s)) if s != shape => lines.push(format!(
                "`{name}`: {shape:?} in the checkpoint, {s:?} in the model"
            )),
            _ => {}
        }
    }
    for (name, shape) in ours {
        if !saved.iter().any(|(n, _)| n == name) {
            lines.push(format!(
                "`{name}` {shape:?} is in the model, not in the checkpoint"
            ));
        }
    }
    if lines.is_empty() {
        lines.push("the parameters are listed in another order".into());
    }
    format!(
        "it was saved from another model (a {saved_type}): {}",
        lines.join("; ")
    )
}
