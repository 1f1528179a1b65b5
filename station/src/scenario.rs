//! A delivery scenario ([`milkrun_datasets::scenario`]) as a morning on the roads.

use std::path::Path;

use milkrun_datasets::scenario::{BuildingSite, Scenario};
use milkrun_dispatch::{CourierSpec, Dispatch, StopSpec, Weights};
use milkrun_engine::{
    import_buildings, BuildingReport, LatLon, RoadEngine, DEFAULT_MAX_BUILDINGS, DEFAULT_MAX_SNAP_M,
};

use crate::road::RoadLocations;
use crate::StationError;

/// The homes of an extract as the scenario generator's building sites
/// ([`milkrun_datasets::scenario::generate_in_buildings`]): every building of
/// [`milkrun_engine::buildings`] with at least one household by its tags (houses,
/// apartments, residential, `building=yes`, address points), at most
/// [`DEFAULT_MAX_BUILDINGS`]; with the import's report.
pub fn residential_sites(osm: &Path) -> Result<(Vec<BuildingSite>, BuildingReport), StationError> {
    let import = |source| StationError::Import {
        path: osm.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(osm).map_err(|source| {
        import(milkrun_engine::EngineError::Io {
            path: osm.to_path_buf(),
            source,
        })
    })?;
    let (buildings, report) = import_buildings(&bytes, DEFAULT_MAX_BUILDINGS).map_err(import)?;
    let sites = buildings
        .iter()
        .filter(|b| b.households > 0)
        .map(|b| BuildingSite {
            lat: b.pos.lat,
            lon: b.pos.lon,
            households: b.households,
        })
        .collect();
    Ok((sites, report))
}

/// The morning of a scenario on the roads: location 0 is the depot, location `i` household
/// `i - 1`; stop `i` is household `i`'s delivery.
pub fn dispatch_from_scenario(
    engine: &RoadEngine,
    s: &Scenario,
) -> Result<(Dispatch, RoadLocations), StationError> {
    let mut points = vec![LatLon {
        lat: s.depot.lat,
        lon: s.depot.lon,
    }];
    points.extend(s.households.iter().map(|h| LatLon {
        lat: h.lat,
        lon: h.lon,
    }));
    let locs = RoadLocations::snap(engine, &points, DEFAULT_MAX_SNAP_M)?;
    let times = locs.matrix(engine)?;
    let day = Dispatch::new(
        times,
        0,
        scenario_stops(s),
        scenario_couriers(s),
        Weights::default(),
    )?;
    Ok((day, locs))
}

/// The deliveries of a scenario: stop `i` is household `i`, at location `i + 1` (location 0
/// is the depot).
pub fn scenario_stops(s: &Scenario) -> Vec<StopSpec> {
    s.households
        .iter()
        .zip(1u32..)
        .map(|(h, loc)| StopSpec {
            household: h.id,
            loc,
            bottles: h.bottles(),
            service_s: h.service_s,
            window_s: h.window_s,
        })
        .collect()
}

/// The couriers of a scenario, their shifts kept within the station's opening hours.
pub fn scenario_couriers(s: &Scenario) -> Vec<CourierSpec> {
    s.couriers
        .iter()
        .map(|c| CourierSpec {
            id: c.id,
            capacity: c.capacity,
            shift_start_s: c.shift_start_s.max(s.depot.open_s),
            shift_end_s: c.shift_end_s.min(s.depot.close_s),
        })
        .collect()
}
