//! An optimizer step cannot leave a parameter out silently: gradients for a
//! parameter the stepped model does not list are an error naming it (the
//! trap of a hand-written visitor that forgets a child), and stepping part
//! of a model on purpose is its own call.

use wengert::nn::{visit_child_params, visit_child_params_mut, ModuleParts, NnError};
use wengert::optim::OptimError;
use wengert::prelude::*;
use wengert::tensor::Parameters;

/// A block whose hand-written visitor forgets `second`.
struct ForgetsOne {
    first: Linear<f64>,
    second: Linear<f64>,
}

impl Parameters<f64> for ForgetsOne {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
        visit_child_params(self, f)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
        visit_child_params_mut(self, f)
    }
}

impl ModuleParts<f64> for ForgetsOne {
    fn type_name(&self) -> &'static str {
        "ForgetsOne"
    }
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<f64>)) {
        f("first", &self.first);
    }
    fn visit_children_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut dyn Module<f64>)) {
        f("first", &mut self.first);
    }
}

impl Module<f64> for ForgetsOne {
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>, NnError> {
        let h = self.first.forward(tape, x)?.tanh();
        self.second.forward(tape, h)
    }
}

fn loss_grads(model: &dyn Module<f64>) -> Grads<f64> {
    let tape = Tape::new();
    let x = tape.constant(Tensor::ones(&[2, 3]));
    model.forward(&tape, x).unwrap().square().mean().backward()
}

#[test]
fn a_model_that_hides_a_child_makes_the_step_an_error_naming_its_parameters() {
    let mut rng = seeded_rng(1);
    let mut model = ForgetsOne {
        first: Linear::new(3, 4, &mut rng),
        second: Linear::new(4, 2, &mut rng),
    };
    let before = (
        model.first.weight().value().clone(),
        model.second.weight().value().clone(),
    );
    let grads = loss_grads(&model);
    let mut opt = SgdConfig::new(0.1).build();
    let err = opt.try_step(&mut model, &grads).unwrap_err();
    let OptimError::UnlistedGradients { params, .. } = &err else {
        panic!("expected UnlistedGradients, got {err}");
    };
    assert_eq!(params.len(), 2, "{err}");
    assert!(params[0].starts_with("`weight` [2, 4]"), "{err}");
    assert!(params[1].starts_with("`bias` [2]"), "{err}");
    assert!(
        err.to_string().contains("step_part"),
        "the message says what to do: {err}"
    );
    // Nothing changed, the listed child included.
    assert_eq!(model.first.weight().value(), &before.0);
    assert_eq!(model.second.weight().value(), &before.1);
}

#[test]
fn two_optimizers_step_two_submodules_from_one_backward() {
    let mut rng = seeded_rng(2);
    let mut encoder = Linear::<f64>::new(3, 4, &mut rng);
    let mut head = Linear::<f64>::new(4, 2, &mut rng);
    let grads = {
        let tape = Tape::new();
        let x = tape.constant(Tensor::ones(&[2, 3]));
        let h = encoder.forward(&tape, x).unwrap().tanh();
        head.forward(&tape, h).unwrap().square().mean().backward()
    };
    // Stepping one part with `step` refuses the other part's gradients ...
    let mut slow = SgdConfig::new(0.01).build();
    assert!(slow.try_step(&mut encoder, &grads).is_err());
    // ... `step_part` says it is on purpose.
    let mut fast = AdamConfig::new(0.1).build();
    let (e0, h0) = (
        encoder.weight().value().clone(),
        head.weight().value().clone(),
    );
    slow.step_part(&mut encoder, &grads);
    fast.step_part(&mut head, &grads);
    assert_ne!(encoder.weight().value(), &e0);
    assert_ne!(head.weight().value(), &h0);
    // Both together are the whole model: a tuple lists both.
    let mut both = SgdConfig::new(0.1).build();
    both.step(&mut (&mut encoder, &mut head), &grads);
}
