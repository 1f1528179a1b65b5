//! VROOM's input problem as serde types. Unknown keys are refused (`deny_unknown_fields`),
//! every list has a maximum length checked while it is read ([`Bounded`]), and numbers are
//! `u32` where VROOM's are (times, amounts, capacities, indices), so a negative, fractional
//! or huge number is refused by the reader with its field path.

use serde::Deserialize;

use super::bounded::{Bounded, BoundedMap};

/// Most jobs of a problem.
pub const MAX_JOBS: usize = 4_000;
/// Most shipments of a problem (each is two tasks).
pub const MAX_SHIPMENTS: usize = 2_000;
/// Most tasks of a problem: jobs plus twice the shipments.
pub const MAX_TASKS: usize = 4_000;
/// Most vehicles of a problem.
pub const MAX_VEHICLES: usize = 500;
/// Most rows (and columns) of a matrix in `matrices`.
pub const MAX_MATRIX_SIZE: usize = 5_000;
/// Most time windows of one task.
pub const MAX_TIME_WINDOWS: usize = 32;
/// Most capacity dimensions (the solver's `MAX_DIMS`).
pub const MAX_DIMS: usize = milkrun_vrp::MAX_DIMS;
/// Most skills of one task or vehicle.
pub const MAX_SKILLS_PER_ITEM: usize = 64;
/// Most profiles in `matrices`.
pub const MAX_PROFILES: usize = 8;
/// Largest priority (VROOM's range is 0..=100).
pub const MAX_PRIORITY: u32 = 100;
/// Most breaks of one vehicle.
pub const MAX_BREAKS: usize = 16;

/// A `[lon, lat]` position.
pub type Coordinates = [f64; 2];
/// A `[start, end]` window, seconds.
pub type Window = [u32; 2];

/// The whole problem (`POST /vroom` body).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Single-location tasks.
    #[serde(default)]
    pub jobs: Bounded<Job, MAX_JOBS>,
    /// Pickup-and-delivery pairs.
    #[serde(default)]
    pub shipments: Bounded<Shipment, MAX_SHIPMENTS>,
    /// The fleet.
    pub vehicles: Bounded<Vehicle, MAX_VEHICLES>,
    /// Custom travel matrices per profile (`{"car": {"durations": [[...]]}}`).
    #[serde(default)]
    pub matrices: Option<BoundedMap<ProfileMatrices, MAX_PROFILES>>,
}

/// One job (a single-location task).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Identifier, unique among jobs.
    pub id: u64,
    /// Free text, ignored.
    #[serde(default)]
    pub description: Option<String>,
    /// `[lon, lat]`.
    #[serde(default)]
    pub location: Option<Coordinates>,
    /// Row of the custom matrices.
    #[serde(default)]
    pub location_index: Option<u32>,
    /// Setup time, seconds; only 0 is supported.
    #[serde(default)]
    pub setup: u32,
    /// Service time, seconds.
    #[serde(default)]
    pub service: u32,
    /// Amount delivered (loaded at the start).
    #[serde(default)]
    pub delivery: Option<Bounded<u32, MAX_DIMS>>,
    /// Amount picked up (brought to the end).
    #[serde(default)]
    pub pickup: Option<Bounded<u32, MAX_DIMS>>,
    /// Legacy name of `delivery`.
    #[serde(default)]
    pub amount: Option<Bounded<u32, MAX_DIMS>>,
    /// Skills a vehicle needs.
    #[serde(default)]
    pub skills: Bounded<u32, MAX_SKILLS_PER_ITEM>,
    /// 0..=100; higher is assigned first when not all fit.
    #[serde(default)]
    pub priority: u32,
    /// Windows for the start of service, seconds.
    #[serde(default)]
    pub time_windows: Bounded<Window, MAX_TIME_WINDOWS>,
}

/// One end of a shipment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentStep {
    /// Identifier, unique among the shipments' steps of the same kind.
    pub id: u64,
    /// Free text, ignored.
    #[serde(default)]
    pub description: Option<String>,
    /// `[lon, lat]`.
    #[serde(default)]
    pub location: Option<Coordinates>,
    /// Row of the custom matrices.
    #[serde(default)]
    pub location_index: Option<u32>,
    /// Setup time, seconds; only 0 is supported.
    #[serde(default)]
    pub setup: u32,
    /// Service time, seconds.
    #[serde(default)]
    pub service: u32,
    /// Windows for the start of service, seconds.
    #[serde(default)]
    pub time_windows: Bounded<Window, MAX_TIME_WINDOWS>,
}

/// A shipment: picked up at `pickup`, delivered at `delivery`, by the same vehicle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// Where it is picked up.
    pub pickup: ShipmentStep,
    /// Where it is delivered.
    pub delivery: ShipmentStep,
    /// The amount carried.
    #[serde(default)]
    pub amount: Option<Bounded<u32, MAX_DIMS>>,
    /// Skills a vehicle needs.
    #[serde(default)]
    pub skills: Bounded<u32, MAX_SKILLS_PER_ITEM>,
    /// 0..=100.
    #[serde(default)]
    pub priority: u32,
}

/// One vehicle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// Identifier, unique among vehicles.
    pub id: u64,
    /// Routing profile (default `car`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Free text, ignored.
    #[serde(default)]
    pub description: Option<String>,
    /// Start `[lon, lat]`.
    #[serde(default)]
    pub start: Option<Coordinates>,
    /// Start row of the custom matrices.
    #[serde(default)]
    pub start_index: Option<u32>,
    /// End `[lon, lat]`.
    #[serde(default)]
    pub end: Option<Coordinates>,
    /// End row of the custom matrices.
    #[serde(default)]
    pub end_index: Option<u32>,
    /// Capacity per dimension.
    #[serde(default)]
    pub capacity: Option<Bounded<u32, MAX_DIMS>>,
    /// Skills the vehicle has.
    #[serde(default)]
    pub skills: Bounded<u32, MAX_SKILLS_PER_ITEM>,
    /// Working hours `[start, end]`, seconds.
    #[serde(default)]
    pub time_window: Option<Window>,
    /// Breaks the driver takes during the route (see [`super::breaks`]).
    #[serde(default)]
    pub breaks: Bounded<Break, MAX_BREAKS>,
    /// Most tasks of the route: not supported; refused when given.
    #[serde(default)]
    pub max_tasks: Option<u32>,
}

/// A vehicle's break: `service` seconds starting inside one of `time_windows` (anywhere in
/// the shift when none is given), taken wherever the vehicle is at that moment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Break {
    /// Identifier, unique among the vehicle's breaks.
    pub id: u64,
    /// Windows for the start of the break, seconds.
    #[serde(default)]
    pub time_windows: Bounded<Window, MAX_TIME_WINDOWS>,
    /// Length of the break, seconds.
    #[serde(default)]
    pub service: u32,
    /// Free text, echoed in the answer's break step.
    #[serde(default)]
    pub description: Option<String>,
    /// Most load on board during the break: not supported; refused when given.
    #[serde(default)]
    pub max_load: Option<Bounded<u32, MAX_DIMS>>,
}

/// The custom matrices of one profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileMatrices {
    /// Travel times, seconds (`durations[i][j]` from row `i` to column `j`).
    #[serde(default)]
    pub durations: Option<Bounded<Bounded<u32, MAX_MATRIX_SIZE>, MAX_MATRIX_SIZE>>,
    /// Distances, metres.
    #[serde(default)]
    pub distances: Option<Bounded<Bounded<u32, MAX_MATRIX_SIZE>, MAX_MATRIX_SIZE>>,
}
