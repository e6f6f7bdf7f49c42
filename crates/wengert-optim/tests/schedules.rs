//! Schedules beyond the golden cases: applying a schedule to an optimizer
//! (learning rate and one-cycle momentum), plateau detection in max mode,
//! with an absolute threshold and with cooldown, three-phase one-cycle.

use wengert_optim::{
    apply_schedule, AdagradConfig, AdamConfig, LrSchedule, OneCycleLr, Optimizer, PlateauMode,
    ReduceLrOnPlateau, SequentialLr, SgdConfig, StepLr, ThresholdMode,
};
use wengert_tensor::{Grads, Param, Tensor};

fn unit_grad(x: &Param<f64>) -> Grads<f64> {
    let mut grads = Grads::new();
    grads.insert(x.id(), Tensor::ones(x.shape()));
    grads
}

#[test]
fn apply_schedule_sets_lr_and_cycles_momentum() {
    let schedule = OneCycleLr::new(0.1, 30);
    let mut sgd = SgdConfig::new(1.0).momentum(0.9).build::<f64>();
    let mut x = Param::new("x", Tensor::from_vec(vec![0.0], &[1]));
    // Step 0: lr 0.004, momentum 0.95; the first momentum step is b = g.
    apply_schedule(&schedule, 0, &mut sgd);
    assert_eq!(sgd.lr(), schedule.lr(0));
    let g = unit_grad(&x);
    sgd.step(&mut [&mut x], &g);
    let x1 = -schedule.lr(0);
    assert_eq!(x.value().item(), x1);
    // Step 1: b = m1 * 1 + 1 with m1 the schedule's momentum at step 1.
    apply_schedule(&schedule, 1, &mut sgd);
    let g = unit_grad(&x);
    sgd.step(&mut [&mut x], &g);
    let m1 = schedule.momentum(1).unwrap();
    assert_eq!(x.value().item(), x1 - schedule.lr(1) * (m1 * 1.0 + 1.0));
    // Adam takes the momentum as beta1; AdaGrad has none and ignores it.
    let mut adam = AdamConfig::new(0.1).build::<f64>();
    assert!(adam.set_momentum(0.8));
    let mut adagrad = AdagradConfig::new(0.1).build::<f64>();
    apply_schedule(&schedule, 3, &mut adagrad);
    assert_eq!(adagrad.lr(), schedule.lr(3));
    assert!(!adagrad.set_momentum(0.8));
}

#[test]
fn sequential_hands_over_momentum_too() {
    let seq = SequentialLr::new(
        vec![
            Box::new(StepLr::new(0.1, 5, 0.5)),
            Box::new(OneCycleLr::new(0.2, 10)),
        ],
        vec![3],
    );
    assert_eq!(seq.lr(2), 0.1);
    assert_eq!(seq.momentum(2), None);
    assert_eq!(seq.lr(3), OneCycleLr::new(0.2, 10).lr(0));
    assert_eq!(seq.momentum(3), Some(0.95));
}

#[test]
fn plateau_in_max_mode_with_absolute_threshold() {
    let mut p = ReduceLrOnPlateau::new(1.0)
        .mode(PlateauMode::Max)
        .threshold(0.1, ThresholdMode::Abs)
        .patience(0)
        .factor(0.5);
    assert_eq!(p.step(0.5), 1.0); // best 0.5
    assert_eq!(p.step(0.65), 1.0); // better by more than 0.1
    assert_eq!(p.best, 0.65);
    // 0.7 is higher but not by 0.1: a bad epoch, over patience 0, halve.
    assert_eq!(p.step(0.7), 0.5);
    assert_eq!(p.best, 0.65);
}

#[test]
fn plateau_cooldown_ignores_bad_epochs_and_min_lr_floors() {
    let mut p = ReduceLrOnPlateau::new(1.0)
        .patience(0)
        .factor(0.1)
        .cooldown(2)
        .min_lr(0.05);
    assert_eq!(p.step(1.0), 1.0);
    assert_eq!(p.step(1.0), 0.1); // bad, reduce, cooldown 2
    assert_eq!(p.step(1.0), 0.1); // cooldown
    assert_eq!(p.step(1.0), 0.1); // cooldown
    assert_eq!(p.step(1.0), 0.05); // bad again: max(0.01, min_lr 0.05)
    assert_eq!((p.step(1.0), p.step(1.0), p.step(1.0)), (0.05, 0.05, 0.05));
}

#[test]
fn three_phase_one_cycle_returns_to_the_start_then_anneals() {
    let s = OneCycleLr::new(1.0, 100).three_phase(true);
    let initial = 1.0 / 25.0;
    assert!((s.lr(0) - initial).abs() < 1e-15);
    assert_eq!(s.lr(29), 1.0); // end of phase 1: 0.3 * 100 - 1
    assert!((s.lr(58) - initial).abs() < 1e-15); // end of phase 2: 2 * 0.3 * 100 - 2
    assert!((s.lr(99) - initial / 1e4).abs() < 1e-15);
    assert_eq!(s.momentum(99), Some(0.95));
}
