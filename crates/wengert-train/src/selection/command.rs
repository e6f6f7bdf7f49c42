//! [`SweepCommand`]: what a sweep binary was asked to do, read from its
//! arguments and environment (no argument parser needed), and
//! [`SweepCommand::execute`], which does it.
//!
//! ```text
//! my_sweep                                              run every job here
//! my_sweep --write-jobs jobs.json                       write the job file
//! my_sweep --jobs jobs.json --results out --job 17      run job 17
//! my_sweep --jobs jobs.json --results out --job-from-env
//!          (index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)
//! my_sweep --jobs jobs.json --merge out                 merge the results
//! ```

use std::path::PathBuf;

use wengert_data::Dataset;
use wengert_nn::Module;
use wengert_optim::Optimizer;
use wengert_tensor::Float;

use crate::error::{Result, TrainError};
use crate::selection::config::Config;
use crate::selection::cross_validate::RunInfo;
use crate::selection::jobs::JobFile;
use crate::selection::report::SweepReport;
use crate::selection::search::Sweep;
use crate::trainer::Trainer;

/// The environment variables a job index is read from, in this order:
/// Slurm job arrays set `SLURM_ARRAY_TASK_ID`, Kubernetes Indexed Jobs set
/// `JOB_COMPLETION_INDEX`.
pub const JOB_INDEX_VARIABLES: [&str; 2] = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

/// What a sweep binary does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepCommand {
    /// Run every job in this process and report (no arguments).
    Local,
    /// Write the job file (`--write-jobs FILE`).
    WriteJobs {
        /// The job file to write.
        jobs: PathBuf,
    },
    /// Run one job (`--jobs FILE --results DIR --job N`, or
    /// `--job-from-env`).
    RunJob {
        /// The job file.
        jobs: PathBuf,
        /// The job's index.
        index: usize,
        /// The folder results go to.
        results: PathBuf,
    },
    /// Merge the results and report (`--jobs FILE --merge DIR`).
    Merge {
        /// The job file.
        jobs: PathBuf,
        /// The folder the results are in.
        results: PathBuf,
    },
}

impl SweepCommand {
    /// The command of this process: its arguments (after the program name)
    /// and environment.
    pub fn from_process() -> Result<Self> {
        Self::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    /// The command given by `args` (without the program name), with
    /// `env` looking up environment variables (for `--job-from-env`).
    /// Unknown arguments, missing values, and two commands at once are
    /// errors naming them.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use wengert_train::selection::SweepCommand;
    ///
    /// let args = ["--jobs", "jobs.json", "--results", "out", "--job-from-env"].map(String::from);
    /// let env = |name: &str| (name == "SLURM_ARRAY_TASK_ID").then(|| "17".to_string());
    /// assert_eq!(
    ///     SweepCommand::parse(args, env)?,
    ///     SweepCommand::RunJob { jobs: "jobs.json".into(), index: 17, results: "out".into() }
    /// );
    /// assert_eq!(SweepCommand::parse(Vec::<String>::new(), |_| None)?, SweepCommand::Local);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let mut write_jobs = None;
        let mut jobs = None;
        let mut results = None;
        let mut merge = None;
        let mut index = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| {
                args.next()
                    .ok_or_else(|| usage(format!("`{flag}` needs a value")))
            };
            match arg.as_str() {
                "--write-jobs" => write_jobs = Some(PathBuf::from(value("--write-jobs")?)),
                "--jobs" => jobs = Some(PathBuf::from(value("--jobs")?)),
                "--results" => results = Some(PathBuf::from(value("--results")?)),
                "--merge" => merge = Some(PathBuf::from(value("--merge")?)),
                "--job" => {
                    let text = value("--job")?;
                    index = Some(parse_index(&text, "--job")?);
                }
                "--job-from-env" => index = Some(job_index_from_env(&env)?),
                other => return Err(usage(format!("unknown argument `{other}`"))),
            }
        }
        let commands = [write_jobs.is_some(), index.is_some(), merge.is_some()]
            .iter()
            .filter(|&&c| c)
            .count();
        if commands > 1 {
            return Err(usage(
                "give one of --write-jobs, --job/--job-from-env, --merge".into(),
            ));
        }
        let need_jobs = |jobs: Option<PathBuf>, command: &str| {
            jobs.ok_or_else(|| usage(format!("{command} needs `--jobs FILE`")))
        };
        match (write_jobs, index, merge) {
            (Some(path), None, None) => Ok(SweepCommand::WriteJobs { jobs: path }),
            (None, Some(index), None) => Ok(SweepCommand::RunJob {
                jobs: need_jobs(jobs, "running a job")?,
                index,
                results: results
                    .ok_or_else(|| usage("running a job needs `--results DIR`".into()))?,
            }),
            (None, None, Some(dir)) => Ok(SweepCommand::Merge {
                jobs: need_jobs(jobs, "--merge")?,
                results: dir,
            }),
            _ if jobs.is_some() || results.is_some() => Err(usage(
                "`--jobs` and `--results` go with --job N, --job-from-env or --merge".into(),
            )),
            _ => Ok(SweepCommand::Local),
        }
    }

    /// What a command that writes files instead of reporting has done to
    /// `sweep`, as one line for the user: the job file written (with its
    /// job count) or the job run and where its result went; `None` for
    /// [`SweepCommand::Local`] and [`SweepCommand::Merge`], which report.
    ///
    /// ```
    /// use wengert_train::selection::{
    ///     Config, CrossValidation, Score, Sweep, SweepCommand, ValidationPlan,
    /// };
    /// let configs = vec![Config::new().with("lr", 0.1), Config::new().with("lr", 0.01)];
    /// let cv = CrossValidation::new(ValidationPlan::kfold(5, 0), Score::last("val_loss", false));
    /// let sweep = Sweep::new(configs, cv)?;
    /// let write = SweepCommand::WriteJobs { jobs: "jobs.json".into() };
    /// assert_eq!(
    ///     write.done_message(&sweep).unwrap(),
    ///     "wrote 10 jobs (2 configurations x 5 folds) to jobs.json"
    /// );
    /// assert_eq!(SweepCommand::Local.done_message(&sweep), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn done_message(&self, sweep: &Sweep) -> Option<String> {
        match self {
            SweepCommand::WriteJobs { jobs } => Some(format!(
                "wrote {} jobs ({} configurations x {} folds) to {}",
                sweep.jobs().len(),
                sweep.configs.len(),
                sweep.folds(),
                jobs.display()
            )),
            SweepCommand::RunJob { index, results, .. } => {
                Some(format!("job {index} done, result in {}", results.display()))
            }
            SweepCommand::Local | SweepCommand::Merge { .. } => None,
        }
    }

    /// Does the command for `sweep` on `data`, building trainers with
    /// `factory`: gives the report for [`SweepCommand::Local`] and
    /// [`SweepCommand::Merge`], `None` for the others (which write files).
    /// Running or merging jobs first checks that the job file was written
    /// for this sweep and data ([`JobFile::check_matches`]).
    pub fn execute<T, M, O, D, F>(
        &self,
        sweep: &Sweep,
        data: &D,
        factory: F,
    ) -> Result<Option<SweepReport>>
    where
        T: Float,
        M: Module<T>,
        O: Optimizer<T>,
        D: Dataset<T> + Clone + 'static,
        F: Fn(&Config, &RunInfo) -> Result<Trainer<T, M, O>> + Sync,
    {
        match self {
            SweepCommand::Local => sweep.run(data, factory).map(Some),
            SweepCommand::WriteJobs { jobs } => {
                JobFile::new(sweep, data)?.write(jobs)?;
                Ok(None)
            }
            SweepCommand::RunJob {
                jobs,
                index,
                results,
            } => {
                let file = JobFile::read(jobs)?;
                file.check_matches(sweep, data)?;
                file.run_job(*index, data, factory, results)?;
                Ok(None)
            }
            SweepCommand::Merge { jobs, results } => {
                let file = JobFile::read(jobs)?;
                file.check_matches(sweep, data)?;
                file.merge(results).map(Some)
            }
        }
    }
}

/// The job index from the first of [`JOB_INDEX_VARIABLES`] that is set,
/// looked up with `env`; an error naming both when neither is set, or
/// naming the variable and its value when it is not an index.
pub fn job_index_from_env(env: impl Fn(&str) -> Option<String>) -> Result<usize> {
    for name in JOB_INDEX_VARIABLES {
        if let Some(value) = env(name) {
            return parse_index(&value, name);
        }
    }
    Err(usage(format!(
        "--job-from-env: neither {} is set",
        JOB_INDEX_VARIABLES.join(" nor ")
    )))
}

fn parse_index(text: &str, source: &str) -> Result<usize> {
    text.trim().parse().map_err(|_| {
        usage(format!(
            "{source} must be a job index (0, 1, 2, ...), got `{text}`"
        ))
    })
}

fn usage(why: String) -> TrainError {
    TrainError::Selection {
        what: "sweep arguments",
        why,
    }
}
