//! Cached duration segments of a route (prefixes and suffixes), so inserting or removing a
//! stop is checked in O(1) with [`milkrun_vrp::segment::DurationSegment`].

use milkrun_vrp::segment::DurationSegment;
use milkrun_vrp::TimeWindow;

use crate::model::{CourierSpec, StopSpec, TravelTimes};
use crate::route::{latest_departure, CourierRoute};

/// Positions priced by [`RouteCache::best_insert`] on a long route (smallest estimated
/// detour first).
pub(crate) const GRANULAR: usize = 16;

/// Marks the anchor and the depot in [`RouteCache::stops`].
pub(crate) const NO_STOP: u32 = u32::MAX;

/// The segment of one stop's visit.
#[inline]
pub(crate) fn visit(s: &StopSpec) -> DurationSegment {
    DurationSegment::visit(
        s.service_s,
        TimeWindow {
            start: s.window_s.0,
            end: s.window_s.1,
        },
    )
}

/// A route as nodes `[anchor, committed?, planned..., depot]` with prefix and suffix segments.
///
/// Time of day: every leg's travel time is taken at its departure in the forward schedule
/// (`legs`, `dep`), and the segments are built from those legs. Moves are screened with
/// them (a leg whose departure shifts into another slot is priced approximately) and
/// checked exactly afterwards: `late` is recomputed by the forward schedule itself.
#[derive(Debug, Clone)]
pub(crate) struct RouteCache {
    pub locs: Vec<u32>,
    pub stops: Vec<u32>,
    pub segs: Vec<DurationSegment>,
    pub fwd: Vec<DurationSegment>,
    pub bwd: Vec<DurationSegment>,
    /// `legs[k]`: travel time from node `k - 1` to node `k` (`legs[0] = 0`).
    pub legs: Vec<i64>,
    /// Departure from every node in the forward schedule.
    pub dep: Vec<i64>,
    /// Lateness of the forward schedule: windows missed after the committed stop, and the
    /// return after the end of the shift, seconds.
    pub late: i64,
    departed: bool,
    anchor_s: i64,
    shift_end_s: i64,
    /// Leading nodes that cannot move (anchor, and the committed stop if any).
    pub fixed: usize,
    pub load: i64,
    /// `pre_load[k]`: bottles on board for nodes `0..=k` (done, committed and planned).
    pub pre_load: Vec<i64>,
    pub capacity: i64,
    pub travel: i64,
    depot: u32,
    base_load: i64,
}

impl RouteCache {
    pub fn build(
        route: &CourierRoute,
        courier: &CourierSpec,
        stops: &[StopSpec],
        times: &TravelTimes,
        depot: u32,
    ) -> RouteCache {
        let anchor_tw = if route.departed {
            TimeWindow {
                start: route.anchor_s,
                end: route.anchor_s,
            }
        } else {
            TimeWindow {
                start: route.anchor_s,
                end: courier.shift_end_s.max(route.anchor_s),
            }
        };
        let mut locs = vec![route.anchor_loc];
        let mut ids = vec![NO_STOP];
        let mut segs = vec![DurationSegment::visit(0, anchor_tw)];
        let mut base_load = route.load_done;
        if let Some(c) = route.committed {
            let spec = &stops[c as usize];
            locs.push(spec.loc);
            ids.push(c);
            // The courier is already on its way: lateness there is sunk, and must not
            // make the rest of the route look infeasible.
            segs.push(DurationSegment::visit(
                spec.service_s,
                TimeWindow {
                    start: spec.window_s.0,
                    end: spec.window_s.1.max(i64::MAX / 8),
                },
            ));
            base_load += spec.bottles;
        }
        locs.push(depot);
        ids.push(NO_STOP);
        segs.push(DurationSegment::visit(
            0,
            TimeWindow {
                start: 0,
                end: courier.shift_end_s,
            },
        ));
        let mut c = RouteCache {
            fixed: locs.len() - 1,
            locs,
            stops: ids,
            segs,
            fwd: Vec::new(),
            bwd: Vec::new(),
            legs: Vec::new(),
            dep: Vec::new(),
            late: 0,
            departed: route.departed,
            anchor_s: route.anchor_s,
            shift_end_s: courier.shift_end_s,
            load: base_load,
            pre_load: Vec::new(),
            capacity: courier.capacity,
            travel: 0,
            depot,
            base_load,
        };
        c.set_planned(&route.planned, stops, times);
        c
    }

    /// Replaces the planned (movable) stops and recomputes the segments.
    pub fn set_planned(&mut self, planned: &[u32], stops: &[StopSpec], times: &TravelTimes) {
        let end_seg = self.segs[self.segs.len() - 1];
        self.locs.truncate(self.fixed);
        self.stops.truncate(self.fixed);
        self.segs.truncate(self.fixed);
        self.load = self.base_load;
        self.pre_load.clear();
        self.pre_load.resize(self.fixed, self.base_load);
        for &s in planned {
            let spec = &stops[s as usize];
            self.locs.push(spec.loc);
            self.stops.push(s);
            self.segs.push(visit(spec));
            self.load += spec.bottles;
            self.pre_load.push(self.load);
        }
        self.pre_load.push(self.load);
        self.locs.push(self.depot);
        self.stops.push(NO_STOP);
        self.segs.push(end_seg);
        let n = self.locs.len();
        // The forward schedule (as `route::schedule` computes it): legs at their departure.
        self.legs.clear();
        self.dep.clear();
        self.legs.push(0);
        let mut t = if self.departed || n == 2 {
            self.anchor_s
        } else {
            self.anchor_s.max(latest_departure(
                times,
                self.locs[0],
                self.locs[1],
                self.segs[1].earliest,
            ))
        };
        self.dep.push(t);
        self.late = 0;
        for k in 1..n {
            let leg = times.travel_at(self.locs[k - 1], self.locs[k], t);
            self.legs.push(leg);
            let start = (t + leg).max(self.segs[k].earliest);
            let committed = k == 1 && self.fixed == 2;
            if k + 1 < n && !committed {
                self.late += (start - self.segs[k].latest).max(0);
            }
            t = start + self.segs[k].duration;
            self.dep.push(t);
        }
        if n > 2 || self.departed {
            self.late += (t - self.shift_end_s).max(0);
        }
        self.fwd.clear();
        self.fwd.push(self.segs[0]);
        self.travel = 0;
        for k in 1..n {
            let leg = self.legs[k];
            self.travel += leg;
            let next = self.fwd[k - 1].then(leg, &self.segs[k]);
            self.fwd.push(next);
        }
        self.bwd.clone_from(&self.segs);
        for k in (0..n - 1).rev() {
            self.bwd[k] = self.segs[k].then(self.legs[k + 1], &self.bwd[k + 1]);
        }
    }

    /// The movable stops in order.
    pub fn planned(&self) -> &[u32] {
        &self.stops[self.fixed..self.stops.len() - 1]
    }

    /// Time warp of the whole route (0: every window and the return are met): the
    /// segments' warp, or the forward schedule's lateness if that is larger (time of day).
    pub fn warp(&self) -> i64 {
        self.fwd.last().map_or(0, |s| s.time_warp).max(self.late)
    }

    /// Travel delta of inserting a stop (location `loc`, segment `seg`) between nodes `i` and
    /// `i + 1`, or `None` if that makes the route late.
    #[inline]
    pub fn insert_delta(
        &self,
        i: usize,
        loc: u32,
        seg: &DurationSegment,
        times: &TravelTimes,
    ) -> Option<i64> {
        let (a, b) = (self.locs[i], self.locs[i + 1]);
        let t1 = times.travel_at(a, loc, self.dep[i]);
        let t2 = times.travel_at(loc, b, (self.dep[i] + t1).max(seg.earliest) + seg.duration);
        let s = self.fwd[i].then(t1, seg).then(t2, &self.bwd[i + 1]);
        (s.time_warp == 0).then(|| t1 + t2 - self.legs[i + 1])
    }

    /// Best insertion of a stop: `(travel delta, node index after which to insert)`.
    ///
    /// Granular: on a long route only the [`GRANULAR`] positions with the smallest estimated
    /// detour are priced (the estimate reads the stop's own row of the base matrix, which
    /// stays in cache, and the cached legs; pricing a position reads two columns, a cache
    /// miss each on a large matrix). If none of them is feasible, every position is priced,
    /// so a stop is never reported as fitting nowhere when it fits somewhere.
    pub fn best_insert(&self, spec: &StopSpec, times: &TravelTimes) -> Option<(i64, usize)> {
        if self.load + spec.bottles > self.capacity {
            return None;
        }
        let seg = visit(spec);
        let lo = self.fixed - 1;
        // Departures only grow along the route: from `hi` on the stop's window is closed
        // before the courier could even leave for it.
        let hi = lo
            + self.dep[lo..self.locs.len() - 1]
                .iter()
                .take_while(|&&dep| dep <= spec.window_s.1)
                .count();
        let price = |i: usize, best: &mut Option<(i64, usize)>| {
            if let Some(d) = self.insert_delta(i, spec.loc, &seg, times) {
                if best.is_none_or(|b| d < b.0) {
                    *best = Some((d, i));
                }
            }
        };
        let mut best: Option<(i64, usize)> = None;
        if hi - lo > GRANULAR {
            let row = times.row(spec.loc);
            let mut est: Vec<(i64, usize)> = (lo..hi)
                .map(|i| {
                    let (a, b) = (self.locs[i] as usize, self.locs[i + 1] as usize);
                    (row[a] + row[b] - self.legs[i + 1], i)
                })
                .collect();
            est.select_nth_unstable(GRANULAR - 1);
            est.truncate(GRANULAR);
            est.sort_unstable_by_key(|e| e.1);
            for &(_, i) in &est {
                price(i, &mut best);
            }
            if best.is_some() {
                return best;
            }
        }
        for i in lo..hi {
            price(i, &mut best);
        }
        best
    }

    /// Earliest time the courier can leave its last fixed node.
    pub fn earliest_free(&self) -> i64 {
        let s = self.fwd[self.fixed - 1];
        s.earliest + s.duration - s.time_warp
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::CourierSpec;
    use rand::{Rng, SeedableRng};
    use rand_pcg::Pcg64;

    /// Granular insertion finds a position whenever the full scan does, and the delta it
    /// reports is the exact delta of that position, never better than the full scan's
    /// (a 40-stop route on a grid, 200 random stops with random windows to insert).
    #[test]
    fn granular_insert_never_misses_a_feasible_position() {
        let mut rng = Pcg64::seed_from_u64(7);
        let n = 80;
        let xy: Vec<(i64, i64)> = (0..n)
            .map(|_| (rng.random_range(0..8), rng.random_range(0..8)))
            .collect();
        let times = TravelTimes::from_fn(n, |i, j| {
            let d = (xy[i].0 - xy[j].0).abs() + (xy[i].1 - xy[j].1).abs();
            (d * 60, d * 250)
        });
        let stops: Vec<StopSpec> = (0..n as u32)
            .map(|l| {
                // The route's own stops: the whole morning; the others: random windows.
                let start = 18_000 + rng.random_range(0..6) * 1_800;
                let window_s = if (1..41).contains(&l) {
                    (18_000, 36_000)
                } else {
                    (start, start + rng.random_range(120..1_800))
                };
                StopSpec {
                    household: l,
                    loc: l,
                    bottles: 1,
                    service_s: 30,
                    window_s,
                }
            })
            .collect();
        let courier = CourierSpec {
            id: 1,
            capacity: 100,
            shift_start_s: 15_300,
            shift_end_s: 36_000,
        };
        let planned: Vec<u32> = (1..41).collect();
        let route = CourierRoute::at_depot(0, &courier, planned);
        // Tighten the route's windows around its schedule (4 minutes of slack each), so
        // that many positions are infeasible.
        let wide = RouteCache::build(&route, &courier, &stops, &times, 0);
        let mut stops = stops;
        for k in 1..wide.locs.len() - 1 {
            let start = wide.dep[k] - 30;
            stops[wide.stops[k] as usize].window_s = (start - 900, start + 240);
        }
        let c = RouteCache::build(&route, &courier, &stops, &times, 0);
        assert_eq!(c.warp(), 0);
        let mut found = 0;
        for _ in 0..200 {
            let s = rng.random_range(41..n);
            let spec = &stops[s];
            let seg = visit(spec);
            let full = (c.fixed - 1..c.locs.len() - 1)
                .filter_map(|i| c.insert_delta(i, spec.loc, &seg, &times).map(|d| (d, i)))
                .min_by_key(|x| x.0);
            let got = c.best_insert(spec, &times);
            assert_eq!(full.is_some(), got.is_some(), "stop {s}");
            if let Some((d, i)) = got {
                found += 1;
                assert_eq!(c.insert_delta(i, spec.loc, &seg, &times), Some(d));
                assert!(d >= full.unwrap().0);
            }
        }
        assert!(found > 20 && found < 200, "{found}");
    }
}
