//! Demand summed over several days (the lead time plus review period, or a product's shelf
//! life). Sums are exact where the family is closed under addition (normal, Poisson, negative
//! binomial with a common mean/size ratio); otherwise they come from a seeded Monte Carlo over
//! the daily distributions, which are taken as independent. Never a sum of daily quantiles.

use rand_pcg::rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::distribution::Demand;
use super::error::OrderingError;
use super::quantile_demand::QuantileDemand;

/// Settings of the Monte Carlo used when a sum has no closed form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarlo {
    /// Number of simulated scenarios.
    pub samples: usize,
    /// Quantile points kept from the scenarios.
    pub points: usize,
    /// RNG seed: the same seed and input give the same result.
    pub seed: u64,
}

impl Default for MonteCarlo {
    fn default() -> Self {
        MonteCarlo {
            samples: 4000,
            points: 199,
            seed: 0,
        }
    }
}

/// A uniform draw in (0, 1) from 53 random bits.
pub(crate) fn uniform(rng: &mut Pcg64Mcg) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The distribution of the demand summed over all of `days`.
pub fn sum_days(days: &[Demand], mc: &MonteCarlo) -> Result<Demand, OrderingError> {
    let mut out = window_sums(days, &[days.len()], mc)?;
    out.pop().ok_or_else(|| OrderingError::Invalid {
        field: "days".into(),
        reason: "no window".into(),
    })
}

/// The distributions of the demand summed over the windows `0..len` for each `len` in
/// `lengths`, drawn from the same scenarios (so they are consistent with each other).
pub fn window_sums(
    days: &[Demand],
    lengths: &[usize],
    mc: &MonteCarlo,
) -> Result<Vec<Demand>, OrderingError> {
    let longest = lengths.iter().copied().max().unwrap_or(0);
    if longest == 0 {
        return Err(OrderingError::Invalid {
            field: "days".into(),
            reason: "a sum needs at least one day".into(),
        });
    }
    if days.len() < longest {
        return Err(OrderingError::ForecastTooShort {
            field: "daily forecast".into(),
            needed: longest,
            got: days.len(),
        });
    }
    let mut out = Vec::with_capacity(lengths.len());
    let mut need_mc = Vec::new();
    for (w, &len) in lengths.iter().enumerate() {
        match exact_sum(&days[..len])? {
            Some(d) => out.push(Some(d)),
            None => {
                out.push(None);
                need_mc.push(w);
            }
        }
    }
    if !need_mc.is_empty() {
        if mc.samples < 2 {
            return Err(OrderingError::Invalid {
                field: "monte_carlo.samples".into(),
                reason: "need at least 2 samples".into(),
            });
        }
        let mc_longest = need_mc.iter().map(|&w| lengths[w]).max().unwrap_or(0);
        let mut rng = Pcg64Mcg::new(0x6d69_6c6b_7275_6e00 ^ u128::from(mc.seed));
        let mut sums: Vec<Vec<f64>> = vec![Vec::with_capacity(mc.samples); need_mc.len()];
        for _ in 0..mc.samples {
            let mut acc = 0.0;
            let mut cum = Vec::with_capacity(mc_longest);
            for day in &days[..mc_longest] {
                acc += day.sample_from_uniform(uniform(&mut rng));
                cum.push(acc);
            }
            for (k, &w) in need_mc.iter().enumerate() {
                sums[k].push(cum[lengths[w] - 1]);
            }
        }
        for (k, &w) in need_mc.iter().enumerate() {
            let q = QuantileDemand::from_samples(&mut sums[k], mc.points)?;
            out[w] = Some(Demand::Quantiles(q));
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The exact sum when all days are of one closed family, else None.
fn exact_sum(days: &[Demand]) -> Result<Option<Demand>, OrderingError> {
    if days.len() == 1 {
        return Ok(Some(days[0].clone()));
    }
    if days.iter().all(|d| matches!(d, Demand::Normal(_))) {
        let mean = days.iter().map(Demand::mean).sum();
        let var: f64 = days.iter().map(Demand::variance).sum();
        return Ok(Some(Demand::normal(mean, var.sqrt())?));
    }
    if days.iter().all(|d| matches!(d, Demand::Poisson(_))) {
        return Ok(Some(Demand::poisson(days.iter().map(Demand::mean).sum())?));
    }
    let nbs: Vec<_> = days
        .iter()
        .filter_map(|d| match d {
            Demand::NegBinomial(nb) => Some((nb.mean(), nb.size())),
            _ => None,
        })
        .collect();
    if nbs.len() == days.len() {
        let ratio = nbs[0].0 / nbs[0].1;
        if nbs
            .iter()
            .all(|(m, r)| (m / r - ratio).abs() <= 1e-12 * ratio.abs().max(1.0))
        {
            let mean = nbs.iter().map(|x| x.0).sum();
            let size = nbs.iter().map(|x| x.1).sum();
            return Ok(Some(Demand::neg_binomial(mean, size)?));
        }
    }
    Ok(None)
}
