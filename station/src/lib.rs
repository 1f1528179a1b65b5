//! A station's day over real roads: the glue between the road engine
//! ([`milkrun_engine`]), the live day ([`milkrun_dispatch`]), the routing solver
//! ([`milkrun_vrp`]) and the shipped data ([`milkrun_datasets`]).
//!
//! The library crates below it know nothing of each other: the road engine knows roads and
//! travel times, the dispatch crate knows a morning of stops and couriers on a matrix, the
//! solver knows jobs and vehicles. This crate converts between them, so the command line,
//! the benchmarks and the service call one function instead of each wiring the pieces anew:
//!
//! - [`instance`]: a benchmark [`milkrun_datasets::Instance`] as a solver problem;
//! - [`road`]: the day's locations on the road graph, their matrix (with time-of-day slots),
//!   a new address, traffic events turned into re-planning events;
//! - [`demo`]: the scripted morning of `milkrun morning` (which household cancels, which
//!   courier breaks down, which roads jam), seeded;
//! - [`night`]: the dairy layer's engine in process ([`night::LocalEngine`]): a station's
//!   morning planned from scratch or stable against yesterday's plan, and its live day;
//! - [`forecast`]: the dairy layer's demand forecasts in process (the forecast crate's model
//!   choice, configured as the Forecast service configures it);
//! - [`live`]: the live day on the roads, shared by the service's Dispatch API and the
//!   in-process engine (re-plan options, opening a day from a plan, a jam in an area, the
//!   in-process engine's open days);
//! - [`scenario`]: a delivery scenario (the text format of `milkrun_datasets::scenario`)
//!   snapped to the roads as a [`milkrun_dispatch::Dispatch`].
//!
//! Architecture invariant: no algorithm lives here beyond conversion; reading an OSM file is
//! the only I/O ([`road::road_engine`]), and it goes through the engine's importer.

pub mod demo;
pub mod forecast;
pub mod instance;
pub mod live;
pub mod night;
pub mod road;
pub mod scenario;

/// Errors of the glue: each wraps the library error that caused it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StationError {
    /// Importing or querying the road network failed.
    #[error("roads: {0}")]
    Road(#[from] milkrun_engine::EngineError),
    /// The live day refused its input.
    #[error("dispatch: {0}")]
    Dispatch(#[from] milkrun_dispatch::ReplanError),
    /// The dairy layer's request or answer broke a rule.
    #[error("request: {0}")]
    Dairy(#[from] milkrun_dairy::DairyError),
    /// The solver refused the problem.
    #[error("problem: {0}")]
    Problem(#[from] milkrun_vrp::ProblemError),
    /// An event was converted for no day at all.
    #[error("no day to convert the event for")]
    NoDay,
    /// Days replayed side by side hold different locations.
    #[error("the days replayed side by side hold different locations ({first} and {other})")]
    DaysDiffer {
        /// Location of the new address in the first day.
        first: u32,
        /// Location in another day.
        other: u32,
    },
    /// An input is larger than the documented maximum (checked before allocating).
    #[error("{field}: {size} is more than the maximum {max}")]
    TooLarge {
        /// The field, e.g. `instance.nodes`.
        field: &'static str,
        /// The size given.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// Importing an OSM file failed.
    #[error("importing {path}: {source}")]
    Import {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: milkrun_engine::EngineError,
    },
}
