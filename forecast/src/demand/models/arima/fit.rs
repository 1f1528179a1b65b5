//! Fitting one seasonal ARIMA order by conditional sum of squares (CSS).
//!
//! The series is differenced (`(1 - B)^d (1 - B^m)^D`), the mean is removed when nothing is
//! differenced, and the ARMA residuals are computed recursively with the pre-sample residuals
//! set to zero, starting after the first `p + P m` differenced values:
//! `e_t = w_t - sum c_k w_{t-k} - sum b_k e_{t-k}`. The coefficients are searched by
//! Nelder-Mead over unconstrained values mapped to stationary and invertible polynomials
//! ([`super::poly::stationary`]), so every fitted model can be forecast. The Gaussian
//! log-likelihood at the CSS estimate, `-N/2 (ln(2 pi sigma2) + 1)` with
//! `sigma2 = SSE / n` over the `n` residuals but `N` the number of differenced values (the
//! same for every order at given `d, D`, so that a seasonal AR term, which conditions on `m`
//! more values, is not favoured by summing fewer terms; R's `arima` scales its CSS
//! likelihood the same way), gives the AICc (Hurvich and Tsai 1989):
//! `AICc = -2 logL + 2k + 2k(k + 1) / (N - k - 1)`, `k` = ARMA coefficients + mean + 1.
use super::poly::{ar_product, difference, ma_product, stationary, Sparse};
use super::{ArimaFit, Order};
use crate::demand::optim::nelder_mead;

/// Nelder-Mead evaluations per fitted coefficient (plus one), bounding one fit's work.
const EVALS_PER_PARAM: usize = 120;

/// AICc of a fit with log-likelihood `loglik`, `k` estimated parameters (the innovation
/// variance included) and `n` residuals; infinite when `n <= k + 1`.
pub fn aicc(loglik: f64, k: usize, n: usize) -> f64 {
    if n <= k + 1 {
        return f64::INFINITY;
    }
    let (k, n) = (k as f64, n as f64);
    -2.0 * loglik + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0)
}

/// The model's polynomials from an unconstrained parameter vector laid out
/// `[p AR, q MA, P seasonal AR, Q seasonal MA]`.
fn polys(u: &[f64], o: &Order) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (a, rest) = u.split_at(o.p);
    let (b, rest) = rest.split_at(o.q);
    let (sa, sb) = rest.split_at(o.big_p);
    let ar = stationary(a);
    // invertible MA: 1 + theta B... is 1 - c B... with c stationary
    let ma: Vec<f64> = stationary(b).iter().map(|v| -v).collect();
    let sar = stationary(sa);
    let sma: Vec<f64> = stationary(&sb[..o.big_q]).iter().map(|v| -v).collect();
    (ar, ma, sar, sma)
}

/// CSS residuals of `w` (mean already removed) under the expanded AR and MA polynomials,
/// written into `e` (same length as `w`; the first `start` stay 0). Returns the sum of
/// squares over `start..`.
pub fn residuals(w: &[f64], ar: &Sparse, ma: &Sparse, start: usize, e: &mut [f64]) -> f64 {
    e.iter_mut().for_each(|v| *v = 0.0);
    let mut sse = 0.0;
    for t in start..w.len() {
        let mut pred = 0.0;
        for &(k, c) in ar {
            if k <= t {
                pred += c * w[t - k];
            }
        }
        for &(k, b) in ma {
            if k <= t {
                pred += b * e[t - k];
            }
        }
        let r = w[t] - pred;
        e[t] = r;
        sse += r * r;
    }
    sse
}

/// Fits `order` on `y` with season `m` by CSS; `None` when too few values remain for the
/// likelihood (fewer than the parameters plus 3) or the fit is not finite.
pub fn fit_order(y: &[f64], order: Order, m: usize) -> Option<ArimaFit> {
    let m_eff = if order.big_p + order.big_q + order.big_d > 0 {
        m
    } else {
        1
    };
    let w = difference(y, order.d, order.big_d, m_eff);
    let mean = if order.d + order.big_d == 0 {
        w.iter().sum::<f64>() / w.len().max(1) as f64
    } else {
        0.0
    };
    let wc: Vec<f64> = w.iter().map(|v| v - mean).collect();
    let start = order.p + order.big_p * m_eff;
    let n_res = wc.len().checked_sub(start)?;
    let n_coef = order.p + order.q + order.big_p + order.big_q;
    let k = n_coef + usize::from(order.d + order.big_d == 0) + 1;
    if n_res < k + 3 {
        return None;
    }
    let mut e = vec![0.0; wc.len()];
    let mut objective = |u: &[f64]| {
        let (a, b, sa, sb) = polys(u, &order);
        let ar = ar_product(&a, &sa, m_eff);
        let ma = ma_product(&b, &sb, m_eff);
        let sse = residuals(&wc, &ar, &ma, start, &mut e);
        if sse.is_finite() {
            sse
        } else {
            f64::MAX
        }
    };
    let u = if n_coef == 0 {
        Vec::new()
    } else {
        let start_u = vec![0.0; n_coef];
        let step = vec![0.3; n_coef];
        nelder_mead(
            &mut objective,
            &start_u,
            &step,
            EVALS_PER_PARAM * (n_coef + 1),
            1e-8,
        )
        .0
    };
    let (a, b, sa, sb) = polys(&u, &order);
    let ar = ar_product(&a, &sa, m_eff);
    let ma = ma_product(&b, &sb, m_eff);
    let mut e = vec![0.0; wc.len()];
    let sse = residuals(&wc, &ar, &ma, start, &mut e);
    let sigma2 = sse / n_res as f64;
    if !sigma2.is_finite() {
        return None;
    }
    // a perfect fit (constant differences) has no likelihood; keep a tiny variance
    let s2 = sigma2.max(1e-12);
    let n_all = wc.len();
    let loglik = -0.5 * n_all as f64 * ((2.0 * std::f64::consts::PI * s2).ln() + 1.0);
    Some(ArimaFit {
        order,
        m: m_eff,
        ar: a,
        ma: b,
        sar: sa,
        sma: sb,
        mean,
        sigma2,
        aicc: aicc(loglik, k, n_all),
        history: y.to_vec(),
        residuals: e,
    })
}
