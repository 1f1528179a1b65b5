//! Calendar operations on one subscription. Customer operations are checked against the
//! tenant's cut-off by [`Operation::request`]; the remedies of the exception policy
//! ([`OperationKind::MakeUp`], [`OperationKind::Extension`]) are made by the company and are
//! not subject to it.
use milkrun_calendar::Date;

use super::cutoff::{CutOff, Moment};
use crate::error::{invalid, DairyError};
use crate::ids::{OperationId, ProductId, SubscriptionId};
use crate::subscription::check_quantity;

/// The longest pause, in days.
pub const MAX_PAUSE_DAYS: i64 = 366;

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// No deliveries from `from` to `to`, both included.
    Pause {
        /// The first paused day.
        from: Date,
        /// The last paused day.
        to: Date,
    },
    /// No delivery on `date`.
    Skip {
        /// The skipped day.
        date: Date,
    },
    /// Deliver `product` instead of the package's product, on `from` only when `until` is
    /// `Some(from)`, from `from` on when `until` is `None`.
    Swap {
        /// The product delivered instead.
        product: ProductId,
        /// The first day swapped.
        from: Date,
        /// The last day swapped, `None` for every day from `from` on.
        until: Option<Date>,
    },
    /// The delivery of `date` moves to the end of the subscription.
    Postpone {
        /// The day whose delivery moves.
        date: Date,
    },
    /// A new quantity per delivery from `from` on.
    ChangeQuantity {
        /// The first day with the new quantity.
        from: Date,
        /// Units per delivery.
        quantity: u32,
    },
    /// A one-off delivery on `date`, on top of the regular one; it does not use up a
    /// prepaid delivery.
    Extra {
        /// The day of the extra delivery.
        date: Date,
        /// The product.
        product: ProductId,
        /// Units.
        quantity: u32,
    },
    /// A make-up for a failed delivery (exception policy): like an extra, made by the
    /// company, not subject to the cut-off, not using up a prepaid delivery.
    MakeUp {
        /// The day of the make-up delivery.
        date: Date,
        /// The product.
        product: ProductId,
        /// Units.
        quantity: u32,
    },
    /// One more delivery at the end of the subscription (exception policy).
    Extension,
}

impl OperationKind {
    /// The first day the operation changes, `None` for an extension (its day lies at the end).
    pub fn first_date(self) -> Option<Date> {
        match self {
            OperationKind::Pause { from, .. }
            | OperationKind::Swap { from, .. }
            | OperationKind::ChangeQuantity { from, .. } => Some(from),
            OperationKind::Skip { date }
            | OperationKind::Postpone { date }
            | OperationKind::Extra { date, .. }
            | OperationKind::MakeUp { date, .. } => Some(date),
            OperationKind::Extension => None,
        }
    }

    /// Checks the operation's own fields (ranges in order, quantities in bounds).
    pub fn validate(self) -> Result<(), DairyError> {
        match self {
            OperationKind::Pause { from, to } => {
                if to < from {
                    return Err(invalid("pause.to", "is before pause.from"));
                }
                if to.days_since(from) >= MAX_PAUSE_DAYS {
                    return Err(invalid(
                        "pause.to",
                        format!("a pause lasts at most {MAX_PAUSE_DAYS} days"),
                    ));
                }
            }
            OperationKind::Swap {
                from,
                until: Some(until),
                ..
            } if until < from => return Err(invalid("swap.until", "is before swap.from")),
            OperationKind::ChangeQuantity { quantity, .. } => {
                check_quantity("change_quantity.quantity", quantity)?
            }
            OperationKind::Extra { quantity, .. } => check_quantity("extra.quantity", quantity)?,
            OperationKind::MakeUp { quantity, .. } => check_quantity("make_up.quantity", quantity)?,
            _ => {}
        }
        if let Some(d) = self.first_date() {
            if !d.is_valid() {
                return Err(invalid("operation.date", "outside the calendar"));
            }
        }
        Ok(())
    }

    /// Whether the operation is a customer's change (subject to the cut-off).
    pub fn is_customer_change(self) -> bool {
        !matches!(
            self,
            OperationKind::MakeUp { .. } | OperationKind::Extension
        )
    }

    /// Whether no regular delivery happens on `date` because of this operation.
    pub(crate) fn cancels(self, date: Date) -> bool {
        match self {
            OperationKind::Pause { from, to } => (from..=to).contains(&date),
            OperationKind::Skip { date: d } | OperationKind::Postpone { date: d } => d == date,
            _ => false,
        }
    }
}

/// An operation recorded on a subscription. Operations apply in id order: where two change
/// the same day's product or quantity, the later one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation's id (its order of application).
    pub id: OperationId,
    /// The subscription changed.
    pub subscription: SubscriptionId,
    /// What it does.
    pub kind: OperationKind,
}

impl Operation {
    /// A customer's change requested at `now`: its fields are checked, and it is refused
    /// with [`DairyError::LateChange`] when its first day is past the tenant's cut-off.
    /// Remedies ([`OperationKind::MakeUp`], [`OperationKind::Extension`]) are refused here;
    /// the exception policy makes them.
    pub fn request(
        id: OperationId,
        subscription: SubscriptionId,
        kind: OperationKind,
        cutoff: CutOff,
        now: Moment,
    ) -> Result<Operation, DairyError> {
        kind.validate()?;
        if !kind.is_customer_change() {
            return Err(invalid(
                "operation.kind",
                "make-ups and extensions come from the exception policy, not a customer",
            ));
        }
        if let Some(first) = kind.first_date() {
            cutoff.check(now, first)?;
        }
        Ok(Operation {
            id,
            subscription,
            kind,
        })
    }
}
