//! A seeded generator of synthetic road networks for scale benchmarks.
//!
//! A `cols × rows` grid of intersections `spacing_m` apart, each moved by a random jitter.
//! Every `arterial_every`-th row and column is a two-way arterial (50 km/h); the other lines
//! are local streets (30 km/h), a share of them one-way (whole line, random direction), and a
//! share of local blocks missing (dead ends, irregular blocks). A river runs east–west through
//! the middle: only `bridges` arterial columns cross it. Each row and column is one "way"
//! (ids `1..=rows` for rows, `rows+1..` for columns) so traffic updates can address them.

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
    let mut rng = Pcg64::seed_from_u64(spec.seed);
    let (cols, rows) = (spec.cols as usize, spec.rows as usize);
    let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let m_per_deg_lon = m_per_deg_lat * spec.origin.lat.to_radians().cos();
    let mut coords = Vec::with_capacity(cols * rows);
    for r in 0..rows {
        for c in 0..cols {
            let jx = (rng.random::<f64>() * 2.0 - 1.0) * spec.jitter * spec.spacing_m;
            let jy = (rng.random::<f64>() * 2.0 - 1.0) * spec.jitter * spec.spacing_m;
            let x = c as f64 * spec.spacing_m + jx;
            let y = r as f64 * spec.spacing_m + jy;
            coords.push(LatLon {
                lat: spec.origin.lat + y / m_per_deg_lat,
                lon: spec.origin.lon + x / m_per_deg_lon,
            });
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
    let row_dir: Vec<u8> = (0..rows)
        .map(|r| line_dir(r % every == 0, &mut rng))
        .collect();
    let col_dir: Vec<u8> = (0..cols)
        .map(|c| line_dir(c % every == 0, &mut rng))
        .collect();
    let river_row = rows / 2; // edges between river_row - 1 and river_row cross the river
    let arterial_cols: Vec<usize> = (0..cols).filter(|c| c % every == 0).collect();
    let bridge_cols: Vec<usize> = (0..spec.bridges as usize)
        .map(|b| {
            arterial_cols[(b * arterial_cols.len()) / spec.bridges as usize % arterial_cols.len()]
        })
        .collect();
    let mut edges = Vec::with_capacity(cols * rows * 4);
    let id = |r: usize, c: usize| (r * cols + c) as u32;
    let push = |a: u32, b: u32, dir: u8, arterial: bool, way: u32, edges: &mut Vec<RawEdge>| {
        let metres = haversine_m(coords[a as usize], coords[b as usize]);
        let kmh = if arterial { 50.0 } else { 30.0 };
        let travel_ms = (metres / (kmh / 3.6) * 1000.0).round() as u32;
        let dist_dm = (metres * 10.0).round() as u32;
        if dir != 2 {
            edges.push(RawEdge {
                from: a,
                to: b,
                travel_ms,
                dist_dm,
                way,
            });
        }
        if dir != 1 {
            edges.push(RawEdge {
                from: b,
                to: a,
                travel_ms,
                dist_dm,
                way,
            });
        }
    };
    for (r, &dir) in row_dir.iter().enumerate() {
        let arterial = r % every == 0;
        for c in 0..cols - 1 {
            if !arterial && rng.random::<f64>() < spec.missing_share {
                continue;
            }
            push(id(r, c), id(r, c + 1), dir, arterial, r as u32, &mut edges);
        }
    }
    for (c, &dir) in col_dir.iter().enumerate() {
        let arterial = c % every == 0;
        for r in 0..rows - 1 {
            if r + 1 == river_row && !bridge_cols.contains(&c) {
                continue;
            }
            if !arterial && rng.random::<f64>() < spec.missing_share {
                continue;
            }
            push(
                id(r, c),
                id(r + 1, c),
                dir,
                arterial,
                (rows + c) as u32,
                &mut edges,
            );
        }
    }
    let way_ids: Vec<i64> = (1..=(rows + cols) as i64).collect();
    Ok(RoadGraph::build(Profile::Car, &coords, edges, way_ids))
}
