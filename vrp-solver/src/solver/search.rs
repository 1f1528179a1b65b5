//! The metaheuristic: ruin-and-recreate with simulated annealing (SISR), and
//! for the hierarchical objective a fleet-minimisation phase first.

use std::sync::Arc;
use std::time::Instant;

use super::context::{budget_fraction, Context, SearchParams};
use super::eject;
use super::ls::LocalSearch;
use super::parallel::Snapshot;
use super::recreate::{recreate, sort_units, Scope};
use super::ruin::{remove_route, ruin};
use super::state::State;
use super::{BestRoutes, Limits, Progress};
use crate::problem::Objective;
use crate::rng::Rng;

/// The routes of `st`, shared with progress reports and other threads.
fn shared(st: &State) -> Arc<BestRoutes> {
    Arc::new(BestRoutes {
        routes: st.snapshot(),
    })
}

/// One independent search run.
pub(crate) struct Search<'a, 'c> {
    ctx: &'c Context<'a>,
    params: SearchParams,
    rng: Rng,
    limits: &'c Limits,
    started: Instant,
    pub iterations: u64,
    /// Local search, when the problem allows it.
    ls: Option<LocalSearch>,
    /// Every job (the seeds of a full local search).
    all_jobs: Vec<usize>,
    /// Jobs the first construction did not get to before the budget ran
    /// out (with their partners); empty when it finished.
    pub untried: Vec<usize>,
    /// Routes to start from instead of the construction ([`Search::start_from`]).
    start: Option<Arc<BestRoutes>>,
}

impl<'a, 'c> Search<'a, 'c> {
    pub fn new(ctx: &'c Context<'a>, params: SearchParams, seed: u64, limits: &'c Limits) -> Self {
        Self {
            ctx,
            params,
            rng: Rng::new(seed),
            limits,
            started: Instant::now(),
            iterations: 0,
            ls: ctx.ls_neighbours.as_ref().map(|nb| {
                let mut ls = LocalSearch::new(ctx.p, Arc::clone(nb));
                ls.swap_star = params.swap_star;
                ls
            }),
            all_jobs: (0..ctx.p.jobs.len()).collect(),
            untried: Vec::new(),
            start: None,
        }
    }

    /// Starts the run from `routes` (every job served) instead of the construction.
    pub fn start_from(&mut self, routes: Arc<BestRoutes>) {
        self.start = Some(routes);
    }

    /// Routes the recreate step asks about each job.
    fn scope(&self) -> Scope<'c> {
        match self.params.insert_neighbours {
            0 => Scope::All,
            _ if self.ctx.keys.has_windows => Scope::All,
            k => Scope::Near {
                neighbours: &self.ctx.neighbours,
                k,
            },
        }
    }

    /// Fraction of the budget used, in `[0, 1]`; `None` once it is spent.
    fn progress(&self) -> Option<f64> {
        budget_fraction(self.limits, self.started, self.iterations)
    }

    /// Runs to the end of the budget; returns the best routes and cost.
    pub fn run(&mut self, report: &mut dyn FnMut(Progress)) -> Snapshot {
        let p = self.ctx.p;
        let mut st = match self.start.take() {
            Some(routes) => State::from_routes(p, &routes.routes),
            None => {
                let mut st = State::empty(p);
                self.construct(&mut st);
                st
            }
        };
        st.commit();
        let mut best = (shared(&st), st.cost(p));
        self.report_best(report, &best);
        let hierarchical = p.objective == Objective::Hierarchical;
        let share = if hierarchical {
            self.params.fleet_share
        } else {
            self.params.fleet_share_weighted
        };
        // Route elimination (Nagata & Bräysy) takes over the second part of
        // the fleet phase where it applies.
        let use_eject = hierarchical && self.params.eject_split < 1.0 && eject::applicable(p);
        let sisr_share = if use_eject {
            share * self.params.eject_split
        } else {
            share
        };
        if share > 0.0 {
            if let Some(better) = self.minimise_fleet(&st, sisr_share, report) {
                st = better;
                if hierarchical || st.cost(p) < best.1 {
                    best = (shared(&st), st.cost(p));
                }
                self.report_best(report, &best);
            }
            if use_eject {
                if let Some(better) = self.eliminate_routes(&st, share, report) {
                    st = better;
                    best = (shared(&st), st.cost(p));
                    self.report_best(report, &best);
                }
            }
        }
        if hierarchical {
            st.route_limit = st.num_routes();
        }
        self.anneal(st, best, report)
    }

    /// The first solution: seed routes (where they apply), greedy insertion, local search.
    fn construct(&mut self, st: &mut State) {
        let p = self.ctx.p;
        let mut units = std::mem::take(&mut st.unassigned);
        sort_units(&self.ctx.keys, &mut units, &mut self.rng);
        super::seeds::open_seed_routes(p, st, &mut units, &self.ctx.empty_routes);
        let budget = &self.limits.budget;
        let untried = recreate(
            p,
            st,
            &units,
            &self.ctx.empty_routes,
            0.0,
            &mut self.rng,
            Scope::All,
            budget,
        );
        if untried > 0 {
            // Out of time (or cancelled) before every job was tried: the
            // partial construction is the answer; its untried jobs are
            // reported as such.
            for &u in &units[units.len() - untried..] {
                self.untried.push(u);
                self.untried.extend(p.jobs[u].partner);
            }
        } else if let Some(ls) = &mut self.ls {
            ls.improve(p, st, &self.all_jobs, budget);
        }
    }

    /// Reports `best` as the best solution so far.
    fn report_best(&self, report: &mut dyn FnMut(Progress), best: &Snapshot) {
        let served: usize = best.0.routes.iter().map(|r| r.1.len()).sum();
        report(Progress {
            elapsed: self.started.elapsed(),
            iterations: self.iterations,
            best_cost: best.1,
            vehicles: best.0.len(),
            routes: Arc::clone(&best.0),
            unassigned: self.ctx.p.jobs.len().saturating_sub(served),
        });
    }

    /// A copy of `st` improved by a full local search (`None` without one).
    fn polish(&mut self, st: &State) -> Option<State> {
        let ls = self.ls.as_mut()?;
        let mut out = st.clone();
        ls.improve(self.ctx.p, &mut out, &self.all_jobs, &self.limits.budget);
        out.commit();
        Some(out)
    }

    /// Simulated annealing over ruin-and-recreate steps.
    fn anneal(
        &mut self,
        mut st: State,
        mut best: Snapshot,
        report: &mut dyn FnMut(Progress),
    ) -> Snapshot {
        let p = self.ctx.p;
        let mut cur = st.cost(p);
        let start_frac = self.progress().unwrap_or(1.0);
        let t0 = self.params.t_start * self.ctx.scale;
        let tf = self.params.t_end * self.ctx.scale;
        let mut removed = Vec::new();
        let scope = self.scope();
        // Local search polishes a copy of each new best, at most once per
        // `polish_gap` of the budget and `polish_min_iters` iterations (so
        // it costs a bounded share of the run); the last unpolished best is polished
        // at the end (the annealing stops early to leave time for it).
        let mut unpolished: Option<State> = None;
        let mut last_polish = f64::NEG_INFINITY;
        let mut last_polish_iter = 0;
        let end = if self.ls.is_some() {
            1.0 - self.params.polish_reserve
        } else {
            1.0
        };
        while let Some(f) = self.progress().filter(|&f| f < end) {
            let x = ((f - start_frac) / (1.0 - start_frac).max(1e-9)).clamp(0.0, 1.0);
            let temp = t0 * (tf / t0).powf(x);
            st.begin();
            removed.clear();
            ruin(
                p,
                &mut st,
                &self.ctx.neighbours,
                &self.params.ruin,
                &mut self.rng,
                &mut removed,
            );
            removed.append(&mut st.unassigned);
            sort_units(&self.ctx.keys, &mut removed, &mut self.rng);
            let untried = recreate(
                p,
                &mut st,
                &removed,
                &self.ctx.empty_routes,
                self.params.blink_rate,
                &mut self.rng,
                scope,
                &self.limits.budget,
            );
            if untried > 0 {
                // Stopped halfway through the step: undo it.
                st.rollback();
                break;
            }
            self.iterations += 1;
            let new = st.cost(p);
            let threshold = cur as f64 - temp * self.rng.unit().max(1e-300).ln();
            if (new as f64) < threshold {
                st.commit();
                cur = new;
                if new < best.1 {
                    best = (shared(&st), new);
                    unpolished = None;
                    if self.ls.is_some() {
                        if f - last_polish >= self.params.polish_gap
                            && self.iterations >= last_polish_iter + self.params.polish_min_iters
                        {
                            last_polish = f;
                            last_polish_iter = self.iterations;
                            if let Some(pol) = self.polish(&st) {
                                best = (shared(&pol), pol.cost(p));
                                if self.params.polish_feedback {
                                    cur = best.1;
                                    st = pol;
                                }
                            }
                        } else {
                            unpolished = Some(st.clone());
                        }
                    }
                    self.report_best(report, &best);
                }
            } else {
                st.rollback();
            }
            if let Some(x) = &self.limits.exchange {
                x.sync(
                    p,
                    self.iterations,
                    &mut st,
                    &mut cur,
                    &mut best,
                    &self.limits.budget,
                );
            }
        }
        // Stopped by the deadline or the cancel flag: no time for it (a
        // normal end leaves `polish_reserve` of the budget for it).
        let unpolished = unpolished.filter(|_| !self.limits.budget.expired());
        if let Some(pol) = unpolished.and_then(|u| self.polish(&u)) {
            let c = pol.cost(p);
            if c < best.1 {
                best = (shared(&pol), c);
                self.report_best(report, &best);
            }
        }
        best
    }

    /// Route elimination with an ejection pool ([`eject`]) until fraction
    /// `until` of the budget; the complete solution with the fewest routes
    /// found, if it has fewer than `start`.
    fn eliminate_routes(
        &mut self,
        start: &State,
        until: f64,
        report: &mut dyn FnMut(Progress),
    ) -> Option<State> {
        let p = self.ctx.p;
        let limit = eject::Until {
            limits: self.limits,
            started: self.started,
            until,
        };
        let mut el = eject::Eliminator::new(self.ctx);
        let (started, base) = (self.started, self.iterations);
        let mut found = |s: &State| {
            let routes = shared(s);
            let served: usize = routes.routes.iter().map(|r| r.1.len()).sum();
            report(Progress {
                elapsed: started.elapsed(),
                iterations: base,
                best_cost: s.cost(p),
                vehicles: routes.len(),
                routes,
                unassigned: p.jobs.len().saturating_sub(served),
            });
        };
        let out = el.run(start, &mut self.rng, &limit, base, &mut found);
        self.iterations += el.iterations;
        out
    }

    /// Removes routes one at a time and tries to place their jobs in the
    /// others (SISR fleet minimisation with absence counters). Returns the
    /// complete solution with the fewest routes found, if it beats `start`.
    fn minimise_fleet(
        &mut self,
        start: &State,
        share: f64,
        report: &mut dyn FnMut(Progress),
    ) -> Option<State> {
        let p = self.ctx.p;
        let mut best: Option<State> = None;
        let mut st = start.clone();
        let mut absences = vec![0u64; p.jobs.len()];
        let scope = self.scope();
        let mut removed = Vec::new();
        'outer: loop {
            // No complete solution has fewer routes than the capacity bound.
            if st.num_routes() <= self.ctx.min_routes.max(1) {
                break;
            }
            // Drop the route with the fewest jobs.
            let Some(r) = (0..st.routes.len())
                .filter(|&r| !st.routes[r].is_empty())
                .min_by_key(|&r| (st.routes[r].len(), r))
            else {
                break;
            };
            st.begin();
            removed.clear();
            remove_route(p, &mut st, r, &mut removed);
            st.unassigned.append(&mut removed);
            st.route_limit = st.num_routes();
            st.commit();
            let abs_sum = |s: &State, a: &[u64]| s.unassigned.iter().map(|&j| a[j]).sum::<u64>();
            let mut cur = (st.unassigned.len(), abs_sum(&st, &absences));
            while !st.unassigned.is_empty() {
                match self.progress() {
                    Some(f) if f < share => {}
                    _ => break 'outer,
                }
                st.begin();
                removed.clear();
                ruin(
                    p,
                    &mut st,
                    &self.ctx.neighbours,
                    &self.params.ruin,
                    &mut self.rng,
                    &mut removed,
                );
                removed.append(&mut st.unassigned);
                sort_units(&self.ctx.keys, &mut removed, &mut self.rng);
                // Jobs that were often left out go first.
                removed.sort_by_key(|&j| std::cmp::Reverse(absences[j]));
                let untried = recreate(
                    p,
                    &mut st,
                    &removed,
                    &self.ctx.empty_routes,
                    self.params.blink_rate,
                    &mut self.rng,
                    scope,
                    &self.limits.budget,
                );
                if untried > 0 {
                    st.rollback();
                    break 'outer;
                }
                self.iterations += 1;
                for &j in &st.unassigned {
                    absences[j] += 1;
                }
                let new = (st.unassigned.len(), abs_sum(&st, &absences));
                if new.0 < cur.0 || new.1 < cur.1 {
                    st.commit();
                    cur = new;
                } else {
                    st.rollback();
                }
            }
            st.commit();
            let mut done = st.clone();
            done.route_limit = start.route_limit;
            // With the hierarchical objective every route removed is a new
            // best; under the weighted one the caller decides and reports.
            if p.objective == Objective::Hierarchical {
                self.report_best(report, &(shared(&done), done.cost(p)));
            }
            best = Some(done);
        }
        best
    }
}
