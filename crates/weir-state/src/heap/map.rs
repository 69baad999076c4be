//! [`MapState`]: a map of the current key.

use rustc_hash::FxHashMap;
use std::hash::Hash;

use crate::ttl::{Expiring, Expiry, Stamped};

/// The map state of the current key.
///
/// With a TTL, each entry expires on its own (as in Flink); the handle drops the key's expired
/// entries when it is handed out (a cost of the key's entry count, paid by TTL maps only).
pub struct MapState<'a, K, UK, UV> {
    key: &'a K,
    store: Store<'a, K, UK, UV>,
}

enum Store<'a, K, UK, UV> {
    Plain(&'a mut FxHashMap<K, FxHashMap<UK, UV>>),
    Ttl(&'a mut FxHashMap<K, FxHashMap<UK, Stamped<UV>>>, Expiry),
}

impl<'a, K: Eq + Hash + Clone, UK: Eq + Hash + Clone, UV: Clone> MapState<'a, K, UK, UV> {
    pub(crate) fn new(map: &'a mut FxHashMap<K, FxHashMap<UK, UV>>, key: &'a K) -> Self {
        MapState { key, store: Store::Plain(map) }
    }

    pub(crate) fn with_ttl(map: &'a mut FxHashMap<K, FxHashMap<UK, Stamped<UV>>>, key: &'a K, expiry: Expiry) -> Self {
        if map.get_mut(key).is_some_and(|m| !m.prune(&expiry)) {
            map.remove(key);
        }
        MapState { key, store: Store::Ttl(map, expiry) }
    }

    pub fn get(&self, user_key: &UK) -> Option<&UV> {
        match &self.store {
            Store::Plain(map) => map.get(self.key).and_then(|m| m.get(user_key)),
            Store::Ttl(map, expiry) => map.get(self.key).and_then(|m| m.get(user_key)).map(|v| {
                expiry.read(&v.stamp);
                &v.value
            }),
        }
    }

    /// One entry, to change in place (with a TTL, this counts as a write).
    pub fn get_mut(&mut self, user_key: &UK) -> Option<&mut UV> {
        match &mut self.store {
            Store::Plain(map) => map.get_mut(self.key).and_then(|m| m.get_mut(user_key)),
            Store::Ttl(map, expiry) => map.get_mut(self.key).and_then(|m| m.get_mut(user_key)).map(|v| {
                v.stamp.set(expiry.now);
                &mut v.value
            }),
        }
    }

    pub fn contains(&self, user_key: &UK) -> bool {
        self.get(user_key).is_some()
    }

    pub fn put(&mut self, user_key: UK, value: UV) {
        match &mut self.store {
            Store::Plain(map) => insert(map, self.key, user_key, value),
            Store::Ttl(map, expiry) => insert(map, self.key, user_key, Stamped::new(value, expiry.now)),
        }
    }

    /// Removes one entry; the key's map goes away with its last entry.
    pub fn remove(&mut self, user_key: &UK) -> Option<UV> {
        match &mut self.store {
            Store::Plain(map) => remove(map, self.key, user_key),
            Store::Ttl(map, _) => remove(map, self.key, user_key).map(|v| v.value),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&UK, &UV)> {
        let (plain, ttl) = match &self.store {
            Store::Plain(map) => (map.get(self.key), None),
            Store::Ttl(map, expiry) => (None, map.get(self.key).map(|m| (m, *expiry))),
        };
        let plain = plain.into_iter().flat_map(|m| m.iter());
        let ttl = ttl.into_iter().flat_map(|(m, expiry)| {
            m.iter().map(move |(k, v)| {
                expiry.read(&v.stamp);
                (k, &v.value)
            })
        });
        plain.chain(ttl)
    }

    pub fn len(&self) -> usize {
        match &self.store {
            Store::Plain(map) => map.get(self.key).map_or(0, FxHashMap::len),
            Store::Ttl(map, _) => map.get(self.key).map_or(0, FxHashMap::len),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        match &mut self.store {
            Store::Plain(map) => map.remove(self.key).map(drop),
            Store::Ttl(map, _) => map.remove(self.key).map(drop),
        };
    }
}

fn insert<K: Eq + Hash + Clone, UK: Eq + Hash, S>(
    map: &mut FxHashMap<K, FxHashMap<UK, S>>,
    key: &K,
    user_key: UK,
    value: S,
) {
    match map.get_mut(key) {
        Some(m) => {
            m.insert(user_key, value);
        }
        None => {
            let mut m = FxHashMap::default();
            m.insert(user_key, value);
            map.insert(key.clone(), m);
        }
    }
}

fn remove<K: Eq + Hash, UK: Eq + Hash, S>(
    map: &mut FxHashMap<K, FxHashMap<UK, S>>,
    key: &K,
    user_key: &UK,
) -> Option<S> {
    let m = map.get_mut(key)?;
    let removed = m.remove(user_key);
    if m.is_empty() {
        map.remove(key);
    }
    removed
}
