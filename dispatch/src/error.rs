//! The error of the re-planner.

/// Errors of the re-planner: each names the stop, courier or location at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReplanError {
    /// A matrix or row has the wrong size.
    #[error("matrix size: expected {expected} entries, found {found}")]
    MatrixSize {
        /// Expected entries.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// A negative travel time or distance.
    #[error("negative travel time or distance from location {from} to {to}")]
    NegativeTravel {
        /// From location.
        from: usize,
        /// To location.
        to: usize,
    },
    /// A location index outside the matrix.
    #[error("{what} {index}: location {loc} is outside the matrix of {size} locations")]
    Location {
        /// `depot` or `stop`.
        what: &'static str,
        /// Index of the stop.
        index: usize,
        /// The bad location.
        loc: usize,
        /// Matrix size.
        size: usize,
    },
    /// A window that ends before it starts.
    #[error("stop {stop}: window {start}..{end} ends before it starts")]
    Window {
        /// Stop index.
        stop: usize,
        /// Window start.
        start: i64,
        /// Window end.
        end: i64,
    },
    /// A negative quantity or service time.
    #[error("stop {stop}: negative bottles or service time")]
    Negative {
        /// Stop index.
        stop: usize,
    },
    /// A time-of-day slot with a wrong factor count, a zero factor, or out of order.
    #[error("time-of-day slot {slot}: one non-zero factor per location, slots in time order without overlap")]
    Slot {
        /// Index of the slot.
        slot: usize,
    },
    /// No courier at all.
    #[error("no courier")]
    NoCourier,
    /// An unknown courier index.
    #[error("courier {index} does not exist")]
    Courier {
        /// The index.
        index: usize,
    },
    /// A plan with a route count different from the courier count.
    #[error("plan has {routes} routes for {couriers} couriers")]
    PlanShape {
        /// Routes given.
        routes: usize,
        /// Couriers.
        couriers: usize,
    },
    /// A plan naming an unknown stop or a stop twice.
    #[error("plan: stop {stop} is unknown or listed twice")]
    PlanStop {
        /// The stop.
        stop: usize,
    },
    /// A malformed event file line.
    #[error("{file}:{line}: field `{field}`: {msg}")]
    EventFile {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Field.
        field: String,
        /// What is wrong.
        msg: String,
    },
}
