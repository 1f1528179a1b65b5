//! Solomon / Gehring-Homberger VRPTW text format.
//!
//! ```text
//! R101                                 <- name
//! VEHICLE
//! NUMBER     CAPACITY
//!   25         200                     <- fleet size, capacity
//! CUSTOMER
//! CUST NO.  XCOORD.  YCOORD.  DEMAND  READY TIME  DUE DATE  SERVICE TIME
//!     0       35       35        0        0          230        0     <- depot
//!     1       41       49       10      161          171       10
//! ```
//! Blank lines may appear anywhere; customer numbers must run 0, 1, 2, ...
//! in file order (so a `.sol` customer number equals the node index).

use std::collections::HashMap;

use crate::error::DatasetError;
use crate::instance::{DistanceConvention, Format, Instance};
use crate::text::{check_times, content_lines, end_line, node_row, Ctx};

/// Column names of a customer row, in order.
const FIELDS: [&str; 7] = [
    "CUST NO.",
    "XCOORD.",
    "YCOORD.",
    "DEMAND",
    "READY TIME",
    "DUE DATE",
    "SERVICE TIME",
];

/// Parses a Solomon or Gehring-Homberger instance from `text`.
///
/// `name` names the file in errors; the instance name is the file's first
/// line. Distances follow [`DistanceConvention::Exact`].
pub fn parse_solomon(text: &str, name: &str) -> Result<Instance, DatasetError> {
    let ctx = Ctx { file: name };
    let end = end_line(text);
    let mut lines = content_lines(text);
    let mut next = |field: &str| lines.next().ok_or_else(|| ctx.truncated(end, field));

    let (_, inst_name) = next("NAME")?;
    let (l, vehicle) = next("VEHICLE")?;
    if !vehicle.eq_ignore_ascii_case("VEHICLE") {
        return Err(ctx.invalid(
            l,
            "VEHICLE",
            format!("expected `VEHICLE`, found `{vehicle}`"),
        ));
    }
    let (l, header) = next("NUMBER")?;
    if !header.to_ascii_uppercase().starts_with("NUMBER") {
        return Err(ctx.invalid(
            l,
            "NUMBER",
            format!("expected `NUMBER CAPACITY`, found `{header}`"),
        ));
    }
    let (l, values) = next("NUMBER")?;
    let toks: Vec<&str> = values.split_whitespace().collect();
    let vehicles = match toks.first() {
        Some(t) => ctx.usize(l, "NUMBER", t)?,
        None => return Err(ctx.truncated(l, "NUMBER")),
    };
    let capacity = match toks.get(1) {
        Some(t) => ctx.quantity(l, "CAPACITY", t)?,
        None => return Err(ctx.truncated(l, "CAPACITY")),
    };
    if capacity < 0 {
        return Err(ctx.invalid(l, "CAPACITY", format!("negative capacity {capacity}")));
    }
    if toks.len() > 2 {
        return Err(ctx.invalid(l, "CAPACITY", "unexpected extra field after CAPACITY"));
    }
    let (l, customer) = next("CUSTOMER")?;
    if !customer.eq_ignore_ascii_case("CUSTOMER") {
        return Err(ctx.invalid(
            l,
            "CUSTOMER",
            format!("expected `CUSTOMER`, found `{customer}`"),
        ));
    }
    let (l, header) = next("CUST NO.")?;
    if !header.to_ascii_uppercase().starts_with("CUST") {
        return Err(ctx.invalid(
            l,
            "CUST NO.",
            format!("expected the column header, found `{header}`"),
        ));
    }

    let mut nodes = Vec::new();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (l, row) in lines {
        let toks: Vec<&str> = row.split_whitespace().collect();
        if toks.len() > FIELDS.len() {
            return Err(ctx.invalid(
                l,
                "SERVICE TIME",
                "unexpected extra field after SERVICE TIME",
            ));
        }
        let node = node_row(&ctx, l, &toks, &FIELDS)?;
        check_id(&ctx, l, FIELDS[0], node.file_id, nodes.len(), &mut seen)?;
        if node.demand < 0 {
            return Err(ctx.negative_demand(l, FIELDS[3], node.demand));
        }
        check_times(&ctx, l, &FIELDS, &node)?;
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(ctx.missing_depot(end, FIELDS[0], "the file has no customer rows"));
    }
    Ok(Instance {
        name: inst_name.to_string(),
        format: Format::Solomon,
        convention: DistanceConvention::Exact,
        vehicles: Some(vehicles),
        capacity,
        nodes,
        matrix: None,
        has_time_windows: true,
    })
}

/// Writes `inst` in the Solomon text format, so that other tools (the peer
/// solvers' harness) can read a generated instance.
///
/// Numbers use Rust's shortest exact representation, so
/// [`parse_solomon`] reads back the same values. Only what the format holds
/// is written: name, fleet size (0 when unlimited), capacity and the node
/// rows; an explicit matrix and pickup/delivery links are not.
pub fn write_solomon(inst: &Instance) -> String {
    let mut out = format!(
        "{}\n\nVEHICLE\nNUMBER     CAPACITY\n  {}         {}\n\nCUSTOMER\n",
        inst.name,
        inst.vehicles.unwrap_or(0),
        inst.capacity
    );
    out.push_str(
        "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n\n",
    );
    for (i, n) in inst.nodes.iter().enumerate() {
        out.push_str(&format!(
            "{i:5} {} {} {} {} {} {}\n",
            n.x, n.y, n.demand, n.ready, n.due, n.service
        ));
    }
    out
}

/// Checks that the `index`-th row's id is new and equals `index` (the depot,
/// id 0, comes first). Shared with the Li & Lim parser.
pub(crate) fn check_id(
    ctx: &Ctx<'_>,
    line: usize,
    field: &str,
    id: i64,
    index: usize,
    seen: &mut HashMap<i64, usize>,
) -> Result<(), DatasetError> {
    if let Some(&first) = seen.get(&id) {
        return Err(ctx.duplicate(line, field, id, first));
    }
    seen.insert(id, line);
    if index == 0 && id != 0 {
        return Err(ctx.missing_depot(
            line,
            field,
            format!("the first node has id {id}, the depot must be id 0"),
        ));
    }
    if usize::try_from(id).ok() != Some(index) {
        return Err(ctx.invalid(
            line,
            field,
            format!("id {id}: ids must run 0, 1, 2, ... in file order (expected {index})"),
        ));
    }
    Ok(())
}
