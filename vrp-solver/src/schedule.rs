//! Exact forward simulation of one route, for problems where cached segments
//! are not exact (see [`crate::Problem::segments_exact`]): jobs with several
//! hard windows, soft lateness, and vehicle types that reload.
//!
//! The cost is O(route length × windows per job) per evaluated route; this is
//! the price of those features. Problems without them never come here.
//!
//! ## The schedule of a job sequence (the policy, computed exactly)
//! 1. **Trips.** Jobs are taken in order into the current trip while the trip
//!    fits the capacity ([`LoadSegment::fits`], capacity per trip). When the
//!    next job does not fit and the vehicle type reloads, a reload stop is
//!    put before it, at the reload location with the smallest detour
//!    (distance from the previous stop plus distance to the job; ties to the
//!    first listed), and a new trip starts. A reload never splits an open
//!    pickup-delivery pair.
//! 2. **Earliest times.** Leaving at the shift start, every visit starts at
//!    the earliest time it can: in the earliest window it can still reach,
//!    or late in a window if soft lateness allows it (lateness is accepted
//!    rather than waiting for a later window). This gives the earliest
//!    possible return `E` and, per job, the lateness `ℓ` of that schedule.
//!    The route is feasible exactly when this pass is.
//! 3. **Latest departure.** Backwards from the return at `E`, every visit
//!    starts as late as it can without a lateness above `ℓ`; this gives the
//!    latest departure `D` that still returns at `E`.
//! 4. **Reported schedule.** Forward again from `D`, every visit starts at
//!    the earliest time with lateness at most `ℓ`. It returns at `E`, so the
//!    duration is `E - D`; lateness is at most that of pass 2.
//!
//! With one window per job and no lateness or reloads this is exactly the
//! minimal duration of the segment arithmetic (a property test checks it).
//! With several windows a later return with a much later departure can be
//! shorter; this policy does not look for it (earliest return first).

use crate::problem::{Job, Problem, TimeWindow, VehicleType, MAX_DIMS};
use crate::segment::LoadSegment;

/// Why a simulated route is infeasible (the first rule that fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A trip exceeds the capacity (or a single job exceeds it).
    Capacity,
    /// A visit cannot start in any window (with its allowed lateness), or
    /// the vehicle cannot return within its shift.
    Window,
    /// The route is longer than the maximum duration.
    Duration,
    /// The route is longer than the maximum distance.
    Distance,
}

/// What happens at a simulated visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VisitKind {
    /// Serving a job.
    Job(usize),
    /// Reloading at a location.
    Reload(usize),
}

/// A visit of the reported schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Visit {
    pub kind: VisitKind,
    pub arrival: i64,
    pub start: i64,
    pub departure: i64,
    /// Time units late (0 for reloads).
    pub lateness: i64,
    /// Trip index (0-based); a reload starts the next trip.
    pub trip: usize,
    /// Load on board after the visit.
    pub load_after: [i64; MAX_DIMS],
}

/// Summary of a feasible simulated route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Fixed + distance + time + lateness costs.
    pub cost: i64,
    pub distance: i64,
    pub duration: i64,
    /// Departure from the start location.
    pub departure: i64,
    /// Total lateness (time units).
    pub lateness: i64,
}

/// Reusable buffers of the simulation (kept by the caller to avoid allocation).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    kinds: Vec<VisitKind>,
    locs: Vec<usize>,
    earliest: Vec<i64>,
    late: Vec<i64>,
    latest: Vec<i64>,
    trips: Vec<LoadSegment>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|c| match c.try_borrow_mut() {
        Ok(mut sc) => f(&mut sc),
        // Re-entered (never done by the solver): use fresh buffers.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Earliest start `>= t` with lateness at most `late` (`None`: none exists).
#[inline]
fn earliest_in(windows: &[TimeWindow], late: i64, t: i64) -> Option<i64> {
    windows
        .iter()
        .find(|w| t <= w.end + late)
        .map(|w| t.max(w.start))
}

/// Latest start `<= t` with lateness at most `late` (`None`: none exists).
#[inline]
fn latest_in(windows: &[TimeWindow], late: i64, t: i64) -> Option<i64> {
    windows
        .iter()
        .rev()
        .find(|w| w.start <= t)
        .map(|w| t.min(w.end + late))
}

/// Lateness of a start at `t` (the least over the windows that allow `t`).
#[inline]
fn lateness_at(windows: &[TimeWindow], t: i64) -> i64 {
    windows
        .iter()
        .filter(|w| w.start <= t)
        .map(|w| (t - w.end).max(0))
        .min()
        .unwrap_or(0)
}

#[inline]
fn max_late(job: &Job) -> i64 {
    job.lateness.map_or(0, |l| l.max)
}

#[inline]
fn job_load(job: &Job) -> LoadSegment {
    LoadSegment::visit(job.depot_load, job.load_change)
}

/// Simulates vehicle type `vt` serving `jobs` in order. Pairing order and
/// skills are not checked here. With `out`, the reported schedule is written
/// to it (and the start load of every trip to `trip_loads`).
pub(crate) fn simulate(
    p: &Problem,
    vt: &VehicleType,
    jobs: impl Iterator<Item = usize>,
    sc: &mut Scratch,
    out: Option<(&mut Vec<Visit>, &mut Vec<[i64; MAX_DIMS]>)>,
) -> Result<Outcome, Failure> {
    // 1. Trips and reload stops.
    sc.kinds.clear();
    sc.locs.clear();
    sc.trips.clear();
    let mut trip = LoadSegment::default();
    let mut trip_jobs = 0usize;
    let mut open_pairs = 0usize;
    let mut prev = vt.start;
    let mut distance = 0i64;
    for j in jobs {
        let job = &p.jobs[j];
        let seg = job_load(job);
        let cand = trip.then(&seg);
        if cand.fits(&vt.capacity, p.dims) {
            trip = cand;
        } else {
            let reload = vt.reload.as_ref().ok_or(Failure::Capacity)?;
            if trip_jobs == 0 || open_pairs > 0 || !seg.fits(&vt.capacity, p.dims) {
                return Err(Failure::Capacity);
            }
            let mut best = (i64::MAX, vt.start);
            for &r in &reload.locations {
                let detour = p.distance(prev, r) + p.distance(r, job.location);
                if detour < best.0 {
                    best = (detour, r);
                }
            }
            let r = best.1;
            distance += p.distance(prev, r);
            sc.kinds.push(VisitKind::Reload(r));
            sc.locs.push(r);
            sc.trips.push(trip);
            prev = r;
            trip = seg;
            trip_jobs = 0;
        }
        trip_jobs += 1;
        if job.partner.is_some() {
            if job.is_pair_pickup {
                open_pairs += 1;
            } else {
                open_pairs = open_pairs.saturating_sub(1);
            }
        }
        distance += p.distance(prev, job.location);
        sc.kinds.push(VisitKind::Job(j));
        sc.locs.push(job.location);
        prev = job.location;
    }
    sc.trips.push(trip);
    distance += p.distance(prev, vt.end_loc);
    let n = sc.kinds.len();
    let service = |k: VisitKind| match k {
        VisitKind::Job(j) => p.jobs[j].service,
        VisitKind::Reload(_) => vt.reload.as_ref().map_or(0, |r| r.duration),
    };
    // 2. Earliest schedule from the shift start.
    sc.earliest.clear();
    sc.late.clear();
    let mut t = vt.shift.start;
    let mut prev = vt.start;
    for k in 0..n {
        let arrival = t + p.duration(prev, sc.locs[k]);
        let (start, late) = match sc.kinds[k] {
            VisitKind::Job(j) => {
                let job = &p.jobs[j];
                let s = earliest_in(&job.windows, max_late(job), arrival).ok_or(Failure::Window)?;
                (s, lateness_at(&job.windows, s))
            }
            VisitKind::Reload(_) => (arrival, 0),
        };
        sc.earliest.push(start);
        sc.late.push(late);
        t = start + service(sc.kinds[k]);
        prev = sc.locs[k];
    }
    let end = t + p.duration(prev, vt.end_loc);
    if end > vt.shift.end {
        return Err(Failure::Window);
    }
    // 3. Latest starts that keep the return at `end` and lateness at most ℓ.
    sc.latest.clear();
    sc.latest.resize(n, 0);
    let mut bound = end;
    let mut next = vt.end_loc;
    for k in (0..n).rev() {
        let b = bound - p.duration(sc.locs[k], next) - service(sc.kinds[k]);
        let l = match sc.kinds[k] {
            VisitKind::Job(j) => latest_in(&p.jobs[j].windows, sc.late[k], b),
            VisitKind::Reload(_) => Some(b),
        };
        // The earliest schedule is a witness, so a start exists; keep it if not.
        let l = l.unwrap_or(sc.earliest[k]).max(sc.earliest[k]);
        sc.latest[k] = l;
        bound = l;
        next = sc.locs[k];
    }
    let departure = (bound - p.duration(vt.start, next)).max(vt.shift.start);
    // 4. Reported schedule: forward from the latest departure.
    let mut t = departure;
    let mut prev = vt.start;
    let mut lateness = 0i64;
    let mut lateness_cost = 0i64;
    let mut out = out;
    let mut trip_idx = 0usize;
    let mut on_board = sc.trips[0].depot;
    if let Some((visits, loads)) = out.as_mut() {
        visits.clear();
        loads.clear();
        loads.extend(sc.trips.iter().map(|s| s.depot));
    }
    for k in 0..n {
        let arrival = t + p.duration(prev, sc.locs[k]);
        let (start, late) = match sc.kinds[k] {
            VisitKind::Job(j) => {
                let job = &p.jobs[j];
                let s = earliest_in(&job.windows, sc.late[k], arrival)
                    .unwrap_or(sc.latest[k])
                    .min(sc.latest[k]);
                let late = lateness_at(&job.windows, s);
                lateness_cost += late * job.lateness.map_or(0, |l| l.cost_per_unit);
                (s, late)
            }
            VisitKind::Reload(_) => (arrival, 0),
        };
        lateness += late;
        match sc.kinds[k] {
            VisitKind::Job(j) => {
                for (b, c) in on_board.iter_mut().zip(p.jobs[j].load_change) {
                    *b += c;
                }
            }
            VisitKind::Reload(_) => {
                trip_idx += 1;
                on_board = sc.trips[trip_idx].depot;
            }
        }
        let departure_k = start + service(sc.kinds[k]);
        if let Some((visits, _)) = out.as_mut() {
            visits.push(Visit {
                kind: sc.kinds[k],
                arrival,
                start,
                departure: departure_k,
                lateness: late,
                trip: trip_idx,
                load_after: on_board,
            });
        }
        t = departure_k;
        prev = sc.locs[k];
    }
    let duration = t + p.duration(prev, vt.end_loc) - departure;
    if duration > vt.max_duration {
        return Err(Failure::Duration);
    }
    if distance > vt.max_distance {
        return Err(Failure::Distance);
    }
    Ok(Outcome {
        cost: vt.fixed_cost
            + vt.cost_per_distance * distance
            + vt.cost_per_time * duration
            + lateness_cost,
        distance,
        duration,
        departure,
        lateness,
    })
}
