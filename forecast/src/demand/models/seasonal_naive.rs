//! Seasonal naive: each future step repeats the value one season earlier.
//!
//! Quantiles: the empirical quantiles of the one-season-ahead residuals
//! `y[t] - y[t-m]`, taken relative to their median, scaled by `sqrt(k)` for a step `k` seasons
//! ahead (a seasonal random walk).
//!
//! The point forecast (last season's value) is the median of a seasonal random walk, so the
//! residual quantiles are centred on the residuals' median: the level-0.5 quantile is the point
//! forecast and the band always holds it. Raw residual quantiles did not: a short or trending
//! history has residuals of one sign (a length-2 series has a single one), which put every
//! quantile on one side of the mean (issue "Ready to serve": mean 6 below q0.1 7).
use super::ModelOutput;
use crate::demand::quantile::{empirical_quantiles, median, table_from_offsets};

/// Mean path only: `y[n - m + (j mod m)]` for step `j` (0-based). With fewer than `m` values the
/// season falls back to 1 (naive).
pub fn point(y: &[f64], h: usize, m: usize) -> Vec<f64> {
    let n = y.len();
    if n == 0 {
        return vec![0.0; h];
    }
    let m = if m == 0 || m > n { 1 } else { m };
    (0..h).map(|j| y[n - m + (j % m)]).collect()
}

/// Seasonal naive forecast with quantiles at `levels`.
pub fn forecast(y: &[f64], h: usize, m: usize, levels: &[f64]) -> ModelOutput {
    let n = y.len();
    let m_used = if m == 0 || m >= n { 1 } else { m };
    let mean = point(y, h, m_used);
    let resid: Vec<f64> = (m_used..n).map(|t| y[t] - y[t - m_used]).collect();
    let base = if resid.is_empty() {
        vec![0.0; levels.len()]
    } else {
        let med = median(&resid);
        empirical_quantiles(&resid, levels)
            .into_iter()
            .map(|q| q - med)
            .collect()
    };
    let offsets: Vec<Vec<f64>> = (0..h)
        .map(|j| {
            let k = (j / m_used + 1) as f64;
            base.iter().map(|q| q * k.sqrt()).collect()
        })
        .collect();
    ModelOutput {
        quantiles: table_from_offsets(&mean, &offsets),
        mean,
    }
}
