//! Readers for real file formats. Each parser takes bytes (`&[u8]`) and a
//! name for messages, so it can be fuzzed and tested on files built in
//! memory; the `read_*` functions add the file system.
//!
//! - [`idx`]: the IDX format of MNIST and Fashion-MNIST, raw or gzip.
//! - [`delimited`]: numeric tables in comma- or tab-separated text.

pub mod delimited;
pub mod idx;

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// The two bytes every gzip stream starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// `bytes` decompressed when they are gzip, borrowed unchanged otherwise.
pub fn gunzip_if_compressed<'a>(
    bytes: &'a [u8],
    source_name: &str,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    if !is_gzip(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| DataError::Gzip {
            source_name: source_name.to_string(),
            why: e.to_string(),
        })?;
    Ok(std::borrow::Cow::Owned(out))
}

/// Reads a whole file, naming it in the error.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}
