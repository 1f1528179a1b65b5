//! Periodic review with lead time: how much to order today.
//!
//! Timeline (in days, today = 0): the decision is taken at the start of day 0, before its
//! demand; the order arrives at the start of day `L` (the lead time) and the next order, placed
//! `R` days later (the review period), arrives at day `L + R`. So the stock on hand, on order and
//! ordered now must cover the demand of days `0 .. L + R` — or only `0 .. L + s` when the shelf
//! life `s` is shorter than `R`. The order-up-to level is a quantile of the distribution of that
//! summed demand (exact for normal/Poisson, Monte Carlo for quantile forecasts), found with the
//! [`LifetimeCurve`] so that stock which will still be sellable after the cover window is not
//! priced as waste. Stock that is expected to expire unsold before the window ends does not count
//! in the position.

use super::distribution::Demand;
use super::error::{plan_days, positive, OrderingError};
use super::newsvendor::{Costs, LifetimeCurve, Outcome};
use super::packs::PackRule;
use super::stock::{project, validate, Incoming, Lot};
use super::sum::{window_sums, MonteCarlo};

/// Parameters of a periodic-review decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewParams {
    /// Days from order to delivery (0 = same morning).
    pub lead_time_days: u32,
    /// Days between orders (≥ 1).
    pub review_days: u32,
    /// Days a delivered unit stays sellable (≥ 1).
    pub shelf_life_days: u32,
    /// Unit costs.
    pub costs: Costs,
    /// Pack size and minimum order.
    pub pack: PackRule,
    /// Monte Carlo settings for sums without a closed form.
    pub monte_carlo: MonteCarlo,
}

impl ReviewParams {
    /// Checks the day counts: shelf life and review period at least 1, every count at most
    /// [`MAX_PLAN_DAYS`](super::MAX_PLAN_DAYS).
    pub fn validate(&self) -> Result<(), OrderingError> {
        if self.shelf_life_days == 0 {
            return Err(OrderingError::ZeroShelfLife {
                field: "shelf_life_days".into(),
            });
        }
        positive("review_days", f64::from(self.review_days))?;
        plan_days("lead_time_days", self.lead_time_days)?;
        plan_days("review_days", self.review_days)?;
        plan_days("shelf_life_days", self.shelf_life_days)?;
        Ok(())
    }
    /// Days whose demand the decision covers: `L + min(R, s)` (without overflow for any day
    /// counts; [`ReviewParams::validate`] bounds them).
    pub fn cover_days(&self) -> usize {
        let cover =
            u64::from(self.lead_time_days) + u64::from(self.review_days.min(self.shelf_life_days));
        usize::try_from(cover).unwrap_or(usize::MAX)
    }
    /// Days over which the stock can sell before the new order expires: `L + s`.
    pub fn life_days(&self) -> usize {
        let life = u64::from(self.lead_time_days) + u64::from(self.shelf_life_days);
        usize::try_from(life).unwrap_or(usize::MAX)
    }
}

/// The decision for one product at one location.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewDecision {
    /// Units to order now (a multiple of the pack, 0 or at least the minimum order).
    pub order_quantity: f64,
    /// Order before pack rounding.
    pub unrounded_order: f64,
    /// Target stock position over the cover window.
    pub order_up_to: f64,
    /// Order-up-to level minus the mean cover-window demand. Negative only when the costs put
    /// the best stock level below the mean demand (overage above underage, or waste over the
    /// shelf life outweighing shortage); count distributions are refused rather than
    /// truncated ([`super::MAX_COUNT_MEAN`], [`super::MAX_TABLE_POINTS`]), so a truncated table
    /// can no longer make it negative.
    pub safety_stock: f64,
    /// Mean demand over the cover window.
    pub cover_mean: f64,
    /// Days in the cover window.
    pub cover_days: usize,
    /// Stock on hand and on order expected to sell before it expires.
    pub usable_position: f64,
    /// Stock on hand and on order expected to expire unsold within the cover window.
    pub expiring_stock: f64,
    /// Expected outcome of the resulting position (shortage/fill over the cover window, waste
    /// over the shelf life).
    pub outcome: Outcome,
    /// The expected-cost curve of the stock level the decision minimised.
    pub curve: LifetimeCurve,
}

/// Computes today's order from the daily demand distributions `daily[0..]` (day 0 = today),
/// the stock on hand and on order.
///
/// `daily` must cover at least `L + min(R, s)` days; the shelf-life window `L + s` is cut to the
/// forecast length when the forecast is shorter (which prices waste more cautiously).
pub fn review(
    daily: &[Demand],
    on_hand: &[Lot],
    on_order: &[Incoming],
    params: &ReviewParams,
) -> Result<ReviewDecision, OrderingError> {
    params.validate()?;
    validate(on_hand, on_order)?;
    let cover_days = params.cover_days();
    if daily.len() < cover_days {
        return Err(OrderingError::ForecastTooShort {
            field: "daily forecast".into(),
            needed: cover_days,
            got: daily.len(),
        });
    }
    let life_days = params.life_days().min(daily.len()).max(cover_days);
    let sums = window_sums(daily, &[cover_days, life_days], &params.monte_carlo)?;
    let (cover, life) = match (sums.first(), sums.get(1)) {
        (Some(c), Some(l)) => (c.clone(), l.clone()),
        _ => {
            return Err(OrderingError::Invalid {
                field: "daily forecast".into(),
                reason: "window sums missing".into(),
            })
        }
    };
    let means: Vec<f64> = daily.iter().map(Demand::mean).collect();
    let projection = project(&means, cover_days, on_hand, on_order);
    let position = projection.usable();
    let curve = LifetimeCurve::new(cover, life, params.costs);
    let target = curve.optimum();
    let unrounded = (target - position).max(0.0);
    let order = params
        .pack
        .best_order(unrounded, |q| curve.cost(position + q));
    let cover_mean = curve.cover().mean();
    Ok(ReviewDecision {
        order_quantity: order,
        unrounded_order: unrounded,
        order_up_to: target,
        safety_stock: target - cover_mean,
        cover_mean,
        cover_days,
        usable_position: position,
        expiring_stock: projection.expiring,
        outcome: curve.outcome(position + order),
        curve,
    })
}
