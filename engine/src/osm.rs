//! OpenStreetMap PBF import (the engine's file-format edge): ways and nodes to a [`RoadGraph`].
//!
//! The whole file is read into memory and its blob framing is checked before decoding, so a
//! truncated or foreign file is an [`EngineError::Pbf`], never a panic inside the decoder.
//! Turn restrictions (relations `type=restriction`, `no_*` / `only_*`, via a node or via one or
//! more ways, the profile's `restriction:motorcar` / `restriction:bicycle` and `except`
//! honoured; none for foot) are turned into node paths here (`restriction_path`) and applied
//! by [`crate::turns`]. A malformed relation (members missing or repeated, via ways that do
//! not chain from the `from` way to the `to` way, ways outside the extract) is skipped and
//! counted with its reason in the [`BuildReport`], never an error.

use std::collections::HashMap;
use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use osmpbfreader::{OsmObj, OsmPbfReader};

use crate::geo::{haversine_m, LatLon};
use crate::graph::{BuildReport, NodeId, RawEdge, RestrictionCounts, RoadGraph, SkipReason};
use crate::pbf_check::{read_varint, BlobChecker};
use crate::profile::{way_rule, Profile, WayRule};
use crate::turns::{apply_path_restrictions, PathRestriction, TurnKind};
use crate::EngineError;

/// The largest travel time (ms) or length (dm) of one edge, far above any real segment.
const MAX_EDGE_UNITS: f64 = (u32::MAX / 4) as f64;

/// Node coordinates, usable ways and restriction relations, as decoded.
type Decoded = (
    HashMap<i64, (i32, i32)>,
    Vec<(i64, Vec<i64>, WayRule)>,
    Vec<RestrictionRelation>,
);

/// Reads and imports a `.osm.pbf` file for one profile; errors name the file.
pub fn import_pbf_file(
    path: &Path,
    profile: Profile,
) -> Result<(RoadGraph, BuildReport), EngineError> {
    let bytes = std::fs::read(path).map_err(|source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_pbf(&bytes, profile).map_err(|e| e.in_file(path))
}

/// Imports the bytes of a `.osm.pbf` file for one profile: usable ways become directed edges
/// between consecutive way nodes (travel time from the way's speed, length by haversine), and
/// the largest strongly connected component is kept.
pub fn import_pbf(bytes: &[u8], profile: Profile) -> Result<(RoadGraph, BuildReport), EngineError> {
    check_framing(bytes)?;
    // The blobs were checked above; should the decoder still panic on something the checks
    // do not cover, the panic is caught here and the file reported as unreadable (the
    // release profile unwinds).
    let decode = || -> Result<Decoded, EngineError> {
        let mut reader = OsmPbfReader::new(Cursor::new(bytes));
        let mut coords: HashMap<i64, (i32, i32)> = HashMap::new();
        let mut ways: Vec<(i64, Vec<i64>, WayRule)> = Vec::new();
        // Every `no_*` / `only_*` restriction relation for this profile.
        let mut relations: Vec<RestrictionRelation> = Vec::new();
        for obj in reader.par_iter() {
            match obj.map_err(|e| EngineError::Pbf {
                file: None,
                reason: "the decoder failed".into(),
                source: Some(Box::new(e)),
            })? {
                OsmObj::Node(n) => {
                    coords.insert(n.id.0, (n.decimicro_lat, n.decimicro_lon));
                }
                OsmObj::Way(w) => {
                    let lookup = |k: &str| w.tags.get(k).map(|v| v.as_str());
                    if let Some(rule) = way_rule(profile, &lookup) {
                        if w.nodes.len() >= 2 && (rule.forward || rule.backward) {
                            ways.push((w.id.0, w.nodes.iter().map(|n| n.0).collect(), rule));
                        }
                    }
                }
                OsmObj::Relation(r) => {
                    let tag = |k: &str| r.tags.get(k).map(|v| v.as_str());
                    if tag("type") != Some("restriction") {
                        continue;
                    }
                    let (own_key, vehicle) = match profile {
                        Profile::Car => ("restriction:motorcar", "motorcar"),
                        Profile::Bike => ("restriction:bicycle", "bicycle"),
                        Profile::Foot => continue,
                    };
                    let Some(value) = tag(own_key).or_else(|| tag("restriction")) else {
                        continue;
                    };
                    if tag("except").is_some_and(|e| e.split(';').any(|v| v.trim() == vehicle)) {
                        continue;
                    }
                    let kind = if value.starts_with("no_") {
                        TurnKind::No
                    } else if value.starts_with("only_") {
                        TurnKind::Only
                    } else {
                        continue;
                    };
                    let member = |role: &str| -> Vec<Member> {
                        r.refs
                            .iter()
                            .filter(|m| m.role.as_str() == role)
                            .map(|m| match m.member {
                                osmpbfreader::OsmId::Node(id) => Member::Node(id.0),
                                osmpbfreader::OsmId::Way(id) => Member::Way(id.0),
                                osmpbfreader::OsmId::Relation(_) => Member::Relation,
                            })
                            .collect()
                    };
                    relations.push(RestrictionRelation {
                        from: member("from"),
                        via: member("via"),
                        to: member("to"),
                        kind,
                    });
                }
            }
        }
        Ok((coords, ways, relations))
    };
    let (coords, mut ways, relations) = std::panic::catch_unwind(AssertUnwindSafe(decode))
        .map_err(|_| EngineError::pbf("the decoder panicked on a corrupt block"))??;
    ways.sort_unstable_by_key(|w| w.0);
    let mut node_index: HashMap<i64, u32> = HashMap::new();
    let mut node_coords: Vec<LatLon> = Vec::new();
    let mut edges: Vec<RawEdge> = Vec::new();
    let mut way_ids: Vec<i64> = Vec::with_capacity(ways.len());
    for (way_id, nodes, rule) in &ways {
        let way = way_ids.len() as u32;
        way_ids.push(*way_id);
        let mut prev: Option<(u32, LatLon)> = None;
        for osm_node in nodes {
            let Some(&(lat7, lon7)) = coords.get(osm_node) else {
                // Node outside the extract: the way is cut here.
                prev = None;
                continue;
            };
            let pos = LatLon {
                lat: f64::from(lat7) * 1e-7,
                lon: f64::from(lon7) * 1e-7,
            };
            let idx = *node_index.entry(*osm_node).or_insert_with(|| {
                node_coords.push(pos);
                (node_coords.len() - 1) as u32
            });
            if let Some((p, ppos)) = prev {
                let metres = haversine_m(ppos, pos);
                // Both bounded well inside u32 (keys of a path are summed): a segment is at
                // most half the Earth's circumference, a speed at least 1 km/h.
                let dist_dm = (metres * 10.0).round().min(MAX_EDGE_UNITS) as u32;
                let travel_ms = (metres / (rule.speed_kmh.max(1.0) / 3.6) * 1000.0)
                    .round()
                    .min(MAX_EDGE_UNITS) as u32;
                if rule.forward {
                    edges.push(RawEdge {
                        from: p,
                        to: idx,
                        travel_ms,
                        dist_dm,
                        way,
                    });
                }
                if rule.backward {
                    edges.push(RawEdge {
                        from: idx,
                        to: p,
                        travel_ms,
                        dist_dm,
                        way,
                    });
                }
            }
            prev = Some((idx, pos));
        }
    }
    if edges.is_empty() {
        return Err(EngineError::EmptyGraph {
            profile: profile.name(),
        });
    }
    // Each restriction as a path of raw node indices, or the reason it is skipped.
    let way_nodes = |id: i64| -> Option<&[i64]> {
        let k = ways.binary_search_by_key(&id, |w| w.0).ok()?;
        Some(&ways[k].1)
    };
    let raw: Vec<(bool, Result<Vec<u32>, SkipReason>, TurnKind)> = relations
        .iter()
        .map(|rel| {
            let path = restriction_path(rel, &way_nodes).and_then(|osm_path| {
                let mut idx: Vec<u32> = Vec::with_capacity(osm_path.len());
                for node in &osm_path {
                    let &i = node_index.get(node).ok_or(SkipReason::Outside)?;
                    if idx.last() != Some(&i) {
                        idx.push(i);
                    }
                }
                Ok(idx)
            });
            (rel.is_via_way(), path, rel.kind)
        })
        .collect();
    let (graph, mut report, new_id) =
        RoadGraph::build_mapped(profile, &node_coords, edges, way_ids);
    let mut restrictions: Vec<PathRestriction> = Vec::new();
    let (mut via_node, mut via_way) = (RestrictionCounts::default(), RestrictionCounts::default());
    for (is_way, path, kind) in raw {
        let counts = if is_way { &mut via_way } else { &mut via_node };
        counts.found += 1;
        let fitted = path.and_then(|p| {
            let ids: Option<Vec<NodeId>> = p
                .iter()
                .map(|&x| {
                    new_id
                        .get(x as usize)
                        .filter(|&&i| i != u32::MAX)
                        .map(|&i| NodeId(i))
                })
                .collect();
            let ids = ids
                .filter(|ids| ids.len() >= 3)
                .ok_or(SkipReason::NotInGraph)?;
            let r = PathRestriction {
                from: ids[0],
                via: ids[1..ids.len() - 1].to_vec(),
                to: ids[ids.len() - 1],
                kind,
            };
            if r.fits(&graph) {
                Ok(r)
            } else {
                Err(SkipReason::NotInGraph)
            }
        });
        match fitted {
            Ok(r) => {
                counts.applied += 1;
                restrictions.push(r);
            }
            Err(reason) => counts.skip(reason),
        }
    }
    let (graph, _) = apply_path_restrictions(&graph, &restrictions);
    report.restrictions_found = via_node.found + via_way.found;
    report.restrictions_applied = via_node.applied + via_way.applied;
    report.via_node = via_node;
    report.via_way = via_way;
    Ok((graph, report))
}

/// A member of a restriction relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Member {
    /// An OSM node id.
    Node(i64),
    /// An OSM way id.
    Way(i64),
    /// A relation (never valid in a turn restriction).
    Relation,
}

/// The members of one `no_*` / `only_*` restriction relation, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestrictionRelation {
    /// Members with role `from`.
    pub from: Vec<Member>,
    /// Members with role `via`.
    pub via: Vec<Member>,
    /// Members with role `to`.
    pub to: Vec<Member>,
    /// Forbidden or mandatory.
    pub kind: TurnKind,
}

impl RestrictionRelation {
    /// Whether it counts as a via-way restriction (any via member is a way); otherwise it is
    /// counted as via-node (also when the via is missing or not a node).
    pub fn is_via_way(&self) -> bool {
        self.via.iter().any(|m| matches!(m, Member::Way(_)))
    }
}

/// Via ways chained into one path are tried in every order up to this many.
const MAX_VIA_WAYS: usize = 6;

/// The OSM node path of a restriction, `[node before the via on the from way, via node(s),
/// node after the via on the to way]`: a via node must end both the `from` and the `to` way;
/// via ways must chain end to end from an end of the `from` way to an end of the `to` way
/// (each via way in either direction, every node of it on the path). `way_nodes` gives the
/// nodes of a way usable by the profile (`None`: outside the extract or the profile).
pub(crate) fn restriction_path<'a>(
    rel: &RestrictionRelation,
    way_nodes: &dyn Fn(i64) -> Option<&'a [i64]>,
) -> Result<Vec<i64>, SkipReason> {
    let (&[Member::Way(from)], &[Member::Way(to)]) = (rel.from.as_slice(), rel.to.as_slice())
    else {
        return Err(SkipReason::Members);
    };
    let from_nodes = way_nodes(from).ok_or(SkipReason::Outside)?;
    let to_nodes = way_nodes(to).ok_or(SkipReason::Outside)?;
    // The neighbour of `end` on a way that `end` terminates.
    let beside = |nodes: &[i64], end: i64| -> Option<i64> {
        if nodes.len() < 2 {
            None
        } else if nodes[0] == end {
            Some(nodes[1])
        } else if nodes[nodes.len() - 1] == end {
            Some(nodes[nodes.len() - 2])
        } else {
            None
        }
    };
    match rel.via.as_slice() {
        &[Member::Node(via)] => {
            let before = beside(from_nodes, via).ok_or(SkipReason::NotConnected)?;
            let after = beside(to_nodes, via).ok_or(SkipReason::NotConnected)?;
            Ok(vec![before, via, after])
        }
        via if !via.is_empty()
            && via.len() <= MAX_VIA_WAYS
            && via.iter().all(|m| matches!(m, Member::Way(_))) =>
        {
            let mut via_ways: Vec<&[i64]> = Vec::with_capacity(via.len());
            for m in via {
                if let Member::Way(id) = *m {
                    via_ways.push(way_nodes(id).ok_or(SkipReason::Outside)?);
                }
            }
            let ends = [from_nodes.first(), from_nodes.last()];
            for start in ends.into_iter().flatten().copied() {
                let mut path = vec![start];
                let mut used = vec![false; via_ways.len()];
                if chain(&via_ways, &mut used, &mut path, to_nodes) {
                    let before = beside(from_nodes, start).ok_or(SkipReason::NotConnected)?;
                    let end = path[path.len() - 1];
                    let after = beside(to_nodes, end).ok_or(SkipReason::NotConnected)?;
                    path.insert(0, before);
                    path.push(after);
                    return Ok(path);
                }
            }
            Err(SkipReason::NotConnected)
        }
        _ => Err(SkipReason::Members),
    }
}

/// Depth-first search for an order and direction of the unused via ways continuing `path`
/// (which ends at a way end) that uses them all and ends at an end of the `to` way.
fn chain(via_ways: &[&[i64]], used: &mut [bool], path: &mut Vec<i64>, to_nodes: &[i64]) -> bool {
    let Some(&at) = path.last() else {
        return false;
    };
    if used.iter().all(|&u| u) {
        return to_nodes.len() >= 2 && (to_nodes[0] == at || to_nodes[to_nodes.len() - 1] == at);
    }
    for k in 0..via_ways.len() {
        let w = via_ways[k];
        if used[k] || w.len() < 2 {
            continue;
        }
        let forward = w[0] == at;
        let backward = w[w.len() - 1] == at;
        for dir in [forward.then_some(true), backward.then_some(false)]
            .into_iter()
            .flatten()
        {
            let len = path.len();
            if dir {
                path.extend_from_slice(&w[1..]);
            } else {
                path.extend(w[..w.len() - 1].iter().rev());
            }
            used[k] = true;
            if chain(via_ways, used, path, to_nodes) {
                return true;
            }
            used[k] = false;
            path.truncate(len);
        }
    }
    false
}

/// Checks that the file is a sequence of complete PBF blobs: a 4-byte big-endian header length
/// (at most 64 KiB), a `BlobHeader` with a type and a data size, and that many data bytes;
/// and that each blob passes [`BlobChecker::check`] (bounded inflation, string indices in
/// range).
pub(crate) fn check_framing(bytes: &[u8]) -> Result<(), EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::pbf("the file is empty"));
    }
    let mut pos = 0usize;
    let mut blobs = 0usize;
    let mut checker = BlobChecker::new(bytes.len());
    while pos < bytes.len() {
        let len_bytes = bytes
            .get(pos..pos + 4)
            .ok_or_else(|| EngineError::pbf(format!("truncated blob length at byte {pos}")))?;
        let header_len =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        if header_len == 0 || header_len > 64 * 1024 {
            return Err(EngineError::pbf(format!(
                "blob header length {header_len} at byte {pos} is not valid"
            )));
        }
        pos += 4;
        let header = bytes
            .get(pos..pos + header_len)
            .ok_or_else(|| EngineError::pbf(format!("truncated blob header at byte {pos}")))?;
        let (kind, datasize) = parse_blob_header(header)
            .ok_or_else(|| EngineError::pbf(format!("unreadable blob header at byte {pos}")))?;
        if blobs == 0 && kind != b"OSMHeader" {
            return Err(EngineError::pbf("the first blob is not an OSMHeader"));
        }
        if kind != b"OSMHeader" && kind != b"OSMData" {
            return Err(EngineError::pbf(format!("unknown blob type at byte {pos}")));
        }
        pos += header_len;
        let data = pos
            .checked_add(datasize)
            .filter(|_| datasize <= 32 * 1024 * 1024)
            .and_then(|end| bytes.get(pos..end))
            .ok_or_else(|| {
                EngineError::pbf(format!(
                    "truncated blob data at byte {pos} ({datasize} bytes announced)"
                ))
            })?;
        checker
            .check(data, kind == b"OSMData")
            .map_err(|reason| EngineError::pbf(format!("blob {blobs} at byte {pos}: {reason}")))?;
        pos += datasize;
        blobs += 1;
    }
    Ok(())
}

/// Minimal protobuf read of a `BlobHeader`: field 1 `type` (string), field 3 `datasize`.
fn parse_blob_header(mut b: &[u8]) -> Option<(&[u8], usize)> {
    let mut kind: Option<&[u8]> = None;
    let mut datasize: Option<usize> = None;
    while !b.is_empty() {
        let tag = read_varint(&mut b)?;
        match (tag >> 3, tag & 7) {
            (field, 2) => {
                let len = usize::try_from(read_varint(&mut b)?).ok()?;
                let value = b.get(..len)?;
                b = &b[len..];
                if field == 1 {
                    kind = Some(value);
                }
            }
            (field, 0) => {
                let v = read_varint(&mut b)?;
                if field == 3 {
                    datasize = usize::try_from(v).ok();
                }
            }
            _ => return None,
        }
    }
    Some((kind?, datasize?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ways of a dual carriageway in OSM terms: south carriageway 100 = nodes 1-2, connector
    /// 200 = 2-5 (drawn from north to south: 5-2 reversed), a second connector piece 201 =
    /// 5-4, north carriageway 300 = 4-6; way 400 = 7-8 is not connected to anything.
    fn way_nodes(id: i64) -> Option<&'static [i64]> {
        match id {
            100 => Some(&[1, 2]),
            200 => Some(&[5, 3, 2]),
            201 => Some(&[5, 4]),
            300 => Some(&[4, 6]),
            400 => Some(&[7, 8]),
            _ => None,
        }
    }

    fn relation(from: &[Member], via: &[Member], to: &[Member]) -> RestrictionRelation {
        RestrictionRelation {
            from: from.to_vec(),
            via: via.to_vec(),
            to: to.to_vec(),
            kind: TurnKind::No,
        }
    }

    /// Two via ways given out of order and against their drawing direction chain into one
    /// node path from the end of the `from` way to the end of the `to` way.
    #[test]
    fn via_ways_chain_in_any_order() {
        let rel = relation(
            &[Member::Way(100)],
            &[Member::Way(201), Member::Way(200)],
            &[Member::Way(300)],
        );
        assert!(rel.is_via_way());
        assert_eq!(
            restriction_path(&rel, &way_nodes),
            Ok(vec![1, 2, 3, 5, 4, 6])
        );
        let node = relation(&[Member::Way(100)], &[Member::Node(2)], &[Member::Way(200)]);
        assert!(!node.is_via_way());
        assert_eq!(restriction_path(&node, &way_nodes), Ok(vec![1, 2, 3]));
    }

    /// Malformed relations are skipped with their reason: members missing, repeated or of the
    /// wrong type; a way outside the extract; via ways that do not join the from and to ways.
    #[test]
    fn malformed_relations_give_their_reason() {
        let (w, n) = (Member::Way, Member::Node);
        let cases = [
            (
                relation(&[w(100)], &[w(200), w(201)], &[]),
                SkipReason::Members,
            ),
            (
                relation(&[w(100), w(300)], &[n(2)], &[w(200)]),
                SkipReason::Members,
            ),
            (relation(&[w(100)], &[], &[w(300)]), SkipReason::Members),
            (
                relation(&[w(100)], &[n(2), w(200)], &[w(300)]),
                SkipReason::Members,
            ),
            (
                relation(&[w(100)], &[Member::Relation], &[w(300)]),
                SkipReason::Members,
            ),
            (relation(&[n(1)], &[n(2)], &[w(200)]), SkipReason::Members),
            (
                relation(&[w(100)], &[w(999)], &[w(300)]),
                SkipReason::Outside,
            ),
            (
                relation(&[w(100)], &[w(200)], &[w(998)]),
                SkipReason::Outside,
            ),
            (
                relation(&[w(100)], &[w(200)], &[w(300)]),
                SkipReason::NotConnected,
            ),
            (
                relation(&[w(100)], &[w(200), w(400)], &[w(300)]),
                SkipReason::NotConnected,
            ),
            (
                relation(&[w(100)], &[n(3)], &[w(200)]),
                SkipReason::NotConnected,
            ),
        ];
        for (i, (rel, reason)) in cases.iter().enumerate() {
            assert_eq!(restriction_path(rel, &way_nodes), Err(*reason), "case {i}");
        }
    }
}
