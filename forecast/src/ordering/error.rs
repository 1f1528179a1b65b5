//! The one error type of the ordering module.

/// What went wrong in an ordering computation. Every variant names the field (or the product, or
/// the limit) that the caller has to fix, and wraps the underlying error where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrderingError {
    /// A number is NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite {
        /// The field, e.g. `costs.overage` or `products[3].price`.
        field: String,
        /// The value given.
        value: f64,
    },
    /// A number that must be zero or more is negative.
    #[error("{field} must not be negative, got {value}")]
    Negative {
        /// The field.
        field: String,
        /// The value given.
        value: f64,
    },
    /// A number that must be strictly positive is zero or negative.
    #[error("{field} must be positive, got {value}")]
    NotPositive {
        /// The field.
        field: String,
        /// The value given.
        value: f64,
    },
    /// Quantile levels are not strictly increasing inside (0, 1).
    #[error("{field}: quantile levels must be strictly increasing inside (0, 1); level #{index} is {level}")]
    BadQuantileLevel {
        /// The field holding the levels.
        field: String,
        /// Position of the first bad level.
        index: usize,
        /// The bad level.
        level: f64,
    },
    /// Quantile values decrease while the level increases.
    #[error(
        "{field}: quantiles are not monotone: q{lower_level} = {lower_value} > q{level} = {value}"
    )]
    QuantilesNotMonotone {
        /// The field holding the values.
        field: String,
        /// The lower level.
        lower_level: f64,
        /// Its value.
        lower_value: f64,
        /// The next level.
        level: f64,
        /// Its (smaller) value.
        value: f64,
    },
    /// A length does not match another one (e.g. values vs levels).
    #[error("{field}: expected {expected} entries, got {got}")]
    LengthMismatch {
        /// The field.
        field: String,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A shelf life of zero days: the product could never be sold.
    #[error("{field}: shelf life must be at least 1 day, got 0")]
    ZeroShelfLife {
        /// The field.
        field: String,
    },
    /// A product index or name that the plan does not know.
    #[error("unknown product {product}")]
    UnknownProduct {
        /// The product as the caller named it.
        product: String,
    },
    /// The daily forecast is shorter than the days the decision has to cover.
    #[error("{field}: the forecast covers {got} days but {needed} are needed")]
    ForecastTooShort {
        /// The field.
        field: String,
        /// Days needed.
        needed: usize,
        /// Days given.
        got: usize,
    },
    /// Any other invalid input, with the reason.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The CSV reader failed (malformed quoting, wrong number of fields, I/O).
    #[error("line {line}: {source}")]
    Csv {
        /// 1-based file line, 0 when unknown.
        line: u64,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// A cell of an input file does not parse as a number.
    #[error("line {line}, `{field}`: `{value}` is not a number")]
    InputNumber {
        /// 1-based file line.
        line: u64,
        /// The column.
        field: String,
        /// The text found.
        value: String,
        /// The parser's error.
        #[source]
        source: std::num::ParseFloatError,
    },
    /// The values of an input row do not make a valid demand distribution.
    #[error("line {line}, `{field}`: {source}")]
    InputDemand {
        /// 1-based file line.
        line: u64,
        /// The column(s) holding the values.
        field: String,
        /// What is wrong with them.
        #[source]
        source: Box<OrderingError>,
    },
    /// A row of an input file is refused.
    #[error("line {line}, `{field}`: {reason}")]
    Input {
        /// 1-based file line (the header is line 1; 0 when unknown).
        line: u64,
        /// The column.
        field: String,
        /// Why.
        reason: String,
    },
    /// A date cell of an input file does not parse.
    #[error("line {line}, `{field}`: {source}")]
    InputDate {
        /// 1-based file line.
        line: u64,
        /// The column.
        field: String,
        /// What is wrong with the text.
        #[source]
        source: milkrun_calendar::DateError,
    },
    /// An error about one item of a multi-item plan.
    #[error("item {index}: {source}")]
    Item {
        /// Index of the item in the caller's list.
        index: usize,
        /// What is wrong with it.
        #[source]
        source: Box<OrderingError>,
    },
    /// A [`crate::control::Control`] stopped the call (cancelled or out of time).
    #[error("order plan stopped: {0}")]
    Stopped(#[from] crate::control::Stopped),
    /// The LP solver failed (should not happen for a valid plan: 0 is always feasible).
    #[error("the order-plan linear program failed: {0}")]
    Solver(#[source] good_lp::ResolutionError),
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(field: &str, value: f64) -> Result<f64, OrderingError> {
    if !value.is_finite() {
        return Err(OrderingError::NotFinite {
            field: field.to_string(),
            value,
        });
    }
    if value < 0.0 {
        return Err(OrderingError::Negative {
            field: field.to_string(),
            value,
        });
    }
    Ok(value)
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(field: &str, value: f64) -> Result<f64, OrderingError> {
    if !value.is_finite() {
        return Err(OrderingError::NotFinite {
            field: field.to_string(),
            value,
        });
    }
    if value <= 0.0 {
        return Err(OrderingError::NotPositive {
            field: field.to_string(),
            value,
        });
    }
    Ok(value)
}

/// Checks that `value` is finite.
pub(crate) fn finite(field: &str, value: f64) -> Result<f64, OrderingError> {
    if !value.is_finite() {
        return Err(OrderingError::NotFinite {
            field: field.to_string(),
            value,
        });
    }
    Ok(value)
}

/// The longest lead time, review period, shelf life or stock age (arrival, sellable days) the
/// ordering functions accept: ten years of days. Every decision allocates per day of its
/// windows.
pub const MAX_PLAN_DAYS: u32 = 3_660;

/// Checks that a day count is at most [`MAX_PLAN_DAYS`].
pub(crate) fn plan_days(field: &str, days: u32) -> Result<(), OrderingError> {
    if days > MAX_PLAN_DAYS {
        return Err(OrderingError::Invalid {
            field: field.to_string(),
            reason: format!("{days} days is more than the {MAX_PLAN_DAYS} accepted"),
        });
    }
    Ok(())
}
