//! The domain's one error type: each variant names what the caller can fix.
use milkrun_calendar::Date;

use crate::ids::{HouseholdId, LotId, OrderId};

/// Why a domain rule refused an input. Every variant names the field, the row or the date
/// concerned; the store wraps it in [`crate::store::StoreError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DairyError {
    /// A field has a value outside its allowed range or shape.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, e.g. `package.size_ml`.
        field: &'static str,
        /// What is wrong, in words.
        reason: String,
    },
    /// A calendar change came after the tenant's cut-off for the day it concerns.
    #[error(
        "too late to change the delivery of {date}: the cut-off was {deadline_date} \
         {deadline_hms}; a change made now applies from {applies_from} on"
    )]
    LateChange {
        /// The first day the change would touch.
        date: Date,
        /// The day of the cut-off that passed.
        deadline_date: Date,
        /// The time of that cut-off, `HH:MM:SS`.
        deadline_hms: String,
        /// The first day a change made now can still touch.
        applies_from: Date,
    },
    /// A sum or product of quantities or money did not fit.
    #[error("{what} overflows")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// A delivery was scanned at another household's door than the order's.
    #[error("order {order} goes to household {expected}, not household {scanned}")]
    WrongHousehold {
        /// The order signed off.
        order: OrderId,
        /// The order's household.
        expected: HouseholdId,
        /// The household scanned.
        scanned: HouseholdId,
    },
    /// The scanned QR token is not the household's.
    #[error("the scanned QR token is not household {household}'s (order {order})")]
    WrongToken {
        /// The order signed off.
        order: OrderId,
        /// The household whose token was expected.
        household: HouseholdId,
    },
    /// Orders of a closed day without a final outcome: no outcome at all, or failed with
    /// nothing made of it. Never dropped silently.
    #[error("{count} orders of {date} are unaccounted for (first: {first:?})")]
    Unaccounted {
        /// The day closed.
        date: Date,
        /// How many orders.
        count: usize,
        /// The first ones (at most ten), in id order.
        first: Vec<OrderId>,
    },
    /// A date range or a date computed from one leaves the supported calendar or span.
    #[error("date range {from}..={to} is not usable: {reason}")]
    Range {
        /// The first day asked for.
        from: Date,
        /// The last day asked for.
        to: Date,
        /// Why, in words.
        reason: &'static str,
    },
    /// A stock movement would take more units from a lot than it holds in that place (at the
    /// station or in the couriers' vehicles): stock never goes negative.
    #[error("lot {lot} has {have} units {place}, cannot take {take}")]
    NegativeStock {
        /// The lot.
        lot: LotId,
        /// Where: `on hand` (at the station) or `in vehicles`.
        place: &'static str,
        /// Units there before the movement.
        have: u64,
        /// Units the movement takes.
        take: u64,
    },
}

/// Shorthand for an [`DairyError::Invalid`] error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> DairyError {
    DairyError::Invalid {
        field,
        reason: reason.into(),
    }
}
