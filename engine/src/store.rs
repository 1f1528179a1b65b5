//! The prepared-graph file: one little-endian binary blob holding the road graph and its
//! metric-independent node order, so a service starts without re-importing or re-ordering.
//!
//! Layout: magic `MILKROAD`, version `u32`, profile `u32`, node count `u64`, edge count `u64`,
//! way count `u64`, then the arrays `lat[n] f64`, `lon[n] f64`, `first_out[n+1] u32`,
//! `head[m] u32`, `travel_ms[m] u32`, `dist_dm[m] u32`, `way_idx[m] u32`, `way_ids[w] i64`,
//! `order[n] u32`, the turn-restriction copy count `u64` and `copy_of[c] u32` (version 2),
//! and a trailing FNV-1a 64 checksum of everything before it.
//! Every length, index and the checksum is checked on load; bad bytes give an error.

use crate::graph::RoadGraph;
use crate::{EngineError, Profile};

const MAGIC: &[u8; 8] = b"MILKROAD";
const VERSION: u32 = 2;

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Serialises a graph and its node order (`order[rank] = node`).
pub fn to_bytes(graph: &RoadGraph, order: &[u32]) -> Vec<u8> {
    let n = graph.num_nodes();
    let m = graph.num_edges();
    let mut out = Vec::with_capacity(48 + n * 24 + m * 16 + graph.way_ids.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&u32::from(graph.profile.code()).to_le_bytes());
    for count in [n, m, graph.way_ids.len()] {
        out.extend_from_slice(&(count as u64).to_le_bytes());
    }
    for v in graph.lat.iter().chain(&graph.lon) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for arr in [
        &graph.first_out,
        &graph.head,
        &graph.travel_ms,
        &graph.dist_dm,
        &graph.way_idx,
    ] {
        for v in arr.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for v in &graph.way_ids {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in order {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(graph.copy_of.len() as u64).to_le_bytes());
    for v in &graph.copy_of {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], EngineError> {
        let end = self.pos.checked_add(len).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| EngineError::BadGraphFile(format!("truncated in {what}")))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, EngineError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EngineError> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn u32s(&mut self, count: usize, what: &str) -> Result<Vec<u32>, EngineError> {
        let len = count
            .checked_mul(4)
            .ok_or_else(|| EngineError::BadGraphFile(format!("{what} too long")))?;
        let s = self.take(len, what)?;
        Ok(s.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn u64s(&mut self, count: usize, what: &str) -> Result<Vec<u64>, EngineError> {
        let len = count
            .checked_mul(8)
            .ok_or_else(|| EngineError::BadGraphFile(format!("{what} too long")))?;
        let s = self.take(len, what)?;
        Ok(s.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect())
    }
}

/// Reads bytes written by [`to_bytes`]: the graph and its node order.
pub fn from_bytes(bytes: &[u8]) -> Result<(RoadGraph, Vec<u32>), EngineError> {
    let bad = |s: &str| EngineError::BadGraphFile(s.to_string());
    if bytes.len() < 8 + 4 + 4 + 24 + 8 || &bytes[..8] != MAGIC {
        return Err(bad("missing MILKROAD magic"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut sum_bytes = [0u8; 8];
    sum_bytes.copy_from_slice(sum);
    if fnv1a(body) != u64::from_le_bytes(sum_bytes) {
        return Err(bad("checksum mismatch (corrupt or truncated file)"));
    }
    let mut r = Reader {
        bytes: body,
        pos: 8,
    };
    let version = r.u32("version")?;
    if version != VERSION {
        return Err(EngineError::BadGraphFile(format!(
            "version {version}, expected {VERSION}"
        )));
    }
    let profile = u8::try_from(r.u32("profile")?)
        .ok()
        .and_then(Profile::from_code)
        .ok_or_else(|| bad("unknown profile"))?;
    let to_usize = |v: u64, what: &str| {
        usize::try_from(v)
            .ok()
            .filter(|&c| c <= u32::MAX as usize)
            .ok_or_else(|| EngineError::BadGraphFile(format!("{what} too large")))
    };
    let n = to_usize(r.u64("node count")?, "node count")?;
    let m = to_usize(r.u64("edge count")?, "edge count")?;
    let w = to_usize(r.u64("way count")?, "way count")?;
    let lat: Vec<f64> = r.u64s(n, "lat")?.into_iter().map(f64::from_bits).collect();
    let lon: Vec<f64> = r.u64s(n, "lon")?.into_iter().map(f64::from_bits).collect();
    let first_out = r.u32s(n + 1, "first_out")?;
    let head = r.u32s(m, "head")?;
    let travel_ms = r.u32s(m, "travel_ms")?;
    let dist_dm = r.u32s(m, "dist_dm")?;
    let way_idx = r.u32s(m, "way_idx")?;
    let way_ids: Vec<i64> = r
        .u64s(w, "way_ids")?
        .into_iter()
        .map(|v| v as i64)
        .collect();
    let order = r.u32s(n, "order")?;
    let copies = to_usize(r.u64("copy count")?, "copy count")?;
    if copies > n {
        return Err(bad("more turn copies than nodes"));
    }
    let copy_of = r.u32s(copies, "copy_of")?;
    if copy_of.iter().any(|&c| c as usize >= n - copies) {
        return Err(bad("turn copy of a node out of range"));
    }
    if r.pos != body.len() {
        return Err(bad("trailing bytes after the turn copies"));
    }
    if lat
        .iter()
        .zip(&lon)
        .any(|(a, o)| !(a.is_finite() && o.is_finite() && a.abs() <= 90.0 && o.abs() <= 180.0))
    {
        return Err(bad("coordinate out of range"));
    }
    if first_out[0] != 0 || first_out[n] as usize != m || first_out.windows(2).any(|p| p[0] > p[1])
    {
        return Err(bad("first_out is not a monotone offset array"));
    }
    if head.iter().any(|&h| h as usize >= n) || way_idx.iter().any(|&i| i as usize >= w) {
        return Err(bad("edge head or way index out of range"));
    }
    let mut seen = vec![false; n];
    for &v in &order {
        if v as usize >= n || std::mem::replace(&mut seen[v as usize], true) {
            return Err(bad("order is not a permutation of the nodes"));
        }
    }
    Ok((
        RoadGraph {
            profile,
            lat,
            lon,
            first_out,
            head,
            travel_ms,
            dist_dm,
            way_idx,
            way_ids,
            copy_of,
        },
        order,
    ))
}
