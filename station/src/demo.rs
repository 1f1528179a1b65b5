//! The scripted morning of `milkrun morning`: which household cancels, which courier's trike
//! breaks down, which door stays shut, where the late order comes from, and which roads
//! jam. Each choice is a seeded, deterministic function of the day as it stands at the
//! event's time, so the same seed and the same plan give the same morning.

use milkrun_dispatch::io::EventRecord;
use milkrun_dispatch::{Dispatch, StopState};

/// Speed factor on the jammed roads, 05:40-06:20.
pub const JAM_FACTOR: f64 = 0.5;

/// Seconds after an event a cancelled stop must still be ahead (the household cancels a
/// delivery that is not imminent).
const CANCEL_AHEAD_S: i64 = 900;

/// A door that stays shut is one delivered within this many seconds before the event.
const DOOR_RECENT_S: i64 = 1800;

/// One step of the scripted morning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The plan's busiest roads jam (speed × [`JAM_FACTOR`]).
    Jam,
    /// A household whose delivery is still ahead cancels.
    Cancel,
    /// A courier with stops still to make breaks down.
    Breakdown,
    /// A door stays shut; the household asks for a retry 20-60 minutes later.
    DoorRetry,
    /// The jam clears.
    JamClears,
    /// A door stays shut; the delivery is carried over to tomorrow.
    DoorTomorrow,
    /// A late new order from one of the day's addresses, 15-75 minutes ahead.
    Order,
}

/// The morning: event times (seconds since midnight) and steps.
pub const MORNING: [(i64, Step); 7] = [
    (5 * 3600 + 40 * 60, Step::Jam),
    (5 * 3600 + 55 * 60, Step::Cancel),
    (6 * 3600, Step::Breakdown),
    (6 * 3600 + 10 * 60, Step::DoorRetry),
    (6 * 3600 + 20 * 60, Step::JamClears),
    (6 * 3600 + 25 * 60, Step::DoorTomorrow),
    (6 * 3600 + 45 * 60, Step::Order),
];

/// A small seeded generator (SplitMix64) for the choices of the script.
#[derive(Debug, Clone)]
pub struct Pick(u64);

impl Pick {
    /// The generator of `seed`.
    pub fn new(seed: u64) -> Pick {
        Pick(seed ^ 0x6D6F_726E_696E_6700)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((u128::from(z ^ (z >> 31)) * n as u128) >> 64) as usize
    }

    fn choose<T: Copy>(&mut self, v: &[T]) -> Option<T> {
        (!v.is_empty()).then(|| v[self.below(v.len())])
    }
}

/// What the script needs besides the day.
#[derive(Debug, Clone, Copy)]
pub struct Script<'a> {
    /// OSM ways that jam.
    pub jam_ways: &'a [i64],
    /// Addresses the late order may come from, `(lat, lon)`.
    pub order_points: &'a [(f64, f64)],
    /// Household id of the late order.
    pub new_household: u32,
}

/// The household id after the largest of the day (`None` if `u32::MAX` is taken).
pub fn next_household(day: &Dispatch) -> Option<u32> {
    day.stops()
        .iter()
        .map(|s| s.household)
        .max()
        .map_or(Some(0), |h| h.checked_add(1))
}

/// The couriers (indices) in service with a stop still to make (committed or planned):
/// the ones a breakdown matters to.
pub fn couriers_with_stops(day: &Dispatch) -> Vec<usize> {
    day.routes()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.active && r.pending().next().is_some())
        .map(|(k, _)| k)
        .collect()
}

/// The event of `step` at `t` on `day` (advanced to `t` by the caller), or `None` when the
/// step has nothing to act on (no jammed road, nothing left to cancel, no courier with
/// stops, no door delivered recently, no address).
pub fn record(
    day: &Dispatch,
    step: Step,
    t: i64,
    pick: &mut Pick,
    script: &Script<'_>,
) -> Option<EventRecord> {
    let household = |s: u32| day.stops().get(s as usize).map(|sp| sp.household);
    match step {
        Step::Jam | Step::JamClears if script.jam_ways.is_empty() => None,
        Step::Jam => Some(EventRecord::Traffic {
            factor: JAM_FACTOR,
            ways: script.jam_ways.to_vec(),
        }),
        Step::JamClears => Some(EventRecord::Traffic {
            factor: 1.0,
            ways: script.jam_ways.to_vec(),
        }),
        Step::Cancel => {
            let committed: Vec<u32> = day.routes().iter().filter_map(|r| r.committed).collect();
            let ahead = t.saturating_add(CANCEL_AHEAD_S);
            let c: Vec<u32> = (0..day.stops().len())
                .filter_map(|s| u32::try_from(s).ok())
                .filter(|&s| {
                    day.states()[s as usize] == StopState::Pending
                        && !committed.contains(&s)
                        && day.eta()[s as usize].is_some_and(|e| e > ahead)
                })
                .collect();
            let household = household(pick.choose(&c)?)?;
            Some(EventRecord::Cancel { household })
        }
        Step::Breakdown => {
            let k = pick.choose(&couriers_with_stops(day))?;
            Some(EventRecord::Breakdown {
                courier: day.couriers()[k].id,
            })
        }
        Step::DoorRetry | Step::DoorTomorrow => {
            let since = t.saturating_sub(DOOR_RECENT_S);
            let c: Vec<u32> = (0..day.stops().len())
                .filter_map(|s| u32::try_from(s).ok())
                .filter(|&s| {
                    matches!(day.states()[s as usize],
                        StopState::Done { arrival_s, .. } if arrival_s > since)
                })
                .collect();
            let household = household(pick.choose(&c)?)?;
            let retry_s =
                (step == Step::DoorRetry).then(|| (t.saturating_add(1200), t.saturating_add(3600)));
            Some(EventRecord::Failed { household, retry_s })
        }
        Step::Order => {
            let (lat, lon) = pick.choose(script.order_points)?;
            let start = t.saturating_add(900);
            Some(EventRecord::Order {
                household: script.new_household,
                lat,
                lon,
                bottles: 2,
                service_s: 30,
                window_s: (start, start.saturating_add(3600)),
            })
        }
    }
}

/// The `how_many` ways driven most often (`ways_driven`: the way of every edge driven, once
/// per passage): the "main road" that jams. Ties: the lower way id.
pub fn busiest_ways(ways_driven: &[i64], how_many: usize) -> Vec<i64> {
    let mut w = ways_driven.to_vec();
    w.sort_unstable();
    let mut counts: Vec<(usize, i64)> = w
        .chunk_by(|a, b| a == b)
        .map(|chunk| (chunk.len(), chunk[0]))
        .collect();
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    counts.into_iter().take(how_many).map(|c| c.1).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use milkrun_dispatch::{CourierSpec, ReplanOptions, StopSpec, TravelTimes, Weights};

    /// Three couriers, only the second has stops: the breakdown always hits it, whatever
    /// the seed (the demo's courier 9 used to break down with nothing to do).
    #[test]
    fn the_breakdown_hits_a_courier_with_stops() {
        let times = TravelTimes::from_fn(4, |i, j| ((i as i64 - j as i64).abs() * 60, 0));
        let stops = (1..4)
            .map(|l| StopSpec {
                household: l,
                loc: l,
                bottles: 1,
                service_s: 30,
                window_s: (18_000, 30_000),
            })
            .collect();
        let couriers = (1..=3)
            .map(|id| CourierSpec {
                id,
                capacity: 10,
                shift_start_s: 15_000,
                shift_end_s: 40_000,
            })
            .collect();
        let mut day = Dispatch::new(times, 0, stops, couriers, Weights::default()).unwrap();
        day.set_plan(&[vec![], vec![0, 1, 2], vec![]], &ReplanOptions::default())
            .unwrap();
        assert_eq!(couriers_with_stops(&day), vec![1]);
        let script = Script {
            jam_ways: &[],
            order_points: &[],
            new_household: next_household(&day).unwrap(),
        };
        assert_eq!(script.new_household, 4);
        for seed in 0..20 {
            let r = record(&day, Step::Breakdown, 18_000, &mut Pick::new(seed), &script);
            assert_eq!(r, Some(EventRecord::Breakdown { courier: 2 }));
        }
        // Nothing to jam, no address for an order: no event.
        assert_eq!(
            record(&day, Step::Jam, 18_000, &mut Pick::new(1), &script),
            None
        );
        assert_eq!(
            record(&day, Step::Order, 18_000, &mut Pick::new(1), &script),
            None
        );
    }

    /// The busiest ways: most passages first, ties by way id.
    #[test]
    fn busiest_ways_by_passages() {
        assert_eq!(busiest_ways(&[5, 3, 5, 9, 3, 7, 5], 2), vec![5, 3]);
        assert_eq!(busiest_ways(&[], 3), Vec::<i64>::new());
    }
}
