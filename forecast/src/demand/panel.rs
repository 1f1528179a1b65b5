//! Streaming a large panel (many thousands of series) through the pipeline in blocks.
//!
//! [`forecast_stream`] asks a `source` for series `i` (a file reader's index, a generator, a
//! database cursor), forecasts them one block at a time with [`super::forecast_panel`] (rayon
//! across the series of a block; the global regression is fitted per block) and hands every
//! forecast to a `sink` in input order before the block is dropped. Peak memory is one block of
//! series plus its forecasts, not the panel: the caller decides whether the data are held in
//! memory at all.
use super::{forecast_panel_with, EtsSearch, Forecast, ForecastConfig, ForecastError, Series};
use crate::control::{Control, Watch};
use rayon::prelude::*;

/// Settings for very large panels (the 100,000-series benchmark): the automatic choice with
/// the staged ETS form search ([`EtsSearch::Staged`]) fitted once per series and reused at
/// every backtest origin ([`ForecastConfig::ets_reuse`]), local models on the last 364 values
/// (one year of daily data), 2 backtest windows, 10 conformal calibration origins and 250
/// simulated paths for the nonlinear ETS intervals (instead of the defaults' full search at
/// every origin, whole history, 3 windows, 40 origins and 500 paths).
pub fn panel_config(horizon: usize, levels: Vec<f64>) -> ForecastConfig {
    let mut cfg = ForecastConfig::new(horizon, levels);
    cfg.ets_search = EtsSearch::Staged;
    cfg.ets_reuse = true;
    cfg.max_history = Some(364);
    cfg.backtest_windows = 2;
    cfg.calibration_windows = 10;
    cfg.simulation_paths = 250;
    cfg
}

/// What a streamed run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamSummary {
    /// Series forecast.
    pub series: usize,
    /// Blocks run.
    pub blocks: usize,
}

/// Forecasts series `0..count` (produced by `source`, in parallel) in blocks of `block` series
/// and calls `sink(i, series, forecast)` for each, in order. Stops at the first error of the
/// source, the configuration or the sink.
pub fn forecast_stream<S, K>(
    count: usize,
    block: usize,
    cfg: &ForecastConfig,
    source: S,
    sink: K,
) -> Result<StreamSummary, ForecastError>
where
    S: Fn(usize) -> Result<Series, ForecastError> + Sync,
    K: FnMut(usize, &Series, &Forecast) -> Result<(), ForecastError>,
{
    forecast_stream_with(count, block, cfg, source, sink, &Control::default())
}

/// [`forecast_stream`] under a [`Control`]: the flag and the clock are checked inside each
/// block as in [`super::forecast_panel_with`] and between blocks; progress counts the series
/// handed to the sink (`total` = `count`). A stopped stream returns
/// [`ForecastError::Stopped`]; the series already handed to the sink stay handed.
pub fn forecast_stream_with<S, K>(
    count: usize,
    block: usize,
    cfg: &ForecastConfig,
    source: S,
    mut sink: K,
    control: &Control,
) -> Result<StreamSummary, ForecastError>
where
    S: Fn(usize) -> Result<Series, ForecastError> + Sync,
    K: FnMut(usize, &Series, &Forecast) -> Result<(), ForecastError>,
{
    cfg.validate()?;
    let watch = Watch::start(control, count);
    if block == 0 {
        return Err(ForecastError::Config {
            field: "block",
            reason: "must be at least 1".into(),
        });
    }
    let mut summary = StreamSummary::default();
    let mut start = 0;
    while start < count {
        watch.check()?;
        let end = start.saturating_add(block).min(count);
        let series = (start..end)
            .into_par_iter()
            .map(&source)
            .collect::<Result<Vec<Series>, ForecastError>>()?;
        // The block runs under the same flag and what is left of the time limit.
        let inner = Control {
            time_limit: control
                .time_limit
                .map(|t| t.saturating_sub(watch.elapsed())),
            cancel: control.cancel.clone(),
            progress: None,
        };
        let forecasts = forecast_panel_with(&series, cfg, &inner)?;
        for (k, (s, f)) in series.iter().zip(&forecasts).enumerate() {
            sink(start + k, s, f)?;
            watch.advance(1);
        }
        summary.series += series.len();
        summary.blocks += 1;
        start = end;
    }
    Ok(summary)
}
