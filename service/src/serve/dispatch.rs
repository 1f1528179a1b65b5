//! The Dispatch service: live days, held in memory per tenant
//! ([`LiveDays`](super::live_days::LiveDays)) and persisted in the store of `--db`. A handler
//! converts the message ([`convert::day`]), runs the day's work (snapping, matrices,
//! [`LiveDay::apply`]) on the worker pool as an interactive call, stores the result, and only
//! then answers: an event is acknowledged once its row is committed. Events of one day are
//! applied one at a time (the day's lock is held from the check of its expected version to
//! its commit). A courier's credential has its expected version checked against its own
//! route (see `milkrun_dispatch::LiveDay::admit`), so the couriers of one day do not abort
//! each other's events. An event's commit writes its log row and a small update of the day;
//! a new matrix (traffic, a new address) or a snapshot only when the event brings one. At
//! start, [`LiveDays::restore`](super::live_days::LiveDays::restore) brings back every open
//! day: its newest snapshot with its matrix and the events logged after it, re-applied.
//! Replicas sharing a store run each day on the holder of its lease: a call for a day
//! another replica runs is answered UNAVAILABLE with a retry delay, one for a day whose
//! replica died takes it over (see [`super::live_days`]); a write refused because the day
//! was taken over meanwhile (fenced) is answered the same way, and the day leaves memory.
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use milkrun_dairy::store::live_days::LiveEventWrite;
use milkrun_dairy::store::StoreError;
use milkrun_dispatch::{
    Applied, Dispatch, Event, EventKind, LiveDay, LiveError, LoggedEvent, Progression, Weights,
};
use milkrun_engine::EngineError;
use milkrun_station::road::RoadLocations;
use milkrun_station::StationError;
use tokio::sync::{mpsc, OwnedMutexGuard};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::auth::Role;
use super::call::{grpc_unary, handle, CallCtx};
use super::config::TenantId;
use super::convert::day::{self as convert, DayLabels, EventDraft};
use super::error::ServiceError;
use super::live_days::{lost, replan_options, DayEntry, SNAPSHOT_EVERY};
use super::proto::v1 as pb;
use super::state::ServiceState;
use super::workers::Lane;

/// Messages buffered for a watcher; a slower watcher misses versions, never the last one.
const WATCH_BUFFER: usize = 16;

static NEXT_DAY: AtomicU64 = AtomicU64::new(0);

/// A new day id: the time in nanoseconds and a counter, hexadecimal.
fn new_day_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!(
        "day-{nanos:016x}-{:04x}",
        NEXT_DAY.fetch_add(1, Ordering::Relaxed) & 0xffff
    )
}

fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("the live-day store: {e}"))
}

fn no_day(day_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no open day {day_id:?}"))
}

fn live_error(e: LiveError, field: &str) -> ServiceError {
    match e {
        LiveError::Stale { .. } => ServiceError::Aborted(format!("{field}: {e}")),
        LiveError::EventId => ServiceError::invalid(format!("{field}.event_id"), e.to_string()),
        LiveError::Full => ServiceError::FailedPrecondition(e.to_string()),
        LiveError::Replan(e) => ServiceError::invalid(field, e.to_string()),
        other => ServiceError::Internal(other.to_string()),
    }
}

fn road_error(e: StationError, field: impl Fn(usize) -> String) -> ServiceError {
    match e {
        StationError::Road(EngineError::TooFarFromRoad { index, .. }) => {
            ServiceError::invalid(field(index), "too far from any road of the network")
        }
        StationError::Road(e @ EngineError::MatrixTooLarge { .. }) => ServiceError::OverQuota {
            subject: "max_matrix_cells",
            description: e.to_string(),
        },
        other => ServiceError::Internal(other.to_string()),
    }
}

fn may_plan(role: &Role) -> Result<(), ServiceError> {
    match role {
        Role::Admin | Role::Dispatcher(_) => Ok(()),
        _ => Err(ServiceError::PermissionDenied(
            "only an admin or a dispatcher opens and closes days",
        )),
    }
}

/// The courier a caller stands for in a day: `None` for the tenant's staff, the courier's
/// index for a courier's credential.
fn courier_scope(role: &Role, labels: &DayLabels) -> Result<Option<usize>, ServiceError> {
    match role {
        Role::Courier(id) => labels
            .courier(&id.0)
            .map(Some)
            .ok_or(ServiceError::PermissionDenied(
                "the courier has no route in this day",
            )),
        Role::Customer(_) => Err(ServiceError::PermissionDenied(
            "customers do not see live days",
        )),
        Role::Admin | Role::Dispatcher(_) | Role::Analyst => Ok(None),
    }
}

fn check_day_id(day_id: &str) -> Result<(), ServiceError> {
    if day_id.is_empty() || day_id.len() > convert::MAX_LABEL {
        return Err(ServiceError::invalid("day_id", "must be 1 to 128 bytes"));
    }
    Ok(())
}

/// Opens a day: checks the plan, snaps its places, builds its matrix on the tenant's roads,
/// sets the plan, stores the day and answers it at plan version 1.
pub async fn open_day(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::OpenDayRequest,
) -> Result<pb::Day, ServiceError> {
    may_plan(&ctx.identity.role)?;
    let tenant = ctx.identity.tenant.clone();
    let quota = state.quotas.tenant(&tenant)?;
    let draft = convert::check_open(&req, &quota.limits)?;
    let _reservation = state.days.reserve(&tenant, quota.limits.max_live_days)?;
    let _permit = quota.solve_permit()?;
    let st = Arc::clone(state);
    let t = tenant.clone();
    let (entry, matrix, snapshot) = state
        .pool
        .run(
            Lane::Interactive,
            move || -> Result<(DayEntry, Vec<u8>, String), ServiceError> {
                let overlay = st
                    .roads
                    .overlay(&t, draft.profile)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                let field = |i: usize| match i {
                    0 => "depot".to_string(),
                    i => format!("stops[{}].location", i - 1),
                };
                let roads = RoadLocations::snap(&overlay, &draft.points, draft.max_snap_m)
                    .map_err(|e| road_error(e, field))?;
                let times = roads.matrix(&overlay).map_err(|e| road_error(e, field))?;
                let mut day =
                    Dispatch::new(times, 0, draft.stops, draft.couriers, Weights::default())
                        .map_err(|e| ServiceError::invalid("stops", e.to_string()))?;
                day.set_progression(Progression::Reported);
                day.set_plan(&draft.routes, &replan_options())
                    .map_err(|e| ServiceError::invalid("routes", e.to_string()))?;
                let entry = DayEntry::opened(
                    LiveDay::open(day),
                    draft.labels,
                    roads,
                    draft.profile,
                    draft.max_snap_m,
                );
                let matrix = entry.matrix_bytes()?;
                let snapshot = entry.snapshot()?;
                Ok((entry, matrix, snapshot))
            },
        )
        .await??;
    let day_id = new_day_id();
    let view = entry.view(&day_id, None);
    state
        .days
        .create(&tenant, &day_id, entry, &matrix, &snapshot)
        .await?;
    state.metrics.live_days.inc();
    Ok(view)
}

/// What applying one event gives: the answer, the log record, the day's new matrix when
/// the event changed it (its number, its bytes), and a snapshot when one is due.
struct Outcome {
    applied: Applied,
    logged: String,
    matrix: Option<(u64, Vec<u8>)>,
    snapshot: Option<String>,
}

/// Applies one converted event to the day (on a worker thread); `courier`: the caller's
/// courier, the scope of its expected version.
#[allow(clippy::too_many_arguments)]
fn apply_draft(
    state: &ServiceState,
    tenant: &TenantId,
    entry: &mut DayEntry,
    draft: EventDraft,
    event_id: &str,
    expected: u64,
    courier: Option<usize>,
    field: &str,
) -> Result<Outcome, ServiceError> {
    let options = replan_options();
    let overlay = || {
        state
            .roads
            .overlay(tenant, entry.profile)
            .map_err(|e| ServiceError::Internal(e.to_string()))
    };
    let mut new_label = None;
    // The number the day's matrix gets if the event changes it (kept only once applied).
    let next_matrix = entry.matrix + 1;
    let changes_matrix = !matches!(draft, EventDraft::Ready { .. });
    let (event, reason) = match draft {
        EventDraft::Ready { event, reason } => (event, reason),
        EventDraft::Traffic { time_s } => {
            let o = overlay()?;
            let times = entry
                .roads
                .matrix(&o)
                .map_err(|e| road_error(e, |_| format!("{field}.traffic")))?;
            let kind = EventKind::Traffic(Box::new(times));
            (Event { time_s, kind }, String::new())
        }
        EventDraft::Slowdown {
            time_s,
            inside,
            percent,
        } => {
            let times = milkrun_station::live::slowed(entry.live.day().times(), &inside, percent);
            let kind = EventKind::Traffic(Box::new(times));
            (Event { time_s, kind }, String::new())
        }
        EventDraft::NewStop {
            time_s,
            label,
            point,
            mut spec,
        } => {
            let o = overlay()?;
            spec.loc = entry
                .roads
                .add_to(&o, entry.live.day_mut(), point, entry.max_snap_m)
                .map_err(|e| match e {
                    StationError::Dispatch(e) => ServiceError::invalid(field, e.to_string()),
                    e => road_error(e, |_| format!("{field}.new_stop.stop.location")),
                })?;
            spec.household = entry.labels.stops.len() as u32;
            new_label = Some(label);
            let kind = EventKind::NewOrder(spec);
            (Event { time_s, kind }, String::new())
        }
    };
    let logged = match &event.kind {
        EventKind::Traffic(_) => LoggedEvent::Traffic {
            time_s: event.time_s,
            matrix: next_matrix,
        },
        _ => LoggedEvent::of(&event, &reason),
    };
    let logged =
        serde_json::to_string(&logged).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let applied = entry
        .live
        .apply(event_id, expected, courier, event, &options)
        .map_err(|e| live_error(e, field))?;
    if let Some(label) = new_label {
        entry.labels.add_stop(label);
    }
    let matrix = if changes_matrix {
        entry.matrix = next_matrix;
        Some((next_matrix, entry.matrix_bytes()?))
    } else {
        None
    };
    // A snapshot when the log alone cannot give the day back (a re-plan that may not replay
    // the same, a new address), and at least every SNAPSHOT_EVERY events.
    let snapshot = if applied.snapshot || entry.since_snapshot + 1 >= SNAPSHOT_EVERY {
        Some(entry.snapshot()?)
    } else {
        None
    };
    Ok(Outcome {
        applied,
        logged,
        matrix,
        snapshot,
    })
}

fn moved_stops(applied: &Applied, entry: &DayEntry) -> Vec<String> {
    let day = entry.live.day();
    applied
        .report
        .iter()
        .flat_map(|r| r.moved.iter())
        .filter_map(|m| day.stops().get(m.stop as usize))
        .filter_map(|s| entry.labels.stops.get(s.household as usize).cloned())
        .collect()
}

/// Applies events in order; each is stored before the next is taken.
pub async fn apply_events(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ApplyEventsRequest,
) -> Result<pb::ApplyEventsResponse, ServiceError> {
    if matches!(ctx.identity.role, Role::Analyst | Role::Customer(_)) {
        return Err(ServiceError::PermissionDenied(
            "the analyst role is read-only",
        ));
    }
    check_day_id(&req.day_id)?;
    if req.events.is_empty() || req.events.len() > convert::MAX_EVENTS_PER_CALL {
        return Err(ServiceError::invalid(
            "events",
            format!("1 to {} events per call", convert::MAX_EVENTS_PER_CALL),
        ));
    }
    let tenant = ctx.identity.tenant.clone();
    let slot = state.days.slot(&tenant, &req.day_id).await?;
    let mut entry: OwnedMutexGuard<DayEntry> = Arc::clone(&slot.entry).lock_owned().await;
    if slot.is_lost() {
        return Err(lost(&req.day_id));
    }
    if !entry.open {
        return Err(no_day(&req.day_id));
    }
    let only = courier_scope(&ctx.identity.role, &entry.labels)?;
    let mut results = Vec::with_capacity(req.events.len());
    for (i, e) in req.events.into_iter().enumerate() {
        let field = format!("events[{i}]");
        if let Some(first) = entry
            .live
            .admit(&e.event_id, e.expected_plan_version, only)
            .map_err(|err| live_error(err, &field))?
        {
            results.push(pb::EventResult {
                event_id: e.event_id,
                plan_version: first.plan_version,
                replayed: true,
                moved_stops: Vec::new(),
                arrivals_shifted: 0,
                max_shift_s: 0,
            });
            continue;
        }
        let draft = convert::event(&e, &field, &entry.live, &entry.labels, only)?;
        let st = Arc::clone(state);
        let t = tenant.clone();
        let event_id = e.event_id.clone();
        let expected = e.expected_plan_version;
        let (back, outcome) = state
            .pool
            .run(Lane::Interactive, move || {
                let mut entry = entry;
                let out = apply_draft(
                    &st, &t, &mut entry, draft, &event_id, expected, only, &field,
                );
                (entry, out)
            })
            .await?;
        entry = back;
        let outcome = outcome?;
        let version = outcome.applied.plan_version;
        let number = |n: u64| i64::try_from(n).map_err(|_| ServiceError::Internal("number".into()));
        let write = LiveEventWrite {
            epoch: slot.epoch,
            event_id: &e.event_id,
            event: &outcome.logged,
            plan_version: number(version)?,
            matrix: match &outcome.matrix {
                Some((n, bytes)) => Some((number(*n)?, bytes.as_slice())),
                None => None,
            },
            snapshot: match &outcome.snapshot {
                Some(s) => Some((number(entry.matrix)?, s.as_str())),
                None => None,
            },
        };
        let commit_started = std::time::Instant::now();
        let stored = state
            .days
            .store
            .append_live_event(&tenant.0, &req.day_id, &write)
            .await;
        tracing::debug!(
            day = %req.day_id,
            version,
            replan_ms = outcome.applied.report.as_ref().map_or(0, |r| r.latency.as_millis()),
            commit_ms = commit_started.elapsed().as_millis(),
            matrix = outcome.matrix.is_some(),
            snapshot_bytes = outcome.snapshot.as_ref().map_or(0, String::len),
            "live-day event stored"
        );
        match stored {
            Ok(_) => {}
            Err(StoreError::Fenced { .. }) => {
                // Taken over while this call ran: the event is not stored, and the day in
                // memory (which holds it) is dropped. The client sends it again.
                entry.open = false;
                state.days.lose(&tenant, &req.day_id, &slot);
                return Err(lost(&req.day_id));
            }
            Err(err) => {
                state.days.reload(&tenant, &req.day_id, &mut entry).await;
                return Err(unavailable(err));
            }
        }
        if outcome.snapshot.is_some() {
            entry.since_snapshot = 0;
        } else {
            entry.since_snapshot += 1;
        }
        slot.changed.send_replace(version);
        let report = outcome.applied.report.as_ref();
        results.push(pb::EventResult {
            moved_stops: moved_stops(&outcome.applied, &entry),
            event_id: e.event_id,
            plan_version: version,
            replayed: false,
            arrivals_shifted: report
                .map_or(0, |r| u32::try_from(r.arrivals_shifted).unwrap_or(u32::MAX)),
            max_shift_s: report.map_or(0, |r| r.max_shift_s),
        });
    }
    Ok(pb::ApplyEventsResponse {
        results,
        day: Some(entry.view(&req.day_id, only)),
    })
}

/// The day as it stands.
pub async fn get_day(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::GetDayRequest,
) -> Result<pb::Day, ServiceError> {
    check_day_id(&req.day_id)?;
    let slot = state.days.slot(&ctx.identity.tenant, &req.day_id).await?;
    let entry = slot.entry.lock().await;
    if slot.is_lost() {
        return Err(lost(&req.day_id));
    }
    let only = courier_scope(&ctx.identity.role, &entry.labels)?;
    Ok(entry.view(&req.day_id, only))
}

/// Closes a day: stored as closed, then dropped from memory; watchers get the last view.
pub async fn close_day(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::CloseDayRequest,
) -> Result<pb::Day, ServiceError> {
    may_plan(&ctx.identity.role)?;
    check_day_id(&req.day_id)?;
    let tenant = ctx.identity.tenant.clone();
    let slot = state.days.slot(&tenant, &req.day_id).await?;
    let mut entry = slot.entry.lock().await;
    if slot.is_lost() {
        return Err(lost(&req.day_id));
    }
    if !entry.open {
        return Err(no_day(&req.day_id));
    }
    match state
        .days
        .store
        .close_live_day(&tenant.0, &req.day_id, slot.epoch)
        .await
    {
        Ok(_) => {}
        Err(StoreError::Fenced { .. }) => {
            entry.open = false;
            state.days.lose(&tenant, &req.day_id, &slot);
            return Err(lost(&req.day_id));
        }
        Err(e) => return Err(unavailable(e)),
    }
    entry.open = false;
    state.days.remove(tenant, req.day_id.clone());
    state.metrics.live_days.dec();
    slot.changed.send_modify(|_| {});
    Ok(entry.view(&req.day_id, None))
}

/// Re-plans routes under way that the caller keeps (nothing is stored).
pub async fn replan(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::ReplanRequest,
) -> Result<pb::ReplanResponse, ServiceError> {
    if !ctx.identity.role.may_optimize() {
        return Err(ServiceError::PermissionDenied(
            "the analyst role cannot re-plan",
        ));
    }
    let tenant = ctx.identity.tenant.clone();
    let quota = state.quotas.tenant(&tenant)?;
    let draft = convert::check_replan(&req, &quota.limits)?;
    let _permit = quota.solve_permit()?;
    let st = Arc::clone(state);
    state
        .pool
        .run(Lane::Interactive, move || {
            let open = draft.open;
            let overlay = st
                .roads
                .overlay(&tenant, open.profile)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let field = |i: usize| match i {
                0 => "depot".to_string(),
                i => format!("stops[{}].location", i - 1),
            };
            let roads = RoadLocations::snap(&overlay, &open.points, open.max_snap_m)
                .map_err(|e| road_error(e, field))?;
            let times = roads.matrix(&overlay).map_err(|e| road_error(e, field))?;
            let (day, _) = Dispatch::resume_routes(
                times,
                0,
                open.stops,
                open.couriers,
                Weights::default(),
                &draft.executed,
                &draft.planned,
                draft.freeze_s,
                &replan_options(),
            )
            .map_err(|e| ServiceError::invalid("routes", e.to_string()))?;
            let view = convert::day_view("", &LiveDay::open(day), &open.labels, true, None);
            Ok(pb::ReplanResponse {
                routes: view.routes,
                stops: view.stops,
            })
        })
        .await?
}

/// The stream type of WatchDay.
pub type DayStream = Pin<Box<dyn Stream<Item = Result<pb::Day, Status>> + Send>>;

/// The day now, then each new plan version, until it closes or the watcher goes away.
pub async fn watch_day(
    state: &Arc<ServiceState>,
    ctx: CallCtx,
    req: pb::GetDayRequest,
) -> Result<DayStream, ServiceError> {
    check_day_id(&req.day_id)?;
    let slot = state.days.slot(&ctx.identity.tenant, &req.day_id).await?;
    let mut changed = slot.changed.subscribe();
    let only = {
        let entry = slot.entry.lock().await;
        courier_scope(&ctx.identity.role, &entry.labels)?
    };
    let (tx, rx) = mpsc::channel(WATCH_BUFFER);
    let day_id = req.day_id;
    tokio::spawn(async move {
        loop {
            let _seen = *changed.borrow_and_update();
            if slot.is_lost() {
                // Watch again: the call goes to the replica that runs the day now.
                let _ = tx.send(Err(lost(&day_id).to_status())).await;
                return;
            }
            let (view, open) = {
                let entry = slot.entry.lock().await;
                (entry.view(&day_id, only), entry.open)
            };
            if tx.send(Ok(view)).await.is_err() || !open {
                return;
            }
            tokio::select! {
                r = changed.changed() => {
                    if r.is_err() {
                        return;
                    }
                }
                () = tx.closed() => return,
            }
        }
    });
    Ok(Box::pin(ReceiverStream::new(rx)))
}

/// The gRPC face of the Dispatch service.
#[derive(Debug, Clone)]
pub struct DispatchGrpc {
    /// The shared state.
    pub state: Arc<ServiceState>,
}

#[tonic::async_trait]
impl pb::dispatch_server::Dispatch for DispatchGrpc {
    async fn open_day(&self, r: Request<pb::OpenDayRequest>) -> Result<Response<pb::Day>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Dispatch/OpenDay", r, |ctx, m| {
            open_day(state, ctx, m)
        })
        .await
    }

    async fn apply_events(
        &self,
        r: Request<pb::ApplyEventsRequest>,
    ) -> Result<Response<pb::ApplyEventsResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Dispatch/ApplyEvents", r, |ctx, m| {
            apply_events(state, ctx, m)
        })
        .await
    }

    async fn get_day(&self, r: Request<pb::GetDayRequest>) -> Result<Response<pb::Day>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Dispatch/GetDay", r, |ctx, m| {
            get_day(state, ctx, m)
        })
        .await
    }

    type WatchDayStream = DayStream;

    async fn watch_day(
        &self,
        r: Request<pb::GetDayRequest>,
    ) -> Result<Response<DayStream>, Status> {
        let state = &self.state;
        let headers = r.metadata().clone().into_headers();
        let msg = r.into_inner();
        handle(state, "milkrun.v1.Dispatch/WatchDay", &headers, |ctx| {
            watch_day(state, ctx, msg)
        })
        .await
        .map(Response::new)
        .map_err(Status::from)
    }

    async fn close_day(
        &self,
        r: Request<pb::CloseDayRequest>,
    ) -> Result<Response<pb::Day>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Dispatch/CloseDay", r, |ctx, m| {
            close_day(state, ctx, m)
        })
        .await
    }

    async fn replan(
        &self,
        r: Request<pb::ReplanRequest>,
    ) -> Result<Response<pb::ReplanResponse>, Status> {
        let state = &self.state;
        grpc_unary(state, "milkrun.v1.Dispatch/Replan", r, |ctx, m| {
            replan(state, ctx, m)
        })
        .await
    }
}
