//! Via-way turn restrictions through the whole OSM import (issue #4): a tiny dual carriageway
//! written as a `.osm.pbf` by hand (uncompressed blobs), imported with and without its
//! restriction relations; malformed relations are skipped and counted with their reason.

use milkrun_engine::*;

/// Protobuf writing, just what an OSM PBF needs.
mod pb {
    pub fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    pub fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }
    pub fn int(out: &mut Vec<u8>, field: u32, v: u64) {
        varint(out, u64::from(field) << 3);
        varint(out, v);
    }
    pub fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
        varint(out, (u64::from(field) << 3) | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    pub fn packed(out: &mut Vec<u8>, field: u32, values: impl IntoIterator<Item = u64>) {
        let mut body = Vec::new();
        for v in values {
            varint(&mut body, v);
        }
        bytes(out, field, &body);
    }
    /// Packed sint64 deltas of `values`.
    pub fn deltas(out: &mut Vec<u8>, field: u32, values: &[i64]) {
        let mut prev = 0;
        packed(
            out,
            field,
            values.iter().map(|&v| {
                let d = zigzag(v - prev);
                prev = v;
                d
            }),
        );
    }
}

/// One uncompressed blob with its header.
fn blob(kind: &str, data: &[u8]) -> Vec<u8> {
    let mut blob = Vec::new();
    pb::bytes(&mut blob, 1, data);
    pb::int(&mut blob, 2, data.len() as u64);
    let mut header = Vec::new();
    pb::bytes(&mut header, 1, kind.as_bytes());
    pb::int(&mut header, 3, blob.len() as u64);
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend(header);
    out.extend(blob);
    out
}

/// A way: (id, node ids, tags).
type WaySpec<'a> = (i64, &'a [i64], &'a [(&'a str, &'a str)]);

/// A relation member: (way or node, id, role).
type MemberSpec = (bool, i64, &'static str);

/// Writes an OSM PBF with the given nodes `(id, lat, lon)`, ways `(id, nodes, tags)` and
/// restriction relations `(id, value, members)`.
fn pbf(
    nodes: &[(i64, f64, f64)],
    ways: &[WaySpec<'_>],
    relations: &[(i64, &str, &[MemberSpec])],
) -> Vec<u8> {
    let mut strings: Vec<String> = vec![String::new()];
    let mut sid = |s: &str| -> u64 {
        match strings.iter().position(|x| x == s) {
            Some(i) => i as u64,
            None => {
                strings.push(s.to_string());
                (strings.len() - 1) as u64
            }
        }
    };
    let mut group = Vec::new();
    for &(id, lat, lon) in nodes {
        let mut n = Vec::new();
        pb::int(&mut n, 1, pb::zigzag(id));
        pb::int(&mut n, 8, pb::zigzag((lat * 1e7).round() as i64));
        pb::int(&mut n, 9, pb::zigzag((lon * 1e7).round() as i64));
        pb::bytes(&mut group, 1, &n);
    }
    for &(id, refs, tags) in ways {
        let mut w = Vec::new();
        pb::int(&mut w, 1, id as u64);
        pb::packed(&mut w, 2, tags.iter().map(|t| sid(t.0)).collect::<Vec<_>>());
        pb::packed(&mut w, 3, tags.iter().map(|t| sid(t.1)).collect::<Vec<_>>());
        pb::deltas(&mut w, 8, refs);
        pb::bytes(&mut group, 3, &w);
    }
    for &(id, value, members) in relations {
        let mut r = Vec::new();
        pb::int(&mut r, 1, id as u64);
        let tags = [("type", "restriction"), ("restriction", value)];
        pb::packed(&mut r, 2, tags.iter().map(|t| sid(t.0)).collect::<Vec<_>>());
        pb::packed(&mut r, 3, tags.iter().map(|t| sid(t.1)).collect::<Vec<_>>());
        pb::packed(
            &mut r,
            8,
            members.iter().map(|m| sid(m.2)).collect::<Vec<_>>(),
        );
        pb::deltas(&mut r, 9, &members.iter().map(|m| m.1).collect::<Vec<_>>());
        pb::packed(&mut r, 10, members.iter().map(|m| u64::from(m.0)));
        pb::bytes(&mut group, 4, &r);
    }
    let mut table = Vec::new();
    for s in &strings {
        pb::bytes(&mut table, 1, s.as_bytes());
    }
    let mut block = Vec::new();
    pb::bytes(&mut block, 1, &table);
    pb::bytes(&mut block, 2, &group);
    let mut header = Vec::new();
    pb::bytes(&mut header, 4, b"OsmSchema-V0.6");
    let mut out = blob("OSMHeader", &header);
    out.extend(blob("OSMData", &block));
    out
}

const ONE_WAY: &[(&str, &str)] = &[("highway", "primary"), ("oneway", "yes")];
const TWO_WAY: &[(&str, &str)] = &[("highway", "primary")];

/// Nodes: W 1, S 2, E 3 on the south carriageway (eastbound, about 760 m apart), E' 4, N 5,
/// W' 6 on the north carriageway (westbound, 111 m north), X 7 at the end of a 1 km side road
/// from N. Ways: 101 W→S, 102 S→E, 103 E'→N, 104 N→W', the median crossing 200 S→N (one-way),
/// turning loops 105 E→E' and 106 W'→W, the side road 300 N↔X, and 400, a road elsewhere.
fn dual_carriageway(relations: &[(i64, &str, &[MemberSpec])]) -> Vec<u8> {
    let nodes = [
        (1, 47.0, 9.0),
        (2, 47.0, 9.01),
        (3, 47.0, 9.02),
        (4, 47.001, 9.02),
        (5, 47.001, 9.01),
        (6, 47.001, 9.0),
        (7, 47.01, 9.01),
        (8, 47.05, 9.05),
        (9, 47.05, 9.06),
    ];
    let ways: [WaySpec<'_>; 9] = [
        (101, &[1, 2], ONE_WAY),
        (102, &[2, 3], ONE_WAY),
        (103, &[4, 5], ONE_WAY),
        (104, &[5, 6], ONE_WAY),
        (105, &[3, 4], ONE_WAY),
        (106, &[6, 1], ONE_WAY),
        (200, &[2, 5], ONE_WAY),
        (300, &[5, 7], TWO_WAY),
        (400, &[8, 9], TWO_WAY),
    ];
    pbf(&nodes, &ways, relations)
}

const WAY: bool = true;
const NODE: bool = false;
/// The valid one: no U-turn from the south carriageway across the median to the north one.
const U_TURN: &[MemberSpec] = &[(WAY, 101, "from"), (WAY, 200, "via"), (WAY, 104, "to")];

/// Sum of the edge keys along a path of road nodes (through arrival copies where needed).
fn path_key(g: &RoadGraph, path: &[NodeId]) -> u64 {
    path.windows(2)
        .map(|w| {
            let ends = g.arrival_nodes(w[1]);
            g.arrival_nodes(w[0])
                .into_iter()
                .flat_map(|a| g.out_edges(a))
                .filter(|&e| ends.contains(&g.head(EdgeId(e as u32))))
                .map(|e| g.base_keys()[e])
                .min()
                .unwrap()
        })
        .sum()
}

/// The road node at a position.
fn at(g: &RoadGraph, lat: f64, lon: f64) -> NodeId {
    (0..g.num_original_nodes() as u32)
        .map(NodeId)
        .find(|&v| {
            let c = g.coord(v);
            (c.lat - lat).abs() < 1e-6 && (c.lon - lon).abs() < 1e-6
        })
        .unwrap()
}

/// Imported without relations, the U-turn `W → W'` crosses the median; with the `no_u_turn`
/// via the crossing way, it goes round the east loop (about 1.5 km, 84 s more), while `W → X`
/// (across the median, then up the side road) is unchanged; matrices equal Dijkstra on the
/// expanded graph. Of the malformed relations, each is skipped and counted with its reason.
#[test]
fn via_way_restriction_from_pbf() {
    let (free, report) = import_pbf(&dual_carriageway(&[]), Profile::Car).unwrap();
    assert_eq!(report.restrictions_found, 0);
    assert_eq!(
        free.num_original_nodes(),
        7,
        "the road elsewhere is dropped"
    );
    let relations: [(i64, &str, &[MemberSpec]); 5] = [
        (1, "no_u_turn", U_TURN),
        // The via ways do not chain from 101 to 104 (the side road is not the crossing).
        (
            2,
            "no_u_turn",
            &[(WAY, 101, "from"), (WAY, 300, "via"), (WAY, 104, "to")],
        ),
        // No `to` member.
        (
            3,
            "only_left_turn",
            &[(WAY, 101, "from"), (WAY, 200, "via")],
        ),
        // A via way that is not in the extract.
        (
            4,
            "no_left_turn",
            &[(WAY, 101, "from"), (WAY, 999, "via"), (WAY, 300, "to")],
        ),
        // Via node 3 does not end the from way 101.
        (
            5,
            "no_right_turn",
            &[(WAY, 101, "from"), (NODE, 3, "via"), (WAY, 102, "to")],
        ),
    ];
    let (g, report) = import_pbf(&dual_carriageway(&relations), Profile::Car).unwrap();
    let w = report.via_way;
    assert_eq!((w.found, w.applied), (4, 1), "{w}");
    assert_eq!(
        (w.bad_members, w.outside, w.not_connected, w.not_in_graph),
        (1, 1, 1, 0),
        "{w}"
    );
    let n = report.via_node;
    assert_eq!((n.found, n.applied, n.not_connected), (1, 0, 1), "{n}");
    assert_eq!(
        (report.restrictions_found, report.restrictions_applied),
        (5, 1)
    );
    assert_eq!(g.num_turn_copies(), 2, "copies of S and N entered from W");
    for (graph, restricted) in [(&free, false), (&g, true)] {
        let [wn, s, e, e2, nn, w2, x] = [
            (47.0, 9.0),
            (47.0, 9.01),
            (47.0, 9.02),
            (47.001, 9.02),
            (47.001, 9.01),
            (47.001, 9.0),
            (47.01, 9.01),
        ]
        .map(|(lat, lon)| at(graph, lat, lon));
        let d = dijkstra_trips(graph, &graph.base_keys(), wn.0);
        let across = path_key(graph, &[wn, s, nn, w2]);
        let around = path_key(graph, &[wn, s, e, e2, nn, w2]);
        assert!(around > across + pack_key(60_000, 0), "about 84 s more");
        assert_eq!(d[w2.0 as usize], if restricted { around } else { across });
        assert_eq!(d[x.0 as usize], path_key(graph, &[wn, s, nn, x]));
        // From S (not arriving from W) the crossing is allowed.
        let from_s = dijkstra_trips(graph, &graph.base_keys(), s.0);
        assert_eq!(from_s[w2.0 as usize], path_key(graph, &[s, nn, w2]));
        let engine = RoadEngine::prepare(graph.clone());
        let all: Vec<NodeId> = (0..7).map(NodeId).collect();
        let m = engine.matrix_nodes(&all, &all);
        for (i, src) in all.iter().enumerate() {
            let reference = dijkstra_trips(engine.graph(), engine.base_keys(), src.0);
            for (j, t) in all.iter().enumerate() {
                assert_eq!(m.key(i, j), reference[t.0 as usize], "{i} -> {j}");
            }
        }
    }
}

/// A restriction against a one-way (from the north carriageway across the one-way median
/// crossing the wrong way) is counted as not in the graph, and the bicycle profile reads the
/// same relation; foot ignores restrictions.
#[test]
fn restriction_against_one_way_is_not_in_graph() {
    let against: [(i64, &str, &[MemberSpec]); 2] = [
        (
            1,
            "no_u_turn",
            &[(WAY, 103, "from"), (WAY, 200, "via"), (WAY, 102, "to")],
        ),
        (2, "no_u_turn", U_TURN),
    ];
    let bytes = dual_carriageway(&against);
    let (_, car) = import_pbf(&bytes, Profile::Car).unwrap();
    assert_eq!(
        (
            car.via_way.found,
            car.via_way.applied,
            car.via_way.not_in_graph
        ),
        (2, 1, 1),
        "{}",
        car.via_way
    );
    let (_, bike) = import_pbf(&bytes, Profile::Bike).unwrap();
    assert_eq!(bike.via_way.found, 2);
    let (_, foot) = import_pbf(&bytes, Profile::Foot).unwrap();
    assert_eq!(foot.restrictions_found, 0);
}
