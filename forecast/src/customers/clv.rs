//! Customer lifetime value: BG/NBD purchases times Gamma-Gamma spend, discounted per month,
//! and the per-customer prediction table (parallel over customers).

use rayon::prelude::*;

use super::bgnbd::BgNbd;
use super::gamma_gamma::GammaGamma;
use super::transactions::{CustomerId, CustomerSummary};
use super::CustomerError;
use crate::control::{Control, Watch};

/// How CLV is computed: `months` monthly steps of `weeks_per_month` weeks each, the purchases
/// of month i (the increase of the conditional expectation over that month) valued at the
/// Gamma-Gamma expected spend and discounted by (1 + monthly_discount)^i. This is the
/// convention of `lifetimes`' `customer_lifetime_value` with `freq='W'` (4.345 weeks a month).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvOptions {
    /// Horizon in months.
    pub months: u32,
    /// Discount rate per month (0.01 = 1 %).
    pub monthly_discount: f64,
    /// Length of a month in the model's time unit (weeks).
    pub weeks_per_month: f64,
}

/// The longest CLV horizon [`ClvOptions::validate`] accepts: 100 years.
pub const MAX_CLV_MONTHS: u32 = 1200;

impl ClvOptions {
    /// Checks the options: `months` at most [`MAX_CLV_MONTHS`], `monthly_discount` a finite
    /// rate in [0, 1] and `weeks_per_month` finite and positive. Called by every CLV function.
    pub fn validate(&self) -> Result<(), CustomerError> {
        if self.months > MAX_CLV_MONTHS {
            return Err(CustomerError::BadOption {
                option: "clv.months",
                reason: "must be at most 1200",
            });
        }
        if !(0.0..=1.0).contains(&self.monthly_discount) {
            return Err(CustomerError::BadOption {
                option: "clv.monthly_discount",
                reason: "must be a finite rate between 0 and 1",
            });
        }
        if !(self.weeks_per_month.is_finite() && self.weeks_per_month > 0.0) {
            return Err(CustomerError::BadOption {
                option: "clv.weeks_per_month",
                reason: "must be finite and positive",
            });
        }
        Ok(())
    }
}

impl Default for ClvOptions {
    fn default() -> Self {
        ClvOptions {
            months: 12,
            monthly_discount: 0.01,
            weeks_per_month: 4.345,
        }
    }
}

/// Model outputs for one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerPrediction {
    /// The customer.
    pub customer: CustomerId,
    /// P(alive) at the calibration end.
    pub probability_alive: f64,
    /// Expected repeat purchases over the holdout length (0 when there is no holdout).
    pub expected_holdout_purchases: f64,
    /// Gamma-Gamma expected spend per purchase.
    pub expected_spend: f64,
    /// Discounted lifetime value over the CLV horizon.
    pub clv: f64,
}

/// Discounted CLV of one customer (see [`ClvOptions`]).
pub fn customer_lifetime_value(
    bg: &BgNbd,
    gg: &GammaGamma,
    c: &CustomerSummary,
    opts: &ClvOptions,
) -> Result<f64, CustomerError> {
    opts.validate()?;
    let x = f64::from(c.frequency);
    let spend = gg.conditional_expected_spend(x, c.mean_repeat_spend);
    let mut previous = 0.0;
    let mut value = 0.0;
    for i in 1..=opts.months {
        let t = f64::from(i) * opts.weeks_per_month;
        let cumulative = bg.conditional_expected_purchases(t, x, c.recency_weeks, c.age_weeks)?;
        value += spend * (cumulative - previous) / (1.0 + opts.monthly_discount).powf(f64::from(i));
        previous = cumulative;
    }
    Ok(value)
}

/// Predictions for every customer, in input order.
///
/// The purchase expectations given alive depend on (x, T) only, and customers share few
/// distinct (x, T) pairs (T takes one value per first-purchase day), so they are computed once
/// per pair, in parallel, and then scaled by each customer's P(alive) and expected spend.
/// The result equals [`customer_lifetime_value`] customer by customer.
pub fn predict_customers(
    bg: &BgNbd,
    gg: &GammaGamma,
    customers: &[CustomerSummary],
    holdout_weeks: f64,
    opts: &ClvOptions,
) -> Result<Vec<CustomerPrediction>, CustomerError> {
    let control = Control::default();
    predict_with(
        bg,
        gg,
        customers,
        holdout_weeks,
        opts,
        &Watch::start(&control, 1),
    )
}

/// [`predict_customers`] that checks `watch` before each distinct (x, T).
pub(crate) fn predict_with(
    bg: &BgNbd,
    gg: &GammaGamma,
    customers: &[CustomerSummary],
    holdout_weeks: f64,
    opts: &ClvOptions,
    watch: &Watch<'_>,
) -> Result<Vec<CustomerPrediction>, CustomerError> {
    opts.validate()?;
    if !(holdout_weeks.is_finite() && holdout_weeks >= 0.0) {
        return Err(CustomerError::BadOption {
            option: "holdout_weeks",
            reason: "must be finite and not negative",
        });
    }
    let mut keys: Vec<(u32, u64)> = customers
        .iter()
        .map(|c| (c.frequency, c.age_weeks.to_bits()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // Per (x, T): (expected holdout purchases if alive, discounted monthly purchases if alive).
    let per_key: Vec<(f64, f64)> = keys
        .par_iter()
        .map(|&(x, age_bits)| {
            watch.check()?;
            let (x, age) = (f64::from(x), f64::from_bits(age_bits));
            let holdout = bg.expected_purchases_if_alive(holdout_weeks, x, age)?;
            let mut previous = 0.0;
            let mut discounted = 0.0;
            for i in 1..=opts.months {
                let cumulative =
                    bg.expected_purchases_if_alive(f64::from(i) * opts.weeks_per_month, x, age)?;
                discounted +=
                    (cumulative - previous) / (1.0 + opts.monthly_discount).powf(f64::from(i));
                previous = cumulative;
            }
            Ok((holdout, discounted))
        })
        .collect::<Result<_, CustomerError>>()?;
    Ok(customers
        .par_iter()
        .map(|c| {
            let x = f64::from(c.frequency);
            let k = keys.partition_point(|&key| key < (c.frequency, c.age_weeks.to_bits()));
            let (holdout, discounted) = per_key[k];
            let alive = bg.probability_alive(x, c.recency_weeks, c.age_weeks);
            let spend = gg.conditional_expected_spend(x, c.mean_repeat_spend);
            CustomerPrediction {
                customer: c.customer,
                probability_alive: alive,
                expected_holdout_purchases: alive * holdout,
                expected_spend: spend,
                clv: spend * alive * discounted,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: u32, x: u32, t_x: f64, age: f64, m: f64) -> CustomerSummary {
        CustomerSummary {
            customer: CustomerId(id),
            frequency: x,
            recency_weeks: t_x,
            age_weeks: age,
            mean_repeat_spend: m,
            mean_spend: m,
            holdout_frequency: 0,
            holdout_spend: 0.0,
        }
    }

    /// The tabulated predictions equal the direct per-customer formulas.
    #[test]
    fn tabulated_predictions_match_direct_formulas() {
        let bg = BgNbd {
            r: 0.2516,
            alpha: 4.789,
            a: 0.723,
            b: 2.161,
        };
        let gg = GammaGamma {
            p: 6.275,
            q: 3.625,
            v: 14.98,
        };
        let cs = [
            customer(0, 0, 0.0, 38.0, 0.0),
            customer(1, 3, 20.0, 38.0, 25.0),
            customer(2, 3, 37.0, 38.0, 40.0),
            customer(3, 12, 30.0, 27.5, 18.0),
        ];
        let opts = ClvOptions::default();
        let preds = predict_customers(&bg, &gg, &cs, 39.0, &opts).unwrap_or_default();
        assert_eq!(preds.len(), cs.len());
        for (c, p) in cs.iter().zip(&preds) {
            let x = f64::from(c.frequency);
            let clv = customer_lifetime_value(&bg, &gg, c, &opts).unwrap_or(f64::NAN);
            let holdout = bg
                .conditional_expected_purchases(39.0, x, c.recency_weeks, c.age_weeks)
                .unwrap_or(f64::NAN);
            assert!(
                (p.clv - clv).abs() < 1e-10 * clv.abs().max(1.0),
                "{} vs {clv}",
                p.clv
            );
            assert!((p.expected_holdout_purchases - holdout).abs() < 1e-12);
        }
        assert!(preds[2].clv > preds[1].clv, "recent buyer worth more");
    }
}
