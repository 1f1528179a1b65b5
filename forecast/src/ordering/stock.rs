//! Stock on hand (by expiry) and on order, and the projection of which of it will sell before it
//! expires.

use super::error::{finite, non_negative, plan_days, OrderingError};

/// A lot on hand: `quantity` units sellable today and for `sellable_days - 1` more days
/// (1 = it must sell today). Lots with 0 sellable days are already expired and count for nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lot {
    /// Units.
    pub quantity: f64,
    /// Days it can still be sold, today included.
    pub sellable_days: u32,
}

/// A delivery on order: arrives at the start of day `arrives_in_days` (0 = today) and is then
/// sellable for `sellable_days` days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incoming {
    /// Units.
    pub quantity: f64,
    /// Day of arrival, counted from today = 0.
    pub arrives_in_days: u32,
    /// Days it can be sold from its arrival (its shelf life on arrival).
    pub sellable_days: u32,
}

/// What the stock is expected to do over a window of days, if demand were its mean.
#[derive(Debug, Clone, PartialEq)]
pub struct StockProjection {
    /// Units on hand or arriving within the window.
    pub total: f64,
    /// Units expected to expire unsold within the window (not usable against demand).
    pub expiring: f64,
    /// Per lot (on-hand lots first, then incoming, in input order): units expected to expire
    /// unsold and the day they expire (first day no longer sellable).
    pub expiring_lots: Vec<(f64, u32)>,
}

impl StockProjection {
    /// Units expected to be sold before they expire: the stock that counts in the position.
    pub fn usable(&self) -> f64 {
        (self.total - self.expiring).max(0.0)
    }
}

/// Validates lots and deliveries, naming the bad field.
pub(crate) fn validate(on_hand: &[Lot], on_order: &[Incoming]) -> Result<(), OrderingError> {
    let mut total = 0.0;
    for (i, lot) in on_hand.iter().enumerate() {
        total += non_negative(&format!("on_hand[{i}].quantity"), lot.quantity)?;
        plan_days(&format!("on_hand[{i}].sellable_days"), lot.sellable_days)?;
    }
    for (i, inc) in on_order.iter().enumerate() {
        total += non_negative(&format!("on_order[{i}].quantity"), inc.quantity)?;
        if inc.sellable_days == 0 {
            return Err(OrderingError::ZeroShelfLife {
                field: format!("on_order[{i}].sellable_days"),
            });
        }
        plan_days(&format!("on_order[{i}].sellable_days"), inc.sellable_days)?;
        plan_days(
            &format!("on_order[{i}].arrives_in_days"),
            inc.arrives_in_days,
        )?;
    }
    // Quantities near f64::MAX each pass but their sum does not.
    finite("on_hand + on_order total quantity", total)?;
    Ok(())
}

/// Projects the stock over days `0..window` with each day's demand equal to `daily_mean[d]`,
/// issued first-expiring-first-out. Deliveries arriving on or after `window` are ignored.
pub fn project(
    daily_mean: &[f64],
    window: usize,
    on_hand: &[Lot],
    on_order: &[Incoming],
) -> StockProjection {
    // (remaining, arrival day, expiry day) per lot.
    let mut lots: Vec<(f64, usize, usize)> = on_hand
        .iter()
        .map(|l| (l.quantity, 0usize, l.sellable_days as usize))
        .chain(on_order.iter().map(|o| {
            let a = o.arrives_in_days as usize;
            (o.quantity, a, a + o.sellable_days as usize)
        }))
        .collect();
    let n_hand = on_hand.len();
    let mut total = 0.0;
    for (i, l) in lots.iter_mut().enumerate() {
        if l.1 >= window || (i < n_hand && l.2 == 0) {
            l.0 = 0.0;
        }
        total += l.0;
    }
    let mut order: Vec<usize> = (0..lots.len()).collect();
    order.sort_by_key(|&i| (lots[i].2, lots[i].1));
    let mut expiring_lots = vec![(0.0, 0u32); lots.len()];
    for (day, &mean) in daily_mean.iter().enumerate().take(window) {
        let mut need = mean.max(0.0);
        for &i in &order {
            let l = &mut lots[i];
            if need <= 0.0 {
                break;
            }
            if l.1 <= day && day < l.2 && l.0 > 0.0 {
                let take = need.min(l.0);
                l.0 -= take;
                need -= take;
            }
        }
        for &i in &order {
            let l = &mut lots[i];
            if l.2 == day + 1 && l.0 > 0.0 {
                expiring_lots[i] = (l.0, l.2 as u32);
                l.0 = 0.0;
            }
        }
    }
    let expiring = expiring_lots.iter().map(|x| x.0).sum();
    StockProjection {
        total,
        expiring,
        expiring_lots,
    }
}
