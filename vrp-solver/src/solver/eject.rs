//! Route elimination for the hierarchical objective, after Nagata & Bräysy
//! (2009), "A powerful route minimization heuristic for the vehicle routing
//! problem with time windows", Operations Research Letters 37(5).
//!
//! One route at a time is removed and its jobs go to an *ejection pool*
//! (a stack). A job taken from the pool is inserted at its cheapest
//! feasible position if it has one. Otherwise its penalty counter `p[v]`
//! grows by one and it is inserted *with ejections*: in some route near it,
//! at the position and with the set of at most [`K_MAX`] ejected jobs that
//! make the route feasible with the smallest sum of the ejected jobs'
//! penalties (ties: the shorter route); the ejected jobs join the pool. Jobs
//! that keep coming back grow expensive to eject, so the search moves on to
//! others. After each insertion with ejections the solution is perturbed by
//! random feasible relocations of jobs to routes of their near neighbours.
//! When the pool is empty the solution has one route fewer and the next
//! route is removed; when the time share runs out the last complete
//! solution is kept.
//!
//! The ejection search is the paper's lexicographic enumeration: the route
//! with the job inserted is walked from the start, each job kept or ejected,
//! and a branch is cut as soon as its kept prefix has time warp (ejecting
//! later jobs cannot undo it) or its penalty sum exceeds the best found. A
//! partial choice is completed in O(1) by joining the kept prefix with the
//! route's cached suffix segment. Left out from the paper: the *squeeze*
//! step (an infeasible insertion repaired by a penalty-driven local
//! search), and the perturbation uses relocations only.
//!
//! Only problems whose segments are exact and whose loads only fall along a
//! route (no pickups, no pairs, no reloads) are handled; the search keeps
//! its SISR fleet phase for the others ([`applicable`]).

use std::time::Instant;

use super::context::{budget_fraction, Context};
use super::route::{JobView, Route};
use super::ruin::remove_route;
use super::state::{State, NONE};
use super::Limits;
use crate::problem::{Load, Problem, VehicleType};
use crate::rng::Rng;
use crate::segment::DurationSegment;

/// Most jobs ejected to insert one (the paper's `k_max`).
pub(crate) const K_MAX: usize = 5;
/// Routes asked for an insertion with ejections: those holding one of the
/// job's this many nearest jobs.
const EJECT_NEIGHBOURS: usize = 20;
/// Nodes of the ejection enumeration per job taken from the pool (bounds
/// the work of one step on long routes).
const EJECT_NODES: u64 = 100_000;
/// Random relocations tried after each insertion with ejections (the
/// paper's `I_rand`).
const PERTURB_MOVES: usize = 100;
/// Near jobs a relocated job may join.
const PERTURB_NEIGHBOURS: usize = 10;

/// Whether route elimination handles `p` (see the module doc).
pub(crate) fn applicable(p: &Problem) -> bool {
    p.exact
        && !p.has_pickups
        && p.jobs.iter().all(|j| j.partner.is_none())
        && p.vehicle_types.iter().all(|v| v.reload.is_none())
}

/// When the phase must stop: at fraction `until` of the search budget, or
/// when the budget (deadline, cancel flag, iteration limit) is spent.
pub(crate) struct Until<'l> {
    pub limits: &'l Limits,
    pub started: Instant,
    pub until: f64,
}

impl Until<'_> {
    fn reached(&self, iterations: u64) -> bool {
        budget_fraction(self.limits, self.started, iterations).is_none_or(|f| f >= self.until)
    }
}

/// The best insertion with ejections found for one job.
#[derive(Debug, Clone)]
struct Ejection {
    route: usize,
    /// Insert the job after this position of the route (0: first).
    after: usize,
    /// Positions (1-based, increasing) of the ejected jobs.
    ejected: Vec<usize>,
    psum: u64,
    ddist: i64,
}

/// Route elimination state: penalty counters and the ejection pool.
pub(crate) struct Eliminator<'c, 'a> {
    ctx: &'c Context<'a>,
    penalty: Vec<u64>,
    pool: Vec<usize>,
    /// Iterations (jobs taken from the pool).
    pub iterations: u64,
}

impl<'c, 'a> Eliminator<'c, 'a> {
    pub fn new(ctx: &'c Context<'a>) -> Self {
        Self {
            ctx,
            penalty: vec![1; ctx.p.jobs.len()],
            pool: Vec::new(),
            iterations: 0,
        }
    }

    /// Removes routes from `start` one at a time until the time share runs
    /// out or one route is left. Calls `found` with every complete solution
    /// with fewer routes; returns the last one, if any.
    pub fn run(
        &mut self,
        start: &State,
        rng: &mut Rng,
        until: &Until<'_>,
        base_iterations: u64,
        found: &mut dyn FnMut(&State),
    ) -> Option<State> {
        let mut best: Option<State> = None;
        let mut cur = start.clone();
        cur.commit();
        // No complete solution has fewer routes than the capacity bound.
        let floor = self.ctx.min_routes.max(1);
        while cur.num_routes() > floor && !until.reached(base_iterations + self.iterations) {
            let Some(next) = self.remove_one(&cur, rng, until, base_iterations) else {
                break;
            };
            found(&next);
            cur = next.clone();
            best = Some(next);
        }
        best
    }

    /// One route fewer than `start`, or `None` when time ran out first.
    fn remove_one(
        &mut self,
        start: &State,
        rng: &mut Rng,
        until: &Until<'_>,
        base_iterations: u64,
    ) -> Option<State> {
        let p = self.ctx.p;
        let mut st = start.clone();
        self.penalty.fill(1);
        self.pool.clear();
        let r = rng.below(st.routes.len());
        st.begin();
        remove_route(p, &mut st, r, &mut self.pool);
        st.route_limit = st.num_routes();
        st.commit();
        // Jobs popped from the end: shuffle so no order of the route is favoured.
        for k in (1..self.pool.len()).rev() {
            let o = rng.below(k + 1);
            self.pool.swap(k, o);
        }
        while let Some(v) = self.pool.pop() {
            if until.reached(base_iterations + self.iterations) {
                return None;
            }
            self.iterations += 1;
            if insert_cheapest(p, &mut st, v) {
                continue;
            }
            self.penalty[v] = self.penalty[v].saturating_add(1);
            match self.best_ejection(&st, v) {
                Some(e) => {
                    self.apply(&mut st, v, &e);
                    self.perturb(&mut st, rng);
                }
                None => {
                    // Nowhere with at most K_MAX ejections: try it again last.
                    self.pool.insert(0, v);
                    self.perturb(&mut st, rng);
                }
            }
        }
        st.route_limit = start.route_limit;
        Some(st)
    }

    /// The insertion of `v` with ejections of least penalty sum, among the
    /// routes holding one of its nearest jobs.
    fn best_ejection(&self, st: &State, v: usize) -> Option<Ejection> {
        let p = self.ctx.p;
        let mut routes: Vec<usize> = self
            .ctx
            .neighbours
            .of(p, v)
            .iter()
            .take(EJECT_NEIGHBOURS)
            .map(|&u| st.route_of[u as usize])
            .filter(|&r| r != NONE)
            .map(|r| r as usize)
            .collect();
        // Nearest first (their bound then prunes the others); each once.
        let mut seen = Vec::with_capacity(routes.len());
        routes.retain(|&r| {
            let new = !seen.contains(&r);
            seen.push(r);
            new
        });
        if routes.is_empty() {
            routes = (0..st.routes.len()).collect();
        }
        let mut best: Option<Ejection> = None;
        let mut nodes = 0u64;
        // Iterative deepening on the number of ejections: sets of k jobs
        // cost at least k, so a pass stops once the best sum is that low,
        // and the cheap small sets bound the larger ones.
        'passes: for kmax in 1..=K_MAX {
            if best.as_ref().is_some_and(|b| b.psum <= kmax as u64) {
                break;
            }
            for &r in &routes {
                let route = &st.routes[r];
                let vt = &p.vehicle_types[route.vt];
                if p.jobs[v].skills & !vt.skills != 0 || route.is_empty() {
                    continue;
                }
                let mut load = route.load().depot;
                for (l, add) in load.iter_mut().zip(p.jobs[v].depot_load.iter()) {
                    *l += add;
                }
                for after in 0..=route.len() {
                    let mut dfs = Dfs {
                        p,
                        route,
                        vt,
                        v,
                        after,
                        kmax,
                        penalty: &self.penalty,
                        best: &mut best,
                        r,
                        ejected: Vec::with_capacity(K_MAX),
                        nodes: &mut nodes,
                    };
                    dfs.start(load);
                    if nodes > EJECT_NODES {
                        break 'passes;
                    }
                }
            }
        }
        super::count_moves(nodes);
        best
    }

    /// Inserts `v` and ejects the chosen jobs into the pool.
    fn apply(&mut self, st: &mut State, v: usize, e: &Ejection) {
        let p = self.ctx.p;
        st.begin();
        st.touch(e.route);
        let route = &mut st.routes[e.route];
        let old = std::mem::take(&mut route.jobs);
        let mut jobs = Vec::with_capacity(old.len() + 1 - e.ejected.len());
        if e.after == 0 {
            jobs.push(v);
        }
        for (k, &j) in old.iter().enumerate() {
            let pos = k + 1;
            if e.ejected.contains(&pos) {
                st.route_of[j] = NONE;
                self.pool.push(j);
            } else {
                jobs.push(j);
            }
            if pos == e.after {
                jobs.push(v);
            }
        }
        route.jobs = jobs;
        route.rebuild(p);
        st.route_of[v] = e.route as u32;
        st.commit();
    }

    /// Random feasible relocations: a random job moves to its cheapest
    /// feasible position in the route of one of its near jobs.
    fn perturb(&mut self, st: &mut State, rng: &mut Rng) {
        let p = self.ctx.p;
        let n = p.jobs.len();
        for _ in 0..PERTURB_MOVES {
            let j = rng.below(n);
            let from = st.route_of[j];
            if from == NONE {
                continue;
            }
            let near = self.ctx.neighbours.of(p, j);
            let k = near.len().min(PERTURB_NEIGHBOURS);
            if k == 0 {
                return;
            }
            let to = st.route_of[near[rng.below(k)] as usize];
            if to == NONE || to == from {
                continue;
            }
            let (from, to) = (from as usize, to as usize);
            let Some(ins) =
                st.routes[to].best_insertion_of(p, &JobView::new(p, j), i64::MAX, || false)
            else {
                continue;
            };
            let Some(pos) = st.routes[from].jobs.iter().position(|&x| x == j) else {
                continue;
            };
            st.begin();
            let mut out = Vec::new();
            st.remove_positions(p, from, &[pos + 1], &mut out);
            if !feasible(p, &st.routes[from]) {
                st.rollback();
                continue;
            }
            st.insert(p, to, st.routes[to].vt, ins, j);
            st.commit();
        }
    }
}

/// Whether a route keeps its windows and duration limit (a removal can
/// break them only where travel times break the triangle inequality).
fn feasible(p: &Problem, r: &Route) -> bool {
    let last = r.len() + 1;
    r.is_empty()
        || (r.fwd[last].time_warp == 0
            && r.fwd[last].duration <= p.vehicle_types[r.vt].max_duration)
}

/// Inserts `v` at its cheapest feasible position in any non-empty route;
/// false when there is none.
fn insert_cheapest(p: &Problem, st: &mut State, v: usize) -> bool {
    let view = JobView::new(p, v);
    let mut best: Option<(usize, super::route::Insertion)> = None;
    let mut bound = i64::MAX;
    for (ri, r) in st.routes.iter().enumerate() {
        if r.is_empty() {
            continue;
        }
        super::count_moves(r.len() as u64 + 1);
        if let Some(ins) = r.best_insertion_of(p, &view, bound, || false) {
            bound = ins.delta;
            best = Some((ri, ins));
        }
    }
    let Some((ri, ins)) = best else {
        return false;
    };
    st.begin();
    let vt = st.routes[ri].vt;
    st.insert(p, ri, vt, ins, v);
    st.commit();
    true
}

/// The lexicographic ejection enumeration for one route and one insertion
/// position of `v`. The walk goes over the sequence "route jobs with `v`
/// after position `after`"; `s` below is a position of the original route.
struct Dfs<'d, 'p> {
    p: &'p Problem,
    route: &'d Route,
    vt: &'p VehicleType,
    v: usize,
    after: usize,
    /// Most jobs ejected in this pass.
    kmax: usize,
    penalty: &'d [u64],
    best: &'d mut Option<Ejection>,
    r: usize,
    ejected: Vec<usize>,
    nodes: &'d mut u64,
}

impl Dfs<'_, '_> {
    /// Starts the walk; `load` is the route's load with `v` added.
    fn start(&mut self, load: Load) {
        let vis = self.p.visits[self.v].0;
        let a = self.route.locs[0];
        let start = DurationSegment::visit(0, self.vt.shift);
        self.walk(1, start, a, 0, load, 0, false, vis);
    }

    fn fits(&self, load: &Load) -> bool {
        (0..self.p.dims).all(|d| load[d] <= self.vt.capacity[d])
    }

    /// At original position `s` (1-based; `len + 1` is the end) with the
    /// kept prefix `cur` ending at location `loc`, `dist` travelled;
    /// `placed`: whether `v` is already in the prefix.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        s: usize,
        cur: DurationSegment,
        loc: usize,
        dist: i64,
        load: Load,
        psum: u64,
        placed: bool,
        vis: DurationSegment,
    ) {
        *self.nodes += 1;
        if *self.nodes > EJECT_NODES {
            return;
        }
        let p = self.p;
        let route = self.route;
        if !placed && s == self.after + 1 {
            // Visit v here.
            let u = p.jobs[self.v].location;
            let next = cur.then(p.duration(loc, u), &vis);
            if next.time_warp > 0 {
                return;
            }
            let d = dist + p.distance(loc, u);
            self.walk(s, next, u, d, load, psum, true, vis);
            return;
        }
        if placed && self.fits(&load) {
            // Stop ejecting: join the cached suffix from position s.
            let b = route.locs[s];
            let whole = cur.then(p.duration(loc, b), &route.bwd[s]);
            let total = dist + p.distance(loc, b) + route.dist[route.len() + 1] - route.dist[s];
            if whole.time_warp == 0
                && whole.duration <= self.vt.max_duration
                && total <= self.vt.max_distance
            {
                let ddist = total - route.distance();
                let better = match self.best.as_ref() {
                    None => true,
                    Some(b) => (psum, ddist) < (b.psum, b.ddist),
                };
                if better && !self.ejected.is_empty() {
                    *self.best = Some(Ejection {
                        route: self.r,
                        after: self.after,
                        ejected: self.ejected.clone(),
                        psum,
                        ddist,
                    });
                }
                // More ejections only add penalty.
                return;
            }
        }
        if s > route.len() {
            return;
        }
        let j = route.jobs[s - 1];
        // Eject job j.
        let pen = self.penalty[j];
        let bound = self.best.as_ref().map_or(u64::MAX, |b| b.psum);
        if self.ejected.len() < self.kmax && psum.saturating_add(pen) < bound {
            let mut l = load;
            for (x, dl) in l.iter_mut().zip(p.jobs[j].depot_load.iter()) {
                *x -= dl;
            }
            self.ejected.push(s);
            self.walk(s + 1, cur, loc, dist, l, psum + pen, placed, vis);
            self.ejected.pop();
        }
        // Keep job j.
        let u = route.locs[s];
        let next = cur.then(p.duration(loc, u), &p.visits[j].0);
        if next.time_warp > 0 {
            return;
        }
        self.walk(
            s + 1,
            next,
            u,
            dist + p.distance(loc, u),
            load,
            psum,
            placed,
            vis,
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! The ejection search picks the least penalty sum, and route
    //! elimination only ever returns complete feasible solutions.
    use super::*;
    use crate::problem::{JobSpec, Objective, ProblemSpec, VehicleTypeSpec};
    use crate::solver::Budget;
    use crate::Matrix;

    /// Jobs on a line at 10, 11, 12, 13, 14 (depot at 0), demand 1 each,
    /// capacity `cap`, `count` vehicles; job `k` has window `windows[k]`.
    fn line(cap: i64, count: usize, windows: &[(i64, i64)]) -> Problem {
        let pos = [0i64, 10, 11, 12, 13, 14];
        let m = Matrix::from_fn(pos.len(), |i, j| (pos[i] - pos[j]).abs());
        Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs: (1..pos.len())
                .map(|l| {
                    let (a, b) = windows[l - 1];
                    JobSpec::delivery(l, 1, 0).with_window(a, b)
                })
                .collect(),
            pairs: vec![],
            vehicle_types: vec![VehicleTypeSpec::simple(count, cap, 0)],
            objective: Objective::Hierarchical,
        })
        .unwrap()
    }

    /// [`State::with_routes`], committed.
    fn state_with(p: &Problem, routes: &[&[usize]]) -> State {
        let mut st = State::with_routes(p, routes);
        st.commit();
        st
    }

    fn limits(iterations: u64) -> Limits {
        Limits {
            time: None,
            iterations: Some(iterations),
            budget: Budget::unlimited(),
            exchange: None,
        }
    }

    /// Every job exactly once, and every route feasible.
    fn assert_complete(p: &Problem, st: &State) {
        let mut seen = vec![0; p.jobs.len()];
        for r in &st.routes {
            assert!(feasible(p, r), "route {:?} infeasible", r.jobs);
            assert!(r.load().depot[0] <= p.vehicle_types[r.vt].capacity[0]);
            for &j in &r.jobs {
                seen[j] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
    }

    /// Route [0, 1, 2] is full (capacity 3): job 3 goes in only by ejecting
    /// one job, and the one with the least penalty is chosen.
    #[test]
    fn ejects_the_job_with_the_least_penalty() {
        let wide = [(0, 1000); 5];
        let p = line(3, 2, &wide);
        let ctx = Context::new(&p);
        let st = state_with(&p, &[&[0, 1, 2]]);
        let mut el = Eliminator::new(&ctx);
        el.penalty = vec![5, 1, 3, 1, 1];
        let e = el.best_ejection(&st, 3).unwrap();
        assert_eq!((e.route, e.ejected.clone(), e.psum), (0, vec![2], 1));
        el.penalty = vec![2, 4, 3, 1, 1];
        let e = el.best_ejection(&st, 3).unwrap();
        assert_eq!((e.ejected.clone(), e.psum), (vec![1], 2));
        // Applying it: job 3 in the route, job 0 in the pool.
        let mut st2 = st.clone();
        el.apply(&mut st2, 3, &e);
        assert_eq!(el.pool, vec![0]);
        assert_eq!(st2.route_of[0], NONE);
        assert_eq!(st2.route_of[3], 0);
        assert_eq!(st2.routes[0].len(), 3);
        assert!(feasible(&p, &st2.routes[0]));
    }

    /// Windows: job 1 (at 11) and job 4 (at 14) must both be served at
    /// time 14, so job 4 goes into route [0, 1, 2, 3] only by ejecting job
    /// 1, whatever the penalties.
    #[test]
    fn ejections_repair_time_windows() {
        let mut w = [(0, 1000); 5];
        w[1] = (14, 14);
        w[4] = (14, 14);
        let p = line(10, 2, &w);
        let ctx = Context::new(&p);
        let st = state_with(&p, &[&[0, 1, 2, 3]]);
        assert!(!insert_cheapest(&p, &mut st.clone(), 4));
        let mut el = Eliminator::new(&ctx);
        for pen in [1, 4] {
            el.penalty = vec![1, pen, 1, 1, 1];
            let e = el.best_ejection(&st, 4).unwrap();
            assert_eq!((e.ejected.clone(), e.psum), (vec![2], pen));
        }
        let e = el.best_ejection(&st, 4).unwrap();
        let mut st2 = st.clone();
        el.apply(&mut st2, 4, &e);
        assert_eq!(el.pool, vec![1]);
        assert!(feasible(&p, &st2.routes[0]));
        assert_eq!(st2.routes[0].len(), 4);
    }

    /// Five jobs in five routes, capacity 3: elimination gets down to the
    /// two routes capacity allows, and returns complete feasible solutions
    /// only, also when the iteration limit stops it mid-way.
    #[test]
    fn eliminates_down_to_the_capacity_bound() {
        let wide = [(0, 1000); 5];
        let p = line(3, 5, &wide);
        let ctx = Context::new(&p);
        let st = state_with(&p, &[&[0], &[1], &[2], &[3], &[4]]);
        for (iters, seed) in [(5_000u64, 1u64), (3, 2), (1, 3)] {
            let lim = limits(iters);
            let until = Until {
                limits: &lim,
                started: Instant::now(),
                until: 1.0,
            };
            let mut el = Eliminator::new(&ctx);
            let mut seen = Vec::new();
            let out = el.run(&st, &mut Rng::new(seed), &until, 0, &mut |s| {
                seen.push(s.num_routes())
            });
            for w in seen.windows(2) {
                assert!(w[1] < w[0]);
            }
            match out {
                Some(best) => {
                    assert_complete(&p, &best);
                    if iters == 5_000 {
                        assert_eq!(best.num_routes(), 2);
                    }
                }
                None => assert!(iters < 5_000),
            }
        }
    }

    /// The capacity bound: total demand over the capacity, rounded up; 1 when a job may be
    /// left out.
    #[test]
    fn capacity_bound_is_the_total_demand_over_the_capacity() {
        let wide = [(0, 1000); 5];
        use crate::solver::context::capacity_bound;
        assert_eq!(capacity_bound(&line(3, 5, &wide)), 2);
        assert_eq!(capacity_bound(&line(1, 5, &wide)), 5);
        assert_eq!(capacity_bound(&line(5, 5, &wide)), 1);
        assert_eq!(capacity_bound(&line(100, 5, &wide)), 1);
        let m = Matrix::from_fn(3, |i, j| (i as i64 - j as i64).abs());
        let mut optional = JobSpec::delivery(2, 3, 0);
        optional.skip_penalty = Some(100);
        let p = Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs: vec![JobSpec::delivery(1, 3, 0), optional],
            pairs: vec![],
            vehicle_types: vec![VehicleTypeSpec::simple(2, 3, 0)],
            objective: Objective::Hierarchical,
        })
        .unwrap();
        assert_eq!(capacity_bound(&p), 1);
    }

    /// Pickups, pairs or inexact segments: not handled here.
    #[test]
    fn applicable_only_to_plain_deliveries() {
        let wide = [(0, 1000); 5];
        assert!(applicable(&line(3, 2, &wide)));
        let pos = [0i64, 10, 11];
        let m = Matrix::from_fn(3, |i, j| (pos[i] - pos[j]).abs());
        let p = Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs: vec![
                JobSpec::delivery(1, 1, 0),
                JobSpec::delivery(2, 1, 0).with_windows(&[(0, 5), (20, 30)]),
            ],
            pairs: vec![],
            vehicle_types: vec![VehicleTypeSpec::simple(2, 3, 0)],
            objective: Objective::Hierarchical,
        })
        .unwrap();
        assert!(!applicable(&p));
    }
}
