//! The shifted-beta-geometric (sBG) retention model for contractual settings (Fader & Hardie
//! 2007, "How to project customer retention").
//!
//! Each customer renews every period with a constant probability 1 − θ, θ ~ Beta(γ, δ) across
//! customers. Fitted by maximum likelihood on a cohort's survivor counts.

use super::optim::{minimize, LbfgsOptions};
use super::special::{digamma, hyp2f1, ln_beta};
use super::CustomerError;

/// sBG parameters (both > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sbg {
    /// First shape of the churn-probability beta distribution.
    pub gamma: f64,
    /// Second shape of the churn-probability beta distribution.
    pub delta: f64,
}

/// A fitted sBG model and how the fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbgFit {
    /// The maximum-likelihood parameters.
    pub params: Sbg,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: usize,
}

impl Sbg {
    /// Fits γ and δ to `survivors[t]`, the number of the cohort still active at the start of
    /// period t (`survivors[0]` is the cohort size). Needs at least two counts, a positive
    /// cohort and non-increasing counts; errors name the offending period.
    pub fn fit(survivors: &[u64]) -> Result<SbgFit, CustomerError> {
        if survivors.len() < 2 {
            return Err(CustomerError::BadCohort {
                period: survivors.len(),
                reason: "needs at least two periods",
            });
        }
        if survivors[0] == 0 {
            return Err(CustomerError::BadCohort {
                period: 0,
                reason: "the cohort is empty",
            });
        }
        for (t, w) in survivors.windows(2).enumerate() {
            if w[1] > w[0] {
                return Err(CustomerError::BadCohort {
                    period: t + 1,
                    reason: "more survivors than in the period before",
                });
            }
        }
        let counts: Vec<f64> = survivors.iter().map(|&s| s as f64).collect();
        let n0 = counts[0];
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let sbg = Sbg {
                gamma: theta[0].exp(),
                delta: theta[1].exp(),
            };
            let (ll, g) = sbg.log_likelihood_with_gradient(&counts);
            grad[0] = -g[0] * sbg.gamma / n0;
            grad[1] = -g[1] * sbg.delta / n0;
            -ll / n0
        };
        let min = minimize(objective, &[0.0, 0.0], LbfgsOptions::default())
            .ok_or(CustomerError::FitFailed { model: "sBG" })?;
        let params = Sbg {
            gamma: min.x[0].exp(),
            delta: min.x[1].exp(),
        };
        if !(min.value.is_finite() && params.gamma.is_finite() && params.delta.is_finite()) {
            return Err(CustomerError::FitFailed { model: "sBG" });
        }
        Ok(SbgFit {
            params,
            log_likelihood: -min.value * n0,
            iterations: min.iterations,
        })
    }

    /// Log-likelihood of survivor counts and its gradient in (γ, δ): churners of period t
    /// contribute ln P(T = t), the customers still active at the end ln S(n).
    fn log_likelihood_with_gradient(&self, counts: &[f64]) -> (f64, [f64; 2]) {
        let Sbg { gamma: g, delta: d } = *self;
        let base = ln_beta(g, d);
        let (psi_g, psi_d, psi_gd) = (digamma(g), digamma(d), digamma(g + d));
        let mut ll = 0.0;
        let mut grad = [0.0; 2];
        let n = counts.len() - 1;
        for t in 1..=n {
            let tf = t as f64;
            let churned = counts[t - 1] - counts[t];
            if churned > 0.0 {
                ll += churned * (ln_beta(g + 1.0, d + tf - 1.0) - base);
                let psi_end = digamma(g + d + tf);
                grad[0] += churned * (digamma(g + 1.0) - psi_end - psi_g + psi_gd);
                grad[1] += churned * (digamma(d + tf - 1.0) - psi_end - psi_d + psi_gd);
            }
        }
        let alive = counts[n];
        if alive > 0.0 {
            let nf = n as f64;
            ll += alive * (ln_beta(g, d + nf) - base);
            let psi_end = digamma(g + d + nf);
            grad[0] += alive * (psi_gd - psi_end);
            grad[1] += alive * (digamma(d + nf) - psi_end - psi_d + psi_gd);
        }
        (ll, grad)
    }

    /// S(t): the share of a new cohort still active after t periods (t renewals).
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.gamma, self.delta + f64::from(t)) - ln_beta(self.gamma, self.delta)).exp()
    }

    /// Renewal (retention) probability in period t ≥ 1, S(t)/S(t−1) = (δ+t−1)/(γ+δ+t−1): the
    /// share of the customers active in period t−1 who renew.
    pub fn renewal_probability(&self, t: u32) -> f64 {
        let tf = f64::from(t.max(1));
        (self.delta + tf - 1.0) / (self.gamma + self.delta + tf - 1.0)
    }

    /// Discounted expected residual lifetime (Fader & Hardie 2010): for a customer who has made
    /// `renewals` renewals, the expected number of further payments with the next one undiscounted
    /// and the k-th after it discounted by (1 + d)^k:
    /// DERL = (δ+n−1)/(γ+δ+n−1) · 2F1(1, δ+n; γ+δ+n; 1/(1+d)) with n = renewals + 1.
    /// Needs d > 0.
    pub fn discounted_expected_residual_lifetime(
        &self,
        renewals: u32,
        discount: f64,
    ) -> Result<f64, CustomerError> {
        if !(discount > 0.0 && discount.is_finite()) {
            return Err(CustomerError::BadOption {
                option: "discount",
                reason: "must be positive",
            });
        }
        let n = f64::from(renewals) + 1.0;
        let Sbg { gamma: g, delta: d } = *self;
        let f = hyp2f1(1.0, d + n, g + d + n, 1.0 / (1.0 + discount)).ok_or(
            CustomerError::Numerical {
                what: "2F1 in DERL",
            },
        )?;
        Ok((d + n - 1.0) / (g + d + n - 1.0) * f)
    }

    /// Undiscounted expected number of further payments of a customer who has made `renewals`
    /// renewals, (δ + renewals)/(γ − 1); `None` when γ ≤ 1 (the expectation is infinite).
    pub fn expected_remaining_lifetime(&self, renewals: u32) -> Option<f64> {
        (self.gamma > 1.0).then(|| (self.delta + f64::from(renewals)) / (self.gamma - 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient matches central finite differences.
    #[test]
    fn gradient_matches_finite_differences() {
        let counts = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
        let s = Sbg {
            gamma: 0.8,
            delta: 1.5,
        };
        let (_, g) = s.log_likelihood_with_gradient(&counts);
        let h = 1e-6;
        let ll =
            |gamma: f64, delta: f64| Sbg { gamma, delta }.log_likelihood_with_gradient(&counts).0;
        let fd0 = (ll(0.8 + h, 1.5) - ll(0.8 - h, 1.5)) / (2.0 * h);
        let fd1 = (ll(0.8, 1.5 + h) - ll(0.8, 1.5 - h)) / (2.0 * h);
        assert!(
            (fd0 - g[0]).abs() < 1e-4 && (fd1 - g[1]).abs() < 1e-4,
            "{fd0} {fd1} {g:?}"
        );
    }

    /// DERL equals the brute-force discounted sum of survival ratios, and the undiscounted
    /// limit matches (δ+n)/(γ−1) when γ > 1.
    #[test]
    fn derl_matches_brute_force() {
        let s = Sbg {
            gamma: 2.5,
            delta: 3.1,
        };
        for renewals in [0_u32, 4] {
            let d: f64 = 0.1;
            let base = s.survival(renewals);
            let brute: f64 = (0..5000)
                .map(|k| s.survival(renewals + 1 + k) / base / (1.0 + d).powi(k as i32))
                .sum();
            let derl = s
                .discounted_expected_residual_lifetime(renewals, d)
                .unwrap_or(f64::NAN);
            assert!((derl - brute).abs() < 1e-9, "{derl} vs {brute}");
            let undiscounted: f64 = (0..100_000)
                .map(|k| s.survival(renewals + 1 + k) / base)
                .sum();
            let closed = s.expected_remaining_lifetime(renewals).unwrap_or(f64::NAN);
            assert!(
                (closed - undiscounted).abs() < 1e-4 * closed,
                "{closed} vs {undiscounted}"
            );
        }
        assert!(Sbg {
            gamma: 0.7,
            delta: 1.2
        }
        .expected_remaining_lifetime(0)
        .is_none());
    }

    /// Increasing survivor counts and too-short cohorts are errors naming the period.
    #[test]
    fn bad_cohorts_are_rejected() {
        assert!(matches!(
            Sbg::fit(&[100, 80, 90]),
            Err(CustomerError::BadCohort { period: 2, .. })
        ));
        assert!(matches!(
            Sbg::fit(&[100]),
            Err(CustomerError::BadCohort { .. })
        ));
        assert!(matches!(
            Sbg::fit(&[0, 0]),
            Err(CustomerError::BadCohort { period: 0, .. })
        ));
    }
}
