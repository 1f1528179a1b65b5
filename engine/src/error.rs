//! The one error type of the road engine.

use std::path::{Path, PathBuf};

use crate::traffic::TrafficFault;

/// The underlying error of a decoder, kept as the [`std::error::Error::source`] of an
/// [`EngineError::Pbf`].
pub type DecodeError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the road engine; each variant names what the caller can fix.
/// New variants may be added in a minor release.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a readable OSM PBF file (truncated, corrupt, another format, or a
    /// blob that inflates beyond the format's limits).
    #[error("{}not a readable OSM PBF file: {reason}", file_prefix(.file.as_deref()))]
    Pbf {
        /// The file, when the bytes came from one.
        file: Option<PathBuf>,
        /// What is wrong, with the byte offset or blob where known.
        reason: String,
        /// The decoder's error, when it reported one.
        #[source]
        source: Option<DecodeError>,
    },
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
    /// A traffic update names an edge or way that does not exist, or an invalid factor; the
    /// fault names the field path (`updates[3].change`).
    #[error("bad traffic update at `{}`", .0.path())]
    BadTraffic(#[source] TrafficFault),
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
    #[error("bad speed profile: `{path}`: {reason}")]
    BadProfile {
        /// The field path at fault (`slots[2].end_s`, `slots[0].updates[1].change`).
        path: String,
        /// What is wrong with it.
        reason: String,
        /// The bad update, when a slot's update is at fault.
        #[source]
        source: Option<TrafficFault>,
    },
    /// A snapping parameter is NaN or negative (`+inf` means no limit).
    #[error("bad snapping parameter `{field}`: {value} is not a non-negative distance in metres (inf: no limit)")]
    BadSnapLimit {
        /// The parameter's name (`max_snap_m`).
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// An access speed is NaN, infinite, or outside
    /// [[`crate::MIN_ACCESS_MPS`], [`crate::MAX_ACCESS_MPS`]] metres per second.
    #[error("bad access speed `{field}`: {value} is not a speed between 0.1 and 50 m/s")]
    BadAccessSpeed {
        /// The parameter's name (`access_speed_mps`, or the profile's field).
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A point's access leg (door to road position) is too long to add to a trip (only
    /// possible with an unbounded snap limit).
    #[error("stop {index}: access leg of {distance_m:.0} m is too long")]
    AccessTooLong {
        /// Index of the stop in the input.
        index: usize,
        /// Distance from the stop to its road node, metres.
        distance_m: f64,
    },
    /// A many-to-many matrix would have more cells than allowed (checked before allocating;
    /// see [`crate::DEFAULT_MAX_MATRIX_CELLS`]).
    #[error("a {rows} x {cols} matrix exceeds the limit of {max_cells} cells")]
    MatrixTooLarge {
        /// Number of sources.
        rows: usize,
        /// Number of targets.
        cols: usize,
        /// The limit in force.
        max_cells: usize,
    },
    /// An extract holds more buildings than the caller allows (checked while reading, so
    /// memory stays bounded).
    #[error("the extract holds more than {limit} buildings (the limit given)")]
    TooManyBuildings {
        /// The limit in force.
        limit: usize,
    },
    /// A generator parameter is invalid.
    #[error("bad generator parameter `{field}`: {reason}")]
    BadGenerator {
        /// The parameter's name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn file_prefix(file: Option<&Path>) -> String {
    file.map(|f| format!("{}: ", f.display()))
        .unwrap_or_default()
}

impl EngineError {
    /// A PBF error without a file (bytes in memory) and without an underlying error.
    pub(crate) fn pbf(reason: impl Into<String>) -> EngineError {
        EngineError::Pbf {
            file: None,
            reason: reason.into(),
            source: None,
        }
    }

    /// This error naming `path` as its file, if it is a PBF error without one.
    pub(crate) fn in_file(self, path: &Path) -> EngineError {
        match self {
            EngineError::Pbf {
                file: None,
                reason,
                source,
            } => EngineError::Pbf {
                file: Some(path.to_path_buf()),
                reason,
                source,
            },
            other => other,
        }
    }
}
