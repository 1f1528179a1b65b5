//! The OSRM face on the shipped Liechtenstein roads (car): the table and route answers carry
//! exactly the engine's numbers for the same snapped nodes, subsets pick the right rows and
//! columns, and unsnappable points or oversized tables get OSRM's codes. The engine is built
//! once for the whole test binary.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use milkrun_engine::{import_pbf_file, LatLon, NodeId, Profile, TrafficOverlay};
use milkrun_service::compat::osrm::{self, OsrmCode};

fn engine() -> &'static TrafficOverlay {
    static ENGINE: OnceLock<TrafficOverlay> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../datasets/data/osm/liechtenstein.osm.pbf");
        let (graph, _) = import_pbf_file(&pbf, Profile::Car).unwrap();
        TrafficOverlay::prepare(graph)
    })
}

/// Four points a few metres off road nodes spread over the graph.
fn points() -> Vec<LatLon> {
    let g = engine().graph();
    let n = g.num_nodes();
    [0, n / 3, 2 * n / 3, n - 1]
        .iter()
        .map(|&v| {
            let p = g.coord(NodeId(v as u32));
            LatLon {
                lat: p.lat + 0.00002,
                lon: p.lon - 0.00001,
            }
        })
        .collect()
}

fn path(points: &[LatLon]) -> String {
    points
        .iter()
        .map(|p| format!("{},{}", p.lon, p.lat))
        .collect::<Vec<_>>()
        .join(";")
}

fn snapped_nodes(points: &[LatLon]) -> Vec<NodeId> {
    engine()
        .snap_all(points, f64::INFINITY)
        .unwrap()
        .iter()
        .map(|s| s.node)
        .collect()
}

/// The full table equals the engine's matrix on the snapped nodes (seconds and metres at the
/// engine's precision), its diagonal is 0, and the waypoints are the snapped nodes.
#[test]
fn table_equals_engine_matrix() {
    let pts = points();
    let t = osrm::table(engine(), &path(&pts), "annotations=duration,distance").unwrap();
    let nodes = snapped_nodes(&pts);
    let m = engine().matrix_nodes(&nodes, &nodes);
    let durations = t.durations.as_ref().unwrap();
    let distances = t.distances.as_ref().unwrap();
    for i in 0..pts.len() {
        for j in 0..pts.len() {
            assert_eq!(durations[i][j], m.seconds(i, j), "duration {i}->{j}");
            assert_eq!(
                distances[i][j],
                m.dist_dm(i, j).map(|d| f64::from(d) / 10.0),
                "distance {i}->{j}"
            );
        }
        assert_eq!(durations[i][i], Some(0.0));
        assert_eq!(distances[i][i], Some(0.0));
    }
    assert!(durations[0][3].unwrap() > 0.0);
    let sources = t.sources.as_ref().unwrap();
    for (w, &v) in sources.iter().zip(&nodes) {
        let at = engine().graph().coord(v);
        assert_eq!(w.location, [at.lon, at.lat]);
        assert!(w.distance < 5.0, "{}", w.distance);
    }
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["code"], "Ok");
    assert_eq!(json["sources"][0]["name"], "");
    assert!(json["sources"][0].get("hint").is_none());
}

/// `sources` and `destinations` pick rows and columns of the full table, in the order given
/// (repeats allowed); durations only by default.
#[test]
fn table_subsets_pick_rows_and_columns() {
    let pts = points();
    let p = path(&pts);
    let full = osrm::table(engine(), &p, "").unwrap();
    assert!(full.distances.is_none());
    let full = full.durations.unwrap();
    let sub = osrm::table(engine(), &p, "sources=2;0;2&destinations=1;3").unwrap();
    let d = sub.durations.unwrap();
    assert_eq!(d.len(), 3);
    for (r, &i) in [2usize, 0, 2].iter().enumerate() {
        assert_eq!(d[r], vec![full[i][1], full[i][3]], "row {r}");
    }
    assert_eq!(sub.sources.unwrap().len(), 3);
    assert_eq!(sub.destinations.unwrap().len(), 2);
}

/// A point in the Gulf of Guinea with a 100 m radius is `NoSegment` naming its index; an
/// unlimited radius (OSRM's default) snaps it anyway.
#[test]
fn far_point_is_no_segment() {
    let mut pts = points();
    pts.push(LatLon { lat: 0.0, lon: 0.0 });
    let p = path(&pts);
    let e = osrm::table(
        engine(),
        &p,
        "radiuses=unlimited;unlimited;unlimited;unlimited;100",
    )
    .unwrap_err();
    assert_eq!(e.code(), OsrmCode::NoSegment);
    assert!(e.to_string().contains("coordinates[4]"), "{e}");
    assert_eq!(e.body().code, "NoSegment");
    assert!(osrm::table(engine(), &p, "").is_ok());
    let e = osrm::route(engine(), &path(&pts[3..]), "radiuses=5;5").unwrap_err();
    assert_eq!(e.code(), OsrmCode::NoSegment);
}

/// A table over the network's cell limit is `TooBig`, refused before snapping.
#[test]
fn table_over_cell_limit_is_too_big() {
    let small = TrafficOverlay::new(Arc::new(engine().network().with_max_matrix_cells(8)));
    let pts = points();
    let e = osrm::table(&small, &path(&pts[..3]), "").unwrap_err();
    assert_eq!(e.code(), OsrmCode::TooBig);
    assert!(osrm::table(&small, &path(&pts[..3]), "sources=0;1").is_ok());
}

/// Route legs are the engine's routes between the snapped nodes and equal the table's
/// entries; totals are the sums; the full GeoJSON line starts and ends at the waypoints.
#[test]
fn route_legs_equal_engine_routes() {
    let pts = points();
    let p = path(&pts[..3]);
    let r = osrm::route(engine(), &p, "overview=full&geometries=geojson").unwrap();
    let nodes = snapped_nodes(&pts[..3]);
    let table = osrm::table(engine(), &p, "annotations=duration,distance").unwrap();
    let (td, tm) = (table.durations.unwrap(), table.distances.unwrap());
    let route = &r.routes[0];
    assert_eq!(route.legs.len(), 2);
    let mut ms = 0u64;
    for (k, leg) in route.legs.iter().enumerate() {
        let e = engine().route_nodes(nodes[k], nodes[k + 1]).unwrap();
        assert_eq!(leg.duration, f64::from(e.travel_ms) / 1000.0);
        assert_eq!(leg.distance, f64::from(e.dist_dm) / 10.0);
        assert_eq!(Some(leg.duration), td[k][k + 1]);
        assert_eq!(Some(leg.distance), tm[k][k + 1]);
        ms += u64::from(e.travel_ms);
    }
    assert_eq!(route.duration, ms as f64 / 1000.0);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["code"], "Ok");
    assert_eq!(json["routes"][0]["geometry"]["type"], "LineString");
    let line = json["routes"][0]["geometry"]["coordinates"]
        .as_array()
        .unwrap();
    let wps = r.waypoints.as_ref().unwrap();
    assert_eq!(line[0], serde_json::json!(wps[0].location));
    assert_eq!(line[line.len() - 1], serde_json::json!(wps[2].location));
    assert_eq!(json["routes"][0]["legs"][0]["steps"], serde_json::json!([]));
}

/// `overview=false` has no geometry; polyline and polyline6 encode the same line, the
/// simplified one no longer than the full one.
#[test]
fn route_geometry_formats() {
    let p = path(&points()[..2]);
    let none = osrm::route(engine(), &p, "overview=false").unwrap();
    assert!(none.routes[0].geometry.is_none());
    let json = serde_json::to_value(&none).unwrap();
    assert!(json["routes"][0].get("geometry").is_none());
    let text = |q: &str| {
        let r = osrm::route(engine(), &p, q).unwrap();
        serde_json::to_value(&r).unwrap()["routes"][0]["geometry"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let full5 = text("overview=full&geometries=polyline");
    let full6 = text("overview=full&geometries=polyline6");
    let simple = text("geometries=polyline");
    assert!(full6.len() > full5.len());
    assert!(simple.len() <= full5.len());
    assert_eq!(none.routes[0].duration, {
        let r = osrm::route(engine(), &p, "overview=full").unwrap();
        r.routes[0].duration
    });
}

/// A VROOM problem with `[lon, lat]` locations is routed on the same roads, road only
/// (`?road_only=true`): the travel between consecutive steps is the engine's matrix between
/// the snapped nodes, rounded to whole seconds, and distances are its metres.
#[test]
fn vroom_locations_routed_on_the_engine() {
    use milkrun_service::compat::vroom::{self, Roads};
    let pts = points();
    let loc = |p: &LatLon| serde_json::json!([p.lon, p.lat]);
    let body = serde_json::json!({
        "vehicles": [{"id": 1, "start": loc(&pts[0]), "end": loc(&pts[0])}],
        "jobs": [
            {"id": 1, "location": loc(&pts[1])},
            {"id": 2, "location": loc(&pts[2])},
            {"id": 3, "location": loc(&pts[3])}
        ]
    });
    let roads = Roads {
        car: Some(engine()),
        bike: None,
        foot: None,
        max_snap_m: 100.0,
        access: vroom::access_from_query("road_only=true").unwrap(),
    };
    let options = milkrun_vrp::SolverOptions {
        seed: 1,
        iteration_limit: Some(100),
        ..Default::default()
    };
    let out = vroom::solve(&serde_json::to_vec(&body).unwrap(), &roads, &options).unwrap();
    assert!(out.unassigned.is_empty());
    let nodes = snapped_nodes(&pts);
    let m = engine().matrix_nodes(&nodes, &nodes);
    let index = |s: &vroom::output::Step| {
        let at = s.location.unwrap();
        // JSON reading may move a coordinate by one unit in the last place.
        pts.iter()
            .position(|p| (p.lon - at[0]).abs() < 1e-9 && (p.lat - at[1]).abs() < 1e-9)
            .unwrap()
    };
    let steps = &out.routes[0].steps;
    assert_eq!(steps.len(), 5);
    for w in steps.windows(2) {
        let (a, b) = (index(&w[0]), index(&w[1]));
        let ms = i64::from(m.travel_ms(a, b).unwrap());
        assert_eq!(w[1].duration - w[0].duration, (ms + 500) / 1000);
        assert_eq!(
            w[1].distance.unwrap() - w[0].distance.unwrap(),
            i64::from(m.meters(a, b).unwrap())
        );
    }
    // A job in the sea cannot be snapped within 100 m: a routing error (code 3) naming it.
    let mut far = body.clone();
    far["jobs"][2]["location"] = serde_json::json!([0.0, 0.0]);
    let e = vroom::solve(&serde_json::to_vec(&far).unwrap(), &roads, &options).unwrap_err();
    assert_eq!(e.body().code, 3);
    assert_eq!(e.path(), Some("jobs[2].location"));
}

/// A route between two copies of one point is one leg of zero seconds and metres.
#[test]
fn route_to_the_same_point_is_zero() {
    let p = points()[1];
    let r = osrm::route(engine(), &path(&[p, p]), "").unwrap();
    assert_eq!(r.routes[0].duration, 0.0);
    assert_eq!(r.routes[0].legs[0].distance, 0.0);
}

/// `p` moved `east_m` east and `north_m` north.
fn offset(p: LatLon, east_m: f64, north_m: f64) -> LatLon {
    let k = 6_371_008.8 * std::f64::consts::PI / 180.0;
    LatLon {
        lat: p.lat + north_m / k,
        lon: p.lon + east_m / (k * p.lat.to_radians().cos()),
    }
}

/// Two different doors, 6 m around one road node, that snap to that same road position.
pub(crate) fn doors_on_one_road_position(engine: &TrafficOverlay) -> (LatLon, LatLon) {
    let g = engine.graph();
    for v in (0..g.num_original_nodes() as u32).step_by(97) {
        let c = g.coord(NodeId(v));
        let around: Vec<LatLon> = (0..12)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::TAU / 12.0;
                offset(c, 6.0 * a.cos(), 6.0 * a.sin())
            })
            .collect();
        let Ok(snaps) = engine.snap_all(&around, 100.0) else {
            continue;
        };
        for i in 0..snaps.len() {
            for j in i + 1..snaps.len() {
                if snaps[i].node == snaps[j].node && snaps[i].node_m > 3.0 && snaps[j].node_m > 3.0
                {
                    return (around[i], around[j]);
                }
            }
        }
    }
    panic!("no two doors on one road position in the extract");
}

/// Door to door, the VROOM face's default (issue #25): two jobs whose doors snap to one
/// road position are their two access legs apart in the answer (the travel between the two
/// steps is the legs at 1.3 m/s, rounded up, never 0), each step carries its snap and access
/// distances; `?road_only=true` gives the old 0 s between them; a bad query is refused
/// naming its parameter.
#[test]
fn vroom_doors_on_one_road_position_are_apart() {
    use milkrun_service::compat::vroom::{self, Roads};
    let (a, b) = doors_on_one_road_position(engine());
    let depot = points()[0];
    let loc = |p: &LatLon| serde_json::json!([p.lon, p.lat]);
    let body = serde_json::to_vec(&serde_json::json!({
        "vehicles": [{"id": 1, "start": loc(&depot), "end": loc(&depot)}],
        "jobs": [
            {"id": 1, "location": loc(&a), "service": 30},
            {"id": 2, "location": loc(&b), "service": 30}
        ]
    }))
    .unwrap();
    let options = milkrun_vrp::SolverOptions {
        seed: 1,
        iteration_limit: Some(100),
        ..Default::default()
    };
    let solve = |query: &str| {
        let roads = Roads {
            car: Some(engine()),
            bike: None,
            foot: None,
            max_snap_m: 100.0,
            access: vroom::access_from_query(query).unwrap(),
        };
        vroom::solve(&body, &roads, &options).unwrap()
    };
    // The gap between the two jobs: arrival at the second less the departure from the first.
    let gap = |out: &vroom::Output| {
        let steps = &out.routes[0].steps;
        assert_eq!(steps.len(), 4, "{steps:?}");
        steps[2].arrival - (steps[1].arrival + steps[1].waiting_time + steps[1].service)
    };
    let snaps = engine().snap_all(&[a, b], 100.0).unwrap();
    let leg_ms = |m: f64| (m / milkrun_engine::DEFAULT_ACCESS_MPS * 1000.0).ceil() as i64;
    let want = (leg_ms(snaps[0].node_m) + leg_ms(snaps[1].node_m) + 999) / 1000;
    let door = solve("");
    assert!(want > 0);
    assert_eq!(gap(&door), want);
    let job_steps: Vec<_> = door.routes[0].steps[1..3].to_vec();
    for s in &job_steps {
        let i = usize::from(s.id == Some(2));
        let (snap, access) = (s.snap_distance.unwrap(), s.access_distance.unwrap());
        assert!((snap - snaps[i].snap_m).abs() <= 0.05, "{s:?}");
        assert!((access - snaps[i].node_m).abs() <= 0.05, "{s:?}");
    }
    assert!(door.routes[0].steps[0].snap_distance.is_some());
    let json = serde_json::to_value(&door).unwrap();
    assert!(
        json["routes"][0]["steps"][1]["access_distance"]
            .as_f64()
            .unwrap()
            > 3.0
    );
    // A slower walk takes longer.
    assert!(gap(&solve("access_speed_mps=0.5")) > want);
    // Road only: both doors on one road position, 0 s apart as before.
    assert_eq!(gap(&solve("road_only=true")), 0);
    for (bad, field) in [
        ("road_only=yes", "?road_only"),
        ("access_speed_mps=NaN", "?access_speed_mps"),
        ("access_speed_mps=0", "?access_speed_mps"),
        ("access_speed_mps=1e9", "?access_speed_mps"),
        ("road_only=true&access_speed_mps=2", "?access_speed_mps"),
        ("speed=2", "?speed"),
    ] {
        let e = vroom::access_from_query(bad).unwrap_err();
        assert_eq!(e.body().code, 2, "{bad}");
        assert_eq!(e.path(), Some(field), "{bad}");
    }
}
