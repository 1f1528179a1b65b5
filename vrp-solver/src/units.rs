//! The units a problem and its segments share: a load over the capacity
//! dimensions and a time window. Below both `problem` and `segment`, so
//! neither imports the other's basic types.

/// Most capacity dimensions a problem may use (e.g. bottles, crates, chilled volume).
pub const MAX_DIMS: usize = 4;
/// Largest magnitude of a time value; windows must lie in
/// `[-TIME_HORIZON, TIME_HORIZON]` so that sums of times cannot overflow.
pub const TIME_HORIZON: i64 = i64::MAX / 8;
/// A capacity vector of fixed size; unused dimensions are zero.
pub type Load = [i64; MAX_DIMS];

/// A hard time window `[start, end]` in integer time units. Built only
/// through validation, so `start <= end` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Earliest time.
    pub start: i64,
    /// Latest time.
    pub end: i64,
}

impl TimeWindow {
    /// A window from `start` to `end`, or `None` if `end < start`.
    pub fn new(start: i64, end: i64) -> Option<Self> {
        (start <= end).then_some(Self { start, end })
    }

    /// A window that never binds.
    pub fn unbounded() -> Self {
        Self {
            start: 0,
            end: TIME_HORIZON,
        }
    }
}
