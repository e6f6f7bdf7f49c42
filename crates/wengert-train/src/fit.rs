//! The training loop of [`Trainer::fit`]: batches, accumulation, the NaN
//! guard, gradient health, clipping, the step, records and callbacks.

use std::collections::BTreeMap;
use std::time::Instant;

use wengert_data::{DataLoader, Dataset};
use wengert_nn::Module;
use wengert_optim::{
    clip_grad_norm_named, clip_grad_value_named, grad_norm, Optimizer, ParamNames,
};
use wengert_tensor::{Float, Grads, NonFiniteNode, ParamId, Parameters};

use crate::callbacks::{Callback, CallbackContext, Requests};
use crate::error::{Result, TrainError};
use crate::health::{self, layer_of};
use crate::history::{EpochRecord, History, StepRecord};
use crate::metrics::Metric;
use crate::position::EpochTotals;
use crate::progress::Progress;
use crate::trainer::{Clip, Evaluation, ProgressChoice, Trainer};

/// A validation set, whatever its dataset type.
pub(crate) trait Validation<T: Float> {
    fn run(
        &self,
        model: &dyn Module<T>,
        loss: &dyn crate::loss::Loss<T>,
        metrics: &[Box<dyn Metric<T>>],
    ) -> Result<Evaluation>;
}

impl<T: Float, D: Dataset<T> + 'static> Validation<T> for DataLoader<T, D> {
    fn run(
        &self,
        model: &dyn Module<T>,
        loss: &dyn crate::loss::Loss<T>,
        metrics: &[Box<dyn Metric<T>>],
    ) -> Result<Evaluation> {
        crate::evaluate::evaluate(model, loss, metrics, self)
    }
}

/// The last gradient-health measurement of the epoch in progress.
#[derive(Clone, Debug, Default)]
pub(crate) struct HealthReading {
    pub(crate) norms: BTreeMap<String, f64>,
    pub(crate) ratios: BTreeMap<String, f64>,
}

impl<T: Float, M: Module<T>, O: Optimizer<T>> Trainer<T, M, O> {
    /// Trains on `train` until the configured number of epochs (counting
    /// the epochs a resumed run already did) or until a callback stops the
    /// run, evaluating on `val` after each epoch. Returns the history so
    /// far (a copy: the trainer keeps its own, [`Trainer::history`]).
    ///
    /// Errors stop the run where they happen and leave the last checkpoint
    /// written as it was: a layer refusing its input, an optimizer step
    /// that does not fit, and (unless turned off) a non-finite loss or
    /// gradient, reported with the op and the layer that produced it.
    ///
    /// Without a validation set, call [`Trainer::fit_without_validation`]:
    /// a bare `None` here leaves the validation set's type unknown, which
    /// Rust reports as "type annotations needed".
    pub fn fit<D: Dataset<T> + 'static, V: Dataset<T> + 'static>(
        &mut self,
        train: &DataLoader<T, D>,
        val: Option<&DataLoader<T, V>>,
    ) -> Result<History> {
        self.fit_impl(train, val.map(|v| v as &dyn Validation<T>))
    }

    /// [`Trainer::fit`] with no validation set.
    pub fn fit_without_validation<D: Dataset<T> + 'static>(
        &mut self,
        train: &DataLoader<T, D>,
    ) -> Result<History> {
        self.fit_impl(train, None)
    }

    fn fit_impl<D: Dataset<T> + 'static>(
        &mut self,
        train: &DataLoader<T, D>,
        val: Option<&dyn Validation<T>>,
    ) -> Result<History> {
        self.check_settings()?;
        let batches = train.len();
        let mut progress = match std::mem::replace(&mut self.progress, ProgressChoice::Hidden) {
            ProgressChoice::Auto => Progress::auto(self.settings.epochs, batches),
            ProgressChoice::Hidden => Progress::hidden(),
            ProgressChoice::Given(p) => p,
        };
        self.stop_reason = None;
        let result = self.run_epochs(train, val, &mut progress);
        progress.finish();
        self.progress = ProgressChoice::Given(progress);
        result?;
        Ok(self.history.clone())
    }

    fn run_epochs<D: Dataset<T> + 'static>(
        &mut self,
        train: &DataLoader<T, D>,
        val: Option<&dyn Validation<T>>,
        progress: &mut Progress,
    ) -> Result<()> {
        self.dispatch(|cb, ctx| cb.on_fit_start(ctx))?;
        let batches = train.len();
        while self.position.epoch < self.settings.epochs && self.stop_reason.is_none() {
            let epoch = self.position.epoch + 1;
            if self.position.batch == 0 {
                self.totals = EpochTotals::default();
                self.train_metrics = self.metrics.iter().map(|m| m.fresh()).collect();
                self.health_reading = HealthReading::default();
            }
            progress.start_epoch(epoch);
            let started = Instant::now();
            self.epoch_started = Some(started);
            let mut group = Group::default();
            for batch in train.epoch_from(self.position.epoch as u64, self.position.batch) {
                let batch_started = Instant::now();
                let n = batch.len();
                let (loss, grads) = self.batch_gradients(batch, epoch)?;
                group.add(grads, n, loss, self.settings.accumulate);
                self.totals.loss_sum += loss * n as f64;
                self.totals.examples += n;
                self.position.batch += 1;
                let last = self.position.batch == batches;
                if group.batches == self.settings.accumulate || last {
                    let (grads, group_loss) = group.take();
                    let mut record = self.apply_step(grads, group_loss, epoch, last)?;
                    self.validate_at_step(&mut record, val)?;
                    self.history.steps.push(record.clone());
                    self.dispatch(|cb, ctx| cb.on_step_end(ctx, &record))?;
                }
                self.totals.train_seconds += batch_started.elapsed().as_secs_f64();
                progress.batch(self.position.batch - 1, loss, n);
                if self.stop_reason.is_some() {
                    break;
                }
            }
            self.end_epoch(epoch, started, val, progress)?;
        }
        self.dispatch(|cb, ctx| cb.on_fit_end(ctx))?;
        Ok(())
    }

    /// Forward, loss and backward of one batch on the reused training tape:
    /// the batch's mean loss and its gradients. Training metrics see the
    /// batch's output.
    fn batch_gradients(
        &mut self,
        batch: wengert_data::Batch<T>,
        epoch: usize,
    ) -> Result<(f64, Grads<T>)> {
        self.tape.reset();
        let tape = &self.tape;
        let output = self.model.forward(tape, tape.constant(batch.features))?;
        let loss = self.loss.loss(output, &batch.targets)?;
        let value = loss.try_item()?.to_f64();
        if self.settings.nan_guard && !value.is_finite() {
            let found = tape.first_non_finite();
            return Err(non_finite_error(
                &self.model,
                "loss",
                value,
                epoch,
                self.position.step + 1,
                found,
            ));
        }
        let out = output.value();
        for m in &mut self.train_metrics {
            m.update(&out, &batch.targets)?;
        }
        // The penalties join the gradient, not the recorded loss.
        let objective = self
            .penalties
            .iter()
            .fold(loss, |objective, p| objective + p.term(tape, &self.model));
        Ok((value, objective.backward()))
    }

    /// One optimizer step with the (accumulated) gradients of a group of
    /// batches: the norm, the guard, health, clipping and the update; gives
    /// the step's record.
    fn apply_step(
        &mut self,
        mut grads: Grads<T>,
        loss: f64,
        epoch: usize,
        last_of_epoch: bool,
    ) -> Result<StepRecord> {
        let step = self.position.step + 1;
        let norm = grad_norm(&grads);
        if self.settings.nan_guard && !norm.is_finite() {
            return Err(non_finite_gradient(&self.model, &grads, loss, epoch, step));
        }
        let measure = match self.settings.health.every_steps {
            Some(n) => step % n.max(1) == 0 || last_of_epoch,
            None => last_of_epoch,
        };
        let before = measure.then(|| {
            let norms = health::layer_grad_norms(&self.model, &grads);
            let warnings = health::warnings(&self.settings.health, &norms, epoch, step);
            for w in &warnings {
                self.announce(w);
            }
            self.warnings.extend(warnings);
            self.health_reading.norms = norms.into_iter().collect();
            health::snapshot(&self.model)
        });
        match self.settings.clip {
            // Names only for an error message, so only built when clipping.
            Some(Clip::Norm(max)) => {
                clip_grad_norm_named(&mut grads, max, &ParamNames::of_model(&self.model))?;
            }
            Some(Clip::Value(v)) => {
                clip_grad_value_named(&mut grads, v, &ParamNames::of_model(&self.model))?
            }
            None => {}
        }
        let lr = self.optimizer.lr();
        // Nothing on the tape refers to the parameters any more, so the
        // update writes them in place.
        self.tape.reset();
        self.optimizer.try_step(&mut self.model, &grads)?;
        self.position.step = step;
        self.totals.grad_norm_sum += norm;
        self.totals.steps += 1;
        if let Some(before) = before {
            self.health_reading.ratios = health::update_ratios(&self.model, &before);
        }
        Ok(StepRecord {
            step,
            epoch,
            loss,
            lr,
            grad_norm: norm,
            ..Default::default()
        })
    }

    /// Evaluates on `val` after this step when `validate_every` asks for
    /// it, into the step's record; kept for the epoch's end if the model
    /// does not change before it.
    fn validate_at_step(
        &mut self,
        record: &mut StepRecord,
        val: Option<&dyn Validation<T>>,
    ) -> Result<()> {
        let (Some(val), Some(every)) = (val, self.settings.validate_every) else {
            return Ok(());
        };
        if record.step % every != 0 {
            return Ok(());
        }
        let evaluation = val.run(&self.model, &*self.loss, &self.metrics)?;
        record.val_loss = Some(evaluation.loss);
        record.val_metrics = evaluation.metrics.clone();
        self.step_validation = Some((record.step, evaluation));
        Ok(())
    }

    fn end_epoch(
        &mut self,
        epoch: usize,
        started: Instant,
        val: Option<&dyn Validation<T>>,
        progress: &mut Progress,
    ) -> Result<()> {
        let at_this_step = match self.step_validation.take() {
            Some((step, evaluation)) if step == self.position.step => Some(evaluation),
            _ => None,
        };
        let validation = match (val, at_this_step) {
            (Some(_), Some(evaluation)) => Some(evaluation),
            (Some(v), None) => Some(v.run(&self.model, &*self.loss, &self.metrics)?),
            (None, _) => None,
        };
        self.epoch_started = None;
        let totals = std::mem::take(&mut self.totals);
        let reading = std::mem::take(&mut self.health_reading);
        let record = EpochRecord {
            epoch,
            steps: self.position.step,
            train_loss: totals.mean_loss(),
            train_metrics: self
                .train_metrics
                .iter()
                .map(|m| (m.name(), m.value()))
                .collect(),
            val_loss: validation.as_ref().map(|v| v.loss),
            val_metrics: validation.map(|v| v.metrics).unwrap_or_default(),
            lr: self.optimizer.lr(),
            grad_norm: totals.mean_grad_norm(),
            seconds: started.elapsed().as_secs_f64() + totals.earlier_seconds,
            examples_per_second: totals.examples as f64 / totals.train_seconds,
            layer_grad_norms: reading.norms,
            update_ratios: reading.ratios,
        };
        self.history.epochs.push(record.clone());
        self.position.epoch += 1;
        self.position.batch = 0;
        progress.end_epoch(&record);
        self.dispatch(|cb, ctx| cb.on_epoch_end(ctx, &record))
    }

    /// Runs `event` on every callback, then carries out what they asked
    /// for: checkpoints first (so a stop still leaves one), then the stop.
    pub(crate) fn dispatch(
        &mut self,
        mut event: impl FnMut(&mut dyn Callback<T>, &mut CallbackContext<'_, T>) -> Result<()>,
    ) -> Result<()> {
        let mut requests = Requests::default();
        let mut callbacks = std::mem::take(&mut self.callbacks);
        let mut outcome = Ok(());
        for cb in callbacks.iter_mut() {
            let mut ctx = CallbackContext::new(
                &mut self.model,
                &mut self.optimizer,
                &self.history,
                self.position,
                self.settings.epochs,
                &mut requests,
            );
            outcome = event(cb.as_mut(), &mut ctx);
            if outcome.is_err() {
                break;
            }
        }
        self.callbacks = callbacks;
        outcome?;
        // Into the warnings before any checkpoint, so a checkpoint has them.
        for w in requests.warnings {
            self.announce(&w);
            self.warnings.push(w);
        }
        for dir in &requests.checkpoints {
            self.save_checkpoint(dir)?;
        }
        if let Some(why) = requests.stop {
            self.stop_reason.get_or_insert(why);
        }
        Ok(())
    }
}

/// The gradients of the batches of one step, each weighted by its number of
/// examples, and their mean loss.
#[derive(Default)]
struct Group<T: Float> {
    grads: Option<Grads<T>>,
    examples: usize,
    loss_sum: f64,
    batches: usize,
    weighted: bool,
}

impl<T: Float> Group<T> {
    fn add(&mut self, grads: Grads<T>, n: usize, loss: f64, accumulate: usize) {
        self.examples += n;
        self.loss_sum += loss * n as f64;
        self.batches += 1;
        if accumulate == 1 {
            self.grads = Some(grads);
            return;
        }
        // The step's gradient is sum_i (n_i / N) g_i: sum n_i g_i here,
        // divided by N when the group is complete.
        self.weighted = true;
        let scaled = scale(grads, n as f64);
        match &mut self.grads {
            None => self.grads = Some(scaled),
            Some(sum) => sum.accumulate(&scaled),
        }
    }

    fn take(&mut self) -> (Grads<T>, f64) {
        let group = std::mem::take(self);
        let grads = group.grads.expect("a group holds at least one batch");
        let grads = if group.weighted {
            scale(grads, 1.0 / group.examples as f64)
        } else {
            grads
        };
        (grads, group.loss_sum / group.examples as f64)
    }
}

/// Every gradient times `factor`.
fn scale<T: Float>(mut grads: Grads<T>, factor: f64) -> Grads<T> {
    let factor = T::from_f64(factor);
    for (_, g) in grads.iter_mut() {
        *g = g.mul_scalar(factor);
    }
    grads
}

/// Full names of the model's parameters by id.
fn names_by_id<T: Float>(model: &dyn Parameters<T>) -> BTreeMap<ParamId, String> {
    let mut out = BTreeMap::new();
    model.visit_params(&mut |name, p| {
        out.insert(p.id(), name.to_string());
    });
    out
}

/// The NaN guard's error for a non-finite loss: where the first non-finite
/// value of the forward pass came from.
fn non_finite_error<T: Float>(
    model: &dyn Parameters<T>,
    what: &str,
    value: f64,
    epoch: usize,
    step: usize,
    found: Option<NonFiniteNode>,
) -> TrainError {
    let names = names_by_id(model);
    let detail = match found {
        Some(node) => {
            let param = node.params.iter().find_map(|id| names.get(id));
            let (k, v) = node.element;
            match (node.op, param) {
                ("param", Some(name)) => format!(
                    "the {what} is {value}: parameter `{name}` (layer `{}`) holds {v} at element {k}, \
                     so the last update made it non-finite (a learning rate too large, or \
                     gradients exploding: clip them)",
                    layer_of(name)
                ),
                (op, Some(name)) => format!(
                    "the {what} is {value}: the first non-finite value of the pass is element {k} \
                     ({v}) of `{op}` {:?}, in layer `{}` (computed from parameter `{name}`)",
                    node.shape,
                    layer_of(name)
                ),
                (op, None) => format!(
                    "the {what} is {value}: the first non-finite value of the pass is element {k} \
                     ({v}) of `{op}` {:?}, computed from the input alone (check the data)",
                    node.shape
                ),
            }
        }
        None => format!("the {what} is {value}"),
    };
    TrainError::NonFinite {
        what: what.to_string(),
        epoch,
        step,
        detail,
    }
}

/// The NaN guard's error for a non-finite gradient with a finite loss.
fn non_finite_gradient<T: Float>(
    model: &dyn Parameters<T>,
    grads: &Grads<T>,
    loss: f64,
    epoch: usize,
    step: usize,
) -> TrainError {
    let names = names_by_id(model);
    let bad = grads.iter().find_map(|(id, g)| {
        let values = g.values();
        let k = values.iter().position(|x| !x.is_finite())?;
        Some((id, k, values[k].to_f64()))
    });
    let (what, detail) = match bad {
        Some((id, k, v)) => {
            let name = names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("ParamId({})", id.as_u64()));
            (
                format!("the gradient of `{name}`"),
                format!(
                    "element {k} is {v} while the loss is finite ({loss}): the backward pass \
                     through layer `{}` overflowed (clip gradients or lower the learning rate)",
                    layer_of(&name)
                ),
            )
        }
        None => (
            "the gradient norm".to_string(),
            format!("the loss is {loss}"),
        ),
    };
    TrainError::NonFinite {
        what,
        epoch,
        step,
        detail,
    }
}
