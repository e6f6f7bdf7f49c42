//! Cross-crate tests through the facade: what a user of `wengert` does,
//! with `use wengert::prelude::*` and the crates' modules re-exported by it.
//! One test binary with a module per theme, so the suite links once.

mod checkpoint_and_reload;
mod quickstart_in_small;
mod trains_end_to_end;

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
