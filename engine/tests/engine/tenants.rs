//! One shared road network, several tenants: each tenant's live traffic is an overlay that no
//! other tenant sees.

use std::sync::Arc;

use milkrun_engine::*;

/// A 400-node city grid prepared once, and eight nodes spread over it.
fn network() -> (Arc<RoadNetwork>, Vec<NodeId>) {
    let (graph, _) = generate_grid(&GridSpec::city(400, 7)).unwrap();
    let n = graph.num_original_nodes() as u32;
    let nodes = (0..8).map(|i| NodeId(i * (n - 1) / 7)).collect();
    (Arc::new(RoadNetwork::prepare(graph)), nodes)
}

/// The edges of `b`'s fastest route from the first to the last node.
fn route_edges(b: &TrafficOverlay, nodes: &[NodeId]) -> Vec<EdgeId> {
    let first = nodes[0];
    let last = nodes[nodes.len() - 1];
    let route = b.route_nodes(first, last).unwrap();
    let edges: Vec<EdgeId> = route
        .nodes
        .windows(2)
        .map(|w| b.graph().find_edge(w[0], w[1]).unwrap())
        .collect();
    assert!(!edges.is_empty());
    edges
}

fn close(edges: &[EdgeId]) -> Vec<TrafficUpdate> {
    vec![TrafficUpdate {
        edges: EdgeSet::Edges(edges.to_vec()),
        change: SpeedChange::Closed,
    }]
}

/// Tenant A closes every edge of B's route; B's matrix is unchanged to the last bit, A's
/// first-to-last entry gets slower; B still answers from the network's own free-flow metric
/// (the same `Arc`, nothing copied).
#[test]
fn closure_in_one_tenant_leaves_the_other_unchanged() {
    let (net, nodes) = network();
    let a = TrafficOverlay::new(Arc::clone(&net));
    let b = TrafficOverlay::new(Arc::clone(&net));
    let b_before = b.matrix_nodes(&nodes, &nodes);
    let a_before = a.matrix_nodes(&nodes, &nodes);
    assert_eq!(a_before, b_before);
    let last = nodes.len() - 1;
    let report = a.apply_traffic(&close(&route_edges(&b, &nodes))).unwrap();
    assert!(report.edges_changed > 0);

    let b_after = b.matrix_nodes(&nodes, &nodes);
    assert_eq!(b_after, b_before);
    assert!(Arc::ptr_eq(&b.snapshot(), &net.snapshot()));
    assert_eq!(b.snapshot().version(), 0);
    let a_after = a.matrix_nodes(&nodes, &nodes);
    assert_ne!(a_after, a_before);
    assert!(a_after.key(0, last) > a_before.key(0, last));
    assert_eq!(a.snapshot().version(), 1);
    // A's matrix is still exact for A's own traffic state.
    let reference = dijkstra_trips(a.graph(), a.snapshot().edge_keys(), nodes[0].0);
    assert_eq!(a_after.key(0, last), reference[nodes[last].0 as usize]);
}

/// A timed jam (speed factor 0.2 during the morning) in tenant A changes A's departures in
/// the morning only, and none of B's; likewise a speed profile set on A.
#[test]
fn timed_jam_and_profile_stay_in_their_tenant() {
    let (net, nodes) = network();
    let a = TrafficOverlay::new(Arc::clone(&net));
    let b = TrafficOverlay::new(Arc::clone(&net));
    let morning = 8 * 3600;
    let b_before = b.matrix_nodes_at(&nodes, &nodes, morning);
    let edges = route_edges(&b, &nodes);
    a.apply_timed_traffic(&TimedTraffic {
        start_s: 7 * 3600,
        end_s: 9 * 3600,
        updates: vec![TrafficUpdate {
            edges: EdgeSet::Edges(edges.clone()),
            change: SpeedChange::Factor(0.2),
        }],
    })
    .unwrap();
    let slots = a
        .set_speed_profile(SpeedProfile {
            slots: vec![TimeSlot {
                start_s: 16 * 3600,
                end_s: 18 * 3600,
                updates: close(&edges),
            }],
        })
        .unwrap();
    assert_eq!(slots, 1);
    assert_ne!(a.matrix_nodes_at(&nodes, &nodes, morning), b_before);
    assert_ne!(a.matrix_nodes_at(&nodes, &nodes, 17 * 3600), b_before);
    assert_eq!(a.matrix_nodes_at(&nodes, &nodes, 12 * 3600), b_before);
    for t in [morning, 12 * 3600, 17 * 3600] {
        assert_eq!(b.matrix_nodes_at(&nodes, &nodes, t), b_before, "t = {t}");
    }
    assert!(b.speed_profile().slots.is_empty());
    assert!(net.speed_profile().slots.is_empty());
    assert!(a.network().same_graph(&net));
}

/// Two threads on one network: one keeps closing and reopening B's route in tenant A while the
/// other keeps computing B's matrix; every one of B's matrices equals the first.
#[test]
fn concurrent_tenants_do_not_interfere() {
    fn shareable<T: Send + Sync>() {}
    shareable::<TrafficOverlay>();
    shareable::<RoadNetwork>();

    let (net, nodes) = network();
    let a = TrafficOverlay::new(Arc::clone(&net));
    let b = TrafficOverlay::new(Arc::clone(&net));
    let b_before = b.matrix_nodes(&nodes, &nodes);
    let edges = route_edges(&b, &nodes);
    let reopen = vec![TrafficUpdate {
        edges: EdgeSet::Edges(edges.clone()),
        change: SpeedChange::Reset,
    }];
    let seen = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for _ in 0..5 {
                a.apply_traffic(&close(&edges)).unwrap();
                a.apply_traffic(&reopen).unwrap();
            }
        });
        let reader = scope.spawn(|| {
            (0..10)
                .map(|_| b.matrix_nodes(&nodes, &nodes))
                .collect::<Vec<_>>()
        });
        writer.join().unwrap();
        reader.join().unwrap()
    });
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|m| *m == b_before));
    assert_eq!(a.snapshot().version(), 10);
    assert_eq!(a.matrix_nodes(&nodes, &nodes), b_before);
}

/// Stops given as coordinates go through the overlay too: the same points, one tenant jammed,
/// the other not.
#[test]
fn point_matrices_and_routes_go_through_the_overlay() {
    let (net, nodes) = network();
    let a = TrafficOverlay::new(Arc::clone(&net));
    let b = TrafficOverlay::new(Arc::clone(&net));
    let points: Vec<LatLon> = nodes.iter().map(|&v| net.graph().coord(v)).collect();
    let before = b.matrix(&points, &points, 50.0).unwrap();
    a.apply_traffic(&close(&route_edges(&b, &nodes))).unwrap();
    assert_eq!(b.matrix(&points, &points, 50.0).unwrap(), before);
    assert_ne!(a.matrix(&points, &points, 50.0).unwrap(), before);
    let last = points.len() - 1;
    let rb = b.route(points[0], points[last], 50.0).unwrap().unwrap();
    let ra = a.route(points[0], points[last], 50.0).unwrap();
    assert_eq!(Some(rb.travel_ms), before.travel_ms(0, last));
    assert!(ra.is_none_or(|r| r.travel_ms > rb.travel_ms));
}
