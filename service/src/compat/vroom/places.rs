//! Where the tasks and vehicles are: each location of the input resolved to a row of the
//! travel matrices, either the custom `matrices` of the vehicles' profile (by
//! `location_index`, used as given) or the road engine (by `[lon, lat]`, deduplicated,
//! snapped and routed with one many-to-many matrix, door to door unless [`Roads::access`]
//! is road only: the values of the Roads service's matrix, each location's snap and access
//! distances kept for the answer).

use std::collections::HashMap;

use milkrun_engine::{Access, Door, EngineError, LatLon, Profile, TrafficOverlay};
use milkrun_vrp::Matrix;

use super::bounded::Bounded;
use super::error::VroomError;
use super::input::{Coordinates, ProfileMatrices, MAX_MATRIX_SIZE};
use crate::compat::osrm::parse_profile;

/// The road networks a VROOM problem may be routed on: one tenant's overlay per profile
/// (`None`: that profile is not served), and the snap limit for `[lon, lat]` locations.
#[derive(Debug, Clone, Copy)]
pub struct Roads<'a> {
    /// Car roads (VROOM's default profile `car`, also `driving`).
    pub car: Option<&'a TrafficOverlay>,
    /// Bike roads (`bike`, `bicycle`, `cycling`).
    pub bike: Option<&'a TrafficOverlay>,
    /// Footpaths (`foot`, `walking`).
    pub foot: Option<&'a TrafficOverlay>,
    /// Largest distance from a location to its road, metres (`+inf`: no limit); a location
    /// farther away is a routing error (code 3) naming it.
    pub max_snap_m: f64,
    /// Door to door (the default: an access leg between each location and its road
    /// position, so two different locations are never 0 s apart) or road only, as
    /// VROOM on OSRM counts it.
    pub access: Access,
}

impl Roads<'_> {
    /// No roads at all: only problems with `matrices` can be solved.
    pub fn none() -> Roads<'static> {
        Roads {
            car: None,
            bike: None,
            foot: None,
            max_snap_m: milkrun_engine::DEFAULT_MAX_SNAP_M,
            access: Access::default(),
        }
    }

    fn get(&self, p: Profile) -> Option<&TrafficOverlay> {
        match p {
            Profile::Car => self.car,
            Profile::Bike => self.bike,
            Profile::Foot => self.foot,
        }
    }
}

/// The access of the face's query string (`POST /vroom?road_only=true`,
/// `?access_speed_mps=2.5`): door to door at the default speed when neither is given. VROOM's
/// JSON has no room for it (its keys are VROOM's; an unknown key is refused), so it rides on
/// the URL, which is all a VROOM client changes. Errors ([`VroomError::Input`], code 2) name
/// the parameter: an unknown one, a `road_only` that is not `true`/`false`/`1`/`0`, a speed
/// that is not a number in 0.1..=50 m/s, or a speed with `road_only=true`.
pub fn access_from_query(query: &str) -> Result<Access, VroomError> {
    let mut road_only = false;
    let mut speed: Option<f64> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "road_only" => {
                road_only = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(VroomError::input(
                            "?road_only",
                            format!("`{value}` is not true, false, 1 or 0"),
                        ))
                    }
                }
            }
            "access_speed_mps" => {
                let v: f64 = value.parse().map_err(|_| {
                    VroomError::input("?access_speed_mps", format!("`{value}` is not a number"))
                })?;
                milkrun_engine::check_access_speed("access_speed_mps", v).map_err(|_| {
                    VroomError::input(
                        "?access_speed_mps",
                        format!("{v} is not a speed between 0.1 and 50 m/s"),
                    )
                })?;
                speed = Some(v);
            }
            other => {
                return Err(VroomError::input(
                    format!("?{other}"),
                    "unknown query parameter (road_only, access_speed_mps)",
                ))
            }
        }
    }
    match (road_only, speed) {
        (true, Some(_)) => Err(VroomError::input(
            "?access_speed_mps",
            "road_only has no access legs to give a speed to",
        )),
        (true, None) => Ok(Access::RoadOnly),
        (false, Some(speed_mps)) => Ok(Access::DoorToDoor { speed_mps }),
        (false, None) => Ok(Access::default()),
    }
}

/// One location as the input gives it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The field path of the location (`jobs[2].location`, `vehicles[0].start`).
    pub path: String,
    /// The field path of its index (`jobs[2].location_index`, `vehicles[0].start_index`).
    pub index_path: String,
    /// `[lon, lat]`, if given.
    pub coords: Option<Coordinates>,
    /// Row of the custom matrices, if given.
    pub index: Option<u32>,
}

/// How the location of a matrix row met the roads, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowSnap {
    /// Distance from the location to its road.
    pub snap_m: f64,
    /// Length of its access leg: to the road node it is routed from.
    pub access_m: f64,
}

/// Every endpoint resolved to a matrix row, with the matrices.
#[derive(Debug, Clone)]
pub struct Places {
    /// Matrix row of each endpoint, in the order given.
    pub rows: Vec<usize>,
    /// How each row's location met the roads (empty with custom matrices).
    pub snaps: Vec<RowSnap>,
    /// Travel times, seconds.
    pub durations: Matrix<i64>,
    /// Distances, metres, when known (always with roads; with `matrices` only when given).
    pub distances: Option<Matrix<i64>>,
}

/// Resolves `endpoints` for vehicles of profile `profile` (VROOM's name, `car` by default):
/// with `matrices[profile]`, every endpoint needs an index below the matrix size; without,
/// every endpoint needs `[lon, lat]` and `roads` must serve the profile.
pub fn resolve(
    endpoints: &[Endpoint],
    profile: &str,
    profile_path: &str,
    matrices: Option<&ProfileMatrices>,
    roads: &Roads<'_>,
) -> Result<Places, VroomError> {
    for e in endpoints {
        if let Some(c) = e.coords {
            check_coords(&e.path, c)?;
        }
    }
    match matrices {
        Some(m) => from_matrices(endpoints, profile, m),
        None => {
            let p = parse_profile(profile).map_err(|_| {
                VroomError::input(
                    profile_path,
                    format!("unknown profile `{profile}` (car, bike or foot) and no `matrices.{profile}`"),
                )
            })?;
            let overlay = roads.get(p).ok_or_else(|| {
                VroomError::input(
                    profile_path,
                    format!("profile `{profile}` has no roads here; send `matrices.{profile}`"),
                )
            })?;
            from_roads(endpoints, profile, overlay, roads.max_snap_m, roads.access)
        }
    }
}

fn check_coords(path: &str, c: Coordinates) -> Result<(), VroomError> {
    let [lon, lat] = c;
    if LatLon::checked(0, lat, lon).is_err() {
        return Err(VroomError::input(
            path,
            format!("[{lon}, {lat}] is not a [lon, lat] in [-180, 180] x [-90, 90]"),
        ));
    }
    Ok(())
}

type Grid = Bounded<Bounded<u32, MAX_MATRIX_SIZE>, MAX_MATRIX_SIZE>;

fn square(path: &str, g: &Grid) -> Result<Matrix<i64>, VroomError> {
    let n = g.0.len();
    for (i, row) in g.0.iter().enumerate() {
        if row.0.len() != n {
            return Err(VroomError::input(
                format!("{path}[{i}]"),
                format!(
                    "has {} entries; the matrix has {n} rows (square)",
                    row.0.len()
                ),
            ));
        }
    }
    Ok(Matrix::from_fn(n, |i, j| i64::from(g.0[i].0[j])))
}

fn from_matrices(
    endpoints: &[Endpoint],
    profile: &str,
    m: &ProfileMatrices,
) -> Result<Places, VroomError> {
    let base = format!("matrices.{profile}");
    let durations_path = format!("{base}.durations");
    let durations = match &m.durations {
        Some(g) => square(&durations_path, g)?,
        None => {
            return Err(VroomError::input(
                durations_path,
                "required (travel times, seconds)",
            ))
        }
    };
    let n = durations.size();
    let distances = match &m.distances {
        Some(g) => {
            let path = format!("{base}.distances");
            let d = square(&path, g)?;
            if d.size() != n {
                return Err(VroomError::input(
                    path,
                    format!("{0} x {0}, but durations are {n} x {n}", d.size()),
                ));
            }
            Some(d)
        }
        None => None,
    };
    let rows = endpoints
        .iter()
        .map(|e| match e.index {
            Some(i) if (i as usize) < n => Ok(i as usize),
            Some(i) => Err(VroomError::input(
                &e.index_path,
                format!("{i} is not a row of `{base}` ({n} rows)"),
            )),
            None => Err(VroomError::input(
                &e.index_path,
                format!("required with `{base}`"),
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(Places {
        rows,
        snaps: Vec::new(),
        durations,
        distances,
    })
}

fn from_roads(
    endpoints: &[Endpoint],
    profile: &str,
    overlay: &TrafficOverlay,
    max_snap_m: f64,
    access: Access,
) -> Result<Places, VroomError> {
    // Unique coordinates (exact bits), each with the first endpoint that named it.
    let mut unique: Vec<(LatLon, usize)> = Vec::new();
    let mut seen: HashMap<(u64, u64), usize> = HashMap::with_capacity(endpoints.len());
    let mut rows = Vec::with_capacity(endpoints.len());
    for (k, e) in endpoints.iter().enumerate() {
        if e.index.is_some() {
            return Err(VroomError::input(
                &e.index_path,
                format!("an index needs `matrices.{profile}`; send [lon, lat] or the matrices"),
            ));
        }
        let Some([lon, lat]) = e.coords else {
            return Err(VroomError::input(
                &e.path,
                format!("required: [lon, lat] (there are no `matrices.{profile}`)"),
            ));
        };
        let row = *seen
            .entry((lon.to_bits(), lat.to_bits()))
            .or_insert_with(|| {
                unique.push((LatLon { lat, lon }, k));
                unique.len() - 1
            });
        rows.push(row);
    }
    let n = unique.len();
    overlay
        .network()
        .check_matrix_size(n, n)
        .map_err(|e| VroomError::input("", format!("{n} distinct locations: {e}")))?;
    let points: Vec<LatLon> = unique.iter().map(|u| u.0).collect();
    let snaps = overlay.snap_all(&points, max_snap_m).map_err(|e| match e {
        EngineError::TooFarFromRoad {
            index, distance_m, ..
        } => VroomError::Routing {
            path: unique
                .get(index)
                .and_then(|u| endpoints.get(u.1))
                .map_or_else(String::new, |e| e.path.clone()),
            reason: format!(
                "the nearest `{profile}` road is {distance_m:.0} m away (limit {max_snap_m} m)"
            ),
        },
        other => VroomError::Engine(other),
    })?;
    let doors: Vec<Door> = points
        .iter()
        .zip(&snaps)
        .map(|(&p, s)| Door::snapped(p, s))
        .collect();
    let m = overlay
        .matrix_doors(&doors, &doors, access, None)
        .map_err(|e| match e {
            EngineError::AccessTooLong { index, .. } => VroomError::Routing {
                path: unique
                    .get(index)
                    .and_then(|u| endpoints.get(u.1))
                    .map_or_else(String::new, |e| e.path.clone()),
                reason: e.to_string(),
            },
            other => VroomError::Engine(other),
        })?;
    let path_of = |i: usize| endpoints[unique[i].1].path.clone();
    let mut durations = Vec::with_capacity(n * n);
    let mut distances = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            match (m.whole_seconds(i, j), m.meters(i, j)) {
                (Some(t), Some(d)) => {
                    durations.push(i64::from(t));
                    distances.push(i64::from(d));
                }
                _ => {
                    return Err(VroomError::Routing {
                        path: path_of(i),
                        reason: format!("no `{profile}` route from here to `{}`", path_of(j)),
                    })
                }
            }
        }
    }
    let durations = Matrix::new("durations", n, durations).map_err(VroomError::Problem)?;
    let distances = Matrix::new("distances", n, distances).map_err(VroomError::Problem)?;
    Ok(Places {
        rows,
        snaps: snaps
            .iter()
            .map(|s| RowSnap {
                snap_m: s.snap_m,
                access_m: s.node_m,
            })
            .collect(),
        durations,
        distances: Some(distances),
    })
}
