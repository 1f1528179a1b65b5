//! A day's rounds as the people who run them see them: each planned stop (a household of the
//! night's plan) with its orders and their outcomes, the stop's status, and the day's figures
//! (done, left, on time). Pure: the store reads the rows ([`crate::store::rounds`]).
use crate::calendar::DeliveryLine;
use crate::household::GeoPoint;
use crate::ids::{CourierId, CustomerId, HouseholdId, OrderId, ProductId, StationId};
use crate::outcome::Outcome;

/// One order of a stop.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundOrder {
    /// The order.
    pub order: OrderId,
    /// Its product.
    pub product: ProductId,
    /// The product's name.
    pub product_name: String,
    /// Units.
    pub quantity: u32,
    /// Regular, extra or make-up line.
    pub line: DeliveryLine,
    /// Its outcome, `None` while pending.
    pub outcome: Option<Outcome>,
}

/// Where a stop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStatus {
    /// An order of the stop has no outcome yet.
    Pending,
    /// Every order delivered (none a make-up).
    Delivered,
    /// Every order has an outcome and one failed.
    Failed,
    /// Every order delivered, one of them a make-up of an earlier failure.
    MadeUp,
    /// Every order cancelled by the company.
    Cancelled,
}

impl StopStatus {
    /// The status of a stop with these orders (a stop without orders is pending).
    pub fn of(orders: &[RoundOrder]) -> StopStatus {
        if orders.is_empty() || orders.iter().any(|o| o.outcome.is_none()) {
            return StopStatus::Pending;
        }
        let is = |f: fn(&Outcome) -> bool| orders.iter().filter_map(|o| o.outcome.as_ref()).any(f);
        if is(|o| matches!(o, Outcome::Failed { .. })) {
            StopStatus::Failed
        } else if !is(|o| matches!(o, Outcome::Delivered { .. })) {
            StopStatus::Cancelled
        } else if orders
            .iter()
            .any(|o| matches!(o.line, DeliveryLine::MakeUp(_)))
        {
            StopStatus::MadeUp
        } else {
            StopStatus::Delivered
        }
    }

    /// The status's name (`pending`, `delivered`, `failed`, `made_up`, `cancelled`).
    pub fn as_str(self) -> &'static str {
        match self {
            StopStatus::Pending => "pending",
            StopStatus::Delivered => "delivered",
            StopStatus::Failed => "failed",
            StopStatus::MadeUp => "made_up",
            StopStatus::Cancelled => "cancelled",
        }
    }
}

/// One planned stop of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStop {
    /// The household.
    pub household: HouseholdId,
    /// Its customer.
    pub customer: CustomerId,
    /// The station it is served from.
    pub station: StationId,
    /// Its courier; `None`: the plan left it unassigned.
    pub courier: Option<CourierId>,
    /// Its place in the courier's route (0 is first; a reload at the station takes a place).
    pub seq: Option<u32>,
    /// Planned arrival, seconds since midnight.
    pub arrival_s: Option<i64>,
    /// The arrival window promised to the household, seconds since midnight.
    pub promise_s: Option<(i64, i64)>,
    /// The household's delivery window, seconds since midnight.
    pub window_s: (i64, i64),
    /// The address.
    pub address: String,
    /// The door.
    pub point: GeoPoint,
    /// The day's orders of the household, by order id.
    pub orders: Vec<RoundOrder>,
    /// Where it stands ([`StopStatus::of`] its orders).
    pub status: StopStatus,
    /// Why the live day's re-plan left it without a courier (`None`: it has one, or the
    /// night's plan left it so).
    pub replan_note: Option<String>,
}

impl RoundStop {
    /// When the stop was done: the latest outcome of its orders, seconds since midnight
    /// (`None` while pending).
    pub fn done_s(&self) -> Option<i64> {
        if self.status == StopStatus::Pending {
            return None;
        }
        self.orders
            .iter()
            .filter_map(|o| o.outcome.as_ref())
            .map(|o| match *o {
                Outcome::Delivered { at, .. }
                | Outcome::Failed { at, .. }
                | Outcome::Cancelled { at } => at.second_of_day,
            })
            .max()
    }

    /// Whether the stop is pending with a planned arrival past the end of its window (the
    /// promised one, else the household's).
    pub fn is_late(&self) -> bool {
        let (_, end) = self.promise_s.unwrap_or(self.window_s);
        self.status == StopStatus::Pending && self.arrival_s.is_some_and(|a| a > end)
    }

    /// Whether the stop was delivered (or made up) within its promised window (its
    /// household's window when nothing was promised).
    pub fn on_time(&self) -> bool {
        let delivered = matches!(self.status, StopStatus::Delivered | StopStatus::MadeUp);
        let (start, end) = self.promise_s.unwrap_or(self.window_s);
        delivered && self.done_s().is_some_and(|s| (start..=end).contains(&s))
    }
}

/// The day's figures of some stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundFigures {
    /// Stops planned.
    pub stops: u32,
    /// Stops with every order accounted for.
    pub done: u32,
    /// Stops still pending.
    pub left: u32,
    /// Stops delivered or made up.
    pub delivered: u32,
    /// Stops failed.
    pub failed: u32,
    /// Delivered stops inside their promised window.
    pub on_time: u32,
    /// Stops the plan left without a courier.
    pub unassigned: u32,
    /// Pending stops whose planned arrival is past the end of their window (the promised
    /// one, else the household's): an alert.
    pub late: u32,
}

impl RoundFigures {
    /// The figures of `stops`.
    pub fn of(stops: &[RoundStop]) -> RoundFigures {
        let mut f = RoundFigures::default();
        for s in stops {
            f.stops += 1;
            match s.status {
                StopStatus::Pending => f.left += 1,
                StopStatus::Delivered | StopStatus::MadeUp => {
                    f.done += 1;
                    f.delivered += 1;
                }
                StopStatus::Failed => {
                    f.done += 1;
                    f.failed += 1;
                }
                StopStatus::Cancelled => f.done += 1,
            }
            f.on_time += u32::from(s.on_time());
            f.unassigned += u32::from(s.courier.is_none());
            f.late += u32::from(s.is_late());
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Moment;
    use crate::ids::OperationId;
    use crate::outcome::FailureReason;
    use milkrun_calendar::Date;

    fn order(id: i64, line: DeliveryLine, outcome: Option<Outcome>) -> RoundOrder {
        RoundOrder {
            order: OrderId(id),
            product: ProductId(1),
            product_name: "milk".into(),
            quantity: 1,
            line,
            outcome,
        }
    }

    fn at(s: i64) -> Moment {
        Moment::new(Date::from_ymd(2026, 3, 2).expect("a date"), s).expect("a second of the day")
    }

    /// A stop is pending while an order is; failed when one failed; made up when a delivered
    /// order was a make-up; and the figures count on-time deliveries inside the promise.
    #[test]
    fn status_and_figures() {
        let c = CourierId(1);
        let delivered = |s| {
            Some(Outcome::Delivered {
                courier: c,
                at: at(s),
            })
        };
        let failed = Some(Outcome::Failed {
            courier: c,
            at: at(6 * 3600),
            reason: FailureReason::NotHome,
        });
        let regular = DeliveryLine::Regular;
        let make_up = DeliveryLine::MakeUp(OperationId(3));
        assert_eq!(StopStatus::of(&[]), StopStatus::Pending);
        let half = [order(1, regular, delivered(100)), order(2, regular, None)];
        assert_eq!(StopStatus::of(&half), StopStatus::Pending);
        let bad = [order(1, regular, delivered(100)), order(2, regular, failed)];
        assert_eq!(StopStatus::of(&bad), StopStatus::Failed);
        let made = [order(1, make_up, delivered(100))];
        assert_eq!(StopStatus::of(&made), StopStatus::MadeUp);
        let stop = |orders: Vec<RoundOrder>| RoundStop {
            household: HouseholdId(1),
            customer: CustomerId(1),
            station: StationId(1),
            courier: Some(c),
            seq: Some(1),
            arrival_s: Some(6 * 3600),
            promise_s: Some((6 * 3600, 7 * 3600)),
            window_s: (5 * 3600, 8 * 3600),
            address: "1 Main St".into(),
            point: GeoPoint::new(47.1, 9.5).expect("a point"),
            status: StopStatus::of(&orders),
            replan_note: None,
            orders,
        };
        let stops = [
            stop(vec![order(1, regular, delivered(6 * 3600 + 60))]),
            stop(vec![order(2, regular, delivered(7 * 3600 + 60))]),
            stop(vec![order(3, regular, failed)]),
            stop(vec![order(4, regular, None)]),
        ];
        assert_eq!(
            RoundFigures::of(&stops),
            RoundFigures {
                stops: 4,
                done: 3,
                left: 1,
                delivered: 2,
                failed: 1,
                on_time: 1,
                unassigned: 0,
                late: 0,
            }
        );
        // A pending stop planned after its promise ends is late.
        let mut late = stop(vec![order(5, regular, None)]);
        late.arrival_s = Some(7 * 3600 + 1);
        assert!(late.is_late());
        assert_eq!(RoundFigures::of(&[late]).late, 1);
    }
}
