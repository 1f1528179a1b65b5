//! Road engine against plain Dijkstra on the shipped OSM extracts, traffic, and bad input.

use std::path::PathBuf;

use milkrun_engine::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

fn extract(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm")
        .join(format!("{name}.osm.pbf"))
}

/// Random nodes (seeded).
fn sample(engine: &RoadEngine, k: usize, seed: u64) -> Vec<NodeId> {
    let mut rng = Pcg64::seed_from_u64(seed);
    (0..k)
        .map(|_| NodeId(rng.random_range(0..engine.graph().num_original_nodes() as u32)))
        .collect()
}

/// Checks a `k × k` matrix on random nodes against Dijkstra on the current edge keys.
fn check_matrix(engine: &RoadEngine, k: usize, seed: u64) {
    let nodes = sample(engine, k, seed);
    let snap = engine.snapshot();
    let m = engine.matrix_on(&snap, &nodes, &nodes);
    for (i, s) in nodes.iter().enumerate() {
        let reference = dijkstra_trips(engine.graph(), snap.edge_keys(), s.0);
        for (j, t) in nodes.iter().enumerate() {
            assert_eq!(
                m.key(i, j),
                reference[t.0 as usize],
                "entry {i},{j} ({} -> {})",
                s.0,
                t.0
            );
        }
    }
}

/// A route's nodes follow real edges and its time and length add up to the matrix entry.
fn check_routes(engine: &RoadEngine, seed: u64) {
    let nodes = sample(engine, 6, seed);
    let snap = engine.snapshot();
    let m = engine.matrix_on(&snap, &nodes, &nodes);
    for (i, &s) in nodes.iter().enumerate() {
        for (j, &t) in nodes.iter().enumerate() {
            let route = engine.route_nodes(s, t);
            let Some(route) = route else {
                assert_eq!(m.key(i, j), INF_KEY);
                continue;
            };
            assert_eq!(route.nodes.first(), Some(&s));
            assert_eq!(route.nodes.last(), Some(&t));
            let mut sum = 0u64;
            for w in route.nodes.windows(2) {
                let g = engine.graph();
                // Route nodes are road nodes; the edge may leave a turn-restriction arrival
                // copy of w[0] or enter one of w[1].
                let ends = g.arrival_nodes(w[1]);
                let best = g
                    .arrival_nodes(w[0])
                    .into_iter()
                    .flat_map(|a| g.out_edges(a))
                    .filter(|&e| ends.contains(&g.head(EdgeId(e as u32))))
                    .map(|e| snap.edge_keys()[e])
                    .min();
                sum += best.expect("consecutive route nodes are joined by an edge");
            }
            assert_eq!(sum, m.key(i, j));
            assert_eq!(pack_key(route.travel_ms, route.dist_dm), m.key(i, j));
            assert_eq!(route.polyline.len(), route.nodes.len());
        }
    }
}

/// Slows 1% of edges (seeded) and closes a few.
fn traffic(engine: &RoadEngine, seed: u64) -> Vec<TrafficUpdate> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let m = engine.graph().num_edges() as u32;
    let slow: Vec<EdgeId> = (0..m / 100)
        .map(|_| EdgeId(rng.random_range(0..m)))
        .collect();
    let closed: Vec<EdgeId> = (0..5).map(|_| EdgeId(rng.random_range(0..m))).collect();
    vec![
        TrafficUpdate {
            edges: EdgeSet::Edges(slow),
            change: SpeedChange::Factor(0.3),
        },
        TrafficUpdate {
            edges: EdgeSet::Edges(closed),
            change: SpeedChange::Closed,
        },
    ]
}

fn full_check(name: &str, profile: Profile, k: usize) {
    let (graph, report) = import_pbf_file(&extract(name), profile).unwrap();
    assert!(report.nodes_kept > 1000, "{name}: {report:?}");
    assert_eq!(report.nodes_kept, graph.num_original_nodes());
    assert!(report.restrictions_applied <= report.restrictions_found);
    for counts in [report.via_node, report.via_way] {
        assert_eq!(
            counts.applied + counts.skipped(),
            counts.found,
            "{name}: {counts}"
        );
    }
    assert_eq!(
        report.via_node.found + report.via_way.found,
        report.restrictions_found
    );
    println!(
        "{name} {profile:?}: via node {}; via way {}",
        report.via_node, report.via_way
    );
    let engine = RoadEngine::prepare(graph);
    check_matrix(&engine, k, 1);
    check_routes(&engine, 2);
    let r = engine.apply_traffic(&traffic(&engine, 3)).unwrap();
    assert_eq!(r.version, 1);
    assert!(r.edges_touched > 0);
    check_matrix(&engine, k, 4);
    check_routes(&engine, 5);
}

/// Liechtenstein (largest extract), car: matrix = Dijkstra, before and after traffic.
#[test]
fn liechtenstein_car_matches_dijkstra() {
    full_check("liechtenstein", Profile::Car, 24);
}

/// The Liechtenstein extract has via-node turn restrictions for cars; most are applied, as
/// arrival copies, and a saved graph keeps them.
#[test]
fn liechtenstein_turn_restrictions_applied() {
    let (graph, report) = import_pbf_file(&extract("liechtenstein"), Profile::Car).unwrap();
    assert!(report.restrictions_found > 0, "{report:?}");
    assert!(report.restrictions_applied > 0, "{report:?}");
    assert!(graph.num_turn_copies() > 0);
    // One copy per restricted arrival edge (via node) or per via node of a via-way path.
    assert!(graph.num_turn_copies() <= report.via_node.applied + 8 * report.via_way.applied);
    let engine = RoadEngine::prepare(graph);
    let loaded = RoadEngine::from_bytes(&engine.to_bytes()).unwrap();
    assert_eq!(loaded.graph(), engine.graph());
    let (_, foot) = import_pbf_file(&extract("liechtenstein"), Profile::Foot).unwrap();
    assert_eq!(foot.restrictions_applied, 0);
}

/// Helsinki, all three profiles.
#[test]
fn helsinki_all_profiles_match_dijkstra() {
    for p in [Profile::Car, Profile::Bike, Profile::Foot] {
        full_check("helsinki", p, 16);
    }
}

/// Andorra and Baltimore, car.
#[test]
fn andorra_baltimore_car_match_dijkstra() {
    full_check("andorra", Profile::Car, 16);
    full_check("baltimore", Profile::Car, 16);
}

/// A traffic update by way id slows exactly that way's edges; a reset restores free flow.
#[test]
fn traffic_by_way_and_reset() {
    let (graph, _) = generate_grid(&GridSpec::city(900, 11)).unwrap();
    let engine = RoadEngine::prepare(graph);
    let before = engine.snapshot();
    let way = engine.graph().way_id(EdgeId(0));
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(vec![way]),
            change: SpeedChange::Factor(0.5),
        }])
        .unwrap();
    let after = engine.snapshot();
    for e in 0..engine.graph().num_edges() {
        let slowed = engine.graph().way_id(EdgeId(e as u32)) == way;
        assert_eq!(
            after.edge_keys()[e] != before.edge_keys()[e],
            slowed && key_travel_ms(before.edge_keys()[e]) != Some(0)
        );
    }
    check_matrix(&engine, 20, 9);
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(vec![way]),
            change: SpeedChange::Reset,
        }])
        .unwrap();
    assert_eq!(engine.snapshot().edge_keys(), before.edge_keys());
    let bad = engine.apply_traffic(&[TrafficUpdate {
        edges: EdgeSet::Ways(vec![-5]),
        change: SpeedChange::Closed,
    }]);
    assert!(matches!(bad, Err(EngineError::BadTraffic(_))));
    let bad = engine.apply_traffic(&[TrafficUpdate {
        edges: EdgeSet::Edges(vec![EdgeId(0)]),
        change: SpeedChange::Factor(0.0),
    }]);
    assert!(matches!(bad, Err(EngineError::BadTraffic(_))));
}

/// Small updates (a few edges) take the partial re-customization path and stay exact.
#[test]
fn small_updates_are_partial_and_exact() {
    let (graph, _) = import_pbf_file(&extract("liechtenstein"), Profile::Car).unwrap();
    let engine = RoadEngine::prepare(graph);
    let edges = |k: u32| {
        (0..4)
            .map(|i| EdgeId((k * 7919 + i * 3331) % engine.graph().num_edges() as u32))
            .collect::<Vec<_>>()
    };
    for (round, change) in [
        SpeedChange::Factor(0.2),
        SpeedChange::Closed,
        SpeedChange::Reset,
        SpeedChange::Factor(2.0),
    ]
    .into_iter()
    .enumerate()
    {
        let r = engine
            .apply_traffic(&[TrafficUpdate {
                edges: EdgeSet::Edges(edges(round as u32 % 2)),
                change,
            }])
            .unwrap();
        assert!(r.partial, "round {round}: {r:?}");
        check_matrix(&engine, 16, round as u64);
    }
}

/// Snapshots are immutable: a matrix on an old snapshot keeps the old weights.
#[test]
fn snapshot_is_stable_across_updates() {
    let (graph, _) = generate_grid(&GridSpec::city(400, 5)).unwrap();
    let engine = RoadEngine::prepare(graph);
    let nodes = sample(&engine, 10, 1);
    let old = engine.snapshot();
    let m_old = engine.matrix_on(&old, &nodes, &nodes);
    engine.apply_traffic(&traffic(&engine, 2)).unwrap();
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(vec![1, 2, 3]),
            change: SpeedChange::Factor(0.2),
        }])
        .unwrap();
    assert_eq!(engine.matrix_on(&old, &nodes, &nodes), m_old);
    check_matrix(&engine, 15, 3);
}

/// Generated networks: same seed, same graph; matrix = Dijkstra.
#[test]
fn generator_is_seeded_and_correct() {
    let a = generate_grid(&GridSpec::city(2500, 42)).unwrap();
    let b = generate_grid(&GridSpec::city(2500, 42)).unwrap();
    let c = generate_grid(&GridSpec::city(2500, 43)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
    assert!(a.1.nodes_kept > 2000);
    let engine = RoadEngine::prepare(a.0);
    check_matrix(&engine, 30, 1);
    let bad = generate_grid(&GridSpec {
        jitter: 0.9,
        ..GridSpec::city(100, 1)
    });
    assert!(matches!(
        bad,
        Err(EngineError::BadGenerator {
            field: "jitter",
            ..
        })
    ));
}

/// Generated regions: seeded, strongly connected across towns and the river, matrix = Dijkstra.
#[test]
fn region_generator_is_seeded_and_correct() {
    let spec = RegionSpec {
        towns_x: 3,
        towns_y: 2,
        town: GridSpec {
            cols: 20,
            rows: 20,
            bridges: 1,
            ..GridSpec::city(400, 9)
        },
        gap_m: 500.0,
        highway_node_every_m: 200.0,
    };
    let (a, report) = generate_region(&spec).unwrap();
    assert_eq!(generate_region(&spec).unwrap().0, a);
    // All six towns stay in the largest strongly connected component.
    assert!(
        report.nodes_kept as f64 > 0.9 * report.nodes_in as f64,
        "{report:?}"
    );
    let engine = RoadEngine::prepare(a);
    check_matrix(&engine, 30, 2);
    engine.apply_traffic(&traffic(&engine, 3)).unwrap();
    check_matrix(&engine, 30, 4);
}

/// Save and load give the same graph and the same answers; corrupt bytes are an error.
#[test]
fn save_load_round_trip() {
    let (graph, _) = import_pbf_file(&extract("helsinki"), Profile::Car).unwrap();
    let engine = RoadEngine::prepare(graph);
    let bytes = engine.to_bytes();
    let loaded = RoadEngine::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.graph(), engine.graph());
    let nodes = sample(&engine, 12, 8);
    assert_eq!(
        loaded.matrix_nodes(&nodes, &nodes),
        engine.matrix_nodes(&nodes, &nodes)
    );
    let dir = std::env::temp_dir().join(format!("milkrun-engine-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("helsinki.mrg");
    engine.save(&path).unwrap();
    assert_eq!(RoadEngine::load(&path).unwrap().graph(), engine.graph());
    std::fs::remove_dir_all(&dir).unwrap();
    for cut in [0, 7, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            matches!(
                RoadEngine::from_bytes(&bytes[..cut]),
                Err(EngineError::BadGraphFile(_))
            ),
            "cut {cut}"
        );
    }
    let mut flipped = bytes.clone();
    flipped[100] ^= 0x40;
    assert!(matches!(
        RoadEngine::from_bytes(&flipped),
        Err(EngineError::BadGraphFile(_))
    ));
    assert!(matches!(
        RoadEngine::load(&PathBuf::from("/nonexistent/x.mrg")),
        Err(EngineError::Io { .. })
    ));
}

/// Truncated, empty and foreign files are PBF errors; a header-only file is an empty area.
#[test]
fn bad_pbf_input() {
    let bytes = std::fs::read(extract("helsinki")).unwrap();
    for cut in [1, 3, 10, 200, bytes.len() / 2, bytes.len() - 1] {
        let r = import_pbf(&bytes[..cut], Profile::Car);
        assert!(
            matches!(r, Err(EngineError::Pbf { .. })),
            "cut {cut}: {r:?}"
        );
    }
    assert!(matches!(
        import_pbf(b"", Profile::Car),
        Err(EngineError::Pbf { .. })
    ));
    assert!(matches!(
        import_pbf(b"lat,lon\n47.1,9.5\n", Profile::Car),
        Err(EngineError::Pbf { .. })
    ));
    assert!(matches!(
        import_pbf(&[0u8; 64], Profile::Car),
        Err(EngineError::Pbf { .. })
    ));
    // The first blob alone (the OSMHeader) is a valid file with no roads: an empty area.
    let header_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let first_blob_end = (4 + header_len..bytes.len().min(4 + header_len + 4096)).find(|&end| {
        matches!(
            import_pbf(&bytes[..end], Profile::Car),
            Err(EngineError::EmptyGraph { profile: "car" })
        )
    });
    assert!(
        first_blob_end.is_some(),
        "a header-only prefix is an empty area"
    );
    assert!(matches!(
        import_pbf_file(&PathBuf::from("/nonexistent.osm.pbf"), Profile::Car),
        Err(EngineError::Io { .. })
    ));
}

/// Snapping: out-of-range coordinates and stops far from roads are errors naming the stop.
#[test]
fn snapping_errors_and_distances() {
    let (graph, _) = import_pbf_file(&extract("liechtenstein"), Profile::Car).unwrap();
    let engine = RoadEngine::prepare(graph);
    let vaduz = LatLon {
        lat: 47.1410,
        lon: 9.5209,
    };
    let snaps = engine.snap_all(&[vaduz], DEFAULT_MAX_SNAP_M).unwrap();
    assert!(snaps[0].snap_m < 100.0 && snaps[0].node_m >= snaps[0].snap_m);
    let err = engine
        .snap_all(
            &[
                vaduz,
                LatLon {
                    lat: 95.0,
                    lon: 9.5,
                },
            ],
            500.0,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::CoordinateOutOfRange { index: 1, .. }
    ));
    let err = engine
        .snap_all(
            &[LatLon {
                lat: f64::NAN,
                lon: 9.5,
            }],
            500.0,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::CoordinateOutOfRange { index: 0, .. }
    ));
    // Lake Constance / far north of the extract: no road within 500 m.
    let err = engine
        .snap_all(
            &[
                vaduz,
                vaduz,
                LatLon {
                    lat: 47.6,
                    lon: 9.4,
                },
            ],
            500.0,
        )
        .unwrap_err();
    assert!(
        matches!(err, EngineError::TooFarFromRoad { index: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("stop 2"));
    // The same stop with a generous limit snaps.
    assert!(engine
        .snap_all(
            &[LatLon {
                lat: 47.6,
                lon: 9.4
            }],
            1e6
        )
        .is_ok());
    let m = engine
        .matrix(
            &[vaduz],
            &[LatLon {
                lat: 47.058766,
                lon: 9.511826,
            }],
            500.0,
        )
        .unwrap();
    assert!(m.seconds(0, 0).unwrap() > 60.0 && m.meters(0, 0).unwrap() > 5000);
}

/// A matrix with one point far from the roads: that point's row and column are unreachable
/// with its distance reported, every other cell equals the strict matrix's, and a bad
/// coordinate still fails the whole request.
#[test]
fn partial_matrix_survives_a_far_point() {
    let (graph, _) = import_pbf_file(&extract("liechtenstein"), Profile::Car).unwrap();
    let engine = RoadEngine::prepare(graph);
    let vaduz = LatLon {
        lat: 47.1410,
        lon: 9.5209,
    };
    let balzers = LatLon {
        lat: 47.058766,
        lon: 9.511826,
    };
    let far = LatLon {
        lat: 47.6,
        lon: 9.4,
    };
    let points = [vaduz, far, balzers];
    let p = engine.matrix_partial(&points, &points, 500.0).unwrap();
    assert_eq!((p.matrix.rows(), p.matrix.cols()), (3, 3));
    assert!(matches!(p.from[1], PointSnap::TooFar { distance_m } if distance_m > 500.0));
    assert_eq!(p.from[1].snap_m(), p.to[1].snap_m());
    assert!(p.from[0].snapped().is_some() && p.to[2].snapped().is_some());
    for k in 0..3 {
        assert!(p.matrix.travel_ms(1, k).is_none() && p.matrix.travel_ms(k, 1).is_none());
    }
    let strict = engine
        .matrix(&[vaduz, balzers], &[vaduz, balzers], 500.0)
        .unwrap();
    for (a, i) in [(0, 0), (1, 2)] {
        for (b, j) in [(0, 0), (1, 2)] {
            assert_eq!(p.matrix.key(i, j), strict.key(a, b), "cell ({i}, {j})");
        }
    }
    assert!(
        engine.matrix(&points, &points, 500.0).is_err(),
        "strict fails"
    );
    let nan = LatLon {
        lat: f64::NAN,
        lon: 9.5,
    };
    assert!(matches!(
        engine.matrix_partial(&[vaduz, nan], &[vaduz], 500.0),
        Err(EngineError::CoordinateOutOfRange { index: 1, .. })
    ));
}

/// The SVG drawing carries the OSM attribution and one polyline per route.
#[test]
fn svg_has_attribution_and_routes() {
    let (graph, _) = generate_grid(&GridSpec::city(100, 3)).unwrap();
    let engine = RoadEngine::prepare(graph);
    let route = engine.route_nodes(NodeId(0), NodeId(50)).unwrap();
    let svg = render_svg(engine.graph(), &[route.polyline.clone(), route.polyline]);
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("OpenStreetMap contributors"));
    assert_eq!(svg.matches("<polyline").count(), 2);
}

/// Checks a matrix on the snapshot in force at `time_s` against Dijkstra on its keys.
fn check_matrix_at(engine: &RoadEngine, k: usize, seed: u64, time_s: u32) {
    let nodes = sample(engine, k, seed);
    let snap = engine.snapshot_at(time_s);
    let m = engine.matrix_nodes_at(&nodes, &nodes, time_s);
    for (i, s) in nodes.iter().enumerate() {
        let reference = dijkstra_trips(engine.graph(), snap.edge_keys(), s.0);
        for (j, t) in nodes.iter().enumerate() {
            assert_eq!(m.key(i, j), reference[t.0 as usize], "t {time_s}: {i},{j}");
        }
    }
}

/// A morning slot slowing arterials (free flow ≥ 45 km/h) to half speed: departures inside
/// the slot see exactly the slowed arterials, departures outside see free flow; live
/// traffic on top overrides the profile on its edges in every slot; an overlapping profile
/// is rejected and leaves the old one in force.
#[test]
fn time_of_day_profile() {
    let (graph, _) = generate_grid(&GridSpec::city(900, 4)).unwrap();
    let engine = RoadEngine::prepare(graph);
    let morning = TimeSlot {
        start_s: 6 * 3600,
        end_s: 9 * 3600,
        updates: vec![TrafficUpdate {
            edges: EdgeSet::FreeFlowSpeed {
                min_kmh: 45.0,
                max_kmh: 1000.0,
            },
            change: SpeedChange::Factor(0.5),
        }],
    };
    let slots = engine
        .set_speed_profile(SpeedProfile {
            slots: vec![morning.clone()],
        })
        .unwrap();
    assert_eq!(slots, 1);
    let base = engine.base_keys().to_vec();
    let at7 = engine.snapshot_at(7 * 3600);
    let mut slowed = 0;
    for (e, (&k7, &b)) in at7.edge_keys().iter().zip(&base).enumerate() {
        let g = engine.graph();
        let (ms, dm) = (key_travel_ms(b).unwrap(), key_dist_dm(b).unwrap());
        let kmh = f64::from(dm) * 360.0 / f64::from(ms.max(1));
        if kmh >= 45.0 {
            slowed += 1;
            assert_eq!(
                key_travel_ms(k7),
                Some((f64::from(ms) / 0.5).round() as u32)
            );
        } else {
            assert_eq!(k7, b, "edge {e} of way {}", g.way_id(EdgeId(e as u32)));
        }
    }
    assert!(slowed > 0 && slowed < base.len());
    assert_eq!(engine.snapshot_at(10 * 3600).edge_keys(), &base[..]);
    check_matrix_at(&engine, 15, 1, 7 * 3600);
    check_matrix_at(&engine, 15, 2, 23 * 3600);
    // A live closure on top of the profile.
    let closed = EdgeId(3);
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Edges(vec![closed]),
            change: SpeedChange::Closed,
        }])
        .unwrap();
    for t in [7 * 3600, 12 * 3600] {
        assert_eq!(engine.snapshot_at(t).edge_keys()[3], INF_KEY);
    }
    check_matrix_at(&engine, 15, 3, 8 * 3600);
    let overlap = SpeedProfile {
        slots: vec![morning.clone(), morning],
    };
    assert!(matches!(
        engine.set_speed_profile(overlap),
        Err(EngineError::BadProfile { .. })
    ));
    assert_eq!(engine.speed_profile().slots.len(), 1);
}

/// Any node order (here a seeded random permutation, far from a nested dissection) gives
/// Dijkstra-exact matrices: the CCH renumbers it into a postorder of its elimination tree.
#[test]
fn arbitrary_order_is_exact() {
    let (graph, _) = generate_grid(&GridSpec::city(400, 8)).unwrap();
    let mut order: Vec<u32> = (0..graph.num_nodes() as u32).collect();
    let mut rng = Pcg64::seed_from_u64(5);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let engine = RoadEngine::with_order(graph, order);
    check_matrix(&engine, 20, 4);
    engine.apply_traffic(&traffic(&engine, 6)).unwrap();
    check_matrix(&engine, 20, 5);
}
