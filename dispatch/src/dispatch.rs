//! The live state of a delivery morning and the event loop: advance the clock, apply an
//! event, re-plan (warm start or from scratch), and report what changed.

use std::time::Instant;

use crate::cache::RouteCache;
use crate::error::{
    in_range, ReplanError, MAX_BOTTLES, MAX_CAPACITY, MAX_COURIERS, MAX_LOCATIONS, MAX_STOPS,
    MAX_TIME_S, MAX_WEIGHT,
};
use crate::event::{Event, EventKind};
use crate::limit::Deadline;
use crate::model::{
    reason_kind, CourierSpec, DaySummary, Progression, StopOrigin, StopSpec, StopState,
    TravelTimes, UnservedReason, Weights,
};
use crate::objective::route_cost;
use crate::options::{ImproveOptions, Phase, Progress, ReplanOptions, Strategy};
use crate::outcome::{EventType, Move, Note, ReplanReport};
use crate::route::{departure, pending_travel, schedule, CourierRoute};
use crate::view::DayView;
use crate::{baseline, eject, lns, repair, search};

/// How much work a re-plan does besides repair and local search.
#[derive(Debug, Clone, Copy)]
struct Work {
    /// Retry every unserved stop whose window is open (else only those near the change).
    retry_all: bool,
    /// Ruin and recreate until this instant (`None`: none).
    lns_until: Option<Instant>,
    /// Cap on ruin-and-recreate iterations.
    lns_iterations: u64,
    /// Seed of the ruin-and-recreate choices.
    seed: u64,
}

impl Work {
    /// Repair and local search only; unserved stops retried only near the change.
    const ANSWER: Work = Work {
        retry_all: false,
        lns_until: None,
        lns_iterations: 0,
        seed: 0,
    };
    /// Repair and local search only; every unserved stop retried.
    const ALL: Work = Work {
        retry_all: true,
        ..Work::ANSWER
    };
}

/// A delivery morning under way.
/// Two days are equal when everything they hold is (the matrix included).
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatch {
    pub(crate) times: TravelTimes,
    pub(crate) depot: u32,
    pub(crate) stops: Vec<StopSpec>,
    pub(crate) state: Vec<StopState>,
    pub(crate) courier_of: Vec<Option<usize>>,
    pub(crate) eta: Vec<Option<i64>>,
    pub(crate) promise: Vec<Option<i64>>,
    pub(crate) origin: Vec<StopOrigin>,
    pub(crate) failures: usize,
    pub(crate) couriers: Vec<CourierSpec>,
    pub(crate) routes: Vec<CourierRoute>,
    pub(crate) clock_s: i64,
    pub(crate) weights: Weights,
    pub(crate) neighbours: Vec<Vec<u32>>,
    /// Ruin-and-recreate iterations when answering an event (0: none).
    pub(crate) answer_ruin_recreate: u64,
    /// How the day moves forward (the plan simulated, or the couriers' reports).
    pub(crate) progression: Progression,
}

/// Nearest stops kept per stop for the local search.
const NEIGHBOURS: usize = 12;

/// Share of the nightly planning budget ([`Dispatch::plan_with_solver`]) spent polishing the
/// VRP solver's plan, percent.
pub const NIGHT_POLISH_PCT: u32 = 50;

impl Dispatch {
    /// A morning before any courier left: no stop is on a route yet.
    pub fn new(
        times: TravelTimes,
        depot: u32,
        stops: Vec<StopSpec>,
        couriers: Vec<CourierSpec>,
        weights: Weights,
    ) -> Result<Dispatch, ReplanError> {
        let n = times.len();
        if depot as usize >= n {
            return Err(ReplanError::Location {
                field: "depot".to_string(),
                loc: depot as usize,
                size: n,
            });
        }
        for (field, count, max) in [
            ("stops", stops.len(), MAX_STOPS),
            ("couriers", couriers.len(), MAX_COURIERS),
            ("times", n, MAX_LOCATIONS),
        ] {
            if count > max {
                return Err(ReplanError::TooMany {
                    field: field.to_string(),
                    count,
                    max,
                });
            }
        }
        for (k, s) in stops.iter().enumerate() {
            check_stop(&format!("stops[{k}]"), s, n)?;
        }
        if couriers.is_empty() {
            return Err(ReplanError::NoCourier);
        }
        for (k, c) in couriers.iter().enumerate() {
            check_courier(&format!("couriers[{k}]"), c)?;
        }
        check_weights(&weights)?;
        let clock_s = couriers.iter().map(|c| c.shift_start_s).min().unwrap_or(0);
        let routes = couriers
            .iter()
            .map(|c| CourierRoute::at_depot(depot, c, Vec::new()))
            .collect();
        let m = stops.len();
        let mut d = Dispatch {
            times,
            depot,
            state: vec![StopState::Pending; m],
            courier_of: vec![None; m],
            eta: vec![None; m],
            promise: vec![None; m],
            origin: vec![StopOrigin::Planned; m],
            failures: 0,
            stops,
            couriers,
            routes,
            clock_s,
            weights,
            neighbours: Vec::new(),
            answer_ruin_recreate: 0,
            progression: Progression::Simulated,
        };
        d.neighbours = (0..m as u32).map(|s| d.nearest(s)).collect();
        Ok(d)
    }

    /// The read-only view the re-planning operators work on.
    pub(crate) fn view(&self) -> DayView<'_> {
        DayView {
            times: &self.times,
            depot: self.depot,
            stops: &self.stops,
            couriers: &self.couriers,
            routes: &self.routes,
            courier_of: &self.courier_of,
            promise: &self.promise,
            neighbours: &self.neighbours,
            weights: self.weights,
            clock_s: self.clock_s,
        }
    }

    fn nearest(&self, s: u32) -> Vec<u32> {
        let a = self.stops[s as usize].loc;
        let mut cand: Vec<(i64, u32)> = (0..self.stops.len() as u32)
            .filter(|&v| v != s)
            .map(|v| {
                let b = self.stops[v as usize].loc;
                (self.times.travel(a, b) + self.times.travel(b, a), v)
            })
            .collect();
        let k = NEIGHBOURS.min(cand.len());
        if k > 0 && k < cand.len() {
            cand.select_nth_unstable(k - 1);
        }
        cand.truncate(k);
        cand.sort_unstable();
        cand.into_iter().map(|c| c.1).collect()
    }

    /// Sets the plan made before the morning: one stop list per courier. Stops on no list
    /// are inserted by the repair; promises are the resulting arrivals.
    pub fn set_plan(
        &mut self,
        routes: &[Vec<u32>],
        options: &ReplanOptions,
    ) -> Result<ReplanReport, ReplanError> {
        self.check_plan_shape(routes)?;
        let mut seen = vec![false; self.stops.len()];
        for &s in routes.iter().flatten() {
            seen[s as usize] = true;
        }
        for (k, r) in routes.iter().enumerate() {
            self.routes[k] = CourierRoute::at_depot(self.depot, &self.couriers[k], r.clone());
            for &s in r {
                self.courier_of[s as usize] = Some(k);
            }
        }
        let pool: Vec<u32> = (0..self.stops.len() as u32)
            .filter(|&s| !seen[s as usize] && self.state[s as usize] == StopState::Pending)
            .collect();
        let t0 = Instant::now();
        let (mut report, solver_error) = self.replan(
            t0,
            EventType::Plan,
            pool,
            Vec::new(),
            &[],
            options,
            Work::ALL,
        );
        for s in 0..self.stops.len() {
            self.promise[s] = self.eta[s];
        }
        if let Some(source) = solver_error {
            // With a day checked at `new` this does not happen; the day then holds every
            // stop unserved.
            return Err(ReplanError::Solver { source });
        }
        report.latency = t0.elapsed();
        Ok(report)
    }

    /// A day under way from routes its caller kept (a stateless re-plan): courier `k` has
    /// served `executed[k]` (stop, arrival time) in that order and has `planned[k]` left;
    /// the clock is at `freeze_s`, the couriers report their progress
    /// ([`Progression::Reported`]), the stop after the last one served is the one each is
    /// heading to (committed). Stops on no list are inserted; then the rest of the plan is
    /// re-optimized within `options`. Promises are the arrivals after it. Errors (naming the
    /// field: `executed[1][0]`, `freeze_s`) leave nothing behind.
    #[allow(clippy::too_many_arguments)]
    pub fn resume_routes(
        times: TravelTimes,
        depot: u32,
        stops: Vec<StopSpec>,
        couriers: Vec<CourierSpec>,
        weights: Weights,
        executed: &[Vec<(u32, i64)>],
        planned: &[Vec<u32>],
        freeze_s: i64,
        options: &ReplanOptions,
    ) -> Result<(Dispatch, ReplanReport), ReplanError> {
        let mut d = Dispatch::new(times, depot, stops, couriers, weights)?;
        let k = d.couriers.len();
        if executed.len() != k || planned.len() != k {
            return Err(ReplanError::PlanShape {
                routes: executed.len().max(planned.len()),
                couriers: k,
            });
        }
        in_range(|| "freeze_s".to_string(), freeze_s, 0, MAX_TIME_S)?;
        let mut seen = vec![false; d.stops.len()];
        let mut mark = |field: String, s: u32| -> Result<(), ReplanError> {
            match seen.get_mut(s as usize) {
                Some(v) if !*v => {
                    *v = true;
                    Ok(())
                }
                _ => Err(ReplanError::PlanStop {
                    field,
                    stop: s as usize,
                }),
            }
        };
        for (r, list) in executed.iter().enumerate() {
            let mut last = 0;
            for (i, &(s, t)) in list.iter().enumerate() {
                mark(format!("executed[{r}][{i}]"), s)?;
                in_range(
                    || format!("executed[{r}][{i}].arrival_s"),
                    t,
                    last,
                    freeze_s,
                )?;
                last = t;
            }
        }
        for (r, list) in planned.iter().enumerate() {
            for (i, &s) in list.iter().enumerate() {
                mark(format!("planned[{r}][{i}]"), s)?;
            }
        }
        d.progression = Progression::Reported;
        for r in 0..k {
            let mut all: Vec<u32> = executed[r].iter().map(|e| e.0).collect();
            all.extend_from_slice(&planned[r]);
            for &s in &all {
                d.courier_of[s as usize] = Some(r);
            }
            d.routes[r] = CourierRoute::at_depot(d.depot, &d.couriers[r], all);
            for &(s, t) in &executed[r] {
                d.visit(r, s, t);
                d.state[s as usize] = StopState::Done {
                    courier: r,
                    arrival_s: t,
                };
                d.eta[s as usize] = Some(t);
            }
        }
        d.advance_to(freeze_s);
        let pool: Vec<u32> = (0..d.stops.len() as u32)
            .filter(|&s| d.route_of(s).is_none() && d.state[s as usize] == StopState::Pending)
            .collect();
        let seeds: Vec<u32> = d
            .routes
            .iter()
            .flat_map(|r| r.planned.iter().copied())
            .collect();
        let t0 = Instant::now();
        let (mut report, solver_error) = d.replan(
            t0,
            EventType::Reoptimize,
            pool,
            seeds,
            &[],
            options,
            Work::ALL,
        );
        if let Some(source) = solver_error {
            return Err(ReplanError::Solver { source });
        }
        for s in 0..d.stops.len() {
            d.promise[s] = d.eta[s];
        }
        report.time_s = freeze_s;
        report.latency = t0.elapsed();
        Ok((d, report))
    }

    /// Plans the morning (the courier routes before anyone leaves) within `options.budget`:
    /// the VRP solver from scratch for the first half ([`NIGHT_POLISH_PCT`]), then the
    /// plan is polished for the rest ([`Dispatch::plan_with_solver_polished`]); promises are
    /// the arrivals of the polished plan.
    pub fn plan_with_solver(
        &mut self,
        options: &ReplanOptions,
    ) -> Result<ReplanReport, ReplanError> {
        self.plan_with_solver_polished(options, NIGHT_POLISH_PCT)
    }

    /// Like [`Dispatch::plan_with_solver`], with `polish_pct` percent of the budget given to
    /// polishing the solver's plan on the time-dependent schedule (stops it left out
    /// inserted, ruin and recreate, local search: [`Dispatch::improve`] without disruption
    /// costs, since nothing was promised yet). 0: the VRP solver alone. The nightly plan is
    /// made the way the benchmark's from-scratch reference re-solve is made.
    pub fn plan_with_solver_polished(
        &mut self,
        options: &ReplanOptions,
        polish_pct: u32,
    ) -> Result<ReplanReport, ReplanError> {
        let t0 = Instant::now();
        let polish = options
            .budget
            .mul_f64(f64::from(polish_pct.min(100)) / 100.0);
        let empty = vec![Vec::new(); self.couriers.len()];
        let mut report = self.set_plan(
            &empty,
            &ReplanOptions {
                strategy: Strategy::FromScratch,
                budget: options.budget.saturating_sub(polish),
                ..options.clone()
            },
        )?;
        let cancelled = options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
        if !polish.is_zero() && !cancelled {
            // Nothing is promised before the morning: no move or promise cost.
            let weights = self.weights;
            self.weights = Weights {
                move_cost: 0,
                promise_per_s: 0,
                ..weights
            };
            let left = (t0 + options.budget).saturating_duration_since(Instant::now());
            let polished = self.improve(&ImproveOptions {
                budget: left,
                seed: options.seed,
                max_iterations: options.polish_iterations,
                cancel: options.cancel.clone(),
                progress: options.progress.clone(),
            });
            self.weights = weights;
            for s in 0..self.stops.len() {
                self.promise[s] = self.eta[s];
            }
            report.cost = polished.cost;
            report.unserved = self
                .state
                .iter()
                .enumerate()
                .filter_map(|(s, st)| match st {
                    StopState::Unserved(why) => Some((s as u32, *why)),
                    _ => None,
                })
                .collect();
            report.evaluations += polished.evaluations;
            report.ruin_recreate = polished.ruin_recreate;
            report.cancelled |= polished.cancelled;
        }
        report.latency = t0.elapsed();
        Ok(report)
    }

    /// Plans the morning as a change of a previous plan (the nightly plan kept stable):
    /// `previous[k]` is courier `k`'s stops in yesterday's order (stops of today only) and
    /// `promises[s]` the arrival stop `s` had yesterday, if any. The stops on no list (new
    /// households, couriers gone) are inserted; late routes are repaired; then ruin and
    /// recreate and the local search run under this day's [`Weights`], so a stop changes
    /// courier (`move_cost`) or arrival by more than `promise_tolerance_s` only where that
    /// saves more riding than it costs. With `options.polish_iterations` and a budget that is
    /// not reached the result is deterministic. Promises are the resulting arrivals.
    pub fn plan_stable(
        &mut self,
        previous: &[Vec<u32>],
        promises: &[Option<i64>],
        options: &ReplanOptions,
    ) -> Result<ReplanReport, ReplanError> {
        let n = self.stops.len() as i64;
        in_range(|| "promises.len()".to_string(), promises.len() as i64, n, n)?;
        for (k, p) in promises.iter().enumerate() {
            if let Some(t) = *p {
                in_range(|| format!("promises[{k}]"), t, 0, MAX_TIME_S)?;
            }
        }
        self.check_plan_shape(previous)?;
        for (k, r) in previous.iter().enumerate() {
            self.routes[k] = CourierRoute::at_depot(self.depot, &self.couriers[k], r.clone());
            for &s in r {
                self.courier_of[s as usize] = Some(k);
            }
        }
        self.promise = promises.to_vec();
        let on_route: Vec<bool> = {
            let mut v = vec![false; self.stops.len()];
            for &s in previous.iter().flatten() {
                v[s as usize] = true;
            }
            v
        };
        let pool: Vec<u32> = (0..self.stops.len() as u32)
            .filter(|&s| !on_route[s as usize] && self.state[s as usize] == StopState::Pending)
            .collect();
        let t0 = Instant::now();
        let work = Work {
            retry_all: true,
            lns_until: Some(t0 + options.budget),
            lns_iterations: options.polish_iterations.unwrap_or(u64::MAX),
            seed: options.seed,
        };
        let (mut report, solver_error) =
            self.replan(t0, EventType::Plan, pool, Vec::new(), &[], options, work);
        for s in 0..self.stops.len() {
            self.promise[s] = self.eta[s];
        }
        if let Some(source) = solver_error {
            return Err(ReplanError::Solver { source });
        }
        report.latency = t0.elapsed();
        Ok(report)
    }

    /// Checks a plan given as one stop list per courier: as many lists as couriers, every
    /// stop known and on one list at most.
    fn check_plan_shape(&self, routes: &[Vec<u32>]) -> Result<(), ReplanError> {
        if routes.len() != self.couriers.len() {
            return Err(ReplanError::PlanShape {
                routes: routes.len(),
                couriers: self.couriers.len(),
            });
        }
        let mut seen = vec![false; self.stops.len()];
        for (k, r) in routes.iter().enumerate() {
            for (i, &s) in r.iter().enumerate() {
                if s as usize >= seen.len() || seen[s as usize] {
                    return Err(ReplanError::PlanStop {
                        field: format!("routes[{k}][{i}]"),
                        stop: s as usize,
                    });
                }
                seen[s as usize] = true;
            }
        }
        Ok(())
    }

    /// Sets the time-of-day slots of the travel times (see [`TravelTimes::with_slots`]) and
    /// re-times the plan with them. Traffic updates keep them.
    pub fn set_slots(&mut self, slots: Vec<crate::SpeedSlot>) -> Result<(), ReplanError> {
        self.times.set_slots(slots)?;
        self.refresh_schedule();
        Ok(())
    }

    /// The current time.
    pub fn clock_s(&self) -> i64 {
        self.clock_s
    }
    /// The travel times in use.
    pub fn times(&self) -> &TravelTimes {
        &self.times
    }
    /// The depot location.
    pub fn depot(&self) -> u32 {
        self.depot
    }
    /// All stops (the index is the stop id).
    pub fn stops(&self) -> &[StopSpec] {
        &self.stops
    }
    /// The state of every stop.
    pub fn states(&self) -> &[StopState] {
        &self.state
    }
    /// The couriers.
    pub fn couriers(&self) -> &[CourierSpec] {
        &self.couriers
    }
    /// Every courier's route.
    pub fn routes(&self) -> &[CourierRoute] {
        &self.routes
    }
    /// Planned arrival of every pending stop on a route (the current promise to the household).
    pub fn eta(&self) -> &[Option<i64>] {
        &self.eta
    }
    /// The first promise made to every stop (when it was first planned).
    pub fn first_promise(&self) -> &[Option<i64>] {
        &self.promise
    }
    /// The weights.
    pub fn weights(&self) -> Weights {
        self.weights
    }
    /// Sets how many ruin-and-recreate iterations (see [`Dispatch::improve`]) the answer to
    /// an event may add after repair and local search, centred on the change and the stops
    /// left unserved, within the re-plan budget (default 0: none). A cap, not a time, so the
    /// answer stays deterministic.
    pub fn set_answer_ruin_recreate(&mut self, iterations: u64) {
        self.answer_ruin_recreate = iterations;
    }
    /// Replaces the weights of the objective (e.g. no disruption cost for a reference
    /// re-solve that owes nothing to the plan before); each must lie in `0..=MAX_WEIGHT`.
    pub fn set_weights(&mut self, weights: Weights) -> Result<(), ReplanError> {
        check_weights(&weights)?;
        self.weights = weights;
        Ok(())
    }

    /// Adds a location (a new order's address) to the matrix; see [`TravelTimes::push_location`].
    pub fn add_location(
        &mut self,
        from_new: &[(i64, i64)],
        to_new: &[(i64, i64)],
    ) -> Result<u32, ReplanError> {
        self.times.push_location(from_new, to_new)
    }

    /// How the day moves forward.
    pub fn progression(&self) -> Progression {
        self.progression
    }

    /// Sets how the day moves forward ([`Progression::Simulated`] by default).
    pub fn set_progression(&mut self, progression: Progression) {
        self.progression = progression;
    }

    /// Advances the clock. [`Progression::Simulated`]: every stop whose service ends by `t`
    /// is done, the stop a courier has set off to becomes committed. Idle couriers wait
    /// where they are. [`Progression::Reported`]: only the clock moves (a courier that has
    /// not left yet leaves at `t` at the earliest); the couriers' reports move them.
    pub fn advance_to(&mut self, t: i64) {
        if t < self.clock_s {
            return;
        }
        if self.progression == Progression::Reported {
            for r in self.routes.iter_mut().filter(|r| r.active) {
                if !r.departed || (r.committed.is_none() && r.planned.is_empty()) {
                    r.anchor_s = r.anchor_s.max(t);
                }
            }
            self.clock_s = t;
            return;
        }
        for k in 0..self.routes.len() {
            let r = &mut self.routes[k];
            if !r.active {
                continue;
            }
            let (state, eta) = (&mut self.state, &mut self.eta);
            ride(r, &self.stops, &self.times, t, |c, arrival_s| {
                state[c as usize] = StopState::Done {
                    courier: k,
                    arrival_s,
                };
                eta[c as usize] = Some(arrival_s);
            });
        }
        self.clock_s = t;
    }

    /// Runs the rest of the day as planned and brings every courier home.
    pub fn finish(&mut self) {
        self.advance_to(i64::MAX / 4);
        for r in &mut self.routes {
            if r.departed && r.anchor_loc != self.depot {
                r.travel_done_s += self.times.travel_at(r.anchor_loc, self.depot, r.anchor_s);
                r.dist_done_m += self.times.dist(r.anchor_loc, self.depot);
                r.anchor_loc = self.depot;
            }
        }
    }

    fn find_household(&self, household: u32, done_ok: bool) -> Option<u32> {
        (0..self.stops.len() as u32).rev().find(|&s| {
            self.stops[s as usize].household == household
                && (self.state[s as usize] == StopState::Pending
                    || (done_ok && matches!(self.state[s as usize], StopState::Done { .. })))
        })
    }

    /// Removes a pending stop from the route holding it (not a committed one); returns the
    /// stops left on that route (where room was freed), empty if not found.
    fn take_from_route(&mut self, s: u32) -> Vec<u32> {
        for r in &mut self.routes {
            if let Some(p) = r.planned.iter().position(|&x| x == s) {
                r.planned.remove(p);
                return r.pending().collect();
            }
        }
        Vec::new()
    }

    /// The courier whose route holds pending stop `s` (committed or planned).
    fn route_of(&self, s: u32) -> Option<usize> {
        self.routes
            .iter()
            .position(|r| r.active && (r.committed == Some(s) || r.planned.contains(&s)))
    }

    /// Courier `k` has visited pending stop `s` at `t` (delivered or failed at the door):
    /// the stop leaves its route for the stops done, the courier's anchor moves there (unless
    /// it has reported from later already) and it heads to its next stop.
    fn visit(&mut self, k: usize, s: u32, t: i64) {
        let spec = &self.stops[s as usize];
        let r = &mut self.routes[k];
        if r.committed == Some(s) {
            r.committed = None;
        } else if let Some(p) = r.planned.iter().position(|&x| x == s) {
            r.planned.remove(p);
        }
        r.travel_done_s += self.times.travel_at(r.anchor_loc, spec.loc, r.anchor_s);
        r.dist_done_m += self.times.dist(r.anchor_loc, spec.loc);
        r.load_done += spec.bottles;
        r.done.push(s);
        if t >= r.anchor_s || !r.departed {
            r.anchor_loc = spec.loc;
            r.anchor_s = t;
        }
        r.departed = true;
        if r.committed.is_none() && !r.planned.is_empty() {
            r.committed = Some(r.planned.remove(0));
        }
    }

    fn is_committed(&self, s: u32) -> bool {
        self.routes.iter().any(|r| r.committed == Some(s))
    }

    fn push_stop(&mut self, spec: StopSpec, origin: StopOrigin) -> u32 {
        let id = self.stops.len() as u32;
        self.stops.push(spec);
        self.origin.push(origin);
        self.state.push(StopState::Pending);
        self.courier_of.push(None);
        self.eta.push(None);
        self.promise.push(None);
        let nb = self.nearest(id);
        self.neighbours.push(nb);
        id
    }

    /// Checks an event against the day without changing it: its time (not before the
    /// clock), the courier it names, the sizes and quantities it brings.
    fn check_event(&self, event: &Event) -> Result<(), ReplanError> {
        let report = matches!(
            event.kind,
            EventKind::Delivered { .. } | EventKind::Failed { .. }
        );
        if event.time_s < self.clock_s && !report {
            return Err(ReplanError::StaleEvent {
                event_s: event.time_s,
                clock_s: self.clock_s,
            });
        }
        in_range(|| "event.time_s".to_string(), event.time_s, 0, MAX_TIME_S)?;
        match &event.kind {
            EventKind::Traffic(times) => {
                if times.len() != self.times.len() {
                    return Err(ReplanError::MatrixSize {
                        field: "event.times".to_string(),
                        expected: self.times.len(),
                        found: times.len(),
                    });
                }
            }
            EventKind::NewOrder(spec) => {
                if self.stops.len() >= MAX_STOPS {
                    return Err(ReplanError::TooMany {
                        field: "stops".to_string(),
                        count: self.stops.len() + 1,
                        max: MAX_STOPS,
                    });
                }
                check_stop("event.order", spec, self.times.len())?;
            }
            EventKind::Failed {
                retry_s: Some(w), ..
            } => check_window("event.retry_s", *w)?,
            EventKind::Breakdown { courier } | EventKind::SignedOff { courier } => {
                if *courier >= self.routes.len() {
                    return Err(courier_error(*courier));
                }
            }
            EventKind::Position { courier, loc } => {
                if *courier >= self.routes.len() {
                    return Err(courier_error(*courier));
                }
                if *loc as usize >= self.times.len() {
                    return Err(ReplanError::Location {
                        field: "event.loc".to_string(),
                        loc: *loc as usize,
                        size: self.times.len(),
                    });
                }
            }
            EventKind::Delay { courier, delay_s } => {
                if *courier >= self.routes.len() {
                    return Err(courier_error(*courier));
                }
                in_range(|| "event.delay_s".to_string(), *delay_s, 0, MAX_TIME_S)?;
            }
            EventKind::AddBottles { household, bottles } => {
                self.check_add_bottles(event.time_s, *household, *bottles)?;
            }
            EventKind::Cancel { .. }
            | EventKind::Failed { retry_s: None, .. }
            | EventKind::Delivered { .. } => {}
        }
        Ok(())
    }

    /// The household's stop that more bottles go to: its latest stop still to be served
    /// (pending, or unserved so far).
    fn growing_stop(&self, household: u32) -> Option<u32> {
        (0..self.stops.len() as u32).rev().find(|&s| {
            self.stops[s as usize].household == household
                && matches!(
                    self.state[s as usize],
                    StopState::Pending | StopState::Unserved(_)
                )
        })
    }

    /// Bottles courier `k`'s trike carries this morning: those delivered and those still
    /// on its route.
    fn route_load(&self, k: usize) -> i64 {
        let r = &self.routes[k];
        r.pending()
            .map(|s| self.stops[s as usize].bottles)
            .fold(r.load_done, i64::saturating_add)
    }

    /// Checks [`EventKind::AddBottles`] at `time_s`: a count in range, a stop to take it, a
    /// total within [`MAX_BOTTLES`], and room on the trike of a courier on the way to it by
    /// then (a simulated day rides the stop's route to `time_s` on a copy first).
    fn check_add_bottles(
        &self,
        time_s: i64,
        household: u32,
        bottles: i64,
    ) -> Result<(), ReplanError> {
        in_range(|| "event.bottles".to_string(), bottles, 1, MAX_BOTTLES)?;
        let Some(s) = self.growing_stop(household) else {
            return Err(ReplanError::Household {
                field: "event.household".to_string(),
                household,
                problem: "no delivery still to make today".to_string(),
            });
        };
        let total = self.stops[s as usize].bottles.checked_add(bottles);
        match total {
            Some(t) if t <= MAX_BOTTLES => {}
            _ => {
                return Err(ReplanError::Household {
                    field: "event.bottles".to_string(),
                    household,
                    problem: format!(
                        "{} + {bottles} bottles is over the most one stop takes ({MAX_BOTTLES})",
                        self.stops[s as usize].bottles
                    ),
                })
            }
        }
        let nothing_left = || ReplanError::Household {
            field: "event.household".to_string(),
            household,
            problem: "no delivery still to make today".to_string(),
        };
        let mut heading = None;
        if let Some(k) = self.route_of(s) {
            let r = &self.routes[k];
            let committed = if self.progression == Progression::Simulated && time_s > r.anchor_s {
                let mut r = r.clone();
                let mut served = false;
                ride(&mut r, &self.stops, &self.times, time_s, |c, _| {
                    served |= c == s;
                });
                if served {
                    return Err(nothing_left());
                }
                r.committed
            } else {
                r.committed
            };
            if committed == Some(s) {
                heading = Some(k);
            }
        }
        if let Some(k) = heading {
            let load = self.route_load(k).saturating_add(bottles);
            let capacity = self.couriers[k].capacity;
            if load > capacity {
                return Err(ReplanError::Household {
                    field: "event.bottles".to_string(),
                    household,
                    problem: format!(
                        "courier {k} is on the way to the door and its trike would carry \
                         {load} bottles, over its capacity of {capacity}"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Applies an event at its time and re-plans (the event is taken by value so a traffic
    /// matrix is moved in, not copied).
    pub fn apply(
        &mut self,
        event: Event,
        options: &ReplanOptions,
    ) -> Result<ReplanReport, ReplanError> {
        let t0 = Instant::now();
        // Everything is checked before anything changes: an error leaves the day as it was.
        self.check_event(&event)?;
        self.advance_to(event.time_s);
        let mut pool = Vec::new();
        let mut seeds = Vec::new();
        // Stops of a route that lost a stop (room freed for a stop left unserved nearby).
        let mut freed = Vec::new();
        let mut notes = Vec::new();
        let mut added = Vec::new();
        let Event { time_s, kind } = event;
        let name = kind.event_type();
        let kind = match kind {
            EventKind::Traffic(times) => {
                // Seeds: stops next to a leg whose travel time changed.
                for r in self.routes.iter().filter(|r| r.active) {
                    let mut prev = r.anchor_loc;
                    for s in r.pending() {
                        let l = self.stops[s as usize].loc;
                        if times.travel(prev, l) != self.times.travel(prev, l) {
                            seeds.push(s);
                        }
                        prev = l;
                    }
                }
                let mut times = *times;
                times.keep_slots_of(&self.times);
                self.times = times;
                None
            }
            other => Some(other),
        };
        match &kind {
            None => {}
            Some(EventKind::Traffic(_)) => {}
            Some(EventKind::NewOrder(spec)) => {
                let id = self.push_stop(spec.clone(), StopOrigin::NewOrder);
                pool.push(id);
                added.push(id);
            }
            Some(EventKind::Cancel { household }) => match self.find_household(*household, true) {
                Some(s)
                    if self.state[s as usize] == StopState::Pending && !self.is_committed(s) =>
                {
                    freed = self.take_from_route(s);
                    self.state[s as usize] = StopState::Cancelled;
                    self.eta[s as usize] = None;
                    seeds.extend(self.neighbours[s as usize].iter().copied());
                }
                Some(s) => notes.push(Note::CancelTooLate {
                    household: *household,
                    stop: s,
                }),
                None => notes.push(Note::NothingToCancel {
                    household: *household,
                }),
            },
            Some(EventKind::Failed { household, retry_s }) => {
                // A courier's failure report received again (same household, same time):
                // nothing changes.
                let reported = self.progression == Progression::Reported;
                let replayed = (0..self.stops.len() as u32).find(|&s| {
                    reported
                        && self.stops[s as usize].household == *household
                        && self.state[s as usize] == StopState::Failed
                        && self.eta[s as usize] == Some(time_s)
                });
                match replayed.or_else(|| self.find_household(*household, true)) {
                    Some(s) if replayed == Some(s) => notes.push(Note::AlreadyFailed {
                        household: *household,
                        stop: s,
                    }),
                    Some(s)
                        if self.is_committed(s) && self.progression == Progression::Simulated =>
                    {
                        notes.push(Note::FailureBeforeVisit {
                            household: *household,
                            stop: s,
                        })
                    }
                    Some(s) => {
                        self.failures += 1;
                        // Reported by the courier: the visit happened.
                        let visited = match self.progression {
                            Progression::Reported => self.route_of(s),
                            _ => None,
                        };
                        if let Some(k) = visited {
                            self.visit(k, s, time_s);
                            // The time of the failed visit (a replay of the report is known).
                            self.eta[s as usize] = Some(time_s);
                            seeds.extend(self.routes[k].pending());
                        }
                        if time_s < self.clock_s {
                            notes.push(Note::LateReport {
                                household: *household,
                                time_s,
                                clock_s: self.clock_s,
                            });
                        }
                        let done = visited.is_some()
                            || matches!(self.state[s as usize], StopState::Done { .. });
                        if done {
                            self.state[s as usize] = StopState::Failed;
                        } else {
                            freed = self.take_from_route(s);
                        }
                        match retry_s {
                            Some(w) => {
                                let mut spec = self.stops[s as usize].clone();
                                spec.window_s = *w;
                                if done {
                                    let id = self.push_stop(spec, StopOrigin::Retry);
                                    // The courier who failed keeps the retry unless moving pays.
                                    self.courier_of[id as usize] = self.courier_of[s as usize];
                                    pool.push(id);
                                    added.push(id);
                                } else {
                                    // Known before the visit: the same stop moves to the new window.
                                    self.stops[s as usize] = spec;
                                    self.origin[s as usize] = StopOrigin::Retry;
                                    pool.push(s);
                                }
                            }
                            None => {
                                self.state[s as usize] = StopState::CarriedOver;
                                self.eta[s as usize] = None;
                                notes.push(Note::CarriedOver {
                                    household: *household,
                                    stop: s,
                                });
                            }
                        }
                    }
                    None => notes.push(Note::NothingToFail {
                        household: *household,
                    }),
                }
            }
            Some(EventKind::Delivered { household }) => {
                match self.find_household(*household, true) {
                    Some(s) if matches!(self.state[s as usize], StopState::Done { .. }) => notes
                        .push(Note::AlreadyDelivered {
                            household: *household,
                            stop: s,
                        }),
                    Some(s) => {
                        let on_route = self.route_of(s);
                        if let Some(k) = on_route {
                            self.visit(k, s, time_s);
                            seeds.extend(self.routes[k].pending());
                        }
                        // A stop on no route is done only if a courier is known for it.
                        match on_route.or(self.courier_of[s as usize]) {
                            Some(k) => {
                                self.state[s as usize] = StopState::Done {
                                    courier: k,
                                    arrival_s: time_s,
                                };
                                self.eta[s as usize] = Some(time_s);
                            }
                            None => notes.push(Note::NotOnARoute {
                                household: *household,
                                stop: s,
                            }),
                        }
                        if time_s < self.clock_s {
                            notes.push(Note::LateReport {
                                household: *household,
                                time_s,
                                clock_s: self.clock_s,
                            });
                        }
                    }
                    None => notes.push(Note::NothingToDeliver {
                        household: *household,
                    }),
                }
            }
            Some(EventKind::AddBottles { household, bottles }) => {
                // Checked: the stop exists, the total is in range, a committed stop fits.
                if let Some(s) = self.growing_stop(*household) {
                    let route = self.route_of(s);
                    let spec = &mut self.stops[s as usize];
                    spec.bottles = spec.bottles.saturating_add(*bottles);
                    match route {
                        Some(k) if self.route_load(k) <= self.couriers[k].capacity => {
                            seeds.push(s);
                        }
                        // Over the trike's capacity (not committed, as checked): placed
                        // again, on another courier or unserved with the reason.
                        Some(_) => {
                            freed = self.take_from_route(s);
                            pool.push(s);
                        }
                        None => {
                            self.state[s as usize] = StopState::Pending;
                            pool.push(s);
                        }
                    }
                }
            }
            Some(EventKind::Position { courier, loc }) => {
                let r = &mut self.routes[*courier];
                if r.active {
                    r.travel_done_s += self.times.travel_at(r.anchor_loc, *loc, r.anchor_s);
                    r.dist_done_m += self.times.dist(r.anchor_loc, *loc);
                    r.departed |= *loc != r.anchor_loc;
                    r.anchor_loc = *loc;
                    r.anchor_s = time_s;
                    if r.departed && r.committed.is_none() && !r.planned.is_empty() {
                        r.committed = Some(r.planned.remove(0));
                    }
                    seeds.extend(r.planned.iter().copied());
                }
            }
            Some(EventKind::Breakdown { courier }) | Some(EventKind::SignedOff { courier }) => {
                let r = self
                    .routes
                    .get_mut(*courier)
                    .ok_or_else(|| courier_error(*courier))?;
                if r.active {
                    r.active = false;
                    pool.extend(r.pending());
                    r.committed = None;
                    r.planned.clear();
                }
            }
            Some(EventKind::Delay { courier, delay_s }) => {
                let now = self.clock_s;
                let r = self
                    .routes
                    .get_mut(*courier)
                    .ok_or_else(|| courier_error(*courier))?;
                if r.departed {
                    r.anchor_s += delay_s.max(&0);
                } else {
                    r.anchor_s = r.anchor_s.max(now) + delay_s.max(&0);
                }
                seeds.extend(r.planned.iter().copied());
            }
        }
        let work = match self.answer_ruin_recreate {
            0 => Work::ANSWER,
            n => Work {
                lns_until: Some(t0 + options.budget),
                lns_iterations: n,
                seed: options.seed ^ time_s as u64,
                ..Work::ANSWER
            },
        };
        // From scratch, a problem the solver refuses leaves the stops unserved (the event is
        // applied already; with a day checked at `new` it does not happen).
        let (mut report, _) = self.replan(t0, name, pool, seeds, &freed, options, work);
        report.time_s = time_s;
        report.notes.extend(notes);
        report.added = added;
        report.latency = t0.elapsed();
        Ok(report)
    }

    /// Re-plans the current state without an event (every planned stop is a seed), e.g. to
    /// compare a strategy against a longer from-scratch solve on the same state.
    pub fn reoptimize(&mut self, options: &ReplanOptions) -> ReplanReport {
        let t0 = Instant::now();
        let seeds: Vec<u32> = self
            .routes
            .iter()
            .filter(|r| r.active)
            .flat_map(|r| r.planned.iter().copied())
            .collect();
        let (mut report, _) = self.replan(
            t0,
            EventType::Reoptimize,
            Vec::new(),
            seeds,
            &[],
            options,
            Work::ALL,
        );
        report.latency = t0.elapsed();
        report
    }

    /// Improves the plan between events, as a dispatch system does in the background while
    /// the couriers ride: every stop left unserved whose window is still open is tried
    /// again, then ruin and recreate (strings of stops around a centre taken out and put back by
    /// regret insertion) and the local search
    /// run until the budget is spent. The objective is the re-plan's (travel, moves to
    /// another courier, promise shifts, unserved stops), so a change is made only where it
    /// pays; done and committed stops never move. The clock does not advance.
    pub fn improve(&mut self, options: &ImproveOptions) -> ReplanReport {
        let t0 = Instant::now();
        let work = Work {
            retry_all: true,
            lns_until: Some(t0 + options.budget),
            lns_iterations: options.max_iterations.unwrap_or(u64::MAX),
            seed: options.seed ^ self.clock_s as u64,
        };
        let replan = ReplanOptions {
            budget: options.budget,
            strategy: Strategy::Repair,
            seed: options.seed,
            cancel: options.cancel.clone(),
            progress: options.progress.clone(),
            ..ReplanOptions::default()
        };
        let (mut report, _) = self.replan(
            t0,
            EventType::Improve,
            Vec::new(),
            Vec::new(),
            &[],
            &replan,
            work,
        );
        report.latency = t0.elapsed();
        report
    }

    /// The re-plan: `pool` holds stops to place, `seeds` stops near the change (local
    /// search starts there), `freed` stops of routes where room was freed (stops left
    /// unserved next to them are retried too).
    #[allow(clippy::too_many_arguments)]
    fn replan(
        &mut self,
        t0: Instant,
        event: EventType,
        pool: Vec<u32>,
        seeds: Vec<u32>,
        freed: &[u32],
        options: &ReplanOptions,
        work: Work,
    ) -> (ReplanReport, Option<milkrun_vrp::ProblemError>) {
        let mut solver_error = None;
        let before_courier = self.courier_of.clone();
        let before_eta = self.eta.clone();
        let remaining: usize = self
            .routes
            .iter()
            .filter(|r| r.active)
            .map(|r| r.planned.len())
            .sum();
        let deadline = Deadline::new(t0 + options.budget, options.cancel.as_ref());
        let report_phase = |phase: Phase, cost: i64| {
            if let Some(f) = &options.progress {
                f(&Progress {
                    phase,
                    cost,
                    elapsed: t0.elapsed(),
                });
            }
        };
        let mut evaluations = 0;
        let mut ruin_recreate = (0, 0);
        // Stops left unserved earlier are tried again while their window is open (a jam
        // cleared, another stop was cancelled), unless no courier could reach them in time.
        // Answering an event, only those next to the change (the stop itself or one of its
        // nearest stops was touched by the event) are tried: elsewhere nothing changed.
        let clock = self.clock_s;
        let mut changed = vec![false; if work.retry_all { 0 } else { self.stops.len() }];
        if !work.retry_all {
            for &s in seeds.iter().chain(&pool).chain(freed) {
                if let Some(c) = changed.get_mut(s as usize) {
                    *c = true;
                }
            }
        }
        let near_change = |s: u32| {
            work.retry_all
                || changed[s as usize]
                || self.neighbours[s as usize]
                    .iter()
                    .any(|&v| changed[v as usize])
        };
        let retried: Vec<u32> = (0..self.stops.len() as u32)
            .filter(|&s| match self.state[s as usize] {
                StopState::Unserved(UnservedReason::WindowMissed { .. })
                | StopState::Unserved(UnservedReason::NoActiveCourier) => false,
                // Short of bottles: few, and any cancellation may free one; always retried.
                StopState::Unserved(UnservedReason::NoCapacity) => {
                    self.stops[s as usize].window_s.1 > clock
                }
                StopState::Unserved(_) => {
                    self.stops[s as usize].window_s.1 > clock && near_change(s)
                }
                _ => false,
            })
            .collect();
        for &s in &retried {
            self.state[s as usize] = StopState::Pending;
        }
        let mut pool = pool;
        pool.extend(retried.iter().copied());
        let unserved = match options.strategy {
            Strategy::Repair => {
                let view = self.view();
                let mut caches: Vec<Option<RouteCache>> = self
                    .routes
                    .iter()
                    .zip(&self.couriers)
                    .map(|(r, c)| {
                        r.active
                            .then(|| RouteCache::build(r, c, &self.stops, &self.times, self.depot))
                    })
                    .collect();
                let mut pool = pool;
                let mut touched = seeds;
                repair::restore_feasibility(&view, &mut caches, &mut pool);
                touched.extend(pool.iter().copied());
                let mut unserved = repair::insert_regret(&view, &mut caches, &pool, &deadline);
                // Stops that fit nowhere as the routes stand: one ejection each, within a
                // quarter of the budget when answering an event (a jam or a breakdown may
                // leave a hundred; background improvement takes up the rest).
                let penalty = self.weights.unserved_penalty;
                let cost_now = |caches: &[Option<RouteCache>], unserved: usize| {
                    if options.progress.is_none() {
                        return 0;
                    }
                    let routes: i64 = caches
                        .iter()
                        .enumerate()
                        .filter_map(|(k, c)| c.as_ref().map(|c| route_cost(&view, k, c)))
                        .sum();
                    routes.saturating_add(penalty.saturating_mul(unserved as i64))
                };
                report_phase(Phase::Repair, cost_now(&caches, unserved.len()));
                let eject_until = if work.lns_until.is_some() {
                    deadline.clone()
                } else {
                    deadline.until(t0 + options.budget / 4)
                };
                // Background improvement and the nightly polish (not the answer, even with
                // ruin and recreate) also try chains of two ejections.
                let chains = work.retry_all && work.lns_until.is_some();
                let ej = if chains {
                    eject::run_chains(&view, &mut caches, &mut unserved, &eject_until)
                } else {
                    eject::run(&view, &mut caches, &mut unserved, &eject_until)
                };
                report_phase(Phase::Eject, cost_now(&caches, unserved.len()));
                touched.extend(ej.touched);
                let focus = if work.lns_until.is_some() {
                    touched.clone()
                } else {
                    Vec::new()
                };
                evaluations = search::improve(
                    &view,
                    &mut caches,
                    touched,
                    &deadline,
                    options.max_evaluations,
                );
                report_phase(Phase::LocalSearch, cost_now(&caches, unserved.len()));
                if let Some(until) = work.lns_until {
                    let until = deadline.until(until);
                    let st = lns::run(
                        &view,
                        &mut caches,
                        &mut unserved,
                        &focus,
                        &until,
                        work.lns_iterations,
                        work.seed,
                    );
                    ruin_recreate = (st.iterations, st.accepted);
                    let mut seeds = st.touched;
                    let ej = if chains {
                        eject::run_chains(&view, &mut caches, &mut unserved, &until)
                    } else {
                        eject::run(&view, &mut caches, &mut unserved, &until)
                    };
                    seeds.extend(ej.touched);
                    evaluations +=
                        search::improve(&view, &mut caches, seeds, &until, options.max_evaluations);
                    report_phase(Phase::RuinRecreate, cost_now(&caches, unserved.len()));
                }
                for (r, c) in self.routes.iter_mut().zip(&caches) {
                    if let Some(c) = c {
                        r.planned = c.planned().to_vec();
                    }
                }
                unserved
            }
            Strategy::FromScratch => {
                let progress = options.progress.clone().map(|f| {
                    let solver: milkrun_vrp::ProgressFn = std::sync::Arc::new(move |p| {
                        f(&Progress {
                            phase: Phase::Solver,
                            cost: p.best_cost,
                            elapsed: t0.elapsed(),
                        })
                    });
                    solver
                });
                let solver = milkrun_vrp::SolverOptions {
                    seed: options.seed,
                    iteration_limit: options.iteration_limit,
                    progress,
                    ..Default::default()
                };
                let resolved = baseline::resolve(&self.view(), pool, &deadline, solver);
                for (r, planned) in self.routes.iter_mut().zip(resolved.planned) {
                    r.planned = planned;
                }
                solver_error = resolved.error;
                resolved.unserved
            }
        };
        for &(s, why) in &unserved {
            self.state[s as usize] = StopState::Unserved(why);
            self.eta[s as usize] = None;
            self.courier_of[s as usize] = None;
        }
        // Report only the stops that became unserved with this re-plan.
        let unserved: Vec<(u32, UnservedReason)> = unserved
            .into_iter()
            .filter(|u| !retried.contains(&u.0))
            .collect();
        self.refresh_schedule();
        let mut moved = Vec::new();
        let mut affected = vec![false; self.routes.len()];
        let (mut shifted, mut max_shift) = (0, 0);
        for s in 0..self.stops.len() {
            if self.state[s] != StopState::Pending {
                continue;
            }
            if let (Some(a), Some(b)) = (before_courier[s], self.courier_of[s]) {
                if a != b {
                    moved.push(Move {
                        stop: s as u32,
                        from: a,
                        to: b,
                    });
                    affected[a] = true;
                    affected[b] = true;
                }
            }
            if let (Some(a), Some(b)) = (before_eta[s], self.eta[s]) {
                let d = (a - b).abs();
                max_shift = max_shift.max(d);
                if d > 300 {
                    shifted += 1;
                    if let Some(c) = self.courier_of[s] {
                        affected[c] = true;
                    }
                }
            }
        }
        let cost = self.plan_cost();
        report_phase(Phase::Done, cost);
        let report = ReplanReport {
            time_s: self.clock_s,
            event,
            latency: t0.elapsed(),
            remaining,
            moved,
            couriers_affected: (0..affected.len()).filter(|&k| affected[k]).collect(),
            arrivals_shifted: shifted,
            max_shift_s: max_shift,
            unserved,
            added: Vec::new(),
            notes: Vec::new(),
            cost,
            evaluations,
            ruin_recreate,
            cancelled: deadline.cancelled(),
        };
        (report, solver_error)
    }

    /// Recomputes the planned arrival and courier of every pending stop on a route.
    pub(crate) fn refresh_schedule(&mut self) {
        for k in 0..self.routes.len() {
            if !self.routes[k].active {
                continue;
            }
            let (visits, _) = schedule(&self.routes[k], &self.stops, &self.times, self.depot);
            for v in visits {
                self.eta[v.stop as usize] = Some(v.arrival_s);
                self.courier_of[v.stop as usize] = Some(k);
                if self.promise[v.stop as usize].is_none() {
                    // A stop planned for the first time (new order, retry) is promised now.
                    self.promise[v.stop as usize] = Some(v.arrival_s);
                }
            }
        }
    }

    /// The day's objective as planned now: travel driven plus travel planned (with the
    /// return to the depot), plus the unserved penalty per stop that cannot be served.
    pub fn plan_cost(&self) -> i64 {
        let mut cost = 0;
        for r in &self.routes {
            cost += r.travel_done_s;
            if r.active && (r.departed || !r.planned.is_empty() || r.committed.is_some()) {
                cost += pending_travel(r, &self.stops, &self.times, self.depot);
            }
        }
        let unserved = self
            .state
            .iter()
            .filter(|s| matches!(s, StopState::Unserved(_)))
            .count() as i64;
        cost + unserved * self.weights.unserved_penalty
    }

    /// Where every stop comes from (morning plan, new order, retry).
    pub fn origins(&self) -> &[StopOrigin] {
        &self.origin
    }

    /// How the day stands (after [`Dispatch::finish`]: how it ended), counted: deliveries
    /// by origin, failures, carry-overs and cancellations apart from unserved stops, and
    /// unserved stops by reason.
    pub fn summary(&self) -> DaySummary {
        let mut out = DaySummary {
            failed: self.failures,
            ..Default::default()
        };
        let bump = |v: &mut Vec<(UnservedReason, usize)>, r: UnservedReason| {
            let k = reason_kind(r);
            match v.iter_mut().find(|e| e.0 == k) {
                Some(e) => e.1 += 1,
                None => v.push((k, 1)),
            }
        };
        for (st, origin) in self.state.iter().zip(&self.origin) {
            match (st, origin) {
                (StopState::Done { .. }, StopOrigin::Planned) => out.delivered += 1,
                (StopState::Done { .. }, StopOrigin::NewOrder) => out.delivered_new += 1,
                (StopState::Done { .. }, StopOrigin::Retry) => out.delivered_retry += 1,
                (StopState::CarriedOver, _) => out.carried_over += 1,
                (StopState::Cancelled, _) => out.cancelled += 1,
                (StopState::Unserved(r), StopOrigin::Retry) => bump(&mut out.retry_unserved, *r),
                (StopState::Unserved(r), _) => bump(&mut out.unserved, *r),
                (StopState::Pending, _) => out.pending += 1,
                (StopState::Failed, _) => {}
            }
        }
        out
    }

    /// Travel driven so far (seconds, metres) by all couriers.
    pub fn driven(&self) -> (i64, i64) {
        (
            self.routes.iter().map(|r| r.travel_done_s).sum(),
            self.routes.iter().map(|r| r.dist_done_m).sum(),
        )
    }
}

/// Rides courier route `r` as planned up to `t` ([`Progression::Simulated`]): every stop
/// whose service ends by `t` is done (`done(stop, arrival_s)`), the stop it has set off to
/// becomes committed; an idle courier waits where it is.
fn ride(
    r: &mut CourierRoute,
    stops: &[StopSpec],
    times: &TravelTimes,
    t: i64,
    mut done: impl FnMut(u32, i64),
) {
    loop {
        if !r.departed {
            let Some(&first) = r.planned.first() else {
                break;
            };
            let dep = departure(r, Some(&stops[first as usize]), times);
            if dep > t {
                break;
            }
            r.departed = true;
            r.anchor_s = dep;
            r.committed = Some(r.planned.remove(0));
        }
        let Some(c) = r.committed else {
            if let Some(&first) = r.planned.first() {
                r.committed = Some(first);
                r.planned.remove(0);
                continue;
            }
            break;
        };
        let spec = &stops[c as usize];
        let travel = times.travel_at(r.anchor_loc, spec.loc, r.anchor_s);
        let arrival = r.anchor_s + travel;
        let dep = arrival.max(spec.window_s.0) + spec.service_s;
        if dep > t {
            break;
        }
        r.travel_done_s += travel;
        r.dist_done_m += times.dist(r.anchor_loc, spec.loc);
        r.load_done += spec.bottles;
        r.done.push(c);
        r.anchor_loc = spec.loc;
        r.anchor_s = dep;
        r.committed = None;
        done(c, arrival);
        if !r.planned.is_empty() {
            r.committed = Some(r.planned.remove(0));
        }
    }
    if r.committed.is_none() && r.planned.is_empty() {
        r.anchor_s = r.anchor_s.max(t);
    }
    if !r.departed {
        r.anchor_s = r.anchor_s.max(t);
    }
}

/// The error of an unknown courier named by an event.
fn courier_error(index: usize) -> ReplanError {
    ReplanError::Courier {
        field: "event.courier".to_string(),
        index,
    }
}

/// Checks a window of times of day: both ends in `0..=MAX_TIME_S`, start before end.
fn check_window(field: &str, w: (i64, i64)) -> Result<(), ReplanError> {
    in_range(|| format!("{field}.0"), w.0, 0, MAX_TIME_S)?;
    in_range(|| format!("{field}.1"), w.1, 0, MAX_TIME_S)?;
    if w.1 < w.0 {
        return Err(ReplanError::Window {
            field: field.to_string(),
            start: w.0,
            end: w.1,
        });
    }
    Ok(())
}

/// Checks a stop (`field`: its path, e.g. `stops[3]`) against a matrix of `n` locations and
/// the bounds of quantities.
pub(crate) fn check_stop(field: &str, s: &StopSpec, n: usize) -> Result<(), ReplanError> {
    if s.loc as usize >= n {
        return Err(ReplanError::Location {
            field: format!("{field}.loc"),
            loc: s.loc as usize,
            size: n,
        });
    }
    in_range(|| format!("{field}.bottles"), s.bottles, 0, MAX_BOTTLES)?;
    in_range(|| format!("{field}.service_s"), s.service_s, 0, MAX_TIME_S)?;
    check_window(&format!("{field}.window_s"), s.window_s)
}

/// Checks the weights of the objective: each in `0..=MAX_WEIGHT`.
pub(crate) fn check_weights(w: &Weights) -> Result<(), ReplanError> {
    for (name, v) in [
        ("move_cost", w.move_cost),
        ("promise_tolerance_s", w.promise_tolerance_s),
        ("promise_per_s", w.promise_per_s),
        ("promise_cap_s", w.promise_cap_s),
        ("unserved_penalty", w.unserved_penalty),
    ] {
        in_range(|| format!("weights.{name}"), v, 0, MAX_WEIGHT)?;
    }
    Ok(())
}

/// Checks a courier (`field`: its path, e.g. `couriers[1]`).
pub(crate) fn check_courier(field: &str, c: &CourierSpec) -> Result<(), ReplanError> {
    in_range(|| format!("{field}.capacity"), c.capacity, 0, MAX_CAPACITY)?;
    check_window(
        &format!("{field}.shift_s"),
        (c.shift_start_s, c.shift_end_s),
    )
}
