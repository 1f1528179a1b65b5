//! `milkrun matrix`: travel-time and distance matrix between points on an OSM extract.
//!
//! ```text
//! milkrun matrix --osm FILE.osm.pbf --points POINTS.csv [--profile car|bike|foot] [--out FILE]
//!                [--max-snap-m 500] [--strict] [--road-only] [--access-speed-mps 1.3]
//!                [--snaps FILE] [--svg FILE]
//! ```
//! Points: one `lat,lon` per line after a header. Output CSV `from,to,seconds,meters` (point
//! indices from 0; unreachable pairs have empty `seconds` and `meters`), door to door: each
//! trip includes the access legs between the doors and their road positions, walked at
//! `--access-speed-mps`, with seconds (one decimal) and metres rounded up; `--road-only`
//! gives road position to road position, as OSRM does. Stderr gives the snap distances'
//! median and maximum; `--snaps FILE` writes each point's `point,on_road,snap_m,access_m`. A point farther than
//! `--max-snap-m` from its road is left out (its rows are absent, stderr says how far it is),
//! unless `--strict`, which fails the command. `--osm` also accepts a
//! prepared graph file written by `--save-graph`.
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use milkrun_engine::{
    import_pbf_file, render_svg, Access, LatLon, PointOptions, PointSnap, Profile, RoadEngine,
};

/// Travel profile on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Car or van.
    Car,
    /// Bicycle or e-trike.
    Bike,
    /// On foot.
    Foot,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Car => Profile::Car,
            ProfileArg::Bike => Profile::Bike,
            ProfileArg::Foot => Profile::Foot,
        }
    }
}

/// Options of `milkrun matrix`.
#[derive(Debug, Args)]
pub struct Opts {
    /// OSM extract (`.osm.pbf`) or a prepared graph file (from `--save-graph`).
    #[arg(long)]
    pub osm: PathBuf,
    /// Points CSV: a header, then one `lat,lon` per line.
    #[arg(long)]
    pub points: PathBuf,
    /// Travel profile (ignored for a prepared graph file, which holds its own).
    #[arg(long, value_enum, default_value = "car")]
    pub profile: ProfileArg,
    /// Output CSV (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Largest allowed distance from a point to its road, metres (finite, 0 or more).
    #[arg(long, default_value_t = milkrun_engine::DEFAULT_MAX_SNAP_M,
          allow_negative_numbers = true, value_parser = super::args::metres)]
    pub max_snap_m: f64,
    /// Also write the prepared graph to this file (loads in well under a second).
    #[arg(long)]
    pub save_graph: Option<PathBuf>,
    /// Fail when a point lies farther than --max-snap-m from its road (by default that
    /// point's rows are left out of the CSV, with a line on stderr saying how far it is).
    #[arg(long)]
    pub strict: bool,
    /// Road position to road position, as OSRM gives it: leave out the access legs between
    /// the doors and the roads.
    #[arg(long)]
    pub road_only: bool,
    /// Speed on the access legs between a door and its road, metres per second (finite,
    /// 0.1 to 50).
    #[arg(long, default_value_t = milkrun_engine::DEFAULT_ACCESS_MPS,
          allow_negative_numbers = true)]
    pub access_speed_mps: f64,
    /// Also write each point's snap: `point,on_road,snap_m,access_m` (distance to the
    /// nearest road, and to the road node it is routed from).
    #[arg(long)]
    pub snaps: Option<PathBuf>,
    /// Also draw the road network with the routes from point 0 to every other point as SVG.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Most points of a matrix (the matrix holds the square of them: 25 million pairs).
pub const MAX_POINTS: usize = 5_000;

fn read_points(path: &PathBuf) -> anyhow::Result<Vec<LatLon>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read points file {}", path.display()))?;
    let mut points = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        anyhow::ensure!(
            i < MAX_POINTS,
            "--points {}: more than {MAX_POINTS} points",
            path.display()
        );
        let rec = rec.with_context(|| format!("{}: line {line}", path.display()))?;
        let field = |k: usize, name: &str| -> anyhow::Result<f64> {
            rec.get(k)
                .with_context(|| format!("{}: line {line}: missing {name}", path.display()))?
                .parse::<f64>()
                .with_context(|| format!("{}: line {line}: {name} is not a number", path.display()))
        };
        let (lat, lon) = (field(0, "lat")?, field(1, "lon")?);
        anyhow::ensure!(
            (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon),
            "--points {}: line {line}: lat {lat}, lon {lon} is not a coordinate",
            path.display()
        );
        points.push(LatLon { lat, lon });
    }
    anyhow::ensure!(!points.is_empty(), "{}: no points", path.display());
    Ok(points)
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    // Checked before any file is read.
    let access = if opts.road_only {
        Access::RoadOnly
    } else {
        Access::door_to_door(opts.access_speed_mps).context("--access-speed-mps")?
    };
    let points = read_points(&opts.points)?;
    let head =
        std::fs::read(&opts.osm).with_context(|| format!("cannot read {}", opts.osm.display()))?;
    let engine = if head.starts_with(b"MILKROAD") {
        RoadEngine::from_bytes(&head)
            .with_context(|| format!("prepared graph {}", opts.osm.display()))?
    } else {
        let (graph, report) = import_pbf_file(&opts.osm, opts.profile.into())
            .with_context(|| format!("importing {}", opts.osm.display()))?;
        eprintln!(
            "imported {} nodes, {} edges for {}; dropped {} nodes and {} edges outside the largest strongly connected component",
            report.nodes_kept,
            report.edges_kept,
            graph.profile().name(),
            report.nodes_dropped(),
            report.edges_dropped()
        );
        eprintln!(
            "turn restrictions via node: {}\nturn restrictions via way: {}",
            report.via_node, report.via_way
        );
        RoadEngine::prepare(graph)
    };
    if let Some(path) = &opts.save_graph {
        engine.save(path)?;
    }
    let popts = PointOptions {
        max_snap_m: opts.max_snap_m,
        access,
        strict: opts.strict,
        departure_s: None,
    };
    let p = engine
        .matrix_with(&points, &points, &popts)
        .with_context(|| format!("points file {}", opts.points.display()))?;
    for (i, s) in p.from.iter().enumerate() {
        if s.snapped().is_none() {
            eprintln!(
                "point {i} (line {}): nearest road {:.0} m away, over --max-snap-m {:.0}: left out of the matrix (--strict makes this an error)",
                i + 2,
                s.snap_m(),
                opts.max_snap_m
            );
        }
    }
    let mut snap_m: Vec<f64> = p
        .from
        .iter()
        .filter_map(|s| s.snapped().map(|s| s.snap_m))
        .collect();
    snap_m.sort_by(f64::total_cmp);
    if let (Some(median), Some(max)) = (snap_m.get(snap_m.len() / 2), snap_m.last()) {
        eprintln!(
            "snap distances of {} points: median {median:.1} m, max {max:.1} m; {}",
            snap_m.len(),
            if opts.road_only {
                "road only (no access legs)".to_string()
            } else {
                format!("door to door, access legs at {} m/s", opts.access_speed_mps)
            }
        );
    }
    if let Some(path) = &opts.snaps {
        write_snaps(path, &p.from)?;
    }
    let far: Vec<bool> = p.from.iter().map(|s| s.snapped().is_none()).collect();
    write_matrix(&opts, &engine, &points, &p.matrix, &far, &popts)
}

/// Writes each point's snap as CSV.
fn write_snaps(path: &PathBuf, snaps: &[PointSnap]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(out, "point,on_road,snap_m,access_m")?;
    for (i, s) in snaps.iter().enumerate() {
        match s.snapped() {
            Some(s) => writeln!(out, "{i},true,{:.1},{:.1}", s.snap_m, s.node_m)?,
            None => writeln!(out, "{i},false,{:.1},", s.snap_m())?,
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes the CSV (rows of points too far from the roads left out) and the optional SVG.
fn write_matrix(
    opts: &Opts,
    engine: &RoadEngine,
    points: &[LatLon],
    matrix: &milkrun_engine::TravelMatrix,
    far: &[bool],
    popts: &PointOptions,
) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &opts.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    writeln!(out, "from,to,seconds,meters")?;
    for i in 0..matrix.rows() {
        for j in 0..matrix.cols() {
            if far.get(i).copied().unwrap_or(false) || far.get(j).copied().unwrap_or(false) {
                continue;
            }
            match (matrix.travel_ms(i, j), matrix.meters(i, j)) {
                (Some(ms), Some(m)) => {
                    // Tenths of a second: rounded up door to door, to the nearest road only.
                    let up = if matrix.is_door_to_door() { 99 } else { 50 };
                    let tenths = ms / 100 + u32::from(ms % 100 >= 100 - up);
                    writeln!(out, "{i},{j},{}.{},{m}", tenths / 10, tenths % 10)?
                }
                _ => writeln!(out, "{i},{j},,")?,
            }
        }
    }
    out.flush()?;
    if let Some(path) = &opts.svg {
        let mut routes = Vec::new();
        for j in 1..points.len() {
            if far.first().copied().unwrap_or(false) || far.get(j).copied().unwrap_or(false) {
                continue;
            }
            if let Some(route) = engine.route_with(points[0], points[j], popts)? {
                routes.push(route.polyline);
            }
        }
        std::fs::write(path, render_svg(engine.graph(), &routes))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
