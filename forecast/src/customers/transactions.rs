//! Transaction logs and their per-customer summaries (frequency, recency, age, spend) for a
//! calibration/holdout split.

use super::date::Date;
use super::CustomerError;

/// Opaque dense customer index (0..n); the edge that reads a file keeps the external ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomerId(pub u32);

/// One purchase: who, on which day, for how much (any currency unit, ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transaction {
    /// The buyer.
    pub customer: CustomerId,
    /// The day of the purchase.
    pub date: Date,
    /// The amount spent (not negative; 0 is allowed).
    pub amount: f64,
}

/// How the log is cut into a calibration period and a holdout period.
///
/// Calibration is `calibration_start..=calibration_end` (both inclusive), the holdout is
/// `calibration_end+1 ..= holdout_end`. Ages (T) are measured to the end of `calibration_end`'s
/// day, i.e. T = days from the first purchase to `calibration_end`, divided by 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Transactions before this day are an error; `None` accepts any earlier date.
    pub calibration_start: Option<Date>,
    /// Last day of the calibration period (inclusive).
    pub calibration_end: Date,
    /// Last day of the holdout period (inclusive); `None` uses the last date in the log.
    /// Transactions after it are ignored.
    pub holdout_end: Option<Date>,
}

/// What one customer did in the calibration period (and the holdout period, when there is one).
///
/// Purchases are counted as distinct days: several transactions on one day are one purchase
/// whose amount is their sum. Times are in weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// The customer.
    pub customer: CustomerId,
    /// Repeat purchases in calibration: distinct purchase days minus one (x).
    pub frequency: u32,
    /// Weeks from the first to the last calibration purchase (t_x).
    pub recency_weeks: f64,
    /// Weeks from the first purchase to the calibration end (T).
    pub age_weeks: f64,
    /// Mean amount of the repeat purchases (0 when there are none); the Gamma-Gamma input.
    pub mean_repeat_spend: f64,
    /// Mean amount over all calibration purchase days, first one included (for RFM).
    pub mean_spend: f64,
    /// Purchase days in the holdout period.
    pub holdout_frequency: u32,
    /// Amount spent in the holdout period.
    pub holdout_spend: f64,
}

impl CustomerSummary {
    /// Weeks since the last calibration purchase (T − t_x), the RFM recency.
    pub fn weeks_since_last_purchase(&self) -> f64 {
        self.age_weeks - self.recency_weeks
    }
}

/// Per-customer summaries of a log for one split.
#[derive(Debug, Clone, PartialEq)]
pub struct Summaries {
    /// One entry per customer with a calibration purchase, in customer-id order.
    pub customers: Vec<CustomerSummary>,
    /// Length of the holdout period in weeks (0 when the log ends at the calibration end).
    pub holdout_weeks: f64,
    /// Customers whose first purchase lies in the holdout period (not modelled).
    pub holdout_only_customers: usize,
    /// The first and last day present in the log.
    pub first_date: Date,
    /// See `first_date`.
    pub last_date: Date,
}

/// Summarises a log (in any order) for a split.
///
/// Errors (naming the transaction's index in `log`): an empty log, a negative or non-finite
/// amount, a date before `split.calibration_start`, or a holdout end before the calibration end.
pub fn summarize(log: &[Transaction], split: &Split) -> Result<Summaries, CustomerError> {
    if log.is_empty() {
        return Err(CustomerError::EmptyLog);
    }
    for (index, t) in log.iter().enumerate() {
        if !t.amount.is_finite() || t.amount < 0.0 {
            return Err(CustomerError::BadAmount {
                index,
                amount: t.amount,
            });
        }
        if let Some(start) = split.calibration_start {
            if t.date < start {
                return Err(CustomerError::BeforeCalibrationStart {
                    index,
                    date: t.date,
                    start,
                });
            }
        }
    }
    let first_date = log
        .iter()
        .map(|t| t.date)
        .min()
        .unwrap_or(split.calibration_end);
    let last_date = log
        .iter()
        .map(|t| t.date)
        .max()
        .unwrap_or(split.calibration_end);
    let cal_end = split.calibration_end;
    let holdout_end = split.holdout_end.unwrap_or(last_date.max(cal_end));
    if holdout_end < cal_end {
        return Err(CustomerError::HoldoutBeforeCalibration {
            holdout_end,
            calibration_end: cal_end,
        });
    }
    let mut rows: Vec<(u32, i32, f64)> = log
        .iter()
        .filter(|t| t.date <= holdout_end)
        .map(|t| (t.customer.0, t.date.days_since_epoch(), t.amount))
        .collect();
    rows.sort_unstable_by_key(|r| (r.0, r.1));

    let mut customers = Vec::new();
    let mut holdout_only_customers = 0;
    let mut days: Vec<(i32, f64)> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let id = rows[i].0;
        days.clear();
        while i < rows.len() && rows[i].0 == id {
            let (_, day, amount) = rows[i];
            match days.last_mut() {
                Some(last) if last.0 == day => last.1 += amount,
                _ => days.push((day, amount)),
            }
            i += 1;
        }
        match summarize_customer(CustomerId(id), &days, cal_end.days_since_epoch()) {
            Some(s) => customers.push(s),
            None => holdout_only_customers += 1,
        }
    }
    Ok(Summaries {
        customers,
        holdout_weeks: holdout_end.days_since(cal_end) as f64 / 7.0,
        holdout_only_customers,
        first_date,
        last_date,
    })
}

/// One customer's summary from their purchase days (sorted, one entry per day); `None` when
/// the first purchase is after the calibration end.
fn summarize_customer(
    customer: CustomerId,
    days: &[(i32, f64)],
    cal_end: i32,
) -> Option<CustomerSummary> {
    let first = *days.first()?;
    if first.0 > cal_end {
        return None;
    }
    let n_cal = days.partition_point(|d| d.0 <= cal_end);
    let (cal, holdout) = days.split_at(n_cal);
    let last = cal[n_cal - 1];
    let repeat = &cal[1..];
    let mean = |s: &[(i32, f64)]| {
        if s.is_empty() {
            0.0
        } else {
            s.iter().map(|d| d.1).sum::<f64>() / s.len() as f64
        }
    };
    Some(CustomerSummary {
        customer,
        frequency: repeat.len() as u32,
        recency_weeks: f64::from(last.0 - first.0) / 7.0,
        age_weeks: f64::from(cal_end - first.0) / 7.0,
        mean_repeat_spend: mean(repeat),
        mean_spend: mean(cal),
        holdout_frequency: holdout.len() as u32,
        holdout_spend: holdout.iter().map(|d| d.1).sum(),
    })
}
