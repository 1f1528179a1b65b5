//! Local search with granular neighbourhoods (Toth & Vigo 2003; as in HGS
//! and PyVRP): for a job `u`, only moves that put `u` next to one of its
//! `k` nearest jobs `v` (by a time-window-aware proximity) are evaluated.
//! Each operator is its own module and describes a move as at most two
//! candidate routes made of [`pieces`] of the current routes; the
//! evaluator merges cached prefix/suffix segments, so a move costs O(1)
//! whatever the route length. Moves keep every route hard-feasible.
//!
//! Operators: [`relocate`] (1-3 jobs, or-opt, optionally reversed), [`swap`]
//! (1-1, 2-1, 1-2, 2-2), [`tails`] (2-opt*), [`two_opt`] (intra reversal).
//! Jobs of pickup-delivery pairs are never moved by local search.
//!
//! Where [`LocalSearch::swap_star`] is on (no problem turns it on yet: it measured within
//! noise on the real-road set, `SearchParams::swap_star`), a route operator follows each time the
//! granular neighbourhoods are exhausted: [`swap_star`] (SWAP*) between every route changed
//! since its last look and the routes holding its jobs' granular neighbours; a SWAP* move
//! queues its joints for the granular operators again, until neither improves.

pub(crate) mod asym;
pub(crate) mod pieces;
pub(crate) mod relocate;
pub(crate) mod swap;
pub(crate) mod swap_star;
pub(crate) mod tails;
#[cfg(test)]
mod tests;
pub(crate) mod two_opt;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use pieces::Candidate;

use super::neighbours::NeighbourLists;
use super::route::Route;
use super::state::{State, NONE};
use super::Budget;
use crate::problem::Problem;

/// Longest stretch of jobs an intra-route move may shift or reverse.
pub(crate) const MAX_GAP: usize = 24;

/// Jobs the local search handles between two looks at the budget (a job
/// costs a few microseconds: its granular neighbourhood times four operators).
const BUDGET_CHECK: u32 = 16;

/// Whether local search may run on `p`: only when cached segments evaluate
/// routes exactly (no multiple windows, soft lateness or reloads); other
/// problems are searched by ruin-and-recreate alone.
pub(crate) fn ls_applicable(p: &Problem) -> bool {
    p.segments_exact()
}

/// Read-only view of the state that operators evaluate against.
pub(crate) struct Ctx<'x> {
    pub p: &'x Problem,
    pub routes: &'x [Route],
    pub route_of: &'x [u32],
    pub pos: &'x [u32],
    /// `tails_ok[a * nvt + b]`: routes of types a and b may exchange tails.
    pub tails_ok: &'x [bool],
    pub nvt: usize,
}

impl Ctx<'_> {
    /// Route and position of an assigned job.
    #[inline]
    pub fn at(&self, j: usize) -> (usize, usize) {
        (self.route_of[j] as usize, self.pos[j] as usize)
    }

    /// True when the job at `pos` of route `r` belongs to a pickup-delivery pair.
    #[inline]
    pub fn paired(&self, r: usize, pos: usize) -> bool {
        self.p.jobs[self.routes[r].jobs[pos - 1]].partner.is_some()
    }

    /// True when routes `a` and `b` may exchange tails.
    #[inline]
    pub fn tails_allowed(&self, a: usize, b: usize) -> bool {
        self.tails_ok[self.routes[a].vt * self.nvt + self.routes[b].vt]
    }
}

/// An improving move: one or two candidate routes and the cost change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Move {
    pub delta: i64,
    pub a: Candidate,
    pub b: Option<Candidate>,
}

/// Collects the best improving move of the evaluations offered to it.
#[derive(Debug, Default)]
pub(crate) struct MoveSink {
    pub best: Option<Move>,
    /// Moves evaluated (for statistics).
    pub evaluated: u64,
    /// Every move offered (tests only).
    #[cfg(test)]
    pub seen: Vec<(Candidate, Option<Candidate>)>,
}

impl MoveSink {
    /// Evaluates replacing route `a.route` (and `b.route`) by the candidates.
    pub fn consider(&mut self, cx: &Ctx<'_>, a: Candidate, b: Option<Candidate>) {
        self.evaluated += 1;
        #[cfg(test)]
        self.seen.push((a, b));
        let bound = self.best.map_or(0, |m| m.delta);
        let mut old = cx.routes[a.route].cost;
        let Some(da) = pieces::distance(cx.p, cx.routes, &a) else {
            return;
        };
        let lba = pieces::cost_lower_bound(cx.p, cx.routes, &a, da);
        let mut lb = lba;
        let mut db = 0;
        if let Some(b) = &b {
            old += cx.routes[b.route].cost;
            let Some(d) = pieces::distance(cx.p, cx.routes, b) else {
                return;
            };
            db = d;
            lb += pieces::cost_lower_bound(cx.p, cx.routes, b, d);
        }
        if lb - old >= bound {
            return;
        }
        let Some(ca) = pieces::evaluate(cx.p, cx.routes, &a, da) else {
            return;
        };
        let mut new = ca;
        if let Some(b) = &b {
            if ca + lb - lba - old >= bound {
                return;
            }
            let Some(cb) = pieces::evaluate(cx.p, cx.routes, b, db) else {
                return;
            };
            new += cb;
        }
        let delta = new - old;
        if delta < bound {
            self.best = Some(Move { delta, a, b });
        }
    }
}

/// Granular local search: neighbour lists and work buffers.
pub(crate) struct LocalSearch {
    /// `neighbours.of(p, u)`: the jobs `v` for which moves putting `u` next
    /// to `v` are tried, nearest first (shared by the threads of a solve).
    pub neighbours: Arc<NeighbourLists>,
    pos: Vec<u32>,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    tails_ok: Vec<bool>,
    nvt: usize,
    bufs: [Vec<usize>; 2],
    joints: Vec<usize>,
    /// Moves applied so far.
    pub applied: u64,
    /// Calls of [`LocalSearch::improve`] so far.
    pub calls: u64,
    /// Moves evaluated so far.
    pub evaluated: u64,
    /// Whether SWAP* runs once the granular operators find nothing ([`swap_star`]).
    pub swap_star: bool,
    /// SWAP* moves applied so far.
    pub swap_star_applied: u64,
    ss: swap_star::SwapStar,
    /// Routes changed since SWAP* last looked at them (this call of `improve`).
    dirty: Vec<bool>,
    /// Routes near the route SWAP* looks at, and which of them are listed.
    near: Vec<usize>,
    listed: Vec<bool>,
    /// Route pairs SWAP* tried since either last changed.
    tried: HashSet<(usize, usize)>,
}

/// Proximity of Vidal et al. (2013) for the granular neighbourhood of `u`:
/// for every other job `v`, distance plus 0.2 x the least waiting and 1 x
/// the least time warp incurred when `v` follows `u`.
pub(crate) fn granular_proximity(p: &Problem, u: usize, out: &mut Vec<(i64, u32)>) {
    let ju = &p.jobs[u];
    let dur = p.durations_from(ju.location);
    let dist = p.distances_from(ju.location);
    for (v, jv) in p.jobs.iter().enumerate() {
        if v == u {
            continue;
        }
        let t = dur[jv.location];
        let wait = (jv.time_window.start - ju.time_window.end - ju.service - t).max(0);
        let warp = (ju.time_window.start + ju.service + t - jv.time_window.end).max(0);
        out.push((dist[jv.location] + wait / 5 + warp, v as u32));
    }
}

/// Neighbour lists of size `k` by [`granular_proximity`], each built on
/// first use.
/// On an asymmetric matrix the proximity takes both directions ([`asym`]).
pub(crate) fn granular_neighbours(p: &Problem, k: usize) -> NeighbourLists {
    if asym::is_asymmetric(p) {
        NeighbourLists::new(p, k, asym::both_ways_proximity)
    } else {
        NeighbourLists::new(p, k, granular_proximity)
    }
}

impl LocalSearch {
    /// A local search over `neighbours` (from [`granular_neighbours`]).
    pub fn new(p: &Problem, neighbours: Arc<NeighbourLists>) -> Self {
        let n = p.jobs.len();
        let nvt = p.vehicle_types.len();
        let has_pairs = p.jobs.iter().any(|j| j.partner.is_some());
        let job_skills = p.jobs.iter().fold(0u64, |acc, j| acc | j.skills);
        let mut tails_ok = vec![false; nvt * nvt];
        for a in 0..nvt {
            for b in 0..nvt {
                let (va, vb) = (&p.vehicle_types[a], &p.vehicle_types[b]);
                tails_ok[a * nvt + b] = !has_pairs
                    && va.end_loc == vb.end_loc
                    && va.shift == vb.shift
                    && (va.skills == vb.skills || job_skills & !(va.skills & vb.skills) == 0);
            }
        }
        Self {
            neighbours,
            pos: vec![0; n],
            queue: VecDeque::new(),
            queued: vec![false; n],
            tails_ok,
            nvt,
            bufs: [Vec::new(), Vec::new()],
            joints: Vec::new(),
            applied: 0,
            calls: 0,
            evaluated: 0,
            swap_star: false,
            swap_star_applied: 0,
            ss: swap_star::SwapStar::default(),
            dirty: Vec::new(),
            near: Vec::new(),
            listed: Vec::new(),
            tried: HashSet::new(),
        }
    }

    fn push(&mut self, j: usize) {
        if !self.queued[j] {
            self.queued[j] = true;
            self.queue.push_back(j as u32);
        }
    }

    /// Improves `st` until no move around the queued jobs improves it. The
    /// queue starts with `seeds`; a job whose route neighbourhood changes is
    /// queued again. Every route stays feasible; touched routes are saved
    /// for [`State::rollback`].
    ///
    /// Every [`BUDGET_CHECK`] jobs the budget is looked at; once it is
    /// spent the search stops where it is (the state stays feasible) and
    /// `false` is returned. `true`: a local optimum was reached.
    pub fn improve(
        &mut self,
        p: &Problem,
        st: &mut State,
        seeds: &[usize],
        budget: &Budget,
    ) -> bool {
        self.calls += 1;
        for r in &st.routes {
            for (k, &j) in r.jobs.iter().enumerate() {
                self.pos[j] = k as u32 + 1;
            }
        }
        self.dirty.clear();
        self.dirty.resize(st.routes.len(), false);
        self.tried.clear();
        for &j in seeds {
            if st.route_of[j] != NONE && p.jobs[j].partner.is_none() {
                self.push(j);
                self.dirty[st.route_of[j] as usize] = true;
            }
        }
        loop {
            if !self.granular(p, st, budget) {
                return false;
            }
            if !self.swap_star {
                return true;
            }
            match self.swap_star_round(p, st, budget) {
                None => return false,
                Some(false) => return true,
                Some(true) => {}
            }
        }
    }

    /// The granular operators around the queued jobs until the queue is empty (`true`) or
    /// the budget is spent (`false`).
    fn granular(&mut self, p: &Problem, st: &mut State, budget: &Budget) -> bool {
        let mut popped = 0u32;
        while let Some(u) = self.queue.pop_front() {
            let u = u as usize;
            self.queued[u] = false;
            popped += 1;
            if popped.is_multiple_of(BUDGET_CHECK) && budget.expired() {
                for j in self.queue.drain(..) {
                    self.queued[j as usize] = false;
                }
                return false;
            }
            if st.route_of[u] == NONE {
                continue;
            }
            let mut sink = MoveSink::default();
            {
                let cx = Ctx {
                    p,
                    routes: &st.routes,
                    route_of: &st.route_of,
                    pos: &self.pos,
                    tails_ok: &self.tails_ok,
                    nvt: self.nvt,
                };
                for &v in self.neighbours.of(p, u) {
                    let v = v as usize;
                    if st.route_of[v] == NONE {
                        continue;
                    }
                    relocate::evaluate(&cx, u, v, &mut sink);
                    swap::evaluate(&cx, u, v, &mut sink);
                    tails::evaluate(&cx, u, v, &mut sink);
                    two_opt::evaluate(&cx, u, v, &mut sink);
                }
            }
            self.evaluated += sink.evaluated;
            super::count_moves(sink.evaluated);
            if let Some(m) = sink.best {
                self.apply(p, st, &m);
                self.push(u);
            }
        }
        true
    }

    /// One round of SWAP*: every route changed since its last look against the routes
    /// holding its jobs' granular neighbours; an improving move is applied at once (its
    /// joints are queued for the granular operators). `Some(true)`: a move was applied;
    /// `None`: the budget ran out.
    fn swap_star_round(&mut self, p: &Problem, st: &mut State, budget: &Budget) -> Option<bool> {
        let mut moved = false;
        self.listed.clear();
        self.listed.resize(st.routes.len(), false);
        for a in 0..st.routes.len() {
            if !self.dirty[a] {
                continue;
            }
            self.dirty[a] = false;
            if st.routes[a].is_empty() {
                continue;
            }
            if budget.expired() {
                return None;
            }
            self.near.clear();
            for &u in &st.routes[a].jobs {
                for &v in self.neighbours.of(p, u) {
                    let rb = st.route_of[v as usize];
                    if rb != NONE && rb as usize != a && !self.listed[rb as usize] {
                        self.listed[rb as usize] = true;
                        self.near.push(rb as usize);
                    }
                }
            }
            let near = std::mem::take(&mut self.near);
            for &b in &near {
                self.listed[b] = false;
            }
            for &b in &near {
                if st.routes[a].is_empty() || st.routes[b].is_empty() {
                    continue;
                }
                if !self.tried.insert((a.min(b), a.max(b))) {
                    continue;
                }
                let mut sink = MoveSink::default();
                {
                    let cx = Ctx {
                        p,
                        routes: &st.routes,
                        route_of: &st.route_of,
                        pos: &self.pos,
                        tails_ok: &self.tails_ok,
                        nvt: self.nvt,
                    };
                    self.ss.evaluate(&cx, a, b, &mut sink);
                }
                self.evaluated += sink.evaluated;
                super::count_moves(sink.evaluated);
                if let Some(m) = sink.best {
                    self.apply(p, st, &m);
                    self.swap_star_applied += 1;
                    moved = true;
                }
            }
            self.near = near;
        }
        Some(moved)
    }

    /// Replaces the routes of move `m` by its candidates.
    fn apply(&mut self, p: &Problem, st: &mut State, m: &Move) {
        self.applied += 1;
        self.joints.clear();
        let cands = [Some(m.a), m.b];
        for (i, c) in cands.iter().enumerate() {
            if let Some(c) = c {
                pieces::jobs_of(&st.routes, c, &mut self.bufs[i]);
                pieces::joint_jobs(&st.routes, c, &mut self.joints);
            }
        }
        for (i, c) in cands.iter().enumerate() {
            let Some(c) = c else { continue };
            st.touch(c.route);
            let route = &mut st.routes[c.route];
            let was_empty = route.is_empty();
            std::mem::swap(&mut route.jobs, &mut self.bufs[i]);
            route.rebuild(p);
            for (k, &j) in route.jobs.iter().enumerate() {
                self.pos[j] = k as u32 + 1;
                st.route_of[j] = c.route as u32;
            }
            if !was_empty && route.is_empty() {
                st.used[route.vt] -= 1;
            }
            if let Some(d) = self.dirty.get_mut(c.route) {
                *d = true;
            }
            let r = c.route;
            self.tried.retain(|&(x, y)| x != r && y != r);
        }
        let joints = std::mem::take(&mut self.joints);
        for &j in &joints {
            if p.jobs[j].partner.is_none() {
                self.push(j);
            }
        }
        self.joints = joints;
    }
}
