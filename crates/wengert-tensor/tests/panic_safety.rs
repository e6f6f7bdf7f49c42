//! A panic inside `backward`, `backward_with_graph` or `no_grad` that the
//! caller catches leaves the tape exactly as usable as before: the rules
//! are back in their nodes and recording is back on, so the next backward
//! gives what a fresh tape gives.

use std::panic::{catch_unwind, AssertUnwindSafe};

use wengert_tensor::{Tape, Tensor, Var};

/// y = 2x, with a rule that can be made to return a gradient of the wrong
/// shape (which the engine's shape check refuses with a panic).
fn doubled<'t>(x: Var<'t, f64>, broken: bool) -> Var<'t, f64> {
    let y = x.value().mul_scalar(2.0);
    x.tape().record("doubled", &[x], y, move |_ctx, dy| {
        if broken {
            [Some(dy.sum())] // a scalar where the input is a vector
        } else {
            [Some(dy.mul_scalar(2.0))]
        }
    })
}

/// y = x^2 whose backward is a "hand-written kernel": it refuses to be
/// recorded for a second derivative.
fn fused_square<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    let y = x.value().mul(&x.value());
    x.tape().record("fused_square", &[x], y, |ctx, dy| {
        ctx.refuse_second_derivative("x * x");
        let two_x = ctx.input(0).value().mul_scalar(2.0);
        [Some(dy * ctx.tape().constant(two_x))]
    })
}

fn input() -> Tensor<f64> {
    Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3])
}

/// The gradient of sum(tanh(x) * 3) on a fresh tape: what every tape must
/// still give after a caught panic.
fn reference_grad() -> Vec<f64> {
    let tape = Tape::new();
    let x = tape.var(input());
    let grads = x.tanh().mul_scalar(3.0).sum().backward();
    grads.wrt(x).unwrap().to_vec()
}

#[test]
fn tape_is_usable_after_a_failed_gradient_shape_check() {
    let tape = Tape::new();
    let x = tape.var(input());
    let bad = doubled(x, true).sum();
    let caught = catch_unwind(AssertUnwindSafe(|| bad.backward()));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("doubled"),
        "the message names the op: {message}"
    );
    assert!(tape.is_recording(), "recording is back on");

    // A normal backward on the same tape, through nodes recorded before
    // and after the panic.
    let good = doubled(x, false).tanh().mul_scalar(1.5).sum();
    let dx = good.backward().wrt(x).unwrap().to_vec();
    let fresh = Tape::new();
    let x0 = fresh.var(input());
    let want = doubled(x0, false).tanh().mul_scalar(1.5).sum().backward();
    assert_eq!(
        dx,
        want.wrt(x0).unwrap().to_vec(),
        "bitwise as on a fresh tape"
    );
    // d/dx 1.5 tanh(2x) = 3 (1 - tanh^2(2x)), by hand for the first element
    let t = 2f64.tanh();
    assert!((dx[0] - 3.0 * (1.0 - t * t)).abs() < 1e-12);
}

#[test]
fn tape_is_usable_after_a_refused_second_derivative() {
    let tape = Tape::new();
    let x = tape.var(input());
    let y = fused_square(x).sum();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        y.backward_with_graph();
    }));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("fused_square") && message.contains("x * x"),
        "{message}"
    );
    assert!(tape.is_recording(), "recording is back on");

    // The refused node still has its rule: a plain backward through it works.
    let grads = y.backward();
    assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![2.0, -4.0, 6.0]);

    // And new ops record as on a fresh tape.
    let z = x.tanh().mul_scalar(3.0).sum();
    assert_eq!(z.backward().wrt(x).unwrap().to_vec(), reference_grad());
}

#[test]
fn recording_is_restored_after_a_panic_in_no_grad() {
    let tape = Tape::<f64>::new();
    let x = tape.var(input());
    let caught = catch_unwind(AssertUnwindSafe(|| {
        tape.no_grad(|| {
            let _ = x.exp();
            panic!("a failure inside no_grad");
        })
    }));
    assert!(caught.is_err());
    assert!(tape.is_recording());
    let z = x.tanh().mul_scalar(3.0).sum();
    assert!(z.requires_grad(), "ops record again after the panic");
    assert_eq!(z.backward().wrt(x).unwrap().to_vec(), reference_grad());
}
