//! The Jobs service's book: every tenant's jobs in memory (a watch channel each) and the
//! store they persist in, with what turns a job into a stored row and back. The handlers are
//! in [`jobs`](super::jobs); this module needs none of the shared state, so that
//! [`ServiceState`](super::state::ServiceState) can hold a [`JobBook`] without importing a
//! handler module.
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use milkrun_dairy::store::jobs::{self as stored, JobEnd, StoredJob};
use milkrun_dairy::store::Store;
use prost::Message;
use tokio::sync::watch;

use super::config::TenantId;
use super::error::ServiceError;
use super::metrics::code_name;
use super::proto::v1 as pb;

/// Finished jobs kept per tenant (with their results, in memory and in the store); the oldest
/// finished goes first.
pub const MAX_KEPT_JOBS: usize = 100;
/// Longest error message a failed job keeps, bytes.
const MAX_ERROR_MESSAGE: usize = 2048;

type JobResult = pb::job::Result;

/// A job's state as it changes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Snapshot {
    pub(super) state: pb::JobState,
    pub(super) done: u64,
    pub(super) total: u64,
    pub(super) started_ms: i64,
    pub(super) finished_ms: i64,
    pub(super) error: Option<pb::JobError>,
    pub(super) result: Option<JobResult>,
}

pub(super) fn finished(state: pb::JobState) -> bool {
    matches!(
        state,
        pb::JobState::Succeeded | pb::JobState::Failed | pb::JobState::Cancelled
    )
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One job.
#[derive(Debug)]
pub(super) struct JobEntry {
    pub(super) seq: u64,
    pub(super) request_id: String,
    /// The work's digest, hex.
    pub(super) digest: String,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) submitted_ms: i64,
    pub(super) status: watch::Sender<Snapshot>,
}

impl JobEntry {
    pub(super) fn id(&self) -> String {
        format!("job-{}", self.seq)
    }

    pub(super) fn to_pb(&self, snap: &Snapshot, with_result: bool) -> pb::Job {
        pb::Job {
            job_id: self.id(),
            request_id: self.request_id.clone(),
            state: snap.state.into(),
            progress_done: snap.done,
            progress_total: snap.total,
            cancel_requested: self.cancel.load(Ordering::Relaxed),
            submitted_unix_ms: self.submitted_ms,
            started_unix_ms: snap.started_ms,
            finished_unix_ms: snap.finished_ms,
            error: snap.error.clone(),
            result: if with_result {
                snap.result.clone()
            } else {
                None
            },
        }
    }

    pub(super) fn view(&self, with_result: bool) -> pb::Job {
        self.to_pb(&self.status.borrow(), with_result)
    }

    pub(super) fn is_finished(&self) -> bool {
        finished(self.status.borrow().state)
    }

    /// QUEUED → RUNNING; false when the job was cancelled meanwhile.
    pub(super) fn start(&self) -> bool {
        self.status.send_if_modified(|s| {
            if s.state != pb::JobState::Queued {
                return false;
            }
            s.state = pb::JobState::Running;
            s.started_ms = now_ms();
            true
        })
    }

    pub(super) fn progress(&self, done: u64, total: u64) {
        self.status.send_if_modified(|s| {
            if finished(s.state) || (s.done, s.total) == (done, total) {
                return false;
            }
            s.done = done;
            s.total = total;
            true
        });
    }

    /// Records the end of a run (cancelled when the flag was set, keeping the result a
    /// cancelled optimization still returns: the best plan found before the cancel).
    pub(super) fn finish(&self, out: Result<JobResult, ServiceError>) {
        let cancelled = self.cancel.load(Ordering::Relaxed);
        self.status.send_modify(|s| {
            s.finished_ms = now_ms();
            match out {
                Ok(result) => {
                    s.state = if cancelled {
                        pb::JobState::Cancelled
                    } else {
                        s.done = s.total;
                        pb::JobState::Succeeded
                    };
                    s.result = Some(result);
                }
                Err(_) if cancelled => s.state = pb::JobState::Cancelled,
                Err(e) => {
                    s.state = pb::JobState::Failed;
                    s.error = Some(job_error(&e));
                }
            }
        });
    }

    /// Takes the state of its stored row, written by the `milkrun worker` that runs it (a
    /// job finished here is not changed again).
    pub(super) fn sync(&self, row: &StoredJob) {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let snap = if row.state.is_finished() {
            restored_entry(row).status.borrow().clone()
        } else {
            Snapshot {
                state: if row.state == stored::JobState::Running {
                    pb::JobState::Running
                } else {
                    pb::JobState::Queued
                },
                done: count(row.progress_done),
                total: count(row.progress_total),
                started_ms: row.started_ms,
                finished_ms: 0,
                error: None,
                result: None,
            }
        };
        if row.cancel_requested {
            self.cancel.store(true, Ordering::Relaxed);
        }
        self.status.send_if_modified(|s| {
            if finished(s.state) || *s == snap {
                return false;
            }
            *s = snap;
            true
        });
    }

    /// Sets the cancel flag; a queued job is cancelled at once.
    pub(super) fn cancel(&self) {
        if self.is_finished() {
            return;
        }
        self.cancel.store(true, Ordering::Relaxed);
        self.status.send_if_modified(|s| {
            if s.state != pb::JobState::Queued {
                return false;
            }
            s.state = pb::JobState::Cancelled;
            s.finished_ms = now_ms();
            true
        });
    }
}

/// One tenant's jobs.
#[derive(Debug, Default)]
pub(super) struct TenantJobs {
    pub(super) jobs: BTreeMap<u64, Arc<JobEntry>>,
    by_request: HashMap<String, u64>,
}

impl TenantJobs {
    pub(super) fn get(&self, job_id: &str) -> Result<&Arc<JobEntry>, ServiceError> {
        job_id
            .strip_prefix("job-")
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|seq| self.jobs.get(&seq))
            .ok_or_else(|| ServiceError::NotFound(format!("job `{job_id}`")))
    }

    /// The job of a request id: `Ok(None)` when unused, the job when the work is the same.
    pub(super) fn by_request(
        &self,
        request_id: &str,
        digest: &str,
    ) -> Result<Option<Arc<JobEntry>>, ServiceError> {
        if request_id.is_empty() {
            return Ok(None);
        }
        let Some(job) = self
            .by_request
            .get(request_id)
            .and_then(|s| self.jobs.get(s))
        else {
            return Ok(None);
        };
        if job.digest == digest {
            Ok(Some(Arc::clone(job)))
        } else {
            Err(used_request_id(&job.id()))
        }
    }

    pub(super) fn insert(&mut self, entry: &Arc<JobEntry>) {
        self.jobs.insert(entry.seq, Arc::clone(entry));
        if !entry.request_id.is_empty() {
            self.by_request.insert(entry.request_id.clone(), entry.seq);
        }
    }

    /// Drops the oldest finished jobs beyond [`MAX_KEPT_JOBS`].
    pub(super) fn evict(&mut self) {
        let done: Vec<u64> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.is_finished())
            .map(|(s, _)| *s)
            .collect();
        for seq in done.iter().take(done.len().saturating_sub(MAX_KEPT_JOBS)) {
            if let Some(j) = self.jobs.remove(seq) {
                self.by_request.remove(&j.request_id);
            }
        }
    }
}

/// Where `serve --nats` hands a job to run elsewhere: the job's key goes to the queue, its
/// stored row stays the job's truth. Serve knows only this; `milkrun serve` connects the NATS
/// night queue (`crate::night_queue`, which implements it) and passes it in
/// ([`ServeOptions::job_queue`](super::ServeOptions::job_queue)), so `serve` does not import
/// the queue.
pub trait JobQueue: Send + Sync + std::fmt::Debug {
    /// Publishes job `seq` of `tenant`, with the tenant's longest run `max_time_limit_s`
    /// at submission (and, for an optimization, the rest of what its check needs and the
    /// road set: `optimize`), for a worker to run through its row; an error is the queue's,
    /// in words.
    fn publish<'a>(
        &'a self,
        tenant: &'a str,
        seq: i64,
        max_time_limit_s: f64,
        optimize: Option<&'a OptimizeTerms>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// What a `milkrun worker` needs to run an optimization job besides its stored request: the
/// tenant's model limits at submission (the worker has no tenants file; the request is
/// checked again with them, so it gives the same checked job as in serve) and the identity
/// of serve's road set ([`RoadRegistry::identity`](super::road_registry::RoadRegistry::identity)),
/// which the worker's own must equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptimizeTerms {
    /// Shipments of one model.
    pub max_stops: u32,
    /// Vehicles of one model.
    pub max_vehicles: u32,
    /// Cells of one matrix.
    pub max_matrix_cells: u64,
    /// The road set's identity.
    pub roads: String,
}

/// Every tenant's jobs, in memory, and the store they persist in. Job numbers are unique in
/// the server (not per tenant; a restarted server goes on after the largest stored), so one
/// tenant's job id never names another tenant's job.
#[derive(Debug)]
pub struct JobBook {
    tenants: Mutex<HashMap<TenantId, TenantJobs>>,
    pub(super) last_seq: AtomicU64,
    /// One submit at a time per tenant, from its check of the request id to its commit.
    submits: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    pub(super) store: Store,
    /// The job queue of `serve --nats` (the NATS night queue): forecasts and order plans are
    /// handed to the `milkrun worker`s there instead of this server's pool.
    pub(super) remote: OnceLock<Arc<dyn JobQueue>>,
}

impl JobBook {
    /// No job yet, persisting in `store`.
    pub fn new(store: Store) -> JobBook {
        JobBook {
            tenants: Mutex::default(),
            last_seq: AtomicU64::new(0),
            submits: Mutex::default(),
            store,
            remote: OnceLock::new(),
        }
    }

    /// Hands forecasts and order plans to the workers of `queue` from now on (set once, before
    /// the jobs are restored).
    pub fn use_queue(&self, queue: Arc<dyn JobQueue>) -> anyhow::Result<()> {
        self.remote
            .set(queue)
            .map_err(|_| anyhow::anyhow!("the job queue is set already"))
    }

    pub(super) fn with<T>(&self, tenant: &TenantId, f: impl FnOnce(&mut TenantJobs) -> T) -> T {
        let mut all = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        f(all.entry(tenant.clone()).or_default())
    }

    pub(super) fn get(
        &self,
        tenant: &TenantId,
        job_id: &str,
    ) -> Result<Arc<JobEntry>, ServiceError> {
        self.with(tenant, |t| t.get(job_id).cloned())
    }

    pub(super) fn submit_lock(&self, tenant: &TenantId) -> Arc<tokio::sync::Mutex<()>> {
        let mut all = self.submits.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(all.entry(tenant.clone()).or_default())
    }

    /// Records a job's end in the store (a failed write is logged: the job stays finished
    /// in memory, and a restarted server would run it again).
    pub(super) async fn store_end(&self, tenant: &TenantId, entry: &JobEntry) {
        if let Err(e) = write_end(&self.store, &tenant.0, entry).await {
            tracing::error!(%tenant, job = %entry.id(), error = %e, "the end of a job was not stored");
        }
    }
}

/// Writes a finished entry's end to its row; `false` when the row was finished already.
pub(super) async fn write_end(
    store: &Store,
    tenant: &str,
    entry: &JobEntry,
) -> Result<bool, milkrun_dairy::store::StoreError> {
    let snap = entry.status.borrow().clone();
    let result = snap.result.map(|r| {
        pb::Job {
            result: Some(r),
            ..Default::default()
        }
        .encode_to_vec()
    });
    let end = JobEnd {
        state: stored_state(snap.state),
        progress_done: to_i64(snap.done),
        progress_total: to_i64(snap.total),
        result: result.as_deref(),
        error: snap
            .error
            .as_ref()
            .map(|e| (e.code.as_str(), e.message.as_str())),
        finished_ms: snap.finished_ms,
    };
    store.finish_job(tenant, to_i64(entry.seq), &end).await
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn stored_state(state: pb::JobState) -> stored::JobState {
    match state {
        pb::JobState::Running => stored::JobState::Running,
        pb::JobState::Succeeded => stored::JobState::Succeeded,
        pb::JobState::Failed => stored::JobState::Failed,
        pb::JobState::Cancelled => stored::JobState::Cancelled,
        pb::JobState::Queued | pb::JobState::Unspecified => stored::JobState::Queued,
    }
}

pub(super) fn used_request_id(job_id: &str) -> ServiceError {
    ServiceError::invalid(
        "request_id",
        format!("already used for a different request ({job_id}); a request id names one request"),
    )
}

/// A failed job's error, its message cut to [`MAX_ERROR_MESSAGE`] bytes.
fn job_error(e: &ServiceError) -> pb::JobError {
    let mut message = e.to_string();
    if message.len() > MAX_ERROR_MESSAGE {
        let mut cut = MAX_ERROR_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
    }
    pb::JobError {
        code: code_name(e.code()).to_string(),
        message,
    }
}

/// A stored job's state in memory: a finished job as it ended (its result decoded), an
/// unfinished one queued again from the start.
fn snapshot_of(row: &StoredJob) -> Result<Snapshot, String> {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    if !row.state.is_finished() {
        return Ok(Snapshot {
            state: pb::JobState::Queued,
            done: 0,
            total: count(row.progress_total),
            started_ms: 0,
            finished_ms: 0,
            error: None,
            result: None,
        });
    }
    let state = match row.state {
        stored::JobState::Succeeded => pb::JobState::Succeeded,
        stored::JobState::Failed => pb::JobState::Failed,
        stored::JobState::Cancelled => pb::JobState::Cancelled,
        other => return Err(format!("state {}", other.as_str())),
    };
    let result = match &row.result {
        Some(bytes) => {
            pb::Job::decode(bytes.as_slice())
                .map_err(|e| format!("the result: {e}"))?
                .result
        }
        None => None,
    };
    Ok(Snapshot {
        state,
        done: count(row.progress_done),
        total: count(row.progress_total),
        started_ms: row.started_ms,
        finished_ms: row.finished_ms,
        error: row.error.as_ref().map(|e| pb::JobError {
            code: e.code.clone(),
            message: e.message.clone(),
        }),
        result,
    })
}

/// A stored job as an entry in memory; a row that does not decode is a FAILED job
/// (`DATA_LOSS`, saying why), never dropped.
pub(super) fn restored_entry(row: &StoredJob) -> Arc<JobEntry> {
    let snap = snapshot_of(row).unwrap_or_else(|why| Snapshot {
        state: pb::JobState::Failed,
        done: 0,
        total: 0,
        started_ms: row.started_ms,
        finished_ms: now_ms(),
        error: Some(pb::JobError {
            code: code_name(tonic::Code::DataLoss).to_string(),
            message: format!("the stored job could not be read: {why}"),
        }),
        result: None,
    });
    Arc::new(JobEntry {
        seq: u64::try_from(row.seq).unwrap_or(0),
        request_id: row.request_id.clone(),
        digest: row.digest.clone(),
        cancel: Arc::new(AtomicBool::new(row.cancel_requested)),
        submitted_ms: row.submitted_ms,
        status: watch::channel(snap).0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored row comes back as it was stored: a finished job with its state, times,
    /// progress and decoded result; a job stored running is queued again from 0 (its total
    /// kept); a result whose bytes do not decode makes a FAILED job saying DATA_LOSS, not a
    /// lost one.
    #[test]
    fn stored_rows_come_back() {
        let result = JobResult::Forecast(pb::ForecastDemandResponse {
            quantile_levels: vec![0.5],
            ..Default::default()
        });
        let bytes = pb::Job {
            result: Some(result.clone()),
            ..Default::default()
        }
        .encode_to_vec();
        let row = StoredJob {
            tenant: "acme".into(),
            seq: 7,
            request_id: "nightly-7".into(),
            digest: "ab".into(),
            kind: "forecast".into(),
            request: Vec::new(),
            state: stored::JobState::Succeeded,
            cancel_requested: false,
            progress_done: 2,
            progress_total: 2,
            result: Some(bytes),
            error: None,
            submitted_ms: 10,
            started_ms: 20,
            finished_ms: 30,
        };
        let job = restored_entry(&row).view(true);
        assert_eq!(
            (job.job_id.as_str(), job.request_id.as_str(), job.state),
            ("job-7", "nightly-7", pb::JobState::Succeeded as i32)
        );
        assert_eq!(
            (
                job.submitted_unix_ms,
                job.started_unix_ms,
                job.finished_unix_ms
            ),
            (10, 20, 30)
        );
        assert_eq!((job.progress_done, job.progress_total), (2, 2));
        assert_eq!(job.result, Some(result));
        let running = StoredJob {
            state: stored::JobState::Running,
            progress_done: 1,
            result: None,
            ..row.clone()
        };
        let job = restored_entry(&running).view(true);
        assert_eq!(job.state, pb::JobState::Queued as i32);
        assert_eq!(
            (job.progress_done, job.progress_total, job.started_unix_ms),
            (0, 2, 0)
        );
        let garbled = StoredJob {
            result: Some(vec![0xff, 0xff, 0xff]),
            ..row
        };
        let job = restored_entry(&garbled).view(true);
        assert_eq!(job.state, pb::JobState::Failed as i32);
        assert_eq!(job.error.map(|e| e.code), Some("DATA_LOSS".to_string()));
    }

    /// Only finished jobs are evicted, oldest first, down to [`MAX_KEPT_JOBS`], and their
    /// request ids go with them.
    #[test]
    fn eviction_keeps_unfinished_jobs() {
        let mut t = TenantJobs::default();
        let n = MAX_KEPT_JOBS as u64 + 5;
        for seq in 1..=n {
            let state = if seq == 1 {
                pb::JobState::Running
            } else {
                pb::JobState::Succeeded
            };
            let (status, _) = watch::channel(Snapshot {
                state,
                done: 0,
                total: 0,
                started_ms: 0,
                finished_ms: 0,
                error: None,
                result: None,
            });
            t.jobs.insert(
                seq,
                Arc::new(JobEntry {
                    seq,
                    request_id: format!("r{seq}"),
                    digest: String::new(),
                    cancel: Arc::new(AtomicBool::new(false)),
                    submitted_ms: 0,
                    status,
                }),
            );
            t.by_request.insert(format!("r{seq}"), seq);
        }
        t.evict();
        assert_eq!(
            t.jobs.len(),
            MAX_KEPT_JOBS + 1,
            "the running job and the newest finished"
        );
        assert!(t.jobs.contains_key(&1), "the running job stays");
        assert!(!t.jobs.contains_key(&2) && !t.by_request.contains_key("r2"));
        assert!(t.jobs.contains_key(&n));
    }
}
