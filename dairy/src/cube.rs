//! Multi-dimensional queries for BI, pure part: the dimensions, the filters, the measures
//! and the rows of one query over the frozen orders and their outcomes. The store runs it
//! ([`crate::store::Store::cube`]) with SQL built only from this module's enums (a fixed
//! whitelist of column expressions) and every value bound as a parameter.
//!
//! Drill-down is adding a filter and a finer dimension: the company's totals (no dimension),
//! then by station, then one station by courier, then one courier by day. Every order falls
//! in exactly one row of any query, so the rows of a level sum to the row above them.
//!
//! The measures: orders, delivered, failed, cancelled and pending (no outcome yet) orders,
//! units ordered and delivered, and, of the delivered orders whose household had a promised
//! window from the night's plan, how many were delivered inside it (on time). Revenue is not
//! a measure: the catalogue prices a package's whole period (a month, a quarter, a year or
//! a count of deliveries), and extras and make-ups carry no price, so no price per order is
//! at hand.
use milkrun_calendar::Date;

use crate::error::{invalid, DairyError};
use crate::ids::{CourierId, ProductId, StationId};
use crate::segment::Segment;

/// The longest date range of one query, in days.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;
/// The most rows one query returns; a query with more is refused (add a filter).
pub const MAX_ROWS: usize = 100_000;
/// The longest region name, in bytes.
pub const MAX_REGION_BYTES: usize = 200;

/// What a query can group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// The station's region (`Store::set_station_region`); stations without one have none.
    Region,
    /// The station serving the household.
    Station,
    /// The courier who recorded the outcome, else the courier of the night's plan; none when
    /// neither exists.
    Courier,
    /// The product.
    Product,
    /// The customer's stored segment (`Store::assign_segments`); none when unsegmented.
    Segment,
    /// The delivery day.
    Day,
}

impl Dimension {
    /// Every dimension, coarse to fine as a drill-down usually goes.
    pub const ALL: [Dimension; 6] = [
        Dimension::Region,
        Dimension::Station,
        Dimension::Courier,
        Dimension::Product,
        Dimension::Segment,
        Dimension::Day,
    ];
}

/// The filters of a query: the date range (required) and any of the other dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeFilter {
    /// The first delivery day.
    pub from: Date,
    /// The last delivery day.
    pub to: Date,
    /// Only this region.
    pub region: Option<String>,
    /// Only this station.
    pub station: Option<StationId>,
    /// Only this courier.
    pub courier: Option<CourierId>,
    /// Only this product.
    pub product: Option<ProductId>,
    /// Only this segment.
    pub segment: Option<Segment>,
}

impl CubeFilter {
    /// Every order delivered from `from` to `to`.
    pub fn days(from: Date, to: Date) -> CubeFilter {
        CubeFilter {
            from,
            to,
            region: None,
            station: None,
            courier: None,
            product: None,
            segment: None,
        }
    }
}

/// A query: group by `dimensions` (in this order, each at most once), under `filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeQuery {
    /// The dimensions grouped by; empty for the totals.
    pub dimensions: Vec<Dimension>,
    /// The filters.
    pub filter: CubeFilter,
}

impl CubeQuery {
    /// Checks the query: each dimension at most once, the range in order and at most
    /// [`MAX_RANGE_DAYS`] long, a region filter of 1..=[`MAX_REGION_BYTES`] bytes.
    pub fn validate(&self) -> Result<(), DairyError> {
        for (i, d) in self.dimensions.iter().enumerate() {
            if self.dimensions[..i].contains(d) {
                return Err(invalid("cube.dimensions", format!("{d:?} is listed twice")));
            }
        }
        let f = &self.filter;
        if f.to < f.from {
            return Err(invalid("cube.filter.to", "is before from"));
        }
        if f.to.days_since(f.from) >= MAX_RANGE_DAYS {
            return Err(invalid(
                "cube.filter.to",
                format!("a query covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        if let Some(r) = &f.region {
            if r.is_empty() || r.len() > MAX_REGION_BYTES {
                return Err(invalid(
                    "cube.filter.region",
                    format!("must have 1 to {MAX_REGION_BYTES} bytes"),
                ));
            }
        }
        Ok(())
    }
}

/// One dimension's value in a row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DimValue {
    /// A region, `None` for stations without one.
    Region(Option<String>),
    /// A station.
    Station(StationId),
    /// A courier, `None` for orders with none.
    Courier(Option<CourierId>),
    /// A product.
    Product(ProductId),
    /// A segment, `None` for unsegmented customers.
    Segment(Option<Segment>),
    /// A day.
    Day(Date),
}

/// The measures of a group of orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measures {
    /// Orders.
    pub orders: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Without an outcome yet.
    pub pending: u64,
    /// Units ordered.
    pub units: u64,
    /// Units delivered.
    pub units_delivered: u64,
    /// Delivered orders whose household had a promised window.
    pub promised: u64,
    /// Of those, delivered on the day inside the window.
    pub on_time: u64,
}

impl Measures {
    /// The sum of two groups' measures (checked).
    pub fn checked_add(&self, o: &Measures) -> Result<Measures, DairyError> {
        let add = |a: u64, b: u64| {
            a.checked_add(b)
                .ok_or(DairyError::Overflow { what: "cube" })
        };
        Ok(Measures {
            orders: add(self.orders, o.orders)?,
            delivered: add(self.delivered, o.delivered)?,
            failed: add(self.failed, o.failed)?,
            cancelled: add(self.cancelled, o.cancelled)?,
            pending: add(self.pending, o.pending)?,
            units: add(self.units, o.units)?,
            units_delivered: add(self.units_delivered, o.units_delivered)?,
            promised: add(self.promised, o.promised)?,
            on_time: add(self.on_time, o.on_time)?,
        })
    }

    /// The sum of many rows' measures.
    pub fn total<'a>(rows: impl IntoIterator<Item = &'a CubeRow>) -> Result<Measures, DairyError> {
        rows.into_iter()
            .try_fold(Measures::default(), |acc, r| acc.checked_add(&r.measures))
    }

    /// On-time deliveries over the delivered orders with a promise; `None` without any.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.promised > 0).then(|| self.on_time as f64 / self.promised as f64)
    }
}

/// One row of a query's answer: the values of its dimensions (in the query's order) and the
/// measures of the orders that have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeRow {
    /// One value per dimension of the query.
    pub key: Vec<DimValue>,
    /// The measures.
    pub measures: Measures,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dimension twice, a reversed or too long range and an empty region are refused by
    /// field; measures add up.
    #[test]
    fn queries_are_checked() -> Result<(), Box<dyn std::error::Error>> {
        let from = Date::parse_iso("2028-03-01")?;
        let mut q = CubeQuery {
            dimensions: vec![Dimension::Station, Dimension::Day],
            filter: CubeFilter::days(from, from.add_days(6)),
        };
        q.validate()?;
        q.dimensions.push(Dimension::Station);
        assert!(matches!(
            q.validate(),
            Err(DairyError::Invalid {
                field: "cube.dimensions",
                ..
            })
        ));
        q.dimensions.pop();
        q.filter.to = from.add_days(-1);
        assert!(q.validate().is_err());
        q.filter.to = from.add_days(MAX_RANGE_DAYS as i32);
        assert!(q.validate().is_err());
        q.filter.to = from;
        q.filter.region = Some(String::new());
        assert!(matches!(
            q.validate(),
            Err(DairyError::Invalid {
                field: "cube.filter.region",
                ..
            })
        ));
        let m = Measures {
            orders: 2,
            delivered: 1,
            promised: 1,
            on_time: 1,
            ..Measures::default()
        };
        let s = m.checked_add(&m)?;
        assert_eq!((s.orders, s.on_time), (4, 2));
        assert_eq!(s.on_time_rate(), Some(1.0));
        let big = Measures {
            units: u64::MAX,
            ..Measures::default()
        };
        assert!(big.checked_add(&big).is_err());
        Ok(())
    }
}
