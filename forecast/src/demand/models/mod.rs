//! The forecasting models, one per file. Each takes the history (oldest first), the horizon and
//! the quantile levels and returns a [`ModelOutput`]: a mean path and a `[step][level]`
//! quantile table that is nondecreasing in the level and non-negative.
pub mod adida;
pub mod arima;
pub mod croston;
pub mod ets;
pub mod mstl;
pub mod pooled;
pub mod regression;
pub mod seasonal_naive;
pub mod ses;
pub mod tsb;

/// What a model returns for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOutput {
    /// Mean (point) forecast per step.
    pub mean: Vec<f64>,
    /// Quantiles, `[step][level]`.
    pub quantiles: Vec<Vec<f64>>,
}
