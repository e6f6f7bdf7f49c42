//! The `Optimizer` methods every optimizer forwards to its
//! [`crate::driver::StepDriver`] (learning rates, step count, state),
//! written once.

/// Expands, inside an `impl Optimizer<T> for Foo<T>` whose struct has a
/// `driver` field, to the methods that only forward to the driver.
macro_rules! delegate_to_driver {
    () => {
        fn name(&self) -> &'static str {
            self.driver.name()
        }

        fn lr(&self) -> f64 {
            self.driver.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.driver.lr = lr;
        }

        fn base_lr(&self) -> f64 {
            self.driver.base_lr
        }

        fn step_count(&self) -> u64 {
            self.driver.steps
        }

        fn zero_state(&mut self) {
            self.driver.zero_state();
        }

        fn state(&self) -> $crate::OptimizerState<T> {
            self.driver.export()
        }

        fn load_state(&mut self, state: &$crate::OptimizerState<T>) -> $crate::Result<()> {
            self.driver.import(state)
        }

        fn param_step(&self, id: wengert_tensor::ParamId) -> u64 {
            self.driver
                .state_of(id)
                .map(|s| $crate::state::BufferState::step(s))
                .unwrap_or(0)
        }
    };
}

pub(crate) use delegate_to_driver;

/// `Optimizer::set_momentum` for an optimizer whose momentum is a setting
/// that 0 turns off (SGD, RMSprop): a schedule may move a momentum the
/// optimizer was built with, but not switch one on (PyTorch's OneCycleLR
/// likewise needs the optimizer to have momentum).
pub(crate) fn set_configured_momentum(momentum: &mut f64, new: f64) -> bool {
    if *momentum == 0.0 {
        return false;
    }
    *momentum = new;
    true
}
