//! The service's error: one enum whose variants map to gRPC codes (with `google.rpc` details)
//! and, for the JSON face, to HTTP statuses with the same details.
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::auth::AuthError;

/// Most field violations reported for one request.
pub const MAX_VIOLATIONS: usize = 20;

/// One bad field of a request (`model.shipments[3].delivery.location.latitude`).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted path of the field.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Violation {
        Violation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Collects at most [`MAX_VIOLATIONS`] violations, counting the ones left out.
#[derive(Debug, Default)]
pub struct Violations {
    list: Vec<Violation>,
    dropped: usize,
}

impl Violations {
    /// Records one violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.list.len() < MAX_VIOLATIONS {
            self.list.push(Violation::new(field, description));
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether the list is full (further checks can stop).
    pub fn is_full(&self) -> bool {
        self.list.len() >= MAX_VIOLATIONS
    }

    /// `Ok` without violations, else the INVALID_ARGUMENT error.
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid {
                violations: self.list,
                dropped: self.dropped,
            })
        }
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No or bad credentials: UNAUTHENTICATED.
    #[error("{0}")]
    Unauthenticated(#[from] AuthError),
    /// The role may not do this: PERMISSION_DENIED.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// Bad input: INVALID_ARGUMENT with `google.rpc.BadRequest`.
    #[error("invalid request: {}", describe(.violations, *.dropped))]
    Invalid {
        /// The violations (at most [`MAX_VIOLATIONS`]).
        violations: Vec<Violation>,
        /// How many more were found but not listed.
        dropped: usize,
    },
    /// A rate or concurrency quota is used up, or the server sheds the call:
    /// RESOURCE_EXHAUSTED with `google.rpc.RetryInfo`.
    #[error("resource exhausted: {what}")]
    Exhausted {
        /// Which quota.
        what: String,
        /// When to try again.
        retry_after: Duration,
    },
    /// A size quota (stops, vehicles, matrix cells) is exceeded: RESOURCE_EXHAUSTED with
    /// `google.rpc.QuotaFailure` and `RetryInfo` (retrying later does not help; the retry
    /// delay says so by being long).
    #[error("quota exceeded: {subject}: {description}")]
    OverQuota {
        /// The quota (`max_matrix_cells`).
        subject: &'static str,
        /// The request's size against the limit.
        description: String,
    },
    /// The deadline leaves no time for a feasible answer: DEADLINE_EXCEEDED.
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(String),
    /// Something named does not exist: NOT_FOUND.
    #[error("not found: {0}")]
    NotFound(String),
    /// A concurrent change came first (a stale expected version): ABORTED.
    #[error("aborted: {0}")]
    Aborted(String),
    /// The target is not in a state to do this (a full day): FAILED_PRECONDITION.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// The storage is not reachable now: UNAVAILABLE (nothing was acknowledged).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Another replica runs the target (a live day whose lease it holds), or it is being
    /// taken over: UNAVAILABLE with `google.rpc.RetryInfo` (HTTP 503 with `Retry-After`).
    /// Nothing was done; the call may be sent again, to this replica or another.
    #[error("unavailable: {what}")]
    Elsewhere {
        /// What runs elsewhere.
        what: String,
        /// When to try again.
        retry_after: Duration,
    },
    /// A broken invariant of the server: INTERNAL.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe(violations: &[Violation], dropped: usize) -> String {
    let mut s = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ");
    if dropped > 0 {
        s.push_str(&format!(" (and {dropped} more)"));
    }
    s
}

impl ServiceError {
    /// One INVALID_ARGUMENT violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> ServiceError {
        ServiceError::Invalid {
            violations: vec![Violation::new(field, description)],
            dropped: 0,
        }
    }

    /// The gRPC code.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::PermissionDenied(_) => Code::PermissionDenied,
            ServiceError::Invalid { .. } => Code::InvalidArgument,
            ServiceError::Exhausted { .. } | ServiceError::OverQuota { .. } => {
                Code::ResourceExhausted
            }
            ServiceError::DeadlineExceeded(_) => Code::DeadlineExceeded,
            ServiceError::NotFound(_) => Code::NotFound,
            ServiceError::Aborted(_) => Code::Aborted,
            ServiceError::FailedPrecondition(_) => Code::FailedPrecondition,
            ServiceError::Unavailable(_) | ServiceError::Elsewhere { .. } => Code::Unavailable,
            ServiceError::Internal(_) => Code::Internal,
        }
    }

    /// The `google.rpc` details.
    pub fn details(&self) -> ErrorDetails {
        match self {
            ServiceError::Invalid { violations, .. } => ErrorDetails::with_bad_request(
                violations
                    .iter()
                    .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
                    .collect::<Vec<_>>(),
            ),
            ServiceError::Exhausted { retry_after, .. }
            | ServiceError::Elsewhere { retry_after, .. } => {
                ErrorDetails::with_retry_info(Some(*retry_after))
            }
            ServiceError::OverQuota {
                subject,
                description,
            } => {
                let mut d =
                    ErrorDetails::with_quota_failure_violation(*subject, description.clone());
                d.set_retry_info(Some(Duration::from_secs(3600)));
                d
            }
            _ => ErrorDetails::new(),
        }
    }

    /// The gRPC status with its details.
    pub fn to_status(&self) -> Status {
        Status::with_error_details(self.code(), self.to_string(), self.details())
    }

    /// When to try again, for the errors that say so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::Exhausted { retry_after, .. }
            | ServiceError::Elsewhere { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The HTTP status of the JSON face (the standard gRPC-to-HTTP mapping).
    pub fn http_status(&self) -> http::StatusCode {
        http_status(self.code())
    }
}

/// The HTTP status for a gRPC code (as Google's HTTP APIs map them).
pub fn http_status(code: Code) -> http::StatusCode {
    use http::StatusCode as H;
    match code {
        Code::Ok => H::OK,
        Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => H::BAD_REQUEST,
        Code::Unauthenticated => H::UNAUTHORIZED,
        Code::PermissionDenied => H::FORBIDDEN,
        Code::NotFound => H::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => H::CONFLICT,
        Code::ResourceExhausted => H::TOO_MANY_REQUESTS,
        Code::Cancelled => H::from_u16(499).unwrap_or(H::BAD_REQUEST),
        Code::DeadlineExceeded => H::GATEWAY_TIMEOUT,
        Code::Unimplemented => H::NOT_IMPLEMENTED,
        Code::Unavailable => H::SERVICE_UNAVAILABLE,
        _ => H::INTERNAL_SERVER_ERROR,
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        e.to_status()
    }
}
