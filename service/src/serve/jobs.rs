//! The Jobs service: batch work submitted once and followed by polling or a stream. Jobs are kept
//! in memory ([`JobBook`](super::job_book::JobBook): per tenant, with a watch channel each) and
//! persisted in the store of `--db` (`milkrun_dairy::store::jobs`): Submit answers once the job's
//! row is committed, and every change of state (running, the end with its result or error, a cancel
//! request) is written as it happens. At start, [`restore`] brings back every tenant's jobs:
//! finished ones with their results, and jobs that were queued or running when the server stopped
//! are checked again from their stored request and queued again from the start, never dropped (a
//! forecast or an order plan is deterministic given its request and re-runs to the same answer; an
//! optimization re-runs its seeded search under its time limit, which may find another plan); one
//! whose cancel had been asked ends CANCELLED, and one whose request no longer passes the check (a
//! quota lowered meanwhile) ends FAILED with that error. Progress is not stored: a re-run counts
//! from 0.
//!
//! A submitted job is checked by the same functions as the unary calls (`routes::check`,
//! `forecast::check_*`), then waits for a batch CPU permit of the worker pool (queued jobs wait
//! their turn instead of being shed) and runs on a worker thread with a cancel flag that
//! reaches the solver or the forecast. A result is kept up to [`MAX_RESULT_BYTES`] (its
//! protobuf encoding); a larger one fails the job with RESOURCE_EXHAUSTED.
//!
//! Under `serve --nats` ([`JobBook::use_queue`](super::job_book::JobBook::use_queue)),
//! forecasts and order plans run on `milkrun worker`s instead: the stored row is the job's
//! truth, the queue ([`JobQueue`](super::job_book::JobQueue), the NATS night queue) carries
//! only its key, the worker runs it through
//! the row ([`run_remote`]) and this server follows the row ([`REMOTE_POLL`]) into the job's
//! watch channel, so Get, Watch, List and Cancel answer as for a job run here.
//!
//! Idempotency: a request with a `request_id` that the tenant used before returns that job
//! when the work is the same (compared by the SHA-256 of its proto3 JSON with sorted keys), and
//! answers INVALID_ARGUMENT on `request_id` when it differs (a request id names one request;
//! reusing it for another is a client error, not a conflict a retry could resolve). Both hold
//! across restarts while the job is kept (the newest [`MAX_KEPT_JOBS`] finished per tenant).
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use milkrun_dairy::store::jobs::{self as stored, NewJob, Submitted};
use prost::Message;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::auth::{Identity, Role};
use super::call::{grpc_unary, handle, CallCtx};
use super::config::{Quotas, TenantId};
use super::error::ServiceError;
use super::forecast::{self, DemandWork, OrdersWork, Report, MAX_ID_BYTES};
use super::job_book::MAX_KEPT_JOBS;
use super::job_book::{
    finished, now_ms, restored_entry, to_i64, used_request_id, JobEntry, OptimizeTerms, Snapshot,
    TenantJobs,
};
use super::proto::v1 as pb;
use super::road_registry::WorkerRoads;
use super::routes::{self, SolveJob};
use super::state::ServiceState;
use super::workers::Lane;

/// Largest result a job keeps: its protobuf encoding, bytes (the store's bound).
pub const MAX_RESULT_BYTES: usize = stored::MAX_JOB_RESULT_BYTES;
/// Largest page of List.
pub const MAX_PAGE: usize = 100;
/// Page of List when none is asked.
pub const DEFAULT_PAGE: usize = 20;
/// Job numbers tried by one Submit when other replicas of the service take them first.
const MAX_NUMBER_TRIES: u32 = 8;

type Work = pb::submit_job_request::Work;
type JobResult = pb::job::Result;

fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("the job store: {e}"))
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
            let overlay = state
                .roads
                .overlay(tenant, job.profile())
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let observe = |s: f64| state.metrics.solve_seconds.observe(s);
            optimize_on(&overlay, *job, cancel, report, &observe)
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

/// Runs an optimization job on `overlay`'s roads, its progress the search's elapsed
/// milliseconds out of its time limit's (the same in serve and on a worker). Progress is
/// reported only with a plan and is at least 1 ms then, so `progress_done > 0` says the job
/// holds a plan (its first can come in under a millisecond).
fn optimize_on(
    overlay: &milkrun_engine::TrafficOverlay,
    job: SolveJob,
    cancel: Arc<AtomicBool>,
    report: Report,
    observe: &dyn Fn(f64),
) -> Result<JobResult, ServiceError> {
    let limit_ms = u64::try_from(job.time_limit.as_millis()).unwrap_or(u64::MAX);
    let on_plan = move |p: pb::SolveProgress, _plan: pb::OptimizeResponse| {
        // A float to integer cast saturates (NaN gives 0).
        let ms = (p.elapsed_s * 1000.0) as u64;
        report(ms.max(1).min(limit_ms), limit_ms);
    };
    routes::run_on(overlay, job, cancel, Some(&on_plan), observe).map(JobResult::Optimize)
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
        match running {
            Ok(true) => {}
            // Cancelled through another replica while it waited here: the row says so.
            Ok(false) => {
                if let Ok(Some(row)) = state
                    .jobs
                    .store
                    .service_job(&tenant.0, to_i64(entry.seq))
                    .await
                {
                    if row.state.is_finished() {
                        entry.sync(&row);
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(%tenant, job = %entry.id(), error = %e, "the start of a job was not stored");
            }
        }
        let job = Arc::clone(&entry);
        let report: Report = Arc::new(move |done, total| job.progress(done, total));
        let flag = Arc::clone(&entry.cancel);
        let st = Arc::clone(&state);
        let t = tenant.clone();
        // Its progress goes to its row, where every replica reads it, and a cancel asked
        // through another replica comes back from there.
        let poll = {
            let (st, t, job) = (Arc::clone(&state), tenant.clone(), Arc::clone(&entry));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(REMOTE_POLL);
                loop {
                    tick.tick().await;
                    let (done, total) = {
                        let s = job.status.borrow();
                        (to_i64(s.done), to_i64(s.total))
                    };
                    let asked = st
                        .jobs
                        .store
                        .job_progress(&t.0, to_i64(job.seq), done, total);
                    if let Ok(true) = asked.await {
                        job.cancel.store(true, Ordering::Relaxed);
                    }
                }
            })
        };
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
        poll.abort();
        entry.finish(out.and_then(bounded));
        state.jobs.store_end(&tenant, &entry).await;
    });
}

/// How often a worker's job stores its progress and reads its cancel flag, and how often
/// `serve --nats` reads it back.
pub const REMOTE_POLL: Duration = Duration::from_millis(200);

/// Whether `work` goes to the workers of `serve --nats`: forecasts, order plans, and
/// optimizations on a network where the tenant has no live traffic (traffic lives in this
/// replica's memory, so such a run stays here, where its answer is the same as a unary call's).
fn is_remote(state: &ServiceState, tenant: &TenantId, work: &Checked) -> bool {
    state.jobs.remote.get().is_some()
        && match work {
            Checked::Forecast(_) | Checked::PlanOrders(_) => true,
            Checked::Optimize(job) => !state.roads.has_traffic(tenant, job.profile()),
            Checked::Done(_) => false,
        }
}

/// Runs a queued job: on this server's pool, or, under `--nats`, on a worker.
fn start(
    state: &Arc<ServiceState>,
    tenant: TenantId,
    entry: Arc<JobEntry>,
    work: Checked,
) -> Result<(), ServiceError> {
    if is_remote(state, &tenant, &work) {
        let limits = &state.quotas.tenant(&tenant)?.limits;
        let optimize = matches!(work, Checked::Optimize(_)).then(|| OptimizeTerms {
            max_stops: limits.max_stops,
            max_vehicles: limits.max_vehicles,
            max_matrix_cells: limits.max_matrix_cells,
            roads: state.roads.identity().to_string(),
        });
        hand_over(
            Arc::clone(state),
            tenant,
            entry,
            limits.max_time_limit_s,
            optimize,
        );
    } else {
        launch(Arc::clone(state), tenant, entry, work);
    }
    Ok(())
}

/// Publishes the job's key to the workers, then follows its row until it is finished (the
/// row is the job's truth; a failed publish fails the job, UNAVAILABLE).
fn hand_over(
    state: Arc<ServiceState>,
    tenant: TenantId,
    entry: Arc<JobEntry>,
    max_s: f64,
    optimize: Option<OptimizeTerms>,
) {
    tokio::spawn(async move {
        let Some(queue) = state.jobs.remote.get() else {
            return;
        };
        let published = queue
            .publish(&tenant.0, to_i64(entry.seq), max_s, optimize.as_ref())
            .await;
        if let Err(e) = published {
            entry.status.send_modify(|s| {
                s.state = pb::JobState::Failed;
                s.finished_ms = now_ms();
                s.error = Some(pb::JobError {
                    code: "UNAVAILABLE".into(),
                    message: format!("the job queue: {e}"),
                });
            });
            return state.jobs.store_end(&tenant, &entry).await;
        }
        follow_row(&state, &tenant, &entry).await;
    });
}

/// Follows a job another process runs (a `milkrun worker`, or another replica of the
/// service) through its row every [`REMOTE_POLL`] until it is finished, so that Get, Watch
/// and List answer here as for a job of this server.
fn follow(state: Arc<ServiceState>, tenant: TenantId, entry: Arc<JobEntry>) {
    tokio::spawn(async move { follow_row(&state, &tenant, &entry).await });
}

async fn follow_row(state: &ServiceState, tenant: &TenantId, entry: &JobEntry) {
    let mut tick = tokio::time::interval(REMOTE_POLL);
    while !entry.is_finished() {
        tick.tick().await;
        match state
            .jobs
            .store
            .service_job(&tenant.0, to_i64(entry.seq))
            .await
        {
            Ok(Some(row)) => entry.sync(&row),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(%tenant, job = %entry.id(), error = %e, "a job run elsewhere was not read back");
            }
        }
    }
}

/// A tenant's job: held by this server, or stored by another replica (then followed
/// through its row while it is unfinished, see [`follow`]).
async fn find(
    state: &Arc<ServiceState>,
    tenant: &TenantId,
    job_id: &str,
) -> Result<Arc<JobEntry>, ServiceError> {
    let missing = match state.jobs.get(tenant, job_id) {
        Ok(job) => return Ok(job),
        Err(e) => e,
    };
    let Some(seq) = job_id
        .strip_prefix("job-")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|&n| n > 0)
    else {
        return Err(missing);
    };
    let Some(row) = state
        .jobs
        .store
        .service_job(&tenant.0, seq)
        .await
        .map_err(unavailable)?
    else {
        return Err(missing);
    };
    let entry = restored_entry(&row);
    let held = state.jobs.with(tenant, |t| {
        // A concurrent call may have brought it in first: that entry is the one followed.
        if let Ok(held) = t.get(job_id) {
            return Some(Arc::clone(held));
        }
        t.insert(&entry);
        None
    });
    if let Some(held) = held {
        return Ok(held);
    }
    if !entry.is_finished() {
        follow(Arc::clone(state), tenant.clone(), Arc::clone(&entry));
    }
    Ok(entry)
}

/// What a `milkrun worker` did with a Jobs API job of `serve --nats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteRun {
    /// It ran and ended so (succeeded, failed or cancelled).
    Ended(pb::JobState),
    /// Its cancel was asked before it started: it is cancelled without running.
    CancelledQueued,
    /// Finished already or unknown: nothing done.
    Gone,
}

/// Runs job `seq` of `tenant` for a `milkrun worker`, through its row: claims it, checks its
/// stored request again (with the tenant's longest run `max_s` at submission, and for an
/// optimization the rest of its limits and serve's road set, `optimize`), runs it on a
/// blocking thread while a task stores its progress every [`REMOTE_POLL`] and passes a
/// requested cancel to the work, and stores its end (once: a redelivered job finds its row
/// finished and changes nothing). An optimization runs on `roads` (imported on the first
/// one, without traffic: serve keeps a tenant's optimizations on a network with traffic);
/// it fails FAILED_PRECONDITION when its message lacks `optimize` or names another road
/// set than the worker's.
pub async fn run_remote(
    store: &milkrun_dairy::store::Store,
    tenant: &str,
    seq: i64,
    max_s: f64,
    optimize: Option<&OptimizeTerms>,
    roads: &Arc<WorkerRoads>,
) -> Result<RemoteRun, milkrun_dairy::store::StoreError> {
    use milkrun_dairy::store::jobs::Claim;
    match store.claim_job(tenant, seq, now_ms()).await? {
        Claim::Run => {}
        Claim::Cancelled => return Ok(RemoteRun::CancelledQueued),
        _ => return Ok(RemoteRun::Gone),
    }
    let Some(row) = store.service_job(tenant, seq).await? else {
        return Ok(RemoteRun::Gone);
    };
    let entry = super::job_book::restored_entry(&row);
    entry.start();
    let checked = pb::SubmitJobRequest::decode(row.request.as_slice())
        .map_err(|e| ServiceError::Internal(format!("the stored request: {e}")))
        .and_then(|r| match r.work {
            Some(Work::Forecast(r)) => {
                forecast::check_forecast(r, max_s, None).map(Checked::Forecast)
            }
            Some(Work::PlanOrders(r)) => {
                forecast::check_orders(r, max_s, None).map(Checked::PlanOrders)
            }
            Some(Work::Optimize(r)) => {
                let terms = optimize.ok_or_else(|| {
                    ServiceError::FailedPrecondition(
                        "job.optimize: an optimization's message carries its limits and road \
                         set; this one has none"
                            .into(),
                    )
                })?;
                let limits = Quotas {
                    max_stops: terms.max_stops,
                    max_vehicles: terms.max_vehicles,
                    max_matrix_cells: terms.max_matrix_cells,
                    max_time_limit_s: max_s,
                    ..Quotas::default()
                };
                match routes::check_limits(&limits, None, r).map_err(|e| prefix(e, "optimize"))? {
                    Ok(job) => Ok(Checked::Optimize(Box::new(job))),
                    Err(validated) => Ok(Checked::Done(JobResult::Optimize(validated))),
                }
            }
            None => Err(ServiceError::Internal(
                "the stored request has no work".into(),
            )),
        });
    let poll = {
        let (store, tenant, entry) = (store.clone(), tenant.to_string(), Arc::clone(&entry));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REMOTE_POLL);
            loop {
                tick.tick().await;
                let (done, total) = {
                    let s = entry.status.borrow();
                    (to_i64(s.done), to_i64(s.total))
                };
                if let Ok(true) = store.job_progress(&tenant, seq, done, total).await {
                    entry.cancel.store(true, Ordering::Relaxed);
                }
            }
        })
    };
    let out = match checked {
        Ok(work) => {
            let job = Arc::clone(&entry);
            let report: Report = Arc::new(move |done, total| job.progress(done, total));
            let flag = Arc::clone(&entry.cancel);
            let roads = Arc::clone(roads);
            let wanted = optimize.map(|t| t.roads.clone()).unwrap_or_default();
            tokio::task::spawn_blocking(move || match work {
                Checked::Forecast(w) => {
                    forecast::run_forecast(w, flag, Some(report)).map(JobResult::Forecast)
                }
                Checked::PlanOrders(w) => {
                    forecast::run_orders(w, flag, Some(report)).map(JobResult::PlanOrders)
                }
                Checked::Optimize(job) => {
                    let registry = roads.get().map_err(|e| {
                        ServiceError::Unavailable(format!("the worker's roads: {e:#}"))
                    })?;
                    if registry.identity() != wanted {
                        return Err(ServiceError::FailedPrecondition(format!(
                            "job.roads: the job is for road set {wanted}, this worker has {} \
                             (start it with the --osm of serve)",
                            registry.identity()
                        )));
                    }
                    let overlay = registry
                        .fresh_overlay(job.profile())
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    optimize_on(&overlay, *job, flag, report, &|_| {})
                }
                Checked::Done(result) => Ok(result),
            })
            .await
            .unwrap_or_else(|e| {
                Err(ServiceError::Internal(format!(
                    "the run ended abnormally: {e}"
                )))
            })
        }
        Err(e) => Err(e),
    };
    poll.abort();
    // A cancel asked during the last poll interval still counts.
    if let Ok(Some(row)) = store.service_job(tenant, seq).await {
        if row.cancel_requested {
            entry.cancel.store(true, Ordering::Relaxed);
        }
    }
    entry.finish(out.and_then(bounded));
    let state = entry.status.borrow().state;
    Ok(
        if super::job_book::write_end(store, tenant, &entry).await? {
            RemoteRun::Ended(state)
        } else {
            RemoteRun::Gone
        },
    )
}

fn may_submit(role: &Role) -> Result<(), ServiceError> {
    match role {
        Role::Admin | Role::Dispatcher(_) => Ok(()),
        _ => Err(ServiceError::PermissionDenied(
            "only admins and dispatchers submit or cancel jobs",
        )),
    }
}

fn may_read(role: &Role) -> Result<(), ServiceError> {
    match role {
        Role::Courier(_) => Err(ServiceError::PermissionDenied("couriers do not see jobs")),
        Role::Customer(_) => Err(ServiceError::PermissionDenied("customers do not see jobs")),
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
    let submitted_ms = now_ms();
    let mut seq = state.jobs.last_seq.fetch_add(1, Ordering::Relaxed) + 1;
    let mut tries = 0;
    loop {
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
            Submitted::Inserted => break,
            // Only when the store holds a finished job that memory dropped, or a job another
            // replica took: it answers as it is.
            Submitted::Existing(row) => {
                let entry = restored_entry(&row);
                if entry.digest != digest {
                    return Err(used_request_id(&entry.id()));
                }
                if !entry.is_finished() {
                    follow(Arc::clone(state), tenant.clone(), Arc::clone(&entry));
                }
                state.jobs.with(&tenant, |t| t.insert(&entry));
                return Ok(entry.view(true));
            }
            // Another replica of the service gave this number: take one above the store's.
            Submitted::NumberTaken => {
                tries += 1;
                if tries >= MAX_NUMBER_TRIES {
                    return Err(ServiceError::Unavailable(format!(
                        "no free job number after {tries} tries"
                    )));
                }
                let last = state.jobs.store.last_job_seq().await.map_err(unavailable)?;
                state
                    .jobs
                    .last_seq
                    .fetch_max(u64::try_from(last).unwrap_or(0), Ordering::Relaxed);
                seq = state.jobs.last_seq.fetch_add(1, Ordering::Relaxed) + 1;
            }
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
    start(state, tenant, Arc::clone(&entry), checked)?;
    Ok(entry.view(true))
}

/// A job with its result.
pub async fn get(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::GetJobRequest,
) -> Result<pb::Job, ServiceError> {
    may_read(&ctx.identity.role)?;
    Ok(find(state, &ctx.identity.tenant, &req.job_id)
        .await?
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
    let job = find(state, tenant, &req.job_id).await?;
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
    // The store's rows are every replica's jobs; those this server holds answer from memory
    // (their progress is fresher). Without the store, memory alone answers.
    let tenant = &ctx.identity.tenant;
    let mut all: std::collections::BTreeMap<u64, pb::Job> =
        match state.jobs.store.service_jobs(&tenant.0).await {
            Ok(rows) => rows
                .iter()
                .filter_map(|row| {
                    let seq = u64::try_from(row.seq).ok().filter(|&s| s < before)?;
                    Some((seq, restored_entry(row).view(false)))
                })
                .collect(),
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "jobs listed from memory only");
                std::collections::BTreeMap::new()
            }
        };
    state.jobs.with(tenant, |t| {
        for (&seq, job) in t.jobs.range(..before) {
            all.insert(seq, job.view(false));
        }
    });
    let page: Vec<(u64, pb::Job)> = all.into_iter().rev().take(size + 1).collect();
    let more = page.len() > size;
    let next_page_token = match (more, page.get(size.saturating_sub(1))) {
        (true, Some((last, _))) => last.to_string(),
        _ => String::new(),
    };
    let jobs: Vec<pb::Job> = page.into_iter().take(size).map(|(_, j)| j).collect();
    Ok(pb::ListJobsResponse {
        jobs,
        next_page_token,
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
                    // A worker's job may be running there: its row is left as it is.
                    if !is_remote(state, tenant, &work) {
                        book.store.requeue_job(&tenant.0, row.seq).await?;
                    }
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
        start(state, tenant, entry, work)?;
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
    let job = find(state, &ctx.identity.tenant, &req.job_id).await?;
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
}
