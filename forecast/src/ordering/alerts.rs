//! Stock alerts: the inventory position has fallen below the reorder point, or stock will
//! expire before it is expected to sell.

use std::fmt;

use super::error::{non_negative, OrderingError};
use super::stock::{project, validate, Incoming, Lot};

/// A product, by index into the caller's product table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(pub u32);

/// A stocking location (depot, station), by index into the caller's location table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationId(pub u32);

/// Why an alert was raised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlertReason {
    /// Usable stock on hand and on order is below the reorder point.
    BelowReorderPoint {
        /// Usable inventory position.
        position: f64,
        /// Reorder point.
        reorder_point: f64,
    },
    /// Stock is expected to expire unsold (at the mean demand forecast).
    ExpiresBeforeSold {
        /// First day (from today = 0) the stock can no longer be sold.
        expires_on_day: u32,
    },
}

impl fmt::Display for AlertReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertReason::BelowReorderPoint {
                position,
                reorder_point,
            } => write!(
                f,
                "inventory position {position:.1} below reorder point {reorder_point:.1}"
            ),
            AlertReason::ExpiresBeforeSold { expires_on_day } => write!(
                f,
                "expected to expire unsold (sellable until day {})",
                expires_on_day.saturating_sub(1)
            ),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alert {
    /// Product.
    pub product: ProductId,
    /// Location.
    pub location: LocationId,
    /// Units concerned: the shortfall below the reorder point, or the units expected to expire.
    pub quantity: f64,
    /// Why.
    pub reason: AlertReason,
}

/// The stock of one product at one location, with what is needed to check it.
#[derive(Debug, Clone, Copy)]
pub struct StockCheck<'a> {
    /// Product.
    pub product: ProductId,
    /// Location.
    pub location: LocationId,
    /// Mean demand per day from today (day 0).
    pub daily_mean: &'a [f64],
    /// Lots on hand.
    pub on_hand: &'a [Lot],
    /// Deliveries on order.
    pub on_order: &'a [Incoming],
    /// Reorder point, e.g. the order-up-to level of [`super::review::review`] or a demand
    /// quantile over the lead time.
    pub reorder_point: f64,
    /// Days over which the position is counted (lead time + review period).
    pub horizon_days: usize,
}

/// Alerts for one stock check: at most one reorder alert, and one expiry alert per lot that is
/// expected to expire unsold within the days of the forecast.
pub fn check_stock(check: &StockCheck<'_>) -> Result<Vec<Alert>, OrderingError> {
    validate(check.on_hand, check.on_order)?;
    non_negative("reorder_point", check.reorder_point)?;
    for (d, m) in check.daily_mean.iter().enumerate() {
        non_negative(&format!("daily_mean[{d}]"), *m)?;
    }
    let mut alerts = Vec::new();
    let horizon = check.horizon_days.min(check.daily_mean.len());
    let position = project(check.daily_mean, horizon, check.on_hand, check.on_order).usable();
    if position < check.reorder_point {
        alerts.push(Alert {
            product: check.product,
            location: check.location,
            quantity: check.reorder_point - position,
            reason: AlertReason::BelowReorderPoint {
                position,
                reorder_point: check.reorder_point,
            },
        });
    }
    let full = project(
        check.daily_mean,
        check.daily_mean.len(),
        check.on_hand,
        check.on_order,
    );
    for &(qty, day) in &full.expiring_lots {
        if qty > 1e-9 {
            alerts.push(Alert {
                product: check.product,
                location: check.location,
                quantity: qty,
                reason: AlertReason::ExpiresBeforeSold {
                    expires_on_day: day,
                },
            });
        }
    }
    Ok(alerts)
}
