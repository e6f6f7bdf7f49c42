//! One configuration of every optimizer and setting, for tests that must
//! hold for all of them.

use wengert_optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, AdamWConfig, Optimizer, RmsPropConfig, SgdConfig,
    WeightDecay,
};
use wengert_tensor::Float;

/// A named constructor of a fresh optimizer.
pub type Factory<T> = (&'static str, fn() -> Box<dyn Optimizer<T>>);

/// Every optimizer, with settings that minimise a quadratic whose
/// curvature is at most 4 (learning rates below the stability limit).
pub fn all_optimizers<T: Float>() -> Vec<Factory<T>> {
    vec![
        ("sgd", || Box::new(SgdConfig::new(0.1).build())),
        ("sgd_l2", || {
            Box::new(
                SgdConfig::new(0.1)
                    .weight_decay(WeightDecay::L2(0.01))
                    .build(),
            )
        }),
        ("sgd_momentum_dampening", || {
            Box::new(SgdConfig::new(0.05).momentum(0.9).dampening(0.1).build())
        }),
        ("sgd_nesterov", || {
            Box::new(SgdConfig::new(0.05).momentum(0.9).nesterov(true).build())
        }),
        ("adagrad", || Box::new(AdagradConfig::new(0.5).build())),
        ("adagrad_lr_decay", || {
            Box::new(AdagradConfig::new(0.5).lr_decay(0.01).build())
        }),
        ("rmsprop", || Box::new(RmsPropConfig::new(0.01).build())),
        ("rmsprop_centered_momentum", || {
            Box::new(
                RmsPropConfig::new(0.01)
                    .alpha(0.9)
                    .centered(true)
                    .momentum(0.5)
                    .build(),
            )
        }),
        ("adadelta", || Box::new(AdadeltaConfig::new().build())),
        ("adam", || Box::new(AdamConfig::new(0.05).build())),
        ("adam_amsgrad_l2", || {
            Box::new(
                AdamConfig::new(0.05)
                    .amsgrad(true)
                    .weight_decay(WeightDecay::L2(0.01))
                    .build(),
            )
        }),
        ("adamw", || {
            Box::new(AdamWConfig::new(0.05).weight_decay(0.01).build())
        }),
    ]
}
