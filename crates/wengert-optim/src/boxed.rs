//! A boxed optimizer is an optimizer: `Box<dyn Optimizer<T>>` goes wherever
//! an `O: Optimizer<T>` does (a trainer, a loop over optimizers to compare),
//! every method forwarded to the box's content.

use wengert_tensor::{Float, Grads, ParamId, Parameters};

use crate::error::Result;
use crate::optimizer::Optimizer;
use crate::state::OptimizerState;

/// Lets one program choose its optimizer at run time.
///
/// ```
/// use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
/// let choices: Vec<Box<dyn Optimizer<f32>>> =
///     vec![Box::new(SgdConfig::new(0.1).build()), Box::new(AdamConfig::new(1e-3).build())];
/// fn describe(opt: &impl Optimizer<f32>) -> String {
///     format!("{} at lr {}", opt.name(), opt.lr())
/// }
/// let names: Vec<String> = choices.iter().map(describe).collect();
/// assert_eq!(names, ["SGD at lr 0.1", "Adam at lr 0.001"]);
/// ```
impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn try_step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        (**self).try_step_part(part, grads)
    }

    fn step_part(&mut self, part: &mut dyn Parameters<T>, grads: &Grads<T>) {
        (**self).step_part(part, grads)
    }

    fn try_step(&mut self, model: &mut dyn Parameters<T>, grads: &Grads<T>) -> Result<()> {
        (**self).try_step(model, grads)
    }

    fn step(&mut self, model: &mut dyn Parameters<T>, grads: &Grads<T>) {
        (**self).step(model, grads)
    }

    fn lr(&self) -> f64 {
        (**self).lr()
    }

    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr(lr)
    }

    fn base_lr(&self) -> f64 {
        (**self).base_lr()
    }

    fn group_count(&self) -> usize {
        (**self).group_count()
    }

    fn group_lr(&self, group: usize) -> f64 {
        (**self).group_lr(group)
    }

    fn group_base_lr(&self, group: usize) -> f64 {
        (**self).group_base_lr(group)
    }

    fn set_group_lr(&mut self, group: usize, lr: f64) {
        (**self).set_group_lr(group, lr)
    }

    fn step_count(&self) -> u64 {
        (**self).step_count()
    }

    fn momentum(&self) -> Option<f64> {
        (**self).momentum()
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        (**self).set_momentum(momentum)
    }

    fn zero_state(&mut self) {
        (**self).zero_state()
    }

    fn state(&self) -> OptimizerState<T> {
        (**self).state()
    }

    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<()> {
        (**self).load_state(state)
    }

    fn param_step(&self, id: ParamId) -> u64 {
        (**self).param_step(id)
    }
}
