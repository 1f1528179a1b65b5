//! Live re-planning (issue #5): one small hand-checked case per event type, breakdowns that
//! cannot be absorbed, committed and done stops that never move, determinism.

use crate::common;
use common::{grid_day, line, opts, to_event, two_couriers, OPEN};

use milkrun_dispatch::io::{parse_events, write_events, EventRecord, TimedRecord};
use milkrun_dispatch::{
    verify, Dispatch, Event, EventKind, ReplanOptions, StopSpec, StopState, Strategy, TravelTimes,
    UnservedReason, Weights,
};

fn stop(household: u32, loc: u32) -> StopSpec {
    StopSpec {
        household,
        loc,
        bottles: 1,
        service_s: 30,
        window_s: OPEN,
    }
}

/// Depot at 0; households 1, 2, 3 east at 1, 2, 3 minutes; households 4, 5 west at -1, -2.
/// Courier 0 rides east, courier 1 west.
fn two_way_day() -> Dispatch {
    let times = line(&[0, 1, 2, 3, -1, -2]);
    let stops = (1..=5).map(|h| stop(h, h)).collect();
    let mut d = two_couriers(times, stops, (10, 10));
    d.set_plan(&[vec![0, 1, 2], vec![3, 4]], &opts()).unwrap();
    d
}

fn ev(time_s: i64, kind: EventKind) -> Event {
    Event { time_s, kind }
}

/// The initial schedule: leave at 04:59 to reach the first door at 05:00, 30 s per door.
#[test]
fn initial_schedule_is_exact() {
    let d = two_way_day();
    assert_eq!(d.eta()[0..3], [Some(18_000), Some(18_090), Some(18_180)]);
    assert_eq!(d.first_promise()[2], Some(18_180));
    assert!(verify(&d, None).is_empty());
}

/// A cancellation removes the stop; the next household is reached 2 minutes earlier
/// (skip 1 minute there and 1 back, service 30 s saved: 18 030 + 120 = 18 150).
#[test]
fn cancellation() {
    let mut d = two_way_day();
    let before = d.routes().to_vec();
    let r = d
        .apply(ev(18_010, EventKind::Cancel { household: 2 }), &opts())
        .unwrap();
    assert_eq!(d.routes()[0].committed, Some(0));
    assert_eq!(d.routes()[0].planned, vec![2]);
    assert_eq!(d.states()[1], StopState::Cancelled);
    assert_eq!(d.eta()[2], Some(18_150));
    assert!(r.moved.is_empty());
    assert!(verify(&d, Some(&before)).is_empty());
    // Too late: the courier is already on the way to household 1.
    let r = d
        .apply(ev(18_020, EventKind::Cancel { household: 1 }), &opts())
        .unwrap();
    assert_eq!(r.notes.len(), 1);
    assert_eq!(d.routes()[0].committed, Some(0));
}

/// A new order 4 minutes east goes to the east courier; one whose window closes before any
/// courier can get there is reported unserved with the earliest possible arrival.
#[test]
fn new_order() {
    let mut d = two_way_day();
    let row = [
        (240, 1000),
        (180, 750),
        (120, 500),
        (60, 250),
        (300, 1250),
        (360, 1500),
    ];
    let loc = d.add_location(&row, &row).unwrap();
    let order = |household, window_s| {
        EventKind::NewOrder(StopSpec {
            household,
            loc,
            bottles: 2,
            service_s: 30,
            window_s,
        })
    };
    let r = d
        .apply(ev(18_010, order(9, (18_500, 27_000))), &opts())
        .unwrap();
    assert_eq!(r.added, vec![5]);
    assert!(d.routes()[0].planned.contains(&5));
    assert!(r.moved.is_empty() && r.unserved.is_empty());
    assert!(verify(&d, None).is_empty());
    // Courier 0 leaves household 1 at 18 030 and needs 180 s: 18 210 > 18 120.
    let r = d
        .apply(ev(18_020, order(10, (18_000, 18_120))), &opts())
        .unwrap();
    assert_eq!(
        r.unserved,
        vec![(6, UnservedReason::WindowMissed { earliest_s: 18_210 })]
    );
}

/// A failed delivery with a retry window adds a retry stop for the same household, served
/// by the same courier in the window; without a window it is carried over.
#[test]
fn failed_delivery() {
    let mut d = two_way_day();
    let r = d
        .apply(
            ev(
                18_100,
                EventKind::Failed {
                    household: 1,
                    retry_s: Some((19_000, 20_000)),
                },
            ),
            &opts(),
        )
        .unwrap();
    assert_eq!(d.states()[0], StopState::Failed);
    assert_eq!(r.added, vec![5]);
    assert_eq!(d.stops()[5].household, 1);
    let k = d
        .routes()
        .iter()
        .position(|r| r.planned.contains(&5) || r.committed == Some(5))
        .unwrap();
    assert_eq!(k, 0, "the retry stays with the courier who knows the door");
    // Household 3 is last east: 18 210 done there, back to household 1 (2 min) = 18 330, wait to 19 000.
    assert_eq!(d.eta()[5], Some(18_330));
    assert!(verify(&d, None).is_empty());
    d.apply(
        ev(
            18_110,
            EventKind::Failed {
                household: 3,
                retry_s: None,
            },
        ),
        &opts(),
    )
    .unwrap();
    assert_eq!(d.states()[2], StopState::CarriedOver);
    assert!(verify(&d, None).is_empty());
}

/// A breakdown hands the broken courier's remaining stops to the other courier.
#[test]
fn breakdown_absorbed() {
    let mut d = two_way_day();
    let before = d.routes().to_vec();
    let r = d
        .apply(ev(17_990, EventKind::Breakdown { courier: 1 }), &opts())
        .unwrap();
    assert!(!d.routes()[1].active);
    assert_eq!(
        r.moved.len(),
        2,
        "households 4 and 5 (one committed, one planned) change courier"
    );
    assert!(r.unserved.is_empty());
    let mut all: Vec<u32> = d.routes()[0].pending().collect();
    all.sort_unstable();
    assert_eq!(all, vec![0, 1, 2, 3, 4]);
    assert!(
        verify(&d, Some(&before)).is_empty(),
        "{:?}",
        verify(&d, Some(&before))
    );
}

/// When no other courier can absorb the stops, they are reported unserved with reasons.
#[test]
fn breakdown_not_absorbable() {
    let times = line(&[0, 1, 2, 3, -1, -2]);
    let stops = (1..=5).map(|h| stop(h, h)).collect();
    // Courier 1 carries 3 bottles: its own three households, nothing more.
    let mut d = two_couriers(times, stops, (3, 10));
    d.set_plan(&[vec![0, 1, 2], vec![3, 4]], &opts()).unwrap();
    let r = d
        .apply(ev(17_990, EventKind::Breakdown { courier: 1 }), &opts())
        .unwrap();
    assert_eq!(r.unserved.len(), 2);
    assert!(
        r.unserved.iter().all(|u| u.1 == UnservedReason::NoCapacity),
        "{:?}",
        r.unserved
    );
    assert!(matches!(
        d.states()[3],
        StopState::Unserved(UnservedReason::NoCapacity)
    ));
    assert!(verify(&d, None).is_empty());
    // And with nobody left.
    let r = d
        .apply(ev(18_060, EventKind::Breakdown { courier: 0 }), &opts())
        .unwrap();
    assert!(r
        .unserved
        .iter()
        .all(|u| u.1 == UnservedReason::NoActiveCourier));
    assert_eq!(
        r.unserved.len(),
        2,
        "the committed and the planned east stop"
    );
}

/// A delay that makes a narrow window unreachable moves that stop to the other courier.
#[test]
fn courier_delayed() {
    let times = line(&[0, 1, 2, 1]);
    let mut stops: Vec<StopSpec> = (1..=3).map(|h| stop(h, h)).collect();
    stops[1].window_s = (18_000, 18_300); // household 2 must be served by 05:05
    let mut d = two_couriers(times, stops, (10, 10));
    d.set_plan(&[vec![0, 1], vec![2]], &opts()).unwrap();
    let r = d
        .apply(
            ev(
                18_010,
                EventKind::Delay {
                    courier: 0,
                    delay_s: 600,
                },
            ),
            &opts(),
        )
        .unwrap();
    assert_eq!(
        r.moved,
        vec![milkrun_dispatch::Move {
            stop: 1,
            from: 0,
            to: 1
        }]
    );
    assert!(verify(&d, None).is_empty());
}

/// A traffic update that slows courier 0's legs tenfold makes its last stop late; it is
/// moved, and a slowed committed leg is kept (the courier is already riding it).
#[test]
fn traffic_update() {
    let mut stops: Vec<StopSpec> = (1..=3).map(|h| stop(h, h)).collect();
    stops[1].window_s = (18_000, 18_600);
    let pos = [0i64, 1, 3, 1];
    let mut d = two_couriers(line(&pos), stops, (10, 10));
    d.set_plan(&[vec![0, 1], vec![2]], &opts()).unwrap();
    let slow = TravelTimes::from_fn(4, |i, j| {
        let base = (pos[i] - pos[j]).abs() * 60;
        (
            if i == 1 || j == 1 { base * 10 } else { base },
            (pos[i] - pos[j]).abs() * 250,
        )
    });
    let before = d.routes().to_vec();
    let r = d
        .apply(ev(17_990, EventKind::Traffic(Box::new(slow))), &opts())
        .unwrap();
    assert_eq!(d.routes()[0].committed, Some(0));
    assert_eq!(
        r.moved,
        vec![milkrun_dispatch::Move {
            stop: 1,
            from: 0,
            to: 1
        }]
    );
    assert!(verify(&d, Some(&before)).is_empty());
}

/// Over a stream of events, done and committed stops never move and every plan passes the
/// independent check, for both the repair and the from-scratch baseline.
#[test]
fn committed_and_done_never_move() {
    for strategy in [Strategy::Repair, Strategy::FromScratch] {
        let (mut d, events) = grid_day(5, Weights::default());
        assert!(events.len() > 30);
        let o = ReplanOptions {
            strategy,
            max_evaluations: Some(20_000),
            budget: std::time::Duration::from_millis(100),
            ..Default::default()
        };
        for e in &events {
            let before = d.routes().to_vec();
            d.apply(to_event(e), &o).unwrap();
            let problems = verify(&d, Some(&before));
            assert!(
                problems.is_empty(),
                "{strategy:?} at {}: {problems:?}",
                e.time_s
            );
        }
        d.finish();
        assert!(d.states().iter().all(|s| !matches!(s, StopState::Pending)));
    }
}

/// The same seed gives the same events and the same routes.
#[test]
fn deterministic_for_a_seed() {
    let run = || {
        let (mut d, events) = grid_day(9, Weights::default());
        for e in &events {
            d.apply(to_event(e), &opts()).unwrap();
        }
        (events, d.routes().to_vec(), d.plan_cost())
    };
    assert_eq!(run(), run());
}

/// Event files round-trip; errors name the line and field.
#[test]
fn event_file() {
    let events = vec![
        TimedRecord {
            time_s: 19_000,
            record: EventRecord::Traffic {
                factor: 0.5,
                ways: vec![12, 34],
            },
        },
        TimedRecord {
            time_s: 19_100,
            record: EventRecord::Order {
                household: 9,
                lat: 47.1,
                lon: 9.52,
                bottles: 2,
                service_s: 30,
                window_s: (20_000, 27_000),
            },
        },
        TimedRecord {
            time_s: 19_200,
            record: EventRecord::Cancel { household: 3 },
        },
        TimedRecord {
            time_s: 19_300,
            record: EventRecord::Failed {
                household: 4,
                retry_s: Some((21_000, 22_000)),
            },
        },
        TimedRecord {
            time_s: 19_300,
            record: EventRecord::Failed {
                household: 5,
                retry_s: None,
            },
        },
        TimedRecord {
            time_s: 19_400,
            record: EventRecord::Breakdown { courier: 2 },
        },
        TimedRecord {
            time_s: 19_500,
            record: EventRecord::Delay {
                courier: 1,
                delay_s: 300,
            },
        },
    ];
    let text = write_events(&events);
    assert_eq!(parse_events(&text, "e").unwrap(), events);
    let bad = "05:00,cancel,1\n05:01,delay,1,soon\n";
    let e = parse_events(bad, "e.events").unwrap_err();
    assert_eq!(
        e.to_string(),
        "e.events:2: field `seconds`: `soon` is not an integer"
    );
    assert!(parse_events("06:00,cancel,1\n05:00,cancel,2\n", "e").is_err());
}
