//! A day driven by the couriers' own reports (`Progression::Reported`): deliveries,
//! positions, sign-offs and failures move it; late reports are recorded at their own time;
//! a replayed delivery is not counted twice; stale events are refused.

use crate::common;

use common::{line, opts, two_couriers, OPEN};
use milkrun_dispatch::io::{parse_events, write_events, EventRecord};
use milkrun_dispatch::{
    verify, Dispatch, Event, EventKind, Note, Progression, ReplanError, ReplanReport, StopSpec,
    StopState,
};

/// Depot 0; households 1, 2 east (1 and 2 minutes), 3, 4 west (-1, -2 minutes). Courier 0
/// rides east, courier 1 west; the day is driven by reports.
fn reported_day() -> Dispatch {
    let stops = (1..=4)
        .map(|h| StopSpec {
            household: h,
            loc: h,
            bottles: 1,
            service_s: 30,
            window_s: OPEN,
        })
        .collect();
    let mut d = two_couriers(line(&[0, 1, 2, -1, -2]), stops, (10, 10));
    d.set_plan(&[vec![0, 1], vec![2, 3]], &opts()).unwrap();
    d.set_progression(Progression::Reported);
    d
}

fn at(d: &mut Dispatch, time_s: i64, kind: EventKind) -> ReplanReport {
    d.apply(Event { time_s, kind }, &opts()).unwrap()
}

/// With reports only, the clock passing every planned arrival delivers nothing; a reported
/// delivery marks the stop done and moves the courier on; a sign-off hands the courier's
/// stops to the other.
#[test]
fn reports_drive_the_day() {
    let mut d = reported_day();
    at(&mut d, 25_000, EventKind::Position { courier: 1, loc: 0 });
    assert_eq!(d.clock_s(), 25_000);
    assert!(d.states().iter().all(|s| *s == StopState::Pending));
    assert_eq!(d.summary().delivered, 0);
    at(&mut d, 25_100, EventKind::Delivered { household: 1 });
    assert_eq!(
        d.states()[0],
        StopState::Done {
            courier: 0,
            arrival_s: 25_100
        }
    );
    assert_eq!(d.routes()[0].done, vec![0]);
    assert_eq!(d.routes()[0].committed, Some(1));
    assert_eq!(d.routes()[0].anchor_loc, 1);
    assert_eq!(d.summary().delivered, 1);
    at(&mut d, 25_150, EventKind::Position { courier: 0, loc: 2 });
    assert_eq!(d.routes()[0].anchor_loc, 2);
    at(&mut d, 25_200, EventKind::SignedOff { courier: 1 });
    assert!(!d.routes()[1].active);
    let on_0: Vec<u32> = d.routes()[0].pending().collect();
    assert!(on_0.contains(&2) && on_0.contains(&3), "{on_0:?}");
    assert!(verify(&d, None).is_empty());
}

/// A delivery reported after the clock moved on is recorded at its own time and flagged;
/// the clock does not go back. Reported again, it changes nothing and counts once.
#[test]
fn late_report_recorded_and_replay_not_double_counted() {
    let mut d = reported_day();
    at(&mut d, 25_000, EventKind::Position { courier: 0, loc: 1 });
    let r = at(&mut d, 24_000, EventKind::Delivered { household: 1 });
    assert_eq!(d.clock_s(), 25_000);
    assert_eq!(
        d.states()[0],
        StopState::Done {
            courier: 0,
            arrival_s: 24_000
        }
    );
    assert!(r.notes.contains(&Note::LateReport {
        household: 1,
        time_s: 24_000,
        clock_s: 25_000
    }));
    let routes = d.routes().to_vec();
    let r = at(&mut d, 25_010, EventKind::Delivered { household: 1 });
    assert_eq!(
        r.notes,
        vec![Note::AlreadyDelivered {
            household: 1,
            stop: 0
        }]
    );
    assert_eq!(d.routes()[0].done, routes[0].done);
    assert_eq!(d.routes()[0].load_done, routes[0].load_done);
    assert_eq!(d.summary().delivered, 1);
}

/// A failure reported by the courier is a visit: the stop is done (failed), a retry stop
/// is added in the window asked for.
#[test]
fn reported_failure_is_a_visit() {
    let mut d = reported_day();
    let r = at(
        &mut d,
        19_000,
        EventKind::Failed {
            household: 3,
            retry_s: Some((21_000, 24_000)),
        },
    );
    assert_eq!(d.states()[2], StopState::Failed);
    assert_eq!(d.routes()[1].done, vec![2]);
    assert_eq!(r.added.len(), 1);
    assert_eq!(d.summary().failed, 1);
    assert!(verify(&d, None).is_empty());
    // The same report again: nothing changes, the failure counts once, no second retry.
    let stops = d.stops().len();
    let r = at(
        &mut d,
        19_000,
        EventKind::Failed {
            household: 3,
            retry_s: Some((21_000, 24_000)),
        },
    );
    assert_eq!(
        r.notes,
        vec![Note::AlreadyFailed {
            household: 3,
            stop: 2
        }]
    );
    assert_eq!(d.stops().len(), stops);
    assert_eq!(d.summary().failed, 1);
}

/// A position (or any event but a delivery or failure report) older than the clock is
/// refused.
#[test]
fn stale_position_refused() {
    let mut d = reported_day();
    at(&mut d, 20_000, EventKind::Position { courier: 0, loc: 0 });
    let err = d
        .apply(
            Event {
                time_s: 19_999,
                kind: EventKind::Position { courier: 0, loc: 1 },
            },
            &opts(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        ReplanError::StaleEvent {
            event_s: 19_999,
            clock_s: 20_000
        }
    );
}

/// The event file carries the couriers' reports; a late report may be out of time order;
/// errors name line and field.
#[test]
fn event_file_reports() {
    let text =
        "05:10,position,2,17\n05:20,delivered,1001\n05:15,delivered,1002\n05:30,signedoff,2\n";
    let events = parse_events(text, "reports.csv").unwrap();
    assert_eq!(
        events.iter().map(|e| e.record.clone()).collect::<Vec<_>>(),
        vec![
            EventRecord::Position {
                courier: 2,
                loc: 17
            },
            EventRecord::Delivered { household: 1001 },
            EventRecord::Delivered { household: 1002 },
            EventRecord::SignedOff { courier: 2 },
        ]
    );
    assert_eq!(
        parse_events(&write_events(&events), "again").unwrap(),
        events
    );
    let err = parse_events("05:10,position,2,x\n", "bad.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad.csv:1: field `location`: `x` is not an id"
    );
    let err = parse_events("05:10,signedoff,2\n05:00,position,2,1\n", "bad.csv").unwrap_err();
    assert!(
        err.to_string().starts_with("bad.csv:2: field `time`"),
        "{err}"
    );
}

/// A time with a huge hour count is an error naming the field, not an overflow.
#[test]
fn event_file_huge_hours_refused() {
    let err = parse_events("99999999999999999:00,cancel,1\n", "big.csv").unwrap_err();
    assert!(
        err.to_string().starts_with("big.csv:1: field `time`"),
        "{err}"
    );
}

/// A field that does not parse carries the parser's error as its source (no copy of it as
/// text).
#[test]
fn event_file_errors_keep_their_cause() {
    use std::error::Error as _;
    let err = parse_events("05:00,delay,1,soon\n", "e").unwrap_err();
    let problem = err.source().expect("the field's problem");
    let cause = problem.source().expect("the parser's error");
    assert!(cause.downcast_ref::<std::num::ParseIntError>().is_some());
    assert!(matches!(
        err,
        ReplanError::EventFile {
            line: 1,
            field: "seconds",
            ..
        }
    ));
}
