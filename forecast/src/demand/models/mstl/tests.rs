//! Hand-built cases of loess, STL, MSTL and the MSTL forecast.
#![allow(clippy::unwrap_used)]
use super::stl::{loess, mstl, stl, StlParams};
use super::*;
use crate::demand::rng::Rng;
use std::f64::consts::PI;

/// A zero-sum monthly pattern of amplitude about 10.
const PATTERN: [f64; 12] = [
    -8.0, -6.0, -2.0, 3.0, 7.0, 10.0, 9.0, 5.0, 0.0, -4.0, -6.0, -8.0,
];

/// `50 + 0.2 t + PATTERN[t % 12] + noise_sd N(0, 1)`, seeded.
fn trend_and_pattern(n: usize, noise_sd: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|t| 50.0 + 0.2 * t as f64 + PATTERN[t % 12] + noise_sd * rng.normal())
        .collect()
}

/// The largest absolute difference of two equally long slices.
fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Loess of degree 1 reproduces a line exactly (also with jumps, interpolated), degree 0 a
/// constant; an empty input gives an empty output.
#[test]
fn loess_reproduces_lines_and_constants() {
    let line: Vec<f64> = (0..40).map(|t| 3.0 + 0.5 * t as f64).collect();
    for jump in [1, 4] {
        let fit = loess(&line, None, 9, 1, jump);
        assert!(max_gap(&fit, &line) < 1e-9, "jump {jump}");
    }
    let flat = vec![4.0; 15];
    assert!(max_gap(&loess(&flat, None, 7, 0, 2), &flat) < 1e-12);
    assert!(loess(&[], None, 7, 1, 1).is_empty());
}

/// STL of ten years of monthly data (a linear trend, a known zero-sum pattern of amplitude 10,
/// noise of sd 0.5) recovers the pattern within 1.0 at every month and the trend within 0.75;
/// the three components add up to the series.
#[test]
fn stl_recovers_a_known_pattern() {
    let y = trend_and_pattern(120, 0.5, 3);
    let d = stl(&y, &StlParams::new(12, 11)).unwrap();
    let want: Vec<f64> = (0..120).map(|t| PATTERN[t % 12]).collect();
    let gap = max_gap(&d.seasonal, &want);
    assert!(gap < 1.0, "seasonal off by {gap}");
    let trend: Vec<f64> = (0..120).map(|t| 50.0 + 0.2 * t as f64).collect();
    let gap = max_gap(&d.trend, &trend);
    assert!(gap < 0.75, "trend off by {gap}");
    for (t, v) in y.iter().enumerate() {
        let sum = d.seasonal[t] + d.trend[t] + d.remainder[t];
        assert!((sum - v).abs() < 1e-9);
    }
}

/// With robustness weights, three large outliers (one in each of three calendar months) barely
/// move those months' seasonal estimates (within 1.0 of the pattern in every year), while
/// the non-robust STL lets them through (more than twice as far off).
#[test]
fn robust_stl_resists_outliers() {
    let mut y = trend_and_pattern(120, 0.5, 5);
    let outliers = [42, 55, 68]; // months 6, 7 and 8
    for t in outliers {
        y[t] += 40.0;
    }
    let want: Vec<f64> = (0..120).map(|t| PATTERN[t % 12]).collect();
    let robust = stl(&y, &StlParams::robust(12, 11, 5)).unwrap();
    let plain = stl(&y, &StlParams::new(12, 11)).unwrap();
    let months = |d: &[f64]| {
        (0..120)
            .filter(|t| (6..=8).contains(&(t % 12)))
            .map(|t| (d[t] - want[t]).abs())
            .fold(0.0, f64::max)
    };
    let robust_gap = months(&robust.seasonal);
    let plain_gap = months(&plain.seasonal);
    assert!(robust_gap < 1.0, "robust seasonal off by {robust_gap}");
    assert!(plain_gap > 2.0 * robust_gap, "{plain_gap} vs {robust_gap}");
}

/// Hourly-like data over six weeks: a daily wave (amplitude 5), a weekly pattern (amplitude
/// about 3.5, smooth), a slow trend and noise of sd 0.3. MSTL with periods 168 and 24 (given in
/// any order) keeps both, shortest first, and recovers the daily component within 0.8 and the
/// weekly within 1.0 away from the first and last day.
#[test]
fn mstl_recovers_daily_and_weekly_seasons() {
    let n = 6 * 168;
    let daily = |t: usize| 5.0 * (2.0 * PI * t as f64 / 24.0).sin();
    let weekly = |t: usize| {
        let a = 2.0 * PI * t as f64 / 168.0;
        3.0 * a.sin() + 1.5 * (2.0 * a).cos()
    };
    let mut rng = Rng::new(11);
    let y: Vec<f64> = (0..n)
        .map(|t| 100.0 + 0.01 * t as f64 + daily(t) + weekly(t) + 0.3 * rng.normal())
        .collect();
    let d = mstl(&y, &[168, 24]).unwrap();
    assert_eq!(d.periods, [24, 168]);
    let mid = 24..n - 24;
    let want_d: Vec<f64> = mid.clone().map(daily).collect();
    let want_w: Vec<f64> = mid.clone().map(weekly).collect();
    let gap_d = max_gap(&d.seasonals[0][mid.clone()], &want_d);
    let gap_w = max_gap(&d.seasonals[1][mid], &want_w);
    assert!(gap_d < 0.8, "daily off by {gap_d}");
    assert!(gap_w < 1.0, "weekly off by {gap_w}");
    // a period without two full cycles is dropped
    let short = mstl(&y[..300], &[24, 168]).unwrap();
    assert_eq!(short.periods, [24]);
}

/// A constant series forecasts flat, with every quantile at the constant; an all-zero one
/// forecasts zeros.
#[test]
fn constant_series_forecasts_flat() {
    for c in [7.0, 0.0] {
        let y = vec![c; 48];
        let f = fit(&y, &[12])
            .unwrap()
            .forecast(10, &[0.1, 0.5, 0.9], 100, 1);
        assert_eq!(f.mean.len(), 10);
        for (m, row) in f.mean.iter().zip(&f.quantiles) {
            assert!((m - c).abs() < 1e-6, "mean {m}");
            assert!(row.iter().all(|q| (q - c).abs() < 1e-6), "{row:?}");
        }
    }
}

/// Too short (under two seasons, one value, none), no season, or a non-finite value: no
/// fit, no panic.
#[test]
fn short_or_bad_series_give_no_fit() {
    let y = trend_and_pattern(23, 0.5, 1);
    assert!(fit(&y, &[12]).is_none());
    assert!(fit(&y[..1], &[12]).is_none());
    assert!(fit(&[], &[12]).is_none());
    assert!(fit(&trend_and_pattern(48, 0.5, 1), &[1]).is_none());
    assert!(fit(&trend_and_pattern(48, 0.5, 1), &[]).is_none());
    let mut bad = trend_and_pattern(48, 0.5, 1);
    bad[10] = f64::NAN;
    assert!(fit(&bad, &[12]).is_none());
    assert!(!serves(23, &[12]) && serves(24, &[12]));
    // exactly two seasons is enough
    assert!(fit(&trend_and_pattern(24, 0.5, 1), &[12]).is_some());
}

/// The forecast continues the trend and repeats the pattern: on the ten-year series the next
/// year's mean is within 2.0 of `50 + 0.2 t + PATTERN`, and the 10% / 90% quantiles bracket
/// the mean.
#[test]
fn forecast_continues_trend_and_pattern() {
    let y = trend_and_pattern(120, 0.5, 9);
    let f = fit(&y, &[12])
        .unwrap()
        .forecast(12, &[0.1, 0.5, 0.9], 100, 1);
    for (j, (m, row)) in f.mean.iter().zip(&f.quantiles).enumerate() {
        let t = 120 + j;
        let want = 50.0 + 0.2 * t as f64 + PATTERN[t % 12];
        assert!((m - want).abs() < 2.0, "step {j}: {m} vs {want}");
        assert!(row[0] < *m && *m < row[2], "step {j}: {row:?}");
    }
}

/// The 80 % interval covers about 80 % of held-out values: 60 seeded series of three years of
/// monthly data (trend, pattern, noise of sd 2), each forecast one year ahead; the share of the
/// 720 next values inside the 10 % .. 90 % quantiles is within 0.72 ..= 0.88. Without the
/// spread factor the same intervals cover markedly less (the seasonal estimate's error is left
/// out of the trend model's variance).
#[test]
fn eighty_percent_interval_covers_about_eighty_percent() {
    let (n, h) = (36, 12);
    let (mut inside, mut inside_raw, mut total) = (0usize, 0usize, 0usize);
    for seed in 0..60 {
        let y = trend_and_pattern(n + h, 2.0, 100 + seed);
        let fit = fit(&y[..n], &[12]).unwrap();
        let out = fit.forecast(h, &[0.1, 0.9], 200, seed);
        let raw = fit.raw_forecast(h, &[0.1, 0.9], 200, seed);
        for j in 0..h {
            let v = y[n + j];
            inside += usize::from(out.quantiles[j][0] <= v && v <= out.quantiles[j][1]);
            inside_raw += usize::from(raw.quantiles[j][0] <= v && v <= raw.quantiles[j][1]);
            total += 1;
        }
    }
    let cov = inside as f64 / total as f64;
    let cov_raw = inside_raw as f64 / total as f64;
    assert!(
        (0.72..=0.88).contains(&cov),
        "coverage {cov} (raw {cov_raw})"
    );
    assert!(cov_raw < cov - 0.05, "coverage {cov}, raw {cov_raw}");
}
