//! Step 3's baseline: how a station plans by habit. Households are split among the couriers
//! by a sweep by angle around the station (contiguous sectors with about equal bottles), and
//! each courier visits its sector in nearest-neighbour order from the station, on the same
//! matrix as the solver. Windows are not looked at; lateness is measured afterwards.

use milkrun_dispatch::{StopSpec, TravelTimes};

/// Assigns stops to `couriers` sectors by angle around the depot. `bearing[i]` is stop `i`'s
/// angle around the depot (radians). The sweep starts after the widest empty angular gap, so
/// no sector straddles a dense direction; it cuts a new sector each time the bottles swept
/// pass the next `total / couriers` share.
pub fn sweep(bearing: &[f64], specs: &[StopSpec], couriers: usize) -> Vec<Vec<u32>> {
    let k = couriers.max(1);
    let mut order: Vec<u32> = (0..bearing.len() as u32).collect();
    order.sort_by(|&a, &b| {
        bearing[a as usize]
            .total_cmp(&bearing[b as usize])
            .then(a.cmp(&b))
    });
    // Rotate to start after the widest gap between consecutive bearings.
    if order.len() > 1 {
        let gap = |i: usize| {
            let a = bearing[order[i] as usize];
            let b = bearing[order[(i + 1) % order.len()] as usize];
            (b - a).rem_euclid(std::f64::consts::TAU)
        };
        let widest = (0..order.len())
            .max_by(|&x, &y| gap(x).total_cmp(&gap(y)).then(y.cmp(&x)))
            .unwrap_or(0);
        let len = order.len();
        order.rotate_left((widest + 1) % len);
    }
    let total: i64 = specs.iter().map(|s| s.bottles).sum();
    let mut sectors = vec![Vec::new(); k];
    let mut swept = 0i64;
    for s in order {
        let sector = ((swept as f64 * k as f64 / total.max(1) as f64) as usize).min(k - 1);
        sectors[sector].push(s);
        swept += specs[s as usize].bottles;
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
    let mut left: Vec<u32> = stops.to_vec();
    let mut out = Vec::with_capacity(left.len());
    let mut at = depot;
    while !left.is_empty() {
        let best = (0..left.len())
            .min_by_key(|&i| (times.travel(at, specs[left[i] as usize].loc), left[i]))
            .unwrap_or(0);
        let s = left.swap_remove(best);
        at = specs[s as usize].loc;
        out.push(s);
    }
    out
}

/// The baseline rounds: sweep, then nearest neighbour within each sector.
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
}
