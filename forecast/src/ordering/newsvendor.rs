//! The single-period newsvendor and its perishable generalisation.
//!
//! With overage cost `co` (a unit left over, e.g. thrown away) and underage cost `cu` (a unit of
//! demand not met), the expected cost of stocking `y` is
//! `C(y) = co E[(y - D)+] + cu E[(D - y)+]`, minimised by the demand quantile at the critical
//! ratio `cu / (cu + co)`.
//!
//! For a perishable product reviewed more often than it spoils, a unit left over at the end of the
//! period is not yet waste: it is sold first in the next period and only wasted if it outlives its
//! shelf life. [`LifetimeCurve`] prices shortage against the demand of the period the order must
//! cover, and waste against the demand over the whole shelf life of the stock:
//! `C(y) = cu E[(D_cover - y)+] + co E[(y - D_life)+]`. When the two windows coincide it is the
//! newsvendor.

use super::distribution::Demand;
use super::error::{positive, OrderingError};

/// Unit costs of a newsvendor decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    overage: f64,
    underage: f64,
}

impl Costs {
    /// `overage`: cost of one unit stocked but not sold (unit cost minus salvage);
    /// `underage`: cost of one unit of demand not met (lost margin plus any penalty). Both > 0.
    pub fn new(overage: f64, underage: f64) -> Result<Self, OrderingError> {
        Ok(Costs {
            overage: positive("overage", overage)?,
            underage: positive("underage", underage)?,
        })
    }
    /// Costs from retail economics: overage = unit_cost - salvage,
    /// underage = price - unit_cost + shortage_penalty.
    pub fn from_prices(
        unit_cost: f64,
        price: f64,
        salvage: f64,
        shortage_penalty: f64,
    ) -> Result<Self, OrderingError> {
        let unit_cost = super::error::non_negative("unit_cost", unit_cost)?;
        let price = super::error::non_negative("price", price)?;
        let salvage = super::error::non_negative("salvage", salvage)?;
        let penalty = super::error::non_negative("shortage_penalty", shortage_penalty)?;
        let overage = unit_cost - salvage;
        let underage = price - unit_cost + penalty;
        if overage <= 0.0 {
            return Err(OrderingError::Invalid {
                field: "salvage".into(),
                reason: format!("salvage {salvage} must be below unit_cost {unit_cost}"),
            });
        }
        if underage <= 0.0 {
            return Err(OrderingError::Invalid {
                field: "price".into(),
                reason: format!(
                    "price {price} + shortage_penalty {penalty} must exceed unit_cost {unit_cost}"
                ),
            });
        }
        Ok(Costs { overage, underage })
    }
    /// Cost of a unit left over.
    pub fn overage(&self) -> f64 {
        self.overage
    }
    /// Cost of a unit short.
    pub fn underage(&self) -> f64 {
        self.underage
    }
    /// cu / (cu + co), computed without overflow for costs near `f64::MAX`.
    pub fn critical_ratio(&self) -> f64 {
        let sum = self.underage + self.overage;
        if sum.is_finite() {
            self.underage / sum
        } else {
            1.0 / (1.0 + self.overage / self.underage)
        }
    }
}

/// Expected outcome of stocking a quantity against a demand distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Stock level (or order quantity for a single period).
    pub quantity: f64,
    /// Expected cost: co·E[leftover] + cu·E[shortage].
    pub expected_cost: f64,
    /// Expected units left over (waste).
    pub expected_waste: f64,
    /// Expected units short.
    pub expected_shortage: f64,
    /// Expected units sold.
    pub expected_sales: f64,
    /// Expected fill rate: expected sales / expected demand (1 when demand is 0).
    pub expected_fill_rate: f64,
}

/// Expected cost, waste, shortage and fill rate of stocking `quantity` for one period.
pub fn evaluate(demand: &Demand, quantity: f64, costs: &Costs) -> Outcome {
    let short = demand.expected_shortage(quantity);
    let waste = demand.expected_leftover(quantity);
    let mean = demand.mean();
    let sales = (mean - short).max(0.0);
    Outcome {
        quantity,
        expected_cost: costs.overage * waste + costs.underage * short,
        expected_waste: waste,
        expected_shortage: short,
        expected_sales: sales,
        expected_fill_rate: if mean > 0.0 { sales / mean } else { 1.0 },
    }
}

/// The optimal single-period order: the demand quantile at the critical ratio (the smallest
/// integer reaching it for count distributions), with its expected outcome. The order is never
/// negative: when the quantile of a wide normal falls below 0, the order is 0.
pub fn newsvendor(demand: &Demand, costs: &Costs) -> Outcome {
    let q = demand.quantile(costs.critical_ratio()).max(0.0);
    evaluate(demand, q, costs)
}

/// Expected cost of a stock level for a perishable product: shortage over the cover window,
/// waste over the shelf life.
#[derive(Debug, Clone, PartialEq)]
pub struct LifetimeCurve {
    cover: Demand,
    life: Demand,
    costs: Costs,
}

impl LifetimeCurve {
    /// `cover`: demand the stock must meet before the next delivery; `life`: demand over the
    /// days the stock stays sellable (at least the cover window).
    pub fn new(cover: Demand, life: Demand, costs: Costs) -> Self {
        LifetimeCurve { cover, life, costs }
    }

    /// The plain newsvendor curve (the stock lives exactly one cover period).
    pub fn single_period(demand: Demand, costs: Costs) -> Self {
        LifetimeCurve {
            cover: demand.clone(),
            life: demand,
            costs,
        }
    }

    /// The cover-window demand.
    pub fn cover(&self) -> &Demand {
        &self.cover
    }

    /// The costs.
    pub fn costs(&self) -> &Costs {
        &self.costs
    }

    /// Expected cost C(y) = cu E[(D_cover - y)+] + co E[(y - D_life)+].
    pub fn cost(&self, y: f64) -> f64 {
        self.costs.underage * self.cover.expected_shortage(y)
            + self.costs.overage * self.life.expected_leftover(y)
    }

    /// Expected outcome at stock level `y`: shortage and fill over the cover window, waste over
    /// the shelf life.
    pub fn outcome(&self, y: f64) -> Outcome {
        let short = self.cover.expected_shortage(y);
        let waste = self.life.expected_leftover(y);
        let mean = self.cover.mean();
        let sales = (mean - short).max(0.0);
        Outcome {
            quantity: y,
            expected_cost: self.cost(y),
            expected_waste: waste,
            expected_shortage: short,
            expected_sales: sales,
            expected_fill_rate: if mean > 0.0 { sales / mean } else { 1.0 },
        }
    }

    /// The stock level minimising [`cost`](Self::cost): the smallest y with
    /// co·F_life(y) ≥ cu·(1 - F_cover(y)). It lies between the cover and life quantiles at the
    /// critical ratio; found by bisection (on integers for count distributions).
    pub fn optimum(&self) -> f64 {
        let cr = self.costs.critical_ratio();
        let lo = self.cover.quantile(cr);
        if self.cover == self.life {
            return lo;
        }
        let hi = self.life.quantile(cr).max(lo);
        let g = |y: f64| {
            self.costs.overage * self.life.cdf(y) - self.costs.underage * (1.0 - self.cover.cdf(y))
        };
        if g(lo) >= 0.0 {
            return lo;
        }
        let integer = self.cover.is_integer() && self.life.is_integer();
        let (mut a, mut b) = (lo, hi);
        if integer {
            // g(a) < 0 ≤ g(b) on integers.
            while b - a > 1.0 {
                let m = ((a + b) / 2.0).floor();
                if g(m) >= 0.0 {
                    b = m;
                } else {
                    a = m;
                }
            }
            return b;
        }
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if g(m) >= 0.0 {
                b = m;
            } else {
                a = m;
            }
            if b - a <= 1e-9 * (1.0 + b.abs()) {
                break;
            }
        }
        b
    }
}
