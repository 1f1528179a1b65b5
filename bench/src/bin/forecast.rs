//! Accuracy and speed benchmark of the demand forecaster on the shipped data sets, computed the
//! way `../shared/tools/peers/forecast_peer.py` (statsforecast) computes its figures.
//!
//! `cargo run --release -p milkrun-bench --bin forecast [-- --data DIR --datasets walmart,bike,chicago --models auto,snaive,ets,...]`
//!
//! - walmart: 7 weekly series, the last 13 weeks held out, scales with season 52.
//! - bike: order lines summed per product and week (weeks start on Monday, full grid of weeks
//!   with zeros), the last 8 weeks held out, series with fewer than 2 sales in training left
//!   out, scales with season 1 starting at the first sale (M5).
//! - chicago: 20 station series, daily, 28-day horizon, 4 rolling windows, weather and game
//!   columns as exogenous regressors, scales with season 7; peer:
//!   `bench/peers/forecast_peer_chicago.py` (statsforecast AutoETS and MSTL).
//!
//! - the sets of other frequencies (issue #24) from `--freq-data DIR`, written by
//!   `python3 bench/peers/freq_sets.py export DIR` (hourly M4, monthly US employment and M4,
//!   quarterly Australian tourism and M4, yearly M4; the holdout is the last h values, M4's
//!   horizons; `DIR/sets.csv` gives each set's frequency, h and m). Each file is read the way
//!   `milkrun forecast` reads its input (frequency inferred from the dates), and the inferred
//!   frequency must be the one the set declares. Peer: `freq_sets.py peer DIR`.
//!
//! `--drop-last N` is the development protocol: methods are compared on windows that end N
//! periods before the real holdout, never on the holdout itself.
use anyhow::{bail, Context};
use clap::Parser;
use milkrun_forecast::demand::backtest::{rolling_origin, summarize, BacktestCase};
use milkrun_forecast::demand::{Date, ForecastConfig, Frequency, ModelChoice, Series, Weighting};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
struct Args {
    /// Folder with the shipped forecasting data.
    #[arg(long, default_value = "datasets/data/forecast")]
    data: PathBuf,
    /// Data sets to run (walmart, bike, chicago, or a set named in `--freq-data`'s sets.csv).
    #[arg(long, default_value = "walmart,bike,chicago")]
    datasets: String,
    /// Folder written by `bench/peers/freq_sets.py export` (sets of other frequencies).
    #[arg(long)]
    freq_data: Option<PathBuf>,
    /// Models to run (auto, best, ensemble, snaive, ets, croston, sba, tsb, adida, imapa, regression, pooled).
    #[arg(long, default_value = "auto")]
    models: String,
    /// Backtest windows used by the automatic choice.
    #[arg(long, default_value_t = 3)]
    select_windows: usize,
    /// Local models see only the last N values (0 = all).
    #[arg(long, default_value_t = 0)]
    max_history: usize,
    /// Development protocol: drop the last N periods of every series before anything else, so
    /// that the scored windows lie inside the training part of the real holdout (methods are
    /// tuned this way, never on the real holdout). 0 = the real benchmark.
    #[arg(long, default_value_t = 0)]
    drop_last: usize,
    /// Leave the quantile levels as combined (no backtest recalibration).
    #[arg(long)]
    no_calibrate: bool,
    /// Fit ETS once per series and reuse it across backtest origins (`ets_reuse`).
    #[arg(long)]
    ets_reuse: bool,
    /// Fit the global regression with the Poisson loss (`Loss::Poisson`).
    #[arg(long)]
    poisson: bool,
    /// Offer the pooled intermittent model to the automatic choice (`pooled = true`).
    #[arg(long)]
    pooled: bool,
    /// Weigh the candidates of each intermittent series by its own backtest scores
    /// (`shared_weights = false`).
    #[arg(long)]
    own_weights: bool,
    /// Negative binomial quantiles (pooled dispersion) for the combination of intermittent
    /// count series (`count_dispersion = true`, needs `--pooled`).
    #[arg(long)]
    negbin_counts: bool,
    /// How the automatic combination weighs its candidates: own (the default), best, panel,
    /// panel-best, or choose (per panel, on the backtest windows) (`weighting`).
    #[arg(long, default_value = "own")]
    weighting: String,
    /// Recalibrate the quantile levels above the median too (`calibrate_upper = true`).
    #[arg(long)]
    calibrate_upper: bool,
}

struct Set {
    name: String,
    series: Vec<Series>,
    horizon: usize,
    windows: usize,
    m: usize,
    from_first_sale: bool,
}

fn reader(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    csv::Reader::from_path(path).with_context(|| path.display().to_string())
}

fn col(h: &csv::StringRecord, name: &str) -> anyhow::Result<usize> {
    h.iter()
        .position(|c| c == name)
        .with_context(|| format!("column {name}"))
}

fn walmart(dir: &Path) -> anyhow::Result<Set> {
    let mut r = reader(&dir.join("walmart_sales_weekly.csv"))?;
    let h = r.headers()?.clone();
    let (ci, cd, cv) = (col(&h, "id")?, col(&h, "Date")?, col(&h, "Weekly_Sales")?);
    let mut by: BTreeMap<String, Vec<(Date, f64)>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec?;
        let d = Date::parse(&rec[cd]).context("date")?;
        by.entry(rec[ci].to_string())
            .or_default()
            .push((d, rec[cv].parse()?));
    }
    let mut series = Vec::new();
    for (id, mut rows) in by {
        rows.sort_by_key(|r| r.0);
        let vals = rows.iter().map(|r| r.1).collect();
        series.push(Series::new(id, rows[0].0, Frequency::Weekly, vals)?);
    }
    Ok(Set {
        name: "walmart".into(),
        series,
        horizon: 13,
        windows: 1,
        m: 52,
        from_first_sale: false,
    })
}

fn bike(dir: &Path) -> anyhow::Result<Set> {
    let mut r = reader(&dir.join("bike_sales_sample.csv"))?;
    let h = r.headers()?.clone();
    let (cd, cq, cm) = (
        col(&h, "order_date")?,
        col(&h, "quantity")?,
        col(&h, "model")?,
    );
    let mut cells: HashMap<(String, Date), f64> = HashMap::new();
    let (mut lo, mut hi) = (Date(i32::MAX), Date(i32::MIN));
    for rec in r.records() {
        let rec = rec?;
        let d = Date::parse(&rec[cd]).context("date")?;
        let week = d.add_days(-(d.weekday() as i32)); // Monday
        lo = lo.min(week);
        hi = hi.max(week);
        *cells.entry((rec[cm].to_string(), week)).or_default() += rec[cq].parse::<f64>()?;
    }
    let n = ((hi.0 - lo.0) / 7 + 1) as usize;
    let mut products: Vec<String> = cells.keys().map(|k| k.0.clone()).collect();
    products.sort();
    products.dedup();
    let horizon = 8;
    let mut series = Vec::new();
    for p in products {
        let vals: Vec<f64> = (0..n)
            .map(|k| {
                let d = lo.add_days(7 * k as i32);
                cells.get(&(p.clone(), d)).copied().unwrap_or(0.0)
            })
            .collect();
        // the peer keeps series with at least 2 sales in training
        if vals[..n - horizon].iter().filter(|v| **v > 0.0).count() >= 2 {
            series.push(Series::new(p, lo, Frequency::Weekly, vals)?);
        }
    }
    Ok(Set {
        name: "bike".into(),
        series,
        horizon,
        windows: 1,
        m: 1,
        from_first_sale: true,
    })
}

fn chicago(dir: &Path) -> anyhow::Result<Set> {
    let series = milkrun_bench::chicago::chicago_series(dir)?;
    Ok(Set {
        name: "chicago".into(),
        series,
        horizon: 28,
        windows: 4,
        m: 7,
        from_first_sale: false,
    })
}

/// A set exported by `bench/peers/freq_sets.py`: its line of `DIR/sets.csv` (set, frequency,
/// h, m, series) and `DIR/<set>.csv` read as `milkrun forecast` reads history.
fn freq_set(dir: &Path, name: &str) -> anyhow::Result<Set> {
    let mut r = reader(&dir.join("sets.csv"))?;
    let h = r.headers()?.clone();
    let (cs, cf, ch, cm, cn) = (
        col(&h, "set")?,
        col(&h, "frequency")?,
        col(&h, "h")?,
        col(&h, "m")?,
        col(&h, "series")?,
    );
    for rec in r.records() {
        let rec = rec?;
        if &rec[cs] != name {
            continue;
        }
        let freq = Frequency::parse(&rec[cf]).with_context(|| format!("frequency {}", &rec[cf]))?;
        let horizon: usize = rec[ch].parse().context("h")?;
        let m: usize = rec[cm].parse().context("m")?;
        let count: usize = rec[cn].parse().context("series")?;
        let path = dir.join(format!("{name}.csv"));
        let series = milkrun_forecast::demand::io::read_series_path(&path, Default::default())
            .with_context(|| path.display().to_string())?;
        if series.len() != count {
            bail!(
                "{name}: {} series read, sets.csv says {count}",
                series.len()
            );
        }
        if let Some(s) = series.iter().find(|s| s.freq() != freq) {
            bail!(
                "{name}: series {} inferred as {}, the set is {freq}",
                s.id(),
                s.freq()
            );
        }
        return Ok(Set {
            name: name.to_string(),
            series,
            horizon,
            windows: 1,
            m,
            from_first_sale: false,
        });
    }
    bail!(
        "unknown data set {name} (not walmart, bike, chicago, nor in {})",
        dir.display()
    )
}

/// Cuts the last `n` values of every series (the `--drop-last` development protocol).
fn drop_last(mut set: Set, n: usize) -> anyhow::Result<Set> {
    if n == 0 {
        return Ok(set);
    }
    for s in &set.series {
        if s.len() <= n + set.windows * set.horizon + 2 {
            bail!("--drop-last {n} leaves series {} too short", s.id());
        }
    }
    set.series = set
        .series
        .iter()
        .map(|s| s.truncated(s.len() - n))
        .collect();
    if set.name == "bike" {
        // same rule as the real run: at least 2 sales in the training part
        set.series.retain(|s| {
            let y = s.values();
            y[..y.len() - set.horizon]
                .iter()
                .filter(|v| **v > 0.0)
                .count()
                >= 2
        });
    }
    Ok(set)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let levels = vec![0.1, 0.5, 0.9];
    for name in args.datasets.split(',') {
        let set = match name {
            "walmart" => walmart(&args.data)?,
            "bike" => bike(&args.data)?,
            "chicago" => chicago(&args.data)?,
            other => match &args.freq_data {
                Some(dir) => freq_set(dir, other)?,
                None => {
                    bail!("unknown data set {other} (sets of other frequencies need --freq-data)")
                }
            },
        };
        let set = drop_last(set, args.drop_last)?;
        for model in args.models.split(',') {
            let choice = ModelChoice::parse(model).with_context(|| format!("model {model}"))?;
            let mut cfg = ForecastConfig::new(set.horizon, levels.clone());
            cfg.model = choice;
            cfg.backtest_windows = args.select_windows;
            cfg.max_history = (args.max_history > 0).then_some(args.max_history);
            cfg.calibrate_levels = !args.no_calibrate;
            cfg.calibrate_upper = args.calibrate_upper;
            cfg.ets_reuse = args.ets_reuse;
            cfg.pooled = args.pooled;
            cfg.shared_weights = !args.own_weights;
            cfg.count_dispersion = args.negbin_counts;
            cfg.weighting = match args.weighting.as_str() {
                "choose" => None,
                w => Some(Weighting::parse(w).with_context(|| format!("weighting {w}"))?),
            };
            if args.poisson {
                cfg.regression_loss = milkrun_forecast::demand::models::regression::Loss::Poisson;
            }
            let t = Instant::now();
            let cases: Vec<BacktestCase> = rolling_origin(&set.series, &cfg, set.windows, 20)?;
            let wall = t.elapsed().as_secs_f64();
            let s = summarize(&set.series, &cases, &levels, set.m, set.from_first_sale);
            let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
            for c in &cases {
                let k = c.forecast.model.to_string();
                let k = if k.starts_with("ETS") {
                    "ETS".to_string()
                } else {
                    k
                };
                *chosen.entry(k).or_default() += 1;
            }
            let cov80 = s
                .coverage
                .iter()
                .find(|c| (c.0 - 0.8).abs() < 1e-9)
                .map_or(f64::NAN, |c| c.1);
            // share of the actual values below each quantile (calibration per level), and the
            // total actual over the total forecast mean (bias of the level)
            let mut below = vec![0usize; levels.len()];
            let mut seen = 0usize;
            let (mut sum_actual, mut sum_mean) = (0.0_f64, 0.0_f64);
            for c in &cases {
                let y = set.series[c.series].values();
                let h = c.forecast.mean.len().min(y.len() - c.cut);
                sum_actual += y[c.cut..c.cut + h].iter().sum::<f64>();
                sum_mean += c.forecast.mean[..h].iter().sum::<f64>();
                for (v, row) in y[c.cut..c.cut + h].iter().zip(&c.forecast.quantiles) {
                    for (b, q) in below.iter_mut().zip(row) {
                        *b += usize::from(v < q);
                    }
                    seen += 1;
                }
            }
            let below: Vec<String> = below
                .iter()
                .map(|b| format!("{:.3}", *b as f64 / seen.max(1) as f64))
                .collect();
            println!(
                "{{\"dataset\": \"{}\", \"model\": \"{}\", \"n_series\": {}, \"h\": {}, \"windows\": {}, \"mase\": {:.4}, \"rmsse\": {:.4}, \"smape\": {:.3}, \"spl10\": {:.4}, \"spl90\": {:.4}, \"cov80\": {:.3}, \"below\": [{}], \"actual_over_mean\": {:.3}, \"wall_s\": {:.3}, \"chosen\": {:?}}}",
                set.name, model, set.series.len(), set.horizon, set.windows, s.mase, s.rmsse,
                s.smape, s.spl[0], s.spl[2], cov80, below.join(", "), sum_actual / sum_mean, wall, chosen
            );
        }
    }
    Ok(())
}
