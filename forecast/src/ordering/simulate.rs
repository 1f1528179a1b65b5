//! Replays a demand history day by day with an ordering policy, for a perishable product issued
//! first-expiring-first-out, and reports waste, fill rate, stock-out days and cost.
//!
//! Each day `t`: deliveries due arrive; on review days the policy sees the demand history before
//! `t` and the stock, and orders (arriving at `t + L`, or at once when `L = 0`); the day's demand
//! is served from the oldest stock; stock whose last sellable day was `t` is thrown away.

use super::error::{non_negative, OrderingError};
use super::newsvendor::Costs;
use super::stock::{Incoming, Lot};

/// Settings of a simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimParams {
    /// Days from order to delivery.
    pub lead_time_days: u32,
    /// Days between orders (≥ 1).
    pub review_days: u32,
    /// Days a delivered unit stays sellable (≥ 1).
    pub shelf_life_days: u32,
    /// Unit costs: overage is charged per unit wasted, underage per unit short.
    pub costs: Costs,
    /// Days simulated before `start` to build up stock; not counted in the report.
    pub warmup_days: usize,
}

/// What a policy sees when it orders.
#[derive(Debug, Clone, Copy)]
pub struct SimState<'a> {
    /// Today (index into the demand series).
    pub day: usize,
    /// Demand of the days before today.
    pub history: &'a [f64],
    /// Stock on hand, sellable days counted from today.
    pub on_hand: &'a [Lot],
    /// Deliveries on order, arrival counted from today.
    pub on_order: &'a [Incoming],
    /// The simulation settings.
    pub params: &'a SimParams,
}

/// An ordering policy: how much to order today.
pub trait OrderPolicy {
    /// A short name for reports.
    fn name(&self) -> &str;
    /// Units to order today (≥ 0).
    fn order(&mut self, state: &SimState<'_>) -> Result<f64, OrderingError>;
}

/// Totals of a simulation over the reported days.
#[derive(Debug, Clone, PartialEq)]
pub struct SimReport {
    /// The policy's name.
    pub policy: String,
    /// Days reported.
    pub days: usize,
    /// Total demand.
    pub demand: f64,
    /// Units sold.
    pub sold: f64,
    /// Units delivered.
    pub received: f64,
    /// Units thrown away.
    pub wasted: f64,
    /// Units of demand not met.
    pub short: f64,
    /// Days with any unmet demand.
    pub stockout_days: usize,
    /// Wasted / received, in percent.
    pub waste_pct: f64,
    /// Sold / demand.
    pub fill_rate: f64,
    /// Overage × wasted + underage × short.
    pub total_cost: f64,
    /// Stock left after the last replayed day, as seen the morning after it (what the next
    /// real order decision has on hand), oldest first.
    pub end_stock: Vec<Lot>,
}

/// Replays `demand[start..]` (with `warmup_days` before it) under `policy`.
pub fn simulate(
    demand: &[f64],
    start: usize,
    params: &SimParams,
    policy: &mut dyn OrderPolicy,
) -> Result<SimReport, OrderingError> {
    if params.shelf_life_days == 0 {
        return Err(OrderingError::ZeroShelfLife {
            field: "shelf_life_days".into(),
        });
    }
    if params.review_days == 0 {
        return Err(OrderingError::NotPositive {
            field: "review_days".into(),
            value: 0.0,
        });
    }
    super::error::plan_days("shelf_life_days", params.shelf_life_days)?;
    super::error::plan_days("lead_time_days", params.lead_time_days)?;
    super::error::plan_days("review_days", params.review_days)?;
    if start > demand.len() || start < params.warmup_days {
        return Err(OrderingError::Invalid {
            field: "start".into(),
            reason: format!(
                "start {start} must be ≥ warmup_days {} and ≤ the series length {}",
                params.warmup_days,
                demand.len()
            ),
        });
    }
    for (t, &d) in demand.iter().enumerate() {
        non_negative(&format!("demand[{t}]"), d)?;
    }
    let first = start - params.warmup_days;
    // Absolute days: (quantity, expiry day = first day no longer sellable).
    let mut lots: Vec<(f64, usize)> = Vec::new();
    // (quantity, arrival day).
    let mut pipeline: Vec<(f64, usize)> = Vec::new();
    let life = params.shelf_life_days as usize;
    let lead = params.lead_time_days as usize;
    let mut r = SimReport {
        policy: policy.name().to_string(),
        days: 0,
        demand: 0.0,
        sold: 0.0,
        received: 0.0,
        wasted: 0.0,
        short: 0.0,
        stockout_days: 0,
        waste_pct: 0.0,
        fill_rate: 1.0,
        total_cost: 0.0,
        end_stock: Vec::new(),
    };
    for t in first..demand.len() {
        let counted = t >= start;
        let receive = |q: f64, lots: &mut Vec<(f64, usize)>, r: &mut SimReport| {
            if q > 0.0 {
                lots.push((q, t + life));
                if counted {
                    r.received += q;
                }
            }
        };
        let (arriving, waiting): (Vec<_>, Vec<_>) = pipeline.iter().partition(|p| p.1 <= t);
        pipeline = waiting;
        for (q, _) in arriving {
            receive(q, &mut lots, &mut r);
        }
        if (t - first).is_multiple_of(params.review_days as usize) {
            let on_hand: Vec<Lot> = lots
                .iter()
                .map(|&(q, e)| Lot {
                    quantity: q,
                    sellable_days: (e - t) as u32,
                })
                .collect();
            let on_order: Vec<Incoming> = pipeline
                .iter()
                .map(|&(q, a)| Incoming {
                    quantity: q,
                    arrives_in_days: (a - t) as u32,
                    sellable_days: params.shelf_life_days,
                })
                .collect();
            let state = SimState {
                day: t,
                history: &demand[..t],
                on_hand: &on_hand,
                on_order: &on_order,
                params,
            };
            let q = policy.order(&state)?;
            let q = non_negative("policy order", q)?;
            if lead == 0 {
                receive(q, &mut lots, &mut r);
            } else if q > 0.0 {
                pipeline.push((q, t + lead));
            }
        }
        lots.sort_by_key(|l| l.1);
        let mut need = demand[t];
        for l in &mut lots {
            let take = need.min(l.0);
            l.0 -= take;
            need -= take;
        }
        let mut wasted = 0.0;
        lots.retain(|l| {
            if l.1 <= t + 1 {
                wasted += l.0;
                false
            } else {
                l.0 > 0.0
            }
        });
        if counted {
            r.days += 1;
            r.demand += demand[t];
            r.sold += demand[t] - need;
            r.short += need;
            r.wasted += wasted;
            if need > 1e-9 {
                r.stockout_days += 1;
            }
        }
    }
    r.waste_pct = if r.received > 0.0 {
        100.0 * r.wasted / r.received
    } else {
        0.0
    };
    r.fill_rate = if r.demand > 0.0 {
        r.sold / r.demand
    } else {
        1.0
    };
    r.total_cost = params.costs.overage() * r.wasted + params.costs.underage() * r.short;
    let next_day = demand.len();
    r.end_stock = lots
        .iter()
        .filter(|l| l.0 > 0.0 && l.1 > next_day)
        .map(|&(q, e)| Lot {
            quantity: q,
            sellable_days: (e - next_day) as u32,
        })
        .collect();
    Ok(r)
}
