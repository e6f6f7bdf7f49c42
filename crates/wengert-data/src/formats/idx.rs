//! The IDX format (LeCun, Cortes, Burges: "The MNIST database"), used by
//! MNIST and Fashion-MNIST.
//!
//! ```text
//! byte 0-1   0x00 0x00
//! byte 2     element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//! byte 3     number of dimensions d
//! 4 .. 4+4d  each dimension as a big-endian u32
//! then       the elements, row-major, big-endian
//! ```
//!
//! So MNIST's image files start `00 00 08 03` (`0x00000803`: u8, 3 dims
//! `[n, 28, 28]`) and label files `00 00 08 01`. Files may be gzip-compressed
//! (`.gz`); [`parse_idx`] detects that from the first two bytes.

use std::path::Path;

use crate::error::{DataError, Result};
use crate::formats::{gunzip_if_compressed, read_file};

/// The elements of an IDX file, in the type the file declares.
#[derive(Debug, Clone, PartialEq)]
pub enum IdxData {
    /// Type code 0x08.
    U8(Vec<u8>),
    /// Type code 0x09.
    I8(Vec<i8>),
    /// Type code 0x0B.
    I16(Vec<i16>),
    /// Type code 0x0C.
    I32(Vec<i32>),
    /// Type code 0x0D.
    F32(Vec<f32>),
    /// Type code 0x0E.
    F64(Vec<f64>),
}

/// A parsed IDX file: its dimensions and elements.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The dimensions, e.g. `[60000, 28, 28]`.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: IdxData,
}

impl IdxArray {
    /// The element type's name (`"u8"`, `"i8"`, ...), for messages.
    pub fn type_name(&self) -> &'static str {
        match self.data {
            IdxData::U8(_) => "u8",
            IdxData::I8(_) => "i8",
            IdxData::I16(_) => "i16",
            IdxData::I32(_) => "i32",
            IdxData::F32(_) => "f32",
            IdxData::F64(_) => "f64",
        }
    }

    /// Every element as `f64` (exact for every IDX type).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match &self.data {
            IdxData::U8(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I8(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I16(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::I32(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            IdxData::F64(v) => v.clone(),
        }
    }
}

/// (type code, name, bytes per element).
fn element_type(code: u8) -> Option<(&'static str, usize)> {
    match code {
        0x08 => Some(("u8", 1)),
        0x09 => Some(("i8", 1)),
        0x0B => Some(("i16", 2)),
        0x0C => Some(("i32", 4)),
        0x0D => Some(("f32", 4)),
        0x0E => Some(("f64", 8)),
        _ => None,
    }
}

fn idx_error(
    source_name: &str,
    offset: usize,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> DataError {
    DataError::Idx {
        source_name: source_name.to_string(),
        offset,
        expected: expected.into(),
        found: found.into(),
    }
}

/// Parses an IDX file held in memory (raw or gzip), calling it `"<bytes>"`
/// in errors. This is the function the fuzz target drives.
///
/// ```
/// use wengert_data::formats::idx::{parse_idx, IdxData};
///
/// // A 2x3 u8 array: magic 00 00 08 02, dims 2 and 3, six bytes.
/// let mut file = vec![0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3];
/// file.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
/// let array = parse_idx(&file).unwrap();
/// assert_eq!(array.dims, vec![2, 3]);
/// assert_eq!(array.data, IdxData::U8(vec![1, 2, 3, 4, 5, 6]));
///
/// let err = parse_idx(&file[..10]).unwrap_err();
/// assert!(err.to_string().contains("truncated"));
/// ```
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray> {
    parse_idx_named(bytes, "<bytes>")
}

/// [`parse_idx`] with the name (usually the path) that errors show.
pub fn parse_idx_named(bytes: &[u8], source_name: &str) -> Result<IdxArray> {
    let bytes = gunzip_if_compressed(bytes, source_name)?;
    let bytes: &[u8] = &bytes;
    if bytes.len() < 4 {
        return Err(idx_error(
            source_name,
            bytes.len(),
            "a 4-byte magic number (00 00 type ndim)",
            format!(
                "a truncated header: the file has only {} bytes",
                bytes.len()
            ),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(idx_error(
            source_name,
            0,
            "magic number starting 00 00 (e.g. 00 00 08 03 for images, 00 00 08 01 for labels)",
            format!(
                "{:02x} {:02x} {:02x} {:02x}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let (type_name, width) = element_type(bytes[2]).ok_or_else(|| {
        idx_error(
            source_name,
            2,
            "element type code 08 (u8), 09 (i8), 0b (i16), 0c (i32), 0d (f32) or 0e (f64)",
            format!("{:02x}", bytes[2]),
        )
    })?;
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(idx_error(
            source_name,
            3,
            "at least one dimension",
            "0 dimensions",
        ));
    }
    let header_len = 4 + 4 * ndim;
    if bytes.len() < header_len {
        return Err(idx_error(
            source_name,
            bytes.len(),
            format!("{ndim} dimension sizes (a {header_len}-byte header)"),
            format!(
                "a truncated header: the file ends after {} bytes",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(width).map(|b| (n, b)));
    let Some((count, data_len)) = count else {
        return Err(idx_error(
            source_name,
            4,
            "dimensions whose element count fits in memory",
            format!("dimensions {dims:?}"),
        ));
    };
    let body = &bytes[header_len..];
    if body.len() < data_len {
        return Err(idx_error(
            source_name,
            bytes.len(),
            format!(
                "{data_len} data bytes for {count} {type_name} elements of dimensions {dims:?}"
            ),
            format!("truncated data: only {} bytes after the header", body.len()),
        ));
    }
    if body.len() > data_len {
        return Err(idx_error(
            source_name,
            header_len + data_len,
            format!(
                "the end of the file after {count} {type_name} elements of dimensions {dims:?}"
            ),
            format!("{} extra bytes", body.len() - data_len),
        ));
    }
    let data = match bytes[2] {
        0x08 => IdxData::U8(body.to_vec()),
        0x09 => IdxData::I8(body.iter().map(|&b| b as i8).collect()),
        0x0B => IdxData::I16(
            body.chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        0x0C => IdxData::I32(
            body.chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        0x0D => IdxData::F32(
            body.chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        _ => IdxData::F64(
            body.chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().expect("chunks of 8")))
                .collect(),
        ),
    };
    Ok(IdxArray { dims, data })
}

/// Reads and parses an IDX file (raw or gzip) from disk.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = read_file(path)?;
    parse_idx_named(&bytes, &path.display().to_string())
}

/// Serializes an array as an IDX file (uncompressed), the inverse of
/// [`parse_idx`]. Tests use it to build files; it also writes small
/// datasets in the format other tools read.
pub fn encode_idx(array: &IdxArray) -> Vec<u8> {
    let code = match array.data {
        IdxData::U8(_) => 0x08,
        IdxData::I8(_) => 0x09,
        IdxData::I16(_) => 0x0B,
        IdxData::I32(_) => 0x0C,
        IdxData::F32(_) => 0x0D,
        IdxData::F64(_) => 0x0E,
    };
    let mut out = vec![0, 0, code, array.dims.len() as u8];
    for &d in &array.dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    match &array.data {
        IdxData::U8(v) => out.extend_from_slice(v),
        IdxData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        IdxData::I16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::I32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
        IdxData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
    }
    out
}
