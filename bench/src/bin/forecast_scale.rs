//! Scale and speed benchmark of the demand forecaster (issue #10).
//!
//! `cargo run --release -p milkrun-bench --bin forecast_scale -- panel [--series 100000]`
//! forecasts a seeded synthetic daily panel (2 years per series: weekly seasonality, some
//! trending, some intermittent; horizon 14) with the automatic choice, streamed in blocks, and
//! prints wall time and peak memory (VmHWM from /proc/self/status).
//!
//! `cargo run --release -p milkrun-bench --bin forecast_scale -- chicago [--rounds 3]` times the
//! full automatic pipeline on the Chicago set (20 daily series, horizon 28, weather and game
//! columns) beside statsforecast's AutoETS alone (`bench/peers/autoets_time.py`, n_jobs=1),
//! alternating the two in one run so they see the same machine load, and prints the medians
//! and their ratio.
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use milkrun_forecast::demand::panel::{forecast_stream, panel_config};
use milkrun_forecast::demand::rng::Rng;
use milkrun_forecast::demand::{
    forecast_panel, Date, EtsSearch, ForecastConfig, Frequency, ModelChoice, ModelKind, Series,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Parser, Debug)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Synthetic 100,000-series daily panel.
    Panel {
        /// Number of series.
        #[arg(long, default_value_t = 100_000)]
        series: usize,
        /// History length in days.
        #[arg(long, default_value_t = 730)]
        days: usize,
        /// Horizon in days.
        #[arg(long, default_value_t = 14)]
        horizon: usize,
        /// Series per streamed block.
        #[arg(long, default_value_t = 2048)]
        block: usize,
        /// Local models see only the last N values (0 = all; default: `panel_config`'s 364).
        #[arg(long)]
        max_history: Option<usize>,
        /// Backtest windows of the automatic choice (default: `panel_config`'s 2).
        #[arg(long)]
        select_windows: Option<usize>,
        /// Generator seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// ETS form search: fast, staged or full (default: `panel_config`'s).
        #[arg(long)]
        ets: Option<String>,
        /// Rolling origins of the conformal quantiles (default: `panel_config`'s 10).
        #[arg(long)]
        calibration_windows: Option<usize>,
        /// Model (auto, best, ets, snaive, regression, ...).
        #[arg(long, default_value = "auto")]
        model: String,
    },
    /// Time the pieces of the automatic choice on the synthetic panel, one thread: ETS form
    /// search, ETS intervals, the global regression (CPU milliseconds per series).
    Profile {
        /// Number of series.
        #[arg(long, default_value_t = 500)]
        series: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// ETS form search: fast, staged or full.
        #[arg(long, default_value = "staged")]
        ets: String,
    },
    /// Chicago set: our full pipeline vs statsforecast AutoETS alone.
    Chicago {
        /// Folder with the shipped forecasting data.
        #[arg(long, default_value = "datasets/data/forecast")]
        data: PathBuf,
        /// Alternating rounds (ours, then the peer).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Python interpreter for the peer.
        #[arg(long, default_value = "python3")]
        python: String,
        /// Skip the peer (time ours only).
        #[arg(long)]
        no_peer: bool,
        /// Local models see only the last N values (0 = all, the library default).
        #[arg(long, default_value_t = 0)]
        max_history: usize,
    },
}

/// Peak resident memory of this process in MiB (VmHWM), if /proc is there.
fn peak_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Series `i` of the synthetic panel: a pure function of `(seed, i)`. Classes by `i % 10`:
/// 0-5 smooth with a weekly profile, 6-7 the same with a linear trend (up or down), 8-9
/// intermittent (a sale on 15-60% of the days). Values are non-negative integers (counts).
fn synthetic(seed: u64, i: usize, days: usize) -> anyhow::Result<Series> {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(i as u64));
    let start = Date::from_ymd(2023, 1, 2).context("start date")?;
    let class = i % 10;
    let level = (1.0 + 4.0 * rng.uniform()).exp(); // about 3 .. 150
    let profile: Vec<f64> = (0..7).map(|_| 0.6 + 0.8 * rng.uniform()).collect();
    let slope = if (6..8).contains(&class) {
        (rng.uniform() - 0.3) * 1.5 / days as f64 // -45% .. +105% over the history
    } else {
        0.0
    };
    let p_sale = 0.15 + 0.45 * rng.uniform();
    let values = (0..days)
        .map(|t| {
            if class >= 8 {
                if rng.uniform() < p_sale {
                    (1.0 + (level / 10.0) * rng.uniform()).round()
                } else {
                    0.0
                }
            } else {
                let mu = level * profile[t % 7] * (1.0 + slope * t as f64).max(0.05);
                (mu + mu.sqrt() * rng.normal()).round().max(0.0)
            }
        })
        .collect();
    Ok(Series::new(
        format!("s{i:06}"),
        start,
        Frequency::Daily,
        values,
    )?)
}

fn model_group(k: ModelKind) -> String {
    let s = k.to_string();
    if s.starts_with("ETS") {
        "ETS".into()
    } else {
        s
    }
}

#[allow(clippy::too_many_arguments)]
fn panel(
    series: usize,
    days: usize,
    horizon: usize,
    block: usize,
    max_history: Option<usize>,
    select_windows: Option<usize>,
    seed: u64,
    model: ModelChoice,
    search: Option<EtsSearch>,
    calibration_windows: Option<usize>,
) -> anyhow::Result<()> {
    let mut cfg = panel_config(horizon, vec![0.1, 0.5, 0.9]);
    cfg.model = model;
    if let Some(c) = calibration_windows {
        cfg.calibration_windows = c;
    }
    if let Some(search) = search {
        cfg.ets_search = search;
    }
    if let Some(w) = select_windows {
        cfg.backtest_windows = w;
    }
    if let Some(m) = max_history {
        cfg.max_history = (m > 0).then_some(m);
    }
    let before = peak_mib();
    let t = Instant::now();
    let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
    let mut checksum = 0.0;
    let mut last_report = Instant::now();
    let summary = forecast_stream(
        series,
        block,
        &cfg,
        |i| {
            synthetic(seed, i, days).map_err(|e| milkrun_forecast::demand::ForecastError::Config {
                field: "generator",
                reason: e.to_string(),
            })
        },
        |i, _s, f| {
            *chosen.entry(model_group(f.model)).or_default() += 1;
            checksum += f.mean.iter().sum::<f64>();
            if last_report.elapsed().as_secs() >= 10 {
                eprintln!(
                    "  {} series after {:.1} s",
                    i + 1,
                    t.elapsed().as_secs_f64()
                );
                last_report = Instant::now();
            }
            Ok(())
        },
    )?;
    let wall = t.elapsed().as_secs_f64();
    println!(
        "{{\"bench\": \"panel\", \"ets\": \"{:?}\", \"max_history\": {:?}, \"select_windows\": {}, \"calibration_windows\": {}, \"series\": {}, \"days\": {}, \"h\": {}, \"block\": {}, \"blocks\": {}, \"threads\": {}, \"wall_s\": {:.2}, \"series_per_s\": {:.0}, \"peak_mib\": {:.1}, \"peak_mib_before\": {:.1}, \"mean_sum\": {:.1}, \"chosen\": {:?}}}",
        cfg.ets_search,
        cfg.max_history,
        cfg.backtest_windows,
        cfg.calibration_windows,
        summary.series,
        days,
        horizon,
        block,
        summary.blocks,
        rayon::current_num_threads(),
        wall,
        summary.series as f64 / wall,
        peak_mib().unwrap_or(f64::NAN),
        before.unwrap_or(f64::NAN),
        checksum,
        chosen
    );
    Ok(())
}

/// CPU seconds (user + system) used by this process so far, from /proc/self/stat.
fn cpu_s() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // fields after the parenthesised command name; utime and stime are the 12th and 13th
    let rest = s.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / 100.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn chicago(
    data: &Path,
    rounds: usize,
    python: &str,
    no_peer: bool,
    max_history: usize,
) -> anyhow::Result<()> {
    let h = 28;
    let full = milkrun_bench::chicago::chicago_series(data)?;
    // the last 28 days are the future: history is cut there, exogenous columns keep them
    let train: Vec<Series> = full.iter().map(|s| s.truncated(s.len() - h)).collect();
    let mut cfg = ForecastConfig::new(h, vec![0.1, 0.5, 0.9]);
    cfg.max_history = (max_history > 0).then_some(max_history);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/autoets_time.py");
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    let (mut ours_cpu, mut peer_cpu) = (Vec::new(), Vec::new());
    for round in 0..rounds.max(1) {
        let (t, c) = (Instant::now(), cpu_s());
        let f = forecast_panel(&train, &cfg)?;
        let wall = t.elapsed().as_secs_f64();
        let cpu = cpu_s() - c;
        let mean_sum: f64 = f.iter().flat_map(|x| x.mean.iter()).sum();
        eprintln!("round {round}: ours {wall:.3} s wall, {cpu:.2} s cpu (mean sum {mean_sum:.1})");
        ours.push(wall);
        ours_cpu.push(cpu);
        if !no_peer {
            let out = Command::new(python)
                .arg(&script)
                .arg("--data")
                .arg(data)
                .arg("--h")
                .arg(h.to_string())
                .output()
                .with_context(|| format!("running {}", script.display()))?;
            if !out.status.success() {
                bail!(
                    "peer failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let field = |key: &str| -> anyhow::Result<f64> {
                Ok(text
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .with_context(|| format!("peer output without {key}: {text}"))?
                    .trim()
                    .parse()?)
            };
            let (wall, cpu) = (field("wall_s=")?, field("cpu_s=")?);
            eprintln!("round {round}: statsforecast AutoETS {wall:.3} s wall, {cpu:.2} s cpu");
            peer.push(wall);
            peer_cpu.push(cpu);
        }
    }
    let o = median(&mut ours);
    let p = median(&mut peer);
    let oc = median(&mut ours_cpu);
    let pc = median(&mut peer_cpu);
    println!(
        "{{\"bench\": \"chicago_speed\", \"max_history\": {:?}, \"series\": {}, \"h\": {}, \"rounds\": {}, \"threads\": {}, \"ours_median_s\": {:.3}, \"autoets_median_s\": {:.3}, \"speedup_wall\": {:.2}, \"ours_cpu_s\": {:.2}, \"autoets_cpu_s\": {:.2}, \"speedup_cpu\": {:.2}}}",
        cfg.max_history,
        train.len(),
        h,
        rounds,
        rayon::current_num_threads(),
        o,
        p,
        p / o,
        oc,
        pc,
        pc / oc
    );
    Ok(())
}

/// One-thread timings of the pipeline's pieces on `n` synthetic series (730 days, h 14).
fn profile(n: usize, seed: u64, search: EtsSearch) -> anyhow::Result<()> {
    use milkrun_forecast::demand::models::{ets, regression};
    let cfg = panel_config(14, vec![0.1, 0.5, 0.9]);
    let series: Vec<Series> = (0..n)
        .map(|i| synthetic(seed, i, 730))
        .collect::<anyhow::Result<_>>()?;
    let tails: Vec<&[f64]> = series
        .iter()
        .map(|s| {
            let y = s.values();
            &y[y.len() - 364..]
        })
        .collect();
    let per = |c0: f64| 1000.0 * (cpu_s() - c0) / n as f64;
    let c = cpu_s();
    let fits: Vec<Option<ets::EtsFit>> = tails
        .iter()
        .map(|y| ets::auto_fit_with(y, 7, search))
        .collect();
    let fit_ms = per(c);
    let c = cpu_s();
    let mut sum = 0.0;
    for f in fits.iter().flatten() {
        sum += f.forecast(14, &cfg.levels, cfg.simulation_paths, 1).mean[0];
    }
    let fc_ms = per(c);
    let c = cpu_s();
    for (f, s) in fits.iter().zip(&series) {
        if let Some(f) = f {
            let y = s.values();
            if let Some(g) = f.refilter(&y[y.len() - 364 - 28..y.len() - 14]) {
                sum += g.point(1)[0];
            }
        }
    }
    let refilter_ms = per(c);
    let c = cpu_s();
    let all: Vec<&Series> = series.iter().collect();
    let cuts: Vec<usize> = series.iter().map(Series::len).collect();
    let reg = regression::fit_predict(&all, &cuts, 14, 7, &cfg.levels);
    let reg_ms = per(c);
    let mut forms: BTreeMap<String, usize> = BTreeMap::new();
    for f in fits.iter().flatten() {
        *forms.entry(f.spec.to_string()).or_default() += 1;
    }
    println!(
        "{{\"bench\": \"profile\", \"series\": {n}, \"ets_fit_ms\": {fit_ms:.3}, \"ets_forecast_ms\": {fc_ms:.3}, \"refilter_ms\": {refilter_ms:.4}, \"regression_ms\": {reg_ms:.3}, \"reg_ok\": {}, \"check\": {sum:.1}, \"forms\": {forms:?}}}",
        reg.iter().flatten().count()
    );
    Ok(())
}

fn parse_search(name: &str) -> anyhow::Result<EtsSearch> {
    Ok(match name {
        "fast" => EtsSearch::Fast,
        "staged" => EtsSearch::Staged,
        "full" => EtsSearch::Full,
        _ => bail!("unknown ETS search {name} (fast, staged, full)"),
    })
}

fn main() -> anyhow::Result<()> {
    match Args::parse().cmd {
        Cmd::Profile { series, seed, ets } => profile(series, seed, parse_search(&ets)?),
        Cmd::Panel {
            series,
            days,
            horizon,
            block,
            max_history,
            select_windows,
            seed,
            model,
            ets,
            calibration_windows,
        } => {
            let choice =
                ModelChoice::parse(&model).with_context(|| format!("unknown model {model}"))?;
            panel(
                series,
                days,
                horizon,
                block,
                max_history,
                select_windows,
                seed,
                choice,
                ets.as_deref().map(parse_search).transpose()?,
                calibration_windows,
            )
        }
        Cmd::Chicago {
            data,
            rounds,
            python,
            no_peer,
            max_history,
        } => chicago(&data, rounds, &python, no_peer, max_history),
    }
}
