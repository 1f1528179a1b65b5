//! A VROOM input as a `milkrun-vrp` problem: tasks, vehicles, windows, amounts, skills and
//! priorities checked field by field (errors name the input's path), then one
//! [`ProblemSpec`].
//!
//! Choices (each says how VROOM's meaning is kept):
//! - every task is optional, with a skip penalty of [`PENALTY_BASE`] plus
//!   [`PENALTY_PER_PRIORITY`] per priority point: far above any route's cost, so the solver
//!   first serves as many tasks as it can, higher priorities first, as VROOM does;
//! - the solver's cost is the travel time of the routes (VROOM's default cost, `per_hour`
//!   3600): the travel-time matrix is handed to the solver as its "distance" at cost 1 per
//!   unit, and the real distances are kept aside for the answer;
//! - a vehicle without a start starts at a virtual location with zero travel to and from
//!   every place; a vehicle without an end has an open route (the solver's own feature);
//! - skills are arbitrary `u32` values in VROOM, renumbered densely (at most 64 distinct);
//! - overlapping time windows of one task are merged.
//!
//! - breaks: the solver plans each vehicle with its working window shortened by the
//!   length of its breaks, then [`super::breaks`] places the breaks into the solved route
//!   (in waiting time where they fit) and re-times it; a task the breaks would make late is
//!   left unassigned with reason `break`.
//!
//! Not supported, refused with an input error naming the field: a break's `max_load`,
//! `max_tasks`, non-zero `setup`, a job that both delivers and picks up, and
//! vehicles of different profiles (the solver has one travel matrix per problem).

use std::collections::{BTreeMap, HashSet};

use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemSpec, VehicleTypeSpec,
    TIME_HORIZON,
};

use super::bounded::Bounded;
use super::error::VroomError;
use super::input::{
    Break, Coordinates, Input, ShipmentStep, Window, MAX_DIMS, MAX_PRIORITY, MAX_SKILLS_PER_ITEM,
    MAX_TASKS, MAX_TIME_WINDOWS,
};
use super::places::{resolve, Endpoint, Roads, RowSnap};

/// Skip penalty of a task of priority 0 (in seconds of travel): above any route's travel.
pub const PENALTY_BASE: i64 = 1_000_000_000_000;
/// Extra skip penalty per priority point.
pub const PENALTY_PER_PRIORITY: i64 = 10_000_000_000;

/// What a task of the solver's problem is in VROOM's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A job.
    Job,
    /// The pickup of a shipment.
    Pickup,
    /// The delivery of a shipment.
    Delivery,
}

/// A task of the problem (solver job `k` is `tasks[k]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Job, pickup or delivery.
    pub kind: TaskKind,
    /// The input's id.
    pub id: u64,
    /// `[lon, lat]` if the input gave it.
    pub location: Option<Coordinates>,
    /// Matrix row if the input gave one.
    pub location_index: Option<u32>,
    /// Solver location (matrix row).
    pub row: usize,
    /// Service time, seconds.
    pub service: i64,
    /// Amount delivered, per dimension of the input.
    pub delivery: Vec<i64>,
    /// Amount picked up, per dimension of the input.
    pub pickup: Vec<i64>,
    /// Priority 0..=100.
    pub priority: u32,
    /// Windows for the start of service, merged and sorted; empty: any time.
    pub windows: Vec<(i64, i64)>,
    /// The other task of its shipment (a solver job index), if it is one.
    pub partner: Option<usize>,
}

/// A vehicle's break as checked: windows merged and sorted, inside the working window.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakInfo {
    /// The input's id.
    pub id: u64,
    /// Windows for the start of the break (never empty: the working window by default).
    pub windows: Vec<(i64, i64)>,
    /// Length, seconds.
    pub service: i64,
    /// The input's description.
    pub description: Option<String>,
}

/// A vehicle of the problem (solver vehicle type `k` is `vehicles[k]`, with count 1).
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleInfo {
    /// The input's id.
    pub id: u64,
    /// Start as given (`[lon, lat]`, index) and its solver row; `None` without a start.
    pub start: Option<(Option<Coordinates>, Option<u32>, usize)>,
    /// End as given and its solver row; `None` without an end.
    pub end: Option<(Option<Coordinates>, Option<u32>, usize)>,
    /// Its working window as given (the solver's is shorter by the breaks).
    pub shift: (i64, i64),
    /// Its breaks, by earliest window.
    pub breaks: Vec<BreakInfo>,
}

/// The converted problem with what is needed to answer in VROOM's terms.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The solver's problem.
    pub problem: Problem,
    /// Per solver job.
    pub tasks: Vec<Task>,
    /// Per solver vehicle type.
    pub vehicles: Vec<VehicleInfo>,
    /// Travel times between solver locations, seconds (the virtual start included).
    pub durations: Matrix<i64>,
    /// Distances between solver locations, metres, when known.
    pub distances: Option<Matrix<i64>>,
    /// Capacity dimensions of the input (0 when nothing carries amounts).
    pub dims: usize,
    /// How the location of each solver row met the roads (empty with custom matrices; the
    /// virtual start has none).
    pub snaps: Vec<RowSnap>,
}

/// Checks `input` and builds the solver's problem. Locations are routed on `roads` unless
/// `matrices` has the vehicles' profile. Errors: [`VroomError::Input`] naming the field,
/// [`VroomError::Routing`] naming the location that cannot be routed.
pub fn convert(input: &Input, roads: &Roads<'_>) -> Result<Converted, VroomError> {
    let jobs = &input.jobs.0;
    let shipments = &input.shipments.0;
    let vehicles = &input.vehicles.0;
    let tasks_count = jobs.len() + 2 * shipments.len();
    if tasks_count > MAX_TASKS {
        return Err(VroomError::input(
            "shipments",
            format!("{tasks_count} tasks (jobs + 2 x shipments), more than {MAX_TASKS}"),
        ));
    }
    if vehicles.is_empty() {
        return Err(VroomError::input(
            "vehicles",
            "at least one vehicle is needed",
        ));
    }
    let profile = one_profile(input)?;
    unique_ids(input)?;
    let dims = dimensions(input)?;
    let mut skills = SkillIds::default();
    // Endpoints: jobs, shipment pickups and deliveries, vehicle starts and ends.
    let mut endpoints = Vec::with_capacity(tasks_count + 2 * vehicles.len());
    for (i, j) in jobs.iter().enumerate() {
        endpoints.push(endpoint(
            &format!("jobs[{i}]"),
            "location",
            j.location,
            j.location_index,
        ));
    }
    for (i, s) in shipments.iter().enumerate() {
        for (side, st) in [("pickup", &s.pickup), ("delivery", &s.delivery)] {
            endpoints.push(endpoint(
                &format!("shipments[{i}].{side}"),
                "location",
                st.location,
                st.location_index,
            ));
        }
    }
    let mut vehicle_ends = Vec::with_capacity(vehicles.len());
    for (k, v) in vehicles.iter().enumerate() {
        let at = format!("vehicles[{k}]");
        let has_start = v.start.is_some() || v.start_index.is_some();
        let has_end = v.end.is_some() || v.end_index.is_some();
        if !has_start && !has_end {
            return Err(VroomError::input(&at, "needs a start or an end (or both)"));
        }
        let s = has_start.then(|| {
            endpoints.push(endpoint(&at, "start", v.start, v.start_index));
            endpoints.len() - 1
        });
        let e = has_end.then(|| {
            endpoints.push(endpoint(&at, "end", v.end, v.end_index));
            endpoints.len() - 1
        });
        vehicle_ends.push((s, e));
    }
    let matrices = input.matrices.as_ref().and_then(|m| m.0.get(&profile.0));
    let places = resolve(&endpoints, &profile.0, &profile.1, matrices, roads)?;
    // A virtual start (zero travel to and from everywhere) for vehicles without one.
    let n = places.durations.size();
    let virtual_start = vehicle_ends.iter().any(|(s, _)| s.is_none()).then_some(n);
    let extend = |m: &Matrix<i64>| match virtual_start {
        None => m.clone(),
        Some(v) => Matrix::from_fn(v + 1, |i, j| if i < v && j < v { m.get(i, j) } else { 0 }),
    };
    let durations = extend(&places.durations);
    let distances = places.distances.as_ref().map(extend);

    let mut tasks = Vec::with_capacity(tasks_count);
    let mut specs = Vec::with_capacity(tasks_count);
    let mut pairs = Vec::with_capacity(shipments.len());
    for (i, j) in jobs.iter().enumerate() {
        let at = format!("jobs[{i}]");
        no_setup(&at, j.setup)?;
        let delivery_field = match (&j.delivery, &j.amount) {
            (Some(_), Some(_)) => {
                return Err(VroomError::input(
                    format!("{at}.amount"),
                    "give `delivery` or its legacy name `amount`, not both",
                ))
            }
            (Some(d), None) => Some(d),
            (None, a) => a.as_ref(),
        };
        let delivery = amounts(delivery_field, dims);
        let pickup = amounts(j.pickup.as_ref(), dims);
        let picks = pickup.iter().any(|&x| x > 0);
        if picks && delivery.iter().any(|&x| x > 0) {
            return Err(VroomError::input(
                format!("{at}.pickup"),
                "a job that both delivers and picks up is not supported by the solver; split it into two jobs",
            ));
        }
        let (kind, demand) = if picks {
            (JobKind::Pickup, pickup.clone())
        } else {
            (JobKind::Delivery, delivery.clone())
        };
        let priority = check_priority(&at, j.priority)?;
        let job_windows = windows(&format!("{at}.time_windows"), &j.time_windows)?;
        specs.push(JobSpec {
            location: places.rows[i],
            demand: solver_load(demand),
            kind,
            service: i64::from(j.service),
            time_windows: job_windows.clone(),
            skills: skills.map(&format!("{at}.skills"), &j.skills)?,
            skip_penalty: Some(penalty(priority)),
            lateness: None,
        });
        tasks.push(Task {
            kind: TaskKind::Job,
            id: j.id,
            location: j.location,
            location_index: j.location_index,
            row: places.rows[i],
            service: i64::from(j.service),
            delivery,
            pickup,
            priority,
            windows: job_windows,
            partner: None,
        });
    }
    for (i, s) in shipments.iter().enumerate() {
        let at = format!("shipments[{i}]");
        let amount = amounts(s.amount.as_ref(), dims);
        let priority = check_priority(&at, s.priority)?;
        let needs = skills.map(&format!("{at}.skills"), &s.skills)?;
        let first = specs.len();
        for (side, step, kind) in [
            (0, &s.pickup, TaskKind::Pickup),
            (1, &s.delivery, TaskKind::Delivery),
        ] {
            let name = if side == 0 { "pickup" } else { "delivery" };
            let sp = format!("{at}.{name}");
            let row = places.rows[jobs.len() + 2 * i + side];
            no_setup(&sp, step.setup)?;
            let spec = shipment_job(&sp, step, row, &amount, &needs, priority)?;
            let step_windows = spec.time_windows.clone();
            specs.push(spec);
            let (delivery, pickup) = if kind == TaskKind::Pickup {
                (vec![0; dims], amount.clone())
            } else {
                (amount.clone(), vec![0; dims])
            };
            tasks.push(Task {
                kind,
                id: step.id,
                location: step.location,
                location_index: step.location_index,
                row,
                service: i64::from(step.service),
                delivery,
                pickup,
                priority,
                windows: step_windows,
                partner: Some(if side == 0 { first + 1 } else { first }),
            });
        }
        pairs.push(PairSpec {
            pickup: first,
            delivery: first + 1,
        });
    }
    let mut vehicle_types = Vec::with_capacity(vehicles.len());
    let mut infos = Vec::with_capacity(vehicles.len());
    for (k, v) in vehicles.iter().enumerate() {
        let at = format!("vehicles[{k}]");
        if v.max_tasks.is_some() {
            return Err(VroomError::input(
                format!("{at}.max_tasks"),
                "not supported by milkrun's solver",
            ));
        }
        let capacity = match (&v.capacity, dims) {
            (Some(c), _) => c.0.iter().map(|&x| i64::from(x)).collect(),
            (None, 0) => Vec::new(),
            (None, _) => {
                return Err(VroomError::input(
                    format!("{at}.capacity"),
                    format!("missing, but the tasks carry {dims}-dimensional amounts"),
                ))
            }
        };
        let shift = match v.time_window {
            None => (0, TIME_HORIZON),
            Some([s, e]) if s <= e => (i64::from(s), i64::from(e)),
            Some([s, e]) => {
                return Err(VroomError::input(
                    format!("{at}.time_window"),
                    format!("[{s}, {e}] ends before it starts"),
                ))
            }
        };
        let breaks = vehicle_breaks(&at, &v.breaks.0, shift)?;
        let on_break: i64 = breaks.iter().map(|b| b.service).sum();
        let (s, e) = vehicle_ends[k];
        let start_row = s.map(|x| places.rows[x]);
        let end_row = e.map(|x| places.rows[x]);
        let start = match (start_row, virtual_start) {
            (Some(r), _) | (None, Some(r)) => r,
            (None, None) => {
                return Err(VroomError::input(&at, "needs a start or an end (or both)"))
            }
        };
        vehicle_types.push(VehicleTypeSpec {
            count: 1,
            capacity: solver_load(capacity),
            start,
            end: end_row,
            // Room for the breaks, placed into the route after the solve.
            shift: (shift.0, shift.1 - on_break),
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            skills: skills.map(&format!("{at}.skills"), &v.skills)?,
            reload: None,
        });
        infos.push(VehicleInfo {
            id: v.id,
            start: start_row.map(|r| (v.start, v.start_index, r)),
            end: end_row.map(|r| (v.end, v.end_index, r)),
            shift,
            breaks,
        });
    }
    let problem = Problem::new(ProblemSpec {
        durations: durations.clone(),
        // The solver's "distance" is travel time: VROOM's default cost.
        distances: durations.clone(),
        jobs: specs,
        pairs,
        vehicle_types,
        objective: Objective::Weighted,
    })
    .map_err(VroomError::Problem)?;
    Ok(Converted {
        problem,
        tasks,
        vehicles: infos,
        durations,
        distances,
        dims,
        snaps: places.snaps,
    })
}

fn endpoint(owner: &str, field: &str, coords: Option<Coordinates>, index: Option<u32>) -> Endpoint {
    let index_field = if field == "location" {
        "location_index".to_string()
    } else {
        format!("{field}_index")
    };
    Endpoint {
        path: format!("{owner}.{field}"),
        index_path: format!("{owner}.{index_field}"),
        coords,
        index,
    }
}

/// The one profile of all vehicles (`car` by default) and the path naming it.
fn one_profile(input: &Input) -> Result<(String, String), VroomError> {
    let mut first: Option<(String, String)> = None;
    for (k, v) in input.vehicles.0.iter().enumerate() {
        let p = v.profile.clone().unwrap_or_else(|| "car".to_string());
        let path = format!("vehicles[{k}].profile");
        match &first {
            None => first = Some((p, path)),
            Some((f, _)) if *f == p => {}
            Some((f, _)) => {
                return Err(VroomError::input(
                    path,
                    format!("`{p}` differs from vehicles[0]'s `{f}`: milkrun's solver takes one travel matrix, so all vehicles must share a profile"),
                ))
            }
        }
    }
    first.ok_or_else(|| VroomError::input("vehicles", "at least one vehicle is needed"))
}

fn unique_ids(input: &Input) -> Result<(), VroomError> {
    let mut jobs = HashSet::with_capacity(input.jobs.0.len());
    for (i, j) in input.jobs.0.iter().enumerate() {
        if !jobs.insert(j.id) {
            return Err(VroomError::input(
                format!("jobs[{i}].id"),
                format!("{} is the id of an earlier job", j.id),
            ));
        }
    }
    let mut pickups = HashSet::with_capacity(input.shipments.0.len());
    let mut deliveries = HashSet::with_capacity(input.shipments.0.len());
    for (i, s) in input.shipments.0.iter().enumerate() {
        for (side, id, set) in [
            ("pickup", s.pickup.id, &mut pickups),
            ("delivery", s.delivery.id, &mut deliveries),
        ] {
            if !set.insert(id) {
                return Err(VroomError::input(
                    format!("shipments[{i}].{side}.id"),
                    format!("{id} is the id of an earlier shipment {side}"),
                ));
            }
        }
    }
    let mut vehicles = HashSet::with_capacity(input.vehicles.0.len());
    for (k, v) in input.vehicles.0.iter().enumerate() {
        if !vehicles.insert(v.id) {
            return Err(VroomError::input(
                format!("vehicles[{k}].id"),
                format!("{} is the id of an earlier vehicle", v.id),
            ));
        }
    }
    Ok(())
}

/// The number of amount dimensions, the same for every capacity and amount given.
fn dimensions(input: &Input) -> Result<usize, VroomError> {
    // (owner list, index, field, length) of every capacity and amount given, in input order.
    let vehicles = input.vehicles.0.iter().enumerate().filter_map(|(k, v)| {
        v.capacity
            .as_ref()
            .map(|c| ("vehicles", k, "capacity", c.0.len()))
    });
    let jobs = input.jobs.0.iter().enumerate().flat_map(|(i, j)| {
        [
            ("delivery", &j.delivery),
            ("pickup", &j.pickup),
            ("amount", &j.amount),
        ]
        .into_iter()
        .filter_map(move |(f, a)| a.as_ref().map(|a| ("jobs", i, f, a.0.len())))
    });
    let shipments = input.shipments.0.iter().enumerate().filter_map(|(i, s)| {
        s.amount
            .as_ref()
            .map(|a| ("shipments", i, "amount", a.0.len()))
    });
    let mut all = vehicles.chain(jobs).chain(shipments);
    let Some((list0, i0, f0, dims)) = all.next() else {
        return Ok(0);
    };
    if let Some((list, i, f, d)) = all.find(|g| g.3 != dims) {
        return Err(VroomError::input(
            format!("{list}[{i}].{f}"),
            format!("{d} dimensions, but `{list0}[{i0}].{f0}` has {dims}: all amounts and capacities must have the same length"),
        ));
    }
    Ok(dims)
}

fn amounts(a: Option<&Bounded<u32, MAX_DIMS>>, dims: usize) -> Vec<i64> {
    match a {
        Some(a) => a.0.iter().map(|&x| i64::from(x)).collect(),
        None => vec![0; dims],
    }
}

/// The solver needs at least one dimension: a problem without amounts gets one, all zero.
fn solver_load(v: Vec<i64>) -> Vec<i64> {
    if v.is_empty() {
        vec![0]
    } else {
        v
    }
}

fn no_setup(at: &str, setup: u32) -> Result<(), VroomError> {
    if setup == 0 {
        Ok(())
    } else {
        Err(VroomError::input(
            format!("{at}.setup"),
            "setup times are not supported (add them to `service`)",
        ))
    }
}

fn check_priority(at: &str, p: u32) -> Result<u32, VroomError> {
    if p <= MAX_PRIORITY {
        Ok(p)
    } else {
        Err(VroomError::input(
            format!("{at}.priority"),
            format!("{p} is above {MAX_PRIORITY}"),
        ))
    }
}

fn penalty(priority: u32) -> i64 {
    PENALTY_BASE + PENALTY_PER_PRIORITY * i64::from(priority)
}

/// Sorted windows, overlapping ones merged; a window ending before it starts is an error.
fn windows(
    path: &str,
    w: &Bounded<Window, MAX_TIME_WINDOWS>,
) -> Result<Vec<(i64, i64)>, VroomError> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(w.0.len());
    for (k, &[s, e]) in w.0.iter().enumerate() {
        if s > e {
            return Err(VroomError::input(
                format!("{path}[{k}]"),
                format!("[{s}, {e}] ends before it starts"),
            ));
        }
        out.push((i64::from(s), i64::from(e)));
    }
    out.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.len());
    for (s, e) in out {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    Ok(merged)
}

/// A vehicle's breaks checked against its working window `shift`: unique ids, windows in
/// order and meeting the shift (clipped to it), no `max_load`, all of them shorter together
/// than the shift. Sorted by their earliest window.
fn vehicle_breaks(
    at: &str,
    breaks: &[Break],
    shift: (i64, i64),
) -> Result<Vec<BreakInfo>, VroomError> {
    let mut out: Vec<BreakInfo> = Vec::with_capacity(breaks.len());
    let mut total = 0i64;
    for (b, brk) in breaks.iter().enumerate() {
        let path = format!("{at}.breaks[{b}]");
        if out.iter().any(|o| o.id == brk.id) {
            return Err(VroomError::input(
                format!("{path}.id"),
                format!("{} is the id of an earlier break of this vehicle", brk.id),
            ));
        }
        if brk.max_load.is_some() {
            return Err(VroomError::input(
                format!("{path}.max_load"),
                "not supported by milkrun's solver",
            ));
        }
        let given = windows(&format!("{path}.time_windows"), &brk.time_windows)?;
        let clipped: Vec<(i64, i64)> = if given.is_empty() {
            vec![shift]
        } else {
            given
                .iter()
                .filter(|&&(s, e)| s <= shift.1 && e >= shift.0)
                .map(|&(s, e)| (s.max(shift.0), e.min(shift.1)))
                .collect()
        };
        if clipped.is_empty() {
            return Err(VroomError::input(
                format!("{path}.time_windows"),
                format!(
                    "no window meets the vehicle's working window [{}, {}]",
                    shift.0, shift.1
                ),
            ));
        }
        total += i64::from(brk.service);
        if total > shift.1 - shift.0 {
            return Err(VroomError::input(
                format!("{path}.service"),
                "the breaks together are longer than the vehicle's working window",
            ));
        }
        out.push(BreakInfo {
            id: brk.id,
            windows: clipped,
            service: i64::from(brk.service),
            description: brk.description.clone(),
        });
    }
    out.sort_by_key(|b| b.windows[0].0);
    Ok(out)
}

fn shipment_job(
    at: &str,
    step: &ShipmentStep,
    row: usize,
    amount: &[i64],
    skills: &[u32],
    priority: u32,
) -> Result<JobSpec, VroomError> {
    Ok(JobSpec {
        location: row,
        demand: solver_load(amount.to_vec()),
        kind: JobKind::Pickup,
        service: i64::from(step.service),
        time_windows: windows(&format!("{at}.time_windows"), &step.time_windows)?,
        skills: skills.to_vec(),
        skip_penalty: Some(penalty(priority)),
        lateness: None,
    })
}

/// VROOM's skill values renumbered densely for the solver (`0..64`).
#[derive(Debug, Default)]
struct SkillIds {
    ids: BTreeMap<u32, u32>,
}

impl SkillIds {
    fn map(
        &mut self,
        path: &str,
        skills: &Bounded<u32, MAX_SKILLS_PER_ITEM>,
    ) -> Result<Vec<u32>, VroomError> {
        skills
            .0
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let next = self.ids.len() as u32;
                if let Some(&id) = self.ids.get(&s) {
                    return Ok(id);
                }
                if next >= milkrun_vrp::MAX_SKILLS {
                    return Err(VroomError::input(
                        format!("{path}[{k}]"),
                        format!(
                            "more than {} distinct skills in the problem",
                            milkrun_vrp::MAX_SKILLS
                        ),
                    ));
                }
                self.ids.insert(s, next);
                Ok(next)
            })
            .collect()
    }
}
