//! `roads`: speed and correctness benchmark of the road engine (issue #4).
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin roads -- [--osm-dir datasets/data/osm]
//!     [--points ../shared/tools/peers/roads/points_li_random_1000.csv] [--repeats 5]
//!     [--big-nodes 1000000] [--checks 10000] [--threads 2]
//! ```
//! Per shipped extract (car): import and preparation time, turn restrictions (via node, via
//! way: found, applied, skipped by reason), and `--checks` random matrix entries against plain
//! Dijkstra, before and after a traffic update slowing 1% of the edges, and for departures
//! inside and outside the interval of a timed update (another 1% from 07:00 to 09:00), then
//! after it expires.
//! Liechtenstein: a 1000 × 1000 matrix on the peer's points (median of `--repeats`), the 1%
//! traffic re-customization (median), prepared-file save/load. Generated network of
//! `--big-nodes` nodes (0 skips): preparation time and peak memory, a 2000 × 2000 matrix,
//! re-customization after a 1% update.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use milkrun_engine::{
    dijkstra_trips, generate_grid, generate_region, import_pbf_file, Access, EdgeId, EdgeSet,
    GridSpec, LatLon, NodeId, PointOptions, Profile, RegionSpec, RoadEngine, SpeedChange,
    TimedTraffic, TrafficUpdate, DEFAULT_MAX_SNAP_M,
};

/// Road engine benchmark.
#[derive(Debug, Parser)]
#[command(name = "roads")]
struct Cli {
    /// Folder with the shipped `.osm.pbf` extracts.
    #[arg(long, default_value = "datasets/data/osm")]
    osm_dir: PathBuf,
    /// Points on Liechtenstein (`lat,lon` with a header) for the 1000 × 1000 matrix.
    #[arg(
        long,
        default_value = "../shared/tools/peers/roads/points_li_random_1000.csv"
    )]
    points: PathBuf,
    /// Timed repetitions (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Nodes of the generated region of towns joined by highways (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    big_nodes: u32,
    /// Nodes of a generated single pure grid city (stress case, separators of ~√n; 0 skips it).
    #[arg(long, default_value_t = 0)]
    grid_nodes: u32,
    /// Matrix entries checked against Dijkstra per extract and traffic state.
    #[arg(long, default_value_t = 10_000)]
    checks: usize,
    /// Skip the fast_paths peer.
    #[arg(long = "no-peer", action = clap::ArgAction::SetFalse)]
    peer: bool,
    /// Rayon threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Shipped extracts to check (comma-separated; empty skips them).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "helsinki,baltimore,andorra,liechtenstein"
    )]
    extracts: Vec<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Peak and current resident memory in MiB (Linux `/proc/self/status`).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time of this process (all threads), seconds (Linux `/proc/self/stat`, 100 ticks/s).
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

/// Deterministic pseudo-random numbers (SplitMix64) for sampling.
struct Sampler(u64);
impl Sampler {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % bound as u64) as usize
    }
}

/// Slows a random 1% of the edges to 40% speed.
fn one_percent(engine: &RoadEngine, seed: u64) -> Vec<TrafficUpdate> {
    let m = engine.graph().num_edges();
    let mut rng = Sampler(seed);
    let edges = (0..m / 100).map(|_| EdgeId(rng.next(m) as u32)).collect();
    vec![TrafficUpdate {
        edges: EdgeSet::Edges(edges),
        change: SpeedChange::Factor(0.4),
    }]
}

/// Checks `checks` entries (rows × cols random nodes) against Dijkstra; returns mismatches.
fn dijkstra_check(engine: &RoadEngine, checks: usize, seed: u64) -> (usize, usize, f64) {
    dijkstra_check_at(engine, checks, seed, None)
}

/// The 1% update of [`one_percent`] in force from 07:00 to 09:00 only.
fn timed_one_percent(engine: &RoadEngine, seed: u64) -> TimedTraffic {
    TimedTraffic {
        start_s: 7 * 3600,
        end_s: 9 * 3600,
        updates: one_percent(engine, seed),
    }
}

/// As [`dijkstra_check`], for departures at `time_s` (`None`: no departure time) on the
/// metric in force then.
fn dijkstra_check_at(
    engine: &RoadEngine,
    checks: usize,
    seed: u64,
    time_s: Option<u32>,
) -> (usize, usize, f64) {
    let side = (checks as f64).sqrt().ceil() as usize;
    // Road nodes only: turn-restriction arrival copies are not trip ends of their own.
    let n = engine.graph().num_original_nodes();
    let mut rng = Sampler(seed);
    let rows: Vec<NodeId> = (0..side).map(|_| NodeId(rng.next(n) as u32)).collect();
    let cols: Vec<NodeId> = (0..side).map(|_| NodeId(rng.next(n) as u32)).collect();
    let snap = time_s.map_or_else(|| engine.snapshot(), |t| engine.snapshot_at(t));
    let m = match time_s {
        Some(t) => engine.matrix_nodes_at(&rows, &cols, t),
        None => engine.matrix_on(&snap, &rows, &cols),
    };
    let t = Instant::now();
    let mut bad = 0;
    for (i, s) in rows.iter().enumerate() {
        let d = dijkstra_trips(engine.graph(), snap.edge_keys(), s.0);
        bad += cols
            .iter()
            .enumerate()
            .filter(|(j, c)| d[c.0 as usize] != m.key(i, *j))
            .count();
    }
    (side * side, bad, secs(t))
}

/// The `fast_paths` crate (contraction hierarchies) on the same graph with the same integer
/// travel times in milliseconds (at least 1, as it needs positive weights; our keys also carry
/// the distance as a tie-break, which fast_paths cannot): preparation, then the N × N matrix
/// by `calc_path` on rayon threads with one calculator each (it has no many-to-many call).
fn fast_paths_peer(engine: &RoadEngine, nodes: &[NodeId], our_matrix_s: f64, our_prep_s: f64) {
    use rayon::prelude::*;
    let g = engine.graph();
    let keys = engine.base_keys();
    let mut input = fast_paths::InputGraph::new();
    for v in 0..g.num_nodes() {
        for e in g.out_edges(NodeId(v as u32)) {
            input.add_edge(
                v,
                g.head(EdgeId(e as u32)).0 as usize,
                (keys[e] >> 32).max(1) as usize,
            );
        }
    }
    input.freeze();
    let arrivals: Vec<Vec<NodeId>> = nodes.iter().map(|&t| g.arrival_nodes(t)).collect();
    let t = Instant::now();
    let fast_graph = fast_paths::prepare(&input);
    let prep_s = secs(t);
    let t = Instant::now();
    let rows: Vec<Vec<Option<usize>>> = nodes
        .par_iter()
        .map_init(
            || fast_paths::create_calculator(&fast_graph),
            |calc, s| {
                // A trip ends at the road node or one of its turn-restriction arrival copies.
                arrivals
                    .iter()
                    .map(|ends| {
                        ends.iter()
                            .filter_map(|t| {
                                calc.calc_path(&fast_graph, s.0 as usize, t.0 as usize)
                                    .map(|p| p.get_weight())
                            })
                            .min()
                    })
                    .collect()
            },
        )
        .collect();
    let matrix_s = secs(t);
    let ours = engine.matrix_nodes(nodes, nodes);
    let equal = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, w)| (i, j, *w)))
        .filter(|&(i, j, w)| w.map(|w| w as u32) == milkrun_engine::key_travel_ms(ours.key(i, j)))
        .count();
    println!(
        "  peer fast_paths 1.0.0 (same graph, same travel_ms): prepare {:.3} s (ours {:.3} s, ratio ours/peer {:.2}); {n} x {n} matrix {:.3} s (ours {:.3} s, peer/ours {:.1}x); {equal} of {} travel times equal",
        prep_s,
        our_prep_s,
        our_prep_s / prep_s,
        matrix_s,
        our_matrix_s,
        matrix_s / our_matrix_s,
        nodes.len() * nodes.len(),
        n = nodes.len()
    );
}

/// Median time of `repeats` small updates (10 random edges slowed to 30%), which take the
/// partial re-customization path.
fn small_updates(engine: &RoadEngine, repeats: usize) -> anyhow::Result<(f64, bool)> {
    let m = engine.graph().num_edges();
    let mut rng = Sampler(999);
    let mut times = Vec::new();
    let mut partial = true;
    for _ in 0..repeats.max(1) {
        let edges = (0..10).map(|_| EdgeId(rng.next(m) as u32)).collect();
        let t = Instant::now();
        let r = engine.apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Edges(edges),
            change: SpeedChange::Factor(0.3),
        }])?;
        times.push(secs(t));
        partial &= r.partial;
    }
    Ok((median(times), partial))
}

fn read_points(path: &PathBuf) -> anyhow::Result<Vec<LatLon>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec?;
        let lat: f64 = rec
            .get(0)
            .context("lat")?
            .trim()
            .parse()
            .with_context(|| format!("line {}", i + 2))?;
        let lon: f64 = rec
            .get(1)
            .context("lon")?
            .trim()
            .parse()
            .with_context(|| format!("line {}", i + 2))?;
        out.push(LatLon { lat, lon });
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    rayon::ThreadPoolBuilder::new()
        .num_threads(cli.threads)
        .build_global()?;
    println!(
        "road engine benchmark: {} rayon threads, {} repeats (median)",
        cli.threads, cli.repeats
    );
    for name in cli
        .extracts
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
    {
        let path = cli.osm_dir.join(format!("{name}.osm.pbf"));
        let t = Instant::now();
        let (graph, report) = import_pbf_file(&path, Profile::Car)?;
        let import_s = secs(t);
        let t = Instant::now();
        let engine = RoadEngine::prepare(graph);
        let prep_s = secs(t);
        let topo = engine.topology();
        println!(
            "\n[{name}] car: {} nodes, {} edges kept ({} nodes / {} edges dropped, {} SCCs); CCH {} arcs, tree height {}",
            report.nodes_kept,
            report.edges_kept,
            report.nodes_dropped(),
            report.edges_dropped(),
            report.components,
            topo.num_arcs(),
            topo.tree_height()
        );
        println!(
            "  turn restrictions via node: {}\n  turn restrictions via way: {}\n  ({} arrival copies)",
            report.via_node,
            report.via_way,
            engine.graph().num_turn_copies()
        );
        println!("  import {import_s:.3} s, prepare (order + contract + customize + snap index) {prep_s:.3} s, total {:.3} s", import_s + prep_s);
        let (n, bad, dt) = dijkstra_check(&engine, cli.checks, 11);
        println!(
            "  Dijkstra check free flow: {n} entries, {bad} mismatches ({dt:.1} s of Dijkstra)"
        );
        engine.apply_traffic(&one_percent(&engine, 12))?;
        let (n, bad, dt) = dijkstra_check(&engine, cli.checks, 13);
        println!(
            "  Dijkstra check after 1% traffic update: {n} entries, {bad} mismatches ({dt:.1} s)"
        );
        let mut bad_total = bad;
        let timed = engine.apply_timed_traffic(&timed_one_percent(&engine, 14))?;
        let untimed_keys = engine.snapshot().edge_keys().to_vec();
        let inside_differs = engine.snapshot_at(8 * 3600).edge_keys() != &untimed_keys[..];
        let outside_same = engine.snapshot_at(10 * 3600).edge_keys() == &untimed_keys[..];
        let (n, bad, dt) = dijkstra_check_at(&engine, cli.checks, 15, Some(8 * 3600));
        bad_total += bad;
        println!(
            "  timed 1% update 07:00-09:00 ({} edges, {} metric customized): departures at 08:00 see it ({inside_differs}), at 10:00 not ({outside_same}); Dijkstra check at 08:00: {n} entries, {bad} mismatches ({dt:.1} s)",
            timed.edges_touched, timed.customized
        );
        let (n, bad, dt) = dijkstra_check_at(&engine, cli.checks, 16, Some(10 * 3600));
        bad_total += bad;
        println!("  Dijkstra check at 10:00: {n} entries, {bad} mismatches ({dt:.1} s)");
        let expiry = engine.expire_traffic(9 * 3600);
        let restored = engine.snapshot_at(8 * 3600).edge_keys() == &untimed_keys[..];
        let (n, bad, dt) = dijkstra_check_at(&engine, cli.checks, 17, Some(8 * 3600));
        bad_total += bad;
        println!(
            "  expired at 09:00 ({} removed, {} metrics customized): 08:00 back to the untimed weights ({restored}); Dijkstra check at 08:00: {n} entries, {bad} mismatches ({dt:.1} s)",
            expiry.removed.len(),
            expiry.customized
        );
        if bad_total > 0 || !inside_differs || !outside_same || !restored {
            anyhow::bail!(
                "{name}: matrix differs from Dijkstra or the timed update is not seen as it should"
            );
        }
        if name != "liechtenstein" {
            continue;
        }
        let graph = engine.graph().clone();
        let t = Instant::now();
        let engine = RoadEngine::prepare(graph);
        let prep_s = secs(t);
        let points = read_points(&cli.points)?;
        let t = Instant::now();
        let snaps = engine.snap_all(&points, DEFAULT_MAX_SNAP_M)?;
        let snap_s = secs(t);
        let max_snap = snaps.iter().map(|s| s.snap_m).fold(0.0, f64::max);
        let nodes: Vec<NodeId> = snaps.iter().map(|s| s.node).collect();
        let mut times = Vec::new();
        let mut reachable = 0;
        for _ in 0..cli.repeats {
            let t = Instant::now();
            let m = engine.matrix_nodes(&nodes, &nodes);
            times.push(secs(t));
            reachable = (0..m.rows())
                .flat_map(|i| (0..m.cols()).map(move |j| (i, j)))
                .filter(|&(i, j)| m.travel_ms(i, j).is_some())
                .count();
        }
        println!(
            "  {0} x {0} matrix (time + distance): median {1:.1} ms (min {2:.1}, max {3:.1}); {reachable} reachable; snapping {4:.1} ms, max snap {max_snap:.0} m",
            nodes.len(),
            median(times.clone()) * 1e3,
            times.iter().copied().fold(f64::MAX, f64::min) * 1e3,
            times.iter().copied().fold(0.0, f64::max) * 1e3,
            snap_s * 1e3
        );
        if cli.peer {
            fast_paths_peer(&engine, &nodes, median(times.clone()), prep_s);
        }
        // Door to door (issue #25): snapping, the road matrix and the access legs, from the
        // points; then end to end from the file (import, prepare, door-to-door matrix), the
        // figure to set beside OSRM CH's extract + contract + table.
        for (what, access) in [
            ("door to door", Access::default()),
            ("road only", Access::RoadOnly),
        ] {
            let opts = PointOptions {
                access,
                ..PointOptions::default()
            };
            let mut times = Vec::new();
            for _ in 0..cli.repeats {
                let t = Instant::now();
                let m = engine.matrix_with(&points, &points, &opts)?;
                times.push(secs(t));
                std::hint::black_box(m);
            }
            println!(
                "  {0} x {0} matrix from points, {what} (snapping included): median {1:.1} ms",
                points.len(),
                median(times) * 1e3
            );
        }
        let mut ends = Vec::new();
        for _ in 0..cli.repeats {
            let t = Instant::now();
            let (g, _) = import_pbf_file(&path, Profile::Car)?;
            let e = RoadEngine::prepare(g);
            let m = e.matrix_with(&points, &points, &PointOptions::default())?;
            ends.push(secs(t));
            std::hint::black_box(m);
        }
        println!(
            "  end to end (import + prepare + {0} x {0} door-to-door matrix): median {1:.3} s (min {2:.3}, max {3:.3})",
            points.len(),
            median(ends.clone()),
            ends.iter().copied().fold(f64::MAX, f64::min),
            ends.iter().copied().fold(0.0, f64::max)
        );
        let mut times = Vec::new();
        for r in 0..cli.repeats {
            let update = one_percent(&engine, 100 + r as u64);
            let t = Instant::now();
            engine.apply_traffic(&update)?;
            times.push(secs(t));
        }
        println!("  traffic update of 1% of edges ({} edges), full parallel re-customization: median {:.1} ms", engine.graph().num_edges() / 100, median(times) * 1e3);
        let (small_s, partial) = small_updates(&engine, cli.repeats)?;
        println!(
            "  small traffic update (10 edges), partial re-customization ({partial}): median {:.1} ms",
            small_s * 1e3
        );
        let (mut apply, mut expire) = (Vec::new(), Vec::new());
        for r in 0..cli.repeats {
            let update = timed_one_percent(&engine, 200 + r as u64);
            let t = Instant::now();
            engine.apply_timed_traffic(&update)?;
            apply.push(secs(t));
            let t = Instant::now();
            engine.expire_traffic(9 * 3600);
            expire.push(secs(t));
        }
        println!(
            "  timed 1% update 07:00-09:00: apply (one period metric customized) median {:.1} ms, expiry median {:.1} ms",
            median(apply) * 1e3,
            median(expire) * 1e3
        );
        let t = Instant::now();
        let bytes = engine.to_bytes();
        let to_bytes_s = secs(t);
        let t = Instant::now();
        let loaded = RoadEngine::from_bytes(&bytes)?;
        let load_s = secs(t);
        println!("  prepared file: {:.1} MB, write {:.1} ms, load (incl. contraction + customization + snap index) {:.1} ms", bytes.len() as f64 / 1e6, to_bytes_s * 1e3, load_s * 1e3);
        drop(loaded);
    }
    for (kind, nodes) in [("region", cli.big_nodes), ("grid", cli.grid_nodes)] {
        if nodes == 0 {
            continue;
        }
        let t = Instant::now();
        let (graph, report) = if kind == "region" {
            generate_region(&RegionSpec::with_nodes(nodes, 2026))?
        } else {
            generate_grid(&GridSpec::city(nodes, 2026))?
        };
        let gen_s = secs(t);
        let t = Instant::now();
        let order = milkrun_engine::order::nested_dissection_order(&graph);
        let order_s = secs(t);
        let engine = RoadEngine::with_order(graph, order);
        let prep_s = secs(t);
        let (peak, rss) = memory_mib();
        println!(
            "\n[generated {kind}] {} nodes, {} edges (dropped {} nodes); CCH {} arcs, tree height {}",
            report.nodes_kept,
            report.edges_kept,
            report.nodes_dropped(),
            engine.topology().num_arcs(),
            engine.topology().tree_height()
        );
        println!("  generate {gen_s:.1} s, prepare {prep_s:.1} s (of which nested dissection {order_s:.1} s); memory peak {peak:.0} MiB, now {rss:.0} MiB");
        let mut times = Vec::new();
        let mut cpu = Vec::new();
        for _ in 0..cli.repeats.clamp(1, 3) {
            let (t, c) = (Instant::now(), cpu_s());
            let m = milkrun_engine::customize::customize(engine.topology(), engine.base_keys());
            times.push(secs(t));
            cpu.push(cpu_s() - c);
            drop(m);
        }
        println!(
            "  full customization ({} lower triangles): median {:.2} s wall (min {:.2}), {:.2} s CPU (both threads)",
            engine.topology().num_triangles(),
            median(times.clone()),
            times.iter().copied().fold(f64::MAX, f64::min),
            median(cpu)
        );
        let n = engine.graph().num_nodes();
        let mut rng = Sampler(77);
        let nodes: Vec<NodeId> = (0..2000).map(|_| NodeId(rng.next(n) as u32)).collect();
        let mut times = Vec::new();
        for _ in 0..cli.repeats.clamp(1, 3) {
            let t = Instant::now();
            let _m = engine.matrix_nodes(&nodes, &nodes);
            times.push(secs(t));
        }
        println!("  2000 x 2000 matrix: median {:.2} s", median(times));
        let mut times = Vec::new();
        let mut cpu = Vec::new();
        for r in 0..cli.repeats.clamp(1, 3) {
            let update = one_percent(&engine, 5 + r as u64);
            let (t, c) = (Instant::now(), cpu_s());
            engine.apply_traffic(&update)?;
            times.push(secs(t));
            cpu.push(cpu_s() - c);
        }
        println!(
            "  1% traffic update, full re-customization: median {:.2} s wall (min {:.2}), {:.2} s CPU",
            median(times.clone()),
            times.iter().copied().fold(f64::MAX, f64::min),
            median(cpu)
        );
        let (small_s, partial) = small_updates(&engine, 3)?;
        println!(
            "  small traffic update (10 edges), partial re-customization ({partial}): median {small_s:.2} s"
        );
        let (n, bad, dt) = dijkstra_check(&engine, 400, 6);
        println!("  Dijkstra check after update: {n} entries, {bad} mismatches ({dt:.1} s)");
        let (peak, _) = memory_mib();
        println!("  memory peak after queries {peak:.0} MiB");
    }
    Ok(())
}
