//! The one error type of this crate: every variant names the file, and where
//! it can, the 1-based line and the field a user has to fix.

use std::path::PathBuf;

/// An error while reading a dataset file (instance, solution or BKS table).
///
/// `file` is the name the parser was given (the file name for
/// [`crate::load_instance`], the name argument of the `parse_*` functions).
/// `line` is 1-based; for an error about the whole file (a missing section,
/// a truncated file) it is the line where the missing data was expected,
/// one past the last line for end of file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The file ends before the data it announced.
    #[error("{file}:{line}: file ends early, `{field}` expected")]
    Truncated {
        /// File name.
        file: String,
        /// 1-based line where more data was expected.
        line: usize,
        /// The field or section that is missing.
        field: String,
    },
    /// A field that must be a (finite) number is not one.
    #[error("{file}:{line}: field `{field}`: `{value}` is not a valid number")]
    NotANumber {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name.
        field: String,
        /// The text found.
        value: String,
    },
    /// A demand is negative where the format does not allow it (Solomon, VRPLIB).
    #[error("{file}:{line}: field `{field}`: negative demand {value}")]
    NegativeDemand {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name.
        field: String,
        /// The demand found.
        value: i64,
    },
    /// A time window closes before it opens.
    #[error("{file}:{line}: field `{field}`: due date {due} is before ready time {ready}")]
    DueBeforeReady {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name (the due date column).
        field: String,
        /// Ready time (window start).
        ready: f64,
        /// Due date (window end).
        due: f64,
    },
    /// The file has no depot (Solomon/Li & Lim: the first node is not id 0;
    /// VRPLIB: no `DEPOT_SECTION` entry).
    #[error("{file}:{line}: field `{field}`: no depot: {msg}")]
    MissingDepot {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name.
        field: String,
        /// What was found instead.
        msg: String,
    },
    /// The same node id appears twice.
    #[error("{file}:{line}: field `{field}`: duplicate id {id} (first on line {first_line})")]
    DuplicateId {
        /// File name.
        file: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// Field name.
        field: String,
        /// The duplicated id.
        id: i64,
        /// 1-based line of the first occurrence.
        first_line: usize,
    },
    /// An explicit matrix (or a per-node section) has the wrong number of entries.
    #[error("{file}:{line}: field `{field}`: expected {expected} entries, found {found}")]
    WrongSize {
        /// File name.
        file: String,
        /// 1-based line where the section ends (or overflows).
        line: usize,
        /// Section name.
        field: String,
        /// Entries expected (e.g. `DIMENSION²`).
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// A number above the documented maximum of its field (a declared size,
    /// a quantity): refused before anything is allocated for it.
    #[error("{file}:{line}: field `{field}`: {value} exceeds the maximum {max}")]
    TooLarge {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name.
        field: String,
        /// The value found.
        value: u64,
        /// The largest value accepted.
        max: u64,
    },
    /// Any other invalid value (a bad reference, an unsupported option, ...).
    #[error("{file}:{line}: field `{field}`: {msg}")]
    Invalid {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field name.
        field: String,
        /// What is wrong.
        msg: String,
    },
    /// The content matches none of the supported formats.
    #[error("{file}: unknown format (expected Solomon/Homberger, VRPLIB or Li & Lim)")]
    UnknownFormat {
        /// File name.
        file: String,
    },
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl DatasetError {
    /// The 1-based line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Truncated { line, .. }
            | Self::NotANumber { line, .. }
            | Self::NegativeDemand { line, .. }
            | Self::DueBeforeReady { line, .. }
            | Self::MissingDepot { line, .. }
            | Self::DuplicateId { line, .. }
            | Self::WrongSize { line, .. }
            | Self::TooLarge { line, .. }
            | Self::Invalid { line, .. } => Some(*line),
            Self::UnknownFormat { .. } | Self::Io { .. } => None,
        }
    }

    /// The field (column, key or section) the error names, when it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Truncated { field, .. }
            | Self::NotANumber { field, .. }
            | Self::NegativeDemand { field, .. }
            | Self::DueBeforeReady { field, .. }
            | Self::MissingDepot { field, .. }
            | Self::DuplicateId { field, .. }
            | Self::WrongSize { field, .. }
            | Self::TooLarge { field, .. }
            | Self::Invalid { field, .. } => Some(field),
            Self::UnknownFormat { .. } | Self::Io { .. } => None,
        }
    }

    /// The file name the error names (the path for an I/O error).
    pub fn file(&self) -> String {
        match self {
            Self::Truncated { file, .. }
            | Self::NotANumber { file, .. }
            | Self::NegativeDemand { file, .. }
            | Self::DueBeforeReady { file, .. }
            | Self::MissingDepot { file, .. }
            | Self::DuplicateId { file, .. }
            | Self::WrongSize { file, .. }
            | Self::TooLarge { file, .. }
            | Self::Invalid { file, .. }
            | Self::UnknownFormat { file } => file.clone(),
            Self::Io { path, .. } => path.display().to_string(),
        }
    }
}
