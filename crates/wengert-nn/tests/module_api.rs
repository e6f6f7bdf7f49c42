//! The Module trait's bookkeeping: nested names, buffers, counts, visiting
//! order, summaries, and that models can move between threads.

use wengert_nn::{
    summary, BatchNorm1d, BufferRef, Dropout, Linear, Module, ModuleParts, NnError, ReLU, Residual,
    Sequential,
};
use wengert_tensor::{seeded_rng, Param, Parameters, Tape, Tensor, Var};

fn nested() -> Sequential<f32> {
    let mut rng = seeded_rng(0);
    Sequential::new()
        .with(Linear::new(4, 6, &mut rng))
        .with(ReLU)
        .with(Residual::mlp(6, 8, 6, &mut rng))
        .with(
            Sequential::new()
                .with(Dropout::new(0.1))
                .with(Linear::new(6, 2, &mut rng)),
        )
}

#[test]
fn names_are_nested_paths_in_visiting_order() {
    let m = nested();
    assert_eq!(
        m.param_names(),
        [
            "0.weight",
            "0.bias",
            "2.body.0.weight",
            "2.body.0.bias",
            "2.body.1.weight",
            "2.body.1.bias",
            "2.body.3.weight",
            "2.body.3.bias",
            "2.body.4.weight",
            "2.body.4.bias",
            "3.1.weight",
            "3.1.bias",
        ]
    );
    let mut buffers = Vec::new();
    m.visit_buffers(&mut |n, b| buffers.push((n.to_string(), matches!(b, BufferRef::Int(_)))));
    assert_eq!(buffers.len(), 6);
    assert_eq!(
        buffers[2],
        ("2.body.1.num_batches_tracked".to_string(), true)
    );
    assert_eq!(buffers[3].0, "2.body.4.running_mean");
}

#[test]
fn params_and_params_mut_agree_and_counts_add_up() {
    let mut m = nested();
    let ids: Vec<_> = m.params().iter().map(|(_, p)| p.id()).collect();
    let ids_mut: Vec<_> = m.params_mut().iter().map(|(_, p)| p.id()).collect();
    assert_eq!(ids, ids_mut);
    let want = (4 * 6 + 6) + (6 * 8 + 8) + 2 * 8 + (8 * 6 + 6) + 2 * 6 + (6 * 2 + 2);
    assert_eq!(m.num_params(), want);
    assert_eq!(m.num_trainable_params(), want);
}

#[test]
fn summary_lists_each_layer_with_output_shape_and_params() {
    let m = nested();
    let s = summary(&m, &[5, 4]).unwrap();
    let rows: Vec<(&str, &str, Vec<usize>, usize)> = s
        .rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.type_name.as_str(),
                r.output_shape.clone(),
                r.params,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("0", "Linear", vec![5, 6], 30),
            ("1", "ReLU", vec![5, 6], 0),
            (
                "2",
                "Residual",
                vec![5, 6],
                (6 * 8 + 8) + 16 + (8 * 6 + 6) + 12
            ),
            ("3.0", "Dropout", vec![5, 6], 0),
            ("3.1", "Linear", vec![5, 2], 14),
        ]
    );
    let total = 30 + (6 * 8 + 8) + 16 + (8 * 6 + 6) + 12 + 14;
    assert_eq!(s.total_params, total);
    let text = s.to_string();
    assert!(
        text.contains("3.1")
            && text.contains("[5, 2]")
            && text.contains(&format!("total params: {total}")),
        "{text}"
    );
    // Summaries run in inference mode: running statistics are untouched.
    assert!(summary(&m, &[5, 3])
        .unwrap_err()
        .to_string()
        .contains("in layer `0` (Linear)"));
}

#[test]
fn summary_marks_frozen_layers() {
    let mut m = nested();
    m.freeze_first(1).unwrap();
    let s = summary(&m, &[2, 4]).unwrap();
    assert_eq!(s.trainable_params, s.total_params - 30);
    assert!(s
        .to_string()
        .lines()
        .any(|l| l.starts_with("0 ") && l.ends_with("(frozen)")));
}

#[test]
fn a_model_can_move_to_another_thread() {
    let m = nested();
    let n = m.num_params();
    let handle = std::thread::spawn(move || m.num_params());
    assert_eq!(handle.join().unwrap(), n);
}

/// A custom module with its own parameter and a child: derived lists, own
/// parameters first as in PyTorch's `state_dict`.
#[derive(Module)]
struct Scaled {
    inner: Linear<f64>,
    scale: Param<f64>,
}

impl Module<f64> for Scaled {
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>, NnError> {
        Ok(self.inner.forward(tape, x)? * tape.param(&self.scale))
    }
}

#[test]
fn custom_module_with_own_params_and_children_checks_its_gradients() {
    let mut m = Scaled {
        scale: Param::new("scale", Tensor::from_vec(vec![1.5, -0.5], &[2])),
        inner: Linear::new(3, 2, &mut seeded_rng(4)),
    };
    assert_eq!(m.param_names(), ["scale", "inner.weight", "inner.bias"]);
    let x = Tensor::rand_uniform(&[4, 3], -1.0, 1.0, &mut seeded_rng(5));
    wengert_nn::gradcheck_module(&mut m, &x, wengert_tensor::Tolerance::default()).unwrap();
}

#[test]
fn module_gradcheck_catches_a_wrong_parameter_binding() {
    // A layer that uses a detached copy of its weight: the forward is right,
    // but the weight gets no gradient. The check must fail, naming it.
    struct Detached(Linear<f64>);
    impl Parameters<f64> for Detached {
        fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
            f("weight", self.0.weight());
        }
        fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
            self.0.visit_params_mut(f);
        }
    }
    impl ModuleParts<f64> for Detached {
        fn type_name(&self) -> &'static str {
            "Detached"
        }
    }
    impl Module<f64> for Detached {
        fn forward<'t>(
            &self,
            tape: &'t Tape<f64>,
            x: Var<'t, f64>,
        ) -> Result<Var<'t, f64>, NnError> {
            let w = tape.constant(self.0.weight().value().clone());
            Ok(x.matmul(w.matrix_transpose()))
        }
    }
    let mut m = Detached(Linear::new(2, 2, &mut seeded_rng(0)));
    let x = Tensor::ones(&[1, 2]);
    let err =
        wengert_nn::gradcheck_module(&mut m, &x, wengert_tensor::Tolerance::default()).unwrap_err();
    assert_eq!(err.what(), "weight");
    assert!(err.to_string().contains("analytic 0"), "{err}");
}

#[test]
fn batch_norm_buffers_are_visible_and_writable() {
    let mut bn = BatchNorm1d::<f64>::new(2);
    bn.visit_buffers_mut(&mut |n, b| match b {
        wengert_nn::BufferMut::Float(t) if n == "running_mean" => {
            *t = Tensor::from_vec(vec![1.0, 2.0], &[2])
        }
        wengert_nn::BufferMut::Int(c) => *c = 7,
        _ => {}
    });
    assert_eq!(bn.running_mean().to_vec(), vec![1.0, 2.0]);
    assert_eq!(bn.num_batches_tracked(), 7);
}

/// A stand-in for an optimizer: SGD with lr 0.5 on the unfrozen parameters
/// a model lists, reached through `Parameters` as wengert-optim reaches
/// them.
fn sgd_step(model: &mut dyn Parameters<f64>, grads: &wengert_tensor::Grads<f64>) -> usize {
    let mut updated = 0;
    model.visit_params_mut(&mut |_, p| {
        if let (false, Some(g)) = (p.is_frozen(), grads.get(p)) {
            let v = p.value().sub(&g.mul_scalar(0.5));
            p.set_value(v).unwrap();
            updated += 1;
        }
    });
    updated
}

#[test]
fn a_model_is_stepped_through_its_parameter_list() {
    let mut rng = seeded_rng(2);
    let mut m = Sequential::<f64>::new()
        .with(Linear::new(2, 3, &mut rng))
        .with(ReLU)
        .with(Linear::new(3, 1, &mut rng));
    m.set_frozen("2.bias", true).unwrap();
    let tape = Tape::training(0);
    let y = m
        .forward(&tape, tape.constant(Tensor::ones(&[4, 2])))
        .unwrap();
    let grads = y.square().mean().backward();
    let before = m.params()[3].1.value().to_vec();
    let updated = sgd_step(&mut m, &grads);
    assert_eq!(updated, 3, "weights and first bias, not the frozen bias");
    assert_eq!(m.params()[3].1.value().to_vec(), before);
}

#[test]
fn boxed_modules_keep_their_names_buffers_and_rows() {
    // A layer chosen at run time, boxed, then nested in a Sequential.
    let boxed: Box<dyn Module<f32>> = Box::new(nested());
    let outer = Sequential::new().with(boxed).with(ReLU);
    assert_eq!(outer.param_names()[0], "0.0.weight");
    let mut buffers = 0;
    outer.visit_buffers(&mut |_, _| buffers += 1);
    assert_eq!(buffers, 6);
    let s = summary(&outer, &[2, 4]).unwrap();
    assert_eq!(
        s.rows.len(),
        6,
        "the boxed Sequential still lists its children"
    );
    assert_eq!(s.rows[4].name, "0.3.1");
}

/// A hand-written module whose visitor forgets its second child.
struct ForgetsOne {
    first: Linear<f64>,
    second: Linear<f64>,
}

impl Parameters<f64> for ForgetsOne {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<f64>)) {
        wengert_nn::visit_child_params(self, f)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<f64>)) {
        wengert_nn::visit_child_params_mut(self, f)
    }
}

impl ModuleParts<f64> for ForgetsOne {
    fn type_name(&self) -> &'static str {
        "ForgetsOne"
    }
    fn visit_children<'s>(&'s self, f: &mut dyn FnMut(&str, &'s dyn Module<f64>)) {
        f("first", &self.first); // `second` is left out
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

#[test]
fn module_gradcheck_fails_on_a_module_that_hides_a_parameter() {
    let mut rng = seeded_rng(8);
    let mut m = ForgetsOne {
        first: Linear::new(3, 4, &mut rng),
        second: Linear::new(4, 2, &mut rng),
    };
    assert_eq!(m.param_names(), ["first.weight", "first.bias"]);
    let x = Tensor::rand_uniform(&[2, 3], -1.0, 1.0, &mut rng);
    let err =
        wengert_nn::gradcheck_module(&mut m, &x, wengert_tensor::Tolerance::default()).unwrap_err();
    assert!(
        matches!(&err, wengert_nn::ModuleGradcheckError::UnlistedParam { name, shape }
            if name == "weight" && shape == &[2, 4]),
        "{err}"
    );
    assert!(err.to_string().contains("does not list"), "{err}");
}
