//! The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way".
//!
//! While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood on
//! (x, t_x, T) with an analytic gradient and L-BFGS on the log-parameters.

// Parameter vectors are short fixed arrays; indexed loops over them read best.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::optim::{minimize_until, LbfgsOptions};
use super::special::{digamma, hyp2f1, ln_gamma};
use super::transactions::CustomerSummary;
use super::CustomerError;
use crate::control::{Control, Watch};

/// BG/NBD parameters (all > 0; time unit: weeks when fitted on weeks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    /// Shape of the purchase-rate gamma distribution.
    pub r: f64,
    /// Scale (rate) of the purchase-rate gamma distribution.
    pub alpha: f64,
    /// First shape of the drop-out-probability beta distribution.
    pub a: f64,
    /// Second shape of the drop-out-probability beta distribution.
    pub b: f64,
}

/// A fitted BG/NBD model and how the fit went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbdFit {
    /// The maximum-likelihood parameters.
    pub params: BgNbd,
    /// Total log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Customers in the fit.
    pub customers: usize,
}

/// One distinct (x, t_x, T) with its number of customers: the likelihood's sufficient data.
#[derive(Debug, Clone, Copy)]
struct Cell {
    x: f64,
    /// Index of x in [`Cells::xs`].
    x_index: usize,
    /// Index of t_x in [`Cells::times`].
    tx_index: usize,
    /// Index of T in [`Cells::times`].
    t_index: usize,
    weight: f64,
}

/// The customers as weighted cells, with the distinct frequencies and times they use (times
/// are whole days in weeks, so there are few distinct values and their logarithms are
/// tabulated once per likelihood evaluation).
#[derive(Debug, Clone)]
struct Cells {
    cells: Vec<Cell>,
    xs: Vec<f64>,
    times: Vec<f64>,
}

impl Cells {
    fn new(data: impl Iterator<Item = (f64, f64, f64)>) -> Cells {
        let data: Vec<(f64, f64, f64)> = data.collect();
        let mut times: Vec<f64> = data.iter().flat_map(|d| [d.1, d.2]).collect();
        times.sort_unstable_by(f64::total_cmp);
        times.dedup();
        let mut keys: Vec<(u64, u64, u64)> = data
            .iter()
            .map(|d| (d.0.to_bits(), d.1.to_bits(), d.2.to_bits()))
            .collect();
        keys.sort_unstable();
        let time_index = |t: f64| times.partition_point(|&v| v < t);
        let mut cells: Vec<Cell> = Vec::new();
        let mut xs: Vec<f64> = Vec::new();
        let mut last_key = None;
        for k in keys {
            if last_key == Some(k) {
                if let Some(c) = cells.last_mut() {
                    c.weight += 1.0;
                }
                continue;
            }
            last_key = Some(k);
            let (x, t_x, t) = (
                f64::from_bits(k.0),
                f64::from_bits(k.1),
                f64::from_bits(k.2),
            );
            if xs.last() != Some(&x) {
                xs.push(x);
            }
            cells.push(Cell {
                x,
                x_index: xs.len() - 1,
                tx_index: time_index(t_x),
                t_index: time_index(t),
                weight: 1.0,
            });
        }
        Cells { cells, xs, times }
    }
}

/// Customers per parallel chunk; sums are formed per chunk and then in order, so the result
/// does not depend on thread scheduling.
const CHUNK: usize = 512;

impl BgNbd {
    /// Fits the model by maximum likelihood to calibration summaries.
    ///
    /// Errors when there are no customers or the optimiser cannot find a finite optimum.
    pub fn fit(customers: &[CustomerSummary]) -> Result<BgNbdFit, CustomerError> {
        BgNbd::fit_with(customers, &Watch::start(&Control::default(), 1))
    }

    /// [`BgNbd::fit`] that stops between optimiser iterations when `watch` says so.
    pub(crate) fn fit_with(
        customers: &[CustomerSummary],
        watch: &Watch<'_>,
    ) -> Result<BgNbdFit, CustomerError> {
        if customers.is_empty() {
            return Err(CustomerError::NoCustomers { model: "BG/NBD" });
        }
        let cells = Cells::new(
            customers
                .iter()
                .map(|c| (f64::from(c.frequency), c.recency_weeks, c.age_weeks)),
        );
        let n = customers.len() as f64;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let p = BgNbd {
                r: theta[0].exp(),
                alpha: theta[1].exp(),
                a: theta[2].exp(),
                b: theta[3].exp(),
            };
            let (ll, g) = p.log_likelihood_cells(&cells);
            for j in 0..4 {
                grad[j] = -g[j] * theta[j].exp() / n;
            }
            -ll / n
        };
        let min = minimize_until(objective, &[0.0; 4], LbfgsOptions::default(), || {
            watch.stopped()
        });
        watch.check()?;
        let min = min.ok_or(CustomerError::FitFailed { model: "BG/NBD" })?;
        let params = BgNbd {
            r: min.x[0].exp(),
            alpha: min.x[1].exp(),
            a: min.x[2].exp(),
            b: min.x[3].exp(),
        };
        if !(min.value.is_finite()
            && [params.r, params.alpha, params.a, params.b]
                .iter()
                .all(|v| v.is_finite() && *v > 0.0))
        {
            return Err(CustomerError::FitFailed { model: "BG/NBD" });
        }
        Ok(BgNbdFit {
            params,
            log_likelihood: -min.value * n,
            iterations: min.iterations,
            customers: customers.len(),
        })
    }

    /// Log-likelihood of one customer's (x, t_x, T) and its gradient in (r, α, a, b).
    pub fn log_likelihood_one(&self, x: f64, t_x: f64, t: f64) -> (f64, [f64; 4]) {
        let BgNbd { r, alpha, a, b } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + t).ln();
        let d_a1 = [
            digamma(r + x) - digamma(r) + alpha.ln(),
            r / alpha,
            0.0,
            0.0,
        ];
        let psi_ab = digamma(a + b);
        let psi_abx = digamma(a + b + x);
        let d_a2 = [
            0.0,
            0.0,
            psi_ab - psi_abx,
            psi_ab + digamma(b + x) - digamma(b) - psi_abx,
        ];
        let d_a3 = [-(alpha + t).ln(), -(r + x) / (alpha + t), 0.0, 0.0];
        let mut grad = [0.0; 4];
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
            let d_a4 = [
                -(alpha + t_x).ln(),
                -(r + x) / (alpha + t_x),
                1.0 / a,
                -1.0 / (b + x - 1.0),
            ];
            let m = a3.max(a4);
            let (e3, e4) = ((a3 - m).exp(), (a4 - m).exp());
            let (w3, w4) = (e3 / (e3 + e4), e4 / (e3 + e4));
            for j in 0..4 {
                grad[j] = d_a1[j] + d_a2[j] + w3 * d_a3[j] + w4 * d_a4[j];
            }
            (a1 + a2 + m + (e3 + e4).ln(), grad)
        } else {
            for j in 0..4 {
                grad[j] = d_a1[j] + d_a2[j] + d_a3[j];
            }
            (a1 + a2 + a3, grad)
        }
    }

    /// Total log-likelihood and gradient over customer cells (parallel, deterministic order).
    ///
    /// The terms that depend on x only (the ln Γ and ψ differences) are computed once per
    /// distinct x; each cell then costs two logarithms and one exponential.
    fn log_likelihood_cells(&self, data: &Cells) -> (f64, [f64; 4]) {
        let BgNbd { r, alpha, a, b } = *self;
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (psi_r, psi_b, psi_ab) = (digamma(r), digamma(b), digamma(a + b));
        let ln_alpha = alpha.ln();
        // Per distinct x: [value, d/dr, d/da, d/db] of A1 + A2 (without r ln α), and the
        // x-only parts of A4: ln a − ln(b+x−1) and its d/db.
        let table: Vec<([f64; 4], f64, f64)> = data
            .xs
            .iter()
            .map(|&x| {
                let psi_abx = digamma(a + b + x);
                let value =
                    ln_gamma(r + x) - lg_r + lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x);
                let d = [
                    digamma(r + x) - psi_r,
                    psi_ab - psi_abx,
                    psi_ab + digamma(b + x) - psi_b - psi_abx,
                ];
                let (a4, d_a4_b) = if x > 0.0 {
                    (a.ln() - (b + x - 1.0).ln(), -1.0 / (b + x - 1.0))
                } else {
                    (0.0, 0.0)
                };
                ([value, d[0], d[1], d[2]], a4, d_a4_b)
            })
            .collect();
        // Per distinct time: ln(α + t) and 1/(α + t).
        let logs: Vec<(f64, f64)> = data
            .times
            .iter()
            .map(|&t| ((alpha + t).ln(), 1.0 / (alpha + t)))
            .collect();
        let parts: Vec<(f64, [f64; 4])> = data
            .cells
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut ll = 0.0;
                let mut g = [0.0; 4];
                for c in chunk {
                    let (base, a4_x, d_a4_b) = table[c.x_index];
                    let w = c.weight;
                    let (l_t, inv_t) = logs[c.t_index];
                    let a3 = -(r + c.x) * l_t;
                    // A1 + A2 parts common to both branches.
                    ll += w * (base[0] + r * ln_alpha);
                    g[0] += w * (base[1] + ln_alpha);
                    g[1] += w * (r / alpha);
                    g[2] += w * base[2];
                    g[3] += w * base[3];
                    if c.x > 0.0 {
                        let (l_tx, inv_tx) = logs[c.tx_index];
                        let a4 = a4_x - (r + c.x) * l_tx;
                        // ln(e^a3 + e^a4) = max + ln(1 + e^-|a3 - a4|); w3, w4 are the shares.
                        let e = (-(a3 - a4).abs()).exp();
                        let small = e / (1.0 + e);
                        let (w3, w4) = if a3 >= a4 {
                            (1.0 - small, small)
                        } else {
                            (small, 1.0 - small)
                        };
                        ll += w * (a3.max(a4) + e.ln_1p());
                        g[0] += w * (-w3 * l_t - w4 * l_tx);
                        g[1] += w * (-(r + c.x) * (w3 * inv_t + w4 * inv_tx));
                        g[2] += w * (w4 / a);
                        g[3] += w * (w4 * d_a4_b);
                    } else {
                        ll += w * a3;
                        g[0] -= w * l_t;
                        g[1] -= w * (r + c.x) * inv_t;
                    }
                }
                (ll, g)
            })
            .collect();
        parts.iter().fold((0.0, [0.0; 4]), |(ll, mut g), (l, gi)| {
            for j in 0..4 {
                g[j] += gi[j];
            }
            (ll + l, g)
        })
    }

    /// Total log-likelihood of calibration summaries.
    pub fn log_likelihood(&self, customers: &[CustomerSummary]) -> f64 {
        customers
            .par_chunks(CHUNK)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|c| {
                        self.log_likelihood_one(
                            f64::from(c.frequency),
                            c.recency_weeks,
                            c.age_weeks,
                        )
                        .0
                    })
                    .sum::<f64>()
            })
            .collect::<Vec<f64>>()
            .iter()
            .sum()
    }

    /// Probability that a customer with history (x, t_x, T) is still alive at T.
    pub fn probability_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let ln_ratio = (a / (b + x - 1.0)).ln() + (r + x) * ((alpha + t) / (alpha + t_x)).ln();
        1.0 / (1.0 + ln_ratio.min(700.0).exp())
    }

    /// Expected purchases of a new customer in their first `t` time units, E[X(t)].
    pub fn expected_purchases(&self, t: f64) -> Result<f64, CustomerError> {
        self.expected_purchases_if_alive(t, 0.0, 0.0)
    }

    /// Expected purchases in the next `t` time units of a customer with history (x, t_x, T),
    /// E[Y(t) | x, t_x, T] (FHL 2005, eq. 10).
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        x: f64,
        t_x: f64,
        age: f64,
    ) -> Result<f64, CustomerError> {
        let numerator = self.expected_purchases_if_alive(t, x, age)?;
        Ok(numerator * self.probability_alive(x, t_x, age))
    }

    /// Expected purchases in the next `t` time units of a customer with x repeat purchases and
    /// age T who is alive at T (it does not depend on t_x): the numerator of FHL eq. 10,
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))].
    ///
    /// Evaluated through Euler's transformation, which turns the product into
    /// (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z) with z = t/(α+T+t): bounded terms even
    /// for large x.
    pub fn expected_purchases_if_alive(
        &self,
        t: f64,
        x: f64,
        age: f64,
    ) -> Result<f64, CustomerError> {
        if t <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let c = a + b + x - 1.0;
        let z = t / (alpha + age + t);
        let f = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z).ok_or(CustomerError::Numerical {
            what: "2F1 in the BG/NBD conditional expectation",
        })?;
        let product = (1.0 - z).powf(a - 1.0) * f;
        Ok(c / (a - 1.0) * (1.0 - product))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BgNbd {
        BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        }
    }

    /// The analytic gradient matches central finite differences, for x = 0 and x > 0.
    #[test]
    fn gradient_matches_finite_differences() {
        for &(x, t_x, t) in &[(0.0, 0.0, 30.0), (2.0, 10.5, 38.0), (17.0, 35.0, 36.5)] {
            let p = params();
            let (_, g) = p.log_likelihood_one(x, t_x, t);
            let v = [p.r, p.alpha, p.a, p.b];
            for j in 0..4 {
                let h = 1e-6 * v[j];
                let mut up = v;
                let mut dn = v;
                up[j] += h;
                dn[j] -= h;
                let mk = |q: [f64; 4]| BgNbd {
                    r: q[0],
                    alpha: q[1],
                    a: q[2],
                    b: q[3],
                };
                let fd = (mk(up).log_likelihood_one(x, t_x, t).0
                    - mk(dn).log_likelihood_one(x, t_x, t).0)
                    / (2.0 * h);
                assert!(
                    (fd - g[j]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "j={j} fd={fd} g={}",
                    g[j]
                );
            }
        }
    }

    /// The tabulated likelihood over weighted cells equals the sum of per-customer terms.
    #[test]
    fn cell_likelihood_matches_per_customer_sum() {
        let p = params();
        let raw = [
            (0.0, 0.0, 30.0),
            (17.0, 35.0, 36.5),
            (2.0, 10.5, 38.0),
            (0.0, 0.0, 30.0),
        ];
        let extra = [(0.0, 0.0, 30.0), (17.0, 35.0, 36.5)];
        let cells = Cells::new(raw.iter().chain(&extra).copied());
        assert_eq!(cells.cells.len(), 3);
        assert_eq!(cells.times, vec![0.0, 10.5, 30.0, 35.0, 36.5, 38.0]);
        let (ll, g) = p.log_likelihood_cells(&cells);
        let mut want = (0.0, [0.0; 4]);
        for &(x, t_x, t) in raw.iter().chain(&extra) {
            let (l, gi) = p.log_likelihood_one(x, t_x, t);
            want.0 += l;
            for j in 0..4 {
                want.1[j] += gi[j];
            }
        }
        assert!((ll - want.0).abs() < 1e-9 * want.0.abs());
        for j in 0..4 {
            assert!(
                (g[j] - want.1[j]).abs() < 1e-9 * (1.0 + want.1[j].abs()),
                "j={j}"
            );
        }
    }

    /// E[X(t)] through Euler's transformation equals the paper's direct 2F1 form; the
    /// conditional expectation of a brand-new customer (x = 0, T = 0) equals E[X(t)]; recent
    /// buyers are expected to buy more and are more likely alive than lapsed ones.
    #[test]
    fn expectations_agree_with_direct_series() {
        let p = params();
        let t = 39.0;
        let z = t / (p.alpha + t);
        let direct = (p.a + p.b - 1.0) / (p.a - 1.0)
            * (1.0
                - (p.alpha / (p.alpha + t)).powf(p.r)
                    * hyp2f1(p.r, p.b, p.a + p.b - 1.0, z).unwrap_or(f64::NAN));
        let e = p.expected_purchases(t).unwrap_or(f64::NAN);
        assert!((e - direct).abs() < 1e-10, "{e} vs {direct}");
        let c = p
            .conditional_expected_purchases(t, 0.0, 0.0, 0.0)
            .unwrap_or(f64::NAN);
        assert!((c - e).abs() < 1e-12);
        // A customer who bought often and recently is expected to buy more than one who lapsed.
        let active = p
            .conditional_expected_purchases(t, 5.0, 30.0, 32.0)
            .unwrap_or(f64::NAN);
        let lapsed = p
            .conditional_expected_purchases(t, 5.0, 5.0, 32.0)
            .unwrap_or(f64::NAN);
        assert!(active > lapsed && lapsed > 0.0);
        assert!(p.probability_alive(5.0, 30.0, 32.0) > p.probability_alive(5.0, 5.0, 32.0));
        assert_eq!(p.probability_alive(0.0, 0.0, 32.0), 1.0);
    }
}
