//! `stability`: what a stable nightly plan costs against an unconstrained one (issue #21,
//! "Night" 3).
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin stability -- [--households 600] [--days 7]
//!     [--seed 1] [--solver-iterations 3000] [--polish-iterations 600] [--osm FILE]
//! ```
//! A simulated week on the Liechtenstein extract (bike profile): households on road nodes
//! around Vaduz, one station, couriers of 150 bottles. Every day the calendar changes: about
//! 5 % of the subscribers skip the day, 2 % start a pause of 1-5 days, 1.5 % new households
//! join, quantities are 1-3 bottles. Each day is planned twice through the dairy layer's
//! in-process engine ([`milkrun_station::night::plan_on_matrix`], the code `Routes.PlanDay`
//! runs): **unconstrained** (from scratch, the VRP solver then the polish) and **stable**
//! (yesterday's stable plan as the start, new households inserted, then the search under the
//! default [`Stability`] weights: a courier change costs 5 minutes of riding, an arrival
//! moves ±15 minutes for free). Each is compared with its own plan of the day before, over
//! the households served on both days: the share that changed courier, the share whose
//! arrival moved by more than 15 minutes, and the km of the day. Prints one row per day and
//! the medians over days 2..N. Deterministic for a seed (work limits, not time, stop every
//! search); the plan times are wall clock.
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use milkrun_dairy::engine::{
    PlanAnswer, PlanCourier, PlanLimits, PlanRequest, PlanStop, Previous, Stability,
};
use milkrun_dairy::household::{DeliveryWindow, GeoPoint};
use milkrun_dairy::ids::{CourierId, HouseholdId};
use milkrun_dispatch::TravelTimes;
use milkrun_engine::LatLon;
use milkrun_station::night::plan_on_matrix;
use milkrun_station::road::{road_engine, road_points, RoadLocations};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// Stability benchmark.
#[derive(Debug, Parser)]
#[command(name = "stability")]
struct Cli {
    /// OSM extract (default: the shipped Liechtenstein extract).
    #[arg(long)]
    osm: Option<PathBuf>,
    /// Households subscribed on day 1 (another 10 % may join during the week).
    #[arg(long, default_value_t = 600)]
    households: usize,
    /// Days simulated.
    #[arg(long, default_value_t = 7)]
    days: usize,
    /// Seed of the calendar and of every search.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// VRP solver iterations of an unconstrained plan.
    #[arg(long, default_value_t = 3000)]
    solver_iterations: u64,
    /// Ruin-and-recreate iterations of the polish (both plans).
    #[arg(long, default_value_t = 600)]
    polish_iterations: u64,
}

/// One household of the simulation.
#[derive(Debug, Clone)]
struct Home {
    /// Row of the full matrix (0 is the station).
    loc: usize,
    window: DeliveryWindow,
    quantity: u32,
    /// Subscribed from this day on.
    from_day: usize,
    /// Paused until this day (exclusive).
    paused_until: usize,
}

/// What a plan did against the same kind of plan the day before.
#[derive(Debug, Clone, Copy, Default)]
struct DayFigures {
    km: f64,
    changed_courier: f64,
    moved_15: f64,
    seconds: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Each household's (courier, arrival) in a plan.
fn assignment(req: &PlanRequest, a: &PlanAnswer) -> HashMap<HouseholdId, Previous> {
    let mut out = HashMap::new();
    for r in &a.routes {
        for v in &r.visits {
            out.insert(
                req.stops[v.stop as usize].household,
                Previous {
                    courier: r.courier,
                    arrival_s: v.arrival_s,
                },
            );
        }
    }
    out
}

/// Shares of the households planned on both days that changed courier and whose arrival
/// moved more than 15 minutes.
fn changes(
    before: &HashMap<HouseholdId, Previous>,
    after: &HashMap<HouseholdId, Previous>,
) -> (f64, f64) {
    let (mut both, mut courier, mut moved) = (0usize, 0usize, 0usize);
    for (h, a) in after {
        if let Some(b) = before.get(h) {
            both += 1;
            courier += usize::from(a.courier != b.courier);
            moved += usize::from((a.arrival_s - b.arrival_s).abs() > 900);
        }
    }
    let d = both.max(1) as f64;
    (courier as f64 / d, moved as f64 / d)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let osm = cli.osm.clone().unwrap_or_else(|| {
        milkrun_datasets::data_dir()
            .join("osm")
            .join("liechtenstein.osm.pbf")
    });
    let roads = road_engine(&osm).with_context(|| format!("importing {}", osm.display()))?;
    let centre = (47.14, 9.52);
    let mut near: Vec<(f64, f64)> = road_points(&roads)
        .into_iter()
        .filter(|&(lat, lon)| (lat - centre.0).abs() < 0.03 && (lon - centre.1).abs() < 0.03)
        .collect();
    let mut rng = Pcg64::seed_from_u64(cli.seed);
    near.shuffle(&mut rng);
    let total = cli.households + cli.households / 10;
    anyhow::ensure!(
        near.len() > total,
        "only {} road points near the centre for {total} households",
        near.len()
    );
    let depot = GeoPoint::new(centre.0, centre.1)?;
    let mut points = vec![LatLon {
        lat: centre.0,
        lon: centre.1,
    }];
    points.extend(near[..total].iter().map(|&(lat, lon)| LatLon { lat, lon }));
    let t0 = Instant::now();
    let locs = RoadLocations::snap(&roads, &points, 500.0)?;
    let full = locs.matrix(&roads)?;
    eprintln!(
        "matrix of {} locations in {:.1} s",
        points.len(),
        t0.elapsed().as_secs_f64()
    );
    let days = cli.days.max(2);
    let mut homes: Vec<Home> = (0..total)
        .map(|i| {
            let start = 5 * 3600 + 1800 * rng.random_range(0..3i64);
            Home {
                loc: i + 1,
                window: DeliveryWindow {
                    start_s: start,
                    end_s: start + 2 * 3600 + 1800 * rng.random_range(0..3i64),
                },
                quantity: rng.random_range(1..=3),
                from_day: if i < cli.households {
                    0
                } else {
                    rng.random_range(1..days)
                },
                paused_until: 0,
            }
        })
        .collect();
    let couriers: Vec<PlanCourier> = (0..(total * 2).div_ceil(150) as i64 + 1)
        .map(|k| PlanCourier {
            id: CourierId(k + 1),
            capacity: 150,
            shift_start_s: 4 * 3600 + 1800,
            shift_end_s: 10 * 3600,
        })
        .collect();
    let limits = PlanLimits {
        time_limit_ms: 600_000,
        seed: cli.seed,
        solver_iterations: cli.solver_iterations,
        polish_iterations: cli.polish_iterations,
    };
    println!(
        "stability: {} households (+{} joining), {} couriers of 150 bottles, {days} days, seed {}",
        cli.households,
        total - cli.households,
        couriers.len(),
        cli.seed
    );
    println!(
        "{:>3} {:>6} | {:>8} {:>9} {:>8} {:>7} | {:>8} {:>9} {:>8} {:>7}",
        "day",
        "stops",
        "free km",
        "courier%",
        ">15min%",
        "s",
        "stab km",
        "courier%",
        ">15min%",
        "s"
    );
    let (mut free_prev, mut stable_prev) = (HashMap::new(), HashMap::new());
    let mut rows: Vec<(DayFigures, DayFigures)> = Vec::new();
    for day in 0..days {
        // The day's calendar changes.
        for h in homes.iter_mut() {
            if day > 0 && h.from_day < day && h.paused_until <= day && rng.random_bool(0.02) {
                h.paused_until = day + rng.random_range(1..=5);
            }
        }
        let active: Vec<&Home> = homes
            .iter()
            .filter(|h| h.from_day <= day && h.paused_until <= day)
            .filter(|_| day == 0 || !rng.random_bool(0.05))
            .collect();
        let rows_of: Vec<usize> = std::iter::once(0)
            .chain(active.iter().map(|h| h.loc))
            .collect();
        let times = TravelTimes::from_fn(rows_of.len(), |i, j| {
            let (a, b) = (rows_of[i] as u32, rows_of[j] as u32);
            (full.travel(a, b), full.dist(a, b))
        });
        let stops = |previous: &HashMap<HouseholdId, Previous>| -> Vec<PlanStop> {
            active
                .iter()
                .map(|h| {
                    let id = HouseholdId(h.loc as i64);
                    PlanStop {
                        household: id,
                        point: depot,
                        window: h.window,
                        quantity: h.quantity,
                        service_s: 40,
                        previous: previous.get(&id).copied(),
                    }
                })
                .collect()
        };
        let base = PlanRequest {
            depot,
            stops: stops(&HashMap::new()),
            couriers: couriers.clone(),
            max_snap_m: 500.0,
            stability: None,
            limits,
        };
        let t = Instant::now();
        let free = plan_on_matrix(times.clone(), &base)?;
        let free_s = t.elapsed().as_secs_f64();
        let stable_req = PlanRequest {
            stops: stops(&stable_prev),
            stability: Some(Stability::default()),
            ..base.clone()
        };
        let t = Instant::now();
        let stable = plan_on_matrix(times, &stable_req)?;
        let stable_s = t.elapsed().as_secs_f64();
        let free_now = assignment(&base, &free);
        let stable_now = assignment(&stable_req, &stable);
        let (fc, fm) = changes(&free_prev, &free_now);
        let (sc, sm) = changes(&stable_prev, &stable_now);
        let f = DayFigures {
            km: free.dist_m() as f64 / 1000.0,
            changed_courier: fc,
            moved_15: fm,
            seconds: free_s,
        };
        let s = DayFigures {
            km: stable.dist_m() as f64 / 1000.0,
            changed_courier: sc,
            moved_15: sm,
            seconds: stable_s,
        };
        println!(
            "{:>3} {:>6} | {:>8.1} {:>9.1} {:>8.1} {:>7.1} | {:>8.1} {:>9.1} {:>8.1} {:>7.1}   unserved {} / {}",
            day + 1,
            active.len(),
            f.km,
            100.0 * f.changed_courier,
            100.0 * f.moved_15,
            f.seconds,
            s.km,
            100.0 * s.changed_courier,
            100.0 * s.moved_15,
            s.seconds,
            free.unserved.len(),
            stable.unserved.len()
        );
        if day > 0 {
            rows.push((f, s));
        }
        free_prev = free_now;
        stable_prev = stable_now;
    }
    let med = |g: &dyn Fn(&(DayFigures, DayFigures)) -> f64| median(rows.iter().map(g).collect());
    let (fk, sk) = (med(&|r| r.0.km), med(&|r| r.1.km));
    println!(
        "median days 2-{days}: unconstrained {fk:.1} km, {:.1} % changed courier, {:.1} % moved > 15 min; \
         stable {sk:.1} km ({:+.1} %), {:.1} % changed courier, {:.1} % moved > 15 min",
        100.0 * med(&|r| r.0.changed_courier),
        100.0 * med(&|r| r.0.moved_15),
        100.0 * (sk - fk) / fk,
        100.0 * med(&|r| r.1.changed_courier),
        100.0 * med(&|r| r.1.moved_15),
    );
    Ok(())
}
