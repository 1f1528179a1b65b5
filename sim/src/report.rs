//! What a simulated week produced: plain data, serialised as `report.json` and rendered by the
//! service's `demo` command. Every figure is computed from the store and the simulation's own
//! record of the routes ridden; wall-clock timings are kept apart in [`Timings`] so that the
//! same seed gives the same report once they are removed.
use serde::Serialize;

/// The counts and sums a day's (or the week's) figures come from. Rates are derived from
/// them by [`Figures::from_sums`], so a total is the rate of the summed counts, never an
/// average of daily rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sums {
    /// Frozen orders.
    pub orders: u64,
    /// Orders delivered (signed off at the door).
    pub delivered: u64,
    /// Orders that failed at the door (whatever became of them).
    pub failed: u64,
    /// Failed orders made up: a same-day retry or a make-up on a later delivery day.
    pub made_up: u64,
    /// Failed orders compensated: a one-day extension, a coupon or points.
    pub compensated: u64,
    /// Orders cancelled (no stock, a courier who could not reach them, a late cancellation).
    pub cancelled: u64,
    /// Orders that ended the day with no outcome: an error, expected 0.
    pub unaccounted: u64,
    /// Deliveries whose arrival lay inside the household's promised window.
    pub on_time: u64,
    /// Distance ridden, metres.
    pub ridden_m: i64,
    /// Time on the road (riding, waiting and serving), seconds, summed over couriers.
    pub courier_s: i64,
    /// Units received at the stations.
    pub received_units: u64,
    /// Units wasted (expired at a station or damaged).
    pub wasted_units: u64,
    /// Units ordered by customers (the frozen orders' quantities).
    pub demanded_units: u64,
    /// Units the stations could load for those orders (demand met from stock).
    pub supplied_units: u64,
}

/// One day's figures, or the week's: the keys of `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// `YYYY-MM-DD`, or `None` for a total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Frozen orders.
    pub orders: u64,
    /// Orders delivered.
    pub delivered: u64,
    /// Orders failed at the door.
    pub failed: u64,
    /// Failed orders made up.
    pub made_up: u64,
    /// Failed orders compensated.
    pub compensated: u64,
    /// Orders cancelled.
    pub cancelled: u64,
    /// Orders with no outcome at close (expected 0).
    pub unaccounted: u64,
    /// Share of deliveries inside the promised window (0 when none were delivered).
    pub on_time_rate: f64,
    /// Kilometres ridden per delivery.
    pub km_per_delivery: f64,
    /// Courier minutes on the road per delivery.
    pub minutes_per_delivery: f64,
    /// Deliveries per courier-hour on the road.
    pub deliveries_per_courier_hour: f64,
    /// Share of received units wasted.
    pub waste_rate: f64,
    /// Share of demanded units supplied from stock.
    pub fill_rate: f64,
    /// The sums behind the rates.
    pub sums: Sums,
}

impl Figures {
    /// The figures of `sums`, dated or not. A rate whose denominator is zero is 0.
    pub fn from_sums(date: Option<String>, sums: Sums) -> Figures {
        let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
        let delivered = sums.delivered as f64;
        Figures {
            date,
            orders: sums.orders,
            delivered: sums.delivered,
            failed: sums.failed,
            made_up: sums.made_up,
            compensated: sums.compensated,
            cancelled: sums.cancelled,
            unaccounted: sums.unaccounted,
            on_time_rate: ratio(sums.on_time as f64, delivered),
            km_per_delivery: ratio(sums.ridden_m as f64 / 1000.0, delivered),
            minutes_per_delivery: ratio(sums.courier_s as f64 / 60.0, delivered),
            deliveries_per_courier_hour: ratio(delivered, sums.courier_s as f64 / 3600.0),
            waste_rate: ratio(sums.wasted_units as f64, sums.received_units as f64),
            fill_rate: ratio(sums.supplied_units as f64, sums.demanded_units as f64),
            sums,
        }
    }
}

impl Sums {
    /// Field-by-field sum (saturating: a week of a simulated company stays far below).
    pub fn add(&self, o: &Sums) -> Sums {
        Sums {
            orders: self.orders.saturating_add(o.orders),
            delivered: self.delivered.saturating_add(o.delivered),
            failed: self.failed.saturating_add(o.failed),
            made_up: self.made_up.saturating_add(o.made_up),
            compensated: self.compensated.saturating_add(o.compensated),
            cancelled: self.cancelled.saturating_add(o.cancelled),
            unaccounted: self.unaccounted.saturating_add(o.unaccounted),
            on_time: self.on_time.saturating_add(o.on_time),
            ridden_m: self.ridden_m.saturating_add(o.ridden_m),
            courier_s: self.courier_s.saturating_add(o.courier_s),
            received_units: self.received_units.saturating_add(o.received_units),
            wasted_units: self.wasted_units.saturating_add(o.wasted_units),
            demanded_units: self.demanded_units.saturating_add(o.demanded_units),
            supplied_units: self.supplied_units.saturating_add(o.supplied_units),
        }
    }
}

/// A policy's week: the totals at the top level, then each day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyWeek {
    /// Number of simulated days.
    pub days: u32,
    /// The week's totals.
    #[serde(flatten)]
    pub totals: Figures,
    /// One entry per day, in order.
    pub per_day: Vec<Figures>,
}

/// A station of the simulated company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationInfo {
    /// Its id in the store.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Couriers riding from it.
    pub couriers: u32,
    /// Households it serves.
    pub households: u32,
}

/// The simulated company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    /// Its stations.
    pub stations: Vec<StationInfo>,
    /// Customers (each with one household).
    pub customers: u32,
    /// Subscriptions at the start.
    pub subscriptions: u32,
    /// Products in the catalogue.
    pub products: u32,
    /// Packages in the catalogue.
    pub packages: u32,
}

/// What the customers did to their calendars on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CalendarActivity {
    /// Pauses accepted.
    pub pauses: u32,
    /// Skipped days accepted.
    pub skips: u32,
    /// Product swaps accepted.
    pub swaps: u32,
    /// Postponements accepted.
    pub postpones: u32,
    /// Quantity changes accepted.
    pub quantity_changes: u32,
    /// One-off extras accepted.
    pub extras: u32,
    /// Requests refused because they came after the cut-off.
    pub refused_after_cutoff: u32,
}

/// Something that happened during a simulated morning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `jam`, `breakdown`, `late_order`, …
    pub kind: String,
    /// What happened and what the re-plan did, in words.
    pub detail: String,
}

/// One courier's pay over the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourierSettlement {
    /// Courier id.
    pub courier: i64,
    /// Name.
    pub name: String,
    /// Station id.
    pub station: i64,
    /// Deliveries.
    pub drops: u64,
    /// Bottles delivered.
    pub bottles: u64,
    /// Pay, cents.
    pub pay_cents: i64,
    /// Share of the courier's deliveries inside the promised window.
    pub on_time_rate: f64,
    /// Kilometres ridden.
    pub km: f64,
}

/// A transfer of stock between stations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Product id.
    pub product: i64,
    /// From station id.
    pub from: i64,
    /// To station id.
    pub to: i64,
    /// Units.
    pub units: u64,
}

/// One station's stock of one product on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Station id.
    pub station: i64,
    /// Product id.
    pub product: i64,
    /// Received.
    pub received: u64,
    /// Delivered.
    pub delivered: u64,
    /// Returned to the station.
    pub returned: u64,
    /// Wasted.
    pub wasted: u64,
    /// On hand at close.
    pub on_hand: u64,
    /// Ordered for tomorrow.
    pub ordered_for_tomorrow: u64,
}

/// What became of a household on the map's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapStatus {
    /// No order that day.
    NoOrder,
    /// Delivered.
    Delivered,
    /// Failed, and made up.
    MadeUp,
    /// Failed, and compensated.
    Compensated,
    /// Failed (no remedy yet).
    Failed,
    /// Cancelled.
    Cancelled,
}

/// A household on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MapPoint {
    /// Latitude of the door.
    pub lat: f64,
    /// Longitude of the door.
    pub lon: f64,
    /// Station id.
    pub station: i64,
    /// Status on the map's day.
    pub status: MapStatus,
}

/// The map of one day: households by status, the stations, and the roads of the area (as
/// polylines of `[lat, lon]`) for the background.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapData {
    /// The day shown, `YYYY-MM-DD`.
    pub date: String,
    /// Households.
    pub households: Vec<MapPoint>,
    /// Road polylines inside the area, `[lat, lon]` points.
    pub roads: Vec<Vec<[f64; 2]>>,
    /// Each courier's ridden route of that day as `[lat, lon]` points (by courier id).
    pub routes: Vec<(i64, Vec<[f64; 2]>)>,
}

/// Wall-clock timings, milliseconds: the only part of the report that differs between two
/// runs with the same seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Building the company (roads, households, subscriptions).
    pub setup_ms: u64,
    /// Per day: night (freeze and plan), morning, close.
    pub per_day_ms: Vec<u64>,
    /// The whole run.
    pub total_ms: u64,
}

/// The mid-week promotion: pushed to a segment with a seeded holdout, its conversion against
/// the holdout's (from the store's `promotion_conversion`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromotionWeek {
    /// The day it was pushed, `YYYY-MM-DD`.
    pub pushed: String,
    /// The segment targeted (the largest at the push).
    pub segment: String,
    /// The product offered as an extra.
    pub product: i64,
    /// Customers told.
    pub targeted: u64,
    /// Of them, those who took it.
    pub targeted_taken: u64,
    /// Customers held out.
    pub holdout: u64,
    /// Of them, those who ordered the product as an extra anyway.
    pub holdout_taken: u64,
    /// `targeted_taken / targeted` (null without targets).
    pub conversion_rate: Option<f64>,
    /// `holdout_taken / holdout` (null without a holdout).
    pub holdout_rate: Option<f64>,
    /// The conversion rate minus the holdout's.
    pub uplift: Option<f64>,
    /// The simulated chance that a told customer takes it (`behaviour::TAKE_TOLD`).
    pub take_probability_told: f64,
    /// The simulated chance that a held-out one orders it anyway (`behaviour::TAKE_UNTOLD`).
    pub take_probability_untold: f64,
}

/// Everything a simulated week produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekReport {
    /// The seed.
    pub seed: u64,
    /// The first simulated day, `YYYY-MM-DD`.
    pub first_date: String,
    /// milkrun's policy: the week's totals at the top level (`days`, `orders`, …, `fill_rate`)
    /// and `per_day`.
    #[serde(flatten)]
    pub milkrun: PolicyWeek,
    /// The baselines on the same simulated week, with the same keys.
    pub baseline: PolicyWeek,
    /// What the baselines are, in words (one line each).
    pub baseline_policies: Vec<String>,
    /// The company.
    pub company: Company,
    /// Calendar activity per day.
    pub calendar: Vec<CalendarActivity>,
    /// Incidents of the mornings.
    pub incidents: Vec<Incident>,
    /// Settlement per courier over the week.
    pub settlement: Vec<CourierSettlement>,
    /// Stock transfers between stations.
    pub transfers: Vec<TransferRow>,
    /// Stock per station, product and day.
    pub stock: Vec<StockDay>,
    /// Complaints filed, escalated and resolved over the week.
    pub complaints: [u32; 3],
    /// Outbox messages written (arrival windows, renewals, remedies, alerts, promotions).
    pub outbox_messages: u64,
    /// The mid-week promotion; `None` in a run too short to have one (under 2 days).
    pub promotion: Option<PromotionWeek>,
    /// The map of the last day.
    pub map: MapData,
    /// Wall-clock timings (differ between runs).
    pub timings: Timings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_rates_of_summed_counts() {
        let a = Sums {
            orders: 10,
            delivered: 8,
            on_time: 8,
            ridden_m: 4_000,
            courier_s: 3_600,
            ..Sums::default()
        };
        let b = Sums {
            orders: 10,
            delivered: 2,
            on_time: 0,
            ridden_m: 1_000,
            courier_s: 3_600,
            ..Sums::default()
        };
        let t = Figures::from_sums(None, a.add(&b));
        assert_eq!(t.delivered, 10);
        assert!((t.on_time_rate - 0.8).abs() < 1e-12);
        assert!((t.km_per_delivery - 0.5).abs() < 1e-12);
        assert!((t.deliveries_per_courier_hour - 5.0).abs() < 1e-12);
        assert_eq!(Figures::from_sums(None, Sums::default()).fill_rate, 0.0);
    }
}
