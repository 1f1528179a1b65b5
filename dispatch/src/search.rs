//! Bounded local search near the change: move a string of 1-3 stops (relocate / or-opt)
//! next to one of its nearest stops, in the same route or another; where no relocation
//! pays, exchange with the route of a nearest stop (`exchange`: 2-opt\*
//! of the tails, swap of two stops). A move is screened in O(1) with the cached segments
//! (travel + move cost); a move that passes is priced exactly with the promise-shift cost
//! of the two routes and applied if it pays.

use std::collections::VecDeque;

use milkrun_vrp::segment::DurationSegment;

use crate::cache::RouteCache;
use crate::exchange::{self, Change};
use crate::limit::Deadline;
use crate::objective::{move_cost, pending_seq, promise_cost};
use crate::view::DayView;

/// Runs the search from `seeds` until no move pays, the deadline passes or `max_evals`
/// evaluations are spent. Returns the number of evaluations.
pub(crate) fn improve(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    seeds: Vec<u32>,
    deadline: &Deadline,
    max_evals: Option<u64>,
) -> u64 {
    let m = d.stops.len();
    let mut pos: Vec<Option<(usize, usize)>> = vec![None; m];
    let index = |pos: &mut Vec<Option<(usize, usize)>>, r: usize, c: &RouteCache| {
        for (i, &s) in c
            .stops
            .iter()
            .enumerate()
            .take(c.stops.len() - 1)
            .skip(c.fixed)
        {
            pos[s as usize] = Some((r, i));
        }
    };
    for (r, c) in caches.iter().enumerate() {
        if let Some(c) = c {
            index(&mut pos, r, c);
        }
    }
    let mut pcost: Vec<i64> = caches
        .iter()
        .enumerate()
        .map(|(k, c)| {
            c.as_ref()
                .map_or(0, |c| promise_cost(d, k, &pending_seq(c)))
        })
        .collect();
    let mut queued = vec![false; m];
    let mut queue = VecDeque::new();
    for s in seeds {
        if (s as usize) < m && !queued[s as usize] {
            queued[s as usize] = true;
            queue.push_back(s);
        }
    }
    let mut evals: u64 = 0;
    let limit = max_evals.unwrap_or(u64::MAX);
    'seeds: while let Some(s) = queue.pop_front() {
        queued[s as usize] = false;
        if evals >= limit || deadline.passed() {
            break;
        }
        for len in 1..=3usize {
            let Some((r, i)) = pos[s as usize] else {
                continue 'seeds;
            };
            let Some(cr) = caches[r].as_ref() else {
                continue 'seeds;
            };
            if i < cr.fixed || i + len > cr.locs.len() - 1 {
                break;
            }
            // The string's segment, load and inner travel (legs as scheduled now).
            let mut seg = cr.segs[i];
            let mut inner = 0;
            let mut bottles = d.stops[cr.stops[i] as usize].bottles;
            for k in i + 1..i + len {
                let t = cr.legs[k];
                inner += t;
                seg = seg.then(t, &cr.segs[k]);
                bottles += d.stops[cr.stops[k] as usize].bottles;
            }
            let (first, last) = (cr.locs[i], cr.locs[i + len - 1]);
            let (before, after) = (cr.locs[i - 1], cr.locs[i + len]);
            let bridge = d.times.travel_at(before, after, cr.dep[i - 1]);
            let removed = bridge - cr.legs[i] - inner - cr.legs[i + len];
            let rem_ok = cr.fwd[i - 1].then(bridge, &cr.bwd[i + len]).time_warp == 0;
            let string: Vec<u32> = cr.stops[i..i + len].to_vec();
            let mc_out: i64 = string.iter().map(|&x| move_cost(d, x, r)).sum();
            for &v in &d.neighbours[s as usize] {
                let Some((r2, j)) = pos[v as usize] else {
                    continue;
                };
                let Some(c2) = caches[r2].as_ref() else {
                    continue;
                };
                for q in [j.saturating_sub(1), j] {
                    if q + 1 < c2.fixed || q + 1 >= c2.locs.len() {
                        continue;
                    }
                    evals += 1;
                    let candidate = if r2 == r {
                        if q + 1 >= i && q < i + len {
                            continue;
                        }
                        intra(d, cr, i, len, q)
                    } else {
                        if !rem_ok || c2.load + bottles > c2.capacity {
                            continue;
                        }
                        let (a, b) = (c2.locs[q], c2.locs[q + 1]);
                        let t1 = d.times.travel_at(a, first, c2.dep[q]);
                        let end = (c2.dep[q] + t1).max(seg.earliest) + seg.duration;
                        let t2 = d.times.travel_at(last, b, end);
                        let full = c2.fwd[q].then(t1, &seg).then(t2, &c2.bwd[q + 1]);
                        if full.time_warp != 0 {
                            continue;
                        }
                        let mc_in: i64 = string.iter().map(|&x| move_cost(d, x, r2)).sum();
                        Some(removed + t1 + inner + t2 - c2.legs[q + 1] + mc_in - mc_out)
                    };
                    let Some(delta) = candidate else { continue };
                    if delta >= 0 {
                        continue;
                    }
                    // Exact price with the promise shifts of the routes touched.
                    let mut seq1 = pending_seq(cr);
                    let p1 = i - 1;
                    seq1.drain(p1..p1 + len);
                    let (new1, new2) = if r2 == r {
                        let at = if q < i { q } else { q - len };
                        let mut s1 = seq1;
                        for (k, &x) in string.iter().enumerate() {
                            s1.insert(at + k, x);
                        }
                        (s1, None)
                    } else {
                        let mut s2 = pending_seq(c2);
                        for (k, &x) in string.iter().enumerate() {
                            s2.insert(q + k, x);
                        }
                        (seq1, Some(s2))
                    };
                    let np1 = promise_cost(d, r, &new1);
                    let np2 = new2.as_ref().map_or(0, |s2| promise_cost(d, r2, s2));
                    let old = pcost[r] + if r2 == r { 0 } else { pcost[r2] };
                    if delta + np1 + np2 - old >= 0 {
                        continue;
                    }
                    // Apply, then price the travel exactly (legs at their new departures).
                    let fixed1 = cr.fixed;
                    let planned1: Vec<u32> = new1[fixed1 - 1..].to_vec();
                    let mut touched: Vec<u32> = Vec::new();
                    touched.extend(cr.stops.get(i - 1).copied());
                    touched.extend(cr.stops.get(i + len).copied());
                    let old1 = cr.planned().to_vec();
                    let old_travel = cr.travel + if r2 == r { 0 } else { c2.travel };
                    let old2 = (r2 != r).then(|| c2.planned().to_vec());
                    let mc = if r2 == r {
                        0
                    } else {
                        string.iter().map(|&x| move_cost(d, x, r2)).sum::<i64>() - mc_out
                    };
                    if let Some(c) = caches[r].as_mut() {
                        c.set_planned(&planned1, d.stops, d.times);
                    }
                    if let (Some(s2), Some(c)) = (new2.as_ref(), caches[r2].as_mut()) {
                        let fixed2 = c.fixed;
                        c.set_planned(&s2[fixed2 - 1..], d.stops, d.times);
                    }
                    let (mut new_travel, mut late) = (0, false);
                    for k in [r, r2] {
                        if let Some(c) = caches[k].as_ref() {
                            late |= c.warp() > 0;
                        }
                    }
                    if let Some(c) = caches[r].as_ref() {
                        new_travel += c.travel;
                    }
                    if r2 != r {
                        if let Some(c) = caches[r2].as_ref() {
                            new_travel += c.travel;
                        }
                    }
                    if late || new_travel - old_travel + mc + np1 + np2 - old >= 0 {
                        // The screen was approximate (time of day): undo.
                        if let Some(c) = caches[r].as_mut() {
                            c.set_planned(&old1, d.stops, d.times);
                        }
                        if let (Some(o2), Some(c)) = (old2, caches[r2].as_mut()) {
                            c.set_planned(&o2, d.stops, d.times);
                        }
                        continue 'seeds;
                    }
                    pcost[r] = np1;
                    if r2 != r {
                        pcost[r2] = np2;
                    }
                    for k in [r, r2] {
                        if let Some(c) = caches[k].as_ref() {
                            index(&mut pos, k, c);
                        }
                    }
                    touched.push(s);
                    touched.extend(d.neighbours[s as usize].iter().copied());
                    for x in touched {
                        if (x as usize) < m && !queued[x as usize] {
                            queued[x as usize] = true;
                            queue.push_back(x);
                        }
                    }
                    continue 'seeds;
                }
            }
        }
        // No relocation paid: exchanges with the routes of its nearest stops.
        let Some((r, i)) = pos[s as usize] else {
            continue;
        };
        let mut changes: Vec<Change> = Vec::new();
        if let Some(cr) = caches[r].as_ref() {
            for &v in &d.neighbours[s as usize] {
                let Some((r2, j)) = pos[v as usize] else {
                    continue;
                };
                let Some(c2) = caches[r2].as_ref().filter(|_| r2 != r) else {
                    continue;
                };
                evals += 4;
                changes.extend(exchange::tails(d, cr, r, i, c2, r2, j - 1));
                changes.extend(exchange::tails(d, cr, r, i - 1, c2, r2, j));
                changes.extend(exchange::swap(d, cr, r, i, c2, r2, j - 1));
                changes.extend(exchange::swap(d, cr, r, i, c2, r2, j + 1));
            }
        }
        changes.sort_by_key(|c| c.delta);
        for ch in changes.into_iter().take(EXCHANGE_TRIES) {
            if commit(d, caches, &mut pcost, &ch) {
                for k in [ch.r, ch.r2] {
                    if let Some(c) = caches[k].as_ref() {
                        index(&mut pos, k, c);
                    }
                }
                let mut touched = vec![s];
                touched.extend(d.neighbours[s as usize].iter().copied());
                for x in touched {
                    if (x as usize) < m && !queued[x as usize] {
                        queued[x as usize] = true;
                        queue.push_back(x);
                    }
                }
                break;
            }
        }
    }
    evals
}

/// Screened exchanges priced exactly per stop, best screen first.
const EXCHANGE_TRIES: usize = 3;

/// Prices a change of two routes exactly (promise shifts, then travel with every leg at
/// its new departure) and keeps it if the objective falls and neither route is late;
/// otherwise the routes are restored. `pcost` holds each route's promise cost.
fn commit(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    pcost: &mut [i64],
    ch: &Change,
) -> bool {
    let (r, r2) = (ch.r, ch.r2);
    let (Some(c1), Some(c2)) = (caches[r].as_ref(), caches[r2].as_ref()) else {
        return false;
    };
    let seq_of = |c: &RouteCache, planned: &[u32]| {
        let mut seq = c.stops[1..c.fixed].to_vec();
        seq.extend_from_slice(planned);
        seq
    };
    let np1 = promise_cost(d, r, &seq_of(c1, &ch.planned));
    let np2 = promise_cost(d, r2, &seq_of(c2, &ch.planned2));
    let old_p = pcost[r] + pcost[r2];
    if ch.delta + np1 + np2 - old_p >= 0 {
        return false;
    }
    let (old1, old2) = (c1.planned().to_vec(), c2.planned().to_vec());
    let old_travel = c1.travel + c2.travel;
    let mut new_travel = 0;
    let mut late = false;
    for (k, planned) in [(r, &ch.planned), (r2, &ch.planned2)] {
        if let Some(c) = caches[k].as_mut() {
            c.set_planned(planned, d.stops, d.times);
            late |= c.warp() > 0;
            new_travel += c.travel;
        }
    }
    if late || new_travel - old_travel + ch.move_delta + np1 + np2 - old_p >= 0 {
        for (k, planned) in [(r, &old1), (r2, &old2)] {
            if let Some(c) = caches[k].as_mut() {
                c.set_planned(planned, d.stops, d.times);
            }
        }
        return false;
    }
    pcost[r] = np1;
    pcost[r2] = np2;
    true
}

/// Travel delta of moving the string `i..i+len` of route `c` to after node `q` (same
/// route), or `None` if that makes the route late. O(route length).
fn intra(d: &DayView<'_>, c: &RouteCache, i: usize, len: usize, q: usize) -> Option<i64> {
    let n = c.locs.len();
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for k in 0..n {
        if k >= i && k < i + len {
            continue;
        }
        order.push(k);
        if k == q {
            order.extend(i..i + len);
        }
    }
    let mut seg: DurationSegment = c.segs[order[0]];
    let mut travel = 0;
    let mut at = c.dep[order[0]];
    for w in order.windows(2) {
        let t = d.times.travel_at(c.locs[w[0]], c.locs[w[1]], at);
        travel += t;
        seg = seg.then(t, &c.segs[w[1]]);
        at = (at + t).max(c.segs[w[1]].earliest) + c.segs[w[1]].duration;
    }
    (seg.time_warp == 0).then_some(travel - c.travel)
}
