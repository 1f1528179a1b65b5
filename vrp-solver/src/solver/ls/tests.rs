//! Every operator's O(1) evaluation against a full rebuild of the routes it
//! changes, on random small problems with windows, two load dimensions,
//! pickups, pairs, two vehicle types, skills and duration/distance limits.
#![allow(clippy::unwrap_used)]

use super::pieces::{self, Candidate};
use super::*;
use crate::problem::VehicleTypeSpec;
use crate::problem::{JobKind, JobSpec, Objective, PairSpec, ProblemSpec, TimeWindow};
use crate::rng::Rng;
use crate::Matrix;

/// Random problem: `n - 1` jobs, windows set on the validated jobs.
fn random_problem(rng: &mut Rng, n: usize, pairs: bool) -> Problem {
    let m = Matrix::random_euclidean(rng, n, 100);
    let jobs = (1..n)
        .map(|l| {
            let mut j = JobSpec::delivery(l, 1, rng.below(10) as i64);
            j.demand = vec![rng.between(1, 5) as i64, rng.between(0, 3) as i64];
            if rng.chance(0.2) {
                j.kind = JobKind::Pickup;
            }
            if rng.chance(0.1) {
                j.skills = vec![1];
            }
            j
        })
        .collect();
    let mut vts = Vec::new();
    for k in 0..2 {
        let mut v = VehicleTypeSpec::simple(4, 14, 0);
        v.capacity = vec![14 + 4 * k as i64, 8];
        v.shift = (0, 900);
        v.fixed_cost = 50 * k as i64;
        v.cost_per_distance = 1 + k as i64;
        v.cost_per_time = rng.below(3) as i64;
        v.max_duration = Some(rng.between(400, 900) as i64);
        v.max_distance = Some(rng.between(250, 700) as i64);
        if k == 1 {
            v.skills = vec![1];
        }
        vts.push(v);
    }
    let pairs = if pairs {
        vec![PairSpec {
            pickup: 0,
            delivery: 1,
        }]
    } else {
        vec![]
    };
    let mut p = Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs,
        pairs,
        vehicle_types: vts,
        objective: Objective::Weighted,
    })
    .unwrap();
    for j in 0..p.jobs.len() {
        let s = rng.below(500) as i64;
        let tw = TimeWindow {
            start: s,
            end: s + rng.between(30, 500) as i64,
        };
        p.set_time_window(j, tw);
    }
    p
}

/// Random routes over all jobs (feasible or not), pairs kept together in order.
fn random_routes(rng: &mut Rng, p: &Problem, k: usize) -> (Vec<Route>, Vec<u32>, Vec<u32>) {
    let mut lists: Vec<Vec<usize>> = vec![Vec::new(); k];
    for j in 0..p.jobs.len() {
        if p.jobs[j].partner.is_some() && !p.jobs[j].is_pair_pickup {
            continue;
        }
        // Jobs needing skill 1 ride in route 1 (vehicle type 1 has it).
        let needs = p.jobs[j].skills | p.jobs[j].partner.map_or(0, |q| p.jobs[q].skills);
        let r = if needs != 0 { 1 } else { rng.below(k) };
        let at = rng.below(lists[r].len() + 1);
        lists[r].insert(at, j);
        if let Some(q) = p.jobs[j].partner {
            let at2 = rng.between(at + 1, lists[r].len());
            lists[r].insert(at2, q);
        }
    }
    let mut route_of = vec![NONE; p.jobs.len()];
    let mut pos = vec![0; p.jobs.len()];
    let routes = lists
        .into_iter()
        .enumerate()
        .map(|(ri, jobs)| {
            let mut r = Route::new(p, ri % 2);
            for (k, &j) in jobs.iter().enumerate() {
                route_of[j] = ri as u32;
                pos[j] = k as u32 + 1;
            }
            r.jobs = jobs;
            r.rebuild(p);
            r
        })
        .collect();
    (routes, route_of, pos)
}

/// Cost of a rebuilt route, or `None` if it breaks any constraint.
fn rebuilt_cost(p: &Problem, vt: usize, jobs: &[usize]) -> Option<i64> {
    let mut r = Route::new(p, vt);
    r.jobs = jobs.to_vec();
    r.rebuild(p);
    let v = &p.vehicle_types[vt];
    let end = r.fwd[jobs.len() + 1];
    let ok = jobs.is_empty()
        || (end.time_warp == 0
            && end.duration <= v.max_duration
            && r.distance() <= v.max_distance
            && r.load().fits(&v.capacity, p.dims)
            && jobs.iter().all(|&j| p.jobs[j].skills & !v.skills == 0));
    ok.then_some(r.cost)
}

/// Checks one candidate against a rebuild; returns its rebuilt cost.
fn check(p: &Problem, routes: &[Route], c: &Candidate) -> Option<i64> {
    let mut jobs = Vec::new();
    pieces::jobs_of(routes, c, &mut jobs);
    let want = rebuilt_cost(p, c.vt, &jobs);
    let got = pieces::distance(p, routes, c).and_then(|d| pieces::evaluate(p, routes, c, d));
    // A move onto a vehicle missing a skill is rejected by `distance`, which
    // only checks moved strings; whole prefixes and suffixes are the caller's.
    assert_eq!(got, want, "candidate {c:?} -> jobs {jobs:?}");
    want
}

/// Each operator's evaluation equals a rebuild of the changed routes (cost
/// and feasibility), every move keeps each job exactly once, and the move
/// the sink keeps is the best improving one.
#[test]
fn operator_deltas_equal_rebuild() {
    let mut rng = Rng::new(7);
    let mut checked = 0usize;
    let mut feasible = 0usize;
    for round in 0..150 {
        let p = random_problem(&mut rng, 13, round % 3 == 0);
        let (routes, route_of, pos) = random_routes(&mut rng, &p, 3);
        let tails_ok = LocalSearch::new(&p, Arc::new(granular_neighbours(&p, 0))).tails_ok;
        let cx = Ctx {
            p: &p,
            routes: &routes,
            route_of: &route_of,
            pos: &pos,
            tails_ok: &tails_ok,
            nvt: 2,
        };
        for _ in 0..20 {
            let u = rng.below(p.jobs.len());
            let v = rng.below(p.jobs.len());
            if u == v || p.jobs[u].partner.is_some() {
                continue;
            }
            type Op = fn(&Ctx<'_>, usize, usize, &mut MoveSink);
            let ops: [Op; 4] = [
                relocate::evaluate,
                swap::evaluate,
                tails::evaluate,
                two_opt::evaluate,
            ];
            for op in ops {
                let mut sink = MoveSink::default();
                op(&cx, u, v, &mut sink);
                let mut best: Option<i64> = None;
                for (a, b) in sink.seen.clone() {
                    let mut all = Vec::new();
                    let mut before = routes[a.route].jobs.clone();
                    let mut old = routes[a.route].cost;
                    pieces::jobs_of(&routes, &a, &mut all);
                    let ca = check(&p, &routes, &a);
                    let mut new = ca;
                    if let Some(b) = b {
                        assert_ne!(a.route, b.route);
                        let mut jb = Vec::new();
                        pieces::jobs_of(&routes, &b, &mut jb);
                        all.extend(jb);
                        before.extend(routes[b.route].jobs.iter());
                        old += routes[b.route].cost;
                        new = new.zip(check(&p, &routes, &b)).map(|(x, y)| x + y);
                    }
                    all.sort_unstable();
                    before.sort_unstable();
                    assert_eq!(all, before, "a move must keep every job once");
                    checked += 1;
                    if let Some(n) = new {
                        feasible += 1;
                        if n - old < best.unwrap_or(0) {
                            best = Some(n - old);
                        }
                    }
                }
                let got = sink.best.map(|m| m.delta);
                assert_eq!(got, best, "best improving move of u={u} v={v}");
            }
        }
    }
    assert!(
        checked > 2000 && feasible > 100,
        "too few moves exercised: {checked} / {feasible}"
    );
}

/// One round of the local-search checks on a random problem: a feasible start (one job per
/// route where it fits), then `improve` (with SWAP* when `swap_star`), which must keep every
/// route feasible and its cached cost equal to a rebuild, lose no job, keep partners together
/// and never raise the cost. Returns whether the cost fell and how many SWAP* moves applied.
fn improve_round(rng: &mut Rng, round: usize, swap_star: bool) -> (bool, u64) {
    let p = random_problem(rng, 16, round.is_multiple_of(2));
    let mut st = State::empty(&p);
    let units = std::mem::take(&mut st.unassigned);
    super::super::recreate::recreate(
        &p,
        &mut st,
        &units,
        &[Route::new(&p, 0), Route::new(&p, 1)],
        0.0,
        rng,
        super::super::recreate::Scope::All,
        &Budget::unlimited(),
    );
    st.commit();
    let before = st.cost(&p);
    let assigned: usize = st.routes.iter().map(|r| r.len()).sum();
    let mut ls = LocalSearch::new(&p, Arc::new(granular_neighbours(&p, 8)));
    ls.swap_star = swap_star;
    let all: Vec<usize> = (0..p.jobs.len()).collect();
    assert!(ls.improve(&p, &mut st, &all, &Budget::unlimited()));
    let after = st.cost(&p);
    assert!(after <= before);
    assert_eq!(st.routes.iter().map(|r| r.len()).sum::<usize>(), assigned);
    for (ri, r) in st.routes.iter().enumerate() {
        assert_eq!(rebuilt_cost(&p, r.vt, &r.jobs), Some(r.cost), "route {ri}");
        for &j in &r.jobs {
            assert_eq!(st.route_of[j], ri as u32);
            if let Some(q) = p.jobs[j].partner {
                assert!(r.jobs.contains(&q));
            }
        }
    }
    assert_eq!(st.used.iter().sum::<usize>(), st.num_routes());
    (after < before, ls.swap_star_applied)
}

/// Local search from random feasible solutions never breaks a route, never
/// loses a job, never raises the cost, and its cached costs equal rebuilds.
#[test]
fn improve_keeps_routes_feasible_and_consistent() {
    let mut rng = Rng::new(11);
    let improved = (0..60)
        .filter(|&round| improve_round(&mut rng, round, false).0)
        .count();
    assert!(
        improved > 10,
        "local search improved only {improved} of 60 solutions"
    );
}

/// Every SWAP* candidate pair equals a rebuild of its two routes, keeps each job once, and
/// the move kept is the best improving one offered (windows, two load dimensions, pickups,
/// pairs, two vehicle types, skills, duration and distance limits).
#[test]
fn swap_star_deltas_equal_rebuild() {
    let mut rng = Rng::new(23);
    let (mut checked, mut feasible, mut improving) = (0usize, 0usize, 0usize);
    let mut ss = swap_star::SwapStar::default();
    for round in 0..200 {
        let p = random_problem(&mut rng, 13, round % 3 == 0);
        let (routes, route_of, pos) = random_routes(&mut rng, &p, 3);
        let tails_ok = LocalSearch::new(&p, Arc::new(granular_neighbours(&p, 0))).tails_ok;
        let cx = Ctx {
            p: &p,
            routes: &routes,
            route_of: &route_of,
            pos: &pos,
            tails_ok: &tails_ok,
            nvt: 2,
        };
        for a in 0..routes.len() {
            for b in 0..routes.len() {
                if a == b || routes[a].is_empty() || routes[b].is_empty() {
                    continue;
                }
                let mut sink = MoveSink::default();
                ss.evaluate(&cx, a, b, &mut sink);
                let mut best: Option<i64> = None;
                for (ca, cb) in sink.seen.clone() {
                    let cb = cb.unwrap();
                    assert_eq!((ca.route, cb.route), (a, b));
                    let (mut all, mut jb) = (Vec::new(), Vec::new());
                    pieces::jobs_of(&routes, &ca, &mut all);
                    pieces::jobs_of(&routes, &cb, &mut jb);
                    assert_eq!(all.len(), routes[a].len(), "one job out, one in");
                    all.extend(jb);
                    let mut before = routes[a].jobs.clone();
                    before.extend(routes[b].jobs.iter());
                    all.sort_unstable();
                    before.sort_unstable();
                    assert_eq!(all, before, "a move must keep every job once");
                    checked += 1;
                    let old = routes[a].cost + routes[b].cost;
                    let new = check(&p, &routes, &ca).zip(check(&p, &routes, &cb));
                    if let Some((x, y)) = new {
                        feasible += 1;
                        if x + y - old < best.unwrap_or(0) {
                            best = Some(x + y - old);
                        }
                    }
                }
                assert_eq!(sink.best.map(|m| m.delta), best);
                improving += usize::from(best.is_some());
            }
        }
    }
    assert!(
        checked > 150 && feasible > 50 && improving > 20,
        "too few SWAP* moves exercised: {checked} / {feasible} / {improving}"
    );
}

/// A hand-made asymmetric problem (one-way streets) where no granular move improves but
/// SWAP* does: two e-trikes of two bottles, both full (so nothing can be relocated), each
/// route serving two far-apart jobs. The cheap way round is b1 -> a1 and a2 -> b2 (1 s each
/// way, 100 s against the one-way direction); a swap in place keeps the order and pays the
/// 100 s leg, so only SWAP*, which reinserts each job at its best position in the other
/// route, finds the 42 s solution.
#[test]
fn swap_star_finds_what_no_granular_move_finds() {
    // Locations: 0 depot, 1 a1, 2 a2, 3 b1, 4 b2.
    let d = |i: usize, j: usize| -> i64 {
        match (i, j) {
            _ if i == j => 0,
            (0, _) | (_, 0) => 10,
            (3, 1) | (2, 4) => 1,
            (1, 3) | (4, 2) => 100,
            (1, 2) | (2, 1) | (3, 4) | (4, 3) => 30,
            _ => 50,
        }
    };
    let m = Matrix::from_fn(5, d);
    let jobs = (1..5).map(|l| JobSpec::delivery(l, 1, 0)).collect();
    let p = Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs,
        pairs: vec![],
        vehicle_types: vec![VehicleTypeSpec::simple(2, 2, 0)],
        objective: Objective::Weighted,
    })
    .unwrap();
    let (a1, a2, b1, b2) = (0, 1, 2, 3);
    let start = State::from_routes(&p, &[(0, vec![a1, a2]), (0, vec![b1, b2])]);
    assert_eq!(start.cost(&p), 100);
    let all: Vec<usize> = (0..p.jobs.len()).collect();
    // Every job is every job's granular neighbour: the granular operators see every move.
    let nb = Arc::new(granular_neighbours(&p, 3));
    let mut plain = start.clone();
    let mut ls = LocalSearch::new(&p, Arc::clone(&nb));
    assert!(ls.improve(&p, &mut plain, &all, &Budget::unlimited()));
    assert_eq!(plain.cost(&p), 100, "no granular move improves");
    assert!(ls.evaluated > 0);
    let mut st = start.clone();
    let mut ls = LocalSearch::new(&p, nb);
    ls.swap_star = true;
    assert!(ls.improve(&p, &mut st, &all, &Budget::unlimited()));
    assert!(ls.swap_star_applied >= 1);
    assert_eq!(st.cost(&p), 42);
    let mut got = st.snapshot();
    got.sort();
    assert_eq!(got, vec![(0, vec![a2, b2]), (0, vec![b1, a1])]);
    for r in &st.routes {
        assert_eq!(rebuilt_cost(&p, r.vt, &r.jobs), Some(r.cost));
    }
}

/// Local search with SWAP* on keeps every route feasible and consistent, never loses a job,
/// never raises the cost, and applies SWAP* moves on these random problems.
#[test]
fn improve_with_swap_star_keeps_routes_feasible_and_consistent() {
    let mut rng = Rng::new(31);
    let applied: u64 = (0..60)
        .map(|round| improve_round(&mut rng, round, true).1)
        .sum();
    assert!(applied > 0, "SWAP* never applied a move");
}
