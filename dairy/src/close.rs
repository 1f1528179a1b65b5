//! Close of day, pure part: every order of the day ends delivered, failed (and what became
//! of it) or cancelled. An order with no outcome, or failed with no remedy, is an error
//! ([`DairyError::Unaccounted`]), never dropped from the count.
use milkrun_calendar::Date;

use crate::error::DairyError;
use crate::exception::Remedy;
use crate::ids::OrderId;

/// How an order of the day ended, as the store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEnd {
    /// Delivered.
    Delivered,
    /// Failed, with its remedy once the policy has made one.
    Failed(Option<Remedy>),
    /// Cancelled.
    Cancelled,
    /// No outcome recorded.
    Open,
}

/// The day's accounts: `orders = delivered + retried + made_up + extended + credited +
/// cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayAccount {
    /// Orders of the day (retry orders included).
    pub orders: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed and retried the same day (the retry is an order of its own).
    pub retried: u64,
    /// Failed and made up on a later delivery day.
    pub made_up: u64,
    /// Failed and compensated with one more delivery at the end.
    pub extended: u64,
    /// Failed and compensated with a coupon or points.
    pub credited: u64,
    /// Cancelled.
    pub cancelled: u64,
}

/// The accounts of `date` from each order's end; an error naming the orders left open.
pub fn account_day(date: Date, orders: &[(OrderId, OrderEnd)]) -> Result<DayAccount, DairyError> {
    let mut a = DayAccount::default();
    let mut open: Vec<OrderId> = Vec::new();
    for &(id, end) in orders {
        a.orders += 1;
        let slot = match end {
            OrderEnd::Delivered => &mut a.delivered,
            OrderEnd::Cancelled => &mut a.cancelled,
            OrderEnd::Failed(Some(Remedy::SameDayRetry)) => &mut a.retried,
            OrderEnd::Failed(Some(Remedy::MakeUpNextDay)) => &mut a.made_up,
            OrderEnd::Failed(Some(Remedy::ExtendOneDay)) => &mut a.extended,
            OrderEnd::Failed(Some(Remedy::Credit(_))) => &mut a.credited,
            OrderEnd::Failed(None) | OrderEnd::Open => {
                open.push(id);
                continue;
            }
        };
        *slot += 1;
    }
    if !open.is_empty() {
        open.sort();
        let count = open.len();
        open.truncate(10);
        return Err(DairyError::Unaccounted {
            date,
            count,
            first: open,
        });
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exception::Credit;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Every end is counted once; the parts add up to the orders.
    #[test]
    fn every_order_is_counted_once() -> TestResult {
        let day = Date::parse_iso("2028-02-29")?;
        let ends = [
            OrderEnd::Delivered,
            OrderEnd::Delivered,
            OrderEnd::Cancelled,
            OrderEnd::Failed(Some(Remedy::SameDayRetry)),
            OrderEnd::Failed(Some(Remedy::MakeUpNextDay)),
            OrderEnd::Failed(Some(Remedy::ExtendOneDay)),
            OrderEnd::Failed(Some(Remedy::Credit(Credit::Points(5)))),
        ];
        let rows: Vec<(OrderId, OrderEnd)> = ends
            .iter()
            .enumerate()
            .map(|(i, &e)| (OrderId(i as i64), e))
            .collect();
        let a = account_day(day, &rows)?;
        assert_eq!(
            a,
            DayAccount {
                orders: 7,
                delivered: 2,
                retried: 1,
                made_up: 1,
                extended: 1,
                credited: 1,
                cancelled: 1
            }
        );
        Ok(())
    }

    /// An order with no outcome, or failed with nothing made of it, is an error naming it.
    #[test]
    fn open_orders_are_an_error() -> TestResult {
        let day = Date::parse_iso("2028-02-29")?;
        let rows = [
            (OrderId(3), OrderEnd::Delivered),
            (OrderId(9), OrderEnd::Open),
            (OrderId(4), OrderEnd::Failed(None)),
        ];
        assert_eq!(
            account_day(day, &rows),
            Err(DairyError::Unaccounted {
                date: day,
                count: 2,
                first: vec![OrderId(4), OrderId(9)]
            })
        );
        Ok(())
    }
}
