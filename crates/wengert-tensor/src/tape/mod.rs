//! The tape: a Wengert list of every differentiable op of a forward pass.
//!
//! Each op on a [`Var`] computes its value eagerly and appends one entry:
//! a `Node` (the op's name, the ids of its inputs, its backward rule) and,
//! at the same index in a column of its own, its output value. Nodes are appended in creation order, which is already a
//! topological order (an input always exists before the op that reads it),
//! so the backward pass is one loop from the last node to the first; see
//! `backward.rs`.
//!
//! A tape also holds what makes a forward pass reproducible: whether it runs
//! in training or inference mode, and the seeded random generator dropout
//! draws from (see "Random draws" on [`Tape`]).

mod backward;
mod display;
mod grads;
mod guard;
mod inspect;
mod seed_stream;
mod var;

use std::cell::{Cell, Ref, RefCell, RefMut};

use smallbox::SmallBox;

pub use backward::BackwardCtx;
pub use grads::{GradGraph, Grads};
pub use inspect::NonFiniteNode;
pub use seed_stream::manual_seed;
pub use var::Var;

use crate::float::Float;
use crate::param::{Param, ParamId};
use crate::tensor::Tensor;
use crate::WengertRng;

/// A backward rule as the tape keeps it: given the context of its node
/// (inputs, output) and the upstream gradient `dy`, it writes one optional
/// gradient per input into the slots it is handed (all `None` on entry).
/// Rules are written with `Var` ops, so they can themselves be recorded and
/// differentiated.
///
/// Two choices keep a rule from costing an allocation per op: it writes
/// into slots the engine owns rather than returning a collection, and it is
/// kept in a [`SmallBox`], which stores a closure of up to four words (the
/// usual capture: a scalar, an axis, a few sizes) inline and only boxes
/// larger ones.
pub(crate) type Rule<T> = SmallBox<
    dyn for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>, &mut [Option<Var<'a, T>>]),
    smallbox::space::S4,
>;

/// Stores a rule. A function rather than a cast, so the closure's
/// higher-ranked signature is inferred from the bound.
fn boxed_rule<T: Float, F>(rule: F) -> Rule<T>
where
    F: for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>, &mut [Option<Var<'a, T>>]) + 'static,
{
    // The macro expands to an `unsafe` call, `SmallBox::new_unchecked(val,
    // ptr)`, whose one requirement is that `ptr` point at `val` itself (it
    // only lends the pointer's trait-object metadata). The macro builds
    // `ptr` as `addr_of!(val)`, so the requirement holds by construction;
    // this is the crate's documented way to store an unsized value on
    // stable Rust. Every op's rule goes through here, so every gradient
    // test exercises it, inline (small captures) and boxed (large ones,
    // such as a shape `Vec` plus more).
    smallbox::smallbox!(rule)
}

/// Input ids of a node: inline for the usual one or two inputs.
pub(crate) type Inputs = crate::indices::Indices;

/// What kind of leaf a node is, if it is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The result of an op.
    Op,
    /// A leaf bound to a parameter.
    Param(ParamId),
    /// A leaf made with [`Tape::var`]: needs a gradient.
    Input,
    /// A leaf that needs no gradient.
    Constant,
}

/// One entry of the Wengert list, less its value: the values are kept in a
/// column of their own (`Tape::values`, same index), so appending an entry
/// moves two records of about a hundred bytes each, which the compiler
/// copies with a few register moves, instead of one twice that size, which
/// it copies with a call to `memcpy`. That call was an eighth of the tape's
/// time per op on small values.
pub(crate) struct Node<T: Float> {
    pub(crate) op: &'static str,
    pub(crate) inputs: Inputs,
    pub(crate) requires_grad: bool,
    pub(crate) origin: Origin,
    /// Present only when the node requires a gradient.
    pub(crate) rule: Option<Rule<T>>,
}

/// The Wengert list: records a forward pass so it can be differentiated.
///
/// # Random draws
///
/// Dropout (and anything else random in a forward pass) draws from the
/// tape's generator. Where its seed comes from decides whether two steps of
/// a training loop share a mask, so the rule is: **every way of writing a
/// loop draws new masks each step, and the same program gives the same
/// masks, bitwise.**
///
/// - [`Tape::new`] takes its seed from the current thread's *seed stream*,
///   a generator that starts from a fixed seed in every thread (0, or what
///   [`manual_seed`] set) and advances once per tape. A loop that makes a
///   fresh tape per step therefore gets a new mask per step, and rerunning
///   the program repeats them all. This is PyTorch's
///   `torch.manual_seed` model, per thread so that concurrent tests and
///   worker threads do not perturb each other's streams.
/// - A reused tape ([`Tape::reset`] between steps) keeps its generator
///   running, so each step continues where the last stopped.
/// - [`Tape::training`] takes an explicit seed: the same seed gives the same
///   draws, which is what replaying one pass needs, and what a loop should
///   not do every step (use one of the forms above).
/// - [`Tape::from_rng`] draws the seed from a generator the loop owns.
/// - [`Tape::inference`] draws nothing and leaves the stream alone, so an
///   evaluation between training steps does not change the training masks.
///
/// The generator's state lives on the tape (see [`Tape::rng`]), so a
/// checkpoint can save it and a resumed run continue the same draws.
///
/// ```
/// use wengert_tensor::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![3.0], &[1]));
/// let y = (x * x + x).sum(); // y = x^2 + x
/// let grads = y.backward();
/// assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![7.0]); // dy/dx = 2x + 1
/// println!("{tape}"); // one line per node: id, op, inputs, shape
/// ```
pub struct Tape<T: Float> {
    nodes: RefCell<Vec<Node<T>>>,
    /// The value of node `i` is `values[i]`.
    values: RefCell<Vec<Tensor<T>>>,
    /// False inside `no_grad` and during a plain `backward`: ops then compute
    /// values but record no rules, so they cost what the kernels cost.
    recording: Cell<bool>,
    training: Cell<bool>,
    rng: RefCell<WengertRng>,
    /// Every parameter bound by [`Tape::param`] (not frozen), once each, in
    /// binding order: what a backward pass can give gradients to, so a
    /// module that hides a parameter can be caught (`bound_params`).
    bound: RefCell<Vec<BoundParam>>,
}

/// A parameter bound on a tape: its id, its name and shape at binding time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundParam {
    /// The parameter's id.
    pub id: ParamId,
    /// [`Param::name`] when bound (a layer's local name, such as `weight`).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// A tape in training mode whose generator is seeded from this thread's
    /// seed stream: a new seed for every tape, the same sequence in every
    /// run (see "Random draws" above).
    ///
    /// ```
    /// use wengert_tensor::{manual_seed, Tape};
    /// use rand::RngCore;
    /// manual_seed(7);
    /// let (a, b) = (Tape::<f32>::new().rng().next_u64(), Tape::<f32>::new().rng().next_u64());
    /// assert_ne!(a, b); // two tapes, two streams
    /// manual_seed(7);
    /// assert_eq!(Tape::<f32>::new().rng().next_u64(), a); // the same program, the same draws
    /// ```
    pub fn new() -> Self {
        Self::training(seed_stream::next_seed())
    }

    /// A tape in training mode (dropout active) whose random draws come from
    /// `seed`: the same seed gives the same draws. For replaying one pass;
    /// a loop that wants new masks each step uses [`Tape::new`] or resets
    /// one tape.
    pub fn training(seed: u64) -> Self {
        Tape {
            nodes: RefCell::new(Vec::new()),
            values: RefCell::new(Vec::new()),
            recording: Cell::new(true),
            training: Cell::new(true),
            rng: RefCell::new(crate::seeded_rng(seed)),
            bound: RefCell::new(Vec::new()),
        }
    }

    /// A tape in training mode seeded by one draw from `rng`, a generator the
    /// caller owns (the one that initialised the model, say): each tape made
    /// this way gets a new seed, determined by `rng`'s seed.
    pub fn from_rng<R: rand::RngCore + ?Sized>(rng: &mut R) -> Self {
        Self::training(rng.next_u64())
    }

    /// A tape in inference mode: dropout is the identity, batch norm uses
    /// running statistics. It draws no seed from the stream.
    pub fn inference() -> Self {
        let tape = Self::training(0);
        tape.training.set(false);
        tape
    }

    /// Whether layers should behave as in training.
    pub fn is_training(&self) -> bool {
        self.training.get()
    }

    /// Switches between training and inference behaviour.
    pub fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    /// The tape's random generator (dropout masks, noise).
    pub fn rng(&self) -> RefMut<'_, WengertRng> {
        self.rng.borrow_mut()
    }

    /// Restarts the random generator from `seed`.
    pub fn reseed(&self, seed: u64) {
        *self.rng.borrow_mut() = crate::seeded_rng(seed);
    }

    /// Number of nodes recorded.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// How many nodes the tape can hold before it reallocates.
    pub fn capacity(&self) -> usize {
        self.nodes.borrow().capacity()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every node but keeps the allocated capacity, so a training
    /// loop reuses one tape without growing memory. The random generator
    /// continues (a reset does not repeat the last dropout masks).
    /// Taking `&mut self` means no `Var` of the old pass can still be alive.
    pub fn reset(&mut self) {
        self.nodes.get_mut().clear();
        self.values.get_mut().clear();
        self.bound.get_mut().clear();
    }

    /// The parameters bound since the tape was made or last reset (frozen
    /// ones are constants and not listed), each once, in binding order.
    /// Comparing them with what a model lists finds a parameter the model
    /// uses but does not list (and so would never train or save).
    pub fn bound_params(&self) -> Vec<BoundParam> {
        self.bound.borrow().clone()
    }

    /// The name a parameter had when it was bound, if it was.
    pub(crate) fn bound_name(&self, id: ParamId) -> Option<String> {
        let bound = self.bound.borrow();
        bound.iter().find(|b| b.id == id).map(|b| b.name.clone())
    }

    /// Whether ops currently record backward rules.
    pub fn is_recording(&self) -> bool {
        self.recording.get()
    }

    /// Runs `f` with recording off: values are computed, nothing is
    /// differentiable, no rule is stored. Recording is restored however `f`
    /// ends, a caught panic included.
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        let _restore = guard::RecordingGuard::set(self, false);
        f()
    }

    /// A leaf bound to a parameter. A frozen parameter becomes a constant.
    ///
    /// The leaf shares the parameter's storage (no copy). An optimizer step
    /// while the tape is alive leaves the tape's values as they were (the
    /// step writes the new values to fresh storage instead of in place; see
    /// wengert-optim), so the tape stays correct and nothing is copied.
    pub fn param(&self, param: &Param<T>) -> Var<'_, T> {
        let origin = if param.is_frozen() {
            Origin::Constant
        } else {
            let id = param.id();
            let mut bound = self.bound.borrow_mut();
            if !bound.iter().any(|b| b.id == id) {
                bound.push(BoundParam {
                    id,
                    name: param.name().to_string(),
                    shape: param.shape().to_vec(),
                });
            }
            Origin::Param(id)
        };
        self.leaf("param", param.value().clone(), origin)
    }

    /// A leaf that needs a gradient (an input you differentiate with respect to).
    pub fn var(&self, value: Tensor<T>) -> Var<'_, T> {
        self.leaf("var", value, Origin::Input)
    }

    /// A leaf that needs no gradient (data, targets, masks).
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        self.leaf("constant", value, Origin::Constant)
    }

    /// A scalar constant.
    pub fn scalar(&self, value: T) -> Var<'_, T> {
        self.constant(Tensor::scalar(value))
    }

    fn leaf(&self, op: &'static str, value: Tensor<T>, origin: Origin) -> Var<'_, T> {
        let requires_grad = matches!(origin, Origin::Param(_) | Origin::Input);
        self.push(
            Node {
                op,
                inputs: Inputs::new(),
                requires_grad,
                origin,
                rule: None,
            },
            value,
        )
    }

    /// Records an op: its output `value`, its `N` inputs and its backward
    /// `rule`, which returns one optional gradient per input. The rule is
    /// kept only if some input needs a gradient and the tape is recording;
    /// otherwise the node is a plain value.
    ///
    /// This is the entry point every op goes through ([`Tape::record_many`]
    /// for a variable number of inputs); see `ops/mod.rs` for the checklist
    /// of adding one.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor, Var};
    /// // y = 3x, written as a new op: forward value, then the rule dx = 3 dy.
    /// fn triple<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    ///     let y = x.value().mul_scalar(3.0);
    ///     x.tape().record("triple", &[x], y, |_ctx, dy| [Some(dy.mul_scalar(3.0))])
    /// }
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[2]));
    /// let grads = triple(x).sum().backward();
    /// assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![3.0, 3.0]);
    /// ```
    pub fn record<'t, const N: usize, F>(
        &'t self,
        op: &'static str,
        inputs: &[Var<'t, T>; N],
        value: Tensor<T>,
        rule: F,
    ) -> Var<'t, T>
    where
        F: for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>) -> [Option<Var<'a, T>>; N] + 'static,
    {
        self.record_node(op, inputs, value, || {
            boxed_rule(move |ctx, dy, slots| slots.copy_from_slice(&rule(ctx, dy)))
        })
    }

    /// [`Tape::record`] for ops with any number of inputs (concatenation):
    /// the rule returns a `Vec` of one optional gradient per input.
    pub fn record_many<'t, F>(
        &'t self,
        op: &'static str,
        inputs: &[Var<'t, T>],
        value: Tensor<T>,
        rule: F,
    ) -> Var<'t, T>
    where
        F: for<'a> Fn(&BackwardCtx<'a, T>, Var<'a, T>) -> Vec<Option<Var<'a, T>>> + 'static,
    {
        self.record_node(op, inputs, value, || {
            boxed_rule(move |ctx, dy, slots| {
                let grads = rule(ctx, dy);
                assert_eq!(
                    grads.len(),
                    slots.len(),
                    "backward of {op} returned {} gradients for {} inputs",
                    grads.len(),
                    slots.len()
                );
                slots.copy_from_slice(&grads);
            })
        })
    }

    /// Appends an op's node; `rule` is boxed only when it will be kept.
    fn record_node<'t>(
        &'t self,
        op: &'static str,
        inputs: &[Var<'t, T>],
        value: Tensor<T>,
        rule: impl FnOnce() -> Rule<T>,
    ) -> Var<'t, T> {
        let mut nodes = self.nodes.borrow_mut();
        let requires_grad =
            self.recording.get() && inputs.iter().any(|v| nodes[v.id()].requires_grad);
        // `resize_with` rather than `push`: it builds the node directly in
        // the vector's memory. `push` builds it on the stack and copies it
        // over, and reading back as wide words the bytes just written piece
        // by piece stalls the processor; that copy was a quarter of the cost
        // of recording an op on a small value.
        let mut rule = Some(rule);
        let len = nodes.len();
        nodes.resize_with(len + 1, || Node {
            op,
            inputs: Inputs::from_fn(inputs.len(), |k| inputs[k].id()),
            requires_grad,
            origin: Origin::Op,
            rule: if requires_grad {
                rule.take().map(|make| make())
            } else {
                None
            },
        });
        self.values.borrow_mut().push(value);
        Var::new(self, nodes.len() - 1)
    }

    fn push(&self, node: Node<T>, value: Tensor<T>) -> Var<'_, T> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        self.values.borrow_mut().push(value);
        Var::new(self, nodes.len() - 1)
    }

    pub(crate) fn nodes(&self) -> Ref<'_, Vec<Node<T>>> {
        self.nodes.borrow()
    }

    pub(crate) fn nodes_mut(&self) -> RefMut<'_, Vec<Node<T>>> {
        self.nodes.borrow_mut()
    }

    pub(crate) fn values(&self) -> Ref<'_, Vec<Tensor<T>>> {
        self.values.borrow()
    }

    pub(crate) fn set_recording(&self, on: bool) -> bool {
        self.recording.replace(on)
    }
}
