//! Geometric image transforms: flip, shift (padded crop), rotation, erasing.
//! The last two axes are height and width; leading axes (channels) are
//! treated alike.

use rand::Rng;
use wengert_tensor::{Float, Tensor, WengertRng};

use crate::augment::Transform;

/// `(planes, height, width)` of an image tensor, panicking with the op name
/// for fewer than two axes.
#[track_caller]
fn image_dims<T: Float>(op: &str, x: &Tensor<T>) -> (usize, usize, usize) {
    let s = x.shape();
    assert!(
        s.len() >= 2,
        "{op}: expects an image [..., height, width], got shape {s:?}"
    );
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    let planes = x.numel().checked_div(h * w).unwrap_or(0);
    (planes, h, w)
}

/// The image mirrored left-right: `y[.., i, j] = x[.., i, W - 1 - j]`
/// (torchvision's `hflip`). Its own inverse.
///
/// ```
/// use wengert_data::augment::hflip;
/// use wengert_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(hflip(&x).to_vec(), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
/// ```
#[track_caller]
pub fn hflip<T: Float>(x: &Tensor<T>) -> Tensor<T> {
    let (_, _, w) = image_dims("hflip", x);
    let mut data = x.to_vec();
    if w > 0 {
        data.chunks_exact_mut(w).for_each(<[T]>::reverse);
    }
    Tensor::from_vec(data, x.shape())
}

/// The image moved `dy` pixels down and `dx` right (negative: up, left),
/// filling uncovered pixels with zero: `y[.., i, j] = x[.., i - dy, j - dx]`.
/// Shape is kept.
///
/// ```
/// use wengert_data::augment::translate;
/// use wengert_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(translate(&x, 0, 1).to_vec(), vec![0.0, 1.0, 0.0, 3.0]);
/// assert_eq!(translate(&x, -1, 0).to_vec(), vec![3.0, 4.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn translate<T: Float>(x: &Tensor<T>, dy: isize, dx: isize) -> Tensor<T> {
    let (planes, h, w) = image_dims("translate", x);
    let src = x.values();
    let mut out = vec![T::zero(); x.numel()];
    let (hi, wi) = (h as isize, w as isize);
    // Rows/columns of the output that have a source pixel.
    let (y0, y1) = (dy.clamp(0, hi), (hi + dy).clamp(0, hi));
    let (x0, x1) = (dx.clamp(0, wi), (wi + dx).clamp(0, wi));
    if x0 < x1 {
        for p in 0..planes {
            let base = p * h * w;
            for y in y0..y1 {
                let sy = (y - dy) as usize;
                let dst = base + y as usize * w;
                let from = base + sy * w + (x0 - dx) as usize;
                let len = (x1 - x0) as usize;
                out[dst + x0 as usize..dst + x0 as usize + len]
                    .copy_from_slice(&src[from..from + len]);
            }
        }
    }
    Tensor::from_vec(out, x.shape())
}

/// The image rotated counter-clockwise by `radians` about its centre, sampled
/// bilinearly, zero outside (torchvision's `rotate` with bilinear
/// interpolation). Output pixel `p` reads the input at `c + R(-θ)(p - c)`.
#[track_caller]
pub fn rotate<T: Float>(x: &Tensor<T>, radians: f64) -> Tensor<T> {
    let (planes, h, w) = image_dims("rotate", x);
    let src = x.values();
    let mut out = vec![T::zero(); x.numel()];
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let (sin, cos) = radians.sin_cos();
    for i in 0..h {
        for j in 0..w {
            // Rows grow downwards, so counter-clockwise on screen flips the sign of y.
            let (u, v) = (j as f64 - cx, cy - i as f64);
            let sx = cos * u + sin * v + cx;
            let sy = cy - (-sin * u + cos * v);
            let (fx, fy) = (sx.floor(), sy.floor());
            let (ax, ay) = (sx - fx, sy - fy);
            let corners = [
                (fy, fx, (1.0 - ay) * (1.0 - ax)),
                (fy, fx + 1.0, (1.0 - ay) * ax),
                (fy + 1.0, fx, ay * (1.0 - ax)),
                (fy + 1.0, fx + 1.0, ay * ax),
            ];
            for p in 0..planes {
                let base = p * h * w;
                let mut acc = T::zero();
                for &(yy, xx, weight) in &corners {
                    if weight > 0.0
                        && yy >= 0.0
                        && xx >= 0.0
                        && (yy as usize) < h
                        && (xx as usize) < w
                    {
                        acc += T::from_f64(weight) * src[base + yy as usize * w + xx as usize];
                    }
                }
                out[base + i * w + j] = acc;
            }
        }
    }
    Tensor::from_vec(out, x.shape())
}

/// Mirrors the image left-right with probability `p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomHorizontalFlip {
    /// Probability of flipping.
    pub p: f64,
}

impl RandomHorizontalFlip {
    /// Flip with probability `p` in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "RandomHorizontalFlip: p must be in [0, 1], got {p}"
        );
        RandomHorizontalFlip { p }
    }
}

impl<T: Float> Transform<T> for RandomHorizontalFlip {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        if rng.random::<f64>() < self.p {
            hflip(&x)
        } else {
            x
        }
    }
}

/// Pads the image with `padding` zeros on every side and crops the original
/// size back at a uniformly random offset: a translation by `(dy, dx)`, each
/// uniform in `-padding..=padding`, with zero fill. Shape is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomShiftCrop {
    /// Largest shift in pixels.
    pub padding: usize,
}

impl RandomShiftCrop {
    /// Shifts of up to `padding` pixels in each direction.
    pub fn new(padding: usize) -> Self {
        RandomShiftCrop { padding }
    }
}

impl<T: Float> Transform<T> for RandomShiftCrop {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        let p = self.padding as i64;
        let dy = rng.random_range(-p..=p) as isize;
        let dx = rng.random_range(-p..=p) as isize;
        if dy == 0 && dx == 0 {
            x
        } else {
            translate(&x, dy, dx)
        }
    }
}

/// Rotates the image by an angle uniform in `[-max_degrees, max_degrees]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomRotation {
    /// Largest angle in degrees.
    pub max_degrees: f64,
}

impl RandomRotation {
    /// Rotations of up to `max_degrees` either way.
    #[track_caller]
    pub fn new(max_degrees: f64) -> Self {
        assert!(
            max_degrees >= 0.0 && max_degrees.is_finite(),
            "RandomRotation: max_degrees must be finite and >= 0, got {max_degrees}"
        );
        RandomRotation { max_degrees }
    }
}

impl<T: Float> Transform<T> for RandomRotation {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        let degrees = rng.random_range(-self.max_degrees..=self.max_degrees);
        rotate(&x, degrees.to_radians())
    }
}

/// With probability `p`, sets a random rectangle of the image to `value` in
/// every channel (Zhong et al., "Random Erasing Data Augmentation", 2017;
/// torchvision's `RandomErasing`). The rectangle's area is a uniform fraction
/// in `scale` of the image and its aspect ratio `h / w` log-uniform in
/// `ratio`; up to 10 draws look for one that fits, else nothing is erased.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomErasing {
    /// Probability of erasing.
    pub p: f64,
    /// Range of the erased area as a fraction of the image.
    pub scale: (f64, f64),
    /// Range of the rectangle's aspect ratio `h / w`.
    pub ratio: (f64, f64),
    /// The value written.
    pub value: f64,
}

impl RandomErasing {
    /// torchvision's defaults: `scale (0.02, 0.33)`, `ratio (0.3, 3.3)`, value 0.
    #[track_caller]
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "RandomErasing: p must be in [0, 1], got {p}"
        );
        RandomErasing {
            p,
            scale: (0.02, 0.33),
            ratio: (0.3, 3.3),
            value: 0.0,
        }
    }
}

impl<T: Float> Transform<T> for RandomErasing {
    fn apply(&self, x: Tensor<T>, rng: &mut WengertRng) -> Tensor<T> {
        let (planes, h, w) = image_dims("RandomErasing", &x);
        let (s, r) = (self.scale, self.ratio);
        assert!(
            0.0 < s.0 && s.0 <= s.1 && s.1 <= 1.0 && 0.0 < r.0 && r.0 <= r.1 && r.1.is_finite(),
            "RandomErasing: needs 0 < scale.0 <= scale.1 <= 1 and 0 < ratio.0 <= ratio.1, got scale {s:?}, ratio {r:?}"
        );
        if rng.random::<f64>() >= self.p || h == 0 || w == 0 {
            return x;
        }
        let area = (h * w) as f64;
        let (log_lo, log_hi) = (self.ratio.0.ln(), self.ratio.1.ln());
        for _ in 0..10 {
            let target = area * rng.random_range(self.scale.0..=self.scale.1);
            let aspect = rng.random_range(log_lo..=log_hi).exp();
            let eh = (target * aspect).sqrt().round() as usize;
            let ew = (target / aspect).sqrt().round() as usize;
            if eh == 0 || ew == 0 || eh > h || ew > w {
                continue;
            }
            let top = rng.random_range(0..=h - eh);
            let left = rng.random_range(0..=w - ew);
            let mut x = x;
            let value = T::from_f64(self.value);
            let data = x.data_mut();
            for p in 0..planes {
                for row in top..top + eh {
                    let start = p * h * w + row * w + left;
                    data[start..start + ew].fill(value);
                }
            }
            return x;
        }
        x
    }
}
