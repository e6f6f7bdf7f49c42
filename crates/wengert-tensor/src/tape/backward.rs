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
    needs: Needs,
}

type Needs = smallvec::SmallVec<[bool; 2]>;

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
        self.needs[i]
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
        let before = self.set_recording(record);
        let n = root.id() + 1;
        let mut grads: Vec<Option<Var<'t, T>>> = vec![None; n];
        if self.nodes()[root.id()].requires_grad {
            grads[root.id()] = Some(self.constant(Tensor::ones(&root.shape())));
        }
        for i in (0..n).rev() {
            let Some(dy) = grads[i] else { continue };
            // Take the rule out of its node while it runs: the rule appends
            // nodes to the tape (which needs the tape mutably) but never
            // touches node i, and it goes back in afterwards so a second
            // backward finds it.
            let (rule, inputs, needs, op) = {
                let mut nodes = self.nodes_mut();
                let Some(rule) = nodes[i].rule.take() else {
                    continue; // a leaf: its gradient stays in the table
                };
                let inputs = nodes[i].inputs.clone();
                let mut needs = Needs::new();
                for &j in &inputs {
                    needs.push(nodes[j].requires_grad);
                }
                (rule, inputs, needs, nodes[i].op)
            };
            // An intermediate's gradient is no longer needed once passed on.
            grads[i] = None;
            let ctx = BackwardCtx {
                tape: self,
                op,
                inputs,
                output: i,
                needs,
            };
            let dinputs = rule(&ctx, dy);
            self.nodes_mut()[i].rule = Some(rule);
            assert_eq!(
                dinputs.len(),
                ctx.inputs.len(),
                "backward of {op} returned {} gradients for {} inputs",
                dinputs.len(),
                ctx.inputs.len()
            );
            for (k, (&j, d)) in ctx.inputs.iter().zip(dinputs).enumerate() {
                let Some(d) = d else { continue };
                if !ctx.needs[k] {
                    continue;
                }
                {
                    let nodes = self.nodes();
                    let (got, expected) = (nodes[d.id()].value.shape(), nodes[j].value.shape());
                    if got != expected {
                        panic!(
                            "{}",
                            TensorError::GradientShape {
                                op,
                                node: i,
                                input: k,
                                got: got.to_vec(),
                                expected: expected.to_vec()
                            }
                        );
                    }
                }
                grads[j] = Some(match grads[j] {
                    None => d,
                    Some(g) => g + d,
                });
            }
        }
        self.set_recording(before);
        grads
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Reverse-mode differentiation of this Var (usually a scalar loss; for
    /// a non-scalar the upstream gradient is all ones, i.e. the gradient of
    /// its sum). Rules run with recording off, so this costs what the
    /// backward kernels cost and adds only plain values to the tape.
    pub fn backward(&self) -> Grads<T> {
        let grads = self.tape().sweep(*self, false);
        let nodes = self.tape().nodes();
        let mut out = Grads::new();
        for (i, g) in grads.into_iter().enumerate() {
            let Some(g) = g else { continue };
            match nodes[i].origin {
                Origin::Param(id) => out.accumulate_param(id, nodes[g.id()].value.clone()),
                Origin::Input => out.set_var(i, nodes[g.id()].value.clone()),
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
