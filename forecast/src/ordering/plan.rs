//! Multi-product order plan under shared limits (truck or cold-room capacity, budget), solved as
//! a linear program with `good_lp` and its pure-Rust `microlp` backend.
//!
//! Each product's expected cost as a function of its order is convex (see [`LifetimeCurve`]), so
//! its expected profit gain over ordering nothing is concave. It is linearised piecewise between
//! breakpoints at quantiles of the cover-window demand, from the current position up to the
//! unconstrained optimum (which is itself a breakpoint, so with slack limits the plan is exactly
//! the unconstrained newsvendor). One variable per segment, bounded by the segment length;
//! concavity makes the LP fill the segments in order. The LP answer is then rounded to packs:
//! down first (which keeps every limit), then up again product by product where that lowers the
//! expected cost and still fits.

use good_lp::solvers::microlp::microlp;
use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel, Variable};

use super::error::{finite, non_negative, OrderingError};
use super::newsvendor::LifetimeCurve;
use super::packs::PackRule;
use crate::control::{Control, Watch};

/// One product of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanProduct {
    /// Expected cost of the stock level after ordering.
    pub curve: LifetimeCurve,
    /// Usable stock already on hand and on order.
    pub position: f64,
    /// Packs and minimum order.
    pub pack: PackRule,
}

/// A shared limit: Σ usage[i] · order[i] ≤ capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Name, for error messages and reports (e.g. "truck_volume", "budget").
    pub name: String,
    /// Capacity.
    pub capacity: f64,
    /// Use per unit ordered of each product (same order as the products).
    pub usage: Vec<f64>,
}

/// The plan for one product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanLine {
    /// Order to place (pack-rounded, within all limits).
    pub order: f64,
    /// Order from the LP before pack rounding.
    pub lp_order: f64,
    /// The best order with no shared limit (pack-rounded).
    pub unconstrained_order: f64,
    /// Expected cost at the planned order.
    pub expected_cost: f64,
    /// Expected fill rate over the cover window at the planned order.
    pub expected_fill_rate: f64,
}

/// A solved plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One line per product, in input order.
    pub lines: Vec<PlanLine>,
    /// Use of each limit by the planned orders.
    pub limit_usage: Vec<f64>,
    /// Total expected cost of the planned orders.
    pub expected_cost: f64,
    /// Expected profit gained by the planned orders over ordering nothing.
    pub expected_gain: f64,
}

/// Default quantile levels of the breakpoints (besides the current position and the
/// unconstrained optimum, which are always breakpoints).
pub const DEFAULT_LEVELS: [f64; 16] = [
    0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995,
];

fn validate(products: &[PlanProduct], limits: &[Limit]) -> Result<(), OrderingError> {
    for (i, p) in products.iter().enumerate() {
        non_negative(&format!("products[{i}].position"), p.position)?;
    }
    for (k, l) in limits.iter().enumerate() {
        non_negative(&format!("limits[{k}] ({}).capacity", l.name), l.capacity)?;
        if l.usage.len() != products.len() {
            return Err(OrderingError::LengthMismatch {
                field: format!("limits[{k}] ({}).usage", l.name),
                expected: products.len(),
                got: l.usage.len(),
            });
        }
        for (i, &u) in l.usage.iter().enumerate() {
            non_negative(&format!("limits[{k}] ({}).usage[{i}]", l.name), u)?;
        }
    }
    Ok(())
}

/// Solves the plan: maximise total expected profit (minimise total expected cost) subject to
/// every limit, with breakpoints at [`DEFAULT_LEVELS`].
pub fn plan(products: &[PlanProduct], limits: &[Limit]) -> Result<Plan, OrderingError> {
    plan_with_levels(products, limits, &DEFAULT_LEVELS)
}

/// [`plan`] with breakpoints at the given quantile levels of each product's cover demand
/// (strictly increasing inside (0, 1)); more levels, a closer linearisation and a bigger LP.
pub fn plan_with_levels(
    products: &[PlanProduct],
    limits: &[Limit],
    levels: &[f64],
) -> Result<Plan, OrderingError> {
    plan_with(products, limits, levels, &Control::default())
}

/// [`plan_with_levels`] under a [`Control`]: the flag and the clock are checked before each
/// product's linearisation and before the LP solve (one unit, not interruptible); progress
/// counts products linearised, then one more for the solve (`total` = products + 1). Returns
/// [`OrderingError::Stopped`] when stopped.
pub fn plan_with(
    products: &[PlanProduct],
    limits: &[Limit],
    levels: &[f64],
    control: &Control,
) -> Result<Plan, OrderingError> {
    let watch = Watch::start(control, products.len().saturating_add(1));
    validate(products, limits)?;
    let mut prev = 0.0;
    for (i, &l) in levels.iter().enumerate() {
        if !(l > prev && l < 1.0) {
            return Err(OrderingError::BadQuantileLevel {
                field: "plan levels".into(),
                index: i,
                level: l,
            });
        }
        prev = l;
    }
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::default();
    // Per product: its segment variables.
    let mut segments: Vec<Vec<Variable>> = Vec::with_capacity(products.len());
    let mut unconstrained = Vec::with_capacity(products.len());
    for p in products {
        watch.check()?;
        let y0 = p.position;
        let y_star = p.curve.optimum();
        let cont = (y_star - y0).max(0.0);
        unconstrained.push(p.pack.best_order(cont, |q| p.curve.cost(y0 + q)));
        let mut points = vec![y0];
        for &l in levels {
            let y = p.curve.cover().quantile(l);
            if y.is_finite() && y > y0 && y < y_star {
                points.push(y);
            }
        }
        if y_star > y0 {
            points.push(y_star);
        }
        points.sort_by(f64::total_cmp);
        points.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * (1.0 + b.abs()));
        let mut seg = Vec::with_capacity(points.len());
        let mut prev_cost = p.curve.cost(points[0]);
        for w in points.windows(2) {
            let len = w[1] - w[0];
            let c = p.curve.cost(w[1]);
            let slope = (prev_cost - c) / len;
            prev_cost = c;
            if slope > 0.0 && len > 0.0 {
                let v = vars.add(variable().min(0.0).max(len));
                objective.add_mul(slope, v);
                seg.push(v);
            }
        }
        segments.push(seg);
        watch.advance(1);
    }
    watch.check()?;
    let mut problem = vars.maximise(objective.clone()).using(microlp);
    for l in limits {
        let mut lhs = Expression::default();
        for (i, seg) in segments.iter().enumerate() {
            let u = l.usage[i];
            if u > 0.0 {
                for &v in seg {
                    lhs.add_mul(u, v);
                }
            }
        }
        problem = problem.with(lhs.leq(l.capacity));
    }
    let solution = problem.solve().map_err(OrderingError::Solver)?;
    let lp: Vec<f64> = segments
        .iter()
        .map(|seg| seg.iter().map(|&v| solution.value(v).max(0.0)).sum())
        .collect();
    watch.advance(1);
    let orders = round_to_packs(products, limits, &lp, &unconstrained)?;
    let mut lines = Vec::with_capacity(products.len());
    let (mut total, mut gain) = (0.0, 0.0);
    for (i, p) in products.iter().enumerate() {
        let out = p.curve.outcome(p.position + orders[i]);
        total += out.expected_cost;
        gain += p.curve.cost(p.position) - out.expected_cost;
        lines.push(PlanLine {
            order: orders[i],
            lp_order: lp[i],
            unconstrained_order: unconstrained[i],
            expected_cost: out.expected_cost,
            expected_fill_rate: out.expected_fill_rate,
        });
    }
    let limit_usage = limits
        .iter()
        .map(|l| l.usage.iter().zip(&orders).map(|(u, q)| u * q).sum())
        .collect();
    finite("expected_cost", total)?;
    Ok(Plan {
        lines,
        limit_usage,
        expected_cost: total,
        expected_gain: gain,
    })
}

/// Rounds the LP orders to packs within every limit.
fn round_to_packs(
    products: &[PlanProduct],
    limits: &[Limit],
    lp: &[f64],
    unconstrained: &[f64],
) -> Result<Vec<f64>, OrderingError> {
    let mut orders: Vec<f64> = products
        .iter()
        .zip(lp)
        .map(|(p, &q)| {
            let down = (q / p.pack.pack_size() + 1e-9).floor() * p.pack.pack_size();
            if down + 1e-9 >= p.pack.smallest_order() {
                down
            } else {
                0.0
            }
        })
        .collect();
    let mut used: Vec<f64> = limits
        .iter()
        .map(|l| l.usage.iter().zip(&orders).map(|(u, q)| u * q).sum())
        .collect();
    // Candidates to round up, best expected-cost saving first.
    let mut ups: Vec<(usize, f64, f64)> = Vec::new();
    for (i, p) in products.iter().enumerate() {
        let up = (orders[i] + p.pack.pack_size()).max(p.pack.smallest_order());
        if up > unconstrained[i] + 1e-9 {
            continue;
        }
        let saving = p.curve.cost(p.position + orders[i]) - p.curve.cost(p.position + up);
        if saving > 0.0 {
            ups.push((i, up, saving));
        }
    }
    ups.sort_by(|a, b| b.2.total_cmp(&a.2));
    for (i, up, _) in ups {
        let delta = up - orders[i];
        let fits = limits
            .iter()
            .zip(&used)
            .all(|(l, &u)| u + l.usage[i] * delta <= l.capacity * (1.0 + 1e-12) + 1e-9);
        if fits {
            for (k, l) in limits.iter().enumerate() {
                used[k] += l.usage[i] * delta;
            }
            orders[i] = up;
        }
    }
    Ok(orders)
}
