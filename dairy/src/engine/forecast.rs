//! Forecasts as the dairy layer asks the engine for them: the demand forecast of a daily
//! series with the forecast crate's automatic model choice (in process), or the Forecast
//! service's `ForecastDemand` (over the API), which runs the same code. Plain types, checked
//! before they go out and when they come back.
use milkrun_calendar::Date;

use crate::error::{invalid, DairyError};

/// The longest history one forecast reads, days.
pub const MAX_HISTORY_DAYS: usize = 730;
/// The most days one forecast covers.
pub const MAX_FORECAST_DAYS: usize = 60;
/// The most quantile levels of a forecast (the Forecast service's limit).
pub const MAX_LEVELS: usize = 19;

/// A daily series to forecast with the automatic model choice.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRequest {
    /// The values, one per day (`history[0]` on `start`; 1..=[`MAX_HISTORY_DAYS`], finite,
    /// 0 or more).
    pub history: Vec<f64>,
    /// The day of the first value.
    pub start: Date,
    /// Days to forecast after the last value (1..=[`MAX_FORECAST_DAYS`]).
    pub horizon: usize,
    /// Quantile levels, increasing, each in (0, 1) (1..=[`MAX_LEVELS`]).
    pub levels: Vec<f64>,
    /// The models read at most this many of the last values (1..=[`MAX_HISTORY_DAYS`]).
    pub max_history: usize,
    /// Seed of every random draw of the model choice.
    pub seed: u64,
}

impl ForecastRequest {
    /// Checks every field, naming the first bad one.
    pub fn check(&self) -> Result<(), DairyError> {
        if self.history.is_empty() || self.history.len() > MAX_HISTORY_DAYS {
            return Err(invalid(
                "history",
                format!("needs 1 to {MAX_HISTORY_DAYS} days"),
            ));
        }
        if self.history.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(invalid("history", "values must be finite and 0 or more"));
        }
        if !(1..=MAX_FORECAST_DAYS).contains(&self.horizon) {
            return Err(invalid(
                "horizon",
                format!("must be 1 to {MAX_FORECAST_DAYS}"),
            ));
        }
        let levels_ok = !self.levels.is_empty()
            && self.levels.len() <= MAX_LEVELS
            && self
                .levels
                .iter()
                .all(|p| p.is_finite() && *p > 0.0 && *p < 1.0)
            && self.levels.windows(2).all(|w| w[0] < w[1]);
        if !levels_ok {
            return Err(invalid(
                "levels",
                format!("1 to {MAX_LEVELS} increasing levels inside (0, 1)"),
            ));
        }
        if !(1..=MAX_HISTORY_DAYS).contains(&self.max_history) {
            return Err(invalid(
                "max_history",
                format!("must be 1 to {MAX_HISTORY_DAYS}"),
            ));
        }
        Ok(())
    }
}

/// One forecast day: the model's mean and its quantiles at the request's levels.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastDay {
    /// Mean.
    pub mean: f64,
    /// One value per level, non-decreasing.
    pub quantiles: Vec<f64>,
}

/// Checks a forecast against its request (a remote engine is not trusted): one day per
/// step, finite non-decreasing quantiles at the levels.
pub fn check_forecast(req: &ForecastRequest, days: &[ForecastDay]) -> Result<(), DairyError> {
    if days.len() != req.horizon {
        return Err(invalid(
            "answer.days",
            "not one day per step of the horizon",
        ));
    }
    let bad = days.iter().any(|d| {
        !d.mean.is_finite()
            || d.quantiles.len() != req.levels.len()
            || d.quantiles.iter().any(|q| !q.is_finite())
            || d.quantiles.windows(2).any(|w| w[0] > w[1])
    });
    if bad {
        return Err(invalid(
            "answer.days[].quantiles",
            "not finite non-decreasing quantiles at the levels",
        ));
    }
    Ok(())
}
