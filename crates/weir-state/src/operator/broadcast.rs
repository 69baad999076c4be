//! [`BroadcastState`]: a map that is the same on every subtask of an operator.

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
}
