//! Panel-level recalibration of each quantile level on the backtest windows.
//!
//! The automatic choice already forecasts every backtest window with every candidate; the
//! combined forecast of a window and the values that followed give, pooled over the series of
//! the panel, a calibration set per level. For level `tau` the rule widens or narrows the
//! distance of that quantile from the mean by one factor `f` for the whole panel,
//! `q' = mean + f (q - mean)`, with `f` on a grid from 0.5 to 1.5 minimising the pinball loss
//! at `tau` (each series weighted by its scale, as in the scaled pinball loss). A level's factor
//! is accepted only when it passes a leave-one-window-out check: fitted on the other windows,
//! it must lower the pinball loss of the held-out window, summed over the windows; otherwise
//! the level is left as it is (factor 1). Each level is decided on its own, so a level whose
//! quantiles are already right keeps them. Rows are made monotone again afterwards.
//!
//! Only the levels below the median are calibrated, and only when the panel gives at least
//! [`MIN_TAIL_POINTS`] expected points below the level (walmart's 7 series x 3 windows do
//! not). Decided on development windows (the last 56, 112 and 224 days of Chicago cut off
//! first): calibrating the upper levels too narrowed q0.9 on backtest windows that had no
//! demand spikes and made the scaled pinball at 0.9 worse on two of the three periods
//! (0.595 -> 0.737, 0.418 -> 0.453), while the lower levels' calibration lowered the pinball
//! at 0.1 on two (0.362 -> 0.325, 0.380 -> 0.359) and left the third even (0.636 -> 0.636).
//! Upper quantiles also set order quantities, where a band too narrow costs stock-outs.
//! [`factors_with`] calibrates the levels above the median too (with at least
//! [`MIN_TAIL_POINTS`] expected points above them) under the same check, for
//! [`super::ForecastConfig::calibrate_upper`] (off by default: bench/README.md, issue #24).
use super::metrics::pinball_one;
use super::quantile::monotone_floor;

/// Smallest and largest factor tried.
const GRID_LO: f64 = 0.5;
/// Grid step.
const GRID_STEP: f64 = 0.025;
/// Grid points (0.5 ..= 1.5).
const GRID_N: usize = 41;
/// Fewest expected points beyond a level (points x level) for it to be calibrated.
const MIN_TAIL_POINTS: f64 = 50.0;

/// One backtest value of one series with its combined forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibPoint {
    /// Backtest window (0 = the most recent).
    pub window: usize,
    /// Weight of the point (1 / (scale of the series x points of its window)).
    pub weight: f64,
    /// The actual value.
    pub actual: f64,
    /// The forecast mean.
    pub mean: f64,
    /// The forecast quantiles, one per level.
    pub quantiles: Vec<f64>,
}

fn factor_at(g: usize) -> f64 {
    GRID_LO + GRID_STEP * g as f64
}

/// The grid index of factor 1.
fn neutral() -> usize {
    ((1.0 - GRID_LO) / GRID_STEP).round() as usize
}

/// One factor per level (1 where the leave-one-window-out check fails or there are fewer than
/// two windows); only the levels below the median.
pub fn factors(points: &[CalibPoint], levels: &[f64]) -> Vec<f64> {
    factors_with(points, levels, false)
}

/// [`factors`], with the levels above the median calibrated too when `upper` is set (each
/// with enough expected points above it: points x (1 - level) >= [`MIN_TAIL_POINTS`]).
pub fn factors_with(points: &[CalibPoint], levels: &[f64], upper: bool) -> Vec<f64> {
    let windows = points.iter().map(|p| p.window + 1).max().unwrap_or(0);
    if windows < 2 {
        return vec![1.0; levels.len()];
    }
    let one = neutral();
    levels
        .iter()
        .enumerate()
        .map(|(l, &tau)| {
            // the levels below the median (and above it with `upper`), each with enough points
            // beyond it
            let tail = if tau < 0.5 {
                tau
            } else if upper && tau > 0.5 {
                1.0 - tau
            } else {
                return 1.0;
            };
            if (points.len() as f64) * tail < MIN_TAIL_POINTS {
                return 1.0;
            }
            // loss[w][g]: pinball of window w with grid factor g
            let mut loss = vec![[0.0_f64; GRID_N]; windows];
            for p in points {
                let Some(&q) = p.quantiles.get(l) else {
                    continue;
                };
                let row = &mut loss[p.window];
                for (g, cell) in row.iter_mut().enumerate() {
                    let qq = p.mean + factor_at(g) * (q - p.mean);
                    *cell += p.weight * pinball_one(p.actual - qq.max(0.0), tau);
                }
            }
            let best_without = |skip: Option<usize>| -> usize {
                (0..GRID_N)
                    .min_by(|&a, &b| {
                        let sum = |g: usize| -> f64 {
                            loss.iter()
                                .enumerate()
                                .filter(|(w, _)| Some(*w) != skip)
                                .map(|(_, r)| r[g])
                                .sum()
                        };
                        sum(a).total_cmp(&sum(b))
                    })
                    .unwrap_or(one)
            };
            let (mut held, mut base) = (0.0, 0.0);
            for (w, row) in loss.iter().enumerate() {
                held += row[best_without(Some(w))];
                base += row[one];
            }
            if held < base {
                factor_at(best_without(None))
            } else {
                1.0
            }
        })
        .collect()
}

/// Applies per-level factors to a forecast's quantile rows (`[step][level]`) around its mean;
/// the rows stay nondecreasing and non-negative.
pub fn apply(mean: &[f64], quantiles: &mut [Vec<f64>], factors: &[f64]) {
    if factors.iter().all(|f| *f == 1.0) {
        return;
    }
    for (m, row) in mean.iter().zip(quantiles.iter_mut()) {
        let scaled: Vec<f64> = row
            .iter()
            .zip(factors)
            .map(|(q, f)| m + f * (q - m))
            .collect();
        *row = monotone_floor(scaled);
    }
}
