//! Insertion with ejection for stops left unserved: a stop that fits in no route as it
//! stands takes the place of a stop near its best positions, and the stop pushed out
//! (the *ejected* one) moves to its cheapest feasible position on any route. One more stop
//! is served; the change is kept only if the whole objective falls (travel, moves to
//! another courier, promise shifts, minus the unserved penalty saved) and no route becomes
//! late. Each candidate is screened with the cached segments (O(window) per pair of
//! positions) and the few best are priced exactly.
//!
//! This is the one-level ejection of route-minimisation heuristics (Nagata and Bräysy's
//! ejection pool, Lim and Zhang's squeeze): after a breakdown or a jam the routes around
//! an unserved stop are full or tight, and a stop with a wider window or a nearer
//! alternative route often makes room where plain insertion and small ruins do not.
//!
//! Background improvement also tries chains of two ejections ([`run_chains`]): the stop
//! pushed out takes the place of another stop in turn (the two-level ejection of the
//! ejection-chain literature), for stops that are still left over after a breakdown,
//! when every route near them is full or tight.

use milkrun_vrp::segment::DurationSegment;

use crate::cache::{visit, RouteCache};
use crate::limit::Deadline;
use crate::model::UnservedReason;
use crate::objective::{may_fit, move_cost, route_cost};
use crate::view::DayView;

/// Insertion positions per route considered for the unserved stop (smallest detour first).
const POSITIONS: usize = 3;
/// Stops on each side of an insertion position that may be ejected.
const WINDOW: usize = 4;
/// Screened candidates priced exactly per unserved stop.
const TRIALS: usize = 8;

/// What a run did.
#[derive(Debug, Default, Clone)]
pub(crate) struct EjectStats {
    /// Unserved stops tried.
    pub tried: u64,
    /// Unserved stops placed (with or without an ejection).
    pub placed: u64,
    /// Stops next to the changes (seeds for a local search).
    pub touched: Vec<u32>,
}

/// Tries to place every stop of `unserved` that might fit ([`may_fit`]), soonest-closing
/// window first, until `deadline`. A stop placed leaves `unserved`.
pub(crate) fn run(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    unserved: &mut Vec<(u32, UnservedReason)>,
    deadline: &Deadline,
) -> EjectStats {
    run_with(d, caches, unserved, deadline, &|d, caches, u, _| {
        place(d, caches, u)
    })
}

/// Like [`run`], with chains of two ejections for the stops one ejection cannot place:
/// the unserved stop takes the place of a stop, which takes the place of another, which
/// moves to its cheapest feasible position ([`place_chain`]). Each stop gets the plain
/// insertion and one ejection first. For background improvement: a stop costs up to
/// `CHAIN_TRIALS`² exact trials.
pub(crate) fn run_chains(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    unserved: &mut Vec<(u32, UnservedReason)>,
    deadline: &Deadline,
) -> EjectStats {
    run_with(d, caches, unserved, deadline, &|d, caches, u, deadline| {
        place(d, caches, u).or_else(|| place_chain(d, caches, u, deadline))
    })
}

/// How [`run_with`] tries to place one stop.
type Placer = dyn Fn(&DayView<'_>, &mut [Option<RouteCache>], u32, &Deadline) -> Option<Vec<u32>>;

fn run_with(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    unserved: &mut Vec<(u32, UnservedReason)>,
    deadline: &Deadline,
    placer: &Placer,
) -> EjectStats {
    let mut stats = EjectStats::default();
    let mut order: Vec<u32> = unserved
        .iter()
        .filter(|u| may_fit(u.1))
        .map(|u| u.0)
        .collect();
    order.sort_by_key(|&s| (d.stops[s as usize].window_s.1, s));
    for u in order {
        if deadline.passed() {
            break;
        }
        stats.tried += 1;
        if let Some(touched) = placer(d, caches, u, deadline) {
            stats.placed += 1;
            stats.touched.extend(touched);
            unserved.retain(|x| x.0 != u);
        }
    }
    stats
}

/// The cheapest feasible insertion of stop `s` over all routes (travel delta plus move
/// cost): `(cost, route, node index after which to insert)`.
fn cheapest_home(
    d: &DayView<'_>,
    caches: &[Option<RouteCache>],
    s: u32,
) -> Option<(i64, usize, usize)> {
    let spec = &d.stops[s as usize];
    caches
        .iter()
        .enumerate()
        .filter_map(|(r, c)| {
            c.as_ref()
                .and_then(|c| c.best_insert(spec, d.times))
                .map(|(delta, i)| (delta + move_cost(d, s, r), r, i))
        })
        .min()
}

/// One screened candidate: route `r` takes `u` after node `i` and gives up node `q`.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    travel_delta: i64,
    r: usize,
    i: usize,
    q: usize,
}

/// Places `u` directly or with one ejection; returns the stops around the change, or
/// `None` (nothing changed) if no candidate lowers the objective.
fn place(d: &DayView<'_>, caches: &mut [Option<RouteCache>], u: u32) -> Option<Vec<u32>> {
    let penalty = d.weights.unserved_penalty;
    // Direct insertion first (a route may have room again).
    let direct = cheapest_home(d, caches, u);
    if let Some((_, r, i)) = direct {
        if let Some(c) = caches[r].as_mut() {
            let old_cost = route_cost(d, r, c);
            let old = c.planned().to_vec();
            let mut planned = old.clone();
            planned.insert(i + 1 - c.fixed, u);
            c.set_planned(&planned, d.stops, d.times);
            if c.warp() == 0 && route_cost(d, r, c) - old_cost < penalty {
                return Some(planned);
            }
            c.set_planned(&old, d.stops, d.times);
        }
    }
    for cand in candidates(d, caches, u, None) {
        if let Some(touched) = try_candidate(d, caches, u, cand, penalty) {
            return Some(touched);
        }
    }
    None
}

/// The [`TRIALS`] most promising ways for `u` to take the place of a stop near its best
/// positions (screened with the cached segments), the stop `keep` never ejected.
fn candidates(
    d: &DayView<'_>,
    caches: &[Option<RouteCache>],
    u: u32,
    keep: Option<u32>,
) -> Vec<Candidate> {
    let spec = &d.stops[u as usize];
    let useg = visit(spec);
    let mut cands: Vec<Candidate> = Vec::new();
    for (r, c) in caches.iter().enumerate() {
        let Some(c) = c.as_ref() else { continue };
        if c.warp() > 0 {
            continue;
        }
        let need = c.load + spec.bottles - c.capacity;
        let n = c.locs.len();
        let mut positions: Vec<(i64, usize)> = (c.fixed - 1..n - 1)
            .take_while(|&i| c.dep[i] <= spec.window_s.1)
            .map(|i| {
                let (a, b) = (c.locs[i], c.locs[i + 1]);
                (
                    d.times.travel(a, spec.loc) + d.times.travel(spec.loc, b)
                        - d.times.travel(a, b),
                    i,
                )
            })
            .collect();
        positions.sort_unstable();
        positions.truncate(POSITIONS);
        for &(_, i) in &positions {
            let lo = (i + 1).saturating_sub(WINDOW).max(c.fixed);
            let hi = (i + WINDOW).min(n - 2);
            for q in lo..=hi {
                if d.stops[c.stops[q] as usize].bottles < need || Some(c.stops[q]) == keep {
                    continue;
                }
                if let Some(travel_delta) = screen(d, c, spec.loc, &useg, i, q) {
                    cands.push(Candidate {
                        travel_delta,
                        r,
                        i,
                        q,
                    });
                }
            }
        }
    }
    cands.sort_unstable_by_key(|c| (c.travel_delta, c.r, c.q));
    cands.truncate(TRIALS);
    cands
}

/// The planned stops of `c` with `u` inserted after node `i` and node `q` taken out.
fn swapped(c: &RouteCache, u: u32, i: usize, q: usize) -> Vec<u32> {
    let mut planned = Vec::with_capacity(c.planned().len());
    if i + 1 == c.fixed {
        planned.push(u);
    }
    for k in c.fixed..c.locs.len() - 1 {
        if k != q {
            planned.push(c.stops[k]);
        }
        if k == i {
            planned.push(u);
        }
    }
    planned
}

/// Candidates tried at each level of a chain of two ejections.
const CHAIN_TRIALS: usize = 5;

/// Places `u` with a chain of two ejections: `u` takes the place of `x` (one of its
/// [`candidates`]), `x` takes the place of `y` (one of `x`'s candidates, `u` never
/// ejected), and `y` moves to its cheapest feasible position. Kept if no changed route is
/// late and the routes' objective rises by less than the unserved penalty saved; returns
/// the stops around the change, or `None` with every route as it was.
fn place_chain(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    u: u32,
    deadline: &Deadline,
) -> Option<Vec<u32>> {
    let penalty = d.weights.unserved_penalty;
    let before: Vec<i64> = caches
        .iter()
        .enumerate()
        .map(|(r, c)| c.as_ref().map_or(0, |c| route_cost(d, r, c)))
        .collect();
    // The objective delta of the changed routes, or `None` if one of them is late.
    let delta = |caches: &[Option<RouteCache>], changed: [usize; 3]| -> Option<i64> {
        let mut seen = changed;
        seen.sort_unstable();
        let mut sum = 0;
        for (k, &r) in seen.iter().enumerate() {
            if k > 0 && seen[k - 1] == r {
                continue;
            }
            let c = caches[r].as_ref()?;
            if c.warp() > 0 {
                return None;
            }
            sum += route_cost(d, r, c) - before[r];
        }
        Some(sum)
    };
    let set = |caches: &mut [Option<RouteCache>], r: usize, planned: &[u32]| {
        if let Some(c) = caches[r].as_mut() {
            c.set_planned(planned, d.stops, d.times);
        }
    };
    for cu in candidates(d, caches, u, None)
        .into_iter()
        .take(CHAIN_TRIALS)
    {
        if deadline.passed() {
            return None;
        }
        let Some(c1) = caches[cu.r].as_ref() else {
            continue;
        };
        let x = c1.stops[cu.q];
        let old1 = c1.planned().to_vec();
        let new1 = swapped(c1, u, cu.i, cu.q);
        set(caches, cu.r, &new1);
        if caches[cu.r].as_ref().is_some_and(|c| c.warp() == 0) {
            for cx in candidates(d, caches, x, Some(u))
                .into_iter()
                .take(CHAIN_TRIALS)
            {
                let Some(c2) = caches[cx.r].as_ref() else {
                    continue;
                };
                let y = c2.stops[cx.q];
                let old2 = c2.planned().to_vec();
                let new2 = swapped(c2, x, cx.i, cx.q);
                set(caches, cx.r, &new2);
                let home = caches[cx.r]
                    .as_ref()
                    .is_some_and(|c| c.warp() == 0)
                    .then(|| cheapest_home(d, caches, y))
                    .flatten();
                if let Some((_, r3, j)) = home {
                    if let Some(c3) = caches[r3].as_ref() {
                        let old3 = c3.planned().to_vec();
                        let mut new3 = old3.clone();
                        new3.insert(j + 1 - c3.fixed, y);
                        set(caches, r3, &new3);
                        if delta(caches, [cu.r, cx.r, r3]).is_some_and(|t| t < penalty) {
                            let mut touched = vec![u, x, y];
                            for s in [u, x, y] {
                                touched.extend(d.neighbours[s as usize].iter().copied());
                            }
                            return Some(touched);
                        }
                        set(caches, r3, &old3);
                    }
                }
                set(caches, cx.r, &old2);
            }
        }
        set(caches, cu.r, &old1);
    }
    None
}

/// Travel delta of route `c` with `u` (location `loc`, segment `useg`) inserted after node
/// `i` and node `q` taken out, or `None` if the screen finds it late. Legs are priced at
/// their departures as they shift (an approximation checked exactly afterwards).
fn screen(
    d: &DayView<'_>,
    c: &RouteCache,
    loc: u32,
    useg: &DurationSegment,
    i: usize,
    q: usize,
) -> Option<i64> {
    // The changed stretch: from node `start` (kept) to node `resume` (kept).
    let (start, resume) = if q <= i { (q - 1, i + 1) } else { (i, q + 1) };
    let mut seg = c.fwd[start];
    let mut at = c.dep[start];
    let mut prev = c.locs[start];
    let mut travel = 0;
    let mut step = |seg: &mut DurationSegment, to: u32, next: &DurationSegment| {
        let t = d.times.travel_at(prev, to, at);
        travel += t;
        *seg = seg.then(t, next);
        at = (at + t).max(next.earliest) + next.duration;
        prev = to;
    };
    if q <= i {
        for k in q + 1..=i {
            step(&mut seg, c.locs[k], &c.segs[k]);
        }
        step(&mut seg, loc, useg);
    } else {
        step(&mut seg, loc, useg);
        for k in i + 1..q {
            step(&mut seg, c.locs[k], &c.segs[k]);
        }
    }
    let t = d.times.travel_at(prev, c.locs[resume], at);
    let full = seg.then(t, &c.bwd[resume]);
    if full.time_warp != 0 {
        return None;
    }
    let old: i64 = c.legs[start + 1..=resume].iter().sum();
    Some(travel + t - old)
}

/// Applies a candidate exactly: `u` in, the ejected stop to its cheapest feasible place on
/// any route. Keeps it and returns the stops around the change if the objective falls,
/// else restores the routes.
fn try_candidate(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    u: u32,
    cand: Candidate,
    penalty: i64,
) -> Option<Vec<u32>> {
    let Candidate { r, i, q, .. } = cand;
    let c = caches[r].as_mut()?;
    let x = c.stops[q];
    let old_r = c.planned().to_vec();
    let old_cost_r = route_cost(d, r, c);
    let planned = swapped(c, u, i, q);
    c.set_planned(&planned, d.stops, d.times);
    if c.warp() > 0 {
        c.set_planned(&old_r, d.stops, d.times);
        return None;
    }
    // The ejected stop's new home.
    let home = cheapest_home(d, caches, x);
    let restore = |caches: &mut [Option<RouteCache>]| {
        if let Some(c) = caches[r].as_mut() {
            c.set_planned(&old_r, d.stops, d.times);
        }
    };
    let Some((_, r2, j)) = home else {
        restore(caches);
        return None;
    };
    let Some(c2) = caches[r2].as_mut() else {
        restore(caches);
        return None;
    };
    let old_cost_r2 = if r2 == r { 0 } else { route_cost(d, r2, c2) };
    let old_r2 = c2.planned().to_vec();
    let mut planned2 = old_r2.clone();
    planned2.insert(j + 1 - c2.fixed, x);
    c2.set_planned(&planned2, d.stops, d.times);
    let late = c2.warp() > 0;
    let new_cost_r2 = if r2 == r { 0 } else { route_cost(d, r2, c2) };
    let new_cost_r = caches[r].as_ref().map_or(0, |c| route_cost(d, r, c));
    if late || new_cost_r + new_cost_r2 - old_cost_r - old_cost_r2 >= penalty {
        if r2 != r {
            if let Some(c2) = caches[r2].as_mut() {
                c2.set_planned(&old_r2, d.stops, d.times);
            }
        }
        restore(caches);
        return None;
    }
    let mut touched = vec![u, x];
    touched.extend(d.neighbours[u as usize].iter().copied());
    touched.extend(d.neighbours[x as usize].iter().copied());
    Some(touched)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::dispatch::Dispatch;
    use crate::fixtures::{couriers, line_times, morning_stops};
    use crate::model::Weights;
    use crate::route::CourierRoute;
    use std::time::{Duration, Instant};

    /// Depot at 0, stops 0-4 on a line at +1, +41, +40, -1, -30 minutes. Courier 0 (3
    /// bottles) serves stop 0 (+1, 2 bottles) and stop 1 (+41): full. Courier 1 (3 bottles)
    /// serves stops 3 (-1) and 4 (-30): one bottle of room. Courier 2 (1 bottle) has no stop.
    /// Stop 2 (+40, 2 bottles) is unserved: it fits nowhere as the routes stand. One
    /// ejection cannot place it: on courier 0 it pushes out stop 0, which has nowhere to go
    /// (2 bottles); on courier 1 it costs an hour of riding (more than the unserved
    /// penalty). A chain can: stop 2 takes stop 0's place, stop 0 takes the place of stop 3
    /// or 4 on courier 1, and that one goes to courier 2.
    fn full_day() -> (Dispatch, Vec<Option<RouteCache>>) {
        let times = line_times(&[0, 1, 41, 40, -1, -30]);
        let mut stops = morning_stops(6);
        stops[0].bottles = 2;
        stops[2].bottles = 2;
        let mut cs = couriers(3, 3);
        cs[2].capacity = 1;
        let mut d = Dispatch::new(times, 0, stops, cs, Weights::default()).unwrap();
        for (k, planned) in [vec![0u32, 1], vec![3u32, 4], vec![]]
            .into_iter()
            .enumerate()
        {
            for &s in &planned {
                d.courier_of[s as usize] = Some(k);
            }
            d.routes[k] = CourierRoute::at_depot(0, &d.couriers[k], planned);
        }
        let caches = (0..3)
            .map(|k| {
                Some(RouteCache::build(
                    &d.routes[k],
                    &d.couriers[k],
                    &d.stops,
                    &d.times,
                    0,
                ))
            })
            .collect();
        (d, caches)
    }

    fn deadline() -> Deadline {
        Deadline::new(Instant::now() + Duration::from_secs(10), None)
    }

    fn planned(caches: &[Option<RouteCache>]) -> Vec<Vec<u32>> {
        caches
            .iter()
            .map(|c| c.as_ref().unwrap().planned().to_vec())
            .collect()
    }

    #[test]
    fn one_ejection_cannot_place_it() {
        let (d, mut caches) = full_day();
        let mut unserved = vec![(2, UnservedReason::NoCapacity)];
        let st = run(&d.view(), &mut caches, &mut unserved, &deadline());
        assert_eq!((st.tried, st.placed), (1, 0));
        assert_eq!(unserved.len(), 1);
        assert_eq!(planned(&caches), vec![vec![0, 1], vec![3, 4], vec![]]);
    }

    #[test]
    fn chain_of_two_ejections_places_it() {
        let (d, mut caches) = full_day();
        let view = d.view();
        let before: i64 = (0..3)
            .map(|k| route_cost(&view, k, caches[k].as_ref().unwrap()))
            .sum();
        let mut unserved = vec![(2, UnservedReason::NoCapacity)];
        let st = run_chains(&view, &mut caches, &mut unserved, &deadline());
        assert_eq!((st.tried, st.placed), (1, 1));
        assert!(unserved.is_empty());
        let p = planned(&caches);
        assert!(p[0].contains(&2) && p[0].contains(&1), "{p:?}");
        // Stop 0 on courier 1 in the place of stop 3 or 4, which rides with courier 2.
        assert!(p[1].contains(&0) && p[1].len() == 2, "{p:?}");
        assert!(p[2] == vec![3] || p[2] == vec![4], "{p:?}");
        let mut all: Vec<u32> = p.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        let after: i64 = (0..3)
            .map(|k| {
                let c = caches[k].as_ref().unwrap();
                assert_eq!(c.warp(), 0);
                assert!(c.load <= c.capacity);
                route_cost(&view, k, c)
            })
            .sum();
        // One more stop served for less than the unserved penalty.
        assert!(after - before < view.weights.unserved_penalty);
    }

    /// With the deadline passed the chain changes nothing.
    #[test]
    fn chain_respects_the_deadline() {
        let (d, mut caches) = full_day();
        let mut unserved = vec![(2, UnservedReason::NoCapacity)];
        let past = Deadline::new(Instant::now(), None);
        let st = run_chains(&d.view(), &mut caches, &mut unserved, &past);
        assert_eq!(st.placed, 0);
        assert_eq!(unserved.len(), 1);
        assert_eq!(planned(&caches), vec![vec![0, 1], vec![3, 4], vec![]]);
    }
}
