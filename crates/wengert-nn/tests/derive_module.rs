//! `#[derive(Module)]` on nested models: the names it writes are PyTorch's
//! (`state_dict()`, `named_parameters()`, `named_buffers()`,
//! `named_modules()` of the equivalent `nn.Module`), PyTorch's saved MLP
//! loads into a derived model and gives PyTorch's outputs, and what the
//! derive lists is what the forward pass binds.

mod common;

use std::cell::Cell;

use common::{golden_dir, read_json, tensor};
use wengert_nn::conv::{BatchNorm2d, Conv2d, Conv2dConfig};
use wengert_nn::{
    gradcheck_module, read_state_dict, state_dict, BatchNorm1d, Dropout, Linear, Module,
    ModuleParts, ReLU, Result, Sequential,
};
use wengert_tensor::{seeded_rng, Param, Parameters, Tape, Tensor, Tolerance, Var};

#[derive(Module)]
struct Block {
    conv: Conv2d<f64>,
    bn: BatchNorm2d<f64>,
}

impl Module<f64> for Block {
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>> {
        Ok(self.bn.forward(tape, self.conv.forward(tape, x)?)?.relu())
    }
}

/// The PyTorch twin, whose keys the tests below hold:
///
/// ```text
/// class Block(nn.Module):
///     def __init__(s):
///         super().__init__()
///         s.conv = nn.Conv2d(2, 2, 3, padding=1); s.bn = nn.BatchNorm2d(2)
/// class Net(nn.Module):
///     def __init__(s):
///         super().__init__()
///         s.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8))
///         s.blocks = nn.ModuleList([Block(), Block()])
///         s.head = nn.Linear(8, 3)
///         s.aux = None
///         s.scale = nn.Parameter(torch.ones(3))
///         s.register_buffer("ema", torch.zeros(3))
///         s.register_buffer("steps", torch.tensor(0))
/// ```
#[derive(Module)]
struct Net {
    features: Sequential<f64>,
    blocks: Vec<Block>,
    head: Option<Linear<f64>>,
    aux: Option<Linear<f64>>,
    scale: Param<f64>,
    #[module(buffer)]
    ema: Tensor<f64>,
    #[module(buffer)]
    steps: i64,
    #[module(skip)]
    width: usize,
}

/// Features, head and scale; the blocks (images) are here for their names.
impl Module<f64> for Net {
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>> {
        let mut h = self.features.forward(tape, x)?;
        if let Some(head) = &self.head {
            h = head.forward(tape, h)?;
        }
        Ok(h * tape.param(&self.scale))
    }
}

fn net() -> Net {
    let mut rng = seeded_rng(0);
    let conv = || Conv2dConfig::new(2, 2, 3).with_padding(1);
    let block = |rng: &mut _| Block {
        conv: conv().build(rng).unwrap(),
        bn: BatchNorm2d::new(2),
    };
    Net {
        features: Sequential::new()
            .with(Linear::new(4, 8, &mut rng))
            .with(ReLU)
            .with(BatchNorm1d::new(8)),
        blocks: vec![block(&mut rng), block(&mut rng)],
        head: Some(Linear::new(8, 3, &mut rng)),
        aux: None,
        scale: Param::new("scale", Tensor::ones(&[3])),
        ema: Tensor::zeros(&[3]),
        steps: 0,
        width: 8,
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn parameter_names_and_order_are_pytorchs_named_parameters() {
    // list(Net().named_parameters()) in PyTorch 2.15: own parameters first,
    // then each child in registration order.
    let want = [
        "scale",
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "blocks.0.conv.weight",
        "blocks.0.conv.bias",
        "blocks.0.bn.weight",
        "blocks.0.bn.bias",
        "blocks.1.conv.weight",
        "blocks.1.conv.bias",
        "blocks.1.bn.weight",
        "blocks.1.bn.bias",
        "head.weight",
        "head.bias",
    ];
    assert_eq!(net().param_names(), strings(&want));
}

#[test]
fn buffer_names_and_order_are_pytorchs_named_buffers() {
    let want = [
        "ema",
        "steps",
        "features.2.running_mean",
        "features.2.running_var",
        "features.2.num_batches_tracked",
        "blocks.0.bn.running_mean",
        "blocks.0.bn.running_var",
        "blocks.0.bn.num_batches_tracked",
        "blocks.1.bn.running_mean",
        "blocks.1.bn.running_var",
        "blocks.1.bn.num_batches_tracked",
    ];
    let mut names = Vec::new();
    net().visit_buffers(&mut |name, _| names.push(name.to_string()));
    assert_eq!(names, strings(&want));
}

#[test]
fn state_dict_keys_are_pytorchs() {
    // sorted(Net().state_dict().keys()): our state dict is sorted by name.
    let mut want = strings(&[
        "scale",
        "ema",
        "steps",
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "features.2.running_mean",
        "features.2.running_var",
        "features.2.num_batches_tracked",
        "blocks.0.conv.weight",
        "blocks.0.conv.bias",
        "blocks.0.bn.weight",
        "blocks.0.bn.bias",
        "blocks.0.bn.running_mean",
        "blocks.0.bn.running_var",
        "blocks.0.bn.num_batches_tracked",
        "blocks.1.conv.weight",
        "blocks.1.conv.bias",
        "blocks.1.bn.weight",
        "blocks.1.bn.bias",
        "blocks.1.bn.running_mean",
        "blocks.1.bn.running_var",
        "blocks.1.bn.num_batches_tracked",
        "head.weight",
        "head.bias",
    ]);
    want.sort();
    let ours: Vec<String> = state_dict(&net()).into_keys().collect();
    assert_eq!(ours, want);
}

#[test]
fn children_are_pytorchs_named_modules() {
    // [name for name, _ in Net().named_modules()][1:], depth first. A Vec
    // field is a list of children named `blocks.0`, `blocks.1` (PyTorch's
    // ModuleList adds a `blocks` node of its own, which holds nothing).
    fn walk(m: &dyn Module<f64>, prefix: &str, out: &mut Vec<String>) {
        m.visit_children(&mut |name, child| {
            let full = wengert_nn::join_name(prefix, name);
            out.push(full.clone());
            walk(child, &full, out);
        });
    }
    let mut names = Vec::new();
    walk(&net(), "", &mut names);
    let want = [
        "features",
        "features.0",
        "features.1",
        "features.2",
        "blocks.0",
        "blocks.0.conv",
        "blocks.0.bn",
        "blocks.1",
        "blocks.1.conv",
        "blocks.1.bn",
        "head",
    ];
    assert_eq!(names, strings(&want));
    assert_eq!(net().type_name(), "Net");
}

#[test]
fn mutable_lists_match_the_shared_ones() {
    let mut m = net();
    let listed = m.param_names();
    let mut via_mut = Vec::new();
    m.visit_params_mut(&mut |name, _| via_mut.push(name.to_string()));
    assert_eq!(via_mut, listed);
    let mut buffers = Vec::new();
    m.visit_buffers_mut(&mut |name, b| {
        if let wengert_nn::BufferMut::Int(steps) = b {
            *steps = 5;
        }
        buffers.push(name.to_string());
    });
    assert_eq!(m.steps, 5, "the i64 buffer is written through its field");
    assert_eq!(buffers.len(), 11);
    assert_eq!(m.width, 8, "a skipped field is left alone");
}

/// A generic derived module (`T` is any float), with a Dropout child and a
/// counter that the derive must leave out.
#[derive(Module)]
struct Mlp<T: wengert_tensor::Float> {
    fc1: Linear<T>,
    drop: Dropout,
    fc2: Linear<T>,
    #[module(skip)]
    calls: Cell<usize>,
}

impl<T: wengert_tensor::Float> Module<T> for Mlp<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        self.calls.set(self.calls.get() + 1);
        let h = self.drop.forward(tape, self.fc1.forward(tape, x)?.tanh())?;
        self.fc2.forward(tape, h)
    }
}

#[test]
fn a_generic_derived_module_works_in_f32_and_f64_and_binds_what_it_lists() {
    let mut rng = seeded_rng(3);
    let mut m = Mlp::<f64> {
        fc1: Linear::new(3, 5, &mut rng),
        drop: Dropout::new(0.2),
        fc2: Linear::new(5, 2, &mut rng),
        calls: Cell::new(0),
    };
    assert_eq!(
        m.param_names(),
        ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    );
    let x = Tensor::rand_uniform(&[4, 3], -1.0, 1.0, &mut rng);
    gradcheck_module(&mut m, &x, Tolerance::default()).unwrap();
    let tape = Tape::new();
    m.forward(&tape, tape.constant(x)).unwrap();
    let bound: Vec<_> = tape.bound_params().into_iter().map(|b| b.id).collect();
    let mut listed = Vec::new();
    m.visit_params(&mut |_, p| listed.push(p.id()));
    assert_eq!(
        bound, listed,
        "the forward binds exactly what the derive lists"
    );

    let m32 = Mlp::<f32> {
        fc1: Linear::new(3, 5, &mut rng),
        drop: Dropout::new(0.2),
        fc2: Linear::new(5, 2, &mut rng),
        calls: Cell::new(0),
    };
    assert_eq!(m32.num_params(), 3 * 5 + 5 + 5 * 2 + 2);
}

/// PyTorch's saved MLP, Sequential(Linear, BatchNorm1d, ReLU, Dropout,
/// Linear), rebuilt as a struct with named fields.
#[derive(Module)]
struct NamedMlp {
    fc1: Linear<f64>,
    bn: BatchNorm1d<f64>,
    drop: Dropout,
    fc2: Linear<f64>,
}

impl Module<f64> for NamedMlp {
    fn forward<'t>(&self, tape: &'t Tape<f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>> {
        let h = self.bn.forward(tape, self.fc1.forward(tape, x)?)?.relu();
        self.fc2.forward(tape, self.drop.forward(tape, h)?)
    }
}

#[test]
fn pytorchs_mlp_weights_load_into_a_derived_model_and_give_its_outputs() {
    let model = read_json("models/mlp.json");
    let path = golden_dir()
        .join("models")
        .join(model["files"]["float64"].as_str().unwrap());
    // PyTorch's Sequential indices become our field names.
    let renamed: wengert_nn::StateDict<f64> = read_state_dict(&path)
        .unwrap()
        .into_iter()
        .map(|(name, value)| {
            let (index, rest) = name.split_once('.').unwrap();
            let field = match index {
                "0" => "fc1",
                "1" => "bn",
                "4" => "fc2",
                other => panic!("PyTorch's MLP has no state under {other}"),
            };
            (format!("{field}.{rest}"), value)
        })
        .collect();
    let mut rng = seeded_rng(1);
    let mut net = NamedMlp {
        fc1: Linear::new(784, 64, &mut rng),
        bn: BatchNorm1d::new(64),
        drop: Dropout::new(0.5),
        fc2: Linear::new(64, 10, &mut rng),
    };
    wengert_nn::load_state_dict(&mut net, &renamed).unwrap();
    assert_eq!(net.bn.num_batches_tracked(), 3);
    let tape = Tape::inference();
    let out = net
        .forward(&tape, tape.constant(tensor(&model["input"])))
        .unwrap()
        .value();
    let want = tensor(&model["output"]);
    let diff = out
        .to_vec()
        .iter()
        .zip(want.to_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(diff <= 1e-10, "max |diff| {diff:e}");
}
