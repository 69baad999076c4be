//! [`BroadcastState`]: a map that is the same on every subtask of an operator, and
//! [`ReadOnlyBroadcastState`], the view of it that may not change it.
//!
//! The read-only view is what a function gets while it processes the non-broadcast input (as in
//! Flink): only broadcast records, which every subtask sees in the same order, may change the
//! state, or the copies drift apart.

use rustc_hash::FxHashMap;
use std::hash::Hash;

/// A subtask's copy of a broadcast state. Keeping the copies equal is the operator's job (it
/// must change them only from broadcast input, deterministically), as in Flink.
pub struct BroadcastState<'a, K, V> {
    map: &'a mut FxHashMap<K, V>,
}

impl<'a, K: Eq + Hash, V> BroadcastState<'a, K, V> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, V>) -> Self {
        BroadcastState { map }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub fn put(&mut self, key: K, value: V) {
        self.map.insert(key, value);
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The same state, without the ways to change it.
    pub fn into_read_only(self) -> ReadOnlyBroadcastState<'a, K, V> {
        ReadOnlyBroadcastState { map: self.map }
    }
}

/// A subtask's copy of a broadcast state, read only.
pub struct ReadOnlyBroadcastState<'a, K, V> {
    map: &'a FxHashMap<K, V>,
}

impl<K: Eq + Hash, V> ReadOnlyBroadcastState<'_, K, V> {
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
