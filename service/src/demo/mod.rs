//! `milkrun morning`: a milk station's morning end to end (issue #12), wiring the library crates.
//!
//! 1. **Roads** ([`roads`]): the extract is imported with the e-trike (bike) profile; the
//!    scenario generator of [`milkrun_datasets::scenario`] places households on its road
//!    points; every household is snapped (distances reported; one far from any road is
//!    listed, and still routed from its nearest road node); the travel-time matrix is built
//!    ([`milkrun_station::road`]).
//! 2. **Nightly plan** ([`nightly`]): the dispatch crate's nightly plan
//!    ([`milkrun_dispatch::Dispatch::plan_with_solver`]: the VRP solver, then polished) on
//!    that matrix, checked by the re-planner's [`milkrun_dispatch::verify()`] and by the
//!    independent checker of [`milkrun_datasets::checker`].
//! 3. **Baseline**: the courier's habit, sweep by angle + nearest neighbour on the same
//!    matrix ([`milkrun_dispatch::habit`]), measured with the same route simulator
//!    ([`milkrun_dispatch::plan_stats`]).
//! 4. **Morning** ([`morning`]): the seeded scripted events of [`milkrun_station::demo`]
//!    through the re-planner.
//! 5. **Tomorrow's order** ([`order`]): generated history, forecast, perishable newsvendor,
//!    8-week replay against "same weekday last week".
//! 6. **Outputs** ([`report`]): `report.md`, `map.svg`, `forecast.svg`, `routes.csv`,
//!    `report.json`, and a summary for stdout.
//!
//! ## Determinism
//! The scenario, the snapping, the habit baseline and tomorrow's order depend on the seed
//! only. By default the nightly plan is limited by work, not time: `--seconds` becomes solver
//! and polish iteration limits ([`nightly::deterministic_limits`]) with a wall-clock cap of
//! ten times `--seconds`, so a seed gives the same plan on any machine that is not ten times
//! slower than the calibration. `--time-limited` stops it on wall-clock time instead (not
//! reproducible). Each re-plan of the morning is capped by local-search evaluations, so a
//! given plan and seed give the same morning. Wall-clock fields are kept
//! apart: the `timings` object and `replans[].latency_ms` ([`report::strip_wall_clock`]
//! removes them).

pub mod morning;
pub mod nightly;
pub mod order;
pub mod report;
pub mod roads;
pub mod stats;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use milkrun_datasets::scenario::{self, Scenario, ScenarioSpec};
use milkrun_dispatch::habit::{bearings, sweep_nearest_neighbour};
use milkrun_dispatch::plan_stats::{route_stats, RouteStats};
use milkrun_dispatch::{CourierSpec, StopSpec};
use milkrun_engine::{EdgeSet, LatLon, SpeedChange, TrafficUpdate};
use milkrun_station::demo::busiest_ways;
use milkrun_station::road::road_points;
use milkrun_station::scenario::{residential_sites, scenario_couriers, scenario_stops};

/// Most households a demo may have: the travel-time matrix grows with the square of the
/// locations (about 400 MB of matrices at 5,000).
pub const MAX_HOUSEHOLDS: usize = 5_000;

/// Most couriers a demo may have.
pub const MAX_COURIERS: usize = 1_000;

/// Longest nightly planning budget, seconds (7 days).
pub const MAX_SECONDS: f64 = 7.0 * 86_400.0;

/// Households the area may hold per road node (each road node is at most one building
/// entrance; the generator puts 1-8 households in a building, so this leaves room).
pub const HOUSEHOLDS_PER_ROAD_NODE: usize = 1;

/// Where the households live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Buildings {
    /// Building-like positions 5-40 m off the road points (the default; the generator's
    /// own).
    #[default]
    Setback,
    /// The extract's residential buildings where an area has them
    /// ([`milkrun_station::scenario::residential_sites`],
    /// [`scenario::generate_in_buildings`]), building-like positions elsewhere.
    Osm,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// The OSM extract.
    pub osm: PathBuf,
    /// Households to deliver to (at most [`MAX_HOUSEHOLDS`]).
    pub households: usize,
    /// E-trike couriers (at most [`MAX_COURIERS`]).
    pub couriers: usize,
    /// Nightly planning budget, seconds (positive, at most [`MAX_SECONDS`]): converted to
    /// work limits ([`nightly::deterministic_limits`]) unless `time_limited`.
    pub seconds: f64,
    /// Stop the nightly plan on wall-clock time instead of work limits (not reproducible).
    pub time_limited: bool,
    /// Seed of everything random.
    pub seed: u64,
    /// Print progress on stderr.
    pub progress: bool,
    /// Wall-clock budget of one re-plan, milliseconds.
    pub replan_budget_ms: u64,
    /// Cap on local-search evaluations per re-plan.
    pub replan_evaluations: u64,
    /// Where the households live (`--buildings`).
    pub buildings: Buildings,
}

impl DemoConfig {
    /// The defaults: the shipped Liechtenstein extract, 1,500 households, 9 couriers, 30 s,
    /// seed 1.
    pub fn new() -> DemoConfig {
        DemoConfig {
            osm: default_osm(),
            households: 1_500,
            couriers: 9,
            seconds: 30.0,
            time_limited: false,
            seed: 1,
            progress: false,
            replan_budget_ms: 200,
            replan_evaluations: 20_000,
            buildings: Buildings::Setback,
        }
    }

    /// Checks the options that can be checked before reading anything.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=MAX_COURIERS).contains(&self.couriers),
            "--couriers must be between 1 and {MAX_COURIERS} (got {})",
            self.couriers
        );
        anyhow::ensure!(
            (1..=MAX_HOUSEHOLDS).contains(&self.households),
            "--households must be between 1 and {MAX_HOUSEHOLDS} (got {})",
            self.households
        );
        anyhow::ensure!(
            self.seconds.is_finite() && self.seconds > 0.0 && self.seconds <= MAX_SECONDS,
            "--seconds must be a positive number of seconds, at most {MAX_SECONDS} (got {})",
            self.seconds
        );
        anyhow::ensure!(
            self.replan_budget_ms <= 3_600_000,
            "the re-plan budget must be at most one hour (got {} ms)",
            self.replan_budget_ms
        );
        anyhow::ensure!(
            self.osm.is_file(),
            "--osm: {} does not exist or is not a file",
            self.osm.display()
        );
        Ok(())
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig::new()
    }
}

/// A coordinate rounded to 7 decimals, as the scenario generator writes doors.
fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// The shipped extract: `datasets/data/osm/liechtenstein.osm.pbf`.
pub fn default_osm() -> PathBuf {
    milkrun_datasets::data_dir()
        .join("osm")
        .join("liechtenstein.osm.pbf")
}

/// Wall-clock seconds of each step (machine-dependent; kept out of the determinism check).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Import and preparation of the roads.
    pub roads_s: f64,
    /// Scenario, snapping and matrix.
    pub matrix_s: f64,
    /// Nightly solve.
    pub solve_s: f64,
    /// Baseline.
    pub baseline_s: f64,
    /// Morning replay.
    pub morning_s: f64,
    /// Forecast, order and ordering replay.
    pub order_s: f64,
    /// Whole run.
    pub total_s: f64,
}

/// Everything the demo found.
pub struct DemoOutcome {
    /// The options it ran with.
    pub config: DemoConfig,
    /// The generated scenario.
    pub scenario: Scenario,
    /// Road graph nodes and edges.
    pub road_size: (usize, usize),
    /// Snapping.
    pub snapped: roads::Snapped,
    /// The stops as the re-planner sees them (stop `i` = household `i` of the scenario).
    pub stops: Vec<StopSpec>,
    /// The couriers.
    pub couriers: Vec<CourierSpec>,
    /// The nightly plan.
    pub plan: nightly::NightlyPlan,
    /// The checker's verdict on it.
    pub check: milkrun_station::instance::CheckOutcome,
    /// Baseline rounds measured the same way.
    pub baseline: Vec<RouteStats>,
    /// The morning.
    pub morning: morning::Morning,
    /// Tomorrow's order.
    pub ordering: order::Ordering,
    /// Map of the nightly plan (SVG).
    pub map_svg: String,
    /// Wall-clock times.
    pub timings: Timings,
}

/// Runs the whole demo (no files written; see [`report::write_all`]).
pub fn run_demo(config: &DemoConfig) -> anyhow::Result<DemoOutcome> {
    config.validate()?;
    let t = Instant::now();
    let roads = roads::load_roads(&config.osm)?;
    run_demo_on(config, &roads, t.elapsed().as_secs_f64())
}

/// Runs the demo on roads already imported from `config.osm` (`roads_s`: the seconds that
/// took, for the report). The morning's jam is lifted again at the end, so the same roads
/// can serve another run.
pub fn run_demo_on(
    config: &DemoConfig,
    roads: &roads::Roads,
    roads_s: f64,
) -> anyhow::Result<DemoOutcome> {
    config.validate()?;
    let t_all = Instant::now();
    let mut timings = Timings {
        roads_s,
        ..Timings::default()
    };
    let say = |msg: String| {
        if config.progress {
            eprintln!("{msg}");
        }
    };

    // 1. Roads.
    let engine = &roads.engine;
    let road_size = (engine.graph().num_nodes(), engine.graph().num_edges());
    say(format!(
        "1. roads: {} nodes, {} edges (bike profile) in {:.1} s",
        road_size.0, road_size.1, timings.roads_s
    ));
    let t = Instant::now();
    let points = road_points(engine);
    let capacity = points.len() * HOUSEHOLDS_PER_ROAD_NODE;
    anyhow::ensure!(
        config.households <= capacity,
        "--households {}: the area of {} holds at most {capacity} households \
         ({HOUSEHOLDS_PER_ROAD_NODE} per road node of the bike network)",
        config.households,
        config.osm.display()
    );
    let spec = ScenarioSpec::new(config.seed, config.households, config.couriers);
    let scen = match config.buildings {
        Buildings::Setback => scenario::generate(&spec, &points)?,
        Buildings::Osm => {
            let (sites, found) = residential_sites(&config.osm)
                .map_err(|e| anyhow::anyhow!("--buildings osm: {e}"))?;
            let scen = scenario::generate_in_buildings(&spec, &points, &sites)?;
            let at_site: std::collections::HashSet<(u64, u64)> = sites
                .iter()
                .map(|b| (round7(b.lat).to_bits(), round7(b.lon).to_bits()))
                .collect();
            let placed = scen
                .households
                .iter()
                .filter(|h| at_site.contains(&(h.lat.to_bits(), h.lon.to_bits())))
                .count();
            say(format!(
                "   buildings: {} homes in the extract ({} footprints, {} skipped); \
                 {placed} of {} households in them, the others off the road",
                sites.len(),
                found.building_ways + found.building_relations + found.building_nodes,
                found.skipped(),
                scen.households.len()
            ));
            scen
        }
    };
    let mut latlon = vec![LatLon {
        lat: scen.depot.lat,
        lon: scen.depot.lon,
    }];
    latlon.extend(scen.households.iter().map(|h| LatLon {
        lat: h.lat,
        lon: h.lon,
    }));
    let snapped = roads::snap(engine, &latlon)?;
    let times = snapped.locations.matrix(engine)?;
    timings.matrix_s = t.elapsed().as_secs_f64();
    say(format!(
        "   {} households snapped (median {:.1} m, max {:.1} m), {}x{} matrix in {:.1} s",
        scen.households.len(),
        snapped.quantile_m(0.5),
        snapped.quantile_m(1.0),
        times.len(),
        times.len(),
        timings.matrix_s
    ));
    let stops = scenario_stops(&scen);
    let couriers = scenario_couriers(&scen);

    // 3. Baseline (before the plan: the plan takes the matrix).
    let t = Instant::now();
    let points: Vec<(f64, f64)> = scen.households.iter().map(|h| (h.lat, h.lon)).collect();
    let bearing = bearings((scen.depot.lat, scen.depot.lon), &points);
    let base_rounds = sweep_nearest_neighbour(&times, 0, &stops, &bearing, couriers.len());
    let baseline: Vec<RouteStats> = base_rounds
        .iter()
        .zip(&couriers)
        .map(|(r, c)| route_stats(&times, 0, &stops, c, r))
        .collect();
    timings.baseline_s = t.elapsed().as_secs_f64();

    // 2. Nightly plan.
    let t = Instant::now();
    let limits = (!config.time_limited).then(|| nightly::deterministic_limits(config.seconds));
    // Under work limits the wall-clock budget is only a safety cap (ten times `--seconds`),
    // so the limits, not the machine's speed, decide the plan.
    let wall = if limits.is_some() {
        config.seconds * 10.0
    } else {
        config.seconds
    };
    let budget = Duration::try_from_secs_f64(wall)
        .map_err(|_| anyhow::anyhow!("--seconds {}: not a duration", config.seconds))?;
    say(format!(
        "2. nightly plan ({:.1} s: VRP solver, then polished)",
        budget.as_secs_f64()
    ));
    let plan = nightly::plan_nightly(
        times.clone(),
        0,
        stops.clone(),
        couriers.clone(),
        config.seed,
        budget,
        limits,
    )?;
    timings.solve_s = t.elapsed().as_secs_f64();
    let rounds: Vec<Vec<u32>> = plan.rounds.iter().map(|r| r.stops.clone()).collect();
    let unassigned: Vec<u32> = plan.unassigned.iter().map(|u| u.0).collect();
    let check =
        milkrun_station::instance::check_routes(&times, 0, &stops, &couriers, &rounds, &unassigned);
    anyhow::ensure!(
        check.violations.is_empty(),
        "the nightly plan fails the independent checker: {:?}",
        check.violations
    );
    say(format!(
        "   {} routed, {} unassigned; 3. baseline: sweep by angle + nearest neighbour",
        rounds.iter().map(Vec::len).sum::<usize>(),
        unassigned.len()
    ));

    // Map and the busiest roads, on the free-flow network (before the jam).
    let mut map_lines = Vec::new();
    let mut ways = Vec::new();
    for r in &rounds {
        let round: Vec<u32> = std::iter::once(0)
            .chain(
                r.iter()
                    .filter_map(|&s| stops.get(s as usize).map(|sp| sp.loc)),
            )
            .chain(std::iter::once(0))
            .collect();
        let (line, w) = snapped.locations.route_geometry(engine, &round);
        map_lines.push(line);
        ways.extend(w);
    }
    let map_svg = milkrun_engine::render_svg(engine.graph(), &map_lines);

    // 4. Morning.
    let t = Instant::now();
    say("4. morning replay".to_string());
    let mut day = plan.day.clone();
    let mut locations = snapped.locations.clone();
    // The late order comes from the delivery area (a new subscriber at one of the day's
    // addresses), not from anywhere in the extract: a random road point can lie in another
    // town, an hour's ride away.
    let jam = busiest_ways(&ways, 3);
    let morning = morning::replay(
        engine,
        &mut locations,
        &mut day,
        &jam,
        &points,
        &morning::MorningOptions {
            seed: config.seed,
            budget_ms: config.replan_budget_ms,
            max_evaluations: config.replan_evaluations,
        },
    );
    if !jam.is_empty() {
        engine.apply_traffic(&[TrafficUpdate {
            edges: EdgeSet::Ways(jam),
            change: SpeedChange::Reset,
        }])?;
    }
    let morning = morning?;
    timings.morning_s = t.elapsed().as_secs_f64();
    // 5. Tomorrow's order.
    let t = Instant::now();
    say("5. forecast and tomorrow's order".to_string());
    let ordering = order::order(config.seed, config.households)?;
    timings.order_s = t.elapsed().as_secs_f64();
    timings.total_s = roads_s + t_all.elapsed().as_secs_f64();

    Ok(DemoOutcome {
        config: config.clone(),
        scenario: scen,
        road_size,
        snapped,
        stops,
        couriers,
        plan,
        check,
        baseline,
        morning,
        ordering,
        map_svg,
        timings,
    })
}
