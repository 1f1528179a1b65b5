//! Building positions from the shipped extracts (issue #25): found, inside the area, with a
//! kind and households; malformed buildings skipped with their reason; a limit refused.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use milkrun_engine::buildings::{
    collect_buildings, footprint_centroid, BuildingInput, BuildingTags,
};
use milkrun_engine::geo::haversine_m;
use milkrun_engine::{
    import_buildings, BuildingKind, BuildingSkip, EngineError, LatLon, OsmRef,
    DEFAULT_MAX_BUILDINGS,
};

fn extract(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/data/osm")
        .join(format!("{name}.osm.pbf"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Liechtenstein: every footprint tagged `building=*` is found (8,992 ways as pyosmium counts
/// them, less one `building=no`; 6 relations, 3 nodes; 93 nodes with `addr:*` only), each centroid lies in the country's box, and the kinds
/// and household counts follow the tags.
#[test]
fn liechtenstein_buildings_are_found() {
    let (b, report) = import_buildings(&extract("liechtenstein"), DEFAULT_MAX_BUILDINGS).unwrap();
    assert_eq!(report.building_ways, 8_991, "{report:?}");
    assert_eq!(report.address_nodes, 93, "{report:?}");
    assert_eq!(report.building_nodes, 3, "{report:?}");
    assert_eq!(report.building_relations, 6, "{report:?}");
    assert_eq!(report.with_flats, 0);
    assert!(report.with_address > 900, "{report:?}");
    assert_eq!(report.skipped(), 0, "{report:?}");
    assert_eq!(report.kept, b.len());
    // Address nodes outside any footprint's box are kept as addresses; the others dropped.
    assert_eq!(
        report.address_nodes,
        report.address_inside_building
            + b.iter().filter(|x| x.kind == BuildingKind::Address).count()
    );
    for x in &b {
        assert!(
            (47.0..47.3).contains(&x.pos.lat) && (9.4..9.7).contains(&x.pos.lon),
            "{x:?} outside Liechtenstein"
        );
    }
    let count = |k: BuildingKind| b.iter().filter(|x| x.kind == k).count();
    assert!(
        count(BuildingKind::House) >= 882,
        "houses: {}",
        count(BuildingKind::House)
    );
    assert!(count(BuildingKind::Unknown) >= 7_000);
    assert!(count(BuildingKind::Apartments) >= 27);
    assert!(count(BuildingKind::Other) > 300);
    for x in &b {
        match x.kind {
            BuildingKind::House | BuildingKind::Unknown | BuildingKind::Address => {
                assert_eq!(x.households, 1, "{x:?}")
            }
            BuildingKind::Apartments => assert!(x.households >= 2, "{x:?}"),
            BuildingKind::Other => assert_eq!(x.households, 0, "{x:?}"),
            _ => assert!(x.households >= 1, "{x:?}"),
        }
    }
    let ids: HashSet<OsmRef> = b.iter().map(|x| x.osm).collect();
    assert_eq!(ids.len(), b.len(), "one position per element");
}

/// Baltimore keeps its address points outside footprints as `Address` buildings, and its
/// limit is honoured with a clear error.
#[test]
fn baltimore_addresses_and_the_limit() {
    let bytes = extract("baltimore");
    let (b, report) = import_buildings(&bytes, DEFAULT_MAX_BUILDINGS).unwrap();
    assert_eq!(report.building_ways, 1_731);
    assert!(report.address_nodes >= 497, "{report:?}");
    assert!(b.iter().any(|x| x.kind == BuildingKind::Address));
    let err = import_buildings(&bytes, 100).unwrap_err();
    assert!(
        matches!(err, EngineError::TooManyBuildings { limit: 100 }),
        "{err}"
    );
    assert!(err.to_string().contains("more than 100 buildings"), "{err}");
}

/// Helsinki's extract cuts some footprints at its edge: those are skipped as missing nodes,
/// counted and listed by id, never a panic.
#[test]
fn helsinki_cut_footprints_are_skipped() {
    let (b, report) = import_buildings(&extract("helsinki"), DEFAULT_MAX_BUILDINGS).unwrap();
    assert!(report.missing_nodes >= 48, "{report:?}");
    assert!(!report.examples.is_empty());
    assert!(report
        .examples
        .iter()
        .all(|(_, why)| why.reason().contains("missing") || *why != BuildingSkip::MissingNodes));
    assert!(!b.is_empty());
}

fn tags(building: &str) -> BuildingTags {
    BuildingTags {
        building: Some(building.to_string()),
        ..BuildingTags::default()
    }
}

/// Malformed footprints (a NaN or out-of-range node, a node missing from the extract, two
/// nodes only, a multipolygon whose outer way is missing) are skipped with their reason; the
/// good one is kept; nothing panics.
#[test]
fn malformed_buildings_are_skipped_with_a_reason() {
    let square = |id0: i64, lat: f64, lon: f64| {
        [
            (id0, (lat, lon)),
            (id0 + 1, (lat, lon + 0.0002)),
            (id0 + 2, (lat + 0.0001, lon + 0.0002)),
            (id0 + 3, (lat + 0.0001, lon)),
        ]
    };
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    coords.extend(square(10, 47.1, 9.5));
    coords.extend(square(20, 47.1, 9.6));
    coords.insert(21, (f64::NAN, 9.6));
    coords.extend(square(30, 47.1, 9.7));
    coords.insert(32, (91.0, 9.7));
    coords.insert(40, (47.2, 9.5));
    coords.insert(41, (47.2, 9.5001));
    coords.insert(50, (47.3, f64::INFINITY));
    let ring = |id0: i64| vec![id0, id0 + 1, id0 + 2, id0 + 3, id0];
    let input = BuildingInput {
        coords,
        nodes: vec![(50, tags("yes")), (99, tags("house"))],
        ways: vec![
            (1, ring(10), tags("house")),
            (2, ring(20), tags("yes")),
            (3, ring(30), tags("apartments")),
            (4, vec![40, 41, 40], tags("house")),
            (5, vec![10, 11, 777, 10], tags("house")),
            (6, ring(10), tags("no")),
        ],
        relations: vec![(7, vec![Some(ring(10)), None], tags("residential"))],
        other_relations: 0,
    };
    let (b, report) = collect_buildings(&input, 10).unwrap();
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].osm, OsmRef::Way(1));
    assert_eq!(b[0].kind, BuildingKind::House);
    let c = LatLon {
        lat: 47.10005,
        lon: 9.5001,
    };
    assert!(haversine_m(b[0].pos, c) < 0.01, "{:?}", b[0].pos);
    assert_eq!(report.bad_coordinate, 3, "{report:?}");
    assert_eq!(report.missing_nodes, 3, "{report:?}");
    assert_eq!(report.too_few_nodes, 1, "{report:?}");
    assert_eq!(report.building_ways, 5, "`building=no` is not a building");
    let why = |r: OsmRef| report.examples.iter().find(|e| e.0 == r).map(|e| e.1);
    assert_eq!(why(OsmRef::Way(2)), Some(BuildingSkip::BadCoordinate));
    assert_eq!(why(OsmRef::Way(3)), Some(BuildingSkip::BadCoordinate));
    assert_eq!(why(OsmRef::Way(4)), Some(BuildingSkip::TooFewNodes));
    assert_eq!(why(OsmRef::Way(5)), Some(BuildingSkip::MissingNodes));
    assert_eq!(why(OsmRef::Relation(7)), Some(BuildingSkip::MissingNodes));
    assert_eq!(why(OsmRef::Node(50)), Some(BuildingSkip::BadCoordinate));
    assert_eq!(why(OsmRef::Node(99)), Some(BuildingSkip::MissingNodes));
    // The plain centroid refuses the same rings by value.
    assert_eq!(
        footprint_centroid(&[(0.0, 0.0), (f64::NAN, 0.0), (0.0, 1e-4)]),
        Err(BuildingSkip::BadCoordinate)
    );
    assert_eq!(
        footprint_centroid(&[(0.0, 0.0), (0.0, 1e-4), (0.0, 0.0)]),
        Err(BuildingSkip::TooFewNodes)
    );
    let huge = vec![(0.0, 0.0); milkrun_engine::buildings::MAX_RING_NODES + 1];
    assert_eq!(footprint_centroid(&huge), Err(BuildingSkip::TooLarge));
}

/// Bytes that are not a PBF file are a clear error, not a panic.
#[test]
fn corrupt_bytes_are_refused() {
    let err = import_buildings(b"not a pbf file at all", 10).unwrap_err();
    assert!(matches!(err, EngineError::Pbf { .. }), "{err}");
    let mut bytes = extract("andorra");
    bytes.truncate(bytes.len() / 2);
    let err = import_buildings(&bytes, DEFAULT_MAX_BUILDINGS).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}
