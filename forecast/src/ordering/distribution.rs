//! Demand distributions for one period (a day, a week, or a sum of days): normal, Poisson,
//! negative binomial and an interpolated quantile forecast. All share one small interface
//! (`cdf`, `quantile`, `expected_shortage`, ...) through the [`Demand`] enum.

use super::error::{non_negative, positive, OrderingError};
pub use super::lattice::MAX_TABLE_POINTS;
use super::lattice::{ln_gamma, Lattice};
use super::normal;
use super::quantile_demand::QuantileDemand;

/// Normal demand N(mean, sd²). The newsvendor test vectors of the literature use the full normal
/// (no truncation at 0), and so does this type; use it when the mean is several sd above 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    mean: f64,
    sd: f64,
}

impl Normal {
    /// A normal distribution of demand: `mean` ≥ 0 (demand is never negative), `sd` ≥ 0 (0 is
    /// deterministic demand), both finite.
    pub fn new(mean: f64, sd: f64) -> Result<Self, OrderingError> {
        let mean = non_negative("mean", mean)?;
        let sd = non_negative("sd", sd)?;
        Ok(Normal { mean, sd })
    }
    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// The standard deviation.
    pub fn sd(&self) -> f64 {
        self.sd
    }
}

/// The largest mean of a count distribution ([`Poisson`], [`NegBinomial`]): larger counts are
/// tabulated neither exactly (integers above 2^53 are not all floats) nor cheaply; model them
/// as [`Normal`] demand.
pub const MAX_COUNT_MEAN: f64 = 1e9;

/// Checks a count distribution's mean: finite, non-negative, at most [`MAX_COUNT_MEAN`].
fn count_mean(field: &str, mean: f64) -> Result<f64, OrderingError> {
    let mean = non_negative(field, mean)?;
    if mean > MAX_COUNT_MEAN {
        return Err(OrderingError::Invalid {
            field: field.to_string(),
            reason: format!(
                "a count distribution's mean must be at most {MAX_COUNT_MEAN:e}, got {mean:e}; use normal demand"
            ),
        });
    }
    Ok(mean)
}

/// The error of a count distribution whose table would exceed [`MAX_TABLE_POINTS`].
fn too_wide(field: &str) -> OrderingError {
    OrderingError::Invalid {
        field: field.to_string(),
        reason: format!(
            "the distribution spreads over more than {MAX_TABLE_POINTS} integers; use normal demand"
        ),
    }
}

/// Poisson demand with the given mean (counts; the classic model for slow movers).
#[derive(Debug, Clone, PartialEq)]
pub struct Poisson {
    mean: f64,
    table: Lattice,
}

impl Poisson {
    /// A Poisson distribution with 0 ≤ `mean` ≤ [`MAX_COUNT_MEAN`].
    pub fn new(mean: f64) -> Result<Self, OrderingError> {
        let mean = count_mean("mean", mean)?;
        let sd = mean.sqrt();
        let lo = (mean - 12.0 * sd - 10.0).floor().max(0.0) as u64;
        let table = if mean == 0.0 {
            Lattice::from_log_pmf(0, 0.0, |_| 0.0)
        } else {
            Lattice::from_log_pmf(lo, mean, |k| k * mean.ln() - mean - ln_gamma(k + 1.0))
        };
        let table = table.ok_or_else(|| too_wide("mean"))?;
        Ok(Poisson { mean, table })
    }
    /// The mean (= variance).
    pub fn mean(&self) -> f64 {
        self.mean
    }
}

/// Negative binomial demand, parameterised by its mean and its size (dispersion) `r`:
/// variance = mean + mean² / r. Large `r` tends to Poisson; small `r` is lumpy demand.
#[derive(Debug, Clone, PartialEq)]
pub struct NegBinomial {
    mean: f64,
    size: f64,
    table: Lattice,
}

impl NegBinomial {
    /// A negative binomial with 0 ≤ `mean` ≤ [`MAX_COUNT_MEAN`] and `size` > 0, whose mass
    /// lies within [`MAX_TABLE_POINTS`] integers (a small `size` with a large mean does not).
    pub fn new(mean: f64, size: f64) -> Result<Self, OrderingError> {
        let mean = count_mean("mean", mean)?;
        let size = positive("size", size)?;
        let table = if mean == 0.0 {
            Lattice::from_log_pmf(0, 0.0, |_| 0.0)
        } else {
            let sd = (mean + mean * mean / size).sqrt();
            let lo = (mean - 12.0 * sd - 10.0).floor().max(0.0) as u64;
            let ln_p0 = size * (size / (size + mean)).ln();
            let ln_ratio = (mean / (size + mean)).ln();
            let ln_g_size = ln_gamma(size);
            Lattice::from_log_pmf(lo, mean, move |k| {
                ln_gamma(k + size) - ln_g_size - ln_gamma(k + 1.0) + ln_p0 + k * ln_ratio
            })
        };
        let table = table.ok_or_else(|| too_wide("size"))?;
        Ok(NegBinomial { mean, size, table })
    }
    /// A negative binomial with the given mean and variance (variance > mean).
    pub fn from_mean_variance(mean: f64, variance: f64) -> Result<Self, OrderingError> {
        let mean = positive("mean", mean)?;
        let variance = positive("variance", variance)?;
        if variance <= mean {
            return Err(OrderingError::Invalid {
                field: "variance".into(),
                reason: format!(
                    "a negative binomial needs variance > mean (got {variance} ≤ {mean}); use Poisson"
                ),
            });
        }
        Self::new(mean, mean * mean / (variance - mean))
    }
    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// The size (dispersion) parameter r.
    pub fn size(&self) -> f64 {
        self.size
    }
}

/// The demand of one period, in any of the supported forms.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// Normal demand.
    Normal(Normal),
    /// Poisson counts.
    Poisson(Poisson),
    /// Negative binomial counts.
    NegBinomial(NegBinomial),
    /// A forecast given as quantiles, interpolated.
    Quantiles(QuantileDemand),
}

impl Demand {
    /// Shorthand for normal demand.
    pub fn normal(mean: f64, sd: f64) -> Result<Self, OrderingError> {
        Ok(Demand::Normal(Normal::new(mean, sd)?))
    }
    /// Shorthand for Poisson demand.
    pub fn poisson(mean: f64) -> Result<Self, OrderingError> {
        Ok(Demand::Poisson(Poisson::new(mean)?))
    }
    /// Shorthand for negative binomial demand (mean, size).
    pub fn neg_binomial(mean: f64, size: f64) -> Result<Self, OrderingError> {
        Ok(Demand::NegBinomial(NegBinomial::new(mean, size)?))
    }
    /// Shorthand for an interpolated quantile forecast (`levels` strictly increasing in (0, 1),
    /// `values` non-decreasing).
    pub fn quantiles(levels: &[f64], values: &[f64]) -> Result<Self, OrderingError> {
        Ok(Demand::Quantiles(QuantileDemand::new(levels, values)?))
    }

    /// True for count distributions (orders are then best taken as integers).
    pub fn is_integer(&self) -> bool {
        matches!(self, Demand::Poisson(_) | Demand::NegBinomial(_))
    }

    /// E[D].
    pub fn mean(&self) -> f64 {
        match self {
            Demand::Normal(n) => n.mean,
            Demand::Poisson(p) => p.mean,
            Demand::NegBinomial(nb) => nb.mean,
            Demand::Quantiles(q) => q.mean(),
        }
    }

    /// Var[D].
    pub fn variance(&self) -> f64 {
        match self {
            Demand::Normal(n) => n.sd * n.sd,
            Demand::Poisson(p) => p.mean,
            Demand::NegBinomial(nb) => nb.mean + nb.mean * nb.mean / nb.size,
            Demand::Quantiles(q) => q.variance(),
        }
    }

    /// P(D ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Demand::Normal(n) => {
                if n.sd == 0.0 {
                    if x >= n.mean {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    normal::cdf((x - n.mean) / n.sd)
                }
            }
            Demand::Poisson(p) => p.table.cdf(x),
            Demand::NegBinomial(nb) => nb.table.cdf(x),
            Demand::Quantiles(q) => q.cdf(x),
        }
    }

    /// The p-quantile: the smallest x with P(D ≤ x) ≥ p (an integer for count distributions).
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Demand::Normal(n) => n.mean + n.sd * normal::quantile(p),
            Demand::Poisson(d) => d.table.quantile(p),
            Demand::NegBinomial(d) => d.table.quantile(p),
            Demand::Quantiles(q) => q.quantile(p),
        }
    }

    /// Expected shortage (lost sales) when stocking `q`: E[(D - q)+].
    pub fn expected_shortage(&self, q: f64) -> f64 {
        match self {
            Demand::Normal(n) => {
                if n.sd == 0.0 {
                    (n.mean - q).max(0.0)
                } else {
                    n.sd * normal::loss((q - n.mean) / n.sd)
                }
            }
            Demand::Poisson(p) => p.table.expected_shortage(q),
            Demand::NegBinomial(nb) => nb.table.expected_shortage(q),
            Demand::Quantiles(d) => d.expected_shortage(q),
        }
    }

    /// Expected leftover (waste for a single period) when stocking `q`: E[(q - D)+].
    pub fn expected_leftover(&self, q: f64) -> f64 {
        (q - self.table_mean() + self.expected_shortage(q)).max(0.0)
    }

    /// Draws one value by inversion from a uniform `u` in (0, 1).
    pub fn sample_from_uniform(&self, u: f64) -> f64 {
        self.quantile(u)
    }

    /// E[D²]; used by tests and the summary of sums.
    pub fn second_moment(&self) -> f64 {
        match self {
            Demand::Poisson(p) => p.table.second_moment(),
            Demand::NegBinomial(nb) => nb.table.second_moment(),
            _ => self.variance() + self.mean() * self.mean(),
        }
    }

    /// The mean of the tabulated distribution (equals `mean()` up to 1e-13 for counts).
    pub(crate) fn table_mean(&self) -> f64 {
        match self {
            Demand::Poisson(p) => p.table.mean(),
            Demand::NegBinomial(nb) => nb.table.mean(),
            _ => self.mean(),
        }
    }
}
