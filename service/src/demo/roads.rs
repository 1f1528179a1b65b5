//! Step 1: the roads. Imports the extract with the bike (e-trike) profile, snaps the depot and
//! every household, and builds the travel-time matrix between them.

use std::path::Path;

use anyhow::Context;
use milkrun_dispatch::TravelTimes;
use milkrun_engine::{import_pbf_file, BuildReport, LatLon, NodeId, Profile, RoadEngine};
use milkrun_station::road::RoadLocations;

/// Snap distance above which a household is listed as far from any road (it is still routed,
/// from its nearest road node).
pub const FAR_FROM_ROAD_M: f64 = milkrun_engine::DEFAULT_MAX_SNAP_M;

/// The prepared road network.
pub struct Roads {
    /// The engine (graph, CCH, snapping).
    pub engine: RoadEngine,
    /// What the import kept.
    pub build: BuildReport,
}

/// Imports `osm` with the bike profile and prepares it.
pub fn load_roads(osm: &Path) -> anyhow::Result<Roads> {
    anyhow::ensure!(
        osm.is_file(),
        "--osm: {} is not a readable file",
        osm.display()
    );
    let (graph, build) = import_pbf_file(osm, Profile::Bike)
        .with_context(|| format!("--osm: importing {}", osm.display()))?;
    anyhow::ensure!(
        graph.num_nodes() > 1,
        "--osm: {} has no usable roads for the bike profile",
        osm.display()
    );
    Ok(Roads {
        engine: RoadEngine::prepare(graph),
        build,
    })
}

/// Every road node's `(lat, lon)`: where the scenario generator may place households.
pub fn road_points(engine: &RoadEngine) -> Vec<(f64, f64)> {
    let g = engine.graph();
    (0..g.num_nodes() as u32)
        .map(|v| g.coord(NodeId(v)))
        .map(|p| (p.lat, p.lon))
        .collect()
}

/// The snapped locations (depot first) and the snap distances.
pub struct Snapped {
    /// Road node per location: location 0 is the depot, location `i` household `i - 1`.
    pub locations: RoadLocations,
    /// Snap distance per location, metres.
    pub snap_m: Vec<f64>,
    /// Households (index into the scenario's list) farther than [`FAR_FROM_ROAD_M`].
    pub far: Vec<usize>,
}

impl Snapped {
    /// The `q`-quantile of the households' snap distances (nearest rank).
    pub fn quantile_m(&self, q: f64) -> f64 {
        let mut v: Vec<f64> = self.snap_m.iter().skip(1).copied().collect();
        v.sort_by(f64::total_cmp);
        v.get(((v.len() as f64 - 1.0) * q).round().max(0.0) as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

/// Snaps `points` (depot first) without a distance limit, listing the far ones.
pub fn snap(engine: &RoadEngine, points: &[LatLon]) -> anyhow::Result<Snapped> {
    let snaps = engine
        .snap_all(points, f64::INFINITY)
        .context("snapping households to the roads")?;
    let snap_m: Vec<f64> = snaps.iter().map(|s| s.snap_m).collect();
    let far = snap_m
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, &d)| d > FAR_FROM_ROAD_M)
        .map(|(i, _)| i - 1)
        .collect();
    Ok(Snapped {
        locations: RoadLocations {
            nodes: snaps.iter().map(|s| s.node).collect(),
        },
        snap_m,
        far,
    })
}

/// Travel seconds and metres between all snapped locations on the current traffic state.
pub fn matrix(engine: &RoadEngine, snapped: &Snapped) -> TravelTimes {
    snapped.locations.matrix(engine)
}

/// The road polyline of a courier's round (depot, stops, depot) given as location indices,
/// and the OSM way id of every edge driven.
pub fn round_geometry(
    engine: &RoadEngine,
    locations: &RoadLocations,
    round: &[u32],
) -> (Vec<LatLon>, Vec<i64>) {
    let g = engine.graph();
    let mut line = Vec::new();
    let mut ways = Vec::new();
    for leg in round.windows(2) {
        let (a, b) = (
            locations.nodes[leg[0] as usize],
            locations.nodes[leg[1] as usize],
        );
        if let Some(r) = engine.route_nodes(a, b) {
            for w in r.nodes.windows(2) {
                if let Some(e) = g.find_edge(w[0], w[1]) {
                    ways.push(g.way_id(e));
                }
            }
            line.extend(r.polyline);
        }
    }
    (line, ways)
}
