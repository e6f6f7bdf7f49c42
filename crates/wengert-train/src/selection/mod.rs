//! Model selection: K-fold cross-validation, grid and random search, a
//! test set that can be evaluated only once, and sweeps that run as one
//! job per process on a cluster.
//!
//! The text's rule runs through it: choose models and hyperparameters by
//! validation or K-fold, never by the test set; retrain the choice on all
//! training data; evaluate the test set once, at the end.
//!
//! # Reading order
//!
//! 1. [`Config`] (config.rs): one configuration, named values, printable
//!    and serialisable. [`Grid`] and [`RandomSearch`] (space.rs) list them.
//! 2. [`Score`] (score.rs): the history column that ranks them, read at
//!    the best or the last epoch.
//! 3. [`CrossValidation`] (cross_validate.rs): a fresh trainer per fold
//!    from a factory, the fold scores, their mean and sample standard
//!    deviation, serial or parallel with the same bits; the retrain.
//! 4. [`Sweep`] (search.rs): configurations x folds as independent
//!    [`Job`]s, run in this process; [`SweepReport`] (report.rs) ranks
//!    them and prints a markdown table; [`plot_sweep`] draws them.
//! 5. [`SealedTestSet`] (sealed.rs): the test data, evaluated once.
//! 6. [`JobFile`] (jobs.rs) and [`SweepCommand`] (command.rs): the same
//!    sweep as a job file, one job per process, results merged into the
//!    same report bitwise.
//!
//! # Running a sweep on a cluster
//!
//! A binary that builds its [`Sweep`], data and trainer factory, then calls
//! `SweepCommand::from_process()?.execute(&sweep, &data, factory)?`, can
//! run in three steps. Jobs are numbered `0..N` with `N` = configurations
//! x folds (the job file lists them).
//!
//! ```text
//! my_sweep --write-jobs sweep/jobs.json                     # once
//! my_sweep --jobs sweep/jobs.json --results sweep/results --job 17
//! my_sweep --jobs sweep/jobs.json --merge sweep/results     # prints the report
//! ```
//!
//! Each job writes `results/job-000017.json` atomically (a temporary file
//! renamed into place), so a killed or preempted job leaves no half file
//! and can simply run again. Merging checks that every result belongs to
//! this job file (its identity hash) and names the missing jobs by index.
//!
//! ## As a Slurm job array
//!
//! The task index comes from `SLURM_ARRAY_TASK_ID` with `--job-from-env`
//! (or pass `--job $SLURM_ARRAY_TASK_ID`). Arrays count from 0 here, to
//! match the job indices; for a sweep of 20 jobs:
//!
//! ```text
//! #!/bin/bash
//! #SBATCH --job-name=sweep
//! #SBATCH --array=0-19
//! #SBATCH --cpus-per-task=2
//! #SBATCH --time=00:30:00
//! #SBATCH --output=sweep/logs/%A_%a.out
//! srun ./target/release/my_sweep --jobs sweep/jobs.json \
//!     --results sweep/results --job-from-env
//! ```
//!
//! Submit it, then merge after the array ends
//! (`sbatch --dependency=afterok:<array id>` for a merge job, or by hand).
//! Rerun a failed index alone with `sbatch --array=7 sweep.sbatch`.
//!
//! ## As a Kubernetes Indexed Job
//!
//! An Indexed Job gives each pod its index in `JOB_COMPLETION_INDEX`; the
//! job file and results live on a shared volume:
//!
//! ```text
//! apiVersion: batch/v1
//! kind: Job
//! metadata:
//!   name: sweep
//! spec:
//!   completionMode: Indexed
//!   completions: 20        # configurations x folds
//!   parallelism: 4
//!   backoffLimitPerIndex: 2
//!   template:
//!     spec:
//!       restartPolicy: Never
//!       containers:
//!         - name: job
//!           image: registry.example.org/my-sweep:1
//!           command: ["/app/my_sweep", "--jobs", "/sweep/jobs.json",
//!                     "--results", "/sweep/results", "--job-from-env"]
//!           resources:
//!             requests: { cpu: "2" }
//!           volumeMounts:
//!             - { name: sweep, mountPath: /sweep }
//!       volumes:
//!         - name: sweep
//!           persistentVolumeClaim: { claimName: sweep }
//! ```
//!
//! When the Job completes, run the merge once (a pod or a machine that
//! mounts the volume): `my_sweep --jobs /sweep/jobs.json --merge /sweep/results`.

mod command;
mod config;
mod cross_validate;
mod jobs;
#[cfg(feature = "plot")]
mod plot;
mod report;
mod score;
mod sealed;
mod search;
mod space;

pub use command::{job_index_from_env, SweepCommand, JOB_INDEX_VARIABLES};
pub use config::{Config, Value};
pub use cross_validate::{
    CrossValidation, CvResult, FoldResult, Retrained, RunInfo, ValidationPlan,
};
pub use jobs::{JobFile, JobResult, JOB_FILE_FORMAT};
#[cfg(feature = "plot")]
pub use plot::plot_sweep;
pub use report::{ConfigResult, SweepReport};
pub use score::{Score, ScoreAt};
pub use sealed::SealedTestSet;
pub use search::{Job, Sweep};
pub use space::{Distribution, Grid, RandomSearch};
