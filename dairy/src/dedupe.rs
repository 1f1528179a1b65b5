//! Dedupe keys: the caller-chosen key that makes a replayed event or message one row.
use crate::error::{invalid, DairyError};

/// A key unique per tenant for an event or message (e.g. `remedy:12345` or a courier
/// device's event id): printable ASCII without spaces, 1..=200 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// A checked key.
    pub fn new(key: &str) -> Result<DedupeKey, DairyError> {
        if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "dedupe_key",
                "must be 1 to 200 printable ASCII characters without spaces",
            ));
        }
        Ok(DedupeKey(key.to_owned()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are checked for length and characters.
    #[test]
    fn keys_are_checked() {
        assert!(DedupeKey::new("remedy:42").is_ok());
        assert!(DedupeKey::new("").is_err());
        assert!(DedupeKey::new("a b").is_err());
        assert!(DedupeKey::new(&"x".repeat(201)).is_err());
    }
}
