//! The long calls a server holds (forecast panel, order plan, customer analysis) stop with
//! `Cancelled` once their cancellation flag is set and report monotone progress that ends at
//! the total. How soon they stop is measured by the `cancel` benchmark
//! (`cargo run --release -p milkrun-bench --bin cancel`), not asserted here.
#![allow(clippy::unwrap_used)]
use milkrun_forecast::control::{Control, Progress, Stopped};
use milkrun_forecast::customers::{analyze_with, CustomerError};
use milkrun_forecast::demand::{
    forecast_panel, forecast_panel_with, panel::forecast_stream_with, ForecastConfig, ForecastError,
};
use milkrun_forecast::ordering::{plan_orders, plan_orders_with, OrderingError, SharedLimits};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{items, log, panel};

/// A guard against a hang, not a timing: the `Cancelled` result is what shows that a call
/// stopped on its flag.
const HANG: Duration = Duration::from_secs(60);

/// The tests of this file run one at a time: they share rayon's global pool, where a worker
/// waiting on its own call can pick up another test's unit of work.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
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

/// A forecast panel stops with `Cancelled` once its flag is set.
#[test]
fn forecast_panel_cancels() {
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
    assert!(late <= HANG, "answered {late:?} after the flag");
}

/// A streamed panel stops with `Cancelled` once its flag is set.
#[test]
fn forecast_stream_cancels() {
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
    assert!(late <= HANG, "answered {late:?} after the flag");
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

/// An order plan stops with `Cancelled` once its flag is set.
#[test]
fn order_plan_cancels() {
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
    assert!(late <= HANG, "answered {late:?} after the flag");
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

/// A customer analysis stops with `Cancelled` once its flag is set.
#[test]
fn customer_analysis_cancels() {
    let _serial = serial();
    let (log, opts) = log(60_000);
    let (out, late) = cancel_after(Duration::from_millis(150), |c| analyze_with(&log, &opts, c));
    assert!(
        matches!(out, Err(CustomerError::Stopped(Stopped::Cancelled))),
        "{:?}",
        out.map(|a| a.mean_clv)
    );
    assert!(late <= HANG, "answered {late:?} after the flag");
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
