//! Small helpers shared by the text parsers: numbered lines and number
//! fields that turn into [`DatasetError`]s naming file, line and field.

use crate::error::DatasetError;
use crate::instance::{Node, MAX_QUANTITY};

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

    /// An integer quantity (demand, capacity) of at most
    /// [`MAX_QUANTITY`] in absolute value.
    pub fn quantity(&self, line: usize, field: &str, tok: &str) -> Result<i64, DatasetError> {
        let v = self.i64(line, field, tok)?;
        self.bounded(line, field, v)
    }

    /// `v` when its absolute value is at most [`MAX_QUANTITY`], else a
    /// [`DatasetError::TooLarge`].
    pub fn bounded(&self, line: usize, field: &str, v: i64) -> Result<i64, DatasetError> {
        if v.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
            return Err(self.too_large(line, field, v.unsigned_abs(), MAX_QUANTITY.unsigned_abs()));
        }
        Ok(v)
    }

    /// A [`DatasetError::TooLarge`].
    pub fn too_large(&self, line: usize, field: &str, value: u64, max: u64) -> DatasetError {
        DatasetError::TooLarge {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            value,
            max,
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

/// Parses the seven leading columns `id x y demand ready due service` of a
/// node row (`fields` names them, in that order, for errors) into a node
/// without pickup/delivery links. Checks only that each token is a number;
/// see [`check_times`] for the window and service checks.
pub(crate) fn node_row(
    ctx: &Ctx<'_>,
    line: usize,
    toks: &[&str],
    fields: &[&str],
) -> Result<Node, DatasetError> {
    let field = |k: usize| match toks.get(k) {
        Some(t) => Ok(*t),
        None => Err(ctx.truncated(line, fields[k])),
    };
    Ok(Node {
        file_id: ctx.i64(line, fields[0], field(0)?)?,
        x: ctx.f64(line, fields[1], field(1)?)?,
        y: ctx.f64(line, fields[2], field(2)?)?,
        demand: ctx.quantity(line, fields[3], field(3)?)?,
        ready: ctx.f64(line, fields[4], field(4)?)?,
        due: ctx.f64(line, fields[5], field(5)?)?,
        service: ctx.f64(line, fields[6], field(6)?)?,
        pickup: None,
        delivery: None,
    })
}

/// Rejects a window that ends before it starts and a negative service time
/// (`fields` as in [`node_row`]).
pub(crate) fn check_times(
    ctx: &Ctx<'_>,
    line: usize,
    fields: &[&str],
    node: &Node,
) -> Result<(), DatasetError> {
    if node.due < node.ready {
        return Err(ctx.due_before_ready(line, fields[5], node.ready, node.due));
    }
    if node.service < 0.0 {
        return Err(ctx.invalid(
            line,
            fields[6],
            format!("negative service time {}", node.service),
        ));
    }
    Ok(())
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
