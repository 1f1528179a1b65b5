//! The road engine's side of re-planning: travel times between the day's locations, the
//! matrix after a traffic update, a new order's address, and turning file events into
//! [`Event`]s.

use std::path::Path;

use milkrun_dispatch::dispatch::Dispatch;
use milkrun_dispatch::event::{Event, EventKind};
use milkrun_dispatch::io::{EventRecord, TimedRecord};
use milkrun_dispatch::model::{SlotTimes, SpeedSlot, StopSpec, TravelTimes, UNREACHABLE_S};
use milkrun_dispatch::ReplanError;
use milkrun_engine::{import_pbf_file, EdgeId, LatLon, NodeId, Profile, RoadEngine, TravelMatrix};

use crate::StationError;
use milkrun_engine::{EdgeSet, SpeedChange, TrafficUpdate};

fn entry(m: &TravelMatrix, i: usize, j: usize) -> (i64, i64) {
    match (m.travel_ms(i, j), m.meters(i, j)) {
        (Some(ms), Some(d)) => ((i64::from(ms) + 500) / 1000, i64::from(d)),
        _ => (UNREACHABLE_S, UNREACHABLE_S),
    }
}

/// The day's locations on the road graph (location `i` is node `nodes[i]`).
#[derive(Debug, Clone, PartialEq)]
pub struct RoadLocations {
    /// Road node of every location.
    pub nodes: Vec<NodeId>,
}

impl RoadLocations {
    /// Snaps `points` (depot and households) to the road graph.
    pub fn snap(
        engine: &RoadEngine,
        points: &[LatLon],
        max_snap_m: f64,
    ) -> Result<RoadLocations, StationError> {
        let snaps = engine.snap_all(points, max_snap_m)?;
        Ok(RoadLocations {
            nodes: snaps.iter().map(|s| s.node).collect(),
        })
    }

    /// Snaps `points` like [`RoadLocations::snap`] and also returns each point's distance to
    /// its road node, metres (e.g. to list households far from any road).
    pub fn snap_measured(
        engine: &RoadEngine,
        points: &[LatLon],
        max_snap_m: f64,
    ) -> Result<(RoadLocations, Vec<f64>), StationError> {
        let snaps = engine.snap_all(points, max_snap_m)?;
        Ok((
            RoadLocations {
                nodes: snaps.iter().map(|s| s.node).collect(),
            },
            snaps.iter().map(|s| s.snap_m).collect(),
        ))
    }

    /// The road polyline of a route through `locations` (indices into [`Self::nodes`];
    /// unknown indices and unreachable legs are skipped) on the current traffic state, and
    /// the OSM way id of every edge driven (once per passage).
    pub fn route_geometry(
        &self,
        engine: &RoadEngine,
        locations: &[u32],
    ) -> (Vec<LatLon>, Vec<i64>) {
        let g = engine.graph();
        let mut line = Vec::new();
        let mut ways = Vec::new();
        for leg in locations.windows(2) {
            let (Some(&a), Some(&b)) = (
                self.nodes.get(leg[0] as usize),
                self.nodes.get(leg[1] as usize),
            ) else {
                continue;
            };
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

    /// Travel times (rounded to seconds) and distances between all locations, on the
    /// engine's current traffic state; with the engine's time-of-day profile
    /// ([`RoadEngine::set_speed_profile`]) one [`SpeedSlot`] per profile slot, each with the
    /// matrix of trips departing in it (live traffic included).
    pub fn matrix(&self, engine: &RoadEngine) -> TravelTimes {
        let m = engine.matrix_nodes(&self.nodes, &self.nodes);
        let base = TravelTimes::from_fn(self.nodes.len(), |i, j| entry(&m, i, j));
        let mut profile = engine.speed_profile().slots;
        if profile.is_empty() {
            return base;
        }
        profile.sort_by_key(|sl| sl.start_s);
        let n = self.nodes.len();
        let slots = profile
            .iter()
            .map(|sl| {
                let m = engine.matrix_nodes_at(&self.nodes, &self.nodes, sl.start_s);
                let mut t = Vec::with_capacity(n * n);
                for i in 0..n {
                    for j in 0..n {
                        t.push(entry(&m, i, j).0);
                    }
                }
                SpeedSlot {
                    start_s: i64::from(sl.start_s),
                    end_s: i64::from(sl.end_s),
                    times: SlotTimes::Matrix(t),
                }
            })
            .collect();
        // Sizes agree and the engine's profile is validated (sorted, no overlap).
        match base.clone().with_slots(slots) {
            Ok(t) => t,
            Err(_) => base,
        }
    }

    /// Adds a location (a new order's address): snaps it and returns the travel times from
    /// and to every existing location, for [`Dispatch::add_location`].
    #[allow(clippy::type_complexity)]
    pub fn add(
        &mut self,
        engine: &RoadEngine,
        point: LatLon,
        max_snap_m: f64,
    ) -> Result<(Vec<(i64, i64)>, Vec<(i64, i64)>), StationError> {
        let snap = engine.snap_all(&[point], max_snap_m)?;
        let v = [snap[0].node];
        let out = engine.matrix_nodes(&v, &self.nodes);
        let inn = engine.matrix_nodes(&self.nodes, &v);
        let from_new = (0..self.nodes.len()).map(|j| entry(&out, 0, j)).collect();
        let to_new = (0..self.nodes.len()).map(|i| entry(&inn, i, 0)).collect();
        self.nodes.push(v[0]);
        Ok((from_new, to_new))
    }

    /// Turns a file event into a re-planner event: a traffic record is applied to the
    /// engine and becomes the new matrix (a factor of 0 or less closes the ways, 1 lifts
    /// the change); an order's address is added to `day`'s matrix. Courier ids are mapped
    /// to indices.
    pub fn event(
        &mut self,
        engine: &RoadEngine,
        day: &mut Dispatch,
        rec: &TimedRecord,
        max_snap_m: f64,
    ) -> Result<Event, StationError> {
        self.event_for_all(engine, &mut [day], rec, max_snap_m)
    }

    /// Like [`RoadLocations::event`] for several days replayed side by side on the same
    /// roads (e.g. a strategy and its baseline): a new order's address is added to every
    /// day's matrix (they must hold the same locations). Courier ids are mapped to indices
    /// with the first day's couriers. Errors on an empty `days`.
    pub fn event_for_all(
        &mut self,
        engine: &RoadEngine,
        days: &mut [&mut Dispatch],
        rec: &TimedRecord,
        max_snap_m: f64,
    ) -> Result<Event, StationError> {
        let first = days.first().ok_or(StationError::NoDay)?;
        let courier = |id: u32| {
            first
                .couriers()
                .iter()
                .position(|c| c.id == id)
                .ok_or(ReplanError::Courier { index: id as usize })
        };
        let kind = match &rec.record {
            EventRecord::Traffic { factor, ways } => {
                let change = if *factor <= 0.0 {
                    SpeedChange::Closed
                } else if (*factor - 1.0).abs() < 1e-12 {
                    SpeedChange::Reset
                } else {
                    SpeedChange::Factor(*factor)
                };
                engine.apply_traffic(&[TrafficUpdate {
                    edges: EdgeSet::Ways(ways.clone()),
                    change,
                }])?;
                EventKind::Traffic(Box::new(self.matrix(engine)))
            }
            EventRecord::Order {
                household,
                lat,
                lon,
                bottles,
                service_s,
                window_s,
            } => {
                let (from_new, to_new) = self.add(
                    engine,
                    LatLon {
                        lat: *lat,
                        lon: *lon,
                    },
                    max_snap_m,
                )?;
                let mut loc = None;
                for day in days.iter_mut() {
                    let l = day.add_location(&from_new, &to_new)?;
                    if let Some(first) = loc.filter(|&f| f != l) {
                        return Err(StationError::DaysDiffer { first, other: l });
                    }
                    loc = Some(l);
                }
                EventKind::NewOrder(StopSpec {
                    household: *household,
                    loc: loc.ok_or(StationError::NoDay)?,
                    bottles: *bottles,
                    service_s: *service_s,
                    window_s: *window_s,
                })
            }
            EventRecord::Cancel { household } => EventKind::Cancel {
                household: *household,
            },
            EventRecord::Failed { household, retry_s } => EventKind::Failed {
                household: *household,
                retry_s: *retry_s,
            },
            EventRecord::Breakdown { courier: id } => EventKind::Breakdown {
                courier: courier(*id)?,
            },
            EventRecord::Delay {
                courier: id,
                delay_s,
            } => EventKind::Delay {
                courier: courier(*id)?,
                delay_s: *delay_s,
            },
        };
        Ok(Event {
            time_s: rec.time_s,
            kind,
        })
    }
}

/// Imports an extract with the bike (e-trike) profile and prepares it.
pub fn road_engine(osm: &Path) -> Result<RoadEngine, StationError> {
    let (graph, _) =
        import_pbf_file(osm, Profile::Bike).map_err(|source| StationError::Import {
            path: osm.to_path_buf(),
            source,
        })?;
    Ok(RoadEngine::prepare(graph))
}

/// Every road node's `(lat, lon)`: where the scenario generator may place households.
pub fn road_points(engine: &RoadEngine) -> Vec<(f64, f64)> {
    let g = engine.graph();
    (0..g.num_nodes())
        .filter_map(|v| u32::try_from(v).ok())
        .map(|v| g.coord(NodeId(v)))
        .map(|p| (p.lat, p.lon))
        .collect()
}

/// The OSM ways next to the given road nodes: where traffic events matter.
pub fn ways_near(engine: &RoadEngine, nodes: &[NodeId]) -> Vec<i64> {
    let g = engine.graph();
    let mut ways: Vec<i64> = nodes
        .iter()
        .flat_map(|&v| g.out_edges(v).filter_map(|e| u32::try_from(e).ok()))
        .map(|e| g.way_id(EdgeId(e)))
        .collect();
    ways.sort_unstable();
    ways.dedup();
    ways
}
