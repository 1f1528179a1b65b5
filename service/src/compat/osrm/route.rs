//! OSRM's route service: `GET /osrm/route/v1/{profile}/{coordinates}?...`, one route through
//! every coordinate in order, legs with duration and distance, no turn-by-turn steps.

use milkrun_engine::{LatLon, TrafficOverlay};
use serde::Serialize;

use super::coords::parse_coordinates;
use super::error::OsrmError;
use super::query::{parse_bool, parse_radiuses, Params};
use super::waypoint::{snap_waypoints, Waypoint};
use crate::compat::polyline::{encode, Precision};
use crate::compat::simplify::{simplify, SIMPLIFY_TOLERANCE_M};

/// Most coordinates (waypoints) of a route request, as OSRM's default `max-viaroute-size`.
pub const MAX_ROUTE_COORDINATES: usize = 500;

/// The query parameters the route service takes. Accepted with their OSRM default only
/// (anything else is `NotImplemented`): `steps=false`, `annotations=false`,
/// `continue_straight=default`. `alternatives` is accepted with any value and one route is
/// answered (OSRM's `alternatives` asks for *up to* that many). `generate_hints` has no
/// effect (no hints are given).
pub const ROUTE_PARAMS: &[&str] = &[
    "overview",
    "geometries",
    "steps",
    "alternatives",
    "annotations",
    "radiuses",
    "continue_straight",
    "generate_hints",
    "skip_waypoints",
];

/// `overview`: how much of the route's geometry to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overview {
    /// Every road node passed.
    Full,
    /// Douglas–Peucker within [`SIMPLIFY_TOLERANCE_M`] (OSRM's default).
    Simplified,
    /// No geometry (`overview=false`).
    False,
}

/// `geometries`: how the geometry is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geometries {
    /// Encoded polyline, precision 5 (OSRM's default).
    Polyline,
    /// Encoded polyline, precision 6.
    Polyline6,
    /// A GeoJSON `LineString` of `[lon, lat]` positions.
    GeoJson,
}

/// A parsed and validated route request.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRequest {
    /// The waypoints in order (2 to [`MAX_ROUTE_COORDINATES`]).
    pub coordinates: Vec<LatLon>,
    /// Snap radius of each coordinate, metres (`+inf`: unlimited, the default).
    pub radiuses: Vec<f64>,
    /// Geometry detail.
    pub overview: Overview,
    /// Geometry format.
    pub geometries: Geometries,
    /// `skip_waypoints=true`: answer without `waypoints`.
    pub skip_waypoints: bool,
}

impl RouteRequest {
    /// Parses the coordinates path segment and the query string (after `?`, may be empty;
    /// see [`ROUTE_PARAMS`]). Errors carry OSRM's codes as [`super::TableRequest::parse`]'s
    /// do, plus `NotImplemented` for `steps=true`, `annotations` other than `false` and
    /// `continue_straight` other than `default`.
    pub fn parse(coordinates: &str, query: &str) -> Result<RouteRequest, OsrmError> {
        let params = Params::parse(query, ROUTE_PARAMS)?;
        let coordinates = parse_coordinates(coordinates, 2, MAX_ROUTE_COORDINATES)?;
        let n = coordinates.len();
        let radiuses = match params.get("radiuses") {
            None => vec![f64::INFINITY; n],
            Some(v) => parse_radiuses(v, n)?,
        };
        let overview = match params.get("overview") {
            None | Some("simplified") => Overview::Simplified,
            Some("full") => Overview::Full,
            Some("false") => Overview::False,
            Some(_) => {
                return Err(OsrmError::query(
                    "overview",
                    "expected `full`, `simplified` or `false`",
                ))
            }
        };
        let geometries = match params.get("geometries") {
            None | Some("polyline") => Geometries::Polyline,
            Some("polyline6") => Geometries::Polyline6,
            Some("geojson") => Geometries::GeoJson,
            Some(_) => {
                return Err(OsrmError::query(
                    "geometries",
                    "expected `polyline`, `polyline6` or `geojson`",
                ))
            }
        };
        if let Some(v) = params.get("steps") {
            if parse_bool("steps", v)? {
                return Err(OsrmError::NotImplemented {
                    param: "steps",
                    reason: "turn-by-turn steps are not offered; use steps=false",
                });
            }
        }
        if let Some(v) = params.get("annotations") {
            if v != "false" {
                return Err(OsrmError::NotImplemented {
                    param: "annotations",
                    reason: "route annotations are not offered; use annotations=false",
                });
            }
        }
        if let Some(v) = params.get("continue_straight") {
            if v != "default" {
                return Err(OsrmError::NotImplemented {
                    param: "continue_straight",
                    reason: "only continue_straight=default is offered",
                });
            }
        }
        if let Some(v) = params.get("alternatives") {
            if parse_bool("alternatives", v).is_err() && v.parse::<u32>().is_err() {
                return Err(OsrmError::query(
                    "alternatives",
                    "expected `true`, `false` or a number",
                ));
            }
        }
        if let Some(v) = params.get("generate_hints") {
            parse_bool("generate_hints", v)?;
        }
        let skip_waypoints = match params.get("skip_waypoints") {
            None => false,
            Some(v) => parse_bool("skip_waypoints", v)?,
        };
        Ok(RouteRequest {
            coordinates,
            radiuses,
            overview,
            geometries,
            skip_waypoints,
        })
    }
}

/// A GeoJSON `LineString`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineString {
    /// Always `"LineString"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `[lon, lat]` positions.
    pub coordinates: Vec<[f64; 2]>,
}

/// A route's geometry in the requested format.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Geometry {
    /// An encoded polyline (precision 5 or 6).
    Encoded(String),
    /// A GeoJSON line.
    GeoJson(LineString),
}

/// One leg: from one waypoint to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leg {
    /// Seconds (the engine's `travel_ms / 1000`).
    pub duration: f64,
    /// Metres (the engine's `dist_dm / 10`).
    pub distance: f64,
    /// Equal to `duration` (the engine's weight is travel time).
    pub weight: f64,
    /// Always empty (no street names).
    pub summary: String,
    /// Always empty (`steps=false`).
    pub steps: Vec<serde_json::Value>,
}

/// One route through every waypoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Seconds: the sum of the legs' travel times.
    pub duration: f64,
    /// Metres: the sum of the legs' distances.
    pub distance: f64,
    /// The geometry; absent with `overview=false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Geometry>,
    /// The legs, one per consecutive pair of waypoints.
    pub legs: Vec<Leg>,
    /// Equal to `duration`.
    pub weight: f64,
    /// Always `"duration"`.
    pub weight_name: &'static str,
}

/// OSRM's route answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteResponse {
    /// Always `"Ok"`.
    pub code: &'static str,
    /// Exactly one route.
    pub routes: Vec<Route>,
    /// The waypoint of every coordinate; absent with `skip_waypoints=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waypoints: Option<Vec<Waypoint>>,
}

/// Parses and answers a route request in one call: [`RouteRequest::parse`] then
/// [`answer_route`]. Blocking: call it off the async runtime.
pub fn route(
    overlay: &TrafficOverlay,
    coordinates: &str,
    query: &str,
) -> Result<RouteResponse, OsrmError> {
    answer_route(overlay, &RouteRequest::parse(coordinates, query)?)
}

/// Answers a parsed route request on `overlay`: every coordinate snapped within its radius
/// (`NoSegment` naming the first that cannot be), then each leg is the engine's
/// [`TrafficOverlay::route_on`] between consecutive snapped nodes, all on one metric
/// snapshot (so a traffic update published meanwhile never mixes into one answer).
/// `NoRoute` names the first leg whose waypoints are cut apart.
pub fn answer_route(
    overlay: &TrafficOverlay,
    req: &RouteRequest,
) -> Result<RouteResponse, OsrmError> {
    let snapped = snap_waypoints(overlay, &req.coordinates, &req.radiuses)?;
    let snapshot = overlay.snapshot();
    let mut legs = Vec::with_capacity(snapped.len().saturating_sub(1));
    let mut line: Vec<LatLon> = Vec::new();
    let (mut total_ms, mut total_dm) = (0u64, 0u64);
    for (leg, pair) in snapped.windows(2).enumerate() {
        let r = overlay
            .route_on(&snapshot, pair[0].node, pair[1].node)
            .ok_or(OsrmError::NoRoute { leg })?;
        total_ms += u64::from(r.travel_ms);
        total_dm += u64::from(r.dist_dm);
        let duration = f64::from(r.travel_ms) / 1000.0;
        legs.push(Leg {
            duration,
            distance: f64::from(r.dist_dm) / 10.0,
            weight: duration,
            summary: String::new(),
            steps: Vec::new(),
        });
        if req.overview != Overview::False {
            let skip = usize::from(line.last().is_some() && line.last() == r.polyline.first());
            line.extend(r.polyline.into_iter().skip(skip));
        }
    }
    let geometry = match req.overview {
        Overview::False => None,
        Overview::Full => Some(geometry(&line, req.geometries)),
        Overview::Simplified => Some(geometry(
            &simplify(&line, SIMPLIFY_TOLERANCE_M),
            req.geometries,
        )),
    };
    // Sums of at most 499 u32 legs: exact in f64 after the division.
    let duration = total_ms as f64 / 1000.0;
    Ok(RouteResponse {
        code: "Ok",
        routes: vec![Route {
            duration,
            distance: total_dm as f64 / 10.0,
            geometry,
            legs,
            weight: duration,
            weight_name: "duration",
        }],
        waypoints: (!req.skip_waypoints).then(|| snapped.into_iter().map(|s| s.waypoint).collect()),
    })
}

fn geometry(line: &[LatLon], format: Geometries) -> Geometry {
    match format {
        Geometries::Polyline => Geometry::Encoded(encode(line, Precision::Five)),
        Geometries::Polyline6 => Geometry::Encoded(encode(line, Precision::Six)),
        Geometries::GeoJson => Geometry::GeoJson(LineString {
            kind: "LineString",
            coordinates: line.iter().map(|p| [p.lon, p.lat]).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compat::osrm::OsrmCode;

    /// OSRM's defaults: simplified overview, polyline geometry.
    #[test]
    fn defaults() {
        let r = RouteRequest::parse("9.5,47.1;9.52,47.14", "").unwrap();
        assert_eq!(r.overview, Overview::Simplified);
        assert_eq!(r.geometries, Geometries::Polyline);
        assert!(!r.skip_waypoints);
        let r = RouteRequest::parse(
            "9.5,47.1;9.52,47.14",
            "overview=full&geometries=geojson&steps=false&alternatives=false&annotations=false&continue_straight=default",
        )
        .unwrap();
        assert_eq!(r.overview, Overview::Full);
        assert_eq!(r.geometries, Geometries::GeoJson);
        let r = RouteRequest::parse("9.5,47.1;9.52,47.14", "overview=false&geometries=polyline6")
            .unwrap();
        assert_eq!(r.overview, Overview::False);
        assert_eq!(r.geometries, Geometries::Polyline6);
    }

    /// One coordinate, bad enum values and unsupported features each get their code and
    /// name the parameter.
    #[test]
    fn bad_requests() {
        for (c, q, code, name) in [
            ("9.5,47.1", "", OsrmCode::InvalidOptions, "coordinates"),
            (
                "9.5,47.1;9.5,47.2",
                "overview=some",
                OsrmCode::InvalidQuery,
                "overview",
            ),
            (
                "9.5,47.1;9.5,47.2",
                "geometries=wkt",
                OsrmCode::InvalidQuery,
                "geometries",
            ),
            (
                "9.5,47.1;9.5,47.2",
                "steps=true",
                OsrmCode::NotImplemented,
                "steps",
            ),
            (
                "9.5,47.1;9.5,47.2",
                "annotations=true",
                OsrmCode::NotImplemented,
                "annotations",
            ),
            (
                "9.5,47.1;9.5,47.2",
                "alternatives=maybe",
                OsrmCode::InvalidQuery,
                "alternatives",
            ),
            (
                "9.5,47.1;9.5,47.2",
                "sources=0",
                OsrmCode::InvalidQuery,
                "sources",
            ),
        ] {
            let e = RouteRequest::parse(c, q).unwrap_err();
            assert_eq!(e.code(), code, "{q}: {e}");
            assert!(e.to_string().contains(name), "{q}: {e}");
        }
    }
}
