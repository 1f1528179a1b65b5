//! More bottles for a household already on the day's plan (a late order, issue #22's gap):
//! the stop grows where its trike carries it, moves to another courier or is left unserved
//! with the reason where it does not, and is refused (the day unchanged) where it cannot
//! grow: no pending stop, a total over the maximum, a courier already on the way whose trike
//! would be over its capacity. A replayed event id does not grow it twice.

use crate::common;
use common::{line, opts, two_couriers, OPEN};

use milkrun_dispatch::error::MAX_BOTTLES;
use milkrun_dispatch::{
    verify, Dispatch, Event, EventKind, LiveDay, LoggedEvent, Move, ReplanError, StopSpec,
    StopState, UnservedReason,
};

/// Depot at 0; households 1, 2, 3 east at 1, 2, 3 minutes (courier 0), households 4, 5
/// west at -1, -2 (courier 1); one bottle each, trikes of 10.
fn day() -> Dispatch {
    let times = line(&[0, 1, 2, 3, -1, -2]);
    let stops = (1..=5)
        .map(|h| StopSpec {
            household: h,
            loc: h,
            bottles: 1,
            service_s: 30,
            window_s: OPEN,
        })
        .collect();
    let mut d = two_couriers(times, stops, (10, 10));
    d.set_plan(&[vec![0, 1, 2], vec![3, 4]], &opts()).unwrap();
    d
}

fn add(time_s: i64, household: u32, bottles: i64) -> Event {
    Event {
        time_s,
        kind: EventKind::AddBottles { household, bottles },
    }
}

fn field_of(e: ReplanError) -> String {
    match e {
        ReplanError::Household { field, .. } | ReplanError::OutOfRange { field, .. } => field,
        other => panic!("{other:?}"),
    }
}

/// A stop that still fits its trike grows in place; one that no longer does moves to the
/// courier with room; one no trike carries is unserved for want of capacity.
#[test]
fn a_stop_grows_moves_or_is_left_for_capacity() {
    let mut d = day();
    // 05:00:10: courier 0 is on its way to household 1; household 2 takes 4 more (load 7).
    let r = d.apply(add(18_010, 2, 4), &opts()).unwrap();
    assert_eq!(d.stops()[1].bottles, 5);
    assert_eq!(d.routes()[0].planned, vec![1, 2]);
    assert!(r.moved.is_empty() && r.unserved.is_empty(), "{r:?}");
    assert!(verify(&d, None).is_empty());
    // At 05:00:30 courier 1 has set off to household 5: 9 more would overload its trike.
    let mut later = d.clone();
    let e = later.apply(add(18_030, 5, 9), &opts()).unwrap_err();
    assert!(e.to_string().contains("on the way to the door"), "{e}");
    assert_eq!(later, d);
    // Household 3 takes 7 more: 1 + 5 + 8 = 14 on courier 0's trike; courier 1 has 2 + 8.
    let r = d.apply(add(18_020, 3, 7), &opts()).unwrap();
    assert_eq!(d.stops()[2].bottles, 8);
    assert_eq!(
        r.moved,
        vec![Move {
            stop: 2,
            from: 0,
            to: 1
        }]
    );
    assert!(d.routes()[1].pending().any(|s| s == 2));
    assert!(verify(&d, None).is_empty());
    // Household 5 takes 9 more (10 bottles) before courier 1 sets off to it: no trike has
    // room left.
    let r = d.apply(add(18_020, 5, 9), &opts()).unwrap();
    assert_eq!(r.unserved, vec![(4, UnservedReason::NoCapacity)]);
    assert_eq!(
        d.states()[4],
        StopState::Unserved(UnservedReason::NoCapacity)
    );
    let faults = verify(&d, None);
    assert!(faults.is_empty(), "{faults:?}");
}

/// Refusals name the field and leave the day as it was: bottles out of range, a household
/// with nothing left to deliver, a total over the maximum, a courier on the way to the door
/// whose trike would be over its capacity.
#[test]
fn refusals_change_nothing() {
    let mut d = day();
    let before = d.clone();
    for (event, field) in [
        (add(18_010, 2, 0), "event.bottles"),
        (add(18_010, 2, -3), "event.bottles"),
        (add(18_010, 2, i64::MAX), "event.bottles"),
        (add(18_010, 99, 1), "event.household"),
        // Courier 0 is on the way to household 1: 3 + 8 bottles on a trike of 10.
        (add(18_010, 1, 8), "event.bottles"),
    ] {
        let e = d.apply(event, &opts()).unwrap_err();
        assert_eq!(field_of(e), field);
        assert_eq!(d, before);
    }
    // A total over the most one stop takes (a courier with room for it).
    let mut big = day();
    big.apply(add(18_010, 2, MAX_BOTTLES - 1), &opts()).unwrap();
    let e = big.apply(add(18_020, 2, 1), &opts()).unwrap_err();
    assert!(
        e.to_string().contains("over the most one stop takes"),
        "{e}"
    );
    // Household 1 delivered: nothing left to grow.
    d.apply(
        Event {
            time_s: 18_100,
            kind: EventKind::Delivered { household: 1 },
        },
        &opts(),
    )
    .unwrap();
    assert!(matches!(d.states()[0], StopState::Done { .. }));
    let e = d.apply(add(18_110, 1, 1), &opts()).unwrap_err();
    assert_eq!(field_of(e), "event.household");
}

/// The event is logged by its fields and re-applied from the log the same; a live day
/// answers a replayed id without growing the stop again.
#[test]
fn logged_and_replayed_once() {
    let event = add(18_010, 2, 4);
    let logged = LoggedEvent::of(&event, "");
    assert_eq!(logged.to_event(), Some(event.clone()));
    let mut live = LiveDay::open(day());
    let first = live
        .apply("late-1", 1, None, event.clone(), &opts())
        .unwrap();
    assert!(!first.replayed);
    let again = live.apply("late-1", 2, None, event, &opts()).unwrap();
    assert!(again.replayed);
    assert_eq!(again.plan_version, first.plan_version);
    assert_eq!(live.day().stops()[1].bottles, 5);
    assert_eq!(live.version(), 2);
}
