//! Relocate and or-opt: move a string of one to three consecutive jobs
//! starting at `u` so that it follows `v` (or precedes it), in `v`'s route
//! or within the same route; the string may also be inserted reversed.

use super::pieces::{Candidate, Piece};
use super::{Ctx, MoveSink, MAX_GAP};

/// Longest string moved.
const MAX_LEN: usize = 3;

/// Evaluates every relocation of a string starting at `u` next to `v`.
pub(crate) fn evaluate(cx: &Ctx<'_>, u: usize, v: usize, sink: &mut MoveSink) {
    let (ru, pu) = cx.at(u);
    let (rv, pv) = cx.at(v);
    let len_u = cx.routes[ru].len();
    for len in 1..=MAX_LEN {
        let (s, e) = (pu, pu + len - 1);
        if e > len_u || cx.paired(ru, e) {
            break;
        }
        // Insert after `v`, or after its predecessor (right before `v`).
        for t in [pv, pv - 1] {
            if ru != rv {
                let a = Candidate::new(
                    ru,
                    cx.routes[ru].vt,
                    &[
                        Piece::Prefix { r: ru, to: s - 1 },
                        Piece::Suffix { r: ru, from: e + 1 },
                    ],
                );
                let vt = cx.routes[rv].vt;
                let mid = Piece::Range { r: ru, a: s, b: e };
                let b = Candidate::new(
                    rv,
                    vt,
                    &[
                        Piece::Prefix { r: rv, to: t },
                        mid,
                        Piece::Suffix { r: rv, from: t + 1 },
                    ],
                );
                sink.consider(cx, a, Some(b));
                if len > 1 {
                    let rev = Piece::Rev { r: ru, a: s, b: e };
                    let b = Candidate::new(
                        rv,
                        vt,
                        &[
                            Piece::Prefix { r: rv, to: t },
                            rev,
                            Piece::Suffix { r: rv, from: t + 1 },
                        ],
                    );
                    sink.consider(cx, a, Some(b));
                }
            } else if t + 1 < s && s - 1 - t <= MAX_GAP {
                // Move the string earlier: ..t | s..e | t+1..s-1 | e+1..
                let c = Candidate::new(
                    ru,
                    cx.routes[ru].vt,
                    &[
                        Piece::Prefix { r: ru, to: t },
                        Piece::Range { r: ru, a: s, b: e },
                        Piece::Range {
                            r: ru,
                            a: t + 1,
                            b: s - 1,
                        },
                        Piece::Suffix { r: ru, from: e + 1 },
                    ],
                );
                sink.consider(cx, c, None);
            } else if t > e && t - e <= MAX_GAP {
                // Move the string later: ..s-1 | e+1..t | s..e | t+1..
                let c = Candidate::new(
                    ru,
                    cx.routes[ru].vt,
                    &[
                        Piece::Prefix { r: ru, to: s - 1 },
                        Piece::Range {
                            r: ru,
                            a: e + 1,
                            b: t,
                        },
                        Piece::Range { r: ru, a: s, b: e },
                        Piece::Suffix { r: ru, from: t + 1 },
                    ],
                );
                sink.consider(cx, c, None);
            }
        }
    }
}
