//! Typed benchmark instances, as read from the shipped files.
//!
//! Every loader returns an [`Instance`]: node 0 is always the depot, and node
//! `i` is the `i`-th node of the file in file order. Solutions (`.sol` files,
//! the checker) refer to nodes by this index; the depot is never listed in a
//! route.

/// The due date given to every node of an instance without time windows
/// (VRPLIB files with no `TIME_WINDOW_SECTION`, where
/// [`Instance::has_time_windows`] is false): 10¹² time units. It is finite
/// on purpose, so that solvers may convert it to integers and add travel
/// times to it without overflow; treat any due date `>= OPEN_HORIZON` as
/// "no limit".
pub const OPEN_HORIZON: f64 = 1.0e12;

/// The largest demand or capacity (in absolute value) a loader accepts:
/// 10⁹ units. Loaders refuse larger values with
/// [`crate::DatasetError::TooLarge`], so sums of demands over any instance a
/// file can hold stay far from `i64` overflow.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// How distances (and travel times) between nodes are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceConvention {
    /// Euclidean distance in double precision, not rounded (Solomon, Homberger, Li & Lim).
    Exact,
    /// Euclidean distance rounded to the nearest integer per edge (CVRPLIB / TSPLIB `EUC_2D`).
    Nint,
    /// DIMACS challenge: Euclidean distance ×10, truncated, /10 (one decimal, truncated).
    Dimacs,
    /// An explicit full matrix read from the file (`EDGE_WEIGHT_SECTION`).
    Explicit,
}

/// Which file format an instance came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Solomon / Gehring-Homberger VRPTW text format.
    Solomon,
    /// VRPLIB `.vrp` (CVRP, optionally with time windows and service times).
    Vrplib,
    /// Li & Lim PDPTW text format.
    LiLim,
}

/// One node (depot or customer) of an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's id as written in the file (Solomon `CUST NO.`, VRPLIB 1-based id).
    pub file_id: i64,
    /// X coordinate (0 when the instance has only an explicit matrix).
    pub x: f64,
    /// Y coordinate.
    pub y: f64,
    /// Demand; negative for a Li & Lim delivery.
    pub demand: i64,
    /// Earliest service start (ready time).
    pub ready: f64,
    /// Latest service start (due date). For the depot: the horizon, latest return.
    pub due: f64,
    /// Service duration.
    pub service: f64,
    /// For a Li & Lim delivery: the index of its pickup node.
    pub pickup: Option<usize>,
    /// For a Li & Lim pickup: the index of its delivery node.
    pub delivery: Option<usize>,
}

/// A loaded instance. Node 0 is the depot.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Instance name (file `NAME` or first line, else the file stem).
    pub name: String,
    /// Format of the file it came from.
    pub format: Format,
    /// Distance convention of the set.
    pub convention: DistanceConvention,
    /// Maximum number of vehicles, when the file states one.
    pub vehicles: Option<usize>,
    /// Vehicle capacity (one dimension).
    pub capacity: i64,
    /// All nodes, depot first.
    pub nodes: Vec<Node>,
    /// Explicit `n × n` row-major distance matrix, when the file has one.
    pub matrix: Option<Vec<f64>>,
    /// Whether the instance has time windows (false for plain CVRP).
    pub has_time_windows: bool,
}

impl Instance {
    /// Number of nodes including the depot.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the instance has no nodes at all (never for a loaded file).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Distance between node `i` and node `j` under the instance's convention.
    ///
    /// # Panics
    /// Panics if `i` or `j` is out of range (callers index with node indices
    /// they got from this instance).
    pub fn distance(&self, i: usize, j: usize) -> f64 {
        if let Some(m) = &self.matrix {
            return m[i * self.nodes.len() + j];
        }
        let (a, b) = (&self.nodes[i], &self.nodes[j]);
        let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        match self.convention {
            DistanceConvention::Exact | DistanceConvention::Explicit => d,
            DistanceConvention::Nint => (d + 0.5).floor(),
            DistanceConvention::Dimacs => (d * 10.0).floor() / 10.0,
        }
    }
}
