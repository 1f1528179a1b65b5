//! 2-opt* (tail exchange): two routes swap the parts after a cut, creating
//! the arc `v -> u` (or `u -> v`). Only between routes whose vehicles end at
//! the same place with the same shift and accept each other's jobs, and only
//! without pickup-delivery pairs (a tail could split a pair).

use super::pieces::{Candidate, Piece};
use super::{Ctx, MoveSink};

/// Evaluates both tail exchanges joining `u` and `v`.
pub(crate) fn evaluate(cx: &Ctx<'_>, u: usize, v: usize, sink: &mut MoveSink) {
    let (ru, pu) = cx.at(u);
    let (rv, pv) = cx.at(v);
    if ru == rv || !cx.tails_allowed(ru, rv) {
        return;
    }
    let (vu, vv) = (cx.routes[ru].vt, cx.routes[rv].vt);
    // Arc v -> u: rv keeps ..v then u.., ru keeps ..pred(u) then succ(v)..
    let b = Candidate::new(
        rv,
        vv,
        &[
            Piece::Prefix { r: rv, to: pv },
            Piece::Suffix { r: ru, from: pu },
        ],
    );
    let a = Candidate::new(
        ru,
        vu,
        &[
            Piece::Prefix { r: ru, to: pu - 1 },
            Piece::Suffix {
                r: rv,
                from: pv + 1,
            },
        ],
    );
    sink.consider(cx, a, Some(b));
    // Arc u -> v: ru keeps ..u then v.., rv keeps ..pred(v) then succ(u)..
    let a = Candidate::new(
        ru,
        vu,
        &[
            Piece::Prefix { r: ru, to: pu },
            Piece::Suffix { r: rv, from: pv },
        ],
    );
    let b = Candidate::new(
        rv,
        vv,
        &[
            Piece::Prefix { r: rv, to: pv - 1 },
            Piece::Suffix {
                r: ru,
                from: pu + 1,
            },
        ],
    );
    sink.consider(cx, a, Some(b));
}
