//! Nearest-job lists, built lazily: the list of a job is computed the first
//! time the search asks for it (O(n) per job), so that setting up a solve
//! of a large problem costs nothing before the first insertion and the
//! time limit is not spent on lists the search never reads. The lists are
//! the same whenever they are built, so results do not depend on it.

use std::sync::OnceLock;

use crate::problem::Problem;

/// How close job `v` is to job `u` (smaller is closer).
pub(crate) type Proximity = fn(&Problem, usize, usize) -> i64;

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
pub(crate) fn round_trip(p: &Problem, u: usize, v: usize) -> i64 {
    let (lu, lv) = (p.jobs[u].location, p.jobs[v].location);
    p.distance(lu, lv) + p.distance(lv, lu)
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
        fn unused(_: &Problem, _: usize, _: usize) -> i64 {
            0
        }
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
    let n = p.jobs.len();
    let mut tmp: Vec<(i64, u32)> = (0..n)
        .filter(|&v| v != u)
        .map(|v| (proximity(p, u, v), v as u32))
        .collect();
    let k = k.min(tmp.len());
    if k == 0 {
        return Box::new([]);
    }
    tmp.select_nth_unstable(k - 1);
    tmp[..k].sort_unstable();
    tmp[..k].iter().map(|x| x.1).collect()
}

/// Jobs sampled for the mean nearest-neighbour cost: every job up to this
/// many, a regular sample of this many beyond.
const SCALE_SAMPLE: usize = 1000;

/// Mean round-trip distance to the nearest other job, halved (over a
/// regular sample of [`SCALE_SAMPLE`] jobs on larger problems).
pub(crate) fn mean_nearest(p: &Problem) -> f64 {
    let n = p.jobs.len();
    if n < 2 {
        return 0.0;
    }
    let step = n.div_ceil(SCALE_SAMPLE);
    let mut sum = 0.0;
    let mut count = 0usize;
    for u in (0..n).step_by(step) {
        let best = (0..n)
            .filter(|&v| v != u)
            .map(|v| round_trip(p, u, v))
            .min()
            .unwrap_or(0);
        sum += best as f64 / 2.0;
        count += 1;
    }
    sum / count.max(1) as f64
}
