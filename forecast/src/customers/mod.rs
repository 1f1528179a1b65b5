//! Customer value: BG/NBD, Gamma-Gamma, sBG, RFM and segments (issue #7).
//!
//! From a transaction log (customer, day, amount) this module builds per-customer summaries for
//! a calibration/holdout split ([`summarize`]), fits the BG/NBD purchase model ([`BgNbd`],
//! Fader, Hardie & Lee 2005) and the Gamma-Gamma spend model ([`GammaGamma`]) by maximum
//! likelihood, predicts P(alive), expected purchases and discounted CLV per customer
//! ([`predict_customers`]), scores RFM quintiles ([`rfm_scores`]) and groups customers with
//! seeded k-means ([`segment_customers`]). [`analyze`] runs all of it. [`recommend`] learns
//! item-to-item co-occurrence from purchase histories and measures its hit rate against the
//! most popular items on held-out orders. For subscriptions,
//! [`Sbg`] fits the shifted-beta-geometric retention model (Fader & Hardie 2007) to a cohort's
//! survivor counts.
//!
//! Conventions: the time unit is the week; purchases are counted as distinct days (same-day
//! transactions are summed into one purchase); the calibration end is inclusive and a
//! customer's age T runs from the first purchase to the calibration end.
//!
//! Modules: `date` (a tiny civil date), `transactions` (log and summaries), `bgnbd`,
//! `gamma_gamma`, `clv`, `sbg`, `rfm`, `segments`, `recommend`, `analysis` (the pipeline) and `io` (CSV
//! reading, the only part that touches a reader). `special` (ln Γ, ψ, 2F1) and `optim`
//! (L-BFGS) are internal.
//!
//! ```
//! use milkrun_forecast::customers::{Sbg};
//! let fit = Sbg::fit(&[1000, 631, 468, 382, 326, 289, 262, 241]).unwrap();
//! assert!((fit.params.gamma - 0.704).abs() < 0.01 && (fit.params.delta - 1.182).abs() < 0.01);
//! ```

mod analysis;
mod bgnbd;
mod clv;
mod date;
mod gamma_gamma;
pub mod io;
mod optim;
pub mod recommend;
mod rfm;
mod sbg;
mod segments;
mod special;
mod transactions;

pub use analysis::{
    analyze, analyze_with, Analysis, AnalysisOptions, HoldoutCheck, SegmentSummary,
};
pub use bgnbd::{BgNbd, BgNbdFit};
pub use clv::{
    customer_lifetime_value, predict_customers, ClvOptions, CustomerPrediction, MAX_CLV_MONTHS,
};
pub use date::Date;
pub use gamma_gamma::{GammaGamma, GammaGammaFit};
pub use rfm::{rfm_scores, RfmScore};
pub use sbg::{Sbg, SbgFit};
pub use segments::{segment_customers, SegmentId, SegmentOptions, Segmentation};
pub use transactions::{summarize, CustomerId, CustomerSummary, Split, Summaries, Transaction};

/// What can go wrong in the customer models; each variant names what the user can fix and
/// wraps the underlying error where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CustomerError {
    /// The log has no transactions.
    #[error("the transaction log is empty")]
    EmptyLog,
    /// A transaction's amount is negative or not a number.
    #[error("transaction {index}: amount {amount} is not a finite non-negative number")]
    BadAmount {
        /// Index of the transaction in the log.
        index: usize,
        /// The amount.
        amount: f64,
    },
    /// A transaction is dated before the calibration start.
    #[error("transaction {index}: date {date} is before the calibration start {start}")]
    BeforeCalibrationStart {
        /// Index of the transaction in the log.
        index: usize,
        /// Its date.
        date: Date,
        /// The calibration start.
        start: Date,
    },
    /// The holdout end is before the calibration end.
    #[error("holdout end {holdout_end} is before the calibration end {calibration_end}")]
    HoldoutBeforeCalibration {
        /// The holdout end.
        holdout_end: Date,
        /// The calibration end.
        calibration_end: Date,
    },
    /// A model has no customers to fit on.
    #[error("{model}: no customers to fit (check the calibration end and the data)")]
    NoCustomers {
        /// The model.
        model: &'static str,
    },
    /// The optimiser found no finite optimum.
    #[error("{model}: the maximum-likelihood fit did not reach a finite optimum")]
    FitFailed {
        /// The model.
        model: &'static str,
    },
    /// A special function did not converge.
    #[error("numerical failure: {what}")]
    Numerical {
        /// Which computation.
        what: &'static str,
    },
    /// A cohort's survivor counts are unusable.
    #[error("cohort period {period}: {reason}")]
    BadCohort {
        /// The period (index into the survivor counts).
        period: usize,
        /// Why.
        reason: &'static str,
    },
    /// An option is out of range.
    #[error("option {option}: {reason}")]
    BadOption {
        /// The option.
        option: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A [`crate::control::Control`] stopped the call (cancelled or out of time).
    #[error("customer analysis stopped: {0}")]
    Stopped(#[from] crate::control::Stopped),
    /// k-means failed.
    #[error("k-means: {source}")]
    Clustering {
        /// linfa's error.
        #[source]
        source: linfa_clustering::KMeansError,
    },
    /// The CSV lacks a needed column.
    #[error("missing column `{column}` (found: {found})")]
    MissingColumn {
        /// The column.
        column: &'static str,
        /// The header found.
        found: String,
    },
    /// A CSV field does not parse or is out of range.
    #[error("line {line}: bad {field} `{value}`")]
    BadField {
        /// 1-based file line.
        line: u64,
        /// The column.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// A CSV date does not parse or lies outside the calendar's range.
    #[error("line {line}: bad date: {source}")]
    BadDate {
        /// 1-based file line.
        line: u64,
        /// What is wrong with the text.
        #[source]
        source: milkrun_calendar::DateError,
    },
    /// The CSV itself is malformed (or could not be read).
    #[error("line {line}: {source}")]
    Csv {
        /// 1-based file line.
        line: u64,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
}

impl CustomerError {
    /// The index of the offending transaction in the log, for errors about one transaction.
    pub fn transaction_index(&self) -> Option<usize> {
        match self {
            CustomerError::BadAmount { index, .. }
            | CustomerError::BeforeCalibrationStart { index, .. } => Some(*index),
            _ => None,
        }
    }
}
