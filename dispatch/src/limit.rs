//! When a long call stops: a wall-clock deadline and a cancellation flag, checked by every
//! loop of the re-planning operators (each step is short, so a cancel is answered within
//! milliseconds).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A deadline with an optional cancellation flag.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    at: Instant,
    cancel: Option<Arc<AtomicBool>>,
}

impl Deadline {
    /// Stops at `at`, or as soon as `cancel` is set.
    pub fn new(at: Instant, cancel: Option<&Arc<AtomicBool>>) -> Deadline {
        Deadline {
            at,
            cancel: cancel.cloned(),
        }
    }

    /// True when the flag is set.
    pub fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// True when the deadline has passed or the call was cancelled.
    pub fn passed(&self) -> bool {
        self.cancelled() || Instant::now() >= self.at
    }

    /// The same flag with another (earlier or later) instant.
    pub fn until(&self, at: Instant) -> Deadline {
        Deadline {
            at,
            cancel: self.cancel.clone(),
        }
    }

    /// Time left (zero once passed).
    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The flag, for the VRP solver.
    pub fn flag(&self) -> Option<Arc<AtomicBool>> {
        self.cancel.clone()
    }
}
