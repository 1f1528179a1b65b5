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
