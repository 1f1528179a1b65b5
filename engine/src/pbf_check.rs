//! Checks of each PBF blob before the decoder sees it: bounded inflation and string-table
//! indices in range.
//!
//! The decoder (`osmpbfreader`) inflates a blob without a limit and indexes the block's
//! string table with the indices it finds, panicking on one out of range. So every blob is
//! inflated here first, into a buffer that never grows past [`MAX_BLOB_RAW_BYTES`] (the PBF
//! format's own limit on `raw_size`), the file's inflated total is capped at
//! [`MAX_INFLATION_RATIO`] times the file's size (at most [`MAX_TOTAL_RAW_BYTES`]), and every string index of a data block (tag keys and values,
//! dense-node `keys_vals`, relation member roles) is checked against the block's string
//! table. This costs one extra inflation pass over the file.

use std::io::Read;

use flate2::read::ZlibDecoder;

/// The largest inflated blob: the PBF format limits `raw_size` to 32 MiB.
pub const MAX_BLOB_RAW_BYTES: usize = 32 * 1024 * 1024;

/// The largest inflated total of one file, 8 GiB: several times a large country extract's
/// inflated size; the engine imports city and region extracts.
pub const MAX_TOTAL_RAW_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// The largest inflated total relative to the file's size (plus 64 MiB): real extracts inflate
/// 2 to 4 times (their blocks are delta-coded varints), a zlib bomb about 1,000 times; so a
/// 1.5 MB file of bombs stops at about 110 MB inflated instead of 1.5 GB.
pub const MAX_INFLATION_RATIO: u64 = 32;

/// A protobuf field value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one protobuf message, in order; `None` at the end, `Some(Err)` if malformed.
struct Fields<'a> {
    b: &'a [u8],
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), String>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.b.is_empty() {
            return None;
        }
        Some(self.field())
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u64, Value<'a>), String> {
        let bad = || "malformed protobuf message".to_string();
        let tag = read_varint(&mut self.b).ok_or_else(bad)?;
        let value = match tag & 7 {
            0 => Value::Varint(read_varint(&mut self.b).ok_or_else(bad)?),
            1 | 5 => {
                let n = if tag & 7 == 1 { 8 } else { 4 };
                self.b = self.b.get(n..).ok_or_else(bad)?;
                Value::Fixed
            }
            2 => {
                let len = usize::try_from(read_varint(&mut self.b).ok_or_else(bad)?)
                    .map_err(|_| bad())?;
                let v = self.b.get(..len).ok_or_else(bad)?;
                self.b = &self.b[len..];
                Value::Bytes(v)
            }
            _ => return Err(bad()),
        };
        Ok((tag >> 3, value))
    }
}

pub(crate) fn read_varint(b: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Inflated bytes seen so far in one file, its limit, and a reusable buffer.
pub(crate) struct BlobChecker {
    total_raw: u64,
    max_total_raw: u64,
    buf: Vec<u8>,
}

impl BlobChecker {
    /// A checker for a file of `file_len` bytes.
    pub(crate) fn new(file_len: usize) -> BlobChecker {
        let relative = (file_len as u64)
            .saturating_mul(MAX_INFLATION_RATIO)
            .saturating_add(64 * 1024 * 1024);
        BlobChecker {
            total_raw: 0,
            max_total_raw: relative.min(MAX_TOTAL_RAW_BYTES),
            buf: Vec::new(),
        }
    }

    /// Checks one blob (`data`: the `Blob` message); `is_data` for `OSMData` blobs, whose
    /// string indices are checked too. The error says what is wrong.
    pub(crate) fn check(&mut self, data: &[u8], is_data: bool) -> Result<(), String> {
        let mut raw: Option<&[u8]> = None;
        let mut zlib: Option<&[u8]> = None;
        let mut raw_size: Option<u64> = None;
        for f in (Fields { b: data }) {
            match f? {
                (1, Value::Bytes(b)) => raw = Some(b),
                (2, Value::Varint(v)) => raw_size = Some(v),
                (3, Value::Bytes(b)) => zlib = Some(b),
                (4..=7, _) => {
                    return Err("compression other than zlib is not supported".into());
                }
                _ => {}
            }
        }
        if let Some(n) = raw_size {
            if n > MAX_BLOB_RAW_BYTES as u64 {
                return Err(format!(
                    "raw_size {n} is above the format's limit of {MAX_BLOB_RAW_BYTES} bytes"
                ));
            }
        }
        let block: &[u8] = match (raw, zlib) {
            (Some(b), _) => b,
            (None, Some(z)) => {
                self.buf.clear();
                let limit = MAX_BLOB_RAW_BYTES as u64 + 1;
                ZlibDecoder::new(z)
                    .take(limit)
                    .read_to_end(&mut self.buf)
                    .map_err(|e| format!("zlib data does not inflate: {e}"))?;
                let n = self.buf.len();
                if n > MAX_BLOB_RAW_BYTES {
                    return Err(format!(
                        "zlib data inflates beyond the format's limit of {MAX_BLOB_RAW_BYTES} bytes"
                    ));
                }
                if raw_size.is_some_and(|r| r != n as u64) {
                    return Err(format!(
                        "zlib data inflates to {n} bytes, not the raw_size announced"
                    ));
                }
                &self.buf
            }
            (None, None) => return Err("blob without data".into()),
        };
        self.total_raw = self.total_raw.saturating_add(block.len() as u64);
        if self.total_raw > self.max_total_raw {
            return Err(format!(
                "the file inflates beyond {} bytes in total ({MAX_INFLATION_RATIO} times its \
                 size plus 64 MiB, at most {MAX_TOTAL_RAW_BYTES})",
                self.max_total_raw
            ));
        }
        if is_data {
            check_block(block)?;
        }
        Ok(())
    }
}

/// Checks that every string index of a `PrimitiveBlock` is inside its string table.
fn check_block(block: &[u8]) -> Result<(), String> {
    let mut strings = 0u64;
    let mut groups = Vec::new();
    for f in (Fields { b: block }) {
        match f? {
            (1, Value::Bytes(table)) => {
                for s in (Fields { b: table }) {
                    if let (1, _) = s? {
                        strings += 1;
                    }
                }
            }
            (2, Value::Bytes(g)) => groups.push(g),
            _ => {}
        }
    }
    let check = |index: u64, what: &str| {
        if index >= strings {
            Err(format!(
                "{what} refers to string {index}, beyond the block's string table of {strings}"
            ))
        } else {
            Ok(())
        }
    };
    for g in groups {
        for f in (Fields { b: g }) {
            let (kind, msg) = match f? {
                (k @ 1..=4, Value::Bytes(m)) => (k, m),
                _ => continue,
            };
            for field in (Fields { b: msg }) {
                match (kind, field?) {
                    // Node, way, relation: keys (2) and values (3); relation roles (8).
                    (1 | 3 | 4, (2 | 3, v)) | (4, (8, v)) => {
                        for i in varints(v)? {
                            // roles_sid is an int32: a negative one is a huge varint.
                            check(i, "a tag or role")?;
                        }
                    }
                    // Dense nodes: keys_vals (10), 0 ends a node's tags.
                    (2, (10, v)) => {
                        let mut want_key = true;
                        for i in varints(v)? {
                            if want_key && i == 0 {
                                continue;
                            }
                            check(i, "a dense node tag")?;
                            want_key = !want_key;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// The values of a repeated varint field, packed or one per field.
fn varints(v: Value<'_>) -> Result<Vec<u64>, String> {
    match v {
        Value::Varint(x) => Ok(vec![x]),
        Value::Bytes(mut b) => {
            let mut out = Vec::new();
            while !b.is_empty() {
                out.push(read_varint(&mut b).ok_or("malformed packed field")?);
            }
            Ok(out)
        }
        Value::Fixed => Err("unexpected fixed-width field".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn field(n: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(n << 3 | 2, &mut out);
        varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    fn packed(n: u64, values: &[u64]) -> Vec<u8> {
        let mut body = Vec::new();
        for &v in values {
            varint(v, &mut body);
        }
        field(n, &body)
    }

    /// A block with a string table of `strings` entries and one group holding `element`
    /// (`kind`: 1 node, 2 dense nodes, 3 way, 4 relation).
    fn block(strings: usize, kind: u64, element: &[u8]) -> Vec<u8> {
        let table: Vec<u8> = (0..strings).flat_map(|_| field(1, b"s")).collect();
        let mut b = field(1, &table);
        b.extend(field(2, &field(kind, element)));
        b
    }

    /// Dense nodes: a 0 where a key is expected ends a node's tags and is no index; any other
    /// key or value must be inside the table.
    #[test]
    fn dense_keys_vals_skip_the_delimiter_only() {
        assert!(check_block(&block(3, 2, &packed(10, &[1, 2, 0, 0, 2, 1, 0]))).is_ok());
        assert!(check_block(&block(1, 2, &packed(10, &[0, 0, 0]))).is_ok());
        let err = check_block(&block(3, 2, &packed(10, &[1, 3, 0]))).expect_err("out of range");
        assert!(err.contains("string 3"), "{err}");
        // A value of 0 is an index (the delimiter is only where a key is expected).
        assert!(check_block(&block(2, 2, &packed(10, &[1, 0, 0]))).is_ok());
        assert!(check_block(&block(1, 2, &packed(10, &[1, 0, 0]))).is_err());
    }

    /// Relation roles (`roles_sid`, int32) and node keys are checked; a negative role is a
    /// huge varint and out of range.
    #[test]
    fn relation_roles_and_node_keys_are_checked() {
        let negative = u64::MAX; // int32 -1 as protobuf encodes it
        let err = check_block(&block(3, 4, &packed(8, &[1, negative]))).expect_err("out of range");
        assert!(err.contains("string"), "{err}");
        assert!(check_block(&block(3, 4, &packed(8, &[1, 2]))).is_ok());
        assert!(check_block(&block(2, 1, &packed(2, &[2]))).is_err());
        assert!(check_block(&block(2, 1, &packed(3, &[1]))).is_ok());
    }

    /// A truncated message is an error, not a panic or an endless loop.
    #[test]
    fn truncated_messages_are_errors() {
        let mut b = block(3, 3, &packed(2, &[1]));
        b.truncate(b.len() - 1);
        assert!(check_block(&b).is_err());
        assert!(check_block(&[0x0f]).is_err());
    }
}
