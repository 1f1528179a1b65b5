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
//!
//! Modules: [`company`] generates the company ([`group`] a dairy group of many small stations
//! for the nightly batch across machines), [`behaviour`] the customers' calendar
//! requests and the doors of each morning, [`morning`] rides one station's morning with the
//! live re-planner, [`baseline`] rides it by habit and keeps the habit's stock; the loop
//! itself (`week.rs`) drives the store. The jam falls on day [`JAM_DAY`] and the breakdown
//! on day [`BREAKDOWN_DAY`] (0-based), both at the first station, so a three-day run has
//! both. Run `cargo run --release -p milkrun-sim --example week` for the default week.
#![warn(missing_docs)]

pub mod baseline;
pub mod behaviour;
pub mod company;
pub mod group;
pub mod morning;
pub mod report;
mod week;

pub use week::{BREAKDOWN_DAY, JAM_DAY};

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
    /// Households live in the extract's residential buildings where a drawn road point has
    /// one near ([`company::generate_in_buildings`]); `false` (the default): 5–60 m off the
    /// road.
    pub osm_buildings: bool,
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
        /// In order: `night` (calendar changes and freeze), `plan` (the stations' night
        /// plans), then per station `stock` (lots received, transfers, loading), `morning`,
        /// `outcomes`, `baseline`; then `close` (close, settlement, waste), `order`
        /// (tomorrow's station orders), `care` (complaints, renewals).
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
    /// The week loop is not built in this version (kept for callers that match on it; no
    /// longer returned).
    #[error("the simulated week is not built yet")]
    NotBuilt,
    /// The roads could not be loaded, snapped or measured.
    #[error("roads: {0}")]
    Roads(String),
    /// The store refused a call or failed.
    #[error("store: {0}")]
    Store(String),
    /// The night's plan failed.
    #[error("night plan: {0}")]
    Plan(String),
    /// The simulated morning failed (a re-plan refused an event, or the store's remedy and
    /// the morning disagree).
    #[error("morning: {0}")]
    Morning(String),
}

impl WeekConfig {
    /// Checks every field, naming the first bad one.
    pub fn check(&self) -> Result<(), SimError> {
        if !(1..=MAX_DAYS).contains(&self.days) {
            return Err(SimError::Config {
                field: "days",
                reason: format!("must be 1 to {MAX_DAYS}, got {}", self.days),
            });
        }
        if !(1..=MAX_SUBSCRIPTIONS).contains(&self.subscriptions) {
            return Err(SimError::Config {
                field: "subscriptions",
                reason: format!(
                    "must be 1 to {MAX_SUBSCRIPTIONS}, got {}",
                    self.subscriptions
                ),
            });
        }
        if self.db_url.trim().is_empty() {
            return Err(SimError::Config {
                field: "db_url",
                reason: "is empty".into(),
            });
        }
        if !self.first_date.is_valid()
            || self
                .first_date
                .checked_add_days(i64::from(self.days) + 400)
                .is_none()
            || self.first_date.checked_add_days(-400).is_none()
        {
            return Err(SimError::Config {
                field: "first_date",
                reason: "outside the calendar".into(),
            });
        }
        if !self.osm.is_file() {
            return Err(SimError::Config {
                field: "osm",
                reason: format!("{} is not a file", self.osm.display()),
            });
        }
        Ok(())
    }
}

/// Runs the simulated company for `config.days` days through the real day loop and store,
/// calling `progress` as it goes, and returns the report.
pub fn run_week(
    config: &WeekConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<report::WeekReport, SimError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SimError::Store(format!("no runtime: {e}")))?;
    rt.block_on(week::run(
        config,
        milkrun_station::night::LocalEngine::new,
        progress,
    ))
}

/// Runs the simulated company like [`run_week`], inside the caller's runtime, with the engine
/// `make_engine` gives on the week's roads: in process
/// (`milkrun_station::night::LocalEngine::new`) or a remote one (the service's gRPC engine
/// on a server with the same roads): the night's plans, the morning's live days and the
/// forecasts of the station orders go through it.
pub async fn run_week_on<E: milkrun_dairy::engine::Engine>(
    config: &WeekConfig,
    make_engine: impl FnOnce(std::sync::Arc<milkrun_engine::RoadEngine>) -> E,
    progress: &mut dyn FnMut(Progress),
) -> Result<report::WeekReport, SimError> {
    config.check()?;
    week::run(config, make_engine, progress).await
}
