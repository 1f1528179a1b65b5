//! A candidate route written as a short list of pieces of existing routes
//! (a prefix, a few jobs, a suffix), and its evaluation by concatenating the
//! cached segments of those pieces. Every operator describes its move as at
//! most two such lists, so one evaluator serves all of them.
//!
//! Cost of an evaluation: O(number of pieces + jobs in `Range`/`Rev`
//! pieces). Operators keep `Range`/`Rev` pieces short (bounded by a
//! constant), so evaluation does not grow with route length.

use crate::problem::Problem;
use crate::segment::{DurationSegment, LoadSegment};
use crate::solver::route::{route_cost, Route};

/// A part of an existing route. Positions are route positions: 0 is the
/// start depot, `1..=len` are jobs, `len + 1` is the end depot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Positions `0..=to` of route `r` (start depot included).
    Prefix { r: usize, to: usize },
    /// Positions `from..=len + 1` of route `r` (end depot included).
    Suffix { r: usize, from: usize },
    /// Job positions `a..=b` of route `r`, in order (`1 <= a <= b <= len`).
    Range { r: usize, a: usize, b: usize },
    /// Job positions `a..=b` of route `r`, reversed.
    Rev { r: usize, a: usize, b: usize },
}

/// Most pieces in one candidate route.
pub(crate) const MAX_PIECES: usize = 5;

/// A candidate route: vehicle type and pieces (first a `Prefix`, last a `Suffix`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    /// Route index in the state that this candidate replaces.
    pub route: usize,
    /// Vehicle type of that route.
    pub vt: usize,
    /// Pieces in order.
    pub pieces: [Piece; MAX_PIECES],
    /// Number of pieces used.
    pub n: usize,
}

impl Candidate {
    /// A candidate for `route` of type `vt` from `pieces` (at most [`MAX_PIECES`]).
    pub fn new(route: usize, vt: usize, pieces: &[Piece]) -> Self {
        let mut arr = [Piece::Prefix { r: 0, to: 0 }; MAX_PIECES];
        arr[..pieces.len()].copy_from_slice(pieces);
        Self {
            route,
            vt,
            pieces: arr,
            n: pieces.len(),
        }
    }

    /// The pieces in use.
    #[inline]
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces[..self.n]
    }
}

/// Location of the first and last position of a piece.
#[inline]
fn ends(routes: &[Route], pc: Piece) -> (usize, usize) {
    match pc {
        Piece::Prefix { r, to } => (routes[r].locs[0], routes[r].locs[to]),
        Piece::Suffix { r, from } => {
            let l = &routes[r].locs;
            (l[from], l[l.len() - 1])
        }
        Piece::Range { r, a, b } => (routes[r].locs[a], routes[r].locs[b]),
        Piece::Rev { r, a, b } => (routes[r].locs[b], routes[r].locs[a]),
    }
}

/// Number of jobs in a piece.
#[inline]
fn jobs_in(routes: &[Route], pc: Piece) -> usize {
    match pc {
        Piece::Prefix { to, .. } => to,
        Piece::Suffix { r, from } => routes[r].len() + 1 - from,
        Piece::Range { a, b, .. } | Piece::Rev { a, b, .. } => b + 1 - a,
    }
}

/// Number of jobs of a candidate.
pub(crate) fn job_count(routes: &[Route], c: &Candidate) -> usize {
    c.pieces().iter().map(|&pc| jobs_in(routes, pc)).sum()
}

/// Travel distance of a candidate, or `None` when a moved job lacks a skill
/// of the candidate's vehicle. Cheap: used to prune before [`evaluate`].
pub(crate) fn distance(p: &Problem, routes: &[Route], c: &Candidate) -> Option<i64> {
    let skills = p.vehicle_types[c.vt].skills;
    let mut total = 0;
    let mut last: Option<usize> = None;
    for &pc in c.pieces() {
        let (first, end) = ends(routes, pc);
        if let Some(l) = last {
            total += p.distance(l, first);
        }
        last = Some(end);
        let rt = match pc {
            Piece::Prefix { r, .. }
            | Piece::Suffix { r, .. }
            | Piece::Range { r, .. }
            | Piece::Rev { r, .. } => &routes[r],
        };
        total += match pc {
            Piece::Prefix { to, .. } => rt.dist[to],
            Piece::Suffix { from, .. } => rt.dist[rt.len() + 1] - rt.dist[from],
            Piece::Range { a, b, .. } => {
                for k in a..=b {
                    if p.jobs[rt.jobs[k - 1]].skills & !skills != 0 {
                        return None;
                    }
                }
                rt.dist[b] - rt.dist[a]
            }
            Piece::Rev { a, b, .. } => {
                let mut d = 0;
                for k in (a..=b).rev() {
                    if p.jobs[rt.jobs[k - 1]].skills & !skills != 0 {
                        return None;
                    }
                    if k > a {
                        d += p.distance(rt.locs[k], rt.locs[k - 1]);
                    }
                }
                d
            }
        };
    }
    Some(total)
}

/// Lower bound of a candidate's cost from its distance (time cost >= 0).
#[inline]
pub(crate) fn cost_lower_bound(p: &Problem, routes: &[Route], c: &Candidate, dist: i64) -> i64 {
    if job_count(routes, c) == 0 {
        return 0;
    }
    let vt = &p.vehicle_types[c.vt];
    vt.fixed_cost + vt.cost_per_distance * dist
}

/// Duration and load segments of a job visit.
#[inline]
fn visit(p: &Problem, j: usize) -> (DurationSegment, LoadSegment) {
    p.visits[j]
}

/// Exact cost of a candidate whose distance is `dist` (from [`distance`]),
/// or `None` if it breaks a time window, the shift, the maximum duration or
/// distance, or a capacity.
pub(crate) fn evaluate(p: &Problem, routes: &[Route], c: &Candidate, dist: i64) -> Option<i64> {
    if job_count(routes, c) == 0 {
        return Some(0);
    }
    let vt = &p.vehicle_types[c.vt];
    if dist > vt.max_distance {
        return None;
    }
    let mut acc: Option<(DurationSegment, LoadSegment, usize)> = None;
    let push = |acc: &mut Option<(DurationSegment, LoadSegment, usize)>,
                first: usize,
                d: DurationSegment,
                l: LoadSegment,
                end: usize| {
        *acc = Some(match acc.take() {
            None => (d, l, end),
            Some((ad, al, last)) => (ad.then(p.duration(last, first), &d), al.then(&l), end),
        });
    };
    for &pc in c.pieces() {
        match pc {
            Piece::Prefix { r, to } => {
                let rt = &routes[r];
                push(&mut acc, rt.locs[0], rt.fwd[to], rt.lfwd[to], rt.locs[to]);
            }
            Piece::Suffix { r, from } => {
                let rt = &routes[r];
                let end = rt.locs[rt.locs.len() - 1];
                push(&mut acc, rt.locs[from], rt.bwd[from], rt.lbwd[from], end);
            }
            Piece::Range { r, a, b } => {
                let rt = &routes[r];
                for k in a..=b {
                    let (d, l) = visit(p, rt.jobs[k - 1]);
                    push(&mut acc, rt.locs[k], d, l, rt.locs[k]);
                }
            }
            Piece::Rev { r, a, b } => {
                let rt = &routes[r];
                for k in (a..=b).rev() {
                    let (d, l) = visit(p, rt.jobs[k - 1]);
                    push(&mut acc, rt.locs[k], d, l, rt.locs[k]);
                }
            }
        }
    }
    let (d, l, _) = acc?;
    if d.time_warp > 0 || d.duration > vt.max_duration || !l.fits(&vt.capacity, p.dims) {
        return None;
    }
    Some(route_cost(vt, dist, d.duration))
}

/// The job sequence of a candidate (O(route length); used when applying).
pub(crate) fn jobs_of(routes: &[Route], c: &Candidate, out: &mut Vec<usize>) {
    out.clear();
    for &pc in c.pieces() {
        match pc {
            Piece::Prefix { r, to } => out.extend_from_slice(&routes[r].jobs[..to]),
            Piece::Suffix { r, from } => {
                let rt = &routes[r];
                if from <= rt.len() {
                    out.extend_from_slice(&rt.jobs[from - 1..]);
                }
            }
            Piece::Range { r, a, b } => out.extend_from_slice(&routes[r].jobs[a - 1..b]),
            Piece::Rev { r, a, b } => out.extend(routes[r].jobs[a - 1..b].iter().rev()),
        }
    }
}

/// Jobs next to the joints between pieces (their neighbourhood changed).
pub(crate) fn joint_jobs(routes: &[Route], c: &Candidate, out: &mut Vec<usize>) {
    let job_at = |r: usize, pos: usize| -> Option<usize> {
        let rt = &routes[r];
        (pos >= 1 && pos <= rt.len()).then(|| rt.jobs[pos - 1])
    };
    for &pc in c.pieces() {
        let (f, l) = match pc {
            Piece::Prefix { r, to } => (None, job_at(r, to)),
            Piece::Suffix { r, from } => (job_at(r, from), None),
            Piece::Range { r, a, b } => (job_at(r, a), job_at(r, b)),
            Piece::Rev { r, a, b } => (job_at(r, b), job_at(r, a)),
        };
        out.extend(f);
        out.extend(l);
    }
}
