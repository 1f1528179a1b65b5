//! The from-scratch baseline: every stop not yet under way is re-solved with
//! [`milkrun_vrp::solve`] under the same budget. Each active courier is its own vehicle
//! type (count 1) starting where it will be free: at its committed stop when it leaves it,
//! else at its anchor; capacity is what it has left.

use std::time::Instant;

use milkrun_vrp::{
    solve, JobKind, JobSpec, Matrix, Objective, Problem, ProblemSpec, SolverOptions,
    VehicleTypeSpec,
};

use crate::cache::RouteCache;
use crate::dispatch::Dispatch;
use crate::model::UnservedReason;
use crate::repair::{self, reason};

/// Re-solves all planned stops plus `pool`; writes the routes back into `d` and returns the
/// stops left out, with reasons.
pub(crate) fn resolve(
    d: &mut Dispatch,
    pool: Vec<u32>,
    deadline: Instant,
    seed: u64,
) -> Vec<(u32, UnservedReason)> {
    let mut jobs: Vec<u32> = pool;
    let mut couriers = Vec::new();
    for (k, r) in d.routes.iter_mut().enumerate() {
        if r.active {
            jobs.append(&mut r.planned);
            couriers.push(k);
        }
    }
    jobs.sort_unstable();
    jobs.dedup();
    let mut locs: Vec<u32> = vec![d.depot];
    let mut types = Vec::new();
    for &k in &couriers {
        let r = &d.routes[k];
        let spec = &d.couriers[k];
        let (loc, free_s, load) = match r.committed {
            Some(c) => {
                let s = &d.stops[c as usize];
                let arrival = r.anchor_s + d.times.travel_at(r.anchor_loc, s.loc, r.anchor_s);
                (
                    s.loc,
                    arrival.max(s.window_s.0) + s.service_s,
                    r.load_done + s.bottles,
                )
            }
            None => (r.anchor_loc, r.anchor_s, r.load_done),
        };
        locs.push(loc);
        types.push(VehicleTypeSpec {
            count: 1,
            capacity: vec![(spec.capacity - load).max(0)],
            start: locs.len() - 1,
            end: Some(0),
            shift: (free_s, spec.shift_end_s.max(free_s)),
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            skills: Vec::new(),
            reload: None,
        });
    }
    let first_job = locs.len();
    locs.extend(jobs.iter().map(|&s| d.stops[s as usize].loc));
    let penalty = d.weights.unserved_penalty;
    let job_specs: Vec<JobSpec> = jobs
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let st = &d.stops[s as usize];
            JobSpec {
                location: first_job + k,
                demand: vec![st.bottles],
                kind: JobKind::Delivery,
                service: st.service_s,
                time_windows: vec![st.window_s],
                skills: Vec::new(),
                skip_penalty: Some(penalty),
                lateness: None,
            }
        })
        .collect();
    let mut unserved = Vec::new();
    if types.is_empty() {
        return jobs
            .into_iter()
            .map(|s| (s, UnservedReason::NoActiveCourier))
            .collect();
    }
    // The solver has no time of day: it gets the slowest time of every leg over the rest of
    // the shift (the base matrix when there are no slots); the plan is then re-checked with
    // the time-dependent schedule and repaired where it is late.
    let times = &d.times;
    let (from_s, to_s) = (
        d.clock_s,
        d.couriers
            .iter()
            .map(|c| c.shift_end_s)
            .max()
            .unwrap_or(d.clock_s),
    );
    let m = Matrix::from_fn(locs.len(), |i, j| {
        times.travel_max(locs[i], locs[j], from_s, to_s)
    });
    let problem = Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs: job_specs,
        pairs: Vec::new(),
        vehicle_types: types,
        objective: Objective::Weighted,
    });
    let mut placed = vec![false; jobs.len()];
    if let Ok(problem) = problem {
        let left = deadline.saturating_duration_since(Instant::now());
        let options = SolverOptions {
            seed,
            time_limit: Some(left.max(std::time::Duration::from_millis(1))),
            ..Default::default()
        };
        let solution = solve(&problem, &options);
        for route in &solution.routes {
            let k = couriers[route.vehicle_type];
            d.routes[k].planned = route.stops.iter().map(|st| jobs[st.job]).collect();
            for st in &route.stops {
                placed[st.job] = true;
            }
        }
    }
    let mut caches: Vec<Option<RouteCache>> = d
        .routes
        .iter()
        .zip(&d.couriers)
        .map(|(r, c)| {
            r.active
                .then(|| RouteCache::build(r, c, &d.stops, &d.times, d.depot))
        })
        .collect();
    if !d.times.slots().is_empty() {
        // Waiting can differ from the static bound: take out and re-insert what is late.
        let mut late = Vec::new();
        repair::restore_feasibility(d, &mut caches, &mut late);
        if !late.is_empty() {
            for (k, &s) in jobs.iter().enumerate() {
                if late.contains(&s) {
                    placed[k] = false;
                }
            }
            let left = repair::insert_regret(d, &mut caches, &late, deadline);
            for (k, &s) in jobs.iter().enumerate() {
                if late.contains(&s) && !left.iter().any(|u| u.0 == s) {
                    placed[k] = true;
                }
            }
            for (r, c) in d.routes.iter_mut().zip(&caches) {
                if let Some(c) = c {
                    r.planned = c.stops[c.fixed..c.stops.len() - 1].to_vec();
                }
            }
        }
    }
    for (k, &s) in jobs.iter().enumerate() {
        if !placed[k] {
            let why = match reason(d, &caches, s) {
                UnservedReason::NoFeasiblePosition => UnservedReason::NotWorthServing,
                other => other,
            };
            unserved.push((s, why));
        }
    }
    unserved
}
