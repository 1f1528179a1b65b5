//! Quantiles of intermittent count series from a Poisson distribution at the forecast mean.
//!
//! A series whose history holds only non-negative whole numbers is count data. For such a
//! series classified intermittent, the Croston-family models (and the automatic combination of
//! them) give each step the quantiles of a Poisson distribution whose mean is that step's
//! forecast, instead of conformal quantiles. The quantiles are whole numbers, as the demand is:
//! with whole-number outcomes the pinball loss is lowest at a whole number, and an
//! interpolated conformal quantile (say 1.4 units) loses against both 1 and 2 when the
//! distribution is right.
//!
//! Why Poisson and not conformal or negative binomial: on the bike set's inner windows (history
//! cut 8 and 16 weeks before the benchmark holdout, so the holdout played no part) the scaled
//! pinball at 0.9 of TSB fell from 0.244 / 0.267 (conformal) to 0.210 / 0.223 (Poisson); a
//! negative binomial with the dispersion of the rolling-origin errors scored 0.235 / 0.238.
use crate::demand::quantile::{monotone_floor, normal_quantile};

/// Means above this use the normal approximation `mu + z sqrt(mu)` (rounded up to a whole
/// number), where the Poisson distribution is close to normal and the exact sum would be slow.
const NORMAL_ABOVE: f64 = 500.0;

/// Whether every value is a finite, non-negative whole number (and there is at least one).
pub fn is_count_data(y: &[f64]) -> bool {
    !y.is_empty()
        && y.iter()
            .all(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
}

/// The `p` quantile of a Poisson distribution with mean `mu`: the smallest whole `k` with
/// `P(X <= k) >= p`. A mean that is not positive (or not finite) gives 0.
pub fn poisson_quantile(mu: f64, p: f64) -> f64 {
    if mu.is_nan() || mu <= 0.0 || mu.is_infinite() {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0 - 1e-12);
    if mu > NORMAL_ABOVE {
        return (mu + normal_quantile(p) * mu.sqrt()).ceil().max(0.0);
    }
    // P(X = 0) = e^-mu, P(X = k) = P(X = k - 1) mu / k; with mu <= 500, e^-mu (>= 7e-218)
    // is still a normal f64, so the sum is exact to rounding.
    let mut pmf = (-mu).exp();
    let mut cdf = pmf;
    let mut k = 0.0_f64;
    // the CDF reaches any p < 1 well before mu + 40 sqrt(mu) + 40
    let limit = mu + 40.0 * mu.sqrt() + 40.0;
    while cdf < p && k < limit {
        k += 1.0;
        pmf *= mu / k;
        cdf += pmf;
    }
    k
}

/// The `p` quantile of a negative binomial distribution with mean `mu` and variance
/// `mu + c2 mu²` (a Poisson whose mean varies with squared coefficient of variation `c2`):
/// the smallest whole `k` with `P(X <= k) >= p`. `c2 <= 0` (or a mean above the Poisson
/// sum's range) gives [`poisson_quantile`].
pub fn negbin_quantile(mu: f64, c2: f64, p: f64) -> f64 {
    if c2.is_nan() || c2 <= 1e-9 || !c2.is_finite() || mu > NORMAL_ABOVE {
        return poisson_quantile(mu, p);
    }
    if mu.is_nan() || mu <= 0.0 || mu.is_infinite() {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0 - 1e-12);
    let r = 1.0 / c2;
    let q = mu / (r + mu);
    // P(X = 0) = (r / (r + mu))^r, P(X = k) = P(X = k - 1) (k - 1 + r) / k q
    let mut pmf = (r * (1.0 - q).ln()).exp();
    let mut cdf = pmf;
    let mut k = 0.0_f64;
    let limit = mu + 60.0 * (mu + c2 * mu * mu).sqrt() + 60.0;
    while cdf < p && k < limit {
        k += 1.0;
        pmf *= (k - 1.0 + r) / k * q;
        cdf += pmf;
    }
    k
}

/// Quantile table `[step][level]` of negative binomial distributions ([`negbin_quantile`]) at
/// each step's mean; whole numbers, nondecreasing in the level, non-negative.
pub fn negbin_table(mean: &[f64], c2: f64, levels: &[f64]) -> Vec<Vec<f64>> {
    mean.iter()
        .map(|&mu| monotone_floor(levels.iter().map(|&p| negbin_quantile(mu, c2, p)).collect()))
        .collect()
}

/// Quantile table `[step][level]` of Poisson distributions at each step's mean; whole
/// numbers, nondecreasing in the level, non-negative.
pub fn poisson_table(mean: &[f64], levels: &[f64]) -> Vec<Vec<f64>> {
    mean.iter()
        .map(|&mu| monotone_floor(levels.iter().map(|&p| poisson_quantile(mu, p)).collect()))
        .collect()
}
