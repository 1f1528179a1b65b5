//! Turn-by-turn manoeuvres from a route's geometry, pure: depart, continue, turn (slight,
//! plain, sharp) left or right, U-turn and arrive, each with the distance from the previous
//! manoeuvre, for a courier's phone.
//!
//! The engine keeps no street names (only way ids), so a manoeuvre names no street: it says
//! which way to turn and after how far, and carries the way id taken.
//!
//! The rules:
//! - A path is a start and [`Step`]s, each to a point along a way (or `None`, an access leg
//!   between a door and the road) with its length. Steps shorter than [`MIN_STEP_M`] are
//!   folded into the previous point (a road node twice, a door on its road node).
//! - A manoeuvre happens only where the path has a choice ([`Step::junction`]: the road node
//!   has at least two ways on other than back): a bend along a road with no side road is no
//!   manoeuvre, however sharp.
//! - The turn at a choice is the change of heading between the direction arriving and the
//!   direction leaving, each read over up to [`LOOK_M`] of the path (and never past the
//!   previous manoeuvre), so that the short segments of a curved junction do not decide it.
//!   Clockwise is right. Under [`STRAIGHT_DEG`] it is straight on: no manoeuvre, unless the
//!   way changes there ([`ManeuverKind::Continue`]); under [`SLIGHT_DEG`] slight, under
//!   [`SHARP_DEG`] plain, under [`UTURN_DEG`] sharp, and a U-turn from there.
//! - A turn within [`MERGE_M`] of the previous one (a jog across a divided road) is one
//!   manoeuvre with the two changes of heading added.
//! - The first manoeuvre is the departure (its heading), the last the arrival; the distances
//!   of all add up to the path's length.
//!
//! [`route_maneuvers`] reads a [`crate::Route`] on its graph: each segment's edge (the
//! fastest between the two road nodes, free flow) gives its way and length in the graph's own units
//! (so the distances add up to the route's `dist_dm`), and the road node's other ways say
//! where the path has a choice.
use crate::engine::Route;
use crate::geo::{haversine_m, LatLon};
use crate::graph::{EdgeId, NodeId, RoadGraph};

/// Steps shorter than this (metres) are folded into the previous point.
pub const MIN_STEP_M: f64 = 0.5;
/// How far along the path (metres) the headings arriving at and leaving a junction are read.
pub const LOOK_M: f64 = 15.0;
/// A change of heading under this (degrees) is straight on.
pub const STRAIGHT_DEG: f64 = 25.0;
/// Under this (degrees), a slight turn.
pub const SLIGHT_DEG: f64 = 50.0;
/// Under this (degrees), a plain turn.
pub const SHARP_DEG: f64 = 120.0;
/// Under this (degrees), a sharp turn; from here on a U-turn.
pub const UTURN_DEG: f64 = 165.0;
/// A turn closer than this (metres) to the previous turn is merged with it.
pub const MERGE_M: f64 = 10.0;

/// What the courier does at a manoeuvre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManeuverKind {
    /// Set off (the first manoeuvre).
    Depart,
    /// Straight on at a junction, onto another way.
    Continue,
    /// A slight left.
    SlightLeft,
    /// A slight right.
    SlightRight,
    /// Turn left.
    Left,
    /// Turn right.
    Right,
    /// A sharp left.
    SharpLeft,
    /// A sharp right.
    SharpRight,
    /// Turn back.
    UTurn,
    /// The destination (the last manoeuvre).
    Arrive,
}

impl ManeuverKind {
    /// The kind's name in the JSON (`depart`, `slight_left`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ManeuverKind::Depart => "depart",
            ManeuverKind::Continue => "continue",
            ManeuverKind::SlightLeft => "slight_left",
            ManeuverKind::SlightRight => "slight_right",
            ManeuverKind::Left => "left",
            ManeuverKind::Right => "right",
            ManeuverKind::SharpLeft => "sharp_left",
            ManeuverKind::SharpRight => "sharp_right",
            ManeuverKind::UTurn => "uturn",
            ManeuverKind::Arrive => "arrive",
        }
    }

    /// The kind of a change of heading (degrees, clockwise positive, in `(-180, 180]`);
    /// `None`: straight on.
    pub fn of_turn(turn_deg: f64) -> Option<ManeuverKind> {
        let a = turn_deg.abs();
        let right = turn_deg > 0.0;
        Some(if a < STRAIGHT_DEG {
            return None;
        } else if a < SLIGHT_DEG {
            if right {
                ManeuverKind::SlightRight
            } else {
                ManeuverKind::SlightLeft
            }
        } else if a < SHARP_DEG {
            if right {
                ManeuverKind::Right
            } else {
                ManeuverKind::Left
            }
        } else if a < UTURN_DEG {
            if right {
                ManeuverKind::SharpRight
            } else {
                ManeuverKind::SharpLeft
            }
        } else {
            ManeuverKind::UTurn
        })
    }
}

/// One step of a path: from the previous point to `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Where the step ends.
    pub to: LatLon,
    /// The way it runs along; `None`: off the roads (an access leg to a door).
    pub way: Option<i64>,
    /// Its length, metres (not finite or negative: the straight line's).
    pub length_m: f64,
    /// Whether the path has a choice at `to` (another way on than the next step, other
    /// than back).
    pub junction: bool,
}

/// One manoeuvre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Maneuver {
    /// What to do.
    pub kind: ManeuverKind,
    /// Where.
    pub at: LatLon,
    /// The distance from the previous manoeuvre (0 for the departure), metres.
    pub distance_m: f64,
    /// The distance from the start, metres.
    pub from_start_m: f64,
    /// The heading after it, degrees clockwise from north (the arrival: the heading
    /// arriving).
    pub bearing_deg: f64,
    /// The change of heading, degrees clockwise (0 for the departure and the arrival).
    pub turn_deg: f64,
    /// The way taken after it (the arrival: the way arrived on).
    pub way: Option<i64>,
}

/// Initial bearing from `a` to `b`, degrees clockwise from north (0..360).
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// `deg` in `(-180, 180]`.
fn signed(deg: f64) -> f64 {
    let d = deg.rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

/// The manoeuvres of the path from `start` along `steps` (see the module's rules). An empty
/// path (or one whose steps are all shorter than [`MIN_STEP_M`]) is a departure and an
/// arrival at `start`.
pub fn maneuvers(start: LatLon, steps: &[Step]) -> Vec<Maneuver> {
    // The points, the way of the segment ending at each, the choice at each, and the
    // distance from the start.
    let mut pts = vec![start];
    let mut ways: Vec<Option<i64>> = vec![None];
    let mut choice = vec![false];
    let mut at_m = vec![0.0f64];
    for s in steps {
        let last = pts.len() - 1;
        let straight = haversine_m(pts[last], s.to);
        let len = if s.length_m.is_finite() && s.length_m >= 0.0 {
            s.length_m
        } else {
            straight
        };
        if straight < MIN_STEP_M {
            // Folded: the previous point keeps the choice and the length runs on.
            at_m[last] += len;
            choice[last] |= s.junction;
            if last == 0 {
                ways[0] = s.way;
            }
            continue;
        }
        pts.push(s.to);
        ways.push(s.way);
        choice.push(s.junction);
        at_m.push(at_m[last] + len);
    }
    let n = pts.len();
    let total = at_m[n - 1];
    // The way of the segment leaving point i is ways[i + 1].
    let first_way = if n > 1 { ways[1] } else { ways[0] };
    let heading_from = |i: usize| -> f64 {
        // Leaving i: the farthest point within LOOK_M ahead (at least the next).
        let mut j = i + 1;
        while j + 1 < n && at_m[j + 1] - at_m[i] <= LOOK_M {
            j += 1;
        }
        bearing_deg(pts[i], pts[j])
    };
    let heading_to = |i: usize, floor: usize| -> f64 {
        // Arriving at i: the farthest point within LOOK_M behind (at least the previous),
        // never before `floor` (the previous manoeuvre).
        let mut j = i - 1;
        while j > floor && at_m[i] - at_m[j - 1] <= LOOK_M {
            j -= 1;
        }
        bearing_deg(pts[j], pts[i])
    };
    let mut out = Vec::new();
    out.push(Maneuver {
        kind: ManeuverKind::Depart,
        at: start,
        distance_m: 0.0,
        from_start_m: 0.0,
        bearing_deg: if n > 1 { heading_from(0) } else { 0.0 },
        turn_deg: 0.0,
        way: first_way,
    });
    let mut last_i = 0usize;
    for i in 1..n.saturating_sub(1) {
        if !choice[i] {
            continue;
        }
        let before = heading_to(i, last_i);
        let after = heading_from(i);
        let turn = signed(after - before);
        let way_changes = matches!((ways[i], ways[i + 1]), (Some(a), Some(b)) if a != b);
        let kind = match ManeuverKind::of_turn(turn) {
            Some(k) => k,
            None if way_changes => ManeuverKind::Continue,
            None => continue,
        };
        let prev = out.len() - 1;
        let close = last_i > 0 && at_m[i] - at_m[last_i] < MERGE_M;
        if close && kind != ManeuverKind::Continue && out[prev].kind != ManeuverKind::Continue {
            // One manoeuvre: the previous turn's heading change and this one's.
            let m = &mut out[prev];
            m.turn_deg = signed(m.turn_deg + turn);
            m.kind = ManeuverKind::of_turn(m.turn_deg).unwrap_or(ManeuverKind::Continue);
            m.bearing_deg = after;
            m.way = ways[i + 1];
            last_i = i;
            continue;
        }
        out.push(Maneuver {
            kind,
            at: pts[i],
            distance_m: at_m[i] - out[prev].from_start_m,
            from_start_m: at_m[i],
            bearing_deg: after,
            turn_deg: turn,
            way: ways[i + 1],
        });
        last_i = i;
    }
    out.push(Maneuver {
        kind: ManeuverKind::Arrive,
        at: pts[n - 1],
        distance_m: total - out.last().map_or(0.0, |m| m.from_start_m),
        from_start_m: total,
        bearing_deg: if n > 1 {
            heading_to(n - 1, last_i)
        } else {
            0.0
        },
        turn_deg: 0.0,
        way: ways[n - 1],
    });
    out
}

/// The edge from road node `u` to road node `v` (or an arrival copy of `v`) that a fastest
/// path takes: the least free-flow weight key (time, then length).
fn edge_between(graph: &RoadGraph, u: NodeId, v: NodeId) -> Option<EdgeId> {
    graph
        .out_edges(u)
        .map(|e| EdgeId(e as u32))
        .filter(|&e| graph.original_node(graph.head(e)) == v)
        .min_by_key(|&e| (graph.travel_ms(e), graph.dist_dm(e)))
}

/// Whether a path arriving at `v` from `from` has a choice there: at least two road nodes
/// other than `from` one edge on.
fn has_choice(graph: &RoadGraph, v: NodeId, from: NodeId) -> bool {
    let mut seen: Vec<NodeId> = Vec::new();
    for e in graph.out_edges(v) {
        let w = graph.original_node(graph.head(EdgeId(e as u32)));
        if w != from && w != v && !seen.contains(&w) {
            seen.push(w);
            if seen.len() >= 2 {
                return true;
            }
        }
    }
    false
}

/// The steps of a route of `graph` (road only, or door to door: a polyline with one point
/// more at each end than the route's nodes, the access legs, `way` `None`).
pub fn route_steps(graph: &RoadGraph, route: &Route) -> Vec<Step> {
    let nodes = &route.nodes;
    let access = route.polyline.len() == nodes.len() + 2;
    let mut steps = Vec::with_capacity(route.polyline.len());
    if access {
        if let Some(&first) = route.polyline.get(1) {
            steps.push(Step {
                to: first,
                way: None,
                length_m: route
                    .polyline
                    .first()
                    .map_or(0.0, |&door| haversine_m(door, first)),
                junction: false,
            });
        }
    }
    for k in 1..nodes.len() {
        let (u, v) = (nodes[k - 1], nodes[k]);
        let e = edge_between(graph, u, v);
        let to = graph.coord(v);
        steps.push(Step {
            to,
            way: e.map(|e| graph.way_id(e)),
            length_m: e.map_or_else(
                || haversine_m(graph.coord(u), to),
                |e| f64::from(graph.dist_dm(e)) / 10.0,
            ),
            junction: k + 1 < nodes.len() && has_choice(graph, v, u),
        });
    }
    if access {
        if let (Some(&road), Some(&door)) = (
            route.polyline.get(route.polyline.len().saturating_sub(2)),
            route.polyline.last(),
        ) {
            steps.push(Step {
                to: door,
                way: None,
                length_m: haversine_m(road, door),
                junction: false,
            });
        }
    }
    steps
}

/// The manoeuvres of a route of `graph` ([`route_steps`], then [`maneuvers`]).
pub fn route_maneuvers(graph: &RoadGraph, route: &Route) -> Vec<Maneuver> {
    let start = match route.polyline.first() {
        Some(&p) => p,
        None => match route.nodes.first() {
            Some(&v) => graph.coord(v),
            None => return Vec::new(),
        },
    };
    maneuvers(start, &route_steps(graph, route))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point `east_m` east and `north_m` north of (47.1, 9.5).
    fn at(east_m: f64, north_m: f64) -> LatLon {
        let k = 6_371_008.8 * std::f64::consts::PI / 180.0;
        LatLon {
            lat: 47.1 + north_m / k,
            lon: 9.5 + east_m / (k * 47.1f64.to_radians().cos()),
        }
    }

    fn step(east_m: f64, north_m: f64, way: i64, junction: bool) -> Step {
        Step {
            to: at(east_m, north_m),
            way: Some(way),
            length_m: f64::NAN,
            junction,
        }
    }

    fn kinds(m: &[Maneuver]) -> Vec<ManeuverKind> {
        m.iter().map(|m| m.kind).collect()
    }

    /// North 100 m, right at a junction, east 50 m, left at a junction, north 30 m: depart,
    /// right after 100 m, left after 50 m, arrive after 30 m; the distances add up to 180 m.
    #[test]
    fn an_l_and_back() {
        let steps = [
            step(0.0, 50.0, 1, false),
            step(0.0, 100.0, 1, true),
            step(50.0, 100.0, 2, true),
            step(50.0, 130.0, 3, false),
        ];
        let m = maneuvers(at(0.0, 0.0), &steps);
        use ManeuverKind::*;
        assert_eq!(kinds(&m), vec![Depart, Right, Left, Arrive]);
        let d: Vec<f64> = m.iter().map(|m| m.distance_m.round()).collect();
        assert_eq!(d, vec![0.0, 100.0, 50.0, 30.0]);
        assert!((m[0].bearing_deg - 0.0).abs() < 1.0 || (m[0].bearing_deg - 360.0).abs() < 1.0);
        assert!((m[1].bearing_deg - 90.0).abs() < 1.0);
        assert!((m[1].turn_deg - 90.0).abs() < 1.0);
        assert!((m[2].turn_deg + 90.0).abs() < 1.0);
        assert_eq!(m[1].way, Some(2));
        assert_eq!(m[3].way, Some(3));
        assert!((m[3].from_start_m - 180.0).abs() < 0.5);
    }

    /// The same bend where the road has no side road is no manoeuvre; a straight crossing on
    /// the same way is none either, onto another way it is a "continue".
    #[test]
    fn bends_and_crossings() {
        use ManeuverKind::*;
        let bend = [step(0.0, 100.0, 1, false), step(60.0, 100.0, 1, false)];
        assert_eq!(kinds(&maneuvers(at(0.0, 0.0), &bend)), vec![Depart, Arrive]);
        let same = [step(0.0, 100.0, 1, true), step(0.0, 200.0, 1, false)];
        assert_eq!(kinds(&maneuvers(at(0.0, 0.0), &same)), vec![Depart, Arrive]);
        let other = [step(0.0, 100.0, 1, true), step(3.0, 200.0, 7, false)];
        let m = maneuvers(at(0.0, 0.0), &other);
        assert_eq!(kinds(&m), vec![Depart, Continue, Arrive]);
        assert_eq!(m[1].way, Some(7));
    }

    /// Slight, plain and sharp turns both ways, and a U-turn, by the angle's thresholds.
    #[test]
    fn the_angles() {
        use ManeuverKind::*;
        let turn_to = |deg: f64| {
            let r = deg.to_radians();
            let steps = [
                step(0.0, 100.0, 1, true),
                step(80.0 * r.sin(), 100.0 + 80.0 * r.cos(), 2, false),
            ];
            maneuvers(at(0.0, 0.0), &steps)[1].kind
        };
        assert_eq!(turn_to(30.0), SlightRight);
        assert_eq!(turn_to(-30.0), SlightLeft);
        assert_eq!(turn_to(90.0), Right);
        assert_eq!(turn_to(-80.0), Left);
        assert_eq!(turn_to(140.0), SharpRight);
        assert_eq!(turn_to(-140.0), SharpLeft);
        assert_eq!(turn_to(175.0), UTurn);
        assert_eq!(ManeuverKind::of_turn(10.0), None);
        assert_eq!(ManeuverKind::of_turn(-24.9), None);
    }

    /// Two right turns 6 m apart (a jog) are one U-turn; 40 m apart, two rights.
    #[test]
    fn close_turns_merge() {
        use ManeuverKind::*;
        let jog = [
            step(0.0, 100.0, 1, true),
            step(6.0, 100.0, 2, true),
            step(6.0, 0.0, 3, false),
        ];
        let m = maneuvers(at(0.0, 0.0), &jog);
        assert_eq!(kinds(&m), vec![Depart, UTurn, Arrive]);
        assert_eq!(m[1].way, Some(3));
        let apart = [
            step(0.0, 100.0, 1, true),
            step(40.0, 100.0, 2, true),
            step(40.0, 0.0, 3, false),
        ];
        assert_eq!(
            kinds(&maneuvers(at(0.0, 0.0), &apart)),
            vec![Depart, Right, Right, Arrive]
        );
    }

    /// Empty, folded and degenerate paths: a departure and an arrival, no panic; a length
    /// that is not a number counts as the straight line.
    #[test]
    fn degenerate_paths() {
        use ManeuverKind::*;
        let m = maneuvers(at(0.0, 0.0), &[]);
        assert_eq!(kinds(&m), vec![Depart, Arrive]);
        assert_eq!(m[1].distance_m, 0.0);
        let same = [step(0.0, 0.1, 1, true), step(0.0, 0.2, 1, true)];
        assert_eq!(kinds(&maneuvers(at(0.0, 0.0), &same)), vec![Depart, Arrive]);
        let long = [Step {
            to: at(0.0, 100.0),
            way: None,
            length_m: -3.0,
            junction: false,
        }];
        let m = maneuvers(at(0.0, 0.0), &long);
        assert!((m[1].distance_m - 100.0).abs() < 0.5);
    }
}
