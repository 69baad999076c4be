//! [`ListState`]: a list of values of the current key.

use rustc_hash::FxHashMap;
use std::hash::Hash;

use crate::ttl::{Expiring, Expiry, Stamp, TtlList};

/// The list state of the current key.
///
/// With a TTL, each element expires on its own (as in Flink); the handle drops the expired ones
/// when it is handed out, so reading the list costs its length, as Flink's heap TTL list does.
pub struct ListState<'a, K, V> {
    key: &'a K,
    store: Store<'a, K, V>,
}

enum Store<'a, K, V> {
    Plain(&'a mut FxHashMap<K, Vec<V>>),
    Ttl(&'a mut FxHashMap<K, TtlList<V>>, Expiry),
}

impl<'a, K: Eq + Hash + Clone, V: Clone> ListState<'a, K, V> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, Vec<V>>, key: &'a K) -> Self {
        ListState { key, store: Store::Plain(map) }
    }

    pub(crate) fn with_ttl(map: &'a mut FxHashMap<K, TtlList<V>>, key: &'a K, expiry: Expiry) -> Self {
        if map.get_mut(key).is_some_and(|list| !list.prune(&expiry)) {
            map.remove(key);
        }
        ListState { key, store: Store::Ttl(map, expiry) }
    }

    /// The list; empty if nothing was added.
    pub fn get(&self) -> &[V] {
        match &self.store {
            Store::Plain(map) => map.get(self.key).map_or(&[], Vec::as_slice),
            Store::Ttl(map, expiry) => match map.get(self.key) {
                Some(list) => {
                    list.stamps.iter().for_each(|s| expiry.read(s));
                    &list.values
                }
                None => &[],
            },
        }
    }

    /// Appends a value.
    pub fn add(&mut self, value: V) {
        match &mut self.store {
            Store::Plain(map) => match map.get_mut(self.key) {
                Some(list) => list.push(value),
                None => {
                    map.insert(self.key.clone(), vec![value]);
                }
            },
            Store::Ttl(map, expiry) => {
                let list = match map.get_mut(self.key) {
                    Some(list) => list,
                    None => map
                        .entry(self.key.clone())
                        .or_insert_with(|| TtlList { values: Vec::new(), stamps: Vec::new() }),
                };
                list.values.push(value);
                list.stamps.push(Stamp::new(expiry.now));
            }
        }
    }

    /// Replaces the list (an empty list clears it).
    pub fn update(&mut self, values: Vec<V>) {
        if values.is_empty() {
            self.clear();
            return;
        }
        match &mut self.store {
            Store::Plain(map) => {
                map.insert(self.key.clone(), values);
            }
            Store::Ttl(map, expiry) => {
                let stamps = vec![Stamp::new(expiry.now); values.len()];
                map.insert(self.key.clone(), TtlList { values, stamps });
            }
        }
    }

    /// Removes the list and returns it.
    pub fn take(&mut self) -> Vec<V> {
        match &mut self.store {
            Store::Plain(map) => map.remove(self.key).unwrap_or_default(),
            Store::Ttl(map, _) => map.remove(self.key).map(|l| l.values).unwrap_or_default(),
        }
    }

    pub fn clear(&mut self) {
        self.take();
    }
}
