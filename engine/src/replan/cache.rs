//! Cached duration segments of a route (prefixes and suffixes), so inserting or removing a
//! stop is checked in O(1) with [`milkrun_vrp::segment::DurationSegment`].

use milkrun_vrp::segment::DurationSegment;
use milkrun_vrp::TimeWindow;

use crate::replan::model::{CourierSpec, StopSpec, TravelTimes};
use crate::replan::route::{latest_departure, CourierRoute};

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
    pub fn best_insert(&self, spec: &StopSpec, times: &TravelTimes) -> Option<(i64, usize)> {
        if self.load + spec.bottles > self.capacity {
            return None;
        }
        let seg = visit(spec);
        let mut best: Option<(i64, usize)> = None;
        for i in self.fixed - 1..self.locs.len() - 1 {
            // Departures only grow along the route: from here on the stop's window is
            // closed before the courier could even leave for it.
            if self.dep[i] > spec.window_s.1 {
                break;
            }
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
