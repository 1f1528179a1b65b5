//! Control of the long-running calls a server holds: a time limit, a cancellation flag and a
//! progress callback, in one plain struct (as `SolverOptions` in `milkrun-vrp`).
//!
//! The `_with` entry points ([`crate::demand::forecast_panel_with`],
//! [`crate::demand::panel::forecast_stream_with`], [`crate::ordering::plan_orders_with`],
//! [`crate::ordering::plan_with`], [`crate::customers::analyze_with`]) take a [`Control`]; the
//! plain entry points run with [`Control::default`] (no limit, no flag, no callback). A call that
//! stops returns [`Stopped::Cancelled`] or [`Stopped::TimeLimit`] inside the module's error, never
//! a partial result.
//!
//! The flag and the clock are checked between units of work: one model fit of one series (and
//! its backtest windows one by one), one item of an order plan, one optimiser iteration or one
//! block of customers. A call answers within the longest such unit after the flag is set, a few
//! milliseconds on ordinary inputs. Single units that cannot be cut: a panel's global
//! regression and pooled fits (once per backtest window), the LP solve of a constrained order
//! plan, the customer summaries and the k-means run.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Work done so far: `done` of `total` units (series, items or steps, as each entry point
/// documents). Reported with `done` non-decreasing, the last report having `done == total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Units finished.
    pub done: usize,
    /// Units in the whole call.
    pub total: usize,
}

/// A progress callback, shareable across threads.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Limits and observers of one long-running call.
#[derive(Clone, Default)]
pub struct Control {
    /// Wall-clock budget of the call; `None`: no limit.
    pub time_limit: Option<Duration>,
    /// Set to `true` (by any thread) to stop the call; `None`: not cancellable.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called after each unit of work, from the worker threads, one call at a time.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("time_limit", &self.time_limit)
            .field(
                "cancel",
                &self.cancel.as_ref().map(|c| c.load(Ordering::Relaxed)),
            )
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Why a call stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Stopped {
    /// The cancellation flag was set.
    #[error("cancelled")]
    Cancelled,
    /// The time limit passed.
    #[error("time limit reached")]
    TimeLimit,
}

/// A running call's view of its [`Control`]: the start time and the progress counter.
pub(crate) struct Watch<'a> {
    control: &'a Control,
    start: Instant,
    total: usize,
    done: Mutex<usize>,
}

impl<'a> Watch<'a> {
    /// Starts the clock of a call of `total` units.
    pub(crate) fn start(control: &'a Control, total: usize) -> Watch<'a> {
        Watch {
            control,
            start: Instant::now(),
            total,
            done: Mutex::new(0),
        }
    }

    /// `Err` when the call must stop: cancelled first, then out of time.
    pub(crate) fn check(&self) -> Result<(), Stopped> {
        if self
            .control
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Stopped::Cancelled);
        }
        if self
            .control
            .time_limit
            .is_some_and(|t| self.start.elapsed() >= t)
        {
            return Err(Stopped::TimeLimit);
        }
        Ok(())
    }

    /// Time since the call started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Whether the call must stop (for loops that cannot carry a `Result`).
    pub(crate) fn stopped(&self) -> bool {
        self.check().is_err()
    }

    /// Counts `units` more units done and reports the progress.
    pub(crate) fn advance(&self, units: usize) {
        let Some(cb) = &self.control.progress else {
            return;
        };
        // The lock keeps the reports in order across threads; a poisoned counter (a callback
        // that panicked) still counts.
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        *done = done.saturating_add(units).min(self.total);
        cb(Progress {
            done: *done,
            total: self.total,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set flag wins over the clock; no limits never stop; progress is capped at the total.
    #[test]
    fn watch_checks_flag_clock_and_counts() {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let control = Control {
            time_limit: Some(Duration::ZERO),
            cancel: Some(Arc::clone(&flag)),
            progress: Some(Arc::new(move |p: Progress| {
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(p.done);
            })),
        };
        let w = Watch::start(&control, 3);
        assert_eq!(w.check(), Err(Stopped::TimeLimit));
        flag.store(true, Ordering::Relaxed);
        assert_eq!(w.check(), Err(Stopped::Cancelled));
        let none = Control::default();
        assert!(Watch::start(&none, 1).check().is_ok());
        w.advance(2);
        w.advance(2);
        assert_eq!(*seen.lock().unwrap_or_else(|e| e.into_inner()), vec![2, 3]);
    }
}
