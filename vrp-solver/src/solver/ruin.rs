//! Ruin: SISR string removal (Christiaens & Vanden Berghe 2020). Removes a
//! few strings (or split strings) of consecutive jobs from routes near a
//! random seed job, so the recreate step can rebuild that area differently.

use super::neighbours::NeighbourLists;
use super::state::{State, NONE};
use crate::problem::Problem;
use crate::rng::Rng;

/// Parameters of the string removal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuinParams {
    /// Average number of removed jobs.
    pub avg_removed: f64,
    /// Longest string removed.
    pub max_string: usize,
    /// Probability of removing a split string instead of a string.
    pub split_rate: f64,
    /// Probability of stopping the growth of the preserved part of a split string.
    pub split_depth: f64,
}

impl Default for RuinParams {
    fn default() -> Self {
        Self {
            avg_removed: 10.0,
            max_string: 10,
            split_rate: 0.5,
            split_depth: 0.01,
        }
    }
}

/// Removes strings around a random job; pushes the removed units to `out`.
pub(crate) fn ruin(
    p: &Problem,
    st: &mut State,
    neighbours: &NeighbourLists,
    params: &RuinParams,
    rng: &mut Rng,
    out: &mut Vec<usize>,
) {
    let nonempty = st.routes.iter().filter(|r| !r.is_empty()).count();
    if nonempty == 0 {
        return;
    }
    let assigned: usize = st.routes.iter().map(|r| r.len()).sum();
    let avg_card = (assigned as f64 / nonempty as f64).max(1.0);
    let ls_max = (params.max_string as f64).min(avg_card);
    let ks_max = (4.0 * params.avg_removed / (1.0 + ls_max) - 1.0).max(1.0);
    let ks = (1.0 + rng.unit() * ks_max).floor() as usize;
    // A random assigned job as the seed.
    let seed = loop {
        let j = rng.below(p.jobs.len());
        if st.route_of[j] != NONE {
            break j;
        }
    };
    let mut ruined: Vec<u32> = Vec::with_capacity(ks);
    let mut positions = Vec::new();
    for &c in std::iter::once(&(seed as u32)).chain(neighbours.of(p, seed).iter()) {
        if ruined.len() >= ks {
            break;
        }
        let r = st.route_of[c as usize];
        if r == NONE || ruined.contains(&r) {
            continue;
        }
        ruined.push(r);
        let route = &st.routes[r as usize];
        let len = route.len();
        let Some(idx) = route.jobs.iter().position(|&x| x == c as usize) else {
            continue;
        };
        let lmax = (ls_max.min(len as f64)).floor().max(1.0) as usize;
        let l = rng.between(1, lmax);
        positions.clear();
        if l == len || !rng.chance(params.split_rate) {
            // A string of length l containing idx.
            let lo = (idx + 1).saturating_sub(l);
            let hi = idx.min(len - l);
            let start = rng.between(lo, hi);
            positions.extend((start..start + l).map(|k| k + 1));
        } else {
            // A string of length l + m containing idx, keeping m in the middle.
            let mut m = 1;
            while m < len - l && !rng.chance(params.split_depth) {
                m += 1;
            }
            let total = l + m;
            let lo = (idx + 1).saturating_sub(total);
            let hi = idx.min(len - total);
            let start = rng.between(lo, hi);
            let keep = rng.between(0, l);
            for k in 0..total {
                if k < keep || k >= keep + m {
                    positions.push(start + k + 1);
                }
            }
        }
        st.remove_positions(p, r as usize, &positions, out);
    }
}

/// Removes every job of route `r`.
pub(crate) fn remove_route(p: &Problem, st: &mut State, r: usize, out: &mut Vec<usize>) {
    let positions: Vec<usize> = (1..=st.routes[r].len()).collect();
    st.remove_positions(p, r, &positions, out);
}
