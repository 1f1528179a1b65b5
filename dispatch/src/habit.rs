//! How a station plans by habit, the baseline the optimised plan is compared against:
//! households are split among the couriers by a sweep by angle around the station
//! (contiguous sectors with about equal bottles), and each courier visits its sector in
//! nearest-neighbour order from the station, on the same matrix as the solver. Windows are
//! not looked at; lateness is measured afterwards (see the `plan_stats` module).
//!
//! Pure functions of the day's [`StopSpec`]s, its [`TravelTimes`] and each stop's bearing
//! around the depot ([`bearings`]). Stop indices outside `specs`, or locations outside the
//! matrix, are never indexed: such a stop counts no bottles and is reached last.

use crate::model::{StopSpec, TravelTimes, UNREACHABLE_S};

/// The bearing of every point around the depot, radians in `-π..=π` (east 0, north π/2),
/// from `(lat, lon)` degrees on a local equirectangular projection (longitude differences
/// scaled by the cosine of the depot's latitude).
pub fn bearings(depot: (f64, f64), points: &[(f64, f64)]) -> Vec<f64> {
    let coslat = depot.0.to_radians().cos();
    points
        .iter()
        .map(|&(lat, lon)| (lat - depot.0).atan2((lon - depot.1) * coslat))
        .collect()
}

fn bottles(specs: &[StopSpec], s: u32) -> i64 {
    specs.get(s as usize).map_or(0, |sp| sp.bottles.max(0))
}

/// Assigns stops `0..bearing.len()` to `couriers` sectors by angle around the depot.
/// `bearing[i]` is stop `i`'s angle around the depot (radians). The sweep starts after the
/// widest empty angular gap, so no sector straddles a dense direction; it cuts a new sector
/// each time the bottles swept pass the next `total / couriers` share. Always returns
/// `couriers.max(1)` sectors (some may be empty).
pub fn sweep(bearing: &[f64], specs: &[StopSpec], couriers: usize) -> Vec<Vec<u32>> {
    let k = couriers.max(1);
    let mut order: Vec<u32> = (0..bearing.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let angle = |s: u32| bearing.get(s as usize).copied().unwrap_or(0.0);
    order.sort_by(|&a, &b| angle(a).total_cmp(&angle(b)).then(a.cmp(&b)));
    // Rotate to start after the widest gap between consecutive bearings.
    if order.len() > 1 {
        let len = order.len();
        let gap = |i: usize| {
            let a = angle(order[i]);
            let b = angle(order[(i + 1) % len]);
            (b - a).rem_euclid(std::f64::consts::TAU)
        };
        let widest = (0..len)
            .max_by(|&x, &y| gap(x).total_cmp(&gap(y)).then(y.cmp(&x)))
            .unwrap_or(0);
        order.rotate_left((widest + 1) % len);
    }
    let total: i64 = order
        .iter()
        .fold(0i64, |t, &s| t.saturating_add(bottles(specs, s)));
    let mut sectors = vec![Vec::new(); k];
    let mut swept = 0i64;
    for s in order {
        let share = swept as f64 * k as f64 / total.max(1) as f64;
        let sector = (share as usize).min(k - 1);
        sectors[sector].push(s);
        swept = swept.saturating_add(bottles(specs, s));
    }
    sectors
}

/// Orders `stops` nearest-neighbour from the depot by travel time (ties: lower index).
pub fn nearest_neighbour(
    times: &TravelTimes,
    depot: u32,
    specs: &[StopSpec],
    stops: &[u32],
) -> Vec<u32> {
    let n = times.len();
    let travel = |a: u32, s: u32| match specs.get(s as usize) {
        Some(sp) if (a as usize) < n && (sp.loc as usize) < n => times.travel(a, sp.loc),
        _ => UNREACHABLE_S,
    };
    let mut left: Vec<u32> = stops.to_vec();
    let mut out = Vec::with_capacity(left.len());
    let mut at = depot;
    while !left.is_empty() {
        let best = (0..left.len())
            .min_by_key(|&i| (travel(at, left[i]), left[i]))
            .unwrap_or(0);
        let s = left.swap_remove(best);
        if let Some(sp) = specs.get(s as usize) {
            at = sp.loc;
        }
        out.push(s);
    }
    out
}

/// The habit's rounds: [`sweep`], then [`nearest_neighbour`] within each sector. One
/// round per courier (`couriers.max(1)` rounds).
pub fn sweep_nearest_neighbour(
    times: &TravelTimes,
    depot: u32,
    specs: &[StopSpec],
    bearing: &[f64],
    couriers: usize,
) -> Vec<Vec<u32>> {
    sweep(bearing, specs, couriers)
        .iter()
        .map(|sector| nearest_neighbour(times, depot, specs, sector))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(loc: u32) -> StopSpec {
        StopSpec {
            household: loc,
            loc,
            bottles: 1,
            service_s: 0,
            window_s: (0, 100_000),
        }
    }

    /// Four stops at the compass points and two couriers: each sector is a half-plane, and
    /// the nearest neighbour on a line visits the nearer stop first.
    #[test]
    fn sweep_and_order_on_a_cross() {
        let specs: Vec<StopSpec> = (1..=4).map(stop).collect();
        let bearing = [0.0, 1.6, 3.2, 4.7];
        let sectors = sweep(&bearing, &specs, 2);
        assert_eq!(sectors.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2]);
        let times = TravelTimes::from_fn(5, |i, j| ((i as i64 - j as i64).abs() * 10, 0));
        assert_eq!(
            nearest_neighbour(&times, 0, &specs, &[3, 0, 2]),
            vec![0, 2, 3]
        );
    }

    /// The sweep starts after the widest gap: three stops bunched around east (bearings
    /// just below and above 0) stay in one sector when one courier takes them all, and two
    /// couriers cut the bunch at half of the bottles, not at the ±π seam.
    #[test]
    fn sweep_starts_after_the_widest_gap() {
        let specs: Vec<StopSpec> = (1..=4).map(stop).collect();
        let bearing = [-0.2, -0.1, 0.1, 0.2];
        let sectors = sweep(&bearing, &specs, 2);
        assert_eq!(sectors, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(sweep(&bearing, &specs, 1), vec![vec![0, 1, 2, 3]]);
    }

    /// Bearings on a compass: north of the depot is π/2, east 0, west π.
    #[test]
    fn bearings_on_a_compass() {
        let b = bearings((47.0, 9.5), &[(47.01, 9.5), (47.0, 9.51), (47.0, 9.49)]);
        assert!((b[0] - std::f64::consts::FRAC_PI_2).abs() < 1e-9, "{b:?}");
        assert!(b[1].abs() < 1e-9, "{b:?}");
        assert!((b[2] - std::f64::consts::PI).abs() < 1e-9, "{b:?}");
    }

    /// Bad input never panics: zero couriers give one sector, a stop index or a location
    /// outside the data is reached last.
    #[test]
    fn hostile_input_does_not_panic() {
        let specs = vec![stop(1), stop(9)];
        let times = TravelTimes::from_fn(3, |i, j| ((i as i64 - j as i64).abs() * 10, 0));
        assert_eq!(sweep(&[0.0, 1.0, 2.0], &specs, 0).len(), 1);
        assert_eq!(
            sweep_nearest_neighbour(&times, 0, &specs, &[0.0, 1.0], 0),
            vec![vec![0, 1]]
        );
        assert_eq!(
            nearest_neighbour(&times, 0, &specs, &[5, 1, 0]),
            vec![0, 1, 5]
        );
    }
}
