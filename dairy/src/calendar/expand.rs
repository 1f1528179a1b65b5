//! Expansion of a subscription and its operations into the deliveries of a date range.
//!
//! The rules, for a subscription with weekday pattern `P`:
//! - A *slot* is a day of `P` on or after the start that no pause, skip or postpone cancels.
//! - [`Term::Prepaid`]`(n)`: the first `n` slots are delivered, plus one more per
//!   [`OperationKind::Extension`]. Paused, skipped and postponed days use nothing up, so the
//!   end moves later by itself (postponing and skipping do the same for a prepaid count).
//! - [`Term::Until`]`(end)`: the slots up to `end` are delivered; paused and skipped days are
//!   lost. Each postponed day of `P` within the term that no pause or skip also cancels, and
//!   each extension, adds the next slot after `end`.
//! - Swaps and quantity changes set a day's product and quantity; the latest operation (by
//!   id) that covers a day wins.
//! - [`OperationKind::Extra`] and [`OperationKind::MakeUp`] add their own delivery on their day,
//!   whatever the pattern, pauses or the count say, and use up no prepaid delivery.
use milkrun_calendar::Date;

use super::operation::{Operation, OperationKind};
use crate::error::{invalid, DairyError};
use crate::ids::{OperationId, ProductId, SubscriptionId};
use crate::subscription::{Subscription, Term};

/// The most days from a subscription's start to the last day expanded (about 20 years): the
/// prepaid count is found by walking from the start, so the walk is bounded.
pub const MAX_HORIZON_DAYS: i64 = 7_320;
/// The most operations one subscription may carry into an expansion.
pub const MAX_OPERATIONS: usize = 2_000;
/// How far [`next_delivery_day`] looks ahead, in days.
const NEXT_DAY_LOOKAHEAD: i32 = 62;

/// Which delivery of a subscription's day a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryLine {
    /// The regular delivery of the weekday pattern.
    Regular,
    /// A one-off extra delivery, from the operation that added it.
    Extra(OperationId),
    /// A make-up delivery, from the operation of the exception policy that added it.
    MakeUp(OperationId),
}

impl DeliveryLine {
    /// The line's number within its subscription and day: 0 for the regular delivery, the
    /// operation's id (always positive) for an extra or a make-up.
    pub fn number(self) -> i64 {
        match self {
            DeliveryLine::Regular => 0,
            DeliveryLine::Extra(op) | DeliveryLine::MakeUp(op) => op.0,
        }
    }
}

/// One delivery a subscription gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The day.
    pub date: Date,
    /// Which delivery of that day.
    pub line: DeliveryLine,
    /// The product delivered.
    pub product: ProductId,
    /// Units.
    pub quantity: u32,
}

/// Every delivery `sub` gives from `from` to `to` (both included), in date then line order,
/// after applying `ops` (operations of other subscriptions are ignored). `product` is the
/// package's product.
pub fn deliveries(
    sub: &Subscription,
    product: ProductId,
    ops: &[Operation],
    from: Date,
    to: Date,
) -> Result<Vec<Delivery>, DairyError> {
    if to < from {
        return Err(DairyError::Range {
            from,
            to,
            reason: "the range ends before it starts",
        });
    }
    if to.days_since(sub.start) > MAX_HORIZON_DAYS {
        return Err(DairyError::Range {
            from,
            to,
            reason: "it ends more than 7,320 days after the subscription's start",
        });
    }
    let mut ops: Vec<&Operation> = ops.iter().filter(|o| o.subscription == sub.id).collect();
    if ops.len() > MAX_OPERATIONS {
        return Err(invalid(
            "subscription.operations",
            format!("more than {MAX_OPERATIONS} operations"),
        ));
    }
    ops.sort_by_key(|o| o.id);
    if ops.iter().any(|o| o.id.0 <= 0) {
        return Err(invalid("operation.id", "must be positive"));
    }
    let cancelled = |d: Date| ops.iter().any(|o| o.kind.cancels(d));
    let extensions = ops
        .iter()
        .filter(|o| o.kind == OperationKind::Extension)
        .count();
    let extensions =
        u32::try_from(extensions).map_err(|_| DairyError::Overflow { what: "extensions" })?;

    let mut out = Vec::new();
    let push = |d: Date, out: &mut Vec<Delivery>| {
        if d >= from {
            out.push(Delivery {
                subscription: sub.id,
                date: d,
                line: DeliveryLine::Regular,
                product: product_on(&ops, product, d),
                quantity: quantity_on(&ops, sub.quantity, d),
            });
        }
    };
    match sub.term {
        Term::Prepaid(n) => {
            let budget = n.checked_add(extensions).ok_or(DairyError::Overflow {
                what: "prepaid deliveries + extensions",
            })?;
            let mut used = 0u32;
            let mut d = sub.start;
            while d <= to && used < budget {
                if sub.weekdays.contains(d) && !cancelled(d) {
                    used += 1;
                    push(d, &mut out);
                }
                d = d.add_days(1);
            }
        }
        Term::Until(end) => {
            let not_paused = |d: Date| {
                !ops.iter().any(|o| {
                    matches!(
                        o.kind,
                        OperationKind::Pause { .. } | OperationKind::Skip { .. }
                    ) && o.kind.cancels(d)
                })
            };
            let mut postponed: Vec<Date> = ops
                .iter()
                .filter_map(|o| match o.kind {
                    OperationKind::Postpone { date } => Some(date),
                    _ => None,
                })
                .filter(|&d| {
                    d >= sub.start && d <= end && sub.weekdays.contains(d) && not_paused(d)
                })
                .collect();
            postponed.sort();
            postponed.dedup();
            let mut after_end = u32::try_from(postponed.len())
                .ok()
                .and_then(|p| p.checked_add(extensions))
                .ok_or(DairyError::Overflow {
                    what: "postponed deliveries + extensions",
                })?;
            let mut d = sub.start;
            while d <= to && (d <= end || after_end > 0) {
                if sub.weekdays.contains(d) && !cancelled(d) {
                    if d > end {
                        after_end -= 1;
                    }
                    push(d, &mut out);
                }
                d = d.add_days(1);
            }
        }
    }
    for o in &ops {
        let (date, line, product, quantity) = match o.kind {
            OperationKind::Extra {
                date,
                product,
                quantity,
            } => (date, DeliveryLine::Extra(o.id), product, quantity),
            OperationKind::MakeUp {
                date,
                product,
                quantity,
            } => (date, DeliveryLine::MakeUp(o.id), product, quantity),
            _ => continue,
        };
        if (from..=to).contains(&date) {
            out.push(Delivery {
                subscription: sub.id,
                date,
                line,
                product,
                quantity,
            });
        }
    }
    out.sort_by_key(|d| (d.date, d.line.number()));
    Ok(out)
}

/// The first day after `after` with a regular delivery, within the next 62 days; `None` when
/// the subscription has none there (it has ended).
pub fn next_delivery_day(
    sub: &Subscription,
    product: ProductId,
    ops: &[Operation],
    after: Date,
) -> Result<Option<Date>, DairyError> {
    let from = after.add_days(1);
    let to = after.add_days(NEXT_DAY_LOOKAHEAD);
    Ok(deliveries(sub, product, ops, from, to)?
        .into_iter()
        .find(|d| d.line == DeliveryLine::Regular)
        .map(|d| d.date))
}

/// The product of day `d`: the latest swap covering it, else the package's.
fn product_on(ops: &[&Operation], package_product: ProductId, d: Date) -> ProductId {
    ops.iter()
        .rev()
        .find_map(|o| match o.kind {
            OperationKind::Swap {
                product,
                from,
                until,
            } if from <= d && until.is_none_or(|u| d <= u) => Some(product),
            _ => None,
        })
        .unwrap_or(package_product)
}

/// The quantity of day `d`: the latest quantity change from on or before it, else the
/// subscription's.
fn quantity_on(ops: &[&Operation], base: u32, d: Date) -> u32 {
    ops.iter()
        .rev()
        .find_map(|o| match o.kind {
            OperationKind::ChangeQuantity { from, quantity } if from <= d => Some(quantity),
            _ => None,
        })
        .unwrap_or(base)
}
