//! The night's plan, pure part: a station's frozen orders of a day become one stop per
//! household (its point, window and the day's bottles, with yesterday's courier and arrival),
//! the engine's answer becomes each household's courier, place in the route and **promised
//! arrival window**, and every order gets an outbox message telling the customer. The store
//! runs it ([`crate::store::Store::plan_night`]) with any [`crate::engine::Engine`].
use std::collections::{BTreeMap, HashMap};

use milkrun_calendar::Date;

use crate::dedupe::DedupeKey;
use crate::engine::{PlanAnswer, PlanStop, Previous};
use crate::error::{invalid, DairyError};
use crate::freeze::Order;
use crate::household::{DeliveryWindow, Household};
use crate::ids::{CourierId, HouseholdId};
use crate::outbox::{OutboxMessage, Topic};

/// The promised window is the planned arrival ± this, seconds (clipped to the household's
/// delivery window): the same ±15 minutes a stable plan keeps arrivals within.
pub const PROMISE_HALF_WIDTH_S: i64 = 900;

/// One household's place in the night's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedStop {
    /// The household.
    pub household: HouseholdId,
    /// Bottles of the day (all its orders).
    pub quantity: u32,
    /// Its courier and place in the route (0-based), `None` when no courier can serve it.
    pub courier: Option<(CourierId, u32)>,
    /// Planned arrival, seconds since midnight.
    pub arrival_s: Option<i64>,
    /// The promised arrival window, `None` when unserved.
    pub promise: Option<DeliveryWindow>,
}

/// The day's stops of one station: one per household with an order, in household order, with
/// the quantities of its orders added up (checked) and its previous courier and arrival.
/// An order of an unknown household is an error naming it.
pub fn stops(
    orders: &[Order],
    households: &HashMap<HouseholdId, Household>,
    previous: &HashMap<HouseholdId, Previous>,
    service_s: i64,
) -> Result<Vec<PlanStop>, DairyError> {
    let mut per_household: BTreeMap<HouseholdId, u32> = BTreeMap::new();
    for o in orders {
        let q = per_household.entry(o.household).or_insert(0);
        *q = q.checked_add(o.quantity).ok_or(DairyError::Overflow {
            what: "a household's bottles of the day",
        })?;
    }
    per_household
        .into_iter()
        .map(|(id, quantity)| {
            let h = households.get(&id).ok_or_else(|| {
                invalid("order.household", format!("household {id} is not loaded"))
            })?;
            Ok(PlanStop {
                household: id,
                point: h.point,
                window: h.window,
                quantity,
                service_s,
                previous: previous.get(&id).copied(),
            })
        })
        .collect()
}

/// The answer (already checked against its request) as one [`PlannedStop`] per stop, in stop
/// order.
pub fn planned_stops(stops: &[PlanStop], answer: &PlanAnswer) -> Vec<PlannedStop> {
    let mut out: Vec<PlannedStop> = stops
        .iter()
        .map(|s| PlannedStop {
            household: s.household,
            quantity: s.quantity,
            courier: None,
            arrival_s: None,
            promise: None,
        })
        .collect();
    for r in &answer.routes {
        for (seq, v) in r.visits.iter().enumerate() {
            if let (Some(p), Some(stop)) =
                (out.get_mut(v.stop as usize), stops.get(v.stop as usize))
            {
                p.courier = Some((r.courier, seq as u32));
                p.arrival_s = Some(v.arrival_s);
                p.promise = Some(promise(v.arrival_s, stop.window));
            }
        }
    }
    out
}

/// The promised window of an arrival: ± [`PROMISE_HALF_WIDTH_S`], clipped to the household's
/// window where that leaves a window (else the arrival ± the half width as it is).
pub fn promise(arrival_s: i64, window: DeliveryWindow) -> DeliveryWindow {
    let start = (arrival_s - PROMISE_HALF_WIDTH_S).max(window.start_s);
    let end = (arrival_s + PROMISE_HALF_WIDTH_S).min(window.end_s);
    if start < end {
        DeliveryWindow {
            start_s: start,
            end_s: end,
        }
    } else {
        DeliveryWindow {
            start_s: arrival_s - PROMISE_HALF_WIDTH_S,
            end_s: arrival_s + PROMISE_HALF_WIDTH_S,
        }
    }
}

/// One message per planned order telling its customer the promised window; the key
/// `arrival:ORDER_ID` makes a re-run add no second row. Orders of unserved households get
/// none (the dispatcher sees them in the night's report).
pub fn arrival_messages(
    date: Date,
    orders: &[Order],
    planned: &[PlannedStop],
) -> Result<Vec<OutboxMessage>, DairyError> {
    let by_household: HashMap<HouseholdId, &PlannedStop> =
        planned.iter().map(|p| (p.household, p)).collect();
    let mut out = Vec::new();
    for o in orders {
        let Some(w) = by_household.get(&o.household).and_then(|p| p.promise) else {
            continue;
        };
        let payload = format!(
            "{{\"order_id\":{},\"household_id\":{},\"date\":\"{date}\",\"from\":\"{}\",\"to\":\"{}\"}}",
            o.id,
            o.household,
            milkrun_calendar::format_hms(w.start_s),
            milkrun_calendar::format_hms(w.end_s)
        );
        out.push(OutboxMessage::new(
            DedupeKey::new(&format!("arrival:{}", o.id))?,
            Topic::ArrivalWindow,
            payload,
        )?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A promise is the arrival ± 15 minutes inside the household's window.
    #[test]
    fn promises_are_clipped_to_the_window() -> Result<(), DairyError> {
        let w = DeliveryWindow::new(18_000, 25_200)?;
        assert_eq!(promise(20_000, w), DeliveryWindow::new(19_100, 20_900)?);
        assert_eq!(promise(18_100, w), DeliveryWindow::new(18_000, 19_000)?);
        assert_eq!(promise(25_200, w), DeliveryWindow::new(24_300, 25_200)?);
        Ok(())
    }
}
