//! Real-road problems under the weighted objective with free vehicles: a construction that
//! opens more routes than the loads need, and a cooler annealing.
//!
//! Ruin-and-recreate opens a route only when a job fits nowhere else or when its round trip
//! from the depot is cheaper than every insertion, so the greedy construction's count of
//! routes, packed close to capacity, is where the search stays: on the real-road set
//! (`bench/src/bin/realroad.rs`, e-trike loads of 100 bottles) it kept 17 routes at 1,000
//! households where PyVRP's 20 are 18 % shorter. Removing a route is easy for the search
//! (its last job moves out), adding one is not; so on these problems the construction first
//! opens [`SLACK`] times the routes the loads need, each with a seed job far from the depot
//! and from the other seeds, and lets the annealing close those it does not need. The
//! annealing goes on from each new best once local search has polished it (elsewhere the
//! polished copy is only reported).
//!
//! A problem is taken for a real-road one (`context::applies`) when its matrix is asymmetric
//! (one-way streets, door-to-door access legs) or when most of its jobs share a door with
//! another job (several households of one building: zero travel between them,
//! `context::shares_doors`). The second test matters because a bike's road matrix can be
//! symmetric (the Liechtenstein half of the set is). There the granular neighbourhood of local
//! search also counts `context::DOOR_NEIGHBOURS` (60) jobs, not 30: with about seven
//! households per door, 30 jobs reach only four or five doors. Under the hierarchical
//! objective such a problem is first searched as its [`weighted_twin`].
//!
//! Benchmark sets built from coordinates (Solomon, Homberger, X, Li & Lim) are symmetric and
//! have one job per point, so they are untouched.

use super::context::{applies, SearchParams};
use super::route::{JobView, Route};
use super::state::{State, NONE};
use crate::problem::{Objective, Problem};

/// Routes opened, as a multiple of the routes the total demand needs (rounded up).
pub(crate) const SLACK: f64 = 1.15;

/// Start temperature on these problems, in multiples of the mean nearest-neighbour cost
/// (the default's 10 wandered for most of a 30 s run on the real-road set).
pub(crate) const T_START: f64 = 2.0;

/// Independent runs a single search thread makes on these problems, each annealing over its
/// share of the budget (the best is kept), are about [`RUN_JOBS`] divided by the jobs, at most
/// [`MAX_RUNS`] and at most one per [`MIN_RUN_S`] seconds of a time limit. One long annealing
/// here settles in the basin its first routes pick, and the spread between seeds (up to 5 %)
/// is larger than what a longer cooling buys: on the real-road set at 30 s, the 12 instances up
/// to 1,000 stops were +3.18 % above PyVRP with one run, +2.31 % with three, +1.69 % with five,
/// and the 200s and 500s +2.02 % with five against +1.20 % with eight (bench/README.md,
/// session 16). Larger problems need their budget for one search: 2,000 stops get two runs,
/// 3,000 one.
pub(crate) const RUN_JOBS: f64 = 4_000.0;

/// Most independent runs (see [`RUN_JOBS`]).
pub(crate) const MAX_RUNS: usize = 8;

/// Least time limit per independent run, seconds (see [`RUN_JOBS`]).
pub(crate) const MIN_RUN_S: f64 = 3.0;

/// Independent runs a single search thread makes on `p` with time limit `time`: one unless
/// [`applies`], else [`RUN_JOBS`] over the jobs (rounded), within 1..=[`MAX_RUNS`] and at
/// most one per [`MIN_RUN_S`] of `time`.
pub(crate) fn restarts(p: &Problem, time: Option<std::time::Duration>) -> usize {
    if !applies(p) {
        return 1;
    }
    let by_size = (RUN_JOBS / p.jobs.len().max(1) as f64).round() as usize;
    let by_time = time.map_or(MAX_RUNS, |t| (t.as_secs_f64() / MIN_RUN_S) as usize);
    by_size.min(by_time).clamp(1, MAX_RUNS)
}

/// Share of the budget the [`weighted_twin`] of a hierarchical problem is searched for.
pub(crate) const TWIN_SHARE: f64 = 0.5;

/// For a hierarchical problem that would get this module's treatment under the weighted
/// objective (a real-road matrix, one vehicle type with no fixed cost of its own): the same
/// problem under the weighted objective. Its search reaches the fewest routes the loads allow
/// with shorter trips than the hierarchical distance phase, whose route count is frozen
/// (opening a route costs the vehicle weight): on the real-road set 17 routes / 15,478 s at
/// 30 s on Baltimore 1,000 s1 against 17 / 17,508 at 60 s. The hierarchical search goes on
/// from its best.
pub(crate) fn weighted_twin(p: &Problem) -> Option<Problem> {
    if p.objective != Objective::Hierarchical
        || p.vehicle_types.len() != 1
        || p.vehicle_types[0].fixed_cost != crate::problem::VEHICLE_WEIGHT
    {
        return None;
    }
    let mut q = p.clone();
    q.objective = Objective::Weighted;
    q.vehicle_types[0].fixed_cost = 0;
    applies(&q).then_some(q)
}

/// The search parameters for `p`: `params`, with [`T_START`], no fleet minimisation and the
/// annealing going on from each polished best (`polish_feedback`) where [`applies`].
pub(crate) fn params_for(p: &Problem, mut params: SearchParams) -> SearchParams {
    if applies(p) {
        params.t_start = T_START;
        // Fleet minimisation would close the seed routes before the search could judge them.
        params.fleet_share_weighted = 0.0;
        // Go on from each polished best: on the real-road set's 12 instances up to 1,000
        // stops, -1.1 % travel at equal iterations (bench/README.md, session 15).
        params.polish_feedback = true;
    }
    params
}

/// Routes to open: [`SLACK`] times the largest over the load dimensions of the total demand
/// over the capacity, rounded up, at most the fleet and the number of jobs.
fn target_routes(p: &Problem) -> usize {
    let vt = &p.vehicle_types[0];
    let mut need = 1.0f64;
    for d in 0..p.dims {
        let cap = vt.capacity[d];
        if cap <= 0 {
            continue;
        }
        let total: i64 = p
            .jobs
            .iter()
            .fold(0i64, |s, j| s.saturating_add(j.demand[d]));
        need = need.max((total as f64 / cap as f64).ceil());
    }
    let k = (need * SLACK).ceil();
    let k = if k.is_finite() && k > 0.0 {
        k as usize
    } else {
        1
    };
    k.min(vt.count).min(p.jobs.len())
}

/// Opens the seed routes in `st` (where [`applies`]; otherwise nothing) and removes their
/// seeds from `units`. Seeds are chosen farthest first: the job with the longest round trip
/// from the depot, then each time the job whose shortest round trip to the depot or to a
/// chosen seed is the longest (ties by index). A seed that fits no empty route stays a unit.
pub(crate) fn open_seed_routes(
    p: &Problem,
    st: &mut State,
    units: &mut Vec<usize>,
    empty_routes: &[Route],
) {
    if !applies(p) || empty_routes.is_empty() || units.is_empty() {
        return;
    }
    let k = target_routes(p);
    let depot = p.vehicle_types[0].start;
    let round = |a: usize, b: usize| p.distance(a, b).saturating_add(p.distance(b, a));
    // Shortest round trip of each unit to the depot or a seed so far.
    let mut gap: Vec<i64> = units
        .iter()
        .map(|&u| round(depot, p.jobs[u].location))
        .collect();
    let mut taken = vec![false; units.len()];
    let mut opened = 0;
    while opened < k {
        let Some((i, _)) = gap
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken[*i])
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        taken[i] = true;
        let u = units[i];
        let view = JobView::new(p, u);
        if let Some(ins) = empty_routes[0].best_insertion_of(p, &view, i64::MAX, || false) {
            st.insert(p, st.routes.len(), 0, ins, u);
            opened += 1;
            let lu = p.jobs[u].location;
            for (g, &v) in gap.iter_mut().zip(units.iter()) {
                *g = (*g).min(round(lu, p.jobs[v].location));
            }
        }
    }
    units.retain(|&u| st.route_of[u] == NONE);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    //! Seed routes open only on asymmetric weighted problems, far apart; symmetric problems
    //! keep the default construction and parameters.
    use super::*;
    use crate::problem::{JobSpec, ProblemSpec, VehicleTypeSpec};
    use crate::rng::Rng;
    use crate::solver::context::{ls_neighbours, shares_doors, Context, DOOR_NEIGHBOURS};
    use crate::Matrix;

    /// 40 deliveries of 1-5 units around a depot, capacity 20, a fleet of 40, wide windows;
    /// with a one-way detour on about a third of the entries when `asymmetric`.
    pub(crate) fn problem(seed: u64, asymmetric: bool, objective: Objective) -> Problem {
        let mut rng = Rng::new(seed);
        let mut m = Matrix::random_euclidean(&mut rng, 41, 100);
        if asymmetric {
            m = m.with_one_way_detours(&mut rng);
        }
        problem_on(m, &mut rng, objective)
    }

    /// Like [`problem`], symmetric, with the 40 jobs at 10 doors of 4 jobs each (zero travel
    /// between the jobs of a door).
    fn doors(seed: u64, objective: Objective) -> Problem {
        let mut rng = Rng::new(seed);
        let base = Matrix::random_euclidean(&mut rng, 11, 100);
        let door = |i: usize| if i == 0 { 0 } else { 1 + (i - 1) / 4 };
        let m = Matrix::from_fn(41, |i, j| base.get(door(i), door(j)));
        problem_on(m, &mut rng, objective)
    }

    fn problem_on(m: Matrix<i64>, rng: &mut Rng, objective: Objective) -> Problem {
        let n = m.size();
        let jobs = (1..n)
            .map(|l| {
                let mut j = JobSpec::delivery(l, rng.between(1, 5) as i64, 5);
                let s = rng.below(400) as i64;
                j.time_windows = vec![(s, s + 600)];
                j
            })
            .collect();
        let mut v = VehicleTypeSpec::simple(40, 20, 0);
        v.shift = (0, 5000);
        Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs,
            pairs: vec![],
            vehicle_types: vec![v],
            objective,
        })
        .unwrap()
    }

    #[test]
    fn jobs_sharing_doors_get_the_treatment_on_a_symmetric_matrix() {
        for seed in 1..=3 {
            let p = doors(seed, Objective::Weighted);
            assert!(!crate::solver::ls::asym::is_asymmetric(&p));
            assert!(shares_doors(&p));
            assert!(applies(&p));
            assert_eq!(ls_neighbours(&p, 30), DOOR_NEIGHBOURS);
            let got = params_for(&p, SearchParams::default());
            assert_eq!((got.t_start, got.fleet_share_weighted), (T_START, 0.0));
            assert!(got.polish_feedback);
            // Seed routes open, one job each.
            let ctx = Context::new(&p);
            let mut st = State::empty(&p);
            let mut units = st.unassigned.clone();
            open_seed_routes(&p, &mut st, &mut units, &ctx.empty_routes);
            assert_eq!(st.num_routes(), target_routes(&p));
            assert!(st.routes.iter().all(|r| r.jobs.len() == 1));
            // Not under the hierarchical objective.
            let h = doors(seed, Objective::Hierarchical);
            assert!(shares_doors(&h));
            assert!(!applies(&h));
            assert_eq!(ls_neighbours(&h, 30), 30);
        }
    }

    /// Independent runs: only on real-road weighted problems; by size, by time limit, capped.
    #[test]
    fn restarts_by_size_and_time() {
        use std::time::Duration;
        let p = problem(3, true, Objective::Weighted);
        assert_eq!(p.jobs.len(), 40);
        assert_eq!(restarts(&p, None), MAX_RUNS);
        assert_eq!(restarts(&p, Some(Duration::from_secs(10))), 3);
        assert_eq!(restarts(&p, Some(Duration::from_millis(500))), 1);
        assert_eq!(restarts(&problem(3, false, Objective::Weighted), None), 1);
        assert_eq!(
            restarts(&problem(3, true, Objective::Hierarchical), None),
            1
        );
    }

    #[test]
    fn hierarchical_real_road_problems_get_a_weighted_twin() {
        for seed in 1..=3 {
            let h = doors(seed, Objective::Hierarchical);
            let q = weighted_twin(&h).unwrap();
            assert_eq!(q.objective, Objective::Weighted);
            assert_eq!(q.vehicle_types[0].fixed_cost, 0);
            assert!(applies(&q));
            assert_eq!(q.jobs.len(), h.jobs.len());
            // Asymmetric too; not a weighted problem, nor a coordinate set.
            assert!(weighted_twin(&problem(seed, true, Objective::Hierarchical)).is_some());
            assert!(weighted_twin(&doors(seed, Objective::Weighted)).is_none());
            assert!(weighted_twin(&problem(seed, false, Objective::Hierarchical)).is_none());
        }
    }

    /// Every job of `p` on exactly one route, none unassigned.
    fn assert_serves_every_job_once(p: &Problem, sol: &crate::Solution) {
        assert!(sol.unassigned.is_empty());
        let mut served: Vec<usize> = sol
            .routes
            .iter()
            .flat_map(|r| r.stops.iter().map(|s| s.job))
            .collect();
        served.sort_unstable();
        assert_eq!(served, (0..p.jobs.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_hierarchical_solve_through_the_twin_serves_every_job_at_the_bound() {
        let p = doors(4, Objective::Hierarchical);
        let opts = crate::SolverOptions {
            seed: 5,
            iteration_limit: Some(400),
            ..Default::default()
        };
        let sol = crate::solve(&p, &opts);
        assert_serves_every_job_once(&p, &sol);
        assert!(sol.routes.len() >= crate::solver::context::capacity_bound(&p));
    }

    #[test]
    fn the_twins_bests_are_reported_at_their_hierarchical_cost() {
        use std::sync::{Arc, Mutex};
        let p = doors(4, Objective::Hierarchical);
        let seen: Arc<Mutex<Vec<(i64, usize, u64)>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let opts = crate::SolverOptions {
            seed: 5,
            iteration_limit: Some(400),
            progress: Some(Arc::new(move |pr: crate::Progress| {
                sink.lock()
                    .unwrap()
                    .push((pr.best_cost, pr.vehicles, pr.iterations))
            })),
            ..Default::default()
        };
        let sol = crate::solve(&p, &opts);
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.is_empty());
        let weight = crate::problem::VEHICLE_WEIGHT;
        for w in seen.windows(2) {
            assert!(w[1].0 < w[0].0, "reported bests only fall: {seen:?}");
        }
        for &(cost, vehicles, _) in &seen {
            assert!(
                cost >= vehicles as i64 * weight,
                "hierarchical scale: {seen:?}"
            );
            assert!(
                cost < (vehicles as i64 + 1) * weight,
                "no job left out: {seen:?}"
            );
        }
        assert_eq!(seen.last().unwrap().1, sol.routes.len());
    }

    #[test]
    fn a_state_rebuilt_from_its_snapshot_is_the_same_solution() {
        let p = doors(2, Objective::Weighted);
        let ctx = Context::new(&p);
        let mut st = State::empty(&p);
        let mut units = st.unassigned.clone();
        open_seed_routes(&p, &mut st, &mut units, &ctx.empty_routes);
        st.unassigned = units;
        st.commit();
        let again = State::from_routes(&p, &st.snapshot());
        assert_eq!(again.snapshot(), st.snapshot());
        assert_eq!(again.cost(&p), st.cost(&p));
        let mut left = again.unassigned.clone();
        left.sort_unstable();
        let mut want = st.unassigned.clone();
        want.sort_unstable();
        assert_eq!(left, want);
    }

    #[test]
    fn one_job_per_point_is_not_sharing_doors() {
        for seed in 1..=5 {
            let p = problem(seed, false, Objective::Weighted);
            assert!(!shares_doors(&p));
            assert_eq!(ls_neighbours(&p, 30), 30);
            // Asymmetric, one job per point: the treatment, 30 neighbours.
            let a = problem(seed, true, Objective::Weighted);
            assert!(applies(&a));
            assert_eq!(ls_neighbours(&a, 30), 30);
        }
    }

    #[test]
    fn symmetric_or_hierarchical_problems_are_untouched() {
        for p in [
            problem(1, false, Objective::Weighted),
            problem(1, true, Objective::Hierarchical),
        ] {
            assert!(!applies(&p));
            let d = SearchParams::default();
            let got = params_for(&p, d);
            assert_eq!(
                (got.t_start, got.fleet_share_weighted, got.polish_feedback),
                (d.t_start, d.fleet_share_weighted, false)
            );
            let ctx = Context::new(&p);
            let mut st = State::empty(&p);
            let mut units = st.unassigned.clone();
            let before = units.clone();
            open_seed_routes(&p, &mut st, &mut units, &ctx.empty_routes);
            assert_eq!(st.num_routes(), 0);
            assert_eq!(units, before);
        }
    }

    #[test]
    fn asymmetric_weighted_problems_get_spread_seed_routes() {
        for seed in 1..=5 {
            let p = problem(seed, true, Objective::Weighted);
            assert!(applies(&p));
            let got = params_for(&p, SearchParams::default());
            assert_eq!((got.t_start, got.fleet_share_weighted), (T_START, 0.0));
            assert!(got.polish_feedback && !got.swap_star);
            let total: i64 = p.jobs.iter().map(|j| j.demand[0]).sum();
            let want = ((total as f64 / 20.0).ceil() * SLACK).ceil() as usize;
            assert_eq!(target_routes(&p), want);
            let ctx = Context::new(&p);
            let mut st = State::empty(&p);
            let mut units = st.unassigned.clone();
            open_seed_routes(&p, &mut st, &mut units, &ctx.empty_routes);
            // One seed per route, and every job either seeded or still a unit, once.
            assert_eq!(st.num_routes(), want);
            let seeds: Vec<usize> = st.routes.iter().flat_map(|r| r.jobs.clone()).collect();
            assert!(st.routes.iter().all(|r| r.jobs.len() == 1));
            let mut all: Vec<usize> = seeds.iter().chain(units.iter()).copied().collect();
            all.sort_unstable();
            assert_eq!(all, (0..p.jobs.len()).collect::<Vec<_>>());
            // The first seed has the longest round trip from the depot (ties: lowest index).
            let rt = |j: usize| {
                let l = p.jobs[j].location;
                p.distance(0, l) + p.distance(l, 0)
            };
            let far = (0..p.jobs.len()).map(rt).max().unwrap();
            let first = (0..p.jobs.len()).find(|&j| rt(j) == far).unwrap();
            assert_eq!(seeds[0], first);
        }
    }

    #[test]
    fn a_solve_from_seed_routes_serves_every_job() {
        let p = problem(7, true, Objective::Weighted);
        let opts = crate::SolverOptions {
            seed: 3,
            iteration_limit: Some(300),
            ..Default::default()
        };
        let sol = crate::solve(&p, &opts);
        assert_serves_every_job_once(&p, &sol);
    }
}
