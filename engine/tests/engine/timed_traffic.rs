//! Live traffic updates with a validity interval (issue #4): seen by departures inside the
//! interval only, exact against Dijkstra on the weights in force, expired by the clock.

use milkrun_engine::*;

const H: u32 = 3600;

/// A generated city of about 900 nodes.
fn city() -> RoadEngine {
    let (graph, _) = generate_grid(&GridSpec::city(900, 21)).unwrap();
    RoadEngine::prepare(graph)
}

/// Every 37th road node (a fixed spread of trip ends).
fn nodes(engine: &RoadEngine) -> Vec<NodeId> {
    (0..engine.graph().num_original_nodes() as u32)
        .step_by(37)
        .map(NodeId)
        .collect()
}

/// The matrix for departures at `time_s` equals Dijkstra on the edge keys in force then.
fn check_at(engine: &RoadEngine, time_s: u32) -> TravelMatrix {
    let nodes = nodes(engine);
    let snap = engine.snapshot_at(time_s);
    let m = engine.matrix_nodes_at(&nodes, &nodes, time_s);
    for (i, s) in nodes.iter().enumerate() {
        let reference = dijkstra_trips(engine.graph(), snap.edge_keys(), s.0);
        for (j, t) in nodes.iter().enumerate() {
            assert_eq!(m.key(i, j), reference[t.0 as usize], "t {time_s}: {i},{j}");
        }
    }
    m
}

fn timed(start_s: u32, end_s: u32, edges: EdgeSet, change: SpeedChange) -> TimedTraffic {
    TimedTraffic {
        start_s,
        end_s,
        updates: vec![TrafficUpdate { edges, change }],
    }
}

/// Half speed on one way from 07:00 to 09:00: departures at 07:00 and 08:59:59 see exactly
/// that way's edges slowed, departures at 06:59:59, 09:00 and the next day's 10:00 and queries
/// without a departure time see free flow; matrices equal Dijkstra on the weights in force.
#[test]
fn timed_update_is_seen_inside_its_interval_only() {
    let engine = city();
    let base = engine.base_keys().to_vec();
    let way = engine.graph().way_id(EdgeId(10));
    let r = engine
        .apply_timed_traffic(&timed(
            7 * H,
            9 * H,
            EdgeSet::Ways(vec![way]),
            SpeedChange::Factor(0.5),
        ))
        .unwrap();
    assert_eq!(
        (r.id, r.periods, r.customized, r.version),
        (TimedTrafficId(0), 1, 1, 1)
    );
    assert!(r.edges_touched > 0);
    for t in [7 * H, 9 * H - 1, 7 * H + DAY_S] {
        let keys = engine.snapshot_at(t).edge_keys().to_vec();
        for (e, (&k, &b)) in keys.iter().zip(&base).enumerate() {
            let on_way = engine.graph().way_id(EdgeId(e as u32)) == way;
            let ms = key_travel_ms(b).unwrap();
            let want = if on_way {
                pack_key(
                    (f64::from(ms) / 0.5).round() as u32,
                    key_dist_dm(b).unwrap(),
                )
            } else {
                b
            };
            assert_eq!(k, want, "t {t}, edge {e}");
        }
    }
    for t in [7 * H - 1, 9 * H, 10 * H + DAY_S] {
        assert_eq!(engine.snapshot_at(t).edge_keys(), &base[..], "t {t}");
    }
    assert_eq!(engine.snapshot().edge_keys(), &base[..]);
    let inside = check_at(&engine, 8 * H);
    let outside = check_at(&engine, 10 * H);
    assert_ne!(inside, outside);
    assert_eq!(
        engine.timed_traffic(),
        vec![(TimedTrafficId(0), 7 * H, 9 * H)]
    );
}

/// With a morning profile slot (arterials at 60%, 06:00-09:00) and a closure from 07:00 to
/// 08:00: expiring at 07:59 drops nothing; expiring at 08:00 drops it, customizes nothing
/// (the slot's metric is used again) and gives back exactly the matrices from before the
/// closure, at 07:30 and at 12:00.
#[test]
fn expiry_restores_the_previous_times_exactly() {
    let engine = city();
    engine
        .set_speed_profile(SpeedProfile {
            slots: vec![TimeSlot {
                start_s: 6 * H,
                end_s: 9 * H,
                updates: vec![TrafficUpdate {
                    edges: EdgeSet::FreeFlowSpeed {
                        min_kmh: 45.0,
                        max_kmh: 1000.0,
                    },
                    change: SpeedChange::Factor(0.6),
                }],
            }],
        })
        .unwrap();
    let before_730 = check_at(&engine, 7 * H + 1800);
    let before_noon = check_at(&engine, 12 * H);
    let keys_730 = engine.snapshot_at(7 * H + 1800).edge_keys().to_vec();
    let closed: Vec<EdgeId> = (0..40).map(|i| EdgeId(i * 31)).collect();
    let r = engine
        .apply_timed_traffic(&timed(
            7 * H,
            8 * H,
            EdgeSet::Edges(closed.clone()),
            SpeedChange::Closed,
        ))
        .unwrap();
    assert_eq!(r.periods, 1);
    let during = check_at(&engine, 7 * H + 1800);
    assert_ne!(during, before_730);
    for e in &closed {
        assert_eq!(engine.snapshot_at(7 * H).edge_keys()[e.0 as usize], INF_KEY);
    }
    // The slot's other hours keep the slot's metric.
    assert_eq!(engine.snapshot_at(8 * H).edge_keys(), &keys_730[..]);
    let none = engine.expire_traffic(8 * H - 1);
    assert!(none.removed.is_empty());
    assert_eq!((none.customized, none.version), (0, r.version));
    let gone = engine.expire_traffic(8 * H);
    assert_eq!(gone.removed, vec![r.id]);
    assert_eq!((gone.periods, gone.customized), (0, 0));
    assert_eq!(engine.snapshot_at(7 * H + 1800).edge_keys(), &keys_730[..]);
    assert_eq!(check_at(&engine, 7 * H + 1800), before_730);
    assert_eq!(check_at(&engine, 12 * H), before_noon);
    assert!(engine.timed_traffic().is_empty());
}

/// Overlapping timed updates on the same edge: the latest applied wins where both are in
/// force; each alone elsewhere; untimed live traffic holds outside the intervals and gives
/// way to a timed update inside; removing the later update brings the earlier one back.
#[test]
fn overlapping_timed_updates_compose_latest_wins() {
    let engine = city();
    let e = 25usize;
    let base = engine.base_keys()[e];
    let slow = |f: f64| {
        pack_key(
            (f64::from(key_travel_ms(base).unwrap()) / f).round() as u32,
            key_dist_dm(base).unwrap(),
        )
    };
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Edges(vec![EdgeId(e as u32)]),
            change: SpeedChange::Factor(0.8),
        }])
        .unwrap();
    let a = engine
        .apply_timed_traffic(&timed(
            1000,
            3000,
            EdgeSet::Edges(vec![EdgeId(e as u32)]),
            SpeedChange::Factor(0.5),
        ))
        .unwrap();
    let b = engine
        .apply_timed_traffic(&timed(
            2000,
            4000,
            EdgeSet::Edges(vec![EdgeId(e as u32)]),
            SpeedChange::Closed,
        ))
        .unwrap();
    assert_eq!(b.periods, 3);
    // Only the pieces 2000-3000 and 3000-4000 are new; 1000-2000 keeps A's metric.
    assert_eq!(b.customized, 2);
    let key_at = |t: u32| engine.snapshot_at(t).edge_keys()[e];
    assert_eq!(key_at(500), slow(0.8));
    assert_eq!(key_at(1500), slow(0.5));
    assert_eq!(key_at(2500), INF_KEY);
    assert_eq!(key_at(3500), INF_KEY);
    assert_eq!(key_at(4500), slow(0.8));
    for t in [1500, 2500, 4500] {
        check_at(&engine, t);
    }
    let r = engine.remove_timed_traffic(&[b.id]);
    assert_eq!(r.removed, vec![b.id]);
    assert_eq!(key_at(2500), slow(0.5));
    assert_eq!(key_at(3500), slow(0.8));
    // An untimed update after the timed ones re-customizes their pieces on the new weights.
    engine
        .apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Edges(vec![EdgeId(e as u32 + 1)]),
            change: SpeedChange::Closed,
        }])
        .unwrap();
    assert_eq!(engine.snapshot_at(1500).edge_keys()[e + 1], INF_KEY);
    assert_eq!(key_at(1500), slow(0.5));
    check_at(&engine, 1500);
    assert_eq!(engine.timed_traffic(), vec![(a.id, 1000, 3000)]);
}

/// Bad timed updates are typed errors naming the field (and the update's index), and leave
/// the engine as it was.
#[test]
fn bad_timed_updates_name_the_field() {
    let engine = city();
    let field = |t: TimedTraffic| match engine.apply_timed_traffic(&t) {
        Err(EngineError::BadUpdate { update, field, .. }) => (update, field),
        other => panic!("{other:?}"),
    };
    let one = EdgeSet::Edges(vec![EdgeId(1)]);
    assert_eq!(
        field(timed(500, 500, one.clone(), SpeedChange::Closed)),
        (0, "end_s")
    );
    assert_eq!(
        field(timed(900, 100, one.clone(), SpeedChange::Closed)),
        (0, "end_s")
    );
    assert_eq!(
        field(timed(0, DAY_S + 1, one.clone(), SpeedChange::Closed)),
        (0, "end_s")
    );
    for f in [f64::NAN, -0.5, 0.0, 11.0, f64::INFINITY] {
        assert_eq!(
            field(timed(0, 100, one.clone(), SpeedChange::Factor(f))),
            (0, "change"),
            "factor {f}"
        );
    }
    let mut two = timed(0, 100, one.clone(), SpeedChange::Closed);
    two.updates.push(TrafficUpdate {
        edges: EdgeSet::Ways(vec![-77]),
        change: SpeedChange::Closed,
    });
    assert_eq!(field(two), (1, "edges"));
    let err = engine
        .apply_timed_traffic(&timed(
            0,
            100,
            EdgeSet::Ways(vec![-77]),
            SpeedChange::Closed,
        ))
        .unwrap_err();
    assert!(err.to_string().contains("way -77"), "{err}");
    assert_eq!(
        field(timed(
            0,
            100,
            EdgeSet::Edges(vec![EdgeId(u32::MAX)]),
            SpeedChange::Closed
        )),
        (0, "edges")
    );
    assert!(engine.timed_traffic().is_empty());
    assert_eq!(engine.snapshot_at(50).version(), 0);
}

/// A speed profile set after a timed update: departures inside both see the slot's slowdown
/// with the timed closure on top; inside the slot only, the slot alone; matrices stay exact.
#[test]
fn profile_set_after_a_timed_update_keeps_it() {
    let engine = city();
    let closed = EdgeId(40);
    engine
        .apply_timed_traffic(&timed(
            7 * H,
            8 * H,
            EdgeSet::Edges(vec![closed]),
            SpeedChange::Closed,
        ))
        .unwrap();
    engine
        .set_speed_profile(SpeedProfile {
            slots: vec![TimeSlot {
                start_s: 6 * H,
                end_s: 9 * H,
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
    let both = engine.snapshot_at(7 * H + 1800);
    let slot = engine.snapshot_at(8 * H + 1800);
    for (e, (&k, &s)) in both.edge_keys().iter().zip(slot.edge_keys()).enumerate() {
        if e == closed.0 as usize {
            assert_eq!(k, INF_KEY);
            assert_ne!(s, INF_KEY);
        } else {
            assert_eq!(k, s, "edge {e}");
        }
    }
    let b = engine.base_keys()[5];
    assert_eq!(
        key_travel_ms(slot.edge_keys()[5]),
        Some(key_travel_ms(b).unwrap() * 2)
    );
    check_at(&engine, 7 * H + 1800);
    check_at(&engine, 8 * H + 1800);
}
