//! How keyed state is laid out in RocksDB: one column family per state, each key prefixed by
//! its key group in big-endian, so that a key-group range is one contiguous key range (a
//! rescale clips a database with two range deletes, a snapshot walks key groups in order).
//!
//! Key: `key group (u16, big-endian) ++ postcard(key)`. Value: `postcard(stored state)` — the
//! same bytes the canonical snapshot format holds per key, so a full snapshot copies them
//! without decoding.
//!
//! Timers (module `timers`): one column family per time domain, key `key group ++ time ++
//! postcard((key, namespace))`, the time as 8 big-endian bytes with the sign bit flipped (so
//! byte order is time order, negative times included), no value.

use serde::Serialize;
use weir_core::{KeyGroup, KeyGroupRange, Timestamp};

/// Bytes of the key-group prefix.
pub(crate) const PREFIX_LEN: usize = 2;

/// The highest number of key groups (Flink's bound on the max parallelism too): the prefix of
/// the group after the last one is still two bytes.
pub(crate) const MAX_KEY_GROUPS: u32 = 1 << 15;

/// The column family of state `name`.
pub(crate) fn column_family(name: &str) -> String {
    format!("state:{name}")
}

/// The column family of the timers of queue `name` (a time domain).
pub(crate) fn timer_column_family(name: &str) -> String {
    format!("timers:{name}")
}

/// Whether a column family's keys begin with a key-group prefix (states' and timers'): the ones
/// a rescale clips and copies between databases.
pub(crate) fn is_keyed_column_family(name: &str) -> bool {
    name.starts_with("state:") || name.starts_with("timers:")
}

/// Bytes of a timer's time in its stored key.
pub(crate) const TIME_LEN: usize = 8;

/// Writes the stored key of the timer (`time`, `key`, `namespace`) in `group` into `buf`.
pub(crate) fn encode_timer<K: Serialize, N: Serialize>(
    group: KeyGroup,
    time: Timestamp,
    key: &K,
    namespace: &N,
    buf: &mut Vec<u8>,
) -> Result<(), postcard::Error> {
    buf.clear();
    buf.extend_from_slice(&prefix(group.0));
    buf.extend_from_slice(&encode_time(time));
    let written = postcard::to_extend(&(key, namespace), std::mem::take(buf))?;
    *buf = written;
    Ok(())
}

/// A time as bytes whose order is the times' order.
pub(crate) fn encode_time(time: Timestamp) -> [u8; TIME_LEN] {
    ((time as u64) ^ (1 << 63)).to_be_bytes()
}

/// The time at the start of a timer's stored key without its key-group prefix.
pub(crate) fn decode_time(bytes: &[u8]) -> Option<Timestamp> {
    let (time, _) = bytes.split_first_chunk::<TIME_LEN>()?;
    Some((u64::from_be_bytes(*time) ^ (1 << 63)) as i64)
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

    #[test]
    fn timers_sort_by_key_group_then_time() {
        let times = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        let mut encoded = Vec::new();
        for group in [3, 4] {
            for time in times {
                let mut buf = Vec::new();
                encode_timer(KeyGroup(group), time, &9u32, &(), &mut buf).expect("encodes");
                assert_eq!(decode_time(&buf[PREFIX_LEN..]), Some(time));
                encoded.push(buf);
            }
        }
        assert!(encoded.windows(2).all(|w| w[0] < w[1]), "stored order is (key group, time) order");
    }
}
