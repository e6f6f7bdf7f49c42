//! The backward pass: one reverse sweep over the tape.
//!
//! Gradients live in a side table indexed by node id, never in the nodes, so
//! calling backward twice gives the same answer. The engine keeps all the
//! books: it seeds `dy = 1` at the root, asks each rule for its inputs'
//! gradients, skips inputs that need none, checks every returned shape and
//! sums the contributions of an input used more than once. Rules stay pure
//! functions of their inputs, output and `dy`.

use super::grads::{GradGraph, Grads};
use super::{Inputs, Origin, Tape, Var};
use crate::error::TensorError;
use crate::float::Float;
use crate::tensor::Tensor;

/// What a backward rule sees of its node: the inputs and the output, as Vars.
pub struct BackwardCtx<'t, T: Float> {
    tape: &'t Tape<T>,
    op: &'static str,
    inputs: Inputs,
    output: usize,
}

impl<'t, T: Float> BackwardCtx<'t, T> {
    /// Input `i` of the node (`a`, `b`, or `x` in a rule).
    pub fn input(&self, i: usize) -> Var<'t, T> {
        Var::new(self.tape, self.inputs[i])
    }

    /// The node's output `y` (rules such as exp's reuse it: d/dx e^x = e^x).
    pub fn output(&self) -> Var<'t, T> {
        Var::new(self.tape, self.output)
    }

    /// Whether input `i` needs a gradient; a rule may skip work when not
    /// (a matrix product need not compute the gradient of its data operand).
    pub fn needs_grad(&self, i: usize) -> bool {
        self.tape.nodes()[self.inputs[i]].requires_grad
    }

    /// The tape (for constants a rule needs).
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// Whether this backward pass is being recorded for a second derivative.
    pub fn is_recording(&self) -> bool {
        self.tape.is_recording()
    }

    /// For a fused op whose backward is a hand-written kernel: refuses when
    /// the pass is recorded, since the kernel's result cannot be
    /// differentiated again.
    #[track_caller]
    pub fn refuse_second_derivative(&self, composed: &'static str) {
        if self.is_recording() {
            panic!(
                "{}",
                TensorError::NotTwiceDifferentiable {
                    op: self.op,
                    composed
                }
            );
        }
    }
}

impl<T: Float> Tape<T> {
    /// The sweep. Returns the gradient of `root` with respect to every node
    /// that needs one (None elsewhere). With `record`, rules are recorded so
    /// the gradients are differentiable Vars.
    fn sweep<'t>(&'t self, root: Var<'t, T>, record: bool) -> Vec<Option<Var<'t, T>>> {
        // Restored on every exit, a panicking rule included.
        let _recording = super::guard::RecordingGuard::set(self, record);
        let n = root.id() + 1;
        let mut grads: Vec<Option<Var<'t, T>>> = vec![None; n];
        if self.nodes()[root.id()].requires_grad {
            grads[root.id()] = Some(self.constant(Tensor::ones(&root.shape())));
        }
        for i in (0..n).rev() {
            let Some(dy) = grads[i] else { continue };
            // Take the rule out of its node while it runs: the rule appends
            // nodes to the tape (which needs the tape mutably) but never
            // touches node i. The guard puts it back when the rule is done,
            // or if it panics, so a second backward finds it.
            let mut nodes = self.nodes_mut();
            let Some(rule) = nodes[i].rule.take() else {
                continue; // a leaf: its gradient stays in the table
            };
            let ctx = BackwardCtx {
                tape: self,
                op: nodes[i].op,
                inputs: nodes[i].inputs.clone(),
                output: i,
            };
            drop(nodes);
            let rule = super::guard::RuleGuard::new(self, i, rule);
            // An intermediate's gradient is no longer needed once passed on.
            grads[i] = None;
            // The slots the rule writes its inputs' gradients into: on the
            // stack for the usual one or two inputs.
            let arity = ctx.inputs.len();
            let (mut few, mut many) = ([None; 4], Vec::new());
            let dinputs: &mut [Option<Var<'t, T>>] = if arity <= few.len() {
                &mut few[..arity]
            } else {
                many.resize(arity, None);
                &mut many
            };
            (rule.rule())(&ctx, dy, dinputs);
            drop(rule);
            {
                // Keep only the gradients of inputs that need one, each
                // checked against its input's shape.
                let nodes = self.nodes();
                let values = self.values();
                for (k, d) in dinputs.iter_mut().enumerate() {
                    let Some(g) = *d else { continue };
                    if !nodes[ctx.inputs[k]].requires_grad {
                        *d = None;
                        continue;
                    }
                    check_gradient_shape(&values, &ctx, k, g);
                }
            }
            for (d, &j) in dinputs.iter().zip(&ctx.inputs) {
                let Some(d) = *d else { continue };
                grads[j] = Some(match grads[j] {
                    None => d,
                    Some(g) => g + d,
                });
            }
        }
        grads
    }
}

/// A rule's gradient `g` for its input `k` must have that input's shape; a
/// rule that gets this wrong is named with its node.
fn check_gradient_shape<T: Float>(
    values: &[Tensor<T>],
    ctx: &BackwardCtx<'_, T>,
    k: usize,
    g: Var<'_, T>,
) {
    let got = values[g.id()].shape();
    let expected = values[ctx.inputs[k]].shape();
    if !crate::indices::same(got, expected) {
        panic!(
            "{}",
            TensorError::GradientShape {
                op: ctx.op,
                node: ctx.output,
                input: k,
                got: got.to_vec(),
                expected: expected.to_vec()
            }
        );
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Reverse-mode differentiation of this Var (usually a scalar loss; for
    /// a non-scalar the upstream gradient is all ones, i.e. the gradient of
    /// its sum). Rules run with recording off, so this costs what the
    /// backward kernels cost and adds only plain values to the tape.
    pub fn backward(&self) -> Grads<T> {
        let grads = self.tape().sweep(*self, false);
        let (nodes, values) = (self.tape().nodes(), self.tape().values());
        let mut out = Grads::new();
        for (i, g) in grads.into_iter().enumerate() {
            let Some(g) = g else { continue };
            match nodes[i].origin {
                Origin::Param(id) => {
                    if out.by_id(id).is_none() {
                        if let Some(name) = self.tape().bound_name(id) {
                            out.set_name(id, name);
                        }
                    }
                    out.accumulate_param(id, values[g.id()].clone())
                }
                Origin::Input => out.set_var(i, values[g.id()].clone()),
                Origin::Op | Origin::Constant => {}
            }
        }
        out
    }

    /// Like [`Var::backward`], but records the backward pass on the tape, so
    /// each gradient is itself a differentiable Var: Hessian-vector products,
    /// gradient penalties.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![2.0], &[1]));
    /// let y = (x * x * x).sum();                 // y = x^3
    /// let g = y.backward_with_graph();
    /// let dy = g.wrt(x).unwrap();                // 3x^2 = 12, still a Var
    /// let d2 = dy.sum().backward();              // d/dx 3x^2 = 6x = 12
    /// assert_eq!(dy.value().to_vec(), vec![12.0]);
    /// assert_eq!(d2.wrt(x).unwrap().to_vec(), vec![12.0]);
    /// ```
    pub fn backward_with_graph(&self) -> GradGraph<'t, T> {
        let grads = self.tape().sweep(*self, true);
        let origins: Vec<Origin> = {
            let nodes = self.tape().nodes();
            (0..grads.len()).map(|i| nodes[i].origin).collect()
        };
        let mut out = GradGraph::new();
        for (i, g) in grads.into_iter().enumerate() {
            let Some(g) = g else { continue };
            match origins[i] {
                // A parameter bound twice sums both uses (an op on the tape).
                Origin::Param(id) => out.accumulate_param(id, g),
                Origin::Input => out.set_var(i, g),
                Origin::Op | Origin::Constant => {}
            }
        }
        out
    }
}
