//! A `ShipmentModel` message to the solver's problem: checked field by field (every violation
//! names its field), then built once the road matrix between its locations is known.
use std::collections::{BTreeSet, HashMap};

use milkrun_engine::{Access, LatLon, Profile, TravelMatrix};
use milkrun_vrp::{
    JobKind, JobSpec, Matrix, Objective, PairSpec, Problem, ProblemSpec, ReloadSpec, SoftLateness,
    VehicleTypeSpec, MAX_DIMS, MAX_SKILLS, TIME_HORIZON,
};

use super::geo;
use crate::serve::config::Quotas;
use crate::serve::error::{ServiceError, Violations};
use crate::serve::proto::v1 as pb;
use crate::serve::quota::TenantQuota;

/// Travel time and distance between locations that cannot reach each other: far beyond any
/// shift, so a windowed visit there is never feasible.
pub const UNREACHABLE: i64 = 1_000_000_000;

/// Largest time accepted anywhere in a model, seconds (about 31 years).
pub const MAX_TIME_S: i64 = 1_000_000_000;

/// Which shipment (and which of its visits) a solver job stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobRef {
    /// Index of the shipment in the model.
    pub shipment: usize,
    /// Whether the job is the shipment's pickup.
    pub is_pickup: bool,
}

/// What a location of a model is: a vehicle's start or end, or a shipment's pickup or
/// delivery (by index in the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationOwner {
    /// `model.vehicles[k].start_location`.
    VehicleStart(usize),
    /// `model.vehicles[k].end_location`.
    VehicleEnd(usize),
    /// `model.shipments[i].pickup.location`.
    Pickup(usize),
    /// `model.shipments[i].delivery.location`.
    Delivery(usize),
}

/// A checked model waiting for its road matrix.
#[derive(Debug, Clone)]
pub struct ModelDraft {
    /// The network.
    pub profile: Profile,
    /// Snap limit, metres.
    pub max_snap_m: f64,
    /// Door to door (the default) or road only.
    pub access: Access,
    /// Every location (vehicle starts and ends, then visits), matrix row order.
    pub locations: Vec<LatLon>,
    /// The request field of each location (`model.vehicles[0].start_location`).
    pub location_fields: Vec<String>,
    /// What each location is, in the same order.
    pub location_owners: Vec<LocationOwner>,
    /// Load types, sorted (the solver's capacity dimensions).
    pub load_types: Vec<String>,
    /// Job `j` of the solver is `jobs[j]`.
    pub job_refs: Vec<JobRef>,
    jobs: Vec<JobSpec>,
    pairs: Vec<PairSpec>,
    vehicle_types: Vec<VehicleTypeSpec>,
}

fn time(value: i64, field: &str, v: &mut Violations) -> i64 {
    if (0..=MAX_TIME_S).contains(&value) {
        value
    } else {
        v.add(
            field,
            format!("{value} is not a time in [0, {MAX_TIME_S}] seconds"),
        );
        0
    }
}

fn non_negative(value: i64, field: &str, v: &mut Violations) -> i64 {
    if value >= 0 {
        value
    } else {
        v.add(field, format!("{value} must not be negative"));
        0
    }
}

/// The hard windows and the soft lateness of a visit.
fn windows(
    list: &[pb::TimeWindow],
    field: &str,
    v: &mut Violations,
) -> (Vec<(i64, i64)>, Option<SoftLateness>) {
    let mut hard = Vec::with_capacity(list.len());
    let mut soft: Option<SoftLateness> = None;
    for (i, w) in list.iter().enumerate() {
        let f = format!("{field}.time_windows[{i}]");
        let start = time(w.start_s, &format!("{f}.start_s"), v);
        let end = if w.end_s == 0 {
            TIME_HORIZON
        } else {
            time(w.end_s, &format!("{f}.end_s"), v)
        };
        if end < start {
            v.add(format!("{f}.end_s"), "ends before it starts");
            continue;
        }
        let cost = non_negative(
            w.cost_per_second_after_soft_end,
            &format!("{f}.cost_per_second_after_soft_end"),
            v,
        );
        let Some(soft_end) = w.soft_end_s else {
            if soft.is_some() {
                v.add(&f, "a visit's windows all have a soft end or none has");
            }
            hard.push((start, end));
            continue;
        };
        if !(start..=end).contains(&soft_end) {
            v.add(format!("{f}.soft_end_s"), "must lie in [start_s, end_s]");
            continue;
        }
        let this = SoftLateness {
            cost_per_unit: cost,
            max: end - soft_end,
        };
        match soft {
            Some(s) if s != this => v.add(
                &f,
                "every soft window of a visit needs the same end_s - soft_end_s and cost",
            ),
            _ if i > 0 && soft.is_none() => {
                v.add(&f, "a visit's windows all have a soft end or none has")
            }
            _ => soft = Some(this),
        }
        hard.push((start, soft_end));
    }
    (hard, soft)
}

/// Skill names to solver skill ids.
#[derive(Debug, Default)]
struct Skills(HashMap<String, u32>);

impl Skills {
    fn ids(&mut self, names: &[String], field: &str, v: &mut Violations) -> Vec<u32> {
        let mut out = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let next = self.0.len() as u32;
            if next >= MAX_SKILLS && !self.0.contains_key(name) {
                v.add(
                    format!("{field}[{i}]"),
                    format!("more than {MAX_SKILLS} skills"),
                );
                continue;
            }
            out.push(*self.0.entry(name.clone()).or_insert(next));
        }
        out
    }
}

/// The load types of a model (sorted union of demands' and limits' keys), at most
/// [`MAX_DIMS`].
fn load_types(m: &pb::ShipmentModel, v: &mut Violations) -> Vec<String> {
    let mut set = BTreeSet::new();
    for s in &m.shipments {
        set.extend(s.load_demands.keys().cloned());
    }
    for veh in &m.vehicles {
        set.extend(veh.load_limits.keys().cloned());
    }
    if set.len() > MAX_DIMS {
        v.add(
            "model",
            format!("{} load types, at most {MAX_DIMS}", set.len()),
        );
    }
    set.into_iter().collect()
}

fn loads(
    map: &HashMap<String, i64>,
    types: &[String],
    field: &str,
    v: &mut Violations,
) -> Vec<i64> {
    if types.is_empty() {
        return vec![0];
    }
    types
        .iter()
        .map(|t| {
            non_negative(
                map.get(t).copied().unwrap_or(0),
                &format!("{field}[{t}]"),
                v,
            )
        })
        .collect()
}

/// Checks a model against the tenant's quotas and converts everything but the matrix.
pub fn check(
    model: Option<&pb::ShipmentModel>,
    quotas: &Quotas,
) -> Result<ModelDraft, ServiceError> {
    let m = model.ok_or_else(|| ServiceError::invalid("model", "required"))?;
    TenantQuota::check_size(
        "max_stops",
        m.shipments.len() as u64,
        u64::from(quotas.max_stops),
    )?;
    TenantQuota::check_size(
        "max_vehicles",
        m.vehicles.len() as u64,
        u64::from(quotas.max_vehicles),
    )?;
    let mut v = Violations::default();
    if m.vehicles.is_empty() {
        v.add("model.vehicles", "at least one vehicle");
    }
    let profile = geo::profile(m.travel_mode, "model.travel_mode", &mut v);
    let max_snap_m = geo::snap_limit(m.max_snap_m, "model.max_snap_m", &mut v);
    let access = geo::access(
        m.road_only,
        m.access_speed_mps,
        profile,
        "model.access_speed_mps",
        &mut v,
    );
    let types = load_types(m, &mut v);
    let mut skills = Skills::default();
    let mut locations = Vec::new();
    let mut location_fields = Vec::new();
    let mut location_owners = Vec::new();
    let mut add_location =
        |p: Option<&pb::LatLng>, field: &str, owner: LocationOwner, v: &mut Violations| -> usize {
            let at = locations.len();
            locations.push(geo::point(p, field, v).unwrap_or(LatLon { lat: 0.0, lon: 0.0 }));
            location_fields.push(field.to_string());
            location_owners.push(owner);
            at
        };
    let mut vehicle_types = Vec::with_capacity(m.vehicles.len());
    for (k, veh) in m.vehicles.iter().enumerate() {
        let f = format!("model.vehicles[{k}]");
        let start = add_location(
            veh.start_location.as_ref(),
            &format!("{f}.start_location"),
            LocationOwner::VehicleStart(k),
            &mut v,
        );
        let end = veh.end_location.as_ref().map(|p| {
            add_location(
                Some(p),
                &format!("{f}.end_location"),
                LocationOwner::VehicleEnd(k),
                &mut v,
            )
        });
        let shift_start = time(veh.start_time_s, &format!("{f}.start_time_s"), &mut v);
        let shift_end = if veh.end_time_s == 0 {
            TIME_HORIZON
        } else {
            time(veh.end_time_s, &format!("{f}.end_time_s"), &mut v)
        };
        if shift_end < shift_start {
            v.add(format!("{f}.end_time_s"), "ends before start_time_s");
        }
        vehicle_types.push(VehicleTypeSpec {
            count: 1,
            capacity: loads(
                &veh.load_limits,
                &types,
                &format!("{f}.load_limits"),
                &mut v,
            ),
            start,
            end,
            shift: (shift_start, shift_end),
            max_duration: veh
                .max_duration_s
                .map(|d| non_negative(d, &format!("{f}.max_duration_s"), &mut v)),
            max_distance: None,
            fixed_cost: non_negative(veh.fixed_cost, &format!("{f}.fixed_cost"), &mut v),
            cost_per_distance: non_negative(
                veh.cost_per_meter,
                &format!("{f}.cost_per_meter"),
                &mut v,
            ),
            cost_per_time: non_negative(
                veh.cost_per_second,
                &format!("{f}.cost_per_second"),
                &mut v,
            ),
            skills: skills.ids(&veh.skills, &format!("{f}.skills"), &mut v),
            reload: veh.reload.as_ref().map(|r| ReloadSpec {
                locations: Vec::new(),
                duration: non_negative(r.duration_s, &format!("{f}.reload.duration_s"), &mut v),
            }),
        });
        if v.is_full() {
            break;
        }
    }
    let mut jobs = Vec::with_capacity(m.shipments.len());
    let mut job_refs = Vec::with_capacity(m.shipments.len());
    let mut pairs = Vec::new();
    for (i, s) in m.shipments.iter().enumerate() {
        if v.is_full() {
            break;
        }
        let f = format!("model.shipments[{i}]");
        let demand = loads(
            &s.load_demands,
            &types,
            &format!("{f}.load_demands"),
            &mut v,
        );
        let required = skills.ids(&s.required_skills, &format!("{f}.required_skills"), &mut v);
        let penalty = s
            .penalty_cost
            .map(|p| non_negative(p, &format!("{f}.penalty_cost"), &mut v));
        let mut job = |visit: &pb::VisitRequest, name: &str, kind: JobKind, v: &mut Violations| {
            let vf = format!("{f}.{name}");
            let owner = if kind == JobKind::Pickup {
                LocationOwner::Pickup(i)
            } else {
                LocationOwner::Delivery(i)
            };
            let location =
                add_location(visit.location.as_ref(), &format!("{vf}.location"), owner, v);
            let (time_windows, lateness) = windows(&visit.time_windows, &vf, v);
            JobSpec {
                location,
                demand: demand.clone(),
                kind,
                service: non_negative(visit.duration_s, &format!("{vf}.duration_s"), v),
                time_windows,
                skills: required.clone(),
                skip_penalty: penalty,
                lateness,
            }
        };
        match (&s.pickup, &s.delivery) {
            (Some(p), Some(d)) => {
                let pickup = jobs.len();
                jobs.push(job(p, "pickup", JobKind::Pickup, &mut v));
                job_refs.push(JobRef {
                    shipment: i,
                    is_pickup: true,
                });
                jobs.push(job(d, "delivery", JobKind::Delivery, &mut v));
                job_refs.push(JobRef {
                    shipment: i,
                    is_pickup: false,
                });
                pairs.push(PairSpec {
                    pickup,
                    delivery: pickup + 1,
                });
            }
            (Some(p), None) => {
                jobs.push(job(p, "pickup", JobKind::Pickup, &mut v));
                job_refs.push(JobRef {
                    shipment: i,
                    is_pickup: true,
                });
            }
            (None, Some(d)) => {
                jobs.push(job(d, "delivery", JobKind::Delivery, &mut v));
                job_refs.push(JobRef {
                    shipment: i,
                    is_pickup: false,
                });
            }
            (None, None) => v.add(&f, "needs a pickup, a delivery or both"),
        }
    }
    v.into_result()?;
    let n = locations.len() as u64;
    TenantQuota::check_size(
        "max_matrix_cells",
        n.saturating_mul(n),
        quotas.max_matrix_cells,
    )?;
    Ok(ModelDraft {
        profile,
        max_snap_m,
        access,
        locations,
        location_fields,
        location_owners,
        load_types: types,
        job_refs,
        jobs,
        pairs,
        vehicle_types,
    })
}

/// Where a solver path points in the request (`jobs[3].demand` → the shipment's field).
fn request_field(job_refs: &[JobRef], path: milkrun_vrp::FieldPath) -> String {
    match path.list {
        "jobs" => match job_refs.get(path.index) {
            Some(r) => {
                let visit = if r.is_pickup { "pickup" } else { "delivery" };
                format!("model.shipments[{}].{visit} ({})", r.shipment, path.field)
            }
            None => format!("model.shipments ({path})"),
        },
        "vehicle_types" => format!("model.vehicles[{}] ({})", path.index, path.field),
        _ => format!("model ({path})"),
    }
}

impl ModelDraft {
    /// The solver's problem on a road matrix between [`ModelDraft::locations`]: whole
    /// seconds and metres as the matrix rounds them (up door to door, to the nearest road
    /// only), unreachable pairs [`UNREACHABLE`].
    pub fn into_problem(
        self,
        matrix: &TravelMatrix,
    ) -> Result<(Problem, Vec<JobRef>), ServiceError> {
        let n = self.locations.len();
        if matrix.rows() != n || matrix.cols() != n {
            return Err(ServiceError::Internal(
                "road matrix size differs from the model's".into(),
            ));
        }
        let durations = Matrix::from_fn(n, |i, j| match matrix.whole_seconds(i, j) {
            Some(s) => i64::from(s),
            None => UNREACHABLE,
        });
        let distances = Matrix::from_fn(n, |i, j| match matrix.meters(i, j) {
            Some(m) => i64::from(m),
            None => UNREACHABLE,
        });
        self.into_problem_on(durations, distances)
    }

    /// Checks the model without roads (all travel 0): what `validate_only` answers.
    pub fn validate(self) -> Result<(), ServiceError> {
        let n = self.locations.len();
        let zero = Matrix::from_fn(n, |_, _| 0i64);
        self.into_problem_on(zero.clone(), zero).map(|_| ())
    }

    fn into_problem_on(
        self,
        durations: Matrix<i64>,
        distances: Matrix<i64>,
    ) -> Result<(Problem, Vec<JobRef>), ServiceError> {
        let spec = ProblemSpec {
            durations,
            distances,
            jobs: self.jobs,
            pairs: self.pairs,
            vehicle_types: self.vehicle_types,
            objective: Objective::Weighted,
        };
        let job_refs = self.job_refs;
        let problem = Problem::new(spec).map_err(|e| match e.path() {
            Some(p) => ServiceError::invalid(request_field(&job_refs, p), e.to_string()),
            None => ServiceError::invalid("model", e.to_string()),
        })?;
        Ok((problem, job_refs))
    }
}
