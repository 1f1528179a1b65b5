//! Converts a loaded benchmark [`Instance`] into a solver [`Problem`].
//!
//! Conventions (shared with the peers' runners so figures compare):
//! - Solomon, Homberger, Li & Lim (exact Euclidean distances): every time and
//!   distance is scaled by [`EXACT_SCALE`] = 1000. Travel cost is
//!   `round(1000·d)`, travel duration is `ceil(1000·d)`, instance times are
//!   integers so `×1000` is exact. Integer feasibility then implies exact
//!   feasibility.
//! - CVRPLIB (nearest-integer distances) and explicit matrices: unscaled;
//!   an explicit matrix is both travel time and distance.
//! - Node `i` of the instance is job `i - 1`; node 0 is the depot.

use milkrun_datasets::{DistanceConvention, Format, Instance, OPEN_HORIZON};
use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemError, ProblemSpec, Rounding,
    VehicleTypeSpec,
};

/// Scale of times and distances for the exact-Euclidean sets.
pub const EXACT_SCALE: f64 = 1000.0;

/// The integer scale used for `inst`: 1000 for exact-distance sets, 10 for
/// DIMACS (one decimal), 1 otherwise.
pub fn scale_of(inst: &Instance) -> f64 {
    match inst.convention {
        DistanceConvention::Exact => EXACT_SCALE,
        DistanceConvention::Dimacs => 10.0,
        DistanceConvention::Nint | DistanceConvention::Explicit => 1.0,
    }
}

/// Builds the solver problem of `inst` with the given objective.
pub fn to_problem(inst: &Instance, objective: Objective) -> Result<Problem, ProblemError> {
    let n = inst.len();
    let scale = scale_of(inst);
    let mut raw = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            raw.push(inst.distance(i, j));
        }
    }
    let distances = Matrix::from_f64_scaled("distances", n, &raw, scale, Rounding::Nearest)?;
    let durations = Matrix::from_f64_scaled("durations", n, &raw, scale, Rounding::Up)?;
    let time = |t: f64| -> i64 {
        if t >= OPEN_HORIZON {
            i64::MAX / 8
        } else {
            (t * scale).round() as i64
        }
    };
    let depot = &inst.nodes[0];
    let (shift_start, shift_end) = if inst.has_time_windows {
        (time(depot.ready), time(depot.due))
    } else {
        (0, i64::MAX / 8)
    };
    let mut jobs = Vec::with_capacity(n.saturating_sub(1));
    let mut pairs = Vec::new();
    for (i, node) in inst.nodes.iter().enumerate().skip(1) {
        let tw = if inst.has_time_windows {
            (time(node.ready), time(node.due))
        } else {
            (0, i64::MAX / 8)
        };
        jobs.push(JobSpec {
            location: i,
            demand: vec![node.demand.abs()],
            kind: JobKind::Delivery,
            service: time(node.service),
            time_windows: vec![tw],
            skills: Vec::new(),
            skip_penalty: None,
            lateness: None,
        });
        if let Some(d) = node.delivery {
            if inst.format == Format::LiLim || node.demand >= 0 {
                pairs.push(PairSpec {
                    pickup: i - 1,
                    delivery: d.saturating_sub(1),
                });
            }
        }
    }
    let vehicle = VehicleTypeSpec {
        count: inst.vehicles.unwrap_or(n.max(1)),
        capacity: vec![inst.capacity],
        start: 0,
        end: Some(0),
        shift: (shift_start, shift_end),
        max_duration: None,
        max_distance: None,
        fixed_cost: 0,
        cost_per_distance: 1,
        cost_per_time: 0,
        skills: Vec::new(),
        reload: None,
    };
    Problem::new(ProblemSpec {
        durations,
        distances,
        jobs,
        pairs,
        vehicle_types: vec![vehicle],
        objective,
    })
}

/// Instance node routes (customer node indices, depot omitted) of a solution.
pub fn node_routes(solution: &milkrun_vrp::Solution) -> Vec<Vec<usize>> {
    solution
        .job_routes()
        .into_iter()
        .map(|r| r.into_iter().map(|j| j + 1).collect())
        .collect()
}
