//! # milkrun-datasets
//!
//! The data milkrun ships and the code that reads it: benchmark instances
//! (Solomon, Gehring-Homberger, CVRPLIB X, Li & Lim), their best-known
//! solutions, and an independent solution checker used by every test and
//! benchmark that judges a solution.
//!
//! ## Concepts
//! * An [`Instance`] is a list of [`Node`]s, depot first: node 0 is the
//!   depot and node `i` is the `i`-th node of the file. Routes are lists of
//!   node indices with the depot left out. A [`DistanceConvention`] says how
//!   to turn coordinates into distances (= travel times).
//! * Loaders: [`load_instance`] reads a file and detects its format from the
//!   content; [`parse_solomon`], [`parse_vrplib`] and [`parse_li_lim`] parse
//!   strings (no I/O). Every malformed input is a [`DatasetError`] naming the
//!   file, the line and the field, never a panic.
//! * [`sol`] reads and writes CVRPLIB `.sol` solutions, [`bks`] the
//!   best-known-solution tables shipped next to each set.
//! * [`checker`] recomputes a solution's distance and checks every rule,
//!   reporting each broken rule and where. It depends on nothing else in the
//!   workspace.
//! * [`generate`] builds seeded synthetic instances (a dense city of
//!   apartment buildings for long milk routes).
//! * [`scenario`] generates a seeded milk-delivery morning on the road points
//!   of an extract and reads/writes it as a plain text file.
//! * [`history`] generates a seeded two-year daily demand history of a milk
//!   station (weekly pattern, holidays, promotions).
//!
//! The shipped files live under [`data_dir`]: `vrp/{solomon,homberger_200,
//! li_lim_100,x}`, `forecast/`, `osm/` (see each folder's README).
//!
//! ## Example
//! ```
//! use milkrun_datasets::{checker, parse_solomon};
//!
//! let text = "\
//! TINY
//! VEHICLE
//! NUMBER     CAPACITY
//!   2         10
//! CUSTOMER
//! CUST NO.  XCOORD.  YCOORD.  DEMAND  READY TIME  DUE DATE  SERVICE TIME
//!     0       0        0        0        0         100        0
//!     1       3        4        5        0          50        1
//!     2       6        8        5        0          50        1
//! ";
//! let inst = parse_solomon(text, "tiny.txt")?;
//! let report = checker::check(&inst, &[vec![1, 2]]);
//! assert!(report.is_feasible());
//! assert_eq!(report.distance, 20.0); // 5 + 5 + 10
//! # Ok::<(), milkrun_datasets::DatasetError>(())
//! ```
#![warn(missing_docs)]

pub mod bks;
pub mod checker;
pub mod error;
pub mod generate;
pub mod history;
pub mod instance;
mod li_lim;
mod rng;
pub mod scenario;
pub mod sol;
mod solomon;
mod text;
mod vrplib;

use std::path::{Path, PathBuf};

pub use error::DatasetError;
pub use instance::{DistanceConvention, Format, Instance, Node, MAX_QUANTITY, OPEN_HORIZON};
pub use li_lim::parse_li_lim;
pub use solomon::{parse_solomon, write_solomon};
pub use vrplib::{parse_vrplib, MAX_DIMENSION};

/// Absolute path of the shipped data folder (`datasets/data`).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Absolute path of one shipped VRP set folder, e.g. `vrp_set_dir("x")`.
pub fn vrp_set_dir(set: &str) -> PathBuf {
    data_dir().join("vrp").join(set)
}

/// Guesses the format of an instance text from its first lines:
/// VRPLIB has `KEY : value` lines or `*_SECTION` lines; Solomon has a
/// `VEHICLE` line after the name; Li & Lim starts with 2-3 numbers.
pub fn detect_format(text: &str) -> Option<Format> {
    let mut first: Vec<&str> = Vec::new();
    for (_, line) in text::content_lines(text).take(4) {
        first.push(line);
    }
    let is_vrplib = first.iter().any(|l| {
        let head = l
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_end_matches(':');
        head.ends_with("_SECTION")
            || l.split_once(':').is_some_and(|(k, _)| {
                matches!(
                    k.trim(),
                    "NAME" | "TYPE" | "DIMENSION" | "COMMENT" | "CAPACITY" | "EDGE_WEIGHT_TYPE"
                )
            })
    });
    if is_vrplib {
        return Some(Format::Vrplib);
    }
    if first
        .get(1)
        .is_some_and(|l| l.eq_ignore_ascii_case("VEHICLE"))
    {
        return Some(Format::Solomon);
    }
    let numeric = |l: &str, lo: usize, hi: usize| {
        let toks: Vec<&str> = l.split_whitespace().collect();
        (lo..=hi).contains(&toks.len()) && toks.iter().all(|t| t.parse::<f64>().is_ok())
    };
    if first.first().is_some_and(|l| numeric(l, 2, 3))
        && first.get(1).is_none_or(|l| numeric(l, 9, 9))
    {
        return Some(Format::LiLim);
    }
    None
}

/// Parses `text` in the format detected by [`detect_format`]. `file` names
/// the file in errors; `stem` is the instance name where the format has
/// none (Li & Lim).
pub fn parse_instance(text: &str, file: &str, stem: &str) -> Result<Instance, DatasetError> {
    match detect_format(text) {
        Some(Format::Solomon) => parse_solomon(text, file),
        Some(Format::Vrplib) => {
            let mut inst = parse_vrplib(text, file)?;
            if inst.name == file {
                inst.name = stem.to_string();
            }
            Ok(inst)
        }
        Some(Format::LiLim) => li_lim::parse(text, file, stem),
        None => Err(DatasetError::UnknownFormat {
            file: file.to_string(),
        }),
    }
}

/// Reads an instance file and parses it in the format detected from its
/// content (Solomon/Homberger `.txt`, VRPLIB `.vrp`, Li & Lim `.txt`).
pub fn load_instance(path: &Path) -> Result<Instance, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map_or_else(|| file_label(path), |s| s.to_string_lossy().into_owned());
    parse_instance(&text, &file_label(path), &stem)
}

/// Lists the instance files of a folder (`.txt` and `.vrp`), sorted by name.
pub fn instance_files(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let io = |source| DatasetError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("txt" | "vrp")
        ) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The name errors give a file: its file name, else the whole path.
pub(crate) fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
