//! Step 1: the roads. Imports the extract with the bike (e-trike) profile
//! ([`milkrun_station::road::road_engine`]) and snaps the depot and every household
//! ([`RoadLocations::snap_measured`]), listing the ones far from any road.

use std::path::Path;

use milkrun_engine::{LatLon, RoadEngine};
use milkrun_station::road::{road_engine, RoadLocations};

/// Snap distance above which a household is listed as far from any road (it is still routed,
/// from its nearest road node).
pub const FAR_FROM_ROAD_M: f64 = milkrun_engine::DEFAULT_MAX_SNAP_M;

/// The prepared road network.
pub struct Roads {
    /// The engine (graph, CCH, snapping).
    pub engine: RoadEngine,
}

/// Imports `osm` with the bike profile and prepares it.
pub fn load_roads(osm: &Path) -> anyhow::Result<Roads> {
    anyhow::ensure!(
        osm.is_file(),
        "--osm: {} is not a readable file",
        osm.display()
    );
    let engine = road_engine(osm).map_err(|e| anyhow::anyhow!("--osm: {e}"))?;
    anyhow::ensure!(
        engine.graph().num_nodes() > 1,
        "--osm: {} has no usable roads for the bike profile",
        osm.display()
    );
    Ok(Roads { engine })
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
        let v: Vec<f64> = self.snap_m.iter().skip(1).copied().collect();
        super::stats::percentile(&v, q)
    }
}

/// Snaps `points` (depot first) without a distance limit, listing the far ones.
pub fn snap(engine: &RoadEngine, points: &[LatLon]) -> anyhow::Result<Snapped> {
    let (locations, snap_m) = RoadLocations::snap_measured(engine, points, f64::INFINITY)
        .map_err(|e| anyhow::anyhow!("snapping households to the roads: {e}"))?;
    let far = snap_m
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, &d)| d > FAR_FROM_ROAD_M)
        .map(|(i, _)| i - 1)
        .collect();
    Ok(Snapped {
        locations,
        snap_m,
        far,
    })
}
