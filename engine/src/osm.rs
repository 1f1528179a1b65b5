//! OpenStreetMap PBF import (the engine's file-format edge): ways and nodes to a [`RoadGraph`].
//!
//! The whole file is read into memory and its blob framing is checked before decoding, so a
//! truncated or foreign file is an [`EngineError::Pbf`], never a panic inside the decoder.
//! Turn restrictions (relations `type=restriction`, `no_*` / `only_*`, via a node, the
//! profile's `restriction:motorcar` / `restriction:bicycle` and `except` honoured; none for
//! foot) are applied by [`crate::turns`]; those with a via way are not.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use osmpbfreader::{OsmObj, OsmPbfReader};

use crate::geo::{haversine_m, LatLon};
use crate::graph::{BuildReport, NodeId, RawEdge, RoadGraph};
use crate::profile::{way_rule, Profile, WayRule};
use crate::turns::{apply_turn_restrictions, TurnKind, TurnRestriction};
use crate::EngineError;

/// Reads and imports a `.osm.pbf` file for one profile.
pub fn import_pbf_file(
    path: &Path,
    profile: Profile,
) -> Result<(RoadGraph, BuildReport), EngineError> {
    let bytes = std::fs::read(path).map_err(|source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_pbf(&bytes, profile)
}

/// Imports the bytes of a `.osm.pbf` file for one profile: usable ways become directed edges
/// between consecutive way nodes (travel time from the way's speed, length by haversine), and
/// the largest strongly connected component is kept.
pub fn import_pbf(bytes: &[u8], profile: Profile) -> Result<(RoadGraph, BuildReport), EngineError> {
    check_framing(bytes)?;
    let mut reader = OsmPbfReader::new(Cursor::new(bytes));
    let mut coords: HashMap<i64, (i32, i32)> = HashMap::new();
    let mut ways: Vec<(i64, Vec<i64>, WayRule)> = Vec::new();
    // (from way, via node, to way, kind) of every via-node restriction for this profile.
    let mut relations: Vec<(i64, i64, i64, TurnKind)> = Vec::new();
    let mut restrictions_found = 0usize;
    for obj in reader.par_iter() {
        match obj.map_err(|e| EngineError::Pbf(e.to_string()))? {
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
                restrictions_found += 1;
                let member = |role: &str| {
                    let mut found = r.refs.iter().filter(|m| m.role.as_str() == role);
                    match (found.next(), found.next()) {
                        (Some(m), None) => Some(m.member),
                        _ => None,
                    }
                };
                if let (
                    Some(osmpbfreader::OsmId::Way(from)),
                    Some(osmpbfreader::OsmId::Node(via)),
                    Some(osmpbfreader::OsmId::Way(to)),
                ) = (member("from"), member("via"), member("to"))
                {
                    relations.push((from.0, via.0, to.0, kind));
                }
            }
        }
    }
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
                let dist_dm = (metres * 10.0).round() as u32;
                let travel_ms = (metres / (rule.speed_kmh / 3.6) * 1000.0).round() as u32;
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
    // Each restriction as raw node indices (from, via, to): the neighbour of the via node
    // along the from way and along the to way (the via node must end both ways).
    let neighbour = |way: i64, via: i64| -> Option<u32> {
        let k = ways.binary_search_by_key(&way, |w| w.0).ok()?;
        let nodes = &ways[k].1;
        let next = if nodes.first() == Some(&via) {
            nodes.get(1)
        } else if nodes.last() == Some(&via) {
            nodes.len().checked_sub(2).and_then(|i| nodes.get(i))
        } else {
            None
        }?;
        node_index.get(next).copied()
    };
    let raw: Vec<(u32, u32, u32, TurnKind)> = relations
        .iter()
        .filter_map(|&(from, via, to, kind)| {
            Some((
                neighbour(from, via)?,
                *node_index.get(&via)?,
                neighbour(to, via)?,
                kind,
            ))
        })
        .collect();
    let (graph, mut report, new_id) =
        RoadGraph::build_mapped(profile, &node_coords, edges, way_ids);
    let restrictions: Vec<TurnRestriction> = raw
        .iter()
        .filter_map(|&(u, v, w, kind)| {
            let id = |x: u32| Some(NodeId(*new_id.get(x as usize).filter(|&&i| i != u32::MAX)?));
            Some(TurnRestriction {
                from: id(u)?,
                via: id(v)?,
                to: id(w)?,
                kind,
            })
        })
        .collect();
    let (graph, turns) = apply_turn_restrictions(&graph, &restrictions);
    report.restrictions_found = restrictions_found;
    report.restrictions_applied = turns.applied;
    Ok((graph, report))
}

/// Checks that the file is a sequence of complete PBF blobs: a 4-byte big-endian header length
/// (at most 64 KiB), a `BlobHeader` with a type and a data size, and that many data bytes.
fn check_framing(bytes: &[u8]) -> Result<(), EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::Pbf("the file is empty".into()));
    }
    let mut pos = 0usize;
    let mut blobs = 0usize;
    while pos < bytes.len() {
        let len_bytes = bytes
            .get(pos..pos + 4)
            .ok_or_else(|| EngineError::Pbf(format!("truncated blob length at byte {pos}")))?;
        let header_len =
            u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        if header_len == 0 || header_len > 64 * 1024 {
            return Err(EngineError::Pbf(format!(
                "blob header length {header_len} at byte {pos} is not valid"
            )));
        }
        pos += 4;
        let header = bytes
            .get(pos..pos + header_len)
            .ok_or_else(|| EngineError::Pbf(format!("truncated blob header at byte {pos}")))?;
        let (kind, datasize) = parse_blob_header(header)
            .ok_or_else(|| EngineError::Pbf(format!("unreadable blob header at byte {pos}")))?;
        if blobs == 0 && kind != b"OSMHeader" {
            return Err(EngineError::Pbf(
                "the first blob is not an OSMHeader".into(),
            ));
        }
        if kind != b"OSMHeader" && kind != b"OSMData" {
            return Err(EngineError::Pbf(format!("unknown blob type at byte {pos}")));
        }
        pos += header_len;
        if datasize > 32 * 1024 * 1024 || pos + datasize > bytes.len() {
            return Err(EngineError::Pbf(format!(
                "truncated blob data at byte {pos} ({datasize} bytes announced)"
            )));
        }
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

fn read_varint(b: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}
