//! Every learning-rate schedule of `schedulers.json` (PyTorch, float64),
//! matched step by step to 1e-10: the learning rate of 30 consecutive
//! steps, OneCycle's momentum, and ReduceLROnPlateau's bad-epoch counter
//! and best value. Each schedule is built from the case's `scheduler` and
//! `params` fields; the base rate, `meta.base_lr`, is given to the
//! optimizer only. Each step-driven schedule is checked twice: its closed
//! form, and the rate it sets on an optimizer it drives (started before
//! the first step, stepped after each one, as PyTorch's loop does).

mod common;

use common::{load_golden, num, nums};
use serde_json::Value;
use wengert_optim::{
    Anneal, CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LinearLr, LrSchedule,
    MultiStepLr, OneCycleLr, Optimizer, PlateauMode, ReduceLrOnPlateau, SequentialLr, Sgd,
    SgdConfig, StepLr, ThresholdMode,
};
use wengert_tensor::{Grads, Param, Tensor};

const TOL: f64 = 1e-10;

fn int(params: &Value, key: &str, id: &str) -> usize {
    params[key]
        .as_u64()
        .unwrap_or_else(|| panic!("case {id}: `{key}` is missing or not an integer")) as usize
}

/// A step-driven schedule from PyTorch's class name (last path segment)
/// and arguments.
fn build(class: &str, p: &Value, id: &str) -> Box<dyn LrSchedule> {
    match class.rsplit('.').next().unwrap() {
        "StepLR" => Box::new(StepLr::new(int(p, "step_size", id), num(p, "gamma", id))),
        "MultiStepLR" => Box::new(MultiStepLr::new(
            nums(p, "milestones", id)
                .iter()
                .map(|&m| m as usize)
                .collect(),
            num(p, "gamma", id),
        )),
        "ExponentialLR" => Box::new(ExponentialLr::new(num(p, "gamma", id))),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLr::new(
            int(p, "T_max", id),
            num(p, "eta_min", id),
        )),
        "CosineAnnealingWarmRestarts" => Box::new(CosineAnnealingWarmRestarts::new(
            int(p, "T_0", id),
            int(p, "T_mult", id),
            num(p, "eta_min", id),
        )),
        "LinearLR" => Box::new(LinearLr::new(
            num(p, "start_factor", id),
            num(p, "end_factor", id),
            int(p, "total_iters", id),
        )),
        "OneCycleLR" => {
            let anneal = match p["anneal_strategy"].as_str() {
                Some("cos") => Anneal::Cos,
                Some("linear") => Anneal::Linear,
                other => panic!("case {id}: anneal_strategy {other:?}"),
            };
            Box::new(
                OneCycleLr::new(num(p, "max_lr", id), int(p, "total_steps", id))
                    .pct_start(num(p, "pct_start", id))
                    .anneal(anneal)
                    .div_factor(num(p, "div_factor", id))
                    .final_div_factor(num(p, "final_div_factor", id))
                    .three_phase(p["three_phase"].as_bool().unwrap_or(false))
                    .momentum_range(num(p, "base_momentum", id), num(p, "max_momentum", id))
                    .cycle_momentum(p["cycle_momentum"].as_bool().unwrap_or(true)),
            )
        }
        "SequentialLR" => {
            let parts = p["schedulers"]
                .as_array()
                .unwrap_or_else(|| panic!("case {id}: SequentialLR without `schedulers`"));
            let schedules = parts
                .iter()
                .map(|s| build(s["scheduler"].as_str().unwrap(), s, id))
                .collect();
            let milestones = nums(p, "milestones", id)
                .iter()
                .map(|&m| m as usize)
                .collect();
            Box::new(SequentialLr::new(schedules, milestones))
        }
        other => panic!("case {id}: scheduler {other} is not mapped in this test"),
    }
}

fn check(failures: &mut Vec<String>, id: &str, what: &str, t: usize, got: f64, want: f64) -> f64 {
    let diff = (got - want).abs();
    if diff.is_nan() || diff > TOL {
        failures.push(format!(
            "case {id}, step {t}: {what} {got:e}, PyTorch {want:e}, |diff| {diff:e} > {TOL:e}"
        ));
    }
    diff
}

/// An optimizer built with the golden base rate, with momentum for
/// OneCycle to cycle, and one parameter to step so its step count moves.
fn driven_optimizer(base_lr: f64) -> (Sgd<f64>, Param<f64>, Grads<f64>) {
    let opt = SgdConfig::new(base_lr).momentum(0.9).build();
    let w = Param::new("w", Tensor::zeros(&[1]));
    let mut grads = Grads::new();
    grads.insert(w.id(), Tensor::zeros(&[1]));
    (opt, w, grads)
}

/// ReduceLROnPlateau, driven by the stored validation losses.
fn run_plateau(case: &Value, base_lr: f64, failures: &mut Vec<String>) -> f64 {
    let id = case["id"].as_str().unwrap();
    let p = &case["params"];
    let mode = match p["mode"].as_str() {
        Some("min") => PlateauMode::Min,
        Some("max") => PlateauMode::Max,
        other => panic!("case {id}: mode {other:?}"),
    };
    let threshold_mode = match p["threshold_mode"].as_str() {
        Some("rel") => ThresholdMode::Rel,
        Some("abs") => ThresholdMode::Abs,
        other => panic!("case {id}: threshold_mode {other:?}"),
    };
    let (mut opt, _, _) = driven_optimizer(base_lr);
    let mut plateau = ReduceLrOnPlateau::new()
        .mode(mode)
        .factor(num(p, "factor", id))
        .patience(int(p, "patience", id))
        .threshold(num(p, "threshold", id), threshold_mode)
        .cooldown(int(p, "cooldown", id))
        .min_lr(num(p, "min_lr", id))
        .eps(num(p, "eps", id));
    let lr = nums(case, "lr", id);
    let losses = nums(case, "val_loss", id);
    let lr_after = nums(case, "lr_after_step", id);
    let bad_after = nums(case, "num_bad_epochs_after_step", id);
    let best_after = nums(case, "best_after_step", id);
    let mut worst: f64 = 0.0;
    for t in 0..lr.len() {
        worst = worst.max(check(failures, id, "lr before step", t, opt.lr(), lr[t]));
        let after = plateau.step(&mut opt, losses[t]);
        worst = worst.max(check(failures, id, "lr after step", t, after, lr_after[t]));
        check(
            failures,
            id,
            "optimizer lr after step",
            t,
            opt.lr(),
            lr_after[t],
        );
        check(
            failures,
            id,
            "bad epochs",
            t,
            plateau.num_bad_epochs as f64,
            bad_after[t],
        );
        check(failures, id, "best", t, plateau.best, best_after[t]);
    }
    worst
}

#[test]
fn every_schedule_matches_pytorch_to_1e_10() {
    let golden = load_golden("schedulers.json");
    let base_lr = num(&golden["meta"], "base_lr", "meta");
    let cases = golden["cases"]
        .as_array()
        .expect("schedulers.json has a `cases` list");
    assert!(!cases.is_empty(), "schedulers.json has no cases");
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().expect("every case has an id");
        let class = case["scheduler"].as_str().unwrap();
        let worst = if class.ends_with("ReduceLROnPlateau") {
            run_plateau(case, base_lr, &mut failures)
        } else {
            let schedule = build(class, &case["params"], id);
            let lr = nums(case, "lr", id);
            let momentum = case.get("momentum").map(|_| nums(case, "momentum", id));
            let mut worst: f64 = 0.0;
            for (t, &want) in lr.iter().enumerate() {
                let got = schedule.lr(base_lr, t);
                worst = worst.max(check(&mut failures, id, "lr", t, got, want));
                if let Some(m) = &momentum {
                    let got = schedule
                        .momentum(t)
                        .unwrap_or_else(|| panic!("case {id}: the schedule gives no momentum"));
                    worst = worst.max(check(&mut failures, id, "momentum", t, got, m[t]));
                }
            }
            // Driven: the rate the optimizer holds before each of its steps.
            let (mut opt, mut w, grads) = driven_optimizer(base_lr);
            let mut scheduler = schedule.start(&mut opt);
            for (t, &want) in lr.iter().enumerate() {
                worst = worst.max(check(&mut failures, id, "driven lr", t, opt.lr(), want));
                opt.step(&mut w, &grads);
                scheduler.step(&mut opt);
            }
            worst
        };
        eprintln!("{id:<40} max |lr - lr_torch| = {worst:.1e}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches against PyTorch:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
