//! Every optimizer trajectory of `optimizers.json` (PyTorch, float64),
//! matched point by point to 1e-10: 20 steps of each optimizer and setting
//! on a 2-D quadratic, with clipping and parameter groups.
//!
//! Each case is rebuilt from its fields only: the problem from its
//! `problem` formula, the start from `x0`, the optimizer from `optimizer`
//! and `hyperparameters` (PyTorch's names, defaults included), clipping from
//! `clip`, groups from `param_groups`. Gradients come from wengert's own
//! tape, and are checked against PyTorch's as well.

mod common;

use common::{flag, load_golden, num, nums};
use serde_json::Value;
use wengert_optim::{
    clip_grad_norm, clip_grad_value, AdadeltaConfig, AdagradConfig, AdamConfig, Optimizer,
    ParamGroup, RmsPropConfig, SgdConfig, WeightDecay,
};
use wengert_tensor::{Float, Grads, Param, Tape, Tensor};

const TOL: f64 = 1e-10;

/// f(x) = sum_i a_i * (x_i - c_i)^2, parsed from the case's `problem`
/// string, e.g. "f(x) = 0.1*(x1-1)^2 + 2*(x2-0.5)^2, grad = ...".
#[derive(Debug)]
struct Quadratic {
    scale: Vec<f64>,
    center: Vec<f64>,
}

fn parse_problem(problem: &str, case: &str) -> Quadratic {
    let bad = |why: &str| -> ! { panic!("case {case}: cannot read problem {problem:?}: {why}") };
    let body = problem
        .split_once("f(x) =")
        .unwrap_or_else(|| bad("no `f(x) =`"))
        .1
        .split(',')
        .next()
        .unwrap_or_else(|| bad("empty"));
    let mut scale = Vec::new();
    let mut center = Vec::new();
    for (i, term) in body.split('+').enumerate() {
        let term: String = term.chars().filter(|c| !c.is_whitespace()).collect();
        let (a, rest) = term
            .split_once('*')
            .unwrap_or_else(|| bad("a term without `*`"));
        let var = format!("x{}", i + 1);
        let c = if rest == format!("{var}^2") {
            0.0
        } else {
            let inner = rest
                .strip_prefix(&format!("({var}-"))
                .and_then(|r| r.strip_suffix(")^2"))
                .unwrap_or_else(|| bad("a term not of the form a*xi^2 or a*(xi-c)^2"));
            inner
                .parse()
                .unwrap_or_else(|_| bad("a centre that is not a number"))
        };
        scale.push(
            a.parse()
                .unwrap_or_else(|_| bad("a coefficient that is not a number")),
        );
        center.push(c);
    }
    Quadratic { scale, center }
}

/// Loss and gradient of the quadratic at the parameters' current values,
/// through wengert's tape. Parameters hold consecutive coordinates.
fn loss_and_grads<T: Float>(q: &Quadratic, params: &[Param<T>]) -> (f64, Grads<T>) {
    let tape = Tape::new();
    let mut offset = 0;
    let mut loss = tape.scalar(T::zero());
    for p in params {
        let n = p.numel();
        let a = tape.constant(Tensor::from_f64(&q.scale[offset..offset + n], p.shape()));
        let c = tape.constant(Tensor::from_f64(&q.center[offset..offset + n], p.shape()));
        let d = tape.param(p) - c;
        loss = loss + (a * d * d).sum();
        offset += n;
    }
    (Float::to_f64(loss.item()), loss.backward())
}

/// A JSON list of numbers (one step's gradient).
fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list of numbers")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// The case's optimizer, from PyTorch's class name and hyperparameters.
fn build_optimizer<T: Float>(case: &Value, groups: Vec<ParamGroup>) -> Box<dyn Optimizer<T>> {
    let id = case["id"].as_str().unwrap();
    let class = case["optimizer"].as_str().unwrap();
    let hp = &case["hyperparameters"];
    assert!(
        !flag(hp, "maximize"),
        "case {id}: maximize is not supported"
    );
    let lr = num(hp, "lr", id);
    let wd = num(hp, "weight_decay", id);
    let decay = if wd == 0.0 {
        WeightDecay::None
    } else if class == "torch.optim.AdamW" || flag(hp, "decoupled_weight_decay") {
        WeightDecay::Decoupled(wd)
    } else {
        WeightDecay::L2(wd)
    };
    // Every config then takes the case's weight decay and groups alike.
    macro_rules! with_decay_and_groups {
        ($config:expr) => {{
            let mut c = $config.weight_decay(decay);
            for g in &groups {
                c = c.group(g.clone());
            }
            Box::new(c.build())
        }};
    }
    match class {
        "torch.optim.SGD" => {
            with_decay_and_groups!(SgdConfig::new(lr)
                .momentum(num(hp, "momentum", id))
                .dampening(num(hp, "dampening", id))
                .nesterov(flag(hp, "nesterov")))
        }
        "torch.optim.Adagrad" => {
            with_decay_and_groups!(AdagradConfig::new(lr)
                .lr_decay(num(hp, "lr_decay", id))
                .eps(num(hp, "eps", id))
                .initial_accumulator_value(num(hp, "initial_accumulator_value", id)))
        }
        "torch.optim.RMSprop" => {
            with_decay_and_groups!(RmsPropConfig::new(lr)
                .alpha(num(hp, "alpha", id))
                .eps(num(hp, "eps", id))
                .momentum(num(hp, "momentum", id))
                .centered(flag(hp, "centered")))
        }
        "torch.optim.Adadelta" => {
            with_decay_and_groups!(AdadeltaConfig::new()
                .lr(lr)
                .rho(num(hp, "rho", id))
                .eps(num(hp, "eps", id)))
        }
        "torch.optim.Adam" | "torch.optim.AdamW" => {
            let betas = nums(hp, "betas", id);
            with_decay_and_groups!(AdamConfig::new(lr)
                .betas(betas[0], betas[1])
                .eps(num(hp, "eps", id))
                .amsgrad(flag(hp, "amsgrad")))
        }
        other => panic!("case {id}: optimizer {other} is not mapped in this test"),
    }
}

/// The parameters of a case (one tensor `x`, or one per parameter group)
/// and the groups giving each its learning rate and weight decay.
fn params_and_groups<T: Float>(case: &Value, x0: &[f64]) -> (Vec<Param<T>>, Vec<ParamGroup>) {
    let id = case["id"].as_str().unwrap();
    let Some(groups) = case["param_groups"].as_array() else {
        return (
            vec![Param::new("x", Tensor::from_f64(x0, &[x0.len()]))],
            Vec::new(),
        );
    };
    let hp = &case["hyperparameters"];
    let base_lr = num(hp, "lr", id);
    assert_eq!(
        groups.len(),
        x0.len(),
        "case {id}: one group per coordinate expected"
    );
    let mut params = Vec::new();
    let mut out = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let name = g["params"]
            .as_str()
            .unwrap_or_else(|| panic!("case {id}: group {i} has no params name"));
        // Only lr and weight decay may differ between groups here.
        for (key, value) in g.as_object().unwrap() {
            if !["params", "lr", "weight_decay"].contains(&key.as_str()) {
                assert_eq!(
                    value, &hp[key],
                    "case {id}: group {i} sets `{key}` per group, which is not supported"
                );
            }
        }
        params.push(Param::new(name, Tensor::from_f64(&x0[i..i + 1], &[1])));
        let target = name.to_string();
        out.push(
            ParamGroup::by_name(name, move |n| n == target)
                .lr_scale(num(g, "lr", id) / base_lr)
                .weight_decay(num(g, "weight_decay", id)),
        );
    }
    (params, out)
}

fn flat<T: Float>(params: &[Param<T>]) -> Vec<f64> {
    params
        .iter()
        .flat_map(|p| p.value().to_vec())
        .map(Float::to_f64)
        .collect()
}

fn flat_grads<T: Float>(params: &[Param<T>], grads: &Grads<T>) -> Vec<f64> {
    params
        .iter()
        .flat_map(|p| grads.get(p).unwrap().to_vec())
        .map(Float::to_f64)
        .collect()
}

/// How closely a run must match.
#[derive(Clone, Copy)]
struct Tolerance {
    tol: f64,
    /// Points relative to their size once above 1 (losses and gradients
    /// always are).
    relative_points: bool,
}

/// Compares two vectors, recording a message per coordinate off by more
/// than the tolerance. In f64, points are compared absolutely, as the issue
/// asks; losses and gradients relative to their size once above 1 (a
/// diverging run, SGD with lr 0.6, reaches losses of 1e6, where 1e-10 is
/// below one ulp).
fn compare(
    failures: &mut Vec<String>,
    what: &str,
    id: &str,
    step: usize,
    got: &[f64],
    want: &[f64],
    tolerance: Tolerance,
) -> f64 {
    let relative = what != "x" || tolerance.relative_points;
    assert_eq!(
        got.len(),
        want.len(),
        "case {id}: {what} has {} coordinates, golden has {}",
        got.len(),
        want.len()
    );
    let mut worst: f64 = 0.0;
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        let diff = (g - w).abs();
        worst = worst.max(diff);
        let tol = if relative {
            tolerance.tol * w.abs().max(1.0)
        } else {
            tolerance.tol
        };
        if diff.is_nan() || diff > tol {
            failures.push(format!(
                "case {id}, step {step}, coordinate {j}: {what} {g:e}, PyTorch {w:e}, |diff| {diff:e} > {tol:e}"
            ));
        }
    }
    worst
}

/// Runs one case; returns the largest deviation of the trajectory.
fn run_case<T: Float>(case: &Value, tolerance: Tolerance, failures: &mut Vec<String>) -> f64 {
    let id = case["id"].as_str().expect("every case has an id");
    let q = parse_problem(case["problem"].as_str().unwrap_or(""), id);
    let x0 = nums(case, "x0", id);
    assert_eq!(
        q.scale.len(),
        x0.len(),
        "case {id}: problem and x0 differ in dimension"
    );
    let (mut params, groups) = params_and_groups(case, &x0);
    let mut opt = build_optimizer(case, groups);
    let trajectory = case["trajectory"]
        .as_array()
        .unwrap_or_else(|| panic!("case {id}: no trajectory"));
    let losses = nums(case, "loss_before_step", id);
    let clip = &case["clip"];
    let mut worst: f64 = 0.0;
    for (k, point) in trajectory.iter().enumerate() {
        let step = k + 1;
        let (loss, mut grads) = loss_and_grads(&q, &params);
        compare(failures, "loss", id, step, &[loss], &[losses[k]], tolerance);
        let before: Vec<f64> = floats(&case["grad_before_clip"][k]);
        compare(
            failures,
            "gradient",
            id,
            step,
            &flat_grads(&params, &grads),
            &before,
            tolerance,
        );
        if !clip.is_null() {
            let f = clip["fn"].as_str().unwrap_or("");
            if f.contains("clip_grad_norm") {
                let norm = clip_grad_norm(&mut grads, num(clip, "max_norm", id)).unwrap();
                let want = clip["returned_total_norm_before_clip"][k].as_f64().unwrap();
                compare(
                    failures,
                    "returned norm",
                    id,
                    step,
                    &[norm],
                    &[want],
                    tolerance,
                );
            } else if f.contains("clip_grad_value") {
                clip_grad_value(&mut grads, num(clip, "clip_value", id)).unwrap();
            } else {
                panic!("case {id}: unknown clipping function {f:?}");
            }
        }
        let used: Vec<f64> = floats(&case["grad_used"][k]);
        compare(
            failures,
            "clipped gradient",
            id,
            step,
            &flat_grads(&params, &grads),
            &used,
            tolerance,
        );
        let mut refs: Vec<&mut Param<T>> = params.iter_mut().collect();
        opt.step(&mut refs, &grads);
        let want: Vec<f64> = point
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        worst = worst.max(compare(
            failures,
            "x",
            id,
            step,
            &flat(&params),
            &want,
            tolerance,
        ));
    }
    worst
}

/// Runs every case in `T`; returns the mismatches.
fn run_all<T: Float>(tolerance: Tolerance) -> Vec<String> {
    let golden = load_golden("optimizers.json");
    let cases = golden["cases"]
        .as_array()
        .expect("optimizers.json has a `cases` list");
    assert!(!cases.is_empty(), "optimizers.json has no cases");
    let mut failures = Vec::new();
    for case in cases {
        let worst = run_case::<T>(case, tolerance, &mut failures);
        eprintln!(
            "{:<55} {} max |x - x_torch| = {worst:.1e}",
            case["id"].as_str().unwrap(),
            T::DTYPE
        );
    }
    failures
}

#[test]
fn every_optimizer_trajectory_matches_pytorch_to_1e_10() {
    let failures = run_all::<f64>(Tolerance {
        tol: TOL,
        relative_points: false,
    });
    assert!(
        failures.is_empty(),
        "{} mismatches against PyTorch:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The f32 path runs the same updates: it tracks PyTorch's float64 points
/// to float32 precision, 1e-4 relative (absolute for points below 1). The
/// measured deviation is about 1e-6 for most cases and 2.5e-5 at most
/// (Nesterov, whose look-ahead amplifies rounding in the oscillating x2).
#[test]
fn every_optimizer_trajectory_in_f32_tracks_pytorch() {
    let failures = run_all::<f32>(Tolerance {
        tol: 1e-4,
        relative_points: true,
    });
    assert!(
        failures.is_empty(),
        "{} f32 mismatches against PyTorch (float64):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn problem_strings_parse_to_their_coefficients() {
    let q = parse_problem(
        "f(x) = 0.1*(x1-1)^2 + 2*(x2-0.5)^2, grad = (0.2*(x1-1), 4*(x2-0.5))",
        "t",
    );
    assert_eq!((q.scale, q.center), (vec![0.1, 2.0], vec![1.0, 0.5]));
    let q = parse_problem("f(x) = 0.1*x1^2 + 2*x2^2, grad = (0.2*x1, 4*x2)", "t");
    assert_eq!((q.scale, q.center), (vec![0.1, 2.0], vec![0.0, 0.0]));
}
