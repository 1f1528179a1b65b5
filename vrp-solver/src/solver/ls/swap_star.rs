//! SWAP* between two routes (Vidal 2022, "Hybrid genetic search for the CVRP: open-source
//! implementation and SWAP* neighborhood"; PyVRP's `SwapStar`): job `u` of route `A` and job
//! `v` of route `B` trade routes, but neither needs to take the other's place: each is
//! inserted at its best position in the other route (or in the place the other left).
//!
//! For a pair of routes, every job's three cheapest insertion positions into the other route
//! (as it stands) are found first, O(|A| |B|) in all; a swap `(u, v)` is then estimated in
//! O(1): the removal deltas of `u` and `v` plus, for each job, the cheapest of its cached
//! positions that is not next to the job leaving (those edges are gone) or the place that job
//! leaves. Only a pair whose estimate improves is evaluated exactly ([`MoveSink::consider`]:
//! concatenated segments, so time windows, capacities, skills, duration and distance limits
//! and the asymmetric matrix are all judged on the real candidate routes, in the direction
//! travelled). The estimate reads the real insertion delta of each direction and skips
//! positions whose insertion into the current route already breaks a time window.

use super::pieces::{Candidate, Piece};
use super::{Ctx, MoveSink};
use crate::segment::DurationSegment;
use crate::solver::route::Route;

/// Insertion positions cached per job and route.
const TOP: usize = 3;

/// The cheapest [`TOP`] insertion positions of one job into one route.
#[derive(Debug, Clone, Copy)]
struct Top {
    /// Cost deltas, cheapest first (`i64::MAX`: none).
    cost: [i64; TOP],
    /// Insert after this position of the route.
    after: [usize; TOP],
}

impl Top {
    const EMPTY: Self = Self {
        cost: [i64::MAX; TOP],
        after: [usize::MAX; TOP],
    };

    #[inline]
    fn push(&mut self, cost: i64, after: usize) {
        if cost >= self.cost[TOP - 1] {
            return;
        }
        let mut k = TOP - 1;
        while k > 0 && self.cost[k - 1] > cost {
            self.cost[k] = self.cost[k - 1];
            self.after[k] = self.after[k - 1];
            k -= 1;
        }
        self.cost[k] = cost;
        self.after[k] = after;
    }

    /// The cheapest cached position that stays valid once the job at position `gone` leaves
    /// (positions `gone - 1` and `gone` used the edges around it).
    #[inline]
    fn best_without(&self, gone: usize) -> Option<(i64, usize)> {
        (0..TOP)
            .find(|&k| {
                self.cost[k] != i64::MAX && self.after[k] + 1 != gone && self.after[k] != gone
            })
            .map(|k| (self.cost[k], self.after[k]))
    }
}

/// Work buffers of SWAP* (reused between route pairs).
#[derive(Debug, Default)]
pub(crate) struct SwapStar {
    /// `into_b[i]`: positions of the job at position `i + 1` of `A` in `B`.
    into_b: Vec<Top>,
    /// `into_a[i]`: positions of the job at position `i + 1` of `B` in `A`.
    into_a: Vec<Top>,
    /// Removal deltas of the jobs of `A` and of `B` (`i64::MAX`: not movable).
    rem_a: Vec<i64>,
    rem_b: Vec<i64>,
}

/// Cost of a route of type `vt` changed by `ddist` in distance and `ddur` in duration.
#[inline]
fn delta_cost(cx: &Ctx<'_>, vt: usize, ddist: i64, ddur: i64) -> i64 {
    let v = &cx.p.vehicle_types[vt];
    v.cost_per_distance * ddist + v.cost_per_time * ddur
}

/// Cost delta of inserting job `j` into `r` after position `k`, or `None` when that alone
/// breaks a time window or the maximum duration.
#[inline]
fn insertion(cx: &Ctx<'_>, r: &Route, j: usize, k: usize) -> Option<i64> {
    let p = cx.p;
    let (a, b) = (r.locs[k], r.locs[k + 1]);
    let l = p.jobs[j].location;
    let ddist = p.distance(a, l) + p.distance(l, b) - (r.dist[k + 1] - r.dist[k]);
    let s = r.fwd[k]
        .then(p.duration(a, l), &p.visits[j].0)
        .then(p.duration(l, b), &r.bwd[k + 1]);
    if s.time_warp > 0 || s.duration > p.vehicle_types[r.vt].max_duration {
        return None;
    }
    Some(delta_cost(cx, r.vt, ddist, s.duration - r.duration()))
}

/// Cost delta of replacing the job at position `i` of `r` by job `j` (`None`: `j` alone
/// breaks a window there). With `j = None`, of removing it.
#[inline]
fn replace(cx: &Ctx<'_>, r: &Route, i: usize, j: Option<usize>) -> Option<i64> {
    let p = cx.p;
    let (a, b) = (r.locs[i - 1], r.locs[i + 1]);
    let old = r.dist[i + 1] - r.dist[i - 1];
    let (ddist, s): (i64, DurationSegment) = match j {
        None => (
            p.distance(a, b) - old,
            r.fwd[i - 1].then(p.duration(a, b), &r.bwd[i + 1]),
        ),
        Some(j) => {
            let l = p.jobs[j].location;
            (
                p.distance(a, l) + p.distance(l, b) - old,
                r.fwd[i - 1]
                    .then(p.duration(a, l), &p.visits[j].0)
                    .then(p.duration(l, b), &r.bwd[i + 1]),
            )
        }
    };
    if s.time_warp > 0 || s.duration > p.vehicle_types[r.vt].max_duration {
        return None;
    }
    Some(delta_cost(cx, r.vt, ddist, s.duration - r.duration()))
}

/// Whether route `r` still fits its capacity with the job at position `out` replaced by `inn`
/// (by total deliveries; with pickups the exact evaluation decides).
#[inline]
fn load_fits(cx: &Ctx<'_>, r: &Route, out: usize, inn: usize) -> bool {
    let p = cx.p;
    if p.has_pickups {
        return true;
    }
    let cap = &p.vehicle_types[r.vt].capacity;
    let (lo, li) = (&p.visits[r.jobs[out - 1]].1, &p.visits[inn].1);
    let l = r.load();
    (0..p.dims).all(|d| l.depot[d] - lo.depot[d] + li.depot[d] <= cap[d])
}

/// The candidate route replacing `r`: its job at position `gone` leaves, and the job at
/// position `pin` of route `from` comes in after position `after` of `r` (`after` equal
/// to `gone - 1` or `gone`: in the place left).
fn candidate(
    cx: &Ctx<'_>,
    r: usize,
    gone: usize,
    from: usize,
    pin: usize,
    after: usize,
) -> Candidate {
    let vt = cx.routes[r].vt;
    let inn = Piece::Range {
        r: from,
        a: pin,
        b: pin,
    };
    if after + 1 == gone || after == gone {
        Candidate::new(
            r,
            vt,
            &[
                Piece::Prefix { r, to: gone - 1 },
                inn,
                Piece::Suffix { r, from: gone + 1 },
            ],
        )
    } else if after < gone {
        Candidate::new(
            r,
            vt,
            &[
                Piece::Prefix { r, to: after },
                inn,
                Piece::Range {
                    r,
                    a: after + 1,
                    b: gone - 1,
                },
                Piece::Suffix { r, from: gone + 1 },
            ],
        )
    } else {
        Candidate::new(
            r,
            vt,
            &[
                Piece::Prefix { r, to: gone - 1 },
                Piece::Range {
                    r,
                    a: gone + 1,
                    b: after,
                },
                inn,
                Piece::Suffix { r, from: after + 1 },
            ],
        )
    }
}

/// Fills `top` (one per job of `from`) with the cheapest positions of those jobs in `to`,
/// and `rem` with their removal deltas from `from` (`i64::MAX`: paired or unmovable).
fn prepare(cx: &Ctx<'_>, from: usize, to: usize, top: &mut Vec<Top>, rem: &mut Vec<i64>) {
    let (rf, rt) = (&cx.routes[from], &cx.routes[to]);
    let skills = cx.p.vehicle_types[rt.vt].skills;
    top.clear();
    rem.clear();
    for (i, &j) in rf.jobs.iter().enumerate() {
        let job = &cx.p.jobs[j];
        let mut t = Top::EMPTY;
        let r = if job.partner.is_some() || job.skills & !skills != 0 {
            None
        } else {
            replace(cx, rf, i + 1, None)
        };
        if r.is_some() {
            for k in 0..=rt.len() {
                if let Some(c) = insertion(cx, rt, j, k) {
                    t.push(c, k);
                }
            }
        }
        top.push(t);
        rem.push(r.unwrap_or(i64::MAX));
    }
}

impl SwapStar {
    /// Offers `sink` the best estimated SWAP* moves between routes `a` and `b` (both
    /// non-empty, `a != b`): every pair whose estimate improves on nothing is skipped, the
    /// others are evaluated exactly.
    pub(crate) fn evaluate(&mut self, cx: &Ctx<'_>, a: usize, b: usize, sink: &mut MoveSink) {
        let mut top = std::mem::take(&mut self.into_b);
        let mut rem = std::mem::take(&mut self.rem_a);
        prepare(cx, a, b, &mut top, &mut rem);
        self.into_b = top;
        self.rem_a = rem;
        let mut top = std::mem::take(&mut self.into_a);
        let mut rem = std::mem::take(&mut self.rem_b);
        prepare(cx, b, a, &mut top, &mut rem);
        self.into_a = top;
        self.rem_b = rem;
        let (ra, rb) = (&cx.routes[a], &cx.routes[b]);
        for pu in 1..=ra.len() {
            let rem_u = self.rem_a[pu - 1];
            if rem_u == i64::MAX || self.into_b[pu - 1].cost[0] == i64::MAX {
                continue;
            }
            let u = ra.jobs[pu - 1];
            for pv in 1..=rb.len() {
                let rem_v = self.rem_b[pv - 1];
                if rem_v == i64::MAX || self.into_a[pv - 1].cost[0] == i64::MAX {
                    continue;
                }
                let v = rb.jobs[pv - 1];
                if !load_fits(cx, ra, pu, v) || !load_fits(cx, rb, pv, u) {
                    continue;
                }
                // `v` into A without `u`: the cheapest valid cached position, or u's place.
                let mut best_a = self.into_a[pv - 1]
                    .best_without(pu)
                    .map(|(c, k)| (c.saturating_add(rem_u), k));
                if let Some(c) = replace(cx, ra, pu, Some(v)) {
                    if best_a.is_none_or(|(bc, _)| c < bc) {
                        best_a = Some((c, pu));
                    }
                }
                let Some((da, ka)) = best_a else { continue };
                let mut best_b = self.into_b[pu - 1]
                    .best_without(pv)
                    .map(|(c, k)| (c.saturating_add(rem_v), k));
                if let Some(c) = replace(cx, rb, pv, Some(u)) {
                    if best_b.is_none_or(|(bc, _)| c < bc) {
                        best_b = Some((c, pv));
                    }
                }
                let Some((db, kb)) = best_b else { continue };
                let bound = sink.best.map_or(0, |m| m.delta);
                if da.saturating_add(db) >= bound {
                    continue;
                }
                let ca = candidate(cx, a, pu, b, pv, ka);
                let cb = candidate(cx, b, pv, a, pu, kb);
                sink.consider(cx, ca, Some(cb));
            }
        }
    }
}
