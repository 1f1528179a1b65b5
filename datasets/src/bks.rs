//! Best-known-solution tables (`bks.csv`: `instance,vehicles,distance[,source]`).

use std::path::Path;

use crate::error::DatasetError;
use crate::text::Ctx;

/// One row of a `bks.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct BksEntry {
    /// Instance name (file name without extension).
    pub instance: String,
    /// Vehicles of the best-known solution.
    pub vehicles: usize,
    /// Total distance of the best-known solution, under the set's convention.
    pub distance: f64,
    /// Where the value comes from (empty when the file has no such column).
    pub source: String,
}

/// The file name errors of [`parse_bks_csv`] name.
const BKS_FILE: &str = "<bks.csv>";

/// Parses a BKS table; the first line must be the header
/// `instance,vehicles,distance` (a fourth `source` column is optional).
pub fn parse_bks_csv(text: &str) -> Result<Vec<BksEntry>, DatasetError> {
    parse_named(text, BKS_FILE)
}

/// Reads and parses a `bks.csv` file.
pub fn read_bks(path: &Path) -> Result<Vec<BksEntry>, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_named(&text, &crate::file_label(path))
}

/// Finds the entry of `instance` in `entries`.
pub fn find<'a>(entries: &'a [BksEntry], instance: &str) -> Option<&'a BksEntry> {
    entries.iter().find(|e| e.instance == instance)
}

fn parse_named(text: &str, file: &str) -> Result<Vec<BksEntry>, DatasetError> {
    let ctx = Ctx { file };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let Some((l, header)) = lines.next() else {
        return Err(ctx.truncated(1, "header"));
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    if cols.get(..3) != Some(&["instance", "vehicles", "distance"][..]) {
        return Err(ctx.invalid(
            l,
            "header",
            format!("expected `instance,vehicles,distance`, found `{header}`"),
        ));
    }
    let mut out = Vec::new();
    for (l, row) in lines {
        let mut f = row.splitn(4, ',').map(str::trim);
        let instance = f.next().unwrap_or_default();
        if instance.is_empty() {
            return Err(ctx.invalid(l, "instance", "empty instance name"));
        }
        let vehicles = ctx.usize(
            l,
            "vehicles",
            f.next().ok_or_else(|| ctx.truncated(l, "vehicles"))?,
        )?;
        let distance = ctx.f64(
            l,
            "distance",
            f.next().ok_or_else(|| ctx.truncated(l, "distance"))?,
        )?;
        if distance < 0.0 {
            return Err(ctx.invalid(l, "distance", format!("negative distance {distance}")));
        }
        let source = f.next().unwrap_or_default().to_string();
        if let Some(prev) = out.iter().position(|e: &BksEntry| e.instance == instance) {
            return Err(ctx.invalid(
                l,
                "instance",
                format!("instance {instance} listed twice (row {})", prev + 1),
            ));
        }
        out.push(BksEntry {
            instance: instance.to_string(),
            vehicles,
            distance,
            source,
        });
    }
    Ok(out)
}
