//! Schedules one after another (warmup, then decay).

use super::{require, LrSchedule};

/// Runs `schedules[0]` until `milestones[0]`, then `schedules[1]` from its
/// own step 0, and so on: at a milestone the next schedule starts afresh,
/// from each group's base rate.
/// PyTorch: `SequentialLR(optimizer, schedulers, milestones)`, whose
/// schedulers all read the same `initial_lr` (a [`crate::OneCycleLr`]
/// among them rewrites it in PyTorch, which this does not copy: here each
/// schedule keeps its own).
///
/// See the [module docs](crate::schedule) for warmup then cosine.
pub struct SequentialLr {
    schedules: Vec<Box<dyn LrSchedule>>,
    milestones: Vec<usize>,
}

impl SequentialLr {
    /// # Panics
    /// Unless there is one milestone fewer than schedules and the milestones
    /// increase.
    #[track_caller]
    pub fn new(schedules: Vec<Box<dyn LrSchedule>>, milestones: Vec<usize>) -> Self {
        require(
            !schedules.is_empty() && milestones.len() + 1 == schedules.len(),
            "SequentialLr",
            || {
                format!(
                    "needs one milestone fewer than schedules, got {} schedules and milestones {milestones:?}",
                    schedules.len()
                )
            },
        );
        require(
            milestones.windows(2).all(|w| w[0] < w[1]),
            "SequentialLr",
            || format!("milestones must be increasing, got {milestones:?}"),
        );
        SequentialLr {
            schedules,
            milestones,
        }
    }

    /// Which schedule runs at `step`, and the step it starts from.
    fn active(&self, step: usize) -> (&dyn LrSchedule, usize) {
        let i = self.milestones.iter().filter(|&&m| m <= step).count();
        let start = if i == 0 { 0 } else { self.milestones[i - 1] };
        (self.schedules[i].as_ref(), start)
    }
}

impl LrSchedule for SequentialLr {
    fn lr(&self, base_lr: f64, step: usize) -> f64 {
        let (schedule, start) = self.active(step);
        schedule.lr(base_lr, step - start)
    }

    fn momentum(&self, step: usize) -> Option<f64> {
        let (schedule, start) = self.active(step);
        schedule.momentum(step - start)
    }

    fn cycles_momentum(&self) -> bool {
        self.schedules.iter().any(|s| s.cycles_momentum())
    }
}

impl std::fmt::Debug for SequentialLr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequentialLr")
            .field("schedules", &self.schedules.len())
            .field("milestones", &self.milestones)
            .finish()
    }
}
