//! The one conversion of stops and couriers to the VRP solver's problem
//! ([`milkrun_vrp::Problem`]), used by the from-scratch re-solve, the nightly plan
//! ([`crate::Dispatch::plan_with_solver`]) and the front ends.

use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, Problem, ProblemError, ProblemSpec, VehicleTypeSpec,
};

use crate::model::{CourierSpec, StopSpec, TravelTimes};

/// Where and when one vehicle of the solver's problem starts: a courier where it will be
/// free, with the bottles it has left. Every vehicle ends at the depot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VehicleStart {
    /// Location it starts from.
    pub loc: u32,
    /// When it is free to leave, seconds since midnight.
    pub free_s: i64,
    /// Latest return to the depot.
    pub shift_end_s: i64,
    /// Bottles it can still deliver.
    pub capacity: i64,
}

impl VehicleStart {
    /// A courier at the depot before the morning, with its whole trike.
    pub fn at_depot(depot: u32, courier: &CourierSpec) -> VehicleStart {
        VehicleStart {
            loc: depot,
            free_s: courier.shift_start_s,
            shift_end_s: courier.shift_end_s,
            capacity: courier.capacity,
        }
    }
}

/// The solver's problem for serving the stops `jobs` (job `k` of the problem is stop
/// `jobs[k]`) with `vehicles` (vehicle type `v`, count 1, is `vehicles[v]`), ending at
/// `depot`. The solver has no time of day: every leg gets its slowest travel time over
/// departures in `horizon_s` (the base matrix when there are no slots), as travel cost and
/// duration. A job left out costs `skip_penalty` (`None`: it must be served).
///
/// Locations of the problem: 0 is the depot, `1..=vehicles.len()` the vehicles' starts,
/// then one per job in order.
pub fn to_problem(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    jobs: &[u32],
    vehicles: &[VehicleStart],
    horizon_s: (i64, i64),
    skip_penalty: Option<i64>,
) -> Result<Problem, ProblemError> {
    match to_problem_until(
        times,
        depot,
        stops,
        jobs,
        vehicles,
        horizon_s,
        skip_penalty,
        &|| false,
    ) {
        Some(built) => built,
        // Only a stop condition gives up, and this one never says so.
        None => Err(ProblemError::MatrixSize {
            matrix: "durations",
            expected: 0,
            found: 0,
        }),
    }
}

/// Like [`to_problem`], giving up (`None`) as soon as `stop()` says so: the matrix is
/// checked once per row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn to_problem_until(
    times: &TravelTimes,
    depot: u32,
    stops: &[StopSpec],
    jobs: &[u32],
    vehicles: &[VehicleStart],
    horizon_s: (i64, i64),
    skip_penalty: Option<i64>,
    stop: &dyn Fn() -> bool,
) -> Option<Result<Problem, ProblemError>> {
    let mut locs: Vec<u32> = Vec::with_capacity(1 + vehicles.len() + jobs.len());
    locs.push(depot);
    let mut types = Vec::with_capacity(vehicles.len());
    for v in vehicles {
        locs.push(v.loc);
        types.push(VehicleTypeSpec {
            count: 1,
            capacity: vec![v.capacity.max(0)],
            start: locs.len() - 1,
            end: Some(0),
            shift: (v.free_s, v.shift_end_s.max(v.free_s)),
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            skills: Vec::new(),
            reload: None,
        });
    }
    let first_job = locs.len();
    let mut job_specs = Vec::with_capacity(jobs.len());
    for (k, &s) in jobs.iter().enumerate() {
        let Some(st) = stops.get(s as usize) else {
            return Some(Err(ProblemError::LocationOutOfRange {
                path: milkrun_vrp::FieldPath::job(k, "stop"),
                location: s as usize,
                size: stops.len(),
            }));
        };
        locs.push(st.loc);
        job_specs.push(JobSpec {
            location: first_job + k,
            demand: vec![st.bottles],
            kind: JobKind::Delivery,
            service: st.service_s,
            time_windows: vec![st.window_s],
            skills: Vec::new(),
            skip_penalty,
            lateness: None,
        });
    }
    let n = times.len() as u32;
    let size = locs.len();
    let mut data = Vec::with_capacity(size * size);
    for &a in &locs {
        if stop() {
            return None;
        }
        for &b in &locs {
            data.push(if a < n && b < n {
                times.travel_max(a, b, horizon_s.0, horizon_s.1)
            } else {
                crate::model::UNREACHABLE_S
            });
        }
    }
    let m = match Matrix::new("durations", size, data) {
        Ok(m) => m,
        Err(e) => return Some(Err(e)),
    };
    Some(Problem::new(ProblemSpec {
        durations: m.clone(),
        distances: m,
        jobs: job_specs,
        pairs: Vec::new(),
        vehicle_types: types,
        objective: Objective::Weighted,
    }))
}
