//! Households in the real buildings of a shipped extract (issue #25): the scenario generator
//! given the extract's residential buildings puts each door on a building's position, off
//! the road by a realistic distance, never more households in a building than it holds.

use std::collections::HashMap;
use std::path::PathBuf;

use milkrun_datasets::scenario::{generate, generate_in_buildings, BuildingSite, ScenarioSpec};
use milkrun_engine::geo::haversine_m;
use milkrun_engine::{import_pbf_file, LatLon, NodeId, Profile, Snapper};
use milkrun_station::scenario::residential_sites;

fn extract(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm")
        .join(format!("{name}.osm.pbf"))
}

/// Nearest rank.
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[k - 1]
}

/// What a morning in the extract's buildings looks like.
struct Doors {
    /// Households whose door is a real building's position.
    in_buildings: usize,
    /// Households.
    households: usize,
    /// Door to the nearest road (snap), metres, of the households in real buildings.
    snap_m: Vec<f64>,
    /// Door to the road node the matrix starts from (the access leg), metres, same ones.
    access_m: Vec<f64>,
}

/// Generates `households` households of seed 1 in the residential buildings of `name` on its
/// bike roads, checks the placement and measures the doors.
fn morning_in_buildings(name: &str, households: usize) -> Doors {
    let (graph, _) = import_pbf_file(&extract(name), Profile::Bike).unwrap();
    let points: Vec<(f64, f64)> = (0..graph.num_nodes() as u32)
        .map(|v| graph.coord(NodeId(v)))
        .map(|p| (p.lat, p.lon))
        .collect();
    let (sites, report) = residential_sites(&extract(name)).unwrap();
    assert!(
        !sites.is_empty(),
        "{name}: no residential buildings ({report:?})"
    );
    let spec = ScenarioSpec::new(1, households, 6);
    let s = generate_in_buildings(&spec, &points, &sites).unwrap();
    assert_eq!(s.households.len(), households);
    assert_eq!(s, generate_in_buildings(&spec, &points, &sites).unwrap());
    // The depot is the same road point as without buildings.
    let plain = generate(&spec, &points).unwrap();
    assert_eq!(s.depot, plain.depot);

    let snapper = Snapper::new(&graph);
    let mut doors = Doors {
        in_buildings: 0,
        households,
        snap_m: Vec::new(),
        access_m: Vec::new(),
    };
    let mut per_site: HashMap<usize, (u32, u32)> = HashMap::new();
    for h in &s.households {
        let door = LatLon {
            lat: h.lat,
            lon: h.lon,
        };
        // The nearest real building: a household placed in one stands on its position.
        let (k, d) = sites
            .iter()
            .enumerate()
            .map(|(k, b): (usize, &BuildingSite)| {
                let p = LatLon {
                    lat: b.lat,
                    lon: b.lon,
                };
                (k, haversine_m(door, p))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let snap = snapper.snap(&graph, 0, door, f64::INFINITY).unwrap();
        if d <= 0.05 {
            doors.in_buildings += 1;
            doors.snap_m.push(snap.snap_m);
            doors.access_m.push(snap.node_m);
            // One building, one scenario building id, at most its households.
            let e = per_site.entry(k).or_insert((h.building, 0));
            assert_eq!(e.0, h.building, "{name}: household {} building id", h.id);
            e.1 += 1;
            assert!(e.1 <= sites[k].households, "{name}: site {k} over full");
        } else {
            // The fallback: a building-like position 5-40 m off a road point.
            assert!(
                (0.0..=45.0).contains(&snap.snap_m),
                "{name}: household {} (not in a real building) is {:.1} m off the road",
                h.id,
                snap.snap_m
            );
        }
    }
    doors
}

/// Liechtenstein: almost every household of a 1,500-household morning lives in a real
/// building, within a few centimetres of its position, and the doors stand off the road by
/// realistic distances (a median of a few to some tens of metres, a 95th percentile under
/// 150 m), never all on it.
#[test]
fn liechtenstein_households_live_in_real_buildings() {
    let d = morning_in_buildings("liechtenstein", 1_500);
    let share = d.in_buildings as f64 / d.households as f64;
    let (m, p95) = (quantile(&d.snap_m, 0.5), quantile(&d.snap_m, 0.95));
    let (am, ap95) = (quantile(&d.access_m, 0.5), quantile(&d.access_m, 0.95));
    eprintln!(
        "liechtenstein: {} of {} households in real buildings; door to road median {m:.1} m, \
         p95 {p95:.1} m; access leg (door to road node) median {am:.1} m, p95 {ap95:.1} m",
        d.in_buildings, d.households
    );
    assert!(share >= 0.9, "{share}");
    assert!((3.0..=40.0).contains(&m), "median {m}");
    assert!(p95 < 150.0, "p95 {p95}");
    let on_road = d.snap_m.iter().filter(|&&x| x < 0.5).count();
    assert!(on_road * 20 < d.snap_m.len(), "{on_road} doors on the road");
    assert!(am >= m && ap95 < 250.0, "access median {am}, p95 {ap95}");
}

/// Baltimore's row houses (`terrace`, `residential`) and address points hold a 600-household
/// morning the same way.
#[test]
fn baltimore_households_live_in_real_buildings() {
    let d = morning_in_buildings("baltimore", 600);
    let (m, p95) = (quantile(&d.snap_m, 0.5), quantile(&d.snap_m, 0.95));
    let (am, ap95) = (quantile(&d.access_m, 0.5), quantile(&d.access_m, 0.95));
    eprintln!(
        "baltimore: {} of {} households in real buildings; door to road median {m:.1} m, \
         p95 {p95:.1} m; access leg (door to road node) median {am:.1} m, p95 {ap95:.1} m",
        d.in_buildings, d.households
    );
    assert!(d.in_buildings * 2 >= d.households, "{}", d.in_buildings);
    assert!((3.0..=60.0).contains(&m), "median {m}");
    assert!(p95 < 150.0, "p95 {p95}");
}
