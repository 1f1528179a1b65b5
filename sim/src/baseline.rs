//! The baselines on the same simulated week, pure and not stored: a courier's habit (sweep by
//! angle around the station + nearest neighbour, [`milkrun_dispatch::habit`]) ridden with no
//! re-plan through the same doors, jam and breakdown; stock ordered as what sold the same
//! weekday a week before; failed orders made up by hand on the next day.
use std::collections::BTreeMap;

use milkrun_dispatch::habit::{bearings, sweep_nearest_neighbour};
use milkrun_dispatch::CourierSpec;

use crate::morning::{day_times, stop_specs, Door, Morning, JAM_FACTOR};

/// The baseline policies, one line each (the report's `baseline_policies`).
pub const POLICIES: [&str; 3] = [
    "Routes by a courier's habit: households split by a sweep around the station, each \
     courier's sector in nearest-neighbour order, ridden as planned with no re-plan (a \
     broken-down courier's remaining stops fail); on time = inside the household's own window",
    "Stock ordered as what sold the same weekday a week before (the first week: the first \
     day's calendar demand), same shelf life, first expiry first out",
    "Failed deliveries made up by hand on the next day (no same-day retry, no credit)",
];

/// How a baseline stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HabitEnd {
    /// Delivered at `at_s`.
    Delivered {
        /// Arrival.
        at_s: i64,
    },
    /// Failed (door, or the courier broke down before reaching it).
    Failed,
}

/// A habit morning's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct HabitMorning {
    /// One per stop.
    pub ends: Vec<HabitEnd>,
    /// Metres ridden.
    pub ridden_m: i64,
    /// Courier seconds on the road.
    pub courier_s: i64,
}

/// Rides `m` by habit: the couriers leave at the start of their shift, serve each door on
/// arrival (they do not look at windows), ride each leg at the speed of its departure time
/// (jammed legs [`JAM_FACTOR`] times as long inside the jam), and the courier `broken` stops
/// at the breakdown: its stops not yet reached fail.
pub fn ride_habit(
    m: &Morning<'_>,
    depot: (f64, f64),
    points: &[(f64, f64)],
    broken: Option<usize>,
) -> HabitMorning {
    let times = day_times(m.times, m.stops, None);
    let specs = stop_specs(m);
    let bearing = bearings(depot, points);
    let rounds = sweep_nearest_neighbour(&times, 0, &specs, &bearing, m.couriers.len());
    let loc = |s: u32| {
        if s == u32::MAX {
            0
        } else {
            m.stops[s as usize].loc
        }
    };
    let leg = |a: u32, b: u32, at: i64| {
        let t = m.times.travel(loc(a), loc(b));
        match m.jam {
            Some(j) if (j.start_s..j.end_s).contains(&at) && j.slows(loc(a), loc(b)) => {
                t * JAM_FACTOR
            }
            _ => t,
        }
    };
    let mut ends = vec![HabitEnd::Failed; m.stops.len()];
    let (mut ridden_m, mut courier_s) = (0i64, 0i64);
    for (k, round) in rounds.iter().enumerate() {
        let Some(c): Option<&CourierSpec> = m.couriers.get(k) else {
            continue;
        };
        if round.is_empty() {
            continue;
        }
        let stop_at = if broken == Some(k) {
            m.breakdown_s
        } else {
            None
        };
        let mut at = u32::MAX;
        let mut clock = c.shift_start_s;
        let mut stopped = false;
        for &s in round {
            let arrival = clock + leg(at, s, clock);
            if stop_at.is_some_and(|b| arrival > b) {
                stopped = true;
                clock = stop_at.unwrap_or(clock);
                break;
            }
            ridden_m += m.times.dist(loc(at), loc(s));
            if m.stops[s as usize].door == Door::Open {
                ends[s as usize] = HabitEnd::Delivered { at_s: arrival };
            }
            clock = arrival + m.service_s;
            at = s;
        }
        if !stopped {
            ridden_m += m.times.dist(loc(at), 0);
            clock += leg(at, u32::MAX, clock);
        }
        courier_s += clock - c.shift_start_s;
    }
    HabitMorning {
        ends,
        ridden_m,
        courier_s,
    }
}

/// One lot of the baseline's stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lot {
    expiry_day: u32,
    units: u64,
}

/// The baseline's stock of one station and product: lots in expiry order, what sold each
/// day, first expiry first out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HabitStock {
    lots: Vec<Lot>,
    sold: BTreeMap<u32, u64>,
}

impl HabitStock {
    /// What the baseline orders for day `day` (0-based): what sold on `day - 7`, else
    /// `first_demand` (the first day's calendar demand).
    pub fn order_for(&self, day: u32, first_demand: u64) -> u64 {
        day.checked_sub(7)
            .and_then(|d| self.sold.get(&d).copied())
            .unwrap_or(first_demand)
    }

    /// Receives `units` on `day`, sellable through `day + shelf_life_days - 1`.
    pub fn receive(&mut self, day: u32, units: u64, shelf_life_days: u32) {
        if units > 0 {
            self.lots.push(Lot {
                expiry_day: day + shelf_life_days.saturating_sub(1),
                units,
            });
            self.lots.sort_by_key(|l| l.expiry_day);
        }
    }

    /// Takes `units` for one order on `day` if the stock covers it whole (first expiry first).
    pub fn take(&mut self, day: u32, units: u64) -> bool {
        let usable: u64 = self
            .lots
            .iter()
            .filter(|l| l.expiry_day >= day)
            .map(|l| l.units)
            .sum();
        if usable < units {
            return false;
        }
        let mut left = units;
        for l in self.lots.iter_mut().filter(|l| l.expiry_day >= day) {
            let t = l.units.min(left);
            l.units -= t;
            left -= t;
            if left == 0 {
                break;
            }
        }
        *self.sold.entry(day).or_insert(0) += units;
        true
    }

    /// Wastes what expires at the close of `day`; returns the units.
    pub fn close(&mut self, day: u32) -> u64 {
        let wasted = self
            .lots
            .iter()
            .filter(|l| l.expiry_day <= day)
            .map(|l| l.units)
            .sum();
        self.lots.retain(|l| l.expiry_day > day && l.units > 0);
        wasted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The habit's stock: first expiry first out, whole orders only, the same weekday's
    /// sales ordered again a week later, expired units wasted at close.
    #[test]
    fn stock_by_last_week() {
        let mut s = HabitStock::default();
        assert_eq!(s.order_for(0, 10), 10);
        s.receive(0, 10, 2);
        assert!(s.take(0, 4));
        assert!(!s.take(0, 7));
        assert_eq!(s.close(0), 0);
        s.receive(1, 5, 2);
        assert!(s.take(1, 8));
        assert_eq!(s.close(1), 0);
        assert_eq!(s.close(2), 3);
        assert_eq!(s.order_for(7, 99), 4);
        assert_eq!(s.order_for(8, 99), 8);
    }
}
