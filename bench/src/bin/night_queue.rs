//! Nightly throughput of the scale-out batch (issue #23): station-days planned per minute by
//! 1, 2, … `milkrun worker` processes pulling from a real `nats-server` (JetStream) against
//! a real PostgreSQL.
//!
//! ```text
//! source scripts/postgres.sh && pg_start      # a throwaway PostgreSQL, MILKRUN_TEST_POSTGRES_URL
//! cargo build --release -p milkrun-service
//! cargo run --release -p milkrun-bench --bin night_queue -- \
//!     --pg "$MILKRUN_TEST_POSTGRES_URL" [--workers 1,2] [--stations 20] [--days 3] \
//!     [--households 60] [--couriers N] [--iterations 150] [--milkrun target/release/milkrun]
//! ```
//!
//! For each worker count: a fresh database with a group of `--stations` stations of
//! `--households` households each (`milkrun_sim::group`, on the Liechtenstein extract's bike
//! roads), `--days` days frozen; a fresh `nats-server -js` on a free port; the workers started
//! and waited for (roads prepared, consumer bound); then the clock starts, `milkrun
//! night-submit` publishes one job per station-day, and the clock stops when every job is
//! done. Prints station-days per minute and the median solve (delivery to ack) per job.
//! Like `serve_load`, it sees the system as its clients do (separate processes, the job
//! format as JSON) and never links `milkrun-service`.
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use milkrun_calendar::Date;
use milkrun_dairy::ids::TenantId;
use milkrun_dairy::store::Store;
use milkrun_sim::group::{seed_group, GroupSpec};
use sqlx::Connection;

#[derive(Debug, Parser)]
struct Args {
    /// A PostgreSQL server URL (a fresh database is created per run and dropped after).
    #[arg(long)]
    pg: String,
    /// Worker counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    workers: Vec<usize>,
    /// Stations of the group.
    #[arg(long, default_value_t = 20)]
    stations: u32,
    /// Days frozen (each a station-day per station).
    #[arg(long, default_value_t = 3)]
    days: u32,
    /// Households per station.
    #[arg(long, default_value_t = 60)]
    households: u32,
    /// Couriers per station (0: one per 20 households, plus one).
    #[arg(long, default_value_t = 0)]
    couriers: u32,
    /// Solver iterations of each plan (the demo's night uses 150, polish 60).
    #[arg(long, default_value_t = 150)]
    iterations: u64,
    /// The built binary.
    #[arg(long, default_value = "target/release/milkrun")]
    milkrun: PathBuf,
    /// The OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    osm: Option<PathBuf>,
}

/// A child process, killed on drop, its stdout lines collected.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> anyhow::Result<Proc> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .context("start a process")?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().context("stdout")?;
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        Ok(Proc { child, lines })
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn with_database(server: &str, db: &str) -> anyhow::Result<String> {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let host = base
        .split_once("://")
        .map(|(_, rest)| rest.split_once('/').map_or(rest, |(h, _)| h))
        .context("--pg is not a postgres:// URL")?;
    Ok(match query {
        Some(q) => format!("postgres://{host}/{db}?{q}"),
        None => format!("postgres://{host}/{db}"),
    })
}

/// The couriers per station: `--couriers`, or one per 20 households plus one.
fn couriers(args: &Args) -> u32 {
    if args.couriers > 0 {
        args.couriers
    } else {
        args.households / 20 + 1
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One run with `workers` workers; returns (station-days, seconds, median solve ms).
async fn run(
    args: &Args,
    points: &[(f64, f64)],
    osm: &Path,
    workers: usize,
) -> anyhow::Result<(usize, f64, f64)> {
    let db_name = format!("milkrun_bench_night_{}_{workers}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&args.pg).await?;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await?;
    sqlx::query(&format!("CREATE DATABASE \"{db_name}\""))
        .execute(&mut admin)
        .await?;
    let db = with_database(&args.pg, &db_name)?;
    let store = Store::open(&db).await?;
    let first = Date::parse_iso("2028-03-01")?;
    let stations = seed_group(
        &store,
        points,
        &GroupSpec {
            tenant: TenantId(1),
            stations: args.stations,
            households_per_station: args.households,
            couriers_per_station: couriers(args),
            first_date: first,
            days: args.days,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.close().await;
    let mut jobs = String::new();
    for st in &stations {
        for d in 0..args.days {
            let couriers: Vec<_> = st
                .couriers
                .iter()
                .map(|c| {
                    serde_json::json!({"id": c.id.0, "capacity": c.capacity,
                        "shift_start_s": c.shift_start_s, "shift_end_s": c.shift_end_s})
                })
                .collect();
            let job = serde_json::json!({
                "tenant": 1, "station": st.id.0,
                "date": first.add_days(d as i32).to_string(),
                "depot": {"lat": st.depot.lat, "lon": st.depot.lon},
                "couriers": couriers, "service_s": 60, "max_snap_m": 300.0, "stable": false,
                "limits": {"time_limit_ms": 300_000, "seed": d,
                           "solver_iterations": args.iterations, "polish_iterations": 60}
            });
            jobs.push_str(&job.to_string());
            jobs.push('\n');
        }
    }
    let total = stations.len() * args.days as usize;
    let jobs_file = std::env::temp_dir().join(format!("{db_name}.jsonl"));
    std::fs::write(&jobs_file, jobs)?;

    let store_dir = std::env::temp_dir().join(format!("{db_name}-nats"));
    let _ = std::fs::remove_dir_all(&store_dir);
    let port = free_port()?;
    let nats = Proc::spawn(
        Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&store_dir)
            .stderr(Stdio::null()),
    )?;
    let url = format!("nats://127.0.0.1:{port}");
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(30) {
            bail!("nats-server did not listen");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let procs: Vec<Proc> = (0..workers)
        .map(|_| {
            Proc::spawn(
                Command::new(&args.milkrun)
                    .args(["worker", "--nats", &url, "--db", &db, "--osm"])
                    .arg(osm)
                    .stderr(Stdio::inherit()),
            )
        })
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    while !procs
        .iter()
        .all(|p| p.lines().iter().any(|l| l.starts_with("ready:")))
    {
        if t.elapsed() > Duration::from_secs(300) {
            bail!("workers not ready");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let t0 = Instant::now();
    let status = Command::new(&args.milkrun)
        .args(["night-submit", "--nats", &url, "--jobs"])
        .arg(&jobs_file)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("night-submit failed");
    }
    let done = |procs: &[Proc]| -> Vec<String> {
        procs
            .iter()
            .flat_map(Proc::lines)
            .filter(|l| l.starts_with("done "))
            .collect()
    };
    loop {
        let d = done(&procs);
        let ids: BTreeSet<&str> = d.iter().filter_map(|l| l.split(' ').nth(1)).collect();
        if ids.len() >= total {
            break;
        }
        if t0.elapsed() > Duration::from_secs(3600) {
            bail!("not done within an hour");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = t0.elapsed().as_secs_f64();
    let solve_ms = median(
        done(&procs)
            .iter()
            .filter_map(|l| l.rsplit(' ').nth(1)?.parse::<f64>().ok())
            .collect(),
    );
    drop(procs);
    drop(nats);
    let _ = std::fs::remove_dir_all(&store_dir);
    let _ = std::fs::remove_file(&jobs_file);
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await?;
    Ok((total, secs, solve_ms))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let osm = args.osm.clone().unwrap_or_else(|| {
        milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf")
    });
    let roads = milkrun_station::road::road_engine(&osm)?;
    let points = milkrun_station::road::road_points(&roads);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "night queue: {} stations x {} days, {} households and {} couriers each, {} iterations",
        args.stations,
        args.days,
        args.households,
        couriers(&args),
        args.iterations
    );
    println!("| workers | station-days | seconds | station-days/min | median solve ms |");
    println!("|---|---|---|---|---|");
    for &w in &args.workers {
        let (n, secs, solve_ms) = rt.block_on(run(&args, &points, &osm, w))?;
        println!(
            "| {w} | {n} | {secs:.1} | {:.1} | {solve_ms:.0} |",
            n as f64 * 60.0 / secs
        );
    }
    Ok(())
}
