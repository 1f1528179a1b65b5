//! Ordering benchmark (issue #6), release build:
//!
//! `cargo run --release -p milkrun-bench --bin ordering [-- --data DIR] [--demand-model]`
//!
//! `--demand-model` adds a fourth policy: ours driven by the demand module's automatic model
//! choice (refitted every day on the history so far; slow). `--plan-only` runs (b) alone.
//!
//! (a) Replays held-out history day by day with three policies — ours (perishable newsvendor on
//! a same-weekday empirical forecast distribution), order up to last week's same-day sales, order
//! up to the mean forecast — on the Chicago daily ridership (each station's boardings = daily
//! demand of a product with a 2-day shelf life, last 12 weeks held out) and on the bike set
//! aggregated to product × week (last 8 weeks held out, 2-week shelf life). Unit economics of
//! fresh milk: price 1.00, unit cost 0.65, no salvage: overage 0.65 per unit wasted, underage
//! 0.35 (lost margin) per unit short.
//! (b) Times a 500-product, 3-constraint order plan (LP with piecewise-linear profit curves).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use milkrun_forecast::demand::{Date, ForecastConfig, Frequency};
use milkrun_forecast::ordering::{
    plan, plan_with_levels, simulate, Costs, Demand, DemandModelForecaster, LastSeasonPolicy,
    LifetimeCurve, Limit, MeanForecastPolicy, MonteCarlo, NewsvendorPolicy, OrderPolicy, PackRule,
    PlanProduct, SeasonalEmpirical, SimParams, SimReport,
};

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
fn day_number(s: &str) -> anyhow::Result<i64> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 {
        bail!("bad date {s:?}");
    }
    let (y, m, d): (i64, i64, i64) = (parts[0].parse()?, parts[1].parse()?, parts[2].parse()?);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

/// Totals of one policy over many series.
#[derive(Default)]
struct Totals {
    demand: f64,
    sold: f64,
    received: f64,
    wasted: f64,
    short: f64,
    stockout_days: usize,
    days: usize,
    cost: f64,
}

impl Totals {
    fn add(&mut self, r: &SimReport) {
        self.demand += r.demand;
        self.sold += r.sold;
        self.received += r.received;
        self.wasted += r.wasted;
        self.short += r.short;
        self.stockout_days += r.stockout_days;
        self.days += r.days;
        self.cost += r.total_cost;
    }
    fn print(&self, name: &str) {
        println!(
            "  {name:<28} cost {:>12.1}  waste {:>6.2}%  fill {:>7.3}%  stock-out days {:>4}/{}",
            self.cost,
            100.0 * self.wasted / self.received.max(1e-9),
            100.0 * self.sold / self.demand.max(1e-9),
            self.stockout_days,
            self.days
        );
    }
}

fn run_set(
    title: &str,
    series: &[(String, Vec<f64>)],
    holdout: usize,
    params: &SimParams,
    forecaster: SeasonalEmpirical,
    season: usize,
    model: Option<&DemandModelForecaster>,
) -> anyhow::Result<()> {
    println!("{title}");
    let names = [
        "ours (newsvendor)",
        "last season same day",
        "mean forecast",
        "ours + demand auto model",
    ];
    let mut totals: Vec<Totals> = (0..4).map(|_| Totals::default()).collect();
    let mut model_secs = 0.0;
    let t0 = Instant::now();
    for (_, y) in series {
        let start = y.len() - holdout;
        let mut ours = NewsvendorPolicy::new(
            names[0],
            |h: &[f64], n| forecaster.forecast(h, n),
            PackRule::units(),
            MonteCarlo::default(),
        );
        let mut last = LastSeasonPolicy { season };
        let mut mean = MeanForecastPolicy::new(names[2], |h: &[f64], n| forecaster.forecast(h, n));
        let policies: [&mut dyn OrderPolicy; 3] = [&mut ours, &mut last, &mut mean];
        for (k, p) in policies.into_iter().enumerate() {
            totals[k].add(&simulate(y, start, params, p)?);
        }
        if let Some(m) = model {
            let t = Instant::now();
            let mut with_model = NewsvendorPolicy::new(
                names[3],
                |h: &[f64], n| m.forecast(h, n),
                PackRule::units(),
                MonteCarlo::default(),
            );
            totals[3].add(&simulate(y, start, params, &mut with_model)?);
            model_secs += t.elapsed().as_secs_f64();
        }
    }
    for (k, t) in totals.iter().enumerate() {
        if k < 3 || model.is_some() {
            t.print(names[k]);
        }
    }
    if model.is_some() {
        println!("  (demand-model policy: {model_secs:.1} s)");
    }
    println!(
        "  ({} series, {} held-out periods each, {:.2} s)",
        series.len(),
        holdout,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn chicago(dir: &Path, costs: Costs, with_model: bool) -> anyhow::Result<()> {
    // The 20 station series of the shared reader, thousands of boardings -> boardings.
    let stations = milkrun_bench::chicago::chicago_series(dir)?;
    let start_date = stations.first().map(|s| s.start());
    let series: Vec<(String, Vec<f64>)> = stations
        .iter()
        .map(|s| {
            let boardings = s.values().iter().map(|v| v * 1000.0).collect();
            (s.id().to_string(), boardings)
        })
        .collect();
    let params = SimParams {
        lead_time_days: 1,
        review_days: 1,
        shelf_life_days: 2,
        costs,
        warmup_days: 14,
    };
    run_set(
        "(a) Chicago daily, 20 stations, last 84 days held out, shelf life 2 days, lead 1 day",
        &series,
        84,
        &params,
        SeasonalEmpirical {
            season: 7,
            cycles: 8,
            points: 19,
        },
        7,
        model(with_model, start_date, Frequency::Daily, 364)?.as_ref(),
    )
}

/// The demand module's automatic model as a forecaster, when asked for.
fn model(
    on: bool,
    start: Option<Date>,
    freq: Frequency,
    max_history: usize,
) -> anyhow::Result<Option<DemandModelForecaster>> {
    if !on {
        return Ok(None);
    }
    let levels = vec![
        0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98,
    ];
    let mut config = ForecastConfig::new(1, levels);
    config.max_history = Some(max_history);
    Ok(Some(DemandModelForecaster {
        start: start.context("no start date")?,
        freq,
        config,
    }))
}

fn bike(dir: &Path, costs: Costs, with_model: bool) -> anyhow::Result<()> {
    let path = dir.join("bike_sales_sample.csv");
    let mut rdr = csv::Reader::from_path(&path).with_context(|| format!("{}", path.display()))?;
    let h = rdr.headers()?.clone();
    let col = |n: &str| h.iter().position(|x| x == n).context(n.to_string());
    let (c_date, c_qty, c_model) = (col("order_date")?, col("quantity")?, col("model")?);
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        rows.push((
            day_number(&rec[c_date])?,
            rec[c_qty].parse::<f64>()?,
            rec[c_model].to_string(),
        ));
    }
    let d0 = rows.iter().map(|r| r.0).min().context("empty bike data")?;
    // Weeks starting on the Monday on or before the first date (1970-01-01 was a Thursday).
    let monday0 = d0 - (d0 + 3).rem_euclid(7);
    let weeks = rows
        .iter()
        .map(|r| ((r.0 - monday0) / 7) as usize)
        .max()
        .unwrap_or(0)
        + 1;
    let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (d, q, m) in rows {
        by.entry(m).or_insert_with(|| vec![0.0; weeks])[((d - monday0) / 7) as usize] += q;
    }
    let series: Vec<(String, Vec<f64>)> = by.into_iter().collect();
    let params = SimParams {
        lead_time_days: 1,
        review_days: 1,
        shelf_life_days: 2,
        costs,
        warmup_days: 2,
    };
    run_set(
        &format!(
            "(a) bike weekly, {} products x {weeks} weeks, last 8 held out, shelf life 2 weeks, lead 1 week",
            series.len()
        ),
        &series,
        8,
        &params,
        SeasonalEmpirical {
            season: 1,
            cycles: 8,
            points: 19,
        },
        1,
        model(
            with_model,
            Date::from_ymd(1970, 1, 1).map(|d| d.add_days(monday0 as i32)),
            Frequency::Weekly,
            52,
        )?
        .as_ref(),
    )
}

/// 500 products, 3 shared limits at 60-80 % of the unconstrained use.
fn plan_timing() -> anyhow::Result<()> {
    let mut x: u64 = 42;
    let mut u = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 500;
    let mut products = Vec::with_capacity(n);
    let mut usage = [
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    ];
    for i in 0..n {
        let mean = 20.0 + 180.0 * u();
        let cv = 0.1 + 0.3 * u();
        let unit_cost = 0.3 + 2.0 * u();
        let price = unit_cost * (1.2 + 0.6 * u());
        let demand = if i % 2 == 0 {
            Demand::normal(mean, cv * mean)?
        } else {
            let levels = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];
            let z = [-1.645, -1.2816, -0.6745, 0.0, 0.6745, 1.2816, 1.645];
            let v: Vec<f64> = z.iter().map(|z| (mean * (1.0 + cv * z)).max(0.0)).collect();
            Demand::quantiles(&levels, &v)?
        };
        products.push(PlanProduct {
            curve: LifetimeCurve::single_period(
                demand,
                Costs::from_prices(unit_cost, price, 0.0, 0.0)?,
            ),
            position: if u() < 0.3 { 10.0 * u() } else { 0.0 },
            pack: PackRule::units(),
        });
        usage[0].push(0.5 + u()); // truck volume
        usage[1].push(unit_cost); // budget
        usage[2].push(if u() < 0.5 { 1.0 } else { 0.0 }); // cold-room shelf space (chilled only)
    }
    let free = plan(&products, &[])?;
    let orders: Vec<f64> = free.lines.iter().map(|l| l.order).collect();
    let names = ["truck_volume", "budget", "cold_room"];
    let fractions = [0.7, 0.8, 0.6];
    let limits: Vec<Limit> = (0..3)
        .map(|k| Limit {
            name: names[k].into(),
            capacity: fractions[k]
                * usage[k]
                    .iter()
                    .zip(&orders)
                    .map(|(a, q)| a * q)
                    .sum::<f64>(),
            usage: usage[k].clone(),
        })
        .collect();
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let (t, c) = (Instant::now(), thread_cpu_s());
        let p = plan(&products, &limits)?;
        wall.push(t.elapsed().as_secs_f64());
        cpu.push(thread_cpu_s() - c);
        last = Some(p);
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let p = last.context("no plan")?;
    println!(
        "(b) 500-product plan, 3 constraints (truck 70 %, budget 80 %, cold room 60 % of unconstrained use)"
    );
    for (k, l) in limits.iter().enumerate() {
        println!(
            "  {:<13} used {:>10.1} of {:>10.1} {}",
            l.name,
            p.limit_usage[k],
            l.capacity,
            if p.limit_usage[k] <= l.capacity + 1e-6 {
                "ok"
            } else {
                "VIOLATED"
            }
        );
    }
    println!(
        "  expected cost {:.1} (unconstrained {:.1}); {} LP breakpoint levels",
        p.expected_cost,
        free.expected_cost,
        milkrun_forecast::ordering::DEFAULT_LEVELS.len()
    );
    println!(
        "  solve time (5 runs): wall median {:.3} s (min {:.3}, max {:.3}); thread CPU median {:.3} s",
        wall[2], wall[0], wall[4], cpu[2]
    );
    // Linearisation check: a 99-level grid.
    let fine: Vec<f64> = (1..100).map(|i| i as f64 / 100.0).collect();
    let t = Instant::now();
    let pf = plan_with_levels(&products, &limits, &fine)?;
    println!(
        "  with 99 breakpoint levels: expected cost {:.1} ({:+.3} %), {:.3} s wall",
        pf.expected_cost,
        100.0 * (p.expected_cost - pf.expected_cost) / pf.expected_cost,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// CPU time of this thread in seconds (Linux `/proc/thread-self/schedstat`; 0 elsewhere), so
/// that the timing is not inflated by other processes on a shared machine.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns * 1e-9)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = PathBuf::from("datasets/data/forecast");
    let mut with_model = false;
    while let Some(a) = args.next() {
        if a == "--data" {
            dir = PathBuf::from(args.next().context("--data needs a directory")?);
        } else if a == "--demand-model" {
            with_model = true;
        } else if a == "--plan-only" {
            return plan_timing();
        }
    }
    let costs = Costs::from_prices(0.65, 1.0, 0.0, 0.0)?;
    println!(
        "costs: overage {:.2} (wasted unit), underage {:.2} (unit short); critical ratio {:.2}",
        costs.overage(),
        costs.underage(),
        costs.critical_ratio()
    );
    chicago(&dir, costs, with_model)?;
    bike(&dir, costs, with_model)?;
    plan_timing()
}
