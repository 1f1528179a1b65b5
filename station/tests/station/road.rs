//! The glue between the road engine and the live day: road matrices, time-of-day slots and
//! new addresses reach the re-planner.

/// The road engine's time-of-day profile reaches the re-planner: with every street at half
/// speed 06:00-08:00, [`RoadLocations::matrix`] carries one slot whose legs take twice as
/// long (to the rounding second), and a new address gets slot legs too.
#[test]
fn engine_profile_becomes_a_slot() {
    use milkrun_engine::{
        generate_grid, EdgeSet, GridSpec, NodeId, RoadEngine, SpeedChange, SpeedProfile, TimeSlot,
        TrafficUpdate,
    };
    use milkrun_station::road::RoadLocations;
    let (graph, _) = generate_grid(&GridSpec::city(400, 5)).unwrap();
    let engine = RoadEngine::prepare(graph);
    engine
        .set_speed_profile(SpeedProfile {
            slots: vec![TimeSlot {
                start_s: 21_600,
                end_s: 28_800,
                updates: vec![TrafficUpdate {
                    edges: EdgeSet::FreeFlowSpeed {
                        min_kmh: 0.0,
                        max_kmh: 1000.0,
                    },
                    change: SpeedChange::Factor(0.5),
                }],
            }],
        })
        .unwrap();
    let locs = RoadLocations::at_nodes(&engine, &[NodeId(0), NodeId(57), NodeId(123), NodeId(301)]);
    let t = locs.matrix(&engine).unwrap();
    assert_eq!(t.slots().len(), 1);
    for i in 0..4u32 {
        for j in 0..4u32 {
            let (base, slow) = (t.travel_at(i, j, 21_599), t.travel_at(i, j, 21_600));
            assert!((slow - 2 * base).abs() <= 1, "{i}->{j}: {base} vs {slow}");
        }
    }
    let mut t = t;
    let row: Vec<(i64, i64)> = (0..4u32).map(|j| (t.travel(1, j) + 60, 0)).collect();
    let x = t.push_location(&row, &row).unwrap();
    let (base, slow) = (t.travel_at(x, 2, 21_000), t.travel_at(x, 2, 22_000));
    assert!(slow > base, "{base} vs {slow}");
}

/// A day's matrix is built through the engine's cell limit: more locations than a network
/// allows is an error naming the sizes before anything is allocated (the unchecked node
/// matrix used to build it whatever its size); within the limit it builds.
#[test]
fn day_matrix_respects_the_engine_cell_limit() {
    use milkrun_engine::{
        generate_grid, EngineError, GridSpec, NodeId, RoadNetwork, TrafficOverlay,
    };
    use milkrun_station::road::RoadLocations;
    use milkrun_station::StationError;
    use std::sync::Arc;
    let (graph, _) = generate_grid(&GridSpec::city(400, 5)).unwrap();
    let net = RoadNetwork::prepare(graph).with_max_matrix_cells(9);
    let engine = TrafficOverlay::new(Arc::new(net));
    let four = RoadLocations::at_nodes(
        &engine,
        &(0..4u32).map(|v| NodeId(v * 10)).collect::<Vec<_>>(),
    );
    match four.matrix(&engine) {
        Err(StationError::Road(EngineError::MatrixTooLarge {
            rows,
            cols,
            max_cells,
        })) => {
            assert_eq!((rows, cols, max_cells), (4, 4, 9));
        }
        other => panic!("{:?}", other.map(|t| t.len())),
    }
    let three = RoadLocations::at_nodes(
        &engine,
        &(0..3u32).map(|v| NodeId(v * 10)).collect::<Vec<_>>(),
    );
    assert_eq!(three.matrix(&engine).unwrap().len(), 3);
}
