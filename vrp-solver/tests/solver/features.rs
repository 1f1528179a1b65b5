//! Known-answer cases for each model feature, every unassigned reason code,
//! validation errors and determinism. Each instance is tiny and hand-checked.

use milkrun_vrp::{
    solve, JobKind, JobSpec, Matrix, Objective, PairIssue, PairSpec, Problem, ProblemError,
    ProblemSpec, Rounding, Solution, SolverOptions, UnassignedReason, VehicleTypeSpec, WindowIssue,
};

use crate::common;
use common::{line, reasons, spec};

fn run(spec: ProblemSpec) -> Solution {
    common::run_seeded(spec, 7)
}

/// Windows force the visiting order 2 then 1 although 1 is nearer; the
/// schedule waits for the window of job 1.
#[test]
fn time_windows_force_order() {
    let mut a = JobSpec::delivery(1, 1, 0);
    a.time_windows = vec![(100, 110)];
    let mut b = JobSpec::delivery(2, 1, 0);
    b.time_windows = vec![(0, 30)];
    let s = run(spec(
        &[0, 10, 20],
        vec![a, b],
        vec![VehicleTypeSpec::simple(1, 10, 0)],
    ));
    assert_eq!(s.job_routes(), vec![vec![1, 0]]);
    let stops = &s.routes[0].stops;
    assert_eq!(stops[1].start, 100);
    assert!(stops[0].start <= 30);
    assert_eq!(s.distance, 40);
}

/// A job needing skill 3 goes to the only vehicle type that has it.
#[test]
fn skills_pick_the_vehicle() {
    let mut a = JobSpec::delivery(1, 1, 0);
    a.skills = vec![3];
    let plain = VehicleTypeSpec::simple(1, 10, 0);
    let mut fridge = VehicleTypeSpec::simple(1, 10, 0);
    fridge.skills = vec![3];
    fridge.fixed_cost = 5;
    let s = run(spec(
        &[0, 10, 20],
        vec![a, JobSpec::delivery(2, 1, 0)],
        vec![plain, fridge],
    ));
    let r = s
        .routes
        .iter()
        .find(|r| r.stops.iter().any(|st| st.job == 0))
        .unwrap();
    assert_eq!(r.vehicle_type, 1);
    assert!(s.unassigned.is_empty());
}

/// Two dimensions: either dimension alone would fit one vehicle, together
/// they need two; loads after each stop are reported per dimension.
#[test]
fn multi_dimensional_capacity() {
    let mut a = JobSpec::delivery(1, 0, 0);
    a.demand = vec![6, 1];
    let mut b = JobSpec::delivery(2, 0, 0);
    b.demand = vec![1, 6];
    let mut c = JobSpec::delivery(3, 0, 0);
    c.demand = vec![3, 3];
    let mut v = VehicleTypeSpec::simple(3, 0, 0);
    v.capacity = vec![10, 8];
    let s = run(spec(&[0, 10, 11, 12], vec![a, b, c], vec![v]));
    assert_eq!(s.vehicles(), 2);
    for r in &s.routes {
        assert!(r.start_load[0] <= 10 && r.start_load[1] <= 8);
        assert_eq!(r.stops.last().unwrap().load_after, vec![0, 0]);
    }
}

/// A pickup-delivery pair: pickup at 30, delivery at 10; the pickup is
/// visited first and the load after it is the carried amount.
#[test]
fn pickup_delivery_pair() {
    let mut sp = spec(
        &[0, 10, 30],
        vec![JobSpec::delivery(1, 4, 0), JobSpec::delivery(2, 4, 0)],
        vec![VehicleTypeSpec::simple(1, 5, 0)],
    );
    sp.pairs = vec![PairSpec {
        pickup: 1,
        delivery: 0,
    }];
    let s = run(sp);
    assert_eq!(s.job_routes(), vec![vec![1, 0]]);
    assert_eq!(s.routes[0].start_load, vec![0]);
    assert_eq!(s.routes[0].stops[0].load_after, vec![4]);
    assert_eq!(s.routes[0].stops[1].load_after, vec![0]);
    assert_eq!(s.distance, 60);
}

/// A pickup job brings its goods back to the depot.
#[test]
fn pickup_job_returns_goods() {
    let mut a = JobSpec::delivery(1, 3, 0);
    a.kind = JobKind::Pickup;
    let s = run(spec(
        &[0, 10],
        vec![a],
        vec![VehicleTypeSpec::simple(1, 5, 0)],
    ));
    assert_eq!(s.routes[0].start_load, vec![0]);
    assert_eq!(s.routes[0].stops[0].load_after, vec![3]);
}

/// An open route ends at its last job: distance 30 instead of 60.
#[test]
fn open_route() {
    let mut v = VehicleTypeSpec::simple(1, 10, 0);
    v.end = None;
    let jobs = vec![
        JobSpec::delivery(1, 1, 0),
        JobSpec::delivery(2, 1, 0),
        JobSpec::delivery(3, 1, 0),
    ];
    let s = run(spec(&[0, 10, 20, 30], jobs, vec![v]));
    assert_eq!(s.distance, 30);
    assert_eq!(s.job_routes(), vec![vec![0, 1, 2]]);
    assert_eq!(s.routes[0].end_time, 30);
}

/// Maximum duration 45 forbids one route over both far jobs (duration 60),
/// so two vehicles are used.
#[test]
fn max_duration_splits_routes() {
    let mut v = VehicleTypeSpec::simple(2, 10, 0);
    v.max_duration = Some(45);
    let jobs = vec![JobSpec::delivery(1, 1, 0), JobSpec::delivery(2, 1, 0)];
    let s = run(spec(&[0, 20, -20], jobs, vec![v]));
    assert_eq!(s.vehicles(), 2);
    assert!(s.routes.iter().all(|r| r.duration <= 45));
}

/// Hierarchical mode uses one vehicle although two are shorter: the two
/// jobs are 20 from the depot but 100 from each other.
#[test]
fn hierarchical_minimises_vehicles() {
    let m = Matrix::new("distances", 3, vec![0, 20, 20, 20, 0, 100, 20, 100, 0]).unwrap();
    let jobs = vec![JobSpec::delivery(1, 1, 0), JobSpec::delivery(2, 1, 0)];
    let mut sp = spec(&[0, 0, 0], jobs, vec![VehicleTypeSpec::simple(2, 10, 0)]);
    sp.durations = m.clone();
    sp.distances = m;
    let weighted = run(sp.clone());
    assert_eq!((weighted.vehicles(), weighted.distance), (2, 80));
    sp.objective = Objective::Hierarchical;
    let hier = run(sp);
    assert_eq!((hier.vehicles(), hier.distance), (1, 140));
}

/// An optional job far away with a small penalty is skipped, and its
/// penalty is part of the cost.
#[test]
fn optional_job_skipped_when_not_worth_it() {
    let mut far = JobSpec::delivery(2, 1, 0);
    far.skip_penalty = Some(50);
    let s = run(spec(
        &[0, 10, 1000],
        vec![JobSpec::delivery(1, 1, 0), far],
        vec![VehicleTypeSpec::simple(1, 10, 0)],
    ));
    assert_eq!(reasons(&s), vec![(1, UnassignedReason::NotWorthServing)]);
    assert_eq!(s.cost, 20 + 50);
}

/// Every reason code, one job each.
#[test]
fn every_reason_code() {
    let mut v = VehicleTypeSpec::simple(1, 10, 0);
    v.max_duration = Some(100);
    v.max_distance = Some(150);
    v.shift = (0, 1000);
    let mut skill = JobSpec::delivery(1, 1, 0);
    skill.skills = vec![5];
    let heavy = JobSpec::delivery(1, 11, 0);
    let mut late = JobSpec::delivery(1, 1, 0);
    late.time_windows = vec![(0, 5)]; // travel 10
    let mut long = JobSpec::delivery(1, 1, 90); // 10 + 90 + 10 > 100
    long.time_windows = vec![(0, 1000)];
    let mut far_dist = JobSpec::delivery(2, 1, 0); // distance 2 × 80 = 160 > 150, duration 160 > 100 too
    far_dist.time_windows = vec![(0, 1000)];
    let ok_a = JobSpec::delivery(1, 9, 0);
    let ok_b = JobSpec::delivery(3, 9, 0); // both fit alone; the single vehicle can take one
    let mut opt = JobSpec::delivery(3, 1, 0);
    opt.skip_penalty = Some(0);
    let jobs = vec![skill, heavy, late, long, ok_a, ok_b, opt];
    let s = run(spec(&[0, 10, 80, 12], jobs, vec![v.clone()]));
    let r = reasons(&s);
    let get = |j: usize| r.iter().find(|x| x.0 == j).map(|x| x.1);
    assert_eq!(get(0), Some(UnassignedReason::MissingSkill));
    assert_eq!(get(1), Some(UnassignedReason::OverCapacity));
    assert_eq!(get(2), Some(UnassignedReason::NoFeasibleWindow));
    assert_eq!(get(3), Some(UnassignedReason::OverMaxDuration));
    assert!(
        get(4).is_none() != get(5).is_none(),
        "exactly one of the two 9-unit jobs fits"
    );
    assert_eq!(get(4).or(get(5)), Some(UnassignedReason::FleetExhausted));
    assert_eq!(get(6), Some(UnassignedReason::NotWorthServing));
    // Max distance alone: a vehicle with a generous duration.
    let mut v2 = v;
    v2.max_duration = None;
    let mut far = JobSpec::delivery(2, 1, 0);
    far.time_windows = vec![(0, 1000)];
    let s2 = run(spec(&[0, 10, 80, 12], vec![far], vec![v2]));
    assert_eq!(reasons(&s2), vec![(0, UnassignedReason::OverMaxDistance)]);
}

/// Validation errors name the offending item and never panic.
#[test]
fn validation_errors() {
    let v = || vec![VehicleTypeSpec::simple(1, 10, 0)];
    let mut bad_loc = JobSpec::delivery(9, 1, 0);
    bad_loc.location = 9;
    let e = Problem::new(spec(&[0, 1], vec![bad_loc], v())).unwrap_err();
    assert!(
        matches!(e, ProblemError::LocationOutOfRange { location: 9, .. }),
        "{e}"
    );
    assert_eq!(e.path().unwrap().to_string(), "jobs[0].location");
    let mut rev = JobSpec::delivery(1, 1, 0);
    rev.time_windows = vec![(10, 5)];
    let e = Problem::new(spec(&[0, 1], vec![JobSpec::delivery(1, 1, 0), rev], v())).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::JobWindow {
                issue: WindowIssue::Reversed,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.path().unwrap().to_string(), "jobs[1].time_windows[0]");
    assert_eq!(
        e.to_string(),
        "jobs[1].time_windows[0] = (10, 5) ends before it starts"
    );
    let neg = JobSpec::delivery(1, -2, 0);
    let e = Problem::new(spec(&[0, 1], vec![neg], v())).unwrap_err();
    assert!(matches!(e, ProblemError::Negative { value: -2, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "jobs[0].demand[0] is -2, must not be negative"
    );
    let mut neg_service = JobSpec::delivery(1, 1, 0);
    neg_service.service = -1;
    let e = Problem::new(spec(&[0, 1], vec![neg_service], v())).unwrap_err();
    assert!(matches!(e, ProblemError::Negative { .. }), "{e}");
    assert_eq!(e.path().unwrap().to_string(), "jobs[0].service");
    let e = Matrix::new("durations", 3, vec![0i64; 8]).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::MatrixSize {
                expected: 9,
                found: 8,
                ..
            }
        ),
        "{e}"
    );
    let e = Matrix::from_f64_scaled(
        "durations",
        2,
        &[0.0, f64::NAN, 1.0, 0.0],
        1.0,
        Rounding::Up,
    )
    .unwrap_err();
    assert!(
        matches!(e, ProblemError::MatrixValue { row: 0, col: 1, .. }),
        "{e}"
    );
    let e = Matrix::from_f64_scaled("distances", 2, &[0.0, -1.0, 1.0, 0.0], 1.0, Rounding::Up)
        .unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::MatrixValue {
                matrix: "distances",
                ..
            }
        ),
        "{e}"
    );
    let mut sp = spec(&[0, 1], vec![JobSpec::delivery(1, 1, 0)], v());
    sp.distances = line(&[0, 1, 2]);
    assert!(matches!(
        Problem::new(sp).unwrap_err(),
        ProblemError::MatrixMismatch { .. }
    ));
    let mut wrong_dims = JobSpec::delivery(1, 1, 0);
    wrong_dims.demand = vec![1, 2];
    let e = Problem::new(spec(&[0, 1], vec![wrong_dims], v())).unwrap_err();
    assert!(
        matches!(e, ProblemError::Dimensions { found: 2, .. }),
        "{e}"
    );
    assert_eq!(e.path().unwrap().to_string(), "jobs[0].demand");
    let mut bad_vehicle = VehicleTypeSpec::simple(1, 10, 0);
    bad_vehicle.end = Some(4);
    let e = Problem::new(spec(&[0, 1], vec![], vec![bad_vehicle])).unwrap_err();
    assert!(
        matches!(e, ProblemError::LocationOutOfRange { location: 4, .. }),
        "{e}"
    );
    assert_eq!(e.path().unwrap().to_string(), "vehicle_types[0].end");
    let mut sp = spec(&[0, 1], vec![JobSpec::delivery(1, 1, 0)], v());
    sp.pairs = vec![PairSpec {
        pickup: 0,
        delivery: 3,
    }];
    let e = Problem::new(sp).unwrap_err();
    assert!(
        matches!(
            e,
            ProblemError::BadPair {
                issue: PairIssue::JobOutOfRange,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.to_string(), "pairs[0].delivery: job index out of range");
    let e = Problem::new(spec(
        &[0, 1],
        vec![],
        vec![VehicleTypeSpec::simple(0, 10, 0)],
    ))
    .unwrap_err();
    assert_eq!(e, ProblemError::NoVehicles);
}

/// A random 40-job instance for the determinism tests.
fn random_spec() -> ProblemSpec {
    let mut rng = milkrun_vrp::rng::Rng::new(3);
    let pts: Vec<(f64, f64)> = (0..41)
        .map(|_| (rng.unit() * 100.0, rng.unit() * 100.0))
        .collect();
    let raw: Vec<f64> = (0..41 * 41)
        .map(|k| {
            let (a, b) = (pts[k / 41], pts[k % 41]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .collect();
    let m = Matrix::from_f64_scaled("distances", 41, &raw, 10.0, Rounding::Nearest).unwrap();
    let jobs = (1..41)
        .map(|l| {
            let mut j = JobSpec::delivery(l, rng.between(1, 9) as i64, 50);
            let s = rng.below(2000) as i64;
            j.time_windows = vec![(s, s + 600)];
            j
        })
        .collect();
    let mut v = VehicleTypeSpec::simple(20, 40, 0);
    v.shift = (0, 5000);
    ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs,
        pairs: vec![],
        vehicle_types: vec![v],
        objective: Objective::Weighted,
    }
}

/// The same seed and thread count with an iteration limit give the same
/// routes, for one and for two threads.
#[test]
fn deterministic_for_seed() {
    let p = Problem::new(random_spec()).unwrap();
    for threads in [1, 2] {
        let o = SolverOptions {
            seed: 11,
            iteration_limit: Some(400),
            threads,
            ..Default::default()
        };
        let a = solve(&p, &o);
        let b = solve(&p, &o);
        assert_eq!(a, b);
        assert!(a.unassigned.is_empty());
    }
}

/// A raised cancellation flag stops the solver at once, even inside the
/// first construction: no job is tried, and every job is listed unassigned
/// with the reason that the search stopped early (none is dropped).
#[test]
fn cancellation_returns_a_solution() {
    let p = Problem::new(random_spec()).unwrap();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s = solve(
        &p,
        &SolverOptions {
            seed: 1,
            cancel: Some(flag),
            ..Default::default()
        },
    );
    assert_eq!(s.vehicles(), 0);
    assert_eq!(s.unassigned.len(), p.num_jobs());
    assert!(s
        .unassigned
        .iter()
        .all(|u| u.reason == milkrun_vrp::UnassignedReason::StoppedEarly));
}
