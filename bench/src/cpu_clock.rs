//! CPU-time budgets for the benchmarks' long solves: the libraries' budgets are wall clock,
//! so on a loaded machine a "60 s" solve gets whatever CPU the other processes leave it.
//! Here a watcher thread reads the solving thread's CPU time from Linux's `/proc` and sets
//! the solve's cancel flag once the budget is used; the wall-clock limit the solve is given
//! becomes a generous safety cap. Linux only (`/proc/thread-self`); elsewhere the calls
//! answer an error instead of a silent wall-clock budget.
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// Clock ticks per second of the times in `/proc/*/stat` (`USER_HZ`, `getconf CLK_TCK`: 100
/// on every Linux architecture the project builds for).
pub const TICKS_PER_S: u64 = 100;

/// How often the watcher reads the thread's CPU time: one tick.
const POLL: Duration = Duration::from_millis(10);

/// User + system CPU time (fields 14 and 15, clock ticks) of a `/proc/PID/stat` or
/// `/proc/PID/task/TID/stat` line. The command name (field 2, in parentheses) may itself
/// hold spaces and parentheses, so fields are counted after its last `)`. `None` when the
/// line has no such fields.
pub fn stat_cpu_ticks(line: &str) -> Option<u64> {
    let rest = line.get(line.rfind(')')? + 1..)?;
    // After the name: state (3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt,
    // cminflt, majflt, cmajflt (13), utime (14), stime (15).
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

/// The CPU clock of one thread: its `/proc/self/task/TID/stat`.
#[derive(Debug, Clone)]
pub struct ThreadClock {
    stat: PathBuf,
}

impl ThreadClock {
    /// The calling thread's clock (`/proc/thread-self` links to `PID/task/TID`).
    pub fn current() -> std::io::Result<ThreadClock> {
        let link = std::fs::read_link("/proc/thread-self")?;
        Ok(ThreadClock {
            stat: PathBuf::from("/proc").join(link).join("stat"),
        })
    }

    /// CPU time the thread has used, clock ticks.
    pub fn ticks(&self) -> std::io::Result<u64> {
        let line = std::fs::read_to_string(&self.stat)?;
        stat_cpu_ticks(&line).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: no utime and stime fields", self.stat.display()),
            )
        })
    }
}

/// What a budgeted call used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuUse {
    /// CPU seconds of the calling thread during the call.
    pub seconds: f64,
    /// True when the watcher set the cancel flag (the budget was used before the call
    /// ended by itself).
    pub reached: bool,
}

/// Budget in whole clock ticks (at least one).
fn budget_ticks(budget: Duration) -> u64 {
    let ticks = budget.as_secs_f64() * TICKS_PER_S as f64;
    if ticks.is_finite() && ticks >= 1.0 {
        ticks.round().min(u64::MAX as f64) as u64
    } else {
        1
    }
}

/// Runs `f` on the calling thread with a fresh cancel flag, which a watcher thread sets
/// once the calling thread has used `budget` of CPU time (read every 10 ms, so a solve
/// that answers a cancel within milliseconds overruns by about one tick). `f` must stop
/// soon after the flag is set and does all its work on the calling thread (the VRP solver
/// with one thread does). Errors: `/proc` cannot be read (not Linux).
pub fn with_cpu_budget<R>(
    budget: Duration,
    f: impl FnOnce(Arc<AtomicBool>) -> R,
) -> std::io::Result<(R, CpuUse)> {
    let clock = ThreadClock::current()?;
    let start = clock.ticks()?;
    let limit = budget_ticks(budget);
    let cancel = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (out, watched) = std::thread::scope(|scope| {
        let flag = cancel.clone();
        let watch_clock = clock.clone();
        let watcher = scope.spawn(move || -> std::io::Result<()> {
            loop {
                match done_rx.recv_timeout(POLL) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
                let used = match watch_clock.ticks() {
                    Ok(t) => t.saturating_sub(start),
                    Err(e) => {
                        // Without a clock the budget cannot be kept: stop the call.
                        flag.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                };
                if used >= limit {
                    flag.store(true, Ordering::Relaxed);
                    return Ok(());
                }
            }
        });
        let out = f(cancel.clone());
        // The watcher may have returned already; a closed channel is fine.
        let _ = done_tx.send(());
        let watched = watcher
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the CPU watcher panicked")));
        (out, watched)
    });
    watched?;
    let end = clock.ticks()?;
    Ok((
        out,
        CpuUse {
            seconds: end.saturating_sub(start) as f64 / TICKS_PER_S as f64,
            reached: cancel.load(Ordering::Relaxed),
        },
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A line as the kernel writes it (fields 14 and 15: 1234 and 56).
    const LINE: &str = "4242 (replan) R 1 4242 4242 0 -1 4194304 1000 0 0 0 1234 56 0 0 20 0 3 0 100 1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

    #[test]
    fn utime_plus_stime() {
        assert_eq!(stat_cpu_ticks(LINE), Some(1290));
    }

    /// The command name may hold spaces and parentheses: fields count after the last `)`.
    #[test]
    fn name_with_spaces_and_parentheses() {
        let line = LINE.replace("(replan)", "(a (b) c) d)");
        assert_eq!(stat_cpu_ticks(&line), Some(1290));
        let line = LINE.replace("(replan)", "() ) 7 8 9 10 11 12 13 14 15 16 17)");
        assert_eq!(stat_cpu_ticks(&line), Some(1290));
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(stat_cpu_ticks(""), None);
        assert_eq!(stat_cpu_ticks("4242 replan R 1 2 3"), None);
        assert_eq!(stat_cpu_ticks("4242 (replan) R 1 4242"), None);
        let bad = LINE.replace(" 1234 56 ", " 12x4 56 ");
        assert_eq!(stat_cpu_ticks(&bad), None);
        let huge = LINE.replace(" 1234 56 ", " 18446744073709551615 1 ");
        assert_eq!(stat_cpu_ticks(&huge), None);
    }

    #[test]
    fn budget_in_ticks() {
        assert_eq!(budget_ticks(Duration::from_secs(30)), 3000);
        assert_eq!(budget_ticks(Duration::from_millis(15)), 2);
        assert_eq!(budget_ticks(Duration::ZERO), 1);
    }

    /// The calling thread's clock advances with work done on it.
    #[test]
    fn this_threads_clock() {
        let clock = ThreadClock::current().unwrap();
        let a = clock.ticks().unwrap();
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while clock.ticks().unwrap() < a + 2 && t.elapsed() < Duration::from_secs(60) {
            for i in 0..100_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
        }
        assert!(clock.ticks().unwrap() >= a + 2, "{x}");
    }

    /// A busy loop that only stops on the flag is stopped once it used its budget; a call
    /// that ends first is not cancelled.
    #[test]
    fn the_watcher_sets_the_flag_at_the_budget() {
        let (spins, used) = with_cpu_budget(Duration::from_millis(50), |cancel| {
            let mut spins = 0u64;
            while !cancel.load(Ordering::Relaxed) {
                spins = spins.wrapping_add(1);
                std::hint::black_box(spins);
            }
            spins
        })
        .unwrap();
        assert!(spins > 0);
        assert!(used.reached);
        assert!(used.seconds >= 0.05, "{used:?}");
        let (v, used) = with_cpu_budget(Duration::from_secs(100), |_| 7).unwrap();
        assert_eq!(v, 7);
        assert!(!used.reached);
    }
}
