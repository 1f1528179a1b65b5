//! Hostile input: crafted PBF files, bad snapping parameters, oversized matrices and bad
//! traffic values are errors naming what is wrong, never a panic or a silent wrong answer.

use std::error::Error as _;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use milkrun_engine::*;

// ---- protobuf by hand -------------------------------------------------------------------

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A length-delimited field.
fn bytes_field(field: u64, value: &[u8]) -> Vec<u8> {
    let mut out = varint(field << 3 | 2);
    out.extend(varint(value.len() as u64));
    out.extend_from_slice(value);
    out
}

fn varint_field(field: u64, value: u64) -> Vec<u8> {
    let mut out = varint(field << 3);
    out.extend(varint(value));
    out
}

fn packed(field: u64, values: &[u64]) -> Vec<u8> {
    let body: Vec<u8> = values.iter().flat_map(|&v| varint(v)).collect();
    bytes_field(field, &body)
}

/// One framed blob: header length, `BlobHeader { type, datasize }`, the `Blob` message.
fn framed(kind: &str, blob: &[u8]) -> Vec<u8> {
    let mut header = bytes_field(1, kind.as_bytes());
    header.extend(varint_field(3, blob.len() as u64));
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend(header);
    out.extend_from_slice(blob);
    out
}

/// `Blob { raw, raw_size }`.
fn raw_blob(block: &[u8]) -> Vec<u8> {
    let mut blob = bytes_field(1, block);
    blob.extend(varint_field(2, block.len() as u64));
    blob
}

/// An `OSMHeader` blob requiring the OSM schema.
fn header_blob() -> Vec<u8> {
    framed("OSMHeader", &raw_blob(&bytes_field(4, b"OsmSchema-V0.6")))
}

/// A `PrimitiveBlock` with the string table `["", "highway", "residential"]` and one way
/// (id 1, nodes 1 and 2) tagged `highway = <string value_index>`.
fn way_block(value_index: u64) -> Vec<u8> {
    let table: Vec<u8> = ["", "highway", "residential"]
        .iter()
        .flat_map(|s| bytes_field(1, s.as_bytes()))
        .collect();
    let mut way = varint_field(1, 1);
    way.extend(packed(2, &[1]));
    way.extend(packed(3, &[value_index]));
    way.extend(packed(8, &[2, 2])); // refs, delta- and zigzag-coded: 1, 2
    let group = bytes_field(3, &way);
    let mut block = bytes_field(1, &table);
    block.extend(bytes_field(2, &group));
    block
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("milkrun-{}-{name}", std::process::id()));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

/// The file and the reason of a PBF error.
fn pbf_error(r: Result<(RoadGraph, BuildReport), EngineError>) -> (Option<PathBuf>, String) {
    match r {
        Err(EngineError::Pbf { file, reason, .. }) => (file, reason),
        other => panic!("expected a PBF error, got {other:?}"),
    }
}

// ---- PBF ------------------------------------------------------------------------------------

/// A way whose tag value refers to string 7 of a 3-string table made the decoder index out of
/// bounds and panic the process; it is now an error naming the file. The same block with an
/// index in range decodes (so the crafted bytes are a well-formed PBF otherwise).
#[test]
fn pbf_string_index_out_of_range_is_an_error_naming_the_file() {
    let mut bad = header_blob();
    bad.extend(framed("OSMData", &raw_blob(&way_block(7))));
    let path = write_temp("string-index.osm.pbf", &bad);
    let result = import_pbf_file(&path, Profile::Car);
    std::fs::remove_file(&path).unwrap();
    let (file, reason) = pbf_error(result);
    assert_eq!(file.as_deref(), Some(path.as_path()));
    assert!(reason.contains("string 7"), "{reason}");
    let message = import_pbf(&bad, Profile::Car).unwrap_err().to_string();
    assert!(message.contains("string table of 3"), "{message}");

    let mut good = header_blob();
    good.extend(framed("OSMData", &raw_blob(&way_block(2))));
    // The way's nodes are not in the extract, so no road is left: decoding itself succeeded.
    assert!(matches!(
        import_pbf(&good, Profile::Car),
        Err(EngineError::EmptyGraph { .. })
    ));
}

/// A data blob of 40 KiB of zlib that inflates to 40 MiB (a zlib bomb: the 32 MB cap on file
/// size counted compressed bytes) is refused after inflating at most the format's 32 MiB; a
/// `raw_size` above 32 MiB is refused before inflating anything.
#[test]
fn pbf_zlib_bomb_is_refused_with_bounded_inflation() {
    let raw = vec![0u8; 40 * 1024 * 1024];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw).unwrap();
    let zlib = z.finish().unwrap();
    assert!(zlib.len() < 100 * 1024);
    let mut blob = bytes_field(3, &zlib);
    blob.extend(varint_field(2, 1000));
    let mut bomb = header_blob();
    bomb.extend(framed("OSMData", &blob));
    let path = write_temp("bomb.osm.pbf", &bomb);
    let result = import_pbf_file(&path, Profile::Car);
    std::fs::remove_file(&path).unwrap();
    let (file, reason) = pbf_error(result);
    assert_eq!(file.as_deref(), Some(path.as_path()));
    assert!(reason.contains("inflates beyond"), "{reason}");

    let mut blob = bytes_field(3, &zlib);
    blob.extend(varint_field(2, 40 * 1024 * 1024));
    let mut big = header_blob();
    big.extend(framed("OSMData", &blob));
    let (_, reason) = pbf_error(import_pbf(&big, Profile::Car));
    assert!(reason.contains("raw_size 41943040"), "{reason}");
}

/// Blobs that each stay under 32 MiB but together inflate far beyond the file's size (three
/// 30 MiB blobs from about 90 KiB of zlib) are refused by the total cap, naming the file.
#[test]
fn pbf_many_small_bombs_hit_the_total_inflation_cap() {
    let raw_len = 30 * 1024 * 1024;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; raw_len]).unwrap();
    let zlib = z.finish().unwrap();
    let mut blob = bytes_field(3, &zlib);
    blob.extend(varint_field(2, raw_len as u64));
    let mut bombs = header_blob();
    for _ in 0..3 {
        bombs.extend(framed("OSMData", &blob));
    }
    let path = write_temp("bombs.osm.pbf", &bombs);
    let result = import_pbf_file(&path, Profile::Car);
    std::fs::remove_file(&path).unwrap();
    let (file, reason) = pbf_error(result);
    assert_eq!(file.as_deref(), Some(path.as_path()));
    assert!(reason.starts_with("blob 3 "), "{reason}");
    assert!(reason.contains("in total"), "{reason}");
}

/// A decoder error keeps the decoder's own error as its source (not only as text).
#[test]
fn pbf_decoder_error_keeps_its_source() {
    // A data block without its required string table: well-framed, refused by the decoder.
    let mut bad = header_blob();
    bad.extend(framed("OSMData", &raw_blob(&[])));
    let err = import_pbf(&bad, Profile::Car).unwrap_err();
    assert!(matches!(err, EngineError::Pbf { .. }), "{err:?}");
    assert!(err.source().is_some(), "{err:?}");
}

// ---- snapping and matrix size --------------------------------------------------------------

fn grid() -> (Arc<RoadNetwork>, Vec<LatLon>) {
    let (graph, _) = generate_grid(&GridSpec::city(400, 7)).unwrap();
    let points = (0..5u32).map(|i| graph.coord(NodeId(i * 40))).collect();
    (Arc::new(RoadNetwork::prepare(graph)), points)
}

/// `--max-snap-m NaN` snapped Paris onto a Liechtenstein road (every comparison with NaN is
/// false); NaN and negative limits are now errors naming the field, `+inf` is the documented
/// "no limit", and a point farther than a finite limit is unsnappable.
#[test]
fn snap_limit_nan_or_negative_is_an_error() {
    let (net, mut points) = grid();
    let engine = TrafficOverlay::new(Arc::clone(&net));
    for bad in [f64::NAN, -1.0, f64::NEG_INFINITY] {
        for r in [
            engine.matrix(&points, &points, bad).map(|_| ()),
            engine.route(points[0], points[1], bad).map(|_| ()),
            net.snap_all(&points, bad).map(|_| ()),
        ] {
            match r {
                Err(EngineError::BadSnapLimit { field, .. }) => assert_eq!(field, "max_snap_m"),
                other => panic!("limit {bad}: {other:?}"),
            }
        }
    }
    assert!(engine.matrix(&points, &points, 0.5).is_ok());
    points.push(LatLon {
        lat: 48.8566,
        lon: 2.3522,
    });
    match engine.matrix(&points, &points, DEFAULT_MAX_SNAP_M) {
        Err(EngineError::TooFarFromRoad {
            index, distance_m, ..
        }) => {
            assert_eq!(index, 5);
            assert!(distance_m > 100_000.0);
        }
        other => panic!("{other:?}"),
    }
    // No limit: Paris snaps to its nearest grid road, more than 100 km away.
    let far = net.snap_all(&points, f64::INFINITY).unwrap();
    assert!(far[5].snap_m > 100_000.0, "{}", far[5].snap_m);
}

/// 12,000 points asked for a 144-million-cell matrix (over 1 GB); the cell limit refuses it
/// before snapping or allocating, naming the sizes; a lower limit is honoured.
#[test]
fn matrix_cell_limit_is_checked_before_allocating() {
    let (net, points) = grid();
    let engine = TrafficOverlay::new(Arc::clone(&net));
    let many = vec![points[0]; 12_000];
    match engine.matrix(&many, &many, DEFAULT_MAX_SNAP_M) {
        Err(EngineError::MatrixTooLarge {
            rows,
            cols,
            max_cells,
        }) => assert_eq!(
            (rows, cols, max_cells),
            (12_000, 12_000, DEFAULT_MAX_MATRIX_CELLS)
        ),
        other => panic!("{other:?}"),
    }
    let small = TrafficOverlay::new(Arc::new(net.with_max_matrix_cells(20)));
    assert!(small.matrix(&points[..4], &points, 50.0).is_ok());
    let err = small.matrix(&points, &points, 50.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 5 x 5 matrix exceeds the limit of 20 cells"
    );
    let nodes = vec![NodeId(0); 5];
    assert!(matches!(
        small.try_matrix_nodes(&nodes, &nodes),
        Err(EngineError::MatrixTooLarge { .. })
    ));
    assert!(net.check_matrix_size(usize::MAX, 2).is_err());
}

// ---- traffic and profile values ------------------------------------------------------------

/// A NaN, infinite, negative, zero or huge speed factor is an error naming the update's
/// field path, with the fault as the error's source; nothing is applied.
#[test]
fn traffic_factor_not_finite_or_out_of_range_names_the_field_path() {
    let (net, points) = grid();
    let engine = TrafficOverlay::new(Arc::clone(&net));
    let before = engine.matrix(&points, &points, 50.0).unwrap();
    for bad in [f64::NAN, f64::INFINITY, -0.5, 0.0, 1e300] {
        let updates = [
            TrafficUpdate {
                edges: EdgeSet::Edges(vec![EdgeId(0)]),
                change: SpeedChange::Closed,
            },
            TrafficUpdate {
                edges: EdgeSet::Edges(vec![EdgeId(1)]),
                change: SpeedChange::Factor(bad),
            },
        ];
        let err = engine.apply_traffic(&updates).unwrap_err();
        match &err {
            EngineError::BadTraffic(fault) => assert_eq!(fault.path(), "updates[1].change"),
            other => panic!("factor {bad}: {other:?}"),
        }
        assert!(err.to_string().contains("updates[1].change"));
        assert!(err.source().is_some());
    }
    assert_eq!(engine.matrix(&points, &points, 50.0).unwrap(), before);
    assert_eq!(engine.snapshot().version(), 0);
}

/// A bad update inside a profile slot names the slot and the update's field; a bad interval
/// names the slot's field.
#[test]
fn profile_errors_name_the_field_path() {
    let (net, _) = grid();
    let slot = |start_s, end_s, factor| TimeSlot {
        start_s,
        end_s,
        updates: vec![TrafficUpdate {
            edges: EdgeSet::FreeFlowSpeed {
                min_kmh: 0.0,
                max_kmh: f64::NAN,
            },
            change: SpeedChange::Factor(factor),
        }],
    };
    let path = |r: Result<RoadNetwork, EngineError>| match r {
        Err(EngineError::BadProfile { path, source, .. }) => (path, source.is_some()),
        other => panic!("{other:?}"),
    };
    let p = |slots| SpeedProfile { slots };
    assert_eq!(
        path(net.with_speed_profile(p(vec![slot(0, 10, 0.5)]))),
        ("slots[0].updates[0].edges".to_string(), true)
    );
    assert_eq!(
        path(net.with_speed_profile(p(vec![slot(0, 10, 0.5), slot(20, 10, 0.5)]))),
        ("slots[1].start_s".to_string(), false)
    );
    assert_eq!(
        path(net.with_speed_profile(p(vec![slot(0, DAY_S + 1, 0.5)]))),
        ("slots[0].end_s".to_string(), false)
    );
}
