//! Route segments that concatenate in O(1) (Vidal et al. 2013; PyVRP's
//! `DurationSegment` / `LoadSegment`). A route caches the segment of every
//! prefix and every suffix, so a move is evaluated by merging a few segments.

use crate::units::{Load, TimeWindow, MAX_DIMS};

/// Timing summary of a sequence of visits: the minimal duration, the
/// unavoidable time warp (lateness), and the earliest and latest start at the
/// first visit that achieve them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSegment {
    /// Minimal duration from the start of the first visit to the end of the last.
    pub duration: i64,
    /// Total time warp (sum of amounts by which windows are missed).
    pub time_warp: i64,
    /// Earliest start at the first visit without avoidable waiting.
    pub earliest: i64,
    /// Latest start at the first visit without extra time warp.
    pub latest: i64,
}

impl DurationSegment {
    /// The segment of one visit with service duration `service` and window `tw`.
    #[inline]
    pub fn visit(service: i64, tw: TimeWindow) -> Self {
        Self {
            duration: service,
            time_warp: 0,
            earliest: tw.start,
            latest: tw.end,
        }
    }

    /// `self` followed by `other`, with `travel` between the last visit of
    /// `self` and the first of `other`.
    #[inline]
    pub fn then(&self, travel: i64, other: &Self) -> Self {
        let delta = self.duration - self.time_warp + travel;
        let wait = (other.earliest - delta - self.latest).max(0);
        let warp = (self.earliest + delta - other.latest).max(0);
        Self {
            duration: self.duration + other.duration + travel + wait,
            time_warp: self.time_warp + other.time_warp + warp,
            earliest: (other.earliest - delta).max(self.earliest) - wait,
            latest: (other.latest - delta).min(self.latest) + warp,
        }
    }
}

/// Load summary of a sequence of visits: what must be on board at its start
/// for its deliveries, the net change of load, and the peak rise of load
/// above the starting load (never below zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadSegment {
    /// Sum of loads taken from the depot for this segment's deliveries.
    pub depot: Load,
    /// Net change of the load over the segment.
    pub net: Load,
    /// Largest rise of the load above the starting load, over all prefixes.
    pub peak: Load,
}

impl LoadSegment {
    /// The segment of one visit.
    #[inline]
    pub fn visit(depot: Load, change: Load) -> Self {
        let mut peak = [0; MAX_DIMS];
        for d in 0..MAX_DIMS {
            peak[d] = change[d].max(0);
        }
        Self {
            depot,
            net: change,
            peak,
        }
    }

    /// `self` followed by `other`.
    #[inline]
    pub fn then(&self, other: &Self) -> Self {
        let mut out = Self::default();
        for d in 0..MAX_DIMS {
            out.depot[d] = self.depot[d] + other.depot[d];
            out.net[d] = self.net[d] + other.net[d];
            out.peak[d] = self.peak[d].max(self.net[d] + other.peak[d]);
        }
        out
    }

    /// Largest load carried when this segment is a whole route.
    #[inline]
    pub fn max_load(&self, d: usize) -> i64 {
        self.depot[d] + self.peak[d]
    }

    /// True when the segment, as a whole route, never exceeds `capacity`.
    #[inline]
    pub fn fits(&self, capacity: &Load, dims: usize) -> bool {
        (0..dims).all(|d| self.depot[d] + self.peak[d] <= capacity[d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A visit reached too late accumulates exactly the lateness as time warp.
    #[test]
    fn late_visit_warps() {
        let depot = DurationSegment::visit(0, TimeWindow { start: 0, end: 100 });
        let a = DurationSegment::visit(5, TimeWindow { start: 0, end: 10 });
        let s = depot.then(30, &a);
        assert_eq!(s.time_warp, 20);
        assert_eq!(s.duration, 35);
    }

    /// Waiting for a window is counted in the duration only when it cannot be
    /// avoided by leaving later.
    #[test]
    fn waiting_is_avoided_by_late_departure() {
        let depot = DurationSegment::visit(0, TimeWindow { start: 0, end: 100 });
        let a = DurationSegment::visit(5, TimeWindow { start: 50, end: 60 });
        let s = depot.then(10, &a);
        assert_eq!((s.duration, s.time_warp, s.earliest), (15, 0, 40));
        let early = DurationSegment::visit(0, TimeWindow { start: 0, end: 0 });
        let s2 = early.then(10, &a);
        assert_eq!((s2.duration, s2.time_warp), (55, 0));
    }

    /// Peak load of pickup then delivery is the pickup amount.
    #[test]
    fn pickup_delivery_peak() {
        let mut q = [0; MAX_DIMS];
        q[0] = 7;
        let p = LoadSegment::visit([0; MAX_DIMS], q);
        let d = LoadSegment::visit([0; MAX_DIMS], q.map(|x| -x));
        assert_eq!(p.then(&d).max_load(0), 7);
        assert_eq!(d.then(&p).max_load(0), 0);
        assert_eq!(p.then(&p).max_load(0), 14);
    }
}
