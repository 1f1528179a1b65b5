//! Bad input never panics and never half-changes the day: every error of `apply` leaves
//! the day exactly as it was, names the field at fault, and quantities are bounded.

use crate::common;

use common::{courier, line, opts, two_couriers, OPEN};
use milkrun_dispatch::error::{MAX_BOTTLES, MAX_COURIERS, MAX_TIME_S};
use milkrun_dispatch::{
    CourierSpec, Dispatch, Event, EventKind, ReplanError, StopSpec, TravelTimes, Weights,
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

/// A planned morning on a line (depot 0, households at 1..=4 minutes), clock at 05:00.
fn planned() -> Dispatch {
    let mut d = two_couriers(
        line(&[0, 1, 2, 3, 4]),
        (1..=4).map(|h| stop(h, h)).collect(),
        (10, 10),
    );
    d.set_plan(&[vec![0, 1], vec![2, 3]], &opts()).unwrap();
    d.apply(
        Event {
            time_s: 18_000,
            kind: EventKind::Delay {
                courier: 0,
                delay_s: 0,
            },
        },
        &opts(),
    )
    .unwrap();
    d
}

/// Every error path of `apply`: the error names the field, and the day is unchanged
/// (compared whole, matrix included).
#[test]
fn apply_is_atomic_on_every_error() {
    let cases: Vec<(Event, &str)> = vec![
        (
            Event {
                time_s: 17_000,
                kind: EventKind::Cancel { household: 1 },
            },
            "event.time_s",
        ),
        (
            Event {
                time_s: MAX_TIME_S + 1,
                kind: EventKind::Cancel { household: 1 },
            },
            "event.time_s",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Failed {
                    household: 1,
                    retry_s: Some((21_000, 20_000)),
                },
            },
            "event.retry_s",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Failed {
                    household: 1,
                    retry_s: Some((-5, 20_000)),
                },
            },
            "event.retry_s.0",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Breakdown { courier: 7 },
            },
            "event.courier",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Delay {
                    courier: 9,
                    delay_s: 60,
                },
            },
            "event.courier",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Delay {
                    courier: 0,
                    delay_s: i64::MAX,
                },
            },
            "event.delay_s",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::Traffic(Box::new(line(&[0, 1, 2]))),
            },
            "event.times",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::NewOrder(StopSpec {
                    bottles: i64::MAX,
                    ..stop(9, 2)
                }),
            },
            "event.order.bottles",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::NewOrder(stop(9, 99)),
            },
            "event.order.loc",
        ),
        (
            Event {
                time_s: 19_000,
                kind: EventKind::NewOrder(StopSpec {
                    window_s: (20_000, 19_000),
                    ..stop(9, 2)
                }),
            },
            "event.order.window_s",
        ),
    ];
    for (event, field) in cases {
        let mut d = planned();
        let before = d.clone();
        let err = d.apply(event.clone(), &opts()).unwrap_err();
        assert!(
            err.to_string().starts_with(field),
            "{event:?}: `{err}` should name `{field}`"
        );
        assert!(d == before, "{event:?} changed the day before failing");
    }
}

/// An event older than the clock is refused with both times.
#[test]
fn stale_event_is_refused() {
    let mut d = planned();
    let err = d
        .apply(
            Event {
                time_s: 17_999,
                kind: EventKind::Cancel { household: 4 },
            },
            &opts(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        ReplanError::StaleEvent {
            event_s: 17_999,
            clock_s: 18_000
        }
    );
}

/// Quantities out of range are errors naming the field at `Dispatch::new`, never a wrap or
/// an overflow: `i64::MAX` bottles, a negative service time, a capacity of `i64::MAX`, a
/// reversed shift, too many couriers, a negative travel time.
#[test]
fn quantities_are_bounded_at_new() {
    let new = |stops: Vec<StopSpec>, couriers: Vec<CourierSpec>| {
        Dispatch::new(line(&[0, 1, 2]), 0, stops, couriers, Weights::default())
    };
    let err = |r: Result<Dispatch, ReplanError>| r.map(|_| ()).unwrap_err().to_string();
    let huge = StopSpec {
        bottles: i64::MAX,
        ..stop(1, 1)
    };
    assert!(err(new(vec![huge], vec![courier(1, 5)])).starts_with("stops[0].bottles"));
    let bottles = StopSpec {
        bottles: MAX_BOTTLES + 1,
        ..stop(1, 1)
    };
    assert!(
        err(new(vec![stop(2, 2), bottles], vec![courier(1, 5)])).starts_with("stops[1].bottles")
    );
    let slow = StopSpec {
        service_s: -1,
        ..stop(1, 1)
    };
    assert!(err(new(vec![slow], vec![courier(1, 5)])).starts_with("stops[0].service_s"));
    assert!(
        err(new(vec![stop(1, 1)], vec![courier(1, i64::MAX)])).starts_with("couriers[0].capacity")
    );
    let reversed = CourierSpec {
        shift_start_s: 30_000,
        shift_end_s: 20_000,
        ..courier(1, 5)
    };
    assert!(err(new(vec![stop(1, 1)], vec![reversed])).starts_with("couriers[0].shift_s"));
    let many = (0..=MAX_COURIERS as u32).map(|k| courier(k, 5)).collect();
    assert!(err(new(vec![stop(1, 1)], many)).starts_with("couriers"));
    let negative = TravelTimes::new(2, vec![0, -1, 1, 0], vec![0, 1, 1, 0]);
    assert_eq!(
        negative.map(|_| ()).unwrap_err().to_string(),
        "times.travel_s[0][1]: negative travel time or distance from location 0 to 1"
    );
}

/// Weights out of range are refused at `Dispatch::new` and by `set_weights` (which then
/// leaves the weights as they were).
#[test]
fn weights_are_bounded() {
    let huge = Weights {
        unserved_penalty: i64::MAX,
        ..Weights::default()
    };
    let err = Dispatch::new(
        line(&[0, 1]),
        0,
        vec![stop(1, 1)],
        vec![courier(1, 5)],
        huge,
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        err.to_string().starts_with("weights.unserved_penalty"),
        "{err}"
    );
    let mut d = planned();
    let negative = Weights {
        move_cost: -1,
        ..Weights::default()
    };
    assert!(d.set_weights(negative).is_err());
    assert_eq!(d.weights(), Weights::default());
}
