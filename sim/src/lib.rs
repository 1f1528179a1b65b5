//! # milkrun-sim
//!
//! The simulated milk company of `milkrun demo` (issue #21, the README's main job): a seeded
//! company (catalogue, stations, couriers, households near the roads, subscriptions and the
//! customers' behaviour) is driven day after day through the real loop of
//! [`milkrun_dairy`] and its real store (SQLite by default): calendar changes before and
//! after the cut-off, the night's freeze and plan, the morning's deliveries and incidents,
//! close of day, settlement, stock and tomorrow's station orders. The same simulated week
//! is also run by baselines (a courier's habit with no re-plan, ordering what sold last
//! week, manual make-ups the next day), and both are summarised in a [`report::WeekReport`].
//!
//! Presentation (HTML, charts, maps, progress bars) is not here: the service's `demo`
//! command renders a [`report::WeekReport`].
#![warn(missing_docs)]

pub mod report;

use std::path::PathBuf;

use milkrun_calendar::Date;

/// Most subscriptions a simulated company may have.
pub const MAX_SUBSCRIPTIONS: u32 = 20_000;
/// Most days one run may simulate.
pub const MAX_DAYS: u32 = 60;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekConfig {
    /// Days to simulate (1..=[`MAX_DAYS`]).
    pub days: u32,
    /// Seed of everything random: the same seed gives the same report, timings aside.
    pub seed: u64,
    /// Subscriptions at the start (1..=[`MAX_SUBSCRIPTIONS`]; about 3,000 by default).
    pub subscriptions: u32,
    /// The store's URL (`sqlite:DIR/milkrun.db` by default; `postgres://…` works the same).
    /// The run starts from an empty store and refuses one that already holds a company.
    pub db_url: String,
    /// The OSM extract of the roads (the shipped Liechtenstein extract by default).
    pub osm: PathBuf,
    /// The first simulated delivery day.
    pub first_date: Date,
}

/// Where a run is, for a progress bar. Presentation is the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Building the company (`what`: roads, households, subscriptions, …).
    Setup {
        /// The step.
        what: &'static str,
    },
    /// A phase of a day.
    Day {
        /// 0-based day index.
        index: u32,
        /// Days in the run.
        of: u32,
        /// `night`, `morning`, `close`, `baseline`.
        phase: &'static str,
    },
}

/// Why a simulated run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A configuration value is out of range, naming the field.
    #[error("{field}: {reason}")]
    Config {
        /// The field, e.g. `days`.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The week loop is not built in this version.
    #[error("the simulated week is not built yet")]
    NotBuilt,
}

/// Runs the simulated company for `config.days` days through the real day loop and store,
/// calling `progress` as it goes, and returns the report.
pub fn run_week(
    config: &WeekConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<report::WeekReport, SimError> {
    let _ = (config, progress);
    Err(SimError::NotBuilt)
}
