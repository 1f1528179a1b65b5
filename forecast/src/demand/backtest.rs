//! Rolling-origin backtests over a panel.
//!
//! Window `w` (0 = oldest) cuts every series `(windows - w) * horizon` values before its end,
//! forecasts the next `horizon` values with the full pipeline (exogenous columns keep their
//! actual values as the "future") and scores them with [`crate::demand::metrics`].
use super::metrics::{self, SeriesScore};
use super::series::Series;
use super::{forecast_panel, Forecast, ForecastConfig, ForecastError};

/// One series' forecast in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestCase {
    /// Index of the series in the input.
    pub series: usize,
    /// Window number, 0 = oldest.
    pub window: usize,
    /// Number of history values used.
    pub cut: usize,
    /// The forecast made from the cut.
    pub forecast: Forecast,
}

/// Runs the rolling-origin backtest. Series shorter than `windows * horizon + min_train` are
/// left out of the windows they cannot serve.
pub fn rolling_origin(
    series: &[Series],
    cfg: &ForecastConfig,
    windows: usize,
    min_train: usize,
) -> Result<Vec<BacktestCase>, ForecastError> {
    let h = cfg.horizon;
    let mut out = Vec::new();
    for w in 0..windows {
        let back = (windows - w) * h;
        let idx: Vec<usize> = (0..series.len())
            .filter(|&i| series[i].len() >= back + min_train.max(1))
            .collect();
        let cut_series: Vec<Series> = idx
            .iter()
            .map(|&i| series[i].truncated(series[i].len() - back))
            .collect();
        let fc = forecast_panel(&cut_series, cfg)?;
        for ((&i, s), f) in idx.iter().zip(&cut_series).zip(fc) {
            out.push(BacktestCase {
                series: i,
                window: w,
                cut: s.len(),
                forecast: f,
            });
        }
    }
    Ok(out)
}

/// Mean metrics over cases (series x windows); scaled metrics skip cases whose scale is 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Cases scored.
    pub cases: usize,
    /// Mean MASE.
    pub mase: f64,
    /// Mean RMSSE.
    pub rmsse: f64,
    /// Mean sMAPE (percent).
    pub smape: f64,
    /// Mean scaled pinball loss per level.
    pub spl: Vec<f64>,
    /// `(nominal, observed)` coverage of each central interval `[q_l, q_{1-l}]` whose two
    /// levels are both configured.
    pub coverage: Vec<(f64, f64)>,
}

/// Scores backtest cases against the actual values; scales use season `m` (and, with
/// `from_first_sale`, start at each series' first non-zero value).
pub fn summarize(
    series: &[Series],
    cases: &[BacktestCase],
    levels: &[f64],
    m: usize,
    from_first_sale: bool,
) -> Summary {
    let mut scores: Vec<SeriesScore> = Vec::new();
    let pairs: Vec<(usize, usize)> = (0..levels.len())
        .filter_map(|a| {
            let b = levels
                .iter()
                .position(|l| (l - (1.0 - levels[a])).abs() < 1e-9)?;
            (levels[a] < levels[b]).then_some((a, b))
        })
        .collect();
    let mut cov = vec![(0.0, 0usize); pairs.len()];
    for c in cases {
        let y = series[c.series].values();
        let h = c.forecast.mean.len().min(y.len() - c.cut);
        let test = &y[c.cut..c.cut + h];
        scores.push(metrics::score(
            &y[..c.cut],
            test,
            &c.forecast.mean,
            &c.forecast.quantiles,
            levels,
            m,
            from_first_sale,
        ));
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let lo: Vec<f64> = c.forecast.quantiles[..h].iter().map(|r| r[a]).collect();
            let hi: Vec<f64> = c.forecast.quantiles[..h].iter().map(|r| r[b]).collect();
            cov[k].0 += metrics::coverage(test, &lo, &hi) * h as f64;
            cov[k].1 += h;
        }
    }
    let mean_of = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Summary {
        cases: scores.len(),
        mase: mean_of(scores.iter().filter_map(|s| s.mase).collect()),
        rmsse: mean_of(scores.iter().filter_map(|s| s.rmsse).collect()),
        smape: mean_of(scores.iter().map(|s| s.smape).collect()),
        spl: (0..levels.len())
            .map(|l| mean_of(scores.iter().filter_map(|s| s.spl[l]).collect()))
            .collect(),
        coverage: pairs
            .iter()
            .zip(cov)
            .map(|(&(a, b), (inside, n))| (levels[b] - levels[a], inside / n.max(1) as f64))
            .collect(),
    }
}
