//! Cooperation between search threads: at fixed meeting points every
//! thread posts its best solution, waits for the others, and a thread whose
//! own best is worse than the best of all continues its annealing from that
//! solution. The thread holding the best keeps its own trajectory.
//!
//! Meeting points are counted in iterations when an iteration limit is set
//! (so a seed and a thread count give the same routes on every run) and in
//! wall time otherwise (a time limit is not reproducible anyway). A thread
//! that ends its search leaves the group, so the others never wait for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::route::Route;
use super::state::{State, NONE};
use super::{BestRoutes, Budget};
use crate::problem::Problem;

/// Routes (shared, never copied) plus their cost.
pub(crate) type Snapshot = (Arc<BestRoutes>, i64);

/// Longest wait at a meeting point between two looks at the budget.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(5);

/// Number of meeting points over a run.
pub(crate) const MEETINGS: u64 = 40;

/// When the threads meet.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Period {
    /// Every this many iterations (of the thread's own count).
    Iterations(u64),
    /// Every this much wall time since the group started.
    Time(Duration),
}

#[derive(Debug, Default)]
struct Round {
    parties: usize,
    arrived: usize,
    generation: u64,
    candidate: Option<(i64, usize, Arc<BestRoutes>)>,
    published: Option<Snapshot>,
}

/// The meeting place shared by the threads of one solve.
#[derive(Debug)]
pub(crate) struct Exchange {
    period: Period,
    started: Instant,
    round: Mutex<Round>,
    wake: Condvar,
}

impl Exchange {
    /// A meeting place for `threads` threads.
    pub fn new(threads: usize, period: Period) -> Self {
        Self {
            period,
            started: Instant::now(),
            round: Mutex::new(Round {
                parties: threads,
                ..Round::default()
            }),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Round> {
        self.round.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends a round once every remaining thread has arrived.
    fn close_if_complete(&self, r: &mut Round) {
        if r.arrived > 0 && r.arrived >= r.parties {
            r.published = r.candidate.take().map(|(c, _, s)| (s, c));
            r.arrived = 0;
            r.generation += 1;
            self.wake.notify_all();
        }
    }

    /// Posts `best`, waits for the round to close and returns the best
    /// solution of the round. A thread whose budget runs out while it waits
    /// (time limit or cancel flag) withdraws from the round and returns
    /// `None` within [`WAIT_SLICE`], so a peer that stopped (or is slow to
    /// notice the cancel) never holds it up.
    fn meet(&self, thread: usize, best: &Snapshot, budget: &Budget) -> Option<Snapshot> {
        let mut r = self.lock();
        let better = match &r.candidate {
            None => true,
            Some((c, t, _)) => (best.1, thread) < (*c, *t),
        };
        if better {
            r.candidate = Some((best.1, thread, Arc::clone(&best.0)));
        }
        r.arrived += 1;
        let generation = r.generation;
        self.close_if_complete(&mut r);
        while r.generation == generation {
            if budget.expired() {
                r.arrived = r.arrived.saturating_sub(1);
                return None;
            }
            r = match self.wake.wait_timeout(r, WAIT_SLICE) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        r.published.clone()
    }

    /// Removes a finished thread from the group.
    pub fn leave(&self) {
        let mut r = self.lock();
        r.parties = r.parties.saturating_sub(1);
        self.close_if_complete(&mut r);
    }
}

/// One thread's handle on the [`Exchange`].
#[derive(Debug)]
pub(crate) struct Member {
    exchange: Arc<Exchange>,
    thread: usize,
    next: AtomicU64,
}

impl Member {
    /// The handle of thread `thread`.
    pub fn new(exchange: Arc<Exchange>, thread: usize) -> Self {
        Self {
            exchange,
            thread,
            next: AtomicU64::new(1),
        }
    }

    /// Called by the search after every step with its committed state: at a
    /// meeting point, posts `best` and, if another thread holds a better
    /// solution, moves `st`, `cur` and `best` to it.
    pub fn sync(
        &self,
        p: &Problem,
        iterations: u64,
        st: &mut State,
        cur: &mut i64,
        best: &mut Snapshot,
        budget: &Budget,
    ) {
        let k = self.next.load(Ordering::Relaxed);
        let due = match self.exchange.period {
            Period::Iterations(n) => iterations >= k.saturating_mul(n.max(1)),
            Period::Time(d) => self.exchange.started.elapsed() >= d.saturating_mul(k as u32),
        };
        if !due {
            return;
        }
        self.next.store(k + 1, Ordering::Relaxed);
        if let Some((routes, cost)) = self.exchange.meet(self.thread, best, budget) {
            if cost < best.1 {
                *st = state_from_routes(p, &routes.routes, st.route_limit);
                *cur = st.cost(p);
                *best = (routes, cost);
            }
        }
    }

    /// Leaves the group (the thread's search is over).
    pub fn leave(&self) {
        self.exchange.leave();
    }
}

/// Builds a committed search state holding `routes`.
pub(crate) fn state_from_routes(
    p: &Problem,
    routes: &[(usize, Vec<usize>)],
    route_limit: usize,
) -> State {
    let mut st = State::empty(p);
    for (vt, jobs) in routes {
        let mut r = Route::new(p, *vt);
        r.jobs.clone_from(jobs);
        r.rebuild(p);
        let ri = st.routes.len() as u32;
        for &j in jobs {
            st.route_of[j] = ri;
        }
        st.used[*vt] += 1;
        st.routes.push(r);
    }
    st.unassigned.retain(|&j| st.route_of[j] == NONE);
    st.route_limit = route_limit;
    st.commit();
    st
}
