//! The glue between the road engine and the live day: road matrices, time-of-day slots and
//! new addresses reach the re-planner.
#![allow(clippy::unwrap_used)]

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
    let locs = RoadLocations {
        nodes: vec![NodeId(0), NodeId(57), NodeId(123), NodeId(301)],
    };
    let t = locs.matrix(&engine);
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
