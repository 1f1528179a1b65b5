//! The from-scratch baseline: every stop not yet under way is re-solved with
//! [`milkrun_vrp::solve`] under the same budget. Each active courier is its own vehicle
//! type (count 1) starting where it will be free: at its committed stop when it leaves it,
//! else at its anchor; capacity is what it has left. It returns the new routes; the owner
//! of the day writes them.

use std::time::Duration;

use milkrun_vrp::{solve, Problem, ProblemError, Solution, SolverOptions};

use crate::cache::RouteCache;
use crate::limit::Deadline;
use crate::model::UnservedReason;
use crate::problem::{to_problem_until, VehicleStart};
use crate::repair::{self, reason};
use crate::view::DayView;

/// The outcome of a from-scratch re-solve.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    /// The planned stops of every courier (index: courier; inactive couriers keep theirs).
    pub planned: Vec<Vec<u32>>,
    /// The stops left out, with reasons.
    pub unserved: Vec<(u32, UnservedReason)>,
    /// Why the solver's problem could not be built (every stop is then left out).
    pub error: Option<ProblemError>,
}

/// Re-solves all planned stops plus `pool` with the solver's `seed`, iteration limit and
/// progress callback from `solver`; its time limit and cancel flag come from `deadline`.
pub(crate) fn resolve(
    d: &DayView<'_>,
    pool: Vec<u32>,
    deadline: &Deadline,
    solver: SolverOptions,
) -> Resolved {
    let mut jobs: Vec<u32> = pool;
    let mut couriers = Vec::new();
    let mut routes = d.routes.to_vec();
    for (k, r) in routes.iter_mut().enumerate() {
        if r.active {
            jobs.append(&mut r.planned);
            couriers.push(k);
        }
    }
    jobs.sort_unstable();
    jobs.dedup();
    if couriers.is_empty() {
        return Resolved {
            planned: routes.into_iter().map(|r| r.planned).collect(),
            unserved: jobs
                .into_iter()
                .map(|s| (s, UnservedReason::NoActiveCourier))
                .collect(),
            error: None,
        };
    }
    let vehicles: Vec<VehicleStart> = couriers
        .iter()
        .map(|&k| {
            let r = &routes[k];
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
            VehicleStart {
                loc,
                free_s,
                shift_end_s: spec.shift_end_s,
                capacity: spec.capacity - load,
            }
        })
        .collect();
    // The solver has no time of day: it gets the slowest time of every leg over the rest of
    // the shift (the base matrix when there are no slots); the plan is then re-checked with
    // the time-dependent schedule and repaired where it is late.
    let horizon = (
        d.clock_s,
        d.couriers
            .iter()
            .map(|c| c.shift_end_s)
            .max()
            .unwrap_or(d.clock_s),
    );
    let problem = to_problem_until(
        d.times,
        d.depot,
        d.stops,
        &jobs,
        &vehicles,
        horizon,
        Some(d.weights.unserved_penalty),
        &|| deadline.cancelled(),
    );
    let mut placed = vec![false; jobs.len()];
    let mut error = None;
    if let Some(Err(e)) = problem {
        error = Some(e);
    } else if let Some(Ok(problem)) = problem {
        let options = SolverOptions {
            time_limit: Some(deadline.left().max(Duration::from_millis(1))),
            cancel: deadline.flag(),
            ..solver
        };
        let solution = solve_until(problem, options);
        for route in &solution.routes {
            let k = couriers[route.vehicle_type];
            routes[k].planned = route.stops.iter().map(|st| jobs[st.job]).collect();
            for st in &route.stops {
                placed[st.job] = true;
            }
        }
    }
    let mut caches: Vec<Option<RouteCache>> = routes
        .iter()
        .zip(d.couriers)
        .map(|(r, c)| {
            r.active
                .then(|| RouteCache::build(r, c, d.stops, d.times, d.depot))
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
            for (r, c) in routes.iter_mut().zip(&caches) {
                if let Some(c) = c {
                    r.planned = c.planned().to_vec();
                }
            }
        }
    }
    let mut unserved = Vec::new();
    for (k, &s) in jobs.iter().enumerate() {
        if !placed[k] {
            let why = match reason(d, &caches, s) {
                UnservedReason::NoFeasiblePosition => UnservedReason::NotWorthServing,
                other => other,
            };
            unserved.push((s, why));
        }
    }
    Resolved {
        planned: routes.into_iter().map(|r| r.planned).collect(),
        unserved,
        error,
    }
}

/// Runs the solver, which reads the cancel flag from its first job placed (construction
/// included). A cancelled solve still answers with the best plan it found (the jobs it had
/// not yet tried left out), which is kept: the plan as it stands when the cancel came, as
/// [`crate::ReplanOptions::cancel`] promises, not a day with every stop left out.
fn solve_until(problem: Problem, options: SolverOptions) -> Solution {
    solve(&problem, &options)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::dispatch::Dispatch;
    use crate::fixtures::{couriers, morning_stops, row_times};
    use crate::model::Weights;
    use std::time::Instant;

    /// A problem the solver refuses (a negative demand slipped past the day's checks) is
    /// reported with the solver's error as the cause, and every stop is left out.
    #[test]
    fn refused_problem_is_reported() {
        let mut d = Dispatch::new(
            row_times(3),
            0,
            morning_stops(3),
            couriers(1, 5),
            Weights::default(),
        )
        .unwrap();
        d.stops[1].bottles = -1;
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(5), None);
        let r = resolve(&d.view(), vec![0, 1], &deadline, SolverOptions::default());
        assert!(matches!(
            r.error,
            Some(ProblemError::Negative { path, .. }) if path.index == 1
        ));
        assert_eq!(r.unserved.len(), 2);
    }

    /// A from-scratch re-plan cancelled once the solver has a plan (its first progress
    /// report) keeps that plan: the stops are served, not all left out.
    #[test]
    fn cancelled_solve_keeps_the_solvers_plan() {
        use crate::options::{Phase, ReplanOptions, Strategy};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let mut d = Dispatch::new(
            row_times(8),
            0,
            morning_stops(8),
            couriers(2, 20),
            Weights::default(),
        )
        .unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let none = vec![Vec::new(); 2];
        let r = d
            .set_plan(
                &none,
                &ReplanOptions {
                    budget: Duration::from_secs(30),
                    strategy: Strategy::FromScratch,
                    cancel: Some(cancel.clone()),
                    progress: Some(Arc::new(move |p| {
                        if p.phase == Phase::Solver {
                            flag.store(true, Ordering::Relaxed);
                        }
                    })),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(
            cancel.load(Ordering::Relaxed),
            "the solver reported no plan"
        );
        assert!(r.cancelled);
        let planned: usize = d.routes().iter().map(|r| r.planned.len()).sum();
        // The solver's first report comes once every stop is placed: all 8 kept.
        assert_eq!(planned, d.stops.len(), "unserved: {:?}", r.unserved);
        assert!(r.unserved.is_empty());
    }
}
