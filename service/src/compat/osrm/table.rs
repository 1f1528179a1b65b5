//! OSRM's table service: `GET /osrm/table/v1/{profile}/{coordinates}?...`.

use milkrun_engine::{EngineError, LatLon, TrafficOverlay, TravelMatrix};
use serde::Serialize;

use super::coords::parse_coordinates;
use super::error::OsrmError;
use super::query::{parse_bool, parse_indices, parse_radiuses, Params};
use super::waypoint::{snap_waypoints, Waypoint};

/// Most coordinates a table request may carry (counted before parsing them). The matrix
/// itself is further bounded by the engine's cell limit (`TooBig`).
pub const MAX_TABLE_COORDINATES: usize = 10_000;

/// The query parameters the table service takes. `generate_hints` is accepted and has no
/// effect (no hints are ever given).
pub const TABLE_PARAMS: &[&str] = &[
    "sources",
    "destinations",
    "annotations",
    "radiuses",
    "generate_hints",
    "skip_waypoints",
];

/// Which matrices to answer with (`annotations=duration,distance`; default duration only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// `durations`, seconds.
    pub duration: bool,
    /// `distances`, metres.
    pub distance: bool,
}

/// A parsed and validated table request.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRequest {
    /// Every coordinate of the URL, in order.
    pub coordinates: Vec<LatLon>,
    /// Indices into `coordinates` of the matrix rows (default: all).
    pub sources: Vec<usize>,
    /// Indices into `coordinates` of the matrix columns (default: all).
    pub destinations: Vec<usize>,
    /// Snap radius of each coordinate, metres (`+inf`: unlimited, the default).
    pub radiuses: Vec<f64>,
    /// Matrices asked for.
    pub annotations: Annotations,
    /// `skip_waypoints=true`: answer without `sources` and `destinations`.
    pub skip_waypoints: bool,
}

impl TableRequest {
    /// Parses the coordinates path segment (`lon,lat;lon,lat`, at least 1, at most
    /// [`MAX_TABLE_COORDINATES`]) and the query string (after `?`, may be empty; see
    /// [`TABLE_PARAMS`]). Errors carry OSRM's codes: `InvalidQuery` for what cannot be
    /// parsed, `InvalidOptions` for an index out of range or a wrong number of radiuses,
    /// `InvalidValue` for a number out of range, `TooBig` for too many coordinates,
    /// `NotImplemented` for `polyline(...)` coordinates.
    pub fn parse(coordinates: &str, query: &str) -> Result<TableRequest, OsrmError> {
        let params = Params::parse(query, TABLE_PARAMS)?;
        let coordinates = parse_coordinates(coordinates, 1, MAX_TABLE_COORDINATES)?;
        let n = coordinates.len();
        let indices = |param: &'static str| match params.get(param) {
            None => Ok((0..n).collect()),
            Some(v) => parse_indices(param, v, n, MAX_TABLE_COORDINATES),
        };
        let sources = indices("sources")?;
        let destinations = indices("destinations")?;
        let radiuses = match params.get("radiuses") {
            None => vec![f64::INFINITY; n],
            Some(v) => parse_radiuses(v, n)?,
        };
        let annotations = match params.get("annotations") {
            None => Annotations {
                duration: true,
                distance: false,
            },
            Some(v) => parse_annotations(v)?,
        };
        if let Some(v) = params.get("generate_hints") {
            parse_bool("generate_hints", v)?;
        }
        let skip_waypoints = match params.get("skip_waypoints") {
            None => false,
            Some(v) => parse_bool("skip_waypoints", v)?,
        };
        Ok(TableRequest {
            coordinates,
            sources,
            destinations,
            radiuses,
            annotations,
            skip_waypoints,
        })
    }

    /// Cells of the matrix asked for (sources × destinations, saturating), for a caller's
    /// quota check before [`answer_table`].
    pub fn cells(&self) -> usize {
        self.sources.len().saturating_mul(self.destinations.len())
    }
}

fn parse_annotations(v: &str) -> Result<Annotations, OsrmError> {
    let mut a = Annotations {
        duration: false,
        distance: false,
    };
    for part in v.split(',') {
        match part {
            "duration" if !a.duration => a.duration = true,
            "distance" if !a.distance => a.distance = true,
            _ => {
                return Err(OsrmError::query(
                    "annotations",
                    "expected `duration`, `distance` or `duration,distance`",
                ))
            }
        }
    }
    Ok(a)
}

/// OSRM's table answer. Keys absent from the request's annotations (or waypoints with
/// `skip_waypoints=true`) are omitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableResponse {
    /// Always `"Ok"`.
    pub code: &'static str,
    /// `durations[i][j]`: seconds from source `i` to destination `j` (the engine's
    /// `travel_ms / 1000`, millisecond precision); `null` when unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub durations: Option<Vec<Vec<Option<f64>>>>,
    /// `distances[i][j]`: metres along that fastest route (the engine's `dist_dm / 10`,
    /// decimetre precision); `null` when unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distances: Option<Vec<Vec<Option<f64>>>>,
    /// The waypoint of each source, in row order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<Waypoint>>,
    /// The waypoint of each destination, in column order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<Waypoint>>,
}

/// Parses and answers a table request in one call: [`TableRequest::parse`] then
/// [`answer_table`]. Blocking (snapping and a many-to-many matrix): call it off the async
/// runtime.
pub fn table(
    overlay: &TrafficOverlay,
    coordinates: &str,
    query: &str,
) -> Result<TableResponse, OsrmError> {
    answer_table(overlay, &TableRequest::parse(coordinates, query)?)
}

/// Answers a parsed table request on `overlay` (one tenant's traffic on one profile's
/// network). The matrix size is checked against the network's cell limit before anything is
/// snapped or allocated (`TooBig`); every coordinate is then snapped within its radius
/// (`NoSegment` naming the first one that cannot be), and the matrix is the engine's
/// [`TrafficOverlay::try_matrix_nodes`] between the snapped nodes of the sources and the
/// destinations: the same numbers as any other matrix call on the same nodes.
pub fn answer_table(
    overlay: &TrafficOverlay,
    req: &TableRequest,
) -> Result<TableResponse, OsrmError> {
    let (rows, cols) = (req.sources.len(), req.destinations.len());
    overlay
        .network()
        .check_matrix_size(rows, cols)
        .map_err(|e| too_big(e, rows, cols))?;
    let snapped = snap_waypoints(overlay, &req.coordinates, &req.radiuses)?;
    let pick = |param: &'static str, idx: &[usize]| -> Result<Vec<_>, OsrmError> {
        idx.iter()
            .map(|&i| {
                snapped
                    .get(i)
                    .ok_or_else(|| OsrmError::option(param, format!("{i} is not a coordinate")))
            })
            .collect()
    };
    let src = pick("sources", &req.sources)?;
    let dst = pick("destinations", &req.destinations)?;
    let src_nodes: Vec<_> = src.iter().map(|s| s.node).collect();
    let dst_nodes: Vec<_> = dst.iter().map(|s| s.node).collect();
    let m = overlay
        .try_matrix_nodes(&src_nodes, &dst_nodes)
        .map_err(|e| too_big(e, rows, cols))?;
    let waypoints =
        |v: &[&super::waypoint::Snapped]| v.iter().map(|s| s.waypoint.clone()).collect();
    Ok(TableResponse {
        code: "Ok",
        durations: req
            .annotations
            .duration
            .then(|| grid(&m, |m, i, j| m.seconds(i, j))),
        distances: req
            .annotations
            .distance
            .then(|| grid(&m, |m, i, j| m.dist_dm(i, j).map(|dm| f64::from(dm) / 10.0))),
        sources: (!req.skip_waypoints).then(|| waypoints(&src)),
        destinations: (!req.skip_waypoints).then(|| waypoints(&dst)),
    })
}

fn grid(
    m: &TravelMatrix,
    cell: impl Fn(&TravelMatrix, usize, usize) -> Option<f64>,
) -> Vec<Vec<Option<f64>>> {
    (0..m.rows())
        .map(|i| (0..m.cols()).map(|j| cell(m, i, j)).collect())
        .collect()
}

fn too_big(e: EngineError, rows: usize, cols: usize) -> OsrmError {
    match e {
        EngineError::MatrixTooLarge { max_cells, .. } => OsrmError::TooBig {
            what: "matrix cells (sources x destinations)",
            count: rows.saturating_mul(cols),
            max: max_cells,
        },
        other => OsrmError::Engine(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compat::osrm::OsrmCode;

    /// Defaults: every coordinate is a source and a destination, durations only, unlimited
    /// radiuses.
    #[test]
    fn defaults() {
        let r = TableRequest::parse("9.5,47.1;9.52,47.14;9.51,47.2", "").unwrap();
        assert_eq!(r.sources, vec![0, 1, 2]);
        assert_eq!(r.destinations, vec![0, 1, 2]);
        assert_eq!(r.radiuses, vec![f64::INFINITY; 3]);
        assert_eq!(
            r.annotations,
            Annotations {
                duration: true,
                distance: false
            }
        );
        assert_eq!(r.cells(), 9);
    }

    /// Every parameter together.
    #[test]
    fn all_parameters() {
        let r = TableRequest::parse(
            "9.5,47.1;9.52,47.14;9.51,47.2",
            "sources=0;2&destinations=1&annotations=distance,duration&radiuses=10;unlimited;5.5&generate_hints=false&skip_waypoints=true",
        )
        .unwrap();
        assert_eq!(r.sources, vec![0, 2]);
        assert_eq!(r.destinations, vec![1]);
        assert_eq!(r.radiuses, vec![10.0, f64::INFINITY, 5.5]);
        assert!(r.annotations.duration && r.annotations.distance);
        assert!(r.skip_waypoints);
        assert_eq!(r.cells(), 2);
    }

    /// Bad annotations and flags are `InvalidQuery`; a destination out of range is
    /// `InvalidOptions`; each names its parameter.
    #[test]
    fn bad_parameters() {
        for (q, code, name) in [
            ("annotations=speed", OsrmCode::InvalidQuery, "annotations"),
            (
                "annotations=duration,duration",
                OsrmCode::InvalidQuery,
                "annotations",
            ),
            ("annotations=", OsrmCode::InvalidQuery, "annotations"),
            (
                "skip_waypoints=yes",
                OsrmCode::InvalidQuery,
                "skip_waypoints",
            ),
            ("destinations=5", OsrmCode::InvalidOptions, "destinations"),
            ("radiuses=1", OsrmCode::InvalidOptions, "radiuses"),
            ("fallback_speed=5", OsrmCode::InvalidQuery, "fallback_speed"),
        ] {
            let e = TableRequest::parse("9.5,47.1;9.52,47.14", q).unwrap_err();
            assert_eq!(e.code(), code, "{q}: {e}");
            assert!(e.to_string().contains(name), "{q}: {e}");
        }
    }
}
