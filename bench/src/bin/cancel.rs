//! `cancel`: how soon the long calls a server holds return after their cancel flag is set
//! (the target is 50 ms; the tests `dispatch/tests/serve.rs` and `forecast/tests/control.rs`
//! check only that a cancelled call stops and says so, since timings belong in benchmarks).
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin cancel -- [--runs 7] [--cols 60]
//! ```
//! A grid morning of `--cols` x 50 stops (the test's fixture, 3,000 stops at 60 columns),
//! with a 10-minute budget: background improvement of a planned day, cancelled after 300 ms,
//! and the nightly plan (VRP solver, then polish) from scratch, cancelled after 1,500 ms.
//! Then the forecast crate's calls on the control test's inputs, cancelled after 150 ms: a
//! panel of 400 daily series, the same streamed, an order plan of 3,000 items and the
//! analysis of 60,000 customers. Prints, per call, the time from the flag to the call's
//! return: minimum, median, maximum over `--runs` runs.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use milkrun_dispatch::{Dispatch, ImproveOptions, ReplanOptions, ReplanReport};
use milkrun_forecast::control::{Control, Stopped};
use milkrun_forecast::customers::{analyze_with, CustomerError};
use milkrun_forecast::demand::{
    forecast_panel_with, panel::forecast_stream_with, ForecastConfig, ForecastError,
};
use milkrun_forecast::ordering::{plan_orders_with, OrderingError, SharedLimits};

#[path = "../../../dispatch/tests/common/mod.rs"]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

#[path = "../../../forecast/tests/common/mod.rs"]
mod forecast_inputs;

/// Cancellation latency benchmark.
#[derive(Parser, Debug)]
struct Args {
    /// Runs per phase.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Columns of 50 stops each (60 gives 3,000 stops).
    #[arg(long, default_value_t = 60)]
    cols: usize,
}

/// Runs `call` while another thread sets the cancel flag after `after`; returns the report
/// and how long the call took to return after the flag was set.
fn cancel_after(
    after: Duration,
    call: impl FnOnce(Arc<AtomicBool>) -> anyhow::Result<ReplanReport>,
) -> anyhow::Result<(ReplanReport, Duration)> {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            let at = Instant::now();
            flag.store(true, Ordering::Relaxed);
            at
        })
    };
    let report = call(flag)?;
    let returned = Instant::now();
    let set_at = setter
        .join()
        .map_err(|_| anyhow::anyhow!("the flag thread panicked"))?;
    Ok((report, returned.saturating_duration_since(set_at)))
}

/// Runs a forecast-crate `call` with a control whose flag another thread sets after 150 ms;
/// checks it stopped with `Cancelled` (`cancelled` reads that off its result) and returns how
/// long after the flag it returned.
fn forecast_cancel<T>(
    call: impl FnOnce(&Control) -> T,
    cancelled: impl FnOnce(&T) -> bool,
    name: &str,
) -> anyhow::Result<Duration> {
    let flag = Arc::new(AtomicBool::new(false));
    let control = Control {
        cancel: Some(Arc::clone(&flag)),
        ..Control::default()
    };
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        let at = Instant::now();
        flag.store(true, Ordering::SeqCst);
        at
    });
    let out = call(&control);
    let returned = Instant::now();
    let set_at = setter
        .join()
        .map_err(|_| anyhow::anyhow!("the flag thread panicked"))?;
    anyhow::ensure!(cancelled(&out), "{name} did not stop with Cancelled");
    Ok(returned.saturating_duration_since(set_at))
}

fn summary(name: &str, mut late: Vec<Duration>) {
    late.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    if let (Some(min), Some(med), Some(max)) = (late.first(), late.get(late.len() / 2), late.last())
    {
        println!(
            "{name}: runs {}, flag to return min {:.1} ms, median {:.1} ms, max {:.1} ms",
            late.len(),
            ms(*min),
            ms(*med),
            ms(*max)
        );
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    anyhow::ensure!(
        (2..=200).contains(&args.cols),
        "--cols must be within 2..=200"
    );
    let budget = Duration::from_secs(600);
    let mut improve = Vec::with_capacity(args.runs);
    let mut plan = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let mut day: Dispatch = common::big_day(args.cols, true);
        let (report, late) = cancel_after(Duration::from_millis(300), |flag| {
            Ok(day.improve(&ImproveOptions {
                budget,
                cancel: Some(flag),
                ..Default::default()
            }))
        })?;
        anyhow::ensure!(report.cancelled, "improve did not report the cancel");
        anyhow::ensure!(
            milkrun_dispatch::verify(&day, None).is_empty(),
            "improve left an infeasible plan"
        );
        improve.push(late);

        let mut day: Dispatch = common::big_day(args.cols, false);
        let (report, late) = cancel_after(Duration::from_millis(1_500), |flag| {
            Ok(day.plan_with_solver(&ReplanOptions {
                budget,
                cancel: Some(flag),
                ..Default::default()
            })?)
        })?;
        anyhow::ensure!(
            report.cancelled,
            "the nightly plan did not report the cancel"
        );
        plan.push(late);
    }
    summary("improve (planned day, cancelled at 300 ms)", improve);
    summary("plan_with_solver (cancelled at 1,500 ms)", plan);

    let series = forecast_inputs::panel(400, 300);
    let cfg = ForecastConfig::new(14, vec![0.1, 0.5, 0.9]);
    let items = forecast_inputs::items(3000);
    let (log, opts) = forecast_inputs::log(60_000);
    let stopped = Stopped::Cancelled;
    let (mut panel, mut stream, mut order, mut customers) = (vec![], vec![], vec![], vec![]);
    for _ in 0..args.runs {
        panel.push(forecast_cancel(
            |c| forecast_panel_with(&series, &cfg, c),
            |o| matches!(o, Err(ForecastError::Stopped(s)) if *s == stopped),
            "the forecast panel",
        )?);
        stream.push(forecast_cancel(
            |c| {
                let source = |i: usize| {
                    series.get(i).cloned().ok_or_else(|| ForecastError::Config {
                        field: "series index",
                        reason: format!("no series {i}"),
                    })
                };
                forecast_stream_with(series.len(), 50, &cfg, source, |_, _, _| Ok(()), c)
            },
            |o| matches!(o, Err(ForecastError::Stopped(s)) if *s == stopped),
            "the streamed panel",
        )?);
        order.push(forecast_cancel(
            |c| plan_orders_with(&items, &SharedLimits::default(), c),
            |o| matches!(o, Err(OrderingError::Stopped(s)) if *s == stopped),
            "the order plan",
        )?);
        customers.push(forecast_cancel(
            |c| analyze_with(&log, &opts, c),
            |o| matches!(o, Err(CustomerError::Stopped(s)) if *s == stopped),
            "the customer analysis",
        )?);
    }
    summary("forecast panel, 400 x 300 days", panel);
    summary("forecast stream, 400 x 300 days", stream);
    summary("order plan, 3,000 items", order);
    summary("customer analysis, 60,000 customers", customers);
    Ok(())
}
