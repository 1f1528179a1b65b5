//! Door-to-door travel on the shipped Liechtenstein extract: access legs between each door
//! and its road position, the triangle inequality between doors, road-only values, bad
//! access speeds, and door matrices after a traffic update.

use std::path::PathBuf;

use milkrun_engine::geo::haversine_m;
use milkrun_engine::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

fn liechtenstein() -> RoadEngine {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm/liechtenstein.osm.pbf");
    let (graph, _) = import_pbf_file(&path, Profile::Car).unwrap();
    RoadEngine::prepare(graph)
}

/// `p` moved `east_m` east and `north_m` north.
fn offset(p: LatLon, east_m: f64, north_m: f64) -> LatLon {
    let k = 6_371_008.8 * std::f64::consts::PI / 180.0;
    LatLon {
        lat: p.lat + north_m / k,
        lon: p.lon + east_m / (k * p.lat.to_radians().cos()),
    }
}

/// Seeded doors 5-40 m off random road nodes, in a random direction.
fn doors(engine: &RoadEngine, k: usize, seed: u64) -> Vec<LatLon> {
    let g = engine.graph();
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..k)
        .map(|_| {
            let v = NodeId(rng.random_range(0..g.num_original_nodes() as u32));
            let d = rng.random_range(5.0..40.0);
            let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            offset(g.coord(v), d * a.cos(), d * a.sin())
        })
        .collect()
}

fn leg(snap: &Snap, speed: f64) -> (u32, u32) {
    (
        (snap.node_m / speed * 1000.0).ceil() as u32,
        (snap.node_m * 10.0).ceil() as u32,
    )
}

fn snapped(p: &PointSnap) -> Snap {
    *p.snapped().expect("snapped")
}

/// Two different doors on the same road position get the two access legs between them
/// (never 0); the same door twice is 0; road only, the pair is 0 as before.
#[test]
fn doors_on_one_road_position_get_their_access_legs() {
    let engine = liechtenstein();
    let node = NodeId(engine.graph().num_original_nodes() as u32 / 2);
    let c = engine.graph().coord(node);
    // Doors a few metres around the node: find two that snap to the same node.
    let candidates: Vec<LatLon> = (0..16)
        .map(|k| {
            let a = f64::from(k) * std::f64::consts::TAU / 16.0;
            offset(c, 4.0 * a.cos(), 4.0 * a.sin())
        })
        .collect();
    let snaps = engine.snap_all(&candidates, 500.0).unwrap();
    let mut pair = None;
    'outer: for i in 0..snaps.len() {
        for j in i + 1..snaps.len() {
            if snaps[i].node == snaps[j].node {
                pair = Some((candidates[i], candidates[j]));
                break 'outer;
            }
        }
    }
    let (a, b) = pair.expect("two doors on one road position");
    let doors = [a, b];
    let opts = PointOptions::default();
    let m = engine.matrix_with(&doors, &doors, &opts).unwrap();
    assert!(m.matrix.is_door_to_door());
    let (sa, sb) = (snapped(&m.from[0]), snapped(&m.to[1]));
    assert_eq!(sa.node, sb.node);
    let (la, lb) = (leg(&sa, DEFAULT_ACCESS_MPS), leg(&sb, DEFAULT_ACCESS_MPS));
    assert_eq!(m.matrix.travel_ms(0, 1), Some(la.0 + lb.0));
    assert_eq!(m.matrix.dist_dm(0, 1), Some(la.1 + lb.1));
    assert!(m.matrix.travel_ms(0, 1).unwrap() > 0 && m.matrix.meters(0, 1).unwrap() > 0);
    assert!(f64::from(m.matrix.meters(0, 1).unwrap()) >= haversine_m(a, b));
    assert_eq!(m.matrix.travel_ms(0, 0), Some(0));
    assert_eq!(m.matrix.travel_ms(1, 1), Some(0));
    // A slower courier takes longer on the same legs.
    let slow = PointOptions {
        access: Access::door_to_door(0.5).unwrap(),
        ..opts
    };
    let ms = engine.matrix_with(&doors, &doors, &slow).unwrap();
    assert!(ms.matrix.travel_ms(0, 1) > m.matrix.travel_ms(0, 1));
    // Road only: both on one node, 0 as OSRM gives it.
    let road = PointOptions {
        access: Access::RoadOnly,
        ..opts
    };
    let r = engine.matrix_with(&doors, &doors, &road).unwrap();
    assert_eq!(r.matrix.travel_ms(0, 1), Some(0));
    // The route agrees with the matrix and runs door to door.
    let route = engine.route_with(a, b, &opts).unwrap().unwrap();
    assert_eq!(route.travel_ms, la.0 + lb.0);
    assert_eq!(route.polyline.first(), Some(&a));
    assert_eq!(route.polyline.last(), Some(&b));
}

/// Over 300 seeded doors 5-40 m off the roads: every door-to-door distance (whole metres)
/// is at least the straight line between the doors, every snap distance is reported, and
/// routes agree with the matrix.
#[test]
fn door_to_door_is_never_shorter_than_the_straight_line() {
    let engine = liechtenstein();
    let points = doors(&engine, 300, 11);
    let m = engine
        .matrix_with(&points, &points, &PointOptions::default())
        .unwrap();
    let mut checked = 0;
    let mut shorter_road_only = 0;
    let road = engine.matrix_partial(&points, &points, 500.0).unwrap();
    for (i, a) in points.iter().enumerate() {
        assert!(
            m.from[i].snap_m() <= 40.0 + 1e-6,
            "door {i} snaps within 40 m"
        );
        for (j, b) in points.iter().enumerate() {
            let Some(metres) = m.matrix.meters(i, j) else {
                continue;
            };
            let straight = haversine_m(*a, *b);
            assert!(
                f64::from(metres) >= straight,
                "{i} -> {j}: {metres} m door to door, {straight:.2} m straight"
            );
            if road
                .matrix
                .meters(i, j)
                .is_some_and(|r| f64::from(r) < straight)
            {
                shorter_road_only += 1;
            }
            if i != j {
                assert!(m.matrix.travel_ms(i, j) > Some(0), "{i} -> {j}");
            }
            checked += 1;
        }
    }
    assert!(checked > 80_000, "{checked} pairs reachable");
    println!("road only: {shorter_road_only} pairs shorter than the straight line");
    for (i, j) in [(0, 1), (5, 200), (299, 17)] {
        let r = engine
            .route_with(points[i], points[j], &PointOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(Some(r.travel_ms), m.matrix.travel_ms(i, j));
        assert_eq!(Some(r.dist_dm), m.matrix.dist_dm(i, j));
    }
}

/// Road-only mode gives the old values: the strict road-only matrix equals `matrix`, and
/// the partial one equals `matrix_partial`.
#[test]
fn road_only_gives_the_old_values() {
    let engine = liechtenstein();
    let points = doors(&engine, 40, 12);
    let road = PointOptions {
        access: Access::RoadOnly,
        strict: true,
        ..PointOptions::default()
    };
    let with = engine.matrix_with(&points, &points, &road).unwrap();
    let old = engine.matrix(&points, &points, road.max_snap_m).unwrap();
    assert_eq!(with.matrix, old);
    assert!(!old.is_door_to_door());
    let partial = engine.matrix_partial(&points, &points, 500.0).unwrap();
    assert_eq!(partial.matrix, old);
    let r = engine
        .route_with(points[0], points[1], &road)
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(r),
        engine.route(points[0], points[1], road.max_snap_m).unwrap()
    );
}

/// A NaN, infinite, zero, negative or huge access speed is an error naming the field, from
/// the constructor and from a matrix or route given such options.
#[test]
fn bad_access_speeds_name_the_field() {
    let engine = liechtenstein();
    let points = doors(&engine, 3, 13);
    for bad in [f64::NAN, f64::INFINITY, 0.0, -1.3, 0.05, 51.0, 1e9] {
        let err = Access::door_to_door(bad).unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::BadAccessSpeed {
                    field: "access_speed_mps",
                    ..
                }
            ),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("access_speed_mps"), "{err}");
        let opts = PointOptions {
            access: Access::DoorToDoor { speed_mps: bad },
            ..PointOptions::default()
        };
        assert!(matches!(
            engine.matrix_with(&points, &points, &opts),
            Err(EngineError::BadAccessSpeed { .. })
        ));
        assert!(matches!(
            engine.route_with(points[0], points[1], &opts),
            Err(EngineError::BadAccessSpeed { .. })
        ));
    }
    assert!(Access::door_to_door(MIN_ACCESS_MPS).is_ok());
    assert!(Access::door_to_door(MAX_ACCESS_MPS).is_ok());
}

/// After a traffic update, a door matrix is Dijkstra's road matrix between the doors' road
/// nodes plus the access legs; a strict request with a far door fails, a partial one keeps
/// the other rows.
#[test]
fn door_matrix_after_traffic_is_dijkstra_plus_legs() {
    let engine = liechtenstein();
    let points = doors(&engine, 12, 14);
    let ways: Vec<i64> = (0..engine.graph().num_edges())
        .step_by(97)
        .map(|e| engine.graph().way_id(EdgeId(e as u32)))
        .collect();
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(ways),
            change: SpeedChange::Factor(0.3),
        }])
        .unwrap();
    let opts = PointOptions::default();
    let m = engine.matrix_with(&points, &points, &opts).unwrap();
    let snap = engine.snapshot();
    for (i, a) in m.from.iter().enumerate() {
        let a = snapped(a);
        let reference = dijkstra_trips(engine.graph(), snap.edge_keys(), a.node.0);
        for (j, b) in m.to.iter().enumerate() {
            let b = snapped(b);
            let road = reference[b.node.0 as usize];
            if i == j {
                assert_eq!(m.matrix.key(i, j), 0);
                continue;
            }
            let (la, lb) = (leg(&a, DEFAULT_ACCESS_MPS), leg(&b, DEFAULT_ACCESS_MPS));
            assert_eq!(
                m.matrix.travel_ms(i, j),
                key_travel_ms(road).map(|ms| ms + la.0 + lb.0),
                "{i} -> {j}"
            );
            assert_eq!(
                m.matrix.dist_dm(i, j),
                key_dist_dm(road).map(|dm| dm + la.1 + lb.1),
                "{i} -> {j}"
            );
        }
    }
    let far = LatLon {
        lat: 47.6,
        lon: 9.4,
    };
    let with_far = [points[0], far, points[1]];
    let strict = PointOptions {
        strict: true,
        ..opts
    };
    assert!(matches!(
        engine.matrix_with(&with_far, &with_far, &strict),
        Err(EngineError::TooFarFromRoad { index: 1, .. })
    ));
    let p = engine.matrix_with(&with_far, &with_far, &opts).unwrap();
    assert!(p.matrix.travel_ms(1, 0).is_none() && p.matrix.travel_ms(0, 1).is_none());
    assert_eq!(p.matrix.key(0, 2), m.matrix.key(0, 1));
}

/// Doors kept with their snaps (`Door`, as the station's live day keeps them) give, through
/// `matrix_doors`, the values `matrix_with` gives on the points: door to door and road only,
/// before and after a traffic update, and a door repeated is 0 to itself.
#[test]
fn kept_doors_give_the_matrix_of_their_points() {
    let engine = liechtenstein();
    let mut points = doors(&engine, 40, 7);
    points.push(points[3]);
    let opts = PointOptions::default();
    let check = |engine: &RoadEngine| {
        for access in [Access::default(), Access::RoadOnly] {
            let o = PointOptions { access, ..opts };
            let p = engine.matrix_with(&points, &points, &o).unwrap();
            let kept: Vec<Door> = points
                .iter()
                .zip(&p.from)
                .map(|(&pt, s)| Door::snapped(pt, &snapped(s)))
                .collect();
            let m = engine.matrix_doors(&kept, &kept, access, None).unwrap();
            assert_eq!(m, p.matrix, "{access:?}");
            let n = points.len();
            if access.is_door_to_door() {
                assert_eq!(m.travel_ms(3, n - 1), Some(0), "the same door");
            }
        }
    };
    check(&engine);
    let ways: Vec<i64> = (0..engine.graph().num_edges().min(500))
        .map(|e| engine.graph().way_id(EdgeId(e as u32)))
        .collect();
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(ways),
            change: SpeedChange::Factor(0.3),
        }])
        .unwrap();
    check(&engine);
}
