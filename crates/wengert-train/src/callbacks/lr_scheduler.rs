//! Learning-rate schedules inside the trainer: a closed-form schedule
//! stepped after every optimizer step or every epoch ([`Schedule`]), and
//! reduction on a plateau of a monitored column ([`Plateau`]).

use std::path::Path;

use serde::{Deserialize, Serialize};
use wengert_optim::{LrSchedule, LrScheduler, ReduceLrOnPlateau};
use wengert_tensor::Float;

use super::{monitored, Callback, CallbackContext};
use crate::error::{Result, TrainError};
use crate::history::{EpochRecord, StepRecord};
use crate::json;

/// When a [`Schedule`] moves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Every {
    Step,
    Epoch,
}

/// A schedule from wengert-optim ([`wengert_optim::CosineAnnealingLr`],
/// [`wengert_optim::StepLr`], [`wengert_optim::OneCycleLr`], ...) driving the
/// trainer's optimizer from its base learning rate, one schedule step per
/// optimizer step or per epoch. Its position is saved with checkpoints, so
/// a resumed run goes on with the same rates.
///
/// ```
/// use wengert_optim::CosineAnnealingLr;
/// use wengert_train::Schedule;
/// // Cosine decay to 0 over 1,000 optimizer steps.
/// let schedule = Schedule::per_step(CosineAnnealingLr::new(1000, 0.0));
/// # let _ = schedule;
/// ```
pub struct Schedule<S: LrSchedule> {
    every: Every,
    waiting: Option<S>,
    running: Option<LrScheduler<S>>,
    /// Schedule steps of a restored run, applied when the schedule starts.
    restored: usize,
}

#[derive(Serialize, Deserialize)]
struct ScheduleState {
    steps: usize,
}

impl<S: LrSchedule + Send> Schedule<S> {
    /// One schedule step after every optimizer step.
    pub fn per_step(schedule: S) -> Self {
        Self::with(schedule, Every::Step)
    }

    /// One schedule step after every epoch.
    pub fn per_epoch(schedule: S) -> Self {
        Self::with(schedule, Every::Epoch)
    }

    fn with(schedule: S, every: Every) -> Self {
        Schedule {
            every,
            waiting: Some(schedule),
            running: None,
            restored: 0,
        }
    }

    fn steps(&self) -> usize {
        self.running
            .as_ref()
            .map_or(self.restored, LrScheduler::steps)
    }
}

impl<T: Float, S: LrSchedule + Send> Callback<T> for Schedule<S> {
    fn name(&self) -> String {
        match self.every {
            Every::Step => "schedule_per_step".into(),
            Every::Epoch => "schedule_per_epoch".into(),
        }
    }

    fn on_fit_start(&mut self, ctx: &mut CallbackContext<'_, T>) -> Result<()> {
        if let Some(schedule) = self.waiting.take() {
            self.running = Some(schedule.try_resume(&mut *ctx.optimizer, self.restored)?);
        }
        Ok(())
    }

    fn on_step_end(&mut self, ctx: &mut CallbackContext<'_, T>, _step: &StepRecord) -> Result<()> {
        match (&mut self.running, self.every) {
            (Some(s), Every::Step) => s
                .try_step(&mut *ctx.optimizer)
                .map(|_| ())
                .map_err(TrainError::from),
            _ => Ok(()),
        }
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        _record: &EpochRecord,
    ) -> Result<()> {
        match (&mut self.running, self.every) {
            (Some(s), Every::Epoch) => s
                .try_step(&mut *ctx.optimizer)
                .map(|_| ())
                .map_err(TrainError::from),
            _ => Ok(()),
        }
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        json::write(
            &dir.join("state.json"),
            &ScheduleState {
                steps: self.steps(),
            },
        )
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        let state: ScheduleState = json::read(&dir.join("state.json"))?;
        if self.running.is_some() {
            return Err(TrainError::Config {
                what: "Schedule",
                why: "a running schedule cannot be rewound: resume into a freshly built trainer"
                    .into(),
            });
        }
        self.restored = state.steps;
        Ok(())
    }
}

/// Lowers the learning rate when a monitored column stops improving
/// (PyTorch's `ReduceLROnPlateau`, stepped once per epoch with that
/// column's value).
///
/// ```
/// use wengert_optim::ReduceLrOnPlateau;
/// use wengert_train::Plateau;
/// let plateau = Plateau::new("val_loss", ReduceLrOnPlateau::new().factor(0.5).patience(2));
/// # let _ = plateau;
/// ```
pub struct Plateau {
    monitor: String,
    plateau: ReduceLrOnPlateau,
}

#[derive(Serialize, Deserialize)]
struct PlateauState {
    #[serde(with = "json::f64_any")]
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
}

impl Plateau {
    /// Watches `monitor` with the given reduction rule.
    pub fn new(monitor: impl Into<String>, plateau: ReduceLrOnPlateau) -> Self {
        Plateau {
            monitor: monitor.into(),
            plateau,
        }
    }
}

impl<T: Float> Callback<T> for Plateau {
    fn name(&self) -> String {
        format!("plateau_{}", self.monitor)
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        record: &EpochRecord,
    ) -> Result<()> {
        let value = monitored(record, &self.monitor, "Plateau")?;
        self.plateau.try_step(&mut *ctx.optimizer, value)?;
        Ok(())
    }

    fn save_state(&self, dir: &Path) -> Result<()> {
        let p = &self.plateau;
        let state = PlateauState {
            best: p.best,
            num_bad_epochs: p.num_bad_epochs,
            cooldown_counter: p.cooldown_counter,
        };
        json::write(&dir.join("state.json"), &state)
    }

    fn load_state(&mut self, dir: &Path) -> Result<()> {
        let state: PlateauState = json::read(&dir.join("state.json"))?;
        self.plateau.best = state.best;
        self.plateau.num_bad_epochs = state.num_bad_epochs;
        self.plateau.cooldown_counter = state.cooldown_counter;
        Ok(())
    }
}
