//! Cross-crate tests through the facade: what a user of `wengert` does,
//! with `use wengert::prelude::*` and the crates' modules re-exported by it.
//! One test binary with a module per theme, so the suite links once.

mod checkpoint_and_reload;
mod dropout_in_small;
mod early_stopping_augmentation_in_small;
mod fine_tuning_in_small;
mod generalization_in_small;
mod lstm_vs_rnn_in_small;
mod model_selection_in_small;
mod optimizers_in_small;
mod quickstart_in_small;
mod small_data_in_small;
mod trains_end_to_end;
mod vanishing_gradients_in_small;
mod weight_decay_in_small;

use wengert::prelude::History;

/// Asserts two runs recorded the same epochs, bitwise: training and
/// validation losses, validation metrics and step counts.
#[track_caller]
pub fn assert_same_epochs(a: &History, b: &History) {
    assert_eq!(a.epochs.len(), b.epochs.len(), "number of epochs");
    for (x, y) in a.epochs.iter().zip(&b.epochs) {
        let epoch = x.epoch;
        assert_eq!(
            x.train_loss.to_bits(),
            y.train_loss.to_bits(),
            "epoch {epoch}"
        );
        assert_eq!(
            x.val_loss.map(f64::to_bits),
            y.val_loss.map(f64::to_bits),
            "epoch {epoch}"
        );
        assert_eq!(x.val_metrics, y.val_metrics, "epoch {epoch}");
        assert_eq!(x.steps, y.steps, "epoch {epoch}");
    }
}

/// A folder of its own under the system's temporary folder, removed when
/// dropped (also when the test fails).
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wengert-facade-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a scratch folder");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
