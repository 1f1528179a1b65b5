//! The drop-in faces over HTTP, so OSRM and VROOM users switch by changing a URL:
//! `GET /osrm/table/v1/{profile}/{coordinates}`, `GET /osrm/route/v1/{profile}/{coordinates}`
//! and `POST /vroom`. Each call goes through [`handle_as`] like every other call (the same
//! credentials, rate quota, request id and metrics), runs on the worker pool, and answers with
//! [`crate::compat`]'s conversions: OSRM's and VROOM's JSON, and their error bodies.
//!
//! Travel values: the OSRM face is road only, as OSRM is (a table or route between road
//! positions; its callers compare or mix it with OSRM's own numbers). The VROOM face plans
//! door to door by default, as `Routes.Optimize` does: VROOM answers plans, not travel
//! values, and promises no particular router's numbers (it runs on OSRM, openrouteservice
//! or Valhalla, each snapping in its own way); its jobs' `location`s are where the work is
//! done, and a plan that puts two doors on one road position 0 s apart leaves the walk out.
//! `POST /vroom?road_only=true` gives the values VROOM on OSRM would plan with (for a caller
//! who already counts the walk in `setup` or `service`), `?access_speed_mps=` another
//! walking speed ([`vroom::access_from_query`]). Custom `matrices` are used as given. Each
//! routed step and unassigned task also carries `snap_distance` and `access_distance`
//! (metres), keys VROOM's clients ignore.
//!
//! On the main port the caller sends `Authorization: Bearer ...`. On `--compat-listen`, for
//! clients that cannot send headers (VROOM's own routing client, for one), every call acts as
//! the one tenant the configuration names in `compat_tenant` (the `dev` tenant with
//! `--dev-key`), with the dispatcher role.
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use milkrun_engine::Profile;
use milkrun_vrp::SolverOptions;

use super::auth::Identity;
use super::call::{handle_as, CallCtx};
use super::error::ServiceError;
use super::quota::TenantQuota;
use super::state::{ServiceState, MAX_REQUEST_BYTES};
use super::workers::Lane;
use crate::compat::{osrm, vroom};

/// Longest search of a VROOM problem (VROOM's input has no time limit; the tenant's
/// `max_time_limit_s` caps it further).
pub const VROOM_TIME_LIMIT: Duration = Duration::from_secs(5);

/// Who the faces' calls act as.
#[derive(Debug, Clone)]
struct Face {
    state: Arc<ServiceState>,
    /// `None`: the caller's own credentials; `Some`: the `--compat-listen` tenant.
    fixed: Option<Identity>,
}

/// The faces' routes. `fixed`: the identity every call acts as (`--compat-listen`), or
/// `None` to authenticate each call from its headers (the main port).
pub fn router(state: Arc<ServiceState>, fixed: Option<Identity>) -> Router {
    Router::new()
        .route("/osrm/table/v1/{profile}/{coordinates}", get(osrm_table))
        .route("/osrm/route/v1/{profile}/{coordinates}", get(osrm_route))
        .route("/vroom", post(vroom_solve))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(Face { state, fixed })
}

/// An answer of a face: its own JSON, its own error body, or a service error (credentials,
/// quotas, overload) in the face's error shape.
enum Answer<T, E> {
    Ok(T),
    Face(E),
}

fn service_error_osrm(e: &ServiceError) -> Response {
    let code = match e.code() {
        tonic::Code::Unauthenticated => "Unauthenticated",
        tonic::Code::PermissionDenied => "PermissionDenied",
        tonic::Code::ResourceExhausted => "TooManyRequests",
        tonic::Code::InvalidArgument => "InvalidValue",
        _ => "InternalError",
    };
    (
        e.http_status(),
        Json(json!({"code": code, "message": e.to_string()})),
    )
        .into_response()
}

fn service_error_vroom(e: &ServiceError) -> Response {
    // VROOM's codes: 1 internal, 2 input, 3 routing; credentials and quotas are input the
    // caller can fix.
    let code = match e.code() {
        tonic::Code::Internal | tonic::Code::Unavailable => 1,
        _ => 2,
    };
    (
        e.http_status(),
        Json(json!({"code": code, "error": e.to_string()})),
    )
        .into_response()
}

fn respond<T: Serialize, B: Serialize>(
    result: Result<Answer<T, (u16, B)>, ServiceError>,
    on_service_error: fn(&ServiceError) -> Response,
) -> Response {
    match result {
        Ok(Answer::Ok(body)) => Json(body).into_response(),
        Ok(Answer::Face((status, body))) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            Json(body),
        )
            .into_response(),
        Err(e) => on_service_error(&e),
    }
}

/// The tenant's overlay of an OSRM profile name, or OSRM's error for an unknown one.
fn overlay(
    state: &ServiceState,
    ctx: &CallCtx,
    profile: &str,
) -> Result<Result<Arc<milkrun_engine::TrafficOverlay>, osrm::OsrmError>, ServiceError> {
    let profile = match osrm::parse_profile(profile) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    state
        .roads
        .overlay(&ctx.identity.tenant, profile)
        .map(Ok)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// One OSRM call: the tenant's overlay for the profile, the request parsed by `parse`, the
/// tenant's matrix-cell quota and a solve permit when `cells` counts any, then `answer` on the
/// worker pool. OSRM's own errors answer with OSRM's body.
#[allow(clippy::too_many_arguments)]
async fn osrm_call<R, T>(
    face: Face,
    method: &'static str,
    (profile, coordinates): (String, String),
    query: Option<String>,
    headers: HeaderMap,
    parse: fn(&str, &str) -> Result<R, osrm::OsrmError>,
    cells: fn(&R) -> Option<usize>,
    answer: fn(&milkrun_engine::TrafficOverlay, &R) -> Result<T, osrm::OsrmError>,
) -> Response
where
    R: Send + 'static,
    T: Serialize + Send + 'static,
{
    let state = Arc::clone(&face.state);
    let result = handle_as(
        &face.state,
        method,
        face.fixed.as_ref(),
        &headers,
        |ctx| async move {
            let parsed = overlay(&state, &ctx, &profile)?.and_then(|overlay| {
                parse(&coordinates, query.as_deref().unwrap_or("")).map(|req| (overlay, req))
            });
            let (overlay, req) = match parsed {
                Ok(x) => x,
                Err(e) => return Ok(Answer::Face((e.http_status(), e.body()))),
            };
            let _solve = match cells(&req) {
                Some(n) => {
                    let quota = state.quotas.tenant(&ctx.identity.tenant)?;
                    TenantQuota::check_size(
                        "max_matrix_cells",
                        n as u64,
                        quota.limits.max_matrix_cells,
                    )?;
                    Some(quota.solve_permit()?)
                }
                None => None,
            };
            let answer = state
                .pool
                .run(Lane::Interactive, move || answer(&overlay, &req))
                .await?;
            Ok(match answer {
                Ok(t) => Answer::Ok(t),
                Err(e) => Answer::Face((e.http_status(), e.body())),
            })
        },
    )
    .await;
    respond(result, service_error_osrm)
}

async fn osrm_table(
    State(face): State<Face>,
    Path(path): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    osrm_call(
        face,
        "osrm/table",
        path,
        query,
        headers,
        osrm::TableRequest::parse,
        |req| Some(req.cells()),
        osrm::answer_table,
    )
    .await
}

async fn osrm_route(
    State(face): State<Face>,
    Path(path): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    osrm_call(
        face,
        "osrm/route",
        path,
        query,
        headers,
        osrm::RouteRequest::parse,
        |_| None,
        osrm::answer_route,
    )
    .await
}

async fn vroom_solve(
    State(face): State<Face>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let state = Arc::clone(&face.state);
    let result = handle_as(
        &face.state,
        "vroom",
        face.fixed.as_ref(),
        &headers,
        |ctx| async move {
            if !ctx.identity.role.may_optimize() {
                return Err(ServiceError::PermissionDenied(
                    "the analyst role cannot optimize",
                ));
            }
            let parsed = vroom::access_from_query(query.as_deref().unwrap_or(""))
                .and_then(|access| vroom::parse(&body).map(|input| (access, input)));
            let (access, input) = match parsed {
                Ok(x) => x,
                Err(e) => return Ok(Answer::Face((e.http_status(), e.body()))),
            };
            let quota = state.quotas.tenant(&ctx.identity.tenant)?;
            let stops = input
                .jobs
                .0
                .len()
                .saturating_add(input.shipments.0.len().saturating_mul(2));
            TenantQuota::check_size("max_stops", stops as u64, u64::from(quota.limits.max_stops))?;
            TenantQuota::check_size(
                "max_vehicles",
                input.vehicles.0.len() as u64,
                u64::from(quota.limits.max_vehicles),
            )?;
            let limit = VROOM_TIME_LIMIT.min(Duration::from_secs_f64(
                quota.limits.max_time_limit_s.clamp(0.0, 3600.0),
            ));
            let _solve = quota.solve_permit()?;
            let tenant = ctx.identity.tenant.clone();
            let st = Arc::clone(&state);
            let answer = state
                .pool
                .run(Lane::Batch, move || {
                    let overlay = |p: Profile| st.roads.overlay(&tenant, p).ok();
                    let (car, bike, foot) = (
                        overlay(Profile::Car),
                        overlay(Profile::Bike),
                        overlay(Profile::Foot),
                    );
                    let roads = vroom::Roads {
                        car: car.as_deref(),
                        bike: bike.as_deref(),
                        foot: foot.as_deref(),
                        max_snap_m: milkrun_engine::DEFAULT_MAX_SNAP_M,
                        access,
                    };
                    let options = SolverOptions {
                        time_limit: Some(limit),
                        threads: 1,
                        ..Default::default()
                    };
                    vroom::convert(&input, &roads).map(|converted| {
                        let solution = milkrun_vrp::solve(&converted.problem, &options);
                        vroom::output(&converted, &solution)
                    })
                })
                .await?;
            Ok(match answer {
                Ok(out) => Answer::Ok(out),
                Err(e) => Answer::Face((e.http_status(), e.body())),
            })
        },
    )
    .await;
    respond(result, service_error_vroom)
}
