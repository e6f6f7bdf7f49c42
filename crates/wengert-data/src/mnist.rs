//! MNIST and Fashion-MNIST from a directory of IDX files.
//!
//! Both datasets come as four files: `train-images-idx3-ubyte`,
//! `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
//! `t10k-labels-idx1-ubyte`, each possibly gzip-compressed with a `.gz`
//! suffix. Fashion-MNIST defaults to [`FASHION_MNIST_DIR`], where Debian's
//! `dataset-fashion-mnist` package installs it.

use std::path::{Path, PathBuf};

use wengert_tensor::Float;

use crate::byte_images::ByteImageDataset;
use crate::error::{DataError, Result};
use crate::formats::idx::{read_idx, IdxArray, IdxData};

/// Where Debian's `dataset-fashion-mnist` package puts the files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The file names without the optional `.gz`, in the order train images,
/// train labels, test images, test labels.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Fashion-MNIST's class names, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The training and test sets of an MNIST-format dataset. Images are
/// `[1, 28, 28]`, scaled to `[0, 1]`; labels are `0..10`.
#[derive(Debug, Clone)]
pub struct MnistSplits<T> {
    /// 60,000 training images (for the real datasets).
    pub train: ByteImageDataset<T>,
    /// 10,000 test images (for the real datasets).
    pub test: ByteImageDataset<T>,
}

/// Fashion-MNIST from `dir`, or from [`FASHION_MNIST_DIR`] when `dir` is
/// `None`. When files are missing the error lists them and says how to
/// install them.
///
/// ```no_run
/// use wengert_data::{mnist, Dataset};
/// let data = mnist::load_fashion_mnist::<f32>(None)?;
/// assert_eq!(data.train.len(), 60_000);
/// assert_eq!(data.test.feature_shape(), &[1, 28, 28]);
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn load_fashion_mnist<T: Float>(dir: Option<&Path>) -> Result<MnistSplits<T>> {
    let dir = dir.unwrap_or(Path::new(FASHION_MNIST_DIR));
    load_mnist_format(
        dir,
        "Fashion-MNIST",
        "install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu, files go to /usr/share/datasets/fashion-mnist), or put the four IDX files of the Fashion-MNIST release (Zalando Research, MIT license), gzipped or not, in that directory",
    )
}

/// MNIST (LeCun, Cortes, Burges) from `dir`.
pub fn load_mnist<T: Float>(dir: &Path) -> Result<MnistSplits<T>> {
    load_mnist_format(
        dir,
        "MNIST",
        "put the four IDX files of the MNIST database, gzipped or not, in that directory",
    )
}

/// Any dataset in MNIST's layout (four IDX files named as [`MNIST_FILES`]).
fn load_mnist_format<T: Float>(
    dir: &Path,
    dataset: &'static str,
    how_to_get: &str,
) -> Result<MnistSplits<T>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut missing = Vec::new();
    for name in MNIST_FILES {
        let raw = dir.join(name);
        let gz = dir.join(format!("{name}.gz"));
        if raw.is_file() {
            paths.push(raw);
        } else if gz.is_file() {
            paths.push(gz);
        } else {
            missing.push(format!("{name}[.gz]"));
        }
    }
    if !missing.is_empty() {
        return Err(DataError::MissingFiles {
            dataset,
            dir: dir.to_path_buf(),
            missing,
            how_to_get: how_to_get.to_string(),
        });
    }
    let read_pair = |images: &Path, labels: &Path| -> Result<ByteImageDataset<T>> {
        let what = format!("{} with {}", images.display(), labels.display());
        image_dataset_from_idx(&read_idx(images)?, &read_idx(labels)?, &what)
    };
    Ok(MnistSplits {
        train: read_pair(&paths[0], &paths[1])?,
        test: read_pair(&paths[2], &paths[3])?,
    })
}

/// A dataset from a parsed image file (`u8`, `[n, rows, cols]`) and label
/// file (`u8`, `[n]`), checking that they fit: same count, labels below 10.
/// `what` names the pair in errors.
pub fn image_dataset_from_idx<T: Float>(
    images: &IdxArray,
    labels: &IdxArray,
    what: &str,
) -> Result<ByteImageDataset<T>> {
    let mismatch = |why: String| DataError::Mismatch {
        what: what.to_string(),
        why,
    };
    let (IdxData::U8(pixels), [n, rows, cols]) = (&images.data, images.dims.as_slice()) else {
        return Err(mismatch(format!(
            "images must be u8 with 3 dimensions [count, rows, columns], found {} with dimensions {:?}",
            images.type_name(),
            images.dims
        )));
    };
    let (IdxData::U8(label_bytes), [m]) = (&labels.data, labels.dims.as_slice()) else {
        return Err(mismatch(format!(
            "labels must be u8 with 1 dimension [count], found {} with dimensions {:?}",
            labels.type_name(),
            labels.dims
        )));
    };
    if n != m {
        return Err(mismatch(format!("{n} images but {m} labels")));
    }
    if let Some((i, &bad)) = label_bytes.iter().enumerate().find(|&(_, &l)| l >= 10) {
        return Err(mismatch(format!(
            "label {bad} of image {i} is not a class 0..9"
        )));
    }
    ByteImageDataset::try_new(
        pixels.clone(),
        label_bytes.iter().map(|&l| l as usize).collect(),
        [1, *rows, *cols],
        10,
    )
}
