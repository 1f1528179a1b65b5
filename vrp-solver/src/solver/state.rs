//! The solution under search: routes, unassigned jobs and the bookkeeping to
//! undo a rejected ruin-and-recreate step cheaply.

use super::route::Route;
use crate::problem::Problem;

/// Marker for "not in any route".
pub(crate) const NONE: u32 = u32::MAX;

/// A complete (possibly partial) solution with undo support.
#[derive(Debug)]
pub(crate) struct State {
    /// Routes; may contain empty routes between [`State::commit`]s.
    pub routes: Vec<Route>,
    /// Unassigned units (a single job, or the pickup job of a pair).
    pub unassigned: Vec<usize>,
    /// Route of each job, or [`NONE`].
    pub route_of: Vec<u32>,
    /// Vehicles in use per vehicle type.
    pub used: Vec<usize>,
    /// Most routes allowed (fleet minimisation lowers it).
    pub route_limit: usize,
    saved_routes: Vec<(usize, Route)>,
    saved_len: usize,
    saved_unassigned: Vec<usize>,
    saved_used: Vec<usize>,
    /// Route copies no longer needed, kept for their allocations (a saved
    /// copy is written over one of these instead of allocating anew).
    spare: Vec<Route>,
}

impl Clone for State {
    /// Clones the solution and its undo data (not the spare copies).
    fn clone(&self) -> Self {
        Self {
            routes: self.routes.clone(),
            unassigned: self.unassigned.clone(),
            route_of: self.route_of.clone(),
            used: self.used.clone(),
            route_limit: self.route_limit,
            saved_routes: self.saved_routes.clone(),
            saved_len: self.saved_len,
            saved_unassigned: self.saved_unassigned.clone(),
            saved_used: self.saved_used.clone(),
            spare: Vec::new(),
        }
    }
}

impl State {
    /// Everything unassigned.
    pub fn empty(p: &Problem) -> Self {
        let unassigned = (0..p.jobs.len())
            .filter(|&j| p.jobs[j].partner.is_none() || p.jobs[j].is_pair_pickup)
            .collect();
        let fleet: usize = p.vehicle_types.iter().map(|v| v.count).sum();
        Self {
            routes: Vec::new(),
            unassigned,
            route_of: vec![NONE; p.jobs.len()],
            used: vec![0; p.vehicle_types.len()],
            route_limit: fleet,
            saved_routes: Vec::new(),
            saved_len: 0,
            saved_unassigned: Vec::new(),
            saved_used: vec![0; p.vehicle_types.len()],
            spare: Vec::new(),
        }
    }

    fn reindex_all(&mut self) {
        for (ri, r) in self.routes.iter().enumerate() {
            for &j in &r.jobs {
                self.route_of[j] = ri as u32;
            }
        }
    }

    /// Number of non-empty routes.
    pub fn num_routes(&self) -> usize {
        self.routes.iter().filter(|r| !r.is_empty()).count()
    }

    /// Total cost: routes plus skip penalties.
    pub fn cost(&self, p: &Problem) -> i64 {
        let r: i64 = self.routes.iter().map(|r| r.cost).sum();
        r + self.unassigned.iter().map(|&j| p.skip_cost(j)).sum::<i64>()
    }

    /// Starts a step: later changes can be undone with [`State::rollback`].
    pub fn begin(&mut self) {
        self.spare
            .extend(self.saved_routes.drain(..).map(|(_, r)| r));
        self.saved_len = self.routes.len();
        self.saved_unassigned.clone_from(&self.unassigned);
        self.saved_used.clone_from(&self.used);
    }

    /// Remembers route `r` before its first change in this step.
    pub fn touch(&mut self, r: usize) {
        if r < self.saved_len && !self.saved_routes.iter().any(|(i, _)| *i == r) {
            let copy = match self.spare.pop() {
                Some(mut c) => {
                    c.copy_from(&self.routes[r]);
                    c
                }
                None => self.routes[r].clone(),
            };
            self.saved_routes.push((r, copy));
        }
    }

    /// Undoes every change since [`State::begin`].
    pub fn rollback(&mut self) {
        for ri in self.saved_len..self.routes.len() {
            for &j in &self.routes[ri].jobs {
                self.route_of[j] = NONE;
            }
        }
        self.routes.truncate(self.saved_len);
        for (ri, r) in self.saved_routes.drain(..) {
            for &j in &self.routes[ri].jobs {
                self.route_of[j] = NONE;
            }
            for &j in &r.jobs {
                self.route_of[j] = ri as u32;
            }
            self.spare.push(std::mem::replace(&mut self.routes[ri], r));
        }
        std::mem::swap(&mut self.unassigned, &mut self.saved_unassigned);
        std::mem::swap(&mut self.used, &mut self.saved_used);
        self.saved_used.clone_from(&self.used);
        self.saved_unassigned.clone_from(&self.unassigned);
    }

    /// Keeps every change since [`State::begin`], drops empty routes, and
    /// starts a new step.
    pub fn commit(&mut self) {
        if self.routes.iter().any(|r| r.is_empty()) {
            self.routes.retain(|r| !r.is_empty());
            self.reindex_all();
        }
        self.begin();
    }

    /// Removes the jobs at `positions` (1-based, any order) from route `r`,
    /// with their pair partners; returns the removed units.
    pub fn remove_positions(
        &mut self,
        p: &Problem,
        r: usize,
        positions: &[usize],
        out: &mut Vec<usize>,
    ) {
        self.touch(r);
        let route = &mut self.routes[r];
        let mut drop = vec![false; route.jobs.len()];
        for &pos in positions {
            drop[pos - 1] = true;
        }
        for k in 0..route.jobs.len() {
            if drop[k] {
                if let Some(q) = p.jobs[route.jobs[k]].partner {
                    if let Some(idx) = route.jobs.iter().position(|&x| x == q) {
                        drop[idx] = true;
                    }
                }
            }
        }
        for (k, &j) in route.jobs.iter().enumerate() {
            if drop[k] {
                self.route_of[j] = NONE;
                if p.jobs[j].partner.is_none() || p.jobs[j].is_pair_pickup {
                    out.push(j);
                }
            }
        }
        let had_jobs = !route.jobs.is_empty();
        route.remove_marked(p, &drop);
        if had_jobs && route.jobs.is_empty() {
            self.used[route.vt] -= 1;
        }
    }

    /// Inserts a unit into route `r` (an index equal to `routes.len()` opens
    /// a new route of type `vt`).
    pub fn insert(
        &mut self,
        p: &Problem,
        r: usize,
        vt: usize,
        ins: super::route::Insertion,
        unit: usize,
    ) {
        if r == self.routes.len() {
            self.routes.push(Route::new(p, vt));
            self.used[vt] += 1;
        } else {
            self.touch(r);
            if self.routes[r].is_empty() {
                self.used[self.routes[r].vt] += 1;
            }
        }
        let second = if p.jobs[unit].is_pair_pickup {
            p.jobs[unit].partner
        } else {
            None
        };
        self.routes[r].insert(p, ins, unit, second);
        self.route_of[unit] = r as u32;
        if let Some(q) = second {
            self.route_of[q] = r as u32;
        }
    }

    /// The solution made of `routes` ((vehicle type, jobs) as [`State::snapshot`] gives them,
    /// from a problem with the same jobs and vehicle types), every other unit unassigned,
    /// committed.
    pub fn from_routes(p: &Problem, routes: &[(usize, Vec<usize>)]) -> Self {
        let mut st = State::empty(p);
        for (vt, jobs) in routes {
            if jobs.is_empty() {
                continue;
            }
            let mut r = Route::new(p, *vt);
            r.jobs.clone_from(jobs);
            r.rebuild(p);
            let ri = st.routes.len() as u32;
            for &j in jobs {
                st.route_of[j] = ri;
            }
            st.routes.push(r);
            st.used[*vt] += 1;
        }
        let route_of = &st.route_of;
        st.unassigned.retain(|&u| route_of[u] == NONE);
        st.commit();
        st
    }

    /// Routes as (vehicle type, jobs), empty ones left out.
    pub fn snapshot(&self) -> Vec<(usize, Vec<usize>)> {
        self.routes
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| (r.vt, r.jobs.clone()))
            .collect()
    }
}

#[cfg(test)]
impl State {
    /// Test fixture: the given routes (vehicle type 0, jobs by index), every other job
    /// unassigned and nothing committed.
    pub(crate) fn with_routes(p: &Problem, routes: &[&[usize]]) -> State {
        let mut st = State::empty(p);
        st.unassigned.clear();
        for (ri, jobs) in routes.iter().enumerate() {
            let mut r = Route::new(p, 0);
            r.jobs = jobs.to_vec();
            r.rebuild(p);
            st.routes.push(r);
            st.used[0] += 1;
            for &j in *jobs {
                st.route_of[j] = ri as u32;
            }
        }
        st
    }
}
