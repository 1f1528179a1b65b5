//! The state every handler shares, behind one `Arc`.
use super::auth::Authenticator;
use super::job_book::JobBook;
use super::live_days::LiveDays;
use super::metrics::Metrics;
use super::quota::QuotaBook;
use super::road_registry::RoadRegistry;
use super::workers::WorkerPool;

/// Request size limit of both faces, bytes (checked before the body is buffered).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// What the handlers share: credentials, quotas, roads, the worker pool, the metrics, the
/// jobs and the live days.
#[derive(Debug)]
pub struct ServiceState {
    /// Credentials.
    pub auth: Authenticator,
    /// Per-tenant quotas.
    pub quotas: QuotaBook,
    /// Networks and per-tenant traffic.
    pub roads: RoadRegistry,
    /// Solves and matrices run here.
    pub pool: WorkerPool,
    /// Metrics.
    pub metrics: Metrics,
    /// The Jobs service's jobs, persisted in the store.
    pub jobs: JobBook,
    /// The live days, persisted in the store.
    pub days: LiveDays,
}
