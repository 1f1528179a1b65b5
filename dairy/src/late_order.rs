//! A late order: a dispatcher adds a delivery to a day already frozen (a customer's extra
//! for that day is refused past the cut-off; the dispatcher's is not), on the household's
//! subscription, as a one-off extra. The store writes it as an extra operation and the
//! order the freeze would give it, once per dedupe key ([`crate::store::late_orders`]); the
//! morning sends its stop to the live day as a new stop
//! ([`crate::engine::DayEventKind::NewStop`]), and its outcome is recorded like any other
//! order's, so the close of day accounts for it.
use milkrun_calendar::Date;

use crate::calendar::{CutOff, Moment};
use crate::dedupe::DedupeKey;
use crate::error::{invalid, DairyError};
use crate::ids::SubscriptionId;
use crate::subscription::Subscription;

/// The most bottles one late order may bring.
pub const MAX_LATE_QUANTITY: u32 = 100;

/// A late order as the dispatcher places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateOrder {
    /// The subscription it is delivered on (its household, its package's product).
    pub subscription: SubscriptionId,
    /// The delivery day: the day it is placed on.
    pub date: Date,
    /// Units (1..=[`MAX_LATE_QUANTITY`]).
    pub quantity: u32,
    /// When the dispatcher placed it.
    pub placed: Moment,
    /// The dispatcher's key: placing the same key again gives the first order back.
    pub key: DedupeKey,
}

impl LateOrder {
    /// Checks the order against its subscription and the tenant's cut-off, naming the first
    /// bad field: a quantity in range, placed on the delivery day itself, after the day's
    /// cut-off (before it, the customer's extra is the way), on a subscription already
    /// started.
    pub fn check(&self, sub: &Subscription, cutoff: CutOff) -> Result<(), DairyError> {
        if sub.id != self.subscription {
            return Err(invalid("late_order.subscription", "not this subscription"));
        }
        if !(1..=MAX_LATE_QUANTITY).contains(&self.quantity) {
            return Err(invalid(
                "late_order.quantity",
                format!("must be 1 to {MAX_LATE_QUANTITY}"),
            ));
        }
        if self.placed.date != self.date {
            return Err(invalid(
                "late_order.date",
                "a late order is for the day it is placed on",
            ));
        }
        if self.placed < cutoff.deadline(self.date) {
            return Err(invalid(
                "late_order.placed",
                "before the day's cut-off: the customer's extra is the way",
            ));
        }
        if self.date < sub.start {
            return Err(invalid(
                "late_order.date",
                format!("the subscription starts on {}", sub.start),
            ));
        }
        Ok(())
    }
}
