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

/// The customer layout of a [`homberger_like`] instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HombergerClass {
    /// C2: every customer in a cluster; service 90, demand 10-40 in steps
    /// of 10, capacity 1000, depot open 0..[`C2_HORIZON`].
    C2,
    /// RC2: half the customers in clusters, half uniform; service 10,
    /// demand 1-35, capacity 1000, depot open 0..[`RC2_HORIZON`].
    Rc2,
}

/// Side of the square a 1,000-customer Homberger-style instance covers (the
/// published 1,000-customer set uses about 0..500 with the depot in the middle).
pub const HOMBERGER_SIDE: f64 = 500.0;
/// Depot horizon of a generated C2-type instance.
pub const C2_HORIZON: i64 = 4500;
/// Depot horizon of a generated RC2-type instance.
pub const RC2_HORIZON: i64 = 3000;

/// A seeded instance in the style of the Gehring-Homberger "type 2" classes
/// (long horizon, clustered customers, capacity binding against wide
/// windows; capacity allows about 25 C2 or 18 RC2 routes, so the windows
/// and the horizon decide how many more are needed). **Generated, not the published set:** the published
/// 1,000-customer files are not shipped (no PyPI package carries them), so
/// this builds instances with the same ingredients for the vehicles-first
/// benchmark of issue #25.
///
/// * **Layout.** `customers` nodes on a [`HOMBERGER_SIDE`] square with
///   integer coordinates, the depot in the middle. Clusters: one centre per
///   40 customers, uniform in the square; a clustered customer lies around
///   a random centre (Gaussian spread of 2 % of the side per axis, clamped
///   into the square). C2 clusters everyone; RC2 every second customer, the
///   others are uniform.
/// * **Windows.** A window of `width` time units (clipped to the horizon)
///   around a centre drawn uniformly among the start times at which the
///   customer can be served from and back to the depot; with `mixed`, every
///   second customer gets a random width between `width` and the whole
///   horizon instead (Solomon's types 3 and 4). Every customer alone is
///   feasible: ready time at least the travel from the depot, due date at
///   most the horizon less the service and the travel back.
/// * **Fleet** `customers / 4` vehicles (never binding).
///
/// The same arguments give the same instance on every platform (own
/// SplitMix64 generator; values are rounded to integers before any
/// platform-dependent operation could matter).
pub fn homberger_like(
    class: HombergerClass,
    seed: u64,
    customers: usize,
    width: i64,
    mixed: bool,
) -> Instance {
    let mut rng = SplitMix64::new(seed);
    let (horizon, service, capacity) = match class {
        HombergerClass::C2 => (C2_HORIZON, 90.0, 1000),
        HombergerClass::Rc2 => (RC2_HORIZON, 10.0, 1000),
    };
    let side = HOMBERGER_SIDE;
    let mid = (side / 2.0).round();
    let centres: Vec<(f64, f64)> = (0..(customers / 40).max(1))
        .map(|_| (rng.range(0.0, side), rng.range(0.0, side)))
        .collect();
    let mut nodes = Vec::with_capacity(customers + 1);
    nodes.push(Node {
        file_id: 0,
        x: mid,
        y: mid,
        demand: 0,
        ready: 0.0,
        due: horizon as f64,
        service: 0.0,
        pickup: None,
        delivery: None,
    });
    let spread = 0.02 * side;
    for i in 1..=customers {
        let clustered = class == HombergerClass::C2 || i % 2 == 0;
        let (x, y) = if clustered {
            let k = rng.int(0, centres.len() as i64 - 1) as usize;
            let (cx, cy) = centres[k];
            (
                (cx + spread * normal(&mut rng)).clamp(0.0, side),
                (cy + spread * normal(&mut rng)).clamp(0.0, side),
            )
        } else {
            (rng.range(0.0, side), rng.range(0.0, side))
        };
        let (x, y) = (x.round(), y.round());
        let demand = match class {
            HombergerClass::C2 => 10 * rng.int(1, 4),
            HombergerClass::Rc2 => rng.int(1, 35),
        };
        let d0 = ((x - mid).hypot(y - mid)).ceil() as i64;
        // Start times at which the customer alone is feasible.
        let (earliest, latest) = (d0, horizon - d0 - service as i64);
        let w = if mixed && i % 2 == 1 {
            rng.int(width, horizon)
        } else {
            width
        };
        let centre = rng.int(earliest, latest.max(earliest));
        let mut ready = (centre - w / 2).max(earliest);
        let due = (ready + w).min(latest.max(earliest));
        ready = ready.min(due);
        nodes.push(Node {
            file_id: i as i64,
            x,
            y,
            demand,
            ready: ready as f64,
            due: due as f64,
            service,
            pickup: None,
            delivery: None,
        });
    }
    let tag = match class {
        HombergerClass::C2 => "c2",
        HombergerClass::Rc2 => "rc2",
    };
    let kind = if mixed { "mixed" } else { "w" };
    Instance {
        name: format!("gen_{tag}_{customers}_{kind}{width}_s{seed}"),
        format: Format::Solomon,
        convention: DistanceConvention::Exact,
        vehicles: Some((customers / 4).max(1)),
        capacity,
        nodes,
        matrix: None,
        has_time_windows: true,
    }
}

/// A standard normal draw (Box-Muller, one of the pair).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.unit().max(1e-12);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The six generated 1,000-customer instances shipped in
/// `data/vrp/homberger_gen_1000/` (see [`homberger_like`]): C2 and RC2, each
/// with narrow, mixed and wide windows.
pub fn homberger_gen_1000() -> Vec<Instance> {
    vec![
        homberger_like(HombergerClass::C2, 1, 1000, 160, false),
        homberger_like(HombergerClass::C2, 2, 1000, 160, true),
        homberger_like(HombergerClass::C2, 3, 1000, 640, false),
        homberger_like(HombergerClass::Rc2, 4, 1000, 120, false),
        homberger_like(HombergerClass::Rc2, 5, 1000, 120, true),
        homberger_like(HombergerClass::Rc2, 6, 1000, 480, false),
    ]
}
