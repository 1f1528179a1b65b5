//! The order plan of a set of items (product × location): one periodic-review decision each,
//! jointly constrained by a shared capacity and budget, with stock alerts.

use super::alerts::{check_stock, Alert, LocationId, ProductId, StockCheck};
use super::distribution::Demand;
use super::error::{non_negative, OrderingError};
use super::plan::{plan, Limit, PlanProduct};
use super::review::{review, ReviewDecision, ReviewParams};
use super::stock::{Incoming, Lot};
use super::sum::sum_days;
use crate::control::{Control, Watch};

/// One item to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// Product.
    pub product: ProductId,
    /// Location.
    pub location: LocationId,
    /// Demand distribution per day from today.
    pub daily: Vec<Demand>,
    /// Lots on hand.
    pub on_hand: Vec<Lot>,
    /// Deliveries on order.
    pub on_order: Vec<Incoming>,
    /// Review parameters (lead time, review period, shelf life, costs, pack).
    pub params: ReviewParams,
    /// Purchase cost per unit (for the budget).
    pub unit_cost: f64,
    /// Space per unit (for the capacity).
    pub volume: f64,
}

/// Shared limits of the plan; `None` = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SharedLimits {
    /// Σ volume × order ≤ capacity (truck or cold room).
    pub capacity: Option<f64>,
    /// Σ unit_cost × order ≤ budget.
    pub budget: Option<f64>,
}

/// The plan of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPlan {
    /// The unconstrained periodic-review decision.
    pub decision: ReviewDecision,
    /// The order within the shared limits.
    pub order: f64,
    /// Expected cost at `order`.
    pub expected_cost: f64,
    /// Expected fill rate at `order`.
    pub expected_fill_rate: f64,
    /// Reorder point used for the alert: the critical-ratio quantile of the demand until a
    /// new order can arrive (`max(L, 1)` days).
    pub reorder_point: f64,
    /// Alerts on the current stock.
    pub alerts: Vec<Alert>,
}

/// Plans all items. Without limits each order is its own periodic-review decision; with limits
/// the orders come from the LP of [`plan`].
pub fn plan_orders(
    items: &[OrderItem],
    limits: &SharedLimits,
) -> Result<Vec<ItemPlan>, OrderingError> {
    plan_orders_with(items, limits, &Control::default())
}

/// [`plan_orders`] under a [`Control`]: the flag and the clock are checked before each item and
/// before the LP of the shared limits (the LP solve itself is one unit); progress counts items
/// decided (`total` = items). Returns [`OrderingError::Stopped`] when stopped, never a partial
/// plan.
pub fn plan_orders_with(
    items: &[OrderItem],
    limits: &SharedLimits,
    control: &Control,
) -> Result<Vec<ItemPlan>, OrderingError> {
    let watch = Watch::start(control, items.len());
    let mut decisions = Vec::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        watch.check()?;
        let (decision, reorder_point, alerts) =
            plan_item(item).map_err(|e| OrderingError::Item {
                index: i,
                source: Box::new(e),
            })?;
        decisions.push(decision);
        out.push((reorder_point, alerts));
        watch.advance(1);
    }
    watch.check()?;
    finish(items, decisions, out, limits)
}

/// The unconstrained decision, reorder point and alerts of one item.
fn plan_item(item: &OrderItem) -> Result<(ReviewDecision, f64, Vec<Alert>), OrderingError> {
    non_negative("unit_cost", item.unit_cost)?;
    non_negative("volume", item.volume)?;
    let decision = review(&item.daily, &item.on_hand, &item.on_order, &item.params)?;
    let lead_days = (item.params.lead_time_days as usize)
        .max(1)
        .min(item.daily.len());
    let lead_demand = sum_days(&item.daily[..lead_days], &item.params.monte_carlo)?;
    let reorder_point = lead_demand
        .quantile(item.params.costs.critical_ratio())
        .max(0.0);
    let means: Vec<f64> = item.daily.iter().map(Demand::mean).collect();
    let alerts = check_stock(&StockCheck {
        product: item.product,
        location: item.location,
        daily_mean: &means,
        on_hand: &item.on_hand,
        on_order: &item.on_order,
        reorder_point,
        horizon_days: lead_days,
    })?;
    Ok((decision, reorder_point, alerts))
}

/// Applies the shared limits to the unconstrained decisions.
fn finish(
    items: &[OrderItem],
    decisions: Vec<ReviewDecision>,
    out: Vec<(f64, Vec<Alert>)>,
    limits: &SharedLimits,
) -> Result<Vec<ItemPlan>, OrderingError> {
    let mut shared = Vec::new();
    if let Some(c) = limits.capacity {
        shared.push(Limit {
            name: "capacity".into(),
            capacity: c,
            usage: items.iter().map(|it| it.volume).collect(),
        });
    }
    if let Some(b) = limits.budget {
        shared.push(Limit {
            name: "budget".into(),
            capacity: b,
            usage: items.iter().map(|it| it.unit_cost).collect(),
        });
    }
    let orders: Vec<f64> = if shared.is_empty() {
        decisions.iter().map(|d| d.order_quantity).collect()
    } else {
        let products: Vec<PlanProduct> = items
            .iter()
            .zip(&decisions)
            .map(|(it, d)| PlanProduct {
                curve: d.curve.clone(),
                position: d.usable_position,
                pack: it.params.pack,
            })
            .collect();
        plan(&products, &shared)?
            .lines
            .iter()
            .map(|l| l.order)
            .collect()
    };
    Ok(decisions
        .into_iter()
        .zip(out)
        .zip(orders)
        .map(|((decision, (reorder_point, alerts)), order)| {
            let o = decision.curve.outcome(decision.usable_position + order);
            ItemPlan {
                expected_cost: o.expected_cost,
                expected_fill_rate: o.expected_fill_rate,
                decision,
                order,
                reorder_point,
                alerts,
            }
        })
        .collect())
}
