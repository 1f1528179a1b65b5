//! A seeded daily demand history of one milk station (issue #12): several
//! products, a weekly pattern, a mild yearly swing, public holidays and a
//! promotion or two, as integer units sold per day.
//!
//! ## Model
//! The expected demand of product `p` on day `t` is
//! `base_p · weekly[weekday] · (1 + 0.06·cos(2π·(doy − 15)/365)) · trend(t)`,
//! times [`HOLIDAY_FACTOR`] on a holiday and times the promotion's lift on a
//! promoted day. The day's value is a negative-binomial-like draw around it
//! (a gamma-mixed Poisson, over-dispersed like real sales), so values are
//! non-negative integers. Holidays are the fixed-date public holidays of
//! Liechtenstein ([`HOLIDAYS`]). Promotions last two weeks on one product and
//! lie in the first 80% of the history, so the last weeks (the held-out
//! replay) are plain trading.
//!
//! The generator does no I/O and needs no clock: dates are civil
//! `(year, month, day)` triples and day numbers are days since 1970-01-01.
//!
//! ```
//! use milkrun_datasets::history::{generate_history, HistorySpec};
//! let h = generate_history(&HistorySpec::station(7, 1_500)).unwrap();
//! assert_eq!(h.demand.len(), h.products.len());
//! assert!(h.demand.iter().all(|d| d.len() == 730 && d.iter().all(|&v| v >= 0.0)));
//! ```

use crate::error::DatasetError;
use crate::rng::SplitMix64;

/// Demand on a public holiday, relative to a normal day (most households
/// pause their delivery).
pub const HOLIDAY_FACTOR: f64 = 0.55;

/// Fixed-date public holidays of Liechtenstein, `(month, day)`.
pub const HOLIDAYS: [(u32, u32); 10] = [
    (1, 1),
    (1, 6),
    (3, 19),
    (5, 1),
    (8, 15),
    (9, 8),
    (11, 1),
    (12, 8),
    (12, 25),
    (12, 26),
];

/// Weekly pattern, Monday first: fewer deliveries at the weekend.
pub const WEEKLY: [f64; 7] = [1.05, 1.0, 1.0, 1.02, 1.08, 0.85, 0.70];

/// One product of the station.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSpec {
    /// Product name.
    pub name: String,
    /// Mean units a day on a plain Monday-to-Friday.
    pub base: f64,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySpec {
    /// Seed of every draw.
    pub seed: u64,
    /// First day, civil `(year, month, day)`.
    pub start: (i32, u32, u32),
    /// Number of days (at least 28).
    pub days: usize,
    /// The products.
    pub products: Vec<ProductSpec>,
    /// Number of two-week promotions (each on one product).
    pub promotions: usize,
}

impl HistorySpec {
    /// Two years ending 2026-11-24 for a station serving `households`
    /// households: whole milk, semi-skimmed, yoghurt and cream in the shares
    /// of the scenario generator (about 1.7 bottles per household a day), two
    /// promotions.
    pub fn station(seed: u64, households: usize) -> HistorySpec {
        let per_day = households as f64 * 1.65;
        let shares = [0.5, 0.3, 0.12, 0.08];
        HistorySpec {
            seed,
            start: (2024, 11, 25),
            days: 730,
            products: crate::scenario::PRODUCTS
                .iter()
                .zip(shares)
                .map(|(n, s)| ProductSpec {
                    name: (*n).to_string(),
                    base: (per_day * s).max(1.0),
                })
                .collect(),
            promotions: 2,
        }
    }
}

/// A two-week promotion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Promotion {
    /// Product index.
    pub product: usize,
    /// First day (index into the history).
    pub first_day: usize,
    /// Days it lasts.
    pub days: usize,
    /// Demand multiplier while it runs.
    pub lift: f64,
}

/// A generated history.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Product names, in the order of `demand`.
    pub products: Vec<String>,
    /// First day, days since 1970-01-01.
    pub start_day: i64,
    /// Units sold per product per day: `demand[product][day]`.
    pub demand: Vec<Vec<f64>>,
    /// Whether each day is a public holiday.
    pub holiday: Vec<bool>,
    /// The promotions.
    pub promotions: Vec<Promotion>,
}

impl History {
    /// Number of days.
    pub fn days(&self) -> usize {
        self.holiday.len()
    }

    /// Civil date `(year, month, day)` of day `i`.
    pub fn date(&self, i: usize) -> (i32, u32, u32) {
        civil_from_days(self.start_day + i as i64)
    }

    /// Weekday of day `i`, Monday = 0.
    pub fn weekday(&self, i: usize) -> usize {
        weekday(self.start_day + i as i64)
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Weekday of a day number, Monday = 0 (1970-01-01 was a Thursday).
pub fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

fn invalid(field: &str, msg: String) -> DatasetError {
    DatasetError::Invalid {
        file: "history spec".to_string(),
        line: 0,
        field: field.to_string(),
        msg,
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.unit().max(1e-12);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw: inversion for small means, a rounded normal above 60.
fn poisson(rng: &mut SplitMix64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if mean > 60.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0);
    }
    let limit = (-mean).exp();
    let mut k = 0.0;
    let mut p = rng.unit();
    while p > limit {
        k += 1.0;
        p *= rng.unit();
    }
    k
}

/// Generates the history of `spec`.
pub fn generate_history(spec: &HistorySpec) -> Result<History, DatasetError> {
    if spec.days < 28 {
        return Err(invalid(
            "days",
            format!("{} days is too short (at least 28)", spec.days),
        ));
    }
    if spec.products.is_empty() {
        return Err(invalid("products", "no product".to_string()));
    }
    if let Some(p) = spec
        .products
        .iter()
        .find(|p| !(p.base.is_finite() && p.base >= 0.0))
    {
        return Err(invalid(
            "base",
            format!(
                "product {}: base {} is not a non-negative number",
                p.name, p.base
            ),
        ));
    }
    let (y, m, d) = spec.start;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(invalid("start", format!("{y}-{m}-{d} is not a date")));
    }
    let start_day = days_from_civil(y, m, d);
    let mut rng = SplitMix64::new(spec.seed ^ 0x6D69_6C6B_6869_7374);
    let holiday: Vec<bool> = (0..spec.days)
        .map(|i| {
            let (_, m, d) = civil_from_days(start_day + i as i64);
            HOLIDAYS.contains(&(m, d))
        })
        .collect();
    let last_start = (spec.days * 4 / 5).saturating_sub(14).max(1);
    let promotions: Vec<Promotion> = (0..spec.promotions)
        .map(|k| Promotion {
            product: (k + 1) % spec.products.len(),
            first_day: rng.int(0, last_start as i64 - 1) as usize,
            days: 14,
            lift: rng.range(1.3, 1.7),
        })
        .collect();
    let mut demand = Vec::with_capacity(spec.products.len());
    for (p, prod) in spec.products.iter().enumerate() {
        let mut row = Vec::with_capacity(spec.days);
        for (i, &is_holiday) in holiday.iter().enumerate() {
            let day = start_day + i as i64;
            let (yy, _, _) = civil_from_days(day);
            let doy = (day - days_from_civil(yy, 1, 1)) as f64;
            let yearly = 1.0 + 0.06 * (std::f64::consts::TAU * (doy - 15.0) / 365.0).cos();
            let trend = 1.0 + 0.04 * i as f64 / spec.days as f64;
            let mut mean = prod.base * WEEKLY[weekday(day)] * yearly * trend;
            if is_holiday {
                mean *= HOLIDAY_FACTOR;
            }
            for pr in &promotions {
                if pr.product == p && (pr.first_day..pr.first_day + pr.days).contains(&i) {
                    mean *= pr.lift;
                }
            }
            // Gamma-mixed Poisson: a day-level multiplier with sd 8%.
            let mix = (1.0 + 0.08 * normal(&mut rng)).max(0.2);
            row.push(poisson(&mut rng, mean * mix));
        }
        demand.push(row);
    }
    Ok(History {
        products: spec.products.iter().map(|p| p.name.clone()).collect(),
        start_day,
        demand,
        holiday,
        promotions,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Day numbers round-trip and known weekdays hold.
    #[test]
    fn calendar_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        // 2026-11-25 is a Wednesday.
        assert_eq!(weekday(days_from_civil(2026, 11, 25)), 2);
    }

    /// The same seed gives the same history; holidays are lower on average.
    #[test]
    fn seeded_and_holidays_lower() {
        let spec = HistorySpec::station(3, 1_000);
        let a = generate_history(&spec).unwrap();
        assert_eq!(a, generate_history(&spec).unwrap());
        let milk = &a.demand[0];
        let (mut h, mut nh) = (Vec::new(), Vec::new());
        for (i, &v) in milk.iter().enumerate() {
            if a.weekday(i) < 5 {
                if a.holiday[i] {
                    h.push(v)
                } else {
                    nh.push(v)
                }
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(!h.is_empty());
        assert!(mean(&h) < 0.75 * mean(&nh));
        assert_eq!(a.date(729), (2026, 11, 24));
    }

    /// Too short a history is an error naming the field.
    #[test]
    fn too_short_is_an_error() {
        let mut spec = HistorySpec::station(1, 100);
        spec.days = 10;
        let e = generate_history(&spec).unwrap_err().to_string();
        assert!(e.contains("days"), "{e}");
    }
}
