//! Recreate: greedy insertion with blinks (SISR). Removed jobs are sorted by
//! one of several criteria and each is put where it costs least; a few
//! positions are skipped at random ("blinks") to diversify.

use super::route::{Insertion, JobView, Route};
use super::state::State;
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

/// Inserts `units` greedily; what cannot be placed goes to `st.unassigned`.
pub(crate) fn recreate(
    p: &Problem,
    st: &mut State,
    units: &[usize],
    empty_routes: &[Route],
    blink_rate: f64,
    rng: &mut Rng,
) {
    for &u in units {
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
        for (ri, r) in st.routes.iter().enumerate() {
            if r.is_empty() {
                continue;
            }
            super::count_moves(r.len() as u64 + 1);
            let ins = match pair {
                None => r.best_insertion_of(p, &view, bound, &mut blink),
                Some(d) => r.best_pair_insertion(p, u, d, bound, &mut blink),
            };
            if let Some(ins) = ins {
                bound = ins.delta;
                best = Some((ri, r.vt, ins));
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
}
