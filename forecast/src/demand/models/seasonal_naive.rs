//! Seasonal naive: each future step repeats the value one season earlier.
//!
//! Quantiles: the empirical quantiles of the one-season-ahead residuals
//! `y[t] - y[t-m]`, scaled by `sqrt(k)` for a step `k` seasons ahead (a seasonal random walk).
use super::ModelOutput;
use crate::demand::quantile::{empirical_quantiles, table_from_offsets};

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
        empirical_quantiles(&resid, levels)
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
