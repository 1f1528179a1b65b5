//! The whole customer-value pipeline on one log: summaries, BG/NBD, Gamma-Gamma, per-customer
//! predictions and CLV, the holdout check, RFM scores and segments with their summary table.

use super::bgnbd::{BgNbd, BgNbdFit};
use super::clv::{predict_with, ClvOptions, CustomerPrediction};
use super::gamma_gamma::{GammaGamma, GammaGammaFit};
use super::rfm::{rfm_scores, RfmScore};
use super::segments::{segment_customers, SegmentId, SegmentOptions, Segmentation};
use super::transactions::{summarize, Split, Summaries, Transaction};
use super::CustomerError;
use crate::control::{Control, Watch};

/// Settings of [`analyze`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// The calibration/holdout split.
    pub split: Split,
    /// CLV horizon and discounting.
    pub clv: ClvOptions,
    /// k-means segments.
    pub segments: SegmentOptions,
}

/// Predicted against actual repeat purchases in the holdout period (all customers together).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldoutCheck {
    /// Holdout length in weeks.
    pub weeks: f64,
    /// Sum of the customers' conditional expected purchases over the holdout.
    pub predicted_purchases: f64,
    /// Purchase days observed in the holdout.
    pub actual_purchases: u64,
}

/// One row of the segment table.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSummary {
    /// The segment (0 = most valuable).
    pub id: SegmentId,
    /// Its label, e.g. "champions".
    pub label: &'static str,
    /// Customers in it.
    pub size: usize,
    /// Mean CLV of its customers.
    pub mean_clv: f64,
    /// Mean P(alive) of its customers.
    pub mean_probability_alive: f64,
    /// Churn risk: 1 − mean P(alive).
    pub churn_risk: f64,
    /// Mean repeat purchases in calibration.
    pub mean_frequency: f64,
    /// Mean weeks since the last purchase.
    pub mean_weeks_since_last_purchase: f64,
    /// Mean spend per purchase day.
    pub mean_spend: f64,
}

/// Everything [`analyze`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Per-customer calibration/holdout summaries.
    pub summaries: Summaries,
    /// The BG/NBD fit.
    pub bgnbd: BgNbdFit,
    /// The Gamma-Gamma fit.
    pub gamma_gamma: GammaGammaFit,
    /// Per-customer predictions, in the order of `summaries.customers`.
    pub predictions: Vec<CustomerPrediction>,
    /// The holdout check, when the log extends past the calibration end.
    pub holdout: Option<HoldoutCheck>,
    /// Mean CLV over all customers.
    pub mean_clv: f64,
    /// Mean P(alive) over all customers.
    pub mean_probability_alive: f64,
    /// RFM scores, in the order of `summaries.customers`.
    pub rfm: Vec<RfmScore>,
    /// k-means segments.
    pub segmentation: Segmentation,
    /// The segment table, by segment id.
    pub segment_table: Vec<SegmentSummary>,
}

/// Runs the pipeline on a log.
pub fn analyze(log: &[Transaction], opts: &AnalysisOptions) -> Result<Analysis, CustomerError> {
    analyze_with(log, opts, &Control::default())
}

/// The steps of [`analyze_with`], its progress `total`.
const STEPS: usize = 6;

/// [`analyze`] under a [`Control`]: the flag and the clock are checked between the steps
/// (summaries, BG/NBD fit, Gamma-Gamma fit, predictions, RFM, segments), between optimiser
/// iterations of the fits and before each distinct (frequency, age) of the predictions; the
/// k-means run is one unit. Progress counts the six steps. Returns
/// [`CustomerError::Stopped`] when stopped.
pub fn analyze_with(
    log: &[Transaction],
    opts: &AnalysisOptions,
    control: &Control,
) -> Result<Analysis, CustomerError> {
    let watch = Watch::start(control, STEPS);
    opts.clv.validate()?;
    watch.check()?;
    let summaries = summarize(log, &opts.split)?;
    watch.advance(1);
    let customers = &summaries.customers;
    watch.check()?;
    let bgnbd = BgNbd::fit_with(customers, &watch)?;
    watch.advance(1);
    let gamma_gamma = GammaGamma::fit_with(customers, &watch)?;
    watch.advance(1);
    let predictions = predict_with(
        &bgnbd.params,
        &gamma_gamma.params,
        customers,
        summaries.holdout_weeks,
        &opts.clv,
        &watch,
    )?;
    watch.advance(1);
    let n = customers.len() as f64;
    let holdout = (summaries.holdout_weeks > 0.0).then(|| HoldoutCheck {
        weeks: summaries.holdout_weeks,
        predicted_purchases: predictions
            .iter()
            .map(|p| p.expected_holdout_purchases)
            .sum(),
        actual_purchases: customers
            .iter()
            .map(|c| u64::from(c.holdout_frequency))
            .sum(),
    });
    let mean_clv = predictions.iter().map(|p| p.clv).sum::<f64>() / n;
    let mean_probability_alive = predictions.iter().map(|p| p.probability_alive).sum::<f64>() / n;
    watch.check()?;
    let rfm = rfm_scores(customers);
    watch.advance(1);
    watch.check()?;
    let segmentation = segment_customers(customers, &opts.segments)?;
    watch.advance(1);
    let segment_table = segment_table(&summaries, &predictions, &segmentation);
    Ok(Analysis {
        summaries,
        bgnbd,
        gamma_gamma,
        predictions,
        holdout,
        mean_clv,
        mean_probability_alive,
        rfm,
        segmentation,
        segment_table,
    })
}

fn segment_table(
    summaries: &Summaries,
    predictions: &[CustomerPrediction],
    seg: &Segmentation,
) -> Vec<SegmentSummary> {
    let k = seg.labels.len();
    let mut rows: Vec<SegmentSummary> = (0..k)
        .map(|s| SegmentSummary {
            id: SegmentId(s as u8),
            label: seg.labels[s],
            size: 0,
            mean_clv: 0.0,
            mean_probability_alive: 0.0,
            churn_risk: 0.0,
            mean_frequency: 0.0,
            mean_weeks_since_last_purchase: 0.0,
            mean_spend: 0.0,
        })
        .collect();
    for ((c, p), s) in summaries
        .customers
        .iter()
        .zip(predictions)
        .zip(&seg.assignment)
    {
        let row = &mut rows[usize::from(s.0)];
        row.size += 1;
        row.mean_clv += p.clv;
        row.mean_probability_alive += p.probability_alive;
        row.mean_frequency += f64::from(c.frequency);
        row.mean_weeks_since_last_purchase += c.weeks_since_last_purchase();
        row.mean_spend += c.mean_spend;
    }
    for row in &mut rows {
        let n = row.size.max(1) as f64;
        row.mean_clv /= n;
        row.mean_probability_alive /= n;
        row.mean_frequency /= n;
        row.mean_weeks_since_last_purchase /= n;
        row.mean_spend /= n;
        row.churn_risk = if row.size > 0 {
            1.0 - row.mean_probability_alive
        } else {
            0.0
        };
    }
    rows
}
