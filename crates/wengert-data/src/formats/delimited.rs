//! Numeric tables in delimited text: comma-separated (CSV) or tab-separated,
//! with or without a header line, raw or gzip.
//!
//! Every cell must be a finite number (the header excepted); blank lines are
//! skipped; `\r\n` line ends are accepted. A bad cell is reported by line and
//! column with what was found, never a panic.

use std::path::Path;

use wengert_tensor::{Float, Tensor};

use crate::error::{DataError, Result};
use crate::formats::{gunzip_if_compressed, read_file};
use crate::in_memory::InMemoryDataset;

/// What separates the cells of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `\t`
    Tab,
    /// Tab when the first non-blank line has a tab, comma otherwise.
    #[default]
    Auto,
}

/// How to read a delimited file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelimitedOptions {
    /// The cell separator.
    pub delimiter: Delimiter,
    /// Whether the first non-blank line holds column names.
    pub has_header: bool,
}

/// Which column of a table is meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// By 0-based position.
    Index(usize),
    /// By its header name.
    Name(String),
    /// The last column.
    Last,
}

/// A table of numbers: `rows x columns`, row-major, with optional names.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericTable {
    /// Column names, when the file has a header.
    pub header: Option<Vec<String>>,
    /// Number of data rows.
    pub rows: usize,
    /// Number of columns.
    pub columns: usize,
    /// The cells, row-major (`rows * columns`).
    pub values: Vec<f64>,
    /// The 1-based line of the file each row came from (blank lines are
    /// skipped), for messages about a row.
    pub row_lines: Vec<usize>,
    /// Name of the source for messages.
    pub source_name: String,
}

/// Parses a table held in memory (raw or gzip), calling it `"<bytes>"` in
/// errors. This is the function the fuzz target drives.
///
/// ```
/// use wengert_data::formats::delimited::{parse_delimited, DelimitedOptions};
///
/// let text = b"x,y\n1,2\n3,4\n";
/// let options = DelimitedOptions { has_header: true, ..Default::default() };
/// let table = parse_delimited(text, &options).unwrap();
/// assert_eq!((table.rows, table.columns), (2, 2));
/// assert_eq!(table.values, vec![1.0, 2.0, 3.0, 4.0]);
///
/// let err = parse_delimited(b"1,2\n3,oops\n", &DelimitedOptions::default()).unwrap_err();
/// assert!(err.to_string().contains("line 2, column 2"));
/// ```
pub fn parse_delimited(bytes: &[u8], options: &DelimitedOptions) -> Result<NumericTable> {
    parse_delimited_named(bytes, options, "<bytes>")
}

/// [`parse_delimited`] with the name (usually the path) that errors show.
pub fn parse_delimited_named(
    bytes: &[u8],
    options: &DelimitedOptions,
    source_name: &str,
) -> Result<NumericTable> {
    let bytes = gunzip_if_compressed(bytes, source_name)?;
    let err = |line: usize, column: usize, expected: &str, found: String| DataError::Table {
        source_name: source_name.to_string(),
        line,
        column,
        expected: expected.to_string(),
        found,
    };
    let mut lines = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = std::str::from_utf8(raw).map_err(|e| {
            err(
                i + 1,
                0,
                "UTF-8 text",
                format!(
                    "an invalid byte at position {} of the line",
                    e.valid_up_to()
                ),
            )
        })?;
        let text = text.strip_suffix('\r').unwrap_or(text);
        if !text.trim().is_empty() {
            lines.push((i + 1, text));
        }
    }
    let separator = match options.delimiter {
        Delimiter::Comma => ',',
        Delimiter::Tab => '\t',
        Delimiter::Auto => match lines.first() {
            Some((_, first)) if first.contains('\t') => '\t',
            _ => ',',
        },
    };
    let mut lines = lines.into_iter();
    let header: Option<Vec<String>> = if options.has_header {
        let (_, first) = lines
            .next()
            .ok_or_else(|| err(1, 0, "a header line", "an empty file".into()))?;
        Some(
            first
                .split(separator)
                .map(|name| name.trim().trim_matches('"').to_string())
                .collect(),
        )
    } else {
        None
    };
    let mut columns = header.as_ref().map(Vec::len);
    let mut values = Vec::new();
    let mut row_lines = Vec::new();
    for (line, text) in lines {
        let mut count = 0;
        for (c, cell) in text.split(separator).enumerate() {
            let cell = cell.trim();
            let value: f64 = cell.parse().map_err(|_| {
                let found = if cell.is_empty() {
                    "an empty cell".to_string()
                } else {
                    format!("{cell:?}")
                };
                err(line, c + 1, "a number", found)
            })?;
            if !value.is_finite() {
                return Err(err(line, c + 1, "a finite number", format!("{cell:?}")));
            }
            values.push(value);
            count += 1;
        }
        match columns {
            None => columns = Some(count),
            Some(expected) if expected != count => {
                return Err(err(
                    line,
                    0,
                    &format!("{expected} cells separated by {separator:?} (as in the first line)"),
                    format!("{count} cells"),
                ))
            }
            Some(_) => {}
        }
        row_lines.push(line);
    }
    Ok(NumericTable {
        header,
        rows: row_lines.len(),
        row_lines,
        columns: columns.unwrap_or(0),
        values,
        source_name: source_name.to_string(),
    })
}

/// Reads and parses a delimited file (raw or gzip) from disk.
///
/// ```no_run
/// use wengert_data::formats::delimited::{read_delimited, Column, DelimitedOptions};
///
/// let table = read_delimited("airfoil_self_noise.dat".as_ref(), &DelimitedOptions::default())?;
/// let data = table.to_regression::<f32>(&Column::Last)?;
/// # Ok::<(), wengert_data::DataError>(())
/// ```
pub fn read_delimited(path: &Path, options: &DelimitedOptions) -> Result<NumericTable> {
    let bytes = read_file(path)?;
    parse_delimited_named(&bytes, options, &path.display().to_string())
}

impl NumericTable {
    /// The 0-based position of a column, failing with the table's size or its
    /// column names.
    pub fn column_index(&self, column: &Column) -> Result<usize> {
        let op = "NumericTable::column_index";
        match column {
            Column::Index(i) if *i < self.columns => Ok(*i),
            Column::Index(i) => Err(DataError::InvalidArgument {
                op,
                why: format!("{}: column {i} does not exist, the table has {} columns", self.source_name, self.columns),
            }),
            Column::Last if self.columns > 0 => Ok(self.columns - 1),
            Column::Last => Err(DataError::InvalidArgument {
                op,
                why: format!("{}: the table has no columns", self.source_name),
            }),
            Column::Name(name) => match &self.header {
                Some(h) => h.iter().position(|n| n == name).ok_or_else(|| DataError::InvalidArgument {
                    op,
                    why: format!("{}: no column named {name:?}; the columns are {h:?}", self.source_name),
                }),
                None => Err(DataError::InvalidArgument {
                    op,
                    why: format!("{}: column {name:?} asked by name, but the table was read without a header", self.source_name),
                }),
            },
        }
    }

    /// The values of one column, top to bottom.
    pub fn column(&self, column: &Column) -> Result<Vec<f64>> {
        let c = self.column_index(column)?;
        Ok((0..self.rows)
            .map(|r| self.values[r * self.columns + c])
            .collect())
    }

    /// Features (every other column, in order, `rows x (columns - 1)`) and
    /// the target column.
    fn split_target(&self, target: &Column) -> Result<(Vec<f64>, Vec<f64>)> {
        let t = self.column_index(target)?;
        let mut features = Vec::with_capacity(self.rows * (self.columns - 1));
        let mut targets = Vec::with_capacity(self.rows);
        for row in self.values.chunks_exact(self.columns) {
            for (c, &v) in row.iter().enumerate() {
                if c == t {
                    targets.push(v);
                } else {
                    features.push(v);
                }
            }
        }
        Ok((features, targets))
    }

    /// A regression dataset: the `target` column as the target, the other
    /// columns as features `[rows, columns - 1]`.
    pub fn to_regression<T: Float>(&self, target: &Column) -> Result<InMemoryDataset<T>> {
        let (features, targets) = self.split_target(target)?;
        let x = Tensor::try_from_vec(
            features.iter().map(|&v| T::from_f64(v)).collect(),
            &[self.rows, self.columns - 1],
        )?;
        let y = Tensor::try_from_vec(
            targets.iter().map(|&v| T::from_f64(v)).collect(),
            &[self.rows],
        )?;
        InMemoryDataset::try_regression(x, y)
    }

    /// A classification dataset: the `target` column holds class indices
    /// (whole numbers >= 0); the class count is the largest plus one.
    pub fn to_classification<T: Float>(&self, target: &Column) -> Result<InMemoryDataset<T>> {
        let t = self.column_index(target)?;
        let (features, targets) = self.split_target(target)?;
        let mut labels = Vec::with_capacity(self.rows);
        for (r, &v) in targets.iter().enumerate() {
            if v < 0.0 || v.fract() != 0.0 || v > u32::MAX as f64 {
                return Err(DataError::Table {
                    source_name: self.source_name.clone(),
                    line: self.row_lines[r],
                    column: t + 1,
                    expected: "a class index (a whole number >= 0)".into(),
                    found: v.to_string(),
                });
            }
            labels.push(v as usize);
        }
        let classes = labels.iter().max().map_or(0, |&m| m + 1);
        let x = Tensor::try_from_vec(
            features.iter().map(|&v| T::from_f64(v)).collect(),
            &[self.rows, self.columns - 1],
        )?;
        InMemoryDataset::try_classification(x, labels, classes)
    }
}
