//! Seasonal ARIMA(p,d,q)(P,D,Q)m with automatic order selection, after Hyndman and Khandakar
//! (2008), "Automatic time series forecasting: the forecast package for R", JSS 27(3).
//!
//! - [`differencing`]: `D` (0 or 1) from the seasonal strength of a classical decomposition
//!   (threshold 0.64), then `d` (0 to 2) by repeated KPSS tests at 5%.
//! - [`fit`]: one order fitted by **conditional sum of squares** (CSS) over stationary and
//!   invertible coefficients, AICc from the Gaussian likelihood at the CSS estimate. There is
//!   no exact (Kalman filter) likelihood: CSS estimates of the MA terms are less efficient on
//!   short series, and models with different `p + P m` are compared on slightly different
//!   numbers of residuals.
//! - [`search`]: the stepwise search over `p, q, P, Q` by AICc, bounded in orders and models.
//!
//! Mean: a constant is estimated only when nothing is differenced (`d + D = 0`); there is no
//! drift term. Forecasts: the ARMA recursion on the undifferenced series with future errors
//! set to zero; prediction intervals from the psi-weights of the full (differenced) model,
//! `Var(e_h) = sigma2 sum_{j<h} psi_j^2`, with Gaussian quantiles, floored at 0 as every
//! model's (demand is non-negative).
pub mod differencing;
pub mod fit;
pub mod poly;
pub mod search;
#[cfg(test)]
mod tests;

use super::ModelOutput;
use crate::demand::quantile::{monotone_floor, normal_quantile};
pub use search::SearchLimits;

/// The orders of a seasonal ARIMA model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Order {
    /// Non-seasonal AR order.
    pub p: usize,
    /// Non-seasonal differences.
    pub d: usize,
    /// Non-seasonal MA order.
    pub q: usize,
    /// Seasonal AR order.
    pub big_p: usize,
    /// Seasonal differences.
    pub big_d: usize,
    /// Seasonal MA order.
    pub big_q: usize,
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ARIMA({},{},{})", self.p, self.d, self.q)?;
        if self.big_p + self.big_d + self.big_q > 0 {
            write!(f, "({},{},{})", self.big_p, self.big_d, self.big_q)?;
        }
        Ok(())
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct ArimaFit {
    /// The orders.
    pub order: Order,
    /// Season length used (1 when the model has no seasonal part).
    pub m: usize,
    /// AR coefficients `phi_1..phi_p` of `1 - phi_1 B - ...`.
    pub ar: Vec<f64>,
    /// MA coefficients `theta_1..theta_q` of `1 + theta_1 B + ...`.
    pub ma: Vec<f64>,
    /// Seasonal AR coefficients of `1 - Phi_1 B^m - ...`.
    pub sar: Vec<f64>,
    /// Seasonal MA coefficients of `1 + Theta_1 B^m + ...`.
    pub sma: Vec<f64>,
    /// Mean of the series (0 when differenced).
    pub mean: f64,
    /// Innovation variance (CSS residual mean square).
    pub sigma2: f64,
    /// Corrected Akaike information criterion.
    pub aicc: f64,
    history: Vec<f64>,
    /// CSS residuals on the differenced scale (index 0 = first differenced value).
    residuals: Vec<f64>,
}

/// The automatic fit uses only the last `max(MIN_FIT_HISTORY, FIT_SEASONS * m)` values: the
/// CSS fit's cost is linear in the length, and on long daily histories the full length made
/// the automatic choice of the Chicago benchmark (20 stations, about 8 years each, 4 windows)
/// 2.7 times slower than without ARIMA.
pub const MIN_FIT_HISTORY: usize = 600;
/// Seasons of history kept by the automatic fit when they exceed [`MIN_FIT_HISTORY`] values.
pub const FIT_SEASONS: usize = 10;

/// Automatic ARIMA on `y` with season `m` under the default [`SearchLimits`]; `None` for
/// fewer than 8 values or when no model fits.
pub fn auto_fit(y: &[f64], m: usize) -> Option<ArimaFit> {
    auto_fit_until(y, m, &SearchLimits::default(), &|| false)
}

/// [`auto_fit`] with given limits, asking `stop` before every model fit (`None` once it says
/// stop), on the last values of `y` only (see [`MIN_FIT_HISTORY`]). The seasonal part is used only with `m > 1` and more than two full seasons (the
/// seasonal-strength test needs them; 143 weeks of weekly data qualify for `m = 52`).
pub fn auto_fit_until(
    y: &[f64],
    m: usize,
    limits: &SearchLimits,
    stop: &dyn Fn() -> bool,
) -> Option<ArimaFit> {
    if y.len() < 8 || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let keep = MIN_FIT_HISTORY.max(FIT_SEASONS.saturating_mul(m));
    let y = &y[y.len().saturating_sub(keep)..];
    let m = if m > 1 && y.len() > 2 * m { m } else { 1 };
    let big_d = if m > 1 {
        differencing::nsdiffs(y, m)
    } else {
        0
    };
    let w = poly::difference(y, 0, big_d, m);
    let d = differencing::ndiffs(&w, 2);
    search::stepwise(y, m, d, big_d, limits, stop)
}

impl ArimaFit {
    /// The AR polynomial of the undifferenced series, `1 - sum a_k B^k` as dense `a_1..`:
    /// `phi(B) Phi(B^m) (1 - B)^d (1 - B^m)^D`.
    fn full_ar(&self) -> Vec<f64> {
        let sparse = poly::ar_product(&self.ar, &self.sar, self.m);
        let len = sparse.iter().map(|t| t.0).max().unwrap_or(0);
        let mut arma = vec![0.0; len + 1];
        arma[0] = 1.0;
        for (k, c) in sparse {
            arma[k] = -c;
        }
        let diff = poly::differencing(self.order.d, self.order.big_d, self.m);
        let mut full = vec![0.0; arma.len() + diff.len()];
        let dpoly: Vec<f64> = std::iter::once(1.0)
            .chain(diff.iter().map(|c| -c))
            .collect();
        for (i, a) in arma.iter().enumerate() {
            for (j, b) in dpoly.iter().enumerate() {
                full[i + j] += a * b;
            }
        }
        full.iter().skip(1).map(|v| -v).collect()
    }

    /// The MA polynomial `1 + sum b_k B^k` as dense `b_1..`.
    fn full_ma(&self) -> Vec<f64> {
        let sparse = poly::ma_product(&self.ma, &self.sma, self.m);
        let len = sparse.iter().map(|t| t.0).max().unwrap_or(0);
        let mut out = vec![0.0; len];
        for (k, c) in sparse {
            out[k - 1] = c;
        }
        out
    }

    /// The psi-weights `psi_0 = 1, psi_1, ..` of the full model, `h` of them.
    pub fn psi_weights(&self, h: usize) -> Vec<f64> {
        let a = self.full_ar();
        let b = self.full_ma();
        let mut psi = Vec::with_capacity(h);
        for j in 0..h {
            if j == 0 {
                psi.push(1.0);
                continue;
            }
            let mut v = b.get(j - 1).copied().unwrap_or(0.0);
            for (k, ak) in a.iter().enumerate().take(j) {
                v += ak * psi[j - 1 - k];
            }
            psi.push(v);
        }
        psi
    }

    /// Mean path of the next `h` values (not floored).
    pub fn point(&self, h: usize) -> Vec<f64> {
        let a = self.full_ar();
        let b = self.full_ma();
        let n = self.history.len();
        let off = n - self.residuals.len();
        let mut z: Vec<f64> = self.history.iter().map(|v| v - self.mean).collect();
        z.reserve(h);
        for t in n..n + h {
            let mut v = 0.0;
            for (k, ak) in a.iter().enumerate() {
                if let Some(x) = t.checked_sub(k + 1).map(|i| z[i]) {
                    v += ak * x;
                }
            }
            for (k, bk) in b.iter().enumerate() {
                let Some(i) = t.checked_sub(k + 1) else {
                    continue;
                };
                if i < n && i >= off {
                    v += bk * self.residuals[i - off];
                }
            }
            z.push(v);
        }
        z[n..].iter().map(|v| v + self.mean).collect()
    }

    /// Forecast of `h` steps with Gaussian quantiles at `levels` from the psi-weights; `None`
    /// when a value is not finite (the caller falls back to another model).
    pub fn forecast(&self, h: usize, levels: &[f64]) -> Option<ModelOutput> {
        let point = self.point(h);
        let psi = self.psi_weights(h);
        let z: Vec<f64> = levels.iter().map(|&l| normal_quantile(l)).collect();
        let mut var = 0.0;
        let mut mean = Vec::with_capacity(h);
        let mut quantiles = Vec::with_capacity(h);
        for (p, w) in point.iter().zip(&psi) {
            var += self.sigma2.max(0.0) * w * w;
            let sd = var.sqrt();
            if !p.is_finite() || !sd.is_finite() {
                return None;
            }
            mean.push(p.max(0.0));
            quantiles.push(monotone_floor(z.iter().map(|q| p + q * sd).collect()));
        }
        Some(ModelOutput { mean, quantiles })
    }
}
