//! The live day's messages ⇄ `milkrun_dispatch` types: an `OpenDayRequest` checked field by
//! field into stops, couriers and a plan; a `DayEvent` into an [`Event`] (or a draft that
//! needs the roads: a new stop's address, fresh traffic); a day into its `Day` view, cut to
//! one courier's route for a courier's credential; and what a stored snapshot holds besides
//! the day (labels, road nodes, the network).
use std::collections::HashMap;

use milkrun_dispatch::{
    CourierSpec, Dispatch, Event, EventKind, LiveDay, PlanState, StopSpec, StopState,
};
use milkrun_engine::{Access, Door, LatLon, NodeId, Profile};
use milkrun_station::road::RoadLocations;
use serde::{Deserialize, Serialize};

use super::geo;
use crate::serve::config::Quotas;
use crate::serve::error::{ServiceError, Violations};
use crate::serve::proto::v1 as pb;
use crate::serve::quota::TenantQuota;

/// Longest stop or courier label, bytes.
pub const MAX_LABEL: usize = 128;
/// Most events of one ApplyEvents call.
pub const MAX_EVENTS_PER_CALL: usize = 100;
/// Longest failure reason, bytes.
pub const MAX_REASON: usize = 200;
/// Latest time of a day accepted, seconds since midnight (two days: a night shift ends the
/// next morning).
pub const MAX_DAY_TIME_S: i64 = 2 * 86_400;
/// Most bottles of one stop.
pub const MAX_STOP_BOTTLES: i64 = 10_000;
/// Largest trike capacity, bottles.
pub const MAX_CAPACITY: i64 = 1_000_000;

/// The labels of a day: stop labels by household id (stop `s` is
/// `stops[day.stops()[s].household]`; a retried delivery is a second stop of the same
/// household), courier labels by courier index.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DayLabels {
    /// Stop labels, by household id.
    pub stops: Vec<String>,
    /// Courier labels, by courier index.
    pub couriers: Vec<String>,
    #[serde(skip)]
    stop_ix: HashMap<String, u32>,
    #[serde(skip)]
    courier_ix: HashMap<String, usize>,
}

impl DayLabels {
    /// Labels with their lookups.
    pub fn new(stops: Vec<String>, couriers: Vec<String>) -> DayLabels {
        let mut l = DayLabels {
            stops,
            couriers,
            ..DayLabels::default()
        };
        l.index();
        l
    }

    /// Builds the lookups (after deserializing).
    pub fn index(&mut self) {
        self.stop_ix = (0u32..)
            .zip(&self.stops)
            .map(|(i, s)| (s.clone(), i))
            .collect();
        self.courier_ix = self
            .couriers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect();
    }

    /// The household id of a stop label.
    pub fn household(&self, label: &str) -> Option<u32> {
        self.stop_ix.get(label).copied()
    }

    /// The index of a courier label.
    pub fn courier(&self, label: &str) -> Option<usize> {
        self.courier_ix.get(label).copied()
    }

    /// Adds a stop label; its household id.
    pub fn add_stop(&mut self, label: String) -> u32 {
        let id = self.stops.len() as u32;
        self.stop_ix.insert(label.clone(), id);
        self.stops.push(label);
        id
    }

    fn stop_label(&self, household: u32) -> &str {
        self.stops
            .get(household as usize)
            .map_or("", String::as_str)
    }

    fn courier_label(&self, courier: usize) -> &str {
        self.couriers.get(courier).map_or("", String::as_str)
    }
}

/// Everything a stored snapshot of a day holds (JSON in the store) but its travel matrix,
/// which the store keeps apart, once per change (the snapshot's row names it by number). A
/// snapshot stored before the matrix moved out reads the same (its `day.times` is left
/// aside here and read on its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DaySnapshot {
    /// The day without its matrix.
    pub day: PlanState,
    /// Its labels.
    pub labels: DayLabels,
    /// The road node of every location of the day's matrix.
    pub nodes: Vec<u32>,
    /// Door to door: every location's door and access leg, and the access speed, so that
    /// a restored day's next matrices (traffic, a new address) count the access legs as
    /// the day's first did. Absent (a snapshot stored before doors were kept): road only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doors: Option<StoredDoors>,
    /// The network (`car`, `bike`, `foot`).
    pub profile: String,
    /// Snap limit of new addresses, metres.
    pub max_snap_m: f64,
}

/// The doors of a door-to-door day, in a stored snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDoors {
    /// Speed on the access legs, metres per second.
    pub access_speed_mps: f64,
    /// Every location's door, `[lat, lon]`.
    pub points: Vec<[f64; 2]>,
    /// Every location's access leg, metres (door to its road node).
    pub access_m: Vec<f64>,
}

impl DaySnapshot {
    /// The day's locations on the roads: its nodes with their doors (a snapshot without
    /// doors is road only). An error names what does not agree.
    pub fn road_locations(&self) -> Result<RoadLocations, String> {
        let nodes = self.nodes.iter().map(|&n| NodeId(n));
        let Some(d) = &self.doors else {
            return Ok(RoadLocations {
                doors: nodes
                    .map(|node| Door {
                        point: LatLon { lat: 0.0, lon: 0.0 },
                        node,
                        access_m: 0.0,
                    })
                    .collect(),
                access: Access::RoadOnly,
            });
        };
        if d.points.len() != self.nodes.len() || d.access_m.len() != self.nodes.len() {
            return Err(format!(
                "{} nodes, {} doors and {} access legs",
                self.nodes.len(),
                d.points.len(),
                d.access_m.len()
            ));
        }
        let access = Access::door_to_door(d.access_speed_mps).map_err(|e| e.to_string())?;
        Ok(RoadLocations {
            doors: nodes
                .zip(&d.points)
                .zip(&d.access_m)
                .map(|((node, p), &access_m)| Door {
                    point: LatLon {
                        lat: p[0],
                        lon: p[1],
                    },
                    node,
                    access_m,
                })
                .collect(),
            access,
        })
    }

    /// The doors to store of `roads` (`None` for road only).
    pub fn stored_doors(roads: &RoadLocations) -> Option<StoredDoors> {
        match roads.access {
            Access::RoadOnly => None,
            Access::DoorToDoor { speed_mps } => Some(StoredDoors {
                access_speed_mps: speed_mps,
                points: roads
                    .doors
                    .iter()
                    .map(|d| [d.point.lat, d.point.lon])
                    .collect(),
                access_m: roads.doors.iter().map(|d| d.access_m).collect(),
            }),
        }
    }
}

/// The network of a stored name.
pub fn profile_named(name: &str) -> Option<Profile> {
    [Profile::Car, Profile::Bike, Profile::Foot]
        .into_iter()
        .find(|p| p.name() == name)
}

/// A checked OpenDay request, waiting for its road matrix.
#[derive(Debug, Clone)]
pub struct OpenDraft {
    /// Depot, then every stop: matrix row order.
    pub points: Vec<LatLon>,
    /// The stops (household `i` at location `i + 1`).
    pub stops: Vec<StopSpec>,
    /// The couriers (id = index).
    pub couriers: Vec<CourierSpec>,
    /// One stop list per courier.
    pub routes: Vec<Vec<u32>>,
    /// The labels.
    pub labels: DayLabels,
    /// The network.
    pub profile: Profile,
    /// Snap limit, metres.
    pub max_snap_m: f64,
}

fn label(s: &str, field: &str, v: &mut Violations) {
    if s.is_empty() || s.len() > MAX_LABEL {
        v.add(field, format!("must be 1 to {MAX_LABEL} bytes"));
    }
}

fn in_range(value: i64, lo: i64, hi: i64, field: &str, v: &mut Violations) {
    if !(lo..=hi).contains(&value) {
        v.add(field, format!("{value} is outside [{lo}, {hi}]"));
    }
}

fn window(start: i64, end: i64, field: &str, v: &mut Violations) {
    in_range(start, 0, MAX_DAY_TIME_S, &format!("{field}_start_s"), v);
    in_range(end, 0, MAX_DAY_TIME_S, &format!("{field}_end_s"), v);
    if start > end {
        v.add(format!("{field}_end_s"), format!("{end} is before {start}"));
    }
}

/// Checks one stop message; its spec at `loc` for `household`.
pub fn stop(
    s: &pb::DayStop,
    field: &str,
    household: u32,
    loc: u32,
    v: &mut Violations,
) -> (Option<LatLon>, StopSpec) {
    label(&s.label, &format!("{field}.label"), v);
    let p = geo::point(s.location.as_ref(), &format!("{field}.location"), v);
    in_range(
        s.bottles,
        1,
        MAX_STOP_BOTTLES,
        &format!("{field}.bottles"),
        v,
    );
    in_range(s.service_s, 0, 86_400, &format!("{field}.service_s"), v);
    window(
        s.window_start_s,
        s.window_end_s,
        &format!("{field}.window"),
        v,
    );
    let spec = StopSpec {
        household,
        loc,
        bottles: s.bottles,
        service_s: s.service_s,
        window_s: (s.window_start_s, s.window_end_s),
    };
    (p, spec)
}

/// Checks an OpenDay request against the tenant's quotas.
pub fn check_open(req: &pb::OpenDayRequest, quotas: &Quotas) -> Result<OpenDraft, ServiceError> {
    TenantQuota::check_size(
        "max_stops",
        req.stops.len() as u64,
        u64::from(quotas.max_stops),
    )?;
    TenantQuota::check_size(
        "max_vehicles",
        req.couriers.len() as u64,
        u64::from(quotas.max_vehicles),
    )?;
    let n = req.stops.len() as u64 + 1;
    TenantQuota::check_size("max_matrix_cells", n * n, quotas.max_matrix_cells)?;
    let mut v = Violations::default();
    let mut points = Vec::with_capacity(req.stops.len() + 1);
    let depot = geo::point(req.depot.as_ref(), "depot", &mut v);
    points.extend(depot);
    let profile = geo::profile(req.travel_mode, "travel_mode", &mut v);
    let max_snap_m = geo::snap_limit(req.max_snap_m, "max_snap_m", &mut v);
    let mut stops = Vec::with_capacity(req.stops.len());
    let mut labels = HashMap::with_capacity(req.stops.len());
    for (i, s) in req.stops.iter().enumerate() {
        if v.is_full() {
            break;
        }
        let field = format!("stops[{i}]");
        let (p, spec) = stop(s, &field, i as u32, i as u32 + 1, &mut v);
        if labels.insert(s.label.as_str(), i as u32).is_some() {
            v.add(format!("{field}.label"), "used twice");
        }
        points.extend(p);
        stops.push(spec);
    }
    if req.couriers.is_empty() {
        v.add("couriers", "at least one courier");
    }
    let mut couriers = Vec::with_capacity(req.couriers.len());
    let mut courier_ix = HashMap::with_capacity(req.couriers.len());
    for (i, c) in req.couriers.iter().enumerate() {
        if v.is_full() {
            break;
        }
        let field = format!("couriers[{i}]");
        label(&c.label, &format!("{field}.label"), &mut v);
        if courier_ix.insert(c.label.as_str(), i).is_some() {
            v.add(format!("{field}.label"), "used twice");
        }
        in_range(
            c.capacity,
            1,
            MAX_CAPACITY,
            &format!("{field}.capacity"),
            &mut v,
        );
        window(
            c.shift_start_s,
            c.shift_end_s,
            &format!("{field}.shift"),
            &mut v,
        );
        couriers.push(CourierSpec {
            id: i as u32,
            capacity: c.capacity,
            shift_start_s: c.shift_start_s,
            shift_end_s: c.shift_end_s,
        });
    }
    let mut routes = vec![Vec::new(); req.couriers.len()];
    let mut planned = vec![false; req.stops.len()];
    let mut has_route = vec![false; req.couriers.len()];
    for (r, route) in req.routes.iter().enumerate() {
        let field = format!("routes[{r}]");
        let Some(&k) = courier_ix.get(route.courier_label.as_str()) else {
            v.add(format!("{field}.courier_label"), "names no courier");
            continue;
        };
        if std::mem::replace(&mut has_route[k], true) {
            v.add(
                format!("{field}.courier_label"),
                "a second route of the courier",
            );
        }
        for (j, l) in route.stop_labels.iter().enumerate() {
            match labels.get(l.as_str()) {
                Some(&s) if !planned[s as usize] => {
                    planned[s as usize] = true;
                    routes[k].push(s);
                }
                Some(_) => v.add(format!("{field}.stop_labels[{j}]"), "stop planned twice"),
                None => v.add(format!("{field}.stop_labels[{j}]"), "names no stop"),
            }
        }
    }
    v.into_result()?;
    Ok(OpenDraft {
        points,
        stops,
        couriers,
        routes,
        labels: DayLabels::new(
            req.stops.iter().map(|s| s.label.clone()).collect(),
            req.couriers.iter().map(|c| c.label.clone()).collect(),
        ),
        profile,
        max_snap_m,
    })
}

/// An event converted as far as the day alone allows.
#[derive(Debug, Clone)]
pub enum EventDraft {
    /// Ready to apply; `reason` is a failure's reason (empty otherwise).
    Ready {
        /// The event.
        event: Event,
        /// A failure's reason, for the log.
        reason: String,
    },
    /// A new stop: its address is to be added to the matrix first.
    NewStop {
        /// Event time.
        time_s: i64,
        /// Its label.
        label: String,
        /// Its address.
        point: LatLon,
        /// The stop (household and location still to be set).
        spec: StopSpec,
    },
    /// The day's travel times are to be read again from the roads.
    Traffic {
        /// Event time.
        time_s: i64,
    },
    /// The legs touching the marked locations are slowed ([`milkrun_station::live::slowed`]).
    Slowdown {
        /// Event time.
        time_s: i64,
        /// Per location of the day's matrix: inside the jammed area.
        inside: Vec<bool>,
        /// Travel time of a slowed leg, percent.
        percent: u32,
    },
}

/// Most percent a slowdown makes a leg take.
pub const MAX_SLOWDOWN_PERCENT: u32 = 1_000;

/// The stops (indices) of a household.
fn stops_of(day: &Dispatch, household: u32) -> impl Iterator<Item = u32> + '_ {
    (0u32..)
        .zip(day.stops())
        .filter(move |(_, s)| s.household == household)
        .map(|(i, _)| i)
}

/// Whether a courier's route holds (or held) a stop of the household.
fn household_on_route(day: &Dispatch, courier: usize, household: u32) -> bool {
    let Some(r) = day.routes().get(courier) else {
        return false;
    };
    stops_of(day, household)
        .any(|s| r.done.contains(&s) || r.committed == Some(s) || r.planned.contains(&s))
}

/// Converts one event (`field`: `events[3]`); `as_courier` limits it to that courier's own
/// route (PERMISSION_DENIED otherwise).
pub fn event(
    e: &pb::DayEvent,
    field: &str,
    day: &LiveDay,
    labels: &DayLabels,
    as_courier: Option<usize>,
) -> Result<EventDraft, ServiceError> {
    use pb::day_event::Kind;
    let time_s = e.time_s;
    if !(0..=MAX_DAY_TIME_S).contains(&time_s) {
        return Err(ServiceError::invalid(
            format!("{field}.time_s"),
            format!("{time_s} is outside [0, {MAX_DAY_TIME_S}]"),
        ));
    }
    let d = day.day();
    let household = |l: &str, f: &str| {
        labels.household(l).ok_or_else(|| {
            ServiceError::invalid(format!("{field}.{f}"), format!("no stop {l:?} in the day"))
        })
    };
    let courier = |l: &str, f: &str| {
        labels.courier(l).ok_or_else(|| {
            ServiceError::invalid(
                format!("{field}.{f}"),
                format!("no courier {l:?} in the day"),
            )
        })
    };
    let own_stop = |h: u32| match as_courier {
        Some(c) if !household_on_route(d, c, h) => Err(ServiceError::PermissionDenied(
            "a courier reports only the stops of its own route",
        )),
        _ => Ok(()),
    };
    let own_courier = |c: usize| match as_courier {
        Some(me) if me != c => Err(ServiceError::PermissionDenied(
            "a courier reports only for itself",
        )),
        _ => Ok(()),
    };
    let ready = |kind: EventKind| EventDraft::Ready {
        event: Event { time_s, kind },
        reason: String::new(),
    };
    let Some(kind) = &e.kind else {
        return Err(ServiceError::invalid(format!("{field}.kind"), "required"));
    };
    Ok(match kind {
        Kind::Delivered(x) => {
            let h = household(&x.stop_label, "delivered.stop_label")?;
            own_stop(h)?;
            ready(EventKind::Delivered { household: h })
        }
        Kind::Cancel(x) => {
            let h = household(&x.stop_label, "cancel.stop_label")?;
            own_stop(h)?;
            ready(EventKind::Cancel { household: h })
        }
        Kind::Failed(x) => {
            let h = household(&x.stop_label, "failed.stop_label")?;
            if x.reason.len() > MAX_REASON {
                return Err(ServiceError::invalid(
                    format!("{field}.failed.reason"),
                    format!("longer than {MAX_REASON} bytes"),
                ));
            }
            let retry_s = match &x.retry {
                Some(w) => {
                    let mut v = Violations::default();
                    window(w.start_s, w.end_s, &format!("{field}.failed.retry"), &mut v);
                    v.into_result()?;
                    Some((w.start_s, w.end_s))
                }
                None => None,
            };
            own_stop(h)?;
            EventDraft::Ready {
                event: Event {
                    time_s,
                    kind: EventKind::Failed {
                        household: h,
                        retry_s,
                    },
                },
                reason: x.reason.clone(),
            }
        }
        Kind::Position(x) => {
            let c = courier(&x.courier_label, "position.courier_label")?;
            own_courier(c)?;
            let loc = if x.at_stop_label.is_empty() {
                d.depot()
            } else {
                let h = household(&x.at_stop_label, "position.at_stop_label")?;
                let s = stops_of(d, h).next().ok_or_else(|| {
                    ServiceError::Internal(format!("household {h} has a label but no stop"))
                })?;
                d.stops()[s as usize].loc
            };
            ready(EventKind::Position { courier: c, loc })
        }
        Kind::Breakdown(x) => {
            let c = courier(&x.courier_label, "breakdown.courier_label")?;
            own_courier(c)?;
            ready(EventKind::Breakdown { courier: c })
        }
        Kind::SignedOff(x) => {
            let c = courier(&x.courier_label, "signed_off.courier_label")?;
            own_courier(c)?;
            ready(EventKind::SignedOff { courier: c })
        }
        Kind::Delay(x) => {
            let c = courier(&x.courier_label, "delay.courier_label")?;
            if !(0..=86_400).contains(&x.delay_s) {
                return Err(ServiceError::invalid(
                    format!("{field}.delay.delay_s"),
                    format!("{} is outside [0, 86400]", x.delay_s),
                ));
            }
            own_courier(c)?;
            ready(EventKind::Delay {
                courier: c,
                delay_s: x.delay_s,
            })
        }
        Kind::AddBottles(x) => {
            if as_courier.is_some() {
                return Err(ServiceError::PermissionDenied(
                    "a courier cannot change a stop's bottles",
                ));
            }
            let h = household(&x.stop_label, "add_bottles.stop_label")?;
            let max = milkrun_dispatch::error::MAX_BOTTLES;
            if !(1..=max).contains(&x.bottles) {
                return Err(ServiceError::invalid(
                    format!("{field}.add_bottles.bottles"),
                    format!("{} is outside [1, {max}]", x.bottles),
                ));
            }
            ready(EventKind::AddBottles {
                household: h,
                bottles: x.bottles,
            })
        }
        Kind::NewStop(x) => {
            if as_courier.is_some() {
                return Err(ServiceError::PermissionDenied(
                    "a courier cannot add stops to the day",
                ));
            }
            let Some(s) = &x.stop else {
                return Err(ServiceError::invalid(
                    format!("{field}.new_stop.stop"),
                    "required",
                ));
            };
            let f = format!("{field}.new_stop.stop");
            let mut v = Violations::default();
            let (p, spec) = stop(s, &f, 0, 0, &mut v);
            if labels.household(&s.label).is_some() {
                v.add(format!("{f}.label"), "already a stop of the day");
            }
            v.into_result()?;
            let point =
                p.ok_or_else(|| ServiceError::invalid(format!("{f}.location"), "required"))?;
            EventDraft::NewStop {
                time_s,
                label: s.label.clone(),
                point,
                spec,
            }
        }
        Kind::Traffic(_) => {
            if as_courier.is_some() {
                return Err(ServiceError::PermissionDenied(
                    "a courier cannot refresh the day's traffic",
                ));
            }
            EventDraft::Traffic { time_s }
        }
        Kind::Slowdown(x) => {
            if as_courier.is_some() {
                return Err(ServiceError::PermissionDenied(
                    "a courier cannot report a jam for the day",
                ));
            }
            if x.stop_labels.len() > labels.stops.len() {
                return Err(ServiceError::invalid(
                    format!("{field}.slowdown.stop_labels"),
                    "more labels than the day has stops",
                ));
            }
            if !(100..=MAX_SLOWDOWN_PERCENT).contains(&x.percent) {
                return Err(ServiceError::invalid(
                    format!("{field}.slowdown.percent"),
                    format!("{} is outside [100, {MAX_SLOWDOWN_PERCENT}]", x.percent),
                ));
            }
            let mut inside = vec![false; d.times().len()];
            if x.depot {
                if let Some(slot) = inside.get_mut(d.depot() as usize) {
                    *slot = true;
                }
            }
            for l in &x.stop_labels {
                let h = household(l, "slowdown.stop_labels")?;
                for s in stops_of(d, h) {
                    if let Some(slot) = inside.get_mut(d.stops()[s as usize].loc as usize) {
                        *slot = true;
                    }
                }
            }
            EventDraft::Slowdown {
                time_s,
                inside,
                percent: x.percent,
            }
        }
    })
}

fn status(s: &StopState) -> (pb::StopStatus, String) {
    match s {
        StopState::Pending => (pb::StopStatus::Pending, String::new()),
        StopState::Done { .. } => (pb::StopStatus::Done, String::new()),
        StopState::Failed => (pb::StopStatus::Failed, String::new()),
        StopState::Cancelled => (pb::StopStatus::Cancelled, String::new()),
        StopState::CarriedOver => (pb::StopStatus::CarriedOver, String::new()),
        StopState::Unserved(r) => (pb::StopStatus::Unserved, r.to_string()),
        _ => (pb::StopStatus::Unspecified, String::new()),
    }
}

/// The `Day` view: every route and stop, or for a courier (`only`) its own route and the
/// stops on it.
pub fn day_view(
    day_id: &str,
    live: &LiveDay,
    labels: &DayLabels,
    open: bool,
    only: Option<usize>,
) -> pb::Day {
    let d = live.day();
    let stop_label = |s: u32| {
        d.stops()
            .get(s as usize)
            .map_or("", |st| labels.stop_label(st.household))
            .to_string()
    };
    let mut route_of = vec![None; d.stops().len()];
    let mut routes = Vec::new();
    for (k, r) in d.routes().iter().enumerate() {
        for &s in r.done.iter().chain(r.committed.iter()).chain(&r.planned) {
            if let Some(slot) = route_of.get_mut(s as usize) {
                *slot = Some(k);
            }
        }
        if only.is_some_and(|c| c != k) {
            continue;
        }
        routes.push(pb::RouteView {
            courier_label: labels.courier_label(k).to_string(),
            active: r.active,
            done: r.done.iter().map(|&s| stop_label(s)).collect(),
            next: r.committed.map(stop_label).unwrap_or_default(),
            planned: r.planned.iter().map(|&s| stop_label(s)).collect(),
        });
    }
    let mut stops = Vec::new();
    for (s, spec) in d.stops().iter().enumerate() {
        let state = &d.states()[s];
        let courier = match state {
            StopState::Done { courier, .. } => Some(*courier),
            _ => route_of[s],
        };
        if only.is_some() && courier != only {
            continue;
        }
        let (status, reason) = status(state);
        stops.push(pb::StopView {
            label: labels.stop_label(spec.household).to_string(),
            status: status as i32,
            courier_label: courier.map_or("", |c| labels.courier_label(c)).to_string(),
            eta_s: d.eta()[s],
            promised_s: d.first_promise()[s],
            unserved_reason: reason,
            bottles: spec.bottles,
        });
    }
    pb::Day {
        day_id: day_id.to_string(),
        plan_version: live.version(),
        open,
        clock_s: d.clock_s(),
        routes,
        stops,
    }
}

/// A checked stateless re-plan: the places and labels of [`check_open`], and per courier
/// its executed prefix (stop, arrival) and the stops still planned.
#[derive(Debug, Clone)]
pub struct ReplanDraft {
    /// Stops, couriers, places and labels (its `routes` are executed + planned).
    pub open: OpenDraft,
    /// Per courier: the stops served and their arrival times.
    pub executed: Vec<Vec<(u32, i64)>>,
    /// Per courier: the stops still planned.
    pub planned: Vec<Vec<u32>>,
    /// The freeze time.
    pub freeze_s: i64,
}

/// Checks a Replan request against the tenant's quotas.
pub fn check_replan(req: &pb::ReplanRequest, quotas: &Quotas) -> Result<ReplanDraft, ServiceError> {
    let mut v = Violations::default();
    in_range(
        req.freeze_time_s,
        0,
        MAX_DAY_TIME_S,
        "freeze_time_s",
        &mut v,
    );
    for (r, route) in req.routes.iter().enumerate() {
        for (i, e) in route.executed.iter().enumerate() {
            in_range(
                e.arrival_s,
                0,
                req.freeze_time_s.max(0),
                &format!("routes[{r}].executed[{i}].arrival_s"),
                &mut v,
            );
        }
    }
    v.into_result()?;
    let as_open = pb::OpenDayRequest {
        depot: req.depot.as_ref().map(|p| pb::LatLng {
            latitude: p.latitude,
            longitude: p.longitude,
        }),
        stops: req.stops.clone(),
        couriers: req.couriers.clone(),
        routes: req
            .routes
            .iter()
            .map(|r| pb::PlannedRoute {
                courier_label: r.courier_label.clone(),
                stop_labels: r
                    .executed
                    .iter()
                    .map(|e| e.stop_label.clone())
                    .chain(r.planned_stop_labels.iter().cloned())
                    .collect(),
            })
            .collect(),
        travel_mode: req.travel_mode,
        max_snap_m: req.max_snap_m,
    };
    let open = check_open(&as_open, quotas).map_err(|e| match e {
        // The combined list's index is the executed prefix, then the planned stops.
        ServiceError::Invalid {
            mut violations,
            dropped,
        } => {
            for viol in &mut violations {
                viol.field = viol.field.replace(".stop_labels[", ".executed_or_planned[");
            }
            ServiceError::Invalid {
                violations,
                dropped,
            }
        }
        other => other,
    })?;
    let k = open.couriers.len();
    let mut executed = vec![Vec::new(); k];
    let mut planned = vec![Vec::new(); k];
    for route in &req.routes {
        let Some(c) = open.labels.courier(&route.courier_label) else {
            continue;
        };
        let list = &open.routes[c];
        let n = route.executed.len().min(list.len());
        executed[c] = list[..n]
            .iter()
            .zip(&route.executed)
            .map(|(&s, e)| (s, e.arrival_s))
            .collect();
        planned[c] = list[n..].to_vec();
    }
    Ok(ReplanDraft {
        open,
        executed,
        planned,
        freeze_s: req.freeze_time_s,
    })
}
