//! Gradual unfreezing (Howard and Ruder, "Universal Language Model
//! Fine-tuning for Text Classification", 2018, section 3.2): fine-tune the
//! new head first, then unfreeze the pretrained layers one group at a time,
//! from the top down, so the large gradients of a random head do not wreck
//! the lower layers' features before the head has learned anything.

use wengert_tensor::Float;

use super::{Callback, CallbackContext};
use crate::error::{Result, TrainError};
use crate::history::EpochRecord;

/// Keeps layers frozen until chosen epochs, then unfreezes them: each layer
/// (or parameter) named here is frozen when `fit` starts and trains from
/// its epoch on. What is not named keeps whatever state it has (the new
/// head, trainable from the start).
///
/// Each unfreezing is reported in the run's warnings
/// ([`Trainer::warnings`](crate::Trainer::warnings)). The frozen state
/// follows from the epochs done alone, so a resumed run freezes exactly
/// what the uninterrupted run had frozen; nothing is saved.
///
/// With an optimizer that keeps state per parameter (momentum, Adam's
/// moments), a layer unfrozen mid-run starts from fresh state at its first
/// step: wengert-optim makes a parameter's state at its first gradient, and
/// Adam counts steps per parameter, so its bias correction is that of a
/// first step, as PyTorch's Adam does for a parameter that joins late.
///
/// ```
/// use wengert_train::GradualUnfreeze;
/// // A body of layers `0`, `2`, `4` under a new head `6`: the head trains
/// // alone in epoch 1, `4` joins in epoch 2, `2` in epoch 3, `0` in epoch 4.
/// let unfreeze = GradualUnfreeze::top_down(["4", "2", "0"]);
/// // The same, spelled out, with two epochs between groups.
/// let spaced = GradualUnfreeze::new().at_epoch(3, "4").at_epoch(5, "2").at_epoch(7, "0");
/// # let _ = (unfreeze, spaced);
/// ```
#[derive(Clone, Debug, Default)]
pub struct GradualUnfreeze {
    /// `(epoch, name)`: `name` trains from `epoch` (1-based) on.
    plan: Vec<(usize, String)>,
}

impl GradualUnfreeze {
    /// Unfreezes nothing until told what with [`GradualUnfreeze::at_epoch`].
    pub fn new() -> Self {
        Self::default()
    }

    /// ULMFiT's schedule: the groups in the order given, one per epoch,
    /// the first from epoch 2 on (epoch 1 trains what is not listed: the
    /// head). List them top down, the layer nearest the head first.
    pub fn top_down<S: Into<String>>(groups: impl IntoIterator<Item = S>) -> Self {
        groups
            .into_iter()
            .enumerate()
            .fold(Self::new(), |plan, (i, name)| plan.at_epoch(i + 2, name))
    }

    /// `name` (a layer, covering its parameters, or one parameter) stays
    /// frozen before `epoch` (1-based) and trains from `epoch` on.
    pub fn at_epoch(mut self, epoch: usize, name: impl Into<String>) -> Self {
        self.plan.push((epoch, name.into()));
        self
    }

    /// Checks every entry against the model before anything changes.
    fn check<T: Float>(&self, ctx: &CallbackContext<'_, T>) -> Result<()> {
        let bad = |why: String| TrainError::Config {
            what: "GradualUnfreeze",
            why,
        };
        let names = ctx.model.param_names();
        for (epoch, name) in &self.plan {
            if *epoch == 0 {
                return Err(bad(format!(
                    "`{name}` is set to unfreeze at epoch 0; epochs count from 1"
                )));
            }
            let under = format!("{name}.");
            if !names.iter().any(|n| n == name || n.starts_with(&under)) {
                return Err(bad(format!(
                    "no parameter or layer named `{name}`; the parameters are: {}",
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }
}

impl<T: Float> Callback<T> for GradualUnfreeze {
    fn name(&self) -> String {
        "gradual_unfreeze".into()
    }

    fn on_fit_start(&mut self, ctx: &mut CallbackContext<'_, T>) -> Result<()> {
        self.check(ctx)?;
        // The epoch about to run; a run resumed mid-epoch is inside it.
        let current = ctx.position.epoch + 1;
        for (epoch, name) in &self.plan {
            ctx.model.set_frozen(name, *epoch > current)?;
        }
        for (epoch, name) in &self.plan {
            if *epoch > ctx.epochs {
                let message = format!(
                    "gradual unfreeze: `{name}` is set to unfreeze at epoch {epoch}, after the \
                     run's last epoch {}: it stays frozen",
                    ctx.epochs
                );
                ctx.warn(message);
            }
        }
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        ctx: &mut CallbackContext<'_, T>,
        record: &EpochRecord,
    ) -> Result<()> {
        let next = record.epoch + 1;
        if next > ctx.epochs {
            return Ok(());
        }
        for (epoch, name) in &self.plan {
            if *epoch == next {
                let params = ctx.model.set_frozen(name, false)?;
                let message = format!(
                    "epoch {}: gradual unfreeze: `{name}` ({params} parameter{}) trains from \
                     epoch {next} on; {} of {} scalars are trainable",
                    record.epoch,
                    if params == 1 { "" } else { "s" },
                    ctx.model.num_trainable_params(),
                    ctx.model.num_params()
                );
                ctx.warn(message);
            }
        }
        Ok(())
    }
}
