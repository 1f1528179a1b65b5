//! Conformal quantiles on rolling windows.
//!
//! For a point-forecast function, the model is refitted at each of the last `windows` origins
//! (one period apart) that leave `h` values to compare with; the signed errors of every step
//! and origin are pooled, and their empirical quantiles at each level are added to the mean.
//! The result is monotone in the level by construction.
use crate::demand::quantile::{empirical_quantiles, table_from_offsets};

/// Point forecast of a model: `(history, horizon) -> mean path`.
pub type PointFn<'a> = &'a dyn Fn(&[f64], usize) -> Vec<f64>;

/// Pooled rolling-origin errors of `point` on `y` (signed: actual - forecast).
pub fn rolling_errors(
    y: &[f64],
    h: usize,
    windows: usize,
    min_train: usize,
    point: PointFn<'_>,
) -> Vec<f64> {
    let n = y.len();
    let mut errs = Vec::new();
    for w in 0..windows {
        let Some(origin) = n.checked_sub(h + w) else {
            break;
        };
        if origin < min_train.max(1) {
            break;
        }
        let f = point(&y[..origin], h);
        for (j, fj) in f.iter().enumerate() {
            errs.push(y[origin + j] - fj);
        }
    }
    errs
}

/// Mean path on the full history plus conformal quantiles at `levels`, `[step][level]`.
/// With too little history for any window, the spread of the history around its mean is used.
pub fn forecast(
    y: &[f64],
    h: usize,
    levels: &[f64],
    windows: usize,
    point: PointFn<'_>,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mean = point(y, h);
    let mut errs = rolling_errors(y, h.min(y.len() / 3).max(1), windows, 4, point);
    if errs.is_empty() {
        let avg = y.iter().sum::<f64>() / y.len().max(1) as f64;
        errs = y.iter().map(|v| v - avg).collect();
    }
    let off = empirical_quantiles(&errs, levels);
    let offsets = vec![off; h];
    let q = table_from_offsets(&mean, &offsets);
    (mean, q)
}
