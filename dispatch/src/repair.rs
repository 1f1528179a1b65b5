//! Repair: make late routes feasible again by taking stops out, then place every stop
//! waiting for a route by regret insertion (O(1) segment checks per position).

use crate::cache::RouteCache;
use crate::limit::Deadline;
use crate::model::UnservedReason;
use crate::objective::move_cost;
use crate::view::DayView;

/// Takes stops out of every late route (the one whose removal cuts the lateness most,
/// ties: the one saving most travel) until it is on time; they go to `pool`. A route late
/// with only its committed stop left stays late (nothing can be done about it).
pub(crate) fn restore_feasibility(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    pool: &mut Vec<u32>,
) {
    for c in caches.iter_mut().flatten() {
        while c.warp() > 0 && !c.planned().is_empty() {
            let mut best: Option<(i64, i64, usize)> = None;
            for i in c.fixed..c.locs.len() - 1 {
                let t = d
                    .times
                    .travel_at(c.locs[i - 1], c.locs[i + 1], c.dep[i - 1]);
                let s = c.fwd[i - 1].then(t, &c.bwd[i + 1]);
                let saved = t - c.legs[i] - c.legs[i + 1];
                if best.is_none_or(|b| (s.time_warp, saved) < (b.0, b.1)) {
                    best = Some((s.time_warp, saved, i));
                }
            }
            let Some((_, _, i)) = best else { break };
            pool.push(c.stops[i]);
            let mut planned = c.planned().to_vec();
            planned.remove(i - c.fixed);
            c.set_planned(&planned, d.stops, d.times);
        }
    }
}

/// Why `s` fits in no route.
pub(crate) fn reason(d: &DayView<'_>, caches: &[Option<RouteCache>], s: u32) -> UnservedReason {
    let spec = &d.stops[s as usize];
    let mut any = false;
    let mut earliest = i64::MAX;
    let mut reachable_with_room = false;
    for c in caches.iter().flatten() {
        any = true;
        let free = c.earliest_free();
        let arrive = free + d.times.travel_at(c.locs[c.fixed - 1], spec.loc, free);
        earliest = earliest.min(arrive);
        if arrive <= spec.window_s.1 && c.load + spec.bottles <= c.capacity {
            reachable_with_room = true;
        }
    }
    if !any {
        UnservedReason::NoActiveCourier
    } else if earliest > spec.window_s.1 {
        UnservedReason::WindowMissed {
            earliest_s: earliest,
        }
    } else if !reachable_with_room {
        UnservedReason::NoCapacity
    } else {
        UnservedReason::NoFeasiblePosition
    }
}

/// Regret-2 insertion of `pool`: the stop whose best route beats its second best by most
/// goes first, at its cheapest feasible position (travel plus the move cost when the stop
/// changes courier). Past `deadline` it falls back to cheapest insertion in pool order.
/// Returns the stops that fit nowhere, with reasons.
pub(crate) fn insert_regret(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    pool: &[u32],
    deadline: &Deadline,
) -> Vec<(u32, UnservedReason)> {
    insert_regret_in(d, caches, pool, deadline, None)
}

/// Like [`insert_regret`], into the routes marked in `allowed` only (all when `None`).
pub(crate) fn insert_regret_in(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    pool: &[u32],
    deadline: &Deadline,
    allowed: Option<&[bool]>,
) -> Vec<(u32, UnservedReason)> {
    let nr = caches.len();
    let ok_route = |r: usize| allowed.is_none_or(|a| a.get(r).copied().unwrap_or(false));
    let mut left: Vec<u32> = pool.to_vec();
    left.sort_unstable();
    left.dedup();
    // best[p * nr + r] = (cost, node index)
    let eval = |c: &RouteCache, s: u32, r: usize| {
        c.best_insert(&d.stops[s as usize], d.times)
            .map(|(delta, i)| (delta + move_cost(d, s, r), i))
    };
    let mut best: Vec<Option<(i64, usize)>> = Vec::with_capacity(left.len() * nr);
    for &s in &left {
        // Cancelled: the stops not priced yet fit nowhere (left unserved, retried later).
        let cancelled = deadline.cancelled();
        for (r, c) in caches.iter().enumerate() {
            best.push(
                c.as_ref()
                    .filter(|_| ok_route(r) && !cancelled)
                    .and_then(|c| eval(c, s, r)),
            );
        }
    }
    let mut alive = vec![true; left.len()];
    let mut unserved = Vec::new();
    loop {
        // Pick the stop with the largest regret.
        let mut pick: Option<(i64, i64, usize)> = None; // (regret, -best, index)
                                                        // Past the deadline: plain cheapest insertion in pool order (anytime answer).
        let hurry = deadline.passed();
        if deadline.cancelled() {
            // Cancelled: every stop not placed yet is left unserved.
            for (p, ok) in alive.iter_mut().enumerate() {
                if *ok {
                    *ok = false;
                    unserved.push((left[p], reason(d, caches, left[p])));
                }
            }
            return unserved;
        }
        for (p, &ok) in alive.iter().enumerate() {
            if !ok {
                continue;
            }
            let (mut b1, mut b2) = (i64::MAX, i64::MAX);
            for r in 0..nr {
                if let Some((cost, _)) = best[p * nr + r] {
                    if cost < b1 {
                        b2 = b1;
                        b1 = cost;
                    } else if cost < b2 {
                        b2 = cost;
                    }
                }
            }
            let regret = if b1 == i64::MAX {
                i64::MAX
            } else if b2 == i64::MAX {
                i64::MAX / 2
            } else {
                b2 - b1
            };
            let key = (regret, -b1.min(i64::MAX / 4), p);
            if pick.is_none_or(|k| (key.0, key.1) > (k.0, k.1)) {
                pick = Some(key);
            }
            if hurry {
                break;
            }
        }
        let Some((regret, _, p)) = pick else { break };
        alive[p] = false;
        let s = left[p];
        if regret == i64::MAX {
            unserved.push((s, reason(d, caches, s)));
            continue;
        }
        let Some((r, i)) = (0..nr)
            .filter_map(|r| best[p * nr + r].map(|(cost, i)| (cost, r, i)))
            .min()
            .map(|(_, r, i)| (r, i))
        else {
            continue;
        };
        if let Some(c) = caches[r].as_mut() {
            let old = c.planned().to_vec();
            let mut planned = old.clone();
            planned.insert(i + 1 - c.fixed, s);
            let was_late = c.warp() > 0;
            c.set_planned(&planned, d.stops, d.times);
            if c.warp() > 0 && !was_late {
                // The screen was approximate (a leg moved into another time-of-day slot):
                // undo, and try the stop's other routes.
                c.set_planned(&old, d.stops, d.times);
                best[p * nr + r] = None;
                alive[p] = true;
                continue;
            }
            for (q, &ok) in alive.iter().enumerate() {
                if ok {
                    best[q * nr + r] = eval(c, left[q], r);
                }
            }
        }
    }
    // A stop that could not be placed is checked once more against the final routes.
    unserved.retain(|&(s, _)| {
        let mut placed = false;
        let spec = &d.stops[s as usize];
        for (r, c) in caches.iter_mut().enumerate() {
            let Some(c) = c.as_mut().filter(|_| ok_route(r)) else {
                continue;
            };
            if let Some((_, i)) = c.best_insert(spec, d.times) {
                let old = c.planned().to_vec();
                let mut planned = old.clone();
                planned.insert(i + 1 - c.fixed, s);
                let was_late = c.warp() > 0;
                c.set_planned(&planned, d.stops, d.times);
                if c.warp() > 0 && !was_late {
                    c.set_planned(&old, d.stops, d.times);
                    continue;
                }
                placed = true;
                break;
            }
        }
        !placed
    });
    unserved
}
