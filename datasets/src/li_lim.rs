//! Li & Lim PDPTW text format.
//!
//! First line `K Q S` (vehicles, capacity, speed); then one line per node
//! `id x y demand early late service pickup delivery`. Node 0 is the depot.
//! A pickup has demand > 0, `pickup` 0 and its delivery's id in `delivery`;
//! a delivery has demand < 0 and its pickup's id in `pickup`. Negative
//! demands are therefore allowed here (unlike Solomon and VRPLIB).
//!
//! The third header number (`S`, a speed) is checked to be numeric and
//! otherwise ignored: published files hold 1 or 0 there, and the benchmark
//! convention is travel time = distance in every case.

use std::collections::HashMap;

use crate::error::DatasetError;
use crate::instance::{DistanceConvention, Format, Instance, Node};
use crate::solomon::check_id;
use crate::text::{check_times, content_lines, end_line, node_row, Ctx};

/// Column names of a node row, in order.
const FIELDS: [&str; 9] = [
    "ID", "X", "Y", "DEMAND", "EARLY", "LATE", "SERVICE", "PICKUP", "DELIVERY",
];

/// Parses a Li & Lim PDPTW instance from `text`; `name` is both the file
/// name in errors and the instance name (the format has no name line).
pub fn parse_li_lim(text: &str, name: &str) -> Result<Instance, DatasetError> {
    parse(text, name, name)
}

/// Parses with separate names for errors (`file`) and the instance.
pub(crate) fn parse(text: &str, file: &str, inst_name: &str) -> Result<Instance, DatasetError> {
    let ctx = Ctx { file };
    let end = end_line(text);
    let mut lines = content_lines(text);
    let (l, head) = lines.next().ok_or_else(|| ctx.truncated(end, "VEHICLES"))?;
    let toks: Vec<&str> = head.split_whitespace().collect();
    let vehicles = ctx.usize(l, "VEHICLES", toks.first().copied().unwrap_or_default())?;
    let capacity = match toks.get(1) {
        Some(t) => ctx.quantity(l, "CAPACITY", t)?,
        None => return Err(ctx.truncated(l, "CAPACITY")),
    };
    if capacity < 0 {
        return Err(ctx.invalid(l, "CAPACITY", format!("negative capacity {capacity}")));
    }
    if let Some(t) = toks.get(2) {
        // Read only to validate it: published files hold 1 or 0 here, and
        // the benchmark convention is travel time = distance regardless.
        ctx.f64(l, "SPEED", t)?;
    }
    if toks.len() > 3 {
        return Err(ctx.invalid(l, "SPEED", "unexpected extra field after SPEED"));
    }

    let mut nodes = Vec::new();
    let mut rows = Vec::new(); // (line, pickup id, delivery id)
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (l, row) in lines {
        let toks: Vec<&str> = row.split_whitespace().collect();
        if toks.len() > FIELDS.len() {
            return Err(ctx.invalid(l, "DELIVERY", "unexpected extra field after DELIVERY"));
        }
        let node = node_row(&ctx, l, &toks, &FIELDS)?;
        let field = |k: usize| match toks.get(k) {
            Some(t) => Ok(*t),
            None => Err(ctx.truncated(l, FIELDS[k])),
        };
        let pickup = ctx.usize(l, FIELDS[7], field(7)?)?;
        let delivery = ctx.usize(l, FIELDS[8], field(8)?)?;
        check_id(&ctx, l, FIELDS[0], node.file_id, nodes.len(), &mut seen)?;
        check_times(&ctx, l, &FIELDS, &node)?;
        rows.push((l, pickup, delivery));
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(ctx.missing_depot(end, FIELDS[0], "the file has no node rows"));
    }
    link_pairs(&ctx, &rows, &mut nodes)?;
    Ok(Instance {
        name: inst_name.to_string(),
        format: Format::LiLim,
        convention: DistanceConvention::Exact,
        vehicles: Some(vehicles),
        capacity,
        nodes,
        matrix: None,
        has_time_windows: true,
    })
}

/// Validates the sibling columns and fills `Node::pickup` / `Node::delivery`.
fn link_pairs(
    ctx: &Ctx<'_>,
    rows: &[(usize, usize, usize)],
    nodes: &mut [Node],
) -> Result<(), DatasetError> {
    let n = nodes.len();
    for (i, &(l, p, d)) in rows.iter().enumerate() {
        let demand = nodes.get(i).map_or(0, |node| node.demand);
        if i == 0 {
            if p != 0 || d != 0 {
                return Err(ctx.invalid(
                    l,
                    FIELDS[7],
                    "the depot cannot have pickup/delivery siblings",
                ));
            }
            continue;
        }
        match (p, d) {
            (0, 0) => {
                if demand != 0 {
                    return Err(ctx.invalid(
                        l,
                        FIELDS[8],
                        "a node with demand needs a pickup or delivery sibling",
                    ));
                }
            }
            (0, d) => {
                // A pickup: its delivery `d` must point back at it.
                let back = rows.get(d).map(|r| r.1);
                if d >= n || back != Some(i) {
                    return Err(ctx.invalid(
                        l,
                        FIELDS[8],
                        format!("delivery {d} does not exist or does not name pickup {i}"),
                    ));
                }
                let dd = nodes.get(d).map_or(0, |node| node.demand);
                if demand < 0 {
                    return Err(ctx.negative_demand(l, FIELDS[3], demand));
                }
                if dd != -demand {
                    return Err(ctx.invalid(
                        l,
                        FIELDS[3],
                        format!("pickup demand {demand} does not match delivery {d}'s {dd}"),
                    ));
                }
                if let Some(node) = nodes.get_mut(i) {
                    node.delivery = Some(d);
                }
            }
            (p, 0) => {
                let back = rows.get(p).map(|r| r.2);
                if p >= n || back != Some(i) {
                    return Err(ctx.invalid(
                        l,
                        FIELDS[7],
                        format!("pickup {p} does not exist or does not name delivery {i}"),
                    ));
                }
                if let Some(node) = nodes.get_mut(i) {
                    node.pickup = Some(p);
                }
            }
            _ => {
                return Err(ctx.invalid(
                    l,
                    FIELDS[8],
                    "a node cannot be both a pickup and a delivery",
                ));
            }
        }
    }
    Ok(())
}
