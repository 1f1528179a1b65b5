//! The routing problem: locations, jobs, pickup-delivery pairs and the fleet,
//! validated once by [`Problem::new`].

use crate::error::{FieldPath, PairIssue, ProblemError, WindowIssue};
use crate::matrix::Matrix;
use crate::segment::{DurationSegment, LoadSegment};
pub use crate::units::{Load, TimeWindow, MAX_DIMS, TIME_HORIZON};

/// Number of distinct skill ids (skills are `0..MAX_SKILLS`).
pub const MAX_SKILLS: u32 = 64;

/// What a job does with its demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobKind {
    /// Goods loaded at the depot and dropped at the job (the classic VRP).
    #[default]
    Delivery,
    /// Goods picked up at the job and brought back to the depot.
    Pickup,
}

/// One visit to make, as given by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Location index (row of the matrices).
    pub location: usize,
    /// Demand per capacity dimension.
    pub demand: Vec<i64>,
    /// Whether the demand is delivered or picked up. Ignored for the jobs of
    /// a pickup-delivery pair, where the pickup's demand travels to the delivery.
    pub kind: JobKind,
    /// Service duration.
    pub service: i64,
    /// Hard windows for the start of service, `(start, end)` each, sorted
    /// and non-overlapping. Empty means "no window". With several windows
    /// the visit starts in the earliest window it can reach, waiting for the
    /// next one to open if it arrives between two.
    pub time_windows: Vec<(i64, i64)>,
    /// Skills a vehicle needs to serve this job.
    pub skills: Vec<u32>,
    /// `None`: the job must be served. `Some(p)`: the job may be left out at cost `p`.
    pub skip_penalty: Option<i64>,
    /// Optional soft lateness: service may start up to `max` after the end of
    /// a window, at `cost_per_unit` per time unit late.
    pub lateness: Option<SoftLateness>,
}

/// Soft lateness of a job: service may start after its window closes, up to
/// `max` time units late, each unit late costing `cost_per_unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftLateness {
    /// Cost per time unit late (added to the objective).
    pub cost_per_unit: i64,
    /// Largest allowed lateness.
    pub max: i64,
}

impl JobSpec {
    /// A required delivery job with one demand dimension and no window.
    pub fn delivery(location: usize, demand: i64, service: i64) -> Self {
        Self {
            location,
            demand: vec![demand],
            kind: JobKind::Delivery,
            service,
            time_windows: Vec::new(),
            skills: Vec::new(),
            skip_penalty: None,
            lateness: None,
        }
    }

    /// This job with the single hard window `[start, end]`.
    pub fn with_window(mut self, start: i64, end: i64) -> Self {
        self.time_windows = vec![(start, end)];
        self
    }

    /// This job with the hard windows `windows` (sorted, non-overlapping).
    pub fn with_windows(mut self, windows: &[(i64, i64)]) -> Self {
        self.time_windows = windows.to_vec();
        self
    }

    /// This job with soft lateness: up to `max` late at `cost_per_unit` per unit.
    pub fn with_lateness(mut self, cost_per_unit: i64, max: i64) -> Self {
        self.lateness = Some(SoftLateness { cost_per_unit, max });
        self
    }
}

/// A pickup-delivery pair: the `pickup` job's demand is loaded at the pickup
/// and unloaded at the `delivery`, by the same vehicle, pickup first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairSpec {
    /// Index of the pickup job.
    pub pickup: usize,
    /// Index of the delivery job.
    pub delivery: usize,
}

/// A type of vehicle, as given by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleTypeSpec {
    /// How many vehicles of this type are available.
    pub count: usize,
    /// Capacity per dimension.
    pub capacity: Vec<i64>,
    /// Start location.
    pub start: usize,
    /// End location; `None` for an open route that ends at its last job.
    pub end: Option<usize>,
    /// Shift window: earliest departure and latest return.
    pub shift: (i64, i64),
    /// Maximum route duration (from departure to return), if any.
    pub max_duration: Option<i64>,
    /// Maximum route distance, if any.
    pub max_distance: Option<i64>,
    /// Cost of using one vehicle of this type.
    pub fixed_cost: i64,
    /// Cost per unit of distance.
    pub cost_per_distance: i64,
    /// Cost per unit of route duration.
    pub cost_per_time: i64,
    /// Skills the vehicle has.
    pub skills: Vec<u32>,
    /// Reloads (multiple trips): `None` means one trip per route.
    pub reload: Option<ReloadSpec>,
}

/// Reloading for a vehicle type: when the next job would not fit, the vehicle
/// returns to a reload location, spends `duration` there, and starts a new
/// trip with capacity available again (capacity applies per trip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadSpec {
    /// Where the vehicle may reload; empty means at its start location.
    pub locations: Vec<usize>,
    /// Time spent at a reload stop.
    pub duration: i64,
}

impl VehicleTypeSpec {
    /// `count` vehicles of one capacity dimension, starting and ending at
    /// `depot`, distance cost 1, no other cost or limit.
    pub fn simple(count: usize, capacity: i64, depot: usize) -> Self {
        Self {
            count,
            capacity: vec![capacity],
            start: depot,
            end: Some(depot),
            shift: (0, i64::MAX / 8),
            max_duration: None,
            max_distance: None,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            skills: Vec::new(),
            reload: None,
        }
    }

    /// This vehicle type, reloading at its start location for `duration`.
    pub fn with_depot_reload(mut self, duration: i64) -> Self {
        self.reload = Some(ReloadSpec {
            locations: Vec::new(),
            duration,
        });
        self
    }
}

/// What the solver minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Objective {
    /// Fixed + distance + time costs of the routes plus skip penalties.
    #[default]
    Weighted,
    /// Fewest vehicles first, then the weighted cost (the classic VRPTW tables).
    Hierarchical,
}

/// Everything needed to build a [`Problem`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemSpec {
    /// Travel durations between locations.
    pub durations: Matrix<i64>,
    /// Travel distances between locations.
    pub distances: Matrix<i64>,
    /// The jobs.
    pub jobs: Vec<JobSpec>,
    /// Pickup-delivery pairs over `jobs`.
    pub pairs: Vec<PairSpec>,
    /// The fleet.
    pub vehicle_types: Vec<VehicleTypeSpec>,
    /// The objective.
    pub objective: Objective,
}

/// A validated job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Location index.
    pub location: usize,
    /// Demand (unused dimensions zero).
    pub demand: Load,
    /// Loaded at the depot for this job (deliveries).
    pub(crate) depot_load: Load,
    /// Change of the vehicle's load at this job.
    pub(crate) load_change: Load,
    /// Service duration.
    pub service: i64,
    /// Window for the start of service: the hull of [`Job::windows`] (from
    /// the first start to the last end), exact when there is one window.
    pub time_window: TimeWindow,
    /// The hard windows, sorted and disjoint (at least one).
    pub windows: Vec<TimeWindow>,
    /// Soft lateness, if allowed.
    pub lateness: Option<SoftLateness>,
    /// Required skills as a bit set.
    pub skills: u64,
    /// `None` if required; the cost of leaving the job out otherwise.
    pub skip_penalty: Option<i64>,
    /// The other job of its pickup-delivery pair, if any.
    pub partner: Option<usize>,
    /// True for the pickup job of a pair.
    pub is_pair_pickup: bool,
}

/// A validated vehicle type.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleType {
    /// Number of vehicles.
    pub count: usize,
    /// Capacity (unused dimensions zero).
    pub capacity: Load,
    /// Start location.
    pub start: usize,
    /// End location, `None` for open routes.
    pub end: Option<usize>,
    /// Shift window.
    pub shift: TimeWindow,
    /// Maximum route duration.
    pub max_duration: i64,
    /// Maximum route distance.
    pub max_distance: i64,
    /// Fixed cost per used vehicle.
    pub fixed_cost: i64,
    /// Cost per unit of distance.
    pub cost_per_distance: i64,
    /// Cost per unit of duration.
    pub cost_per_time: i64,
    /// Skills as a bit set.
    pub skills: u64,
    /// Reloading, if the type makes multiple trips.
    pub reload: Option<Reload>,
    /// Location where the route ends (a zero-cost sink for open routes).
    pub(crate) end_loc: usize,
}

/// Validated reloading of a vehicle type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reload {
    /// Reload locations (at least one).
    pub locations: Vec<usize>,
    /// Time spent at a reload stop.
    pub duration: i64,
}

/// A validated routing problem. Build with [`Problem::new`]; once built, all
/// indices are in range and all windows are well-formed.
#[derive(Debug, Clone)]
pub struct Problem {
    pub(crate) durations: Matrix<i64>,
    pub(crate) distances: Matrix<i64>,
    /// Transposed durations when they are not symmetric (and not too large,
    /// see [`TRANSPOSE_MAX_LOCATIONS`]): `durations_to(u)` reads travel
    /// times *into* `u` as one contiguous row instead of a strided column.
    pub(crate) durations_t: Option<Matrix<i64>>,
    /// Transposed distances, as [`Problem::durations_t`].
    pub(crate) distances_t: Option<Matrix<i64>>,
    /// Whether `durations` and `distances` are symmetric.
    pub(crate) symmetric: (bool, bool),
    pub(crate) jobs: Vec<Job>,
    /// Duration and load segment of a visit to each job, stored densely so
    /// that refreshing a route's caches reads 128 bytes per stop.
    pub(crate) visits: Vec<(DurationSegment, LoadSegment)>,
    pub(crate) vehicle_types: Vec<VehicleType>,
    pub(crate) objective: Objective,
    pub(crate) dims: usize,
    /// True when some job picks up or some pair exists: loads vary along a route.
    pub(crate) has_pickups: bool,
    /// True when no job has several windows or soft lateness and no vehicle
    /// type reloads: cached segments then evaluate moves exactly in O(1).
    pub(crate) exact: bool,
}

/// Duration and load segment of one visit to `j`.
fn visit_segments(j: &Job) -> (DurationSegment, LoadSegment) {
    (
        DurationSegment::visit(j.service, j.time_window),
        LoadSegment::visit(j.depot_load, j.load_change),
    )
}

/// Most locations for which an asymmetric matrix gets a transposed copy
/// (a copy of 6,000 x 6,000 `i64` takes 288 MB); above it, reads into a
/// location walk a strided column (correct, slower).
pub(crate) const TRANSPOSE_MAX_LOCATIONS: usize = 6_000;

/// Extra fixed cost per vehicle in hierarchical mode: larger than any route cost.
pub(crate) const VEHICLE_WEIGHT: i64 = 1_000_000_000_000;
/// Penalty of a required job left unassigned: larger than any fleet cost.
pub(crate) const REQUIRED_PENALTY: i64 = 100_000_000_000_000;

fn skill_mask(path: FieldPath, skills: &[u32]) -> Result<u64, ProblemError> {
    let mut m = 0u64;
    for (i, &s) in skills.iter().enumerate() {
        if s >= MAX_SKILLS {
            return Err(ProblemError::SkillOutOfRange {
                path: path.at(i),
                skill: s,
                max: MAX_SKILLS,
            });
        }
        m |= 1 << s;
    }
    Ok(m)
}

/// Validates the windows of job `job`; an empty list is one unbounded window.
fn job_windows(job: usize, raw: &[(i64, i64)]) -> Result<Vec<TimeWindow>, ProblemError> {
    if raw.is_empty() {
        return Ok(vec![TimeWindow::unbounded()]);
    }
    let mut out: Vec<TimeWindow> = Vec::with_capacity(raw.len());
    for (window, &(start, end)) in raw.iter().enumerate() {
        let err = |issue| ProblemError::JobWindow {
            path: FieldPath::job(job, "time_windows").at(window),
            start,
            end,
            issue,
        };
        if start.abs() > TIME_HORIZON || end.abs() > TIME_HORIZON {
            return Err(err(WindowIssue::OutOfRange));
        }
        let tw = TimeWindow::new(start, end).ok_or(err(WindowIssue::Reversed))?;
        if out.last().is_some_and(|prev| tw.start <= prev.end) {
            return Err(err(WindowIssue::OverlapsPrevious));
        }
        out.push(tw);
    }
    Ok(out)
}

fn load_of(path: FieldPath, v: &[i64], dims: usize) -> Result<Load, ProblemError> {
    if v.len() != dims {
        return Err(ProblemError::Dimensions {
            path,
            expected: dims,
            found: v.len(),
        });
    }
    let mut l = [0; MAX_DIMS];
    for (d, &x) in v.iter().enumerate() {
        if x < 0 {
            return Err(ProblemError::Negative {
                path: path.at(d),
                value: x,
            });
        }
        l[d] = x;
    }
    Ok(l)
}

impl Problem {
    /// Validates `spec` and builds the problem. Errors name the job, vehicle
    /// type or pair and the field that is wrong.
    pub fn new(spec: ProblemSpec) -> Result<Self, ProblemError> {
        let n = spec.durations.size();
        if spec.distances.size() != n {
            return Err(ProblemError::MatrixMismatch {
                durations: n,
                distances: spec.distances.size(),
            });
        }
        for (name, m) in [
            ("durations", &spec.durations),
            ("distances", &spec.distances),
        ] {
            for i in 0..n {
                for (j, &v) in m.row(i).iter().enumerate() {
                    if v < 0 {
                        return Err(ProblemError::MatrixValue {
                            matrix: name,
                            row: i,
                            col: j,
                            value: v as f64,
                        });
                    }
                }
            }
        }
        if !spec.vehicle_types.iter().any(|v| v.count > 0) {
            return Err(ProblemError::NoVehicles);
        }
        let dims = spec.vehicle_types[0].capacity.len();
        if dims > MAX_DIMS {
            return Err(ProblemError::TooManyDimensions {
                path: FieldPath::vehicle_type(0, "capacity"),
                found: dims,
                max: MAX_DIMS,
            });
        }
        let mut vehicle_types = Vec::with_capacity(spec.vehicle_types.len());
        for (k, v) in spec.vehicle_types.iter().enumerate() {
            let at = |field| FieldPath::vehicle_type(k, field);
            let capacity = load_of(at("capacity"), &v.capacity, dims)?;
            for (field, loc) in [("start", Some(v.start)), ("end", v.end)] {
                if let Some(l) = loc {
                    if l >= n {
                        return Err(ProblemError::LocationOutOfRange {
                            path: at(field),
                            location: l,
                            size: n,
                        });
                    }
                }
            }
            let shift =
                TimeWindow::new(v.shift.0, v.shift.1).ok_or(ProblemError::WindowReversed {
                    path: at("shift"),
                    start: v.shift.0,
                    end: v.shift.1,
                })?;
            for (field, value) in [
                ("max_duration", v.max_duration.unwrap_or(0)),
                ("max_distance", v.max_distance.unwrap_or(0)),
                ("fixed_cost", v.fixed_cost),
                ("cost_per_distance", v.cost_per_distance),
                ("cost_per_time", v.cost_per_time),
            ] {
                if value < 0 {
                    return Err(ProblemError::Negative {
                        path: at(field),
                        value,
                    });
                }
            }
            let reload = match &v.reload {
                None => None,
                Some(r) => {
                    if r.duration < 0 {
                        return Err(ProblemError::Negative {
                            path: at("reload.duration"),
                            value: r.duration,
                        });
                    }
                    for (i, &l) in r.locations.iter().enumerate() {
                        if l >= n {
                            return Err(ProblemError::LocationOutOfRange {
                                path: at("reload.locations").at(i),
                                location: l,
                                size: n,
                            });
                        }
                    }
                    let locations = if r.locations.is_empty() {
                        vec![v.start]
                    } else {
                        r.locations.clone()
                    };
                    Some(Reload {
                        locations,
                        duration: r.duration,
                    })
                }
            };
            let weight = if spec.objective == Objective::Hierarchical {
                VEHICLE_WEIGHT
            } else {
                0
            };
            vehicle_types.push(VehicleType {
                count: v.count,
                capacity,
                start: v.start,
                end: v.end,
                shift,
                max_duration: v.max_duration.unwrap_or(i64::MAX / 8),
                max_distance: v.max_distance.unwrap_or(i64::MAX / 8),
                fixed_cost: v.fixed_cost + weight,
                cost_per_distance: v.cost_per_distance,
                cost_per_time: v.cost_per_time,
                skills: skill_mask(at("skills"), &v.skills)?,
                reload,
                end_loc: v.end.unwrap_or(n),
            });
        }
        let mut jobs = Vec::with_capacity(spec.jobs.len());
        let mut has_pickups = false;
        for (k, j) in spec.jobs.iter().enumerate() {
            let at = |field| FieldPath::job(k, field);
            if j.location >= n {
                return Err(ProblemError::LocationOutOfRange {
                    path: at("location"),
                    location: j.location,
                    size: n,
                });
            }
            let demand = load_of(at("demand"), &j.demand, dims)?;
            for (field, value) in [
                ("service", j.service),
                ("skip_penalty", j.skip_penalty.unwrap_or(0)),
                (
                    "lateness.cost_per_unit",
                    j.lateness.map_or(0, |l| l.cost_per_unit),
                ),
                ("lateness.max", j.lateness.map_or(0, |l| l.max)),
            ] {
                if value < 0 {
                    return Err(ProblemError::Negative {
                        path: at(field),
                        value,
                    });
                }
            }
            let windows = job_windows(k, &j.time_windows)?;
            let tw = TimeWindow {
                start: windows[0].start,
                end: windows[windows.len() - 1].end,
            };
            let (depot_load, load_change) = match j.kind {
                JobKind::Delivery => (demand, demand.map(|x| -x)),
                JobKind::Pickup => {
                    has_pickups = true;
                    ([0; MAX_DIMS], demand)
                }
            };
            jobs.push(Job {
                location: j.location,
                demand,
                depot_load,
                load_change,
                service: j.service,
                time_window: tw,
                windows,
                lateness: j.lateness.filter(|l| l.max > 0),
                skills: skill_mask(at("skills"), &j.skills)?,
                skip_penalty: j.skip_penalty,
                partner: None,
                is_pair_pickup: false,
            });
        }
        for (k, p) in spec.pairs.iter().enumerate() {
            let bad = |field, issue| ProblemError::BadPair {
                path: FieldPath::pair(k, field),
                issue,
            };
            if p.pickup >= jobs.len() {
                return Err(bad("pickup", PairIssue::JobOutOfRange));
            }
            if p.delivery >= jobs.len() {
                return Err(bad("delivery", PairIssue::JobOutOfRange));
            }
            if p.pickup == p.delivery {
                return Err(bad("", PairIssue::SameJob));
            }
            if jobs[p.pickup].partner.is_some() {
                return Err(bad("pickup", PairIssue::JobInTwoPairs));
            }
            if jobs[p.delivery].partner.is_some() {
                return Err(bad("delivery", PairIssue::JobInTwoPairs));
            }
            if jobs[p.pickup].skip_penalty.is_some() != jobs[p.delivery].skip_penalty.is_some() {
                return Err(bad("", PairIssue::MixedOptional));
            }
            has_pickups = true;
            let amount = jobs[p.pickup].demand;
            let (a, b) = (p.pickup, p.delivery);
            jobs[a].partner = Some(b);
            jobs[a].is_pair_pickup = true;
            jobs[a].depot_load = [0; MAX_DIMS];
            jobs[a].load_change = amount;
            jobs[b].partner = Some(a);
            jobs[b].depot_load = [0; MAX_DIMS];
            jobs[b].load_change = amount.map(|x| -x);
        }
        // Open routes end at a virtual sink location `n`, zero cost from anywhere.
        let (durations, distances) = if vehicle_types.iter().any(|v| v.end.is_none()) {
            let ext = |m: &Matrix<i64>| {
                Matrix::from_fn(n + 1, |i, j| if i < n && j < n { m.get(i, j) } else { 0 })
            };
            (ext(&spec.durations), ext(&spec.distances))
        } else {
            (spec.durations, spec.distances)
        };
        let exact = jobs
            .iter()
            .all(|j| j.windows.len() == 1 && j.lateness.is_none())
            && vehicle_types.iter().all(|v| v.reload.is_none());
        let symmetric = (durations.is_symmetric(), distances.is_symmetric());
        let transpose = |m: &Matrix<i64>, sym: bool| {
            (!sym && m.size() <= TRANSPOSE_MAX_LOCATIONS).then(|| m.transposed())
        };
        let durations_t = transpose(&durations, symmetric.0);
        let distances_t = transpose(&distances, symmetric.1);
        let visits = jobs.iter().map(visit_segments).collect();
        Ok(Self {
            durations,
            distances,
            durations_t,
            distances_t,
            symmetric,
            visits,
            jobs,
            vehicle_types,
            objective: spec.objective,
            dims,
            has_pickups,
            exact,
        })
    }

    /// True when cached route segments evaluate every move exactly in O(1):
    /// no job has several windows or soft lateness and no vehicle type
    /// reloads. When false, routes are evaluated by an exact forward
    /// simulation in O(route length) per candidate (the price of those
    /// features), and segment-based shortcuts must not be trusted.
    pub fn segments_exact(&self) -> bool {
        self.exact
    }

    /// Number of jobs.
    pub fn num_jobs(&self) -> usize {
        self.jobs.len()
    }

    /// The validated jobs.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The validated vehicle types.
    pub fn vehicle_types(&self) -> &[VehicleType] {
        &self.vehicle_types
    }

    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// Number of capacity dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Travel duration between two locations.
    #[inline]
    pub fn duration(&self, from: usize, to: usize) -> i64 {
        self.durations.get(from, to)
    }

    /// Travel distance between two locations.
    #[inline]
    pub fn distance(&self, from: usize, to: usize) -> i64 {
        self.distances.get(from, to)
    }

    /// Sets the (single) window of job `j` after validation (tests build
    /// random windows unrelated to the shift this way).
    #[cfg(test)]
    pub(crate) fn set_time_window(&mut self, j: usize, tw: TimeWindow) {
        self.jobs[j].time_window = tw;
        self.jobs[j].windows = vec![tw];
        self.visits[j] = visit_segments(&self.jobs[j]);
    }

    /// Travel durations from `from` to every location (a matrix row).
    #[inline]
    pub(crate) fn durations_from(&self, from: usize) -> &[i64] {
        self.durations.row(from)
    }

    /// Travel durations from every location to `to`, as one slice indexed
    /// by the origin: a row of the transposed matrix, or of the matrix
    /// itself when it is symmetric. `None` for a large asymmetric matrix
    /// without a transposed copy (use [`Problem::duration`] then).
    #[inline]
    pub(crate) fn durations_to(&self, to: usize) -> Option<&[i64]> {
        match &self.durations_t {
            Some(t) => Some(t.row(to)),
            None => self.symmetric.0.then(|| self.durations.row(to)),
        }
    }

    /// Travel distances from `from` to every location (a matrix row).
    #[inline]
    pub(crate) fn distances_from(&self, from: usize) -> &[i64] {
        self.distances.row(from)
    }

    /// Travel distances from every location to `to` (see
    /// [`Problem::durations_to`]).
    #[inline]
    pub(crate) fn distances_to(&self, to: usize) -> Option<&[i64]> {
        match &self.distances_t {
            Some(t) => Some(t.row(to)),
            None => self.symmetric.1.then(|| self.distances.row(to)),
        }
    }

    /// Penalty of leaving job `j` unassigned (very large for required jobs).
    pub(crate) fn skip_cost(&self, j: usize) -> i64 {
        match self.jobs[j].skip_penalty {
            Some(p) => {
                p + self.jobs[j]
                    .partner
                    .map_or(0, |q| self.jobs[q].skip_penalty.unwrap_or(0))
            }
            None => REQUIRED_PENALTY,
        }
    }
}
