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
//!   whose innovations carry the remainder's spread, shifted by the repeated seasonal values;
//!   the seasonal components are treated as known. Mean and quantiles are then floored at 0
//!   like every model's. In the automatic choice the candidate's quantiles go through the
//!   same backtest weighting and per-level recalibration as ETS's and ARIMA's.
pub mod stl;
#[cfg(test)]
mod tests;

use super::{ets, ModelOutput};
use crate::demand::quantile::monotone_floor;
use crate::demand::EtsSearch;

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

    /// Mean and quantiles for `h` steps (see the module doc); `paths` and `seed` serve the
    /// trend model's simulated intervals when its error is multiplicative.
    pub fn forecast(&self, h: usize, levels: &[f64], paths: usize, seed: u64) -> ModelOutput {
        let trend = self.trend_model.raw_forecast(h, levels, paths, seed);
        let seasonal = self.seasonal_path(h);
        let mean = trend
            .mean
            .iter()
            .zip(&seasonal)
            .map(|(t, s)| (t + s).max(0.0))
            .collect();
        let quantiles = trend
            .quantiles
            .into_iter()
            .zip(&seasonal)
            .map(|(row, s)| monotone_floor(row.into_iter().map(|q| q + s).collect()))
            .collect();
        ModelOutput { mean, quantiles }
    }
}
