//! `milkrun forecast`: probabilistic demand forecast from a long-format CSV or Parquet table.
//!
//! Input `series_id,date,value[,exogenous...]` (Parquet when the file name ends in `.parquet`
//! or `.pq`, CSV otherwise); future exogenous values from `--future`
//! (`series_id,date,<same exogenous columns>`). Output `series_id,date,mean,q<level>...`, one
//! column per requested quantile, named `q` and the level as given. With `--plot DIR`, one SVG
//! per series (history, mean, 80%/95% bands when those levels are requested), named by
//! `plot::file_name` (sanitized id and a hash of the id, unique per series).
use anyhow::{bail, Context};
use clap::Args;
use milkrun_forecast::demand::{
    forecast_panel, io, plot, ForecastConfig, Frequency, GapPolicy, ModelChoice, MAX_SEASON_LENGTH,
};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

/// Options of `milkrun forecast`.
#[derive(Debug, Args)]
pub struct Opts {
    /// History, CSV or Parquet (by extension): `series_id,date,value` plus optional exogenous
    /// numeric columns.
    #[arg(long)]
    pub input: PathBuf,
    /// Number of periods to forecast.
    #[arg(long)]
    pub horizon: usize,
    /// Quantile levels, comma-separated (each strictly between 0 and 1).
    #[arg(long, default_value = "0.1,0.5,0.9")]
    pub quantiles: String,
    /// Future values of the exogenous columns: `series_id,date,<columns>`.
    #[arg(long)]
    pub future: Option<PathBuf>,
    /// Output CSV (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Model: auto (backtest-weighted), best (backtest-selected), ensemble (median), snaive, ets, arima, mstl, croston, sba, tsb, adida, imapa, regression.
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// Season length, at most 1000 (default by frequency: hourly 24, daily 7, weekly 52,
    /// monthly 12, quarterly 4, yearly 1).
    #[arg(long)]
    pub season: Option<usize>,
    /// Frequency of every series: hourly, daily, weekly, monthly, quarterly or yearly
    /// (default: inferred from each series' dates). Hourly dates are `YYYY-MM-DDTHH:MM` or
    /// `YYYY-MM-DD HH:MM` on whole hours.
    #[arg(long)]
    pub freq: Option<String>,
    /// Fill missing dates with 0 instead of refusing the input.
    #[arg(long)]
    pub fill_gaps: bool,
    /// Write one SVG plot per series into this folder.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Runs the command.
pub fn run(opts: Opts) -> anyhow::Result<()> {
    let labels: Vec<String> = opts
        .quantiles
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let levels = labels
        .iter()
        .map(|l| l.parse::<f64>().with_context(|| format!("quantile `{l}`")))
        .collect::<anyhow::Result<Vec<f64>>>()?;
    let mut cfg = ForecastConfig::new(opts.horizon, levels);
    let Some(model) = ModelChoice::parse(&opts.model) else {
        bail!("unknown model `{}`", opts.model);
    };
    cfg.model = model;
    cfg.season_length = opts.season;
    if let Some(m) = opts.season.filter(|m| *m == 0 || *m > MAX_SEASON_LENGTH) {
        bail!("--season: must be between 1 and {MAX_SEASON_LENGTH}, got {m}");
    }
    cfg.validate()?;
    let gaps = if opts.fill_gaps {
        GapPolicy::Zero
    } else {
        GapPolicy::Error
    };
    let freq = opts
        .freq
        .as_deref()
        .map(|name| {
            Frequency::parse(name).with_context(|| {
                format!(
                    "--freq: unknown frequency `{name}` \
                     (hourly, daily, weekly, monthly, quarterly, yearly)"
                )
            })
        })
        .transpose()?;
    let mut series = io::read_series_path_as(&opts.input, gaps, freq)
        .with_context(|| opts.input.display().to_string())?;
    if let Some(fut) = &opts.future {
        let file = File::open(fut).with_context(|| fut.display().to_string())?;
        io::read_future(BufReader::new(file), &mut series, opts.horizon)
            .with_context(|| fut.display().to_string())?;
    }
    let forecasts = forecast_panel(&series, &cfg)?;
    match &opts.out {
        Some(path) => {
            let f = File::create(path).with_context(|| path.display().to_string())?;
            io::write_forecasts(BufWriter::new(f), &series, &forecasts, &labels)?;
        }
        None => io::write_forecasts(std::io::stdout().lock(), &series, &forecasts, &labels)?,
    }
    if let Some(dir) = &opts.plot {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        for (s, f) in series.iter().zip(&forecasts) {
            let path = dir.join(plot::file_name(s.id()));
            let mut w = File::create(&path).with_context(|| path.display().to_string())?;
            w.write_all(plot::svg_plot(s, f, opts.horizon.max(13).saturating_mul(4)).as_bytes())?;
        }
    }
    Ok(())
}
