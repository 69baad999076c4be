//! [`ReducingState`]: one value of the current key into which added values are reduced.

use std::hash::Hash;

use super::value::ValueState;

/// The reducing state of the current key: `add(v)` stores `reduce(stored, v)` (or `v` first).
pub struct ReducingState<'a, K, V> {
    value: ValueState<'a, K, V>,
    reduce: &'a (dyn Fn(&V, &V) -> V + Send + Sync),
}

impl<'a, K: Eq + Hash + Clone, V> ReducingState<'a, K, V> {
    pub(crate) fn new(value: ValueState<'a, K, V>, reduce: &'a (dyn Fn(&V, &V) -> V + Send + Sync)) -> Self {
        ReducingState { value, reduce }
    }

    /// Reduces `value` into the stored one.
    pub fn add(&mut self, value: V) {
        match self.value.get_mut() {
            Some(stored) => *stored = (self.reduce)(stored, &value),
            None => self.value.update(value),
        }
    }

    /// The reduced value, if anything was added.
    pub fn get(&self) -> Option<&V> {
        self.value.get()
    }

    pub fn clear(&mut self) {
        self.value.clear();
    }
}
