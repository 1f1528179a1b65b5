//! A small public entry to the hot insertion evaluation, for the criterion
//! benchmark in `benches/insertion.rs` (hidden from the docs; not a stable
//! API). It wraps the solver's own route cache and evaluator: what it
//! measures is what recreate calls for every route and job.

use super::route::{JobView, Route};
use crate::problem::Problem;

/// One route of the solver (with its cached prefix and suffix segments),
/// built from a job sequence.
#[derive(Debug, Clone)]
pub struct InsertionRoute {
    route: Route,
}

/// The cheapest feasible insertion of a job into an [`InsertionRoute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertionCost {
    /// Cost increase of the route.
    pub delta: i64,
    /// The job goes right after this position (0: after the start).
    pub after: usize,
}

impl InsertionRoute {
    /// The route of vehicle type `vehicle_type` serving `jobs` in order.
    /// `None` if the vehicle type or a job index is out of range.
    pub fn new(p: &Problem, vehicle_type: usize, jobs: &[usize]) -> Option<Self> {
        if vehicle_type >= p.vehicle_types.len() || jobs.iter().any(|&j| j >= p.jobs.len()) {
            return None;
        }
        let mut route = Route::new(p, vehicle_type);
        route.jobs = jobs.to_vec();
        route.rebuild(p);
        Some(Self { route })
    }

    /// Number of jobs on the route.
    pub fn len(&self) -> usize {
        self.route.len()
    }

    /// True when the route has no job.
    pub fn is_empty(&self) -> bool {
        self.route.is_empty()
    }

    /// Evaluates inserting job `job` at every position of the route (as
    /// recreate does, without blinks) and returns the cheapest feasible one;
    /// `None` when no position is feasible or `job` is out of range.
    pub fn best_insertion(&self, p: &Problem, job: usize) -> Option<InsertionCost> {
        if job >= p.jobs.len() {
            return None;
        }
        let view = JobView::new(p, job);
        self.route
            .best_insertion_of(p, &view, i64::MAX, || false)
            .map(|ins| InsertionCost {
                delta: ins.delta,
                after: ins.after,
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::problem::{JobSpec, Objective, ProblemSpec, VehicleTypeSpec};
    use crate::Matrix;

    /// Depot at 0, jobs at 10, 20, 30 on a line: putting the job at 20
    /// back between 10 and 30 costs nothing (after position 1); bad
    /// indices give `None` instead of a panic.
    #[test]
    fn insertion_on_a_line() {
        let pos = [0i64, 10, 20, 30];
        let m = Matrix::from_fn(4, |i, j| (pos[i] - pos[j]).abs());
        let p = Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs: (1..4).map(|l| JobSpec::delivery(l, 1, 0)).collect(),
            pairs: vec![],
            vehicle_types: vec![VehicleTypeSpec::simple(1, 10, 0)],
            objective: Objective::Weighted,
        })
        .unwrap();
        let r = InsertionRoute::new(&p, 0, &[0, 2]).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.best_insertion(&p, 1),
            Some(InsertionCost { delta: 0, after: 1 })
        );
        assert_eq!(r.best_insertion(&p, 9), None);
        assert!(InsertionRoute::new(&p, 1, &[0]).is_none());
        assert!(InsertionRoute::new(&p, 0, &[7]).is_none());
    }
}
