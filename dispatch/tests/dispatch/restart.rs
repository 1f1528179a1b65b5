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
        (Box::new(|s| s.plan.depot = 999), "depot"),
        (
            Box::new(|s| s.plan.stops[3].bottles = i64::MAX),
            "stops[3].bottles",
        ),
        (Box::new(|s| s.plan.stops[4].loc = 999), "stops[4].loc"),
        (
            Box::new(|s| {
                s.plan.states.pop();
            }),
            "states",
        ),
        (
            Box::new(|s| s.plan.courier_of[0] = Some(99)),
            "courier_of[0]",
        ),
        (
            Box::new(|s| s.plan.neighbours[2] = vec![9_999]),
            "neighbours[2][0]",
        ),
        (
            Box::new(|s| s.times.travel_s.truncate(10)),
            "times.travel_s",
        ),
        (
            Box::new(|s| s.plan.couriers[1].capacity = -1),
            "couriers[1].capacity",
        ),
        (
            Box::new(|s| s.plan.weights.unserved_penalty = i64::MAX),
            "weights.unserved_penalty",
        ),
        (Box::new(|s| s.plan.clock_s = -1), "clock_s"),
        (
            Box::new(|s| {
                let r = s
                    .plan
                    .routes
                    .iter()
                    .position(|r| !r.planned.is_empty())
                    .unwrap();
                let x = s.plan.routes[r].planned[0];
                s.plan.routes[r].planned.push(x);
            }),
            ".planned[",
        ),
        (
            Box::new(|s| s.plan.routes[0].planned.push(60_000)),
            "routes[0].planned[",
        ),
        (
            Box::new(|s| {
                s.plan.routes.pop();
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

/// The day kept in two parts, as the service's store keeps it: the plan without the matrix
/// (JSON) and the matrix as bytes, once. Put together again they give the same day, which
/// answers the further events with the same plans; the plan's JSON holds no matrix, and the
/// bytes (4 per cell) are smaller than the matrix's JSON.
#[cfg(feature = "serde")]
#[test]
fn plan_and_matrix_kept_apart() {
    use milkrun_dispatch::{MatrixState, PlanState, SlotTimes, SpeedSlot, TravelTimes};
    let (d, rest) = half_day();
    let plan_json = serde_json::to_string(&d.export_plan()).unwrap();
    assert!(
        !plan_json.contains("travel_s"),
        "the plan carries no matrix"
    );
    let bytes = d.times().to_state().to_bytes().unwrap();
    let matrix_json = serde_json::to_string(&d.times().to_state()).unwrap();
    assert!(bytes.len() < matrix_json.len(), "{} bytes", bytes.len());
    let times = TravelTimes::from_state(MatrixState::from_bytes(&bytes).unwrap()).unwrap();
    let plan: PlanState = serde_json::from_str(&plan_json).unwrap();
    let restored = Dispatch::restore_with(times, plan).unwrap();
    assert!(restored == d);
    let a = play(d.clone(), &rest);
    let b = play(restored, &rest);
    assert_eq!(a.routes(), b.routes());
    assert_eq!(a.eta(), b.eta());
    assert!(a == b);
    // A state exported whole still reads as its plan (the matrix field is left aside).
    let whole = serde_json::to_string(&d.export()).unwrap();
    let plan: PlanState = serde_json::from_str(&whole).unwrap();
    assert!(plan == d.export_plan());

    // Slots of both kinds survive the bytes.
    let mut state = d.times().to_state();
    let n = state.n;
    state.slots = vec![
        SpeedSlot {
            start_s: 0,
            end_s: 20_000,
            times: SlotTimes::Factors(vec![120; n]),
        },
        SpeedSlot {
            start_s: 20_000,
            end_s: 30_000,
            times: SlotTimes::Matrix(state.travel_s.iter().map(|t| t * 2).collect()),
        },
    ];
    let bytes = state.to_bytes().unwrap();
    assert_eq!(MatrixState::from_bytes(&bytes).unwrap(), state);

    // Bytes that are not a matrix: an error naming the part, never a panic.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"JSON{}".to_vec(), "not a matrix encoding"),
        (bytes[..bytes.len() - 3].to_vec(), "end early"),
        (bytes[..9].to_vec(), "times.travel_s"),
        ([bytes.as_slice(), &[0]].concat(), "after the end"),
        (
            {
                let mut b = bytes.clone();
                b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            "times",
        ),
        (
            {
                let mut b = bytes.clone();
                b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            "times.travel_s",
        ),
    ];
    for (bad, part) in cases {
        let err = MatrixState::from_bytes(&bad).unwrap_err().to_string();
        assert!(err.contains(part), "`{err}` should name `{part}`");
    }
    // A cell outside 0..=MAX_TRAVEL is refused, not clamped.
    let mut negative = d.times().to_state();
    negative.dist_m[5] = -1;
    let err = negative.to_bytes().unwrap_err().to_string();
    assert!(err.contains("times.dist_m[5]"), "{err}");
}
