//! The `Optimizer` methods every optimizer forwards to its
//! [`crate::driver::StepDriver`] (learning rate, state), written once.

/// Expands, inside an `impl Optimizer<T> for Foo<T>` whose struct has a
/// `driver` field, to the methods that only forward to the driver.
macro_rules! delegate_to_driver {
    () => {
        fn lr(&self) -> f64 {
            self.driver.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.driver.lr = lr;
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
