//! Optimizer trajectories on the text's two-dimensional problems.
//!
//! 1. f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2), 20 steps of each optimizer with
//!    the text's settings: SGD with lr 0.4 (zig-zags along x2, crawls along
//!    x1) and lr 0.6 (diverges along x2), momentum (lr 0.4, gamma 0.5),
//!    AdaGrad (lr 0.4), RMSProp (lr 0.4, gamma 0.9), AdaDelta (rho 0.9) and
//!    Adam (lr 0.1). One picture with every trajectory over the contour
//!    lines.
//! 2. The saddle f(x) = x1^2 - x2^2. Gradient descent started on the ridge
//!    x2 = 0 never leaves it and stalls at the saddle point (0, 0), where the
//!    gradient vanishes; momentum and Adam fed a little gradient noise
//!    leave the ridge and escape down the x2 direction.
//!
//! Gradients come from wengert's tape, updates from wengert-optim. Writes
//! `optimizer_trajectories.{svg,png}` and `saddle_point.{svg,png}` into the
//! folder given as the first argument (default `out/`) and prints the final
//! point of every run.
//!
//! ```text
//! cargo run --release --example optimizer_trajectories -- out
//! ```

use std::error::Error;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use wengert_optim::{
    AdadeltaConfig, AdagradConfig, AdamConfig, Optimizer, RmsPropConfig, SgdConfig,
};
use wengert_tensor::{seeded_rng, Grads, Param, Tape, Tensor, Var, WengertRng};

/// A 2-D objective through the tape: its value as a Var of x.
type Objective = for<'t> fn(&'t Tape<f64>, Var<'t, f64>) -> Var<'t, f64>;

/// f(x) = 0.1 x1^2 + 2 x2^2.
fn elliptic<'t>(tape: &'t Tape<f64>, x: Var<'t, f64>) -> Var<'t, f64> {
    let c = tape.constant(Tensor::from_vec(vec![0.1, 2.0], &[2]));
    (c * x * x).sum()
}

/// f(x) = x1^2 - x2^2.
fn saddle<'t>(tape: &'t Tape<f64>, x: Var<'t, f64>) -> Var<'t, f64> {
    let c = tape.constant(Tensor::from_vec(vec![1.0, -1.0], &[2]));
    (c * x * x).sum()
}

/// One optimizer run: its name, settings and every point from the start.
struct Run {
    name: &'static str,
    settings: &'static str,
    points: Vec<(f64, f64)>,
}

/// Runs `optimizer` for `steps` steps from `start`; with `noise`, adds
/// Gaussian noise of that standard deviation to every gradient.
fn run(
    name: &'static str,
    settings: &'static str,
    mut optimizer: Box<dyn Optimizer<f64>>,
    objective: Objective,
    start: (f64, f64),
    steps: usize,
    mut noise: Option<(f64, &mut WengertRng)>,
) -> Run {
    let mut x = Param::new("x", Tensor::from_vec(vec![start.0, start.1], &[2]));
    let mut points = vec![start];
    for _ in 0..steps {
        let tape = Tape::new();
        let grads = objective(&tape, tape.param(&x)).backward();
        let grads = match noise.as_mut() {
            None => grads,
            Some((std, rng)) => {
                let g = grads.get(&x).expect("x has a gradient");
                let mut noisy = Grads::new();
                noisy.insert(x.id(), g.add(&Tensor::rand_normal(&[2], 0.0, *std, *rng)));
                noisy
            }
        };
        optimizer.step(&mut [&mut x], &grads);
        let v = x.value().to_vec();
        points.push((v[0], v[1]));
    }
    Run {
        name,
        settings,
        points,
    }
}

fn elliptic_runs() -> Vec<Run> {
    let start = (-5.0, -2.0);
    let steps = 20;
    let f: Objective = elliptic;
    vec![
        run(
            "SGD",
            "lr 0.4",
            Box::new(SgdConfig::new(0.4).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "SGD",
            "lr 0.6",
            Box::new(SgdConfig::new(0.6).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "momentum",
            "lr 0.4, gamma 0.5",
            Box::new(SgdConfig::new(0.4).momentum(0.5).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "AdaGrad",
            "lr 0.4",
            Box::new(AdagradConfig::new(0.4).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "RMSProp",
            "lr 0.4, gamma 0.9",
            Box::new(RmsPropConfig::new(0.4).alpha(0.9).eps(1e-6).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "AdaDelta",
            "rho 0.9",
            Box::new(AdadeltaConfig::new().rho(0.9).eps(1e-5).build()),
            f,
            start,
            steps,
            None,
        ),
        run(
            "Adam",
            "lr 0.1",
            Box::new(AdamConfig::new(0.1).build()),
            f,
            start,
            steps,
            None,
        ),
    ]
}

fn saddle_runs() -> Vec<Run> {
    let start = (-1.5, 0.0);
    let steps = 40;
    let f: Objective = saddle;
    let mut rng = seeded_rng(0);
    let noise = 1e-3;
    let plain = run(
        "gradient descent",
        "lr 0.1, exact gradient",
        Box::new(SgdConfig::new(0.1).build()),
        f,
        start,
        steps,
        None,
    );
    let momentum = run(
        "momentum",
        "lr 0.1, gamma 0.5, noise 1e-3",
        Box::new(SgdConfig::new(0.1).momentum(0.5).build()),
        f,
        start,
        steps,
        Some((noise, &mut rng)),
    );
    let adam = run(
        "Adam",
        "lr 0.1, noise 1e-3",
        Box::new(AdamConfig::new(0.1).build()),
        f,
        start,
        steps,
        Some((noise, &mut rng)),
    );
    vec![plain, momentum, adam]
}

const COLORS: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];

/// A contour line as a polyline.
type Curve = Vec<(f64, f64)>;

/// Level sets of 0.1 x1^2 + 2 x2^2: ellipses with semi-axes sqrt(c / 0.1)
/// and sqrt(c / 2).
fn ellipse_contours() -> Vec<Curve> {
    [0.25, 0.5, 1.0, 2.0, 3.0, 4.5, 6.0, 8.0, 10.5]
        .iter()
        .map(|&c: &f64| {
            (0..=200)
                .map(|i| {
                    let t = i as f64 / 200.0 * std::f64::consts::TAU;
                    ((c / 0.1).sqrt() * t.cos(), (c / 2.0).sqrt() * t.sin())
                })
                .collect()
        })
        .collect()
}

/// Level sets of x1^2 - x2^2: hyperbolas, and the two lines through the
/// saddle at level 0.
fn hyperbola_contours() -> Vec<Curve> {
    let mut curves = Vec::new();
    let branch = |c: f64, sign: f64, swap: bool| -> Curve {
        (-100..=100)
            .map(|i| {
                let t = i as f64 / 100.0 * 2.0;
                let (u, v) = (sign * c.sqrt() * t.cosh(), c.sqrt() * t.sinh());
                if swap {
                    (v, u)
                } else {
                    (u, v)
                }
            })
            .collect()
    };
    for c in [0.25, 1.0, 2.25, 4.0] {
        for sign in [1.0, -1.0] {
            curves.push(branch(c, sign, false)); // x1^2 - x2^2 = c
            curves.push(branch(c, sign, true)); // x1^2 - x2^2 = -c
        }
    }
    let diagonal = |slope: f64| -> Curve {
        (-100..=100)
            .map(|i| (i as f64 * 0.03, slope * i as f64 * 0.03))
            .collect()
    };
    curves.push(diagonal(1.0)); // level 0: x2 = x1
    curves.push(diagonal(-1.0)); // level 0: x2 = -x1
    curves
}

/// The points of a trajectory up to the first one outside the view (a
/// diverging run is drawn until it leaves the picture).
fn inside(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<(f64, f64)> {
    points
        .iter()
        .take_while(|(a, b)| (x.0..=x.1).contains(a) && (y.0..=y.1).contains(b))
        .copied()
        .collect()
}

/// The runs of consecutive points of a curve that lie inside the view.
fn pieces_inside(curve: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Curve> {
    let mut pieces = vec![Vec::new()];
    for &(a, b) in curve {
        if (x.0..=x.1).contains(&a) && (y.0..=y.1).contains(&b) {
            pieces.last_mut().expect("never empty").push((a, b));
        } else if !pieces.last().expect("never empty").is_empty() {
            pieces.push(Vec::new());
        }
    }
    pieces.retain(|p| p.len() > 1);
    pieces
}

/// Draws contours and trajectories on one chart.
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
    contours: &[Curve],
    runs: &[Run],
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .light_line_style(WHITE)
        .draw()?;
    for curve in contours {
        for piece in pieces_inside(curve, x, y) {
            chart.draw_series(LineSeries::new(
                piece,
                RGBColor(190, 190, 190).stroke_width(1),
            ))?;
        }
    }
    // Drawn last to first, so the first run stays visible where later runs
    // retrace it (on the saddle, every run starts along the ridge).
    for (i, run) in runs.iter().enumerate().rev() {
        let color = &COLORS[i % COLORS.len()];
        let shown = inside(&run.points, x, y);
        let diverges = shown.len() < run.points.len();
        let label = format!(
            "{} ({}){}",
            run.name,
            run.settings,
            if diverges { ", leaves the view" } else { "" }
        );
        let style = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(shown.clone(), style))?
            .label(label)
            .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], style));
        chart.draw_series(shown.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Writes one picture as SVG and PNG.
fn save(
    dir: &Path,
    stem: &str,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
    contours: &[Curve],
    runs: &[Run],
) -> Result<(), Box<dyn Error>> {
    let size = (960, 720);
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    draw(
        SVGBackend::new(&svg, size).into_drawing_area(),
        title,
        x,
        y,
        contours,
        runs,
    )?;
    draw(
        BitMapBackend::new(&png, size).into_drawing_area(),
        title,
        x,
        y,
        contours,
        runs,
    )?;
    println!("wrote {} and {}", svg.display(), png.display());
    Ok(())
}

fn print_table(title: &str, runs: &[Run], f: impl Fn(f64, f64) -> f64) {
    println!("\n{title}");
    println!(
        "| {:<16} | {:<30} | {:>5} | {:>14} | {:>14} | {:>16} |",
        "optimizer", "settings", "steps", "x1", "x2", "f(x)"
    );
    println!(
        "|{:-<18}|{:-<32}|{:->7}|{:->16}|{:->16}|{:->18}|",
        "", "", "", "", "", ""
    );
    for r in runs {
        let (x1, x2) = *r.points.last().expect("a run has its start point");
        println!(
            "| {:<16} | {:<30} | {:>5} | {:>14.6} | {:>14.6} | {:>16.6} |",
            r.name,
            r.settings,
            r.points.len() - 1,
            x1,
            x2,
            f(x1, x2)
        );
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("out"));
    std::fs::create_dir_all(&dir)?;
    // plotters draws text with the font wengert-train ships (pure Rust, no
    // system fonts): register it before the first caption.
    wengert_train::plot::register_font();

    let runs = elliptic_runs();
    print_table(
        "f(x) = 0.1 x1^2 + 2 x2^2 from (-5, -2): final points",
        &runs,
        |a, b| 0.1 * a * a + 2.0 * b * b,
    );
    let saddle = saddle_runs();
    print_table(
        "f(x) = x1^2 - x2^2 from (-1.5, 0) on the ridge: final points",
        &saddle,
        |a, b| a * a - b * b,
    );
    println!();
    save(
        &dir,
        "optimizer_trajectories",
        "f(x) = 0.1 x1^2 + 2 x2^2: 20 steps of each optimizer from (-5, -2)",
        (-5.5, 1.5),
        (-3.0, 3.0),
        &ellipse_contours(),
        &runs,
    )?;
    save(
        &dir,
        "saddle_point",
        "f(x) = x1^2 - x2^2: gradient descent stalls at the saddle, noisy momentum and Adam escape",
        (-2.0, 2.0),
        (-2.0, 2.0),
        &hyperbola_contours(),
        &saddle,
    )?;
    Ok(())
}
