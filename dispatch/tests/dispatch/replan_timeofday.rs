//! Live re-planning (issue #5): time-of-day travel times, jams that clear, and the day's
//! outcome (retries and carry-overs counted apart from unserved stops).

use milkrun_dispatch::io::{generate_events, EventMix, EventRecord};
use milkrun_dispatch::{
    verify, CourierSpec, Dispatch, Event, EventKind, ReplanOptions, SlotTimes, SpeedSlot, StopSpec,
    StopState, TravelTimes, Weights,
};

/// Depot 0 at 0; household A (location 1) 10 minutes east, B (location 2) 10 minutes west.
/// From 06:00 to 08:00 every leg touching A (the town core) takes three times as long:
/// `base * (500 + 100) / 200`.
fn rush_line() -> TravelTimes {
    let pos = [0i64, 10, -10];
    TravelTimes::from_fn(3, |i, j| {
        ((pos[i] - pos[j]).abs() * 60, (pos[i] - pos[j]).abs() * 250)
    })
    .with_slots(vec![SpeedSlot {
        start_s: 21_600,
        end_s: 28_800,
        times: SlotTimes::Factors(vec![100, 500, 100]),
    }])
    .unwrap()
}

/// One courier free from 05:50; A and B open 05:00-07:30, 30 s at the door.
fn rush_day(times: TravelTimes, weights: Weights) -> Dispatch {
    let stop = |household: u32, loc: u32| StopSpec {
        household,
        loc,
        bottles: 1,
        service_s: 30,
        window_s: (18_000, 27_000),
    };
    let courier = CourierSpec {
        id: 1,
        capacity: 10,
        shift_start_s: 21_000,
        shift_end_s: 32_400,
    };
    Dispatch::new(
        times,
        0,
        vec![stop(1, 1), stop(2, 2)],
        vec![courier],
        weights,
    )
    .unwrap()
}

fn opts() -> ReplanOptions {
    ReplanOptions {
        budget: std::time::Duration::from_secs(10),
        ..Default::default()
    }
}

/// A leg takes the time of the slot it departs in: 10 minutes to A before 06:00, 30 minutes
/// from 06:00; a leg between depot and B is unchanged (mean factor 100%).
#[test]
fn leg_departing_in_the_slow_slot_takes_longer() {
    let t = rush_line();
    assert_eq!(t.travel_at(0, 1, 21_599), 600);
    assert_eq!(t.travel_at(0, 1, 21_600), 1_800);
    assert_eq!(t.travel_at(1, 2, 21_630), 3_600);
    assert_eq!(t.travel_at(0, 2, 22_000), 600);
    assert_eq!(t.travel_at(0, 1, 28_800), 600, "the slot ends at 08:00");
    assert_eq!(t.travel_max(0, 1, 21_000, 32_400), 1_800);
}

/// Without time of day both orders cost 40 minutes. With the rush, A must come first:
/// A, B = 10 min before 06:00 + 60 min A->B in the rush + 10 min back = 4 800 s; B, A would be
/// 10 + 60 + 30 = 6 000 s. Arrivals: A at 06:00 (21 600), B at 21 630 + 3 600 = 25 230.
#[test]
fn rush_changes_the_order_of_the_plan() {
    let mut flat = rush_day(
        TravelTimes::from_fn(3, |i, j| {
            let pos = [0i64, 10, -10];
            ((pos[i] - pos[j]).abs() * 60, (pos[i] - pos[j]).abs() * 250)
        }),
        Weights::default(),
    );
    flat.set_plan(&[vec![]], &opts()).unwrap();
    assert_eq!(flat.plan_cost(), 2_400);

    let mut d = rush_day(rush_line(), Weights::default());
    d.set_plan(&[vec![]], &opts()).unwrap();
    assert_eq!(d.routes()[0].planned, vec![0, 1]);
    assert_eq!(d.eta()[0], Some(21_600));
    assert_eq!(d.eta()[1], Some(25_230));
    assert_eq!(d.plan_cost(), 4_800);
    assert!(verify(&d, None).is_empty());
}

/// Given the order B, A (6 000 s in the rush), a re-plan swaps it to A, B (4 800 s) when
/// promises do not hold it back.
#[test]
fn replan_reorders_for_the_rush() {
    let w = Weights {
        promise_per_s: 0,
        ..Weights::default()
    };
    let mut d = rush_day(rush_line(), w);
    d.set_plan(&[vec![1, 0]], &opts()).unwrap();
    assert_eq!(d.plan_cost(), 6_000);
    let r = d.reoptimize(&opts());
    assert_eq!(d.routes()[0].planned, vec![0, 1]);
    assert_eq!(r.cost, 4_800);
    assert!(verify(&d, None).is_empty());
}

/// The clock runs the legs at their departure time: at 07:00 the courier has served A
/// (06:00) and is riding the slow A->B leg (arrives 25 230 = 07:00:30), so B is committed.
#[test]
fn clock_uses_time_dependent_legs() {
    let mut d = rush_day(rush_line(), Weights::default());
    d.set_plan(&[vec![]], &opts()).unwrap();
    d.apply(
        Event {
            time_s: 25_200,
            kind: EventKind::Delay {
                courier: 0,
                delay_s: 0,
            },
        },
        &opts(),
    )
    .unwrap();
    assert!(matches!(
        d.states()[0],
        StopState::Done {
            arrival_s: 21_600,
            ..
        }
    ));
    assert_eq!(d.routes()[0].committed, Some(1));
    d.finish();
    // 600 out + 3 600 A->B + 600 back.
    assert_eq!(d.driven().0, 4_800);
}

/// A traffic update replaces the base matrix and keeps the time-of-day slots.
#[test]
fn traffic_keeps_the_slots() {
    let mut d = rush_day(rush_line(), Weights::default());
    d.set_plan(&[vec![]], &opts()).unwrap();
    let pos = [0i64, 10, -10];
    let slower = TravelTimes::from_fn(3, |i, j| {
        ((pos[i] - pos[j]).abs() * 120, (pos[i] - pos[j]).abs() * 250)
    });
    d.apply(
        Event {
            time_s: 21_000,
            kind: EventKind::Traffic(Box::new(slower)),
        },
        &opts(),
    )
    .unwrap();
    assert_eq!(d.times().slots().len(), 1);
    assert_eq!(d.times().travel_at(0, 1, 21_600), 3_600);
}

/// Every generated jam has a clearing event (factor 1) on the same ways 15-45 minutes later.
#[test]
fn jams_clear() {
    let mut d = rush_day(rush_line(), Weights::default());
    d.set_plan(&[vec![]], &opts()).unwrap();
    let mut mix = EventMix::morning(3, 40);
    mix.shares = [0.5, 0.0, 0.0, 0.0];
    mix.breakdown_s = None;
    let events = generate_events(&d, &mix, &[11, 12, 13, 14, 15, 16], &[], 1000);
    let jams: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.record {
            EventRecord::Traffic { factor, ways } if *factor < 1.0 => Some((e.time_s, ways)),
            _ => None,
        })
        .collect();
    assert!(jams.len() >= 5);
    for (t, ways) in jams {
        assert!(ways.len() <= 4);
        assert!(events.iter().any(|e| matches!(&e.record,
            EventRecord::Traffic { factor, ways: w }
                if *factor == 1.0 && w == ways && e.time_s >= t + 900 && e.time_s <= t + 2700)));
    }
    assert_eq!(events.len(), 40);
}

/// The day's outcome: a failure with a retry that is delivered, a failure carried to
/// tomorrow, and a new order that cannot be reached in time, each counted apart.
#[test]
fn day_summary_counts_outcomes_apart() {
    let mut d = rush_day(rush_line(), Weights::default());
    d.set_plan(&[vec![]], &opts()).unwrap();
    // A is done at 21 630; the household was out: retry 07:10-08:30 (the courier, after B,
    // rides back to A in the rush: 25 260 + 3 600 = 28 860).
    let ev = |time_s, kind| Event { time_s, kind };
    d.apply(
        ev(
            21_700,
            EventKind::Failed {
                household: 1,
                retry_s: Some((25_800, 30_600)),
            },
        ),
        &opts(),
    )
    .unwrap();
    // B is served at 25 230; the household was out and asks for tomorrow.
    d.apply(
        ev(
            25_300,
            EventKind::Failed {
                household: 2,
                retry_s: None,
            },
        ),
        &opts(),
    )
    .unwrap();
    // A new order at B's door to serve by 07:02: the courier is riding to A, too late.
    d.apply(
        ev(
            25_300,
            EventKind::NewOrder(StopSpec {
                household: 9,
                loc: 2,
                bottles: 1,
                service_s: 30,
                window_s: (25_300, 25_320),
            }),
        ),
        &opts(),
    )
    .unwrap();
    d.finish();
    let s = d.summary();
    assert_eq!(
        s.delivered, 0,
        "A failed (retried), B failed (carried over)"
    );
    assert_eq!(s.failed, 2);
    assert_eq!(s.carried_over, 1);
    assert_eq!(s.delivered_retry, 1);
    assert_eq!(s.unserved_total(), 1);
    assert_eq!(s.retry_unserved_total(), 0);
}
