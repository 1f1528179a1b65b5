//! Parquet input of the long table (issue #10): a file written here with the `parquet` crate's
//! own writer reads back to the same series; bad files give errors naming the file and column.
use milkrun_forecast::demand::io::{read_series, read_series_parquet, read_series_path};
use milkrun_forecast::demand::{Date, ForecastError, Frequency, GapPolicy};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::PathBuf;
use std::sync::Arc;

/// A long table as columns: ids, dates (days since 1970-01-01), values, one exogenous column.
struct Table {
    ids: Vec<&'static str>,
    days: Vec<i32>,
    values: Vec<f64>,
    promo: Vec<f64>,
}

/// Two daily series of three days, `a` with a promotion on its second day.
fn tiny() -> Table {
    let d0 = Date::from_ymd(2024, 3, 1).unwrap().0;
    Table {
        ids: vec!["a", "a", "a", "b", "b", "b"],
        days: vec![d0, d0 + 1, d0 + 2, d0, d0 + 1, d0 + 2],
        values: vec![3.0, 5.0, 4.0, 0.0, 1.0, 2.5],
        promo: vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    }
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Writes `t` as Parquet: `series_id` string, `date` DATE, `value` double (or the schema given).
fn write(path: &PathBuf, schema: &str, t: &Table) {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let props = Arc::new(WriterProperties::builder().build());
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut rg = w.next_row_group().unwrap();
    let mut k = 0;
    while let Some(mut col) = rg.next_column().unwrap() {
        match k {
            0 => {
                let ids: Vec<ByteArray> = t.ids.iter().map(|s| ByteArray::from(*s)).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&ids, None, None)
                    .unwrap();
            }
            1 => {
                col.typed::<Int32Type>()
                    .write_batch(&t.days, None, None)
                    .unwrap();
            }
            2 => {
                col.typed::<DoubleType>()
                    .write_batch(&t.values, None, None)
                    .unwrap();
            }
            _ => {
                col.typed::<DoubleType>()
                    .write_batch(&t.promo, None, None)
                    .unwrap();
            }
        }
        col.close().unwrap();
        k += 1;
    }
    rg.close().unwrap();
    w.close().unwrap();
}

const SCHEMA: &str = "message history {
    required binary series_id (UTF8);
    required int32 date (DATE);
    required double value;
    required double promo;
}";

/// The Parquet file reads back to the same series as the equivalent CSV.
#[test]
fn parquet_reads_back_the_table() {
    let path = scratch("tiny.parquet");
    write(&path, SCHEMA, &tiny());
    let pq = read_series_parquet(&path, GapPolicy::Error).unwrap();
    let csv = "series_id,date,value,promo\n\
               a,2024-03-01,3,0\na,2024-03-02,5,1\na,2024-03-03,4,0\n\
               b,2024-03-01,0,0\nb,2024-03-02,1,0\nb,2024-03-03,2.5,0\n";
    let from_csv = read_series(csv.as_bytes(), GapPolicy::Error).unwrap();
    assert_eq!(pq, from_csv);
    assert_eq!(pq.len(), 2);
    assert_eq!(pq[0].id(), "a");
    assert_eq!(pq[0].freq(), Frequency::Daily);
    assert_eq!(pq[0].values(), &[3.0, 5.0, 4.0]);
    assert_eq!(pq[0].exog()[0].name, "promo");
    assert_eq!(pq[0].exog()[0].values, vec![0.0, 1.0, 0.0]);
    // the reader is picked by the extension
    assert_eq!(read_series_path(&path, GapPolicy::Error).unwrap(), pq);
}

/// A negative value is refused with the file, row and column named.
#[test]
fn parquet_negative_value_names_row_and_column() {
    let path = scratch("negative.parquet");
    let mut t = tiny();
    t.values[4] = -1.0;
    write(&path, SCHEMA, &t);
    let err = read_series_parquet(&path, GapPolicy::Error).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ForecastError::Parquet { .. }), "{text}");
    assert!(text.contains("negative.parquet"), "{text}");
    assert!(text.contains("row 5, column `value`"), "{text}");
    assert!(text.contains("negative"), "{text}");
}

/// A file without a `value` column is refused naming the missing column.
#[test]
fn parquet_missing_column_is_named() {
    let path = scratch("novalue.parquet");
    let schema = "message history {
        required binary series_id (UTF8);
        required int32 date (DATE);
        required double amount;
        required double promo;
    }";
    write(&path, schema, &tiny());
    let err = read_series_parquet(&path, GapPolicy::Error)
        .unwrap_err()
        .to_string();
    assert!(err.contains("novalue.parquet"), "{err}");
    assert!(err.contains("missing column `value`"), "{err}");
}

/// A file that is not Parquet gives an error naming the file, not a panic.
#[test]
fn not_parquet_is_a_clear_error() {
    let path = scratch("garbage.parquet");
    std::fs::write(&path, "series_id,date,value\na,2024-03-01,1\n").unwrap();
    let err = read_series_path(&path, GapPolicy::Error)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
}
