//! The Routes service: optimize a shipment model, unary or streaming. A handler checks the
//! model, takes the tenant's solve permit and a CPU permit, and on a worker thread snaps the
//! locations, builds the matrix on the tenant's overlay (door to door unless the model asks
//! for road only: the values Roads.Matrix gives, so two different doors on one road
//! position are their access legs apart, never 0 s), solves and converts the plan, with each
//! location's snap and access distances.
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use milkrun_engine::Door;
use milkrun_vrp::{solve, ProgressFn, SolverOptions, UnassignedReason};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::call::{grpc_unary, handle, run_limit, CallCtx, CancelOnDrop};
use super::config::Quotas;
use super::convert::model::{self, ModelDraft};
use super::convert::plan::{self, PlanLabels};
use super::convert::plan_day as day;
use super::error::ServiceError;
use super::proto::v1 as pb;
use super::roads::lane;
use super::state::ServiceState;

/// Messages buffered for a streaming client; improvements beyond are dropped (the final plan
/// always arrives).
const STREAM_BUFFER: usize = 16;

/// A checked request, ready to run on a worker.
#[derive(Debug)]
pub(crate) struct SolveJob {
    model: pb::ShipmentModel,
    draft: ModelDraft,
    pub(crate) time_limit: Duration,
    /// Whether the caller's deadline (not the requested limit) set the time limit.
    deadline_bound: bool,
    seed: u64,
}

impl SolveJob {
    /// The road network the job runs on.
    pub(crate) fn profile(&self) -> milkrun_engine::Profile {
        self.draft.profile
    }
}

/// Checks the request; `Ok(Err(response))` answers a validate-only request.
pub(crate) fn check(
    state: &ServiceState,
    ctx: &CallCtx,
    req: pb::OptimizeRequest,
) -> Result<Result<SolveJob, pb::OptimizeResponse>, ServiceError> {
    if !ctx.identity.role.may_optimize() {
        return Err(ServiceError::PermissionDenied(
            "the analyst role cannot optimize",
        ));
    }
    let quota = state.quotas.tenant(&ctx.identity.tenant)?;
    check_limits(&quota.limits, Some(ctx), req)
}

/// Checks the request against a tenant's limits (and the call's deadline, when there is a
/// call): the check of [`check`] without the service's state, also that of a `milkrun
/// worker` running an optimization job with the limits the job carries.
pub(crate) fn check_limits(
    limits: &Quotas,
    ctx: Option<&CallCtx>,
    req: pb::OptimizeRequest,
) -> Result<Result<SolveJob, pb::OptimizeResponse>, ServiceError> {
    let draft = model::check(req.model.as_ref(), limits)?;
    let (limit, deadline_bound) =
        run_limit(req.time_limit_s, limits.max_time_limit_s, ctx, "plan")?;
    if req.validate_only {
        draft.validate()?;
        return Ok(Err(pb::OptimizeResponse {
            validated_only: true,
            ..Default::default()
        }));
    }
    Ok(Ok(SolveJob {
        model: req.model.unwrap_or_default(),
        draft,
        time_limit: limit,
        deadline_bound,
        seed: req.seed,
    }))
}

/// Runs a checked job on the calling worker thread.
pub(crate) fn run(
    state: &ServiceState,
    tenant: &super::config::TenantId,
    job: SolveJob,
    cancel: Arc<AtomicBool>,
    on_plan: Option<&(dyn Fn(pb::SolveProgress, pb::OptimizeResponse) + Send + Sync)>,
) -> Result<pb::OptimizeResponse, ServiceError> {
    let overlay = state
        .roads
        .overlay(tenant, job.draft.profile)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let observe = |s: f64| state.metrics.solve_seconds.observe(s);
    run_on(&overlay, job, cancel, on_plan, &observe)
}

/// Runs a checked job on the calling worker thread on the roads of `overlay` (the tenant's
/// traffic on the job's network, or a worker's network without traffic), telling `observe`
/// the solve's seconds.
pub(crate) fn run_on(
    overlay: &milkrun_engine::TrafficOverlay,
    job: SolveJob,
    cancel: Arc<AtomicBool>,
    on_plan: Option<&(dyn Fn(pb::SolveProgress, pb::OptimizeResponse) + Send + Sync)>,
    observe: &dyn Fn(f64),
) -> Result<pb::OptimizeResponse, ServiceError> {
    // The model's field of the location at `index`, for an error about it.
    let field_of = |index: usize| {
        job.draft
            .location_fields
            .get(index)
            .cloned()
            .unwrap_or_else(|| "model".into())
    };
    let snaps = overlay
        .snap_all(&job.draft.locations, job.draft.max_snap_m)
        .map_err(|e| match e {
            milkrun_engine::EngineError::TooFarFromRoad { index, .. } => {
                ServiceError::invalid(field_of(index), e.to_string())
            }
            other => ServiceError::Internal(other.to_string()),
        })?;
    // Door to door unless the model asks for road only: the values Roads.Matrix gives.
    let doors: Vec<Door> = job
        .draft
        .locations
        .iter()
        .zip(&snaps)
        .map(|(&p, s)| Door::snapped(p, s))
        .collect();
    let matrix = overlay
        .matrix_doors(&doors, &doors, job.draft.access, None)
        .map_err(|e| match e {
            milkrun_engine::EngineError::AccessTooLong { index, .. } => {
                ServiceError::invalid(field_of(index), e.to_string())
            }
            milkrun_engine::EngineError::BadAccessSpeed { .. } => {
                ServiceError::invalid("model.access_speed_mps", e.to_string())
            }
            other => ServiceError::OverQuota {
                subject: "max_matrix_cells",
                description: other.to_string(),
            },
        })?;
    let (shipment_snaps, vehicle_snaps) = plan::snaps(
        &job.draft.location_owners,
        &snaps,
        job.model.shipments.len(),
        job.model.vehicles.len(),
    );
    let load_types = job.draft.load_types.clone();
    let (problem, job_refs) = job.draft.into_problem(&matrix)?;
    let problem = Arc::new(problem);
    let limit_s = job.time_limit.as_secs_f64();
    let (tx, rx) = std::sync::mpsc::channel::<milkrun_vrp::Progress>();
    let options = SolverOptions {
        seed: job.seed,
        time_limit: Some(job.time_limit),
        cancel: Some(cancel),
        threads: 1,
        progress: on_plan.map(|_| -> ProgressFn {
            let tx = tx.clone();
            Arc::new(move |p| {
                let _ = tx.send(p);
            })
        }),
        ..Default::default()
    };
    drop(tx);
    let started = Instant::now();
    let labels = PlanLabels {
        model: &job.model,
        job_refs: &job_refs,
        load_types: &load_types,
        shipment_snaps: &shipment_snaps,
        vehicle_snaps: &vehicle_snaps,
    };
    let solution = std::thread::scope(|s| {
        // Improvements are converted beside the search so the search never waits on them.
        if let Some(send) = on_plan {
            let problem = Arc::clone(&problem);
            s.spawn(move || {
                for p in rx {
                    let routes: Vec<(usize, Vec<usize>)> = p
                        .routes
                        .iter()
                        .map(|r| (r.vehicle_type, r.jobs.to_vec()))
                        .collect();
                    if let Some(sol) = milkrun_vrp::Solution::from_routes(&problem, &routes) {
                        send(plan::progress(&p), plan::plan(&sol, labels, limit_s));
                    }
                }
            });
        }
        let solution = solve(&problem, &options);
        // Closes the progress channel, so the converter thread ends before the scope does.
        drop(options);
        solution
    });
    observe(started.elapsed().as_secs_f64());
    let stopped_mandatory = solution.unassigned.iter().any(|u| {
        u.reason == UnassignedReason::StoppedEarly
            && problem
                .jobs()
                .get(u.job)
                .is_some_and(|j| j.skip_penalty.is_none())
    });
    if stopped_mandatory && job.deadline_bound {
        return Err(ServiceError::DeadlineExceeded(
            "the deadline ended the search before every mandatory shipment was placed".into(),
        ));
    }
    Ok(plan::plan(&solution, labels, limit_s))
}

/// Optimizes a model (unary).
pub async fn optimize(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::OptimizeRequest,
) -> Result<pb::OptimizeResponse, ServiceError> {
    let lane = lane(req.priority);
    let job = match check(state, &ctx, req)? {
        Ok(job) => job,
        Err(validated) => return Ok(validated),
    };
    let _permit = state.quotas.tenant(&ctx.identity.tenant)?.solve_permit()?;
    let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
    let flag = Arc::clone(&cancel.0);
    let st = Arc::clone(state);
    let tenant = ctx.identity.tenant.clone();
    state
        .pool
        .run(lane, move || run(&st, &tenant, job, flag, None))
        .await?
}

/// Plans a station's morning for the dairy layer's remote engine: the request is checked
/// and converted ([`day::request`](super::convert::plan_day::request)), and on a worker thread the same function as the
/// in-process engine ([`milkrun_station::night::plan_on_roads`]) plans it on the tenant's
/// roads (its traffic included).
pub async fn plan_day(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::PlanDayRequest,
) -> Result<pb::PlanDayResponse, ServiceError> {
    if !ctx.identity.role.may_optimize() {
        return Err(ServiceError::PermissionDenied(
            "the analyst role cannot plan",
        ));
    }
    let lane = lane(req.priority);
    let quota = state.quotas.tenant(&ctx.identity.tenant)?;
    let (plan, profile) = day::request(&req, &quota.limits)?;
    let _permit = quota.solve_permit()?;
    let overlay = state
        .roads
        .overlay(&ctx.identity.tenant, profile)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    state
        .pool
        .run(lane, move || {
            let answer =
                milkrun_station::night::plan_on_roads(&overlay, &plan).map_err(|e| match e {
                    milkrun_station::StationError::Dairy(d) => day::invalid(d),
                    milkrun_station::StationError::Road(r) => {
                        ServiceError::invalid("stops", r.to_string())
                    }
                    other => ServiceError::Internal(other.to_string()),
                })?;
            Ok(day::response(&answer))
        })
        .await?
}

/// The stream type of OptimizeStream.
pub type PlanStream =
    Pin<Box<dyn Stream<Item = Result<pb::OptimizeStreamResponse, Status>> + Send>>;

/// Optimizes a model, streaming each improvement and then the final plan.
pub async fn optimize_stream(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::OptimizeRequest,
) -> Result<PlanStream, ServiceError> {
    let lane = lane(req.priority);
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let job = match check(state, &ctx, req)? {
        Ok(job) => job,
        Err(validated) => {
            let last = pb::OptimizeStreamResponse {
                progress: None,
                plan: Some(validated),
                done: true,
            };
            let _ = tx.try_send(Ok(last));
            return Ok(Box::pin(ReceiverStream::new(rx)));
        }
    };
    let permit = state.quotas.tenant(&ctx.identity.tenant)?.solve_permit()?;
    let st = Arc::clone(state);
    let tenant = ctx.identity.tenant.clone();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let progress_tx = tx.clone();
    let cpu = state.pool.permit(lane).await?;
    let work = state.pool.spawn(cpu, move || {
        let send = move |p: pb::SolveProgress, plan: pb::OptimizeResponse| {
            let msg = pb::OptimizeStreamResponse {
                progress: Some(p),
                plan: Some(plan),
                done: false,
            };
            let _ = progress_tx.try_send(Ok(msg));
        };
        run(&st, &tenant, job, flag, Some(&send))
    })?;
    tokio::spawn(async move {
        let _permit = permit;
        let _cancel = CancelOnDrop(cancel);
        let last = match work.await {
            Ok(Ok(plan)) => Ok(pb::OptimizeStreamResponse {
                progress: None,
                plan: Some(plan),
                done: true,
            }),
            Ok(Err(e)) => Err(e.to_status()),
            Err(_) => Err(Status::internal("a worker stopped during the call")),
        };
        let _ = tx.send(last).await;
    });
    Ok(Box::pin(ReceiverStream::new(rx)))
}

/// The gRPC face of the Routes service.
#[derive(Debug, Clone)]
pub struct RoutesGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::routes_server::Routes for RoutesGrpc {
    async fn optimize(
        &self,
        r: Request<pb::OptimizeRequest>,
    ) -> Result<Response<pb::OptimizeResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Routes/Optimize", r, |ctx, m| {
            optimize(state, ctx, m)
        })
        .await
    }

    type OptimizeStreamStream = PlanStream;

    async fn optimize_stream(
        &self,
        r: Request<pb::OptimizeRequest>,
    ) -> Result<Response<PlanStream>, Status> {
        let state = &self.state;
        let headers = r.metadata().clone().into_headers();
        let msg = r.into_inner();
        handle(state, "milkrun.v1.Routes/OptimizeStream", &headers, |ctx| {
            optimize_stream(state, ctx, msg)
        })
        .await
        .map(Response::new)
        .map_err(Status::from)
    }

    async fn plan_day(
        &self,
        r: Request<pb::PlanDayRequest>,
    ) -> Result<Response<pb::PlanDayResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Routes/PlanDay", r, |ctx, m| {
            plan_day(state, ctx, m)
        })
        .await
    }
}
