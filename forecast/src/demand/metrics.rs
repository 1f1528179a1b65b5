//! Accuracy metrics for point and quantile forecasts, computed per series the way the
//! statsforecast peer script (`shared/tools/peers/forecast_peer.py`) computes them:
//!
//! - MASE = MAE(test) / mean |y_t - y_{t-m}| over the training part;
//! - RMSSE = sqrt(MSE(test) / mean (y_t - y_{t-m})^2 over the training part) (M5);
//!   for intermittent data the scale may start at the first non-zero value, as in M5;
//! - sMAPE = 100 mean 2|y - f| / (|y| + |f|), a 0/0 term counting as 0;
//! - pinball loss at level tau = mean max(tau (y - q), (tau - 1)(y - q)); scaled pinball (SPL)
//!   divides it by the MASE scale (M5 uncertainty track);
//! - interval coverage = share of actuals inside `[q_lo, q_hi]`.

/// Seasonal-difference scales of a training part: (mean |d|, mean d^2) with
/// `d_t = y_t - y_{t-m}`; `None` when the part is not longer than `m`. With `from_first_sale`,
/// leading zeros are dropped first.
pub fn scales(train: &[f64], m: usize, from_first_sale: bool) -> Option<(f64, f64)> {
    let y = if from_first_sale {
        match train.iter().position(|v| *v != 0.0) {
            Some(i) => &train[i..],
            None => train,
        }
    } else {
        train
    };
    let m = m.max(1);
    if y.len() <= m {
        return None;
    }
    let d: Vec<f64> = (m..y.len()).map(|t| y[t] - y[t - m]).collect();
    let k = d.len() as f64;
    Some((
        d.iter().map(|v| v.abs()).sum::<f64>() / k,
        d.iter().map(|v| v * v).sum::<f64>() / k,
    ))
}

/// Mean absolute error.
pub fn mae(y: &[f64], f: &[f64]) -> f64 {
    y.iter().zip(f).map(|(a, b)| (a - b).abs()).sum::<f64>() / y.len().max(1) as f64
}

/// Mean squared error.
pub fn mse(y: &[f64], f: &[f64]) -> f64 {
    y.iter().zip(f).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / y.len().max(1) as f64
}

/// Symmetric MAPE in percent (0/0 terms count as 0).
pub fn smape(y: &[f64], f: &[f64]) -> f64 {
    let s: f64 = y
        .iter()
        .zip(f)
        .map(|(a, b)| {
            let den = a.abs() + b.abs();
            if den > 0.0 {
                2.0 * (a - b).abs() / den
            } else {
                0.0
            }
        })
        .sum();
    100.0 * s / y.len().max(1) as f64
}

/// Pinball loss at level `tau` of one error `u = actual - quantile`.
pub fn pinball_one(u: f64, tau: f64) -> f64 {
    (tau * u).max((tau - 1.0) * u)
}

/// Mean pinball loss of quantile forecasts `q` at level `tau`.
pub fn pinball(y: &[f64], q: &[f64], tau: f64) -> f64 {
    y.iter()
        .zip(q)
        .map(|(a, b)| pinball_one(a - b, tau))
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// Share of `y` inside `[lo, hi]`.
pub fn coverage(y: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    let inside = y
        .iter()
        .zip(lo.iter().zip(hi))
        .filter(|(a, (l, h))| **a >= **l && **a <= **h)
        .count();
    inside as f64 / y.len().max(1) as f64
}

/// Scores of one forecast against its test part.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesScore {
    /// MASE (`None` when the scale is 0 or undefined).
    pub mase: Option<f64>,
    /// RMSSE (`None` when the scale is 0 or undefined).
    pub rmsse: Option<f64>,
    /// sMAPE in percent.
    pub smape: f64,
    /// Pinball loss per level.
    pub pinball: Vec<f64>,
    /// Scaled pinball loss per level (`None` when the scale is 0 or undefined).
    pub spl: Vec<Option<f64>>,
}

/// Scores a forecast (`mean`, `quantiles[step][level]` at `levels`) against `test`, with scales
/// from `train` (season `m`).
pub fn score(
    train: &[f64],
    test: &[f64],
    mean: &[f64],
    quantiles: &[Vec<f64>],
    levels: &[f64],
    m: usize,
    from_first_sale: bool,
) -> SeriesScore {
    let k = test.len().min(mean.len());
    let (test, mean) = (&test[..k], &mean[..k]);
    let sc = scales(train, m, from_first_sale).filter(|(a, _)| *a > 0.0 && a.is_finite());
    let pin: Vec<f64> = levels
        .iter()
        .enumerate()
        .map(|(l, &tau)| {
            let q: Vec<f64> = quantiles[..k].iter().map(|r| r[l]).collect();
            pinball(test, &q, tau)
        })
        .collect();
    SeriesScore {
        mase: sc.map(|(a, _)| mae(test, mean) / a),
        rmsse: sc.map(|(_, s)| (mse(test, mean) / s).sqrt()),
        smape: smape(test, mean),
        spl: pin.iter().map(|p| sc.map(|(a, _)| p / a)).collect(),
        pinball: pin,
    }
}
