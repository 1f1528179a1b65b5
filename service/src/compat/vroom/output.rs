//! A solver solution in VROOM's output form.

use milkrun_vrp::{Solution, UnassignedReason};
use serde::Serialize;

use super::convert::{Converted, TaskKind};
use super::input::Coordinates;

/// The `type` of a step or an unassigned task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepType {
    /// The vehicle leaves its start.
    Start,
    /// A job.
    Job,
    /// The pickup of a shipment.
    Pickup,
    /// The delivery of a shipment.
    Delivery,
    /// A break of the driver.
    Break,
    /// The vehicle reaches its end.
    End,
}

/// VROOM's solution (`code` 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// Always 0 (solved).
    pub code: u8,
    /// Totals over all routes.
    pub summary: Summary,
    /// Tasks left out.
    pub unassigned: Vec<Unassigned>,
    /// One route per used vehicle.
    pub routes: Vec<RouteOut>,
}

/// Totals of the solution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Sum of the routes' costs.
    pub cost: i64,
    /// Number of routes.
    pub routes: usize,
    /// Number of unassigned tasks.
    pub unassigned: usize,
    /// Amount delivered, per dimension.
    pub delivery: Vec<i64>,
    /// Legacy name of `delivery`.
    pub amount: Vec<i64>,
    /// Amount picked up, per dimension.
    pub pickup: Vec<i64>,
    /// Service time, seconds.
    pub service: i64,
    /// Travel time, seconds.
    pub duration: i64,
    /// Waiting time, seconds.
    pub waiting_time: i64,
    /// Sum of the priorities of the assigned tasks.
    pub priority: u64,
    /// Distance, metres (absent when custom matrices give no distances).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<i64>,
}

/// A task left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unassigned {
    /// The task's id.
    pub id: u64,
    /// `job`, `pickup` or `delivery`.
    #[serde(rename = "type")]
    pub kind: StepType,
    /// `[lon, lat]` if the input gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Coordinates>,
    /// Matrix row if the input gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_index: Option<u32>,
    /// Why the solver left it out (not a VROOM field): `skills` (no vehicle has them),
    /// `capacity` (too large for every vehicle), `time_window` (no vehicle reaches it in
    /// time), `max_duration`, `max_distance`, `fleet` (it fits alone, but not with the others
    /// on the vehicles given), `stopped_early` (the time limit or cancel came first), `break`
    /// (the vehicle's breaks would make it late; see [`super::breaks`]).
    pub reason: &'static str,
    /// Distance from the location to its road, metres, when routed on the roads (not a
    /// VROOM field; VROOM's clients ignore it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snap_distance: Option<f64>,
    /// Length of the location's access leg (to the road node it is routed from), metres,
    /// when routed on the roads (not a VROOM field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_distance: Option<f64>,
}

/// One vehicle's route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteOut {
    /// The vehicle's id.
    pub vehicle: u64,
    /// Cost: the travel time, seconds (VROOM's default cost).
    pub cost: i64,
    /// Amount delivered, per dimension.
    pub delivery: Vec<i64>,
    /// Legacy name of `delivery`.
    pub amount: Vec<i64>,
    /// Amount picked up, per dimension.
    pub pickup: Vec<i64>,
    /// Service time, seconds.
    pub service: i64,
    /// Travel time, seconds.
    pub duration: i64,
    /// Waiting time, seconds.
    pub waiting_time: i64,
    /// Sum of the priorities of its tasks.
    pub priority: u64,
    /// Distance, metres, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<i64>,
    /// The steps in order.
    pub steps: Vec<Step>,
}

/// One step of a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// `start`, `job`, `pickup`, `delivery`, `break` or `end`.
    #[serde(rename = "type")]
    pub kind: StepType,
    /// The task's or break's id (absent for `start` and `end`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// A break's description, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `[lon, lat]` if the input gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Coordinates>,
    /// Matrix row if the input gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_index: Option<u32>,
    /// Arrival time, seconds (for `start`: the departure).
    pub arrival: i64,
    /// Travel time so far, seconds.
    pub duration: i64,
    /// Service time at this step, seconds.
    pub service: i64,
    /// Waiting before service starts, seconds.
    pub waiting_time: i64,
    /// Vehicle load after the step, per dimension.
    pub load: Vec<i64>,
    /// Distance so far, metres, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<i64>,
    /// Distance from the step's location to its road, metres, when routed on the roads (not
    /// a VROOM field; VROOM's clients ignore it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snap_distance: Option<f64>,
    /// Length of the step's access leg (to the road node it is routed from), metres, when
    /// routed on the roads (not a VROOM field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_distance: Option<f64>,
}

/// Metres to one decimal.
fn decimetres(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

/// The snap and access distances of solver row `row`, when it was routed on the roads.
fn row_snap(c: &Converted, row: usize) -> (Option<f64>, Option<f64>) {
    c.snaps.get(row).map_or((None, None), |s| {
        (Some(decimetres(s.snap_m)), Some(decimetres(s.access_m)))
    })
}

fn reason(r: UnassignedReason) -> &'static str {
    match r {
        UnassignedReason::MissingSkill => "skills",
        UnassignedReason::OverCapacity => "capacity",
        UnassignedReason::NoFeasibleWindow => "time_window",
        UnassignedReason::OverMaxDuration => "max_duration",
        UnassignedReason::OverMaxDistance => "max_distance",
        // Every task is optional here, with a skip penalty above any route's cost, so the
        // solver's "not worth serving" means the fleet could not take it with the others.
        UnassignedReason::FleetExhausted | UnassignedReason::NotWorthServing => "fleet",
        UnassignedReason::StoppedEarly => "stopped_early",
        _ => "other",
    }
}

fn step_type(k: TaskKind) -> StepType {
    match k {
        TaskKind::Job => StepType::Job,
        TaskKind::Pickup => StepType::Pickup,
        TaskKind::Delivery => StepType::Delivery,
    }
}

fn add(total: &mut [i64], v: &[i64]) {
    for (t, x) in total.iter_mut().zip(v) {
        *t += x;
    }
}

/// The VROOM output of `solution`, a solution of `c.problem`. Times are the solver's
/// schedule, or for a vehicle with breaks the schedule of [`super::breaks::fit`]; loads are
/// recomputed from the tasks on the route (job deliveries on board at the start), and travel
/// and distance so far are summed from the matrices along the route (the solver's own route
/// distance is its cost, travel time).
pub fn output(c: &Converted, solution: &Solution) -> Output {
    use super::breaks::{fit, Item, Timed, Timeline};
    let dims = c.dims;
    let mut routes = Vec::with_capacity(solution.routes.len());
    let mut broken: Vec<usize> = Vec::new();
    for r in &solution.routes {
        let Some(v) = c.vehicles.get(r.vehicle_type) else {
            continue;
        };
        let vt = &c.problem.vehicle_types()[r.vehicle_type];
        let timeline = if v.breaks.is_empty() {
            Some(Timeline {
                departure: r.start_time,
                steps: r
                    .stops
                    .iter()
                    .map(|s| Timed {
                        item: Item::Task(s.job),
                        arrival: s.arrival,
                        wait: s.wait,
                    })
                    .collect(),
                end_arrival: r.end_time,
            })
        } else {
            let stops: Vec<usize> = r.stops.iter().map(|s| s.job).collect();
            let (timeline, removed) = fit(&c.durations, &c.tasks, v, vt.start, vt.end, stops);
            broken.extend(removed);
            timeline
        };
        routes.extend(timeline.map(|tl| route_out(c, v, vt.start, &tl)));
    }
    let unassigned: Vec<Unassigned> = solution
        .unassigned
        .iter()
        .map(|u| (u.job, reason(u.reason)))
        .chain(broken.iter().map(|&job| (job, "break")))
        .filter_map(|(job, why)| {
            let t = c.tasks.get(job)?;
            let (snap_distance, access_distance) = row_snap(c, t.row);
            Some(Unassigned {
                id: t.id,
                kind: step_type(t.kind),
                location: t.location,
                location_index: t.location_index,
                reason: why,
                snap_distance,
                access_distance,
            })
        })
        .collect();
    let mut summary = Summary {
        cost: 0,
        routes: routes.len(),
        unassigned: unassigned.len(),
        delivery: vec![0; dims],
        amount: vec![0; dims],
        pickup: vec![0; dims],
        service: 0,
        duration: 0,
        waiting_time: 0,
        priority: 0,
        distance: c.distances.as_ref().map(|_| 0),
    };
    for r in &routes {
        summary.cost += r.cost;
        add(&mut summary.delivery, &r.delivery);
        add(&mut summary.amount, &r.delivery);
        add(&mut summary.pickup, &r.pickup);
        summary.service += r.service;
        summary.duration += r.duration;
        summary.waiting_time += r.waiting_time;
        summary.priority += r.priority;
        if let (Some(t), Some(d)) = (summary.distance.as_mut(), r.distance) {
            *t += d;
        }
    }
    Output {
        code: 0,
        summary,
        unassigned,
        routes,
    }
}

/// One vehicle's route along `tl`, from its solver start row `start_row`.
fn route_out(
    c: &Converted,
    v: &super::convert::VehicleInfo,
    start_row: usize,
    tl: &super::breaks::Timeline,
) -> RouteOut {
    use super::breaks::Item;
    let dims = c.dims;
    let tasks_of = |item: &Item| match *item {
        Item::Task(j) => c.tasks.get(j),
        Item::Break(_) => None,
    };
    let mut load = vec![0i64; dims];
    for t in tl.steps.iter().filter_map(|s| tasks_of(&s.item)) {
        if t.kind == TaskKind::Job {
            add(&mut load, &t.delivery);
        }
    }
    let known = c.distances.as_ref().map(|_| 0i64);
    let leg = |from: usize, to: usize| {
        (
            c.durations.get(from, to),
            c.distances.as_ref().map_or(0, |d| d.get(from, to)),
        )
    };
    let mut steps = Vec::with_capacity(tl.steps.len() + 2);
    let (mut travel, mut dist) = (0i64, 0i64);
    if let Some((location, location_index, row)) = v.start {
        let (snap_distance, access_distance) = row_snap(c, row);
        steps.push(Step {
            kind: StepType::Start,
            id: None,
            description: None,
            location,
            location_index,
            arrival: tl.departure,
            duration: 0,
            service: 0,
            waiting_time: 0,
            load: load.clone(),
            distance: known,
            snap_distance,
            access_distance,
        });
    }
    let (mut delivery, mut pickup) = (vec![0; dims], vec![0; dims]);
    let (mut service, mut waiting, mut priority) = (0i64, 0i64, 0u64);
    let mut prev = start_row;
    for s in &tl.steps {
        waiting += s.wait;
        match s.item {
            Item::Break(b) => {
                let Some(brk) = v.breaks.get(b) else { continue };
                steps.push(Step {
                    kind: StepType::Break,
                    id: Some(brk.id),
                    description: brk.description.clone(),
                    location: None,
                    location_index: None,
                    arrival: s.arrival,
                    duration: travel,
                    service: brk.service,
                    waiting_time: s.wait,
                    load: load.clone(),
                    distance: known.map(|_| dist),
                    snap_distance: None,
                    access_distance: None,
                });
            }
            Item::Task(j) => {
                let Some(t) = c.tasks.get(j) else { continue };
                let (dt, dd) = leg(prev, t.row);
                travel += dt;
                dist += dd;
                prev = t.row;
                for (l, (d, p)) in load.iter_mut().zip(t.delivery.iter().zip(&t.pickup)) {
                    *l += p - d;
                }
                add(&mut delivery, &t.delivery);
                add(&mut pickup, &t.pickup);
                service += t.service;
                priority += u64::from(t.priority);
                let (snap_distance, access_distance) = row_snap(c, t.row);
                steps.push(Step {
                    kind: step_type(t.kind),
                    id: Some(t.id),
                    description: None,
                    location: t.location,
                    location_index: t.location_index,
                    arrival: s.arrival,
                    duration: travel,
                    service: t.service,
                    waiting_time: s.wait,
                    load: load.clone(),
                    distance: known.map(|_| dist),
                    snap_distance,
                    access_distance,
                });
            }
        }
    }
    if let Some((location, location_index, row)) = v.end {
        let (dt, dd) = leg(prev, row);
        travel += dt;
        dist += dd;
        let (snap_distance, access_distance) = row_snap(c, row);
        steps.push(Step {
            kind: StepType::End,
            id: None,
            description: None,
            location,
            location_index,
            arrival: tl.end_arrival,
            duration: travel,
            service: 0,
            waiting_time: 0,
            load: load.clone(),
            distance: known.map(|_| dist),
            snap_distance,
            access_distance,
        });
    }
    RouteOut {
        vehicle: v.id,
        cost: travel,
        amount: delivery.clone(),
        delivery,
        pickup,
        service,
        duration: travel,
        waiting_time: waiting,
        priority,
        distance: known.map(|_| dist),
        steps,
    }
}
