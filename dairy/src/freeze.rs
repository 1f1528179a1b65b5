//! The night freeze, pure part: one day's deliveries of every subscription become orders with
//! deterministic ids, grouped per station. The store writes each station's orders in one
//! transaction ([`crate::store::Store::freeze_day`]), streaming the book through [`DayFreeze`].
use std::collections::{BTreeMap, HashSet};

use milkrun_calendar::Date;
use sha2::{Digest, Sha256};

use crate::calendar::{deliveries, DeliveryLine, Operation};
use crate::error::{invalid, DairyError};
use crate::ids::{HouseholdId, OrderId, ProductId, StationId, SubscriptionId, TenantId};
use crate::subscription::Subscription;

/// A frozen order: one delivery of one subscription on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The deterministic id ([`order_id`]).
    pub id: OrderId,
    /// The subscription it comes from.
    pub subscription: SubscriptionId,
    /// The household delivered to.
    pub household: HouseholdId,
    /// The station serving the household.
    pub station: StationId,
    /// The delivery day.
    pub date: Date,
    /// Which delivery of the subscription's day.
    pub line: DeliveryLine,
    /// The product.
    pub product: ProductId,
    /// Units.
    pub quantity: u32,
}

/// One subscription as the freeze needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDay {
    /// The subscription.
    pub subscription: Subscription,
    /// The station of its household.
    pub station: StationId,
    /// Its package's product.
    pub product: ProductId,
    /// Its calendar operations.
    pub ops: Vec<Operation>,
}

/// One station's orders of the day, sorted by subscription then line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationOrders {
    /// The station.
    pub station: StationId,
    /// Its orders.
    pub orders: Vec<Order>,
}

/// The id of a subscription's delivery: the first 63 bits of SHA-256 over the tenant,
/// subscription, date and line number. The same inputs always give the same id.
pub fn order_id(tenant: TenantId, subscription: SubscriptionId, date: Date, line: i64) -> OrderId {
    let mut h = Sha256::new();
    h.update(b"milkrun-order-v1");
    h.update(tenant.0.to_be_bytes());
    h.update(subscription.0.to_be_bytes());
    h.update(date.days_since_epoch().to_be_bytes());
    h.update(line.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    OrderId(i64::from_be_bytes(first) & i64::MAX)
}

/// Every order of `date`, per station in station order. A subscription that cannot be
/// expanded (see [`crate::calendar::MAX_HORIZON_DAYS`]) is an error naming it, and two orders
/// with the same id (a hash collision, never expected) are an error rather than a lost order.
pub fn freeze_day(
    tenant: TenantId,
    date: Date,
    subs: &[SubscriptionDay],
) -> Result<Vec<StationOrders>, DairyError> {
    let mut freeze = DayFreeze::new(tenant, date);
    for s in subs {
        freeze.add(s)?;
    }
    Ok(freeze.finish())
}

/// The freeze of one day built one subscription at a time, so a caller streaming the book
/// from storage holds the day's orders and never the whole book; [`DayFreeze::finish`] gives
/// what [`freeze_day`] gives for the same subscriptions.
#[derive(Debug, Clone)]
pub struct DayFreeze {
    tenant: TenantId,
    date: Date,
    per_station: BTreeMap<StationId, Vec<Order>>,
    seen: HashSet<OrderId>,
}

impl DayFreeze {
    /// An empty freeze of `date` for `tenant`.
    pub fn new(tenant: TenantId, date: Date) -> DayFreeze {
        DayFreeze {
            tenant,
            date,
            per_station: BTreeMap::new(),
            seen: HashSet::new(),
        }
    }

    /// Adds one subscription's deliveries of the day; an error naming the subscription when it
    /// cannot be expanded, or naming the id when two orders hash to the same one.
    pub fn add(&mut self, s: &SubscriptionDay) -> Result<(), DairyError> {
        let days =
            deliveries(&s.subscription, s.product, &s.ops, self.date, self.date).map_err(|e| {
                invalid(
                    "subscription",
                    format!("subscription {} cannot be expanded: {e}", s.subscription.id),
                )
            })?;
        for d in days {
            let id = order_id(self.tenant, d.subscription, d.date, d.line.number());
            if !self.seen.insert(id) {
                return Err(invalid("order.id", format!("two orders hash to id {id}")));
            }
            self.per_station.entry(s.station).or_default().push(Order {
                id,
                subscription: d.subscription,
                household: s.subscription.household,
                station: s.station,
                date: d.date,
                line: d.line,
                product: d.product,
                quantity: d.quantity,
            });
        }
        Ok(())
    }

    /// The day's orders per station in station order, each sorted by subscription then line.
    pub fn finish(self) -> Vec<StationOrders> {
        self.per_station
            .into_iter()
            .map(|(station, mut orders)| {
                orders.sort_by_key(|o| (o.subscription, o.line.number()));
                StationOrders { station, orders }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::OperationKind;
    use crate::ids::{OperationId, PackageId};
    use crate::subscription::{Term, WeekdayPattern};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn day(
        id: i64,
        station: i64,
        start: Date,
        ops: Vec<Operation>,
    ) -> Result<SubscriptionDay, DairyError> {
        Ok(SubscriptionDay {
            subscription: Subscription::new(
                SubscriptionId(id),
                HouseholdId(id),
                PackageId(1),
                start,
                Term::Prepaid(10),
                1,
                WeekdayPattern::DAILY,
            )?,
            station: StationId(station),
            product: ProductId(1),
            ops,
        })
    }

    /// The freeze groups per station, gives an extra its own order, skips a skipped day, and
    /// gives the same ids every time (and different ids for different days).
    #[test]
    fn deterministic_orders_per_station() -> TestResult {
        let start = Date::parse_iso("2028-02-28")?;
        let date = start.add_days(1);
        let extra = Operation {
            id: OperationId(5),
            subscription: SubscriptionId(2),
            kind: OperationKind::Extra {
                date,
                product: ProductId(2),
                quantity: 1,
            },
        };
        let skip = Operation {
            id: OperationId(6),
            subscription: SubscriptionId(3),
            kind: OperationKind::Skip { date },
        };
        let subs = [
            day(1, 20, start, vec![])?,
            day(2, 10, start, vec![extra])?,
            day(3, 10, start, vec![skip])?,
        ];
        let a = freeze_day(TenantId(1), date, &subs)?;
        let b = freeze_day(TenantId(1), date, &subs)?;
        assert_eq!(a, b);
        let stations: Vec<(i64, usize)> = a.iter().map(|s| (s.station.0, s.orders.len())).collect();
        assert_eq!(stations, [(10, 2), (20, 1)]);
        assert_eq!(a[0].orders[1].line, DeliveryLine::Extra(OperationId(5)));
        let next = freeze_day(TenantId(1), date.add_days(1), &subs)?;
        assert_ne!(next[1].orders[0].id, a[1].orders[0].id);
        assert_ne!(
            order_id(TenantId(1), SubscriptionId(1), date, 0),
            order_id(TenantId(2), SubscriptionId(1), date, 0)
        );
        assert!(a.iter().flat_map(|s| &s.orders).all(|o| o.id.0 >= 0));
        Ok(())
    }
}
