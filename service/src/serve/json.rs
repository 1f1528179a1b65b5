//! The JSON face: `POST /v1/<service>:<method>` with proto3-JSON bodies, through the same
//! [`handle`] and the same handler functions as gRPC. Errors are answered as Google's HTTP
//! APIs do: `{"error": {"code", "status", "message", "details"}}`.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use super::call::{handle, CallCtx};
use super::error::ServiceError;
use super::metrics::code_name;
use super::state::{ServiceState, MAX_REQUEST_BYTES};
use super::{dispatch, roads, routes};

/// The JSON error body of a service error.
pub(crate) fn error_response(e: &ServiceError) -> Response {
    let mut details = Vec::new();
    if let ServiceError::Invalid { violations, .. } = e {
        details.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations
                .iter()
                .map(|v| json!({"field": v.field, "description": v.description}))
                .collect::<Vec<_>>(),
        }));
    }
    let retry_after = e.retry_after();
    if let Some(wait) = retry_after {
        details.push(json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": format!("{:.3}s", wait.as_secs_f64()),
        }));
    }
    let status = e.http_status();
    let body = json!({"error": {
        "code": status.as_u16(),
        "status": code_name(e.code()),
        "message": e.to_string(),
        "details": details,
    }});
    let mut response = (status, Json(body)).into_response();
    if let Some(wait) = retry_after {
        // Whole seconds (RFC 9110), rounded up: never earlier than the wait asked for.
        let secs = wait.as_millis().div_ceil(1000).max(1);
        if let Ok(value) = http::HeaderValue::from_str(&secs.to_string()) {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, value);
        }
    }
    response
}

/// The step every call of the JSON face goes through, unary and streaming: [`handle`]
/// (credentials, the tenant's rate quota, the deadline, a request id, metrics), then the body
/// parsed into the request message (after authentication, so an unauthenticated caller learns
/// nothing of the format) and handed to `core`, the function the gRPC face calls too; its
/// result is answered by `answer` ([`json_answer`], or the streams' events), an error as
/// [`error_response`].
pub(crate) async fn decode_and_answer<Req, T, F, Fut>(
    state: Arc<ServiceState>,
    method: &'static str,
    headers: &HeaderMap,
    body: Bytes,
    core: F,
    answer: fn(T) -> Response,
) -> Response
where
    Req: DeserializeOwned,
    F: FnOnce(Arc<ServiceState>, CallCtx, Req) -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    let st = Arc::clone(&state);
    let result = handle(&state, method, headers, |ctx| async move {
        let req: Req = serde_json::from_slice(&body)
            .map_err(|e| ServiceError::invalid("body", format!("not a valid request: {e}")))?;
        core(st, ctx, req).await
    })
    .await;
    match result {
        Ok(out) => answer(out),
        Err(e) => error_response(&e),
    }
}

/// A unary call's answer: the response message as proto3 JSON.
pub(crate) fn json_answer<Resp: Serialize>(resp: Resp) -> Response {
    Json(resp).into_response()
}

/// `route_fn!(answer, name, module, core, "pkg.Service/Method")` defines the axum handler
/// `name`: [`decode_and_answer`] to `module::core`, its result answered by `answer`
/// ([`json_answer`] or `sse::events_answer`).
macro_rules! route_fn {
    ($answer:path, $name:ident, $module:ident, $core:ident, $method:literal) => {
        async fn $name(
            axum::extract::State(s): axum::extract::State<
                std::sync::Arc<$crate::serve::state::ServiceState>,
            >,
            h: axum::http::HeaderMap,
            b: axum::body::Bytes,
        ) -> axum::response::Response {
            $crate::serve::json::decode_and_answer(
                s,
                $method,
                &h,
                b,
                |s, ctx, req| async move { $module::$core(&s, ctx, req).await },
                $answer,
            )
            .await
        }
    };
}
pub(crate) use route_fn;

route_fn!(json_answer, snap, roads, snap, "milkrun.v1.Roads/Snap");
route_fn!(
    json_answer,
    matrix,
    roads,
    matrix,
    "milkrun.v1.Roads/Matrix"
);
route_fn!(json_answer, route, roads, route, "milkrun.v1.Roads/Route");
route_fn!(
    json_answer,
    apply_traffic,
    roads,
    apply_traffic,
    "milkrun.v1.Roads/ApplyTraffic"
);
route_fn!(
    json_answer,
    list_traffic,
    roads,
    list_traffic,
    "milkrun.v1.Roads/ListTraffic"
);
route_fn!(
    json_answer,
    clear_traffic,
    roads,
    clear_traffic,
    "milkrun.v1.Roads/ClearTraffic"
);
route_fn!(
    json_answer,
    optimize,
    routes,
    optimize,
    "milkrun.v1.Routes/Optimize"
);
route_fn!(
    json_answer,
    open_day,
    dispatch,
    open_day,
    "milkrun.v1.Dispatch/OpenDay"
);
route_fn!(
    json_answer,
    apply_events,
    dispatch,
    apply_events,
    "milkrun.v1.Dispatch/ApplyEvents"
);
route_fn!(
    json_answer,
    get_day,
    dispatch,
    get_day,
    "milkrun.v1.Dispatch/GetDay"
);
route_fn!(
    json_answer,
    close_day,
    dispatch,
    close_day,
    "milkrun.v1.Dispatch/CloseDay"
);
route_fn!(
    json_answer,
    replan,
    dispatch,
    replan,
    "milkrun.v1.Dispatch/Replan"
);
route_fn!(
    json_answer,
    plan_day,
    routes,
    plan_day,
    "milkrun.v1.Routes/PlanDay"
);

async fn metrics(State(s): State<Arc<ServiceState>>) -> Response {
    (
        [(
            http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
        .into_response()
}

/// The JSON routes of the Roads, Routes and Dispatch services (path, method name); the
/// streaming calls (OptimizeStream, WatchDay) are server-sent events, in [`super::sse`].
pub const JSON_ROUTES: [(&str, &str); 13] = [
    ("/v1/roads:snap", "milkrun.v1.Roads/Snap"),
    ("/v1/roads:matrix", "milkrun.v1.Roads/Matrix"),
    ("/v1/roads:route", "milkrun.v1.Roads/Route"),
    ("/v1/roads:applyTraffic", "milkrun.v1.Roads/ApplyTraffic"),
    ("/v1/roads:listTraffic", "milkrun.v1.Roads/ListTraffic"),
    ("/v1/roads:clearTraffic", "milkrun.v1.Roads/ClearTraffic"),
    ("/v1/routes:optimize", "milkrun.v1.Routes/Optimize"),
    ("/v1/days:open", "milkrun.v1.Dispatch/OpenDay"),
    ("/v1/days:applyEvents", "milkrun.v1.Dispatch/ApplyEvents"),
    ("/v1/days:get", "milkrun.v1.Dispatch/GetDay"),
    ("/v1/days:close", "milkrun.v1.Dispatch/CloseDay"),
    ("/v1/days:replan", "milkrun.v1.Dispatch/Replan"),
    ("/v1/routes:planDay", "milkrun.v1.Routes/PlanDay"),
];

/// The JSON face's router (body limit [`MAX_REQUEST_BYTES`]).
pub fn router(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/v1/roads:snap", post(snap))
        .route("/v1/roads:matrix", post(matrix))
        .route("/v1/roads:route", post(route))
        .route("/v1/roads:applyTraffic", post(apply_traffic))
        .route("/v1/roads:listTraffic", post(list_traffic))
        .route("/v1/roads:clearTraffic", post(clear_traffic))
        .route("/v1/routes:optimize", post(optimize))
        .route("/v1/days:open", post(open_day))
        .route("/v1/days:applyEvents", post(apply_events))
        .route("/v1/days:get", post(get_day))
        .route("/v1/days:close", post(close_day))
        .route("/v1/days:replan", post(replan))
        .route("/v1/routes:planDay", post(plan_day))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

/// Public documents: `/metrics` and `/openapi.json` (no credentials needed); the OpenAPI
/// document is built once by the caller and served as it is.
pub fn public_router(state: Arc<ServiceState>, openapi: &serde_json::Value) -> Router {
    let body = Bytes::from(openapi.to_string());
    let openapi_doc = move || {
        let body = body.clone();
        async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
    };
    Router::new()
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_doc))
        .with_state(state)
}
