//! The live day on the roads, shared by the service's Dispatch API and the dairy layer's
//! in-process engine ([`crate::night::LocalEngine`]), so both run a morning the same way:
//! the re-plan options ([`replan_options`]), opening a day from a plan ([`open_live_day`]),
//! a jam reported in an area ([`slowed`]), and, for the in-process engine, the open days
//! ([`LocalDays`]) with the dairy layer's events converted to the dispatch crate's (a late
//! order's address added to the day's matrix by [`RoadLocations::add_to`], as the Dispatch
//! API's `NewStop` does) and its day back to a [`DayView`].
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use milkrun_dairy::engine::{
    live_day, AppliedEvents, DayEvent, DayEventKind, DayId, DayRoute, DayStop, DayStopView,
    DayView, EventResult, OpenDay, StopStatus,
};
use milkrun_dispatch::{
    CourierSpec, Dispatch, Event, EventKind, LiveDay, LiveError, Progression, ReplanOptions,
    StopSpec, StopState, TravelTimes, Weights,
};
use milkrun_engine::{LatLon, RoadEngine};

use crate::road::{lat_lon, RoadLocations};
use crate::StationError;

/// Time budget of one re-plan. The work limit below ends a re-plan of a day of a few
/// hundred stops well before it, so a replayed log gives the same plan.
pub const REPLAN_BUDGET: Duration = Duration::from_secs(2);
/// Local-search move evaluations of one re-plan.
pub const REPLAN_EVALUATIONS: u64 = 200_000;
/// Most days one in-process engine holds open.
pub const MAX_LOCAL_DAYS: usize = 1_000;

/// The re-plan options of every live-day event (deterministic within the budget).
pub fn replan_options() -> ReplanOptions {
    ReplanOptions {
        budget: REPLAN_BUDGET,
        max_evaluations: Some(REPLAN_EVALUATIONS),
        ..ReplanOptions::default()
    }
}

/// Opens a day: snaps `points` (the depot first, then one per stop, stop `i` at location
/// `i + 1`), builds their matrix on `roads`, and sets the plan (`routes`: stop indices per
/// courier) with the couriers reporting their progress.
pub fn open_live_day(
    roads: &RoadEngine,
    points: &[LatLon],
    max_snap_m: f64,
    stops: Vec<StopSpec>,
    couriers: Vec<CourierSpec>,
    routes: &[Vec<u32>],
) -> Result<(LiveDay, RoadLocations), StationError> {
    let locations = RoadLocations::snap(roads, points, max_snap_m)?;
    let times = locations.matrix(roads)?;
    let mut day = Dispatch::new(times, 0, stops, couriers, Weights::default())?;
    day.set_progression(Progression::Reported);
    day.set_plan(routes, &replan_options())?;
    Ok((LiveDay::open(day), locations))
}

/// The day's matrix with a jam: the legs into or out of the locations marked `inside` take
/// `percent` percent of their base time (unreachable legs stay so). The result has no
/// time-of-day slots of its own: a day applying it as traffic keeps its slots, if any.
pub fn slowed(times: &TravelTimes, inside: &[bool], percent: u32) -> TravelTimes {
    let at = |l: usize| inside.get(l).copied().unwrap_or(false);
    TravelTimes::from_fn(times.len(), |i, j| {
        let (t, d) = (
            times.travel(i as u32, j as u32),
            times.dist(i as u32, j as u32),
        );
        let slow = (at(i) || at(j)) && t > 0 && t < milkrun_dispatch::UNREACHABLE_S;
        let t = if slow {
            t.saturating_mul(i64::from(percent)) / 100
        } else {
            t
        };
        (t, d)
    })
}

/// One open day of the in-process engine.
#[derive(Debug)]
struct LocalDay {
    live: LiveDay,
    locations: RoadLocations,
    /// Stops of the day: the open request's, then the new ones (the next one's index).
    stops: u32,
}

/// The days an in-process engine holds open (at most [`MAX_LOCAL_DAYS`]).
#[derive(Debug, Default)]
pub struct LocalDays {
    days: Mutex<HashMap<String, LocalDay>>,
    next: AtomicU64,
}

fn unknown(id: &DayId) -> StationError {
    StationError::Dairy(milkrun_dairy::DairyError::Invalid {
        field: "day_id",
        reason: format!("no open day {:?}", id.as_str()),
    })
}

fn live_error(e: LiveError) -> StationError {
    match e {
        LiveError::Replan(e) => StationError::Dispatch(e),
        other => StationError::Dairy(milkrun_dairy::DairyError::Invalid {
            field: "events",
            reason: other.to_string(),
        }),
    }
}

fn invalid(field: &'static str, reason: String) -> StationError {
    StationError::Dairy(milkrun_dairy::DairyError::Invalid { field, reason })
}

/// A late order's stop: its address added to the day's matrix at the next location.
fn new_stop(
    roads: &RoadEngine,
    d: &mut LocalDay,
    open: &OpenDay,
    stop: u32,
    spec: &DayStop,
) -> Result<EventKind, StationError> {
    if stop != d.stops {
        return Err(invalid(
            "new_stop.stop",
            if stop < d.stops {
                format!("stop {stop} is already in the day")
            } else {
                format!("must be {}, the day's next stop", d.stops)
            },
        ));
    }
    let loc = d
        .locations
        .add_to(
            roads,
            d.live.day_mut(),
            lat_lon(spec.point),
            open.max_snap_m,
        )
        .map_err(|e| match e {
            StationError::Road(e) => invalid("new_stop.point", e.to_string()),
            other => other,
        })?;
    Ok(EventKind::NewOrder(StopSpec {
        household: stop,
        loc,
        bottles: i64::from(spec.quantity),
        service_s: spec.service_s,
        window_s: (spec.window.start_s, spec.window.end_s),
    }))
}

/// The dispatch crate's event of a checked dairy event (stop `i` is household `i`, at
/// location `i + 1` for the open request's stops; courier `k` of the request is courier
/// index `k`). A new stop's address is added to the day's matrix here (at the next
/// location), before its event is applied.
fn to_event(
    roads: &RoadEngine,
    d: &mut LocalDay,
    open: &OpenDay,
    e: &DayEvent,
) -> Result<Event, StationError> {
    let courier = |c: milkrun_dairy::ids::CourierId| {
        open.courier_index(c).ok_or_else(|| {
            StationError::Dairy(milkrun_dairy::DairyError::Invalid {
                field: "courier",
                reason: format!("no courier {c} in the day"),
            })
        })
    };
    let day = d.live.day();
    let kind = match &e.kind {
        DayEventKind::Delivered { stop } => EventKind::Delivered { household: *stop },
        DayEventKind::Failed { stop, retry_s, .. } => EventKind::Failed {
            household: *stop,
            retry_s: *retry_s,
        },
        DayEventKind::Position {
            courier: c,
            at_stop,
        } => EventKind::Position {
            courier: courier(*c)?,
            loc: match at_stop {
                None => day.depot(),
                Some(s) => day
                    .stops()
                    .iter()
                    .find(|st| st.household == *s)
                    .map_or(day.depot(), |st| st.loc),
            },
        },
        DayEventKind::Cancel { stop } => EventKind::Cancel { household: *stop },
        DayEventKind::Breakdown { courier: c } => EventKind::Breakdown {
            courier: courier(*c)?,
        },
        DayEventKind::Delay {
            courier: c,
            delay_s,
        } => EventKind::Delay {
            courier: courier(*c)?,
            delay_s: *delay_s,
        },
        DayEventKind::SignedOff { courier: c } => EventKind::SignedOff {
            courier: courier(*c)?,
        },
        DayEventKind::TrafficRefresh => EventKind::Traffic(Box::new(d.locations.matrix(roads)?)),
        DayEventKind::Slowdown {
            stops,
            depot,
            percent,
        } => {
            let mut inside = vec![false; day.times().len()];
            if *depot {
                inside[day.depot() as usize] = true;
            }
            // A stop's locations (a new stop's is not `s + 1`).
            let mut named = vec![false; d.stops as usize];
            for &s in stops {
                if let Some(x) = named.get_mut(s as usize) {
                    *x = true;
                }
            }
            for st in day.stops() {
                if named.get(st.household as usize).copied().unwrap_or(false) {
                    if let Some(x) = inside.get_mut(st.loc as usize) {
                        *x = true;
                    }
                }
            }
            EventKind::Traffic(Box::new(slowed(day.times(), &inside, *percent)))
        }
        DayEventKind::NewStop { stop, spec } => new_stop(roads, d, open, *stop, spec)?,
        DayEventKind::AddBottles { stop, bottles } => EventKind::AddBottles {
            household: *stop,
            bottles: i64::from(*bottles),
        },
    };
    Ok(Event {
        time_s: e.time_s,
        kind,
    })
}

/// Where a stop stands, for the dairy layer.
pub fn status(s: &StopState) -> StopStatus {
    match s {
        StopState::Done { .. } => StopStatus::Done,
        StopState::Failed => StopStatus::Failed,
        StopState::Cancelled => StopStatus::Cancelled,
        StopState::CarriedOver => StopStatus::CarriedOver,
        StopState::Unserved(_) => StopStatus::Unserved,
        _ => StopStatus::Pending,
    }
}

/// A live day as the dairy layer sees it (stop `s` is named by its household, the index of
/// the open request; courier `k` by the request's courier `k`).
pub fn view(live: &LiveDay, open: &OpenDay, is_open: bool) -> DayView {
    let d = live.day();
    let household = |s: u32| d.stops().get(s as usize).map_or(s, |st| st.household);
    let id = |k: usize| open.couriers.get(k).map(|c| c.id);
    let mut route_of = vec![None; d.stops().len()];
    let mut routes = Vec::with_capacity(d.routes().len());
    for (k, r) in d.routes().iter().enumerate() {
        for &s in r.done.iter().chain(r.committed.iter()).chain(&r.planned) {
            if let Some(slot) = route_of.get_mut(s as usize) {
                *slot = Some(k);
            }
        }
        if let Some(courier) = id(k) {
            routes.push(DayRoute {
                courier,
                active: r.active,
                done: r.done.iter().map(|&s| household(s)).collect(),
                next: r.committed.map(household),
                planned: r.planned.iter().map(|&s| household(s)).collect(),
            });
        }
    }
    let stops = d
        .stops()
        .iter()
        .enumerate()
        .map(|(s, spec)| {
            let state = &d.states()[s];
            let courier = match state {
                StopState::Done { courier, .. } => Some(*courier),
                _ => route_of[s],
            };
            DayStopView {
                stop: spec.household,
                status: status(state),
                courier: courier.and_then(id),
                eta_s: d.eta()[s],
                promised_s: d.first_promise()[s],
                quantity: u32::try_from(spec.bottles).unwrap_or(u32::MAX),
                reason: match state {
                    StopState::Unserved(r) => Some(r.to_string()),
                    _ => None,
                },
            }
        })
        .collect();
    DayView {
        plan_version: live.version(),
        open: is_open,
        clock_s: d.clock_s(),
        routes,
        stops,
    }
}

impl LocalDays {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LocalDay>> {
        self.days.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a day on `roads` (checked first); its id is `local-<n>`.
    pub fn open(
        &self,
        roads: &RoadEngine,
        open: &OpenDay,
    ) -> Result<(DayId, DayView), StationError> {
        open.check()?;
        if self.lock().len() >= MAX_LOCAL_DAYS {
            return Err(StationError::TooLarge {
                field: "open days",
                size: MAX_LOCAL_DAYS + 1,
                max: MAX_LOCAL_DAYS,
            });
        }
        let points: Vec<LatLon> = std::iter::once(open.depot)
            .chain(open.stops.iter().map(|s| s.point))
            .map(lat_lon)
            .collect();
        let stops = (0u32..)
            .zip(&open.stops)
            .map(|(i, s)| StopSpec {
                household: i,
                loc: i + 1,
                bottles: i64::from(s.quantity),
                service_s: s.service_s,
                window_s: (s.window.start_s, s.window.end_s),
            })
            .collect();
        let couriers = (0u32..)
            .zip(&open.couriers)
            .map(|(k, c)| CourierSpec {
                id: k,
                capacity: i64::from(c.capacity),
                shift_start_s: c.shift_start_s,
                shift_end_s: c.shift_end_s,
            })
            .collect();
        let (live, locations) = open_live_day(
            roads,
            &points,
            open.max_snap_m,
            stops,
            couriers,
            &open.routes,
        )?;
        let view = view(&live, open, true);
        let id = DayId::new(format!(
            "local-{}",
            self.next.fetch_add(1, Ordering::Relaxed) + 1
        ))?;
        let stops = u32::try_from(open.stops.len()).map_err(|_| StationError::TooLarge {
            field: "stops",
            size: open.stops.len(),
            max: u32::MAX as usize,
        })?;
        self.lock().insert(
            id.as_str().to_string(),
            LocalDay {
                live,
                locations,
                stops,
            },
        );
        Ok((id, view))
    }

    /// Applies checked events in order; the first refused ends the call with its error (the
    /// events before it stay applied).
    pub fn apply(
        &self,
        roads: &RoadEngine,
        id: &DayId,
        open: &OpenDay,
        events: &[DayEvent],
    ) -> Result<AppliedEvents, StationError> {
        live_day::check_events(open, events)?;
        let mut days = self.lock();
        let d = days.get_mut(id.as_str()).ok_or_else(|| unknown(id))?;
        let options = replan_options();
        let mut results = Vec::with_capacity(events.len());
        for e in events {
            if let Some(first) = d
                .live
                .admit(&e.event_id, e.expected_version, None)
                .map_err(live_error)?
            {
                results.push(EventResult {
                    plan_version: first.plan_version,
                    replayed: true,
                    moved: Vec::new(),
                    arrivals_shifted: 0,
                    max_shift_s: 0,
                });
                continue;
            }
            let event = to_event(roads, d, open, e)?;
            let applied = d
                .live
                .apply(&e.event_id, e.expected_version, None, event, &options)
                .map_err(live_error)?;
            if matches!(e.kind, DayEventKind::NewStop { .. }) {
                d.stops += 1;
            }
            let day = d.live.day();
            let moved = applied
                .report
                .iter()
                .flat_map(|r| r.moved.iter())
                .filter_map(|m| day.stops().get(m.stop as usize))
                .map(|s| s.household)
                .collect();
            let report = applied.report.as_ref();
            results.push(EventResult {
                plan_version: applied.plan_version,
                replayed: false,
                moved,
                arrivals_shifted: report
                    .map_or(0, |r| u32::try_from(r.arrivals_shifted).unwrap_or(u32::MAX)),
                max_shift_s: report.map_or(0, |r| r.max_shift_s),
            });
        }
        Ok(AppliedEvents {
            results,
            day: view(&d.live, open, true),
        })
    }

    /// The day as it stands.
    pub fn get(&self, id: &DayId, open: &OpenDay) -> Result<DayView, StationError> {
        let days = self.lock();
        let d = days.get(id.as_str()).ok_or_else(|| unknown(id))?;
        Ok(view(&d.live, open, true))
    }

    /// Closes a day (it is forgotten); the day as it ended.
    pub fn close(&self, id: &DayId, open: &OpenDay) -> Result<DayView, StationError> {
        let d = self.lock().remove(id.as_str()).ok_or_else(|| unknown(id))?;
        Ok(view(&d.live, open, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slowdown doubles the legs into or out of the marked locations and no other;
    /// unreachable legs and distances stay as they were.
    #[test]
    fn slowed_touches_only_the_area() {
        let times = TravelTimes::from_fn(3, |i, j| {
            let d = (i as i64 - j as i64).abs();
            (d * 60, d * 250)
        });
        let s = slowed(&times, &[false, true, false], 200);
        assert_eq!(s.travel(0, 1), 120);
        assert_eq!(s.travel(1, 2), 120);
        assert_eq!(s.travel(2, 1), 120);
        assert_eq!(
            s.travel(0, 2),
            times.travel(0, 2),
            "0 → 2 touches no marked place"
        );
        assert_eq!(s.travel(2, 0), times.travel(2, 0));
        assert_eq!(s.dist(0, 1), 250);
    }
}
