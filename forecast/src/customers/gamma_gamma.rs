//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999).
//!
//! Each purchase amount is Gamma(p, ν) with ν ~ Gamma(q, v) across customers. Fitted by maximum
//! likelihood on (x, m̄_x) of the customers with at least one repeat purchase and a positive
//! mean repeat spend, with the same likelihood as `lifetimes`.

// Parameter vectors are short fixed arrays; indexed loops over them read best.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::optim::{minimize_until, LbfgsOptions};
use super::special::{digamma, ln_gamma};
use super::transactions::CustomerSummary;
use super::CustomerError;
use crate::control::{Control, Watch};

/// Gamma-Gamma parameters (all > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    /// Shape of the per-transaction gamma distribution.
    pub p: f64,
    /// Shape of the gamma distribution of the per-customer scale ν.
    pub q: f64,
    /// Scale of the gamma distribution of ν.
    pub v: f64,
}

/// A fitted Gamma-Gamma model and how the fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaFit {
    /// The maximum-likelihood parameters.
    pub params: GammaGamma,
    /// Total log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Customers in the fit (x > 0 and mean repeat spend > 0).
    pub customers: usize,
}

const CHUNK: usize = 512;

impl GammaGamma {
    /// Fits the model to the customers with x > 0 and a positive mean repeat spend.
    pub fn fit(customers: &[CustomerSummary]) -> Result<GammaGammaFit, CustomerError> {
        GammaGamma::fit_with(customers, &Watch::start(&Control::default(), 1))
    }

    /// [`GammaGamma::fit`] that stops between optimiser iterations when `watch` says so.
    pub(crate) fn fit_with(
        customers: &[CustomerSummary],
        watch: &Watch<'_>,
    ) -> Result<GammaGammaFit, CustomerError> {
        let mut data: Vec<(f64, f64)> = customers
            .iter()
            .filter(|c| c.frequency > 0 && c.mean_repeat_spend > 0.0)
            .map(|c| (f64::from(c.frequency), c.mean_repeat_spend))
            .collect();
        if data.is_empty() {
            return Err(CustomerError::NoCustomers {
                model: "Gamma-Gamma",
            });
        }
        data.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        // (x index, x, m, ln m) per customer, sorted by x; the x-only terms are tabulated.
        let mut xs: Vec<f64> = Vec::new();
        let rows: Vec<(usize, f64, f64, f64)> = data
            .iter()
            .map(|&(x, m)| {
                if xs.last() != Some(&x) {
                    xs.push(x);
                }
                (xs.len() - 1, x, m, m.ln())
            })
            .collect();
        let n = data.len() as f64;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let GammaGamma { p, q, v } = GammaGamma {
                p: theta[0].exp(),
                q: theta[1].exp(),
                v: theta[2].exp(),
            };
            let (lg_q, psi_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
            // Per distinct x: the x-only part of the value, of d/dp and of d/dq.
            let table: Vec<[f64; 3]> = xs
                .iter()
                .map(|&x| {
                    let px = p * x;
                    let psi_pxq = digamma(px + q);
                    [
                        ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * x.ln(),
                        x * (psi_pxq - digamma(px) + x.ln()),
                        psi_pxq - psi_q + ln_v,
                    ]
                })
                .collect();
            let parts: Vec<(f64, [f64; 3])> = rows
                .par_chunks(CHUNK)
                .map(|chunk| {
                    let mut ll = 0.0;
                    let mut g = [0.0; 3];
                    for &(k, x, m, ln_m) in chunk {
                        let px = p * x;
                        let xm_v = x * m + v;
                        let ln_xm_v = xm_v.ln();
                        let t = table[k];
                        ll += t[0] + (px - 1.0) * ln_m - (px + q) * ln_xm_v;
                        g[0] += t[1] + x * (ln_m - ln_xm_v);
                        g[1] += t[2] - ln_xm_v;
                        g[2] += q / v - (px + q) / xm_v;
                    }
                    (ll, g)
                })
                .collect();
            let mut ll = 0.0;
            let mut g = [0.0; 3];
            for (l, gi) in &parts {
                ll += l;
                for j in 0..3 {
                    g[j] += gi[j];
                }
            }
            for j in 0..3 {
                grad[j] = -g[j] * theta[j].exp() / n;
            }
            -ll / n
        };
        let min = minimize_until(objective, &[0.0; 3], LbfgsOptions::default(), || {
            watch.stopped()
        });
        watch.check()?;
        let min = min.ok_or(CustomerError::FitFailed {
            model: "Gamma-Gamma",
        })?;
        let params = GammaGamma {
            p: min.x[0].exp(),
            q: min.x[1].exp(),
            v: min.x[2].exp(),
        };
        if !(min.value.is_finite()
            && [params.p, params.q, params.v]
                .iter()
                .all(|v| v.is_finite() && *v > 0.0))
        {
            return Err(CustomerError::FitFailed {
                model: "Gamma-Gamma",
            });
        }
        Ok(GammaGammaFit {
            params,
            log_likelihood: -min.value * n,
            iterations: min.iterations,
            customers: data.len(),
        })
    }

    /// Log-likelihood of one customer's mean spend `m` over `x` purchases, with its gradient in
    /// (p, q, v).
    pub fn log_likelihood_one(&self, x: f64, m: f64) -> (f64, [f64; 3]) {
        let GammaGamma { p, q, v } = *self;
        let px = p * x;
        let xm_v = x * m + v;
        let ll = ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * v.ln()
            + (px - 1.0) * m.ln()
            + px * x.ln()
            - (px + q) * xm_v.ln();
        let psi_pxq = digamma(px + q);
        let grad = [
            x * (psi_pxq - digamma(px) + m.ln() + x.ln() - xm_v.ln()),
            psi_pxq - digamma(q) + v.ln() - xm_v.ln(),
            q / v - (px + q) / xm_v,
        ];
        (ll, grad)
    }

    /// Expected mean spend per purchase of a customer with `x` repeat purchases of mean `m`
    /// (the population mean p·v/(q−1) when x = 0). Meaningful for q > 1.
    pub fn conditional_expected_spend(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, v } = *self;
        let population = p * v / (q - 1.0);
        let weight = p * x / (p * x + q - 1.0);
        (1.0 - weight) * population + weight * m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient matches central finite differences.
    #[test]
    fn gradient_matches_finite_differences() {
        let gg = GammaGamma {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        for &(x, m) in &[(1.0, 12.5), (7.0, 40.0), (30.0, 3.2)] {
            let (_, g) = gg.log_likelihood_one(x, m);
            let v = [gg.p, gg.q, gg.v];
            for j in 0..3 {
                let h = 1e-6 * v[j];
                let (mut up, mut dn) = (v, v);
                up[j] += h;
                dn[j] -= h;
                let mk = |a: [f64; 3]| GammaGamma {
                    p: a[0],
                    q: a[1],
                    v: a[2],
                };
                let fd = (mk(up).log_likelihood_one(x, m).0 - mk(dn).log_likelihood_one(x, m).0)
                    / (2.0 * h);
                assert!((fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()), "j={j}");
            }
        }
    }

    /// The conditional spend shrinks towards the population mean, more so with few purchases.
    #[test]
    fn spend_shrinks_towards_population_mean() {
        let gg = GammaGamma {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let population = gg.p * gg.v / (gg.q - 1.0);
        assert!((gg.conditional_expected_spend(0.0, 0.0) - population).abs() < 1e-12);
        let one = gg.conditional_expected_spend(1.0, 100.0);
        let ten = gg.conditional_expected_spend(10.0, 100.0);
        assert!(population < one && one < ten && ten < 100.0);
    }
}
