//! Known-answer cases for the model features that make segments inexact
//! (issue #3): several hard windows per job, soft lateness, and reloads
//! (multiple trips). Each instance is tiny and hand-checked; travel time
//! equals distance along a line.

use milkrun_vrp::{
    solve, FieldPath, JobSpec, Problem, ProblemError, ProblemSpec, ReloadSpec, Solution,
    SolverOptions, StopKind, UnassignedReason, VehicleTypeSpec, WindowIssue,
};

use crate::common;
use common::{reasons, spec};

fn run(spec: ProblemSpec) -> Solution {
    common::run_seeded(spec, 3)
}

/// `segments_exact` is true for a plain problem and false as soon as one job
/// has two windows or soft lateness, or one vehicle type reloads.
#[test]
fn segments_exact_flags_the_features() {
    let plain = || {
        spec(
            &[0, 10],
            vec![JobSpec::delivery(1, 1, 0).with_window(0, 100)],
            vec![VehicleTypeSpec::simple(1, 10, 0)],
        )
    };
    assert!(Problem::new(plain()).unwrap().segments_exact());
    let mut s = plain();
    s.jobs[0] = s.jobs[0].clone().with_windows(&[(0, 5), (50, 60)]);
    assert!(!Problem::new(s).unwrap().segments_exact());
    let mut s = plain();
    s.jobs[0] = s.jobs[0].clone().with_lateness(1, 10);
    assert!(!Problem::new(s).unwrap().segments_exact());
    let mut s = plain();
    s.vehicle_types[0] = s.vehicle_types[0].clone().with_depot_reload(5);
    assert!(!Problem::new(s).unwrap().segments_exact());
}

/// Windows (0, 20) and (100, 120) at distance 50: the first cannot be
/// reached, so service starts at 100 in the second. The vehicle leaves as
/// late as it can (at 50) and returns at 150.
#[test]
fn two_windows_only_the_second_is_feasible() {
    let job = JobSpec::delivery(1, 1, 0).with_windows(&[(0, 20), (100, 120)]);
    let s = run(spec(
        &[0, 50],
        vec![job],
        vec![VehicleTypeSpec::simple(1, 10, 0)],
    ));
    assert!(s.unassigned.is_empty());
    let r = &s.routes[0];
    assert_eq!(r.stops[0].start, 100);
    assert_eq!(r.stops[0].lateness, 0);
    assert_eq!((r.start_time, r.end_time, r.duration), (50, 150, 100));
    assert_eq!(s.distance, 100);
    // With only the first window the job cannot be served at all.
    let only_first = JobSpec::delivery(1, 1, 0).with_windows(&[(0, 20)]);
    let s = run(spec(
        &[0, 50],
        vec![only_first],
        vec![VehicleTypeSpec::simple(1, 10, 0)],
    ));
    assert_eq!(reasons(&s), vec![(0, UnassignedReason::NoFeasibleWindow)]);
}

/// Job 0 at 10 with windows (0, 20) and (100, 120); job 1 at 40 with
/// windows (0, 30) and (60, 70), service 5; time costs 1 per unit. Order
/// 0, 1: job 0 in its first window, job 1 misses (0, 30) and waits for 60,
/// return at 105 after leaving at 10 (duration 95). Order 1, 0: job 1 at 65
/// in its second window, job 0 at 100 in its second, leave at 25, return at
/// 110 (duration 85). Both drive 80, so the second order wins: cost 165.
#[test]
fn second_windows_give_the_shorter_route() {
    let a = JobSpec::delivery(1, 1, 0).with_windows(&[(0, 20), (100, 120)]);
    let b = JobSpec::delivery(2, 1, 5).with_windows(&[(0, 30), (60, 70)]);
    let mut v = VehicleTypeSpec::simple(1, 10, 0);
    v.cost_per_time = 1;
    let s = run(spec(&[0, 10, 40], vec![a, b], vec![v]));
    assert!(s.unassigned.is_empty());
    assert_eq!(s.job_routes(), vec![vec![1, 0]]);
    let r = &s.routes[0];
    assert_eq!((r.stops[0].start, r.stops[1].start), (65, 100));
    assert_eq!((r.start_time, r.end_time), (25, 110));
    assert_eq!((s.distance, s.duration, s.cost), (80, 85, 165));
    // The other order, scheduled by itself: job 1 waits between its windows.
    let p = Problem::new(spec(
        &[0, 10, 40],
        vec![
            JobSpec::delivery(1, 1, 0).with_windows(&[(0, 20), (100, 120)]),
            JobSpec::delivery(2, 1, 5).with_windows(&[(0, 30), (60, 70)]),
        ],
        vec![{
            let mut v = VehicleTypeSpec::simple(1, 10, 0);
            v.cost_per_time = 1;
            v
        }],
    ))
    .unwrap();
    let other = Solution::from_routes(&p, &[(0, vec![0, 1])]).unwrap();
    let r = &other.routes[0];
    assert_eq!(
        (r.stops[0].start, r.stops[1].arrival, r.stops[1].start),
        (20, 50, 60)
    );
    assert_eq!(r.stops[1].wait, 10);
    assert_eq!((r.start_time, r.end_time, other.cost), (10, 105, 80 + 95));
}

/// Two jobs on opposite sides of the depot (at -10 and +10), both with
/// window (0, 10); vehicles cost 100 each. One vehicle serves both with the
/// second visit 20 late (distance 40); two vehicles cost 100 more (distance
/// 40 too). Lateness at 2 per unit (40) is cheaper than a second vehicle;
/// at 10 per unit (200) it is not; with a maximum of 15 it is not allowed.
#[test]
fn soft_lateness_versus_second_vehicle() {
    let case = |cost_per_unit: i64, max: i64| {
        let jobs = vec![
            JobSpec::delivery(1, 1, 0)
                .with_window(0, 10)
                .with_lateness(cost_per_unit, max),
            JobSpec::delivery(2, 1, 0)
                .with_window(0, 10)
                .with_lateness(cost_per_unit, max),
        ];
        let mut v = VehicleTypeSpec::simple(2, 10, 0);
        v.fixed_cost = 100;
        run(spec(&[0, -10, 10], jobs, vec![v]))
    };
    let cheap = case(2, 30);
    assert!(cheap.unassigned.is_empty());
    assert_eq!(cheap.vehicles(), 1);
    assert_eq!(cheap.lateness(), 20);
    assert_eq!(cheap.cost, 100 + 40 + 2 * 20);
    let late_stop = cheap.routes[0].stops.iter().find(|s| s.lateness > 0);
    assert_eq!(late_stop.map(|s| (s.start, s.lateness)), Some((30, 20)));
    assert_eq!(cheap.routes[0].lateness, 20);

    let dear = case(10, 30);
    assert_eq!(dear.vehicles(), 2);
    assert_eq!(dear.lateness(), 0);
    assert_eq!(dear.cost, 200 + 40);

    let capped = case(1, 15);
    assert_eq!(capped.vehicles(), 2);
    assert_eq!(capped.cost, 240);
}

/// Five jobs of 5 units at one place 10 from the depot, one vehicle of
/// capacity 10 that reloads at the depot in 7: three trips (10, 10, 5
/// units), two reload stops, distance 60, duration 60 + 2 × 7 = 74.
/// Without reloads one vehicle serves only 10 units and the rest are
/// unassigned (the fleet is exhausted); with three vehicles all are served.
#[test]
fn reloads_serve_25_units_with_capacity_10() {
    let jobs = || {
        (0..5)
            .map(|_| JobSpec::delivery(1, 5, 0))
            .collect::<Vec<_>>()
    };
    let v = VehicleTypeSpec::simple(1, 10, 0).with_depot_reload(7);
    let s = run(spec(&[0, 10], jobs(), vec![v]));
    assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    assert_eq!(s.vehicles(), 1);
    let r = &s.routes[0];
    assert_eq!(r.trips(), 3);
    assert_eq!(r.trip_loads, vec![vec![10], vec![10], vec![5]]);
    assert_eq!(r.reloads.len(), 2);
    assert!(r.reloads.iter().all(|x| x.location == 0));
    assert_eq!(
        r.reloads.iter().map(|x| x.before).collect::<Vec<_>>(),
        vec![2, 4]
    );
    assert_eq!(
        r.reloads
            .iter()
            .map(|x| x.departure - x.start)
            .collect::<Vec<_>>(),
        vec![7, 7]
    );
    assert_eq!((s.distance, s.duration), (60, 74));
    assert_eq!(
        r.stops.iter().map(|x| x.trip).collect::<Vec<_>>(),
        vec![0, 0, 1, 1, 2]
    );
    assert_eq!(
        r.stops.iter().map(|x| x.load_after[0]).collect::<Vec<_>>(),
        vec![5, 0, 5, 0, 0]
    );
    let kinds = r.visits();
    assert_eq!(kinds.len(), 7);
    assert_eq!(kinds[2], StopKind::Reload(0));
    assert_eq!(kinds[5], StopKind::Reload(0));

    // No reloads, one vehicle: 10 units served, 3 jobs unassigned.
    let s = run(spec(
        &[0, 10],
        jobs(),
        vec![VehicleTypeSpec::simple(1, 10, 0)],
    ));
    assert_eq!(s.unassigned.len(), 3);
    assert!(s
        .unassigned
        .iter()
        .all(|u| u.reason == UnassignedReason::FleetExhausted));
    // No reloads, three vehicles: all served by three routes.
    let s = run(spec(
        &[0, 10],
        jobs(),
        vec![VehicleTypeSpec::simple(3, 10, 0)],
    ));
    assert!(s.unassigned.is_empty());
    assert_eq!((s.vehicles(), s.distance), (3, 60));
}

/// A reload at a listed location near the jobs: two jobs of 10 units at
/// 100, capacity 10, reload location at 90 (not the depot at 0): distance
/// 100 + 10 + 10 + 100 = 220 with the reload at location 2. A job larger
/// than one trip's capacity is over capacity even with reloads.
#[test]
fn reload_at_a_listed_location() {
    let mut v = VehicleTypeSpec::simple(1, 10, 0);
    v.reload = Some(ReloadSpec {
        locations: vec![2],
        duration: 0,
    });
    let jobs = vec![
        JobSpec::delivery(1, 10, 0),
        JobSpec::delivery(1, 10, 0),
        JobSpec::delivery(1, 15, 0),
    ];
    let s = run(spec(&[0, 100, 90], jobs, vec![v]));
    assert_eq!(reasons(&s), vec![(2, UnassignedReason::OverCapacity)]);
    let r = &s.routes[0];
    assert_eq!(r.reloads.len(), 1);
    assert_eq!(r.reloads[0].location, 2);
    assert_eq!(s.distance, 220);
}

/// Reloads take time: with a shift ending at 80 and reloads of 30, the
/// third trip (return at 60 + 2 × 30 = 120) does not fit, so only the jobs
/// of the trips that fit are served (a later trip can't be served).
#[test]
fn reload_time_counts_against_the_shift() {
    let jobs = (0..5).map(|_| JobSpec::delivery(1, 5, 0)).collect();
    let mut v = VehicleTypeSpec::simple(1, 10, 0).with_depot_reload(30);
    v.shift = (0, 80);
    let s = run(spec(&[0, 10], jobs, vec![v]));
    // Two trips: 20 + 30 + 20 = 70 <= 80; three would need 120.
    assert_eq!(s.routes[0].trips(), 2);
    assert_eq!(s.routes[0].stops.len(), 4);
    assert_eq!(s.unassigned.len(), 1);
    assert_eq!(s.unassigned[0].reason, UnassignedReason::FleetExhausted);
}

/// Validation of windows and of the new fields: the error names the job and
/// the window index, or the vehicle type and the field.
#[test]
fn validation_of_new_fields() {
    let v = || vec![VehicleTypeSpec::simple(1, 10, 0)];
    let overlap = JobSpec::delivery(1, 1, 0).with_windows(&[(0, 10), (5, 20)]);
    let e = Problem::new(spec(
        &[0, 1],
        vec![JobSpec::delivery(1, 1, 0), overlap],
        v(),
    ))
    .unwrap_err();
    assert_eq!(
        e,
        ProblemError::JobWindow {
            path: FieldPath::job(1, "time_windows").at(1),
            start: 5,
            end: 20,
            issue: WindowIssue::OverlapsPrevious
        }
    );
    let unsorted = JobSpec::delivery(1, 1, 0).with_windows(&[(50, 60), (0, 10)]);
    let e = Problem::new(spec(&[0, 1], vec![unsorted], v())).unwrap_err();
    assert!(matches!(
        e,
        ProblemError::JobWindow {
            issue: WindowIssue::OverlapsPrevious,
            ..
        }
    ));
    assert_eq!(e.path(), Some(FieldPath::job(0, "time_windows").at(1)));
    let reversed = JobSpec::delivery(1, 1, 0).with_windows(&[(0, 10), (30, 20)]);
    let e = Problem::new(spec(&[0, 1], vec![reversed], v())).unwrap_err();
    assert!(matches!(
        e,
        ProblemError::JobWindow {
            issue: WindowIssue::Reversed,
            ..
        }
    ));
    assert_eq!(e.path().unwrap().to_string(), "jobs[0].time_windows[1]");
    let huge = JobSpec::delivery(1, 1, 0).with_windows(&[(0, i64::MAX)]);
    let e = Problem::new(spec(&[0, 1], vec![huge], v())).unwrap_err();
    assert!(matches!(
        e,
        ProblemError::JobWindow {
            issue: WindowIssue::OutOfRange,
            ..
        }
    ));
    let neg = JobSpec::delivery(1, 1, 0).with_lateness(-1, 10);
    let e = Problem::new(spec(&[0, 1], vec![neg], v())).unwrap_err();
    assert!(matches!(e, ProblemError::Negative { value: -1, .. }));
    assert_eq!(
        e.path().unwrap().to_string(),
        "jobs[0].lateness.cost_per_unit"
    );
    let mut bad_reload = VehicleTypeSpec::simple(1, 10, 0);
    bad_reload.reload = Some(ReloadSpec {
        locations: vec![7],
        duration: 1,
    });
    let e = Problem::new(spec(&[0, 1], vec![], vec![bad_reload])).unwrap_err();
    assert!(matches!(
        e,
        ProblemError::LocationOutOfRange { location: 7, .. }
    ));
    assert_eq!(
        e.path().unwrap().to_string(),
        "vehicle_types[0].reload.locations[0]"
    );
    let neg_reload = VehicleTypeSpec::simple(1, 10, 0).with_depot_reload(-3);
    let e = Problem::new(spec(&[0, 1], vec![], vec![neg_reload])).unwrap_err();
    assert!(matches!(e, ProblemError::Negative { value: -3, .. }));
    assert_eq!(
        e.path().unwrap().to_string(),
        "vehicle_types[0].reload.duration"
    );
}

/// The same seed gives the same routes on a problem with every feature.
#[test]
fn deterministic_with_features() {
    let mk = || {
        let pos: Vec<i64> = (0..13).map(|i| (i * 37 % 101) - 50).collect();
        let jobs = (1..13)
            .map(|l| {
                let s = (l as i64 * 53) % 200;
                let mut j =
                    JobSpec::delivery(l, 3, 2).with_windows(&[(s, s + 40), (s + 100, s + 160)]);
                if l % 3 == 0 {
                    j = j.with_lateness(1, 20);
                }
                j
            })
            .collect();
        let v = VehicleTypeSpec::simple(3, 10, 0).with_depot_reload(5);
        Problem::new(spec(&pos, jobs, vec![v])).unwrap()
    };
    let opts = SolverOptions {
        seed: 11,
        iteration_limit: Some(200),
        ..Default::default()
    };
    let a = solve(&mk(), &opts);
    let b = solve(&mk(), &opts);
    assert_eq!(a, b);
    assert!(a.routes.iter().any(|r| !r.reloads.is_empty()));
}

/// Random problems with every feature (two windows, lateness, reloads at two
/// places, a pickup-delivery pair, a distance limit): the solver returns
/// routes whose reported schedules keep every rule, checked here directly
/// from the stops: starts in a window (plus allowed lateness), start after
/// arrival, trip loads within capacity, the pair on one route in order.
#[test]
fn solutions_with_features_keep_every_rule() {
    let mut seed = 12345u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n) as i64
    };
    for case in 0..12 {
        let pos: Vec<i64> = (0..16).map(|_| next(200) - 100).collect();
        let jobs: Vec<JobSpec> = (1..16)
            .map(|l| {
                let s = next(300);
                let mut j = JobSpec::delivery(l, 1 + next(4), next(5))
                    .with_windows(&[(s, s + 20 + next(40)), (s + 120, s + 200 + next(100))]);
                if next(3) == 0 {
                    j = j.with_lateness(1 + next(3), 10 + next(30));
                }
                j
            })
            .collect();
        let mut v = VehicleTypeSpec::simple(3, 8, 0);
        v.reload = Some(ReloadSpec {
            locations: vec![0, 5],
            duration: 4,
        });
        v.max_distance = Some(900);
        let mut sp = spec(&pos, jobs.clone(), vec![v]);
        sp.pairs = vec![milkrun_vrp::PairSpec {
            pickup: 0,
            delivery: 1,
        }];
        let p = Problem::new(sp).unwrap();
        let s = solve(
            &p,
            &SolverOptions {
                seed: case,
                iteration_limit: Some(150),
                ..Default::default()
            },
        );
        assert!(!s.routes.is_empty(), "case {case}: no route");
        let served: usize = s.routes.iter().map(|r| r.stops.len()).sum();
        assert_eq!(served + s.unassigned.len(), jobs.len(), "case {case}");
        for r in &s.routes {
            for st in &r.stops {
                let j = &jobs[st.job];
                let max = j.lateness.map_or(0, |l| l.max);
                assert!(st.start >= st.arrival);
                assert!(j
                    .time_windows
                    .iter()
                    .any(|&(a, b)| a <= st.start && st.start <= b + max));
                assert_eq!(
                    st.lateness > 0,
                    j.time_windows.iter().all(|&(_, b)| st.start > b)
                );
            }
            assert!(r.trip_loads.iter().all(|l| l[0] <= 8));
            assert!(r.stops.iter().all(|st| st.load_after[0] <= 8));
            assert!(r.distance <= 900);
            let at = |job: usize| r.stops.iter().position(|st| st.job == job);
            match (at(0), at(1)) {
                (Some(a), Some(b)) => assert!(a < b),
                (None, None) => {}
                _ => panic!("case {case}: pair split"),
            }
        }
    }
}
