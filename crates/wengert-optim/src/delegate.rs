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

        fn set_lr(&mut self, lr: f64) {
            self.driver.set_lr(lr);
        }

        fn group_count(&self) -> usize {
            self.driver.group_count()
        }

        #[track_caller]
        fn group_lr(&self, group: usize) -> f64 {
            self.driver.group_lr(group)
        }

        #[track_caller]
        fn group_base_lr(&self, group: usize) -> f64 {
            self.driver.group_base_lr(group)
        }

        #[track_caller]
        fn set_group_lr(&mut self, group: usize, lr: f64) {
            self.driver.set_group_lr(group, lr);
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

/// `Optimizer::momentum` and `Optimizer::set_momentum` for an optimizer
/// whose `momentum` field is a setting that 0 turns off (SGD, RMSprop): a
/// schedule that cycles the momentum sets it for every group, and turns it
/// on for an optimizer built with momentum 0, as PyTorch's OneCycleLR does
/// (it writes each group's `momentum`, which SGD and RMSprop then use).
macro_rules! momentum_setting {
    () => {
        fn momentum(&self) -> Option<f64> {
            Some(self.momentum)
        }

        fn set_momentum(&mut self, momentum: f64) -> bool {
            self.momentum = momentum;
            self.driver.clear_momentum_overrides();
            true
        }
    };
}

pub(crate) use momentum_setting;
