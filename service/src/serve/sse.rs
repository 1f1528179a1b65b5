//! The JSON face's streams, as server-sent events: `POST /v1/routes:optimizeStream`, `POST
//! /v1/days:watch` and `POST /v1/jobs:watch` take their request as proto3 JSON, like the unary
//! routes of [`json`](super::json), and go through the same [`handle`](super::call::handle)
//! (credentials, the tenant's rate quota, the deadline, a request id, metrics) to the same function
//! the gRPC stream calls (`routes::optimize_stream`, `dispatch::watch_day`, `jobs::watch`). Each
//! message of that stream is one event whose `data:` is the message in the proto3 JSON mapping, on
//! one line; the response ends when the gRPC stream ends. An error before the stream starts is the
//! JSON face's usual error (`{"error": ...}` with its HTTP status); an error that ends a started
//! stream (the gRPC stream's final status) is one last event named `error` whose data is the same
//! error body.
//!
//! POST, like every call of the JSON face: the request is a body and the credential a header.
//! A browser follows the stream with `fetch` and a body reader (`EventSource` sends neither a
//! body nor headers); `curl -N` prints it as it comes.
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use serde_json::json;
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use super::error::http_status;
use super::json::route_fn;
use super::metrics::code_name;
use super::state::{ServiceState, MAX_REQUEST_BYTES};
use super::{dispatch, jobs, routes};

/// A gRPC server stream as the handlers make it.
type MessageStream<M> = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;

/// The event that ends a stream with an error: the JSON face's error body.
fn error_event(status: &Status) -> Event {
    let body = json!({"error": {
        "code": http_status(status.code()).as_u16(),
        "status": code_name(status.code()),
        "message": status.message(),
        "details": [],
    }});
    Event::default().event("error").data(body.to_string())
}

/// Each message as one event (proto3 JSON on one `data:` line), an error as an `error` event.
fn events<M>(stream: MessageStream<M>) -> impl Stream<Item = Result<Event, Infallible>> + Send
where
    M: Serialize + Send + 'static,
{
    stream.map(|item| {
        Ok(match item {
            Ok(message) => Event::default()
                .json_data(&message)
                .unwrap_or_else(|e| error_event(&Status::internal(e.to_string()))),
            Err(status) => error_event(&status),
        })
    })
}

/// A streaming call's answer: its stream as events (a keep-alive comment while it is quiet).
fn events_answer<M>(stream: MessageStream<M>) -> Response
where
    M: Serialize + Send + 'static,
{
    Sse::new(events(stream))
        .keep_alive(KeepAlive::default())
        .into_response()
}

route_fn!(
    events_answer,
    optimize_stream,
    routes,
    optimize_stream,
    "milkrun.v1.Routes/OptimizeStream"
);
route_fn!(
    events_answer,
    watch_day,
    dispatch,
    watch_day,
    "milkrun.v1.Dispatch/WatchDay"
);
route_fn!(
    events_answer,
    watch_job,
    jobs,
    watch,
    "milkrun.v1.Jobs/Watch"
);

/// The streaming routes of the JSON face (path, method name), answered as
/// `text/event-stream`.
pub const JSON_ROUTES: [(&str, &str); 3] = [
    (
        "/v1/routes:optimizeStream",
        "milkrun.v1.Routes/OptimizeStream",
    ),
    ("/v1/days:watch", "milkrun.v1.Dispatch/WatchDay"),
    ("/v1/jobs:watch", "milkrun.v1.Jobs/Watch"),
];

/// The streams' router (body limit [`MAX_REQUEST_BYTES`]).
pub fn router(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/v1/routes:optimizeStream", post(optimize_stream))
        .route("/v1/days:watch", post(watch_day))
        .route("/v1/jobs:watch", post(watch_job))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}
