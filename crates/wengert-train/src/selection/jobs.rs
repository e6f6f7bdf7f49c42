//! [`JobFile`]: a sweep written as a list of independent jobs
//! (configuration x fold), one job run by index in any process, each
//! writing its result as JSON, and the results merged into the same
//! [`SweepReport`] an in-process run gives, bitwise.
//!
//! A job file carries an identity: a hash of its sweep (configurations,
//! plan, score, seeds, batch sizes) and of the number of examples. Every
//! result names the identity of the job file it was run from, and merging
//! refuses results of another job file, so results of an old sweep left in
//! a folder cannot slip into a new report.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wengert_data::Dataset;
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::history::write_atomically;
use crate::selection::config::Config;
use crate::selection::cross_validate::{FoldResult, RunInfo};
use crate::selection::report::SweepReport;
use crate::selection::search::{Job, Sweep};
use crate::trainer::Trainer;

/// The `format` field of every job file.
pub const JOB_FILE_FORMAT: &str = "wengert-sweep-jobs/1";

/// A sweep as a list of jobs, with its identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobFile {
    /// [`JOB_FILE_FORMAT`].
    pub format: String,
    /// The identity: 16 hex digits of a 64-bit FNV-1a hash of the sweep
    /// and the example count, as JSON.
    pub id: String,
    /// How many training examples the sweep was planned for; a job run on
    /// data of another size is refused (its folds would differ).
    pub examples: usize,
    /// The sweep.
    pub sweep: Sweep,
    /// Every job, configuration-major ([`Sweep::jobs`]).
    pub jobs: Vec<Job>,
}

/// What one job writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The identity of the job file the job was run from.
    pub job_file: String,
    /// The job.
    pub job: Job,
    /// The configuration it ran (for a reader of the file alone).
    pub config: Config,
    /// Its fold's result.
    pub result: FoldResult,
}

impl JobFile {
    /// The job file of `sweep` on `data` (whose size it records).
    pub fn new<T: Float, D: Dataset<T>>(sweep: &Sweep, data: &D) -> Result<Self> {
        let examples = data.len();
        Ok(JobFile {
            format: JOB_FILE_FORMAT.to_string(),
            id: identity(sweep, examples)?,
            examples,
            sweep: sweep.clone(),
            jobs: sweep.jobs(),
        })
    }

    /// Writes the job file as pretty JSON, atomically.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::Format {
            path: path.to_path_buf(),
            why: format!("cannot encode the job file as JSON: {e}"),
        })?;
        write_atomically(path, "writing job file", &json)
    }

    /// Reads a job file, checking its format and that its identity matches
    /// its content (a hand-edited sweep is refused).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file: JobFile = read_json(path, "reading job file", "a sweep job file")?;
        let bad = |why: String| TrainError::Format {
            path: path.to_path_buf(),
            why,
        };
        if file.format != JOB_FILE_FORMAT {
            return Err(bad(format!(
                "expected format `{JOB_FILE_FORMAT}`, found `{}`",
                file.format
            )));
        }
        let id = identity(&file.sweep, file.examples)?;
        if id != file.id {
            return Err(bad(format!(
                "the identity {} does not match the content (which hashes to {id}): the file was edited after it was written; write it again",
                file.id
            )));
        }
        if file.jobs != file.sweep.jobs() {
            return Err(bad(
                "the job list is not the sweep's (configuration-major, one job per fold)".into(),
            ));
        }
        Ok(file)
    }

    /// Checks that this job file was written for `sweep` on `data`: a
    /// binary whose sweep changed since the file was written must not run
    /// or merge its jobs.
    pub fn check_matches<T: Float, D: Dataset<T>>(&self, sweep: &Sweep, data: &D) -> Result<()> {
        let expected = identity(sweep, data.len())?;
        if expected != self.id {
            return Err(TrainError::Selection {
                what: "job file",
                why: format!(
                    "job file {} was written for another sweep or dataset (this program's sweep on {} examples is {expected}); write the jobs again with --write-jobs",
                    self.id,
                    data.len()
                ),
            });
        }
        Ok(())
    }

    /// The file job `index` writes its result to in `dir`:
    /// `job-000017.json`.
    pub fn result_path(dir: impl AsRef<Path>, index: usize) -> PathBuf {
        dir.as_ref().join(format!("job-{index:06}.json"))
    }

    /// Runs job `index` on `data` with `factory` and writes its
    /// [`JobResult`] into `dir` (created if needed), atomically: a
    /// temporary file renamed into place, so a killed job leaves no half
    /// result. Returns the result file's path.
    pub fn run_job<T, M, O, D, F>(
        &self,
        index: usize,
        data: &D,
        factory: F,
        dir: impl AsRef<Path>,
    ) -> Result<PathBuf>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&Config, &RunInfo) -> Result<Trainer<T, M, O>>,
    {
        let job = *self.jobs.get(index).ok_or_else(|| TrainError::Selection {
            what: "job file",
            why: format!(
                "job {index} does not exist: job file {} has {} jobs (0 to {})",
                self.id,
                self.jobs.len(),
                self.jobs.len().saturating_sub(1)
            ),
        })?;
        if data.len() != self.examples {
            return Err(TrainError::Selection {
                what: "job file",
                why: format!(
                    "job file {} was planned for {} examples, but the data has {}",
                    self.id,
                    self.examples,
                    data.len()
                ),
            });
        }
        let folds = self.sweep.cv.plan.folds(data)?;
        let result = self.sweep.run_job(&job, data, &folds, &factory)?;
        let record = JobResult {
            job_file: self.id.clone(),
            job,
            config: self.sweep.configs[job.config].clone(),
            result,
        };
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            op: "creating results folder",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = Self::result_path(dir, index);
        let json = serde_json::to_vec_pretty(&record).map_err(|e| TrainError::Format {
            path: path.clone(),
            why: format!("cannot encode the job result as JSON: {e}"),
        })?;
        write_atomically(&path, "writing job result", &json)?;
        Ok(path)
    }

    /// Reads every job's result from `dir` and gathers the report, equal
    /// to [`Sweep::run`]'s. Missing results are an error listing every
    /// missing index ([`TrainError::MissingJobs`]); a result of another
    /// job file, or of another job than its name says, is an error naming
    /// the file.
    pub fn merge(&self, dir: impl AsRef<Path>) -> Result<SweepReport> {
        let dir = dir.as_ref();
        let mut missing = Vec::new();
        let mut results = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            let path = Self::result_path(dir, job.index);
            if !path.exists() {
                missing.push(job.index);
                continue;
            }
            let record: JobResult = read_json(&path, "reading job result", "a sweep job result")?;
            let bad = |why: String| TrainError::Format {
                path: path.clone(),
                why,
            };
            if record.job_file != self.id {
                return Err(bad(format!(
                    "the result belongs to job file {}, not to {}; clear the folder or merge with that job file",
                    record.job_file, self.id
                )));
            }
            if record.job != *job {
                return Err(bad(format!(
                    "expected job {:?}, the file holds {:?}",
                    job, record.job
                )));
            }
            results.push(record.result);
        }
        if !missing.is_empty() {
            return Err(TrainError::MissingJobs {
                dir: dir.to_path_buf(),
                missing,
                total: self.jobs.len(),
            });
        }
        Ok(self.sweep.report(results))
    }
}

/// The identity of `sweep` on `examples` examples.
fn identity(sweep: &Sweep, examples: usize) -> Result<String> {
    let bytes = serde_json::to_vec(&(JOB_FILE_FORMAT, examples, sweep)).map_err(|e| {
        TrainError::Selection {
            what: "job file",
            why: format!("the sweep cannot be written as JSON: {e}"),
        }
    })?;
    // FNV-1a, 64 bits: stable across platforms and versions, unlike std's
    // hasher, and enough to tell sweeps apart (this is no security check).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(format!("{hash:016x}"))
}

fn read_json<V: serde::de::DeserializeOwned>(
    path: &Path,
    op: &'static str,
    what: &str,
) -> Result<V> {
    let bytes = fs::read(path).map_err(|source| TrainError::Io {
        op,
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| TrainError::Format {
        path: path.to_path_buf(),
        why: format!("expected {what} (JSON): {e}"),
    })
}
