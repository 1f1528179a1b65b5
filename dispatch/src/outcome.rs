//! What a re-plan reports: typed, with seconds and indices (no text; [`std::fmt::Display`]
//! is for people).

use std::time::Duration;

use crate::model::UnservedReason;

/// What caused a re-plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventType {
    /// The plan of the morning was set ([`crate::Dispatch::set_plan`]).
    Plan,
    /// A re-plan without an event ([`crate::Dispatch::reoptimize`]).
    Reoptimize,
    /// Background improvement ([`crate::Dispatch::improve`]).
    Improve,
    /// New travel times.
    Traffic,
    /// A new order.
    Order,
    /// A cancellation.
    Cancel,
    /// More bottles for a pending stop.
    AddBottles,
    /// A failed delivery.
    Failed,
    /// A breakdown.
    Breakdown,
    /// A courier's delay.
    Delay,
    /// A delivery reported.
    Delivered,
    /// A courier's position reported.
    Position,
    /// A courier signed off.
    SignedOff,
}

impl EventType {
    /// A short name: `plan`, `reoptimize`, `improve`, `traffic`, `order`, `cancel`,
    /// `bottles`, `failed`, `breakdown`, `delay`, `delivered`, `position`, `signedoff`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Reoptimize => "reoptimize",
            Self::Improve => "improve",
            Self::Traffic => "traffic",
            Self::Order => "order",
            Self::Cancel => "cancel",
            Self::AddBottles => "bottles",
            Self::Failed => "failed",
            Self::Breakdown => "breakdown",
            Self::Delay => "delay",
            Self::Delivered => "delivered",
            Self::Position => "position",
            Self::SignedOff => "signedoff",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// A stop now on another courier than before the re-plan (couriers by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Move {
    /// The stop.
    pub stop: u32,
    /// Courier before.
    pub from: usize,
    /// Courier now.
    pub to: usize,
}

/// Something about an event worth telling the dispatcher (it changed nothing, or not what
/// was asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Note {
    /// A cancellation came after the courier set off to the door (or delivered).
    CancelTooLate {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
    /// A cancellation for a household with no delivery today.
    NothingToCancel {
        /// Household id.
        household: u32,
    },
    /// A failure reported while the courier is on its way to the door: to be reported
    /// after the visit.
    FailureBeforeVisit {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
    /// A failure for a household with no delivery today.
    NothingToFail {
        /// Household id.
        household: u32,
    },
    /// A delivery reported twice (or reported for a stop already done): nothing changes.
    AlreadyDelivered {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
    /// A failure reported twice (same household, same time): nothing changes.
    AlreadyFailed {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
    /// A delivery reported for a household with no delivery today.
    NothingToDeliver {
        /// Household id.
        household: u32,
    },
    /// A delivery or failure reported for a stop on no route (cancelled, unserved): the
    /// report is recorded, no courier is moved.
    NotOnARoute {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
    /// A report older than the clock, recorded at its own time.
    LateReport {
        /// Household id.
        household: u32,
        /// When it happened.
        time_s: i64,
        /// The clock when it was reported.
        clock_s: i64,
    },
    /// A failed delivery carried over to tomorrow.
    CarriedOver {
        /// Household id.
        household: u32,
        /// Its stop.
        stop: u32,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CancelTooLate { household, stop } => write!(
                f,
                "household {household}: too late to cancel (stop {stop} already under way or done)"
            ),
            Self::NothingToCancel { household } => {
                write!(f, "household {household}: nothing to cancel")
            }
            Self::FailureBeforeVisit { household, .. } => write!(
                f,
                "household {household}: courier already at the door; report the failure after the visit"
            ),
            Self::NothingToFail { household } => {
                write!(f, "household {household}: no delivery to fail")
            }
            Self::AlreadyDelivered { household, stop } => {
                write!(f, "household {household}: stop {stop} already delivered")
            }
            Self::AlreadyFailed { household, stop } => {
                write!(f, "household {household}: failure at stop {stop} already reported")
            }
            Self::NothingToDeliver { household } => {
                write!(f, "household {household}: no delivery to report")
            }
            Self::NotOnARoute { household, stop } => {
                write!(f, "household {household}: stop {stop} is on no route")
            }
            Self::LateReport {
                household,
                time_s,
                clock_s,
            } => write!(
                f,
                "household {household}: reported late (happened at {time_s} s, clock {clock_s} s)"
            ),
            Self::CarriedOver { household, .. } => {
                write!(f, "household {household}: carried over to tomorrow")
            }
        }
    }
}

/// What a re-plan changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReplanReport {
    /// Event time.
    pub time_s: i64,
    /// What caused the re-plan.
    pub event: EventType,
    /// Wall time of the re-plan (state change, repair, search, schedule).
    pub latency: Duration,
    /// Pending stops on routes before the event (the ones a re-plan could move).
    pub remaining: usize,
    /// Stops now on another courier than before.
    pub moved: Vec<Move>,
    /// Couriers whose route changed.
    pub couriers_affected: Vec<usize>,
    /// Stops whose planned arrival moved by more than 5 minutes.
    pub arrivals_shifted: usize,
    /// Largest change of a planned arrival, seconds.
    pub max_shift_s: i64,
    /// Stops that became unserved, with the reason.
    pub unserved: Vec<(u32, UnservedReason)>,
    /// Stops added by the event (new order, retry).
    pub added: Vec<u32>,
    /// Notes (e.g. a cancellation that came too late).
    pub notes: Vec<Note>,
    /// Objective of the plan after the re-plan (see [`crate::Dispatch::plan_cost`]).
    pub cost: i64,
    /// Local-search move evaluations.
    pub evaluations: u64,
    /// Ruin-and-recreate iterations, and how many of them were kept.
    pub ruin_recreate: (u64, u64),
    /// True when the call was cancelled before it finished.
    pub cancelled: bool,
}
