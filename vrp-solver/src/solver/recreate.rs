//! Recreate: greedy insertion with blinks (SISR). Removed jobs are sorted by
//! one of several criteria and each is put where it costs least; a few
//! positions are skipped at random ("blinks") to diversify.

use super::neighbours::NeighbourLists;
use super::route::{Insertion, JobView, Route};
use super::state::{State, NONE};
use super::Budget;
use crate::problem::Problem;
use crate::rng::Rng;

/// Per-problem data used to sort removed jobs.
#[derive(Debug, Clone)]
pub(crate) struct SortKeys {
    /// Total demand (summed over dimensions).
    pub demand: Vec<i64>,
    /// Distance from the depot of vehicle type 0.
    pub depot_dist: Vec<i64>,
    /// Window width.
    pub tw_width: Vec<i64>,
    /// Whether window sorting is meaningful.
    pub has_windows: bool,
}

impl SortKeys {
    /// Precomputes the keys.
    pub fn new(p: &Problem) -> Self {
        let depot = p.vehicle_types[0].start;
        let demand = p.jobs.iter().map(|j| j.demand.iter().sum()).collect();
        let depot_dist = p
            .jobs
            .iter()
            .map(|j| p.distance(depot, j.location) + p.distance(j.location, depot))
            .collect();
        let tw_width: Vec<i64> = p
            .jobs
            .iter()
            .map(|j| j.time_window.end - j.time_window.start)
            .collect();
        let has_windows = p
            .jobs
            .iter()
            .any(|j| j.time_window.end < p.vehicle_types[0].shift.end);
        Self {
            demand,
            depot_dist,
            tw_width,
            has_windows,
        }
    }
}

/// Orders `units` by a randomly chosen criterion.
pub(crate) fn sort_units(keys: &SortKeys, units: &mut [usize], rng: &mut Rng) {
    // Weights: random 4, demand 4, far 2, close 1, narrow window 2 (if windows).
    let total = if keys.has_windows { 13 } else { 11 };
    let pick = rng.below(total);
    if pick < 4 {
        for i in (1..units.len()).rev() {
            let k = rng.below(i + 1);
            units.swap(i, k);
        }
    } else if pick < 8 {
        units.sort_by_key(|&j| std::cmp::Reverse(keys.demand[j]));
    } else if pick < 10 {
        units.sort_by_key(|&j| std::cmp::Reverse(keys.depot_dist[j]));
    } else if pick < 11 {
        units.sort_by_key(|&j| keys.depot_dist[j]);
    } else {
        units.sort_by_key(|&j| keys.tw_width[j]);
    }
}

/// Which routes recreate asks about a job.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Every non-empty route.
    All,
    /// Only routes holding one of the job's `k` nearest jobs (granular
    /// insertion); every other route is asked only when none of those can
    /// take the job. `neighbours.of(p, j)` lists jobs nearest first.
    Near {
        /// Nearest jobs of every job.
        neighbours: &'a NeighbourLists,
        /// How many of them to look at.
        k: usize,
    },
}

/// Inserts `units` greedily; what cannot be placed goes to `st.unassigned`.
///
/// The budget is looked at before every unit: once it is spent, the units
/// not yet tried go to `st.unassigned` untried and their number is
/// returned (0 when every unit was tried).
#[allow(clippy::too_many_arguments)]
pub(crate) fn recreate(
    p: &Problem,
    st: &mut State,
    units: &[usize],
    empty_routes: &[Route],
    blink_rate: f64,
    rng: &mut Rng,
    scope: Scope<'_>,
    budget: &Budget,
) -> usize {
    let mut near: Vec<usize> = Vec::new();
    for (k, &u) in units.iter().enumerate() {
        if budget.expired() {
            st.unassigned.extend_from_slice(&units[k..]);
            return units.len() - k;
        }
        let pair = if p.jobs[u].is_pair_pickup {
            p.jobs[u].partner
        } else {
            None
        };
        let skip_cost = p.skip_cost(u);
        let mut best: Option<(usize, usize, Insertion)> = None;
        let mut bound = skip_cost;
        let mut blink = || blink_rate > 0.0 && rng.chance(blink_rate);
        let view = JobView::new(p, u);
        let mut ask = |ri: usize, r: &Route, bound: &mut i64, best: &mut Option<_>| {
            if r.is_empty() {
                return;
            }
            super::count_moves(r.len() as u64 + 1);
            let ins = match pair {
                None => r.best_insertion_of(p, &view, *bound, &mut blink),
                Some(d) => r.best_pair_insertion(p, u, d, *bound, &mut blink),
            };
            if let Some(ins) = ins {
                *bound = ins.delta;
                *best = Some((ri, r.vt, ins));
            }
        };
        let all = match scope {
            Scope::All => true,
            Scope::Near { neighbours, k } => {
                near.clear();
                near.extend(
                    neighbours
                        .of(p, u)
                        .iter()
                        .take(k)
                        .map(|&v| st.route_of[v as usize])
                        .filter(|&r| r != NONE)
                        .map(|r| r as usize),
                );
                near.sort_unstable();
                near.dedup();
                near.is_empty()
            }
        };
        if all {
            for (ri, r) in st.routes.iter().enumerate() {
                ask(ri, r, &mut bound, &mut best);
            }
        } else {
            for &ri in &near {
                ask(ri, &st.routes[ri], &mut bound, &mut best);
            }
            if best.is_none() {
                for (ri, r) in st.routes.iter().enumerate() {
                    if near.binary_search(&ri).is_err() {
                        ask(ri, r, &mut bound, &mut best);
                    }
                }
            }
        }
        let in_use: usize = st.used.iter().sum();
        if in_use < st.route_limit {
            for (vt, er) in empty_routes.iter().enumerate() {
                if st.used[vt] >= p.vehicle_types[vt].count {
                    continue;
                }
                super::count_moves(1);
                let ins = match pair {
                    None => er.best_insertion_of(p, &view, bound, || false),
                    Some(d) => er.best_pair_insertion(p, u, d, bound, || false),
                };
                if let Some(ins) = ins {
                    bound = ins.delta;
                    best = Some((st.routes.len(), vt, ins));
                }
            }
        }
        match best {
            Some((ri, vt, ins)) => st.insert(p, ri, vt, ins, u),
            None => st.unassigned.push(u),
        }
    }
    0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Granular insertion: the fallback to far routes, and equality with
    //! the full scan when every job counts as near.
    use super::*;
    use crate::problem::{JobSpec, Objective, ProblemSpec, VehicleTypeSpec};
    use crate::Matrix;

    /// Jobs on a line (depot at 0): 0-2 at 10-12, 3 at 100, 4 at 101, 5 at 13.
    fn line_problem() -> Problem {
        let pos = [0i64, 10, 11, 12, 100, 101, 13];
        let m = Matrix::from_fn(pos.len(), |i, j| (pos[i] - pos[j]).abs());
        Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs: (1..pos.len()).map(|l| JobSpec::delivery(l, 1, 0)).collect(),
            pairs: vec![],
            vehicle_types: vec![VehicleTypeSpec::simple(2, 3, 0)],
            objective: Objective::Weighted,
        })
        .unwrap()
    }

    /// Job 5 (at 13) has its nearest jobs in route 0, which is full
    /// (capacity 3) and no vehicle is left: granular insertion must fall
    /// back to the far route 1 instead of leaving the job out.
    #[test]
    fn near_scope_falls_back_to_far_routes() {
        let p = line_problem();
        let unlimited = Budget::unlimited();
        let nb = NeighbourLists::from_lists(vec![vec![2, 1, 0, 3, 4]; p.num_jobs()]);
        let empty = vec![Route::new(&p, 0)];
        let mut st = State::with_routes(&p, &[&[0, 1, 2], &[3]]);
        let mut rng = Rng::new(1);
        let scope = Scope::Near {
            neighbours: &nb,
            k: 3,
        };
        recreate(&p, &mut st, &[5], &empty, 0.0, &mut rng, scope, &unlimited);
        assert!(st.unassigned.is_empty());
        assert_eq!(st.route_of[5], 1);
        assert_eq!(st.routes[1].jobs, vec![5, 3]);
        // Job 4 (at 101) is near job 3 only: it goes into route 1.
        let mut st = State::with_routes(&p, &[&[0, 1], &[3]]);
        let nb4 = NeighbourLists::from_lists(vec![vec![3, 2, 1, 0, 5]; p.num_jobs()]);
        let scope = Scope::Near {
            neighbours: &nb4,
            k: 1,
        };
        recreate(&p, &mut st, &[4], &empty, 0.0, &mut rng, scope, &unlimited);
        assert_eq!(st.route_of[4], 1);
        assert_eq!(st.routes[1].len(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(50))]
        /// With every job counted as near, granular insertion asks the same
        /// routes in the same order as the full scan: identical results
        /// (a property over random points, demands and recreate seeds).
        #[test]
        fn near_scope_with_all_jobs_equals_full_scan(
            pts in proptest::collection::vec((0i64..100, 0i64..100), 12),
            demands in proptest::collection::vec(1i64..=4, 11),
            seed in 0u64..1000,
        ) {
            let m = Matrix::from_fn(pts.len(), |i, j| {
                let (dx, dy) = ((pts[i].0 - pts[j].0) as f64, (pts[i].1 - pts[j].1) as f64);
                (dx * dx + dy * dy).sqrt().round() as i64
            });
            let jobs = demands
                .iter()
                .enumerate()
                .map(|(k, &d)| JobSpec::delivery(k + 1, d, 0))
                .collect();
            let p = Problem::new(ProblemSpec {
                durations: m.clone(),
                distances: m,
                jobs,
                pairs: vec![],
                vehicle_types: vec![VehicleTypeSpec::simple(4, 9, 0)],
                objective: Objective::Weighted,
            })
            .unwrap();
            let nj = p.num_jobs();
            let nb = NeighbourLists::from_lists(
                (0..nj)
                    .map(|j| (0..nj as u32).filter(|&v| v as usize != j).collect())
                    .collect(),
            );
            let empty = vec![Route::new(&p, 0)];
            let units: Vec<usize> = (0..nj).collect();
            let run = |scope: Scope<'_>| {
                let mut st = State::empty(&p);
                st.unassigned.clear();
                let untried = recreate(
                    &p,
                    &mut st,
                    &units,
                    &empty,
                    0.1,
                    &mut Rng::new(seed),
                    scope,
                    &Budget::unlimited(),
                );
                (untried, st.snapshot(), st.unassigned.clone())
            };
            let all = run(Scope::All);
            let near = run(Scope::Near {
                neighbours: &nb,
                k: nj,
            });
            proptest::prop_assert_eq!(all.0, 0);
            proptest::prop_assert_eq!(all, near);
        }
    }
}
