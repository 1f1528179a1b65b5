//! What every phase of the search shares: its tunable constants, the per-problem data
//! computed once (neighbour lists, sort keys, the cost scale) and the budget's clock.

use std::sync::Arc;
use std::time::Instant;

use super::ls::{granular_neighbours, ls_applicable};
use super::neighbours::{mean_nearest, round_trip, NeighbourLists};
use super::recreate::SortKeys;
use super::route::Route;
use super::ruin::RuinParams;
use super::Limits;
use crate::problem::{Objective, Problem};

/// Tunable constants of the search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchParams {
    pub ruin: RuinParams,
    pub blink_rate: f64,
    /// Start temperature, in multiples of the mean nearest-neighbour cost.
    pub t_start: f64,
    /// Final temperature, in the same unit.
    pub t_end: f64,
    /// Share of the budget given to fleet minimisation (hierarchical objective).
    pub fleet_share: f64,
    /// Share of the budget given to fleet minimisation (weighted objective).
    pub fleet_share_weighted: f64,
    /// Where [`eject`](super::eject) route elimination applies (hierarchical objective):
    /// the part of `fleet_share` given to the SISR fleet phase before it
    /// (1.0: no route elimination).
    pub eject_split: f64,
    /// Least share of the budget between two local-search polishes of new bests.
    pub polish_gap: f64,
    /// Least iterations between two polishes (a full local search costs
    /// about as much as a few dozen ruin-and-recreate steps).
    pub polish_min_iters: u64,
    /// Share of the budget kept for the final polish.
    pub polish_reserve: f64,
    /// Whether the annealing goes on from the polished solution.
    pub polish_feedback: bool,
    /// Granular insertion on problems without time windows: recreate asks
    /// only the routes holding one of this many nearest jobs (0: every
    /// route). With time windows the nearest jobs by distance say little
    /// about where a job fits, so every route is asked. Off by default: on
    /// the X spread at n/10 s, 20 gave 2x the iterations on the largest
    /// instances but no better mean gap over two paired runs (-0.08 and
    /// +0.08 points) and 4-6 more vehicles above the BKS in both.
    pub insert_neighbours: usize,
    /// Whether local search runs SWAP* between routes (`ls::swap_star`). Off everywhere: on
    /// the real-road set's 12 instances up to 1,000 stops it changed the travel by -0.25 %
    /// (without polish feedback) and +0.04 % (with it) at equal iterations, 3 seeds each,
    /// within run-to-run noise (bench/README.md, session 15).
    pub swap_star: bool,
}

impl Default for SearchParams {
    fn default() -> Self {
        Self {
            ruin: RuinParams::default(),
            blink_rate: 0.01,
            t_start: 10.0,
            t_end: 0.01,
            fleet_share: 0.4,
            fleet_share_weighted: 0.1,
            eject_split: 0.25,
            polish_gap: 0.03,
            polish_min_iters: 500,
            polish_reserve: 0.01,
            polish_feedback: false,
            insert_neighbours: 0,
            swap_star: false,
        }
    }
}

// Which problems are real-road ones (decided here, below `seeds` and `search`).

/// Granular neighbours of local search where jobs share doors ([`shares_doors`]).
pub(crate) const DOOR_NEIGHBOURS: usize = 60;

/// Whether at least half of the jobs of `p` (all of them up to 1,000 jobs, a regular sample
/// of 250 above) have another job at zero round-trip distance: several deliveries at one
/// door, as real addresses have and coordinate benchmark sets do not.
pub(crate) fn shares_doors(p: &Problem) -> bool {
    let n = p.jobs.len();
    if n < 2 {
        return false;
    }
    let step = if n <= 1000 { 1 } else { n.div_ceil(250) };
    let (mut sampled, mut shared) = (0usize, 0usize);
    for u in (0..n).step_by(step) {
        let lu = p.jobs[u].location;
        let from = p.distances_from(lu);
        let to = p.distances_to(lu);
        sampled += 1;
        let zero = p.jobs.iter().enumerate().any(|(v, jv)| {
            let lv = jv.location;
            v != u && from[lv] == 0 && to.map_or_else(|| p.distance(lv, lu), |t| t[lv]) == 0
        });
        if zero {
            shared += 1;
        }
    }
    2 * shared >= sampled
}

/// Whether `p` gets the real-road treatment (`solver/seeds.rs`): a real-road matrix
/// (asymmetric, or jobs sharing doors), the weighted objective, one vehicle type without
/// fixed cost or reloads, and no pickup-delivery pairs.
pub(crate) fn applies(p: &Problem) -> bool {
    p.objective == Objective::Weighted
        && p.vehicle_types.len() == 1
        && p.vehicle_types[0].fixed_cost == 0
        && real_road_rest(p)
}

/// The conditions of [`applies`] besides the objective and the fixed cost.
fn real_road_rest(p: &Problem) -> bool {
    p.vehicle_types.len() == 1
        && p.vehicle_types[0].reload.is_none()
        && !p.has_pickups
        && p.jobs.iter().all(|j| j.partner.is_none())
        && (super::ls::asym::is_asymmetric(p) || shares_doors(p))
}

/// Granular neighbours of local search for `p`: [`DOOR_NEIGHBOURS`] where [`applies`] and
/// jobs share doors, `default` otherwise.
pub(crate) fn ls_neighbours(p: &Problem, default: usize) -> usize {
    if applies(p) && shares_doors(p) {
        DOOR_NEIGHBOURS
    } else {
        default
    }
}

/// Size of the granular neighbourhood of local search.
const LS_NEIGHBOURS: usize = 30;

/// Precomputed per-problem data shared by all iterations. Nothing in it
/// costs more than O(n) per job up front: the neighbour lists are built on
/// first use, so the set-up of a large problem does not eat its time limit.
pub(crate) struct Context<'a> {
    pub p: &'a Problem,
    /// Nearest jobs by round-trip distance (ruin, granular insertion).
    pub neighbours: NeighbourLists,
    pub keys: SortKeys,
    pub empty_routes: Vec<Route>,
    /// Granular neighbour lists for local search (`None`: no local search).
    pub ls_neighbours: Option<Arc<NeighbourLists>>,
    /// Mean cost of the edge to the nearest other job.
    pub scale: f64,
    /// Fewest routes any complete solution can have ([`capacity_bound`]): fleet
    /// minimisation stops there.
    pub min_routes: usize,
}

/// Fewest routes that can carry every job of `p`: the largest over the load dimensions of
/// the total demand over the largest capacity, rounded up; 1 where that bound does not hold
/// (pickups, pickup-delivery pairs, reloads or jobs that may be left out) or cannot be
/// computed (no capacity in a dimension with demand).
pub(crate) fn capacity_bound(p: &Problem) -> usize {
    let plain = !p.has_pickups
        && p.vehicle_types.iter().all(|v| v.reload.is_none())
        && p.jobs
            .iter()
            .all(|j| j.partner.is_none() && j.skip_penalty.is_none());
    if !plain {
        return 1;
    }
    let mut need = 1u64;
    for d in 0..p.dims {
        let cap = p
            .vehicle_types
            .iter()
            .map(|v| v.capacity[d])
            .max()
            .unwrap_or(0);
        let total = p
            .jobs
            .iter()
            .fold(0i64, |s, j| s.saturating_add(j.demand[d].max(0)));
        if total <= 0 {
            continue;
        }
        if cap <= 0 {
            return 1;
        }
        // Both positive: the rounded-up quotient.
        need = need.max(((total - 1) / cap + 1) as u64);
    }
    usize::try_from(need).unwrap_or(1)
}

impl<'a> Context<'a> {
    pub fn new(p: &'a Problem) -> Self {
        let n = p.jobs.len();
        let neighbours = NeighbourLists::new(p, n.saturating_sub(1).min(100), round_trip);
        let cd = p.vehicle_types[0].cost_per_distance.max(1) as f64;
        let scale = (mean_nearest(p) * cd).max(1.0);
        let empty_routes = (0..p.vehicle_types.len())
            .map(|vt| Route::new(p, vt))
            .collect();
        let ls_neighbours = ls_applicable(p).then(|| {
            let k = ls_neighbours(p, LS_NEIGHBOURS);
            Arc::new(granular_neighbours(p, k))
        });
        Self {
            p,
            ls_neighbours,
            neighbours,
            keys: SortKeys::new(p),
            empty_routes,
            scale,
            min_routes: capacity_bound(p),
        }
    }
}

/// Fraction of the budget of a search started at `started` used after
/// `iterations`, in `[0, 1]`; `None` once it is spent.
pub(crate) fn budget_fraction(limits: &Limits, started: Instant, iterations: u64) -> Option<f64> {
    let mut f: f64 = 0.0;
    if let Some(max) = limits.iterations {
        f = f.max(iterations as f64 / max.max(1) as f64);
    }
    if let Some(t) = limits.time {
        f = f.max(started.elapsed().as_secs_f64() / t.as_secs_f64().max(1e-9));
    }
    if limits.budget.expired() {
        return None;
    }
    (f < 1.0).then_some(f)
}
