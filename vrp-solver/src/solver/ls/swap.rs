//! Swap (exchange): the string of one or two jobs starting at `u` trades
//! places with the string of one or two jobs starting at `v` or at `v`'s
//! successor (so that `u` lands next to `v`), across routes or within one.

use super::pieces::{Candidate, Piece};
use super::{Ctx, MoveSink, MAX_GAP};

/// String lengths tried, (at `u`, at the other end).
const LENGTHS: [(usize, usize); 4] = [(1, 1), (2, 1), (1, 2), (2, 2)];

/// Evaluates the exchanges of strings at `u` and near `v`.
pub(crate) fn evaluate(cx: &Ctx<'_>, u: usize, v: usize, sink: &mut MoveSink) {
    let (ru, pu) = cx.at(u);
    let (rv, pv0) = cx.at(v);
    for pv in [pv0, pv0 + 1] {
        for (lu, lv) in LENGTHS {
            let (su, eu) = (pu, pu + lu - 1);
            let (sv, ev) = (pv, pv + lv - 1);
            if eu > cx.routes[ru].len()
                || ev > cx.routes[rv].len()
                || cx.paired(ru, eu)
                || cx.paired(rv, ev)
                || (lu > 1 && cx.paired(ru, su))
                || (lv > 1 && cx.paired(rv, sv))
            {
                continue;
            }
            if ru != rv {
                let a = Candidate::new(
                    ru,
                    cx.routes[ru].vt,
                    &[
                        Piece::Prefix { r: ru, to: su - 1 },
                        Piece::Range {
                            r: rv,
                            a: sv,
                            b: ev,
                        },
                        Piece::Suffix {
                            r: ru,
                            from: eu + 1,
                        },
                    ],
                );
                let b = Candidate::new(
                    rv,
                    cx.routes[rv].vt,
                    &[
                        Piece::Prefix { r: rv, to: sv - 1 },
                        Piece::Range {
                            r: ru,
                            a: su,
                            b: eu,
                        },
                        Piece::Suffix {
                            r: rv,
                            from: ev + 1,
                        },
                    ],
                );
                sink.consider(cx, a, Some(b));
            } else {
                // Same route: the earlier string (s1..e1) and the later (s2..e2).
                let ((s1, e1), (s2, e2)) = if eu < sv {
                    ((su, eu), (sv, ev))
                } else if ev < su {
                    ((sv, ev), (su, eu))
                } else {
                    continue;
                };
                if s2 - e1 - 1 > MAX_GAP {
                    continue;
                }
                let r = ru;
                let mut pieces = [Piece::Prefix { r, to: s1 - 1 }; 5];
                let mut n = 1;
                pieces[n] = Piece::Range { r, a: s2, b: e2 };
                n += 1;
                if s2 > e1 + 1 {
                    pieces[n] = Piece::Range {
                        r,
                        a: e1 + 1,
                        b: s2 - 1,
                    };
                    n += 1;
                }
                pieces[n] = Piece::Range { r, a: s1, b: e1 };
                n += 1;
                pieces[n] = Piece::Suffix { r, from: e2 + 1 };
                n += 1;
                let c = Candidate::new(r, cx.routes[r].vt, &pieces[..n]);
                sink.consider(cx, c, None);
            }
        }
    }
}
