//! A checkpoint write killed midway (the process is killed, at moments
//! spread over the write) leaves a checkpoint that loads: the new one or
//! the one before it, never a half-written one.
//!
//! The test runs itself as a child process (the same test binary, with an
//! environment variable set) that trains and checkpoints after every step,
//! and kills it with SIGKILL at moments spread over the writes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wengert_data::{embedded, DataLoader, InMemoryDataset, LoaderConfig};
use wengert_nn::{Linear, ReLU, Sequential};
use wengert_optim::{Adam, AdamConfig};
use wengert_tensor::seeded_rng;
use wengert_train::{Checkpoint, CrossEntropyLoss, Trainer};

const CHILD: &str = "WENGERT_CHECKPOINT_KILL_CHILD";
const TEST: &str = "a_checkpoint_write_killed_midway_leaves_a_loadable_checkpoint";

fn trainer(dir: &Path) -> Trainer<f32, Sequential<f32>, Adam<f32>> {
    let mut rng = seeded_rng(3);
    // Wide enough that a checkpoint takes a few milliseconds to write.
    let model = Sequential::new()
        .with(Linear::new(64, 1024, &mut rng))
        .with(ReLU)
        .with(Linear::new(1024, 10, &mut rng));
    Trainer::new(model, AdamConfig::new(1e-3).build(), CrossEntropyLoss)
        .epochs(1_000_000)
        .callback(Checkpoint::new(dir).every_steps(1))
        .quiet()
}

fn loader() -> DataLoader<f32, InMemoryDataset<f32>> {
    DataLoader::new(embedded::digits().unwrap(), LoaderConfig::new(64).seed(1))
}

#[test]
fn a_checkpoint_write_killed_midway_leaves_a_loadable_checkpoint() {
    if let Ok(dir) = std::env::var(CHILD) {
        // The child: train and checkpoint until killed.
        let _ = trainer(Path::new(&dir)).fit_without_validation(&loader());
        return;
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("wengert-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let exe = std::env::current_exe().unwrap();
    let mut last_step = 0;
    for round in 0..8u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
            .env(CHILD, &dir)
            .spawn()
            .unwrap();
        // Wait for the child to have written at least one checkpoint of its
        // own, then kill it at a moment that moves through the write cycle.
        let started = Instant::now();
        while !dir.join("last").join("trainer.json").exists()
            && started.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(40 + round * 17));
        child.kill().unwrap();
        child.wait().unwrap();

        let mut resumed = trainer(&dir);
        resumed.resume(dir.join("last")).unwrap_or_else(|e| {
            panic!("round {round}: the checkpoint left by the killed write does not load: {e}")
        });
        let step = resumed.position().step;
        assert!(step >= 1, "round {round}");
        // Each round resumes nothing (a fresh child starts from scratch),
        // but what is there is a complete checkpoint of some step.
        last_step = last_step.max(step);
    }
    assert!(last_step >= 1);
}
