//! Tomorrow's order per station and product, pure: the known calendar demand, plus a forecast
//! of the extras and one-offs (the demand models fitted on the station's history of extras,
//! by the engine through [`crate::engine::Engine::forecast_demand`]: [`extras_request`] asks,
//! [`extras_from_forecast`] reads the answer; a short history is Poisson at its mean,
//! [`poisson_extras`]), through the perishable ordering policy (the forecast crate's periodic
//! review, pure arithmetic on distributions kept here), net of the usable stock on hand.
//!
//! Demand of day `k` (day 0 = the day the order arrives, lead time 0 by default):
//! `calendar_k + max(X_k, booked_k)`, where `calendar_k` is the units of the regular, make-up
//! and retry deliveries (frozen orders, or the calendars expanded for days not frozen yet),
//! `booked_k` the extras already requested for that day, and `X_k` the forecast of the day's
//! extras (one-offs come on top of the calendar, requested late or during the day; the
//! forecast is floored at what is already booked). That distribution goes to
//! [`milkrun_forecast::ordering::review()`] with the stock on hand as lots by expiry; the policy
//! nets out the stock that will still sell before it expires.
use milkrun_calendar::Date;
use milkrun_forecast::ordering::{review, Demand, Lot, ReviewParams};

use crate::engine::{ForecastDay, ForecastRequest};
use crate::error::{invalid, DairyError};
use crate::ids::{ProductId, StationId};
use crate::stock::LotStock;

/// Histories shorter than this many days are forecast as Poisson at their mean: the models'
/// automatic choice needs several weeks to backtest on.
pub const MIN_MODEL_HISTORY_DAYS: usize = 28;
/// The most days of extras history a forecast reads.
pub const MAX_HISTORY_DAYS: usize = 730;
/// The most days one order covers (lead time + shelf life).
pub const MAX_ORDER_DAYS: usize = 60;
/// The quantile levels a day's demand is described by.
pub const LEVELS: [f64; 13] = [
    0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975,
];

/// What is known of one day's demand for a product at a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayDemand {
    /// Units of regular, make-up and retry deliveries.
    pub calendar: u64,
    /// Units of extras already requested.
    pub booked_extras: u64,
}

/// One product's order for a station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationOrder {
    /// The station.
    pub station: StationId,
    /// The product.
    pub product: ProductId,
    /// The day the order arrives.
    pub date: Date,
    /// Calendar units of that day.
    pub calendar_demand: u64,
    /// Extras already booked for that day.
    pub booked_extras: u64,
    /// The forecast mean of that day's extras.
    pub extras_mean: f64,
    /// Stock on hand expected to sell before it expires (netted out).
    pub usable_stock: f64,
    /// The policy's target position over the days the order covers.
    pub order_up_to: f64,
    /// Target minus the mean demand of those days.
    pub safety_stock: f64,
    /// Units to order.
    pub order: u64,
}

fn ordering(e: impl std::fmt::Display) -> DairyError {
    invalid("station_order", e.to_string())
}

/// The forecast the engine makes of the daily extras for `horizon` days after a history of
/// daily extras (`history[0]` on `history_start`, the last value the day before the first
/// forecast day), when the history has at least [`MIN_MODEL_HISTORY_DAYS`] days (the models'
/// automatic choice, reading the last 182 days); `None` for a shorter one
/// ([`poisson_extras`]).
pub fn extras_request(
    history: &[u64],
    history_start: Date,
    horizon: usize,
    seed: u64,
) -> Result<Option<ForecastRequest>, DairyError> {
    check_history(history, horizon)?;
    if history.len() < MIN_MODEL_HISTORY_DAYS {
        return Ok(None);
    }
    let req = ForecastRequest {
        history: history.iter().map(|&v| v as f64).collect(),
        start: history_start,
        horizon,
        levels: LEVELS.to_vec(),
        max_history: 182,
        seed,
    };
    req.check()?;
    Ok(Some(req))
}

fn check_history(history: &[u64], horizon: usize) -> Result<(), DairyError> {
    if history.len() > MAX_HISTORY_DAYS || horizon == 0 || horizon > MAX_ORDER_DAYS {
        return Err(invalid(
            "extras history",
            format!("at most {MAX_HISTORY_DAYS} days, horizon 1..={MAX_ORDER_DAYS}"),
        ));
    }
    Ok(())
}

/// The extras of a short history (fewer than [`MIN_MODEL_HISTORY_DAYS`] days): Poisson at its
/// mean for each of `horizon` days (none when the mean is 0 or the history empty). Pure
/// arithmetic on the forecast crate's distributions, no model fit.
pub fn poisson_extras(history: &[u64], horizon: usize) -> Result<Vec<Demand>, DairyError> {
    check_history(history, horizon)?;
    let mean = if history.is_empty() {
        0.0
    } else {
        history.iter().map(|&v| v as f64).sum::<f64>() / history.len() as f64
    };
    // No extras seen: none expected (a point mass at 0; the Poisson table needs a mean > 0).
    let d = if mean > 0.0 {
        Demand::poisson(mean)
    } else {
        Demand::normal(0.0, 0.0)
    }
    .map_err(ordering)?;
    Ok(vec![d; horizon])
}

/// The engine's forecast of the extras as one distribution per day (its quantiles at
/// [`LEVELS`]).
pub fn extras_from_forecast(days: &[ForecastDay]) -> Result<Vec<Demand>, DairyError> {
    days.iter()
        .map(|d| Demand::quantiles(&LEVELS, &d.quantiles).map_err(ordering))
        .collect()
}

/// One day's demand: `calendar + max(extras, booked_extras)`, as quantiles at [`LEVELS`].
pub fn day_demand(known: DayDemand, extras: &Demand) -> Result<Demand, DairyError> {
    let values: Vec<f64> = LEVELS
        .iter()
        .map(|&p| known.calendar as f64 + extras.quantile(p).max(known.booked_extras as f64))
        .collect();
    Demand::quantiles(&LEVELS, &values).map_err(ordering)
}

/// The order of `product` at `station` arriving on `date`: `days[k]` and `extras[k]` are the
/// known demand and the extras forecast of day `date + k` (at least the policy's cover days,
/// at most [`MAX_ORDER_DAYS`]), `stock` the station's lots (other products and lots expired
/// before `date` are ignored).
pub fn station_order(
    station: StationId,
    product: ProductId,
    date: Date,
    days: &[DayDemand],
    extras: &[Demand],
    stock: &[LotStock],
    params: &ReviewParams,
) -> Result<StationOrder, DairyError> {
    if days.len() != extras.len() || days.is_empty() || days.len() > MAX_ORDER_DAYS {
        return Err(invalid(
            "days",
            format!(
                "need 1..={MAX_ORDER_DAYS} days of demand and as many of extras, got {} and {}",
                days.len(),
                extras.len()
            ),
        ));
    }
    let daily = days
        .iter()
        .zip(extras)
        .map(|(&k, x)| day_demand(k, x))
        .collect::<Result<Vec<_>, _>>()?;
    let lots: Vec<Lot> = stock
        .iter()
        .filter(|l| l.product == product && l.expiry >= date && l.on_hand > 0)
        .map(|l| Lot {
            quantity: l.on_hand as f64,
            sellable_days: u32::try_from(l.expiry.days_since_epoch() - date.days_since_epoch())
                .map_or(u32::MAX, |d| d.saturating_add(1))
                .min(milkrun_forecast::ordering::MAX_PLAN_DAYS),
        })
        .collect();
    let decision = review(&daily, &lots, &[], params).map_err(ordering)?;
    let order = decision.order_quantity.round();
    if !(0.0..=1e12).contains(&order) {
        return Err(invalid(
            "station_order",
            format!("the policy ordered {order} units"),
        ));
    }
    Ok(StationOrder {
        station,
        product,
        date,
        calendar_demand: days[0].calendar,
        booked_extras: days[0].booked_extras,
        extras_mean: extras[0].mean(),
        usable_stock: decision.usable_position,
        order_up_to: decision.order_up_to,
        safety_stock: decision.safety_stock,
        order: order as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::LotId;
    use milkrun_forecast::ordering::{Costs, MonteCarlo, PackRule};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn params() -> Result<ReviewParams, Box<dyn std::error::Error>> {
        Ok(ReviewParams {
            lead_time_days: 0,
            review_days: 1,
            shelf_life_days: 2,
            costs: Costs::from_prices(0.90, 1.60, 0.0, 1.00)?,
            pack: PackRule::units(),
            monte_carlo: MonteCarlo::default(),
        })
    }

    /// With no extras at all (an empty history: Poisson(0)) the demand is the calendar's, so
    /// the order is exactly tomorrow's 40 units minus the 15 usable on hand (a lot expired the
    /// day before is not usable); with uncertain extras the order rises above their mean, and
    /// never below the extras already booked.
    #[test]
    fn calendar_plus_extras_minus_stock() -> TestResult {
        let date = Date::parse_iso("2028-03-02")?;
        let p = params()?;
        let stock = [
            LotStock {
                lot: LotId(1),
                product: ProductId(1),
                received: date.add_days(-1),
                expiry: date,
                on_hand: 15,
            },
            LotStock {
                lot: LotId(2),
                product: ProductId(1),
                received: date.add_days(-2),
                expiry: date.add_days(-1),
                on_hand: 30,
            },
        ];
        let days = [
            DayDemand {
                calendar: 40,
                booked_extras: 0,
            },
            DayDemand {
                calendar: 40,
                booked_extras: 0,
            },
        ];
        assert!(extras_request(&[], date.add_days(-1), 2, 0)?.is_none());
        let none = poisson_extras(&[], 2)?;
        let o = station_order(StationId(1), ProductId(1), date, &days, &none, &stock, &p)?;
        assert_eq!((o.order, o.usable_stock), (25, 15.0));

        // Extras of 6 a day for a week: Poisson(6) on top.
        let history = [6; 7];
        assert!(extras_request(&history, date.add_days(-7), 2, 0)?.is_none());
        let extras = poisson_extras(&history, 2)?;
        let o = station_order(StationId(1), ProductId(1), date, &days, &extras, &stock, &p)?;
        assert!((o.extras_mean - 6.0).abs() < 1e-9);
        // Uncertain extras raise the order above the 25 + 6 of their mean; with a 2-day shelf
        // life and no holding cost the policy may stock toward two days of demand, never more.
        assert!(o.order > 25 + 6, "{o:?}");
        assert!(o.order_up_to <= 2.0 * (40.0 + 12.0), "{o:?}");

        // Twenty extras already booked: at least those.
        let booked = [
            DayDemand {
                calendar: 40,
                booked_extras: 20,
            },
            days[1],
        ];
        let o = station_order(
            StationId(1),
            ProductId(1),
            date,
            &booked,
            &extras,
            &stock,
            &p,
        )?;
        assert!(o.order >= 25 + 20, "{o:?}");
        assert!(station_order(
            StationId(1),
            ProductId(1),
            date,
            &days[..1],
            &extras,
            &stock,
            &p
        )
        .is_err_and(|e| e.to_string().contains("days")));
        Ok(())
    }

    /// Five weeks of extras go to the engine's models (the last 182 days at most, at the
    /// order's levels); its answer is read as one distribution per day, checked.
    #[test]
    fn long_histories_go_to_the_engine() -> TestResult {
        let start = Date::parse_iso("2028-01-03")?;
        let history: Vec<u64> = (0..35).map(|d| if d % 7 == 5 { 12 } else { 2 }).collect();
        let req = extras_request(&history, start, 7, 1)?.ok_or("a request")?;
        assert_eq!(
            (req.history.len(), req.horizon, req.max_history),
            (35, 7, 182)
        );
        assert_eq!(req.levels, LEVELS);
        let day = ForecastDay {
            mean: 3.0,
            quantiles: LEVELS.iter().map(|p| 6.0 * p).collect(),
        };
        let days = vec![day; 7];
        crate::engine::forecast::check_forecast(&req, &days)?;
        let d = extras_from_forecast(&days)?;
        assert!((d[0].quantile(0.5) - 3.0).abs() < 1e-9);
        assert!(crate::engine::forecast::check_forecast(&req, &days[..6]).is_err());
        Ok(())
    }
}
