//! The one error type of the demand module.
use super::frequency::{Frequency, Stamp};

/// Everything that can go wrong while reading series or forecasting them. Each variant names
/// what the user can fix: the line, the column, the series or the configuration field, and
/// wraps the reader's error where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForecastError {
    /// The CSV reader or writer failed (malformed quoting, wrong number of fields, I/O).
    #[error("CSV error at line {line}: {source}")]
    Csv {
        /// 1-based line number (the header is line 1), 0 when unknown.
        line: u64,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// A file could not be opened, read or written.
    #[error("{file}: {source}")]
    Io {
        /// The file as given (`output` for the forecast writer).
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A required column is absent from the header.
    #[error("missing column `{column}` in the header")]
    MissingColumn {
        /// The column that was expected.
        column: String,
    },
    /// A value cell is not a finite, non-negative number.
    #[error("line {line}, column `{column}`: bad value `{value}` ({reason})")]
    BadValue {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column of the bad cell.
        column: String,
        /// The cell text as read.
        value: String,
        /// Why it was refused (NaN, negative, not a number).
        reason: &'static str,
    },
    /// A date cell is not a `YYYY-MM-DD` calendar date in years 1..=9999, or not a date the
    /// file may hold there.
    #[error("line {line}, column `date`: bad date `{value}`")]
    BadDate {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The cell text as read (or the date and why it does not fit).
        value: String,
        /// Why the text is not a date, when it is not one.
        #[source]
        source: Option<milkrun_calendar::DateError>,
    },
    /// The same series has the same date twice.
    #[error("series `{series}`: duplicate date {date}")]
    DuplicateDate {
        /// The series id.
        series: String,
        /// The repeated date (and hour, for timestamped data).
        date: Stamp,
    },
    /// Dates of a series skip at least one period and the gap policy is `Error`.
    #[error(
        "series `{series}`: gap between {after} and {next} (use a gap fill policy to fill it)"
    )]
    Gap {
        /// The series id.
        series: String,
        /// Last date before the gap.
        after: Stamp,
        /// First date after the gap.
        next: Stamp,
    },
    /// Dates of a series are not on the grid of its frequency (e.g. weekly dates 9 days apart,
    /// monthly dates off the anchor day, daily values at two times of day).
    #[error(
        "series `{series}`: date {next} (after {after}) is not on the {freq} grid of the series"
    )]
    OffGrid {
        /// The series id.
        series: String,
        /// The date before it (the first date when it is the second one).
        after: Stamp,
        /// The date off the grid.
        next: Stamp,
        /// The frequency.
        freq: Frequency,
    },
    /// The frequency could not be inferred from a series' dates (see
    /// [`super::frequency`]) or its calendar runs past the year 9999.
    #[error("series `{series}`: cannot infer the frequency ({reason}); give it explicitly")]
    Frequency {
        /// The series id.
        series: String,
        /// What was seen.
        reason: String,
    },
    /// A series has no values.
    #[error("series `{series}` is empty")]
    EmptySeries {
        /// The series id.
        series: String,
    },
    /// A series is too short for the requested model or horizon.
    #[error("series `{series}`: {len} values, at least {need} needed")]
    TooShort {
        /// The series id.
        series: String,
        /// Its length.
        len: usize,
        /// The minimum length.
        need: usize,
    },
    /// A series would hold more values than [`super::series::MAX_SERIES_LEN`] (counting the
    /// periods a gap fill would add).
    #[error("series `{series}`: {len} periods from first to last date, at most {max} allowed")]
    TooLong {
        /// The series id.
        series: String,
        /// Its length (periods from first to last date).
        len: u64,
        /// The limit.
        max: usize,
    },
    /// An exogenous column has the wrong length or lacks future values.
    #[error("series `{series}`, exogenous column `{column}`: {reason}")]
    Exog {
        /// The series id.
        series: String,
        /// The column name.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// A configuration field is out of range.
    #[error("invalid configuration `{field}`: {reason}")]
    Config {
        /// The field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A [`crate::control::Control`] stopped the call (cancelled or out of time).
    #[error("forecast stopped: {0}")]
    Stopped(#[from] crate::control::Stopped),
    /// The Parquet reader failed.
    #[error("{file}: {source}")]
    ParquetRead {
        /// The file as given.
        file: String,
        /// The row (0-based) being read, when the error is about one.
        row: Option<u64>,
        /// The reader's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A Parquet input lacks a column or holds a bad cell.
    #[error("{file}: {message}")]
    Parquet {
        /// The file as given.
        file: String,
        /// What is wrong, naming the row and column where there is one.
        message: String,
    },
}
