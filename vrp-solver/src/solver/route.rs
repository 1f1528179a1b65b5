//! A route under search, with cached prefix and suffix segments so that
//! inserting a job anywhere is evaluated in O(1).

use crate::problem::{Problem, VehicleType, REQUIRED_PENALTY};
use crate::schedule::{simulate, with_scratch};
use crate::segment::{DurationSegment, LoadSegment};

/// Cost of a route that breaks a constraint (only possible when segments are
/// not exact, e.g. after a removal changes where reloads fall): so large that
/// the search never accepts it.
pub(crate) const INFEASIBLE_ROUTE: i64 = REQUIRED_PENALTY;

/// A route of one vehicle. Position 0 is the start depot, positions
/// `1..=len` are jobs, position `len + 1` is the end.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// Vehicle type index.
    pub vt: usize,
    /// Jobs in visiting order.
    pub jobs: Vec<usize>,
    /// Location of every position (depots included).
    pub locs: Vec<usize>,
    /// `travel[p]`: travel duration from position `p` to `p + 1` (so that
    /// refreshing the segments reads no matrix entry).
    pub travel: Vec<i64>,
    /// `fwd[p]`: duration segment of positions `0..=p`.
    pub fwd: Vec<DurationSegment>,
    /// `bwd[p]`: duration segment of positions `p..=len+1`.
    pub bwd: Vec<DurationSegment>,
    /// `lfwd[p]`: load segment of positions `0..=p`.
    pub lfwd: Vec<LoadSegment>,
    /// `lbwd[p]`: load segment of positions `p..=len+1`.
    pub lbwd: Vec<LoadSegment>,
    /// `dist[p]`: distance travelled from the start to position `p`.
    pub dist: Vec<i64>,
    /// Total cost of the route (0 when empty).
    pub cost: i64,
}

/// What insertion needs to know about one job, gathered once per job:
/// its visit segments and the matrix rows around its location (reads of
/// travel from and to the job then stay in two contiguous rows).
pub(crate) struct JobView<'p> {
    /// Job index.
    pub j: usize,
    /// Location of the job.
    pub u: usize,
    /// Required skills.
    pub skills: u64,
    /// Duration segment of a visit.
    pub useg: DurationSegment,
    /// Load segment of a visit.
    pub uload: LoadSegment,
    /// Distances from `u` to every location.
    pub from_u: &'p [i64],
    /// Distances from every location to `u` (`None`: read the matrix).
    pub to_u: Option<&'p [i64]>,
    /// Durations from `u` to every location.
    pub dfrom_u: &'p [i64],
    /// Durations from every location to `u` (`None`: read the matrix).
    pub dto_u: Option<&'p [i64]>,
}

impl<'p> JobView<'p> {
    /// Gathers the data of job `j`.
    #[inline]
    pub fn new(p: &'p Problem, j: usize) -> Self {
        let job = &p.jobs[j];
        let u = job.location;
        let (useg, uload) = p.visits[j];
        Self {
            j,
            u,
            skills: job.skills,
            useg,
            uload,
            from_u: p.distances_from(u),
            to_u: p.distances_to(u),
            dfrom_u: p.durations_from(u),
            dto_u: p.durations_to(u),
        }
    }
}

/// The result of evaluating an insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Insertion {
    /// Cost increase.
    pub delta: i64,
    /// Insert after this position.
    pub after: usize,
    /// For a pair: insert the delivery after this position of the original
    /// route (equal to `after` means right after the pickup).
    pub second_after: usize,
}

impl Route {
    /// An empty route of vehicle type `vt`.
    pub fn new(p: &Problem, vt: usize) -> Self {
        let mut r = Self {
            vt,
            jobs: Vec::new(),
            locs: Vec::new(),
            travel: Vec::new(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            lfwd: Vec::new(),
            lbwd: Vec::new(),
            dist: Vec::new(),
            cost: 0,
        };
        r.rebuild(p);
        r
    }

    /// Makes `self` a copy of `other`, reusing `self`'s allocations.
    pub fn copy_from(&mut self, other: &Route) {
        self.vt = other.vt;
        self.jobs.clone_from(&other.jobs);
        self.locs.clone_from(&other.locs);
        self.travel.clone_from(&other.travel);
        self.fwd.clone_from(&other.fwd);
        self.bwd.clone_from(&other.bwd);
        self.lfwd.clone_from(&other.lfwd);
        self.lbwd.clone_from(&other.lbwd);
        self.dist.clone_from(&other.dist);
        self.cost = other.cost;
    }

    /// Number of jobs.
    #[inline]
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// True when the route has no job.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Recomputes every cache from `jobs`.
    pub fn rebuild(&mut self, p: &Problem) {
        let vt = &p.vehicle_types[self.vt];
        self.locs.clear();
        self.locs.push(vt.start);
        self.locs
            .extend(self.jobs.iter().map(|&j| p.jobs[j].location));
        self.locs.push(vt.end_loc);
        self.travel.clear();
        self.dist.clear();
        self.dist.push(0);
        for w in self.locs.windows(2) {
            self.travel.push(p.duration(w[0], w[1]));
            let d = self.dist[self.dist.len() - 1] + p.distance(w[0], w[1]);
            self.dist.push(d);
        }
        let n = self.locs.len();
        self.fwd.resize(n, DurationSegment::visit(0, vt.shift));
        self.bwd.resize(n, DurationSegment::visit(0, vt.shift));
        self.lfwd.resize(n, LoadSegment::default());
        self.lbwd.resize(n, LoadSegment::default());
        self.refresh(p, 0, n - 1);
    }

    /// Duration and load segments of the visit at position `pos`.
    #[inline]
    fn visit_at(&self, p: &Problem, pos: usize) -> (DurationSegment, LoadSegment) {
        if pos == 0 || pos == self.jobs.len() + 1 {
            (
                DurationSegment::visit(0, p.vehicle_types[self.vt].shift),
                LoadSegment::default(),
            )
        } else {
            p.visits[self.jobs[pos - 1]]
        }
    }

    /// Recomputes the forward segments of positions `from..` and the
    /// backward segments of positions `..=to`, given valid `locs`, `travel`
    /// and `dist`, valid forward segments before `from` and valid backward
    /// segments after `to`; then the cost. Reads no matrix entry, so it
    /// costs a few arithmetic operations per position.
    fn refresh(&mut self, p: &Problem, from: usize, to: usize) {
        let last = self.locs.len() - 1;
        for pos in from..=last {
            let (d, l) = self.visit_at(p, pos);
            if pos == 0 {
                self.fwd[0] = d;
                self.lfwd[0] = l;
            } else {
                self.fwd[pos] = self.fwd[pos - 1].then(self.travel[pos - 1], &d);
                self.lfwd[pos] = self.lfwd[pos - 1].then(&l);
            }
        }
        for pos in (0..=to.min(last)).rev() {
            let (d, l) = self.visit_at(p, pos);
            if pos == last {
                self.bwd[pos] = d;
                self.lbwd[pos] = l;
            } else {
                self.bwd[pos] = d.then(self.travel[pos], &self.bwd[pos + 1]);
                self.lbwd[pos] = l.then(&self.lbwd[pos + 1]);
            }
        }
        let vt = &p.vehicle_types[self.vt];
        self.cost = if self.jobs.is_empty() {
            0
        } else if p.exact {
            route_cost(vt, self.distance(), self.duration())
        } else {
            with_scratch(|sc| simulate(p, vt, self.jobs.iter().copied(), sc, None))
                .map_or(INFEASIBLE_ROUTE, |o| o.cost)
        };
    }

    /// Removes the jobs at the positions marked in `drop` (`drop[k]` for
    /// position `k + 1`), updating the caches: kept edges keep their cached
    /// travel and distance, only the edges bridging a removed stretch are
    /// read from the matrices, and only segments whose prefix or suffix
    /// changed are recomputed.
    pub fn remove_marked(&mut self, p: &Problem, drop: &[bool]) {
        let m = self.jobs.len();
        let Some(first) = drop.iter().position(|&d| d) else {
            return;
        };
        let last_dropped = drop.iter().rposition(|&d| d).unwrap_or(first);
        let removed = drop.iter().filter(|&&d| d).count();
        // Compact positions in place: old position `pos` goes to `w`.
        let mut w = first + 1;
        let mut prev = first; // old position of the last kept stop
        for pos in first + 1..=m + 1 {
            if pos <= m && drop[pos - 1] {
                continue;
            }
            let (a, b) = (self.locs[prev], self.locs[pos]);
            let (t, d) = if prev + 1 == pos {
                (self.travel[prev], self.dist[pos] - self.dist[prev])
            } else {
                (p.duration(a, b), p.distance(a, b))
            };
            // `w - 1` already holds the compacted predecessor.
            self.travel[w - 1] = t;
            self.dist[w] = self.dist[w - 1] + d;
            self.locs[w] = b;
            self.bwd[w] = self.bwd[pos];
            self.lbwd[w] = self.lbwd[pos];
            if pos <= m {
                self.jobs[w - 1] = self.jobs[pos - 1];
            }
            prev = pos;
            w += 1;
        }
        let n = m + 2 - removed;
        debug_assert_eq!(w, n);
        self.jobs.truncate(m - removed);
        self.locs.truncate(n);
        self.travel.truncate(n - 1);
        self.dist.truncate(n);
        self.fwd.truncate(n);
        self.lfwd.truncate(n);
        self.bwd.truncate(n);
        self.lbwd.truncate(n);
        // New positions >= last_dropped + 2 - removed kept their suffixes.
        let to = last_dropped + 1 - removed;
        self.refresh(p, first + 1, to);
    }

    /// Total distance.
    #[inline]
    pub fn distance(&self) -> i64 {
        self.dist[self.jobs.len() + 1]
    }

    /// Minimal total duration.
    #[inline]
    pub fn duration(&self) -> i64 {
        self.fwd[self.jobs.len() + 1].duration
    }

    /// Whole-route load segment.
    #[inline]
    pub fn load(&self) -> &LoadSegment {
        &self.lfwd[self.jobs.len() + 1]
    }

    /// Best insertion of the single (unpaired) job `j`, if any is feasible
    /// and cheaper than `bound`. `skip` is asked per position (blinks).
    #[cfg(test)]
    pub fn best_insertion(
        &self,
        p: &Problem,
        j: usize,
        bound: i64,
        skip: impl FnMut() -> bool,
    ) -> Option<Insertion> {
        self.best_insertion_of(p, &JobView::new(p, j), bound, skip)
    }

    /// [`Self::best_insertion`] with the job's data gathered once (the
    /// recreate step asks every route about the same job).
    #[inline]
    pub fn best_insertion_of(
        &self,
        p: &Problem,
        job: &JobView<'_>,
        mut bound: i64,
        mut skip: impl FnMut() -> bool,
    ) -> Option<Insertion> {
        let vt = &p.vehicle_types[self.vt];
        if job.skills & !vt.skills != 0 {
            return None;
        }
        if !p.exact {
            return self.best_insertion_sim(p, job.j, bound, skip);
        }
        let m = self.jobs.len();
        let check_load_per_pos = p.has_pickups;
        if !check_load_per_pos {
            let l = self.load();
            for d in 0..p.dims {
                if l.depot[d] + job.uload.depot[d] > vt.capacity[d] {
                    return None;
                }
            }
        }
        let fixed = if m == 0 { vt.fixed_cost } else { 0 };
        let old_dur = self.duration();
        let old_dist = self.distance();
        let (useg, uload) = (&job.useg, &job.uload);
        let mut best = None;
        for i in 0..=m {
            let (a, b) = (self.locs[i], self.locs[i + 1]);
            let into = match job.to_u {
                Some(row) => row[a],
                None => p.distance(a, job.u),
            };
            let ddist = into + job.from_u[b] - (self.dist[i + 1] - self.dist[i]);
            let dist_cost = fixed + vt.cost_per_distance * ddist;
            if vt.cost_per_time == 0 && dist_cost >= bound {
                continue;
            }
            if skip() {
                continue;
            }
            if old_dist + ddist > vt.max_distance {
                continue;
            }
            let t_in = match job.dto_u {
                Some(row) => row[a],
                None => p.duration(a, job.u),
            };
            let s = self.fwd[i]
                .then(t_in, useg)
                .then(job.dfrom_u[b], &self.bwd[i + 1]);
            if s.time_warp > 0 || s.duration > vt.max_duration {
                continue;
            }
            if check_load_per_pos
                && !self.lfwd[i]
                    .then(uload)
                    .then(&self.lbwd[i + 1])
                    .fits(&vt.capacity, p.dims)
            {
                continue;
            }
            let delta = dist_cost + vt.cost_per_time * (s.duration - old_dur);
            if delta < bound {
                bound = delta;
                best = Some(Insertion {
                    delta,
                    after: i,
                    second_after: i,
                });
            }
        }
        best
    }

    /// Best insertion of the pickup-delivery pair `(pu, de)`, pickup first.
    pub fn best_pair_insertion(
        &self,
        p: &Problem,
        pu: usize,
        de: usize,
        mut bound: i64,
        mut skip: impl FnMut() -> bool,
    ) -> Option<Insertion> {
        let vt = &p.vehicle_types[self.vt];
        let (jp, jd) = (&p.jobs[pu], &p.jobs[de]);
        if (jp.skills | jd.skills) & !vt.skills != 0 {
            return None;
        }
        if !p.exact {
            return self.best_pair_insertion_sim(p, pu, de, bound, skip);
        }
        let m = self.jobs.len();
        let fixed = if m == 0 { vt.fixed_cost } else { 0 };
        let old_dur = self.duration();
        let old_dist = self.distance();
        let (u, w) = (jp.location, jd.location);
        let useg = DurationSegment::visit(jp.service, jp.time_window);
        let wseg = DurationSegment::visit(jd.service, jd.time_window);
        let uload = LoadSegment::visit(jp.depot_load, jp.load_change);
        let wload = LoadSegment::visit(jd.depot_load, jd.load_change);
        let mut best = None;
        let (from_w, to_w) = (p.distances_from(w), p.distances_to(w));
        let (dfrom_w, dto_w) = (p.durations_from(w), p.durations_to(w));
        for i in 0..=m {
            if skip() {
                continue;
            }
            let a = self.locs[i];
            // Prefix up to and including the pickup.
            let mut pre = self.fwd[i].then(p.duration(a, u), &useg);
            if pre.time_warp > 0 {
                continue;
            }
            let mut pre_load = self.lfwd[i].then(&uload);
            let mut pre_dist = self.dist[i] + p.distance(a, u);
            let mut last = u;
            for k in i..=m {
                // Delivery goes right after `last` (pickup or position k), before position k + 1.
                let b = self.locs[k + 1];
                let into_w = match to_w {
                    Some(row) => row[last],
                    None => p.distance(last, w),
                };
                let new_dist = pre_dist + into_w + from_w[b] + (old_dist - self.dist[k + 1]);
                let ddist = new_dist - old_dist;
                let dist_cost = fixed + vt.cost_per_distance * ddist;
                if !(vt.cost_per_time == 0 && dist_cost >= bound) && new_dist <= vt.max_distance {
                    let t_in = match dto_w {
                        Some(row) => row[last],
                        None => p.duration(last, w),
                    };
                    let s = pre.then(t_in, &wseg).then(dfrom_w[b], &self.bwd[k + 1]);
                    if s.time_warp == 0
                        && s.duration <= vt.max_duration
                        && pre_load
                            .then(&wload)
                            .then(&self.lbwd[k + 1])
                            .fits(&vt.capacity, p.dims)
                    {
                        let delta = dist_cost + vt.cost_per_time * (s.duration - old_dur);
                        if delta < bound {
                            bound = delta;
                            best = Some(Insertion {
                                delta,
                                after: i,
                                second_after: k,
                            });
                        }
                    }
                }
                if k == m {
                    break;
                }
                // Extend the prefix with position k + 1.
                let nj = &p.jobs[self.jobs[k]];
                let (t, d) = if k == i {
                    (p.duration(last, b), p.distance(last, b))
                } else {
                    (self.travel[k], self.dist[k + 1] - self.dist[k])
                };
                pre = pre.then(t, &DurationSegment::visit(nj.service, nj.time_window));
                if pre.time_warp > 0 {
                    break;
                }
                pre_load = pre_load.then(&LoadSegment::visit(nj.depot_load, nj.load_change));
                pre_dist += d;
                last = b;
            }
        }
        best
    }

    /// [`Self::best_insertion`] by exact simulation of every candidate route
    /// (O(len) per position): for problems whose segments are not exact.
    fn best_insertion_sim(
        &self,
        p: &Problem,
        j: usize,
        mut bound: i64,
        mut skip: impl FnMut() -> bool,
    ) -> Option<Insertion> {
        let vt = &p.vehicle_types[self.vt];
        let m = self.jobs.len();
        let mut best = None;
        with_scratch(|sc| {
            for i in 0..=m {
                if skip() {
                    continue;
                }
                let seq = self.jobs[..i]
                    .iter()
                    .copied()
                    .chain(std::iter::once(j))
                    .chain(self.jobs[i..].iter().copied());
                if let Ok(o) = simulate(p, vt, seq, sc, None) {
                    let delta = o.cost - self.cost;
                    if delta < bound {
                        bound = delta;
                        best = Some(Insertion {
                            delta,
                            after: i,
                            second_after: i,
                        });
                    }
                }
            }
        });
        best
    }

    /// [`Self::best_pair_insertion`] by exact simulation (O(len) per pair of
    /// positions): for problems whose segments are not exact.
    fn best_pair_insertion_sim(
        &self,
        p: &Problem,
        pu: usize,
        de: usize,
        mut bound: i64,
        mut skip: impl FnMut() -> bool,
    ) -> Option<Insertion> {
        let vt = &p.vehicle_types[self.vt];
        let m = self.jobs.len();
        let mut best = None;
        with_scratch(|sc| {
            for i in 0..=m {
                if skip() {
                    continue;
                }
                for k in i..=m {
                    let seq = self.jobs[..i]
                        .iter()
                        .copied()
                        .chain(std::iter::once(pu))
                        .chain(self.jobs[i..k].iter().copied())
                        .chain(std::iter::once(de))
                        .chain(self.jobs[k..].iter().copied());
                    if let Ok(o) = simulate(p, vt, seq, sc, None) {
                        let delta = o.cost - self.cost;
                        if delta < bound {
                            bound = delta;
                            best = Some(Insertion {
                                delta,
                                after: i,
                                second_after: k,
                            });
                        }
                    }
                }
            }
        });
        best
    }

    /// Applies an insertion found by [`Self::best_insertion`] or
    /// [`Self::best_pair_insertion`] (`second` is the delivery of a pair).
    ///
    /// A single job is spliced into the caches: two travel entries are read
    /// from the matrices, and the segments after (forward) and before
    /// (backward) the new stop are refreshed without matrix reads.
    pub fn insert(&mut self, p: &Problem, ins: Insertion, first: usize, second: Option<usize>) {
        match second {
            None => {
                let i = ins.after;
                let u = p.jobs[first].location;
                let (a, b) = (self.locs[i], self.locs[i + 1]);
                self.jobs.insert(i, first);
                self.locs.insert(i + 1, u);
                self.travel[i] = p.duration(a, u);
                self.travel.insert(i + 1, p.duration(u, b));
                let (da, db) = (p.distance(a, u), p.distance(u, b));
                let shift = da + db - (self.dist[i + 1] - self.dist[i]);
                self.dist.insert(i + 1, self.dist[i] + da);
                for d in &mut self.dist[i + 2..] {
                    *d += shift;
                }
                let (d, l) = (self.fwd[i], self.lfwd[i]);
                self.fwd.insert(i + 1, d);
                self.lfwd.insert(i + 1, l);
                let (d, l) = (self.bwd[i + 1], self.lbwd[i + 1]);
                self.bwd.insert(i + 1, d);
                self.lbwd.insert(i + 1, l);
                self.refresh(p, i + 1, i + 1);
            }
            Some(d) => {
                self.jobs.insert(ins.second_after, d);
                self.jobs.insert(ins.after, first);
                self.rebuild(p);
            }
        }
    }
}

/// Cost of a non-empty route.
#[inline]
pub(crate) fn route_cost(vt: &VehicleType, distance: i64, duration: i64) -> i64 {
    vt.fixed_cost + vt.cost_per_distance * distance + vt.cost_per_time * duration
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::needless_range_loop)]
mod tests {
    //! Insertion evaluation (segment merging) against a brute-force
    //! recomputation that simulates the whole new route.
    use super::*;
    use crate::problem::{JobKind, JobSpec, Objective, PairSpec, ProblemSpec, VehicleTypeSpec};
    use crate::rng::Rng;
    use crate::Matrix;

    /// Random problem: 12 jobs around a depot, windows, two load dimensions,
    /// some pickups and two pickup-delivery pairs, a time cost.
    fn random_problem(rng: &mut Rng) -> Problem {
        random_problem_with(rng, false)
    }

    /// [`random_problem`], with a one-way detour added to about a third of
    /// the matrix entries when `asymmetric`.
    fn random_problem_with(rng: &mut Rng, asymmetric: bool) -> Problem {
        let n = 13;
        let mut m = Matrix::random_euclidean(rng, n, 100);
        if asymmetric {
            m = m.with_one_way_detours(rng);
        }
        let jobs = (1..n)
            .map(|l| {
                let s = rng.below(300) as i64;
                JobSpec {
                    location: l,
                    demand: vec![rng.between(1, 5) as i64, rng.between(0, 3) as i64],
                    kind: if rng.chance(0.2) {
                        JobKind::Pickup
                    } else {
                        JobKind::Delivery
                    },
                    service: rng.below(10) as i64,
                    time_windows: vec![(s, s + rng.between(20, 400) as i64)],
                    skills: vec![],
                    skip_penalty: None,
                    lateness: None,
                }
            })
            .collect();
        let mut v = VehicleTypeSpec::simple(3, 14, 0);
        v.capacity = vec![14, 8];
        v.shift = (0, 900);
        v.cost_per_time = rng.below(3) as i64;
        v.max_duration = Some(rng.between(300, 900) as i64);
        v.max_distance = Some(rng.between(200, 600) as i64);
        let pairs = vec![
            PairSpec {
                pickup: 0,
                delivery: 1,
            },
            PairSpec {
                pickup: 2,
                delivery: 3,
            },
        ];
        Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs,
            pairs,
            vehicle_types: vec![v],
            objective: Objective::Weighted,
        })
        .unwrap()
    }

    /// True when every paired job's partner is on the route, pickup first.
    fn pairs_in_order(p: &Problem, jobs: &[usize]) -> bool {
        jobs.iter()
            .enumerate()
            .all(|(k, &j)| match p.jobs[j].partner {
                Some(q) => jobs
                    .iter()
                    .position(|&x| x == q)
                    .is_some_and(|kq| p.jobs[j].is_pair_pickup == (k < kq)),
                None => true,
            })
    }

    /// Cost of a route by direct simulation, or `None` if infeasible.
    /// Duration is minimised by trying every departure that makes some
    /// service start exactly at its window opening.
    fn brute_cost(p: &Problem, jobs: &[usize]) -> Option<i64> {
        let vt = &p.vehicle_types[0];
        if jobs.is_empty() {
            return Some(0);
        }
        if !pairs_in_order(p, jobs) {
            return None;
        }
        let mut load: Vec<i64> = (0..p.dims)
            .map(|d| jobs.iter().map(|&j| p.jobs[j].depot_load[d]).sum())
            .collect();
        for d in 0..p.dims {
            if load[d] > vt.capacity[d] {
                return None;
            }
        }
        for &j in jobs {
            for d in 0..p.dims {
                load[d] += p.jobs[j].load_change[d];
                if load[d] > vt.capacity[d] {
                    return None;
                }
            }
        }
        let mut locs = vec![vt.start];
        locs.extend(jobs.iter().map(|&j| p.jobs[j].location));
        locs.push(vt.end_loc);
        let dist: i64 = locs.windows(2).map(|w| p.distance(w[0], w[1])).sum();
        if dist > vt.max_distance {
            return None;
        }
        let simulate = |dep: i64| -> Option<i64> {
            let mut t = dep;
            for (k, &j) in jobs.iter().enumerate() {
                let job = &p.jobs[j];
                t = (t + p.duration(locs[k], job.location)).max(job.time_window.start);
                if t > job.time_window.end {
                    return None;
                }
                t += job.service;
            }
            t += p.duration(*locs.get(jobs.len()).unwrap(), vt.end_loc);
            (t <= vt.shift.end).then_some(t - dep)
        };
        let mut cands = vec![vt.shift.start];
        let mut off = 0;
        for (k, &j) in jobs.iter().enumerate() {
            off += p.duration(locs[k], p.jobs[j].location);
            cands.push((p.jobs[j].time_window.start - off).max(vt.shift.start));
            cands.push((p.jobs[j].time_window.end - off).max(vt.shift.start));
            off += p.jobs[j].service;
        }
        off += p.duration(*locs.get(jobs.len()).unwrap(), vt.end_loc);
        cands.push((vt.shift.end - off).max(vt.shift.start));
        let dur = cands.into_iter().filter_map(simulate).min()?;
        if dur > vt.max_duration {
            return None;
        }
        Some(vt.fixed_cost + vt.cost_per_distance * dist + vt.cost_per_time * dur)
    }

    /// For random routes and jobs, the best single and pair insertion found
    /// by segment merging has exactly the delta of the brute-force best.
    #[test]
    fn insertion_delta_equals_recomputation() {
        let mut rng = Rng::new(42);
        let mut checked = 0;
        for _ in 0..300 {
            let p = random_problem(&mut rng);
            // A random feasible route, built by brute-force-checked appends.
            let mut order: Vec<usize> = (4..p.jobs.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            let mut jobs: Vec<usize> = Vec::new();
            for &j in &order[..4] {
                let mut cand = jobs.clone();
                cand.insert(rng.below(cand.len() + 1), j);
                if brute_cost(&p, &cand).is_some() {
                    jobs = cand;
                }
            }
            let mut route = Route::new(&p, 0);
            route.jobs = jobs.clone();
            route.rebuild(&p);
            let base = brute_cost(&p, &jobs).unwrap();
            assert_eq!(route.cost, base);
            // Single job insertion.
            let u = order[4];
            let mut best = None::<i64>;
            for pos in 0..=jobs.len() {
                let mut c = jobs.clone();
                c.insert(pos, u);
                if let Some(cost) = brute_cost(&p, &c) {
                    best = Some(best.map_or(cost - base, |b: i64| b.min(cost - base)));
                }
            }
            let got = route
                .best_insertion(&p, u, i64::MAX, || false)
                .map(|i| i.delta);
            assert_eq!(got, best, "single insertion of {u} into {jobs:?}");
            // Pair insertion (pair 0 -> 1).
            let mut best = None::<i64>;
            for a in 0..=jobs.len() {
                for b in a..=jobs.len() {
                    let mut c = jobs.clone();
                    c.insert(b, 1);
                    c.insert(a, 0);
                    if let Some(cost) = brute_cost(&p, &c) {
                        best = Some(best.map_or(cost - base, |x: i64| x.min(cost - base)));
                    }
                }
            }
            let got = route.best_pair_insertion(&p, 0, 1, i64::MAX, || false);
            assert_eq!(got.map(|i| i.delta), best, "pair insertion into {jobs:?}");
            if let Some(ins) = got {
                let mut r2 = route.clone();
                r2.insert(&p, ins, 0, Some(1));
                assert_eq!(brute_cost(&p, &r2.jobs), Some(base + ins.delta));
                checked += 1;
            }
        }
        assert!(
            checked > 20,
            "too few feasible pair insertions were exercised: {checked}"
        );
    }

    /// Asserts that every cache of `r` equals that of a full rebuild.
    fn assert_caches_fresh(p: &Problem, r: &Route) {
        let mut fresh = Route::new(p, r.vt);
        fresh.jobs = r.jobs.clone();
        fresh.rebuild(p);
        assert_eq!(r.locs, fresh.locs, "locs of {:?}", r.jobs);
        assert_eq!(r.travel, fresh.travel, "travel of {:?}", r.jobs);
        assert_eq!(r.dist, fresh.dist, "dist of {:?}", r.jobs);
        assert_eq!(r.fwd, fresh.fwd, "fwd of {:?}", r.jobs);
        assert_eq!(r.bwd, fresh.bwd, "bwd of {:?}", r.jobs);
        assert_eq!(r.lfwd, fresh.lfwd, "lfwd of {:?}", r.jobs);
        assert_eq!(r.lbwd, fresh.lbwd, "lbwd of {:?}", r.jobs);
        assert_eq!(r.cost, fresh.cost, "cost of {:?}", r.jobs);
    }

    /// The incremental cache updates of an insertion (spliced) and of a
    /// removal of any set of positions (compacted) leave every cache equal
    /// to a full rebuild, on symmetric and asymmetric matrices; and on
    /// asymmetric matrices the best insertion still has the brute-force
    /// delta (it reads travel into the job from the transposed matrix).
    #[test]
    fn incremental_updates_equal_rebuild() {
        let mut rng = Rng::new(5);
        let (mut inserted, mut removed) = (0, 0);
        for case in 0..200 {
            let asym = case % 2 == 1;
            let p = random_problem_with(&mut rng, asym);
            assert_eq!(p.distances_t.is_some(), asym);
            let mut route = Route::new(&p, 0);
            let mut out: Vec<usize> = (4..p.jobs.len()).collect();
            for _ in 0..12 {
                if !route.is_empty() && rng.chance(0.3) {
                    let drop: Vec<bool> = (0..route.len()).map(|_| rng.chance(0.4)).collect();
                    for (k, &d) in drop.iter().enumerate() {
                        if d {
                            out.push(route.jobs[k]);
                        }
                    }
                    route.remove_marked(&p, &drop);
                    removed += 1;
                } else if !out.is_empty() {
                    let u = out.swap_remove(rng.below(out.len()));
                    let base = brute_cost(&p, &route.jobs);
                    let mut want = None::<i64>;
                    for pos in 0..=route.len() {
                        let mut c = route.jobs.clone();
                        c.insert(pos, u);
                        if let (Some(cost), Some(b)) = (brute_cost(&p, &c), base) {
                            want = Some(want.map_or(cost - b, |x: i64| x.min(cost - b)));
                        }
                    }
                    match route.best_insertion(&p, u, i64::MAX, || false) {
                        Some(ins) => {
                            assert_eq!(Some(ins.delta), want, "insert {u} into {:?}", route.jobs);
                            route.insert(&p, ins, u, None);
                            inserted += 1;
                        }
                        None => {
                            assert_eq!(want, None);
                            // Force a (possibly infeasible) insertion anyway.
                            let after = rng.below(route.len() + 1);
                            let ins = Insertion {
                                delta: 0,
                                after,
                                second_after: after,
                            };
                            route.insert(&p, ins, u, None);
                        }
                    }
                }
                assert_caches_fresh(&p, &route);
            }
        }
        assert!(
            inserted > 300 && removed > 200,
            "{inserted} inserted, {removed} removed"
        );
    }

    /// On exact problems (one window, no lateness, no reloads) the forward
    /// simulation used for the other problems gives the same feasibility,
    /// cost and duration as segment concatenation, on random job orders.
    #[test]
    fn simulation_equals_segments_on_exact_problems() {
        let mut rng = Rng::new(7);
        let mut feasible = 0;
        for _ in 0..400 {
            let p = random_problem(&mut rng);
            assert!(p.segments_exact());
            let mut order: Vec<usize> = (4..p.jobs.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            let jobs = &order[..rng.between(1, 5)];
            let vt = &p.vehicle_types[0];
            let sim = crate::schedule::with_scratch(|sc| {
                crate::schedule::simulate(&p, vt, jobs.iter().copied(), sc, None)
            });
            let brute = brute_cost(&p, jobs);
            assert_eq!(sim.ok().map(|o| o.cost), brute, "route {jobs:?}");
            if let Ok(o) = sim {
                let mut r = Route::new(&p, 0);
                r.jobs = jobs.to_vec();
                r.rebuild(&p);
                assert_eq!(
                    (o.cost, o.duration, o.distance),
                    (r.cost, r.duration(), r.distance())
                );
                feasible += 1;
            }
        }
        assert!(
            feasible > 50,
            "too few feasible routes exercised: {feasible}"
        );
    }

    /// Random problem with every inexact feature: two windows for most jobs,
    /// soft lateness for some, a reloading vehicle (capacity 9, reload at the
    /// depot or at location 1), one pickup-delivery pair (jobs 0 -> 1).
    fn random_feature_problem(rng: &mut Rng) -> Problem {
        let n = 11;
        let pts: Vec<(i64, i64)> = (0..n)
            .map(|_| (rng.below(60) as i64, rng.below(60) as i64))
            .collect();
        let m = Matrix::from_fn(n, |i, j| {
            let (a, b) = (pts[i], pts[j]);
            (a.0 - b.0).abs() + (a.1 - b.1).abs()
        });
        let jobs = (1..n)
            .map(|l| {
                let s = rng.below(250) as i64;
                let w1 = (s, s + rng.between(0, 40) as i64);
                let mut j = JobSpec::delivery(l, rng.between(1, 5) as i64, rng.below(8) as i64);
                j.kind = if rng.chance(0.15) {
                    JobKind::Pickup
                } else {
                    JobKind::Delivery
                };
                j.time_windows = if rng.chance(0.7) {
                    let g = w1.1 + rng.between(1, 80) as i64;
                    vec![w1, (g, g + rng.between(5, 100) as i64)]
                } else {
                    vec![w1]
                };
                if rng.chance(0.6) {
                    j = j.with_lateness(rng.between(0, 4) as i64, rng.between(1, 80) as i64);
                }
                j
            })
            .collect();
        let mut v = VehicleTypeSpec::simple(2, 9, 0);
        v.shift = (0, 600);
        v.cost_per_time = rng.between(0, 2) as i64;
        v.fixed_cost = 10;
        if rng.chance(0.5) {
            v.max_duration = Some(rng.between(150, 600) as i64);
        }
        if rng.chance(0.5) {
            v.max_distance = Some(rng.between(150, 500) as i64);
        }
        v.reload = Some(crate::problem::ReloadSpec {
            locations: if rng.chance(0.5) { vec![] } else { vec![0, 1] },
            duration: rng.below(20) as i64,
        });
        Problem::new(ProblemSpec {
            durations: m.clone(),
            distances: m,
            jobs,
            pairs: vec![PairSpec {
                pickup: 0,
                delivery: 1,
            }],
            vehicle_types: vec![v],
            objective: Objective::Weighted,
        })
        .unwrap()
    }

    /// Reference cost of a route on a feature problem, written plainly from
    /// the documented policy (crate::schedule): greedy trips, earliest
    /// times, then the latest departure found by trying every departure time.
    fn reference_cost(p: &Problem, jobs: &[usize]) -> Option<i64> {
        let vt = &p.vehicle_types[0];
        if jobs.is_empty() {
            return Some(0);
        }
        if !pairs_in_order(p, jobs) {
            return None;
        }
        // Trips: a trip fits when its start load and every later load fit.
        let fits = |trip: &[usize]| {
            (0..p.dims).all(|d| {
                let mut load: i64 = trip.iter().map(|&j| p.jobs[j].depot_load[d]).sum();
                let mut ok = load <= vt.capacity[d];
                for &j in trip {
                    load += p.jobs[j].load_change[d];
                    ok &= load <= vt.capacity[d];
                }
                ok
            })
        };
        let reload = vt.reload.as_ref().unwrap();
        // Visits: Some(job) or None for a reload at `locs`.
        let mut visits: Vec<(Option<usize>, usize)> = Vec::new();
        let mut trip: Vec<usize> = Vec::new();
        let mut prev = vt.start;
        for &j in jobs {
            let mut cand = trip.clone();
            cand.push(j);
            if !fits(&cand) {
                let open = trip.iter().any(|&x| {
                    p.jobs[x].is_pair_pickup && !trip.contains(&p.jobs[x].partner.unwrap())
                });
                if trip.is_empty() || open || !fits(&[j]) {
                    return None;
                }
                let loc = p.jobs[j].location;
                let r = *reload
                    .locations
                    .iter()
                    .min_by_key(|&&r| p.distance(prev, r) + p.distance(r, loc))
                    .unwrap();
                visits.push((None, r));
                cand = vec![j];
            }
            trip = cand;
            visits.push((Some(j), p.jobs[j].location));
            prev = p.jobs[j].location;
        }
        let mut locs: Vec<usize> = vec![vt.start];
        locs.extend(visits.iter().map(|v| v.1));
        locs.push(vt.end_loc);
        let dist: i64 = locs.windows(2).map(|w| p.distance(w[0], w[1])).sum();
        let service =
            |v: &(Option<usize>, usize)| v.0.map_or(reload.duration, |j| p.jobs[j].service);
        let late_of = |j: usize, t: i64| -> Option<i64> {
            let job = &p.jobs[j];
            let max = job.lateness.map_or(0, |l| l.max);
            job.windows
                .iter()
                .filter(|w| w.start <= t && t <= w.end + max)
                .map(|w| (t - w.end).max(0))
                .min()
        };
        // Earliest start >= t with lateness <= cap (scanning time units).
        let earliest = |j: usize, t: i64, cap: i64| -> Option<i64> {
            (t..=vt.shift.end).find(|&x| late_of(j, x).is_some_and(|l| l <= cap))
        };
        // Forward pass from `dep` with lateness caps; returns starts and end.
        let forward = |dep: i64, caps: &[i64]| -> Option<(Vec<i64>, i64)> {
            let mut t = dep;
            let mut starts = Vec::new();
            for (k, v) in visits.iter().enumerate() {
                let a = t + p.duration(locs[k], v.1);
                let s = match v.0 {
                    Some(j) => earliest(j, a, caps[k])?,
                    None => a,
                };
                starts.push(s);
                t = s + service(v);
            }
            let end = t + p.duration(*locs.get(visits.len()).unwrap(), vt.end_loc);
            (end <= vt.shift.end).then_some((starts, end))
        };
        let free = vec![i64::MAX / 4; visits.len()];
        let (e_starts, e_end) = forward(vt.shift.start, &free)?;
        let caps: Vec<i64> = visits
            .iter()
            .zip(&e_starts)
            .map(|(v, &s)| v.0.map_or(0, |j| late_of(j, s).unwrap()))
            .collect();
        let dep = (vt.shift.start..=e_end)
            .rev()
            .find(|&d| forward(d, &caps).is_some_and(|(_, end)| end <= e_end))?;
        let (starts, end) = forward(dep, &caps)?;
        let dur = end - dep;
        if dur > vt.max_duration || dist > vt.max_distance {
            return None;
        }
        let late_cost: i64 = visits
            .iter()
            .zip(&starts)
            .filter_map(|(v, &s)| {
                let j = v.0?;
                Some(late_of(j, s).unwrap() * p.jobs[j].lateness.map_or(0, |l| l.cost_per_unit))
            })
            .sum();
        Some(vt.fixed_cost + vt.cost_per_distance * dist + vt.cost_per_time * dur + late_cost)
    }

    /// On problems with several windows, soft lateness and reloads, the
    /// route cost and the best single and pair insertion deltas equal those
    /// of the plain reference simulation, and the reported schedule keeps
    /// every start in a window (plus the allowed lateness).
    #[test]
    fn exact_evaluation_with_features_equals_reference() {
        let mut rng = Rng::new(99);
        let (mut singles, mut pairs, mut reloads, mut late) = (0, 0, 0, 0);
        for _ in 0..300 {
            let p = random_feature_problem(&mut rng);
            assert!(!p.segments_exact());
            let mut order: Vec<usize> = (2..p.jobs.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            let mut jobs: Vec<usize> = Vec::new();
            for &j in &order[..6] {
                let mut cand = jobs.clone();
                cand.insert(rng.below(cand.len() + 1), j);
                if reference_cost(&p, &cand).is_some() {
                    jobs = cand;
                }
            }
            let mut route = Route::new(&p, 0);
            route.jobs = jobs.clone();
            route.rebuild(&p);
            let base = reference_cost(&p, &jobs).unwrap();
            assert_eq!(route.cost, base, "route {jobs:?}");
            let sol = crate::Solution::from_routes(&p, &[(0, jobs.clone())]).unwrap();
            if let Some(r) = sol.routes.first() {
                reloads += usize::from(!r.reloads.is_empty());
                late += usize::from(r.lateness > 0);
                for st in &r.stops {
                    let job = &p.jobs[st.job];
                    let max = job.lateness.map_or(0, |l| l.max);
                    assert!(st.start >= st.arrival);
                    assert!(job
                        .windows
                        .iter()
                        .any(|w| w.start <= st.start && st.start <= w.end + max));
                }
                assert_eq!(r.cost, base);
            }
            let u = order[6];
            let mut best = None::<i64>;
            for pos in 0..=jobs.len() {
                let mut c = jobs.clone();
                c.insert(pos, u);
                if let Some(cost) = reference_cost(&p, &c) {
                    best = Some(best.map_or(cost - base, |b: i64| b.min(cost - base)));
                }
            }
            let got = route.best_insertion(&p, u, i64::MAX, || false);
            assert_eq!(got.map(|i| i.delta), best, "insert {u} into {jobs:?}");
            if let Some(ins) = got {
                let mut r2 = route.clone();
                r2.insert(&p, ins, u, None);
                assert_eq!(reference_cost(&p, &r2.jobs), Some(base + ins.delta));
                singles += 1;
            }
            let mut best = None::<i64>;
            for a in 0..=jobs.len() {
                for b in a..=jobs.len() {
                    let mut c = jobs.clone();
                    c.insert(b, 1);
                    c.insert(a, 0);
                    if let Some(cost) = reference_cost(&p, &c) {
                        best = Some(best.map_or(cost - base, |x: i64| x.min(cost - base)));
                    }
                }
            }
            let got = route.best_pair_insertion(&p, 0, 1, i64::MAX, || false);
            assert_eq!(got.map(|i| i.delta), best, "pair into {jobs:?}");
            pairs += usize::from(got.is_some());
        }
        assert!(
            singles > 30 && pairs > 20 && reloads > 10 && late > 10,
            "too few cases: {singles} singles, {pairs} pairs, {reloads} reloading, {late} late"
        );
    }
}
