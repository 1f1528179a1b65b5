//! The validation error of [`crate::Problem`].

use thiserror::Error;

/// Why a problem could not be built. Every variant names what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProblemError {
    /// A matrix does not have `n * n` entries.
    #[error("{matrix} matrix has {found} entries, expected {expected}")]
    MatrixSize {
        /// Which matrix (`durations` or `distances`).
        matrix: &'static str,
        /// Expected number of entries.
        expected: usize,
        /// Number of entries given.
        found: usize,
    },
    /// The duration and distance matrices have different sizes.
    #[error(
        "durations matrix is {durations}×{durations} but distances is {distances}×{distances}"
    )]
    MatrixMismatch {
        /// Size of the duration matrix.
        durations: usize,
        /// Size of the distance matrix.
        distances: usize,
    },
    /// A matrix cell is negative, NaN or infinite.
    #[error("{matrix} matrix cell ({row}, {col}) is {value}: must be finite and non-negative")]
    MatrixValue {
        /// Which matrix.
        matrix: &'static str,
        /// Row of the cell.
        row: usize,
        /// Column of the cell.
        col: usize,
        /// The bad value.
        value: f64,
    },
    /// A location index is not a row of the matrices.
    #[error(
        "{owner} {index}: {field} = {location} is out of range (matrices have {size} locations)"
    )]
    LocationOutOfRange {
        /// `job` or `vehicle type`.
        owner: &'static str,
        /// Index of the job or vehicle type.
        index: usize,
        /// The field holding the location.
        field: &'static str,
        /// The bad location.
        location: usize,
        /// Number of locations.
        size: usize,
    },
    /// A time window ends before it starts.
    #[error("{owner} {index}: {field} ends at {end} before it starts at {start}")]
    WindowReversed {
        /// `job` or `vehicle type`.
        owner: &'static str,
        /// Index of the job or vehicle type.
        index: usize,
        /// The field holding the window.
        field: &'static str,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
    },
    /// A hard time window of a job is malformed.
    #[error("job {job}: time window {window} ({start}, {end}) {issue}")]
    JobWindow {
        /// Index of the job.
        job: usize,
        /// Index of the window in the job's list.
        window: usize,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
        /// What is wrong with it.
        issue: WindowIssue,
    },
    /// A quantity that must be non-negative is negative.
    #[error("{owner} {index}: {field} is {value}, must not be negative")]
    Negative {
        /// `job` or `vehicle type`.
        owner: &'static str,
        /// Index of the job or vehicle type.
        index: usize,
        /// The field.
        field: &'static str,
        /// The bad value.
        value: i64,
    },
    /// A demand or capacity vector has the wrong number of dimensions.
    #[error("{owner} {index}: {field} has {found} dimensions, expected {expected}")]
    Dimensions {
        /// `job` or `vehicle type`.
        owner: &'static str,
        /// Index of the job or vehicle type.
        index: usize,
        /// The field.
        field: &'static str,
        /// Expected number of dimensions.
        expected: usize,
        /// Number given.
        found: usize,
    },
    /// More capacity dimensions than the solver supports.
    #[error("{found} capacity dimensions given, at most {max} are supported")]
    TooManyDimensions {
        /// Number given.
        found: usize,
        /// The supported maximum.
        max: usize,
    },
    /// A skill id is too large.
    #[error("{owner} {index}: skill {skill} is out of range (skills are 0..{max})")]
    SkillOutOfRange {
        /// `job` or `vehicle type`.
        owner: &'static str,
        /// Index of the job or vehicle type.
        index: usize,
        /// The bad skill id.
        skill: u32,
        /// Number of supported skills.
        max: u32,
    },
    /// A pickup-delivery pair refers to a missing job, pairs a job twice or
    /// pairs a job with itself.
    #[error("pair {index}: {reason}")]
    BadPair {
        /// Index of the pair.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// There are no vehicles.
    #[error("the fleet is empty: at least one vehicle type with count > 0 is needed")]
    NoVehicles,
}

/// What is wrong with a job's time window (see [`ProblemError::JobWindow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowIssue {
    /// It ends before it starts.
    Reversed,
    /// It starts before the previous window ends (windows must be sorted and disjoint).
    OverlapsPrevious,
    /// A bound lies outside the supported time range `±TIME_HORIZON`.
    OutOfRange,
}

impl std::fmt::Display for WindowIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reversed => "ends before it starts",
            Self::OverlapsPrevious => "starts before the previous window ends",
            Self::OutOfRange => "is outside the supported time range",
        })
    }
}
