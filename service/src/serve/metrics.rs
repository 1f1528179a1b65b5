//! Prometheus metrics: calls by method and code, call latency, solve durations, the worker
//! queue depth, shed calls, open live days and the webhook sender's attempts, served as text
//! at `/metrics`.
use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of a finished call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CallLabels {
    /// `milkrun.v1.Roads/Matrix` (the JSON face reports the same method name).
    pub method: String,
    /// The gRPC code name (`OK`, `INVALID_ARGUMENT`).
    pub code: String,
}

/// Labels of a call's method only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct MethodLabels {
    /// The method.
    pub method: String,
}

/// Latency buckets: 0.5 ms to about 65 s.
#[derive(Debug, Clone, Copy)]
pub struct Buckets;

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(exponential_buckets(0.0005, 2.0, 18))
    }
}

/// The service's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Calls by method and code.
    pub calls: Family<CallLabels, Counter>,
    /// Call latency by method, seconds.
    pub latency: Family<MethodLabels, Histogram, Buckets>,
    /// Solve durations, seconds.
    pub solve_seconds: Histogram,
    /// Calls waiting for a CPU permit.
    pub queue_depth: Gauge<i64, AtomicI64>,
    /// Calls shed for lack of a CPU permit.
    pub shed: Counter,
    /// Time from a shed call's start (after its request was read) to its answer, seconds.
    pub shed_seconds: Histogram,
    /// Live days open, all tenants.
    pub live_days: Gauge<i64, AtomicI64>,
    /// Webhook attempts made (each POST of a delivery).
    pub webhook_attempts: Counter,
    /// Webhook attempts that failed (no 2xx; retried or dead).
    pub webhook_failures: Counter,
    /// Webhook rounds that ended with a store error.
    pub webhook_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("milkrun");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register("calls", "Calls by method and gRPC code", calls.clone());
        let latency = Family::new_with_constructor(Buckets);
        registry.register("call_seconds", "Call latency by method", latency.clone());
        let solve_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 18));
        registry.register("solve_seconds", "Solve durations", solve_seconds.clone());
        let queue_depth = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "worker_queue_depth",
            "Calls waiting for a CPU permit",
            queue_depth.clone(),
        );
        let shed = Counter::default();
        registry.register("shed", "Calls shed for lack of a CPU permit", shed.clone());
        // 0.1 ms to about 3 s: fine enough to tell a shed within 10 ms.
        let shed_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "shed_seconds",
            "Time from a shed call's start (its request read) to its answer",
            shed_seconds.clone(),
        );
        let live_days = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "live_days",
            "Live days open, all tenants",
            live_days.clone(),
        );
        let webhook_attempts = Counter::default();
        registry.register(
            "webhook_attempts",
            "Webhook attempts made",
            webhook_attempts.clone(),
        );
        let webhook_failures = Counter::default();
        registry.register(
            "webhook_failures",
            "Webhook attempts without a 2xx answer",
            webhook_failures.clone(),
        );
        let webhook_errors = Counter::default();
        registry.register(
            "webhook_errors",
            "Webhook rounds ended by a store error",
            webhook_errors.clone(),
        );
        Metrics {
            registry,
            calls,
            latency,
            solve_seconds,
            queue_depth,
            shed,
            shed_seconds,
            live_days,
            webhook_attempts,
            webhook_failures,
            webhook_errors,
        }
    }

    /// Records a finished call.
    pub fn record(&self, method: &str, code: tonic::Code, seconds: f64) {
        self.calls
            .get_or_create(&CallLabels {
                method: method.to_string(),
                code: code_name(code).to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabels {
                method: method.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The canonical name of a gRPC code.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}
