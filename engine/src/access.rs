//! Door-to-door travel: the access legs between a door and its road position.
//!
//! A stop (a household's door, the depot's gate) is routed from the road node it snaps to
//! ([`crate::snap`]). The courier covers the straight line between the door and that node on
//! foot (an e-trike or a van is parked at the road), at the access speed of the profile, so
//! a door-to-door entry is `access(from) + road(node, node) + access(to)`: two different
//! doors on the same road position get the two access legs between them, never 0. An
//! access leg's metres and milliseconds are rounded up, and whole metres of a door-to-door
//! matrix are rounded up too, so a door-to-door distance is never shorter than the straight
//! line between the doors (the road legs follow the geometry). Every sum is checked.
//!
//! [`Access::RoadOnly`] gives the road-only values, as OSRM gives them.

use crate::geo::LatLon;
use crate::graph::{key_dist_dm, key_travel_ms, pack_key, NodeId, INF_KEY};
use crate::profile::Profile;
use crate::snap::{Snap, DEFAULT_MAX_SNAP_M};
use crate::EngineError;

/// Default access speed, metres per second: a courier on foot between the road and a door.
pub const DEFAULT_ACCESS_MPS: f64 = 1.3;
/// Slowest access speed accepted, metres per second.
pub const MIN_ACCESS_MPS: f64 = 0.1;
/// Fastest access speed accepted, metres per second (180 km/h).
pub const MAX_ACCESS_MPS: f64 = 50.0;

/// How the ends of a trip between two points are counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Access {
    /// Road position to road position, as OSRM gives it: the doors are left out.
    RoadOnly,
    /// Door to door: an access leg at `speed_mps` between each door and its road position.
    DoorToDoor {
        /// Speed on the access legs, metres per second (validated by [`Access::door_to_door`]).
        speed_mps: f64,
    },
}

impl Default for Access {
    /// Door to door at [`DEFAULT_ACCESS_MPS`].
    fn default() -> Access {
        Access::DoorToDoor {
            speed_mps: DEFAULT_ACCESS_MPS,
        }
    }
}

impl Access {
    /// Door to door at `speed_mps`; an error naming `access_speed_mps` unless it is a finite
    /// speed in [[`MIN_ACCESS_MPS`], [`MAX_ACCESS_MPS`]].
    pub fn door_to_door(speed_mps: f64) -> Result<Access, EngineError> {
        check_access_speed("access_speed_mps", speed_mps)?;
        Ok(Access::DoorToDoor { speed_mps })
    }

    /// The default access of a profile: on foot at [`DEFAULT_ACCESS_MPS`] for every profile
    /// (from a van, from an e-trike, or a walking courier's last metres).
    pub fn for_profile(profile: Profile) -> Access {
        match profile {
            Profile::Car | Profile::Bike | Profile::Foot => Access::default(),
        }
    }

    /// Whether access legs are counted.
    pub fn is_door_to_door(&self) -> bool {
        matches!(self, Access::DoorToDoor { .. })
    }

    /// Checks the speed of a door-to-door access (a value built without
    /// [`Access::door_to_door`]).
    pub fn check(&self) -> Result<(), EngineError> {
        match *self {
            Access::RoadOnly => Ok(()),
            Access::DoorToDoor { speed_mps } => check_access_speed("access_speed_mps", speed_mps),
        }
    }

    /// The access leg of point `index` snapped at `snap`, as a weight key (0 for
    /// [`Access::RoadOnly`]). Errors: a bad speed, or a leg longer than a key holds
    /// ([`EngineError::AccessTooLong`]; only with an unbounded snap limit).
    pub fn leg_key(&self, index: usize, snap: &Snap) -> Result<u64, EngineError> {
        self.leg_key_m(index, snap.node_m)
    }

    /// The access leg of point `index`, `access_m` metres from its road node, as a weight
    /// key (0 for [`Access::RoadOnly`]). Errors as [`Access::leg_key`]; a negative or NaN
    /// length is [`EngineError::AccessTooLong`] too.
    pub fn leg_key_m(&self, index: usize, access_m: f64) -> Result<u64, EngineError> {
        let Access::DoorToDoor { speed_mps } = *self else {
            return Ok(0);
        };
        check_access_speed("access_speed_mps", speed_mps)?;
        let too_long = || EngineError::AccessTooLong {
            index,
            distance_m: access_m,
        };
        let dm = (access_m * 10.0).ceil();
        let ms = (access_m / speed_mps * 1000.0).ceil();
        // Keys hold u32 halves; stay well below so road legs can be added.
        let cap = f64::from(u32::MAX / 4);
        if !(dm >= 0.0 && dm <= cap && ms >= 0.0 && ms <= cap) {
            return Err(too_long());
        }
        Ok(pack_key(ms as u32, dm as u32))
    }
}

/// `Ok` for a finite access speed in [[`MIN_ACCESS_MPS`], [`MAX_ACCESS_MPS`]] m/s; an error
/// naming `field` otherwise.
pub fn check_access_speed(field: &'static str, speed_mps: f64) -> Result<(), EngineError> {
    if speed_mps.is_finite() && (MIN_ACCESS_MPS..=MAX_ACCESS_MPS).contains(&speed_mps) {
        Ok(())
    } else {
        Err(EngineError::BadAccessSpeed {
            field,
            value: speed_mps,
        })
    }
}

/// `road` with the access legs `a` and `b` added, component by component, with checked
/// sums: [`INF_KEY`] stays unreachable, an overflow is `None`.
pub(crate) fn add_legs(road: u64, a: u64, b: u64) -> Option<u64> {
    if road == INF_KEY {
        return Some(INF_KEY);
    }
    let ms = key_travel_ms(road)?
        .checked_add(key_travel_ms(a)?)?
        .checked_add(key_travel_ms(b)?)?;
    let dm = key_dist_dm(road)?
        .checked_add(key_dist_dm(a)?)?
        .checked_add(key_dist_dm(b)?)?;
    let key = pack_key(ms, dm);
    (key != INF_KEY).then_some(key)
}

/// A door that has met the roads: where it is, the road node it is routed from and to, and
/// the length of its access leg, metres ([`Snap::node_m`]). Kept by a caller that snaps its
/// points once and asks for matrices again later (after a traffic update, with a new
/// point): [`crate::TrafficOverlay::matrix_doors`] gives the same values as
/// [`crate::TrafficOverlay::matrix_with`] on the points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Door {
    /// The door itself.
    pub point: LatLon,
    /// Its road position.
    pub node: NodeId,
    /// Great-circle length of the access leg between the door and `node`, metres.
    pub access_m: f64,
}

impl Door {
    /// The door at `point`, snapped at `snap`.
    pub fn snapped(point: LatLon, snap: &Snap) -> Door {
        Door {
            point,
            node: snap.node,
            access_m: snap.node_m,
        }
    }
}

/// One side of a door-to-door matrix: the points, the access leg of each (a key), its
/// length (for errors), and the points on the road, in order (the rows or columns of the
/// road matrix between their nodes).
pub(crate) struct Ends<'a> {
    pub(crate) points: &'a [LatLon],
    pub(crate) legs: Vec<u64>,
    pub(crate) access_m: Vec<f64>,
    pub(crate) on_road: Vec<usize>,
}

/// The matrix between the points of `from` and `to`, from `road` (the matrix between the
/// road nodes of their points on the road, in [`Ends::on_road`] order): door to door, the
/// access legs are added (the same door at both ends is 0); road only, the road's values.
/// Points off the road keep unreachable rows and columns.
pub(crate) fn door_matrix(
    road: &crate::TravelMatrix,
    from: &Ends<'_>,
    to: &Ends<'_>,
    door_to_door: bool,
) -> Result<crate::TravelMatrix, EngineError> {
    let (rows, cols) = (from.points.len(), to.points.len());
    let mut keys = vec![INF_KEY; rows * cols];
    for (a, &i) in from.on_road.iter().enumerate() {
        for (b, &j) in to.on_road.iter().enumerate() {
            let r = road.key(a, b);
            keys[i * cols + j] = if !door_to_door {
                r
            } else if from.points[i] == to.points[j] {
                0
            } else {
                add_legs(r, from.legs[i], to.legs[j]).ok_or(EngineError::AccessTooLong {
                    index: i,
                    distance_m: from.access_m[i],
                })?
            };
        }
    }
    Ok(crate::TravelMatrix {
        rows,
        cols,
        keys,
        door_to_door,
    })
}

/// Options of a matrix or route between points ([`crate::TrafficOverlay::matrix_with`],
/// [`crate::TrafficOverlay::route_with`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointOptions {
    /// Largest distance between a point and its road, metres (`+inf`: no limit).
    pub max_snap_m: f64,
    /// Door to door (the default) or road only.
    pub access: Access,
    /// Fail the whole request when a point is farther than `max_snap_m` from every road;
    /// otherwise (the default) that point is unreachable and the rest is computed.
    pub strict: bool,
    /// Departure time, seconds since midnight, for the time-of-day metric (`None`: the
    /// metric outside every slot).
    pub departure_s: Option<u32>,
}

impl Default for PointOptions {
    fn default() -> PointOptions {
        PointOptions {
            max_snap_m: DEFAULT_MAX_SNAP_M,
            access: Access::default(),
            strict: false,
            departure_s: None,
        }
    }
}
