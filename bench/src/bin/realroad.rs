//! `realroad`: the real-road benchmark set (issue #25): asymmetric e-trike delivery mornings
//! on the shipped OSM extracts, written in the extended VRPLIB PyVRP reads, and our solver on
//! them.
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin realroad -- generate --out /tmp/realroad \
//!     [--osm-dir datasets/data/osm] [--maps liechtenstein,baltimore] \
//!     [--sizes 200,500,1000,2000,3000] [--seeds 1,2] [--trip-capacity 100] [--hier-sizes 1000]
//! cargo run --release -p milkrun-bench --bin realroad -- solve --dir /tmp/realroad \
//!     [--instances rr-liechtenstein-n200-s1,...] [--seconds 30] [--objective dist|hier] \
//!     [--seed 1] [--iterations N] [--out results.csv]
//! ```
//!
//! **An instance** (`rr-MAP-nSIZE-sSEED.vrp`): the scenario generator's morning
//! ([`milkrun_datasets::scenario::generate`], `ScenarioSpec::new(seed, size, 1)` with one
//! neighbourhood centre more per 500 households) on the extract's bike (e-trike) roads;
//! `EDGE_WEIGHT_SECTION` is the road engine's door-to-door travel time in whole seconds
//! (access legs on foot at the default 1.3 m/s, [`PointOptions::default`]), asymmetric
//! (one-way streets), 0 on the diagonal; it is both distance and duration, as PyVRP and
//! `eval_explicit.py` read it. Times are seconds after the station opens (04:15): the
//! depot's window is the courier shift 04:15-09:00, every household its delivery window
//! and service time; `DEMAND` is the household's bottles.
//!
//! **Reloads.** An e-trike carries `--trip-capacity` bottles (default 100: about 150 kg of
//! glass bottles). A courier who reloads at the station makes several trips; here every
//! route is one trip (depot → households → depot) and `CAPACITY` is one load, so the
//! "vehicles" counted are trips. Chaining trips into couriers' shifts is not part of the
//! instance (PyVRP 0.14.1 could express it with `VEHICLES_RELOAD_DEPOT`, but neither
//! `eval_explicit.py` nor our checker judges reloads). `VEHICLES` is twice the trips the
//! bottles need, plus two.
//!
//! **Hierarchical variant** (`...-hier.vrp`, for `--hier-sizes`): the same instance with
//! `VEHICLES_FIXED_COST` of 100,000 per route, PyVRP's way of putting vehicles first; our
//! reader ignores that key, and `solve --objective hier` uses our hierarchical objective.
//!
//! `generate` prints every file's size and SHA-256, so a regeneration can be compared.
//! `solve` writes each solution as a CVRPLIB `.sol` beside the instance
//! (`NAME.milkrun-OBJ-SECONDSs-sSEED.sol`, judged by `eval_explicit.py` too), checks it with our
//! checker, and prints one CSV row per instance.
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use milkrun_datasets::scenario::{generate, Scenario, ScenarioSpec};
use milkrun_datasets::{checker, sol::write_sol, Instance};
use milkrun_engine::{LatLon, PointOptions, RoadEngine};
use milkrun_station::instance as convert;
use milkrun_station::road::{road_engine, road_points};
use milkrun_vrp::{Objective, SolverOptions};
use sha2::{Digest, Sha256};

/// Fixed cost per route in the hierarchical variant: above the total travel time of every
/// 1,000-household instance of the set (at most about 26,000 s), so one route less always
/// pays; not so large that PyVRP's penalties lose the scale of the travel times (10,000,000
/// gave it `PenaltyBoundWarning` and 40-70 % longer routes).
const HIER_FIXED_COST: i64 = 100_000;

/// Real-road benchmark set.
#[derive(Debug, Parser)]
#[command(name = "realroad")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Writes the instances.
    Generate {
        /// Folder for the `.vrp` files (created).
        #[arg(long)]
        out: PathBuf,
        /// Folder with the shipped `.osm.pbf` extracts.
        #[arg(long, default_value = "datasets/data/osm")]
        osm_dir: PathBuf,
        /// Extracts (file stems).
        #[arg(long, value_delimiter = ',', default_value = "liechtenstein,baltimore")]
        maps: Vec<String>,
        /// Households per instance.
        #[arg(long, value_delimiter = ',', default_value = "200,500,1000,2000,3000")]
        sizes: Vec<usize>,
        /// Scenario seeds.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        seeds: Vec<u64>,
        /// Bottles one e-trike load holds (the capacity of a route, one trip).
        #[arg(long, default_value_t = 100)]
        trip_capacity: i64,
        /// Sizes that also get a hierarchical variant (`-hier.vrp`).
        #[arg(long, value_delimiter = ',', default_value = "1000")]
        hier_sizes: Vec<usize>,
    },
    /// Solves the instances of a folder with our solver (one thread) and checks them.
    Solve {
        /// Folder of `.vrp` files.
        #[arg(long)]
        dir: PathBuf,
        /// Only these instances (file stems, comma-separated); default: every `.vrp` not
        /// ending in `-hier`.
        #[arg(long, value_delimiter = ',')]
        instances: Vec<String>,
        /// Time limit per instance, seconds (model building excluded).
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        /// `dist` (travel time only) or `hier` (routes first, then travel time).
        #[arg(long, default_value = "dist")]
        objective: String,
        /// Solver seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also stop after this many iterations: with a `--seconds` limit that is not
        /// reached, the run is deterministic for a seed, whatever the machine's load.
        #[arg(long)]
        iterations: Option<u64>,
        /// Appends the CSV rows to this file too.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Generate {
            out,
            osm_dir,
            maps,
            sizes,
            seeds,
            trip_capacity,
            hier_sizes,
        } => {
            anyhow::ensure!(
                (1..=milkrun_datasets::scenario::MAX_BOTTLES).contains(&trip_capacity),
                "--trip-capacity must be 1..={}, got {trip_capacity}",
                milkrun_datasets::scenario::MAX_BOTTLES
            );
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for map in &maps {
                let pbf = osm_dir.join(format!("{map}.osm.pbf"));
                let t = Instant::now();
                let engine = road_engine(&pbf).with_context(|| format!("{}", pbf.display()))?;
                let points = road_points(&engine);
                eprintln!(
                    "{map}: {} road points, imported in {:.1} s",
                    points.len(),
                    t.elapsed().as_secs_f64()
                );
                for &size in &sizes {
                    for &seed in &seeds {
                        let mut spec = ScenarioSpec::new(seed, size, 1);
                        spec.centres += size / 500;
                        let s = generate(&spec, &points)?;
                        let name = format!("rr-{map}-n{size}-s{seed}");
                        let t = Instant::now();
                        let matrix = door_to_door_seconds(&engine, &s)?;
                        let text = write_vrplib(&name, &s, &matrix, trip_capacity, None)?;
                        write_file(&out.join(format!("{name}.vrp")), &text)?;
                        println!(
                            "{name}.vrp {} bytes sha256 {} (matrix {:.1} s)",
                            text.len(),
                            sha256_hex(&text),
                            t.elapsed().as_secs_f64()
                        );
                        if hier_sizes.contains(&size) {
                            let text = write_vrplib(
                                &name,
                                &s,
                                &matrix,
                                trip_capacity,
                                Some(HIER_FIXED_COST),
                            )?;
                            write_file(&out.join(format!("{name}-hier.vrp")), &text)?;
                            println!(
                                "{name}-hier.vrp {} bytes sha256 {}",
                                text.len(),
                                sha256_hex(&text)
                            );
                        }
                    }
                }
            }
            Ok(())
        }
        Cmd::Solve {
            dir,
            instances,
            seconds,
            objective,
            seed,
            iterations,
            out,
        } => {
            let obj = match objective.as_str() {
                "dist" => Objective::Weighted,
                "hier" => Objective::Hierarchical,
                other => anyhow::bail!("--objective must be dist or hier, not {other:?}"),
            };
            anyhow::ensure!(
                seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0,
                "--seconds must be in (0, 86400], got {seconds}"
            );
            let files = instance_files(&dir, &instances)?;
            let mut csv = match &out {
                Some(p) => Some(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .with_context(|| format!("opening {}", p.display()))?,
                ),
                None => None,
            };
            println!("{CSV_HEADER}");
            for f in files {
                let row = solve_one(&f, obj, &objective, seconds, seed, iterations)?;
                println!("{row}");
                if let Some(c) = csv.as_mut() {
                    writeln!(c, "{row}")?;
                }
            }
            Ok(())
        }
    }
}

const CSV_HEADER: &str =
    "instance,solver,objective,seconds_limit,seed,customers,routes,distance,feasible,wall_s,iterations";

/// The `.vrp` files of `dir` named in `names` (all but `-hier` ones when empty), sorted.
fn instance_files(dir: &Path, names: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    if !names.is_empty() {
        return Ok(names.iter().map(|n| dir.join(format!("{n}.vrp"))).collect());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "vrp")
                && !p
                    .file_stem()
                    .is_some_and(|s| s.to_string_lossy().ends_with("-hier"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Solves one instance file, writes its `.sol`, and returns the CSV row.
fn solve_one(
    path: &Path,
    obj: Objective,
    obj_name: &str,
    seconds: f64,
    seed: u64,
    iterations: Option<u64>,
) -> anyhow::Result<String> {
    let inst: Instance = milkrun_datasets::load_instance(path)?;
    let problem = convert::to_problem(&inst, obj)?;
    let opts = SolverOptions {
        seed,
        time_limit: Some(Duration::from_secs_f64(seconds)),
        iteration_limit: iterations,
        threads: 1,
        ..Default::default()
    };
    let start = Instant::now();
    let (solution, stats) = milkrun_vrp::solve_with_stats(&problem, &opts);
    let wall = start.elapsed().as_secs_f64();
    let routes = convert::node_routes(&solution);
    let report = checker::check(&inst, &routes);
    let feasible = report.is_feasible() && solution.unassigned.is_empty();
    if let Some(v) = milkrun_bench::first_problem(&report, &solution, "households") {
        eprintln!("{}: {v}", inst.name);
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let used: Vec<Vec<usize>> = routes.into_iter().filter(|r| !r.is_empty()).collect();
    let sol = path.with_file_name(format!(
        "{stem}.milkrun-{obj_name}-{}s-s{seed}.sol",
        seconds.round() as u64
    ));
    write_file(&sol, &write_sol(&used, report.distance))?;
    Ok(format!(
        "{stem},milkrun,{obj_name},{seconds},{seed},{},{},{},{feasible},{wall:.2},{}",
        inst.len().saturating_sub(1),
        report.vehicles,
        report.distance,
        stats.iterations
    ))
}

/// The door-to-door travel seconds between the depot (0) and the households (1..), rounded
/// to whole seconds, 0 on the diagonal. A household the roads do not reach is an error.
fn door_to_door_seconds(engine: &RoadEngine, s: &Scenario) -> anyhow::Result<Vec<Vec<u64>>> {
    let mut points = vec![LatLon {
        lat: s.depot.lat,
        lon: s.depot.lon,
    }];
    points.extend(s.households.iter().map(|h| LatLon {
        lat: h.lat,
        lon: h.lon,
    }));
    let opts = PointOptions {
        strict: true,
        ..PointOptions::default()
    };
    let m = engine.matrix_with(&points, &points, &opts)?.matrix;
    let n = points.len();
    let mut out = vec![vec![0u64; n]; n];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            if i != j {
                let ms = m.travel_ms(i, j).with_context(|| {
                    format!("{}: no road from location {i} to location {j}", s.name)
                })?;
                *cell = (u64::from(ms) + 500) / 1000;
            }
        }
    }
    Ok(out)
}

/// The instance in extended VRPLIB (module docs).
fn write_vrplib(
    name: &str,
    s: &Scenario,
    matrix: &[Vec<u64>],
    trip_capacity: i64,
    fixed_cost: Option<i64>,
) -> anyhow::Result<String> {
    let open = s.depot.open_s;
    let n = matrix.len();
    let bottles: i64 = s.households.iter().map(|h| h.bottles()).sum();
    let largest = s.households.iter().map(|h| h.bottles()).max().unwrap_or(0);
    anyhow::ensure!(
        largest <= trip_capacity,
        "{name}: a household orders {largest} bottles, more than one load ({trip_capacity})"
    );
    let trips = usize::try_from((bottles + trip_capacity - 1) / trip_capacity)?;
    let mut t = String::new();
    writeln!(t, "NAME : {name}")?;
    writeln!(
        t,
        "COMMENT : milkrun realroad, door-to-door e-trike travel seconds on OpenStreetMap data (ODbL, (c) OpenStreetMap contributors); one route = one trip"
    )?;
    writeln!(t, "TYPE : VRPTW")?;
    writeln!(t, "DIMENSION : {n}")?;
    writeln!(t, "VEHICLES : {}", 2 * trips + 2)?;
    writeln!(t, "CAPACITY : {trip_capacity}")?;
    if let Some(c) = fixed_cost {
        writeln!(t, "VEHICLES_FIXED_COST : {c}")?;
    }
    writeln!(t, "EDGE_WEIGHT_TYPE : EXPLICIT")?;
    writeln!(t, "EDGE_WEIGHT_FORMAT : FULL_MATRIX")?;
    writeln!(t, "EDGE_WEIGHT_SECTION")?;
    for row in matrix {
        let mut first = true;
        for v in row {
            if !first {
                t.push(' ');
            }
            first = false;
            write!(t, "{v}")?;
        }
        t.push('\n');
    }
    writeln!(t, "DEMAND_SECTION")?;
    writeln!(t, "1 0")?;
    for (k, h) in s.households.iter().enumerate() {
        writeln!(t, "{} {}", k + 2, h.bottles())?;
    }
    writeln!(t, "SERVICE_TIME_SECTION")?;
    writeln!(t, "1 0")?;
    for (k, h) in s.households.iter().enumerate() {
        writeln!(t, "{} {}", k + 2, h.service_s)?;
    }
    writeln!(t, "TIME_WINDOW_SECTION")?;
    writeln!(t, "1 0 {}", s.depot.close_s - open)?;
    for (k, h) in s.households.iter().enumerate() {
        let (a, b) = h.window_s;
        writeln!(t, "{} {} {}", k + 2, (a - open).max(0), b - open)?;
    }
    writeln!(t, "DEPOT_SECTION")?;
    writeln!(t, "1")?;
    writeln!(t, "-1")?;
    writeln!(t, "EOF")?;
    Ok(t)
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
