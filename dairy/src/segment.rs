//! Customer segments, pure: an RFM rule over each customer's delivered orders in a window
//! before a day. Recency, frequency and the monetary value (units per delivery day: the
//! catalogue prices whole periods, not deliveries) come from
//! `milkrun_forecast::customers::summarize`; the segment is a rule on their absolute values
//! with the thresholds below, not the customers module's quintile scores
//! (`rfm_scores`), because in a dairy most subscribers received milk yesterday: tied at the
//! best recency, quintiles by rank would score them all 1. The k-means segments of the
//! customers module need far more customers than a station has in a test and are not used.
//!
//! The rule, in order:
//! 1. last delivery [`LAPSED_AFTER_DAYS`] or more days before the day: [`Segment::Lapsed`];
//! 2. [`AT_RISK_AFTER_DAYS`] or more: [`Segment::AtRisk`];
//! 3. first delivery of the window less than [`NEW_FOR_DAYS`] days before: [`Segment::New`];
//! 4. at least [`LOYAL_DAYS_PER_WEEK`] delivery days a week since the first: [`Segment::Loyal`];
//! 5. otherwise [`Segment::Occasional`].
use std::collections::{BTreeMap, BTreeSet};

use milkrun_calendar::Date;
use milkrun_forecast::customers::{self, Split, Transaction};

use crate::error::{invalid, DairyError};
use crate::ids::CustomerId;

/// Days since the last delivery from which a customer is lapsed.
pub const LAPSED_AFTER_DAYS: i64 = 14;
/// Days since the last delivery from which a customer is at risk.
pub const AT_RISK_AFTER_DAYS: i64 = 4;
/// A customer whose first delivery in the window is fewer days ago than this is new.
pub const NEW_FOR_DAYS: i64 = 14;
/// Delivery days a week (since the first in the window) from which a customer is loyal.
pub const LOYAL_DAYS_PER_WEEK: f64 = 4.0;
/// The longest window of history a segmentation reads, in days.
pub const MAX_WINDOW_DAYS: u32 = 366;

/// A customer segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// Delivered to most days of the week, lately.
    Loyal,
    /// First delivered recently.
    New,
    /// Delivered to lately, on fewer days.
    Occasional,
    /// No delivery for some days.
    AtRisk,
    /// No delivery for two weeks or more.
    Lapsed,
}

impl Segment {
    /// Every segment.
    pub const ALL: [Segment; 5] = [
        Segment::Loyal,
        Segment::New,
        Segment::Occasional,
        Segment::AtRisk,
        Segment::Lapsed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Loyal => "loyal",
            Segment::New => "new",
            Segment::Occasional => "occasional",
            Segment::AtRisk => "at_risk",
            Segment::Lapsed => "lapsed",
        }
    }

    /// The segment of a stored name.
    pub fn parse(name: &str) -> Result<Segment, DairyError> {
        Segment::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| invalid("segment", format!("unknown segment `{name}`")))
    }
}

/// One delivered order as a purchase: who, which day, how many units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    /// The customer.
    pub customer: CustomerId,
    /// The delivery day.
    pub date: Date,
    /// Units delivered.
    pub units: u32,
}

/// A customer's RFM values and segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSegment {
    /// The customer.
    pub customer: CustomerId,
    /// Days from the last delivery to the day of the segmentation.
    pub days_since_last: i64,
    /// Distinct delivery days in the window.
    pub delivery_days: u32,
    /// Mean units per delivery day.
    pub units_per_day: f64,
    /// The segment.
    pub segment: Segment,
}

/// The segment of a customer whose last delivery was `days_since_last` days before, who had
/// `delivery_days` delivery days, the first `age_days` days before (the rule of the module
/// doc).
pub fn segment_of(days_since_last: i64, delivery_days: u32, age_days: i64) -> Segment {
    if days_since_last >= LAPSED_AFTER_DAYS {
        Segment::Lapsed
    } else if days_since_last >= AT_RISK_AFTER_DAYS {
        Segment::AtRisk
    } else if age_days < NEW_FOR_DAYS {
        Segment::New
    } else if f64::from(delivery_days) * 7.0 / (age_days + 1) as f64 >= LOYAL_DAYS_PER_WEEK {
        Segment::Loyal
    } else {
        Segment::Occasional
    }
}

/// The segment of every customer with a purchase in `as_of - window_days + 1 ..= as_of`
/// (purchases outside it are ignored), in customer order. A customer with no purchase in the
/// window gets no segment.
pub fn segment_customers(
    purchases: &[Purchase],
    as_of: Date,
    window_days: u32,
) -> Result<Vec<CustomerSegment>, DairyError> {
    if window_days == 0 || window_days > MAX_WINDOW_DAYS {
        return Err(invalid(
            "segments.window_days",
            format!("must be 1..={MAX_WINDOW_DAYS}"),
        ));
    }
    let start = as_of.add_days(1 - window_days as i32);
    // The customers module works on dense indices: number the customers in id order.
    let index: Vec<CustomerId> = purchases
        .iter()
        .filter(|p| (start..=as_of).contains(&p.date))
        .map(|p| p.customer)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let dense: BTreeMap<CustomerId, u32> = index
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u32))
        .collect();
    let log: Vec<Transaction> = purchases
        .iter()
        .filter(|p| (start..=as_of).contains(&p.date))
        .map(|p| Transaction {
            customer: customers::CustomerId(dense[&p.customer]),
            date: p.date,
            amount: f64::from(p.units),
        })
        .collect();
    if log.is_empty() {
        return Ok(Vec::new());
    }
    let split = Split {
        calibration_start: Some(start),
        calibration_end: as_of,
        holdout_end: Some(as_of),
    };
    let summaries = customers::summarize(&log, &split)
        .map_err(|e| invalid("segments.purchases", e.to_string()))?;
    Ok(summaries
        .customers
        .iter()
        .map(|s| {
            let days_since_last = (s.weeks_since_last_purchase() * 7.0).round() as i64;
            let age_days = (s.age_weeks * 7.0).round() as i64;
            let delivery_days = s.frequency + 1;
            CustomerSegment {
                customer: index[s.customer.0 as usize],
                days_since_last,
                delivery_days,
                units_per_day: s.mean_spend,
                segment: segment_of(days_since_last, delivery_days, age_days),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// As of 2028-03-31 with a 28-day window: customer 1 daily for four weeks (loyal),
    /// customer 2 twice a week (occasional), customer 3 from 03-25 (new), customer 4 last on
    /// 03-25 (at risk), customer 5 last on 03-10 (lapsed), customer 6 only before the window
    /// (no segment).
    #[test]
    fn rule_by_hand() -> TestResult {
        let as_of = Date::parse_iso("2028-03-31")?;
        let mut p = Vec::new();
        let mut buy = |c: i64, day: i32, units: u32| {
            p.push(Purchase {
                customer: CustomerId(c),
                date: as_of.add_days(-day),
                units,
            })
        };
        for day in 0..28 {
            buy(1, day, 2);
            if day % 7 < 2 {
                buy(2, day, 1);
            }
        }
        for day in 0..7 {
            buy(3, day, 1);
        }
        for day in 6..28 {
            buy(4, day, 1);
        }
        buy(5, 21, 3);
        buy(5, 27, 1);
        buy(6, 40, 1);
        let s = segment_customers(&p, as_of, 28)?;
        let got: Vec<(i64, Segment)> = s.iter().map(|c| (c.customer.0, c.segment)).collect();
        assert_eq!(
            got,
            [
                (1, Segment::Loyal),
                (2, Segment::Occasional),
                (3, Segment::New),
                (4, Segment::AtRisk),
                (5, Segment::Lapsed),
            ]
        );
        assert_eq!((s[0].days_since_last, s[0].delivery_days), (0, 28));
        assert!((s[0].units_per_day - 2.0).abs() < 1e-12);
        assert_eq!((s[4].days_since_last, s[4].delivery_days), (21, 2));
        assert!((s[4].units_per_day - 2.0).abs() < 1e-12);
        assert!(segment_customers(&p, as_of, 0).is_err());
        assert!(segment_customers(&[], as_of, 28)?.is_empty());
        for seg in Segment::ALL {
            assert_eq!(Segment::parse(seg.as_str())?, seg);
        }
        Ok(())
    }
}
