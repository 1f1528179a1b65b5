//! The long calls a server holds (forecast panel, order plan, customer analysis) stop within
//! 50 ms of their cancellation flag and report monotone progress that ends at the total.
#![allow(clippy::unwrap_used)]
use milkrun_forecast::control::{Control, Progress, Stopped};
use milkrun_forecast::customers::{
    analyze_with, AnalysisOptions, ClvOptions, CustomerError, CustomerId, SegmentOptions, Split,
    Transaction,
};
use milkrun_forecast::demand::{
    forecast_panel, forecast_panel_with, panel::forecast_stream_with, Date, ForecastConfig,
    ForecastError, Frequency, Series,
};
use milkrun_forecast::ordering::{
    plan_orders, plan_orders_with, Costs, Demand, LocationId, MonteCarlo, OrderItem, OrderingError,
    PackRule, ProductId, ReviewParams, SharedLimits,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The requirement: a call answers within this long after its flag is set.
const ANSWER: Duration = Duration::from_millis(50);

/// The tests of this file run one at a time: they share rayon's global pool, where a worker
/// waiting on its own call can pick up another test's unit of work, and the latency measured
/// must be the call's own.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A small seeded generator (xorshift64*), so the inputs are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn panel(n: usize, len: usize) -> Vec<Series> {
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

fn items(n: usize) -> Vec<OrderItem> {
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

fn log(customers: u32) -> (Vec<Transaction>, AnalysisOptions) {
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

/// Runs `call` with a control whose flag another thread sets after `delay`; returns what the
/// call returned and how long after the flag it returned.
fn cancel_after<T>(delay: Duration, call: impl FnOnce(&Control) -> T) -> (T, Duration) {
    let flag = Arc::new(AtomicBool::new(false));
    let set_at = Arc::new(Mutex::new(None));
    let control = Control {
        cancel: Some(Arc::clone(&flag)),
        ..Control::default()
    };
    let setter = {
        let (flag, set_at) = (Arc::clone(&flag), Arc::clone(&set_at));
        thread::spawn(move || {
            thread::sleep(delay);
            *set_at.lock().unwrap() = Some(Instant::now());
            flag.store(true, Ordering::SeqCst);
        })
    };
    let out = call(&control);
    let returned = Instant::now();
    setter.join().unwrap();
    let set = set_at.lock().unwrap().expect("flag set");
    (out, returned.saturating_duration_since(set))
}

/// Records the progress reports of a call.
fn recorder() -> (Control, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let control = Control {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        ..Control::default()
    };
    (control, seen)
}

fn assert_progress(seen: &[Progress], total: usize) {
    assert!(!seen.is_empty(), "no progress reported");
    assert!(seen.iter().all(|p| p.total == total), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    assert_eq!(seen.last().map(|p| p.done), Some(total));
}

/// A forecast panel stops with `Cancelled` within 50 ms of its flag.
#[test]
fn forecast_panel_cancels_within_50ms() {
    let _serial = serial();
    let series = panel(400, 300);
    let cfg = ForecastConfig::new(14, vec![0.1, 0.5, 0.9]);
    let (out, late) = cancel_after(Duration::from_millis(150), |c| {
        forecast_panel_with(&series, &cfg, c)
    });
    assert!(
        matches!(out, Err(ForecastError::Stopped(Stopped::Cancelled))),
        "{:?}",
        out.map(|f| f.len())
    );
    assert!(late <= ANSWER, "answered {late:?} after the flag");
}

/// A streamed panel stops with `Cancelled` within 50 ms of its flag.
#[test]
fn forecast_stream_cancels_within_50ms() {
    let _serial = serial();
    let series = panel(400, 300);
    let cfg = ForecastConfig::new(14, vec![0.1, 0.5, 0.9]);
    let (out, late) = cancel_after(Duration::from_millis(150), |c| {
        let source = |i: usize| Ok(series[i].clone());
        forecast_stream_with(series.len(), 50, &cfg, source, |_, _, _| Ok(()), c)
    });
    assert!(
        matches!(out, Err(ForecastError::Stopped(Stopped::Cancelled))),
        "{out:?}"
    );
    assert!(late <= ANSWER, "answered {late:?} after the flag");
}

/// A time limit stops a panel with `TimeLimit`.
#[test]
fn forecast_panel_honours_its_time_limit() {
    let _serial = serial();
    let series = panel(400, 300);
    let cfg = ForecastConfig::new(14, vec![0.1, 0.5, 0.9]);
    let control = Control {
        time_limit: Some(Duration::from_millis(100)),
        ..Control::default()
    };
    let out = forecast_panel_with(&series, &cfg, &control);
    assert!(
        matches!(out, Err(ForecastError::Stopped(Stopped::TimeLimit))),
        "{:?}",
        out.map(|f| f.len())
    );
}

/// Progress of a panel counts series up to the panel's size, and the controlled run gives the
/// same forecasts as the plain one.
#[test]
fn forecast_panel_reports_progress() {
    let _serial = serial();
    let series = panel(12, 120);
    let cfg = ForecastConfig::new(7, vec![0.1, 0.5, 0.9]);
    let (control, seen) = recorder();
    let with = forecast_panel_with(&series, &cfg, &control).unwrap();
    assert_progress(&seen.lock().unwrap(), series.len());
    assert_eq!(with, forecast_panel(&series, &cfg).unwrap());
}

/// An order plan stops with `Cancelled` within 50 ms of its flag.
#[test]
fn order_plan_cancels_within_50ms() {
    let _serial = serial();
    let items = items(3000);
    let (out, late) = cancel_after(Duration::from_millis(150), |c| {
        plan_orders_with(&items, &SharedLimits::default(), c)
    });
    assert!(
        matches!(out, Err(OrderingError::Stopped(Stopped::Cancelled))),
        "{:?}",
        out.map(|p| p.len())
    );
    assert!(late <= ANSWER, "answered {late:?} after the flag");
}

/// Progress of an order plan counts items; the result equals the plain call's.
#[test]
fn order_plan_reports_progress() {
    let _serial = serial();
    let items = items(20);
    let limits = SharedLimits {
        capacity: Some(150.0),
        budget: None,
    };
    let (control, seen) = recorder();
    let with = plan_orders_with(&items, &limits, &control).unwrap();
    assert_progress(&seen.lock().unwrap(), items.len());
    assert_eq!(with, plan_orders(&items, &limits).unwrap());
}

/// A customer analysis stops with `Cancelled` within 50 ms of its flag.
#[test]
fn customer_analysis_cancels_within_50ms() {
    let _serial = serial();
    let (log, opts) = log(60_000);
    let (out, late) = cancel_after(Duration::from_millis(150), |c| analyze_with(&log, &opts, c));
    assert!(
        matches!(out, Err(CustomerError::Stopped(Stopped::Cancelled))),
        "{:?}",
        out.map(|a| a.mean_clv)
    );
    assert!(late <= ANSWER, "answered {late:?} after the flag");
}

/// Progress of a customer analysis counts its six steps.
#[test]
fn customer_analysis_reports_progress() {
    let _serial = serial();
    let (log, opts) = log(400);
    let (control, seen) = recorder();
    let a = analyze_with(&log, &opts, &control).unwrap();
    assert!(a.mean_clv.is_finite());
    assert_progress(&seen.lock().unwrap(), 6);
}
