//! Perishable ordering: how much each station should order, and when to worry (issue #6).
//!
//! From a demand distribution (normal, Poisson, negative binomial, or the quantiles of a
//! forecast) this module computes:
//!
//! - the single-period **newsvendor** order (the demand quantile at the critical ratio
//!   `cu / (cu + co)`) and the expected cost, waste and fill rate of any order
//!   ([`newsvendor`](newsvendor::newsvendor), [`evaluate`](newsvendor::evaluate));
//! - a **periodic-review** order with lead time and review period, from the distribution of the
//!   demand summed over the days the order covers (exact or seeded Monte Carlo, never a sum of
//!   daily quantiles), net of the stock that will still be in date, with safety stock reported
//!   ([`review`](review::review));
//! - **pack sizes and minimum orders** rounded by expected cost ([`PackRule`]);
//! - a **multi-product plan** under shared limits, as a piecewise-linear LP
//!   ([`plan`](plan::plan));
//! - **alerts** for low positions and stock that will expire unsold
//!   ([`check_stock`](alerts::check_stock));
//! - a day-by-day **simulation** of policies on held-out history
//!   ([`simulate`](simulate::simulate), [`policies`]).
//!
//! Inputs are plain numbers and slices; nothing here reads files. Errors are
//! [`OrderingError`], naming the field to fix.
//!
//! ```
//! use milkrun_forecast::ordering::{newsvendor, Costs, Demand};
//!
//! let demand = Demand::normal(120.0, 10.0).unwrap();
//! let costs = Costs::new(2.0, 18.0).unwrap(); // overage, underage
//! let best = newsvendor(&demand, &costs);
//! assert!((best.quantity - 132.8155).abs() < 1e-3);
//! assert!((best.expected_cost - 35.0997).abs() < 1e-3);
//! ```

pub mod alerts;
pub mod demand_policy;
pub mod distribution;
pub mod error;
pub mod io;
mod lattice;
pub mod newsvendor;
pub mod normal;
pub mod packs;
pub mod plan;
pub mod policies;
pub mod quantile_demand;
pub mod review;
pub mod simulate;
pub mod station_plan;
pub mod stock;
pub mod sum;

pub use alerts::{check_stock, Alert, AlertReason, LocationId, ProductId, StockCheck};
pub use demand_policy::DemandModelForecaster;
pub use distribution::{Demand, NegBinomial, Normal, Poisson, MAX_COUNT_MEAN, MAX_TABLE_POINTS};
pub use error::{OrderingError, MAX_PLAN_DAYS};
pub use newsvendor::{evaluate, newsvendor, Costs, LifetimeCurve, Outcome};
pub use packs::PackRule;
pub use plan::{
    plan, plan_with, plan_with_levels, Limit, Plan, PlanLine, PlanProduct, DEFAULT_LEVELS,
};
pub use policies::{LastSeasonPolicy, MeanForecastPolicy, NewsvendorPolicy, SeasonalEmpirical};
pub use quantile_demand::QuantileDemand;
pub use review::{review, ReviewDecision, ReviewParams};
pub use simulate::{simulate, OrderPolicy, SimParams, SimReport, SimState};
pub use station_plan::{plan_orders, plan_orders_with, ItemPlan, OrderItem, SharedLimits};
pub use stock::{project, Incoming, Lot, StockProjection};
pub use sum::{sum_days, window_sums, MonteCarlo};
