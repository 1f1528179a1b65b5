//! A night job: one station-day's plan, as it travels on the queue (JSON, the boundary type),
//! checked once into the dairy layer's [`NightSettings`], and its message id.
use milkrun_calendar::Date;
use milkrun_dairy::engine::{PlanCourier, PlanLimits, Stability};
use milkrun_dairy::household::GeoPoint;
use milkrun_dairy::ids::{CourierId, StationId, TenantId};
use milkrun_dairy::store::night::NightSettings;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest job message, bytes (NATS' own default payload limit is 1 MiB).
pub const MAX_JOB_BYTES: usize = 256 * 1024;

/// A point on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobPoint {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// A courier on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobCourier {
    /// The tenant's courier id.
    pub id: i64,
    /// Bottles the trike carries.
    pub capacity: u32,
    /// Earliest departure, seconds since midnight.
    pub shift_start_s: i64,
    /// Latest return, seconds since midnight.
    pub shift_end_s: i64,
}

/// The search limits on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobLimits {
    /// Time limit, milliseconds.
    pub time_limit_ms: u64,
    /// Seed of the search.
    pub seed: u64,
    /// Cap on the solver's iterations.
    pub solver_iterations: u64,
    /// Cap on the polish's iterations.
    pub polish_iterations: u64,
}

/// One station-day's night plan: what `milkrun worker` takes from the queue. The orders
/// themselves are in the store (frozen before the job is published); the job carries what
/// the night needs besides them, the *manifest* whose hash is part of the message id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NightJob {
    /// The tenant.
    pub tenant: i64,
    /// The station.
    pub station: i64,
    /// The delivery day, `YYYY-MM-DD`.
    pub date: String,
    /// The station's point.
    pub depot: JobPoint,
    /// The couriers riding from the station.
    pub couriers: Vec<JobCourier>,
    /// Service time at each door, seconds.
    pub service_s: i64,
    /// Largest distance from a household to its road, metres.
    pub max_snap_m: f64,
    /// Whether the plan keeps close to the station's previous plan (the default weights).
    pub stable: bool,
    /// Search limits.
    pub limits: JobLimits,
}

/// A job checked: the store's key and the night's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedJob {
    /// The tenant.
    pub tenant: TenantId,
    /// The station.
    pub station: StationId,
    /// The delivery day.
    pub date: Date,
    /// What the night needs besides the orders.
    pub settings: NightSettings,
}

/// Why a job message was refused (it goes to the dead-letter subject at once).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// Larger than [`MAX_JOB_BYTES`].
    #[error("the job is {0} bytes, more than the {MAX_JOB_BYTES} allowed")]
    TooLarge(usize),
    /// Not a job (the field path says where).
    #[error("job.{path}: {message}")]
    Malformed {
        /// Where in the message.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A field out of its range.
    #[error("job.{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl std::fmt::Display) -> JobError {
    JobError::Invalid {
        field,
        reason: reason.to_string(),
    }
}

impl NightJob {
    /// The message's bytes (JSON; the same job gives the same bytes).
    pub fn to_bytes(&self) -> Result<Vec<u8>, JobError> {
        serde_json::to_vec(self).map_err(|e| JobError::Malformed {
            path: String::new(),
            message: e.to_string(),
        })
    }

    /// A job from a message's bytes, bounded and with the failing field's path in errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<NightJob, JobError> {
        if bytes.len() > MAX_JOB_BYTES {
            return Err(JobError::TooLarge(bytes.len()));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| JobError::Malformed {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// The subject the job is published on: `milkrun.night.<tenant>.<station>`.
    pub fn subject(&self) -> String {
        format!(
            "{}.{}.{}",
            super::JOB_SUBJECT_PREFIX,
            self.tenant,
            self.station
        )
    }

    /// The message id (`Nats-Msg-Id`) JetStream drops duplicates by:
    /// `night:<tenant>:<station>:<date>:<manifest hash>`, the hash the first 16 hex digits of
    /// the SHA-256 of the job's bytes. The same job published twice is stored once; a job
    /// with other settings for the same station-day is a new message (its plan is still made
    /// at most once: the store keeps the first).
    pub fn message_id(&self) -> Result<String, JobError> {
        let hash = Sha256::digest(self.to_bytes()?);
        let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Ok(format!(
            "night:{}:{}:{}:{hex}",
            self.tenant, self.station, self.date
        ))
    }

    /// Checks every field once, into the store's types.
    pub fn check(&self) -> Result<CheckedJob, JobError> {
        let date = Date::parse_iso(&self.date).map_err(|e| invalid("date", e))?;
        let depot =
            GeoPoint::new(self.depot.lat, self.depot.lon).map_err(|e| invalid("depot", e))?;
        if self.couriers.is_empty()
            || self.couriers.len() > milkrun_dairy::engine::MAX_PLAN_COURIERS
        {
            return Err(invalid(
                "couriers",
                format!(
                    "{} couriers; give 1 to {}",
                    self.couriers.len(),
                    milkrun_dairy::engine::MAX_PLAN_COURIERS
                ),
            ));
        }
        if !self.max_snap_m.is_finite() || self.max_snap_m < 0.0 {
            return Err(invalid("max_snap_m", "must be a non-negative number"));
        }
        let settings = NightSettings {
            depot,
            couriers: self
                .couriers
                .iter()
                .map(|c| PlanCourier {
                    id: CourierId(c.id),
                    capacity: c.capacity,
                    shift_start_s: c.shift_start_s,
                    shift_end_s: c.shift_end_s,
                })
                .collect(),
            service_s: self.service_s,
            max_snap_m: self.max_snap_m,
            stability: self.stable.then(Stability::default),
            limits: PlanLimits {
                time_limit_ms: self.limits.time_limit_ms,
                seed: self.limits.seed,
                solver_iterations: self.limits.solver_iterations,
                polish_iterations: self.limits.polish_iterations,
            },
        };
        // The remaining bounds (capacity, shifts, service time, time limit) are the plan
        // request's own, checked by the store before the engine is asked.
        Ok(CheckedJob {
            tenant: TenantId(self.tenant),
            station: StationId(self.station),
            date,
            settings,
        })
    }
}

/// A Jobs API job that `milkrun serve --nats` hands to the workers: only its key (the row in
/// the shared store is the job's single truth: its request, state, progress, cancel and
/// result) and the tenant's longest run at submission (the worker has no tenants file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceJob {
    /// The service's tenant id.
    pub tenant: String,
    /// The job's number (`job-<seq>`).
    pub seq: i64,
    /// The tenant's longest run, seconds.
    pub max_time_limit_s: f64,
    /// An optimization's other limits and serve's road set (absent for a forecast or an
    /// order plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize: Option<JobOptimize>,
}

/// What an optimization job carries besides its key (see
/// [`OptimizeTerms`](crate::serve::OptimizeTerms)): the tenant's model limits at submission
/// and the identity of serve's road set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobOptimize {
    /// Shipments of one model.
    pub max_stops: u32,
    /// Vehicles of one model.
    pub max_vehicles: u32,
    /// Cells of one matrix.
    pub max_matrix_cells: u64,
    /// The road set's identity (`osm-<bytes>-<hash>`).
    pub roads: String,
}

impl JobOptimize {
    /// The terms as serve's type.
    pub fn terms(&self) -> crate::serve::OptimizeTerms {
        crate::serve::OptimizeTerms {
            max_stops: self.max_stops,
            max_vehicles: self.max_vehicles,
            max_matrix_cells: self.max_matrix_cells,
            roads: self.roads.clone(),
        }
    }

    /// Serve's terms on the wire.
    pub fn of(terms: &crate::serve::OptimizeTerms) -> JobOptimize {
        JobOptimize {
            max_stops: terms.max_stops,
            max_vehicles: terms.max_vehicles,
            max_matrix_cells: terms.max_matrix_cells,
            roads: terms.roads.clone(),
        }
    }
}

/// Longest road set identity, bytes.
const MAX_ROADS_BYTES: usize = 128;

impl ServiceJob {
    /// The message's bytes (JSON).
    pub fn to_bytes(&self) -> Result<Vec<u8>, JobError> {
        serde_json::to_vec(self).map_err(|e| JobError::Malformed {
            path: String::new(),
            message: e.to_string(),
        })
    }

    /// A job from a message's bytes, bounded and checked (the field named in errors).
    pub fn from_bytes(bytes: &[u8]) -> Result<ServiceJob, JobError> {
        if bytes.len() > MAX_JOB_BYTES {
            return Err(JobError::TooLarge(bytes.len()));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let job: ServiceJob =
            serde_path_to_error::deserialize(&mut de).map_err(|e| JobError::Malformed {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        if job.tenant.is_empty() || job.tenant.len() > 128 {
            return Err(invalid("tenant", "must be 1 to 128 bytes"));
        }
        if job.seq <= 0 {
            return Err(invalid("seq", format!("{} is not a job number", job.seq)));
        }
        if !job.max_time_limit_s.is_finite() || job.max_time_limit_s <= 0.0 {
            return Err(invalid("max_time_limit_s", "must be a positive number"));
        }
        if let Some(o) = &job.optimize {
            if o.roads.is_empty()
                || o.roads.len() > MAX_ROADS_BYTES
                || !o.roads.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(invalid(
                    "optimize.roads",
                    format!("must be 1 to {MAX_ROADS_BYTES} printable ASCII bytes"),
                ));
            }
            if o.max_stops == 0 || o.max_vehicles == 0 || o.max_matrix_cells == 0 {
                return Err(invalid(
                    "optimize",
                    "max_stops, max_vehicles and max_matrix_cells must be positive",
                ));
            }
        }
        Ok(job)
    }

    /// The message id: `job:<tenant>:<seq>` (a job re-published after a restart of serve is
    /// stored once).
    pub fn message_id(&self) -> String {
        format!("job:{}:{}", self.tenant, self.seq)
    }
}
