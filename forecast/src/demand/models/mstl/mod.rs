//! MSTL forecasts: a multiple-season decomposition ([`stl::mstl`]), the seasonally adjusted
//! series forecast by automatic ETS without season, each seasonal component continued by
//! repeating its last cycle (Bandara, Hyndman and Bergmeir 2021, section 3.3).
//!
//! - Seasons: the caller's periods, kept where the history holds at least two full cycles
//!   (the automatic choice passes the series' season and, for hourly data, the week: see
//!   [`crate::demand::Frequency::second_season`]). The decomposition is the non-robust STL
//!   (no robustness weights: 2 inner passes, no outer loop), the MSTL paper's default.
//! - Trend model: [`ets::auto_fit_until`] with season 1 on `y - sum seasonals` (trend plus
//!   remainder), i.e. the non-seasonal ETS forms chosen by AICc.
//! - Intervals: the trend model's (analytic or simulated) quantiles of the adjusted series,
//!   shifted by the repeated seasonal values, then widened around the mean by one factor per
//!   forecast, [`MstlFit::spread`], taken from the model's own rolling-origin errors. The
//!   trend model's variance alone is too small: it treats the seasonal components as known,
//!   while the last cycle that is repeated carries part of the noise of the cycles it was
//!   smoothed from, and the remainder it models lost that part to the seasonal components (on
//!   short histories, two or three cycles, most of it). Measured before the factor: the 80 %
//!   interval covered 55 % of walmart's held-out values. The factor is the root mean square of
//!   the errors at up to [`CALIBRATION_ORIGINS`] earlier origins (each `h` long, half a
//!   horizon apart), each error divided by the standard deviation the model gave that step
//!   (from its 10 % and 90 % quantiles); at each origin the history before it is decomposed
//!   again and the trend model refiltered with its parameters (not searched again, so the
//!   parameters saw the later values: the same shortcut as the engine's ETS reuse). It only
//!   widens (at least 1: the term left out is a variance) and is at most [`MAX_SPREAD`]; with
//!   no usable origin it is 1. Mean and quantiles are then floored at 0 like every model's.
//!   In the automatic choice the candidate's quantiles go through the same backtest weighting
//!   and per-level recalibration as ETS's and ARIMA's.
pub mod stl;
#[cfg(test)]
mod tests;

use super::{ets, ModelOutput};
use crate::demand::quantile::{monotone_floor, normal_quantile};
use crate::demand::EtsSearch;

/// Most earlier origins whose errors set [`MstlFit::spread`].
pub const CALIBRATION_ORIGINS: usize = 4;
/// Largest interval factor of [`MstlFit::spread`].
pub const MAX_SPREAD: f64 = 4.0;

/// A fitted MSTL model: the decomposition's seasonal components and the trend model.
#[derive(Debug, Clone, PartialEq)]
pub struct MstlFit {
    /// The decomposition of the history.
    pub decomposition: stl::Mstl,
    /// The ETS model of the seasonally adjusted history.
    pub trend_model: ets::EtsFit,
}

/// Whether MSTL can serve a history of `n` values with these periods (one of them at least 2
/// with two full cycles).
pub fn serves(n: usize, periods: &[usize]) -> bool {
    periods.iter().any(|&p| p >= 2 && n >= 2 * p)
}

/// Decomposes `y` over `periods` and fits the trend model, asking `stop` between the ETS
/// forms; `None` when no period has two full cycles, a value is not finite, or no ETS form
/// fits the adjusted series.
pub fn fit_until(
    y: &[f64],
    periods: &[usize],
    search: EtsSearch,
    stop: &dyn Fn() -> bool,
) -> Option<MstlFit> {
    let decomposition = stl::mstl(y, periods)?;
    let adjusted: Vec<f64> = decomposition
        .trend
        .iter()
        .zip(&decomposition.remainder)
        .map(|(t, r)| t + r)
        .collect();
    let trend_model = ets::auto_fit_until(&adjusted, 1, search, stop)?;
    Some(MstlFit {
        decomposition,
        trend_model,
    })
}

/// [`fit_until`] without a stop.
pub fn fit(y: &[f64], periods: &[usize]) -> Option<MstlFit> {
    fit_until(y, periods, EtsSearch::Full, &|| false)
}

impl MstlFit {
    /// The sum of the seasonal components continued `h` steps: each repeats its last cycle.
    pub fn seasonal_path(&self, h: usize) -> Vec<f64> {
        let d = &self.decomposition;
        let mut out = vec![0.0; h];
        for (s, &p) in d.seasonals.iter().zip(&d.periods) {
            let last = &s[s.len() - p..];
            for (j, v) in out.iter_mut().enumerate() {
                *v += last[j % p];
            }
        }
        out
    }

    /// The history the decomposition was made of (its components added up).
    fn history(&self) -> Vec<f64> {
        let d = &self.decomposition;
        let mut y: Vec<f64> = d
            .trend
            .iter()
            .zip(&d.remainder)
            .map(|(t, r)| t + r)
            .collect();
        for s in &d.seasonals {
            for (v, x) in y.iter_mut().zip(s) {
                *v += x;
            }
        }
        y
    }

    /// Mean and quantiles for `h` steps, not widened and not floored.
    fn raw_forecast(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> ModelOutput {
        let trend = self.trend_model.raw_forecast(h, levels, paths, seed);
        let seasonal = self.seasonal_path(h);
        let mean = trend
            .mean
            .iter()
            .zip(&seasonal)
            .map(|(t, s)| t + s)
            .collect();
        let quantiles = trend
            .quantiles
            .into_iter()
            .zip(&seasonal)
            .map(|(row, s)| row.into_iter().map(|q| q + s).collect())
            .collect();
        ModelOutput { mean, quantiles }
    }

    /// The factor that widens the intervals of an `h`-step forecast (see the module doc): the
    /// root mean square of the standardised errors at earlier origins, within 1 ..=
    /// [`MAX_SPREAD`]; 1 when no origin can be used.
    pub fn spread(&self, h: usize, paths: usize, seed: u64) -> f64 {
        let y = self.history();
        let periods = &self.decomposition.periods;
        let z = normal_quantile(0.9);
        let step = (h / 2).max(1);
        let (mut sum, mut count) = (0.0, 0usize);
        for k in 0..CALIBRATION_ORIGINS {
            let Some(origin) = y.len().checked_sub(h + k * step) else {
                break;
            };
            // the same seasons as the fit, or the origin is another model
            let Some(d) = stl::mstl(&y[..origin], periods).filter(|d| &d.periods == periods) else {
                break;
            };
            let adjusted: Vec<f64> = d
                .trend
                .iter()
                .zip(&d.remainder)
                .map(|(t, r)| t + r)
                .collect();
            let Some(trend_model) = self.trend_model.refilter(&adjusted) else {
                continue;
            };
            let at = MstlFit {
                decomposition: d,
                trend_model,
            };
            let out = at.raw_forecast(h, &[0.1, 0.9], paths, seed);
            for (j, (m, row)) in out.mean.iter().zip(&out.quantiles).enumerate() {
                let sd = (row[1] - row[0]) / (2.0 * z);
                if sd.is_finite() && sd > 1e-9 * (1.0 + m.abs()) {
                    let r = (y[origin + j] - m) / sd;
                    sum += r * r;
                    count += 1;
                }
            }
        }
        if count == 0 {
            return 1.0;
        }
        let f = (sum / count as f64).sqrt();
        if f.is_finite() {
            f.clamp(1.0, MAX_SPREAD)
        } else {
            1.0
        }
    }

    /// Mean and quantiles for `h` steps (see the module doc); `paths` and `seed` serve the
    /// trend model's simulated intervals when its error is multiplicative.
    pub fn forecast(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> ModelOutput {
        let raw = self.raw_forecast(h, levels, paths, seed);
        let f = self.spread(h, paths, seed);
        let quantiles = raw
            .quantiles
            .into_iter()
            .zip(&raw.mean)
            .map(|(row, m)| monotone_floor(row.into_iter().map(|q| m + f * (q - m)).collect()))
            .collect();
        let mean = raw.mean.into_iter().map(|v| v.max(0.0)).collect();
        ModelOutput { mean, quantiles }
    }
}
