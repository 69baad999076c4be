//! Handles to the state of the current key, borrowed from the backend for one access.

use rustc_hash::FxHashMap;
use std::hash::Hash;

/// The value state of the current key.
pub struct ValueState<'a, K, V> {
    map: &'a mut FxHashMap<K, V>,
    key: &'a K,
}

impl<'a, K: Eq + Hash + Clone, V> ValueState<'a, K, V> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, V>, key: &'a K) -> Self {
        ValueState { map, key }
    }

    /// The value, if one was set.
    pub fn get(&self) -> Option<&V> {
        self.map.get(self.key)
    }

    /// A copy of the value, if one was set.
    pub fn value(&self) -> Option<V>
    where
        V: Clone,
    {
        self.get().cloned()
    }

    /// Removes the value and returns it.
    pub fn take(&mut self) -> Option<V> {
        self.map.remove(self.key)
    }

    /// The value, to change in place.
    pub fn get_mut(&mut self) -> Option<&mut V> {
        self.map.get_mut(self.key)
    }

    /// The value, created with `init` if there is none, to change in place.
    pub fn get_or_insert_with(&mut self, init: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(self.key) {
            self.map.insert(self.key.clone(), init());
        }
        // Just ensured present.
        self.map.get_mut(self.key).expect("the value was inserted above")
    }

    /// Sets the value.
    pub fn update(&mut self, value: V) {
        match self.map.get_mut(self.key) {
            Some(slot) => *slot = value,
            None => {
                self.map.insert(self.key.clone(), value);
            }
        }
    }

    /// Removes the value.
    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// The list state of the current key.
pub struct ListState<'a, K, V> {
    map: &'a mut FxHashMap<K, Vec<V>>,
    key: &'a K,
}

impl<'a, K: Eq + Hash + Clone, V> ListState<'a, K, V> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, Vec<V>>, key: &'a K) -> Self {
        ListState { map, key }
    }

    /// The list; empty if nothing was added.
    pub fn get(&self) -> &[V] {
        self.map.get(self.key).map_or(&[], Vec::as_slice)
    }

    /// Appends a value.
    pub fn add(&mut self, value: V) {
        match self.map.get_mut(self.key) {
            Some(list) => list.push(value),
            None => {
                self.map.insert(self.key.clone(), vec![value]);
            }
        }
    }

    /// Replaces the list (an empty list clears it).
    pub fn update(&mut self, values: Vec<V>) {
        if values.is_empty() {
            self.clear();
        } else {
            self.map.insert(self.key.clone(), values);
        }
    }

    /// Removes the list and returns it.
    pub fn take(&mut self) -> Vec<V> {
        self.map.remove(self.key).unwrap_or_default()
    }

    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}

/// The map state of the current key.
pub struct MapState<'a, K, UK, UV> {
    map: &'a mut FxHashMap<K, FxHashMap<UK, UV>>,
    key: &'a K,
}

impl<'a, K: Eq + Hash + Clone, UK: Eq + Hash, UV> MapState<'a, K, UK, UV> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, FxHashMap<UK, UV>>, key: &'a K) -> Self {
        MapState { map, key }
    }

    pub fn get(&self, user_key: &UK) -> Option<&UV> {
        self.map.get(self.key).and_then(|m| m.get(user_key))
    }

    pub fn contains(&self, user_key: &UK) -> bool {
        self.get(user_key).is_some()
    }

    pub fn put(&mut self, user_key: UK, value: UV) {
        match self.map.get_mut(self.key) {
            Some(m) => {
                m.insert(user_key, value);
            }
            None => {
                let mut m = FxHashMap::default();
                m.insert(user_key, value);
                self.map.insert(self.key.clone(), m);
            }
        }
    }

    /// Removes one entry; the key's map goes away with its last entry.
    pub fn remove(&mut self, user_key: &UK) -> Option<UV> {
        let m = self.map.get_mut(self.key)?;
        let removed = m.remove(user_key);
        if m.is_empty() {
            self.map.remove(self.key);
        }
        removed
    }

    pub fn iter(&self) -> impl Iterator<Item = (&UK, &UV)> {
        self.map.get(self.key).into_iter().flat_map(|m| m.iter())
    }

    pub fn len(&self) -> usize {
        self.map.get(self.key).map_or(0, FxHashMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.map.remove(self.key);
    }
}
