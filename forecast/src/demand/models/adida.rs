//! ADIDA (Nikolopoulos et al. 2011) and IMAPA (Petropoulos and Kourentzes 2015).
//!
//! ADIDA sums the series into non-overlapping buckets of `k` periods (k = the mean interval
//! between demands, rounded), forecasts the bucket totals by SES and spreads the bucket forecast
//! evenly over its periods. IMAPA averages that forecast over every bucket size `1..=k`.
use super::croston::sizes_and_intervals;
use super::ses;

/// Mean inter-demand interval (ADI), rounded, at least 1.
pub fn aggregation_level(y: &[f64]) -> usize {
    let (_, intervals) = sizes_and_intervals(y);
    if intervals.is_empty() {
        return 1;
    }
    let adi = intervals.iter().sum::<f64>() / intervals.len() as f64;
    (adi.round() as usize).max(1)
}

/// Per-period forecast from buckets of `k` periods, aligned to end at the last observation.
pub fn per_period(y: &[f64], k: usize) -> f64 {
    let k = k.max(1);
    let nb = y.len() / k;
    if nb == 0 {
        return y.iter().sum::<f64>() / y.len().max(1) as f64;
    }
    let skip = y.len() - nb * k;
    let buckets: Vec<f64> = y[skip..].chunks(k).map(|c| c.iter().sum()).collect();
    ses::optimized_level(&buckets) / k as f64
}

/// ADIDA forecast (flat).
pub fn point_adida(y: &[f64], h: usize) -> Vec<f64> {
    vec![per_period(y, aggregation_level(y)); h]
}

/// IMAPA forecast (flat): mean of the per-period forecasts over bucket sizes `1..=k`.
pub fn point_imapa(y: &[f64], h: usize) -> Vec<f64> {
    let k = aggregation_level(y);
    let f = (1..=k).map(|kk| per_period(y, kk)).sum::<f64>() / k as f64;
    vec![f; h]
}
