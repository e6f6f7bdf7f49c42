//! A sweep run as separate processes, one per job, merges to the same
//! report as the in-process sweep, bitwise.
//!
//! This binary is both the driver and the job runner (`harness = false`):
//! run with `--job N` or `--job-from-env` it runs one job, as a user's
//! sweep binary on a cluster would; run otherwise it is the test. The
//! driver writes the job file into a temporary folder, runs every job as
//! its own process (`seq 0 N-1 | xargs -P 2`), merges the results and
//! compares them with the sweep run in this process; then it runs one job
//! with its index in `SLURM_ARRAY_TASK_ID` and one with it in
//! `JOB_COMPLETION_INDEX` (on one rayon thread, so the results also show
//! that 1 and 2 threads give the same bits), and merges with a result
//! missing.

mod selection_common;

use std::path::Path;
use std::process::Command;

use selection_common::{assert_same_report, digits, trainer};
use wengert_data::{InMemoryDataset, Subset};
use wengert_train::selection::{
    Config, CrossValidation, Grid, JobFile, RunInfo, Score, Sweep, SweepCommand, SweepReport,
    ValidationPlan,
};
use wengert_train::TrainError;

/// The sweep both sides build: 2 configurations x 3 folds = 6 jobs.
fn sweep() -> Sweep {
    let configs = Grid::new()
        .axis("lr", [0.003, 0.03])
        .axis("width", [12usize])
        .configs()
        .unwrap();
    let cv = CrossValidation::new(
        ValidationPlan::stratified_kfold(3, 9),
        Score::best("val_accuracy", true),
    )
    .seed(5);
    Sweep::new(configs, cv).unwrap()
}

fn data() -> Subset<InMemoryDataset<f32>> {
    digits(300)
}

fn factory(
    config: &Config,
    run: &RunInfo,
) -> wengert_train::Result<
    wengert_train::Trainer<f32, wengert_nn::Sequential<f32>, wengert_optim::Adam<f32>>,
> {
    trainer(config, run, 3)
}

fn execute(command: &SweepCommand) -> wengert_train::Result<Option<SweepReport>> {
    command.execute(&sweep(), &data(), factory)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--job" || a == "--job-from-env") {
        let result = SweepCommand::parse(args, |name| std::env::var(name).ok())
            .and_then(|command| execute(&command));
        if let Err(e) = result {
            eprintln!("sweep job failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    // Arguments from `cargo test` (filters, --nocapture) do not concern
    // this single test.
    println!("\nrunning 1 test");
    drive();
    println!("test sweep_processes_merge_to_the_in_process_report ... ok\n");
    println!("test result: ok. 1 passed; 0 failed");
}

fn job_runner(jobs: &Path, results: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .arg("--jobs")
        .arg(jobs)
        .arg("--results")
        .arg(results)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    command
}

fn drive() {
    let dir = std::env::temp_dir().join(format!("wengert-sweep-processes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let jobs = dir.join("jobs.json");
    let results = dir.join("results");

    let written = execute(&SweepCommand::WriteJobs { jobs: jobs.clone() }).unwrap();
    assert!(written.is_none());
    let file = JobFile::read(&jobs).unwrap();
    let n = file.jobs.len();
    assert_eq!(n, 6);

    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "seq 0 {} | xargs -P 2 -I{{}} '{}' --jobs '{}' --results '{}' --job {{}}",
        n - 1,
        exe.display(),
        jobs.display(),
        results.display()
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .status()
        .unwrap();
    assert!(status.success(), "{script}: {status}");

    let merge = SweepCommand::Merge {
        jobs: jobs.clone(),
        results: results.clone(),
    };
    let merged = execute(&merge).unwrap().expect("a merge reports");
    let local = sweep().run(&data(), factory).unwrap();
    assert_eq!(
        merged.to_json().unwrap().as_bytes(),
        local.to_json().unwrap().as_bytes(),
        "merged and in-process reports serialise to the same bytes"
    );
    assert_same_report(&merged, &local);

    // The index from the environment: Slurm's, then Kubernetes'.
    for (variable, index) in [("SLURM_ARRAY_TASK_ID", 3), ("JOB_COMPLETION_INDEX", 4)] {
        let path = JobFile::result_path(&results, index);
        let before = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let status = job_runner(&jobs, &results)
            .arg("--job-from-env")
            .env(variable, index.to_string())
            // One thread here, two in the first run: the same bits.
            .env("RAYON_NUM_THREADS", "1")
            .status()
            .unwrap();
        assert!(status.success(), "job {index} from {variable}: {status}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "job {index} run from {variable} on one thread writes the same result"
        );
    }
    assert_same_report(&execute(&merge).unwrap().unwrap(), &local);

    // A missing result is named by its index.
    std::fs::remove_file(JobFile::result_path(&results, 5)).unwrap();
    match execute(&merge) {
        Err(TrainError::MissingJobs { missing, total, .. }) => {
            assert_eq!((missing, total), (vec![5], 6));
        }
        other => panic!("expected the missing job 5, got {other:?}"),
    }
    let message = execute(&merge).unwrap_err().to_string();
    assert!(message.contains("missing job(s) 5 of 6"), "{message}");

    std::fs::remove_dir_all(&dir).unwrap();
}
