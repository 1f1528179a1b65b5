//! A seeded milk-delivery morning on real roads (issue #5): households off
//! the road points of an extract, subscriptions, delivery windows, a milk
//! station and a fleet of e-trike couriers; with a plain text file format.
//!
//! The generator takes plain road points `(lat, lon)` (for example the nodes
//! of a road graph), so this crate depends on no road engine.
//!
//! ## Layout
//! * **Depot:** the road point nearest to the mean of all road points (a
//!   milk station in the middle of the served area), open
//!   [`DEPOT_OPEN_S`]..[`DEPOT_CLOSE_S`] (04:15-09:00).
//! * **Households** live in buildings: a building stands off a road point
//!   (5-40 m by default, [`ScenarioSpec::setback_m`], in a seeded direction, so
//!   every door is snapped to the roads like a real address) drawn around one of `centres` neighbourhood centres, all within about
//!   four spreads of the depot (rank-by-distance from the
//!   centre, half-normal of scale `spread_points`, so density falls off
//!   outwards); each building holds `building_size` households (default
//!   2-12) that share its coordinates (one entrance) but have their own
//!   service time (floors: 15-45 s, mostly 15-25 s: a bottle at the door).
//!   **Real buildings** ([`generate_in_buildings`], off by default): given building
//!   positions (for example an OSM extract's residential footprints), each building drawn
//!   at a road point with real buildings within [`BUILDING_SEARCH_M`] takes the nearest
//!   one with room left (within [`BUILDING_FILL_M`] when the near ones are full) instead:
//!   its position is the door, and it holds at most its own household count over the whole
//!   morning; where an area has no building, the setback above is used. With no buildings given the scenario is byte-identical to
//!   [`generate`]'s (a real building only shortens the drawn building to the room left).
//! * **Subscriptions:** 1-3 bottles a day (50/35/15%), each bottle of one of
//!   [`PRODUCTS`] (whole milk 50%, semi-skimmed 30%, yoghurt 12%, cream 8%).
//! * **Windows:** [`MAIN_WINDOW_SHARE`] take 05:00-07:30; 12% a narrower
//!   one-hour window starting between 05:00 and 06:30 on the half hour; the
//!   rest a wide 04:30-08:30.
//! * **Couriers:** e-trikes, shift 04:15-09:00, capacity 15% above the even
//!   share of the day's bottles (and at least the largest order).
//!
//! ## File format (`.scenario`, UTF-8 text, one record per line)
//! Blank lines and lines starting with `#` are ignored. Fields are separated
//! by commas; times are `HH:MM` or `HH:MM:SS` since midnight; coordinates are
//! WGS84 degrees with up to 7 decimals.
//! ```text
//! scenario,NAME,SEED
//! products,NAME1,NAME2,...                       (once, before any household)
//! depot,LAT,LON,OPEN,CLOSE                       (once)
//! courier,ID,CAPACITY_BOTTLES,SHIFT_START,SHIFT_END
//! household,ID,LAT,LON,BUILDING,SERVICE_S,WINDOW_START,WINDOW_END,QTY1,QTY2,...
//! ```
//! A household has one quantity per product (bottles, non-negative, at most
//! [`MAX_BOTTLES`], at least one bottle in all); a courier's capacity is
//! positive and at most [`MAX_BOTTLES`]; a service time is at most
//! [`MAX_SERVICE_S`]. Every parse error names the 1-based line and field.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::DatasetError;
use crate::rng::SplitMix64;
use crate::text::Ctx;

/// The largest quantity of one product for one household, and the largest
/// courier capacity, a scenario file may give (bottles). Larger values are
/// refused with [`DatasetError::TooLarge`]; with this bound no sum of
/// quantities in a file can overflow.
pub const MAX_BOTTLES: i64 = 1_000_000;

/// The longest service time a scenario file may give: one day, in seconds.
pub const MAX_SERVICE_S: i64 = 24 * 3600;

/// 04:15, when couriers may leave the milk station (seconds since midnight).
pub const DEPOT_OPEN_S: i64 = 4 * 3600 + 15 * 60;
/// 09:00, when every courier must be back.
pub const DEPOT_CLOSE_S: i64 = 9 * 3600;
/// The usual household window: 05:00-07:30.
pub const MAIN_WINDOW_S: (i64, i64) = (5 * 3600, 7 * 3600 + 1800);
/// The wide window of flexible households: 04:30-08:30.
pub const WIDE_WINDOW_S: (i64, i64) = (4 * 3600 + 1800, 8 * 3600 + 1800);
/// Share of households with the usual window.
pub const MAIN_WINDOW_SHARE: f64 = 0.8;
/// Share of households with a narrow one-hour window.
pub const NARROW_WINDOW_SHARE: f64 = 0.12;
/// The products a subscription is made of.
pub const PRODUCTS: [&str; 4] = ["whole_milk", "semi_skimmed", "yoghurt", "cream"];
const PRODUCT_WEIGHTS: [f64; 4] = [0.5, 0.3, 0.12, 0.08];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of households (delivery stops).
    pub households: usize,
    /// Number of couriers (0 is treated as 1).
    pub couriers: usize,
    /// Number of settlement centres households cluster around (0 is treated as 1).
    pub centres: usize,
    /// Scale of a centre's area, in road points: buildings are drawn among a centre's
    /// nearest road points with a half-normal rank of this scale (at least 1).
    pub spread_points: usize,
    /// Households per building, `(min, max)`.
    pub building_size: (usize, usize),
    /// Distance of a building from the road point it is drawn at, metres, `(min, max)`: each
    /// building stands this far off the road (uniform, seeded, in a seeded direction), so
    /// its doors must be snapped to the roads. `(0, 0)` puts every door on its road point.
    pub setback_m: (f64, f64),
}

impl ScenarioSpec {
    /// `households` households and `couriers` couriers in a dense town: 3 centres, each
    /// spread over about 400 road points, 2-12 households per building.
    pub fn new(seed: u64, households: usize, couriers: usize) -> Self {
        Self {
            seed,
            households,
            couriers,
            centres: 3,
            spread_points: 400,
            building_size: (2, 12),
            setback_m: (5.0, 40.0),
        }
    }
}

/// The milk station.
#[derive(Debug, Clone, PartialEq)]
pub struct Depot {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Opening time, seconds since midnight.
    pub open_s: i64,
    /// Closing time (every courier back), seconds since midnight.
    pub close_s: i64,
}

/// One e-trike courier.
#[derive(Debug, Clone, PartialEq)]
pub struct Courier {
    /// Courier id (unique in the scenario).
    pub id: u32,
    /// Bottles the trike carries.
    pub capacity: i64,
    /// Shift start, seconds since midnight.
    pub shift_start_s: i64,
    /// Shift end (back at the depot), seconds since midnight.
    pub shift_end_s: i64,
}

/// One household and today's delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Household id (unique in the scenario).
    pub id: u32,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Building id (households of one building share the entrance).
    pub building: u32,
    /// Service time at the door, seconds.
    pub service_s: i64,
    /// Delivery window `(start, end)`, seconds since midnight.
    pub window_s: (i64, i64),
    /// Bottles per product (same order as [`Scenario::products`]).
    pub quantities: Vec<i64>,
}

impl Household {
    /// Total bottles of the delivery (saturating at `i64::MAX` for a
    /// hand-built household with absurd quantities; parsed ones are bounded).
    pub fn bottles(&self) -> i64 {
        self.quantities
            .iter()
            .fold(0i64, |acc, &q| acc.saturating_add(q))
    }
}

/// A generated or loaded delivery morning.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Seed it was generated with (0 if written by hand).
    pub seed: u64,
    /// Product names.
    pub products: Vec<String>,
    /// The milk station.
    pub depot: Depot,
    /// The couriers.
    pub couriers: Vec<Courier>,
    /// The households, in id order for generated scenarios.
    pub households: Vec<Household>,
}

impl Scenario {
    /// Total bottles to deliver (saturating, as [`Household::bottles`]).
    pub fn total_bottles(&self) -> i64 {
        self.households
            .iter()
            .fold(0i64, |acc, h| acc.saturating_add(h.bottles()))
    }
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// `p` moved `setback_m` metres (uniform in the range; none for an empty, negative or
/// non-finite range) in a direction drawn from `seed` and `building`.
fn set_back(p: (f64, f64), seed: u64, building: u32, setback_m: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = setback_m;
    if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi >= lo && hi > 0.0) {
        return p;
    }
    let mut rng = SplitMix64::new(
        seed ^ 0x5E7B_AC4D_0000_0000 ^ u64::from(building).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let d = lo + (hi - lo) * rng.unit();
    let bearing = std::f64::consts::TAU * rng.unit();
    // Metres per degree of latitude on the mean sphere.
    let k = 6_371_008.8 * std::f64::consts::PI / 180.0;
    let lat = p.0 + d * bearing.cos() / k;
    let lon = p.1 + d * bearing.sin() / (k * p.0.to_radians().cos().max(1e-6));
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        (lat, lon)
    } else {
        p
    }
}

/// A real building households may live in (for example a residential footprint's centroid
/// from an OSM extract).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildingSite {
    /// Latitude of its door, degrees.
    pub lat: f64,
    /// Longitude of its door, degrees.
    pub lon: f64,
    /// Households it holds at most (0: none live there; it is never used).
    pub households: u32,
}

/// Where a building is drawn at a road point with a real building within this many metres,
/// its households live in the nearest real building with room left; where there is none
/// (fields, forest roads), the drawn building stands off the road by
/// [`ScenarioSpec::setback_m`] instead.
pub const BUILDING_SEARCH_M: f64 = 150.0;

/// Where the real buildings near a drawn road point are full, the nearest one with room
/// within this many metres is taken instead (a neighbourhood of houses holds fewer homes
/// than the generator's default buildings, so it spreads further); past it, the setback.
pub const BUILDING_FILL_M: f64 = 5_000.0;

/// Generates a scenario on `road_points` (`(lat, lon)` degrees). Errors if
/// there are no road points or if a point is not a valid coordinate.
pub fn generate(spec: &ScenarioSpec, road_points: &[(f64, f64)]) -> Result<Scenario, DatasetError> {
    generate_in_buildings(spec, road_points, &[])
}

/// Real buildings indexed on a grid of [`BUILDING_SEARCH_M`] cells, with the room left in
/// each and the scenario's building id each was given. A cell lists its buildings with room
/// left; `built` counts every building of a cell, full or not.
struct Sites<'a> {
    sites: &'a [BuildingSite],
    room: Vec<u32>,
    id: Vec<Option<u32>>,
    cells: std::collections::HashMap<(i64, i64), Vec<usize>>,
    built: std::collections::HashMap<(i64, i64), usize>,
    coslat: f64,
}

impl<'a> Sites<'a> {
    /// Metres per degree of latitude on the mean sphere.
    const K: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

    fn new(sites: &'a [BuildingSite], coslat: f64) -> Sites<'a> {
        let mut s = Sites {
            sites,
            room: sites.iter().map(|b| b.households).collect(),
            id: vec![None; sites.len()],
            cells: std::collections::HashMap::new(),
            built: std::collections::HashMap::new(),
            coslat,
        };
        for (i, b) in sites.iter().enumerate() {
            if b.households > 0 {
                let c = s.cell((b.lat, b.lon));
                s.cells.entry(c).or_default().push(i);
                *s.built.entry(c).or_default() += 1;
            }
        }
        s
    }

    fn xy(&self, p: (f64, f64)) -> (f64, f64) {
        (p.1 * Self::K * self.coslat, p.0 * Self::K)
    }

    fn cell(&self, p: (f64, f64)) -> (i64, i64) {
        let (x, y) = self.xy(p);
        (
            (x / BUILDING_SEARCH_M).floor() as i64,
            (y / BUILDING_SEARCH_M).floor() as i64,
        )
    }

    /// Whether any building (full or not) lies in the 3x3 cells around `p`.
    fn area_has_buildings(&self, p: (f64, f64)) -> bool {
        let (cx, cy) = self.cell(p);
        (-1..=1).any(|dx| (-1..=1).any(|dy| self.built.contains_key(&(cx + dx, cy + dy))))
    }

    /// The building with room left nearest to `p` (ties: the lower index): within
    /// [`BUILDING_SEARCH_M`] if one is; else, where the area has buildings but they are
    /// full, the nearest with room within [`BUILDING_FILL_M`] (the neighbourhood grows);
    /// `None` where the area has no building at all.
    fn nearest(&self, p: (f64, f64)) -> Option<usize> {
        if !self.area_has_buildings(p) {
            return None;
        }
        let (cx, cy) = self.cell(p);
        let (px, py) = self.xy(p);
        let rings = (BUILDING_FILL_M / BUILDING_SEARCH_M).ceil() as i64;
        let mut best: Option<(f64, usize)> = None;
        for r in 0..=rings {
            // A building in ring `r` is at least `(r - 1)` cells away: once the best found is
            // nearer than that, no farther ring can beat it.
            if let Some((bd, _)) = best {
                if bd <= (r - 1) as f64 * BUILDING_SEARCH_M {
                    break;
                }
            }
            for dx in -r..=r {
                for dy in -r..=r {
                    if dx.abs().max(dy.abs()) != r {
                        continue;
                    }
                    let Some(ks) = self.cells.get(&(cx + dx, cy + dy)) else {
                        continue;
                    };
                    for &k in ks {
                        let (x, y) = self.xy((self.sites[k].lat, self.sites[k].lon));
                        let d = (x - px).hypot(y - py);
                        if d <= BUILDING_FILL_M
                            && best.is_none_or(|(bd, bk)| d < bd || (d == bd && k < bk))
                        {
                            best = Some((d, k));
                        }
                    }
                }
            }
        }
        best.map(|(_, k)| k)
    }

    /// Takes up to `want` households' room in building `k`; returns how many it took.
    fn take(&mut self, k: usize, want: usize) -> usize {
        let n = want.min(self.room[k] as usize);
        self.room[k] -= n as u32;
        if self.room[k] == 0 {
            let c = self.cell((self.sites[k].lat, self.sites[k].lon));
            if let Some(ks) = self.cells.get_mut(&c) {
                ks.retain(|&x| x != k);
            }
        }
        n
    }
}

/// [`generate`], placing households in the real `buildings` where a drawn building has one
/// with room left within [`BUILDING_SEARCH_M`] of its road point (see the module docs).
/// Errors if a road point or a building's position is not a valid coordinate.
pub fn generate_in_buildings(
    spec: &ScenarioSpec,
    road_points: &[(f64, f64)],
    buildings: &[BuildingSite],
) -> Result<Scenario, DatasetError> {
    let invalid = |line: usize, msg: String| DatasetError::Invalid {
        file: "road points".to_string(),
        line,
        field: "lat,lon".to_string(),
        msg,
    };
    for (i, b) in buildings.iter().enumerate() {
        if !(b.lat.is_finite()
            && b.lon.is_finite()
            && (-90.0..=90.0).contains(&b.lat)
            && (-180.0..=180.0).contains(&b.lon))
        {
            return Err(DatasetError::Invalid {
                file: "buildings".to_string(),
                line: i + 1,
                field: "lat,lon".to_string(),
                msg: format!("({}, {}) is not a valid coordinate", b.lat, b.lon),
            });
        }
    }
    if road_points.is_empty() {
        return Err(invalid(
            0,
            "no road points to place households on".to_string(),
        ));
    }
    for (i, &(lat, lon)) in road_points.iter().enumerate() {
        if !(lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon))
        {
            return Err(invalid(
                i + 1,
                format!("({lat}, {lon}) is not a valid coordinate"),
            ));
        }
    }
    let mut rng = SplitMix64::new(spec.seed);
    let n = road_points.len() as f64;
    let mlat = road_points.iter().map(|p| p.0).sum::<f64>() / n;
    let mlon = road_points.iter().map(|p| p.1).sum::<f64>() / n;
    let coslat = mlat.to_radians().cos().max(1e-6);
    let d2 = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).powi(2) + ((a.1 - b.1) * coslat).powi(2);
    let nearest = |c: (f64, f64)| {
        road_points
            .iter()
            .enumerate()
            .min_by(|x, y| d2(*x.1, c).total_cmp(&d2(*y.1, c)).then(x.0.cmp(&y.0)))
            .map_or(0, |(i, _)| i)
    };
    let depot_pt = road_points[nearest((mlat, mlon))];

    // Centres: the depot's own neighbourhood first, the others drawn among the road points
    // nearest to the depot (within about 4 spreads: one town, several neighbourhoods).
    let centres = spec.centres.max(1);
    let order_from = |c: (f64, f64)| {
        let mut idx: Vec<usize> = (0..road_points.len()).collect();
        idx.sort_by(|&a, &b| {
            d2(road_points[a], c)
                .total_cmp(&d2(road_points[b], c))
                .then(a.cmp(&b))
        });
        idx
    };
    let around_depot = order_from(depot_pt);
    let town = (4 * spec.spread_points.max(1)).min(road_points.len());
    let mut centre_pts = vec![depot_pt];
    while centre_pts.len() < centres {
        let i = around_depot[rng.int(0, town as i64 - 1) as usize];
        centre_pts.push(road_points[i]);
    }
    // Road points ordered by distance from each centre.
    let by_centre: Vec<Vec<usize>> = centre_pts.iter().map(|&c| order_from(c)).collect();
    // Spread: a centre's buildings mostly lie among its nearest `spread` points.
    let spread = spec.spread_points.max(1) as f64;

    let mut sites = Sites::new(buildings, coslat);
    let mut households = Vec::with_capacity(spec.households);
    let mut building = 0u32;
    while households.len() < spec.households {
        // Larger share for the first (depot) town.
        let c = if rng.unit() < 0.35 {
            0
        } else {
            rng.int(0, centres as i64 - 1) as usize
        };
        // Half-normal rank (Box-Muller).
        let g = (-2.0 * (1.0 - rng.unit()).ln()).sqrt()
            * (2.0 * std::f64::consts::PI * rng.unit()).cos();
        let rank = ((g.abs() * spread) as usize).min(road_points.len() - 1);
        let (lat, lon) = road_points[by_centre[c][rank]];
        // A real building near the road point, if one has room; its households keep the
        // building id it was first given.
        let real = sites.nearest((lat, lon));
        // The building stands off the road: its own stream, so the draws above (and the
        // households' windows, services and bottles) stay those of a setback of 0.
        let (lat, lon, this_building) = match real {
            Some(k) => {
                let id = *sites.id[k].get_or_insert(building);
                (buildings[k].lat, buildings[k].lon, id)
            }
            None => {
                let (lat, lon) = set_back((lat, lon), spec.seed, building, spec.setback_m);
                (lat, lon, building)
            }
        };
        let (lo, hi) = (
            spec.building_size.0.max(1),
            spec.building_size.1.max(spec.building_size.0.max(1)),
        );
        let mut size =
            (rng.int(lo as i64, hi as i64) as usize).min(spec.households - households.len());
        if let Some(k) = real {
            size = sites.take(k, size);
        }
        for _ in 0..size {
            let u = rng.unit();
            let window_s = if u < MAIN_WINDOW_SHARE {
                MAIN_WINDOW_S
            } else if u < MAIN_WINDOW_SHARE + NARROW_WINDOW_SHARE {
                let start = 5 * 3600 + rng.int(0, 3) * 1800;
                (start, start + 3600)
            } else {
                WIDE_WINDOW_S
            };
            let service_s = if rng.unit() < 0.7 {
                rng.int(15, 25)
            } else {
                rng.int(25, 45)
            };
            let u = rng.unit();
            let bottles = if u < 0.5 {
                1
            } else if u < 0.85 {
                2
            } else {
                3
            };
            let mut quantities = vec![0i64; PRODUCTS.len()];
            for _ in 0..bottles {
                let mut u = rng.unit();
                let mut p = PRODUCTS.len() - 1;
                for (k, w) in PRODUCT_WEIGHTS.iter().enumerate() {
                    if u < *w {
                        p = k;
                        break;
                    }
                    u -= w;
                }
                quantities[p] += 1;
            }
            households.push(Household {
                id: households.len() as u32 + 1,
                lat: round7(lat),
                lon: round7(lon),
                building: this_building,
                service_s,
                window_s,
                quantities,
            });
        }
        building += 1;
    }
    let couriers_n = spec.couriers.max(1);
    let total: i64 = households.iter().map(Household::bottles).sum();
    let largest = households.iter().map(Household::bottles).max().unwrap_or(1);
    let capacity = ((total as f64 / couriers_n as f64) * 1.15)
        .ceil()
        .max(largest as f64) as i64;
    let couriers = (0..couriers_n)
        .map(|k| Courier {
            id: k as u32 + 1,
            capacity,
            shift_start_s: DEPOT_OPEN_S,
            shift_end_s: DEPOT_CLOSE_S,
        })
        .collect();
    Ok(Scenario {
        name: format!("milk-s{}-h{}-k{}", spec.seed, spec.households, couriers_n),
        seed: spec.seed,
        products: PRODUCTS.iter().map(|s| s.to_string()).collect(),
        depot: Depot {
            lat: round7(depot_pt.0),
            lon: round7(depot_pt.1),
            open_s: DEPOT_OPEN_S,
            close_s: DEPOT_CLOSE_S,
        },
        couriers,
        households,
    })
}

/// The scenario format's times of day are the calendar's `HH:MM[:SS]` (hours past 23 kept).
pub use milkrun_calendar::{format_hms as format_time, parse_hms as parse_time};

/// Writes a scenario in the text format described in the module docs.
pub fn write_scenario(s: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# milkrun scenario v1: see milkrun_datasets::scenario for the format"
    );
    let _ = writeln!(
        out,
        "# {} households, {} couriers, {} bottles",
        s.households.len(),
        s.couriers.len(),
        s.total_bottles()
    );
    let _ = writeln!(out, "scenario,{},{}", s.name, s.seed);
    let _ = writeln!(out, "products,{}", s.products.join(","));
    let d = &s.depot;
    let _ = writeln!(
        out,
        "depot,{:.7},{:.7},{},{}",
        d.lat,
        d.lon,
        format_time(d.open_s),
        format_time(d.close_s)
    );
    let _ = writeln!(out, "# courier,id,capacity_bottles,shift_start,shift_end");
    for c in &s.couriers {
        let _ = writeln!(
            out,
            "courier,{},{},{},{}",
            c.id,
            c.capacity,
            format_time(c.shift_start_s),
            format_time(c.shift_end_s)
        );
    }
    let _ = writeln!(
        out,
        "# household,id,lat,lon,building,service_s,window_start,window_end,{}",
        s.products.join(",")
    );
    for h in &s.households {
        let q: Vec<String> = h.quantities.iter().map(i64::to_string).collect();
        let _ = writeln!(
            out,
            "household,{},{:.7},{:.7},{},{},{},{},{}",
            h.id,
            h.lat,
            h.lon,
            h.building,
            h.service_s,
            format_time(h.window_s.0),
            format_time(h.window_s.1),
            q.join(",")
        );
    }
    out
}

/// Parses a scenario text; `file` names the file in errors.
pub fn parse_scenario(text: &str, file: &str) -> Result<Scenario, DatasetError> {
    let ctx = Ctx { file };
    let mut name = None;
    let mut seed = 0u64;
    let mut products: Option<Vec<String>> = None;
    let mut depot = None;
    let mut couriers: Vec<Courier> = Vec::new();
    let mut households: Vec<Household> = Vec::new();
    let mut courier_lines = std::collections::HashMap::new();
    let mut household_lines = std::collections::HashMap::new();
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        last_line = line;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = t.split(',').map(str::trim).collect();
        let need = |n: usize, what: &str| -> Result<(), DatasetError> {
            if f.len() == n {
                Ok(())
            } else {
                Err(ctx.invalid(
                    line,
                    what,
                    format!("expected {} fields, found {}", n, f.len()),
                ))
            }
        };
        let time = |k: usize, field: &str| {
            parse_time(f[k]).ok_or_else(|| {
                ctx.invalid(line, field, format!("`{}` is not a time HH:MM[:SS]", f[k]))
            })
        };
        let coord = |k: usize, field: &str, lim: f64| -> Result<f64, DatasetError> {
            let v = ctx.f64(line, field, f[k])?;
            if v.abs() > lim {
                return Err(ctx.invalid(line, field, format!("{v} is out of range")));
            }
            Ok(v)
        };
        match f[0] {
            "scenario" => {
                need(3, "scenario")?;
                name = Some(f[1].to_string());
                seed = f[2].parse().map_err(|_| ctx.nan(line, "seed", f[2]))?;
            }
            "products" => {
                if f.len() < 2 {
                    return Err(ctx.invalid(line, "products", "at least one product expected"));
                }
                if products.is_some() {
                    return Err(ctx.invalid(line, "products", "products given twice"));
                }
                products = Some(f[1..].iter().map(|s| s.to_string()).collect());
            }
            "depot" => {
                need(5, "depot")?;
                if depot.is_some() {
                    return Err(ctx.invalid(line, "depot", "depot given twice"));
                }
                let (open_s, close_s) = (time(3, "open")?, time(4, "close")?);
                if close_s < open_s {
                    return Err(ctx.invalid(line, "close", "closes before it opens"));
                }
                depot = Some(Depot {
                    lat: coord(1, "lat", 90.0)?,
                    lon: coord(2, "lon", 180.0)?,
                    open_s,
                    close_s,
                });
            }
            "courier" => {
                need(5, "courier")?;
                let id = u32::try_from(ctx.usize(line, "id", f[1])?)
                    .map_err(|_| ctx.invalid(line, "id", "too large"))?;
                if let Some(first) = courier_lines.insert(id, line) {
                    return Err(DatasetError::DuplicateId {
                        file: file.to_string(),
                        line,
                        field: "courier id".to_string(),
                        id: i64::from(id),
                        first_line: first,
                    });
                }
                let capacity = ctx.i64(line, "capacity", f[2])?;
                if capacity <= 0 {
                    return Err(ctx.invalid(
                        line,
                        "capacity",
                        format!("{capacity} must be positive"),
                    ));
                }
                if capacity > MAX_BOTTLES {
                    return Err(ctx.too_large(
                        line,
                        "capacity",
                        capacity.unsigned_abs(),
                        MAX_BOTTLES.unsigned_abs(),
                    ));
                }
                let (shift_start_s, shift_end_s) = (time(3, "shift_start")?, time(4, "shift_end")?);
                if shift_end_s < shift_start_s {
                    return Err(ctx.invalid(line, "shift_end", "ends before it starts"));
                }
                couriers.push(Courier {
                    id,
                    capacity,
                    shift_start_s,
                    shift_end_s,
                });
            }
            "household" => {
                let Some(p) = &products else {
                    return Err(ctx.invalid(line, "household", "`products` line must come first"));
                };
                need(8 + p.len(), "household")?;
                let id = u32::try_from(ctx.usize(line, "id", f[1])?)
                    .map_err(|_| ctx.invalid(line, "id", "too large"))?;
                if let Some(first) = household_lines.insert(id, line) {
                    return Err(DatasetError::DuplicateId {
                        file: file.to_string(),
                        line,
                        field: "household id".to_string(),
                        id: i64::from(id),
                        first_line: first,
                    });
                }
                let building = u32::try_from(ctx.usize(line, "building", f[4])?)
                    .map_err(|_| ctx.invalid(line, "building", "too large"))?;
                let service_s = ctx.i64(line, "service_s", f[5])?;
                if service_s < 0 {
                    return Err(ctx.invalid(line, "service_s", "must not be negative"));
                }
                if service_s > MAX_SERVICE_S {
                    return Err(ctx.too_large(
                        line,
                        "service_s",
                        service_s.unsigned_abs(),
                        MAX_SERVICE_S.unsigned_abs(),
                    ));
                }
                let window_s = (time(6, "window_start")?, time(7, "window_end")?);
                if window_s.1 < window_s.0 {
                    return Err(DatasetError::DueBeforeReady {
                        file: file.to_string(),
                        line,
                        field: "window_end".to_string(),
                        ready: window_s.0 as f64,
                        due: window_s.1 as f64,
                    });
                }
                let mut quantities = Vec::with_capacity(p.len());
                let mut bottles = 0i64;
                for (k, name) in p.iter().enumerate() {
                    let q = ctx.i64(line, name, f[8 + k])?;
                    if q < 0 {
                        return Err(DatasetError::NegativeDemand {
                            file: file.to_string(),
                            line,
                            field: name.clone(),
                            value: q,
                        });
                    }
                    if q > MAX_BOTTLES {
                        return Err(ctx.too_large(
                            line,
                            name,
                            q.unsigned_abs(),
                            MAX_BOTTLES.unsigned_abs(),
                        ));
                    }
                    // Cannot overflow with every quantity bounded, but a
                    // wrap here is what the bound exists to prevent.
                    bottles = bottles.checked_add(q).ok_or_else(|| {
                        ctx.too_large(line, "quantities", u64::MAX, i64::MAX.unsigned_abs())
                    })?;
                    quantities.push(q);
                }
                if bottles == 0 {
                    return Err(ctx.invalid(
                        line,
                        "quantities",
                        "a household orders at least one bottle",
                    ));
                }
                households.push(Household {
                    id,
                    lat: coord(2, "lat", 90.0)?,
                    lon: coord(3, "lon", 180.0)?,
                    building,
                    service_s,
                    window_s,
                    quantities,
                });
            }
            other => {
                return Err(ctx.invalid(line, "record", format!("unknown record kind `{other}`")))
            }
        }
    }
    let end = last_line + 1;
    let truncated = |field: &str| DatasetError::Truncated {
        file: file.to_string(),
        line: end,
        field: field.to_string(),
    };
    let depot = depot.ok_or_else(|| truncated("depot"))?;
    if couriers.is_empty() {
        return Err(truncated("courier"));
    }
    Ok(Scenario {
        name: name.ok_or_else(|| truncated("scenario"))?,
        seed,
        products: products.ok_or_else(|| truncated("products"))?,
        depot,
        couriers,
        households,
    })
}

/// Reads and parses a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_scenario(&text, &crate::file_label(path))
}
