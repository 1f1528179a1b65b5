//! The re-planning objective, priced in one place for every operator: travel (from the
//! route caches), the move cost of a stop planned on another courier than before, the
//! promise-shift cost of a route, and which unserved stops might still fit.

use crate::cache::RouteCache;
use crate::model::UnservedReason;
use crate::route::schedule_seq;
use crate::view::DayView;

/// Promise-shift cost of route `k` with pending sequence `seq` (committed first): per stop,
/// the shift beyond the tolerance, capped, times the weight.
pub(crate) fn promise_cost(d: &DayView<'_>, k: usize, seq: &[u32]) -> i64 {
    let (visits, _) = schedule_seq(&d.routes[k], seq.iter().copied(), d.stops, d.times, d.depot);
    let w = d.weights;
    visits
        .iter()
        .filter_map(|v| {
            d.promise[v.stop as usize].map(|p| {
                ((v.arrival_s - p).abs() - w.promise_tolerance_s)
                    .min(w.promise_cap_s)
                    .max(0)
                    * w.promise_per_s
            })
        })
        .sum()
}

/// The pending stops of a cached route (committed first).
pub(crate) fn pending_seq(c: &RouteCache) -> Vec<u32> {
    c.stops[1..c.stops.len() - 1].to_vec()
}

/// Cost of having stop `s` on route `r`: the move cost if it was on another courier.
pub(crate) fn move_cost(d: &DayView<'_>, s: u32, r: usize) -> i64 {
    match d.courier_of.get(s as usize).copied().flatten() {
        Some(k) if k != r => d.weights.move_cost,
        _ => 0,
    }
}

/// Move cost delta of the stops `seq` going from route `from` to route `to`.
pub(crate) fn moved(d: &DayView<'_>, seq: &[u32], from: usize, to: usize) -> i64 {
    seq.iter()
        .map(|&x| move_cost(d, x, to) - move_cost(d, x, from))
        .sum()
}

/// The part of the objective a route carries: its travel, the promise shifts of its stops,
/// and the move cost of its stops planned on another courier than before.
pub(crate) fn route_cost(d: &DayView<'_>, k: usize, c: &RouteCache) -> i64 {
    let seq = pending_seq(c);
    let moved: i64 = c.planned().iter().map(|&s| move_cost(d, s, k)).sum();
    c.travel + promise_cost(d, k, &seq) + moved
}

/// True when a stop left unserved for `why` might fit after some change of the routes.
pub(crate) fn may_fit(why: UnservedReason) -> bool {
    matches!(
        why,
        UnservedReason::NoFeasiblePosition
            | UnservedReason::NoCapacity
            | UnservedReason::NotWorthServing
    )
}
