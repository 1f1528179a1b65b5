//! The error of the re-planner, and the bounds of what a day may hold.
//!
//! Every variant names the field at fault as a path into the input (`stops[12].window_s`,
//! `couriers[3].capacity`, `event.courier`, `times.travel_s[4][7]`), so a front end can
//! point at it.

/// Most stops a day may hold (the morning's, new orders and retries together).
pub const MAX_STOPS: usize = 20_000;
/// Most couriers of a day.
pub const MAX_COURIERS: usize = 1_000;
/// Most locations of the travel-time matrix (its cells: the square of it).
pub const MAX_LOCATIONS: usize = 10_000;
/// Most bottles of one stop.
pub const MAX_BOTTLES: i64 = 10_000;
/// Most bottles one trike carries.
pub const MAX_CAPACITY: i64 = 1_000_000;
/// Largest weight of the objective (per stop moved, per second of promise shift, per
/// unserved stop, and the tolerance and cap in seconds).
pub const MAX_WEIGHT: i64 = 1_000_000_000;
/// Latest time of day accepted anywhere (a window, a shift, an event), and the longest
/// service or delay: one week in seconds. Times are not negative.
pub const MAX_TIME_S: i64 = 7 * 86_400;

/// Errors of the re-planner: each names the field at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ReplanError {
    /// A matrix or row has the wrong size.
    #[error("{field}: expected {expected} entries, found {found}")]
    MatrixSize {
        /// The field (e.g. `times.travel_s`, `slots[1].times`, `event.times`).
        field: String,
        /// Expected entries.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// A negative travel time or distance.
    #[error("{field}: negative travel time or distance from location {from} to {to}")]
    NegativeTravel {
        /// The field (`times.travel_s[from][to]` or `times.dist_m[from][to]`).
        field: String,
        /// From location.
        from: usize,
        /// To location.
        to: usize,
    },
    /// A location index outside the matrix.
    #[error("{field}: location {loc} is outside the matrix of {size} locations")]
    Location {
        /// The field (`depot`, `stops[3].loc`, `event.order.loc`).
        field: String,
        /// The bad location.
        loc: usize,
        /// Matrix size.
        size: usize,
    },
    /// A window that ends before it starts.
    #[error("{field}: window {start}..{end} ends before it starts")]
    Window {
        /// The field (`stops[3].window_s`, `event.retry_s`, `couriers[1].shift`).
        field: String,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
    },
    /// A quantity or time out of its range (negative, or over its documented maximum).
    #[error("{field}: {value} is outside {min}..={max}")]
    OutOfRange {
        /// The field (`stops[3].bottles`, `couriers[0].capacity`, `event.delay_s`).
        field: String,
        /// The value given.
        value: i64,
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
    },
    /// Too many items of a kind (stops, couriers, locations).
    #[error("{field}: {count} items, at most {max}")]
    TooMany {
        /// The field (`stops`, `couriers`, `times`).
        field: String,
        /// Items given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A time-of-day slot with a wrong factor count, a zero factor, or out of order.
    #[error("{field}: one factor in 1..=10000 per location, times in 0..=MAX_TRAVEL, slots in time order without overlap")]
    Slot {
        /// The field (`slots[2]`).
        field: String,
    },
    /// No courier at all.
    #[error("couriers: no courier")]
    NoCourier,
    /// An unknown courier index.
    #[error("{field}: courier {index} does not exist")]
    Courier {
        /// The field (`event.courier`).
        field: String,
        /// The index.
        index: usize,
    },
    /// An event for a household's stop that cannot take it (no pending stop, or a trike
    /// that would be over its capacity).
    #[error("{field}: household {household}: {problem}")]
    Household {
        /// The field (`event.household`, `event.bottles`).
        field: String,
        /// Household id.
        household: u32,
        /// What is wrong, in words.
        problem: String,
    },
    /// A plan with a route count different from the courier count.
    #[error("routes: plan has {routes} routes for {couriers} couriers")]
    PlanShape {
        /// Routes given.
        routes: usize,
        /// Couriers.
        couriers: usize,
    },
    /// A plan naming an unknown stop or a stop twice.
    #[error("{field}: stop {stop} is unknown or listed twice")]
    PlanStop {
        /// The field (`routes[1][4]`).
        field: String,
        /// The stop.
        stop: usize,
    },
    /// An event older than the day's clock (and not a late report of something that
    /// happened).
    #[error("event.time_s: event at {event_s} s is older than the day's clock at {clock_s} s")]
    StaleEvent {
        /// The event's time.
        event_s: i64,
        /// The day's clock.
        clock_s: i64,
    },
    /// A restored state that contradicts itself (a stop on two routes, an index naming
    /// nothing).
    #[error("{field}: {problem}")]
    Inconsistent {
        /// The field (`routes[2].planned[5]`).
        field: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The VRP solver's problem could not be built from the day (the nightly plan).
    #[error("solver problem: {source}")]
    Solver {
        /// The solver's validation error.
        #[source]
        source: milkrun_vrp::ProblemError,
    },
    /// A malformed event file line.
    #[error("{file}:{line}: field `{field}`: {problem}")]
    EventFile {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field.
        field: &'static str,
        /// What is wrong.
        #[source]
        problem: FieldError,
    },
}

/// What is wrong with a field of an event file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A line of the wrong length.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// Not `TIME,KIND,...`.
    #[error("expected TIME,KIND,...")]
    MissingKind,
    /// An unknown event kind.
    #[error("unknown event kind `{text}`")]
    UnknownKind {
        /// The text.
        text: String,
    },
    /// Not a time of day `HH:MM[:SS]` (at most a week).
    #[error("`{text}` is not a time")]
    NotATime {
        /// The text.
        text: String,
    },
    /// Not an integer.
    #[error("`{text}` is not an integer")]
    NotAnInteger {
        /// The text.
        text: String,
        /// The cause.
        #[source]
        source: std::num::ParseIntError,
    },
    /// Not an id (a non-negative 32-bit integer).
    #[error("`{text}` is not an id")]
    NotAnId {
        /// The text.
        text: String,
        /// The cause.
        #[source]
        source: std::num::ParseIntError,
    },
    /// Not a finite number.
    #[error("`{text}` is not a number")]
    NotANumber {
        /// The text.
        text: String,
    },
    /// A value breaking a rule of the format.
    #[error("{rule}")]
    Invalid {
        /// The rule (e.g. `factor must be in [0, 10]`).
        rule: &'static str,
    },
}

/// Checks that `value` of `field` lies in `min..=max`.
pub(crate) fn in_range(
    field: impl FnOnce() -> String,
    value: i64,
    min: i64,
    max: i64,
) -> Result<(), ReplanError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ReplanError::OutOfRange {
            field: field(),
            value,
            min,
            max,
        })
    }
}
