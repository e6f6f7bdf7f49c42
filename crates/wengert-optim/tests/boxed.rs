//! A boxed optimizer behaves as the optimizer in the box: the same steps
//! bitwise, and its learning rate and state reached through the box.

use wengert_optim::{AdamConfig, Optimizer, SgdConfig};
use wengert_tensor::{Grads, Param, Tensor};

/// Three steps of `opt` on `x = [1, -2, 3]` with the gradient `x - 0.5`;
/// the path's bit patterns.
fn path(opt: &mut impl Optimizer<f64>) -> Vec<u64> {
    let mut x = Param::new("x", Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]));
    let mut bits = Vec::new();
    for _ in 0..3 {
        let mut grads = Grads::new();
        grads.insert(x.id(), x.value().add_scalar(-0.5));
        opt.step(&mut [&mut x], &grads);
        bits.extend(x.value().to_vec().iter().map(|v| v.to_bits()));
    }
    bits
}

#[test]
fn a_boxed_optimizer_takes_the_same_steps_and_forwards_its_settings() {
    let mut plain = AdamConfig::new(0.1).build();
    let mut boxed: Box<dyn Optimizer<f64>> = Box::new(AdamConfig::new(0.1).build());
    assert_eq!(path(&mut plain), path(&mut boxed));
    assert_eq!(boxed.name(), "Adam");
    assert_eq!(boxed.step_count(), 3);
    // The same moments (the two paths ran on two parameters, with two ids).
    assert_eq!(
        boxed.state().params[0].buffers,
        plain.state().params[0].buffers
    );
    boxed.set_lr(0.01);
    assert_eq!(boxed.lr(), 0.01);

    let mut sgd: Box<dyn Optimizer<f64>> = Box::new(SgdConfig::new(0.1).momentum(0.9).build());
    assert_eq!(sgd.momentum(), Some(0.9));
    assert!(sgd.set_momentum(0.5));
    assert_eq!(sgd.momentum(), Some(0.5));
    sgd.zero_state();
    assert_eq!(sgd.step_count(), 0);
}
