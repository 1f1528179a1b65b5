//! One station's simulated morning. The sim simulates the world: couriers ride the routes
//! the engine gives them on the station's matrix, doors stay shut or are refused, the roads
//! of an area jam, a trike breaks down. The engine's live day (through the dairy layer's
//! [`Engine`] interface, in process or over the service's Dispatch API) takes what happens
//! as the couriers report it (a delivery made, a door shut with a same-day retry where the
//! tenant's exception policy gives one, the jam as a slowdown of the area and its clearing
//! as a traffic refresh, the breakdown, the dispatcher's late orders as new stops) and
//! answers each with a re-plan, which the couriers then ride. The baseline's morning is in [`crate::baseline`]; both see the same doors and
//! incidents.
use milkrun_dairy::engine::{
    DayEvent, DayEventKind, DayId, DayStop, DayView, Engine, EventResult, OpenDay, PlanCourier,
    StopStatus,
};
use milkrun_dairy::exception::{ExceptionPolicy, Remedy};
use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
use milkrun_dairy::ids::CourierId;
use milkrun_dairy::outcome::FailureReason;
use milkrun_dispatch::{CourierSpec, StopSpec, TravelTimes};

use crate::SimError;

/// A jam makes the legs touching its area take this many times as long.
pub const JAM_FACTOR: i64 = 2;
/// A same-day retry's window opens this long after the failed visit…
const RETRY_FROM_S: i64 = 20 * 60;
/// …and closes this long after it.
const RETRY_UNTIL_S: i64 = 80 * 60;

/// A jam: the locations (of the station's matrix) inside the jammed area, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Jam {
    /// Per location of the station's matrix: inside the jammed area.
    pub inside: Vec<bool>,
    /// When the roads jam, seconds since midnight.
    pub start_s: i64,
    /// When they clear.
    pub end_s: i64,
}

impl Jam {
    /// Whether the leg `a → b` (station matrix locations) is slowed.
    pub fn slows(&self, a: u32, b: u32) -> bool {
        let at = |l: u32| self.inside.get(l as usize).copied().unwrap_or(false);
        at(a) || at(b)
    }
}

/// What happens at one door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Someone takes the bottles.
    Open,
    /// Nobody opens.
    Shut,
    /// The customer refuses the delivery.
    Refused,
}

impl Door {
    /// The failure reason of a door that did not take the bottles.
    pub fn reason(self) -> Option<FailureReason> {
        match self {
            Door::Open => None,
            Door::Shut => Some(FailureReason::NotHome),
            Door::Refused => Some(FailureReason::Refused),
        }
    }
}

/// One stop of the morning (one household with an order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MorningStop {
    /// Location in the station's matrix.
    pub loc: u32,
    /// Bottles.
    pub bottles: u32,
    /// The household's delivery window, seconds since midnight.
    pub window_s: (i64, i64),
    /// What happens at the door.
    pub door: Door,
}

/// A station's morning to ride.
#[derive(Debug, Clone)]
pub struct Morning<'a> {
    /// The station's matrix (location 0 the station).
    pub times: &'a TravelTimes,
    /// The day's stops.
    pub stops: &'a [MorningStop],
    /// The couriers.
    pub couriers: &'a [CourierSpec],
    /// Service at a door, seconds.
    pub service_s: i64,
    /// The jam, if today has one.
    pub jam: Option<&'a Jam>,
    /// When a courier breaks down today, if one does; the courier is chosen among those
    /// with stops left by `breakdown_pick`.
    pub breakdown_s: Option<i64>,
    /// A seeded number choosing the broken-down courier.
    pub breakdown_pick: u64,
    /// The tenant's exception policy (decides which failures are retried the same day).
    pub policy: ExceptionPolicy,
    /// The station, where the couriers leave from.
    pub depot: GeoPoint,
    /// The point of every location of the station's matrix (0 the station).
    pub points: &'a [GeoPoint],
    /// Largest distance from a point to its road, metres.
    pub max_snap_m: f64,
    /// The dispatcher's late orders: the last `late.len()` of [`Morning::stops`] are not in
    /// the night's plan; late order `j` is placed at `late[j]` (seconds since midnight) and
    /// goes to the live day as a new stop then.
    pub late: &'a [i64],
}

/// How a stop's morning ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEnd {
    /// Delivered by courier index `courier` at `at_s`.
    Delivered {
        /// Courier index.
        courier: usize,
        /// Arrival, seconds since midnight.
        at_s: i64,
    },
    /// Visited at `at_s`, the door did not take the bottles; `retry` is the same-day retry's
    /// end when the policy gave one.
    Failed {
        /// Courier index.
        courier: usize,
        /// Arrival.
        at_s: i64,
        /// Why.
        reason: FailureReason,
        /// The retry's window and how it ended.
        retry: Option<((i64, i64), RetryEnd)>,
    },
    /// No courier could reach it (e.g. after a breakdown).
    Unserved,
}

/// How a same-day retry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryEnd {
    /// Delivered.
    Delivered {
        /// Courier index.
        courier: usize,
        /// Arrival.
        at_s: i64,
    },
    /// Not served.
    Unserved,
}

/// An incident of the morning and what the re-plan did, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MorningIncident {
    /// `jam`, `breakdown` or `late order`.
    pub kind: &'static str,
    /// In words.
    pub detail: String,
}

/// What a morning produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Ridden {
    /// One end per stop of the input.
    pub ends: Vec<StopEnd>,
    /// Per courier: metres ridden.
    pub ridden_m: Vec<i64>,
    /// Per courier: seconds from leaving the station to coming back (or breaking down).
    pub courier_s: Vec<i64>,
    /// Per courier: locations visited, in order (station first and last).
    pub paths: Vec<Vec<u32>>,
    /// The incidents.
    pub incidents: Vec<MorningIncident>,
    /// The courier index that broke down.
    pub broken: Option<usize>,
}

/// A failed visit: courier index, arrival, reason, and the retry's window.
type FailedVisit = (usize, i64, FailureReason, Option<(i64, i64)>);

/// The day's matrix (location 0 the station, `i + 1` stop `i`) from the station's, with the
/// legs touching `jam`'s area slowed when `jammed`.
pub fn day_times(times: &TravelTimes, stops: &[MorningStop], jam: Option<&Jam>) -> TravelTimes {
    let loc = |i: usize| if i == 0 { 0 } else { stops[i - 1].loc };
    TravelTimes::from_fn(stops.len() + 1, |i, j| {
        let (a, b) = (loc(i), loc(j));
        let t = times.travel(a, b);
        let slow = jam.is_some_and(|jam| jam.slows(a, b)) && t > 0;
        (if slow { t * JAM_FACTOR } else { t }, times.dist(a, b))
    })
}

/// The morning's stops as the dispatch crate's stops: stop `i` is household `i` at matrix
/// location `i + 1` (0 is the station).
pub fn stop_specs(m: &Morning<'_>) -> Vec<StopSpec> {
    m.stops
        .iter()
        .enumerate()
        .map(|(i, s)| StopSpec {
            household: i as u32,
            loc: i as u32 + 1,
            bottles: i64::from(s.bottles),
            service_s: m.service_s,
            window_s: s.window_s,
        })
        .collect()
}

/// A courier of the simulated world.
#[derive(Debug, Clone)]
struct Rider {
    /// Where it is: a location of the day (0 the station, `i + 1` stop `i`).
    at: u32,
    /// When it may ride on (its last service done, or its shift's start).
    free_s: i64,
    /// The stop it rides to and its arrival.
    riding: Option<(u32, i64)>,
    /// When it left the station.
    left_s: Option<i64>,
    /// Locations of the station's matrix visited, station first.
    path: Vec<u32>,
    /// Metres ridden.
    ridden_m: i64,
    /// False once broken down.
    active: bool,
}

/// The world's side of a morning: the station's matrix, the jam when it holds.
struct World<'m, 'a> {
    m: &'m Morning<'a>,
}

impl World<'_, '_> {
    /// The station matrix's location of a day location.
    fn loc(&self, day_loc: u32) -> u32 {
        match day_loc {
            0 => 0,
            l => self.m.stops.get(l as usize - 1).map_or(0, |s| s.loc),
        }
    }

    /// Riding time of a leg set off at `at_s` (slowed while the jam holds).
    fn travel(&self, a: u32, b: u32, at_s: i64) -> i64 {
        let (a, b) = (self.loc(a), self.loc(b));
        let t = self.m.times.travel(a, b);
        match self.m.jam {
            Some(j) if (j.start_s..j.end_s).contains(&at_s) && j.slows(a, b) && t > 0 => {
                t * JAM_FACTOR
            }
            _ => t,
        }
    }

    fn dist(&self, a: u32, b: u32) -> i64 {
        self.m.times.dist(self.loc(a), self.loc(b))
    }
}

/// The day a morning opens on the engine: its stops at their points, the couriers, the
/// night's routes.
pub fn open_day(m: &Morning<'_>, routes: &[Vec<u32>]) -> Result<OpenDay, SimError> {
    let bad = |e: milkrun_dairy::DairyError| SimError::Morning(e.to_string());
    let planned = m.stops.len().saturating_sub(m.late.len());
    let stops = m.stops[..planned]
        .iter()
        .map(|s| day_stop(m, s))
        .collect::<Result<Vec<_>, SimError>>()?;
    let couriers = m
        .couriers
        .iter()
        .map(|c| PlanCourier {
            id: CourierId(i64::from(c.id)),
            capacity: u32::try_from(c.capacity).unwrap_or(u32::MAX),
            shift_start_s: c.shift_start_s,
            shift_end_s: c.shift_end_s,
        })
        .collect();
    let day = OpenDay {
        depot: m.depot,
        stops,
        couriers,
        routes: routes.to_vec(),
        max_snap_m: m.max_snap_m,
    };
    day.check().map_err(bad)?;
    Ok(day)
}

/// A stop of the morning as the engine's live day takes it.
fn day_stop(m: &Morning<'_>, s: &MorningStop) -> Result<DayStop, SimError> {
    Ok(DayStop {
        point: *m
            .points
            .get(s.loc as usize)
            .ok_or_else(|| SimError::Morning(format!("no point for location {}", s.loc)))?,
        window: DeliveryWindow::new(s.window_s.0, s.window_s.1)
            .map_err(|e| SimError::Morning(e.to_string()))?,
        quantity: s.bottles,
        service_s: m.service_s,
    })
}

/// The live day on the engine, as the couriers and the dispatcher report to it.
struct Reporter<'e, E> {
    engine: &'e E,
    id: DayId,
    day: OpenDay,
    view: DayView,
    sent: u64,
}

impl<E: Engine> Reporter<'_, E> {
    /// Sends one event at `time_s` (expecting the version last seen) and keeps the day it
    /// answers; the stops the re-plan moved to another courier.
    async fn send(&mut self, time_s: i64, kind: DayEventKind) -> Result<Vec<u32>, SimError> {
        Ok(self.send_for(time_s, kind).await?.moved)
    }

    /// Like [`Reporter::send`]; what the re-plan did (the stops moved to another courier,
    /// the arrivals it shifted).
    async fn send_for(&mut self, time_s: i64, kind: DayEventKind) -> Result<EventResult, SimError> {
        self.sent += 1;
        let event = DayEvent {
            event_id: format!("e{}", self.sent),
            expected_version: self.view.plan_version,
            time_s,
            kind,
        };
        let mut a = self
            .engine
            .apply_events(&self.id, &self.day, std::slice::from_ref(&event))
            .await
            .map_err(|e| SimError::Morning(format!("event {}: {e}", event.event_id)))?;
        self.view = a.day;
        // A new stop joins the day the events name stops of.
        self.day.add_new_stops(std::slice::from_ref(&event));
        a.results
            .pop()
            .ok_or_else(|| SimError::Morning(format!("event {}: no result", event.event_id)))
    }

    /// Stops left unserved now.
    fn unserved(&self) -> usize {
        self.view
            .stops
            .iter()
            .filter(|s| s.status == StopStatus::Unserved)
            .count()
    }
}

/// Rides `m` with milkrun: the engine's live day opened on the night's `routes` (stop
/// indices per courier); the couriers ride what it plans and report each door, the jam and
/// the breakdown go in as they happen, and the day is closed at the end. The engine's final
/// day must agree with what the couriers reported.
pub async fn ride<E: Engine>(
    engine: &E,
    m: &Morning<'_>,
    routes: &[Vec<u32>],
) -> Result<Ridden, SimError> {
    let n = m.stops.len();
    let day = open_day(m, routes)?;
    let (id, view) = engine
        .open_day(&day)
        .await
        .map_err(|e| SimError::Morning(format!("opening the day: {e}")))?;
    let mut live = Reporter {
        engine,
        id,
        day,
        view,
        sent: 0,
    };
    let world = World { m };
    let mut incidents_at: Vec<(i64, u8)> = Vec::new();
    if let Some(j) = m.jam {
        incidents_at.push((j.start_s, 0));
        incidents_at.push((j.end_s, 1));
    }
    if let Some(t) = m.breakdown_s {
        incidents_at.push((t, 2));
    }
    // Late order `j` is incident `3 + j`.
    for (j, &t) in m.late.iter().enumerate().take(usize::from(u8::MAX - 3)) {
        incidents_at.push((t, 3 + j as u8));
    }
    incidents_at.sort_unstable();
    let mut next_incident = 0;
    let mut riders: Vec<Rider> = m
        .couriers
        .iter()
        .map(|c| Rider {
            at: 0,
            free_s: c.shift_start_s,
            riding: None,
            left_s: None,
            path: vec![0],
            ridden_m: 0,
            active: true,
        })
        .collect();
    // Per stop: the first visit delivered (courier, arrival); the failed visit (courier,
    // arrival, reason, the retry's window); the retry delivered.
    let mut delivered: Vec<Option<(usize, i64)>> = vec![None; n];
    let mut failed: Vec<Option<FailedVisit>> = vec![None; n];
    let mut retried: Vec<Option<(usize, i64)>> = vec![None; n];
    let mut incidents = Vec::new();
    let mut broken = None;
    let mut broken_at = 0;
    let mut now = 0;
    let most_steps = 8 * n + 64;
    for _ in 0..=most_steps {
        // Couriers with nothing to ride set off to the stop their route says.
        for (k, r) in riders.iter_mut().enumerate() {
            let Some(route) = live.view.routes.get(k) else {
                continue;
            };
            if !r.active || r.riding.is_some() || !route.active {
                continue;
            }
            let Some(s) = route.heading_to() else {
                continue;
            };
            let to = s + 1;
            let window_start = m.stops.get(s as usize).map_or(0, |st| st.window_s.0);
            let depart = if r.left_s.is_none() {
                // From the station: leave to arrive as the first window opens.
                r.free_s
                    .max(window_start - world.travel(0, to, window_start))
                    .max(now)
            } else {
                r.free_s.max(now)
            };
            r.left_s.get_or_insert(depart);
            r.riding = Some((s, depart + world.travel(r.at, to, depart)));
        }
        let arrival = riders
            .iter()
            .enumerate()
            .filter_map(|(k, r)| r.riding.map(|(s, t)| (t, k, s)))
            .min();
        let incident = incidents_at.get(next_incident).copied();
        // The world's incident first when it comes no later than the next arrival.
        let incident = incident.filter(|(t, _)| arrival.is_none_or(|a| *t <= a.0));
        match (incident, arrival) {
            (None, None) => break,
            (Some((t, kind)), _) => {
                next_incident += 1;
                now = now.max(t);
                incident_event(&mut live, m, &mut riders, t, kind, &mut incidents)
                    .await
                    .map(|b| {
                        if let Some(k) = b {
                            broken = Some(k);
                            broken_at = t;
                        }
                    })?;
            }
            (None, Some((t, k, s))) => {
                now = now.max(t);
                let r = &mut riders[k];
                r.riding = None;
                r.ridden_m += world.dist(r.at, s + 1);
                r.at = s + 1;
                r.path.push(world.loc(s + 1));
                r.free_s = t;
                let on_route = live.view.routes.get(k).is_some_and(|route| {
                    route.active && (route.next == Some(s) || route.planned.contains(&s))
                });
                if !on_route {
                    // The stop went to another courier while this one rode there.
                    continue;
                }
                let Some(stop) = m.stops.get(s as usize) else {
                    return Err(SimError::Morning(format!("the engine names stop {s}")));
                };
                // A second visit is the retry of a failed one: its window, and the door opens.
                let retry_visit = failed[s as usize].map(|f| f.3);
                let kind = match (failed[s as usize], stop.door.reason()) {
                    // The retry: the household is home this time.
                    (Some(_), _) | (None, None) => DayEventKind::Delivered { stop: s },
                    (None, Some(reason)) => {
                        let retry_s = (m.policy.decide(reason, t) == Remedy::SameDayRetry)
                            .then(|| (t + RETRY_FROM_S, t + RETRY_UNTIL_S));
                        failed[s as usize] = Some((k, t, reason, retry_s));
                        DayEventKind::Failed {
                            stop: s,
                            reason,
                            retry_s,
                        }
                    }
                };
                if matches!(kind, DayEventKind::Delivered { .. }) {
                    let slot = if retry_visit.is_some() {
                        &mut retried[s as usize]
                    } else {
                        &mut delivered[s as usize]
                    };
                    *slot = Some((k, t));
                }
                // Service starts when the window opens (the retry's, for a retry).
                let opens = match retry_visit {
                    Some(Some((retry_start, _))) => retry_start,
                    _ => stop.window_s.0,
                };
                live.send(t, kind).await?;
                riders[k].free_s = t.max(opens) + m.service_s;
            }
        }
    }
    if riders.iter().any(|r| r.riding.is_some()) || next_incident < incidents_at.len() {
        return Err(SimError::Morning(format!(
            "the morning did not end within {most_steps} steps"
        )));
    }
    let end = engine
        .close_day(&live.id, &live.day)
        .await
        .map_err(|e| SimError::Morning(format!("closing the day: {e}")))?;
    // The engine's day agrees with what the couriers reported (a stop's first visit: the
    // view lists retries, and the late orders, after the day's first stops).
    let mut first_of = vec![None; n];
    for v in end.stops.iter().rev() {
        if let Some(slot) = first_of.get_mut(v.stop as usize) {
            *slot = Some((v.stop, v.status));
        }
    }
    for (i, d) in delivered.iter().enumerate() {
        let first = first_of[i];
        let expect = match (d, failed[i]) {
            (Some(_), _) => Some(StopStatus::Done),
            (None, Some((_, _, _, Some(_)))) => Some(StopStatus::Failed),
            (None, Some((_, _, _, None))) => Some(StopStatus::CarriedOver),
            (None, None) => None,
        };
        if expect.is_some_and(|e| first != Some((i as u32, e))) {
            return Err(SimError::Morning(format!(
                "stop {i}: the couriers reported {expect:?}, the engine's day says {first:?}"
            )));
        }
    }
    let mut ridden_m = Vec::with_capacity(riders.len());
    let mut courier_s = Vec::with_capacity(riders.len());
    let mut paths = Vec::with_capacity(riders.len());
    for (k, r) in riders.iter_mut().enumerate() {
        let Some(left) = r.left_s.filter(|_| r.path.len() > 1) else {
            ridden_m.push(0);
            courier_s.push(0);
            paths.push(Vec::new());
            continue;
        };
        let back = if broken == Some(k) {
            broken_at
        } else {
            r.ridden_m += world.dist(r.at, 0);
            r.path.push(0);
            r.free_s + world.travel(r.at, 0, r.free_s)
        };
        ridden_m.push(r.ridden_m);
        courier_s.push((back - left).max(0));
        paths.push(std::mem::take(&mut r.path));
    }
    let ends = (0..n)
        .map(|i| match (failed[i], delivered[i]) {
            (Some((courier, at_s, reason, retry)), _) => StopEnd::Failed {
                courier,
                at_s,
                reason,
                retry: retry.map(|w| {
                    let end = match retried[i] {
                        Some((courier, at_s)) => RetryEnd::Delivered { courier, at_s },
                        None => RetryEnd::Unserved,
                    };
                    (w, end)
                }),
            },
            (None, Some((courier, at_s))) => StopEnd::Delivered { courier, at_s },
            (None, None) => StopEnd::Unserved,
        })
        .collect();
    Ok(Ridden {
        ends,
        ridden_m,
        courier_s,
        paths,
        incidents,
        broken,
    })
}

/// Sends an incident of the world to the engine at `t` (`kind` 0: the jam starts, 1: it
/// clears, 2: a breakdown, `3 + j`: late order `j`) and describes its re-plan; the courier
/// that broke down, if one did.
async fn incident_event<E: Engine>(
    live: &mut Reporter<'_, E>,
    m: &Morning<'_>,
    riders: &mut [Rider],
    t: i64,
    kind: u8,
    incidents: &mut Vec<MorningIncident>,
) -> Result<Option<usize>, SimError> {
    match kind {
        0 | 1 => {
            let Some(jam) = m.jam else { return Ok(None) };
            if kind == 1 {
                live.send(t, DayEventKind::TrafficRefresh).await?;
                return Ok(None);
            }
            let inside = |l: u32| jam.inside.get(l as usize).copied().unwrap_or(false);
            // The stops of the day so far (a late order not placed yet is not one).
            let stops = (0u32..)
                .zip(m.stops)
                .take(live.day.stops.len())
                .filter(|(_, s)| inside(s.loc))
                .map(|(i, _)| i)
                .collect();
            // The re-plan's own shifts (the engine's measure, arrivals moved more than 5
            // minutes by the re-plan, not by the clock moving on since the last report).
            let r = live
                .send_for(
                    t,
                    DayEventKind::Slowdown {
                        stops,
                        depot: inside(0),
                        percent: (JAM_FACTOR * 100) as u32,
                    },
                )
                .await?;
            incidents.push(MorningIncident {
                kind: "jam",
                detail: format!(
                    "{}: roads of part of the area jam ({}× the riding time) until {}; the \
                     live re-planner re-sequenced the affected routes: {} stops change \
                     courier, {} arrivals shift (at most {} min), {} left unserved",
                    milkrun_calendar::format_hms(t),
                    JAM_FACTOR,
                    milkrun_calendar::format_hms(jam.end_s),
                    r.moved.len(),
                    r.arrivals_shifted,
                    r.max_shift_s / 60,
                    live.unserved()
                ),
            });
            Ok(None)
        }
        3.. => {
            let planned = m.stops.len().saturating_sub(m.late.len());
            let s = planned + usize::from(kind - 3);
            let Some(stop) = m.stops.get(s) else {
                return Ok(None);
            };
            let index = u32::try_from(s).map_err(|_| SimError::Morning("too many stops".into()))?;
            let spec = day_stop(m, stop)?;
            let moved = live
                .send(t, DayEventKind::NewStop { stop: index, spec })
                .await?;
            let seen = live.view.stops.iter().find(|v| v.stop == index);
            let courier = live
                .view
                .routes
                .iter()
                .find(|r| r.next == Some(index) || r.planned.contains(&index))
                .map(|r| r.courier);
            let hm = milkrun_calendar::format_hms;
            let outcome = match (courier, seen.and_then(|v| v.eta_s)) {
                (Some(c), Some(eta)) => format!(
                    "placed it on courier {c}'s route, arriving {} (window {}–{})",
                    hm(eta.max(stop.window_s.0)),
                    hm(stop.window_s.0),
                    hm(stop.window_s.1)
                ),
                _ => format!(
                    "left it unserved: {}",
                    seen.and_then(|v| v.reason.clone())
                        .unwrap_or_else(|| "no route takes it".into())
                ),
            };
            incidents.push(MorningIncident {
                kind: "late order",
                detail: format!(
                    "{}: a late order of {} bottle{}; the live re-planner {outcome}; {} stops \
                     change courier",
                    hm(t),
                    stop.bottles,
                    if stop.bottles == 1 { "" } else { "s" },
                    moved.len()
                ),
            });
            Ok(None)
        }
        _ => {
            let with_stops: Vec<usize> = live
                .view
                .routes
                .iter()
                .enumerate()
                .filter(|(k, r)| {
                    r.active && r.heading_to().is_some() && riders.get(*k).is_some_and(|x| x.active)
                })
                .map(|(k, _)| k)
                .collect();
            if with_stops.is_empty() {
                return Ok(None);
            }
            let k = with_stops[(m.breakdown_pick % with_stops.len() as u64) as usize];
            let route = &live.view.routes[k];
            let left = usize::from(route.next.is_some()) + route.planned.len();
            let courier = route.courier;
            let moved = live.send(t, DayEventKind::Breakdown { courier }).await?;
            riders[k].active = false;
            riders[k].riding = None;
            incidents.push(MorningIncident {
                kind: "breakdown",
                detail: format!(
                    "{}: courier {}'s trike breaks down with {} stops left; the live \
                     re-planner moved {} stops onto other couriers, {} left unserved \
                     (cancelled)",
                    milkrun_calendar::format_hms(t),
                    courier,
                    left,
                    moved.len(),
                    live.unserved()
                ),
            });
            Ok(Some(k))
        }
    }
}
