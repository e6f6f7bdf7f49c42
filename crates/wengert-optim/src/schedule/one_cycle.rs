//! The one-cycle policy (Smith & Topin, "Super-Convergence: Very Fast
//! Training of Neural Networks Using Large Learning Rates", 2018).

use std::f64::consts::PI;

use super::{require, LrSchedule};

/// How a phase moves from its start value to its end value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anneal {
    /// `end + (start - end) / 2 * (cos(pi * f) + 1)` (PyTorch's default).
    Cos,
    /// `start + (end - start) * f`.
    Linear,
}

impl Anneal {
    fn at(self, start: f64, end: f64, fraction: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * fraction).cos() + 1.0),
            Anneal::Linear => (end - start) * fraction + start,
        }
    }
}

/// One phase: up to (and including) `end_step`, from `start` to `end`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Phase {
    end_step: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

/// The one-cycle schedule: the rate rises from `max_lr / div_factor` to
/// `max_lr` over the first `pct_start` of the steps, then falls to
/// `max_lr / div_factor / final_div_factor`; the momentum moves the other
/// way, from `max_momentum` down to `base_momentum` and back. It ignores
/// the groups' base rates: `max_lr` sets the scale, and every rate group
/// gets the same rates (PyTorch with one `max_lr` likewise overwrites every
/// group's `initial_lr` with `max_lr / div_factor`).
///
/// The momentum is set on every group: SGD's and RMSprop's `momentum`,
/// also when the optimizer was built with momentum 0 (PyTorch's OneCycleLR
/// writes each group's `momentum` too, which turns momentum on), Adam's
/// `beta1`. An optimizer without momentum (AdaGrad, AdaDelta) is refused
/// when the schedule starts, as PyTorch refuses it, unless
/// [`OneCycleLr::cycle_momentum`] is off.
///
/// # PyTorch options
///
/// `max_lr` (one for all groups), `total_steps`, `pct_start`,
/// `anneal_strategy` ([`Anneal`]), `cycle_momentum`, `base_momentum` and
/// `max_momentum` ([`OneCycleLr::momentum_range`]), `div_factor`,
/// `final_div_factor`, `three_phase`. Not offered: a list of `max_lr` or
/// momenta per group, and `epochs` with `steps_per_epoch` (pass their
/// product as `total_steps`). Past `total_steps` PyTorch raises; the
/// closed form here goes on extrapolating the last phase.
///
/// Phase boundaries follow PyTorch exactly: phase one ends at step
/// `pct_start * total_steps - 1`, the last at `total_steps - 1`, and within a
/// phase the fraction is `(t - phase_start) / (phase_end - phase_start)`.
/// PyTorch: `OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3,
/// anneal_strategy='cos', div_factor=25, final_div_factor=1e4,
/// three_phase=False, base_momentum=0.85, max_momentum=0.95)`.
///
/// ```
/// use wengert_optim::{LrSchedule, OneCycleLr};
/// let s = OneCycleLr::new(0.1, 30);
/// let base = 1.0; // ignored
/// assert!((s.lr(base, 0) - 0.004).abs() < 1e-15); // 0.1 / 25
/// assert_eq!(s.lr(base, 8), 0.1);                 // the peak, at 0.3 * 30 - 1
/// assert_eq!(s.momentum(8), Some(0.85));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OneCycleLr {
    max_lr: f64,
    total_steps: usize,
    pct_start: f64,
    anneal: Anneal,
    div_factor: f64,
    final_div_factor: f64,
    three_phase: bool,
    base_momentum: f64,
    max_momentum: f64,
    cycle_momentum: bool,
}

impl OneCycleLr {
    /// PyTorch's defaults for a cycle of `total_steps` peaking at `max_lr`.
    ///
    /// # Panics
    /// If `total_steps` is 0.
    #[track_caller]
    pub fn new(max_lr: f64, total_steps: usize) -> Self {
        require(total_steps > 0, "OneCycleLr", || {
            "total_steps must be > 0".into()
        });
        OneCycleLr {
            max_lr,
            total_steps,
            pct_start: 0.3,
            anneal: Anneal::Cos,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
            base_momentum: 0.85,
            max_momentum: 0.95,
            cycle_momentum: true,
        }
    }

    crate::config::builder_setters! {
        /// Fraction of the steps spent rising (default 0.3).
        ///
        /// # Panics
        /// Unless `0 < pct_start < 1`.
        pct_start: f64 where pct_start > 0.0 && pct_start < 1.0 => "(0, 1)";
        /// Cosine (default) or linear phases.
        anneal: Anneal;
        /// The starting rate is `max_lr / div_factor` (default 25).
        div_factor: f64;
        /// The final rate is the starting rate over `final_div_factor`
        /// (default 1e4).
        final_div_factor: f64;
        /// Three phases (up, down to the starting rate, then down to the
        /// final rate) instead of two.
        three_phase: bool;
        /// Whether to cycle the momentum at all (default true).
        cycle_momentum: bool;
    }

    /// Momentum range: `max` at the ends of the cycle, `base` at the peak
    /// rate (defaults 0.85 and 0.95).
    pub fn momentum_range(mut self, base_momentum: f64, max_momentum: f64) -> Self {
        self.base_momentum = base_momentum;
        self.max_momentum = max_momentum;
        self
    }

    fn phases(&self) -> Vec<Phase> {
        let initial = self.max_lr / self.div_factor;
        let min_lr = initial / self.final_div_factor;
        let (lo_m, hi_m) = (self.base_momentum, self.max_momentum);
        let rise_end = self.pct_start * self.total_steps as f64 - 1.0;
        let last = self.total_steps as f64 - 1.0;
        // Up from the initial rate to the peak, momentum the other way.
        let rise = Phase {
            end_step: rise_end,
            lr: (initial, self.max_lr),
            momentum: (hi_m, lo_m),
        };
        if self.three_phase {
            let back = Phase {
                end_step: 2.0 * self.pct_start * self.total_steps as f64 - 2.0,
                lr: (self.max_lr, initial),
                momentum: (lo_m, hi_m),
            };
            let anneal = Phase {
                end_step: last,
                lr: (initial, min_lr),
                momentum: (hi_m, hi_m),
            };
            vec![rise, back, anneal]
        } else {
            let down = Phase {
                end_step: last,
                lr: (self.max_lr, min_lr),
                momentum: (lo_m, hi_m),
            };
            vec![rise, down]
        }
    }

    /// The phase holding `step` and the fraction of it done.
    fn locate(&self, step: usize) -> (Phase, f64) {
        let t = step as f64;
        let phases = self.phases();
        let mut start = 0.0;
        for (i, phase) in phases.iter().enumerate() {
            if t <= phase.end_step || i == phases.len() - 1 {
                return (*phase, (t - start) / (phase.end_step - start));
            }
            start = phase.end_step;
        }
        unreachable!("the last phase always matches")
    }
}

impl LrSchedule for OneCycleLr {
    fn lr(&self, _base_lr: f64, step: usize) -> f64 {
        let (phase, fraction) = self.locate(step);
        self.anneal.at(phase.lr.0, phase.lr.1, fraction)
    }

    fn cycles_momentum(&self) -> bool {
        self.cycle_momentum
    }

    fn momentum(&self, step: usize) -> Option<f64> {
        if !self.cycle_momentum {
            return None;
        }
        let (phase, fraction) = self.locate(step);
        Some(self.anneal.at(phase.momentum.0, phase.momentum.1, fraction))
    }
}
