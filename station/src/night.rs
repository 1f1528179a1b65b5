//! The dairy layer's engine, in process: [`LocalEngine`] implements
//! [`milkrun_dairy::engine::Engine`] on a [`RoadEngine`], and [`plan_on_roads`] /
//! [`plan_on_matrix`] turn a [`PlanRequest`] into a [`Dispatch`] and its plan back into a
//! [`PlanAnswer`]. The service's `Routes.PlanDay` calls the same [`plan_on_roads`], so the
//! in-process and the remote engine give the same plan for the same request. The live day
//! of the interface runs on [`crate::live`], which the service's Dispatch API shares.
//!
//! Without stability (or without a previous plan) the morning is planned from scratch
//! ([`Dispatch::plan_with_solver`]: the VRP solver, then the polish). With it, yesterday's
//! routes (the stops of today in yesterday's order, per courier) are the start
//! ([`Dispatch::plan_stable`]): new stops are inserted, late routes repaired, and the search
//! moves a household to another courier or its arrival beyond the tolerance only where that
//! saves more than the [`Stability`] weights charge.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use milkrun_dairy::engine::{
    AppliedEvents, DayEvent, DayId, DayView, Engine, ForecastDay, ForecastRequest, OpenDay,
    PlanAnswer, PlanRequest, PlannedRoute, PlannedVisit, Stability, TravelMatrix,
};
use milkrun_dairy::household::GeoPoint;
use milkrun_dispatch::{CourierSpec, Dispatch, ReplanOptions, StopSpec, TravelTimes, Weights};
use milkrun_engine::{LatLon, RoadEngine};

use crate::live::LocalDays;
use crate::road::{lat_lon, RoadLocations};
use crate::StationError;

/// The dispatch weights of a plan: the stability weights for the disruption terms, the
/// default unserved penalty.
pub fn weights(stability: Option<Stability>) -> Weights {
    match stability {
        None => Weights::default(),
        Some(s) => Weights {
            move_cost: s.courier_change_s,
            promise_tolerance_s: s.shift_tolerance_s,
            promise_per_s: s.shift_cost_per_s,
            promise_cap_s: s.shift_cap_s,
            ..Weights::default()
        },
    }
}

/// Plans a request on the roads: snaps the station (location 0) and the stops (location
/// `i + 1`), builds their matrix on the engine's current traffic, and plans
/// ([`plan_on_matrix`]).
pub fn plan_on_roads(roads: &RoadEngine, req: &PlanRequest) -> Result<PlanAnswer, StationError> {
    req.check()?;
    let points: Vec<LatLon> = std::iter::once(req.depot)
        .chain(req.stops.iter().map(|s| s.point))
        .map(lat_lon)
        .collect();
    let locs = RoadLocations::snap(roads, &points, req.max_snap_m)?;
    let times = locs.matrix(roads)?;
    plan_on_matrix(times, req)
}

/// Plans a request on a matrix whose location 0 is the station and `i + 1` stop `i`.
pub fn plan_on_matrix(times: TravelTimes, req: &PlanRequest) -> Result<PlanAnswer, StationError> {
    req.check()?;
    if times.len() != req.stops.len() + 1 {
        return Err(StationError::TooLarge {
            field: "times",
            size: times.len(),
            max: req.stops.len() + 1,
        });
    }
    let stops: Vec<StopSpec> = req
        .stops
        .iter()
        .enumerate()
        .map(|(i, s)| StopSpec {
            household: i as u32,
            loc: i as u32 + 1,
            bottles: i64::from(s.quantity),
            service_s: s.service_s,
            window_s: (s.window.start_s, s.window.end_s),
        })
        .collect();
    let couriers: Vec<CourierSpec> = req
        .couriers
        .iter()
        .enumerate()
        .map(|(k, c)| CourierSpec {
            id: k as u32,
            capacity: i64::from(c.capacity),
            shift_start_s: c.shift_start_s,
            shift_end_s: c.shift_end_s,
        })
        .collect();
    let mut day = Dispatch::new(times, 0, stops, couriers, weights(req.stability))?;
    let options = ReplanOptions {
        budget: Duration::from_millis(req.limits.time_limit_ms),
        seed: req.limits.seed,
        iteration_limit: Some(req.limits.solver_iterations),
        polish_iterations: Some(req.limits.polish_iterations),
        ..ReplanOptions::default()
    };
    let mut previous = vec![Vec::new(); req.couriers.len()];
    let mut promises = vec![None; req.stops.len()];
    if req.stability.is_some() {
        let mut keyed: Vec<Vec<(i64, u32)>> = vec![Vec::new(); req.couriers.len()];
        for (i, s) in req.stops.iter().enumerate() {
            let Some(p) = s.previous else { continue };
            promises[i] = Some(p.arrival_s);
            if let Some(k) = req.couriers.iter().position(|c| c.id == p.courier) {
                keyed[k].push((p.arrival_s, i as u32));
            }
        }
        for (k, mut v) in keyed.into_iter().enumerate() {
            v.sort_unstable();
            previous[k] = v.into_iter().map(|(_, s)| s).collect();
        }
    }
    if previous.iter().any(|r| !r.is_empty()) {
        day.plan_stable(&previous, &promises, &options)?;
    } else {
        day.plan_with_solver(&options)?;
    }
    Ok(answer(&day, req))
}

/// The day's plan as an answer: one route per courier, riding totals from and back to the
/// station on the static matrix, and the stops on no route.
fn answer(day: &Dispatch, req: &PlanRequest) -> PlanAnswer {
    let times = day.times();
    let mut on_route = vec![false; req.stops.len()];
    let routes = day
        .routes()
        .iter()
        .zip(&req.couriers)
        .map(|(r, c)| {
            let seq: Vec<u32> = r.committed.iter().chain(&r.planned).copied().collect();
            let mut visits = Vec::with_capacity(seq.len());
            let (mut dist_m, mut travel_s, mut at) = (0, 0, day.depot());
            for &s in &seq {
                let loc = day.stops()[s as usize].loc;
                dist_m += times.dist(at, loc);
                travel_s += times.travel(at, loc);
                at = loc;
                on_route[s as usize] = true;
                visits.push(PlannedVisit {
                    stop: s,
                    arrival_s: day.eta()[s as usize].unwrap_or(0),
                });
            }
            if !seq.is_empty() {
                dist_m += times.dist(at, day.depot());
                travel_s += times.travel(at, day.depot());
            }
            PlannedRoute {
                courier: c.id,
                visits,
                dist_m,
                travel_s,
            }
        })
        .collect();
    let unserved = (0..req.stops.len() as u32)
        .filter(|&s| !on_route[s as usize])
        .collect();
    PlanAnswer { routes, unserved }
}

/// The dairy layer's engine in process, on a road engine shared with whoever else uses it,
/// and the live days it holds open ([`LocalDays`], shared by its clones). Calls run on the
/// calling thread (the returned futures are ready at once).
#[derive(Debug, Clone)]
pub struct LocalEngine {
    roads: Arc<RoadEngine>,
    days: Arc<LocalDays>,
}

impl LocalEngine {
    /// An engine on `roads`.
    pub fn new(roads: Arc<RoadEngine>) -> LocalEngine {
        LocalEngine {
            roads,
            days: Arc::new(LocalDays::default()),
        }
    }

    fn matrix_now(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> Result<TravelMatrix, StationError> {
        let ll: Vec<LatLon> = points.iter().copied().map(lat_lon).collect();
        // Door to door, as the plan and the live day count (and the remote engine's matrix).
        let locs = RoadLocations::snap(&self.roads, &ll, max_snap_m)?;
        let m = self
            .roads
            .matrix_doors(&locs.doors, &locs.doors, locs.access, None)?;
        let n = ll.len();
        let mut travel_s = Vec::with_capacity(n * n);
        let mut dist_m = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                travel_s.push(
                    m.travel_ms(i, j)
                        .map_or(-1, |ms| (i64::from(ms) + 500) / 1000),
                );
                dist_m.push(m.meters(i, j).map_or(-1, i64::from));
            }
        }
        Ok(TravelMatrix {
            size: n,
            travel_s,
            dist_m,
        })
    }
}

impl Engine for LocalEngine {
    type Error = StationError;

    fn snap(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<Vec<f64>, StationError>> + Send {
        let ll: Vec<LatLon> = points.iter().copied().map(lat_lon).collect();
        let r = self
            .roads
            .snap_all(&ll, max_snap_m)
            .map(|s| s.iter().map(|p| p.snap_m).collect())
            .map_err(StationError::from);
        std::future::ready(r)
    }

    fn matrix(
        &self,
        points: &[GeoPoint],
        max_snap_m: f64,
    ) -> impl Future<Output = Result<TravelMatrix, StationError>> + Send {
        std::future::ready(self.matrix_now(points, max_snap_m))
    }

    fn plan(
        &self,
        req: &PlanRequest,
    ) -> impl Future<Output = Result<PlanAnswer, StationError>> + Send {
        std::future::ready(plan_on_roads(&self.roads, req))
    }

    fn open_day(
        &self,
        day: &OpenDay,
    ) -> impl Future<Output = Result<(DayId, DayView), StationError>> + Send {
        std::future::ready(self.days.open(&self.roads, day))
    }

    fn apply_events(
        &self,
        id: &DayId,
        day: &OpenDay,
        events: &[DayEvent],
    ) -> impl Future<Output = Result<AppliedEvents, StationError>> + Send {
        std::future::ready(self.days.apply(&self.roads, id, day, events))
    }

    fn get_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, StationError>> + Send {
        std::future::ready(self.days.get(id, day))
    }

    fn close_day(
        &self,
        id: &DayId,
        day: &OpenDay,
    ) -> impl Future<Output = Result<DayView, StationError>> + Send {
        std::future::ready(self.days.close(id, day))
    }

    fn forecast_demand(
        &self,
        req: &ForecastRequest,
    ) -> impl Future<Output = Result<Vec<ForecastDay>, StationError>> + Send {
        std::future::ready(crate::forecast::forecast_demand(req))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use milkrun_dairy::engine::{PlanCourier, PlanLimits, PlanStop, Previous};
    use milkrun_dairy::household::DeliveryWindow;
    use milkrun_dairy::ids::{CourierId, HouseholdId};

    /// Station 0 and `n` doors on a line, 60 s and 250 m apart.
    fn line(n: usize) -> TravelTimes {
        TravelTimes::from_fn(n + 1, |i, j| {
            let d = (i as i64 - j as i64).abs();
            (d * 60, d * 250)
        })
    }

    fn request(n: usize) -> PlanRequest {
        PlanRequest {
            depot: GeoPoint::new(47.14, 9.52).unwrap(),
            stops: (0..n)
                .map(|i| PlanStop {
                    household: HouseholdId(i as i64),
                    point: GeoPoint::new(47.14, 9.52).unwrap(),
                    window: DeliveryWindow::new(18_000, 27_000).unwrap(),
                    quantity: 1,
                    service_s: 30,
                    previous: None,
                })
                .collect(),
            couriers: (1..=2)
                .map(|c| PlanCourier {
                    id: CourierId(c),
                    capacity: 4,
                    shift_start_s: 16_200,
                    shift_end_s: 32_400,
                })
                .collect(),
            max_snap_m: 500.0,
            stability: None,
            limits: PlanLimits {
                solver_iterations: 200,
                polish_iterations: 50,
                ..PlanLimits::default()
            },
        }
    }

    /// The same request gives the same plan (work limits bind); a stable re-plan without
    /// the first door keeps every other door with its courier and within 15 minutes.
    #[test]
    fn deterministic_and_stable() {
        let req = request(8);
        let a = plan_on_matrix(line(8), &req).unwrap();
        assert_eq!(a, plan_on_matrix(line(8), &req).unwrap());
        a.check(&req).unwrap();
        assert!(a.unserved.is_empty());
        let mut prev = vec![None; 8];
        for r in &a.routes {
            for v in &r.visits {
                prev[v.stop as usize] = Some(Previous {
                    courier: r.courier,
                    arrival_s: v.arrival_s,
                });
            }
        }
        let mut next = request(8);
        next.stability = Some(Stability::default());
        for (s, p) in next.stops.iter_mut().zip(&prev) {
            s.previous = *p;
        }
        next.stops.remove(0);
        let b = plan_on_matrix(
            TravelTimes::from_fn(8, |i, j| {
                let (i, j) = (
                    if i == 0 { 0 } else { i + 1 },
                    if j == 0 { 0 } else { j + 1 },
                );
                let d = (i as i64 - j as i64).abs();
                (d * 60, d * 250)
            }),
            &next,
        )
        .unwrap();
        b.check(&next).unwrap();
        for r in &b.routes {
            for v in &r.visits {
                let p = next.stops[v.stop as usize].previous.unwrap();
                assert_eq!(p.courier, r.courier, "stop {} changed courier", v.stop);
                assert!((p.arrival_s - v.arrival_s).abs() <= 900);
            }
        }
    }
}
