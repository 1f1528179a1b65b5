//! The roads on the station's map, from our own road network (the bike network the couriers
//! ride, as the night's plan does): every road segment inside the box around the day's stops
//! (plus [`MARGIN_DEG`]), each undirected segment once, as one GeoJSON `MultiLineString`
//! (`[lon, lat]` pairs, 5 decimals). No tile server.
//!
//! And the courier's way to his next stop along the roads ([`directions`]): the engine's
//! door-to-door route on the bike network with the tenant's traffic, at the pages' time of
//! day, from where he is (the door he reported last, else his station) to his next pending
//! stop, turned into manoeuvres by [`milkrun_engine::maneuvers`] (depart, turns, arrive, the
//! distance to each). The engine keeps no street names, so the hints name none.
use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use milkrun_dairy::round::StopStatus;
use milkrun_engine::graph::{EdgeId, NodeId};
use milkrun_engine::maneuvers::{route_maneuvers, Maneuver};
use milkrun_engine::{LatLon, PointOptions, Profile, RoadGraph};
use serde_json::{json, Value};

use super::reply::{courier_day, store_error};
use super::{caller, AppError, AppState};

/// Margin around the stops' box, degrees (about 500 m).
pub const MARGIN_DEG: f64 = 0.005;

/// Most segments answered (the rest of a very large area is left out, and said so).
pub const MAX_SEGMENTS: usize = 200_000;

/// A box of latitudes and longitudes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// South, west, north, east, degrees.
    pub south: f64,
    /// West.
    pub west: f64,
    /// North.
    pub north: f64,
    /// East.
    pub east: f64,
}

impl Bounds {
    fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }
}

/// The graph's segments with both ends inside `b`, each undirected pair of road nodes once:
/// (`[[lon, lat], [lon, lat]]` list, whether [`MAX_SEGMENTS`] cut it short).
pub fn segments(graph: &RoadGraph, b: &Bounds) -> (Vec<[[f64; 2]; 2]>, bool) {
    let round = |x: f64| (x * 1e5).round() / 1e5;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for v in 0..graph.num_nodes() {
        let tail = graph.original_node(NodeId(v as u32));
        let a = graph.coord(tail);
        if !b.contains(a.lat, a.lon) {
            continue;
        }
        for e in graph.out_edges(NodeId(v as u32)) {
            let head = graph.original_node(graph.head(EdgeId(e as u32)));
            let key = (tail.0.min(head.0), tail.0.max(head.0));
            if tail == head || !seen.insert(key) {
                continue;
            }
            let z = graph.coord(head);
            if !b.contains(z.lat, z.lon) {
                continue;
            }
            if out.len() == MAX_SEGMENTS {
                return (out, true);
            }
            out.push([[round(a.lon), round(a.lat)], [round(z.lon), round(z.lat)]]);
        }
    }
    (out, false)
}

/// `GET /app/api/roads`: the roads around the day's stops as GeoJSON.
pub async fn roads(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let c = caller(&app, &headers)?;
    let Some(day) = app.store.open_day(c.tenant).await.map_err(store_error)? else {
        return Err(AppError::new(StatusCode::NOT_FOUND, "no planned day"));
    };
    let stops = app
        .store
        .day_board(c.tenant, day)
        .await
        .map_err(store_error)?;
    let Some(first) = stops.first() else {
        return Ok(Json(json!({"type": "FeatureCollection", "features": []})));
    };
    let mut b = Bounds {
        south: first.point.lat,
        west: first.point.lon,
        north: first.point.lat,
        east: first.point.lon,
    };
    for s in &stops {
        b.south = b.south.min(s.point.lat);
        b.north = b.north.max(s.point.lat);
        b.west = b.west.min(s.point.lon);
        b.east = b.east.max(s.point.lon);
    }
    b.south -= MARGIN_DEG;
    b.west -= MARGIN_DEG;
    b.north += MARGIN_DEG;
    b.east += MARGIN_DEG;
    let network =
        app.service.roads.network(Profile::Bike).ok_or_else(|| {
            AppError::new(StatusCode::SERVICE_UNAVAILABLE, "no bike network loaded")
        })?;
    let (lines, cut) = tokio::task::spawn_blocking(move || segments(network.graph(), &b))
        .await
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"kind": "roads", "truncated": cut},
            "geometry": {"type": "MultiLineString", "coordinates": lines},
        }],
    })))
}

/// The compass point of a bearing (degrees clockwise from north).
pub fn compass(deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[((deg.rem_euclid(360.0) / 45.0).round() as usize) % 8]
}

/// One manoeuvre as JSON: its kind, the whole metres from the previous one and from the
/// start, the heading after it (degrees and compass point), the way id and the spot.
pub fn maneuver_json(m: &Maneuver) -> Value {
    json!({
        "kind": m.kind.as_str(),
        "distance_m": m.distance_m.round() as i64,
        "from_start_m": m.from_start_m.round() as i64,
        "bearing_deg": m.bearing_deg.round() as i64 % 360,
        "compass": compass(m.bearing_deg),
        "way": m.way,
        "at": [m.at.lat, m.at.lon],
    })
}

/// `GET /app/api/couriers/{courier}/directions`: the way along the roads from where the
/// courier is (the door he reported last, else his station) to his next pending stop, as
/// manoeuvres; `{"next": null}` when no stop is left. A courier sees only his own (another
/// courier's id answers not found), a dispatcher bound to stations those of his stations'
/// couriers ([`courier_day`]).
pub async fn directions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(courier): Path<String>,
) -> Result<Json<Value>, AppError> {
    use milkrun_dairy::dispatcher::last_positions;
    let (c, id, day) = courier_day(&app, &headers, &courier).await?;
    let round = app
        .store
        .courier_round(c.tenant, day, id)
        .await
        .map_err(store_error)?;
    let Some(next) = round.iter().find(|s| s.status == StopStatus::Pending) else {
        return Ok(Json(json!({"next": null})));
    };
    let site = app
        .store
        .station_site(c.tenant, next.station)
        .await
        .map_err(store_error)?;
    let last = last_positions(&round)
        .into_iter()
        .filter(|p| p.0 == id)
        .max_by_key(|p| p.3);
    let (from, from_what) = match (last, &site) {
        (Some((_, _, p, _)), _) => (p, "your last stop"),
        (None, Some(site)) => (site.point, "the station"),
        (None, None) => {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                format!("station {}: no site stored", next.station.0),
            ))
        }
    };
    let roads = app
        .service
        .roads
        .overlay(&c.session.tenant, Profile::Bike)
        .map_err(|e| AppError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let departure_s = u32::try_from(app.clock.second_of_day()).unwrap_or(0);
    let a = LatLon {
        lat: from.lat,
        lon: from.lon,
    };
    let b = LatLon {
        lat: next.point.lat,
        lon: next.point.lon,
    };
    let mut opts = PointOptions {
        departure_s: Some(departure_s),
        ..PointOptions::default()
    };
    // The station's own limit on a household's distance from its road, as its plan has.
    if let Some(site) = &site {
        if site.max_snap_m.is_finite() && site.max_snap_m > 0.0 {
            opts.max_snap_m = site.max_snap_m;
        }
    }
    let route = tokio::task::spawn_blocking(move || {
        roads
            .route_with(a, b, &opts)
            .map(|r| r.map(|r| (route_maneuvers(roads.graph(), &r), r)))
    })
    .await
    .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("the way: {e}")))?;
    let Some((steps, route)) = route else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("no road joins {from_what} to {}", next.address),
        ));
    };
    Ok(Json(json!({
        "next": {"household": next.household.0, "address": next.address},
        "from": from_what,
        "from_point": [a.lat, a.lon],
        "to_point": [b.lat, b.lon],
        "departure_s": departure_s,
        "distance_m": (f64::from(route.dist_dm) / 10.0).round() as i64,
        "duration_s": route.travel_ms.div_ceil(1000),
        "steps": steps.iter().map(maneuver_json).collect::<Vec<_>>(),
    })))
}
