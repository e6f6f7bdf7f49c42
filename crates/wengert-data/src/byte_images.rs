//! [`ByteImageDataset`]: images kept as bytes (0..255) and converted to
//! floats scaled to `[0, 1]` only when an example is read.
//!
//! Fashion-MNIST's 60,000 training images are 47 MB as bytes and four times
//! that as `f32`; converting per batch costs less than the memory traffic of
//! the larger copy, and it is what the loader bench measures.

use std::sync::Arc;

use wengert_tensor::{Float, Tensor};

use crate::dataset::{check_index, Dataset, Example, Target, TargetKind};
use crate::error::{or_panic, DataError, Result};

/// Class-labelled images stored as `u8`, read as `T` in `[0, 1]` (`byte / 255`,
/// as torchvision's `ToTensor`).
///
/// # Shapes
/// Each example's features are `[channels, height, width]` (channels first).
///
/// ```
/// use wengert_data::{ByteImageDataset, Dataset};
///
/// let pixels = vec![0u8, 255, 51, 102]; // two 1x1x2 images
/// let data = ByteImageDataset::<f32>::new(pixels, vec![3, 7], [1, 1, 2], 10);
/// assert_eq!(data.get(0).features.to_vec(), vec![0.0, 1.0]);
/// assert_eq!(data.get(1).features.to_vec(), vec![0.2, 0.4]);
/// ```
#[derive(Debug, Clone)]
pub struct ByteImageDataset<T> {
    pixels: Arc<[u8]>,
    labels: Arc<[usize]>,
    shape: Vec<usize>,
    classes: usize,
    /// `byte -> byte / 255` as `T`, so reading an image is one table lookup
    /// per pixel with no division.
    table: Arc<[T; 256]>,
}

impl<T: Float> ByteImageDataset<T> {
    /// Images from `pixels` (all images one after the other, each
    /// `channels * height * width` bytes, row-major), one label per image.
    pub fn try_new(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        image_shape: [usize; 3],
        classes: usize,
    ) -> Result<Self> {
        let per_image: usize = image_shape.iter().product();
        if per_image == 0 || pixels.len() != labels.len() * per_image {
            return Err(DataError::Mismatch {
                what: "ByteImageDataset".into(),
                why: format!(
                    "{} pixel bytes for {} labels of images {image_shape:?} ({per_image} bytes each, {} expected)",
                    pixels.len(),
                    labels.len(),
                    labels.len() * per_image
                ),
            });
        }
        if let Some((i, &bad)) = labels.iter().enumerate().find(|&(_, &c)| c >= classes) {
            return Err(DataError::InvalidArgument {
                op: "ByteImageDataset::new",
                why: format!("label {bad} of image {i} is not below the class count {classes}"),
            });
        }
        // Divided in f64 then rounded once, so each entry is the float nearest b / 255.
        let table: [T; 256] = std::array::from_fn(|b| T::from_f64(b as f64 / 255.0));
        Ok(ByteImageDataset {
            pixels: pixels.into(),
            labels: labels.into(),
            shape: image_shape.to_vec(),
            classes,
            table: Arc::new(table),
        })
    }

    /// Panicking form of [`ByteImageDataset::try_new`].
    #[track_caller]
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        image_shape: [usize; 3],
        classes: usize,
    ) -> Self {
        or_panic(Self::try_new(pixels, labels, image_shape, classes))
    }

    /// The raw bytes of image `index`.
    #[track_caller]
    pub fn image_bytes(&self, index: usize) -> &[u8] {
        check_index("ByteImageDataset::image_bytes", index, self.len());
        let d = self.per_image();
        &self.pixels[index * d..(index + 1) * d]
    }

    /// All labels in order.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    fn per_image(&self) -> usize {
        self.shape.iter().product()
    }
}

impl<T: Float> Dataset<T> for ByteImageDataset<T> {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn feature_shape(&self) -> &[usize] {
        &self.shape
    }

    fn target_kind(&self) -> TargetKind {
        TargetKind::Classes {
            classes: self.classes,
        }
    }

    #[track_caller]
    fn get(&self, index: usize) -> Example<T> {
        let mut out = vec![T::zero(); self.per_image()];
        self.write_features(index, &mut out);
        Example {
            features: Tensor::from_vec(out, &self.shape),
            target: Target::Class(self.labels[index]),
        }
    }

    #[track_caller]
    fn target(&self, index: usize) -> Target<T> {
        check_index("ByteImageDataset::target", index, self.len());
        Target::Class(self.labels[index])
    }

    #[track_caller]
    fn write_features(&self, index: usize, out: &mut [T]) {
        let bytes = self.image_bytes(index);
        for (o, &b) in out.iter_mut().zip(bytes) {
            *o = self.table[b as usize];
        }
    }

    fn class_labels(&self) -> Option<Vec<usize>> {
        Some(self.labels.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_count_must_match_labels_times_image_size() {
        let err =
            ByteImageDataset::<f32>::try_new(vec![0; 7], vec![0, 1], [1, 2, 2], 2).unwrap_err();
        assert!(
            err.to_string().contains("7 pixel bytes for 2 labels"),
            "{err}"
        );
    }

    #[test]
    fn bytes_scale_to_unit_interval() {
        let data = ByteImageDataset::<f64>::new((0..=255).collect(), vec![0], [1, 16, 16], 1);
        let v = data.get(0).features.to_vec();
        assert_eq!(v[0], 0.0);
        assert_eq!(v[255], 1.0);
        assert!((v[128] - 128.0 / 255.0).abs() < 1e-15);
    }
}
