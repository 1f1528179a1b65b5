//! Adapter from the forecasting models of [`crate::demand`] to the ordering policies: a
//! forecaster that refits the chosen model on the history up to the day and turns its quantile
//! forecast into one [`Demand`] per day.

use crate::demand::{forecast_series, Date, ForecastConfig, Frequency, Series};

use super::distribution::Demand;
use super::error::OrderingError;

/// Forecasts with the demand module's models (automatic choice by default).
#[derive(Debug, Clone, PartialEq)]
pub struct DemandModelForecaster {
    /// Date of the first value of the history.
    pub start: Date,
    /// Daily or weekly.
    pub freq: Frequency,
    /// Model settings; `horizon` is replaced by the days asked for.
    pub config: ForecastConfig,
}

impl DemandModelForecaster {
    /// One distribution per period of `horizon`, fitted on `history`.
    pub fn forecast(&self, history: &[f64], horizon: usize) -> Result<Vec<Demand>, OrderingError> {
        let series =
            Series::new("history", self.start, self.freq, history.to_vec()).map_err(|e| {
                OrderingError::Invalid {
                    field: "history".into(),
                    reason: e.to_string(),
                }
            })?;
        let mut config = self.config.clone();
        config.horizon = horizon;
        let fc = forecast_series(&series, &config).map_err(|e| OrderingError::Invalid {
            field: "forecast".into(),
            reason: e.to_string(),
        })?;
        fc.quantiles
            .iter()
            .map(|q| Demand::quantiles(&fc.levels, q))
            .collect()
    }
}
