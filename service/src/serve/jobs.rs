//! The Jobs service: batch work submitted once and followed by polling or a stream. Jobs are
//! kept in memory ([`JobBook`], per tenant, with a watch channel each) and persisted in the
//! store of `--db` (`milkrun_dairy::store::jobs`): Submit answers once the job's row is
//! committed, and every change of state (running, the end with its result or error, a cancel
//! request) is written as it happens. At start, [`restore`] brings back every tenant's jobs:
//! finished ones with their results, and jobs that were queued or running when the server
//! stopped are checked again from their stored request and queued again from the start, never
//! dropped (a forecast or an order plan is deterministic given its request and re-runs to the
//! same answer; an optimization re-runs its seeded search under its time limit, which may find
//! another plan); one whose cancel had been asked ends CANCELLED, and one whose request no
//! longer passes the check (a quota lowered meanwhile) ends FAILED with that error. Progress
//! is not stored: a re-run counts from 0.
//!
//! A submitted job is checked by the same functions as the unary calls (`routes::check`,
//! `forecast::check_*`), then waits for a batch CPU permit of the worker pool (queued jobs wait
//! their turn instead of being shed) and runs on a worker thread with a cancel flag that
//! reaches the solver or the forecast. A result is kept up to [`MAX_RESULT_BYTES`] (its
//! protobuf encoding); a larger one fails the job with RESOURCE_EXHAUSTED.
//!
//! Idempotency: a request with a `request_id` that the tenant used before returns that job
//! when the work is the same (compared by the SHA-256 of its proto3 JSON with sorted keys), and
//! answers INVALID_ARGUMENT on `request_id` when it differs (a request id names one request;
//! reusing it for another is a client error, not a conflict a retry could resolve). Both hold
//! across restarts while the job is kept (the newest [`MAX_KEPT_JOBS`] finished per tenant).
use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use milkrun_dairy::store::jobs::{self as stored, JobEnd, NewJob, StoredJob, Submitted};
use milkrun_dairy::store::Store;
use prost::Message;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::auth::{Identity, Role};
use super::call::{grpc_unary, handle, CallCtx};
use super::config::TenantId;
use super::error::ServiceError;
use super::forecast::{self, DemandWork, OrdersWork, Report, MAX_ID_BYTES};
use super::metrics::code_name;
use super::proto::v1 as pb;
use super::routes::{self, SolveJob};
use super::state::ServiceState;
use super::workers::Lane;

/// Finished jobs kept per tenant (with their results, in memory and in the store); the oldest
/// finished goes first.
pub const MAX_KEPT_JOBS: usize = 100;
/// Largest result a job keeps: its protobuf encoding, bytes (the store's bound).
pub const MAX_RESULT_BYTES: usize = stored::MAX_JOB_RESULT_BYTES;
/// Longest error message a failed job keeps, bytes.
const MAX_ERROR_MESSAGE: usize = 2048;
/// Largest page of List.
pub const MAX_PAGE: usize = 100;
/// Page of List when none is asked.
pub const DEFAULT_PAGE: usize = 20;

type Work = pb::submit_job_request::Work;
type JobResult = pb::job::Result;

/// A job's state as it changes.
#[derive(Debug, Clone)]
struct Snapshot {
    state: pb::JobState,
    done: u64,
    total: u64,
    started_ms: i64,
    finished_ms: i64,
    error: Option<pb::JobError>,
    result: Option<JobResult>,
}

fn finished(state: pb::JobState) -> bool {
    matches!(
        state,
        pb::JobState::Succeeded | pb::JobState::Failed | pb::JobState::Cancelled
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One job.
#[derive(Debug)]
struct JobEntry {
    seq: u64,
    request_id: String,
    /// The work's digest, hex.
    digest: String,
    cancel: Arc<AtomicBool>,
    submitted_ms: i64,
    status: watch::Sender<Snapshot>,
}

impl JobEntry {
    fn id(&self) -> String {
        format!("job-{}", self.seq)
    }

    fn to_pb(&self, snap: &Snapshot, with_result: bool) -> pb::Job {
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

    fn view(&self, with_result: bool) -> pb::Job {
        self.to_pb(&self.status.borrow(), with_result)
    }

    fn is_finished(&self) -> bool {
        finished(self.status.borrow().state)
    }

    /// QUEUED → RUNNING; false when the job was cancelled meanwhile.
    fn start(&self) -> bool {
        self.status.send_if_modified(|s| {
            if s.state != pb::JobState::Queued {
                return false;
            }
            s.state = pb::JobState::Running;
            s.started_ms = now_ms();
            true
        })
    }

    fn progress(&self, done: u64, total: u64) {
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
    fn finish(&self, out: Result<JobResult, ServiceError>) {
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

    /// Sets the cancel flag; a queued job is cancelled at once.
    fn cancel(&self) {
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
struct TenantJobs {
    jobs: BTreeMap<u64, Arc<JobEntry>>,
    by_request: HashMap<String, u64>,
}

impl TenantJobs {
    fn get(&self, job_id: &str) -> Result<&Arc<JobEntry>, ServiceError> {
        job_id
            .strip_prefix("job-")
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|seq| self.jobs.get(&seq))
            .ok_or_else(|| ServiceError::NotFound(format!("job `{job_id}`")))
    }

    /// The job of a request id: `Ok(None)` when unused, the job when the work is the same.
    fn by_request(
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

    fn insert(&mut self, entry: &Arc<JobEntry>) {
        self.jobs.insert(entry.seq, Arc::clone(entry));
        if !entry.request_id.is_empty() {
            self.by_request.insert(entry.request_id.clone(), entry.seq);
        }
    }

    /// Drops the oldest finished jobs beyond [`MAX_KEPT_JOBS`].
    fn evict(&mut self) {
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

/// Every tenant's jobs, in memory, and the store they persist in. Job numbers are unique in
/// the server (not per tenant; a restarted server goes on after the largest stored), so one
/// tenant's job id never names another tenant's job.
#[derive(Debug)]
pub struct JobBook {
    tenants: Mutex<HashMap<TenantId, TenantJobs>>,
    last_seq: AtomicU64,
    /// One submit at a time per tenant, from its check of the request id to its commit.
    submits: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    store: Store,
}

impl JobBook {
    /// No job yet, persisting in `store`.
    pub fn new(store: Store) -> JobBook {
        JobBook {
            tenants: Mutex::default(),
            last_seq: AtomicU64::new(0),
            submits: Mutex::default(),
            store,
        }
    }

    fn with<T>(&self, tenant: &TenantId, f: impl FnOnce(&mut TenantJobs) -> T) -> T {
        let mut all = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        f(all.entry(tenant.clone()).or_default())
    }

    fn get(&self, tenant: &TenantId, job_id: &str) -> Result<Arc<JobEntry>, ServiceError> {
        self.with(tenant, |t| t.get(job_id).cloned())
    }

    fn submit_lock(&self, tenant: &TenantId) -> Arc<tokio::sync::Mutex<()>> {
        let mut all = self.submits.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(all.entry(tenant.clone()).or_default())
    }

    /// Records a job's end in the store (a failed write is logged: the job stays finished
    /// in memory, and a restarted server would run it again).
    async fn store_end(&self, tenant: &TenantId, entry: &JobEntry) {
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
        if let Err(e) = self
            .store
            .finish_job(&tenant.0, to_i64(entry.seq), &end)
            .await
        {
            tracing::error!(%tenant, job = %entry.id(), error = %e, "the end of a job was not stored");
        }
    }
}

fn to_i64(n: u64) -> i64 {
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

fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("the job store: {e}"))
}

fn used_request_id(job_id: &str) -> ServiceError {
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

/// The checked work of a job.
enum Checked {
    Optimize(Box<SolveJob>),
    Forecast(DemandWork),
    PlanOrders(OrdersWork),
    /// Answered by the check itself (a validate-only optimization).
    Done(JobResult),
}

/// The SHA-256 of the work's proto3 JSON (maps sorted by key, so equal messages give equal
/// digests whatever the order of their map entries).
fn digest(work: &Work) -> Result<String, ServiceError> {
    let value = match work {
        Work::Optimize(r) => serde_json::to_value(r),
        Work::Forecast(r) => serde_json::to_value(r),
        Work::PlanOrders(r) => serde_json::to_value(r),
    }
    .and_then(|v| serde_json::to_vec(&v))
    .map_err(|e| ServiceError::invalid("work", e.to_string()))?;
    Ok(Sha256::digest(&value)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The stored name of the work's kind.
fn kind(work: &Work) -> &'static str {
    match work {
        Work::Optimize(_) => "optimize",
        Work::Forecast(_) => "forecast",
        Work::PlanOrders(_) => "plan_orders",
    }
}

fn check_work(
    state: &ServiceState,
    ctx: &CallCtx,
    work: Work,
) -> Result<(Checked, u64), ServiceError> {
    let max_s = state.quotas.max_time_limit_s(&ctx.identity.tenant)?;
    Ok(match work {
        Work::Optimize(r) => {
            // The submitting call's deadline is not the job's.
            let job_ctx = CallCtx {
                deadline: None,
                ..ctx.clone()
            };
            match routes::check(state, &job_ctx, r).map_err(|e| prefix(e, "optimize"))? {
                Ok(job) => {
                    let ms = u64::try_from(job.time_limit.as_millis()).unwrap_or(u64::MAX);
                    (Checked::Optimize(Box::new(job)), ms)
                }
                Err(validated) => (Checked::Done(JobResult::Optimize(validated)), 0),
            }
        }
        Work::Forecast(r) => {
            let w = forecast::check_forecast(r, max_s, None).map_err(|e| prefix(e, "forecast"))?;
            let units = w.units();
            (Checked::Forecast(w), units)
        }
        Work::PlanOrders(r) => {
            let w = forecast::check_orders(r, max_s, None).map_err(|e| prefix(e, "plan_orders"))?;
            let units = w.units();
            (Checked::PlanOrders(w), units)
        }
    })
}

/// Prefixes the fields of an INVALID_ARGUMENT with the work's field in SubmitJobRequest.
fn prefix(e: ServiceError, field: &str) -> ServiceError {
    match e {
        ServiceError::Invalid {
            violations,
            dropped,
        } => ServiceError::Invalid {
            violations: violations
                .into_iter()
                .map(|mut v| {
                    v.field = format!("{field}.{}", v.field);
                    v
                })
                .collect(),
            dropped,
        },
        other => other,
    }
}

/// Runs checked work on the calling worker thread.
fn run(
    state: &ServiceState,
    tenant: &TenantId,
    work: Checked,
    cancel: Arc<AtomicBool>,
    report: Report,
) -> Result<JobResult, ServiceError> {
    match work {
        Checked::Optimize(job) => {
            let limit_ms = u64::try_from(job.time_limit.as_millis()).unwrap_or(u64::MAX);
            let on_plan = move |p: pb::SolveProgress, _plan: pb::OptimizeResponse| {
                // A float to integer cast saturates (NaN gives 0).
                let ms = (p.elapsed_s * 1000.0) as u64;
                report(ms.min(limit_ms), limit_ms);
            };
            routes::run(state, tenant, *job, cancel, Some(&on_plan)).map(JobResult::Optimize)
        }
        Checked::Forecast(w) => {
            forecast::run_forecast(w, cancel, Some(report)).map(JobResult::Forecast)
        }
        Checked::PlanOrders(w) => {
            forecast::run_orders(w, cancel, Some(report)).map(JobResult::PlanOrders)
        }
        Checked::Done(result) => Ok(result),
    }
}

/// A result within [`MAX_RESULT_BYTES`]; a larger one fails the job.
fn bounded(result: JobResult) -> Result<JobResult, ServiceError> {
    let holder = pb::Job {
        result: Some(result),
        ..Default::default()
    };
    let bytes = holder.encoded_len();
    if bytes > MAX_RESULT_BYTES {
        return Err(ServiceError::OverQuota {
            subject: "max_result_bytes",
            description: format!(
                "the result is {bytes} bytes, a job keeps at most {MAX_RESULT_BYTES}"
            ),
        });
    }
    holder
        .result
        .ok_or_else(|| ServiceError::Internal("a result went missing".into()))
}

/// Waits for a batch permit, runs the job on a worker thread and records the end, in memory
/// and in the store.
fn launch(state: Arc<ServiceState>, tenant: TenantId, entry: Arc<JobEntry>, work: Checked) {
    tokio::spawn(async move {
        let mut status = entry.status.subscribe();
        let permit = tokio::select! {
            p = state.pool.permit_queued(Lane::Batch) => p,
            // Cancelled while queued: the place in the queue is given up.
            _ = status.wait_for(|s| finished(s.state)) => return,
        };
        let permit = match permit {
            Ok(p) => p,
            Err(e) => {
                entry.finish(Err(e));
                return state.jobs.store_end(&tenant, &entry).await;
            }
        };
        if !entry.start() {
            return;
        }
        let started_ms = entry.status.borrow().started_ms;
        let running = state
            .jobs
            .store
            .mark_job_running(&tenant.0, to_i64(entry.seq), started_ms)
            .await;
        if let Err(e) = running {
            tracing::warn!(%tenant, job = %entry.id(), error = %e, "the start of a job was not stored");
        }
        let job = Arc::clone(&entry);
        let report: Report = Arc::new(move |done, total| job.progress(done, total));
        let flag = Arc::clone(&entry.cancel);
        let st = Arc::clone(&state);
        let t = tenant.clone();
        let out = match state
            .pool
            .spawn(permit, move || run(&st, &t, work, flag, report))
        {
            Ok(rx) => rx.await.unwrap_or_else(|_| {
                Err(ServiceError::Internal(
                    "a worker stopped during the job".into(),
                ))
            }),
            Err(e) => Err(e),
        };
        entry.finish(out.and_then(bounded));
        state.jobs.store_end(&tenant, &entry).await;
    });
}

fn may_submit(role: &Role) -> Result<(), ServiceError> {
    match role {
        Role::Admin | Role::Dispatcher => Ok(()),
        _ => Err(ServiceError::PermissionDenied(
            "only admins and dispatchers submit or cancel jobs",
        )),
    }
}

fn may_read(role: &Role) -> Result<(), ServiceError> {
    match role {
        Role::Courier(_) => Err(ServiceError::PermissionDenied("couriers do not see jobs")),
        _ => Ok(()),
    }
}

/// Submits a job: answered once the job is stored.
pub async fn submit(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::SubmitJobRequest,
) -> Result<pb::Job, ServiceError> {
    may_submit(&ctx.identity.role)?;
    if req.request_id.len() > MAX_ID_BYTES {
        return Err(ServiceError::invalid(
            "request_id",
            format!("{} bytes, at most {MAX_ID_BYTES}", req.request_id.len()),
        ));
    }
    let encoded = req.encode_to_vec();
    let work = req.work.ok_or_else(|| {
        ServiceError::invalid("work", "one of optimize, forecast or plan_orders is needed")
    })?;
    let tenant = ctx.identity.tenant.clone();
    let digest = digest(&work)?;
    if let Some(job) = state
        .jobs
        .with(&tenant, |t| t.by_request(&req.request_id, &digest))?
    {
        return Ok(job.view(true));
    }
    let kind = kind(&work);
    let (checked, units) = check_work(state, &ctx, work)?;
    let max_queued = state.quotas.tenant(&tenant)?.limits.max_queued_jobs;
    let lock = state.jobs.submit_lock(&tenant);
    let _one_at_a_time = lock.lock().await;
    // A concurrent submit of the same request may have won: its job is the answer.
    if let Some(job) = state
        .jobs
        .with(&tenant, |t| t.by_request(&req.request_id, &digest))?
    {
        return Ok(job.view(true));
    }
    state.jobs.with(&tenant, |t| -> Result<(), ServiceError> {
        let unfinished = t.jobs.values().filter(|j| !j.is_finished()).count();
        if unfinished >= max_queued as usize {
            return Err(ServiceError::Exhausted {
                what: format!("max_queued_jobs ({max_queued} unfinished jobs)"),
                retry_after: Duration::from_secs(5),
            });
        }
        Ok(())
    })?;
    let seq = state.jobs.last_seq.fetch_add(1, Ordering::Relaxed) + 1;
    let submitted_ms = now_ms();
    let new = NewJob {
        tenant: &tenant.0,
        seq: to_i64(seq),
        request_id: &req.request_id,
        digest: &digest,
        kind,
        request: &encoded,
        progress_total: to_i64(units),
        submitted_ms,
    };
    match state
        .jobs
        .store
        .insert_job(&new)
        .await
        .map_err(unavailable)?
    {
        Submitted::Inserted => {}
        // Only when the store holds a finished job that memory dropped: it answers as it is.
        Submitted::Existing(row) => {
            let entry = restored_entry(&row);
            if entry.digest != digest {
                return Err(used_request_id(&entry.id()));
            }
            if !entry.is_finished() {
                return Err(ServiceError::Internal(format!(
                    "{} is stored unfinished but not held by this server",
                    entry.id()
                )));
            }
            state.jobs.with(&tenant, |t| t.insert(&entry));
            return Ok(entry.view(true));
        }
    }
    let (status, _) = watch::channel(Snapshot {
        state: pb::JobState::Queued,
        done: 0,
        total: units,
        started_ms: 0,
        finished_ms: 0,
        error: None,
        result: None,
    });
    let entry = Arc::new(JobEntry {
        seq,
        request_id: req.request_id.clone(),
        digest,
        cancel: Arc::new(AtomicBool::new(false)),
        submitted_ms,
        status,
    });
    state.jobs.with(&tenant, |t| {
        t.insert(&entry);
        t.evict();
    });
    if let Err(e) = state.jobs.store.prune_jobs(&tenant.0, MAX_KEPT_JOBS).await {
        tracing::warn!(%tenant, error = %e, "old finished jobs were not pruned from the store");
    }
    tracing::info!(job = %entry.id(), "job submitted");
    launch(Arc::clone(state), tenant, Arc::clone(&entry), checked);
    Ok(entry.view(true))
}

/// A job with its result.
pub async fn get(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::GetJobRequest,
) -> Result<pb::Job, ServiceError> {
    may_read(&ctx.identity.role)?;
    Ok(state
        .jobs
        .get(&ctx.identity.tenant, &req.job_id)?
        .view(true))
}

/// Asks a job to stop.
pub async fn cancel(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::CancelJobRequest,
) -> Result<pb::Job, ServiceError> {
    may_submit(&ctx.identity.role)?;
    let tenant = &ctx.identity.tenant;
    let job = state.jobs.get(tenant, &req.job_id)?;
    if job.is_finished() {
        return Ok(job.view(true));
    }
    job.cancel();
    let asked = state
        .jobs
        .store
        .request_job_cancel(&tenant.0, to_i64(job.seq))
        .await;
    if let Err(e) = asked {
        tracing::warn!(%tenant, job = %job.id(), error = %e, "a cancel request was not stored");
    }
    // A queued job ends at once; a running one when its work answers the flag.
    if job.is_finished() {
        state.jobs.store_end(tenant, &job).await;
    }
    Ok(job.view(true))
}

/// The tenant's jobs, newest first.
pub async fn list(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ListJobsRequest,
) -> Result<pb::ListJobsResponse, ServiceError> {
    may_read(&ctx.identity.role)?;
    let size = match usize::try_from(req.page_size) {
        Ok(0) => DEFAULT_PAGE,
        Ok(n) => n.min(MAX_PAGE),
        Err(_) => {
            return Err(ServiceError::invalid(
                "page_size",
                format!("{} is negative", req.page_size),
            ))
        }
    };
    let before = if req.page_token.is_empty() {
        u64::MAX
    } else {
        req.page_token
            .parse::<u64>()
            .map_err(|_| ServiceError::invalid("page_token", "not a token this service gave"))?
    };
    let page: Vec<Arc<JobEntry>> = state.jobs.with(&ctx.identity.tenant, |t| {
        t.jobs
            .range(..before)
            .rev()
            .take(size + 1)
            .map(|(_, j)| Arc::clone(j))
            .collect()
    });
    let more = page.len() > size;
    let jobs: Vec<pb::Job> = page.iter().take(size).map(|j| j.view(false)).collect();
    let next_page_token = match (more, page.get(size.saturating_sub(1))) {
        (true, Some(last)) => last.seq.to_string(),
        _ => String::new(),
    };
    Ok(pb::ListJobsResponse {
        jobs,
        next_page_token,
    })
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
fn restored_entry(row: &StoredJob) -> Arc<JobEntry> {
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

/// What [`restore`] brought back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoredJobs {
    /// Finished jobs, with their results.
    pub finished: usize,
    /// Jobs queued or running when the server stopped, queued again.
    pub requeued: usize,
    /// Unfinished jobs ended now: cancelled (a cancel had been asked), or failed (their
    /// stored request no longer passes the check, e.g. after a quota was lowered).
    pub ended: usize,
}

/// Brings back every job of the configured tenants from the store (see the module doc) and
/// queues again the unfinished ones; job numbers go on after the largest stored. Jobs of a
/// tenant no longer configured are left in the store.
pub async fn restore(
    state: &Arc<ServiceState>,
    tenants: &[TenantId],
) -> anyhow::Result<RestoredJobs> {
    let book = &state.jobs;
    let mut out = RestoredJobs::default();
    let mut queue = Vec::new();
    for tenant in tenants {
        let ctx = CallCtx {
            identity: Identity {
                tenant: tenant.clone(),
                role: Role::Admin,
            },
            deadline: None,
            started: Instant::now(),
        };
        for row in book.store.service_jobs(&tenant.0).await? {
            let entry = restored_entry(&row);
            book.with(tenant, |t| t.insert(&entry));
            if row.state.is_finished() {
                out.finished += 1;
                continue;
            }
            if row.cancel_requested {
                entry.cancel();
                book.store_end(tenant, &entry).await;
                out.ended += 1;
                continue;
            }
            let checked = pb::SubmitJobRequest::decode(row.request.as_slice())
                .map_err(|e| ServiceError::Internal(format!("the stored request: {e}")))
                .and_then(|r| {
                    r.work.ok_or_else(|| {
                        ServiceError::Internal("the stored request has no work".into())
                    })
                })
                .and_then(|work| check_work(state, &ctx, work));
            match checked {
                Ok((work, units)) => {
                    entry.status.send_modify(|s| s.total = units);
                    book.store.requeue_job(&tenant.0, row.seq).await?;
                    queue.push((tenant.clone(), entry, work));
                    out.requeued += 1;
                }
                Err(e) => {
                    tracing::warn!(%tenant, job = %entry.id(), error = %e, "a restored job fails its check");
                    entry.finish(Err(e));
                    book.store_end(tenant, &entry).await;
                    out.ended += 1;
                }
            }
        }
        book.with(tenant, TenantJobs::evict);
    }
    let last = u64::try_from(book.store.last_job_seq().await?).unwrap_or(0);
    book.last_seq.fetch_max(last, Ordering::Relaxed);
    for (tenant, entry, work) in queue {
        launch(Arc::clone(state), tenant, entry, work);
    }
    Ok(out)
}

/// The stream type of Watch.
pub type JobStream = Pin<Box<dyn Stream<Item = Result<pb::Job, Status>> + Send>>;

/// Streams a job's state on every change until it is finished.
pub async fn watch(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::WatchJobRequest,
) -> Result<JobStream, ServiceError> {
    may_read(&ctx.identity.role)?;
    let job = state.jobs.get(&ctx.identity.tenant, &req.job_id)?;
    let mut rx = job.status.subscribe();
    let (tx, out) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let snap = rx.borrow_and_update().clone();
            let done = finished(snap.state);
            if tx.send(Ok(job.to_pb(&snap, done))).await.is_err() || done {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    });
    Ok(Box::pin(ReceiverStream::new(out)))
}

/// The gRPC face of the Jobs service.
#[derive(Debug, Clone)]
pub struct JobsGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::jobs_server::Jobs for JobsGrpc {
    async fn submit(&self, r: Request<pb::SubmitJobRequest>) -> Result<Response<pb::Job>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Jobs/Submit", r, |ctx, m| {
            submit(state, ctx, m)
        })
        .await
    }

    async fn get(&self, r: Request<pb::GetJobRequest>) -> Result<Response<pb::Job>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Jobs/Get", r, |ctx, m| get(state, ctx, m)).await
    }

    async fn cancel(&self, r: Request<pb::CancelJobRequest>) -> Result<Response<pb::Job>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Jobs/Cancel", r, |ctx, m| {
            cancel(state, ctx, m)
        })
        .await
    }

    type WatchStream = JobStream;

    async fn watch(&self, r: Request<pb::WatchJobRequest>) -> Result<Response<JobStream>, Status> {
        let state = &self.state;
        let headers = r.metadata().clone().into_headers();
        let msg = r.into_inner();
        handle(state, "milkrun.v1.Jobs/Watch", &headers, |ctx| {
            watch(state, ctx, msg)
        })
        .await
        .map(Response::new)
        .map_err(Status::from)
    }

    async fn list(
        &self,
        r: Request<pb::ListJobsRequest>,
    ) -> Result<Response<pb::ListJobsResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Jobs/List", r, |ctx, m| {
            list(state, ctx, m)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal work gives equal digests whatever the order its maps were filled in; other work
    /// gives another digest.
    #[test]
    fn digest_ignores_map_order() {
        let shipment = |pairs: &[(&str, i64)]| pb::Shipment {
            load_demands: pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect(),
            ..Default::default()
        };
        let work = |pairs: &[(&str, i64)]| {
            Work::Optimize(pb::OptimizeRequest {
                model: Some(pb::ShipmentModel {
                    shipments: vec![shipment(pairs)],
                    ..Default::default()
                }),
                ..Default::default()
            })
        };
        let a = digest(&work(&[("crates", 3), ("bottles", 2), ("cans", 1)])).expect("a digest");
        let b = digest(&work(&[("cans", 1), ("crates", 3), ("bottles", 2)])).expect("a digest");
        let c = digest(&work(&[("cans", 1), ("crates", 4), ("bottles", 2)])).expect("a digest");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

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
