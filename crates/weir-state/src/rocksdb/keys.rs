//! How keyed state is laid out in RocksDB: one column family per state, each key prefixed by
//! its key group in big-endian, so that a key-group range is one contiguous key range (a
//! rescale clips a database with two range deletes, a snapshot walks key groups in order).
//!
//! Key: `key group (u16, big-endian) ++ postcard(key)`. Value: `postcard(stored state)` — the
//! same bytes the canonical snapshot format holds per key, so a full snapshot copies them
//! without decoding.

use serde::Serialize;
use weir_core::{KeyGroup, KeyGroupRange};

/// Bytes of the key-group prefix.
pub(crate) const PREFIX_LEN: usize = 2;

/// The highest number of key groups (Flink's bound on the max parallelism too): the prefix of
/// the group after the last one is still two bytes.
pub(crate) const MAX_KEY_GROUPS: u32 = 1 << 15;

/// The column family of state `name`.
pub(crate) fn column_family(name: &str) -> String {
    format!("state:{name}")
}

/// The column family where each state's kind and TTL flag are kept (by state name).
pub(crate) const META_COLUMN_FAMILY: &str = "weir:states";

/// Writes the RocksDB key of `key` in `group` into `buf` (cleared first).
pub(crate) fn encode<K: Serialize>(group: KeyGroup, key: &K, buf: &mut Vec<u8>) -> Result<(), postcard::Error> {
    buf.clear();
    buf.extend_from_slice(&prefix(group.0));
    let written = postcard::to_extend(key, std::mem::take(buf))?;
    *buf = written;
    Ok(())
}

/// The key group of a stored key, and the serialized user key after it.
pub(crate) fn split(stored: &[u8]) -> Option<(KeyGroup, &[u8])> {
    let (prefix, key) = stored.split_first_chunk::<PREFIX_LEN>()?;
    Some((KeyGroup(u32::from(u16::from_be_bytes(*prefix))), key))
}

/// The key-group prefix of `group`.
pub(crate) fn prefix(group: u32) -> [u8; PREFIX_LEN] {
    // Backends refuse ranges beyond MAX_KEY_GROUPS when they open, so this never truncates.
    (group as u16).to_be_bytes()
}

/// The stored keys of `range`: from (inclusive) and to (exclusive) bounds.
pub(crate) fn bounds(range: KeyGroupRange) -> (Vec<u8>, Vec<u8>) {
    (group_start(range.start), group_start(range.end))
}

/// The first stored key of key group `group`; `group == MAX_KEY_GROUPS` gives a key after every
/// stored key.
pub(crate) fn group_start(group: u32) -> Vec<u8> {
    prefix(group).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_key_group_first() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode(KeyGroup(1), &u64::MAX, &mut a).expect("encodes");
        encode(KeyGroup(2), &0u64, &mut b).expect("encodes");
        assert!(a < b);
        assert_eq!(split(&a).map(|(g, _)| g), Some(KeyGroup(1)));
        let (from, to) = bounds(KeyGroupRange { start: 1, end: 2 });
        assert!(from <= a && a < to && b >= to);
        let (_, end) = bounds(KeyGroupRange { start: 0, end: MAX_KEY_GROUPS });
        assert!(end > group_start(MAX_KEY_GROUPS - 1));
    }
}
