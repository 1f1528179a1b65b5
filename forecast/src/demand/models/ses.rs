//! Simple exponential smoothing, the building block of the intermittent-demand models.

/// Final smoothed level of `y` with smoothing `alpha`, started at `y[0]`; 0 for empty input.
pub fn level(y: &[f64], alpha: f64) -> f64 {
    let Some(&first) = y.first() else {
        return 0.0;
    };
    y[1..].iter().fold(first, |l, v| l + alpha * (v - l))
}

/// In-sample sum of squared one-step errors of SES with `alpha`.
pub fn sse(y: &[f64], alpha: f64) -> f64 {
    let Some(&first) = y.first() else {
        return 0.0;
    };
    let mut l = first;
    let mut s = 0.0;
    for v in &y[1..] {
        s += (v - l) * (v - l);
        l += alpha * (v - l);
    }
    s
}

/// The `alpha` on a 0.01 grid over `[lo, hi]` with the smallest in-sample squared error.
pub fn best_alpha(y: &[f64], lo: f64, hi: f64) -> f64 {
    let steps = ((hi - lo) / 0.01).round() as usize;
    (0..=steps)
        .map(|i| lo + 0.01 * i as f64)
        .map(|a| (a, sse(y, a)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(lo, |(a, _)| a)
}

/// SES level with the alpha chosen by [`best_alpha`] on `[0.1, 0.3]`.
pub fn optimized_level(y: &[f64]) -> f64 {
    level(y, best_alpha(y, 0.1, 0.3))
}
