//! First expiry, first out: which lots an order is taken from, and the day's loading plan.
use milkrun_calendar::Date;

use crate::freeze::Order;
use crate::ids::{CourierId, LotId, OrderId, ProductId};

/// A lot's stock at the station, as picking needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotStock {
    /// The lot.
    pub lot: LotId,
    /// Its product.
    pub product: ProductId,
    /// The day it arrived.
    pub received: Date,
    /// The last day it may be delivered.
    pub expiry: Date,
    /// Units on hand at the station.
    pub on_hand: u64,
}

/// Takes `quantity` units of `product` for delivery on `date` from the lots on hand, first
/// expiry first out (ties: earlier received, then lower lot id); lots expired before `date`
/// are never picked. `None` when the usable stock is short (nothing is taken then).
pub fn pick(
    lots: &[LotStock],
    product: ProductId,
    date: Date,
    quantity: u32,
) -> Option<Vec<(LotId, u32)>> {
    let mut usable: Vec<&LotStock> = lots
        .iter()
        .filter(|l| l.product == product && l.expiry >= date && l.on_hand > 0)
        .collect();
    usable.sort_by_key(|l| (l.expiry, l.received, l.lot));
    let mut left = quantity;
    let mut picks = Vec::new();
    for l in usable {
        if left == 0 {
            break;
        }
        let take = u32::try_from(l.on_hand.min(u64::from(left))).unwrap_or(left);
        picks.push((l.lot, take));
        left -= take;
    }
    (left == 0).then_some(picks)
}

/// One order loaded onto its courier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The order.
    pub order: OrderId,
    /// Its courier.
    pub courier: CourierId,
    /// Units per lot, in FEFO order.
    pub picks: Vec<(LotId, u32)>,
}

/// The day's loading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadPlan {
    /// The orders loaded, in the order given.
    pub loads: Vec<Load>,
    /// Orders the usable stock could not cover: not loaded at all (never half an order).
    pub short: Vec<OrderId>,
}

/// Loads each order (in the order given) onto its courier from `lots`, FEFO, for `date`. An
/// order the remaining stock cannot cover whole goes to [`LoadPlan::short`]; the orders after
/// it are still tried.
pub fn plan_loading(orders: &[(Order, CourierId)], lots: &[LotStock], date: Date) -> LoadPlan {
    let mut stock = lots.to_vec();
    let mut plan = LoadPlan::default();
    for (o, courier) in orders {
        match pick(&stock, o.product, date, o.quantity) {
            Some(picks) => {
                for &(lot, q) in &picks {
                    if let Some(s) = stock.iter_mut().find(|s| s.lot == lot) {
                        s.on_hand -= u64::from(q);
                    }
                }
                plan.loads.push(Load {
                    order: o.id,
                    courier: *courier,
                    picks,
                });
            }
            None => plan.short.push(o.id),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DeliveryLine;
    use crate::ids::{HouseholdId, StationId, SubscriptionId};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn lot(id: i64, expiry: Date, on_hand: u64) -> LotStock {
        LotStock {
            lot: LotId(id),
            product: ProductId(1),
            received: expiry.add_days(-2),
            expiry,
            on_hand,
        }
    }

    fn order(id: i64, quantity: u32, date: Date) -> Order {
        Order {
            id: OrderId(id),
            subscription: SubscriptionId(id),
            household: HouseholdId(id),
            station: StationId(1),
            date,
            line: DeliveryLine::Regular,
            product: ProductId(1),
            quantity,
        }
    }

    /// The lot expiring first goes first, an expired lot is never taken, another product's lot
    /// is ignored, and a short order takes nothing.
    #[test]
    fn first_expiry_first_out() -> TestResult {
        let d = Date::parse_iso("2028-03-01")?;
        let mut other = lot(4, d, 50);
        other.product = ProductId(2);
        let lots = [
            lot(1, d.add_days(1), 5),
            lot(2, d, 2),
            lot(3, d.add_days(-1), 9),
            other,
        ];
        assert_eq!(
            pick(&lots, ProductId(1), d, 4),
            Some(vec![(LotId(2), 2), (LotId(1), 2)])
        );
        assert_eq!(pick(&lots, ProductId(1), d, 8), None);
        // Orders of 3, 5 and 1 units from 7 usable: the 5 does not fit after the 3, the 1 does.
        let orders = [
            (order(10, 3, d), CourierId(1)),
            (order(11, 5, d), CourierId(2)),
            (order(12, 1, d), CourierId(2)),
        ];
        let plan = plan_loading(&orders, &lots, d);
        assert_eq!(plan.short, [OrderId(11)]);
        assert_eq!(plan.loads.len(), 2);
        assert_eq!(plan.loads[0].picks, [(LotId(2), 2), (LotId(1), 1)]);
        assert_eq!(plan.loads[1].picks, [(LotId(1), 1)]);
        Ok(())
    }
}
