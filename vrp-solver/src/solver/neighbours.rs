//! Nearest-job lists, built lazily: the list of a job is computed the first
//! time the search asks for it (O(n) per job), so that setting up a solve
//! of a large problem costs nothing before the first insertion and the
//! time limit is not spent on lists the search never reads. The lists are
//! the same whenever they are built, so results do not depend on it.

use std::sync::OnceLock;

use crate::problem::Problem;

/// Pushes `(proximity, v)` for every job `v != u` to the buffer (smaller is
/// closer). One call per list: an implementation reads the matrix rows of
/// `u` once instead of two matrix lookups per pair.
pub(crate) type Proximity = fn(&Problem, usize, &mut Vec<(i64, u32)>);

/// The `k` nearest jobs of every job under a [`Proximity`], nearest first
/// (ties by job index), each list built on first use.
pub(crate) struct NeighbourLists {
    k: usize,
    proximity: Proximity,
    rows: Vec<OnceLock<Box<[u32]>>>,
}

impl std::fmt::Debug for NeighbourLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeighbourLists")
            .field("k", &self.k)
            .field(
                "built",
                &self.rows.iter().filter(|r| r.get().is_some()).count(),
            )
            .finish_non_exhaustive()
    }
}

/// Proximity of the ruin step: distance both ways.
pub(crate) fn round_trip(p: &Problem, u: usize, out: &mut Vec<(i64, u32)>) {
    let lu = p.jobs[u].location;
    let from = p.distances_from(lu);
    let to = p.distances_to(lu);
    for (v, job) in p.jobs.iter().enumerate() {
        if v != u {
            let lv = job.location;
            let back = to.map_or_else(|| p.distance(lv, lu), |t| t[lv]);
            out.push((from[lv] + back, v as u32));
        }
    }
}

impl NeighbourLists {
    /// Lists of the `k` nearest jobs (at most all others) of each job of `p`.
    pub fn new(p: &Problem, k: usize, proximity: Proximity) -> Self {
        let n = p.jobs.len();
        Self {
            k: k.min(n.saturating_sub(1)),
            proximity,
            rows: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Lists given in full (tests, and callers that already have them).
    #[cfg(test)]
    pub fn from_lists(lists: Vec<Vec<u32>>) -> Self {
        fn unused(_: &Problem, _: usize, _: &mut Vec<(i64, u32)>) {}
        Self {
            k: lists.iter().map(Vec::len).max().unwrap_or(0),
            proximity: unused,
            rows: lists
                .into_iter()
                .map(|l| OnceLock::from(l.into_boxed_slice()))
                .collect(),
        }
    }

    /// The nearest jobs of job `u`, nearest first.
    pub fn of(&self, p: &Problem, u: usize) -> &[u32] {
        self.rows[u].get_or_init(|| nearest(p, u, self.k, self.proximity))
    }
}

/// The `k` jobs nearest to `u` under `proximity`, nearest first.
fn nearest(p: &Problem, u: usize, k: usize, proximity: Proximity) -> Box<[u32]> {
    let mut tmp: Vec<(i64, u32)> = Vec::with_capacity(p.jobs.len());
    proximity(p, u, &mut tmp);
    let k = k.min(tmp.len());
    if k == 0 {
        return Box::new([]);
    }
    tmp.select_nth_unstable(k - 1);
    tmp[..k].sort_unstable();
    tmp[..k].iter().map(|x| x.1).collect()
}

/// Jobs for which the mean nearest-neighbour cost is computed exactly;
/// larger problems use a regular sample of [`SCALE_SAMPLE`] jobs.
const SCALE_EXACT: usize = 1000;

/// Sample size of the mean nearest-neighbour cost above [`SCALE_EXACT`]
/// jobs (keeps the set-up of a 3,000-job problem to a few milliseconds).
const SCALE_SAMPLE: usize = 250;

/// Mean round-trip distance to the nearest other job, halved (over a
/// regular sample of [`SCALE_SAMPLE`] jobs above [`SCALE_EXACT`] jobs).
pub(crate) fn mean_nearest(p: &Problem) -> f64 {
    let n = p.jobs.len();
    if n < 2 {
        return 0.0;
    }
    let step = if n <= SCALE_EXACT {
        1
    } else {
        n.div_ceil(SCALE_SAMPLE)
    };
    let locs: Vec<usize> = p.jobs.iter().map(|j| j.location).collect();
    let mut sum = 0.0;
    let mut count = 0usize;
    for u in (0..n).step_by(step) {
        let lu = locs[u];
        let from = p.distances_from(lu);
        let to = p.distances_to(lu);
        let mut best = i64::MAX;
        for (v, &lv) in locs.iter().enumerate() {
            if v != u {
                let back = match to {
                    Some(t) => t[lv],
                    None => p.distance(lv, lu),
                };
                best = best.min(from[lv] + back);
            }
        }
        sum += best as f64 / 2.0;
        count += 1;
    }
    sum / count.max(1) as f64
}
