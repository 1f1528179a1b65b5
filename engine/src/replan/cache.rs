//! Cached duration segments of a route (prefixes and suffixes), so inserting or removing a
//! stop is checked in O(1) with [`milkrun_vrp::segment::DurationSegment`].

use milkrun_vrp::segment::DurationSegment;
use milkrun_vrp::TimeWindow;

use crate::replan::model::{CourierSpec, StopSpec, TravelTimes};
use crate::replan::route::CourierRoute;

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
#[derive(Debug, Clone)]
pub(crate) struct RouteCache {
    pub locs: Vec<u32>,
    pub stops: Vec<u32>,
    pub segs: Vec<DurationSegment>,
    pub fwd: Vec<DurationSegment>,
    pub bwd: Vec<DurationSegment>,
    /// Leading nodes that cannot move (anchor, and the committed stop if any).
    pub fixed: usize,
    pub load: i64,
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
            segs.push(visit(spec));
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
            load: base_load,
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
        for &s in planned {
            let spec = &stops[s as usize];
            self.locs.push(spec.loc);
            self.stops.push(s);
            self.segs.push(visit(spec));
            self.load += spec.bottles;
        }
        self.locs.push(self.depot);
        self.stops.push(NO_STOP);
        self.segs.push(end_seg);
        let n = self.locs.len();
        self.fwd.clear();
        self.fwd.push(self.segs[0]);
        self.travel = 0;
        for k in 1..n {
            let t = times.travel(self.locs[k - 1], self.locs[k]);
            self.travel += t;
            let next = self.fwd[k - 1].then(t, &self.segs[k]);
            self.fwd.push(next);
        }
        self.bwd.clone_from(&self.segs);
        for k in (0..n - 1).rev() {
            self.bwd[k] = self.segs[k].then(
                times.travel(self.locs[k], self.locs[k + 1]),
                &self.bwd[k + 1],
            );
        }
    }

    /// The movable stops in order.
    pub fn planned(&self) -> &[u32] {
        &self.stops[self.fixed..self.stops.len() - 1]
    }

    /// Time warp of the whole route (0: every window and the return are met).
    pub fn warp(&self) -> i64 {
        self.fwd.last().map_or(0, |s| s.time_warp)
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
        let (t1, t2) = (times.travel(a, loc), times.travel(loc, b));
        let s = self.fwd[i].then(t1, seg).then(t2, &self.bwd[i + 1]);
        (s.time_warp == 0).then(|| t1 + t2 - times.travel(a, b))
    }

    /// Best insertion of a stop: `(travel delta, node index after which to insert)`.
    pub fn best_insert(&self, spec: &StopSpec, times: &TravelTimes) -> Option<(i64, usize)> {
        if self.load + spec.bottles > self.capacity {
            return None;
        }
        let seg = visit(spec);
        let mut best: Option<(i64, usize)> = None;
        for i in self.fixed - 1..self.locs.len() - 1 {
            if let Some(d) = self.insert_delta(i, spec.loc, &seg, times) {
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, i));
                }
            }
        }
        best
    }

    /// Earliest time the courier can leave its last fixed node.
    pub fn earliest_free(&self) -> i64 {
        let s = self.fwd[self.fixed - 1];
        s.earliest + s.duration - s.time_warp
    }
}
