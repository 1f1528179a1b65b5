//! Micro-benchmarks of the road engine's hot calls on the shipped Liechtenstein extract:
//! full CCH customization, partial re-customization after a small traffic update, a 200 × 200
//! many-to-many matrix, and a fresh tenant overlay on a shared network.
//!
//! `cargo bench -p milkrun-engine` (criterion; the extract is read from
//! `datasets/data/osm/liechtenstein.osm.pbf`).
#![allow(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use milkrun_engine::customize::customize;
use milkrun_engine::{
    import_pbf_file, EdgeId, EdgeSet, NodeId, Profile, RoadNetwork, SpeedChange, TrafficOverlay,
    TrafficUpdate,
};

/// The prepared Liechtenstein car network; panics (benchmark set-up only) if the shipped
/// extract is missing or unreadable.
fn liechtenstein() -> Arc<RoadNetwork> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm/liechtenstein.osm.pbf");
    let (graph, _) = match import_pbf_file(&path, Profile::Car) {
        Ok(g) => g,
        Err(e) => panic!("benchmark set-up: {e}"),
    };
    Arc::new(RoadNetwork::prepare(graph))
}

/// `k` nodes spread evenly over the node ids (deterministic).
fn spread(net: &RoadNetwork, k: u32) -> Vec<NodeId> {
    let n = net.graph().num_original_nodes() as u64;
    (0..u64::from(k))
        .map(|i| NodeId((i * (n - 1) / u64::from(k - 1)) as u32))
        .collect()
}

fn benches(c: &mut Criterion) {
    let net = liechtenstein();
    let keys = net.base_keys().to_vec();
    c.bench_function("cch_customize_full", |b| {
        b.iter(|| customize(net.topology(), black_box(&keys)))
    });

    let nodes = spread(&net, 200);
    let overlay = TrafficOverlay::new(Arc::clone(&net));
    c.bench_function("matrix_200x200", |b| {
        b.iter(|| overlay.matrix_nodes(black_box(&nodes), black_box(&nodes)))
    });

    // Ten edges slowed and reset in turn: a partial re-customization each time.
    let edges: Vec<EdgeId> = (0..10u32)
        .map(|i| EdgeId(i * (net.graph().num_edges() as u32 / 10)))
        .collect();
    let update = |change| {
        [TrafficUpdate {
            edges: EdgeSet::Edges(edges.clone()),
            change,
        }]
    };
    let (slow, reset) = (update(SpeedChange::Factor(0.5)), update(SpeedChange::Reset));
    let mut flip = false;
    c.bench_function("traffic_update_10_edges", |b| {
        b.iter(|| {
            flip = !flip;
            let u = if flip { &slow } else { &reset };
            match overlay.apply_traffic(u) {
                Ok(r) => r.edges_touched,
                Err(e) => panic!("benchmark update: {e}"),
            }
        })
    });

    c.bench_function("tenant_overlay_new", |b| {
        b.iter(|| TrafficOverlay::new(Arc::clone(black_box(&net))))
    });
}

criterion_group! {
    name = roads;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(roads);
