//! CVRPLIB `.sol` solutions: `Route #k: c1 c2 ...` lines, then `Cost X`.
//!
//! Customer numbers are node indices of the [`crate::Instance`] (for a
//! VRPLIB file: file id − 1; for Solomon: `CUST NO.`). The depot is not
//! listed. Other lines (`Time ...`, comments) are ignored.

use std::path::Path;

use crate::error::DatasetError;
use crate::text::Ctx;

/// A parsed `.sol` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The routes in file order, each a list of node indices (depot omitted).
    /// A `Route #k:` line with no customers gives an empty route.
    pub routes: Vec<Vec<usize>>,
    /// The `Cost` line's value, when the file has one.
    pub cost: Option<f64>,
}

/// The file name errors of [`parse_sol`] name.
const SOL_FILE: &str = "<solution>";

/// Parses a `.sol` text.
pub fn parse_sol(text: &str) -> Result<Solution, DatasetError> {
    parse_sol_named(text, SOL_FILE)
}

/// Parses a `.sol` text; `file` names the file in errors.
pub fn parse_sol_named(text: &str, file: &str) -> Result<Solution, DatasetError> {
    let ctx = Ctx { file };
    let mut routes = Vec::new();
    let mut cost = None;
    for (i, raw) in text.lines().enumerate() {
        let l = i + 1;
        let line = raw.trim();
        if let Some(rest) = strip_prefix_ci(line, "Route") {
            let Some((_, customers)) = rest.split_once(':') else {
                return Err(ctx.invalid(l, "Route", "expected `Route #k: c1 c2 ...`"));
            };
            let route = customers
                .split_whitespace()
                .map(|t| ctx.usize(l, "Route", t))
                .collect::<Result<Vec<_>, _>>()?;
            routes.push(route);
        } else if let Some(rest) = strip_prefix_ci(line, "Cost") {
            let tok = rest.trim().trim_start_matches(':').trim();
            if cost.is_some() {
                return Err(ctx.invalid(l, "Cost", "second Cost line"));
            }
            cost = Some(ctx.f64(l, "Cost", tok)?);
        }
    }
    Ok(Solution { routes, cost })
}

/// Reads and parses a `.sol` file.
pub fn read_sol(path: &Path) -> Result<Solution, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_sol_named(&text, &crate::file_label(path))
}

/// Writes routes and a cost in the CVRPLIB `.sol` format (routes numbered
/// from 1, one line each, empty routes included as `Route #k:`).
///
/// An integral cost is written without decimals (`Cost 27591`); any other
/// value with Rust's shortest exact representation, so [`parse_sol`] reads
/// back exactly the same `f64`.
pub fn write_sol(routes: &[Vec<usize>], cost: f64) -> String {
    let mut out = String::new();
    for (k, route) in routes.iter().enumerate() {
        out.push_str(&format!("Route #{}:", k + 1));
        for c in route {
            out.push_str(&format!(" {c}"));
        }
        out.push('\n');
    }
    out.push_str(&format!("Cost {cost}\n"));
    out
}

/// `line` without `prefix` (ASCII case-insensitive), if it starts with it.
fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| line.get(prefix.len()..))
        .flatten()
}
