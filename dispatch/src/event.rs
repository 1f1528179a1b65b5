//! What can happen during the morning.

use crate::model::{StopSpec, TravelTimes};
use crate::outcome::EventType;

/// An event at a time of day.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happens, seconds since midnight (the clock advances to it first).
    pub time_s: i64,
    /// What happens.
    pub kind: EventKind,
}

/// The kinds of events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// New travel times (after a traffic update of the road engine), for all locations.
    Traffic(Box<TravelTimes>),
    /// A new order (its location must already be in the matrix).
    NewOrder(StopSpec),
    /// A household cancels today's delivery.
    Cancel {
        /// Household id.
        household: u32,
    },
    /// A delivery failed (nobody at the door, or known in advance to fail).
    Failed {
        /// Household id.
        household: u32,
        /// A retry window later this morning, or `None`: carried over to tomorrow.
        retry_s: Option<(i64, i64)>,
    },
    /// A courier reports a delivery made at the event's time (a report older than the
    /// clock is recorded at its own time).
    Delivered {
        /// Household id.
        household: u32,
    },
    /// A courier reports where it is (a location of the matrix) at the event's time.
    Position {
        /// Courier index.
        courier: usize,
        /// Location index.
        loc: u32,
    },
    /// A courier ends its service: its remaining stops go to others.
    SignedOff {
        /// Courier index.
        courier: usize,
    },
    /// A courier's trike breaks down: its remaining stops go to others.
    Breakdown {
        /// Courier index.
        courier: usize,
    },
    /// A household orders more for today (a late order): its pending stop takes
    /// `bottles` more. The stop stays where it is while its route's trike carries the new
    /// load; otherwise (not yet set off to it) it is re-planned, and left unserved with
    /// [`crate::UnservedReason::NoCapacity`] where no courier carries it. Refused (nothing
    /// changes) for a household with no pending stop, for a total over
    /// [`crate::error::MAX_BOTTLES`], and for a stop the courier is on the way to whose trike would
    /// be over its capacity.
    AddBottles {
        /// Household id.
        household: u32,
        /// Bottles added (1..=[`crate::error::MAX_BOTTLES`]).
        bottles: i64,
    },
    /// A courier loses time (a flat tyre fixed, a long conversation at a door).
    Delay {
        /// Courier index.
        courier: usize,
        /// Time lost, seconds.
        delay_s: i64,
    },
}

impl EventKind {
    /// The type of the event, as reported.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::Traffic(_) => EventType::Traffic,
            Self::NewOrder(_) => EventType::Order,
            Self::Cancel { .. } => EventType::Cancel,
            Self::AddBottles { .. } => EventType::AddBottles,
            Self::Failed { .. } => EventType::Failed,
            Self::Breakdown { .. } => EventType::Breakdown,
            Self::Delay { .. } => EventType::Delay,
            Self::Delivered { .. } => EventType::Delivered,
            Self::Position { .. } => EventType::Position,
            Self::SignedOff { .. } => EventType::SignedOff,
        }
    }

    /// A short name: `traffic`, `order`, `cancel`, `bottles`, `failed`, `breakdown`,
    /// `delay`, `delivered`, `position`, `signedoff`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Traffic(_) => "traffic",
            Self::NewOrder(_) => "order",
            Self::Cancel { .. } => "cancel",
            Self::AddBottles { .. } => "bottles",
            Self::Failed { .. } => "failed",
            Self::Breakdown { .. } => "breakdown",
            Self::Delay { .. } => "delay",
            Self::Delivered { .. } => "delivered",
            Self::Position { .. } => "position",
            Self::SignedOff { .. } => "signedoff",
        }
    }
}
