//! Schedules beyond the golden cases: driving an optimizer (learning rate
//! and one-cycle momentum, from the optimizer's base rate, per step or per
//! epoch), the check that a schedule never runs ahead of its optimizer,
//! resuming a scheduled run bitwise, plateau detection in max mode, with an
//! absolute threshold and with cooldown, three-phase one-cycle.

use wengert_optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, CosineAnnealingLr, LinearLr, LrSchedule,
    LrScheduler, OneCycleLr, OptimError, Optimizer, PlateauMode, ReduceLrOnPlateau, RmsPropConfig,
    SequentialLr, Sgd, SgdConfig, StepLr, ThresholdMode,
};
use wengert_tensor::{Grads, Param, Tensor};

fn unit_grad(x: &Param<f64>) -> Grads<f64> {
    let mut grads = Grads::new();
    grads.insert(x.id(), Tensor::ones(x.shape()));
    grads
}

/// Plain SGD with rate `lr`, a one-element parameter and its unit gradient.
fn sgd_on_a_scalar(lr: f64) -> (Sgd<f64>, Param<f64>, Grads<f64>) {
    let x = Param::new("x", Tensor::from_vec(vec![0.0], &[1]));
    let g = unit_grad(&x);
    (SgdConfig::new(lr).build(), x, g)
}

#[test]
fn a_started_schedule_sets_lr_and_cycles_momentum_step_by_step() {
    let schedule = OneCycleLr::new(0.1, 30);
    let mut sgd = SgdConfig::new(1.0).momentum(0.9).build::<f64>();
    let mut x = Param::new("x", Tensor::from_vec(vec![0.0], &[1]));
    // Step 0: lr 0.004, momentum 0.95; the first momentum step is b = g.
    let mut scheduler = schedule.clone().start(&mut sgd);
    assert_eq!(sgd.lr(), schedule.lr(1.0, 0));
    let g = unit_grad(&x);
    sgd.step(&mut x, &g);
    let x1 = -schedule.lr(1.0, 0);
    assert_eq!(x.value().item(), x1);
    // Step 1: b = m1 * 1 + 1 with m1 the schedule's momentum at step 1.
    assert_eq!(scheduler.step(&mut sgd), schedule.lr(1.0, 1));
    sgd.step(&mut x, &g);
    let m1 = schedule.momentum(1).unwrap();
    assert_eq!(
        x.value().item(),
        x1 - schedule.lr(1.0, 1) * (m1 * 1.0 + 1.0)
    );
    assert_eq!(scheduler.steps(), 1);
    // Adam takes the momentum as beta1.
    let mut adam = AdamConfig::new(0.1).build::<f64>();
    assert!(adam.set_momentum(0.8));
    assert_eq!(adam.momentum(), Some(0.8));
}

#[test]
fn one_cycle_refuses_an_optimizer_without_momentum_unless_told_not_to_cycle_it() {
    // PyTorch's OneCycleLR raises for Adagrad and Adadelta too.
    let mut adagrad = AdagradConfig::new(0.1).build::<f64>();
    let err = OneCycleLr::new(0.1, 30)
        .try_start(&mut adagrad)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Adagrad") && err.contains("cycle_momentum(false)"),
        "{err}"
    );
    assert_eq!(adagrad.lr(), 0.1, "a refused start changes nothing");
    assert!(!adagrad.set_momentum(0.8));
    // Inside a sequence it is refused at the start too, not at the milestone.
    let mut adadelta = AdadeltaConfig::new().build::<f64>();
    let seq = SequentialLr::new(
        vec![
            Box::new(LinearLr::new(0.5, 1.0, 3)),
            Box::new(OneCycleLr::new(0.1, 10)),
        ],
        vec![3],
    );
    assert!(seq.try_start(&mut adadelta).is_err());
    let s = OneCycleLr::new(0.1, 30).cycle_momentum(false);
    let _ = s.clone().start(&mut adagrad);
    assert_eq!(adagrad.lr(), s.lr(0.1, 0));
}

#[test]
fn one_cycle_turns_on_the_momentum_of_sgd_and_rmsprop_built_without() {
    // PyTorch's OneCycleLR writes every group's momentum, which SGD and
    // RMSprop then use: with a constant unit gradient and lr 1 (cycle_lr
    // off is not an option, so read the rates from the schedule), step 2
    // moves by lr_1 * (m_1 * 1 + 1), not by lr_1.
    let schedule = OneCycleLr::new(0.1, 30);
    let mut sgd = SgdConfig::new(0.1).build::<f64>();
    assert_eq!(sgd.momentum(), Some(0.0));
    let mut x = Param::new("x", Tensor::from_vec(vec![0.0], &[1]));
    let g = unit_grad(&x);
    let mut scheduler = schedule.clone().start(&mut sgd);
    assert_eq!(sgd.momentum(), Some(0.95));
    sgd.step(&mut x, &g);
    scheduler.step(&mut sgd);
    let x1 = x.value().item();
    sgd.step(&mut x, &g);
    let (lr1, m1) = (schedule.lr(0.1, 1), schedule.momentum(1).unwrap());
    assert_eq!(x.value().item(), x1 - lr1 * (m1 * 1.0 + 1.0));
    assert!(sgd.state_of(x.id()).unwrap().momentum_buffer.is_some());

    let mut rms = RmsPropConfig::new(0.01).build::<f64>();
    let mut y = Param::new("y", Tensor::from_vec(vec![0.0], &[1]));
    let g = unit_grad(&y);
    let _scheduler = schedule.start(&mut rms);
    rms.step(&mut y, &g);
    assert!(rms.state_of(y.id()).unwrap().momentum_buffer.is_some());
}

#[test]
fn the_rate_comes_from_the_base_rate_the_optimizer_was_built_with() {
    let (mut sgd, mut x, g) = sgd_on_a_scalar(0.5);
    let mut warmup = LinearLr::new(0.1, 1.0, 4).start(&mut sgd);
    assert_eq!(sgd.base_lr(), 0.5);
    let mut seen = vec![sgd.lr()];
    for _ in 0..5 {
        sgd.step(&mut x, &g);
        seen.push(warmup.step(&mut sgd));
    }
    let want: Vec<f64> = (0..6)
        .map(|t| LinearLr::new(0.1, 1.0, 4).lr(0.5, t))
        .collect();
    assert_eq!(seen, want);
    assert_eq!(seen[4], 0.5);
    assert_eq!(sgd.base_lr(), 0.5, "a schedule never moves the base rate");
}

#[test]
fn an_epoch_schedule_counts_its_own_steps_not_the_optimizers() {
    // StepLr in epochs: halve every 2 epochs, 3 optimizer steps per epoch.
    let (mut sgd, mut x, g) = sgd_on_a_scalar(0.8);
    let mut per_epoch = StepLr::new(2, 0.5).start(&mut sgd);
    let mut rates = Vec::new();
    for _epoch in 0..5 {
        rates.push(sgd.lr());
        for _ in 0..3 {
            sgd.step(&mut x, &g);
        }
        per_epoch.step(&mut sgd);
    }
    assert_eq!(rates, vec![0.8, 0.8, 0.4, 0.4, 0.2]);
    assert_eq!((per_epoch.steps(), sgd.step_count()), (5, 15));
}

#[test]
fn stepping_the_schedule_before_the_optimizer_is_an_error_that_changes_nothing() {
    let (mut sgd, mut x, g) = sgd_on_a_scalar(0.1);
    let mut warmup = LinearLr::new(0.1, 1.0, 5).start(&mut sgd);
    let lr0 = sgd.lr();
    // The TensorFlow order (schedule, then optimizer) would skip step 0's rate.
    let err = warmup.try_step(&mut sgd).unwrap_err();
    assert!(
        matches!(
            err,
            OptimError::ScheduleBeforeStep {
                optimizer: "SGD",
                schedule_steps: 0,
                optimizer_steps: 0
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("after `opt.step"), "{err}");
    assert_eq!((sgd.lr(), warmup.steps()), (lr0, 0));
    // After an optimizer step it goes on; twice in a row is refused again.
    sgd.step(&mut x, &g);
    warmup.step(&mut sgd);
    assert!(warmup.try_step(&mut sgd).is_err());
    assert_eq!(warmup.steps(), 1);
}

#[test]
#[should_panic(expected = "the learning-rate schedule was stepped before the optimizer")]
fn the_panicking_step_says_what_to_do() {
    let mut sgd = SgdConfig::new(0.1).build::<f32>();
    let mut cosine = CosineAnnealingLr::new(10, 0.0).start(&mut sgd);
    cosine.step(&mut sgd);
}

/// Warmup, then one cycle: a schedule that moves the rate and (from step
/// 4) the momentum, with a sub-schedule that starts at a milestone.
fn warmup_then_one_cycle() -> SequentialLr {
    SequentialLr::new(
        vec![
            Box::new(LinearLr::new(0.2, 1.0, 4)),
            Box::new(OneCycleLr::new(0.3, 12)),
        ],
        vec![4],
    )
}

fn bits(x: &Param<f64>) -> Vec<u64> {
    x.value().to_vec().iter().map(|v| v.to_bits()).collect()
}

/// The gradient of sum((x - 1)^2) / 2.
fn gradient_at(x: &Param<f64>) -> Grads<f64> {
    let mut grads = Grads::new();
    grads.insert(x.id(), x.value().add_scalar(-1.0));
    grads
}

/// `steps` steps of the usual loop: optimizer step, then schedule step.
fn train<S: LrSchedule>(
    opt: &mut dyn Optimizer<f64>,
    sched: &mut LrScheduler<S>,
    x: &mut Param<f64>,
    steps: usize,
) {
    for _ in 0..steps {
        let g = gradient_at(x);
        opt.step(x, &g);
        sched.step(opt);
    }
}

#[test]
fn a_resumed_scheduled_run_continues_bitwise() {
    let (total, k) = (16, 7);
    let start = || Param::new("x", Tensor::from_vec(vec![3.0, -2.0, 0.5, 7.0, 1.5], &[5]));
    let build = || SgdConfig::new(0.1).momentum(0.9).build::<f64>();

    let mut straight = start();
    let mut opt = build();
    let mut sched = warmup_then_one_cycle().start(&mut opt);
    train(&mut opt, &mut sched, &mut straight, total);

    let mut x = start();
    let mut opt = build();
    let mut sched = warmup_then_one_cycle().start(&mut opt);
    train(&mut opt, &mut sched, &mut x, k);
    // The checkpoint: the optimizer's state and the schedule's step count.
    let (saved, saved_steps) = (opt.state(), sched.steps());
    assert_eq!(
        (saved.steps, saved.base_lr, saved_steps),
        (k as u64, 0.1, k)
    );
    drop((opt, sched));
    let mut opt = build();
    opt.load_state(&saved).unwrap();
    let mut sched = warmup_then_one_cycle().resume(&mut opt, saved_steps);
    train(&mut opt, &mut sched, &mut x, total - k);
    assert_eq!(bits(&x), bits(&straight));
    assert_eq!(opt.step_count(), total as u64);
}

#[test]
fn a_resumed_plateau_continues_from_its_saved_fields_and_the_optimizers_rate() {
    let losses = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.96, 0.97, 0.98];
    let make = || ReduceLrOnPlateau::new().factor(0.5).patience(1);
    let mut opt = SgdConfig::new(0.1).build::<f64>();
    let mut plateau = make();
    let straight: Vec<f64> = losses.iter().map(|&l| plateau.step(&mut opt, l)).collect();

    let mut opt = SgdConfig::new(0.1).build::<f64>();
    let mut plateau = make();
    for &l in &losses[..4] {
        plateau.step(&mut opt, l);
    }
    let (saved_opt, saved_plateau) = (opt.state(), plateau.clone());
    let mut opt = SgdConfig::new(0.1).build::<f64>();
    opt.load_state(&saved_opt).unwrap();
    let mut plateau = saved_plateau;
    let resumed: Vec<f64> = losses[4..]
        .iter()
        .map(|&l| plateau.step(&mut opt, l))
        .collect();
    assert_eq!(resumed, straight[4..]);
    assert!(straight.last() < straight.first(), "{straight:?}");
}

#[test]
fn sequential_hands_over_momentum_too() {
    let seq = SequentialLr::new(
        vec![
            Box::new(StepLr::new(5, 0.5)),
            Box::new(OneCycleLr::new(0.2, 10)),
        ],
        vec![3],
    );
    assert_eq!(seq.lr(0.1, 2), 0.1);
    assert_eq!(seq.momentum(2), None);
    assert_eq!(seq.lr(0.1, 3), OneCycleLr::new(0.2, 10).lr(0.1, 0));
    assert_eq!(seq.momentum(3), Some(0.95));
}

#[test]
fn plateau_in_max_mode_with_absolute_threshold() {
    let mut opt = SgdConfig::new(1.0).build::<f64>();
    let mut p = ReduceLrOnPlateau::new()
        .mode(PlateauMode::Max)
        .threshold(0.1, ThresholdMode::Abs)
        .patience(0)
        .factor(0.5);
    assert_eq!(p.step(&mut opt, 0.5), 1.0); // best 0.5
    assert_eq!(p.step(&mut opt, 0.65), 1.0); // better by more than 0.1
    assert_eq!(p.best, 0.65);
    // 0.7 is higher but not by 0.1: a bad epoch, over patience 0, halve.
    assert_eq!(p.step(&mut opt, 0.7), 0.5);
    assert_eq!(p.best, 0.65);
    assert_eq!(opt.lr(), 0.5);
}

#[test]
fn plateau_cooldown_ignores_bad_epochs_and_min_lr_floors() {
    let mut opt = SgdConfig::new(1.0).build::<f64>();
    let mut p = ReduceLrOnPlateau::new()
        .patience(0)
        .factor(0.1)
        .cooldown(2)
        .min_lr(0.05);
    let mut step = |p: &mut ReduceLrOnPlateau| p.step(&mut opt, 1.0);
    assert_eq!(step(&mut p), 1.0);
    assert_eq!(step(&mut p), 0.1); // bad, reduce, cooldown 2
    assert_eq!(step(&mut p), 0.1); // cooldown
    assert_eq!(step(&mut p), 0.1); // cooldown
    assert_eq!(step(&mut p), 0.05); // bad again: max(0.01, min_lr 0.05)
    assert_eq!(
        (step(&mut p), step(&mut p), step(&mut p)),
        (0.05, 0.05, 0.05)
    );
}

#[test]
fn three_phase_one_cycle_returns_to_the_start_then_anneals() {
    let s = OneCycleLr::new(1.0, 100).three_phase(true);
    let lr = |t| s.lr(0.123, t); // the base rate is ignored
    let initial = 1.0 / 25.0;
    assert!((lr(0) - initial).abs() < 1e-15);
    assert_eq!(lr(29), 1.0); // end of phase 1: 0.3 * 100 - 1
    assert!((lr(58) - initial).abs() < 1e-15); // end of phase 2: 2 * 0.3 * 100 - 2
    assert!((lr(99) - initial / 1e4).abs() < 1e-15);
    assert_eq!(s.momentum(99), Some(0.95));
}

/// SGD at 0.1 with a group `head` at its own rate `head_lr`.
fn sgd_with_a_head(head_lr: f64) -> (Sgd<f64>, Vec<Param<f64>>) {
    let params = vec![
        Param::new("body", Tensor::from_vec(vec![0.0], &[1])),
        Param::new("head", Tensor::from_vec(vec![0.0], &[1])),
    ];
    let sgd = SgdConfig::new(0.1)
        .group(wengert_optim::ParamGroup::by_name("head", |n| n == "head").lr(head_lr))
        .build();
    (sgd, params)
}

fn step_all(opt: &mut Sgd<f64>, params: &mut [Param<f64>]) {
    let mut grads = Grads::new();
    for p in params.iter() {
        grads.insert(p.id(), Tensor::ones(&[1]));
    }
    let mut refs: Vec<&mut Param<f64>> = params.iter_mut().collect();
    opt.step(&mut refs, &grads);
}

#[test]
fn a_schedule_works_out_every_group_from_its_own_base_rate() {
    let schedules: Vec<Box<dyn LrSchedule>> = vec![
        Box::new(CosineAnnealingLr::new(10, 0.02)),
        Box::new(wengert_optim::CosineAnnealingWarmRestarts::new(3, 2, 0.02)),
        Box::new(wengert_optim::ConstantLr::new(0.25, 4)),
        Box::new(wengert_optim::PolynomialLr::new(8, 1.5)),
        Box::new(warmup_then_one_cycle()),
    ];
    for (k, schedule) in schedules.into_iter().enumerate() {
        let (mut sgd, mut params) = sgd_with_a_head(0.004);
        let mut driver = schedule.start(&mut sgd);
        for t in 0..12 {
            let s = driver.schedule();
            assert_eq!(
                sgd.group_lr(0),
                s.lr(0.1, t),
                "schedule {k}: default group, step {t}"
            );
            assert_eq!(
                sgd.group_lr(1),
                s.lr(0.004, t),
                "schedule {k}: head, step {t}"
            );
            step_all(&mut sgd, &mut params);
            driver.step(&mut sgd);
        }
    }
}

#[test]
fn plateau_floors_and_checks_eps_per_group() {
    // factor 0.5, patience 0: every bad epoch reduces. Floors 0.03 and
    // 0.001; eps 0.0015 skips a group's reduction smaller than that.
    let (mut sgd, _) = sgd_with_a_head(0.004);
    let mut p = ReduceLrOnPlateau::new()
        .factor(0.5)
        .patience(0)
        .min_lrs(vec![0.03, 0.001])
        .eps(0.0015);
    let rates = |sgd: &Sgd<f64>| (sgd.group_lr(0), sgd.group_lr(1));
    p.step(&mut sgd, 1.0); // best
    p.step(&mut sgd, 1.0); // bad: 0.1 -> 0.05; 0.004 -> 0.002 (by 0.002 > eps)
    assert_eq!(rates(&sgd), (0.05, 0.002));
    p.step(&mut sgd, 1.0); // 0.05 -> 0.03 (floor); 0.002 -> 0.001 is by 0.001 < eps: kept
    assert_eq!(rates(&sgd), (0.03, 0.002));
    p.step(&mut sgd, 1.0); // at the floor; still kept
    assert_eq!(rates(&sgd), (0.03, 0.002));
    // One floor for all groups.
    let (mut sgd, _) = sgd_with_a_head(0.004);
    let mut p = ReduceLrOnPlateau::new()
        .factor(0.5)
        .patience(0)
        .min_lr(0.003);
    p.step(&mut sgd, 1.0);
    p.step(&mut sgd, 1.0);
    assert_eq!(rates(&sgd), (0.05, 0.003));
}

#[test]
fn plateau_min_lrs_of_the_wrong_length_are_an_error_that_changes_nothing() {
    let (mut sgd, _) = sgd_with_a_head(0.004);
    let mut p = ReduceLrOnPlateau::new().patience(0).min_lrs(vec![0.0]);
    let err = p.try_step(&mut sgd, 1.0).unwrap_err().to_string();
    assert!(
        err.contains("min_lrs gives 1 floors") && err.contains("2 rate groups"),
        "{err}"
    );
    assert_eq!((p.best, sgd.lr()), (f64::INFINITY, 0.1));
}

#[test]
fn constant_and_polynomial_schedules_follow_pytorchs_closed_forms() {
    let c = wengert_optim::ConstantLr::new(1.0 / 3.0, 5);
    assert_eq!(c.lr(0.3, 4), 0.3 * (1.0 / 3.0));
    assert_eq!((c.lr(0.3, 5), c.lr(0.3, 50)), (0.3, 0.3));
    // Power 1 over 5 steps: 1 - t / 5, then 0 (exactly, at and after 5).
    let p = wengert_optim::PolynomialLr::new(5, 1.0);
    for (t, want) in [1.0, 0.8, 0.6, 0.4, 0.2].into_iter().enumerate() {
        assert!((p.lr(1.0, t) - want).abs() < 1e-15, "step {t}");
    }
    assert_eq!((p.lr(1.0, 5), p.lr(1.0, 6)), (0.0, 0.0));
    // Power 2: (1 - t / 4)^2 of 0.8.
    let p = wengert_optim::PolynomialLr::new(4, 2.0);
    assert_eq!((p.lr(0.8, 2), p.lr(0.8, 3)), (0.8 * 0.25, 0.8 * 0.0625));
}

#[test]
#[should_panic(expected = "ConstantLr: factor must be in [0, 1], got 1.5")]
fn constant_lr_refuses_a_factor_above_one_as_pytorch() {
    let _ = wengert_optim::ConstantLr::new(1.5, 3);
}

#[test]
#[should_panic(expected = "PolynomialLr: power must be finite and >= 0, got -1")]
fn polynomial_lr_refuses_a_negative_power() {
    let _ = wengert_optim::PolynomialLr::new(3, -1.0);
}
