//! The dairy layer's forecasts in process ([`crate::night::LocalEngine`]): a
//! [`ForecastRequest`] as the forecast crate's daily series and model settings (the automatic
//! choice, as the Forecast service's `ForecastDemand` configures it for the same request),
//! its forecast back as [`ForecastDay`]s.
use milkrun_dairy::engine::{ForecastDay, ForecastRequest};
use milkrun_dairy::DairyError;
use milkrun_forecast::demand::{forecast_series, ForecastConfig, Frequency, Series};

use crate::StationError;

fn refused(field: &'static str, e: impl std::fmt::Display) -> StationError {
    StationError::Dairy(DairyError::Invalid {
        field,
        reason: e.to_string(),
    })
}

/// Forecasts a checked request with the models' automatic choice.
pub fn forecast_demand(req: &ForecastRequest) -> Result<Vec<ForecastDay>, StationError> {
    req.check()?;
    let series = Series::new("history", req.start, Frequency::Daily, req.history.clone())
        .map_err(|e| refused("history", e))?;
    let mut config = ForecastConfig::new(req.horizon, req.levels.clone());
    config.seed = req.seed;
    config.max_history = Some(req.max_history);
    let f = forecast_series(&series, &config).map_err(|e| refused("forecast", e))?;
    Ok(f.mean
        .into_iter()
        .zip(f.quantiles)
        .map(|(mean, quantiles)| ForecastDay { mean, quantiles })
        .collect())
}
