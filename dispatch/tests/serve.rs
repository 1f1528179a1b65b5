//! What a server needs from the live day: cancellation honoured (a call with a 10-minute
//! budget returns once its flag is set, and says so; how soon is measured by the `cancel`
//! benchmark, `cargo run --release -p milkrun-bench --bin cancel`), progress reports, and a
//! reproducible nightly plan under iteration limits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{big_day, grid_day};
use milkrun_dispatch::{Dispatch, ImproveOptions, Phase, ReplanOptions, ReplanReport, Weights};

/// The tests of this file run one at a time: the long solves must not share the machine's
/// cores with each other (cargo runs a binary's tests in parallel).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `call` while another thread sets the cancel flag after `after`; returns the report
/// and how long the call took to return after the flag was set.
fn cancel_after(
    after: Duration,
    call: impl FnOnce(Arc<AtomicBool>) -> ReplanReport,
) -> (ReplanReport, Duration) {
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

/// Background improvement of a planned 3,000-stop morning with a 10-minute budget stops
/// once the cancel flag is set, and says it was cancelled; the plan it leaves is feasible.
#[test]
fn improve_honours_cancel() {
    let _serial = serial();
    let mut day = big_day(60, true);
    assert_eq!(day.stops().len(), 3_000);
    let (report, late) = cancel_after(Duration::from_millis(300), |flag| {
        day.improve(&ImproveOptions {
            budget: Duration::from_secs(600),
            cancel: Some(flag),
            ..Default::default()
        })
    });
    assert!(report.cancelled);
    // Not a timing: without the flag the call would run its 600 s budget.
    assert!(
        late < Duration::from_secs(60),
        "returned {late:?} after the flag"
    );
    assert!(milkrun_dispatch::verify(&day, None).is_empty());
}

/// The nightly plan of a 3,000-stop morning with a 10-minute budget (VRP solver, then
/// polish) stops once the cancel flag is set.
#[test]
fn plan_with_solver_honours_cancel() {
    let _serial = serial();
    let mut day = big_day(60, false);
    let (report, late) = cancel_after(Duration::from_millis(1_500), |flag| {
        day.plan_with_solver(&ReplanOptions {
            budget: Duration::from_secs(600),
            cancel: Some(flag),
            ..Default::default()
        })
        .unwrap()
    });
    assert!(report.cancelled);
    // Not a timing: without the flag the call would run its 600 s budget.
    assert!(
        late < Duration::from_secs(60),
        "returned {late:?} after the flag"
    );
    assert!(milkrun_dispatch::verify(&day, None).is_empty());
}

/// The nightly plan with iteration limits (solver and polish) and a budget it does not
/// reach: the same seed and input give the same routes and arrivals.
#[test]
fn nightly_plan_is_reproducible_under_iteration_limits() {
    let _serial = serial();
    let plan = |seed: u64| {
        let (mut day, _) = grid_day(3, Weights::default());
        let empty = vec![Vec::new(); day.couriers().len()];
        day.set_plan(&empty, &ReplanOptions::default()).unwrap();
        let mut fresh = Dispatch::new(
            day.times().clone(),
            day.depot(),
            day.stops().to_vec(),
            day.couriers().to_vec(),
            Weights::default(),
        )
        .unwrap();
        let r = fresh
            .plan_with_solver(&ReplanOptions {
                budget: Duration::from_secs(120),
                seed,
                iteration_limit: Some(300),
                polish_iterations: Some(100),
                ..Default::default()
            })
            .unwrap();
        assert!(!r.cancelled);
        (fresh.routes().to_vec(), fresh.eta().to_vec(), r.cost)
    };
    let a = plan(7);
    let b = plan(7);
    assert_eq!(a, b);
    assert!(a.0.iter().map(|r| r.planned.len()).sum::<usize>() > 50);
}

/// The progress callback hears every phase of an improvement, ending with `Done` at the
/// cost the report gives.
#[test]
fn progress_reports_phases_and_cost() {
    let _serial = serial();
    let (mut day, _) = grid_day(2, Weights::default());
    let seen: Arc<Mutex<Vec<(Phase, i64)>>> = Arc::default();
    let sink = seen.clone();
    let report = day.improve(&ImproveOptions {
        budget: Duration::from_secs(30),
        max_iterations: Some(50),
        progress: Some(Arc::new(move |p| {
            sink.lock().unwrap().push((p.phase, p.cost));
        })),
        ..Default::default()
    });
    let seen = seen.lock().unwrap();
    let phases: Vec<Phase> = seen.iter().map(|p| p.0).collect();
    assert_eq!(
        phases,
        vec![
            Phase::Repair,
            Phase::Eject,
            Phase::LocalSearch,
            Phase::RuinRecreate,
            Phase::Done
        ]
    );
    assert_eq!(seen.last().map(|p| p.1), Some(report.cost));
    assert!(seen.iter().all(|p| p.1 > 0));
}

/// The nightly plan reports the VRP solver's progress (its best cost) and then the
/// polish's phases, ending with `Done` at the plan's cost.
#[test]
fn nightly_plan_reports_solver_progress() {
    let _serial = serial();
    let (day, _) = grid_day(4, Weights::default());
    let mut fresh = Dispatch::new(
        day.times().clone(),
        day.depot(),
        day.stops().to_vec(),
        day.couriers().to_vec(),
        Weights::default(),
    )
    .unwrap();
    let seen: Arc<Mutex<Vec<(Phase, i64)>>> = Arc::default();
    let sink = seen.clone();
    let report = fresh
        .plan_with_solver(&ReplanOptions {
            budget: Duration::from_secs(60),
            iteration_limit: Some(200),
            polish_iterations: Some(20),
            progress: Some(Arc::new(move |p| {
                sink.lock().unwrap().push((p.phase, p.cost));
            })),
            ..Default::default()
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|p| p.0 == Phase::Solver && p.1 > 0),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&(Phase::Done, report.cost)));
}
