//! Key groups: the unit of keyed state and of rescaling.
//!
//! A key belongs to exactly one key group, `key_group = stable_key_hash(key) % max_parallelism`,
//! and every subtask of a keyed operator owns one contiguous range of key groups. Changing the
//! parallelism therefore only moves whole key groups between subtasks, never single keys.
//!
//! ## The key hash (a compatibility promise)
//! [`stable_key_hash`] is **XXH3-64 (seed 0) of the key's postcard encoding**. Both are fixed,
//! documented formats (postcard's wire format is stable since 1.0; XXH3 is a specified
//! algorithm), so a key lands in the same key group in every process, after every restart and with
//! every Rust release. `std`'s `DefaultHasher` gives no such promise and is never used here.
//! Changing this function would strand every savepoint's keyed state: don't.
//!
//! ## Ranges
//! Subtask `i` of `p` owns `[ceil(i·max/p), ceil((i+1)·max/p))`, and the subtask owning key group
//! `g` is `floor(g·p/max)` — the same arithmetic as Flink's `KeyGroupRangeAssignment`, chosen so the
//! two agree for every `p ≤ max` (a property test checks it).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::fmt;

/// The default `pipeline.max-parallelism`, as in Flink for small jobs.
pub const DEFAULT_MAX_PARALLELISM: usize = 128;
/// The upper bound on max parallelism, as in Flink (2^15).
pub const UPPER_BOUND_MAX_PARALLELISM: usize = 1 << 15;

/// One key group, `0..max_parallelism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyGroup(pub u32);

impl fmt::Display for KeyGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A half-open, contiguous range of key groups `[start, end)` owned by one subtask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyGroupRange {
    pub start: u32,
    pub end: u32,
}

impl KeyGroupRange {
    /// The range of subtask `subtask` out of `parallelism` for `max_parallelism` key groups.
    ///
    /// Callers validate `1 <= parallelism <= max_parallelism` once, when the job is built
    /// ([`check_parallelism`]); the arithmetic here then never divides by zero.
    pub fn for_subtask(max_parallelism: usize, parallelism: usize, subtask: usize) -> Self {
        let start = (subtask * max_parallelism).div_ceil(parallelism);
        let end = ((subtask + 1) * max_parallelism).div_ceil(parallelism);
        KeyGroupRange { start: start as u32, end: end as u32 }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    pub fn contains(&self, group: KeyGroup) -> bool {
        self.start <= group.0 && group.0 < self.end
    }

    /// Whether the two ranges share a key group.
    pub fn intersects(&self, other: &KeyGroupRange) -> bool {
        self.start.max(other.start) < self.end.min(other.end)
    }

    /// The position of `group` inside this range, for range-local storage.
    pub fn offset_of(&self, group: KeyGroup) -> Option<usize> {
        self.contains(group).then(|| (group.0 - self.start) as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = KeyGroup> + use<> {
        (self.start..self.end).map(KeyGroup)
    }
}

impl fmt::Display for KeyGroupRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

thread_local! {
    /// A scratch buffer for key encoding, so hashing a key does not allocate.
    static KEY_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The stable hash of a key: XXH3-64 of its postcard encoding (see the module docs).
///
/// Fails only if the key's `Serialize` implementation fails, which derived ones never do.
pub fn stable_key_hash<K: serde::Serialize + ?Sized>(key: &K) -> Result<u64> {
    KEY_BYTES.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        let taken = std::mem::take(&mut *buf);
        let bytes = postcard::to_extend(key, taken).map_err(|e| Error::KeySerialization(e.to_string()))?;
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        *buf = bytes;
        Ok(hash)
    })
}

/// The key group of a key.
pub fn assign_key_group<K: serde::Serialize + ?Sized>(key: &K, max_parallelism: usize) -> Result<KeyGroup> {
    Ok(key_group_of_hash(stable_key_hash(key)?, max_parallelism))
}

/// The key group of a key hash: `hash % max_parallelism`, as a mask when the max parallelism is
/// a power of two (the same number, without a 64-bit division on every record).
#[inline]
pub fn key_group_of_hash(hash: u64, max_parallelism: usize) -> KeyGroup {
    let max = max_parallelism as u64;
    let group = if max.is_power_of_two() { hash & (max - 1) } else { hash % max };
    KeyGroup(group as u32)
}

/// The subtask that owns `group` when an operator runs with `parallelism` subtasks.
pub fn subtask_for_key_group(group: KeyGroup, max_parallelism: usize, parallelism: usize) -> usize {
    group.0 as usize * parallelism / max_parallelism
}

/// Checks that a parallelism fits a max parallelism; the error names both.
pub fn check_parallelism(parallelism: usize, max_parallelism: usize) -> Result<()> {
    if max_parallelism == 0 || max_parallelism > UPPER_BOUND_MAX_PARALLELISM {
        return Err(Error::Config(format!(
            "max parallelism {max_parallelism} is out of range: it must be in 1..={UPPER_BOUND_MAX_PARALLELISM} (pipeline.max-parallelism)"
        )));
    }
    if parallelism == 0 || parallelism > max_parallelism {
        return Err(Error::Config(format!(
            "parallelism {parallelism} is out of range: it must be in 1..={max_parallelism} (the max parallelism, pipeline.max-parallelism)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hash_is_pinned() {
        // These values are part of the on-disk contract: a change strands keyed state.
        assert_eq!(stable_key_hash(&0u64).expect("hash"), xxhash_rust::xxh3::xxh3_64(&[0]));
        assert_eq!(stable_key_hash("a").expect("hash"), xxhash_rust::xxh3::xxh3_64(&[1, b'a']));
        assert_eq!(stable_key_hash(&300u32).expect("hash"), xxhash_rust::xxh3::xxh3_64(&[0xac, 0x02]));
    }

    #[test]
    fn ranges_cover_every_key_group_exactly_once_for_every_parallelism() {
        for max in [1usize, 2, 3, 7, 128, 1000] {
            for p in 1..=max {
                let mut next = 0u32;
                for i in 0..p {
                    let r = KeyGroupRange::for_subtask(max, p, i);
                    assert_eq!(r.start, next, "max={max} p={p} subtask={i}: gap or overlap");
                    assert!(!r.is_empty() || max < p, "max={max} p={p} subtask={i}: empty range");
                    for g in r.iter() {
                        assert_eq!(subtask_for_key_group(g, max, p), i, "max={max} p={p} group={g}");
                    }
                    next = r.end;
                }
                assert_eq!(next as usize, max, "max={max} p={p}: ranges do not reach the end");
            }
        }
    }

    #[test]
    fn check_parallelism_names_the_limits() {
        let err = check_parallelism(200, 128).expect_err("too large");
        assert!(err.to_string().contains("1..=128"), "{err}");
        assert!(check_parallelism(0, 128).is_err());
        assert!(check_parallelism(4, 0).is_err());
        assert!(check_parallelism(128, 128).is_ok());
    }

    proptest! {
        #[test]
        fn every_key_lands_in_the_range_of_its_subtask(key in any::<u64>(), max in 1usize..512, p_seed in any::<usize>()) {
            let p = p_seed % max + 1;
            let g = assign_key_group(&key, max).expect("hash");
            prop_assert!((g.0 as usize) < max);
            let owner = subtask_for_key_group(g, max, p);
            prop_assert!(owner < p);
            prop_assert!(KeyGroupRange::for_subtask(max, p, owner).contains(g));
        }

        #[test]
        fn the_key_group_is_the_hash_modulo_the_max_parallelism(hash in any::<u64>(), max in 1usize..=UPPER_BOUND_MAX_PARALLELISM) {
            prop_assert_eq!(u64::from(key_group_of_hash(hash, max).0), hash % max as u64);
        }

        #[test]
        fn the_hash_is_a_function_of_the_bytes(s in ".*") {
            let owned: String = s.clone();
            prop_assert_eq!(stable_key_hash(&owned).expect("hash"), stable_key_hash(s.as_str()).expect("hash"));
        }
    }
}
