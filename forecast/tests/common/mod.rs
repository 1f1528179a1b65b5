//! Inputs shared by the control tests and the `cancel` benchmark
//! (`bench/src/bin/cancel.rs` includes this file): a seeded forecast panel, order items and
//! a customer transaction log, the same on every run.
#![allow(dead_code, clippy::unwrap_used)]
use milkrun_forecast::customers::{
    AnalysisOptions, ClvOptions, CustomerId, SegmentOptions, Split, Transaction,
};
use milkrun_forecast::demand::{Date, Frequency, Series};
use milkrun_forecast::ordering::{
    Costs, Demand, LocationId, MonteCarlo, OrderItem, PackRule, ProductId, ReviewParams,
};

/// A small seeded generator (xorshift64*), so the inputs are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn panel(n: usize, len: usize) -> Vec<Series> {
    let mut rng = Rng(42);
    let start = Date::from_ymd(2023, 1, 2).unwrap();
    (0..n)
        .map(|i| {
            let level = 20.0 + 5.0 * (i % 7) as f64;
            let y = (0..len)
                .map(|t| {
                    (level * (1.0 + 0.3 * ((t % 7) as f64 - 3.0) / 3.0) + 6.0 * rng.next()).round()
                })
                .collect();
            Series::new(format!("s{i}"), start, Frequency::Daily, y).unwrap()
        })
        .collect()
}

pub fn items(n: usize) -> Vec<OrderItem> {
    let levels = [0.1, 0.5, 0.9];
    (0..n)
        .map(|i| {
            let m = 10.0 + (i % 13) as f64;
            let daily = (0..14)
                .map(|d| {
                    let v = m + (d % 3) as f64;
                    Demand::quantiles(&levels, &[0.6 * v, v, 1.5 * v]).unwrap()
                })
                .collect();
            OrderItem {
                product: ProductId(i as u32),
                location: LocationId(0),
                daily,
                on_hand: Vec::new(),
                on_order: Vec::new(),
                params: ReviewParams {
                    lead_time_days: 1,
                    review_days: 1,
                    shelf_life_days: 5,
                    costs: Costs::new(1.0, 3.0).unwrap(),
                    pack: PackRule::new(1.0, 0.0).unwrap(),
                    monte_carlo: MonteCarlo {
                        seed: i as u64,
                        ..MonteCarlo::default()
                    },
                },
                unit_cost: 1.0,
                volume: 1.0,
            }
        })
        .collect()
}

pub fn log(customers: u32) -> (Vec<Transaction>, AnalysisOptions) {
    let mut rng = Rng(7);
    let day0 = Date::from_ymd(2024, 1, 1).unwrap();
    let mut log = Vec::new();
    for c in 0..customers {
        let first = (rng.next() * 200.0) as i64;
        let rate = 0.02 + 0.1 * rng.next();
        let mut d = first;
        while d < 365 {
            log.push(Transaction {
                customer: CustomerId(c),
                date: day0.checked_add_days(d).unwrap(),
                amount: (10.0 + 40.0 * rng.next()).round(),
            });
            d += 1 + (-(1.0 - rng.next()).ln() / rate) as i64;
        }
    }
    let opts = AnalysisOptions {
        split: Split {
            calibration_start: None,
            calibration_end: day0.checked_add_days(272).unwrap(),
            holdout_end: None,
        },
        clv: ClvOptions::default(),
        segments: SegmentOptions {
            segments: 4,
            seed: 1,
            restarts: 3,
            max_iterations: 100,
        },
    };
    (log, opts)
}
