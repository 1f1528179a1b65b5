//! The query string of an OSRM request: percent-decoding, the known parameters of a service,
//! and the parsers of the value forms shared by `table` and `route` (booleans, index lists,
//! radiuses).

use super::error::OsrmError;

/// Most parameters a query string may hold (each known parameter at most once).
pub const MAX_QUERY_PARAMS: usize = 32;

/// The parameters of one query string, decoded; each is one of the service's known names and
/// appears at most once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pairs: Vec<(&'static str, String)>,
}

impl Params {
    /// Parses `query` (the part after `?`, without it; may be empty), accepting only the
    /// names in `known`. Errors (`InvalidQuery`): more than [`MAX_QUERY_PARAMS`] parameters,
    /// a parameter without `=`, an unknown or repeated name, bad percent-encoding.
    pub fn parse(query: &str, known: &[&'static str]) -> Result<Params, OsrmError> {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        for (k, part) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
            if k >= MAX_QUERY_PARAMS {
                return Err(OsrmError::query(
                    "",
                    format!("more than {MAX_QUERY_PARAMS} parameters"),
                ));
            }
            let Some((raw_name, raw_value)) = part.split_once('=') else {
                return Err(OsrmError::query(part, "expected `name=value`"));
            };
            let name = decode(raw_name).map_err(|e| OsrmError::query(raw_name, e))?;
            let Some(&known_name) = known.iter().find(|&&n| n == name) else {
                return Err(OsrmError::query(
                    &name,
                    format!(
                        "unknown parameter (this service takes {})",
                        known.join(", ")
                    ),
                ));
            };
            if pairs.iter().any(|(n, _)| *n == known_name) {
                return Err(OsrmError::query(&name, "given more than once"));
            }
            let value = decode(raw_value).map_err(|e| OsrmError::query(known_name, e))?;
            pairs.push((known_name, value));
        }
        Ok(Params { pairs })
    }

    /// The value of parameter `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-decodes a query string part (`+` is a space).
fn decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-encoding at byte {i}"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 after percent-decoding".to_string())
}

/// `true` or `false`.
pub fn parse_bool(param: &'static str, value: &str) -> Result<bool, OsrmError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(OsrmError::query(param, "expected `true` or `false`")),
    }
}

/// `all` (every index `0..n`) or `i;j;k`, each an index below `n` (repeats allowed, as in
/// OSRM). At most `n` entries when `n` > 0 and never more than `max` are read: a longer list
/// is [`OsrmError::TooBig`] before anything is allocated for it.
pub fn parse_indices(
    param: &'static str,
    value: &str,
    n: usize,
    max: usize,
) -> Result<Vec<usize>, OsrmError> {
    if value == "all" {
        return Ok((0..n).collect());
    }
    let count = value.split(';').count();
    if count > max {
        return Err(OsrmError::TooBig {
            what: param,
            count,
            max,
        });
    }
    value
        .split(';')
        .enumerate()
        .map(|(k, s)| {
            let i: usize = s
                .parse()
                .map_err(|_| OsrmError::query(param, format!("entry {k} `{s}` is not an index")))?;
            if i >= n {
                return Err(OsrmError::option(
                    param,
                    format!("entry {k} is {i}, but there are only {n} coordinates"),
                ));
            }
            Ok(i)
        })
        .collect()
}

/// One radius per coordinate, metres: `unlimited` (or an empty entry) is `+inf`, otherwise
/// a finite non-negative number. A count other than `n` is `InvalidOptions`; a negative,
/// NaN or infinite number is `InvalidValue` naming `radiuses[i]`.
pub fn parse_radiuses(value: &str, n: usize) -> Result<Vec<f64>, OsrmError> {
    let count = value.split(';').count();
    if count != n {
        return Err(OsrmError::option(
            "radiuses",
            format!("{count} radiuses for {n} coordinates (one per coordinate)"),
        ));
    }
    value
        .split(';')
        .enumerate()
        .map(|(i, s)| {
            if s.is_empty() || s == "unlimited" {
                return Ok(f64::INFINITY);
            }
            let r: f64 = s.parse().map_err(|_| {
                OsrmError::query("radiuses", format!("entry {i} `{s}` is not a number"))
            })?;
            if r.is_finite() && r >= 0.0 {
                Ok(r)
            } else {
                Err(OsrmError::BadValue {
                    field: format!("radiuses[{i}]"),
                    reason: format!("{s} is not a finite non-negative distance in metres"),
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compat::osrm::OsrmCode;

    const KNOWN: &[&str] = &["sources", "annotations", "radiuses"];

    /// Known parameters are decoded (`%2C` is a comma, `%3B` a semicolon); an empty query
    /// has none.
    #[test]
    fn decodes_known_parameters() {
        let p = Params::parse("annotations=duration%2Cdistance&sources=0%3B1", KNOWN).unwrap();
        assert_eq!(p.get("annotations"), Some("duration,distance"));
        assert_eq!(p.get("sources"), Some("0;1"));
        assert_eq!(p.get("radiuses"), None);
        assert_eq!(Params::parse("", KNOWN).unwrap(), Params::default());
    }

    /// Unknown, repeated, value-less and badly encoded parameters are `InvalidQuery`, each
    /// naming the parameter.
    #[test]
    fn refuses_bad_parameters() {
        for (q, name) in [
            ("bearings=0,20", "bearings"),
            ("sources=0&sources=1", "sources"),
            ("sources", "sources"),
            ("sources=%zz", "sources"),
            ("sources=%ff", "sources"),
        ] {
            let e = Params::parse(q, KNOWN).unwrap_err();
            assert_eq!(e.code(), OsrmCode::InvalidQuery, "{q}");
            assert!(e.to_string().contains(name), "{q}: {e}");
        }
        let many = vec!["sources=0"; MAX_QUERY_PARAMS + 1].join("&");
        assert_eq!(
            Params::parse(&many, KNOWN).unwrap_err().code(),
            OsrmCode::InvalidQuery
        );
    }

    /// Index lists: `all`, explicit indices with repeats; an index out of range is
    /// `InvalidOptions`, a non-number `InvalidQuery`, a list over the bound `TooBig`.
    #[test]
    fn index_lists() {
        assert_eq!(
            parse_indices("sources", "all", 3, 10).unwrap(),
            vec![0, 1, 2]
        );
        assert_eq!(
            parse_indices("sources", "2;0;2", 3, 10).unwrap(),
            vec![2, 0, 2]
        );
        let e = parse_indices("sources", "0;3", 3, 10).unwrap_err();
        assert_eq!(e.code(), OsrmCode::InvalidOptions);
        assert!(e.to_string().contains("sources"), "{e}");
        assert_eq!(
            parse_indices("destinations", "0;x", 3, 10)
                .unwrap_err()
                .code(),
            OsrmCode::InvalidQuery
        );
        assert_eq!(
            parse_indices("sources", "0;-1", 3, 10).unwrap_err().code(),
            OsrmCode::InvalidQuery
        );
        assert_eq!(
            parse_indices("sources", "0;0;0;0", 3, 3)
                .unwrap_err()
                .code(),
            OsrmCode::TooBig
        );
    }

    /// Radiuses: `unlimited` and empty entries are no limit; a wrong count is
    /// `InvalidOptions`; negative, NaN and infinite numbers are `InvalidValue` naming the entry.
    #[test]
    fn radiuses() {
        assert_eq!(
            parse_radiuses("unlimited;25;", 3).unwrap(),
            vec![f64::INFINITY, 25.0, f64::INFINITY]
        );
        assert_eq!(
            parse_radiuses("5;5", 3).unwrap_err().code(),
            OsrmCode::InvalidOptions
        );
        for bad in ["-1;5", "NaN;5", "inf;5"] {
            let e = parse_radiuses(bad, 2).unwrap_err();
            assert_eq!(e.code(), OsrmCode::InvalidValue, "{bad}");
            assert!(e.to_string().contains("radiuses[0]"), "{e}");
        }
        assert_eq!(
            parse_radiuses("far;5", 2).unwrap_err().code(),
            OsrmCode::InvalidQuery
        );
    }
}
