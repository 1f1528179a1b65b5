//! Moves between two routes for the local search (`search`), next to one
//! of a stop's nearest stops on another route:
//!
//! - **2-opt\*** (tails exchanged): route `r` keeps its stops up to node `a` and takes
//!   route `r2`'s stops after node `b`, and the other way round, so the stop ends up just
//!   before or just after its neighbour. Undoes the crossings that a breakdown's orphans
//!   or a burst of new orders leave between two routes.
//! - **swap** (1-1 exchange): the stop trades places with the stop just before or just
//!   after its neighbour.
//!
//! Each candidate is screened in O(1) with the cached prefix and suffix segments and loads
//! (the move cost over a tail in O(tail)); the screen is approximate where legs shift into
//! another time-of-day slot, and the local search (`search`) prices every change exactly
//! before keeping it.

use crate::cache::RouteCache;
use crate::objective::moved;
use crate::view::DayView;

/// A change of two routes: their new planned stops (after the fixed head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// Screened delta: travel plus move cost (negative: it pays).
    pub delta: i64,
    /// First route and its new planned stops.
    pub r: usize,
    pub planned: Vec<u32>,
    /// Second route and its new planned stops.
    pub r2: usize,
    pub planned2: Vec<u32>,
    /// Move cost delta of the change.
    pub move_delta: i64,
}

impl Change {
    /// A change whose screen found `travel` seconds and `move_delta` of move cost.
    fn new(travel: i64, move_delta: i64, one: (usize, Vec<u32>), two: (usize, Vec<u32>)) -> Self {
        Change {
            delta: travel + move_delta,
            r: one.0,
            planned: one.1,
            r2: two.0,
            planned2: two.1,
            move_delta,
        }
    }
}

/// 2-opt\* of route `r` after node `a` with route `r2` after node `b`: `r` becomes
/// `r[..=a] + r2[b+1..]`, `r2` becomes `r2[..=b] + r[a+1..]`. `None` if the screen finds
/// it late, over capacity, or not paying.
pub(crate) fn tails(
    d: &DayView<'_>,
    c1: &RouteCache,
    r: usize,
    a: usize,
    c2: &RouteCache,
    r2: usize,
    b: usize,
) -> Option<Change> {
    let (n1, n2) = (c1.locs.len(), c2.locs.len());
    if a + 1 < c1.fixed || b + 1 < c2.fixed || a + 1 >= n1 || b + 1 >= n2 {
        return None;
    }
    // Both tails empty (each goes straight home): nothing changes.
    if a + 2 == n1 && b + 2 == n2 {
        return None;
    }
    if c1.pre_load[a] + c2.load - c2.pre_load[b] > c1.capacity
        || c2.pre_load[b] + c1.load - c1.pre_load[a] > c2.capacity
    {
        return None;
    }
    let t1 = d.times.travel_at(c1.locs[a], c2.locs[b + 1], c1.dep[a]);
    let t2 = d.times.travel_at(c2.locs[b], c1.locs[a + 1], c2.dep[b]);
    let travel = t1 + t2 - c1.legs[a + 1] - c2.legs[b + 1];
    if travel >= 0 {
        return None;
    }
    if c1.fwd[a].then(t1, &c2.bwd[b + 1]).time_warp != 0
        || c2.fwd[b].then(t2, &c1.bwd[a + 1]).time_warp != 0
    {
        return None;
    }
    let tail1 = &c1.stops[a + 1..n1 - 1];
    let tail2 = &c2.stops[b + 1..n2 - 1];
    let move_delta = moved(d, tail1, r, r2) + moved(d, tail2, r2, r);
    if travel + move_delta >= 0 {
        return None;
    }
    let mut planned: Vec<u32> = c1.stops[c1.fixed..=a].to_vec();
    planned.extend_from_slice(tail2);
    let mut planned2: Vec<u32> = c2.stops[c2.fixed..=b].to_vec();
    planned2.extend_from_slice(tail1);
    Some(Change::new(
        travel,
        move_delta,
        (r, planned),
        (r2, planned2),
    ))
}

/// Swap of node `i` of route `r` with node `q` of route `r2`. `None` if the screen finds it
/// late, over capacity, or not paying.
pub(crate) fn swap(
    d: &DayView<'_>,
    c1: &RouteCache,
    r: usize,
    i: usize,
    c2: &RouteCache,
    r2: usize,
    q: usize,
) -> Option<Change> {
    let (n1, n2) = (c1.locs.len(), c2.locs.len());
    if i < c1.fixed || q < c2.fixed || i + 1 >= n1 || q + 1 >= n2 {
        return None;
    }
    let (s, w) = (c1.stops[i], c2.stops[q]);
    let (bs, bw) = (d.stops[s as usize].bottles, d.stops[w as usize].bottles);
    if c1.load - bs + bw > c1.capacity || c2.load - bw + bs > c2.capacity {
        return None;
    }
    // Route r with w in place of s.
    let wl = c2.locs[q];
    let a1 = d.times.travel_at(c1.locs[i - 1], wl, c1.dep[i - 1]);
    let w_end = (c1.dep[i - 1] + a1).max(c2.segs[q].earliest) + c2.segs[q].duration;
    let b1 = d.times.travel_at(wl, c1.locs[i + 1], w_end);
    // Route r2 with s in place of w.
    let sl = c1.locs[i];
    let a2 = d.times.travel_at(c2.locs[q - 1], sl, c2.dep[q - 1]);
    let s_end = (c2.dep[q - 1] + a2).max(c1.segs[i].earliest) + c1.segs[i].duration;
    let b2 = d.times.travel_at(sl, c2.locs[q + 1], s_end);
    let travel = a1 + b1 + a2 + b2 - c1.legs[i] - c1.legs[i + 1] - c2.legs[q] - c2.legs[q + 1];
    let move_delta = moved(d, &[s], r, r2) + moved(d, &[w], r2, r);
    if travel + move_delta >= 0 {
        return None;
    }
    let seg1 = c1.fwd[i - 1].then(a1, &c2.segs[q]).then(b1, &c1.bwd[i + 1]);
    let seg2 = c2.fwd[q - 1].then(a2, &c1.segs[i]).then(b2, &c2.bwd[q + 1]);
    if seg1.time_warp != 0 || seg2.time_warp != 0 {
        return None;
    }
    let mut planned = c1.planned().to_vec();
    planned[i - c1.fixed] = w;
    let mut planned2 = c2.planned().to_vec();
    planned2[q - c2.fixed] = s;
    Some(Change::new(
        travel,
        move_delta,
        (r, planned),
        (r2, planned2),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::dispatch::Dispatch;
    use crate::fixtures::{couriers, morning_stops};
    use crate::model::{TravelTimes, Weights};
    use crate::route::CourierRoute;

    /// Depot at 0 and households on a line at +1, +2, -1, -2 minutes (stops 0-3). Courier 0
    /// rides +1 then -2, courier 1 -1 then +2: both cross the depot (6 minutes each).
    fn crossed() -> (Dispatch, Vec<RouteCache>) {
        let pos = [0i64, 1, 2, -1, -2];
        let times = TravelTimes::from_fn(pos.len(), |i, j| ((pos[i] - pos[j]).abs() * 60, 0));
        let stops = morning_stops(pos.len() as u32);
        let mut d = Dispatch::new(times, 0, stops, couriers(2, 5), Weights::default()).unwrap();
        for (k, planned) in [vec![0u32, 3], vec![2u32, 1]].into_iter().enumerate() {
            for &s in &planned {
                d.courier_of[s as usize] = Some(k);
            }
            d.routes[k] = CourierRoute::at_depot(0, &d.couriers[k], planned);
        }
        let caches = (0..2)
            .map(|k| RouteCache::build(&d.routes[k], &d.couriers[k], &d.stops, &d.times, 0))
            .collect();
        (d, caches)
    }

    /// 2-opt* after +1 (node 1 of route 0) and after -1 (node 1 of route 1): each courier
    /// keeps its side (4 minutes each). Travel 720 -> 480 s; two stops change courier
    /// (2 x 60 s): screened delta -120.
    #[test]
    fn tails_uncross_two_routes() {
        let (d, c) = crossed();
        assert_eq!(c[0].travel + c[1].travel, 720);
        let ch = tails(&d.view(), &c[0], 0, 1, &c[1], 1, 1).unwrap();
        assert_eq!(ch.planned, vec![0, 1]);
        assert_eq!(ch.planned2, vec![2, 3]);
        assert_eq!(ch.move_delta, 120);
        assert_eq!(ch.delta, -120);
        // Nothing to gain the other way round, nor with both tails empty.
        assert!(tails(&d.view(), &c[0], 0, 0, &c[1], 1, 0).is_none());
        assert!(tails(&d.view(), &c[0], 0, 2, &c[1], 1, 2).is_none());
    }

    /// Swap of -2 (route 0, node 2) with +2 (route 1, node 2): the same result as the 2-opt*.
    #[test]
    fn swap_exchanges_two_stops() {
        let (d, c) = crossed();
        let ch = swap(&d.view(), &c[0], 0, 2, &c[1], 1, 2).unwrap();
        assert_eq!(ch.planned, vec![0, 1]);
        assert_eq!(ch.planned2, vec![2, 3]);
        assert_eq!(ch.delta, -120);
        // Swapping +1 and -1 uncrosses them too (each courier takes the other side).
        let ch = swap(&d.view(), &c[0], 0, 1, &c[1], 1, 1).unwrap();
        assert_eq!((ch.planned, ch.planned2), (vec![2, 3], vec![0, 1]));
        // Swapping +1 and +2: route 0 rides 8 minutes, route 1 4: no gain.
        assert!(swap(&d.view(), &c[0], 0, 1, &c[1], 1, 2).is_none());
    }

    /// Capacity: with 1 bottle of room per courier beyond its own, no tail of two stops fits.
    #[test]
    fn tails_respect_capacity() {
        let (mut d, _) = crossed();
        for c in &mut d.couriers {
            c.capacity = 2;
        }
        d.stops[1].bottles = 2; // +2 on route 1: route 0 would carry 1 + 2 = 3
        let c: Vec<RouteCache> = (0..2)
            .map(|k| RouteCache::build(&d.routes[k], &d.couriers[k], &d.stops, &d.times, 0))
            .collect();
        assert!(tails(&d.view(), &c[0], 0, 1, &c[1], 1, 1).is_none());
        assert!(swap(&d.view(), &c[0], 0, 2, &c[1], 1, 2).is_none());
    }

    /// The local search applies the exchange: both routes uncrossed, 480 s of riding.
    #[test]
    fn search_uncrosses() {
        let (d, mut c) = crossed();
        let mut caches: Vec<Option<RouteCache>> = c.drain(..).map(Some).collect();
        crate::search::improve(
            &d.view(),
            &mut caches,
            vec![0, 1, 2, 3],
            &crate::limit::Deadline::new(
                std::time::Instant::now() + std::time::Duration::from_secs(10),
                None,
            ),
            None,
        );
        let total: i64 = caches.iter().flatten().map(|c| c.travel).sum();
        assert_eq!(total, 480);
    }
}
