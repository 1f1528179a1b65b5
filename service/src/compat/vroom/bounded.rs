//! A JSON array with a maximum length, refused while it is read (at entry `MAX + 1`), so a
//! request declaring 10^6 jobs never allocates them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

/// A list of at most `MAX` entries, read from a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded<T, const MAX: usize>(pub Vec<T>);

impl<T, const MAX: usize> Default for Bounded<T, MAX> {
    fn default() -> Self {
        Bounded(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Bounded<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq<T, const MAX: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Seq<T, MAX> {
            type Value = Bounded<T, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of at most {MAX} entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX).min(1024));
                while let Some(x) = seq.next_element()? {
                    if out.len() == MAX {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX} entries (the limit)"
                        )));
                    }
                    out.push(x);
                }
                Ok(Bounded(out))
            }
        }
        d.deserialize_seq(Seq::<T, MAX>(PhantomData))
    }
}

/// A JSON object of at most `MAX` keys, read into a sorted map; refused while it is read
/// (at key `MAX + 1`). A repeated key is refused too.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedMap<V, const MAX: usize>(pub std::collections::BTreeMap<String, V>);

impl<V, const MAX: usize> Default for BoundedMap<V, MAX> {
    fn default() -> Self {
        BoundedMap(std::collections::BTreeMap::new())
    }
}

impl<'de, V: Deserialize<'de>, const MAX: usize> Deserialize<'de> for BoundedMap<V, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Map<V, const MAX: usize>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>, const MAX: usize> Visitor<'de> for Map<V, MAX> {
            type Value = BoundedMap<V, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an object of at most {MAX} keys")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = std::collections::BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.len() == MAX {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX} keys (the limit)"
                        )));
                    }
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("key `{key}` given twice")));
                    }
                    let value = map.next_value()?;
                    out.insert(key, value);
                }
                Ok(BoundedMap(out))
            }
        }
        d.deserialize_map(Map::<V, MAX>(PhantomData))
    }
}
