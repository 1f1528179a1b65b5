//! The validation error of [`crate::Problem`].

use thiserror::Error;

/// Why a problem could not be built. Every variant names what to fix: a
/// matrix cell, or the field path in the spec ([`FieldPath`]).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
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
    #[error("{matrix}[{row}][{col}] is {value}: must be finite and non-negative")]
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
    #[error("{path} = {location} is out of range (matrices have {size} locations)")]
    LocationOutOfRange {
        /// The field holding the location, e.g. `jobs[3].location`.
        path: FieldPath,
        /// The bad location.
        location: usize,
        /// Number of locations.
        size: usize,
    },
    /// A vehicle type's shift ends before it starts.
    #[error("{path} = ({start}, {end}) ends before it starts")]
    WindowReversed {
        /// The field holding the window, e.g. `vehicle_types[0].shift`.
        path: FieldPath,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
    },
    /// A hard time window of a job is malformed.
    #[error("{path} = ({start}, {end}) {issue}")]
    JobWindow {
        /// The window, e.g. `jobs[12].time_windows[0]`.
        path: FieldPath,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
        /// What is wrong with it.
        issue: WindowIssue,
    },
    /// A quantity that must be non-negative is negative.
    #[error("{path} is {value}, must not be negative")]
    Negative {
        /// The field, e.g. `jobs[2].demand[0]` or `vehicle_types[1].reload.duration`.
        path: FieldPath,
        /// The bad value.
        value: i64,
    },
    /// A demand or capacity vector has the wrong number of dimensions.
    #[error("{path} has {found} dimensions, expected {expected} (as `vehicle_types[0].capacity`)")]
    Dimensions {
        /// The field, e.g. `jobs[4].demand`.
        path: FieldPath,
        /// Expected number of dimensions.
        expected: usize,
        /// Number given.
        found: usize,
    },
    /// More capacity dimensions than the solver supports.
    #[error("{path} has {found} dimensions, at most {max} are supported")]
    TooManyDimensions {
        /// The capacity that sets the dimensions (`vehicle_types[0].capacity`).
        path: FieldPath,
        /// Number given.
        found: usize,
        /// The supported maximum.
        max: usize,
    },
    /// A skill id is too large.
    #[error("{path} = {skill} is out of range (skills are 0..{max})")]
    SkillOutOfRange {
        /// The skill, e.g. `jobs[7].skills[1]`.
        path: FieldPath,
        /// The bad skill id.
        skill: u32,
        /// Number of supported skills.
        max: u32,
    },
    /// A pickup-delivery pair refers to a missing job, pairs a job twice,
    /// pairs a job with itself or mixes an optional and a required job.
    #[error("{path}: {issue}")]
    BadPair {
        /// The pair, e.g. `pairs[0]` (or `pairs[0].delivery` for a bad index).
        path: FieldPath,
        /// What is wrong.
        issue: PairIssue,
    },
    /// There are no vehicles.
    #[error("the fleet is empty: at least one vehicle type with count > 0 is needed")]
    NoVehicles,
}

impl ProblemError {
    /// Where in the [`crate::ProblemSpec`] the bad value is (`None` for
    /// matrix errors, which name their cell, and for an empty fleet).
    pub fn path(&self) -> Option<FieldPath> {
        match self {
            Self::LocationOutOfRange { path, .. }
            | Self::WindowReversed { path, .. }
            | Self::JobWindow { path, .. }
            | Self::Negative { path, .. }
            | Self::Dimensions { path, .. }
            | Self::TooManyDimensions { path, .. }
            | Self::SkillOutOfRange { path, .. }
            | Self::BadPair { path, .. } => Some(*path),
            Self::MatrixSize { .. }
            | Self::MatrixMismatch { .. }
            | Self::MatrixValue { .. }
            | Self::NoVehicles => None,
        }
    }
}

/// Where a bad value sits in a [`crate::ProblemSpec`], displayed as a path:
/// `jobs[12].time_windows[0]`, `vehicle_types[1].reload.locations[2]`,
/// `pairs[3]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldPath {
    /// The list of the spec: `jobs`, `vehicle_types` or `pairs`.
    pub list: &'static str,
    /// Index of the element in that list.
    pub index: usize,
    /// Field of the element (dotted for nested fields, e.g.
    /// `lateness.max`); empty for the element itself.
    pub field: &'static str,
    /// Index inside the field when it is a list (a window, a demand
    /// dimension, a skill, a reload location).
    pub item: Option<usize>,
}

impl FieldPath {
    /// `jobs[index].field`.
    pub fn job(index: usize, field: &'static str) -> Self {
        Self::new("jobs", index, field)
    }

    /// `vehicle_types[index].field`.
    pub fn vehicle_type(index: usize, field: &'static str) -> Self {
        Self::new("vehicle_types", index, field)
    }

    /// `pairs[index].field` (`field` may be empty).
    pub fn pair(index: usize, field: &'static str) -> Self {
        Self::new("pairs", index, field)
    }

    fn new(list: &'static str, index: usize, field: &'static str) -> Self {
        Self {
            list,
            index,
            field,
            item: None,
        }
    }

    /// This path, narrowed to item `item` of its field.
    pub fn at(self, item: usize) -> Self {
        Self {
            item: Some(item),
            ..self
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.list, self.index)?;
        if !self.field.is_empty() {
            write!(f, ".{}", self.field)?;
        }
        if let Some(i) = self.item {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}

/// What is wrong with a pickup-delivery pair (see [`ProblemError::BadPair`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairIssue {
    /// The job index is not a job of the spec.
    JobOutOfRange,
    /// Pickup and delivery are the same job.
    SameJob,
    /// A job is already in another pair.
    JobInTwoPairs,
    /// One job is optional (has a skip penalty) and the other required.
    MixedOptional,
}

impl std::fmt::Display for PairIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::JobOutOfRange => "job index out of range",
            Self::SameJob => "pickup and delivery are the same job",
            Self::JobInTwoPairs => "a job is in two pairs",
            Self::MixedOptional => "one job is optional and the other required",
        })
    }
}

/// What is wrong with a job's time window (see [`ProblemError::JobWindow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
