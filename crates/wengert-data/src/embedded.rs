//! Small real datasets compiled into the crate, so examples and tests run on
//! a fresh machine with nothing installed. Sources and licenses are in
//! `data/README.md` beside the files.
//!
//! | function | examples | features | target |
//! | --- | --- | --- | --- |
//! | [`digits`] | 1,797 | 64 pixels of an 8x8 image, scaled to `[0, 1]` | class 0..9 |
//! | [`digits_raw`] | 1,797 | the same, as counts 0..16 | class 0..9 |
//! | [`airfoil`] | 1,503 | frequency, angle, chord, velocity, thickness | sound level (dB) |
//! | [`time_machine`] | 1 text | characters | next character |

use wengert_tensor::Tensor;

use crate::error::Result;
use crate::formats::delimited::{parse_delimited_named, Column, DelimitedOptions, Delimiter};
use crate::in_memory::InMemoryDataset;
use crate::text::TextCorpus;

/// `digits.csv.gz`: 1,797 lines of 64 pixel counts and a class, gzip.
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");
/// `airfoil_self_noise.dat`: 1,503 tab-separated lines of 6 numbers.
pub const AIRFOIL_DAT: &[u8] = include_bytes!("../data/airfoil_self_noise.dat");
/// `timemachine.txt`: H. G. Wells, *The Time Machine*.
pub const TIME_MACHINE_TXT: &str = include_str!("../data/timemachine.txt");

/// The largest pixel value of the digits: each pixel counts the set pixels
/// of a 4x4 block.
pub const DIGITS_MAX_PIXEL: f32 = 16.0;

/// The 8x8 handwritten digits with pixels as counts `0..=16`, features `[64]`,
/// 10 classes. See [`digits`] for pixels in `[0, 1]`.
pub fn digits_raw() -> Result<InMemoryDataset<f32>> {
    let options = DelimitedOptions {
        delimiter: Delimiter::Comma,
        has_header: false,
    };
    parse_delimited_named(DIGITS_CSV_GZ, &options, "embedded digits.csv.gz")?
        .to_classification(&Column::Last)
}

/// The 8x8 handwritten digits (UCI optdigits, as scikit-learn ships them):
/// 1,797 examples, features `[64]` (row-major 8x8, pixel / 16 so in `[0, 1]`),
/// classes 0..9. View the features as images with
/// `.with_feature_shape(&[1, 8, 8])`; use `.cast::<f64>()` for `f64`.
///
/// ```
/// use wengert_data::{embedded, Dataset, TargetKind};
///
/// let digits = embedded::digits()?;
/// assert_eq!(digits.len(), 1797);
/// assert_eq!(digits.feature_shape(), &[64]);
/// assert_eq!(digits.target_kind(), TargetKind::Classes { classes: 10 });
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn digits() -> Result<InMemoryDataset<f32>> {
    let raw = digits_raw()?;
    let scaled: Tensor<f32> = raw.features().map(|p| p / DIGITS_MAX_PIXEL);
    raw.try_with_features(scaled)
}

/// The airfoil self-noise table (NASA, UCI): 1,503 examples, features `[5]`
/// (frequency in Hz, angle of attack in degrees, chord length in m,
/// free-stream velocity in m/s, suction-side displacement thickness in m),
/// target `[1]`: scaled sound pressure level in dB. Features are as
/// measured, on very different scales: fit a
/// [`Standardizer`](crate::Standardizer) on the training split. The text's
/// optimizer chapter trains on the first 1,500 rows:
/// `Subset::new(airfoil, (0..1500).collect())`.
///
/// ```
/// use wengert_data::{embedded, Dataset, TargetKind};
///
/// let airfoil = embedded::airfoil()?;
/// assert_eq!(airfoil.len(), 1503);
/// assert_eq!(airfoil.target_kind(), TargetKind::Values { width: 1 });
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn airfoil() -> Result<InMemoryDataset<f32>> {
    let options = DelimitedOptions {
        delimiter: Delimiter::Tab,
        has_header: false,
    };
    parse_delimited_named(AIRFOIL_DAT, &options, "embedded airfoil_self_noise.dat")?
        .to_regression(&Column::Last)
}

/// *The Time Machine*, cleaned for a character model (letters lower-cased,
/// everything else one space), with its vocabulary (28 entries: `<unk>`,
/// space and 26 letters) and tokens. Feed `tokens` to a
/// [`SequenceSampler`](crate::text::SequenceSampler).
///
/// ```
/// let corpus = wengert_data::embedded::time_machine();
/// assert_eq!(corpus.vocab.len(), 28);
/// assert!(corpus.text.starts_with("the time machine by h g wells"));
/// ```
pub fn time_machine() -> TextCorpus {
    TextCorpus::from_raw_text(TIME_MACHINE_TXT)
}
