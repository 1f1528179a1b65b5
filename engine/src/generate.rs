//! A seeded generator of synthetic road networks for scale benchmarks.
//!
//! A `cols × rows` grid of intersections `spacing_m` apart, each moved by a random jitter.
//! Every `arterial_every`-th row and column is a two-way arterial (50 km/h); the other lines
//! are local streets (30 km/h), a share of them one-way (whole line, random direction), and a
//! share of local blocks missing (dead ends, irregular blocks). A river runs east–west through
//! the middle: only `bridges` arterial columns cross it. Each row and column is one "way"
//! (ids `1..=rows` for rows, `rows+1..` for columns) so traffic updates can address them.
//!
//! A pure grid has separators of about √n nodes, far larger than real road networks (whose
//! towns are joined by few roads); [`generate_region`] therefore also builds a *region*: many
//! such towns of varied size on a coarse lattice, joined by two-way highways (80 km/h), with
//! the river crossed by highways only at a few bridges.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::geo::{haversine_m, LatLon, EARTH_RADIUS_M};
use crate::graph::{BuildReport, RawEdge, RoadGraph};
use crate::{EngineError, Profile};

/// Parameters of a generated network.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSpec {
    /// Intersections per row (east–west).
    pub cols: u32,
    /// Intersections per column (north–south).
    pub rows: u32,
    /// Distance between neighbouring intersections, metres.
    pub spacing_m: f64,
    /// Random displacement of each intersection, as a fraction of the spacing (0..0.45).
    pub jitter: f64,
    /// Every this many lines is an arterial (≥ 2).
    pub arterial_every: u32,
    /// Share of local lines that are one-way (0..1).
    pub oneway_share: f64,
    /// Share of local street segments left out (0..0.5).
    pub missing_share: f64,
    /// Arterial columns that bridge the river (≥ 1).
    pub bridges: u32,
    /// South-west corner of the grid.
    pub origin: LatLon,
    /// RNG seed: the same spec gives the same network.
    pub seed: u64,
}

impl GridSpec {
    /// A city-like default of about `nodes` intersections (square grid, 80 m blocks).
    pub fn city(nodes: u32, seed: u64) -> GridSpec {
        let side = (f64::from(nodes).sqrt().ceil() as u32).max(4);
        GridSpec {
            cols: side,
            rows: side,
            spacing_m: 80.0,
            jitter: 0.25,
            arterial_every: 8,
            oneway_share: 0.3,
            missing_share: 0.1,
            bridges: (side / 64).max(2),
            origin: LatLon {
                lat: 47.0,
                lon: 9.0,
            },
            seed,
        }
    }
}

/// Generates the network (largest strongly connected component, as for imports).
pub fn generate_grid(spec: &GridSpec) -> Result<(RoadGraph, BuildReport), EngineError> {
    validate(spec)?;
    let mut rng = Pcg64::seed_from_u64(spec.seed);
    let mut net = Net::default();
    add_grid(
        spec,
        &mut rng,
        &mut net,
        spec.origin,
        spec.cols as usize,
        spec.rows as usize,
        true,
    );
    Ok(net.build())
}

fn validate(spec: &GridSpec) -> Result<(), EngineError> {
    let bad = |field: &'static str, reason: &str| EngineError::BadGenerator {
        field,
        reason: reason.to_string(),
    };
    if spec.cols < 2 || spec.rows < 2 || u64::from(spec.cols) * u64::from(spec.rows) > 50_000_000 {
        return Err(bad(
            "cols/rows",
            "need 2..=50,000,000 intersections and at least 2 per side",
        ));
    }
    if !(spec.spacing_m.is_finite() && spec.spacing_m > 1.0) {
        return Err(bad("spacing_m", "must be > 1"));
    }
    if !(0.0..0.45).contains(&spec.jitter) {
        return Err(bad("jitter", "must be in [0, 0.45)"));
    }
    if spec.arterial_every < 2 {
        return Err(bad("arterial_every", "must be ≥ 2"));
    }
    if !(0.0..=1.0).contains(&spec.oneway_share) {
        return Err(bad("oneway_share", "must be in [0, 1]"));
    }
    if !(0.0..=0.5).contains(&spec.missing_share) {
        return Err(bad("missing_share", "must be in [0, 0.5]"));
    }
    if spec.bridges == 0 {
        return Err(bad("bridges", "must be ≥ 1"));
    }
    LatLon::checked(0, spec.origin.lat, spec.origin.lon)?;
    Ok(())
}

/// Nodes, edges and way count of a network under construction.
#[derive(Default)]
struct Net {
    coords: Vec<LatLon>,
    edges: Vec<RawEdge>,
    ways: u32,
}

impl Net {
    fn new_way(&mut self) -> u32 {
        self.ways += 1;
        self.ways - 1
    }

    /// Adds edges `a→b` (dir 0 or 1) and `b→a` (dir 0 or 2).
    fn link(&mut self, a: u32, b: u32, dir: u8, kmh: f64, way: u32) {
        let metres = haversine_m(self.coords[a as usize], self.coords[b as usize]);
        let travel_ms = (metres / (kmh / 3.6) * 1000.0).round() as u32;
        let dist_dm = (metres * 10.0).round() as u32;
        if dir != 2 {
            self.edges.push(RawEdge {
                from: a,
                to: b,
                travel_ms,
                dist_dm,
                way,
            });
        }
        if dir != 1 {
            self.edges.push(RawEdge {
                from: b,
                to: a,
                travel_ms,
                dist_dm,
                way,
            });
        }
    }

    fn build(self) -> (RoadGraph, BuildReport) {
        let way_ids: Vec<i64> = (1..=i64::from(self.ways)).collect();
        RoadGraph::build(Profile::Car, &self.coords, self.edges, way_ids)
    }
}

/// Metres east/north of `origin` to a position.
fn offset(origin: LatLon, x: f64, y: f64) -> LatLon {
    let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let m_per_deg_lon = m_per_deg_lat * origin.lat.to_radians().cos();
    LatLon {
        lat: origin.lat + y / m_per_deg_lat,
        lon: origin.lon + x / m_per_deg_lon,
    }
}

/// Appends one perturbed grid town of `cols × rows` at `origin`; returns the id of its first
/// node (node `(r, c)` is `first + r * cols + c`).
fn add_grid(
    spec: &GridSpec,
    rng: &mut Pcg64,
    net: &mut Net,
    origin: LatLon,
    cols: usize,
    rows: usize,
    river: bool,
) -> u32 {
    let first = net.coords.len() as u32;
    for r in 0..rows {
        for c in 0..cols {
            let jx = (rng.random::<f64>() * 2.0 - 1.0) * spec.jitter * spec.spacing_m;
            let jy = (rng.random::<f64>() * 2.0 - 1.0) * spec.jitter * spec.spacing_m;
            net.coords.push(offset(
                origin,
                c as f64 * spec.spacing_m + jx,
                r as f64 * spec.spacing_m + jy,
            ));
        }
    }
    let every = spec.arterial_every as usize;
    // Direction of each line: 0 two-way, 1 forward only, 2 backward only.
    let line_dir = |arterial: bool, rng: &mut Pcg64| -> u8 {
        if arterial || rng.random::<f64>() >= spec.oneway_share {
            0
        } else if rng.random::<bool>() {
            1
        } else {
            2
        }
    };
    let row_dir: Vec<u8> = (0..rows).map(|r| line_dir(r % every == 0, rng)).collect();
    let col_dir: Vec<u8> = (0..cols).map(|c| line_dir(c % every == 0, rng)).collect();
    let river_row = if river { rows / 2 } else { usize::MAX };
    let arterial_cols: Vec<usize> = (0..cols).filter(|c| c % every == 0).collect();
    let bridge_cols: Vec<usize> = (0..spec.bridges as usize)
        .map(|b| {
            arterial_cols[(b * arterial_cols.len()) / spec.bridges as usize % arterial_cols.len()]
        })
        .collect();
    let id = |r: usize, c: usize| first + (r * cols + c) as u32;
    for (r, &dir) in row_dir.iter().enumerate() {
        let arterial = r % every == 0;
        let way = net.new_way();
        for c in 0..cols - 1 {
            if !arterial && rng.random::<f64>() < spec.missing_share {
                continue;
            }
            net.link(
                id(r, c),
                id(r, c + 1),
                dir,
                if arterial { 50.0 } else { 30.0 },
                way,
            );
        }
    }
    for (c, &dir) in col_dir.iter().enumerate() {
        let arterial = c % every == 0;
        let way = net.new_way();
        for r in 0..rows - 1 {
            if r + 1 == river_row && !bridge_cols.contains(&c) {
                continue;
            }
            if !arterial && rng.random::<f64>() < spec.missing_share {
                continue;
            }
            net.link(
                id(r, c),
                id(r + 1, c),
                dir,
                if arterial { 50.0 } else { 30.0 },
                way,
            );
        }
    }
    first
}

/// A region of towns joined by highways.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSpec {
    /// Towns per lattice row (east–west).
    pub towns_x: u32,
    /// Towns per lattice column (north–south).
    pub towns_y: u32,
    /// The town template: `cols × rows` is the mean size (each town varies by ±40% per side);
    /// its `bridges` is the number of highway bridges over the regional river.
    pub town: GridSpec,
    /// Open country between neighbouring towns, metres.
    pub gap_m: f64,
    /// Distance between highway nodes, metres.
    pub highway_node_every_m: f64,
}

impl RegionSpec {
    /// A region of about `nodes` intersections: towns of ~10,000 (100 × 100) on a square
    /// lattice, 2 km apart.
    pub fn with_nodes(nodes: u32, seed: u64) -> RegionSpec {
        let towns = (f64::from(nodes) / 10_000.0).sqrt().ceil().max(1.0) as u32;
        let mut town = GridSpec::city(10_000, seed);
        town.bridges = (towns / 3).max(1);
        RegionSpec {
            towns_x: towns,
            towns_y: towns,
            town,
            gap_m: 2000.0,
            highway_node_every_m: 250.0,
        }
    }
}

/// Generates a region (largest strongly connected component, as for imports).
pub fn generate_region(spec: &RegionSpec) -> Result<(RoadGraph, BuildReport), EngineError> {
    validate(&spec.town)?;
    let bad = |field: &'static str, reason: &str| EngineError::BadGenerator {
        field,
        reason: reason.to_string(),
    };
    if spec.towns_x == 0
        || spec.towns_y == 0
        || u64::from(spec.towns_x) * u64::from(spec.towns_y) > 100_000
    {
        return Err(bad("towns_x/towns_y", "need 1..=100,000 towns"));
    }
    if !(spec.gap_m.is_finite() && spec.gap_m >= 0.0) {
        return Err(bad("gap_m", "must be ≥ 0"));
    }
    if !(spec.highway_node_every_m.is_finite() && spec.highway_node_every_m >= 10.0) {
        return Err(bad("highway_node_every_m", "must be ≥ 10"));
    }
    let t = &spec.town;
    let mut rng = Pcg64::seed_from_u64(t.seed);
    let mut net = Net::default();
    let slot_w = 1.4 * f64::from(t.cols) * t.spacing_m + spec.gap_m;
    let slot_h = 1.4 * f64::from(t.rows) * t.spacing_m + spec.gap_m;
    let every = t.arterial_every as usize;
    // Per town: first node, cols, rows.
    let mut towns: Vec<(u32, usize, usize)> = Vec::new();
    for ty in 0..spec.towns_y {
        for tx in 0..spec.towns_x {
            let cols = ((f64::from(t.cols) * rng.random_range(0.6..1.4)).round() as usize).max(2);
            let rows = ((f64::from(t.rows) * rng.random_range(0.6..1.4)).round() as usize).max(2);
            let origin = offset(t.origin, f64::from(tx) * slot_w, f64::from(ty) * slot_h);
            let first = add_grid(t, &mut rng, &mut net, origin, cols, rows, false);
            towns.push((first, cols, rows));
        }
    }
    let node = |town: (u32, usize, usize), r: usize, c: usize| town.0 + (r * town.1 + c) as u32;
    let mid_arterial = |n: usize| ((n / 2) / every) * every;
    let river_between = spec.towns_y / 2; // highways from town row river_between-1 to river_between
    let bridges: Vec<u32> = (0..t.bridges)
        .map(|b| (b * spec.towns_x) / t.bridges)
        .collect();
    for ty in 0..spec.towns_y {
        for tx in 0..spec.towns_x {
            let here = towns[(ty * spec.towns_x + tx) as usize];
            if tx + 1 < spec.towns_x {
                let east = towns[(ty * spec.towns_x + tx + 1) as usize];
                let a = node(here, mid_arterial(here.2), here.1 - 1);
                let b = node(east, mid_arterial(east.2), 0);
                highway(&mut net, spec, a, b);
            }
            if ty + 1 < spec.towns_y && (ty + 1 != river_between || bridges.contains(&tx)) {
                let north = towns[((ty + 1) * spec.towns_x + tx) as usize];
                let a = node(here, here.2 - 1, mid_arterial(here.1));
                let b = node(north, 0, mid_arterial(north.1));
                highway(&mut net, spec, a, b);
            }
        }
    }
    Ok(net.build())
}

/// A two-way 80 km/h highway from node `a` to node `b`, with intermediate nodes.
fn highway(net: &mut Net, spec: &RegionSpec, a: u32, b: u32) {
    let (pa, pb) = (net.coords[a as usize], net.coords[b as usize]);
    let steps = (haversine_m(pa, pb) / spec.highway_node_every_m)
        .ceil()
        .max(1.0) as usize;
    let way = net.new_way();
    let mut prev = a;
    for k in 1..steps {
        let f = k as f64 / steps as f64;
        net.coords.push(LatLon {
            lat: pa.lat + (pb.lat - pa.lat) * f,
            lon: pa.lon + (pb.lon - pa.lon) * f,
        });
        let v = (net.coords.len() - 1) as u32;
        net.link(prev, v, 0, 80.0, way);
        prev = v;
    }
    net.link(prev, b, 0, 80.0, way);
}
