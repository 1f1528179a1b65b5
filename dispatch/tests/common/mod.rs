//! Fixtures shared by the re-planning test binaries.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use milkrun_dispatch::io::{generate_events, EventMix, EventRecord, TimedRecord};
use milkrun_dispatch::{
    CourierSpec, Dispatch, Event, EventKind, ReplanOptions, StopSpec, TravelTimes, Weights,
};

/// The main delivery window, 05:00-07:30.
pub const OPEN: (i64, i64) = (18_000, 27_000);

/// Locations on a line: location `i` sits at `pos[i]` (minutes of riding from 0); 1 minute = 250 m.
pub fn line(pos: &[i64]) -> TravelTimes {
    TravelTimes::from_fn(pos.len(), |i, j| {
        ((pos[i] - pos[j]).abs() * 60, (pos[i] - pos[j]).abs() * 250)
    })
}

/// A courier with the given bottles, shift 04:15-09:00.
pub fn courier(id: u32, capacity: i64) -> CourierSpec {
    CourierSpec {
        id,
        capacity,
        shift_start_s: 15_300,
        shift_end_s: 32_400,
    }
}

/// A morning with depot 0, `stops`, and two couriers (ids 1 and 2) carrying `capacity.0` and
/// `capacity.1` bottles, default weights; no plan yet.
pub fn two_couriers(times: TravelTimes, stops: Vec<StopSpec>, capacity: (i64, i64)) -> Dispatch {
    Dispatch::new(
        times,
        0,
        stops,
        vec![courier(1, capacity.0), courier(2, capacity.1)],
        Weights::default(),
    )
    .expect("a valid two-courier morning")
}

/// Re-plan options with a budget that never binds in a test.
pub fn opts() -> ReplanOptions {
    ReplanOptions {
        budget: std::time::Duration::from_secs(10),
        ..Default::default()
    }
}

/// 60 households on an 8 x 8 grid of 1-minute blocks, 3 couriers on a poor plan (every third
/// household, so the couriers criss-cross the grid), and a seeded stream of orders-free events
/// (cancellations, failures, delays, one breakdown).
pub fn grid_day(seed: u64, weights: Weights) -> (Dispatch, Vec<TimedRecord>) {
    let n = 65;
    let xy = |l: usize| {
        if l == 0 {
            (4i64, 4i64)
        } else {
            (((l - 1) % 8) as i64, ((l - 1) / 8) as i64)
        }
    };
    let times = TravelTimes::from_fn(n, |i, j| {
        let (a, b) = (xy(i), xy(j));
        let d = (a.0 - b.0).abs() + (a.1 - b.1).abs();
        (d * 60, d * 250)
    });
    let stops = (1..n as u32)
        .map(|l| StopSpec {
            household: l,
            loc: l,
            bottles: 1 + (l as i64 % 2),
            service_s: 40,
            window_s: if l % 7 == 0 { (19_800, 23_400) } else { OPEN },
        })
        .collect();
    let couriers = (1..=3).map(|k| courier(k, 40)).collect();
    let mut d = Dispatch::new(times, 0, stops, couriers, weights).unwrap();
    let plan: Vec<Vec<u32>> = (0..3)
        .map(|k| (0..64u32).filter(|s| s % 3 == k).collect())
        .collect();
    d.set_plan(&plan, &opts()).unwrap();
    let mut mix = EventMix::morning(seed, 40);
    mix.span_s = (18_000, 21_600);
    mix.shares = [0.0, 0.3, 0.0, 0.4];
    let events = generate_events(&d, &mix, &[], &[], 1000);
    (d, events)
}

/// The library event of a generated record.
pub fn to_event(r: &TimedRecord) -> Event {
    let kind = match &r.record {
        EventRecord::Cancel { household } => EventKind::Cancel {
            household: *household,
        },
        EventRecord::Failed { household, retry_s } => EventKind::Failed {
            household: *household,
            retry_s: *retry_s,
        },
        EventRecord::Breakdown { courier } => EventKind::Breakdown {
            courier: *courier as usize - 1,
        },
        EventRecord::Delay { courier, delay_s } => EventKind::Delay {
            courier: *courier as usize - 1,
            delay_s: *delay_s,
        },
        other => panic!("unexpected {other:?}"),
    };
    Event {
        time_s: r.time_s,
        kind,
    }
}

/// A large morning: `cols × 50` households on a grid of 150 m blocks (30 s of riding each),
/// the depot in the middle, one courier per two columns (100 households each, capacity 200,
/// shift 04:15-09:00), every household in 05:00-07:30. With `plan`, every courier rides its
/// two columns in a snake (a feasible plan, set without search).
pub fn big_day(cols: usize, plan: bool) -> Dispatch {
    let rows = 50usize;
    let n = cols * rows + 1;
    let xy = |l: usize| {
        if l == 0 {
            ((cols / 2) as i64, (rows / 2) as i64)
        } else {
            (((l - 1) / rows) as i64, ((l - 1) % rows) as i64)
        }
    };
    let times = TravelTimes::from_fn(n, |i, j| {
        let (a, b) = (xy(i), xy(j));
        let d = (a.0 - b.0).abs() + (a.1 - b.1).abs();
        (d * 30, d * 150)
    });
    let stops = (1..n as u32)
        .map(|l| StopSpec {
            household: l,
            loc: l,
            bottles: 1 + (l as i64 % 2),
            service_s: 30,
            window_s: OPEN,
        })
        .collect();
    let k = cols.div_ceil(2);
    let couriers = (1..=k as u32).map(|id| courier(id, 200)).collect();
    let mut d = Dispatch::new(times, 0, stops, couriers, Weights::default()).unwrap();
    if plan {
        let routes: Vec<Vec<u32>> = (0..k)
            .map(|c| {
                let mut r = Vec::new();
                for col in 2 * c..(2 * c + 2).min(cols) {
                    let mut column: Vec<u32> =
                        (0..rows).map(|row| (col * rows + row) as u32).collect();
                    if col % 2 == 1 {
                        column.reverse();
                    }
                    r.extend(column);
                }
                r
            })
            .collect();
        d.set_plan(&routes, &opts()).unwrap();
    }
    d
}

/// Runs `call` while another thread sets the cancel flag after `after`; returns the report
/// and how long the call took to return after the flag was set.
pub fn cancel_after<R>(after: Duration, call: impl FnOnce(Arc<AtomicBool>) -> R) -> (R, Duration) {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            let at = Instant::now();
            flag.store(true, Ordering::Relaxed);
            at
        })
    };
    let report = call(flag);
    let returned = Instant::now();
    let set_at = setter.join().expect("the setter thread ends");
    (report, returned.saturating_duration_since(set_at))
}
