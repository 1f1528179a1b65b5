//! VRPLIB `.vrp` files: CVRP and the extended form PyVRP and the `vrplib`
//! Python package read (time windows, service times, fleet size).
//!
//! Supported: a `KEY : value` header (`NAME`, `DIMENSION`, `CAPACITY`,
//! `VEHICLES`, `EDGE_WEIGHT_TYPE`, `EDGE_WEIGHT_FORMAT`, `SERVICE_TIME`;
//! other keys are ignored), then sections: `NODE_COORD_SECTION` (`id x y`),
//! `DEMAND_SECTION` (`id d`), `DEPOT_SECTION` (ids ended by `-1`),
//! `TIME_WINDOW_SECTION` (`id early late`), `SERVICE_TIME_SECTION`
//! (`id s`), `EDGE_WEIGHT_SECTION` (numbers, any line breaks); other
//! sections are skipped; `EOF` ends the file.
//!
//! * `EDGE_WEIGHT_TYPE : EUC_2D` → [`DistanceConvention::Nint`] (coordinates
//!   required); `EXPLICIT` with `EDGE_WEIGHT_FORMAT : FULL_MATRIX` →
//!   [`DistanceConvention::Explicit`] and [`Instance::matrix`] filled
//!   (coordinates optional, 0 when absent).
//! * Node ids run 1..=`DIMENSION`; node index = id − 1; exactly one depot,
//!   which must be node 1 (index 0). `DIMENSION` is at most
//!   [`MAX_DIMENSION`] and at most the file's length over 6 bytes; both are
//!   checked before anything is allocated per node.
//! * `DEMAND` and `CAPACITY` are at most [`crate::MAX_QUANTITY`].
//! * Without `TIME_WINDOW_SECTION`: `has_time_windows = false`, every node's
//!   window is `[0, OPEN_HORIZON]` ([`crate::instance::OPEN_HORIZON`]).
//! * A missing `DEMAND_SECTION` means all demands 0; `CAPACITY` is then
//!   optional (0 when absent).

use crate::error::DatasetError;
use crate::instance::{DistanceConvention, Format, Instance, Node, OPEN_HORIZON};
use crate::text::{end_line, Ctx};

/// The largest `DIMENSION` accepted: 100,000 nodes (the largest published
/// VRPLIB instances have about 30,000). Larger values are refused with
/// [`DatasetError::TooLarge`] before any per-node allocation.
pub const MAX_DIMENSION: usize = 100_000;

/// Fewest bytes a node takes in a file (a `NODE_COORD_SECTION` row
/// `1 0 0` and its line break; an explicit matrix row takes more):
/// `DIMENSION` is also bounded by the file's length over this.
const MIN_NODE_BYTES: usize = 6;

/// One section: its header line and its data rows `(line, tokens)`.
struct Section<'a> {
    name: &'a str,
    line: usize,
    rows: Vec<(usize, Vec<&'a str>)>,
}

/// The header values we use, with the line each came from.
#[derive(Default)]
struct Header<'a> {
    name: Option<&'a str>,
    dimension: Option<(usize, &'a str)>,
    capacity: Option<(usize, &'a str)>,
    vehicles: Option<(usize, &'a str)>,
    edge_weight_type: Option<(usize, &'a str)>,
    edge_weight_format: Option<(usize, &'a str)>,
    service_time: Option<(usize, &'a str)>,
}

/// Parses a VRPLIB instance from `text`; `name` names the file in errors
/// (the instance name is the `NAME` key, else `name`).
pub fn parse_vrplib(text: &str, name: &str) -> Result<Instance, DatasetError> {
    let ctx = Ctx { file: name };
    let end = end_line(text);
    let (header, sections, saw_eof) = split(&ctx, text)?;

    let (dl, dtok) = header
        .dimension
        .ok_or_else(|| ctx.invalid(end, "DIMENSION", "missing DIMENSION"))?;
    let n = ctx.usize(dl, "DIMENSION", dtok)?;
    // Bounded before anything is allocated per node.
    if n > MAX_DIMENSION {
        return Err(ctx.too_large(dl, "DIMENSION", to_u64(n), to_u64(MAX_DIMENSION)));
    }
    if n == 0 || n > text.len() / MIN_NODE_BYTES {
        return Err(ctx.invalid(
            dl,
            "DIMENSION",
            format!(
                "DIMENSION {n} is impossible for a file of {} bytes (a node takes at least {MIN_NODE_BYTES})",
                text.len()
            ),
        ));
    }
    let (tl, ewt) = header
        .edge_weight_type
        .ok_or_else(|| ctx.invalid(end, "EDGE_WEIGHT_TYPE", "missing EDGE_WEIGHT_TYPE"))?;
    let convention = match ewt.to_ascii_uppercase().as_str() {
        "EUC_2D" => DistanceConvention::Nint,
        "EXPLICIT" => {
            let fmt = header
                .edge_weight_format
                .map(|(_, v)| v.to_ascii_uppercase());
            if fmt.as_deref() != Some("FULL_MATRIX") {
                let l = header.edge_weight_format.map_or(tl, |(l, _)| l);
                return Err(ctx.invalid(
                    l,
                    "EDGE_WEIGHT_FORMAT",
                    format!(
                        "{} not supported (only FULL_MATRIX)",
                        fmt.as_deref().unwrap_or("missing")
                    ),
                ));
            }
            DistanceConvention::Explicit
        }
        other => {
            return Err(ctx.invalid(
                tl,
                "EDGE_WEIGHT_TYPE",
                format!("{other} not supported (EUC_2D or EXPLICIT)"),
            ));
        }
    };

    let find = |s: &str| sections.iter().find(|sec| sec.name == s);
    // The section the file ends in, when it has no `EOF` line.
    let open_section = if saw_eof {
        None
    } else {
        sections.last().map(|s| s.name)
    };
    let is_last = |s: &Section<'_>| open_section == Some(s.name);

    let mut nodes: Vec<Node> = (0..n)
        .map(|i| Node {
            file_id: i as i64 + 1,
            x: 0.0,
            y: 0.0,
            demand: 0,
            ready: 0.0,
            due: OPEN_HORIZON,
            service: 0.0,
            pickup: None,
            delivery: None,
        })
        .collect();

    match find("NODE_COORD_SECTION") {
        Some(sec) => {
            for (i, (l, vals)) in node_rows(&ctx, sec, n, &["X", "Y"], is_last(sec), end)?
                .into_iter()
                .enumerate()
            {
                if let Some(node) = nodes.get_mut(i) {
                    node.x = ctx.f64(l, "X", vals.first().copied().unwrap_or_default())?;
                    node.y = ctx.f64(l, "Y", vals.get(1).copied().unwrap_or_default())?;
                }
            }
        }
        None if convention == DistanceConvention::Nint => {
            return Err(ctx.invalid(end, "NODE_COORD_SECTION", "missing, required by EUC_2D"));
        }
        None => {}
    }

    let mut any_demand = false;
    if let Some(sec) = find("DEMAND_SECTION") {
        for (i, (l, vals)) in node_rows(&ctx, sec, n, &["DEMAND"], is_last(sec), end)?
            .into_iter()
            .enumerate()
        {
            let d = ctx.quantity(l, "DEMAND", vals.first().copied().unwrap_or_default())?;
            if d < 0 {
                return Err(ctx.negative_demand(l, "DEMAND", d));
            }
            any_demand |= d > 0;
            if let Some(node) = nodes.get_mut(i) {
                node.demand = d;
            }
        }
    }

    if let Some((l, v)) = header.service_time {
        let s = ctx.f64(l, "SERVICE_TIME", v)?;
        if s < 0.0 {
            return Err(ctx.invalid(l, "SERVICE_TIME", format!("negative service time {s}")));
        }
        for node in nodes.iter_mut().skip(1) {
            node.service = s;
        }
    }
    if let Some(sec) = find("SERVICE_TIME_SECTION") {
        for (i, (l, vals)) in node_rows(&ctx, sec, n, &["SERVICE_TIME"], is_last(sec), end)?
            .into_iter()
            .enumerate()
        {
            let s = ctx.f64(l, "SERVICE_TIME", vals.first().copied().unwrap_or_default())?;
            if s < 0.0 {
                return Err(ctx.invalid(l, "SERVICE_TIME", format!("negative service time {s}")));
            }
            if let Some(node) = nodes.get_mut(i) {
                node.service = s;
            }
        }
    }

    let has_time_windows = match find("TIME_WINDOW_SECTION") {
        Some(sec) => {
            for (i, (l, vals)) in node_rows(&ctx, sec, n, &["EARLY", "LATE"], is_last(sec), end)?
                .into_iter()
                .enumerate()
            {
                let ready = ctx.f64(l, "EARLY", vals.first().copied().unwrap_or_default())?;
                let due = ctx.f64(l, "LATE", vals.get(1).copied().unwrap_or_default())?;
                if due < ready {
                    return Err(ctx.due_before_ready(l, "LATE", ready, due));
                }
                if let Some(node) = nodes.get_mut(i) {
                    node.ready = ready;
                    node.due = due;
                }
            }
            true
        }
        None => false,
    };

    check_depot(&ctx, find("DEPOT_SECTION"), end)?;

    let matrix = match find("EDGE_WEIGHT_SECTION") {
        Some(sec) => Some(read_matrix(&ctx, sec, n, is_last(sec), end)?),
        None if convention == DistanceConvention::Explicit => {
            return Err(ctx.invalid(end, "EDGE_WEIGHT_SECTION", "missing, required by EXPLICIT"));
        }
        None => None,
    };

    let capacity = match header.capacity {
        Some((l, v)) => {
            let c = ctx.quantity(l, "CAPACITY", v)?;
            if c < 0 {
                return Err(ctx.invalid(l, "CAPACITY", format!("negative capacity {c}")));
            }
            c
        }
        None if any_demand => return Err(ctx.invalid(end, "CAPACITY", "missing CAPACITY")),
        None => 0,
    };
    let vehicles = match header.vehicles {
        Some((l, v)) => Some(ctx.usize(l, "VEHICLES", v)?),
        None => None,
    };

    Ok(Instance {
        name: header.name.unwrap_or(name).to_string(),
        format: Format::Vrplib,
        convention,
        vehicles,
        capacity,
        nodes,
        matrix,
        has_time_windows,
    })
}

/// `n` as `u64` (lossless on every supported target; saturating otherwise).
fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Splits the file into header keys and sections; returns whether `EOF` was seen.
fn split<'a>(
    ctx: &Ctx<'_>,
    text: &'a str,
) -> Result<(Header<'a>, Vec<Section<'a>>, bool), DatasetError> {
    let mut header = Header::default();
    let mut sections: Vec<Section<'a>> = Vec::new();
    let mut in_section = false;
    for (i, raw) in text.lines().enumerate() {
        let l = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.eq_ignore_ascii_case("EOF") {
            return Ok((header, sections, true));
        }
        let first = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_end_matches(':');
        if first.ends_with("_SECTION") {
            if let Some(prev) = sections.iter().find(|s| s.name == first) {
                return Err(ctx.invalid(
                    l,
                    first,
                    format!("section repeated (first on line {})", prev.line),
                ));
            }
            sections.push(Section {
                name: first,
                line: l,
                rows: Vec::new(),
            });
            in_section = true;
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let key = key.trim();
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                in_section = false;
                let value = value.trim();
                let slot = match key {
                    "NAME" => {
                        header.name = Some(value);
                        continue;
                    }
                    "DIMENSION" => &mut header.dimension,
                    "CAPACITY" => &mut header.capacity,
                    "VEHICLES" => &mut header.vehicles,
                    "EDGE_WEIGHT_TYPE" => &mut header.edge_weight_type,
                    "EDGE_WEIGHT_FORMAT" => &mut header.edge_weight_format,
                    "SERVICE_TIME" => &mut header.service_time,
                    _ => continue,
                };
                *slot = Some((l, value));
                continue;
            }
        }
        match sections.last_mut() {
            Some(sec) if in_section => sec.rows.push((l, line.split_whitespace().collect())),
            _ => {
                return Err(ctx.invalid(
                    l,
                    "header",
                    format!("expected `KEY : value` or a section, found `{line}`"),
                ));
            }
        }
    }
    Ok((header, sections, false))
}

/// Reads a per-node section (`id v1 v2 ...`): returns, for node index
/// `0..n`, the line and the values after the id. Every node must appear
/// exactly once; `truncated` says the file ended inside this section.
fn node_rows<'a>(
    ctx: &Ctx<'_>,
    sec: &Section<'a>,
    n: usize,
    cols: &[&'static str],
    truncated: bool,
    end: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, DatasetError> {
    let mut out: Vec<Option<(usize, Vec<&'a str>)>> = vec![None; n];
    for (l, toks) in &sec.rows {
        let id_tok = toks.first().copied().unwrap_or_default();
        let id = ctx.i64(*l, sec.name, id_tok)?;
        let slot = usize::try_from(id)
            .ok()
            .and_then(|id| id.checked_sub(1))
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| ctx.invalid(*l, sec.name, format!("node id {id} outside 1..={n}")))?;
        if let Some((first, _)) = slot {
            return Err(ctx.duplicate(*l, sec.name, id, *first));
        }
        let vals: Vec<&'a str> = toks.iter().skip(1).copied().collect();
        if let Some(missing) = cols.get(vals.len()) {
            return Err(ctx.truncated(*l, missing));
        }
        if vals.len() > cols.len() {
            let what = cols.join(" ");
            return Err(ctx.invalid(
                *l,
                sec.name,
                format!("expected `id {what}`, found extra fields"),
            ));
        }
        *slot = Some((*l, vals));
    }
    let found = out.iter().filter(|r| r.is_some()).count();
    if found < n {
        if truncated {
            return Err(ctx.truncated(end, sec.name));
        }
        let l = sec.rows.last().map_or(sec.line, |(l, _)| *l);
        return Err(DatasetError::WrongSize {
            file: ctx.file.to_string(),
            line: l,
            field: sec.name.to_string(),
            expected: n,
            found,
        });
    }
    Ok(out.into_iter().flatten().collect())
}

/// Validates `DEPOT_SECTION`: exactly one depot, node 1, then `-1`.
fn check_depot(ctx: &Ctx<'_>, sec: Option<&Section<'_>>, end: usize) -> Result<(), DatasetError> {
    let field = "DEPOT_SECTION";
    let Some(sec) = sec else {
        return Err(ctx.missing_depot(end, field, "the file has no DEPOT_SECTION"));
    };
    let mut depots = Vec::new();
    'rows: for (l, toks) in &sec.rows {
        for t in toks {
            let id = ctx.i64(*l, field, t)?;
            if id == -1 {
                break 'rows;
            }
            depots.push((*l, id));
        }
    }
    match depots.as_slice() {
        [] => Err(ctx.missing_depot(sec.line, field, "DEPOT_SECTION lists no depot")),
        [(_, 1)] => Ok(()),
        [(l, id)] => Err(ctx.invalid(
            *l,
            field,
            format!("depot {id} not supported: the depot must be node 1"),
        )),
        [_, (l, _), ..] => Err(ctx.invalid(*l, field, "more than one depot is not supported")),
    }
}

/// Reads a `FULL_MATRIX` `EDGE_WEIGHT_SECTION` of `n × n` numbers.
fn read_matrix(
    ctx: &Ctx<'_>,
    sec: &Section<'_>,
    n: usize,
    truncated: bool,
    end: usize,
) -> Result<Vec<f64>, DatasetError> {
    let field = sec.name;
    let expected = n.saturating_mul(n);
    let mut m = Vec::new();
    for (l, toks) in &sec.rows {
        for t in toks {
            if m.len() == expected {
                let found = sec.rows.iter().map(|(_, r)| r.len()).sum();
                return Err(DatasetError::WrongSize {
                    file: ctx.file.to_string(),
                    line: *l,
                    field: field.to_string(),
                    expected,
                    found,
                });
            }
            m.push(ctx.f64(*l, field, t)?);
        }
    }
    if m.len() < expected {
        if truncated {
            return Err(ctx.truncated(end, field));
        }
        return Err(DatasetError::WrongSize {
            file: ctx.file.to_string(),
            line: sec.rows.last().map_or(sec.line, |(l, _)| *l),
            field: field.to_string(),
            expected,
            found: m.len(),
        });
    }
    Ok(m)
}
