//! Intra-route 2-opt: reverse the jobs between `u` and `v` (at most
//! `MAX_GAP` of them, so evaluation stays O(1) on long routes), creating
//! the arc `u -> v` or `v -> u`. Reversed parts hold no paired job.

use super::pieces::{Candidate, Piece};
use super::{Ctx, MoveSink, MAX_GAP};

/// Evaluates the reversal that makes `u` and `v` adjacent.
pub(crate) fn evaluate(cx: &Ctx<'_>, u: usize, v: usize, sink: &mut MoveSink) {
    let (ru, pu) = cx.at(u);
    let (rv, pv) = cx.at(v);
    if ru != rv {
        return;
    }
    // Keep ..lo, reverse lo+1..=hi, then hi+1..: arc (job at lo) -> (job at hi).
    let (lo, hi) = if pu < pv { (pu, pv) } else { (pv, pu) };
    if hi - lo < 2 || hi - lo > MAX_GAP {
        return;
    }
    if (lo + 1..=hi).any(|k| cx.paired(ru, k)) {
        return;
    }
    let c = Candidate::new(
        ru,
        cx.routes[ru].vt,
        &[
            Piece::Prefix { r: ru, to: lo },
            Piece::Rev {
                r: ru,
                a: lo + 1,
                b: hi,
            },
            Piece::Suffix {
                r: ru,
                from: hi + 1,
            },
        ],
    );
    sink.consider(cx, c, None);
}
