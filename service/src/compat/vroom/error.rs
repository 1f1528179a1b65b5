//! The VROOM face's errors and VROOM's error codes.

use milkrun_engine::EngineError;
use milkrun_vrp::ProblemError;
use serde::Serialize;

/// VROOM's error `code`: 1 internal, 2 input, 3 routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VroomCode {
    /// 1: a failure that is no fault of the request.
    Internal,
    /// 2: the problem is malformed or uses something not supported.
    Input,
    /// 3: a location cannot be routed (no road near it, or cut off).
    Routing,
}

impl VroomCode {
    /// The number VROOM answers with.
    pub fn number(self) -> u8 {
        match self {
            VroomCode::Internal => 1,
            VroomCode::Input => 2,
            VroomCode::Routing => 3,
        }
    }

    /// The HTTP status to answer with: 400 for input errors, 500 otherwise (as vroom-express).
    pub fn http_status(self) -> u16 {
        match self {
            VroomCode::Input => 400,
            VroomCode::Internal | VroomCode::Routing => 500,
        }
    }
}

/// Why a VROOM problem was refused; every variant names the field at fault as a path into
/// the input (`jobs[3].time_windows[0]`, `vehicles[1].profile`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VroomError {
    /// The body is not JSON of VROOM's form: a syntax error, an unknown key, a value of the
    /// wrong type (a negative or fractional time), a list over its limit.
    #[error("invalid input at `{path}`: {reason}")]
    Json {
        /// Where the reader stopped (`.` for the top level).
        path: String,
        /// The reader's message.
        reason: String,
    },
    /// A value is well-formed JSON but not acceptable (duplicate id, window ending before it
    /// starts, unknown location index, an unsupported feature).
    #[error("invalid input at `{path}`: {reason}")]
    Input {
        /// The field path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A location cannot be routed on the roads of its vehicles' profile.
    #[error("routing error at `{path}`: {reason}")]
    Routing {
        /// The field path of the location.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The converted problem was refused by the solver (a bug in the conversion or a case
    /// it does not check: the path is in the solver's terms).
    #[error("the solver refused the converted problem: {0}")]
    Problem(#[source] ProblemError),
    /// The road engine failed for a reason that is not the request's fault.
    #[error("road engine: {0}")]
    Engine(#[source] EngineError),
}

/// VROOM's JSON body of a failed request: `{"code": 2, "error": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody {
    /// [`VroomCode::number`].
    pub code: u8,
    /// The error in words, naming the field at fault.
    pub error: String,
}

impl VroomError {
    /// VROOM's code for this error.
    pub fn code(&self) -> VroomCode {
        match self {
            VroomError::Json { .. } | VroomError::Input { .. } | VroomError::Problem(_) => {
                VroomCode::Input
            }
            VroomError::Routing { .. } => VroomCode::Routing,
            VroomError::Engine(_) => VroomCode::Internal,
        }
    }

    /// The HTTP status to answer with ([`VroomCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The JSON body to answer with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().number(),
            error: self.to_string(),
        }
    }

    /// The field path at fault, when the error has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            VroomError::Json { path, .. }
            | VroomError::Input { path, .. }
            | VroomError::Routing { path, .. } => Some(path),
            VroomError::Problem(_) | VroomError::Engine(_) => None,
        }
    }

    pub(crate) fn input(path: impl Into<String>, reason: impl Into<String>) -> VroomError {
        VroomError::Input {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
