//! What every call goes through on both faces: authentication, the tenant's rate quota, the
//! deadline, a request id for the logs, and the metrics of the outcome.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderMap;
use tracing::Instrument;

use super::auth::Identity;
use super::error::ServiceError;
use super::state::ServiceState;

/// Time kept back from the caller's deadline to convert and send the answer.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(50);
/// Shortest run worth starting: a deadline leaving less answers DEADLINE_EXCEEDED.
pub const MIN_SEARCH: Duration = Duration::from_millis(10);

/// Longest request id taken from `x-request-id`.
const MAX_REQUEST_ID: usize = 64;

static NEXT_REQUEST_ID: AtomicU64 = AtomicU64::new(1);

/// An admitted call.
#[derive(Debug, Clone)]
pub struct CallCtx {
    /// Who calls.
    pub identity: Identity,
    /// Time left until the caller's deadline (`grpc-timeout`), if it sent one.
    pub deadline: Option<Duration>,
    /// When the call arrived.
    pub started: Instant,
}

impl CallCtx {
    /// Time left until the deadline now.
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_sub(self.started.elapsed()))
    }
}

/// A run's time limit, and whether the caller's deadline (not the asked limit) set it: the
/// asked `time_limit_s` (0: the tenant's longest, `max_s`), at most `max_s`, and with a
/// deadline at most the time left minus [`DEADLINE_MARGIN`]. A deadline leaving less than
/// [`MIN_SEARCH`] answers DEADLINE_EXCEEDED, "too little to `what`".
pub fn run_limit(
    asked: f64,
    max_s: f64,
    ctx: Option<&CallCtx>,
    what: &str,
) -> Result<(Duration, bool), ServiceError> {
    if !(asked.is_finite() && asked >= 0.0) {
        return Err(ServiceError::invalid(
            "time_limit_s",
            format!("{asked} is not a duration"),
        ));
    }
    let wanted = Duration::from_secs_f64(if asked == 0.0 {
        max_s
    } else {
        asked.min(max_s)
    });
    match ctx.and_then(CallCtx::time_left) {
        Some(left) => {
            let usable = left.saturating_sub(DEADLINE_MARGIN);
            if usable < MIN_SEARCH {
                return Err(ServiceError::DeadlineExceeded(format!(
                    "the deadline leaves {} ms, too little to {what}",
                    left.as_millis()
                )));
            }
            Ok((wanted.min(usable), usable < wanted))
        }
        None => Ok((wanted, false)),
    }
}

/// Sets a cancel flag when dropped: a call whose client went away stops its run.
#[derive(Debug)]
pub(crate) struct CancelOnDrop(pub(crate) Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Parses a `grpc-timeout` value (`100m`, `5S`: digits then one of H M S m u n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= MAX_REQUEST_ID)
        .map(str::to_string)
        .unwrap_or_else(|| format!("r{}", NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed)))
}

/// Runs one call: authenticates the caller, takes a rate token of its tenant, runs `body`
/// inside a span carrying the request id, and records the outcome. Both faces (gRPC and
/// JSON) call this with the same `body`.
pub async fn handle<T, F, Fut>(
    state: &Arc<ServiceState>,
    method: &'static str,
    headers: &HeaderMap,
    body: F,
) -> Result<T, ServiceError>
where
    F: FnOnce(CallCtx) -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    handle_as(state, method, None, headers, body).await
}

/// [`handle`], acting as `fixed` instead of the headers' credentials when it is given (the
/// `--compat-listen` port, for clients that cannot send headers); the rate quota, request id
/// and metrics are the same.
pub async fn handle_as<T, F, Fut>(
    state: &Arc<ServiceState>,
    method: &'static str,
    fixed: Option<&Identity>,
    headers: &HeaderMap,
    body: F,
) -> Result<T, ServiceError>
where
    F: FnOnce(CallCtx) -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    let started = Instant::now();
    let id = request_id(headers);
    let span = tracing::info_span!("call", request_id = %id, method);
    let result = async {
        let identity = match fixed {
            Some(identity) => identity.clone(),
            None => {
                let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
                state.auth.identify(authorization)?
            }
        };
        state.quotas.tenant(&identity.tenant)?.admit()?;
        let deadline = headers
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        tracing::debug!(tenant = %identity.tenant, "admitted");
        body(CallCtx {
            identity,
            deadline,
            started,
        })
        .await
    }
    .instrument(span.clone())
    .await;
    let code = match &result {
        Ok(_) => tonic::Code::Ok,
        Err(e) => e.code(),
    };
    if let Err(ServiceError::Exhausted { what, .. }) = &result {
        if what.starts_with("server busy") {
            state.metrics.shed.inc();
            state
                .metrics
                .shed_seconds
                .observe(started.elapsed().as_secs_f64());
        }
    }
    state
        .metrics
        .record(method, code, started.elapsed().as_secs_f64());
    span.in_scope(|| match &result {
        Ok(_) => tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "ok"),
        Err(e) => tracing::info!(code = ?code, error = %e, "failed"),
    });
    result
}

/// The gRPC face of a unary call: the headers and message of the request go through
/// [`handle`] to `core`, the same function the JSON face calls.
pub async fn grpc_unary<Req, Resp, F, Fut>(
    state: &Arc<ServiceState>,
    method: &'static str,
    request: tonic::Request<Req>,
    core: F,
) -> Result<tonic::Response<Resp>, tonic::Status>
where
    F: FnOnce(CallCtx, Req) -> Fut,
    Fut: std::future::Future<Output = Result<Resp, ServiceError>>,
{
    let headers = request.metadata().clone().into_headers();
    let msg = request.into_inner();
    handle(state, method, &headers, |ctx| core(ctx, msg))
        .await
        .map(tonic::Response::new)
        .map_err(tonic::Status::from)
}
