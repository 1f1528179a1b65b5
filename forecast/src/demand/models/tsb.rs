//! TSB (Teunter, Syntetos and Babai 2011): smooths the demand probability every period and the
//! demand size at non-zero periods; forecast = probability x size. Suits items whose demand
//! dies out, where Croston keeps forecasting the old rate.
use super::croston::sizes_and_intervals;

/// TSB forecast with smoothing `alpha` for sizes and `beta` for the probability.
pub fn point_with(y: &[f64], h: usize, alpha: f64, beta: f64) -> Vec<f64> {
    let (sizes, _) = sizes_and_intervals(y);
    let Some(&z0) = sizes.first() else {
        return vec![0.0; h];
    };
    let nonzero = sizes.len() as f64 / y.len() as f64;
    let mut d = nonzero;
    let mut z = z0;
    for &v in y {
        if v > 0.0 {
            d += beta * (1.0 - d);
            z += alpha * (v - z);
        } else {
            d -= beta * d;
        }
    }
    vec![d * z; h]
}

/// TSB with `alpha`, `beta` chosen on a grid of `[0.05, 0.3]` by in-sample one-step squared
/// error.
pub fn point(y: &[f64], h: usize) -> Vec<f64> {
    let grid = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
    let mut best = (f64::INFINITY, 0.1, 0.1);
    let (sizes, _) = sizes_and_intervals(y);
    if sizes.is_empty() {
        return vec![0.0; h];
    }
    for &a in &grid {
        for &b in &grid {
            let err = in_sample_sse(y, a, b, sizes[0]);
            if err < best.0 {
                best = (err, a, b);
            }
        }
    }
    point_with(y, h, best.1, best.2)
}

fn in_sample_sse(y: &[f64], alpha: f64, beta: f64, z0: f64) -> f64 {
    let nonzero = y.iter().filter(|v| **v > 0.0).count() as f64 / y.len() as f64;
    let (mut d, mut z, mut s) = (nonzero, z0, 0.0);
    for &v in y {
        let f = d * z;
        s += (v - f) * (v - f);
        if v > 0.0 {
            d += beta * (1.0 - d);
            z += alpha * (v - z);
        } else {
            d -= beta * d;
        }
    }
    s
}
