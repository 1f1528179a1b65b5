//! Croston's method and the Syntetos-Boylan approximation (SBA) for intermittent demand.
//!
//! The non-zero demand sizes and the intervals between them are smoothed separately by SES
//! (smoothing chosen on `[0.1, 0.3]` by in-sample error, as "optimised Croston"); the forecast
//! per period is size / interval, times `1 - alpha/2` for SBA. Quantiles come from conformal
//! calibration (see [`crate::demand::conformal`]).
use super::ses;

/// Demand sizes and inter-demand intervals of `y` (the first interval counts from the start).
pub fn sizes_and_intervals(y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut sizes = Vec::new();
    let mut intervals = Vec::new();
    let mut last: Option<usize> = None;
    for (t, &v) in y.iter().enumerate() {
        if v > 0.0 {
            sizes.push(v);
            intervals.push(match last {
                Some(p) => (t - p) as f64,
                None => (t + 1) as f64,
            });
            last = Some(t);
        }
    }
    (sizes, intervals)
}

/// Croston forecast (flat over the horizon). `sba` applies the bias correction `1 - alpha/2`.
pub fn point(y: &[f64], h: usize, sba: bool) -> Vec<f64> {
    let (sizes, intervals) = sizes_and_intervals(y);
    if sizes.is_empty() {
        return vec![0.0; h];
    }
    let a_z = ses::best_alpha(&sizes, 0.1, 0.3);
    let a_p = ses::best_alpha(&intervals, 0.1, 0.3);
    let z = ses::level(&sizes, a_z);
    let p = ses::level(&intervals, a_p).max(1.0);
    let f = if sba {
        (1.0 - a_p / 2.0) * z / p
    } else {
        z / p
    };
    vec![f; h]
}

/// Croston with fixed smoothing `alpha` for both sizes and intervals (the classic form; used by
/// the tests to check a hand computation).
pub fn point_fixed(y: &[f64], h: usize, alpha: f64, sba: bool) -> Vec<f64> {
    let (sizes, intervals) = sizes_and_intervals(y);
    if sizes.is_empty() {
        return vec![0.0; h];
    }
    let z = ses::level(&sizes, alpha);
    let p = ses::level(&intervals, alpha).max(1.0);
    let f = if sba {
        (1.0 - alpha / 2.0) * z / p
    } else {
        z / p
    };
    vec![f; h]
}
