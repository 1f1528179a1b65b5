//! Quantile helpers: the normal quantile function, empirical quantiles, and assembling a
//! `[step][level]` quantile table that is monotone by construction.

/// Standard normal cumulative distribution (via `libm::erfc`).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal quantile (inverse of [`normal_cdf`]) for `p` in (0, 1), by bisection.
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let (mut lo, mut hi) = (-9.0_f64, 9.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Empirical quantile of already sorted data (linear interpolation between order statistics,
/// "type 7"); 0 for empty data.
pub fn sorted_quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Sorts a copy of `data` (NaN-free) and returns the empirical quantile at each level.
pub fn empirical_quantiles(data: &[f64], levels: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    levels.iter().map(|&p| sorted_quantile(&s, p)).collect()
}

/// Quantile table from a mean path and, per step, the quantiles of the forecast error at each
/// level (`offsets[step][level]`, nondecreasing in the level). Values are floored at 0 (demand
/// is non-negative) and a running maximum over levels guards the monotone order.
pub fn table_from_offsets(mean: &[f64], offsets: &[Vec<f64>]) -> Vec<Vec<f64>> {
    mean.iter()
        .zip(offsets)
        .map(|(m, off)| monotone_floor(off.iter().map(|o| m + o).collect()))
        .collect()
}

/// Floors a quantile row at 0 and makes it nondecreasing (running maximum).
pub fn monotone_floor(mut row: Vec<f64>) -> Vec<f64> {
    let mut run = 0.0_f64;
    for v in row.iter_mut() {
        let x = if v.is_finite() { v.max(0.0) } else { run };
        run = run.max(x);
        *v = run;
    }
    row
}

/// Median of a slice (0 for empty).
pub fn median(data: &[f64]) -> f64 {
    empirical_quantiles(data, &[0.5])[0]
}
