//! Writing a checkpoint directory so that a crash at any moment leaves a
//! complete checkpoint behind: the new one, or the previous one.
//!
//! A checkpoint `run/last` is written as a sibling folder `run/last.tmp-*`,
//! every file flushed to disk (`fsync`), the manifest (`trainer.json`)
//! last, so a folder without its manifest is known to be incomplete. Then
//! the old folder is moved aside (`run/last.old-*`), the new one renamed
//! into place, the old one removed, and the parent folder synced. Renames
//! within a folder are atomic, so at every instant either `run/last` is
//! complete, or it is missing and `run/last.old-*` is complete: loading
//! looks there when `run/last` is absent or has no manifest.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, TrainError};

/// The file written last: its presence marks a checkpoint as complete.
pub(crate) const MANIFEST: &str = "trainer.json";

/// `op` on `path` failed.
pub(crate) fn io(
    op: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> TrainError + use<> {
    let path = path.to_path_buf();
    move |source| TrainError::Io { op, path, source }
}

/// Writes `bytes` to `path` and flushes them to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = fs::File::create(path).map_err(io("creating", path))?;
    file.write_all(bytes).map_err(io("writing", path))?;
    file.sync_all().map_err(io("syncing", path))
}

/// Flushes a file already written (by another crate's writer) to disk.
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io("syncing", path))
}

/// Flushes a folder's entries (the names created or renamed in it).
fn sync_dir(path: &Path) -> Result<()> {
    // Opening a folder read-only and syncing it is how POSIX persists
    // renames; other systems may refuse to open a folder, and need not.
    match fs::File::open(path) {
        Ok(dir) => {
            let _ = dir.sync_all();
            Ok(())
        }
        Err(_) if !cfg!(unix) => Ok(()),
        Err(e) => Err(io("syncing", path)(e)),
    }
}

/// A sibling of `dir` named `{dir}.{tag}-{pid}-{nanos}`.
fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "checkpoint".into());
    dir.with_file_name(format!("{name}.{tag}-{}-{nanos}", std::process::id()))
}

/// Siblings of `dir` whose names start with `{dir}.{tag}-`.
fn siblings(dir: &Path, tag: &str) -> Vec<PathBuf> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Vec::new();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!("{}.{tag}-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Writes a checkpoint into `dir`, replacing what is there atomically.
/// `fill` writes every file into the folder it is given, the manifest
/// last (through [`write_synced`]); if it fails, `dir` is left as it was.
pub(crate) fn write_atomically(dir: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io("creating", parent))?;
    }
    // Leftovers of writes that crashed: their data never became a checkpoint.
    for stale in siblings(dir, "tmp") {
        let _ = fs::remove_dir_all(stale);
    }
    let tmp = sibling(dir, "tmp");
    fs::create_dir(&tmp).map_err(io("creating", &tmp))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    sync_dir(&tmp)?;
    let old = sibling(dir, "old");
    let had_old = dir.exists();
    if had_old {
        fs::rename(dir, &old).map_err(io("moving aside", dir))?;
    }
    fs::rename(&tmp, dir).map_err(io("renaming into place", &tmp))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    for older in siblings(dir, "old") {
        let _ = fs::remove_dir_all(older);
    }
    Ok(())
}

/// The complete checkpoint to read for `dir`: `dir` itself when it has its
/// manifest, else the folder a crashed replacement moved aside.
pub(crate) fn resolve(dir: &Path) -> Result<PathBuf> {
    if dir.join(MANIFEST).is_file() {
        return Ok(dir.to_path_buf());
    }
    if let Some(old) = siblings(dir, "old")
        .into_iter()
        .rev()
        .find(|p| p.join(MANIFEST).is_file())
    {
        return Ok(old);
    }
    Err(TrainError::Checkpoint {
        path: dir.to_path_buf(),
        why: format!(
            "no complete checkpoint here: expected a folder with `{MANIFEST}` (written last, so \
             a folder without it is a write that did not finish)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wengert-ckpt-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(dir: &Path, content: &str) -> Result<()> {
        write_atomically(dir, |tmp| {
            write_synced(&tmp.join("data"), content.as_bytes())?;
            write_synced(&tmp.join(MANIFEST), b"{}")
        })
    }

    #[test]
    fn a_rewrite_replaces_the_checkpoint_and_leaves_no_sibling() {
        let root = fresh_dir("rewrite");
        let ckpt = root.join("last");
        write(&ckpt, "one").unwrap();
        write(&ckpt, "two").unwrap();
        assert_eq!(
            fs::read_to_string(resolve(&ckpt).unwrap().join("data")).unwrap(),
            "two"
        );
        let names: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["last"]);
    }

    #[test]
    fn a_write_that_fails_partway_leaves_the_previous_checkpoint() {
        let root = fresh_dir("fails");
        let ckpt = root.join("last");
        write(&ckpt, "good").unwrap();
        let failed = write_atomically(&ckpt, |tmp| {
            write_synced(&tmp.join("data"), b"half")?;
            Err(TrainError::Config {
                what: "test",
                why: "the disk filled up".into(),
            })
        });
        assert!(failed.is_err());
        assert_eq!(
            fs::read_to_string(resolve(&ckpt).unwrap().join("data")).unwrap(),
            "good"
        );
    }

    #[test]
    fn a_crash_between_the_two_renames_is_recovered_from_the_old_folder() {
        let root = fresh_dir("between");
        let ckpt = root.join("last");
        write(&ckpt, "previous").unwrap();
        // What a crash right after moving the old folder aside leaves.
        fs::rename(&ckpt, sibling(&ckpt, "old")).unwrap();
        let found = resolve(&ckpt).unwrap();
        assert_eq!(fs::read_to_string(found.join("data")).unwrap(), "previous");
        // The next write cleans up.
        write(&ckpt, "next").unwrap();
        let names: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["last"]);
    }

    #[test]
    fn a_folder_without_its_manifest_is_not_a_checkpoint() {
        let root = fresh_dir("manifest");
        let ckpt = root.join("last");
        fs::create_dir_all(&ckpt).unwrap();
        fs::write(ckpt.join("data"), "half").unwrap();
        let err = resolve(&ckpt).unwrap_err().to_string();
        assert!(err.contains("trainer.json"), "{err}");
    }
}
