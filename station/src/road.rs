//! The road engine's side of re-planning: travel times between the day's locations, the
//! matrix after a traffic update, a new order's address, and turning file events into
//! [`Event`]s.

use std::path::Path;

use milkrun_dispatch::dispatch::Dispatch;
use milkrun_dispatch::event::{Event, EventKind};
use milkrun_dispatch::io::{EventRecord, TimedRecord};
use milkrun_dispatch::model::{SlotTimes, SpeedSlot, StopSpec, TravelTimes, UNREACHABLE_S};
use milkrun_dispatch::ReplanError;
use milkrun_engine::{
    import_pbf_file, Access, Door, EdgeId, LatLon, NodeId, Profile, RoadEngine, TravelMatrix,
};

use crate::StationError;
use milkrun_dairy::household::GeoPoint;
use milkrun_engine::{EdgeSet, SpeedChange, TrafficUpdate};

fn entry(m: &TravelMatrix, i: usize, j: usize) -> (i64, i64) {
    match (m.travel_ms(i, j), m.meters(i, j)) {
        (Some(ms), Some(d)) => ((i64::from(ms) + 500) / 1000, i64::from(d)),
        _ => (UNREACHABLE_S, UNREACHABLE_S),
    }
}

/// A dairy point as the road engine's.
pub(crate) fn lat_lon(p: GeoPoint) -> LatLon {
    LatLon {
        lat: p.lat,
        lon: p.lon,
    }
}

/// The day's locations on the road graph: every location's door, its road position and its
/// access leg, and how the ends of a leg are counted. Door to door (the default, the
/// engine's default [`PointOptions`](milkrun_engine::PointOptions)), a leg between two
/// locations is the road between their road positions plus both access legs, so two
/// households on one road position are not 0 s apart; the matrices after a traffic update
/// and a new address's legs count them the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadLocations {
    /// Location `i`'s door, road node and access leg.
    pub doors: Vec<Door>,
    /// Door to door or road only.
    pub access: Access,
}

impl RoadLocations {
    /// Snaps `points` (depot and households) to the road graph; door to door.
    pub fn snap(
        engine: &RoadEngine,
        points: &[LatLon],
        max_snap_m: f64,
    ) -> Result<RoadLocations, StationError> {
        Ok(Self::snap_measured(engine, points, max_snap_m)?.0)
    }

    /// Snaps `points` like [`RoadLocations::snap`] and also returns each point's distance to
    /// its road, metres (e.g. to list households far from any road).
    pub fn snap_measured(
        engine: &RoadEngine,
        points: &[LatLon],
        max_snap_m: f64,
    ) -> Result<(RoadLocations, Vec<f64>), StationError> {
        let snaps = engine.snap_all(points, max_snap_m)?;
        Ok((
            RoadLocations {
                doors: points
                    .iter()
                    .zip(&snaps)
                    .map(|(&p, s)| Door::snapped(p, s))
                    .collect(),
                access: Access::default(),
            },
            snaps.iter().map(|s| s.snap_m).collect(),
        ))
    }

    /// Locations at road nodes themselves (each door at its node's coordinates, no access
    /// leg), road only: e.g. a scenario given as nodes.
    pub fn at_nodes(engine: &RoadEngine, nodes: &[NodeId]) -> RoadLocations {
        let g = engine.graph();
        RoadLocations {
            doors: nodes
                .iter()
                .map(|&node| Door {
                    point: g.coord(node),
                    node,
                    access_m: 0.0,
                })
                .collect(),
            access: Access::RoadOnly,
        }
    }

    /// The road node of every location.
    pub fn nodes(&self) -> Vec<NodeId> {
        self.doors.iter().map(|d| d.node).collect()
    }

    /// How many locations.
    pub fn len(&self) -> usize {
        self.doors.len()
    }

    /// Whether there is no location.
    pub fn is_empty(&self) -> bool {
        self.doors.is_empty()
    }

    /// The polyline of a route through `locations` (indices into [`Self::doors`]; unknown
    /// indices and unreachable legs are skipped) on the current traffic state, and the OSM
    /// way id of every edge driven (once per passage). Door to door (unless [`Self::access`]
    /// is road only) each leg is drawn as it is counted: from the door, a straight segment
    /// (the access leg on foot) to its road position, the road, and a straight segment to
    /// the next door, so a drawn route does not skip the walk (the same door twice is the
    /// door alone). Road only, the road points alone.
    pub fn route_geometry(
        &self,
        engine: &RoadEngine,
        locations: &[u32],
    ) -> (Vec<LatLon>, Vec<i64>) {
        let g = engine.graph();
        let door_to_door = self.access.is_door_to_door();
        let mut line: Vec<LatLon> = Vec::new();
        let mut ways = Vec::new();
        let push = |line: &mut Vec<LatLon>, p: LatLon| {
            if line.last() != Some(&p) {
                line.push(p);
            }
        };
        for leg in locations.windows(2) {
            let (Some(a), Some(b)) = (
                self.doors.get(leg[0] as usize),
                self.doors.get(leg[1] as usize),
            ) else {
                continue;
            };
            if door_to_door && a.point == b.point {
                push(&mut line, a.point);
                continue;
            }
            if let Some(r) = engine.route_nodes(a.node, b.node) {
                for w in r.nodes.windows(2) {
                    if let Some(e) = g.find_edge(w[0], w[1]) {
                        ways.push(g.way_id(e));
                    }
                }
                if door_to_door {
                    push(&mut line, a.point);
                    for p in r.polyline {
                        push(&mut line, p);
                    }
                    push(&mut line, b.point);
                } else {
                    line.extend(r.polyline);
                }
            }
        }
        (line, ways)
    }

    /// Travel times (rounded to seconds) and distances between all locations (door to
    /// door unless [`Self::access`] is road only), on the engine's current traffic state;
    /// with the engine's time-of-day profile ([`RoadEngine::set_speed_profile`]) one
    /// [`SpeedSlot`] per profile slot, each with the matrix of trips departing in it (live
    /// traffic included). More locations than the engine's matrix cell limit allows is an
    /// error before anything is allocated.
    pub fn matrix(&self, engine: &RoadEngine) -> Result<TravelTimes, StationError> {
        // Checks the cell limit; every slot matrix below has the same size.
        let m = engine.matrix_doors(&self.doors, &self.doors, self.access, None)?;
        let base = TravelTimes::from_fn(self.doors.len(), |i, j| entry(&m, i, j));
        let mut profile = engine.speed_profile().slots;
        if profile.is_empty() {
            return Ok(base);
        }
        profile.sort_by_key(|sl| sl.start_s);
        let n = self.doors.len();
        let slots = profile
            .iter()
            .map(|sl| {
                let m =
                    engine.matrix_doors(&self.doors, &self.doors, self.access, Some(sl.start_s))?;
                let mut t = Vec::with_capacity(n * n);
                for i in 0..n {
                    for j in 0..n {
                        t.push(entry(&m, i, j).0);
                    }
                }
                Ok(SpeedSlot {
                    start_s: i64::from(sl.start_s),
                    end_s: i64::from(sl.end_s),
                    times: SlotTimes::Matrix(t),
                })
            })
            .collect::<Result<Vec<_>, StationError>>()?;
        // Sizes agree and the engine's profile is validated (sorted, no overlap), so this
        // does not fail; if it ever did, the error says so rather than dropping the slots.
        Ok(base.with_slots(slots)?)
    }

    /// Adds a location (a new order's address): snaps it and returns the travel times from
    /// and to every existing location (counted like [`Self::matrix`]), for
    /// [`Dispatch::add_location`].
    #[allow(clippy::type_complexity)]
    pub fn add(
        &mut self,
        engine: &RoadEngine,
        point: LatLon,
        max_snap_m: f64,
    ) -> Result<(Vec<(i64, i64)>, Vec<(i64, i64)>), StationError> {
        let snap = engine.snap_all(&[point], max_snap_m)?;
        let door = [Door::snapped(point, &snap[0])];
        let out = engine.matrix_doors(&door, &self.doors, self.access, None)?;
        let inn = engine.matrix_doors(&self.doors, &door, self.access, None)?;
        let from_new = (0..self.doors.len()).map(|j| entry(&out, 0, j)).collect();
        let to_new = (0..self.doors.len()).map(|i| entry(&inn, i, 0)).collect();
        self.doors.push(door[0]);
        Ok((from_new, to_new))
    }

    /// Adds a new order's address to a live day: snaps it, adds its travel times from and
    /// to every existing location to `day`'s matrix and keeps its road node; the new
    /// location's index. The Dispatch API's `NewStop` and the dairy layer's in-process
    /// engine both use it. On an error nothing changed.
    pub fn add_to(
        &mut self,
        engine: &RoadEngine,
        day: &mut Dispatch,
        point: LatLon,
        max_snap_m: f64,
    ) -> Result<u32, StationError> {
        let (from_new, to_new) = self.add(engine, point, max_snap_m)?;
        match day.add_location(&from_new, &to_new) {
            Ok(loc) => Ok(loc),
            Err(e) => {
                self.doors.pop();
                Err(e.into())
            }
        }
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
                .ok_or(ReplanError::Courier {
                    field: "event.courier".to_string(),
                    index: id as usize,
                })
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
                EventKind::Traffic(Box::new(self.matrix(engine)?))
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
            EventRecord::Delivered { household } => EventKind::Delivered {
                household: *household,
            },
            EventRecord::Position { courier: id, loc } => EventKind::Position {
                courier: courier(*id)?,
                loc: *loc,
            },
            EventRecord::SignedOff { courier: id } => EventKind::SignedOff {
                courier: courier(*id)?,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use milkrun_dispatch::{CourierSpec, Weights};
    use milkrun_engine::{RawEdge, RoadGraph};

    /// A square of roads: 0-1-2 along way 100 (60 s a leg), 0-3-2 along way 200 (90 s a
    /// leg), both directions.
    fn square() -> RoadEngine {
        let coords = [(47.0, 9.5), (47.0, 9.51), (47.01, 9.51), (47.01, 9.5)]
            .map(|(lat, lon)| LatLon { lat, lon });
        let mut edges = Vec::new();
        for (a, b, ms, way) in [
            (0, 1, 60_000, 0),
            (1, 2, 60_000, 0),
            (0, 3, 90_000, 1),
            (3, 2, 90_000, 1),
        ] {
            for (from, to) in [(a, b), (b, a)] {
                edges.push(RawEdge {
                    from,
                    to,
                    travel_ms: ms,
                    dist_dm: 7_000,
                    way,
                });
            }
        }
        let (graph, _) = RoadGraph::build(Profile::Bike, &coords, edges, vec![100, 200]);
        RoadEngine::prepare(graph)
    }

    fn day(engine: &RoadEngine) -> (Dispatch, RoadLocations) {
        let points = [
            LatLon {
                lat: 47.0,
                lon: 9.5,
            },
            LatLon {
                lat: 47.01,
                lon: 9.51,
            },
        ];
        let locs = RoadLocations::snap(engine, &points, 100.0).unwrap();
        let stops = vec![StopSpec {
            household: 1,
            loc: 1,
            bottles: 1,
            service_s: 30,
            window_s: (0, 100_000),
        }];
        let couriers = vec![CourierSpec {
            id: 5,
            capacity: 10,
            shift_start_s: 0,
            shift_end_s: 100_000,
        }];
        let d = Dispatch::new(
            locs.matrix(engine).unwrap(),
            0,
            stops,
            couriers,
            Weights::default(),
        )
        .unwrap();
        (d, locs)
    }

    /// A traffic record with a factor of 0 closes its ways (the bench's own copy of the
    /// conversion used to lack this case): the depot-to-stop ride takes the detour, and a
    /// factor of 1 opens the way again.
    #[test]
    fn factor_zero_closes_the_ways() {
        let engine = square();
        let (mut d, mut locs) = day(&engine);
        assert_eq!(d.times().travel(0, 1), 120);
        let rec = |factor| TimedRecord {
            time_s: 1_000,
            record: EventRecord::Traffic {
                factor,
                ways: vec![100],
            },
        };
        let e = locs.event(&engine, &mut d, &rec(0.0), 100.0).unwrap();
        let EventKind::Traffic(times) = e.kind else {
            panic!("not a traffic event: {e:?}");
        };
        assert_eq!(times.travel(0, 1), 180);
        let e = locs.event(&engine, &mut d, &rec(1.0), 100.0).unwrap();
        let EventKind::Traffic(times) = e.kind else {
            panic!("not a traffic event: {e:?}");
        };
        assert_eq!(times.travel(0, 1), 120);
    }

    /// A new order's address is added to every day replayed side by side, at the same
    /// location; courier ids become indices; no day at all is an error, not a panic.
    #[test]
    fn one_conversion_for_several_days() {
        let engine = square();
        let (mut a, mut locs) = day(&engine);
        let (mut b, _) = day(&engine);
        let order = TimedRecord {
            time_s: 1_000,
            record: EventRecord::Order {
                household: 9,
                lat: 47.01,
                lon: 9.5,
                bottles: 1,
                service_s: 30,
                window_s: (2_000, 5_000),
            },
        };
        let e = locs
            .event_for_all(&engine, &mut [&mut a, &mut b], &order, 100.0)
            .unwrap();
        let EventKind::NewOrder(spec) = e.kind else {
            panic!("not an order: {e:?}");
        };
        assert_eq!(spec.loc, 2);
        assert_eq!((a.times().len(), b.times().len()), (3, 3));
        assert_eq!(a.times().travel(0, 2), 90);
        let breakdown = TimedRecord {
            time_s: 1_000,
            record: EventRecord::Breakdown { courier: 5 },
        };
        let e = locs.event(&engine, &mut a, &breakdown, 100.0).unwrap();
        assert_eq!(e.kind, EventKind::Breakdown { courier: 0 });
        assert!(matches!(
            locs.event_for_all(&engine, &mut [], &breakdown, 100.0),
            Err(StationError::NoDay)
        ));
    }
}
