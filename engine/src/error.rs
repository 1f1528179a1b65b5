//! The one error type of the road engine.

use std::path::PathBuf;

/// Everything that can go wrong in the road engine; each variant names what the caller can fix.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a readable OSM PBF file (truncated, corrupt or another format).
    #[error("not a readable OSM PBF file: {0}")]
    Pbf(String),
    /// The extract holds no road usable by the profile (an empty area).
    #[error("no road usable by profile `{profile}` in the input (empty area)")]
    EmptyGraph {
        /// The profile's name.
        profile: &'static str,
    },
    /// A coordinate is not a finite latitude in [-90, 90] and longitude in [-180, 180].
    #[error("stop {index}: coordinate ({lat}, {lon}) out of range")]
    CoordinateOutOfRange {
        /// Index of the stop in the input.
        index: usize,
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// The nearest usable road is farther than the allowed snap distance.
    #[error("stop {index} at ({lat}, {lon}): nearest road is {distance_m:.0} m away (limit {limit_m:.0} m)")]
    TooFarFromRoad {
        /// Index of the stop in the input.
        index: usize,
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
        /// Distance to the nearest usable road segment, metres.
        distance_m: f64,
        /// The configured limit, metres.
        limit_m: f64,
    },
    /// A prepared-graph file is malformed.
    #[error("bad prepared-graph data: {0}")]
    BadGraphFile(String),
    /// A traffic update names an edge or way that does not exist, or an invalid factor.
    #[error("bad traffic update: {0}")]
    BadTraffic(String),
    /// A timed traffic update (or one of its updates) is invalid: the field names what to fix
    /// (`start_s` / `end_s` for an empty or out-of-day interval, `change` for a speed factor
    /// that is NaN, negative, zero or above 10, `edges` for an unknown edge or way, `updates`
    /// for an empty list).
    #[error("bad traffic update {update}: `{field}`: {reason}")]
    BadUpdate {
        /// Index of the update in the list given (0 for the interval itself).
        update: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A time-of-day speed profile has an empty, out-of-day or overlapping slot, or a bad
    /// update in a slot.
    #[error("bad speed profile: {0}")]
    BadProfile(String),
    /// A generator parameter is invalid.
    #[error("bad generator parameter `{field}`: {reason}")]
    BadGenerator {
        /// The parameter's name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
