//! An independent check of a plan, written apart from the search: it recomputes every
//! time along every route from the raw matrix with the plan's own schedule simulator
//! ([`crate::route::schedule`], not the search's cached segments) and checks windows, the return to the depot,
//! capacity, that every pending stop is planned exactly once or listed unserved, and that
//! done and committed stops did not move.

use crate::dispatch::Dispatch;
use crate::model::StopState;
use crate::route::{schedule, CourierRoute};

/// Problems found in a plan (empty: feasible). `before` holds the routes before the
/// re-plan (`dispatch.routes().to_vec()`): done stops must be unchanged, and so must
/// committed stops of couriers still in service (unless the clock has since completed them).
pub fn verify(after: &Dispatch, before: Option<&[CourierRoute]>) -> Vec<String> {
    let mut out = Vec::new();
    let m = after.stops().len();
    let mut seen = vec![0u32; m];
    let times = after.times();
    for (k, r) in after.routes().iter().enumerate() {
        let c = &after.couriers()[k];
        if !r.active {
            if r.committed.is_some() || !r.planned.is_empty() {
                out.push(format!("courier {k} is out of service but still has stops"));
            }
            continue;
        }
        let mut load: i64 = r
            .done
            .iter()
            .map(|&s| after.stops()[s as usize].bottles)
            .sum();
        // The same forward schedule as the plan's (`route::schedule`), on the raw matrix.
        let (visits, back) = schedule(r, after.stops(), times, after.depot());
        for (n, v) in visits.iter().enumerate() {
            let s = v.stop;
            let spec = &after.stops()[s as usize];
            seen[s as usize] += 1;
            if after.states()[s as usize] != StopState::Pending {
                out.push(format!(
                    "courier {k}: stop {s} is on a route but {:?}",
                    after.states()[s as usize]
                ));
            }
            let is_committed = n == 0 && r.committed == Some(s);
            if v.start_s > spec.window_s.1 && !is_committed {
                out.push(format!(
                    "courier {k}: stop {s} starts at {}, after its window ends at {}",
                    v.start_s, spec.window_s.1
                ));
            }
            load += spec.bottles;
        }
        if !r.planned.is_empty() && back > c.shift_end_s {
            out.push(format!(
                "courier {k}: back at the depot at {back}, after its shift ends at {}",
                c.shift_end_s
            ));
        }
        if load > c.capacity {
            out.push(format!(
                "courier {k}: {load} bottles over capacity {}",
                c.capacity
            ));
        }
    }
    for (s, &n) in seen.iter().enumerate() {
        match (after.states()[s], n) {
            (StopState::Pending, 1) => {}
            (StopState::Pending, n) => out.push(format!("pending stop {s} is planned {n} times")),
            (_, 0) => {}
            (st, n) => out.push(format!("stop {s} ({st:?}) is on a route {n} times")),
        }
    }
    if let Some(b) = before {
        for (k, (rb, ra)) in b.iter().zip(after.routes()).enumerate() {
            if ra.done.len() < rb.done.len() || ra.done[..rb.done.len()] != rb.done[..] {
                out.push(format!("courier {k}: stops done were changed"));
            }
            if let Some(c) = rb.committed {
                let still = ra.committed == Some(c)
                    || ra.done[rb.done.len().min(ra.done.len())..].first() == Some(&c);
                if ra.active && !still {
                    out.push(format!("courier {k}: committed stop {c} was moved"));
                }
            }
        }
    }
    out
}
