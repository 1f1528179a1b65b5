//! Ruin and recreate around a place (a large neighbourhood search on the plan under way):
//! take strings of planned stops out of the 1-3 routes passing nearest to a centre (a stop
//! left unserved, a stop near the change, or any planned stop), put them back together
//! with the unserved stops nearby by regret insertion into the routes around, and keep the
//! result only if the whole objective (travel, moves to another courier, promise shifts,
//! unserved penalty) falls and no route becomes late. Done and committed stops are never
//! taken out: they are the fixed head of every [`RouteCache`].

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::cache::RouteCache;
use crate::limit::Deadline;
use crate::model::UnservedReason;
use crate::objective::{may_fit, route_cost};
use crate::repair;
use crate::view::DayView;

/// Longest string of stops taken out of one route.
const MAX_STRING: usize = 10;
/// Most unserved stops offered to one recreate besides the centre.
const MAX_UNSERVED_NEAR: usize = 6;
/// Routes considered for the recreate: the ones passing nearest to the centre.
const NEAR_ROUTES: usize = 4;

/// What a run of the search did.
#[derive(Debug, Default, Clone)]
pub(crate) struct LnsStats {
    /// Ruin-and-recreate iterations.
    pub iterations: u64,
    /// Iterations kept (the objective fell).
    pub accepted: u64,
    /// Stops on routes changed by a kept iteration (seeds for a local search).
    pub touched: Vec<u32>,
}

/// Runs ruin and recreate until `deadline` or `max_iterations`. `unserved` holds the stops
/// on no route (updated in place: a stop placed leaves it, a stop that no longer fits joins
/// it); `focus` lists stops near the change (preferred centres; may be empty).
pub(crate) fn run(
    d: &DayView<'_>,
    caches: &mut [Option<RouteCache>],
    unserved: &mut Vec<(u32, UnservedReason)>,
    focus: &[u32],
    deadline: &Deadline,
    max_iterations: u64,
    seed: u64,
) -> LnsStats {
    let mut stats = LnsStats::default();
    let nr = caches.len();
    let mut rng = Pcg64::seed_from_u64(seed ^ 0x4C4E_5352_5549_4E21);
    let mut cost: Vec<i64> = caches
        .iter()
        .enumerate()
        .map(|(k, c)| c.as_ref().map_or(0, |c| route_cost(d, k, c)))
        .collect();
    let penalty = d.weights.unserved_penalty;
    let mut touched = vec![false; d.stops.len()];
    while stats.iterations < max_iterations && !deadline.passed() {
        stats.iterations += 1;
        // The centre of the ruin.
        let candidates: Vec<u32> = unserved
            .iter()
            .filter(|u| may_fit(u.1))
            .map(|u| u.0)
            .collect();
        let u: f64 = rng.random();
        let centre = if !candidates.is_empty() && u < 0.4 {
            candidates[rng.random_range(0..candidates.len())]
        } else if !focus.is_empty() && u < 0.7 {
            focus[rng.random_range(0..focus.len())]
        } else {
            let routes: Vec<usize> = (0..nr)
                .filter(|&r| caches[r].as_ref().is_some_and(|c| !c.planned().is_empty()))
                .collect();
            if routes.is_empty() {
                break;
            }
            let r = routes[rng.random_range(0..routes.len())];
            let Some(c) = caches[r].as_ref() else { break };
            c.planned()[rng.random_range(0..c.planned().len())]
        };
        let cloc = d.stops[centre as usize].loc;
        // Nearness: the ride from the centre (one row of the matrix, which stays in cache;
        // the ride back would read a column, one cache miss per stop of every route).
        let round = |l: u32| d.times.travel(cloc, l);
        // Every route's planned stop nearest to the centre.
        let mut near: Vec<(i64, usize, usize)> = Vec::new();
        for (r, c) in caches.iter().enumerate() {
            let Some(c) = c else { continue };
            let best = (c.fixed..c.locs.len() - 1)
                .map(|i| (round(c.locs[i]), i))
                .min();
            if let Some((dist, i)) = best {
                near.push((dist, r, i));
            }
        }
        if near.is_empty() {
            break;
        }
        near.sort_unstable();
        let ruined = rng.random_range(1..=3usize).min(near.len());
        let mut allowed = vec![false; nr];
        let mut saved: Vec<(usize, Vec<u32>, i64)> = Vec::new();
        for &(_, r, _) in near.iter().take(NEAR_ROUTES) {
            if let Some(c) = caches[r].as_ref() {
                allowed[r] = true;
                saved.push((r, c.planned().to_vec(), c.warp()));
            }
        }
        // Ruin: a string around the nearest stop of each of the nearest routes.
        let mut pool: Vec<u32> = Vec::new();
        let mut radius = 0;
        for &(_, r, i) in near.iter().take(ruined) {
            let Some(c) = caches[r].as_mut() else {
                continue;
            };
            let mut planned = c.planned().to_vec();
            let p = planned.len();
            let at = i - c.fixed;
            let len = rng.random_range(1..=MAX_STRING.min(p));
            let start = at.saturating_sub(rng.random_range(0..len)).min(p - len);
            for &s in &planned[start..start + len] {
                radius = radius.max(round(d.stops[s as usize].loc));
                pool.push(s);
            }
            planned.drain(start..start + len);
            c.set_planned(&planned, d.stops, d.times);
        }
        // The unserved stops nearby (the centre first) join the recreate.
        let mut from_unserved: Vec<u32> = Vec::new();
        if candidates.contains(&centre) {
            from_unserved.push(centre);
        }
        let mut close: Vec<(i64, u32)> = candidates
            .iter()
            .filter(|&&s| s != centre)
            .map(|&s| (round(d.stops[s as usize].loc), s))
            .filter(|&(dist, _)| dist <= radius)
            .collect();
        close.sort_unstable();
        from_unserved.extend(close.iter().take(MAX_UNSERVED_NEAR).map(|c| c.1));
        pool.extend(from_unserved.iter().copied());
        // Recreate, into the routes around the centre.
        let left = repair::insert_regret_in(d, caches, &pool, deadline, Some(&allowed));
        let mut delta = penalty * (left.len() as i64 - from_unserved.len() as i64);
        let mut late = false;
        let mut new_cost: Vec<(usize, i64)> = Vec::new();
        for (r, _, warp) in &saved {
            if let Some(c) = caches[*r].as_ref() {
                late |= c.warp() > *warp;
                let nc = route_cost(d, *r, c);
                delta += nc - cost[*r];
                new_cost.push((*r, nc));
            }
        }
        if late || delta >= 0 {
            for (r, planned, _) in &saved {
                if let Some(c) = caches[*r].as_mut() {
                    c.set_planned(planned, d.stops, d.times);
                }
            }
            continue;
        }
        stats.accepted += 1;
        for (r, nc) in new_cost {
            cost[r] = nc;
            if let Some(c) = caches[r].as_ref() {
                for &s in c.planned() {
                    touched[s as usize] = true;
                }
            }
        }
        unserved.retain(|u| !from_unserved.contains(&u.0));
        unserved.extend(left);
    }
    stats.touched = (0..touched.len() as u32)
        .filter(|&s| touched[s as usize])
        .collect();
    stats
}
