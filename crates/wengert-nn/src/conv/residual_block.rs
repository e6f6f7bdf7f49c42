//! `ResidualBlock`: ResNet's basic block (He et al., 2016).

use rand::Rng;
use wengert_tensor::{Float, Tape, Var};

use super::batch_norm2d::BatchNorm2d;
use super::conv2d::{Conv2d, Conv2dConfig};
use crate::error::{NnError, Result};
use crate::sequential::Sequential;
use crate::Module;

/// ResNet's basic block:
///
/// ```text
/// y = relu(bn2(conv2(relu(bn1(conv1(x))))) + skip(x))
/// ```
///
/// `conv1` is 3x3 with the block's stride, `conv2` 3x3 with stride 1, both
/// padding 1 and without bias (the batch norm that follows supplies the
/// shift). `skip` is the identity when channels and stride stay; otherwise a
/// projection `downsample` = 1x1 convolution with the stride (no bias) and a
/// batch norm, so the shapes meet. The identity path passes `dy` to `x`
/// unchanged, which is what lets very deep stacks of blocks train.
///
/// Children: `conv1`, `bn1`, `conv2`, `bn2`, and `downsample` (`0` the
/// convolution, `1` the batch norm), the names of torchvision's
/// `BasicBlock`, so its weights load by name.
///
/// # Shapes
/// `[N, C_in, H, W] -> [N, C_out, oh, ow]` with `oh = floor((H - 1) / stride) + 1`.
///
/// ```
/// use wengert_nn::conv::ResidualBlock;
/// use wengert_nn::Module;
/// use wengert_tensor::{seeded_rng, Tape, Tensor};
/// let block = ResidualBlock::<f32>::new(8, 16, 2, &mut seeded_rng(0)); // with a projection
/// let tape = Tape::training(0);
/// let y = block.forward(&tape, tape.constant(Tensor::ones(&[2, 8, 9, 9]))).unwrap();
/// assert_eq!(y.shape(), vec![2, 16, 5, 5]);
/// assert!(block.param_names().contains(&"downsample.0.weight".to_string()));
/// ```
#[derive(Module)]
pub struct ResidualBlock<T: Float> {
    conv1: Conv2d<T>,
    bn1: BatchNorm2d<T>,
    conv2: Conv2d<T>,
    bn2: BatchNorm2d<T>,
    downsample: Option<Sequential<T>>,
}

impl<T: Float> ResidualBlock<T> {
    /// A block from `in_channels` to `out_channels` with the first
    /// convolution's `stride`; a projection is added when either changes the
    /// shape.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        stride: usize,
        rng: &mut R,
    ) -> Self {
        crate::error::or_panic(Self::try_new(in_channels, out_channels, stride, rng))
    }

    /// Fallible form of [`ResidualBlock::new`].
    pub fn try_new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        stride: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let conv3 = |c_in, s| {
            Conv2dConfig::new(c_in, out_channels, 3)
                .with_stride(s)
                .with_padding(1)
                .with_bias(false)
        };
        let conv1 = conv3(in_channels, stride).build(rng)?;
        let conv2 = conv3(out_channels, 1).build(rng)?;
        let downsample = if in_channels != out_channels || stride != 1 {
            let proj: Conv2d<T> = Conv2dConfig::new(in_channels, out_channels, 1)
                .with_stride(stride)
                .with_bias(false)
                .build(rng)?;
            Some(
                Sequential::new()
                    .with(proj)
                    .with(BatchNorm2d::new(out_channels)),
            )
        } else {
            None
        };
        Ok(ResidualBlock {
            conv1,
            bn1: BatchNorm2d::new(out_channels),
            conv2,
            bn2: BatchNorm2d::new(out_channels),
            downsample,
        })
    }
}

/// Runs a child, naming it in an error.
fn child<'t, T: Float>(
    name: &str,
    m: &dyn Module<T>,
    tape: &'t Tape<T>,
    x: Var<'t, T>,
) -> Result<Var<'t, T>> {
    m.forward(tape, x).map_err(|e| NnError::InLayer {
        name: name.into(),
        type_name: m.type_name(),
        source: Box::new(e),
    })
}

impl<T: Float> Module<T> for ResidualBlock<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let h = child("conv1", &self.conv1, tape, x)?;
        let h = child("bn1", &self.bn1, tape, h)?.relu();
        let h = child("conv2", &self.conv2, tape, h)?;
        let h = child("bn2", &self.bn2, tape, h)?;
        let skip = match &self.downsample {
            Some(d) => child("downsample", d, tape, x)?,
            None => x,
        };
        Ok((h + skip).relu())
    }
}
