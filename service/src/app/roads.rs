//! The roads on the station's map, from our own road network (the bike network the couriers
//! ride, as the night's plan does): every road segment inside the box around the day's stops
//! (plus [`MARGIN_DEG`]), each undirected segment once, as one GeoJSON `MultiLineString`
//! (`[lon, lat]` pairs, 5 decimals). No tile server.
use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use milkrun_engine::graph::{EdgeId, NodeId};
use milkrun_engine::{Profile, RoadGraph};
use serde_json::{json, Value};

use super::reply::store_error;
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
