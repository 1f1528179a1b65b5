//! Seeded synthetic instances.
//!
//! [`dense_city`] builds the long-route test of issue #3: households in
//! apartment buildings along a street grid, delivered by e-trike couriers
//! in early-morning windows. The same seed gives the same instance on
//! every platform (own SplitMix64 generator, no floating-point
//! nondeterminism).

use crate::instance::{DistanceConvention, Format, Instance, Node};
use crate::rng::SplitMix64;

/// Street-grid block side, in seconds of e-trike travel (≈ 100 m at 4 m/s).
pub const BLOCK_S: f64 = 25.0;
/// 04:15, when couriers may leave the depot (seconds since midnight).
pub const DEPOT_OPEN_S: f64 = 4.0 * 3600.0 + 15.0 * 60.0;
/// 09:00, when every courier must be back.
pub const DEPOT_CLOSE_S: f64 = 9.0 * 3600.0;
/// The usual household window: 05:00-07:30.
pub const MAIN_WINDOW_S: (f64, f64) = (5.0 * 3600.0, 7.5 * 3600.0);
/// The wider window of flexible households: 04:30-08:30.
pub const WIDE_WINDOW_S: (f64, f64) = (4.5 * 3600.0, 8.5 * 3600.0);
/// Share of households with the usual 05:00-07:30 window.
pub const MAIN_WINDOW_SHARE: f64 = 0.8;

/// A dense city: `stops` households (nodes 1..=stops) in apartment
/// buildings, one depot (node 0), a fleet of `couriers` e-trikes.
///
/// * **Units.** Coordinates are already in *seconds of e-trike travel*
///   (about 4 m/s), so distance = travel time, convention
///   [`DistanceConvention::Exact`]; times are seconds since midnight.
///   (An [`Instance`] has no speed field, hence no metres.)
/// * **Layout.** Buildings stand along the streets of a square grid of
///   [`BLOCK_S`] blocks, sized to about three buildings per block; each
///   building holds 2-8 households, a few seconds apart (stairs, floors).
///   The depot sits two blocks west of the grid's middle.
/// * **Windows.** [`MAIN_WINDOW_SHARE`] of the households take
///   [`MAIN_WINDOW_S`] (05:00-07:30), the rest [`WIDE_WINDOW_S`]; the depot
///   is open [`DEPOT_OPEN_S`]..[`DEPOT_CLOSE_S`] (04:15-09:00).
/// * **Service** 20-60 s (mostly 20-30 s: bottle at the door), **demand**
///   1-3 bottles, **capacity** 10% above the even share of the total demand,
///   so `couriers` vehicles suffice on load; `vehicles = Some(couriers)`.
///
/// With 3,000 stops and 12 couriers that is about 250 stops a route.
/// `couriers` of 0 is treated as 1.
///
/// [`Format::Solomon`] is used as the format tag: the instance follows
/// Solomon semantics (windows on service start, waiting allowed, horizon).
pub fn dense_city(seed: u64, stops: usize, couriers: usize) -> Instance {
    let couriers = couriers.max(1);
    let mut rng = SplitMix64::new(seed);

    // Buildings and their household counts.
    let mut sizes = Vec::new();
    let mut placed = 0;
    while placed < stops {
        let size = (rng.int(2, 8) as usize).min(stops - placed);
        sizes.push(size);
        placed += size;
    }
    let blocks = (sizes.len() as f64 / 3.0).sqrt().ceil().max(1.0);
    let side = blocks * BLOCK_S;

    let depot = Node {
        file_id: 0,
        x: -2.0 * BLOCK_S,
        y: side / 2.0,
        demand: 0,
        ready: DEPOT_OPEN_S,
        due: DEPOT_CLOSE_S,
        service: 0.0,
        pickup: None,
        delivery: None,
    };
    let mut nodes = Vec::with_capacity(stops + 1);
    nodes.push(depot);
    let mut total_demand = 0;
    for size in sizes {
        // A building on a random street: a horizontal or vertical grid line,
        // anywhere along it, set back 2-4 s on either side.
        let line = rng.int(0, blocks as i64) as f64 * BLOCK_S;
        let along = rng.range(0.0, side);
        let setback = rng.range(2.0, 4.0) * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        let (bx, by) = if rng.unit() < 0.5 {
            (along, line + setback)
        } else {
            (line + setback, along)
        };
        for _ in 0..size {
            let (ready, due) = if rng.unit() < MAIN_WINDOW_SHARE {
                MAIN_WINDOW_S
            } else {
                WIDE_WINDOW_S
            };
            let service = if rng.unit() < 0.7 {
                rng.int(20, 30)
            } else {
                rng.int(30, 60)
            } as f64;
            let demand = rng.int(1, 3);
            total_demand += demand;
            nodes.push(Node {
                file_id: nodes.len() as i64,
                x: bx + rng.range(-1.5, 1.5),
                y: by + rng.range(-1.5, 1.5),
                demand,
                ready,
                due,
                service,
                pickup: None,
                delivery: None,
            });
        }
    }
    let share = (total_demand as f64 / couriers as f64).ceil();
    Instance {
        name: format!("dense-city-s{seed}-n{stops}-k{couriers}"),
        format: Format::Solomon,
        convention: DistanceConvention::Exact,
        vehicles: Some(couriers),
        capacity: (share * 1.1).ceil() as i64,
        nodes,
        matrix: None,
        has_time_windows: true,
    }
}
