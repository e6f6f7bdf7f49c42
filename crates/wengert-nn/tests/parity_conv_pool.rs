//! Pooling and convolution options against PyTorch (float64): max pooling
//! whose windows lie in the padding, ceil mode, `count_include_pad`,
//! `divisor_override`, Conv2d's padding modes and `"same"` / `"valid"`
//! padding. Outputs and the gradients of sum(output * upstream) with
//! respect to the input and every parameter match to 1e-10; every case
//! passes a finite-difference check at its input; property tests compare
//! random configurations with a direct implementation of PyTorch's rules.
//!
//! Reference: `parity/conv_pool.json` of the golden folder, written by
//! `parity/conv_pool.py` (it says how to run it).

mod common;

use common::{assert_matches, read_json, tensor};
use proptest::prelude::*;
use serde_json::Value;
use wengert_nn::conv::{AvgPool2d, Conv2d, Conv2dConfig, MaxPool2d, PaddingMode, Window2d};
use wengert_nn::{gradcheck_module, Module};
use wengert_tensor::gradcheck::assert_close;
use wengert_tensor::{seeded_rng, Tape, Tensor, Tolerance};

const TOL: f64 = 1e-10;
const CASES: u32 = 64;

fn cases() -> Vec<Value> {
    read_json("parity/conv_pool.json")["cases"]
        .as_array()
        .expect("cases")
        .clone()
}

/// `|a - e| <= TOL * (1 + |e|)`, and non-finite values exactly equal.
#[track_caller]
fn pair(case: &Value, key: &str) -> [usize; 2] {
    let v = case["config"][key]
        .as_array()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]));
    [
        v[0].as_u64().unwrap() as usize,
        v[1].as_u64().unwrap() as usize,
    ]
}

fn flag(case: &Value, key: &str) -> bool {
    case["config"][key]
        .as_bool()
        .unwrap_or_else(|| panic!("{}: config.{key}", case["name"]))
}

fn pool_window(case: &Value) -> Window2d {
    Window2d {
        kernel: pair(case, "kernel_size"),
        stride: pair(case, "stride"),
        padding: pair(case, "padding"),
        dilation: match case["config"].get("dilation") {
            Some(_) => pair(case, "dilation"),
            None => [1, 1],
        },
    }
}

fn padding_mode(name: &str) -> PaddingMode {
    match name {
        "zeros" => PaddingMode::Zeros,
        "reflect" => PaddingMode::Reflect,
        "replicate" => PaddingMode::Replicate,
        "circular" => PaddingMode::Circular,
        other => panic!("unknown padding_mode {other}"),
    }
}

fn conv_config(case: &Value) -> Conv2dConfig {
    let c = &case["config"];
    let channels = |k: &str| c[k].as_u64().unwrap() as usize;
    let mut config = Conv2dConfig::new(channels("in_channels"), channels("out_channels"), 1)
        .with_groups(channels("groups"))
        .with_bias(flag(case, "bias"))
        .with_padding_mode(padding_mode(c["padding_mode"].as_str().unwrap()));
    config.window.kernel = pair(case, "kernel_size");
    config.window.stride = pair(case, "stride");
    config.window.dilation = pair(case, "dilation");
    match c["padding"].as_str() {
        Some("same") => config.with_padding_same(),
        Some("valid") => config.with_padding_valid(),
        Some(other) => panic!("unknown padding {other}"),
        None => {
            config.window.padding = pair(case, "padding");
            config
        }
    }
}

/// The case's layer with every option read from the case.
fn build(case: &Value) -> Box<dyn Module<f64>> {
    match case["layer"].as_str().unwrap() {
        "MaxPool2d" => Box::new(
            MaxPool2d::from_window(pool_window(case)).with_ceil_mode(flag(case, "ceil_mode")),
        ),
        "AvgPool2d" => Box::new(
            AvgPool2d::from_window(pool_window(case))
                .with_ceil_mode(flag(case, "ceil_mode"))
                .with_count_include_pad(flag(case, "count_include_pad"))
                .with_divisor_override(
                    case["config"]["divisor_override"]
                        .as_u64()
                        .map(|d| d as usize),
                ),
        ),
        "Conv2d" => {
            let mut conv: Conv2d<f64> = conv_config(case).build(&mut seeded_rng(0)).unwrap();
            let params = case["params"].as_object().unwrap();
            let mut ours = conv.param_names();
            ours.sort();
            let mut theirs: Vec<String> = params.keys().cloned().collect();
            theirs.sort();
            assert_eq!(ours, theirs, "{}: parameter names", case["name"]);
            for (n, p) in conv.params_mut() {
                p.set_value(tensor(&params[&n])).unwrap();
            }
            Box::new(conv)
        }
        other => panic!("unknown layer {other}"),
    }
}

/// Runs a case: output, input gradient and parameter gradients against
/// PyTorch's.
fn check_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let module = build(case);
    let tape = Tape::training(0);
    let x = tape.var(tensor(&case["inputs"]["input"]));
    let y = module.forward(&tape, x).unwrap();
    assert_matches(name, "output", &y.value(), &tensor(&case["output"]), TOL);
    let upstream = tape.constant(tensor(&case["upstream"]));
    let grads = (y * upstream).sum().backward();
    let expected = case["grads"].as_object().unwrap();
    assert_matches(
        name,
        "grad input",
        grads.wrt(x).expect("an input gradient"),
        &tensor(&expected["input"]),
        TOL,
    );
    let params = module.params();
    assert_eq!(params.len() + 1, expected.len(), "{name}: gradient count");
    for (pname, p) in params {
        let got = grads
            .get(p)
            .unwrap_or_else(|| panic!("{name}: no gradient for {pname}"));
        assert_matches(
            name,
            &format!("grad {pname}"),
            got,
            &tensor(&expected[&pname]),
            TOL,
        );
    }
}

/// Checks every case whose name starts with `prefix` (at least one).
fn check_cases(prefix: &str) {
    let chosen: Vec<Value> = cases()
        .into_iter()
        .filter(|c| c["name"].as_str().unwrap().starts_with(prefix))
        .collect();
    assert!(!chosen.is_empty(), "no case named {prefix}*");
    for case in &chosen {
        check_case(case);
    }
}

const GROUPS: [&str; 5] = ["max_window", "max_rows", "max_ceil", "avg_", "conv_"];

#[test]
fn every_case_of_the_file_belongs_to_a_test() {
    for case in cases() {
        let name = case["name"].as_str().unwrap().to_string();
        assert!(
            GROUPS.iter().any(|g| name.starts_with(g)),
            "{name} is checked by no test"
        );
    }
}

#[test]
fn max_pool_window_in_the_padding_gives_minus_infinity_and_no_gradient() {
    check_cases("max_window");
    // Outputs only: PyTorch's gradient there goes to an element outside the
    // window (see the case's comment in conv_pool.py). The output is a
    // constant, so its gradient is zero.
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        if !name.starts_with("max_rows") {
            continue;
        }
        let tape = Tape::training(0);
        let x = tape.var(tensor(&case["inputs"]["input"]));
        let y = build(&case).forward(&tape, x).unwrap();
        assert_matches(name, "output", &y.value(), &tensor(&case["output"]), TOL);
        let grads = (y * tape.constant(tensor(&case["upstream"])))
            .sum()
            .backward();
        let dx = grads.wrt(x).unwrap().to_vec();
        assert!(dx.iter().all(|&g| g == 0.0), "{name}: {dx:?}");
    }
    // The example, stated directly: kernel 2, padding 1, dilation
    // (1, 3) on a 1x1x1x2 input.
    let pool = MaxPool2d::from_window(Window2d {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 3],
    });
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[1, 1, 1, 2]));
    let y = pool.forward(&tape, x).unwrap();
    assert_eq!(y.value().to_vec(), vec![f64::NEG_INFINITY]);
    let grads = (y * tape.constant(Tensor::ones(&[1, 1, 1, 1])))
        .sum()
        .backward();
    assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![0.0, 0.0]);
}

#[test]
fn max_pool_ceil_mode_matches_pytorch() {
    check_cases("max_ceil");
}

#[test]
fn avg_pool_ceil_mode_count_include_pad_and_divisor_override_match_pytorch() {
    check_cases("avg_");
}

#[test]
fn conv2d_padding_modes_matches_pytorch() {
    for mode in ["conv_reflect", "conv_replicate", "conv_circular"] {
        check_cases(mode);
    }
}

#[test]
fn conv2d_same_padding_odd_totals_and_valid_match_pytorch() {
    check_cases("conv_same");
    check_cases("conv_valid");
}

#[test]
fn every_case_passes_gradcheck_at_its_input() {
    for case in cases() {
        let x = tensor(&case["inputs"]["input"]);
        if tensor(&case["output"])
            .to_vec()
            .iter()
            .any(|v| !v.is_finite())
        {
            continue; // -inf outputs: checked exactly above
        }
        let mut module = build(&case);
        gradcheck_module(module.as_mut(), &x, Tolerance::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
    }
}

/// Distinct values with gaps of at least 0.01, so a finite-difference step
/// never changes which element of a window is the maximum.
fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    use rand::seq::SliceRandom;
    let n: usize = shape.iter().product();
    let mut v: Vec<f64> = (0..n).map(|k| k as f64 * 0.01 - 0.5).collect();
    v.shuffle(&mut seeded_rng(seed));
    Tensor::from_vec(v, shape)
}

fn rand(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -1.5, 1.5, &mut seeded_rng(seed))
}

/// Windows along one axis by enumeration, independently of the closed
/// form: floor mode keeps the windows that end inside the padded input;
/// ceil mode keeps a window while the one before had not reached the end,
/// then drops the last if it starts in the right padding (PyTorch drops at
/// most one; within its limit, padding <= kernel / 2, no second one could
/// start there).
fn count_windows(n: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> usize {
    let (len, span) = (n + 2 * p, d * (k - 1) + 1);
    if !ceil {
        return (0..).take_while(|&o: &usize| o * s + span <= len).count();
    }
    if span > len + s - 1 {
        return 0;
    }
    let kept = (0..)
        .take_while(|&o: &usize| o == 0 || (o - 1) * s + span < len)
        .count();
    if (kept - 1) * s >= n + p {
        kept - 1
    } else {
        kept
    }
}

/// Where output `o` of a window reads along one axis (`None`: padding).
fn tap(o: usize, u: usize, s: usize, p: usize, d: usize, n: usize) -> Option<usize> {
    let pos = (o * s + u * d) as isize - p as isize;
    (0..n as isize).contains(&pos).then_some(pos as usize)
}

/// Max pooling by a scan: values (-inf for a window with no input
/// position) and, for upstream `u`, the input gradient (all of a window's
/// `u` to its first maximum).
fn scan_max_pool(
    win: &Window2d,
    x: &Tensor<f64>,
    out: (usize, usize),
    u: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let (planes, h, w) = (x.shape()[0] * x.shape()[1], x.shape()[2], x.shape()[3]);
    let xs = x.to_vec();
    let (mut y, mut dx) = (Vec::new(), vec![0.0; xs.len()]);
    for p in 0..planes {
        for i in 0..out.0 {
            for j in 0..out.1 {
                let mut best: Option<usize> = None;
                for a in 0..win.kernel[0] {
                    for b in 0..win.kernel[1] {
                        let hi = tap(i, a, win.stride[0], win.padding[0], win.dilation[0], h);
                        let wj = tap(j, b, win.stride[1], win.padding[1], win.dilation[1], w);
                        if let (Some(hi), Some(wj)) = (hi, wj) {
                            let at = p * h * w + hi * w + wj;
                            if best.is_none_or(|b| xs[at] > xs[b]) {
                                best = Some(at);
                            }
                        }
                    }
                }
                let k = y.len();
                y.push(best.map_or(f64::NEG_INFINITY, |b| xs[b]));
                if let Some(b) = best {
                    dx[b] += u[k];
                }
            }
        }
    }
    (y, dx)
}

/// Average pooling by PyTorch's formula (no dilation): the window
/// `[start, start + k)` clipped to the padded input gives the counted
/// divisor, clipped to the input the non-padding one.
fn formula_avg_pool(pool: &AvgPool2d, x: &Tensor<f64>, out: (usize, usize)) -> Vec<f64> {
    let win = pool.window();
    let (planes, h, w) = (
        x.shape()[0] * x.shape()[1],
        x.shape()[2] as isize,
        x.shape()[3] as isize,
    );
    let xs = x.to_vec();
    let range = |o: usize, a: usize, n: isize| {
        let (k, s, p) = (
            win.kernel[a] as isize,
            win.stride[a] as isize,
            win.padding[a] as isize,
        );
        let start = o as isize * s - p;
        let end = (start + k).min(n + p);
        let padded = end - start;
        (start.max(0), end.min(n), padded)
    };
    let mut y = Vec::new();
    for p in 0..planes {
        for i in 0..out.0 {
            for j in 0..out.1 {
                let (h0, h1, ph) = range(i, 0, h);
                let (w0, w1, pw) = range(j, 1, w);
                let mut sum = 0.0;
                for hi in h0..h1 {
                    for wj in w0..w1 {
                        sum += xs[p * (h * w) as usize + (hi * w + wj) as usize];
                    }
                }
                let divisor = match pool.divisor_override() {
                    Some(d) => d as isize,
                    None if pool.count_include_pad() => ph * pw,
                    None => (h1 - h0) * (w1 - w0),
                };
                y.push(sum / divisor as f64);
            }
        }
    }
    y
}

/// `x` padded by `[top, bottom, left, right]` in `mode`, each padded
/// position read from the input by the mode's rule.
fn pad_direct(x: &Tensor<f64>, pads: [usize; 4], mode: PaddingMode) -> Tensor<f64> {
    let [n, c, h, w] = [x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]];
    let (ph, pw) = (h + pads[0] + pads[1], w + pads[2] + pads[3]);
    let read = |q: usize, before: usize, len: usize| -> Option<usize> {
        let i = q as isize - before as isize;
        let last = len as isize - 1;
        let i = match mode {
            PaddingMode::Zeros => i,
            PaddingMode::Reflect => {
                if i < 0 {
                    -i
                } else if i > last {
                    2 * last - i
                } else {
                    i
                }
            }
            PaddingMode::Replicate => i.max(0).min(last),
            PaddingMode::Circular => (i % len as isize + len as isize) % len as isize,
        };
        (0..len as isize).contains(&i).then_some(i as usize)
    };
    let mut out = vec![0.0; n * c * ph * pw];
    for plane in 0..n * c {
        for q in 0..ph {
            for r in 0..pw {
                if let (Some(hi), Some(wj)) = (read(q, pads[0], h), read(r, pads[2], w)) {
                    out[(plane * ph + q) * pw + r] = x.to_vec()[(plane * h + hi) * w + wj];
                }
            }
        }
    }
    Tensor::from_vec(out, &[n, c, ph, pw])
}

/// Convolution by its formula over an already padded input.
fn direct_conv(
    config: &Conv2dConfig,
    xp: &Tensor<f64>,
    wt: &Tensor<f64>,
    b: Option<&Tensor<f64>>,
) -> Tensor<f64> {
    let [n, c, h, w] = [xp.shape()[0], xp.shape()[1], xp.shape()[2], xp.shape()[3]];
    let win = &config.window;
    let span = |a: usize| win.dilation[a] * (win.kernel[a] - 1) + 1;
    let (oh, ow) = (
        (h - span(0)) / win.stride[0] + 1,
        (w - span(1)) / win.stride[1] + 1,
    );
    let (o, g) = (config.out_channels, config.groups);
    let (cg, og) = (c / g, o / g);
    let mut y = vec![0.0; n * o * oh * ow];
    for ni in 0..n {
        for oc in 0..o {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = b.map_or(0.0, |b| b.at(&[oc]));
                    for cc in 0..cg {
                        let ci = (oc / og) * cg + cc;
                        for u in 0..win.kernel[0] {
                            for v in 0..win.kernel[1] {
                                let hi = i * win.stride[0] + u * win.dilation[0];
                                let wj = j * win.stride[1] + v * win.dilation[1];
                                acc += wt.at(&[oc, cc, u, v]) * xp.at(&[ni, ci, hi, wj]);
                            }
                        }
                    }
                    y[((ni * o + oc) * oh + i) * ow + j] = acc;
                }
            }
        }
    }
    Tensor::from_vec(y, &[n, o, oh, ow])
}

fn any_mode() -> impl Strategy<Value = PaddingMode> {
    prop_oneof![
        Just(PaddingMode::Zeros),
        Just(PaddingMode::Reflect),
        Just(PaddingMode::Replicate),
        Just(PaddingMode::Circular),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn output_sizes_count_the_windows_pytorch_keeps(
        (n, k, s, p, d) in (1usize..12, 1usize..5, 1usize..5, 0usize..4, 1usize..4),
    ) {
        let win = Window2d { kernel: [k, 1], stride: [s, 1], padding: [p, 0], dilation: [d, 1] };
        let (floor, ceil) = (count_windows(n, k, s, p, d, false), count_windows(n, k, s, p, d, true));
        prop_assert_eq!(win.output_size(n, 1).map(|o| o.0), (floor > 0).then_some(floor));
        prop_assert_eq!(win.output_size_ceil(n, 1).map(|o| o.0), (ceil > 0).then_some(ceil));
    }

    #[test]
    fn max_pool_with_ceil_mode_and_any_padding_equals_a_scan(
        (n, c, h, w) in (1usize..3, 1usize..3, 1usize..7, 1usize..7),
        (kh, kw, s, d) in (1usize..4, 1usize..4, 1usize..4, 1usize..4),
        (ph, pw, ceil) in (0usize..4, 0usize..4, any::<bool>()),
        seed in any::<u64>(),
    ) {
        // Padding up to beyond half the kernel, where windows lie wholly in it.
        let win = Window2d { kernel: [kh, kw], stride: [s, s], padding: [ph, pw], dilation: [d, d] };
        let out = if ceil { win.output_size_ceil(h, w) } else { win.output_size(h, w) };
        prop_assume!(out.is_some());
        let out = out.unwrap();
        let mut pool = MaxPool2d::from_window(win).with_ceil_mode(ceil);
        let x = distinct(&[n, c, h, w], seed);
        let u = rand(&[n, c, out.0, out.1], seed ^ 1);
        let tape = Tape::new();
        let xv = tape.var(x.clone());
        let y = pool.forward(&tape, xv).unwrap();
        let grads = (y * tape.constant(u.clone())).sum().backward();
        let (want_y, want_dx) = scan_max_pool(&win, &x, out, &u.to_vec());
        prop_assert_eq!(y.value().to_vec(), want_y.clone());
        prop_assert_eq!(grads.wrt(xv).unwrap().to_vec(), want_dx);
        if want_y.iter().all(|v| v.is_finite()) {
            gradcheck_module(&mut pool, &x, Tolerance::default()).unwrap();
        }
    }

    #[test]
    fn avg_pool_options_equal_pytorchs_formula(
        (n, c, h, w) in (1usize..3, 1usize..3, 1usize..7, 1usize..7),
        (kh, kw, sh, sw) in (1usize..4, 1usize..4, 1usize..4, 1usize..4),
        (ceil, include_pad, divisor) in (any::<bool>(), any::<bool>(), prop::option::of(1usize..10)),
        (ph, pw) in (0usize..2, 0usize..2),
        seed in any::<u64>(),
    ) {
        // PyTorch's domain: padding at most half the kernel, no dilation.
        let win = Window2d { kernel: [kh, kw], stride: [sh, sw], padding: [ph.min(kh / 2), pw.min(kw / 2)], dilation: [1, 1] };
        let out = if ceil { win.output_size_ceil(h, w) } else { win.output_size(h, w) };
        prop_assume!(out.is_some());
        let mut pool = AvgPool2d::from_window(win)
            .with_ceil_mode(ceil)
            .with_count_include_pad(include_pad)
            .with_divisor_override(divisor);
        let x = rand(&[n, c, h, w], seed);
        let tape = Tape::new();
        let y = pool.forward(&tape, tape.constant(x.clone())).unwrap().value();
        let want = formula_avg_pool(&pool, &x, out.unwrap());
        assert_close(&y, &Tensor::from_vec(want, y.shape()), 1e-14, 1e-13);
        gradcheck_module(&mut pool, &x, Tolerance::default()).unwrap();
    }

    #[test]
    fn conv2d_padding_modes_equal_padding_then_convolving(
        (g, cg, og, n) in (1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (kh, kw, s, d) in (1usize..4, 1usize..4, 1usize..3, 1usize..3),
        (h, w, ph, pw) in (1usize..6, 1usize..6, 0usize..4, 0usize..4),
        (mode, same, bias) in (any_mode(), any::<bool>(), any::<bool>()),
        seed in any::<u64>(),
    ) {
        let mut config = Conv2dConfig::new(g * cg, g * og, 1).with_groups(g).with_bias(bias).with_padding_mode(mode);
        config.window = Window2d { kernel: [kh, kw], stride: [s, s], padding: [ph, pw], dilation: [d, d] };
        if same {
            config = config.with_stride(1).with_padding_same();
        }
        // PyTorch's rule for "same": d * (k - 1) in all, the odd one after.
        let same_pads = |k: usize| (d * (k - 1) / 2, d * (k - 1) - d * (k - 1) / 2);
        let pads = if same {
            let ((t, b), (l, r)) = (same_pads(kh), same_pads(kw));
            [t, b, l, r]
        } else {
            [ph, ph, pw, pw]
        };
        prop_assert_eq!(config.padding(), pads);
        let fits = |before: usize, after: usize, len: usize| match mode {
            PaddingMode::Zeros | PaddingMode::Replicate => true,
            PaddingMode::Reflect => before < len && after < len,
            PaddingMode::Circular => before <= len && after <= len,
        };
        prop_assume!(fits(pads[0], pads[1], h) && fits(pads[2], pads[3], w));
        let span = |a: usize| d * ([kh, kw][a] - 1) + 1;
        prop_assume!(h + pads[0] + pads[1] >= span(0) && w + pads[2] + pads[3] >= span(1));
        let mut conv: Conv2d<f64> = config.build(&mut seeded_rng(seed)).unwrap();
        let x = rand(&[n, g * cg, h, w], seed ^ 1);
        let tape = Tape::new();
        let y = conv.forward(&tape, tape.constant(x.clone())).unwrap().value();
        let want = direct_conv(&config, &pad_direct(&x, pads, mode), conv.weight().value(), conv.bias().map(|b| b.value()));
        assert_close(&y, &want, 1e-13, 1e-12);
        if same {
            prop_assert_eq!(&y.shape()[2..], &[h, w][..]);
        }
        gradcheck_module(&mut conv, &x, Tolerance::default()).unwrap();
    }
}

#[test]
fn avg_pool_window_wholly_in_the_padding_averages_to_zero_with_no_gradient() {
    // Beyond PyTorch's limit (padding 2 > kernel 2 / 2): the corner windows
    // read only padding, their non-padding divisor would be 0.
    let win = Window2d::square(2).with_stride(2).with_padding(2);
    for include_pad in [true, false] {
        let pool = AvgPool2d::from_window(win).with_count_include_pad(include_pad);
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::ones(&[1, 1, 2, 2]));
        let y = pool.forward(&tape, x).unwrap();
        // 3x3 windows; only the centre one covers the input, fully.
        let v = y.value().to_vec();
        assert_eq!(v.len(), 9);
        assert!(v.iter().all(|e| e.is_finite()), "{v:?}");
        assert_eq!(v[4], 1.0);
        assert!(
            v.iter().enumerate().all(|(i, &e)| i == 4 || e == 0.0),
            "{v:?}"
        );
        let grads = y.sum().backward();
        assert_eq!(grads.wrt(x).unwrap().to_vec(), vec![0.25; 4]);
    }
}

#[test]
fn padding_and_pool_options_refused_as_pytorch_refuses_them_name_the_layer() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros(&[1, 1, 2, 3]));
    let conv = |mode, p| {
        Conv2dConfig::new(1, 1, 3)
            .with_padding(p)
            .with_padding_mode(mode)
            .build::<f64, _>(&mut seeded_rng(0))
            .unwrap()
    };
    // Reflect: padding 2 is not below H = 2.
    let e = conv(PaddingMode::Reflect, 2)
        .forward(&tape, x)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2d")
            && e.contains("reflect")
            && e.contains("[2, 2, 2, 2]")
            && e.contains("[1, 1, 2, 3]"),
        "{e}"
    );
    // Circular: padding 3 wraps around H = 2 more than once.
    let e = conv(PaddingMode::Circular, 3)
        .forward(&tape, x)
        .unwrap_err()
        .to_string();
    assert!(e.contains("circular") && e.contains("[1, 1, 2, 3]"), "{e}");
    // Circular padding 2 = H is accepted, as replicate's 3 is.
    conv(PaddingMode::Circular, 2).forward(&tape, x).unwrap();
    conv(PaddingMode::Replicate, 3).forward(&tape, x).unwrap();

    let e = Conv2dConfig::new(1, 1, 3)
        .with_padding_same()
        .with_stride(2)
        .build::<f64, _>(&mut seeded_rng(0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Conv2d") && e.contains("strided") && e.contains("[2, 2]"),
        "{e}"
    );
    let mut both = Conv2dConfig::new(1, 1, 3).with_padding_same();
    both.window.padding = [1, 0];
    let e = both
        .build::<f64, _>(&mut seeded_rng(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("same") && e.contains("[1, 0]"), "{e}");

    let e = AvgPool2d::new(2)
        .try_with_divisor_override(Some(0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("AvgPool2d") && e.contains("divisor_override"),
        "{e}"
    );
    // Ceil mode with stride 1 rounds nothing up: a 3-row window does not
    // fit 1 row (PyTorch: "Output size is too small").
    let e = Module::<f64>::forward(
        &MaxPool2d::from_window(Window2d::square(3)).with_ceil_mode(true),
        &tape,
        tape.constant(Tensor::zeros(&[1, 1, 1, 5])),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("MaxPool2d") && e.contains("[1, 1, 1, 5]"), "{e}");
}

#[test]
fn with_padding_after_same_returns_to_explicit_padding() {
    let config = Conv2dConfig::new(1, 1, 4).with_padding_same();
    assert_eq!(config.padding(), [1, 2, 1, 2]);
    let config = config.with_padding(1);
    assert!(!config.same_padding);
    assert_eq!(config.padding(), [1, 1, 1, 1]);
    assert_eq!(config.with_padding_valid().padding(), [0; 4]);
}
