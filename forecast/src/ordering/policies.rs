//! Ordering policies for [`simulate`](super::simulate::simulate): ours (the periodic-review
//! newsvendor on a forecast distribution) and the two baselines (order up to last week's
//! same-day sales; order up to the mean forecast), plus a simple forecaster to drive them.
//!
//! A forecaster is any `FnMut(history, horizon) -> Vec<Demand>`: it gets the demand before today
//! and returns one distribution per day from today. So any forecasting model plugs in.

use super::distribution::Demand;
use super::error::OrderingError;
use super::packs::PackRule;
use super::quantile_demand::QuantileDemand;
use super::review::{review, ReviewParams};
use super::simulate::{OrderPolicy, SimState};
use super::stock::project;
use super::sum::MonteCarlo;

/// Same-season empirical forecaster: the demand of day `t + d` is distributed like the demand of
/// the same weekday (`t + d - season·k`, k = 1, 2, …) over the last `cycles` seasons. With
/// `season = 1` it pools the last `cycles` periods (for weekly data without a usable yearly
/// cycle).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeasonalEmpirical {
    /// Season length in periods (7 for daily data).
    pub season: usize,
    /// Number of past seasons used.
    pub cycles: usize,
    /// Number of quantile points kept.
    pub points: usize,
}

impl SeasonalEmpirical {
    /// One distribution per day of `horizon`, from `history` (demand before today).
    pub fn forecast(&self, history: &[f64], horizon: usize) -> Result<Vec<Demand>, OrderingError> {
        if self.season == 0 || self.cycles == 0 {
            return Err(OrderingError::Invalid {
                field: "seasonal forecaster".into(),
                reason: "season and cycles must be positive".into(),
            });
        }
        let t = history.len();
        let mut out = Vec::with_capacity(horizon);
        for d in 0..horizon {
            let mut samples: Vec<f64> = (1..)
                .map(|k| self.season * k)
                .skip_while(|&lag| lag <= d)
                .take_while(|&lag| lag <= t + d)
                .take(self.cycles)
                .map(|lag| history[t + d - lag])
                .collect();
            if samples.is_empty() {
                return Err(OrderingError::ForecastTooShort {
                    field: "history".into(),
                    needed: self.season + d + 1,
                    got: t,
                });
            }
            if samples.len() == 1 {
                samples.push(samples[0]);
            }
            let q = QuantileDemand::from_samples(&mut samples, self.points)?;
            out.push(Demand::Quantiles(q));
        }
        Ok(out)
    }
}

/// Our policy: order up to the optimum of the perishable newsvendor on the forecast
/// distribution of the demand over the lead time and review period (see [`review`]).
pub struct NewsvendorPolicy<F> {
    name: String,
    forecaster: F,
    pack: PackRule,
    monte_carlo: MonteCarlo,
}

impl<F> NewsvendorPolicy<F>
where
    F: FnMut(&[f64], usize) -> Result<Vec<Demand>, OrderingError>,
{
    /// A policy named `name` driven by `forecaster`.
    pub fn new(name: &str, forecaster: F, pack: PackRule, monte_carlo: MonteCarlo) -> Self {
        NewsvendorPolicy {
            name: name.to_string(),
            forecaster,
            pack,
            monte_carlo,
        }
    }
}

impl<F> OrderPolicy for NewsvendorPolicy<F>
where
    F: FnMut(&[f64], usize) -> Result<Vec<Demand>, OrderingError>,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn order(&mut self, state: &SimState<'_>) -> Result<f64, OrderingError> {
        let p = state.params;
        let mut monte_carlo = self.monte_carlo;
        monte_carlo.seed ^= state.day as u64;
        let params = ReviewParams {
            lead_time_days: p.lead_time_days,
            review_days: p.review_days,
            shelf_life_days: p.shelf_life_days,
            costs: p.costs,
            pack: self.pack,
            monte_carlo,
        };
        let daily = (self.forecaster)(state.history, params.life_days())?;
        Ok(review(&daily, state.on_hand, state.on_order, &params)?.order_quantity)
    }
}

/// Baseline: order up to the sum of the mean forecasts over the cover window, net of the usable
/// stock (no safety stock).
pub struct MeanForecastPolicy<F> {
    name: String,
    forecaster: F,
}

impl<F> MeanForecastPolicy<F>
where
    F: FnMut(&[f64], usize) -> Result<Vec<Demand>, OrderingError>,
{
    /// A policy named `name` driven by the mean of `forecaster`.
    pub fn new(name: &str, forecaster: F) -> Self {
        MeanForecastPolicy {
            name: name.to_string(),
            forecaster,
        }
    }
}

/// Days covered by an order and the usable stock, shared by the baselines.
fn cover_and_position(state: &SimState<'_>, daily_mean: &[f64]) -> (usize, f64) {
    let p = state.params;
    let cover = (p.lead_time_days + p.review_days.min(p.shelf_life_days)) as usize;
    let proj = project(daily_mean, cover, state.on_hand, state.on_order);
    (cover, proj.usable())
}

impl<F> OrderPolicy for MeanForecastPolicy<F>
where
    F: FnMut(&[f64], usize) -> Result<Vec<Demand>, OrderingError>,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn order(&mut self, state: &SimState<'_>) -> Result<f64, OrderingError> {
        let p = state.params;
        let cover = (p.lead_time_days + p.review_days.min(p.shelf_life_days)) as usize;
        let daily = (self.forecaster)(state.history, cover)?;
        let means: Vec<f64> = daily.iter().map(Demand::mean).collect();
        let (cover, position) = cover_and_position(state, &means);
        let target: f64 = means.iter().take(cover).sum();
        Ok((target - position).max(0.0))
    }
}

/// Baseline: order up to last season's same-day sales over the cover window (e.g. last week's
/// Monday and Tuesday for an order placed Monday arriving Tuesday), net of the usable stock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastSeasonPolicy {
    /// Season length (7 for daily data, 1 for "last week" on weekly data).
    pub season: usize,
}

impl OrderPolicy for LastSeasonPolicy {
    fn name(&self) -> &str {
        "last season same day"
    }

    fn order(&mut self, state: &SimState<'_>) -> Result<f64, OrderingError> {
        let p = state.params;
        let cover = (p.lead_time_days + p.review_days.min(p.shelf_life_days)) as usize;
        let t = state.history.len();
        let mut means = Vec::with_capacity(cover);
        for d in 0..cover {
            // The latest same-season day before today.
            let lag = (d / self.season.max(1) + 1) * self.season.max(1);
            if lag > t + d {
                return Err(OrderingError::ForecastTooShort {
                    field: "history".into(),
                    needed: lag - d,
                    got: t,
                });
            }
            means.push(state.history[t + d - lag]);
        }
        let (cover, position) = cover_and_position(state, &means);
        let target: f64 = means.iter().take(cover).sum();
        Ok((target - position).max(0.0))
    }
}
