//! A live day survives a restart: exported, (serialized,) restored, it answers the same
//! events with the same plans; a tampered state is refused with the field named.

use crate::common;

use common::{grid_day, opts, to_event};
use milkrun_dispatch::{DayState, Dispatch, Weights};

/// Plans the grid morning, applies the first 15 events; returns the day and the rest.
fn half_day() -> (Dispatch, Vec<milkrun_dispatch::Event>) {
    let (mut d, records) = grid_day(11, Weights::default());
    let events: Vec<_> = records.iter().map(to_event).collect();
    assert!(events.len() > 25);
    for e in &events[..15] {
        d.apply(e.clone(), &opts()).unwrap();
    }
    (d, events[15..].to_vec())
}

/// Applies `events` to a day, then finishes the day; returns it.
fn play(mut d: Dispatch, events: &[milkrun_dispatch::Event]) -> Dispatch {
    for e in events {
        d.apply(e.clone(), &opts()).unwrap();
    }
    d.finish();
    d
}

/// Export then restore gives the same day; the same further events then give identical
/// plans (routes, arrivals, states) on the original and the restored day.
#[test]
fn export_restore_round_trip() {
    let (d, rest) = half_day();
    let restored = Dispatch::restore(d.export()).unwrap();
    assert!(restored == d);
    let a = play(d, &rest);
    let b = play(restored, &rest);
    assert_eq!(a.routes(), b.routes());
    assert_eq!(a.eta(), b.eta());
    assert_eq!(a.states(), b.states());
    assert!(a == b);
    assert!(a.summary().delivered > 0);
}

/// Through JSON (feature `serde`): the same plans after the same further events.
#[cfg(feature = "serde")]
#[test]
fn export_json_restore_round_trip() {
    let (d, rest) = half_day();
    let json = serde_json::to_string(&d.export()).unwrap();
    let state: DayState = serde_json::from_str(&json).unwrap();
    let restored = Dispatch::restore(state).unwrap();
    let a = play(d, &rest);
    let b = play(restored, &rest);
    assert_eq!(a.routes(), b.routes());
    assert_eq!(a.eta(), b.eta());
    assert_eq!(a.states(), b.states());
}

/// Tampered states are refused with an error naming the field (no panic).
#[test]
fn tampered_state_is_refused() {
    let (d, _) = half_day();
    let good = d.export();
    type Tamper = Box<dyn Fn(&mut DayState)>;
    let cases: Vec<(Tamper, &str)> = vec![
        (Box::new(|s| s.depot = 999), "depot"),
        (
            Box::new(|s| s.stops[3].bottles = i64::MAX),
            "stops[3].bottles",
        ),
        (Box::new(|s| s.stops[4].loc = 999), "stops[4].loc"),
        (
            Box::new(|s| {
                s.states.pop();
            }),
            "states",
        ),
        (Box::new(|s| s.courier_of[0] = Some(99)), "courier_of[0]"),
        (
            Box::new(|s| s.neighbours[2] = vec![9_999]),
            "neighbours[2][0]",
        ),
        (
            Box::new(|s| s.times.travel_s.truncate(10)),
            "times.travel_s",
        ),
        (
            Box::new(|s| s.couriers[1].capacity = -1),
            "couriers[1].capacity",
        ),
        (
            Box::new(|s| s.weights.unserved_penalty = i64::MAX),
            "weights.unserved_penalty",
        ),
        (Box::new(|s| s.clock_s = -1), "clock_s"),
        (
            Box::new(|s| {
                let r = s.routes.iter().position(|r| !r.planned.is_empty()).unwrap();
                let x = s.routes[r].planned[0];
                s.routes[r].planned.push(x);
            }),
            ".planned[",
        ),
        (
            Box::new(|s| s.routes[0].planned.push(60_000)),
            "routes[0].planned[",
        ),
        (
            Box::new(|s| {
                s.routes.pop();
            }),
            "routes",
        ),
    ];
    for (tamper, field) in cases {
        let mut state = good.clone();
        tamper(&mut state);
        let err = Dispatch::restore(state)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "`{err}` should name `{field}`");
    }
}
