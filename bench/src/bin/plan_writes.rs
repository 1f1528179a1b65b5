//! Plan writes into one PostgreSQL (issue #23, the capacity plan's store side): `N`
//! concurrent writers, each with its own store (its own connection pool, as `N` `milkrun
//! worker` processes have), storing station-day night plans through the store's own
//! `Store::plan_night` (read the day's orders, households and previous plan; one transaction
//! with the plan row, its stops and one outbox message per order). The routing is a
//! stand-in that costs nothing (each stop to the courier with the fewest, arrivals 10 min
//! apart), so the figure is the store's: rows written per second, whatever the solver.
//!
//! ```text
//! source scripts/postgres.sh && pg_start      # a throwaway PostgreSQL, MILKRUN_TEST_POSTGRES_URL
//! cargo run --release -p milkrun-bench --bin plan_writes -- \
//!     --pg "$MILKRUN_TEST_POSTGRES_URL" [--writers 1,2,4,8] [--stations 40] \
//!     [--households 500] [--days 2]
//! ```
//!
//! For each writer count: a fresh database with a group of `--stations` stations of
//! `--households` households each (`milkrun_sim::group`, every household a daily order),
//! `--days` days frozen (not timed); then the clock starts, the writers take station-days
//! from one shared list until it is empty, and the clock stops. Prints plans/s, rows/s and
//! the median plan's wall time.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use milkrun_calendar::Date;
use milkrun_dairy::engine::{
    AppliedEvents, DayEvent, DayId, DayView, Engine, ForecastDay, ForecastRequest, OpenDay,
    PlanAnswer, PlanLimits, PlanRequest, PlannedRoute, PlannedVisit, TravelMatrix,
};
use milkrun_dairy::household::GeoPoint;
use milkrun_dairy::ids::TenantId;
use milkrun_dairy::store::night::NightSettings;
use milkrun_dairy::store::Store;
use milkrun_sim::group::{seed_group, GroupSpec, GroupStation};
use sqlx::Connection;

#[derive(Debug, Parser)]
struct Args {
    /// A PostgreSQL server URL (a fresh database is created per run and dropped after).
    #[arg(long)]
    pg: String,
    /// Writer counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    writers: Vec<usize>,
    /// Stations of the group.
    #[arg(long, default_value_t = 40)]
    stations: u32,
    /// Households (daily orders) per station.
    #[arg(long, default_value_t = 500)]
    households: u32,
    /// Days frozen (each a station-day per station).
    #[arg(long, default_value_t = 2)]
    days: u32,
}

/// The stand-in routing: no roads, no search.
struct Free;

fn refused() -> std::io::Error {
    std::io::Error::other("the plan-writes bench only plans nights")
}

impl Engine for Free {
    type Error = std::io::Error;

    async fn snap(&self, points: &[GeoPoint], _max: f64) -> Result<Vec<f64>, Self::Error> {
        Ok(vec![0.0; points.len()])
    }

    async fn matrix(&self, _points: &[GeoPoint], _max: f64) -> Result<TravelMatrix, Self::Error> {
        Err(refused())
    }

    async fn plan(&self, req: &PlanRequest) -> Result<PlanAnswer, Self::Error> {
        let mut routes: Vec<PlannedRoute> = req
            .couriers
            .iter()
            .map(|c| PlannedRoute {
                courier: c.id,
                visits: Vec::new(),
                dist_m: 0,
                travel_s: 0,
            })
            .collect();
        let n = routes.len().max(1);
        for (i, _) in req.stops.iter().enumerate() {
            let Some(route) = routes.get_mut(i % n) else {
                break;
            };
            let arrival_s = 5 * 3600 + 600 * route.visits.len() as i64;
            route.visits.push(PlannedVisit {
                stop: i as u32,
                arrival_s,
            });
            route.dist_m += 1000;
            route.travel_s += 240;
        }
        Ok(PlanAnswer {
            routes,
            unserved: Vec::new(),
        })
    }

    async fn open_day(&self, _day: &OpenDay) -> Result<(DayId, DayView), Self::Error> {
        Err(refused())
    }

    async fn apply_events(
        &self,
        _id: &DayId,
        _day: &OpenDay,
        _events: &[DayEvent],
    ) -> Result<AppliedEvents, Self::Error> {
        Err(refused())
    }

    async fn get_day(&self, _id: &DayId, _day: &OpenDay) -> Result<DayView, Self::Error> {
        Err(refused())
    }

    async fn forecast_demand(
        &self,
        _req: &ForecastRequest,
    ) -> Result<Vec<ForecastDay>, Self::Error> {
        Err(refused())
    }

    async fn close_day(&self, _id: &DayId, _day: &OpenDay) -> Result<DayView, Self::Error> {
        Err(refused())
    }
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

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Household points spread over a 0.1° square (the stand-in never snaps them).
fn points(n: usize) -> Vec<(f64, f64)> {
    let side = (n as f64).sqrt().ceil() as usize;
    (0..n)
        .map(|i| {
            (
                47.10 + 0.1 * (i / side) as f64 / side as f64,
                9.50 + 0.1 * (i % side) as f64 / side as f64,
            )
        })
        .collect()
}

/// What one run wrote.
struct Written {
    plans: usize,
    rows: u64,
    secs: f64,
    median_ms: f64,
}

async fn run(args: &Args, writers: usize) -> anyhow::Result<Written> {
    let db_name = format!("milkrun_bench_writes_{}_{writers}", std::process::id());
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
    let first = Date::parse_iso("2028-03-01")?;
    let result = async {
        let store = Store::open(&db).await?;
        let spec = GroupSpec {
            tenant: TenantId(1),
            stations: args.stations,
            households_per_station: args.households,
            couriers_per_station: args.households / 20 + 1,
            first_date: first,
            days: args.days,
        };
        let road = points(args.stations as usize * (args.households as usize + 1));
        let seeded = Instant::now();
        let stations = seed_group(&store, &road, &spec)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "  seeded {} stations x {} households, {} days in {:.1} s (not timed)",
            args.stations,
            args.households,
            args.days,
            seeded.elapsed().as_secs_f64()
        );
        store.close().await;
        let work: VecDeque<(GroupStation, Date)> = stations
            .iter()
            .flat_map(|s| (0..args.days).map(move |d| (s.clone(), first.add_days(d as i32))))
            .collect();
        let work = Arc::new(Mutex::new(work));
        let mut stores = Vec::new();
        for _ in 0..writers {
            stores.push(Store::open(&db).await?);
        }
        let started = Instant::now();
        let mut tasks = Vec::new();
        for store in stores {
            let work = Arc::clone(&work);
            tasks.push(tokio::spawn(async move {
                let mut done: Vec<(u64, f64)> = Vec::new();
                loop {
                    let next = work.lock().ok().and_then(|mut w| w.pop_front());
                    let Some((station, date)) = next else {
                        break;
                    };
                    let settings = NightSettings {
                        depot: station.depot,
                        couriers: station.couriers.clone(),
                        service_s: 60,
                        max_snap_m: 300.0,
                        stability: None,
                        limits: PlanLimits {
                            time_limit_ms: 60_000,
                            seed: 1,
                            solver_iterations: 1,
                            polish_iterations: 0,
                        },
                    };
                    let t = Instant::now();
                    let report = store
                        .plan_night(&Free, TenantId(1), station.id, date, &settings)
                        .await
                        .map_err(|e| anyhow::anyhow!("station {} {date}: {e}", station.id.0))?;
                    anyhow::ensure!(report.planned_now, "a plan was stored already");
                    let rows = 1 + report.plan.stops.len() as u64 + report.messages;
                    done.push((rows, t.elapsed().as_secs_f64() * 1000.0));
                }
                store.close().await;
                anyhow::Ok(done)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        let secs = started.elapsed().as_secs_f64();
        anyhow::Ok(Written {
            plans: all.len(),
            rows: all.iter().map(|d| d.0).sum(),
            secs,
            median_ms: median(all.iter().map(|d| d.1).collect()),
        })
    }
    .await;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await?;
    result
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "plan writes: {} stations x {} households x {} days into one PostgreSQL",
        args.stations, args.households, args.days
    );
    for &w in &args.writers {
        anyhow::ensure!((1..=64).contains(&w), "--writers: {w} is not 1..=64");
        let out = rt.block_on(run(&args, w))?;
        println!(
            "writers {w}: {} plans, {} rows in {:.2} s: {:.1} plans/s, {:.0} rows/s, median plan {:.0} ms",
            out.plans,
            out.rows,
            out.secs,
            out.plans as f64 / out.secs,
            out.rows as f64 / out.secs,
            out.median_ms
        );
    }
    Ok(())
}
