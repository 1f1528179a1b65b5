//! Consumption analysis per customer, pure: from a customer's stored orders and outcomes
//! over a date range (the store reads them from `v_order_outcomes`), the units delivered per
//! product per week, the trend of the weekly units, the days skipped or paused, the failed
//! deliveries, and a plain classification.
//!
//! Weeks are 7-day blocks from the range's first day (week `i` starts on `from + 7i`); a
//! shorter last block is reported but stays out of the trend. The trend is the least-squares
//! slope of the whole weeks' delivered units against the week number, in units per week, and
//! the classification compares it with the mean week:
//! - [`ConsumptionClass::Inactive`]: nothing delivered in any whole week;
//! - [`ConsumptionClass::Lapsing`]: nothing delivered in the last [`LAPSING_WEEKS`] whole
//!   weeks, after some delivered before;
//! - [`ConsumptionClass::Growing`] / [`ConsumptionClass::Declining`]: the slope is at least
//!   [`TREND_SHARE`] of the mean week, up or down;
//! - otherwise [`ConsumptionClass::Steady`].
use std::collections::{BTreeMap, BTreeSet};

use milkrun_calendar::Date;

use crate::calendar::{Operation, OperationKind};
use crate::error::{invalid, DairyError};
use crate::ids::ProductId;
use crate::subscription::{Subscription, Term};

/// The fewest whole weeks a range must cover for a trend.
pub const MIN_WEEKS: usize = 3;
/// The most weeks (whole or not) an analysis covers (three years).
pub const MAX_WEEKS: usize = 156;
/// The slope, as a share of the mean week, from which consumption is growing or declining
/// (0.10: at least 10 % of an average week more, or less, every week).
pub const TREND_SHARE: f64 = 0.10;
/// Whole weeks at the end of the range with nothing delivered that make a customer who had
/// deliveries before lapsing.
pub const LAPSING_WEEKS: usize = 2;

/// What became of an order, as `v_order_outcomes` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// No outcome yet.
    Pending,
    /// Delivered.
    Delivered,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl OrderStatus {
    /// The status of a stored name (`pending`, `delivered`, `failed`, `cancelled`).
    pub fn parse(name: &str) -> Result<OrderStatus, DairyError> {
        Ok(match name {
            "pending" => OrderStatus::Pending,
            "delivered" => OrderStatus::Delivered,
            "failed" => OrderStatus::Failed,
            "cancelled" => OrderStatus::Cancelled,
            _ => return Err(invalid("order.status", format!("unknown status `{name}`"))),
        })
    }
}

/// One of the customer's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumedOrder {
    /// The delivery day.
    pub date: Date,
    /// The product.
    pub product: ProductId,
    /// Units.
    pub quantity: u32,
    /// What became of it.
    pub status: OrderStatus,
}

/// One week of a customer's consumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekUnits {
    /// The week's first day.
    pub start: Date,
    /// Days in the week within the range (7 but for a shorter last week).
    pub days: u32,
    /// Units delivered per product.
    pub per_product: BTreeMap<ProductId, u64>,
    /// Units delivered in all.
    pub units: u64,
}

/// The plain classification of a customer's consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumptionClass {
    /// About the same every week.
    Steady,
    /// More every week.
    Growing,
    /// Less every week.
    Declining,
    /// Nothing lately, after deliveries before.
    Lapsing,
    /// Nothing delivered in the range.
    Inactive,
}

impl ConsumptionClass {
    /// The class's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumptionClass::Steady => "steady",
            ConsumptionClass::Growing => "growing",
            ConsumptionClass::Declining => "declining",
            ConsumptionClass::Lapsing => "lapsing",
            ConsumptionClass::Inactive => "inactive",
        }
    }
}

/// A customer's consumption over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumption {
    /// The weeks, in order.
    pub weeks: Vec<WeekUnits>,
    /// The least-squares slope of the whole weeks' units, in units per week.
    pub slope_units_per_week: f64,
    /// The mean units of a whole week.
    pub mean_units_per_week: f64,
    /// Orders delivered.
    pub delivered: u64,
    /// Orders failed.
    pub failed: u64,
    /// Orders cancelled.
    pub cancelled: u64,
    /// Days of the range with a delivery due by a subscription's weekday pattern that a pause,
    /// skip or postponement took away.
    pub days_off: u32,
    /// The classification.
    pub class: ConsumptionClass,
}

/// Checks a range of [`analyse`]: at least [`MIN_WEEKS`] whole weeks and at most
/// [`MAX_WEEKS`] weeks; returns its number of weeks (the last may be shorter).
pub fn check_range(from: Date, to: Date) -> Result<usize, DairyError> {
    let span = to.days_since(from) + 1;
    if span < 7 * MIN_WEEKS as i64 {
        return Err(invalid(
            "consumption.to",
            format!("the range must cover at least {MIN_WEEKS} whole weeks"),
        ));
    }
    let n_weeks = usize::try_from((span + 6) / 7).unwrap_or(usize::MAX);
    if n_weeks > MAX_WEEKS {
        return Err(invalid(
            "consumption.to",
            format!("the range may cover at most {MAX_WEEKS} weeks"),
        ));
    }
    Ok(n_weeks)
}

/// Analyses a customer's `orders` (those outside `from..=to` are ignored) with `days_off`
/// from [`days_off`]. The range must cover at least [`MIN_WEEKS`] whole weeks and at most
/// [`MAX_WEEKS`] weeks.
pub fn analyse(
    from: Date,
    to: Date,
    orders: &[ConsumedOrder],
    days_off: u32,
) -> Result<Consumption, DairyError> {
    let n_weeks = check_range(from, to)?;
    let span = to.days_since(from) + 1;
    let mut weeks: Vec<WeekUnits> = (0..n_weeks)
        .map(|i| {
            let start = from.add_days(7 * i as i32);
            let days = (span - 7 * i as i64).min(7) as u32;
            WeekUnits {
                start,
                days,
                per_product: BTreeMap::new(),
                units: 0,
            }
        })
        .collect();
    let (mut delivered, mut failed, mut cancelled) = (0u64, 0u64, 0u64);
    for o in orders.iter().filter(|o| (from..=to).contains(&o.date)) {
        match o.status {
            OrderStatus::Delivered => delivered += 1,
            OrderStatus::Failed => {
                failed += 1;
                continue;
            }
            OrderStatus::Cancelled => {
                cancelled += 1;
                continue;
            }
            OrderStatus::Pending => continue,
        }
        let w = &mut weeks[(o.date.days_since(from) / 7) as usize];
        let units = u64::from(o.quantity);
        let p = w.per_product.entry(o.product).or_insert(0);
        *p = p
            .checked_add(units)
            .ok_or(DairyError::Overflow { what: "units" })?;
        w.units = w
            .units
            .checked_add(units)
            .ok_or(DairyError::Overflow { what: "units" })?;
    }
    let whole: Vec<f64> = weeks
        .iter()
        .filter(|w| w.days == 7)
        .map(|w| w.units as f64)
        .collect();
    let (slope, mean) = slope_and_mean(&whole);
    let class = classify(&whole, slope, mean);
    Ok(Consumption {
        weeks,
        slope_units_per_week: slope,
        mean_units_per_week: mean,
        delivered,
        failed,
        cancelled,
        days_off,
        class,
    })
}

/// The least-squares slope of `y` against 0, 1, 2, … and the mean of `y` (both 0 for fewer
/// than two values).
fn slope_and_mean(y: &[f64]) -> (f64, f64) {
    if y.len() < 2 {
        return (0.0, y.first().copied().unwrap_or(0.0));
    }
    let n = y.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (v - mean_y);
        sxx += dx * dx;
    }
    (sxy / sxx, mean_y)
}

/// The class of whole weeks' units with their slope and mean (see the module doc).
fn classify(whole: &[f64], slope: f64, mean: f64) -> ConsumptionClass {
    if whole.iter().all(|&u| u == 0.0) {
        return ConsumptionClass::Inactive;
    }
    let tail = &whole[whole.len().saturating_sub(LAPSING_WEEKS)..];
    if tail.iter().all(|&u| u == 0.0) {
        return ConsumptionClass::Lapsing;
    }
    if slope >= TREND_SHARE * mean {
        ConsumptionClass::Growing
    } else if slope <= -TREND_SHARE * mean {
        ConsumptionClass::Declining
    } else {
        ConsumptionClass::Steady
    }
}

/// The days of `from..=to` on which one of `subs` (each with its operations) was due a
/// regular delivery by its weekday pattern, on or after its start and, for a term with an
/// end date, on or before it, and a pause, skip or postponement took it away. A day counts
/// once however many subscriptions lost it. The range is bounded as [`analyse`]'s.
pub fn days_off(
    subs: &[(Subscription, Vec<Operation>)],
    from: Date,
    to: Date,
) -> Result<u32, DairyError> {
    let span = to.days_since(from) + 1;
    if span < 1 || span > 7 * MAX_WEEKS as i64 {
        return Err(invalid(
            "consumption.to",
            format!("the range must cover 1 to {} days", 7 * MAX_WEEKS),
        ));
    }
    let mut off = BTreeSet::new();
    for (sub, ops) in subs {
        let last = match sub.term {
            Term::Until(end) => end.min(to),
            Term::Prepaid(_) => to,
        };
        let cancelling: Vec<OperationKind> = ops
            .iter()
            .filter(|o| o.subscription == sub.id)
            .map(|o| o.kind)
            .filter(|k| {
                matches!(
                    k,
                    OperationKind::Pause { .. }
                        | OperationKind::Skip { .. }
                        | OperationKind::Postpone { .. }
                )
            })
            .collect();
        if cancelling.is_empty() {
            continue;
        }
        let mut d = from.max(sub.start);
        while d <= last {
            if sub.weekdays.contains(d) && cancelling.iter().any(|k| k.cancels(d)) {
                off.insert(d);
            }
            d = d.add_days(1);
        }
    }
    u32::try_from(off.len()).map_err(|_| DairyError::Overflow { what: "days off" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{HouseholdId, OperationId, PackageId, SubscriptionId};
    use crate::subscription::WeekdayPattern;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).expect("a test date")
    }

    fn order(date: &str, product: i64, quantity: u32, status: OrderStatus) -> ConsumedOrder {
        ConsumedOrder {
            date: d(date),
            product: ProductId(product),
            quantity,
            status,
        }
    }

    /// Four whole weeks from Monday 2028-03-06 with 2, 4, 6 and 8 units delivered (product 1
    /// daily-ish, product 2 as an extra in week 3), one failed and one cancelled order, and a
    /// 2-day last block: the slope is exactly 2 units a week, the mean 5, so 2 >= 0.1 * 5 is
    /// growing; the short block is reported and stays out of the trend.
    #[test]
    fn growing_customer_by_hand() -> TestResult {
        use OrderStatus::*;
        let orders = [
            order("2028-03-06", 1, 2, Delivered),
            order("2028-03-07", 1, 2, Failed),
            order("2028-03-13", 1, 2, Delivered),
            order("2028-03-15", 1, 2, Delivered),
            order("2028-03-20", 1, 4, Delivered),
            order("2028-03-21", 2, 2, Delivered),
            order("2028-03-22", 1, 1, Cancelled),
            order("2028-03-27", 1, 8, Delivered),
            order("2028-04-03", 1, 50, Delivered),
            order("2028-04-05", 1, 50, Delivered), // outside the range
        ];
        let c = analyse(d("2028-03-06"), d("2028-04-04"), &orders, 1)?;
        assert_eq!(c.weeks.len(), 5);
        let units: Vec<u64> = c.weeks.iter().map(|w| w.units).collect();
        assert_eq!(units, [2, 4, 6, 8, 50]);
        assert_eq!(c.weeks[4].days, 2);
        assert_eq!(c.weeks[2].per_product[&ProductId(1)], 4);
        assert_eq!(c.weeks[2].per_product[&ProductId(2)], 2);
        assert_eq!(
            (c.delivered, c.failed, c.cancelled, c.days_off),
            (7, 1, 1, 1)
        );
        assert!((c.slope_units_per_week - 2.0).abs() < 1e-12);
        assert!((c.mean_units_per_week - 5.0).abs() < 1e-12);
        assert_eq!(c.class, ConsumptionClass::Growing);
        Ok(())
    }

    /// Units 10, 10, 9, 10: slope -0.1 against a mean of 9.75 (share 1 %) is steady; 10, 8,
    /// 6, 4 (slope -2, mean 7) is declining; 5, 5, 0, 0 is lapsing; nothing is inactive.
    #[test]
    fn classes_by_hand() -> TestResult {
        let from = d("2028-03-06");
        let to = d("2028-04-02");
        let weekly = |units: [u32; 4]| -> Vec<ConsumedOrder> {
            units
                .iter()
                .enumerate()
                .filter(|(_, &u)| u > 0)
                .map(|(i, &u)| ConsumedOrder {
                    date: from.add_days(7 * i as i32 + 1),
                    product: ProductId(1),
                    quantity: u,
                    status: OrderStatus::Delivered,
                })
                .collect()
        };
        let class = |units| analyse(from, to, &weekly(units), 0).map(|c| c.class);
        assert_eq!(class([10, 10, 9, 10])?, ConsumptionClass::Steady);
        assert_eq!(class([10, 8, 6, 4])?, ConsumptionClass::Declining);
        assert_eq!(class([5, 5, 0, 0])?, ConsumptionClass::Lapsing);
        assert_eq!(class([0, 0, 0, 0])?, ConsumptionClass::Inactive);
        // Fewer than three whole weeks, or a reversed range, is refused naming the field.
        let short = analyse(from, from.add_days(19), &[], 0);
        assert!(matches!(
            short,
            Err(DairyError::Invalid {
                field: "consumption.to",
                ..
            })
        ));
        assert!(analyse(to, from, &[], 0).is_err());
        assert!(analyse(from, from.add_days(7 * 200), &[], 0).is_err());
        Ok(())
    }

    /// A Monday-Wednesday-Friday subscription paused Tuesday to Saturday loses Wednesday and
    /// Friday; a skip of Monday adds one; a daily one skipping the same Wednesday adds none.
    #[test]
    fn days_off_count_pattern_days_once() -> TestResult {
        let mwf = WeekdayPattern::from_days(&[0, 2, 4])?;
        let sub = |id: i64, w: WeekdayPattern| {
            Subscription::new(
                SubscriptionId(id),
                HouseholdId(1),
                PackageId(1),
                d("2028-03-01"),
                Term::Prepaid(100),
                1,
                w,
            )
        };
        let op = |id: i64, s: i64, kind| Operation {
            id: OperationId(id),
            subscription: SubscriptionId(s),
            kind,
        };
        let a = sub(1, mwf)?;
        let b = sub(2, WeekdayPattern::DAILY)?;
        let pause = OperationKind::Pause {
            from: d("2028-03-07"),
            to: d("2028-03-11"),
        };
        let subs = vec![
            (
                a,
                vec![
                    op(1, 1, pause),
                    op(
                        2,
                        1,
                        OperationKind::Skip {
                            date: d("2028-03-13"),
                        },
                    ),
                ],
            ),
            (
                b,
                vec![op(
                    3,
                    2,
                    OperationKind::Skip {
                        date: d("2028-03-08"),
                    },
                )],
            ),
        ];
        assert_eq!(days_off(&subs, d("2028-03-06"), d("2028-03-19"))?, 3);
        Ok(())
    }
}
