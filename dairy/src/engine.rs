//! The one interface through which the dairy layer reaches the engine: snap points to the
//! roads, a travel matrix, the plan of a station's morning, the morning's live day and demand
//! forecasts. Plain request and answer types, no engine crate: the layer is a client, like any
//! other vendor's system.
//!
//! Two implementations exist, both outside this crate: in-process
//! (`milkrun_station::night::LocalEngine`, the embedded default) and over the service's gRPC
//! API (`milkrun_service::serve::client::GrpcEngine`). Given the same request (and a work
//! limit that binds before the time limit) both give the same answer; tests in
//! `service/tests/service/serve.rs` (the night) and `service/tests/service/dairy_remote.rs`
//! (live days event by event, forecasts, and whole days of the simulated company) check it
//! through a real server.
//!
//! The live day ([`live_day`]) goes through it too: a morning is opened from the night's
//! plan, the couriers' events (each with an event id and the plan version its sender saw)
//! re-plan it, the day is read back and closed. In process the dispatch crate's live day
//! runs it; over the service, the Dispatch API (`OpenDay`, `ApplyEvents`, `GetDay`,
//! `CloseDay`) on the same code. The forecast of tomorrow's extras ([`forecast`]) goes through
//! it as well (the forecast crate's model choice in process, the Forecast service's
//! `ForecastDemand` over the API).
use std::future::Future;

pub mod forecast;
pub mod live_day;

pub use forecast::{ForecastDay, ForecastRequest};
pub use live_day::{
    AppliedEvents, DayEvent, DayEventKind, DayId, DayRoute, DayStop, DayStopView, DayView,
    EventResult, OpenDay, StopStatus,
};

use crate::error::{invalid, DairyError};
use crate::household::{DeliveryWindow, GeoPoint};
use crate::ids::{CourierId, HouseholdId};

/// The most stops one plan request may hold.
pub const MAX_PLAN_STOPS: usize = 20_000;
/// The most couriers one plan request may hold.
pub const MAX_PLAN_COURIERS: usize = 1_000;
/// The most points one snap or matrix request may hold (a matrix of 5,000 × 5,000).
pub const MAX_MATRIX_POINTS: usize = 5_000;
/// The most bottles one stop may take.
pub const MAX_STOP_QUANTITY: u32 = 10_000;
/// The longest service time at a door, seconds.
pub const MAX_SERVICE_S: i64 = 3_600;
/// The longest time limit of a plan, milliseconds (10 minutes).
pub const MAX_TIME_LIMIT_MS: u64 = 600_000;

/// A travel matrix, row-major: cell `(i, j)` at `i * size + j`; `-1` where `j` cannot be
/// reached from `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TravelMatrix {
    /// Number of points (rows and columns).
    pub size: usize,
    /// Travel time of each cell, seconds.
    pub travel_s: Vec<i64>,
    /// Length of each cell's path, metres.
    pub dist_m: Vec<i64>,
}

/// What a household was given the last time the station was planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Previous {
    /// Its courier.
    pub courier: CourierId,
    /// Its planned arrival, seconds since midnight.
    pub arrival_s: i64,
}

/// One door of the morning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanStop {
    /// The household.
    pub household: HouseholdId,
    /// Where.
    pub point: GeoPoint,
    /// When service may start.
    pub window: DeliveryWindow,
    /// Bottles delivered (1..=[`MAX_STOP_QUANTITY`]).
    pub quantity: u32,
    /// Service time at the door, seconds (0..=[`MAX_SERVICE_S`]).
    pub service_s: i64,
    /// The previous plan's courier and arrival, if the household was in it: a stable plan
    /// keeps them where that costs little ([`Stability`]).
    pub previous: Option<Previous>,
}

/// One courier of the morning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanCourier {
    /// The courier.
    pub id: CourierId,
    /// Bottles the trike carries (1..=1,000,000).
    pub capacity: u32,
    /// Earliest departure from the station, seconds since midnight.
    pub shift_start_s: i64,
    /// Latest return to the station (after the start, within a day).
    pub shift_end_s: i64,
}

/// What keeping yesterday's plan is worth, in seconds of travel (the dispatch crate's
/// disruption weights). Used only for stops with a [`Previous`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stability {
    /// Cost of giving a household another courier than before.
    pub courier_change_s: i64,
    /// An arrival may move this much either way at no cost, seconds.
    pub shift_tolerance_s: i64,
    /// Cost per second of arrival shift beyond the tolerance.
    pub shift_cost_per_s: i64,
    /// Seconds of shift beyond the tolerance charged at most per household.
    pub shift_cap_s: i64,
}

impl Default for Stability {
    /// A courier change costs 5 minutes of riding; arrivals move ±15 minutes for free, then
    /// cost a second per second up to 10 minutes per household.
    fn default() -> Self {
        Stability {
            courier_change_s: 300,
            shift_tolerance_s: 900,
            shift_cost_per_s: 1,
            shift_cap_s: 600,
        }
    }
}

/// How long and how deterministically a plan is searched. With work limits that bind
/// before the time limit, the same request gives the same plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Time limit, milliseconds (1..=[`MAX_TIME_LIMIT_MS`]).
    pub time_limit_ms: u64,
    /// Seed of the search.
    pub seed: u64,
    /// Cap on the VRP solver's iterations (plans from scratch).
    pub solver_iterations: u64,
    /// Cap on ruin-and-recreate iterations of the polish.
    pub polish_iterations: u64,
}

impl Default for PlanLimits {
    /// 10 s, seed 0, 2,000 solver and 500 polish iterations.
    fn default() -> Self {
        PlanLimits {
            time_limit_ms: 10_000,
            seed: 0,
            solver_iterations: 2_000,
            polish_iterations: 500,
        }
    }
}

/// A station's morning to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    /// The station every courier leaves from and returns to.
    pub depot: GeoPoint,
    /// The doors.
    pub stops: Vec<PlanStop>,
    /// The couriers.
    pub couriers: Vec<PlanCourier>,
    /// Largest distance from a point to its road, metres.
    pub max_snap_m: f64,
    /// What stability is worth; `None`: plan from scratch, ignoring [`PlanStop::previous`].
    pub stability: Option<Stability>,
    /// Search limits.
    pub limits: PlanLimits,
}

impl PlanRequest {
    /// Checks every field, naming the first bad one (`stops[3].quantity`). Both engine
    /// implementations call it before planning.
    pub fn check(&self) -> Result<(), DairyError> {
        check_sizes(self.stops.len(), self.couriers.len(), self.max_snap_m)?;
        for (i, s) in self.stops.iter().enumerate() {
            check_stop(i, s.quantity, s.service_s)?;
            if let Some(p) = s.previous {
                if !(0..=2 * 86_400).contains(&p.arrival_s) {
                    return Err(invalid(
                        "stops[].previous.arrival_s",
                        format!("stops[{i}]: must be 0 to 172800"),
                    ));
                }
            }
        }
        check_couriers(&self.couriers)?;
        if let Some(w) = self.stability {
            for (field, v) in [
                ("stability.courier_change_s", w.courier_change_s),
                ("stability.shift_tolerance_s", w.shift_tolerance_s),
                ("stability.shift_cost_per_s", w.shift_cost_per_s),
                ("stability.shift_cap_s", w.shift_cap_s),
            ] {
                if !(0..=86_400).contains(&v) {
                    return Err(invalid(field, "must be 0 to 86400"));
                }
            }
        }
        let l = self.limits;
        if !(1..=MAX_TIME_LIMIT_MS).contains(&l.time_limit_ms) {
            return Err(invalid(
                "limits.time_limit_ms",
                format!("must be 1 to {MAX_TIME_LIMIT_MS}"),
            ));
        }
        Ok(())
    }
}

/// The sizes a plan request and an open day share: the stops, the couriers, the snap limit.
pub(crate) fn check_sizes(
    stops: usize,
    couriers: usize,
    max_snap_m: f64,
) -> Result<(), DairyError> {
    if stops > MAX_PLAN_STOPS {
        return Err(invalid("stops", format!("more than {MAX_PLAN_STOPS}")));
    }
    if couriers == 0 || couriers > MAX_PLAN_COURIERS {
        return Err(invalid(
            "couriers",
            format!("needs 1 to {MAX_PLAN_COURIERS}"),
        ));
    }
    if !(max_snap_m.is_finite() && max_snap_m > 0.0) {
        return Err(invalid("max_snap_m", "must be a positive number"));
    }
    Ok(())
}

/// Stop `i`'s quantity and service time.
pub(crate) fn check_stop(i: usize, quantity: u32, service_s: i64) -> Result<(), DairyError> {
    if !(1..=MAX_STOP_QUANTITY).contains(&quantity) {
        return Err(invalid(
            "stops[].quantity",
            format!("stops[{i}]: must be 1 to {MAX_STOP_QUANTITY}"),
        ));
    }
    if !(0..=MAX_SERVICE_S).contains(&service_s) {
        return Err(invalid(
            "stops[].service_s",
            format!("stops[{i}]: must be 0 to {MAX_SERVICE_S}"),
        ));
    }
    Ok(())
}

/// The couriers: each listed once, a capacity, a shift within two days.
pub(crate) fn check_couriers(couriers: &[PlanCourier]) -> Result<(), DairyError> {
    let mut ids: Vec<CourierId> = couriers.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("couriers[].id", "a courier is listed twice"));
    }
    for (k, c) in couriers.iter().enumerate() {
        if !(1..=1_000_000).contains(&c.capacity) {
            return Err(invalid(
                "couriers[].capacity",
                format!("couriers[{k}]: must be 1 to 1000000"),
            ));
        }
        if !(0..86_400).contains(&c.shift_start_s)
            || c.shift_end_s <= c.shift_start_s
            || c.shift_end_s > 2 * 86_400
        {
            return Err(invalid(
                "couriers[].shift",
                format!("couriers[{k}]: needs 0 <= start < 86400 and start < end <= 172800"),
            ));
        }
    }
    Ok(())
}

/// A household's visit in a planned route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedVisit {
    /// Index of the stop in [`PlanRequest::stops`].
    pub stop: u32,
    /// Planned arrival, seconds since midnight.
    pub arrival_s: i64,
}

/// One courier's planned route (couriers with nothing to do have an empty one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRoute {
    /// The courier.
    pub courier: CourierId,
    /// The visits, in order.
    pub visits: Vec<PlannedVisit>,
    /// Distance from the station back to it, metres.
    pub dist_m: i64,
    /// Riding time from the station back to it (no service or waiting), seconds.
    pub travel_s: i64,
}

/// The plan of a morning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanAnswer {
    /// One route per courier of the request, in request order.
    pub routes: Vec<PlannedRoute>,
    /// Indices of the stops no courier can serve.
    pub unserved: Vec<u32>,
}

impl PlanAnswer {
    /// Checks an answer against its request (a remote engine is not trusted): one route per
    /// courier in order, every stop exactly once (visited or unserved), arrivals within a
    /// day and a half.
    pub fn check(&self, req: &PlanRequest) -> Result<(), DairyError> {
        if self.routes.len() != req.couriers.len()
            || self
                .routes
                .iter()
                .zip(&req.couriers)
                .any(|(r, c)| r.courier != c.id)
        {
            return Err(invalid(
                "answer.routes",
                "not one route per courier in request order",
            ));
        }
        let mut seen = vec![false; req.stops.len()];
        let visits = self
            .routes
            .iter()
            .flat_map(|r| r.visits.iter().map(|v| v.stop));
        for s in visits.chain(self.unserved.iter().copied()) {
            match seen.get_mut(s as usize) {
                Some(x) if !*x => *x = true,
                _ => {
                    return Err(invalid(
                        "answer.routes",
                        format!("stop {s} is unknown or planned twice"),
                    ))
                }
            }
        }
        if seen.iter().any(|x| !x) {
            return Err(invalid(
                "answer.routes",
                "a stop is neither planned nor unserved",
            ));
        }
        let bad_time = self
            .routes
            .iter()
            .flat_map(|r| &r.visits)
            .any(|v| !(0..=2 * 86_400).contains(&v.arrival_s));
        if bad_time {
            return Err(invalid(
                "answer.routes[].visits[].arrival_s",
                "out of range",
            ));
        }
        Ok(())
    }

    /// Total distance, metres.
    pub fn dist_m(&self) -> i64 {
        self.routes.iter().map(|r| r.dist_m).sum()
    }
}

/// The routing engine as the dairy layer sees it. Generic (not `dyn`): the night is
/// `Store::plan_night::<E>`.
pub trait Engine {
    /// Why a call failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The distance from each point to its road, metres, in order; a point farther than
    /// `max_snap_m` is an error.
    fn snap(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<Vec<f64>, Self::Error>> + Send;

    /// Travel times and distances between all points, on the roads.
    fn matrix(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<TravelMatrix, Self::Error>> + Send;

    /// Plans a station's morning: the VRP solver and the polished nightly plan, or, with
    /// [`PlanRequest::stability`], yesterday's routes repaired and improved under the
    /// stability costs.
    fn plan(
        &self,
        req: &PlanRequest,
    ) -> impl Future<Output = Result<PlanAnswer, Self::Error>> + Send;

    /// Opens a live day from the night's plan (checked with [`OpenDay::check`]); the day is at
    /// plan version 1.
    fn open_day(
        &self,
        day: &OpenDay,
    ) -> impl Future<Output = Result<(DayId, DayView), Self::Error>> + Send;

    /// Applies events in order, each re-planning the day (checked with
    /// [`live_day::check_events`] against `day`, the request it was opened with). An event
    /// id applied before answers its first result and changes nothing; an event expecting
    /// another plan version than the day's is refused, with the events before it applied.
    fn apply_events(
        &self,
        id: &DayId,
        day: &OpenDay,
        events: &[DayEvent],
    ) -> impl Future<Output = Result<AppliedEvents, Self::Error>> + Send;

    /// The day as it stands.
    fn get_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, Self::Error>> + Send;

    /// Forecasts a daily series with the automatic model choice (checked with
    /// [`ForecastRequest::check`]; the answer with [`forecast::check_forecast`]).
    fn forecast_demand(
        &self,
        req: &ForecastRequest,
    ) -> impl Future<Output = Result<Vec<ForecastDay>, Self::Error>> + Send;

    /// Closes the day: it takes no more events. Answers the day as it ended.
    fn close_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, Self::Error>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Result<PlanRequest, DairyError> {
        Ok(PlanRequest {
            depot: GeoPoint::new(47.14, 9.52)?,
            stops: vec![PlanStop {
                household: HouseholdId(1),
                point: GeoPoint::new(47.15, 9.52)?,
                window: DeliveryWindow::new(18_000, 25_200)?,
                quantity: 2,
                service_s: 30,
                previous: None,
            }],
            couriers: vec![PlanCourier {
                id: CourierId(7),
                capacity: 100,
                shift_start_s: 16_200,
                shift_end_s: 32_400,
            }],
            max_snap_m: 500.0,
            stability: None,
            limits: PlanLimits::default(),
        })
    }

    /// A request is checked field by field; an answer must cover every stop exactly once.
    #[test]
    fn requests_and_answers_are_checked() -> Result<(), DairyError> {
        let req = request()?;
        req.check()?;
        let mut bad = req.clone();
        bad.stops[0].quantity = 0;
        assert!(matches!(
            bad.check(),
            Err(DairyError::Invalid {
                field: "stops[].quantity",
                ..
            })
        ));
        let mut bad = req.clone();
        bad.couriers.push(bad.couriers[0]);
        assert!(bad.check().is_err());
        let mut bad = req.clone();
        bad.max_snap_m = f64::NAN;
        assert!(bad.check().is_err());
        let route = |visits| PlannedRoute {
            courier: CourierId(7),
            visits,
            dist_m: 0,
            travel_s: 0,
        };
        let ok = PlanAnswer {
            routes: vec![route(vec![PlannedVisit {
                stop: 0,
                arrival_s: 18_000,
            }])],
            unserved: vec![],
        };
        ok.check(&req)?;
        let twice = PlanAnswer {
            unserved: vec![0],
            ..ok.clone()
        };
        assert!(twice.check(&req).is_err());
        let none = PlanAnswer {
            routes: vec![route(vec![])],
            unserved: vec![],
        };
        assert!(none.check(&req).is_err());
        Ok(())
    }
}
