//! The read-only view of a delivery day that the re-planning operators (repair, ejection,
//! exchanges, local search, ruin and recreate, the from-scratch re-solve) work on. The
//! owner, [`crate::Dispatch`], lends it out; operators change only the route caches they
//! are handed, never the day itself.

use crate::model::{CourierSpec, StopSpec, TravelTimes, Weights};
use crate::route::CourierRoute;

/// Borrowed slices of the day: what an operator may read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayView<'a> {
    /// Travel times (with their time-of-day slots).
    pub times: &'a TravelTimes,
    /// Depot location.
    pub depot: u32,
    /// Every stop (the index is the stop id).
    pub stops: &'a [StopSpec],
    /// The couriers.
    pub couriers: &'a [CourierSpec],
    /// Every courier's route as it stood before the re-plan.
    pub routes: &'a [CourierRoute],
    /// Courier of every stop before the re-plan (move cost).
    pub courier_of: &'a [Option<usize>],
    /// First promise of every stop (promise-shift cost).
    pub promise: &'a [Option<i64>],
    /// Nearest stops of every stop.
    pub neighbours: &'a [Vec<u32>],
    /// Weights of the objective.
    pub weights: Weights,
    /// The day's clock.
    pub clock_s: i64,
}
