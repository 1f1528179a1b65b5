//! Vehicle breaks, placed into a solved route.
//!
//! milkrun's solver has no breaks. The VROOM face plans each vehicle with its working window
//! shortened by the length of its breaks ([`super::convert()`]), then re-times every route
//! that has breaks here, step by step from the start of the working window:
//! - before each leg a pending break is taken if it costs nothing (it ends early enough that
//!   the next task still starts when it would have: the break fills waiting time), or if
//!   it must (after the next task its windows would all have closed); of several, the one
//!   that can start first;
//! - a break's start is the earliest moment inside one of its windows; it is taken where the
//!   vehicle is (a VROOM break step has no location);
//! - breaks not taken by the last task are taken after it, before the way to the end;
//! - the vehicle leaves its start as late as it can without delaying its first task.
//!
//! When a task would start after its last window, or the route would end after the working
//! window, that task leaves the route (with its shipment's other half) and is answered
//! unassigned with reason `break`; the route is timed again. Each round removes a task, so it
//! ends. Other tasks keep the solver's order: the result is feasible, not re-optimised.

use milkrun_vrp::Matrix;

use super::convert::{Task, VehicleInfo};

/// What a timed step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A task: its solver job index.
    Task(usize),
    /// A break: its index in [`VehicleInfo::breaks`].
    Break(usize),
}

/// One step of a re-timed route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timed {
    /// The task or break.
    pub item: Item,
    /// Arrival (for a break: when the vehicle is ready for it), seconds.
    pub arrival: i64,
    /// Waiting before the task or break starts, seconds.
    pub wait: i64,
}

/// A route re-timed with its breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Departure from the start (or the start of the first task when there is no start).
    pub departure: i64,
    /// Tasks and breaks in order.
    pub steps: Vec<Timed>,
    /// Arrival at the end (or the end of the last step when there is no end).
    pub end_arrival: i64,
}

/// The earliest start at or after `t` inside `windows` (sorted, merged; empty: any time).
pub fn start_in(windows: &[(i64, i64)], t: i64) -> Option<i64> {
    if windows.is_empty() {
        return Some(t);
    }
    windows.iter().find(|w| w.1 >= t).map(|w| t.max(w.0))
}

/// Times `route` (solver job indices in order) with `v`'s breaks over `durations`, from
/// `start_row` to `end_row`. `Err(k)`: the `k`-th task of `route` cannot stay (it would be
/// late, or the breaks or the end cannot be placed while it does).
pub fn schedule(
    durations: &Matrix<i64>,
    tasks: &[Task],
    v: &VehicleInfo,
    start_row: usize,
    end_row: Option<usize>,
    route: &[usize],
) -> Result<Timeline, usize> {
    let last = route.len().saturating_sub(1);
    let mut t = v.shift.0;
    let mut prev = start_row;
    // Breaks not taken yet, in the order given (sorted by earliest window).
    let mut pending: Vec<usize> = (0..v.breaks.len()).collect();
    let mut steps: Vec<Timed> = Vec::with_capacity(route.len() + v.breaks.len());
    let mut departure: Option<i64> = None;
    for (k, &job) in route.iter().enumerate() {
        let task = tasks.get(job).ok_or(k)?;
        let d = durations.get(prev, task.row);
        loop {
            let plain = start_in(&task.windows, t + d);
            // Among the pending breaks, those free or forced now; the earliest of them first.
            let mut choice: Option<(i64, usize, usize)> = None;
            for (at, &b) in pending.iter().enumerate() {
                let Some(brk) = v.breaks.get(b) else { continue };
                // A break whose windows have all closed cannot be placed while earlier
                // tasks stay; dropping them one by one empties the route at worst.
                let Some(bs) = start_in(&brk.windows, t) else {
                    return Err(k.saturating_sub(1));
                };
                let with = start_in(&task.windows, bs + brk.service + d);
                let free = plain.is_some() && with == plain;
                let forced = match plain {
                    Some(p) => start_in(&brk.windows, p + task.service).is_none(),
                    None => true,
                };
                if (free || forced) && choice.is_none_or(|c| bs < c.0) {
                    choice = Some((bs, at, b));
                }
            }
            let Some((bs, at, b)) = choice else { break };
            let service = v.breaks.get(b).map_or(0, |x| x.service);
            if start_in(&task.windows, bs + service + d).is_none() {
                return Err(k);
            }
            pending.remove(at);
            // Breaks before the first leg: the day starts with the first of them.
            let ready = *departure.get_or_insert(bs);
            let arrival = t.max(ready);
            steps.push(Timed {
                item: Item::Break(b),
                arrival,
                wait: bs - arrival,
            });
            t = bs + service;
        }
        let Some(earliest) = start_in(&task.windows, t + d) else {
            return Err(k);
        };
        let leave = match departure {
            Some(_) => t,
            None => {
                let dep = t.max(earliest - d);
                departure = Some(dep);
                dep
            }
        };
        let arrival = leave + d;
        let start = start_in(&task.windows, arrival).ok_or(k)?;
        steps.push(Timed {
            item: Item::Task(job),
            arrival,
            wait: start - arrival,
        });
        t = start + task.service;
        prev = task.row;
    }
    while !pending.is_empty() {
        let mut choice: Option<(i64, usize)> = None;
        for (at, &b) in pending.iter().enumerate() {
            let brk = v.breaks.get(b).ok_or(last)?;
            let bs = start_in(&brk.windows, t).ok_or(last)?;
            if choice.is_none_or(|c| bs < c.0) {
                choice = Some((bs, at));
            }
        }
        let Some((bs, at)) = choice else { break };
        let b = pending.remove(at);
        steps.push(Timed {
            item: Item::Break(b),
            arrival: t,
            wait: bs - t,
        });
        t = bs + v.breaks.get(b).map_or(0, |x| x.service);
    }
    let end_arrival = match end_row {
        Some(row) => t + durations.get(prev, row),
        None => t,
    };
    if end_arrival > v.shift.1 {
        return Err(last);
    }
    Ok(Timeline {
        departure: departure.unwrap_or(t),
        steps,
        end_arrival,
    })
}

/// Re-times `route` with the vehicle's breaks, removing tasks (and their shipment's other
/// half) until the timeline holds. Returns the timeline (`None` when no task is left) and the
/// removed tasks.
pub fn fit(
    durations: &Matrix<i64>,
    tasks: &[Task],
    v: &VehicleInfo,
    start_row: usize,
    end_row: Option<usize>,
    mut route: Vec<usize>,
) -> (Option<Timeline>, Vec<usize>) {
    let mut removed = Vec::new();
    while !route.is_empty() {
        match schedule(durations, tasks, v, start_row, end_row, &route) {
            Ok(t) => return (Some(t), removed),
            Err(k) => {
                let k = k.min(route.len() - 1);
                let job = route.remove(k);
                removed.push(job);
                if let Some(p) = tasks.get(job).and_then(|t| t.partner) {
                    if let Some(at) = route.iter().position(|&x| x == p) {
                        removed.push(route.remove(at));
                    }
                }
            }
        }
    }
    (None, removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::compat::vroom::convert::{BreakInfo, TaskKind};

    fn task(row: usize, service: i64, windows: Vec<(i64, i64)>) -> Task {
        Task {
            kind: TaskKind::Job,
            id: row as u64,
            location: None,
            location_index: Some(row as u32),
            row,
            service,
            delivery: vec![],
            pickup: vec![],
            priority: 0,
            windows,
            partner: None,
        }
    }

    fn vehicle(shift: (i64, i64), breaks: Vec<(Vec<(i64, i64)>, i64)>) -> VehicleInfo {
        VehicleInfo {
            id: 1,
            start: Some((None, Some(0), 0)),
            end: Some((None, Some(0), 0)),
            shift,
            breaks: breaks
                .into_iter()
                .enumerate()
                .map(|(i, (windows, service))| BreakInfo {
                    id: i as u64,
                    windows,
                    service,
                    description: None,
                })
                .collect(),
        }
    }

    /// Places 0..=3 on a line, 100 s apart.
    fn line() -> Matrix<i64> {
        Matrix::from_fn(4, |i, j| (i as i64 - j as i64).abs() * 100)
    }

    #[test]
    fn a_break_fills_waiting_time_for_free() {
        // Task at place 2 cannot start before 1000; a 300 s break from 500 fits before it.
        let tasks = vec![task(1, 10, vec![]), task(2, 10, vec![(1000, 2000)])];
        let v = vehicle((0, 5000), vec![(vec![(500, 600)], 300)]);
        let t = schedule(&line(), &tasks, &v, 0, Some(0), &[0, 1]).unwrap();
        let kinds: Vec<Item> = t.steps.iter().map(|s| s.item).collect();
        assert_eq!(kinds, [Item::Task(0), Item::Break(0), Item::Task(1)]);
        let brk = t.steps[1];
        assert_eq!(
            brk.arrival + brk.wait,
            500,
            "the break starts as its window opens"
        );
        // The second task still starts at 1000, as without the break.
        assert_eq!(t.steps[2].arrival + t.steps[2].wait, 1000);
        assert_eq!(t.end_arrival, 1000 + 10 + 200);
    }

    #[test]
    fn a_break_is_taken_when_it_must_and_delays_the_rest() {
        // No waiting anywhere; the break window [150, 250] would close during task 1.
        let tasks = vec![task(1, 200, vec![]), task(2, 10, vec![])];
        let v = vehicle((0, 5000), vec![(vec![(150, 250)], 60)]);
        let t = schedule(&line(), &tasks, &v, 0, Some(0), &[0, 1]).unwrap();
        assert_eq!(t.steps[0].item, Item::Break(0));
        assert_eq!(t.departure, 150, "the day starts with the break");
        assert_eq!(t.steps[1].arrival, 150 + 60 + 100);
    }

    #[test]
    fn a_task_made_late_by_a_break_is_removed() {
        let tasks = vec![task(1, 10, vec![(100, 110)]), task(2, 10, vec![])];
        // The break must start by 50 and lasts 100: task 0 (window closes at 110) cannot
        // follow it, so it goes; task 1 stays.
        let v = vehicle((0, 5000), vec![(vec![(0, 50)], 100)]);
        let (t, removed) = fit(&line(), &tasks, &v, 0, Some(0), vec![0, 1]);
        assert_eq!(removed, [0]);
        let t = t.unwrap();
        assert_eq!(t.steps.len(), 2);
        assert_eq!(t.steps[1].item, Item::Task(1));
    }

    #[test]
    fn late_breaks_come_after_the_last_task_and_the_shift_end_holds() {
        let tasks = vec![task(1, 10, vec![])];
        let v = vehicle((0, 1000), vec![(vec![(600, 700)], 100)]);
        let t = schedule(&line(), &tasks, &v, 0, Some(0), &[0]).unwrap();
        assert_eq!(t.steps[1].item, Item::Break(0));
        assert_eq!(t.end_arrival, 600 + 100 + 100);
        // A shift that ends at 750 cannot hold it: the task goes, the route is empty.
        let short = vehicle((0, 750), vec![(vec![(600, 700)], 100)]);
        let (t, removed) = fit(&line(), &tasks, &short, 0, Some(0), vec![0]);
        assert!(t.is_none());
        assert_eq!(removed, [0]);
    }

    #[test]
    fn start_in_windows() {
        assert_eq!(start_in(&[], 7), Some(7));
        assert_eq!(start_in(&[(10, 20), (30, 40)], 5), Some(10));
        assert_eq!(start_in(&[(10, 20), (30, 40)], 25), Some(30));
        assert_eq!(start_in(&[(10, 20), (30, 40)], 41), None);
    }
}
