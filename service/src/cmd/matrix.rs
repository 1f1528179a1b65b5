//! `milkrun matrix`: travel-time and distance matrix between points on an OSM extract.
//!
//! ```text
//! milkrun matrix --osm FILE.osm.pbf --points POINTS.csv [--profile car|bike|foot] [--out FILE]
//!                [--max-snap-m 500] [--strict] [--svg FILE]
//! ```
//! Points: one `lat,lon` per line after a header. Output CSV `from,to,seconds,meters` (point
//! indices from 0; unreachable pairs have empty `seconds` and `meters`). A point farther than
//! `--max-snap-m` from its road is left out (its rows are absent, stderr says how far it is),
//! unless `--strict`, which fails the command. `--osm` also accepts a
//! prepared graph file written by `--save-graph`.
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use milkrun_engine::{import_pbf_file, render_svg, LatLon, Profile, RoadEngine};

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
    let matrix = if opts.strict {
        engine
            .matrix(&points, &points, opts.max_snap_m)
            .with_context(|| format!("points file {}", opts.points.display()))?
    } else {
        let p = engine
            .matrix_partial(&points, &points, opts.max_snap_m)
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
        let far: Vec<bool> = p.from.iter().map(|s| s.snapped().is_none()).collect();
        let m = p.matrix;
        return write_matrix(&opts, &engine, &points, &m, &far);
    };
    let far = vec![false; points.len()];
    write_matrix(&opts, &engine, &points, &matrix, &far)
}

/// Writes the CSV (rows of points too far from the roads left out) and the optional SVG.
fn write_matrix(
    opts: &Opts,
    engine: &RoadEngine,
    points: &[LatLon],
    matrix: &milkrun_engine::TravelMatrix,
    far: &[bool],
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
                (Some(ms), Some(m)) => writeln!(out, "{i},{j},{:.1},{m}", f64::from(ms) / 1000.0)?,
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
            if let Some(route) = engine.route(points[0], points[j], opts.max_snap_m)? {
                routes.push(route.polyline);
            }
        }
        std::fs::write(path, render_svg(engine.graph(), &routes))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
