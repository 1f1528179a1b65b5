//! The OSRM face's errors and OSRM's answer codes.

use milkrun_engine::EngineError;
use serde::Serialize;

/// OSRM's `code` of a failed request (the strings OSRM answers with, see
/// [`OsrmCode::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OsrmCode {
    /// The URL is malformed (here: an unknown profile).
    InvalidUrl,
    /// The query string or the coordinates could not be parsed.
    InvalidQuery,
    /// An option is inconsistent with the request (a source index out of range, a wrong
    /// number of radiuses, ...).
    InvalidOptions,
    /// A value is out of its range (a latitude of 91, a negative radius).
    InvalidValue,
    /// A coordinate cannot be snapped to a road within its radius.
    NoSegment,
    /// No route between two waypoints.
    NoRoute,
    /// The request is larger than allowed (too many coordinates or matrix cells).
    TooBig,
    /// A feature OSRM has and this face does not (turn-by-turn steps, `polyline(...)`
    /// coordinates, ...).
    NotImplemented,
    /// Not one of OSRM's codes: an engine failure that is no fault of the request.
    InternalError,
}

impl OsrmCode {
    /// The code as OSRM writes it in its JSON answers (`"NoSegment"`).
    pub fn as_str(self) -> &'static str {
        match self {
            OsrmCode::InvalidUrl => "InvalidUrl",
            OsrmCode::InvalidQuery => "InvalidQuery",
            OsrmCode::InvalidOptions => "InvalidOptions",
            OsrmCode::InvalidValue => "InvalidValue",
            OsrmCode::NoSegment => "NoSegment",
            OsrmCode::NoRoute => "NoRoute",
            OsrmCode::TooBig => "TooBig",
            OsrmCode::NotImplemented => "NotImplemented",
            OsrmCode::InternalError => "InternalError",
        }
    }

    /// The HTTP status OSRM's server answers with: 400 for every request error (OSRM uses
    /// 400 for `NoSegment` and `NoRoute` too), 500 for [`OsrmCode::InternalError`].
    pub fn http_status(self) -> u16 {
        match self {
            OsrmCode::InternalError => 500,
            _ => 400,
        }
    }
}

/// Why an OSRM request was refused; each variant names the parameter, coordinate or leg at
/// fault. [`OsrmError::code`] gives OSRM's code, [`OsrmError::body`] the JSON body to send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OsrmError {
    /// The profile of the URL is not one of car/driving, bike/bicycle/cycling, foot/walking.
    #[error(
        "unknown profile `{0}` (expected car, driving, bike, bicycle, cycling, foot or walking)"
    )]
    UnknownProfile(String),
    /// The coordinates path segment could not be parsed.
    #[error("coordinates: {reason}")]
    BadCoordinates {
        /// What is wrong, with the coordinate's index where known.
        reason: String,
    },
    /// The query string could not be parsed (a malformed, unknown or repeated parameter or a
    /// value that is not of the parameter's form).
    #[error("query parameter `{param}`: {reason}")]
    BadQuery {
        /// The parameter as given.
        param: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter is inconsistent with the rest of the request.
    #[error("`{param}`: {reason}")]
    BadOption {
        /// The parameter (`sources`, `radiuses`, ...).
        param: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value is out of range (`coordinates[2]` latitude 91, `radiuses[0]` negative).
    #[error("`{field}`: {reason}")]
    BadValue {
        /// The field path (`coordinates[2]`, `radiuses[0]`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Coordinate `index` has no road within its radius.
    #[error("coordinates[{index}] ({lon},{lat}): nearest road is {distance_m:.0} m away, radius {radius_m} m")]
    NoSegment {
        /// Index of the coordinate.
        index: usize,
        /// Its longitude.
        lon: f64,
        /// Its latitude.
        lat: f64,
        /// Distance to the nearest road, metres.
        distance_m: f64,
        /// The radius in force, metres.
        radius_m: f64,
    },
    /// No route from waypoint `leg` to waypoint `leg + 1` (a closure cuts them apart).
    #[error("no route between waypoints {leg} and {}", .leg + 1)]
    NoRoute {
        /// Index of the leg.
        leg: usize,
    },
    /// More coordinates, list entries or matrix cells than allowed.
    #[error("{what}: {count} is more than the limit of {max}")]
    TooBig {
        /// What is counted (`coordinates`, `matrix cells`).
        what: &'static str,
        /// How many the request asks for (a lower bound when counting stopped early).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An OSRM feature this face does not offer.
    #[error("`{param}`: {reason}")]
    NotImplemented {
        /// The parameter asking for it.
        param: &'static str,
        /// What is not offered.
        reason: &'static str,
    },
    /// The engine failed for a reason that is not the request's fault.
    #[error("road engine: {0}")]
    Engine(#[source] EngineError),
}

/// OSRM's JSON body of a failed request: `{"code": "NoSegment", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody {
    /// OSRM's code ([`OsrmCode::as_str`]).
    pub code: &'static str,
    /// The error in words, naming the parameter or coordinate at fault.
    pub message: String,
}

impl OsrmError {
    /// OSRM's code for this error.
    pub fn code(&self) -> OsrmCode {
        match self {
            OsrmError::UnknownProfile(_) => OsrmCode::InvalidUrl,
            OsrmError::BadCoordinates { .. } | OsrmError::BadQuery { .. } => OsrmCode::InvalidQuery,
            OsrmError::BadOption { .. } => OsrmCode::InvalidOptions,
            OsrmError::BadValue { .. } => OsrmCode::InvalidValue,
            OsrmError::NoSegment { .. } => OsrmCode::NoSegment,
            OsrmError::NoRoute { .. } => OsrmCode::NoRoute,
            OsrmError::TooBig { .. } => OsrmCode::TooBig,
            OsrmError::NotImplemented { .. } => OsrmCode::NotImplemented,
            OsrmError::Engine(_) => OsrmCode::InternalError,
        }
    }

    /// The HTTP status to answer with ([`OsrmCode::http_status`]).
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The JSON body to answer with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().as_str(),
            message: self.to_string(),
        }
    }

    pub(crate) fn query(param: &str, reason: impl Into<String>) -> OsrmError {
        OsrmError::BadQuery {
            param: param.chars().take(64).collect(),
            reason: reason.into(),
        }
    }

    pub(crate) fn option(param: &'static str, reason: impl Into<String>) -> OsrmError {
        OsrmError::BadOption {
            param,
            reason: reason.into(),
        }
    }
}
