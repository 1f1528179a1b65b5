//! The result of a solve: routes with a full schedule, totals, and every
//! unassigned job with the reason it was left out.

use crate::problem::{Problem, MAX_DIMS};
use crate::schedule::{simulate, with_scratch, Failure, Visit, VisitKind};
use crate::segment::{DurationSegment, LoadSegment};

/// One visit of a route, with its schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Job index.
    pub job: usize,
    /// Arrival time.
    pub arrival: i64,
    /// Waiting before service starts.
    pub wait: i64,
    /// Start of service.
    pub start: i64,
    /// Departure (end of service).
    pub departure: i64,
    /// Load on board after the stop, per dimension.
    pub load_after: Vec<i64>,
    /// Time units by which service starts after its window closed (soft
    /// lateness; 0 when on time).
    pub lateness: i64,
    /// Trip of the route this stop belongs to (0 unless the vehicle reloads).
    pub trip: usize,
}

/// A reload stop: the vehicle returns to a reload location, reloads, and
/// starts its next trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadStop {
    /// Number of job stops before the reload (it comes right before
    /// `stops[before]`).
    pub before: usize,
    /// Reload location.
    pub location: usize,
    /// Arrival time.
    pub arrival: i64,
    /// Start of reloading.
    pub start: i64,
    /// Departure (end of reloading).
    pub departure: i64,
}

/// One element of a route in visiting order (see [`Route::visits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// A job stop: the job index.
    Job(usize),
    /// A reload stop: the reload location.
    Reload(usize),
}

/// One vehicle's route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Vehicle type index.
    pub vehicle_type: usize,
    /// Departure from the start location.
    pub start_time: i64,
    /// Arrival at the end location (departure from the last job for open routes).
    pub end_time: i64,
    /// Load on board when leaving the start location.
    pub start_load: Vec<i64>,
    /// The visits in order.
    pub stops: Vec<Stop>,
    /// Total distance.
    pub distance: i64,
    /// Duration from departure to the end.
    pub duration: i64,
    /// Route cost: fixed + distance + time costs, plus lateness costs.
    pub cost: i64,
    /// Total lateness over the stops (time units).
    pub lateness: i64,
    /// Reload stops, in order (empty unless the vehicle type reloads).
    pub reloads: Vec<ReloadStop>,
    /// Load on board at the start of every trip (one entry per trip; the
    /// first equals `start_load`).
    pub trip_loads: Vec<Vec<i64>>,
}

impl Route {
    /// Job and reload stops in visiting order.
    pub fn visits(&self) -> Vec<StopKind> {
        let mut out = Vec::with_capacity(self.stops.len() + self.reloads.len());
        let mut r = self.reloads.iter().peekable();
        for (k, s) in self.stops.iter().enumerate() {
            while let Some(rel) = r.next_if(|rel| rel.before <= k) {
                out.push(StopKind::Reload(rel.location));
            }
            out.push(StopKind::Job(s.job));
        }
        out.extend(r.map(|rel| StopKind::Reload(rel.location)));
        out
    }

    /// Number of trips (1 + number of reloads).
    pub fn trips(&self) -> usize {
        self.reloads.len() + 1
    }
}

/// Why a job is not in any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnassignedReason {
    /// No vehicle type has all the job's skills.
    MissingSkill,
    /// The demand exceeds the capacity of every vehicle that could serve it.
    OverCapacity,
    /// No vehicle can reach the job within its window (and return in its shift).
    NoFeasibleWindow,
    /// A route serving only this job would exceed the maximum duration.
    OverMaxDuration,
    /// A route serving only this job would exceed the maximum distance.
    OverMaxDistance,
    /// The job could be served alone, but not with the vehicles left.
    FleetExhausted,
    /// An optional job whose skip penalty is lower than the cost to serve it.
    NotWorthServing,
    /// The search stopped (time limit or cancel flag) before its first
    /// construction tried to insert the job; it could be served alone.
    StoppedEarly,
}

/// An unassigned job and its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unassigned {
    /// Job index.
    pub job: usize,
    /// The reason.
    pub reason: UnassignedReason,
}

/// A solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// Routes of the used vehicles.
    pub routes: Vec<Route>,
    /// Jobs not served.
    pub unassigned: Vec<Unassigned>,
    /// Weighted cost: route costs plus skip penalties of optional jobs
    /// (required unassigned jobs are listed, not priced).
    pub cost: i64,
    /// Total distance.
    pub distance: i64,
    /// Total route duration.
    pub duration: i64,
}

impl Solution {
    /// Total lateness over all routes (time units).
    pub fn lateness(&self) -> i64 {
        self.routes.iter().map(|r| r.lateness).sum()
    }

    /// Number of vehicles used.
    pub fn vehicles(&self) -> usize {
        self.routes.len()
    }

    /// Job lists of the routes.
    pub fn job_routes(&self) -> Vec<Vec<usize>> {
        self.routes
            .iter()
            .map(|r| r.stops.iter().map(|s| s.job).collect())
            .collect()
    }

    /// Builds the solution of the given routes, as (vehicle type, jobs).
    /// Every job not in a route is unassigned, with its reason.
    ///
    /// Returns `None` if a route is infeasible or a job appears twice.
    pub fn from_routes(p: &Problem, routes: &[(usize, Vec<usize>)]) -> Option<Self> {
        let mut seen = vec![false; p.jobs.len()];
        let mut out = Vec::new();
        for (vt, jobs) in routes {
            if jobs.is_empty() {
                continue;
            }
            for &j in jobs {
                if j >= seen.len() || seen[j] {
                    return None;
                }
                seen[j] = true;
            }
            out.push(schedule(p, *vt, jobs)?);
        }
        let mut unassigned = Vec::new();
        let mut cost: i64 = out.iter().map(|r| r.cost).sum();
        let fleet_left: Vec<usize> = p
            .vehicle_types
            .iter()
            .enumerate()
            .map(|(k, v)| {
                v.count
                    - routes
                        .iter()
                        .filter(|(t, j)| *t == k && !j.is_empty())
                        .count()
                        .min(v.count)
            })
            .collect();
        for (j, &served) in seen.iter().enumerate() {
            if !served {
                unassigned.push(Unassigned {
                    job: j,
                    reason: reason(p, j, &fleet_left),
                });
                cost += p.jobs[j].skip_penalty.unwrap_or(0);
            }
        }
        let distance = out.iter().map(|r| r.distance).sum();
        let duration = out.iter().map(|r| r.duration).sum();
        Some(Self {
            routes: out,
            unassigned,
            cost,
            distance,
            duration,
        })
    }
}

impl Solution {
    /// The solution of routes found by the search: like [`Solution::from_routes`],
    /// but a route that breaks a constraint is dropped and its jobs are
    /// reported unassigned instead of failing the whole solution. (With
    /// reloads or several windows, removing a job can in rare cases move a
    /// reload and break a route the search then kept.)
    ///
    /// Jobs in `untried` (the search stopped before trying them) that are
    /// unassigned and could be served alone get [`UnassignedReason::StoppedEarly`].
    pub(crate) fn from_search(
        p: &Problem,
        routes: &[(usize, Vec<usize>)],
        untried: &[usize],
    ) -> Self {
        let kept: Vec<(usize, Vec<usize>)> = routes
            .iter()
            .filter(|(vt, jobs)| jobs.is_empty() || schedule(p, *vt, jobs).is_some())
            .cloned()
            .collect();
        let mut s = Self::from_routes(p, &kept)
            .or_else(|| Self::from_routes(p, &[]))
            .unwrap_or(Self {
                routes: Vec::new(),
                unassigned: Vec::new(),
                cost: 0,
                distance: 0,
                duration: 0,
            });
        if !untried.is_empty() {
            let mut stopped = vec![false; p.jobs.len()];
            for &j in untried {
                if let Some(x) = stopped.get_mut(j) {
                    *x = true;
                }
            }
            for u in &mut s.unassigned {
                let could_serve = matches!(
                    u.reason,
                    UnassignedReason::FleetExhausted | UnassignedReason::NotWorthServing
                );
                if stopped[u.job] && could_serve {
                    u.reason = UnassignedReason::StoppedEarly;
                }
            }
        }
        s
    }
}

/// The full schedule of a route, or `None` if it breaks a constraint.
fn schedule(p: &Problem, vt_idx: usize, jobs: &[usize]) -> Option<Route> {
    let vt = &p.vehicle_types[vt_idx];
    // Pairing: a pair's pickup must come before its delivery on this route.
    for (k, &j) in jobs.iter().enumerate() {
        if let Some(q) = p.jobs[j].partner {
            let kq = jobs.iter().position(|&x| x == q)?;
            if p.jobs[j].is_pair_pickup != (k < kq) {
                return None;
            }
        }
        if p.jobs[j].skills & !vt.skills != 0 {
            return None;
        }
    }
    if !p.exact {
        return schedule_sim(p, vt_idx, jobs);
    }
    let mut seg = DurationSegment::visit(0, vt.shift);
    let mut load = LoadSegment::default();
    let mut prev = vt.start;
    let mut distance = 0;
    for &j in jobs {
        let job = &p.jobs[j];
        seg = seg.then(
            p.duration(prev, job.location),
            &DurationSegment::visit(job.service, job.time_window),
        );
        load = load.then(&LoadSegment::visit(job.depot_load, job.load_change));
        distance += p.distance(prev, job.location);
        prev = job.location;
    }
    seg = seg.then(
        p.duration(prev, vt.end_loc),
        &DurationSegment::visit(0, vt.shift),
    );
    distance += p.distance(prev, vt.end_loc);
    if seg.time_warp > 0
        || seg.duration > vt.max_duration
        || distance > vt.max_distance
        || !load.fits(&vt.capacity, p.dims)
    {
        return None;
    }
    // Forward pass from the earliest departure that needs no avoidable wait.
    let mut t = seg.earliest;
    let start_time = t;
    let mut on_board: [i64; MAX_DIMS] = load.depot;
    let start_load = on_board[..p.dims].to_vec();
    let mut stops = Vec::with_capacity(jobs.len());
    let mut prev = vt.start;
    for &j in jobs {
        let job = &p.jobs[j];
        let arrival = t + p.duration(prev, job.location);
        let start = arrival.max(job.time_window.start);
        let departure = start + job.service;
        for (b, c) in on_board.iter_mut().zip(job.load_change) {
            *b += c;
        }
        stops.push(Stop {
            job: j,
            arrival,
            wait: start - arrival,
            start,
            departure,
            load_after: on_board[..p.dims].to_vec(),
            lateness: 0,
            trip: 0,
        });
        t = departure;
        prev = job.location;
    }
    let end_time = t + p.duration(prev, vt.end_loc);
    let duration = end_time - start_time;
    let cost = super::solver::route::route_cost(vt, distance, duration);
    Some(Route {
        vehicle_type: vt_idx,
        start_time,
        end_time,
        start_load: start_load.clone(),
        stops,
        distance,
        duration,
        cost,
        lateness: 0,
        reloads: Vec::new(),
        trip_loads: vec![start_load],
    })
}

/// [`schedule`] by exact simulation (several windows, lateness, reloads).
fn schedule_sim(p: &Problem, vt_idx: usize, jobs: &[usize]) -> Option<Route> {
    let vt = &p.vehicle_types[vt_idx];
    let mut visits: Vec<Visit> = Vec::with_capacity(jobs.len());
    let mut loads = Vec::new();
    let o = with_scratch(|sc| {
        simulate(
            p,
            vt,
            jobs.iter().copied(),
            sc,
            Some((&mut visits, &mut loads)),
        )
    })
    .ok()?;
    let dims = p.dims;
    let mut stops = Vec::with_capacity(jobs.len());
    let mut reloads = Vec::new();
    for v in &visits {
        match v.kind {
            VisitKind::Job(j) => stops.push(Stop {
                job: j,
                arrival: v.arrival,
                wait: v.start - v.arrival,
                start: v.start,
                departure: v.departure,
                load_after: v.load_after[..dims].to_vec(),
                lateness: v.lateness,
                trip: v.trip,
            }),
            VisitKind::Reload(location) => reloads.push(ReloadStop {
                before: stops.len(),
                location,
                arrival: v.arrival,
                start: v.start,
                departure: v.departure,
            }),
        }
    }
    let trip_loads: Vec<Vec<i64>> = loads.iter().map(|l| l[..dims].to_vec()).collect();
    Some(Route {
        vehicle_type: vt_idx,
        start_time: o.departure,
        end_time: o.departure + o.duration,
        start_load: trip_loads.first().cloned().unwrap_or_else(|| vec![0; dims]),
        stops,
        distance: o.distance,
        duration: o.duration,
        cost: o.cost,
        lateness: o.lateness,
        reloads,
        trip_loads,
    })
}

/// Why job `j` (or its pair) cannot be or was not served.
fn reason(p: &Problem, j: usize, fleet_left: &[usize]) -> UnassignedReason {
    let unit: Vec<usize> = match p.jobs[j].partner {
        Some(q) if p.jobs[j].is_pair_pickup => vec![j, q],
        Some(q) => vec![q, j],
        None => vec![j],
    };
    let skills = unit.iter().fold(0u64, |m, &k| m | p.jobs[k].skills);
    let types: Vec<usize> = (0..p.vehicle_types.len())
        .filter(|&k| p.vehicle_types[k].count > 0)
        .collect();
    let skilled: Vec<usize> = types
        .iter()
        .copied()
        .filter(|&k| skills & !p.vehicle_types[k].skills == 0)
        .collect();
    if skilled.is_empty() {
        return UnassignedReason::MissingSkill;
    }
    let mut worst = UnassignedReason::OverCapacity;
    let mut any_fits_alone = false;
    for &k in &skilled {
        let vt = &p.vehicle_types[k];
        if !p.exact {
            let sim = with_scratch(|sc| simulate(p, vt, unit.iter().copied(), sc, None));
            let r = match sim {
                Err(Failure::Capacity) => UnassignedReason::OverCapacity,
                Err(Failure::Window) => UnassignedReason::NoFeasibleWindow,
                Err(Failure::Duration) => UnassignedReason::OverMaxDuration,
                Err(Failure::Distance) => UnassignedReason::OverMaxDistance,
                Ok(_) => {
                    any_fits_alone = true;
                    if fleet_left[k] > 0 && p.jobs[j].skip_penalty.is_some() {
                        return UnassignedReason::NotWorthServing;
                    }
                    continue;
                }
            };
            if rank(r) > rank(worst) {
                worst = r;
            }
            continue;
        }
        let mut seg = DurationSegment::visit(0, vt.shift);
        let mut load = LoadSegment::default();
        let mut prev = vt.start;
        let mut distance = 0;
        for &x in &unit {
            let job = &p.jobs[x];
            seg = seg.then(
                p.duration(prev, job.location),
                &DurationSegment::visit(job.service, job.time_window),
            );
            load = load.then(&LoadSegment::visit(job.depot_load, job.load_change));
            distance += p.distance(prev, job.location);
            prev = job.location;
        }
        seg = seg.then(
            p.duration(prev, vt.end_loc),
            &DurationSegment::visit(0, vt.shift),
        );
        distance += p.distance(prev, vt.end_loc);
        let r = if !load.fits(&vt.capacity, p.dims) {
            UnassignedReason::OverCapacity
        } else if seg.time_warp > 0 {
            UnassignedReason::NoFeasibleWindow
        } else if seg.duration > vt.max_duration {
            UnassignedReason::OverMaxDuration
        } else if distance > vt.max_distance {
            UnassignedReason::OverMaxDistance
        } else {
            any_fits_alone = true;
            if fleet_left[k] > 0 && p.jobs[j].skip_penalty.is_some() {
                return UnassignedReason::NotWorthServing;
            }
            continue;
        };
        // Report the constraint that fails "latest" in the check order.
        if rank(r) > rank(worst) {
            worst = r;
        }
    }
    if any_fits_alone {
        if p.jobs[j].skip_penalty.is_some() {
            UnassignedReason::NotWorthServing
        } else {
            UnassignedReason::FleetExhausted
        }
    } else {
        worst
    }
}

fn rank(r: UnassignedReason) -> u8 {
    match r {
        UnassignedReason::OverCapacity => 0,
        UnassignedReason::NoFeasibleWindow => 1,
        UnassignedReason::OverMaxDuration => 2,
        UnassignedReason::OverMaxDistance => 3,
        _ => 4,
    }
}
