//! Per-level recalibration on backtest windows (`demand::calibrate`).
use milkrun_forecast::demand::calibrate::{apply, factors, factors_with, CalibPoint};

/// `n` points per window over `windows` windows: mean 10, q0.1 at 0 (far too low: every
/// actual is 9 or 11), q0.9 at 20 (far too high).
fn wide_band(windows: usize, n: usize) -> Vec<CalibPoint> {
    let mut out = Vec::new();
    for w in 0..windows {
        for j in 0..n {
            out.push(CalibPoint {
                window: w,
                weight: 1.0,
                actual: if j % 2 == 0 { 9.0 } else { 11.0 },
                mean: 10.0,
                quantiles: vec![0.0, 20.0],
            });
        }
    }
    out
}

/// A lower quantile that is consistently too low is pulled towards the mean (to the grid's
/// smallest factor, 0.5: q0.1 from 0 to 5); the upper level is never touched.
#[test]
fn too_wide_lower_level_is_narrowed_upper_kept() {
    let f = factors(&wide_band(3, 200), &[0.1, 0.9]);
    assert!((f[0] - 0.5).abs() < 1e-12, "{f:?}");
    assert_eq!(f[1], 1.0);
    let mut q = vec![vec![0.0, 20.0]];
    apply(&[10.0], &mut q, &f);
    assert_eq!(q, vec![vec![5.0, 20.0]]);
}

/// With the upper levels on (`calibrate_upper`), the too-high q0.9 is pulled in too (to the
/// grid's smallest factor: 20 -> 15), under the same held-out check and point minimum.
#[test]
fn upper_level_is_narrowed_when_asked() {
    let f = factors_with(&wide_band(3, 200), &[0.1, 0.9], true);
    assert!((f[0] - 0.5).abs() < 1e-12, "{f:?}");
    assert!((f[1] - 0.5).abs() < 1e-12, "{f:?}");
    let mut q = vec![vec![0.0, 20.0]];
    apply(&[10.0], &mut q, &f);
    assert_eq!(q, vec![vec![5.0, 15.0]]);
    // 3 x 100 points x (1 - 0.9) = 30 expected points above q0.9, under the minimum of 50
    assert_eq!(
        factors_with(&wide_band(3, 100), &[0.1, 0.9], true),
        vec![1.0, 1.0]
    );
}

/// One window (no held-out check possible) or too few points: nothing changes.
#[test]
fn too_little_evidence_keeps_levels() {
    assert_eq!(factors(&wide_band(1, 600), &[0.1, 0.9]), vec![1.0, 1.0]);
    // 3 x 100 points x 0.1 = 30 expected points below q0.1, under the minimum of 50
    assert_eq!(factors(&wide_band(3, 100), &[0.1, 0.9]), vec![1.0, 1.0]);
}

/// A level whose quantile is already right (the actuals straddle it as the level says) fails
/// the held-out check and keeps factor 1.
#[test]
fn calibrated_level_is_kept() {
    let mut pts = Vec::new();
    for w in 0..3 {
        for j in 0..600 {
            // actuals spread evenly over 0..20: 10% lie below 2, 10% above 18
            let actual = 0.1 + 0.2 * (j % 100) as f64;
            pts.push(CalibPoint {
                window: w,
                weight: 1.0,
                actual,
                mean: 10.0,
                quantiles: vec![2.0, 18.0],
            });
        }
    }
    assert_eq!(factors(&pts, &[0.1, 0.9]), vec![1.0, 1.0]);
}
