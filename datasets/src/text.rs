//! Small helpers shared by the text parsers: numbered lines and number
//! fields that turn into [`DatasetError`]s naming file, line and field.

use crate::error::DatasetError;

/// The file name every error of one parse names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
}

impl Ctx<'_> {
    /// A finite `f64` field.
    pub fn f64(&self, line: usize, field: &str, tok: &str) -> Result<f64, DatasetError> {
        match tok.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.nan(line, field, tok)),
        }
    }

    /// An integer field; an integral decimal such as `10.0` is accepted.
    pub fn i64(&self, line: usize, field: &str, tok: &str) -> Result<i64, DatasetError> {
        if let Ok(v) = tok.parse::<i64>() {
            return Ok(v);
        }
        match tok.parse::<f64>() {
            // The range check keeps the cast exact.
            Ok(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(v as i64),
            _ => Err(self.nan(line, field, tok)),
        }
    }

    /// A non-negative integer field.
    pub fn usize(&self, line: usize, field: &str, tok: &str) -> Result<usize, DatasetError> {
        let v = self.i64(line, field, tok)?;
        usize::try_from(v)
            .map_err(|_| self.invalid(line, field, format!("{v} must not be negative")))
    }

    /// A [`DatasetError::NotANumber`].
    pub fn nan(&self, line: usize, field: &str, tok: &str) -> DatasetError {
        DatasetError::NotANumber {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            value: tok.to_string(),
        }
    }

    /// A [`DatasetError::Invalid`].
    pub fn invalid(&self, line: usize, field: &str, msg: impl Into<String>) -> DatasetError {
        DatasetError::Invalid {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            msg: msg.into(),
        }
    }

    /// A [`DatasetError::Truncated`].
    pub fn truncated(&self, line: usize, field: &str) -> DatasetError {
        DatasetError::Truncated {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
        }
    }

    /// A [`DatasetError::NegativeDemand`].
    pub fn negative_demand(&self, line: usize, field: &str, value: i64) -> DatasetError {
        DatasetError::NegativeDemand {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            value,
        }
    }

    /// A [`DatasetError::DueBeforeReady`].
    pub fn due_before_ready(&self, line: usize, field: &str, ready: f64, due: f64) -> DatasetError {
        DatasetError::DueBeforeReady {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            ready,
            due,
        }
    }

    /// A [`DatasetError::MissingDepot`].
    pub fn missing_depot(&self, line: usize, field: &str, msg: impl Into<String>) -> DatasetError {
        DatasetError::MissingDepot {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            msg: msg.into(),
        }
    }

    /// A [`DatasetError::DuplicateId`].
    pub fn duplicate(&self, line: usize, field: &str, id: i64, first_line: usize) -> DatasetError {
        DatasetError::DuplicateId {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            id,
            first_line,
        }
    }
}

/// The non-blank lines of `text` as `(1-based line number, trimmed line)`.
pub(crate) fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// One past the last line of `text` (where "end of file" errors point).
pub(crate) fn end_line(text: &str) -> usize {
    text.lines().count() + 1
}
