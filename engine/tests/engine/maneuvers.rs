//! Turn-by-turn manoeuvres on the shipped Liechtenstein extract (bike network, as the
//! couriers ride): for seeded routes between road nodes and between doors, the first
//! manoeuvre departs and the last arrives, the distances add up to the route's length, every
//! turn stands on a road node of the route where the network has a choice, and real routes
//! do turn.

use std::path::PathBuf;

use milkrun_engine::geo::haversine_m;
use milkrun_engine::maneuvers::{route_maneuvers, ManeuverKind};
use milkrun_engine::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

fn liechtenstein_bike() -> RoadEngine {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm/liechtenstein.osm.pbf");
    let (graph, _) = import_pbf_file(&path, Profile::Bike).unwrap();
    RoadEngine::prepare(graph)
}

/// The distinct road nodes one edge on from `v`.
fn neighbours(g: &RoadGraph, v: NodeId) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = g
        .out_edges(v)
        .map(|e| g.original_node(g.head(EdgeId(e as u32))))
        .filter(|&w| w != v)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn routes_between_road_nodes_and_doors() {
    let engine = liechtenstein_bike();
    let g = engine.graph();
    let mut rng = Pcg64::seed_from_u64(22);
    let (mut routes, mut turns) = (0, 0);
    for _ in 0..60 {
        let a = NodeId(rng.random_range(0..g.num_original_nodes() as u32));
        let b = NodeId(rng.random_range(0..g.num_original_nodes() as u32));
        let Some(route) = engine.route_nodes(a, b) else {
            continue;
        };
        let m = route_maneuvers(g, &route);
        routes += 1;
        assert_eq!(m.first().map(|m| m.kind), Some(ManeuverKind::Depart));
        assert_eq!(m.last().map(|m| m.kind), Some(ManeuverKind::Arrive));
        let total: f64 = m.iter().map(|m| m.distance_m).sum();
        let length = f64::from(route.dist_dm) / 10.0;
        assert!(
            (total - length).abs() < 0.05,
            "{a:?} to {b:?}: manoeuvres add up to {total} m, the route is {length} m"
        );
        assert!(m.iter().all(|m| m.distance_m >= 0.0));
        assert!((m.last().unwrap().from_start_m - length).abs() < 0.05);
        for t in &m[1..m.len() - 1] {
            turns += 1;
            // Road nodes at the same spot are one point of the path.
            let at: Vec<usize> = (0..route.polyline.len())
                .filter(|&k| haversine_m(route.polyline[k], t.at) < 0.5)
                .collect();
            assert!(!at.is_empty(), "a manoeuvre stands on a point of the route");
            let choice = at.iter().any(|&k| {
                k > 0
                    && k + 1 < route.nodes.len()
                    && neighbours(g, route.nodes[k])
                        .into_iter()
                        .filter(|&w| w != route.nodes[k - 1])
                        .count()
                        >= 2
            });
            assert!(choice, "a turn where the road has no side road");
            if t.kind == ManeuverKind::Continue {
                assert!(t.turn_deg.abs() < milkrun_engine::maneuvers::STRAIGHT_DEG + 1e-9);
            }
        }
    }
    assert!(routes >= 50, "only {routes} routes connected");
    assert!(turns > routes, "only {turns} turns in {routes} routes");
}

#[test]
fn door_to_door_routes_start_and_end_at_the_doors() {
    let engine = liechtenstein_bike();
    let g = engine.graph();
    let mut rng = Pcg64::seed_from_u64(7);
    let mut checked = 0;
    for _ in 0..20 {
        let pick = |rng: &mut Pcg64| {
            let v = NodeId(rng.random_range(0..g.num_original_nodes() as u32));
            let c = g.coord(v);
            LatLon {
                lat: c.lat + 0.0001,
                lon: c.lon,
            }
        };
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        let Ok(Some(route)) = engine.route_with(a, b, &PointOptions::default()) else {
            continue;
        };
        let m = route_maneuvers(g, &route);
        assert_eq!(m[0].at, a);
        assert_eq!(m[m.len() - 1].at, b);
        let total: f64 = m.iter().map(|m| m.distance_m).sum();
        let length = f64::from(route.dist_dm) / 10.0;
        // The access legs are rounded up to whole decimetres in the route's length.
        assert!(
            (total - length).abs() < 0.5,
            "{total} m against the route's {length} m"
        );
        assert!(total + 1e-6 >= haversine_m(a, b) - 0.5);
        checked += 1;
    }
    assert!(checked >= 15);
}
