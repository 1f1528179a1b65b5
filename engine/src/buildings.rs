//! Building positions from an OpenStreetMap extract (issue #25): where the households of a
//! generated morning may live when the map has real buildings.
//!
//! [`import_buildings`] reads the bytes of a `.osm.pbf` file (a pure function of the bytes,
//! framing checked first as for the roads) and returns one [`Building`] per usable element:
//! - a way tagged `building=*`: the area-weighted centroid of its ring (the vertices' mean
//!   when the ring has no area);
//! - a `type=multipolygon` relation tagged `building=*`: the area-weighted centroid of its
//!   closed outer ways (the mean of all outer vertices when none is closed);
//! - a node tagged `building=*`;
//! - an address node (`addr:*` without `building`), unless it lies inside the bounding box
//!   of a building kept above (the address of a mapped footprint, not a second building).
//!
//! Each has a [`BuildingKind`] from its `building` value and a rough household count
//! ([`households_for`]): `building:flats` where tagged, else one for a house or an unknown
//! building, two per level for apartments, one per level for `residential`, none for a
//! building that is not a home (a barn, a garage, a church).
//!
//! Every coordinate is checked (finite, in range) and every ring bounded
//! ([`MAX_RING_NODES`]); an element with a missing node or way, a bad coordinate or too few
//! nodes is skipped and counted by reason in the [`BuildingReport`] (the first
//! [`MAX_SKIP_EXAMPLES`] with their OSM ids), never a panic. More buildings than the limit
//! given is an [`EngineError::TooManyBuildings`]; a corrupt file an [`EngineError::Pbf`].
//! The core, [`collect_buildings`], works on plain decoded elements ([`BuildingInput`]).

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::panic::AssertUnwindSafe;

use osmpbfreader::{OsmId, OsmObj, OsmPbfReader, Tags};

use crate::geo::{LatLon, EARTH_RADIUS_M};
use crate::EngineError;

/// Buildings kept by default ([`import_buildings`]'s `max_buildings`): a large city's
/// footprints, about 40 MB of [`Building`]s.
pub const DEFAULT_MAX_BUILDINGS: usize = 1_000_000;

/// Most nodes of one ring (way) read; a longer one is skipped as [`BuildingSkip::TooLarge`].
pub const MAX_RING_NODES: usize = 10_000;

/// Most outer ways of one multipolygon read; more is skipped as [`BuildingSkip::TooLarge`].
pub const MAX_OUTER_WAYS: usize = 1_000;

/// The largest `building:flats` taken; a larger, zero or unreadable value is ignored.
pub const MAX_FLATS: u32 = 2_000;

/// The largest `building:levels` taken; a larger, zero or unreadable value is ignored.
pub const MAX_LEVELS: u32 = 200;

/// Levels assumed for an apartment building without `building:levels`.
pub const DEFAULT_APARTMENT_LEVELS: u32 = 3;

/// Skipped elements listed with their OSM id in the report (the rest are only counted).
pub const MAX_SKIP_EXAMPLES: usize = 20;

/// What a building is, from its `building` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildingKind {
    /// One household: `house`, `detached`, `semidetached_house`, `terrace`, `bungalow`,
    /// `farm`, `cabin`.
    House,
    /// Flats: `apartments`, `dormitory`.
    Apartments,
    /// `residential`: homes, how many not said.
    Residential,
    /// `building=yes`: a building of unknown use.
    Unknown,
    /// An address node without a mapped footprint.
    Address,
    /// Not a home: any other value (`garage`, `barn`, `commercial`, `church`, ...).
    Other,
}

impl BuildingKind {
    /// The kind of a `building=*` value (`None` for `no`, which is not a building).
    pub fn from_tag(value: &str) -> Option<BuildingKind> {
        Some(match value {
            "no" => return None,
            "house" | "detached" | "semidetached_house" | "semi" | "terrace" | "bungalow"
            | "farm" | "cabin" => BuildingKind::House,
            "apartments" | "dormitory" => BuildingKind::Apartments,
            "residential" => BuildingKind::Residential,
            "yes" => BuildingKind::Unknown,
            _ => BuildingKind::Other,
        })
    }

    /// Its name in reports: `house`, `apartments`, `residential`, `unknown`, `address`,
    /// `other`.
    pub fn name(self) -> &'static str {
        match self {
            BuildingKind::House => "house",
            BuildingKind::Apartments => "apartments",
            BuildingKind::Residential => "residential",
            BuildingKind::Unknown => "unknown",
            BuildingKind::Address => "address",
            BuildingKind::Other => "other",
        }
    }
}

/// The OSM element a building comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OsmRef {
    /// A node id.
    Node(i64),
    /// A way id.
    Way(i64),
    /// A relation id.
    Relation(i64),
}

/// One building (or address) position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Building {
    /// Where its door is taken to be: the centroid of the footprint, or the node.
    pub pos: LatLon,
    /// What it is.
    pub kind: BuildingKind,
    /// Rough number of households living in it ([`households_for`]; 0: not a home).
    pub households: u32,
    /// Whether it carries `addr:*` tags.
    pub has_address: bool,
    /// The element it comes from.
    pub osm: OsmRef,
}

/// Why an element tagged as a building was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildingSkip {
    /// A node of its ring (or an outer way of a multipolygon) is not in the extract.
    MissingNodes,
    /// A coordinate is not finite or out of range.
    BadCoordinate,
    /// A ring with fewer than three distinct nodes, or a multipolygon without outer ways.
    TooFewNodes,
    /// More than [`MAX_RING_NODES`] nodes, or more than [`MAX_OUTER_WAYS`] outer ways.
    TooLarge,
}

impl BuildingSkip {
    /// What is wrong, in words.
    pub fn reason(self) -> &'static str {
        match self {
            BuildingSkip::MissingNodes => "a node or way is missing from the extract",
            BuildingSkip::BadCoordinate => "a coordinate is not finite or out of range",
            BuildingSkip::TooFewNodes => "fewer than three distinct nodes",
            BuildingSkip::TooLarge => "too many nodes or outer ways",
        }
    }
}

/// What the import found: the counts of issue #25's survey and what was skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildingReport {
    /// Nodes tagged `building=*` (other than `no`).
    pub building_nodes: usize,
    /// Ways tagged `building=*`.
    pub building_ways: usize,
    /// Relations tagged `building=*` (any type; only multipolygons are read).
    pub building_relations: usize,
    /// Building-tagged elements with at least one `addr:*` tag.
    pub with_address: usize,
    /// Building-tagged elements with `building:flats`.
    pub with_flats: usize,
    /// Building-tagged elements with `building:levels`.
    pub with_levels: usize,
    /// Nodes with `addr:*` tags but no `building` tag.
    pub address_nodes: usize,
    /// Address nodes dropped because they lie inside a kept building's bounding box.
    pub address_inside_building: usize,
    /// Buildings (and address nodes) returned.
    pub kept: usize,
    /// Skipped: a node or way missing.
    pub missing_nodes: usize,
    /// Skipped: a bad coordinate.
    pub bad_coordinate: usize,
    /// Skipped: too few nodes.
    pub too_few_nodes: usize,
    /// Skipped: too large.
    pub too_large: usize,
    /// The first [`MAX_SKIP_EXAMPLES`] skipped elements and why.
    pub examples: Vec<(OsmRef, BuildingSkip)>,
}

impl BuildingReport {
    fn skip(&mut self, osm: OsmRef, why: BuildingSkip) {
        match why {
            BuildingSkip::MissingNodes => self.missing_nodes += 1,
            BuildingSkip::BadCoordinate => self.bad_coordinate += 1,
            BuildingSkip::TooFewNodes => self.too_few_nodes += 1,
            BuildingSkip::TooLarge => self.too_large += 1,
        }
        if self.examples.len() < MAX_SKIP_EXAMPLES {
            self.examples.push((osm, why));
        }
    }

    /// Elements skipped, all reasons.
    pub fn skipped(&self) -> usize {
        self.missing_nodes + self.bad_coordinate + self.too_few_nodes + self.too_large
    }
}

/// The tags of an element that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildingTags {
    /// The `building` value.
    pub building: Option<String>,
    /// Whether any `addr:*` tag is present.
    pub has_address: bool,
    /// The `building:flats` value.
    pub flats: Option<String>,
    /// The `building:levels` value.
    pub levels: Option<String>,
}

impl BuildingTags {
    fn from_osm(tags: &Tags) -> BuildingTags {
        BuildingTags {
            building: tags.get("building").map(|v| v.to_string()),
            has_address: tags.keys().any(|k| k.starts_with("addr:")),
            flats: tags.get("building:flats").map(|v| v.to_string()),
            levels: tags.get("building:levels").map(|v| v.to_string()),
        }
    }

    /// The kind, if the element is a building (`building=*` other than `no`).
    fn kind(&self) -> Option<BuildingKind> {
        self.building.as_deref().and_then(BuildingKind::from_tag)
    }
}

/// The node ids of each outer way of a multipolygon (`None`: the way is not in the extract).
pub type OuterWays = Vec<Option<Vec<i64>>>;

/// Decoded elements: node coordinates (degrees, as given: they are checked here), building
/// or address nodes, building ways with their node ids, building multipolygons with the node
/// ids of each outer way (`None`: the way is not in the extract).
#[derive(Debug, Clone, Default)]
pub struct BuildingInput {
    /// Every node's `(lat, lon)`.
    pub coords: HashMap<i64, (f64, f64)>,
    /// Nodes tagged `building=*` or `addr:*`.
    pub nodes: Vec<(i64, BuildingTags)>,
    /// Ways tagged `building=*`.
    pub ways: Vec<(i64, Vec<i64>, BuildingTags)>,
    /// Relations tagged `building=*` and `type=multipolygon`, with their outer ways.
    pub relations: Vec<(i64, OuterWays, BuildingTags)>,
    /// Relations tagged `building=*` of another type (counted, not read).
    pub other_relations: usize,
}

/// A positive whole number from a tag value: the first of `;`-separated values, decimals
/// rounded up (`2.5` levels: 3), at most `max`; `None` if zero, negative, unreadable or
/// larger.
fn tag_count(value: Option<&str>, max: u32) -> Option<u32> {
    let first = value?.split(';').next()?.trim();
    let x: f64 = first.parse().ok()?;
    (x.is_finite() && x > 0.0 && x <= f64::from(max)).then(|| x.ceil() as u32)
}

/// Rough households in a building: `building:flats` when it reads as 1..=[`MAX_FLATS`];
/// else by kind: a house, an unknown building or an address 1; apartments two per level
/// (`building:levels`, else [`DEFAULT_APARTMENT_LEVELS`]); `residential` one per level
/// (else 1); any other kind 0.
pub fn households_for(kind: BuildingKind, flats: Option<&str>, levels: Option<&str>) -> u32 {
    if let Some(f) = tag_count(flats, MAX_FLATS) {
        return f;
    }
    let levels = tag_count(levels, MAX_LEVELS);
    match kind {
        BuildingKind::House | BuildingKind::Unknown | BuildingKind::Address => 1,
        BuildingKind::Apartments => 2 * levels.unwrap_or(DEFAULT_APARTMENT_LEVELS),
        BuildingKind::Residential => levels.unwrap_or(1),
        BuildingKind::Other => 0,
    }
}

/// A checked coordinate ([`LatLon::checked`]'s range check).
fn checked(lat: f64, lon: f64) -> Result<LatLon, BuildingSkip> {
    LatLon::checked(0, lat, lon).map_err(|_| BuildingSkip::BadCoordinate)
}

/// Metres per degree of latitude on the mean sphere.
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A ring's signed area (m²) and area-weighted centroid (degrees), in a plane around its
/// first vertex; the centroid is `None` when the area is (nearly) zero.
fn ring_moments(ring: &[LatLon]) -> (f64, Option<(f64, f64)>) {
    let Some(&o) = ring.first() else {
        return (0.0, None);
    };
    let kx = M_PER_DEG * o.lat.to_radians().cos().max(1e-6);
    // Longitudes across the antimeridian are taken the short way round.
    let xy = |p: &LatLon| {
        let mut dlon = p.lon - o.lon;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        (dlon * kx, (p.lat - o.lat) * M_PER_DEG)
    };
    let (mut a2, mut cx, mut cy) = (0.0f64, 0.0f64, 0.0f64);
    for k in 0..ring.len() {
        let (x0, y0) = xy(&ring[k]);
        let (x1, y1) = xy(&ring[(k + 1) % ring.len()]);
        let cross = x0 * y1 - x1 * y0;
        a2 += cross;
        cx += (x0 + x1) * cross;
        cy += (y0 + y1) * cross;
    }
    let area = a2 / 2.0;
    if area.abs() < 1e-3 {
        return (area, None);
    }
    let (x, y) = (cx / (3.0 * a2), cy / (3.0 * a2));
    (area, Some((o.lat + y / M_PER_DEG, o.lon + x / kx)))
}

/// The vertices' mean, the short way round the antimeridian from the first vertex.
fn vertex_mean(points: &[LatLon]) -> Option<(f64, f64)> {
    let o = *points.first()?;
    let n = points.len() as f64;
    let lat = points.iter().map(|p| p.lat).sum::<f64>() / n;
    let dlon = points
        .iter()
        .map(|p| {
            let d = p.lon - o.lon;
            if d > 180.0 {
                d - 360.0
            } else if d < -180.0 {
                d + 360.0
            } else {
                d
            }
        })
        .sum::<f64>()
        / n;
    Some((lat, o.lon + dlon))
}

/// Wraps a longitude into [-180, 180] and checks the result.
fn finish(p: (f64, f64)) -> Result<LatLon, BuildingSkip> {
    let mut lon = p.1;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    checked(p.0, lon)
}

/// The centroid of a footprint ring given by its vertices `(lat, lon)` (closed or not: a
/// repeated last vertex is ignored): area-weighted, or the vertices' mean when the ring has
/// no area. Refused: fewer than three distinct vertices, more than [`MAX_RING_NODES`], a
/// coordinate that is not finite or out of range.
pub fn footprint_centroid(ring: &[(f64, f64)]) -> Result<LatLon, BuildingSkip> {
    if ring.len() > MAX_RING_NODES {
        return Err(BuildingSkip::TooLarge);
    }
    let mut pts: Vec<LatLon> = ring
        .iter()
        .map(|&(lat, lon)| checked(lat, lon))
        .collect::<Result<_, _>>()?;
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct: Vec<(u64, u64)> = pts
        .iter()
        .map(|p| (p.lat.to_bits(), p.lon.to_bits()))
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(BuildingSkip::TooFewNodes);
    }
    let c = match ring_moments(&pts) {
        (_, Some(c)) => c,
        (_, None) => vertex_mean(&pts).ok_or(BuildingSkip::TooFewNodes)?,
    };
    finish(c)
}

/// Bounding box `(min lat, min lon, max lat, max lon)` of a ring.
type Bbox = (f64, f64, f64, f64);

fn bbox(points: &[(f64, f64)]) -> Bbox {
    points.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |b, &(lat, lon)| (b.0.min(lat), b.1.min(lon), b.2.max(lat), b.3.max(lon)),
    )
}

/// The coordinates of `nodes`, or why not.
fn ring_coords(
    coords: &HashMap<i64, (f64, f64)>,
    nodes: &[i64],
) -> Result<Vec<(f64, f64)>, BuildingSkip> {
    if nodes.len() > MAX_RING_NODES {
        return Err(BuildingSkip::TooLarge);
    }
    nodes
        .iter()
        .map(|n| coords.get(n).copied().ok_or(BuildingSkip::MissingNodes))
        .collect()
}

/// The centroid of a multipolygon's outer ways: area-weighted over the closed ones, the mean
/// of all outer vertices when none is closed.
fn multipolygon_centroid(
    coords: &HashMap<i64, (f64, f64)>,
    outers: &[Option<Vec<i64>>],
) -> Result<(LatLon, Bbox), BuildingSkip> {
    if outers.is_empty() {
        return Err(BuildingSkip::TooFewNodes);
    }
    if outers.len() > MAX_OUTER_WAYS {
        return Err(BuildingSkip::TooLarge);
    }
    let mut all: Vec<LatLon> = Vec::new();
    let mut raw: Vec<(f64, f64)> = Vec::new();
    let (mut area, mut sum_lat, mut sum_lon) = (0.0f64, 0.0f64, 0.0f64);
    for way in outers {
        let nodes = way.as_deref().ok_or(BuildingSkip::MissingNodes)?;
        let ring = ring_coords(coords, nodes)?;
        let pts: Vec<LatLon> = ring
            .iter()
            .map(|&(lat, lon)| checked(lat, lon))
            .collect::<Result<_, _>>()?;
        if all.len() + pts.len() > MAX_RING_NODES {
            return Err(BuildingSkip::TooLarge);
        }
        if pts.len() >= 4 && nodes.first() == nodes.last() {
            if let (a, Some(c)) = ring_moments(&pts[..pts.len() - 1]) {
                // Rings of one building lie close together: their centroids are averaged in
                // degrees, weighted by area.
                let a = a.abs();
                area += a;
                sum_lat += a * c.0;
                sum_lon += a * c.1;
            }
        }
        all.extend_from_slice(&pts);
        raw.extend_from_slice(&ring);
    }
    let c = if area > 0.0 {
        (sum_lat / area, sum_lon / area)
    } else {
        vertex_mean(&all).ok_or(BuildingSkip::TooFewNodes)?
    };
    Ok((finish(c)?, bbox(&raw)))
}

/// Grid of building bounding boxes, to drop address nodes that lie inside one.
struct BoxGrid {
    cell_deg: f64,
    cells: HashMap<(i64, i64), Vec<usize>>,
    boxes: Vec<Bbox>,
}

impl BoxGrid {
    /// Boxes spanning more cells than this on a side are left out (a huge footprint).
    const MAX_SPAN: i64 = 16;

    fn new() -> BoxGrid {
        BoxGrid {
            cell_deg: 0.001,
            cells: HashMap::new(),
            boxes: Vec::new(),
        }
    }

    fn cell(&self, v: f64) -> i64 {
        (v / self.cell_deg).floor() as i64
    }

    fn insert(&mut self, b: Bbox) {
        if !(b.0.is_finite() && b.1.is_finite() && b.2.is_finite() && b.3.is_finite()) {
            return;
        }
        let (r0, r1) = (self.cell(b.0), self.cell(b.2));
        let (c0, c1) = (self.cell(b.1), self.cell(b.3));
        if r1 - r0 > Self::MAX_SPAN || c1 - c0 > Self::MAX_SPAN {
            return;
        }
        let k = self.boxes.len();
        self.boxes.push(b);
        for r in r0..=r1 {
            for c in c0..=c1 {
                self.cells.entry((r, c)).or_default().push(k);
            }
        }
    }

    fn contains(&self, p: LatLon) -> bool {
        self.cells
            .get(&(self.cell(p.lat), self.cell(p.lon)))
            .is_some_and(|ks| {
                ks.iter().any(|&k| {
                    let b = self.boxes[k];
                    (b.0..=b.2).contains(&p.lat) && (b.1..=b.3).contains(&p.lon)
                })
            })
    }
}

/// The buildings of decoded elements (the pure core of [`import_buildings`]): ways first (in
/// input order), then multipolygons, building nodes, and address nodes outside every kept
/// footprint's bounding box. Errors with [`EngineError::TooManyBuildings`] past
/// `max_buildings`.
pub fn collect_buildings(
    input: &BuildingInput,
    max_buildings: usize,
) -> Result<(Vec<Building>, BuildingReport), EngineError> {
    let mut report = BuildingReport::default();
    let mut out: Vec<Building> = Vec::new();
    let mut grid = BoxGrid::new();
    let push = |out: &mut Vec<Building>, b: Building| -> Result<(), EngineError> {
        if out.len() >= max_buildings {
            return Err(EngineError::TooManyBuildings {
                limit: max_buildings,
            });
        }
        out.push(b);
        Ok(())
    };
    let count_tags = |report: &mut BuildingReport, t: &BuildingTags| {
        report.with_address += usize::from(t.has_address);
        report.with_flats += usize::from(t.flats.is_some());
        report.with_levels += usize::from(t.levels.is_some());
    };
    let building = |pos: LatLon, kind: BuildingKind, t: &BuildingTags, osm: OsmRef| Building {
        pos,
        kind,
        households: households_for(kind, t.flats.as_deref(), t.levels.as_deref()),
        has_address: t.has_address,
        osm,
    };
    for (id, nodes, tags) in &input.ways {
        let Some(kind) = tags.kind() else { continue };
        report.building_ways += 1;
        count_tags(&mut report, tags);
        let osm = OsmRef::Way(*id);
        let found = ring_coords(&input.coords, nodes)
            .and_then(|ring| footprint_centroid(&ring).map(|c| (c, bbox(&ring))));
        match found {
            Ok((pos, b)) => {
                grid.insert(b);
                push(&mut out, building(pos, kind, tags, osm))?;
            }
            Err(why) => report.skip(osm, why),
        }
    }
    report.building_relations += input.other_relations;
    for (id, outers, tags) in &input.relations {
        let Some(kind) = tags.kind() else { continue };
        report.building_relations += 1;
        count_tags(&mut report, tags);
        let osm = OsmRef::Relation(*id);
        match multipolygon_centroid(&input.coords, outers) {
            Ok((pos, b)) => {
                grid.insert(b);
                push(&mut out, building(pos, kind, tags, osm))?;
            }
            Err(why) => report.skip(osm, why),
        }
    }
    let mut addresses: Vec<(LatLon, &BuildingTags, OsmRef)> = Vec::new();
    for (id, tags) in &input.nodes {
        let osm = OsmRef::Node(*id);
        let kind = tags.kind();
        if kind.is_some() {
            report.building_nodes += 1;
            count_tags(&mut report, tags);
        } else if tags.has_address && tags.building.is_none() {
            report.address_nodes += 1;
        } else {
            continue;
        }
        let pos = input
            .coords
            .get(id)
            .ok_or(BuildingSkip::MissingNodes)
            .and_then(|&(lat, lon)| checked(lat, lon));
        match (pos, kind) {
            (Err(why), _) => report.skip(osm, why),
            (Ok(pos), Some(kind)) => push(&mut out, building(pos, kind, tags, osm))?,
            (Ok(pos), None) => addresses.push((pos, tags, osm)),
        }
    }
    for (pos, tags, osm) in addresses {
        if grid.contains(pos) {
            report.address_inside_building += 1;
        } else {
            push(&mut out, building(pos, BuildingKind::Address, tags, osm))?;
        }
    }
    report.kept = out.len();
    Ok((out, report))
}

/// Reads the buildings of the bytes of a `.osm.pbf` file (see the module docs); at most
/// `max_buildings` are kept (more is an error).
pub fn import_buildings(
    bytes: &[u8],
    max_buildings: usize,
) -> Result<(Vec<Building>, BuildingReport), EngineError> {
    crate::osm::check_framing(bytes)?;
    let decode = || -> Result<BuildingInput, EngineError> {
        let failed = |e: osmpbfreader::Error| EngineError::Pbf {
            file: None,
            reason: "the decoder failed".into(),
            source: Some(Box::new(e)),
        };
        let mut input = BuildingInput::default();
        let mut outer_ids: Vec<(i64, Vec<i64>, BuildingTags)> = Vec::new();
        let mut reader = OsmPbfReader::new(Cursor::new(bytes));
        for obj in reader.par_iter() {
            match obj.map_err(failed)? {
                OsmObj::Node(n) => {
                    input.coords.insert(
                        n.id.0,
                        (
                            f64::from(n.decimicro_lat) * 1e-7,
                            f64::from(n.decimicro_lon) * 1e-7,
                        ),
                    );
                    if n.tags.contains_key("building")
                        || n.tags.keys().any(|k| k.starts_with("addr:"))
                    {
                        input.nodes.push((n.id.0, BuildingTags::from_osm(&n.tags)));
                    }
                }
                OsmObj::Way(w) => {
                    if w.tags.contains_key("building") {
                        input.ways.push((
                            w.id.0,
                            w.nodes.iter().map(|n| n.0).collect(),
                            BuildingTags::from_osm(&w.tags),
                        ));
                    }
                }
                OsmObj::Relation(r) => {
                    let tags = BuildingTags::from_osm(&r.tags);
                    if tags.kind().is_none() {
                        continue;
                    }
                    if r.tags.get("type").map(|v| v.as_str()) != Some("multipolygon") {
                        input.other_relations += 1;
                        continue;
                    }
                    let outers: Vec<i64> = r
                        .refs
                        .iter()
                        .filter(|m| matches!(m.role.as_str(), "outer" | ""))
                        .filter_map(|m| match m.member {
                            OsmId::Way(id) => Some(id.0),
                            _ => None,
                        })
                        .collect();
                    outer_ids.push((r.id.0, outers, tags));
                }
            }
        }
        if !outer_ids.is_empty() {
            // The outer ways are usually not tagged themselves: a second pass reads them.
            let wanted: HashSet<i64> = outer_ids.iter().flat_map(|r| r.1.iter().copied()).collect();
            let mut found: HashMap<i64, Vec<i64>> = HashMap::new();
            let mut reader = OsmPbfReader::new(Cursor::new(bytes));
            for obj in reader.par_iter() {
                if let OsmObj::Way(w) = obj.map_err(failed)? {
                    if wanted.contains(&w.id.0) {
                        found.insert(w.id.0, w.nodes.iter().map(|n| n.0).collect());
                    }
                }
            }
            input.relations = outer_ids
                .into_iter()
                .map(|(id, outers, tags)| {
                    let ways = outers.iter().map(|w| found.get(w).cloned()).collect();
                    (id, ways, tags)
                })
                .collect();
        }
        Ok(input)
    };
    let input = std::panic::catch_unwind(AssertUnwindSafe(decode))
        .map_err(|_| EngineError::pbf("the decoder panicked on a corrupt block"))??;
    collect_buildings(&input, max_buildings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 20 m x 10 m rectangle's centroid is its middle; a zero-area ring falls back to the
    /// vertices' mean.
    #[test]
    fn centroid_of_a_rectangle_and_of_a_flat_ring() {
        let (lat, lon) = (47.1f64, 9.5f64);
        let dlat = 10.0 / M_PER_DEG;
        let dlon = 20.0 / (M_PER_DEG * lat.to_radians().cos());
        let ring = [
            (lat, lon),
            (lat, lon + dlon),
            (lat + dlat, lon + dlon),
            (lat + dlat, lon),
            (lat, lon),
        ];
        let c = footprint_centroid(&ring).unwrap_or(LatLon { lat: 0.0, lon: 0.0 });
        assert!((c.lat - (lat + dlat / 2.0)).abs() < 1e-9, "{c:?}");
        assert!((c.lon - (lon + dlon / 2.0)).abs() < 1e-9, "{c:?}");
        let flat = [(lat, lon), (lat, lon + dlon), (lat, lon + 2.0 * dlon)];
        let c = footprint_centroid(&flat).unwrap_or(LatLon { lat: 0.0, lon: 0.0 });
        assert!((c.lon - (lon + dlon)).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn households_by_tags() {
        assert_eq!(households_for(BuildingKind::House, None, None), 1);
        assert_eq!(
            households_for(BuildingKind::Apartments, None, Some("5")),
            10
        );
        assert_eq!(households_for(BuildingKind::Apartments, None, None), 6);
        assert_eq!(
            households_for(BuildingKind::Apartments, Some("12"), None),
            12
        );
        assert_eq!(
            households_for(BuildingKind::Residential, None, Some("2.5")),
            3
        );
        assert_eq!(households_for(BuildingKind::Unknown, Some("NaN"), None), 1);
        assert_eq!(households_for(BuildingKind::Unknown, Some("1e9"), None), 1);
        assert_eq!(households_for(BuildingKind::Other, None, Some("-4")), 0);
        assert_eq!(households_for(BuildingKind::Other, Some("3;4"), None), 3);
    }
}
