//! Granular neighbourhoods on asymmetric matrices (real roads: one-way streets, door-to-door
//! access legs). The operators put `u` right after *or* right before a neighbour `v`, so on
//! an asymmetric matrix both `u -> v` and `v -> u` matter; a list ranked by the outgoing
//! direction alone misses the jobs that are close only coming in. Here the proximity of `v`
//! to `u` is the smaller of the two directions' Vidal et al. proximities (PyVRP's
//! `symmetric_proximity`). Symmetric problems keep [`super::granular_proximity`] unchanged.

use crate::problem::Problem;

/// True when the durations or the distances of `p` are not symmetric.
pub(crate) fn is_asymmetric(p: &Problem) -> bool {
    !(p.symmetric.0 && p.symmetric.1)
}

/// Vidal et al.'s proximity of `b` following `a`: distance `d`, plus 0.2 x the least waiting
/// and 1 x the least time warp when `b` is served right after `a` (travel `t`).
#[inline]
fn directed(p: &Problem, a: usize, b: usize, d: i64, t: i64) -> i64 {
    let (ja, jb) = (&p.jobs[a], &p.jobs[b]);
    let wait = (jb.time_window.start - ja.time_window.end - ja.service - t).max(0);
    let warp = (ja.time_window.start + ja.service + t - jb.time_window.end).max(0);
    d.saturating_add(wait / 5).saturating_add(warp)
}

/// For every job `v != u`, the smaller of the proximities of `v` after `u` and of `u` after
/// `v` (reads the transposed rows of `u` when the problem keeps them).
pub(crate) fn both_ways_proximity(p: &Problem, u: usize, out: &mut Vec<(i64, u32)>) {
    let lu = p.jobs[u].location;
    let dur_from = p.durations_from(lu);
    let dist_from = p.distances_from(lu);
    let dur_to = p.durations_to(lu);
    let dist_to = p.distances_to(lu);
    for (v, jv) in p.jobs.iter().enumerate() {
        if v == u {
            continue;
        }
        let lv = jv.location;
        let out_way = directed(p, u, v, dist_from[lv], dur_from[lv]);
        let d_in = dist_to.map_or_else(|| p.distance(lv, lu), |r| r[lv]);
        let t_in = dur_to.map_or_else(|| p.duration(lv, lu), |r| r[lv]);
        let in_way = directed(p, v, u, d_in, t_in);
        out.push((out_way.min(in_way), v as u32));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::problem::Objective;
    use crate::solver::seeds::tests::problem;

    #[test]
    fn both_ways_takes_the_closer_direction() {
        let p = problem(2, true, Objective::Weighted);
        assert!(is_asymmetric(&p));
        let mut out = Vec::new();
        for u in 0..p.jobs.len() {
            out.clear();
            both_ways_proximity(&p, u, &mut out);
            assert_eq!(out.len(), p.jobs.len() - 1);
            for &(prox, v) in &out {
                let v = v as usize;
                let (lu, lv) = (p.jobs[u].location, p.jobs[v].location);
                let a = directed(&p, u, v, p.distance(lu, lv), p.duration(lu, lv));
                let b = directed(&p, v, u, p.distance(lv, lu), p.duration(lv, lu));
                assert_eq!(prox, a.min(b));
            }
        }
        // Somewhere the incoming direction is the closer one (the test sees asymmetry).
        let mut incoming = false;
        for u in 0..p.jobs.len() {
            out.clear();
            both_ways_proximity(&p, u, &mut out);
            let mut plain = Vec::new();
            crate::solver::ls::granular_proximity(&p, u, &mut plain);
            incoming |= out.iter().zip(&plain).any(|(a, b)| a.0 < b.0);
        }
        assert!(incoming);
        assert!(!is_asymmetric(&problem(2, false, Objective::Weighted)));
    }
}
